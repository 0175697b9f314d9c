"""The in-process sandbox apps of the embedded profile (installed into the product by cofre.embedded).

:func:`app_for` builds the sandbox app of one external system over a world (the saved world of the
settings when none is given); one :class:`~sandbox.world_index.WorldIndex` is shared by the apps
built over the same world object.
"""

from __future__ import annotations

import threading
from typing import Any

import polars as pl

from lake.settings import Settings
from pipelines.sources.world_files import load_world
from sandbox.world_index import WorldIndex

_LOCK = threading.Lock()
_LAST_INDEX: list[tuple[dict[str, pl.DataFrame], WorldIndex]] = []


def _index(world: dict[str, pl.DataFrame]) -> WorldIndex:
    with _LOCK:
        if _LAST_INDEX and _LAST_INDEX[0][0] is world:
            return _LAST_INDEX[0][1]
        index = WorldIndex(world)
        _LAST_INDEX[:] = [(world, index)]
        return index


def app_for(system: str, settings: Settings, world: dict[str, pl.DataFrame] | None) -> Any:
    """The sandbox app of ``system`` (``open_finance``, ``serasa``, ``pix`` or ``horizon``)."""
    if system == "horizon":
        from sandbox.horizon import create_app as horizon_app

        return horizon_app(settings)
    index = _index(world if world is not None else load_world(settings))
    if system == "open_finance":
        from sandbox.open_finance.server import create_app
    elif system == "serasa":
        from sandbox.serasa import create_app
    elif system == "pix":
        from sandbox.pix.server import create_app
    else:
        raise ValueError(f"unknown sandbox system {system!r}")
    return create_app(index, settings)
