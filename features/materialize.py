"""Apply the Feast definitions and bring the online store up to date with the gold Delta tables.

Materialisation is incremental *per Delta table version*, not per event time: Feast's
``materialize_incremental`` only looks at rows whose event time is after the last run, so it misses
late-arriving rows, and it never removes what a Delta DELETE/UPDATE/MERGE took out of gold. Here a
feature view is rebuilt when (and only when) the version of its table changed since the view was last
materialised: its online table is dropped and recreated, then filled with the latest row per entity
read at exactly that version (pinned, so the version recorded is the version served). Unchanged views
are skipped. The versions served are kept in ``COFRE_HOME/feast/materialized-<project>.json``.

Known cost: while a view is rebuilt (seconds) online reads of that view return no value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lake.settings import Settings

if TYPE_CHECKING:
    from feast import FeatureStore

EPOCH = datetime(1970, 1, 2, tzinfo=UTC)


def _state_path(settings: Settings) -> Path:
    return settings.path("feast", f"materialized-{settings.feast_project}.json")


def _load_state(settings: Settings) -> dict[str, Any]:
    p = _state_path(settings)
    return json.loads(p.read_text()) if p.exists() else {}


def _save_state(settings: Settings, state: dict[str, Any]) -> None:
    p = _state_path(settings)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.replace(p)


def apply(settings: Settings, progress: Callable[[str], None] = print) -> FeatureStore:
    """Register entities, views and services; returns the FeatureStore."""
    from features import definitions
    from features.store import get_store

    store = get_store(settings)
    store.apply(definitions.objects())
    progress(f"applied {len(definitions.objects())} Feast objects to project {settings.feast_project!r}")
    return store


def apply_and_materialize(
    settings: Settings,
    end: datetime | None = None,
    *,
    full: bool = False,
    progress: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Apply definitions, then rebuild the online values of every view whose gold table changed.

    Returns ``{view: {"table", "version", "status": "materialized"|"unchanged"|"missing", "rows"?}}``.
    ``full`` rebuilds every view. ``end`` (default now) bounds the event times materialised.
    """
    from features import definitions
    from features.store import get_store
    from lake import delta

    apply(settings, progress)
    end_ts = end or datetime.now(UTC)
    end_ts = end_ts.replace(tzinfo=UTC) if end_ts.tzinfo is None else end_ts
    state = _load_state(settings)
    report: dict[str, dict[str, Any]] = {}
    for fv in definitions.FEATURE_VIEWS:
        table = definitions.VIEW_TABLES[fv.name]
        if not delta.exists(table, settings):
            progress(f"{fv.name}: {table} does not exist yet, skipped")
            report[fv.name] = {"table": table, "version": None, "status": "missing"}
            continue
        version = delta.version(table, settings)
        prev = state.get(fv.name)
        if (
            not full
            and prev
            and prev["version"] == version
            and (end is None or prev["end"] == end_ts.isoformat())
        ):
            progress(f"{fv.name}: {table}@v{version} already served, skipped")
            report[fv.name] = {"table": table, "version": version, "status": "unchanged"}
            continue
        store = get_store(settings, versions={table: version})
        view = store.get_feature_view(fv.name)
        online = store._get_provider().online_store
        online.update(
            store.config,
            tables_to_delete=[view],
            tables_to_keep=[],
            entities_to_delete=[],
            entities_to_keep=[],
            partial=False,
        )
        online.update(
            store.config,
            tables_to_delete=[],
            tables_to_keep=[view],
            entities_to_delete=[],
            entities_to_keep=[],
            partial=False,
        )
        start = end_ts - view.ttl if view.ttl else EPOCH
        progress(
            f"{fv.name}: materialising {table}@v{version} [{start:%Y-%m-%d %H:%M} .. {end_ts:%Y-%m-%d %H:%M}] UTC"
        )
        store.materialize(
            start_date=start, end_date=end_ts, feature_views=[fv.name], disable_event_timestamp=False
        )
        state[fv.name] = {"table": table, "version": version, "end": end_ts.isoformat()}
        _save_state(settings, state)
        report[fv.name] = {"table": table, "version": version, "status": "materialized"}
    return report
