"""Thread pools of model training and prediction: the one place that sets them.

HistGradientBoosting fits and predicts with OpenMP; libgomp's default wait policy spins a waiting
thread for a while at each of the many small barriers of a boosting round. On a shared 2-core machine
the other thread of a fit is often descheduled, so its partner spins for its whole slice while the
work waits: measured here, a 40 000 x 20 fit took 2.4 s on one thread and 20.8 s on two (cpu 0.7 s
vs 5.9 s) with other agents' jobs running, and 6.0 s vs 106 s with one more busy process.

* :func:`training_threads`: OpenMP and BLAS limited to ``Settings.model_threads`` (default 1) while
  a model trains (the Dagster ``models/*`` assets and ``cofre models train``);
* :func:`predict_threads`: one OpenMP thread while predicting small batches (a request), where thread
  start-up and spin-wait dominate (~3 ms on one thread, >100 ms on all threads on a busy machine);
* :func:`passive_wait`: ``OMP_WAIT_POLICY=PASSIVE`` unless set, for processes that run OpenMP on
  several threads; it only takes effect before the OpenMP runtime is loaded (process entry points).
"""

from __future__ import annotations

import contextlib
import functools
import os
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

SMALL_BATCH = 2_000


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def passive_wait() -> None:
    """Waiting OpenMP threads sleep instead of spinning (unless OMP_WAIT_POLICY is already set)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def training_threads(threads: int | None = None) -> AbstractContextManager[object]:
    """Context manager: OpenMP and BLAS on ``threads`` threads (default ``Settings.model_threads``;
    0 leaves the pools as they are) for the duration of a training run. Process-wide."""
    if threads is None:
        from lake.settings import get_settings

        threads = get_settings().model_threads
    if threads <= 0:
        return contextlib.nullcontext()
    return _controller().limit(limits=threads)


def one_thread_below(n_rows: int, threshold: int, user_api: str = "openmp") -> AbstractContextManager[object]:
    """Context manager: one thread of ``user_api`` ("openmp": per calling thread; "blas": process-wide)
    when there are fewer than ``threshold`` rows, the pools unchanged otherwise."""
    if n_rows >= threshold:
        return contextlib.nullcontext()
    return _controller().limit(limits=1, user_api=user_api)


def predict_threads(n_rows: int) -> AbstractContextManager[object]:
    """Context manager: one OpenMP thread for small batches, unchanged otherwise."""
    return one_thread_below(n_rows, SMALL_BATCH)
