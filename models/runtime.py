"""Thread control for prediction: OpenMP on one thread for small batches.

HistGradientBoosting predicts with OpenMP; for a handful of rows the thread start-up and spin-wait
dominate, and on a busy machine one request went from ~3 ms (one thread) to >100 ms (all threads).
:func:`predict_threads` limits OpenMP to one thread while predicting fewer than ``SMALL_BATCH`` rows
(the limit itself costs ~0.03 ms). The limit is process-wide for its duration.
"""

from __future__ import annotations

import contextlib
import functools
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

SMALL_BATCH = 2_000


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def predict_threads(n_rows: int) -> AbstractContextManager[object]:
    """Context manager: one OpenMP thread for small batches, unchanged otherwise."""
    if n_rows >= SMALL_BATCH:
        return contextlib.nullcontext()
    return _controller().limit(limits=1, user_api="openmp")
