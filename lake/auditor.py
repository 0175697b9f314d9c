"""DuckDB auditor session: one view per catalog table over the current Delta version, plus time travel.

:func:`connect` returns a DuckDB connection where every catalog table that exists in the lake is a
view named like the catalog (``silver.transactions``: DuckDB schema ``silver``, view
``transactions``) defined as ``SELECT * FROM delta_scan('<table uri>')``. ``delta_scan`` (the
``delta`` extension from the ``duckdb-extension-delta`` package) reads the Delta log, so deleted or
updated rows never come back, and each query sees the version current at query time. On S3 a
DuckDB secret (TYPE s3, path-style URLs, the settings' endpoint and keys) is created first, with
DuckDB's ``httpfs`` extension loaded from the pinned PyPI package ``duckdb-extension-httpfs`` (no
download at run time); if that or ``delta_scan`` fails on S3 the view falls back to
``DeltaTable(uri).to_pyarrow_dataset()`` registered in DuckDB (still Delta-correct, but pinned to
the version current when the session opened).

Views are created when a query first names their table (``SHOW``/``information_schema`` queries create
them all), so opening a session reads no Delta log and ``SELECT 1`` imports neither polars nor
delta-rs: ``cofre lake sql`` starts in well under a second.

Restricted layers (bronze, quarantine: clear identifiers) get views only when
``settings.lake_auditor_bronze`` is true (``COFRE_LAKE_AUDITOR_BRONZE=1``) or ``include_restricted``.

Time travel in SQL (``Auditor.sql``): a catalog table followed by

    silver.transactions AS OF VERSION 3
    silver.transactions AS OF TIMESTAMP '2026-11-27T10:00:00Z'

is rewritten to a view over that version (``silver."transactions@v3"``); a timestamp resolves to
the latest version committed at or before it (UTC when no zone is given). Give the table an alias
(``... AS OF VERSION 3 t``) to qualify its columns. :meth:`Auditor.open_table` does the same from
Python and returns the view name.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import duckdb

from lake.layers import LAYERS, RESTRICTED_LAYERS
from lake.settings import Settings, get_settings

if TYPE_CHECKING:
    from lake.catalog import Table

# A catalog name in a query: ``layer.table`` (DuckDB schema.view), optionally quoted.
TABLE_REF = re.compile(
    r"\b(?P<layer>" + "|".join(LAYERS) + r')\s*\.\s*"?(?P<short>[A-Za-z_][A-Za-z0-9_]*)', re.IGNORECASE
)
# Queries that look at DuckDB's catalog itself need every view to exist first.
INTROSPECTION = re.compile(r"\b(SHOW|information_schema|duckdb_\w+|PRAGMA)\b", re.IGNORECASE)

AS_OF = re.compile(
    r"\b(?P<table>[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)\s+AS\s+OF\s+"
    r"(?:VERSION\s+(?P<version>\d+)|TIMESTAMP\s+'(?P<ts>[^']+)')",
    re.IGNORECASE,
)


class AuditorError(RuntimeError):
    """A query or table the auditor cannot serve (unknown, restricted, missing, bad AS OF)."""


def _parse_ts(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AuditorError(f"AS OF TIMESTAMP {text!r}: not an ISO-8601 timestamp") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


class Auditor:
    """A DuckDB session with catalog views. Use :func:`connect` or as a context manager."""

    def __init__(self, settings: Settings | None = None, *, include_restricted: bool | None = None) -> None:
        self.settings = settings or get_settings()
        self.include_restricted = (
            self.settings.lake_auditor_bronze if include_restricted is None else include_restricted
        )
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        self._extensions_loaded = False
        self._delta_scan_ok = True
        for layer in LAYERS:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
        # Views are created on first use (a query naming the table, open_table, or all of them for
        # SHOW/information_schema): opening a session reads no Delta log and imports no data stack.
        self.views: dict[str, str] = {}
        self._all_views = False

    # --- set-up ---------------------------------------------------------------------------------
    def _load_extensions(self) -> None:
        """DuckDB's delta (and on S3 httpfs) extensions, loaded before the first view is created."""
        if self._extensions_loaded:
            return
        import duckdb_extensions

        duckdb_extensions.import_extension("delta", con=self.con)
        self._extensions_loaded = True
        if self.settings.lake_is_s3:
            try:
                # S3 secrets need DuckDB's httpfs extension: installed from PyPI
                # (duckdb-extension-httpfs, pinned with duckdb), never downloaded at run time.
                duckdb_extensions.import_extension("httpfs", con=self.con)
                self._create_s3_secret()
            except (duckdb.Error, ImportError, RuntimeError):
                # Without httpfs (or a usable secret) read S3 through delta-rs instead.
                self._delta_scan_ok = False

    def _create_s3_secret(self) -> None:
        s = self.settings
        ep = urlparse(s.s3_endpoint or "")
        self.con.execute(
            "CREATE OR REPLACE SECRET lake_s3 (TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', "
            "USE_SSL ?, REGION ?)",
            [
                s.s3_access_key,
                s.s3_secret_key.get_secret_value(),
                ep.netloc,
                ep.scheme == "https",
                s.s3_region,
            ],
        )

    def _allowed(self, t: Table) -> bool:
        return self.include_restricted or t.layer not in RESTRICTED_LAYERS

    def _current_view(self, t: Table) -> str | None:
        """The view over ``t``'s current version (created now if needed); None if not in the lake."""
        from lake import delta

        if t.name not in self.views:
            if not delta.exists(t, self.settings):
                return None
            self._create_view(t, f"{t.layer}.{t.short_name}", None)
            self.views[t.name] = f"{t.layer}.{t.short_name}"
        return self.views[t.name]

    def create_all_views(self) -> dict[str, str]:
        """Create the view of every allowed table in the lake (what SHOW ALL TABLES then lists)."""
        from lake.catalog import tables

        if not self._all_views:
            for t in tables():
                if self._allowed(t):
                    self._current_view(t)
            self._all_views = True
        return dict(self.views)

    def _create_view(self, t: Table, view: str, version: int | None) -> None:
        from lake import delta

        self._load_extensions()
        uri = delta.table_uri(t, self.settings)
        if self._delta_scan_ok:
            args = (
                "'"
                + uri.replace("'", "''")
                + "'"
                + (f", version => {int(version)}" if version is not None else "")
            )
            try:
                self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM delta_scan({args})")  # nosec B608 # view named from the catalog, uri quoted
                self.con.execute(f"SELECT * FROM {view} LIMIT 0")  # nosec B608 # view named from the catalog
                return
            except duckdb.Error:
                if not self.settings.lake_is_s3:
                    raise
                self._delta_scan_ok = False  # S3 through the extension failed: use delta-rs from now on
        from deltalake import DeltaTable

        ds = DeltaTable(
            uri, version=version, storage_options=self.settings.storage_options()
        ).to_pyarrow_dataset()
        arrow_name = "__arrow_" + re.sub(r"\W", "_", view)
        self.con.register(arrow_name, ds)
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {arrow_name}")  # nosec B608 # catalog names

    @property
    def uses_delta_scan(self) -> bool:
        self._load_extensions()
        return self._delta_scan_ok

    # --- API ------------------------------------------------------------------------------------
    def open_table(
        self, name: str, *, version: int | None = None, timestamp: datetime | str | None = None
    ) -> str:
        """A view over ``name`` at ``version``/``timestamp`` (current if neither); returns its SQL name."""
        from lake import delta
        from lake.catalog import get_table

        try:
            t = get_table(name)
        except KeyError as exc:
            raise AuditorError(str(exc)) from None
        if not self._allowed(t):
            raise AuditorError(
                f"{t.name} is access-restricted (set COFRE_LAKE_AUDITOR_BRONZE=1 to expose it)"
            )
        current_view = self._current_view(t)
        if current_view is None:
            raise AuditorError(f"{t.name} has no Delta table in the lake yet")
        if version is not None and timestamp is not None:
            raise AuditorError("pass version or timestamp, not both")
        if timestamp is not None:
            ts = _parse_ts(timestamp) if isinstance(timestamp, str) else timestamp
            try:
                version = delta.version_at(t, ts, self.settings)
            except ValueError as exc:
                raise AuditorError(str(exc)) from None
        if version is None:
            return current_view
        current = delta.version(t, self.settings)
        if not 0 <= version <= current:
            raise AuditorError(f"{t.name}: version {version} does not exist (current is {current})")
        view = f'{t.layer}."{t.short_name}@v{version}"'
        self._create_view(t, view, version)
        return view

    def rewrite(self, query: str) -> str:
        """Replace ``<table> AS OF VERSION n | TIMESTAMP '...'`` by views over that version."""

        def sub(m: re.Match[str]) -> str:
            if m.group("version") is not None:
                return self.open_table(m.group("table"), version=int(m.group("version")))
            return self.open_table(m.group("table"), timestamp=m.group("ts"))

        return AS_OF.sub(sub, query)

    def _prepare(self, query: str) -> None:
        """Create the views the query names; name restricted or not-yet-written catalog tables clearly
        instead of DuckDB's catalog error. A query without a catalog name touches no table at all."""
        if INTROSPECTION.search(query):
            self.create_all_views()
        refs = {f"{m.group('layer').lower()}.{m.group('short').lower()}" for m in TABLE_REF.finditer(query)}
        if not refs - set(self.views):
            return
        from lake.catalog import UnknownTableError, get_table

        for name in sorted(refs - set(self.views)):
            try:
                t = get_table(name)
            except UnknownTableError:
                continue  # not a catalog table (a column path, a DuckDB object): DuckDB decides
            if not self._allowed(t):
                raise AuditorError(
                    f"{t.name} is access-restricted (set COFRE_LAKE_AUDITOR_BRONZE=1 to expose it)"
                )
            if self._current_view(t) is None:
                raise AuditorError(f"{t.name} has no Delta table in the lake yet")

    def sql(self, query: str) -> duckdb.DuckDBPyRelation:
        """Run SQL (with AS OF rewriting) and return the DuckDB relation."""
        self._prepare(query)
        return self.con.sql(self.rewrite(query))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Auditor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(settings: Settings | None = None, *, include_restricted: bool | None = None) -> Auditor:
    """Open an auditor session over the lake of ``settings`` (default: the process settings)."""
    return Auditor(settings, include_restricted=include_restricted)
