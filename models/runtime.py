"""Thread control for prediction: re-exports :func:`models.threads.predict_threads` (see there)."""

from __future__ import annotations

from models.threads import SMALL_BATCH, predict_threads

__all__ = ["SMALL_BATCH", "predict_threads"]
