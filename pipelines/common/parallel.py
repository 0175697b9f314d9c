"""Run an async per-item pull over many items with a thread pool of event loops.

Each worker thread owns one event loop and one client (``make_client()``), and pulls its share of
the items with at most ``concurrency`` requests in flight. Against a real URL the async
concurrency overlaps network waits; against the in-process sandbox the threads share one ASGI app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_pool(
    items: Sequence[T],
    make_client: Callable[[], Any],
    pull_one: Callable[[Any, T], Awaitable[None]],
    *,
    threads: int = 4,
    concurrency: int = 8,
    on_done: Callable[[int], None] | None = None,
) -> None:
    """``await pull_one(client, item)`` for every item; the first failure is raised after all stop."""
    if not items:
        return
    threads = max(1, min(threads, len(items)))
    shards = [items[i::threads] for i in range(threads)]
    done = [0]

    async def worker(shard: Sequence[T]) -> None:
        client = make_client()
        sem = asyncio.Semaphore(concurrency)
        try:

            async def one(item: T) -> None:
                async with sem:
                    await pull_one(client, item)
                done[0] += 1
                if on_done is not None:
                    on_done(done[0])

            await asyncio.gather(*(one(i) for i in shard))
        finally:
            await client.aclose()

    with ThreadPoolExecutor(threads, thread_name_prefix="pull") as pool:
        futures = [pool.submit(asyncio.run, worker(s)) for s in shards]
        for f in futures:
            f.result()
