"""Which run is writing: the run id stamped into every Delta commit as ``cofre.run_id``.

``cofre lake history`` shows it next to the write mode and the watermark, so an auditor can go from a
table version to the orchestrator run (Dagster's run page, its logs) that produced it.

The id comes from, in order: :func:`run_scope` (a context variable, for callers that know their run),
the ``COFRE_RUN_ID`` environment variable (scripts, cron), and the Dagster step being executed when
Dagster is already imported in this process (``OpExecutionContext.get()``; dagster is never
imported from here, so plain library use stays light).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar

KEY = "cofre.run_id"
_RUN_ID: ContextVar[str | None] = ContextVar("cofre_run_id", default=None)


@contextlib.contextmanager
def run_scope(run_id: str) -> Iterator[None]:
    """Stamp ``run_id`` on the commits written inside the block."""
    token = _RUN_ID.set(run_id)
    try:
        yield
    finally:
        _RUN_ID.reset(token)


def _dagster_run_id() -> str | None:
    dg = sys.modules.get("dagster")
    if dg is None:
        return None
    try:
        return str(dg.OpExecutionContext.get().run_id)
    except Exception:  # noqa: BLE001 - outside a Dagster step (or an older Dagster): no run id
        return None


def current_run_id() -> str | None:
    """The run id to stamp on a commit, or None when nothing says which run this is."""
    return _RUN_ID.get() or os.environ.get("COFRE_RUN_ID") or _dagster_run_id()
