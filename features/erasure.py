"""Erasure and export of one subject's rows in the Feast online store (SQLite embedded, PostgreSQL stack).

Feast has no delete-by-entity call, so this works on the online store's tables directly: every table
of the project (``<project>_<feature view>``) with an ``entity_key`` column. Entity keys serialise
string join-key values as their UTF-8 bytes (serialization version 3), so a 64-hex pseudonym found
inside the key blob identifies the rows of that customer, including multi-entity keys such as
(customer_pk, counterparty_pk). No Feast import is needed (it costs seconds).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lake.settings import Settings, get_settings


def _sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///") :])


def _pg_connect(url: str):  # noqa: ANN202
    import psycopg

    u = urlparse(url)
    return psycopg.connect(
        host=u.hostname or "127.0.0.1",
        port=u.port or 5432,
        dbname=(u.path or "/feast").lstrip("/") or "feast",
        user=unquote(u.username or "postgres"),
        password=unquote(u.password or ""),
        autocommit=False,
    )


def _ident(name: str) -> str:
    """A table name as a quoted SQL identifier (names come from the store's own catalog)."""
    return '"' + name.replace('"', '""') + '"'


def _tables_sqlite(con: sqlite3.Connection, project: str) -> list[str]:
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    out = []
    for n in names:
        if n.startswith(f"{project}_"):
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({_ident(n)})")]
            if "entity_key" in cols:
                out.append(n)
    return out


def _tables_pg(cur: Any, project: str) -> list[str]:
    cur.execute(
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'entity_key' "
        "AND table_schema = 'public' AND table_name LIKE %s",
        (f"{project}_%",),
    )
    return sorted({r[0] for r in cur.fetchall()})


def erase_entities(pseudonyms: Iterable[str], settings: Settings | None = None) -> dict[str, int]:
    """Delete the online rows whose entity key contains any of ``pseudonyms``; rows deleted per table."""
    s = settings or get_settings()
    pks = [p.encode() for p in pseudonyms if p]
    url = str(s.feast_online_url)
    report: dict[str, int] = {}
    if not pks:
        return report
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if not path.exists():
            return report
        con = sqlite3.connect(str(path))
        try:
            for t in _tables_sqlite(con, s.feast_project):
                n = 0
                for pk in pks:
                    sql = f"DELETE FROM {_ident(t)} WHERE instr(entity_key, ?) > 0"  # nosec B608 # catalog table
                    n += con.execute(sql, (pk,)).rowcount
                if n:
                    report[t] = n
            con.commit()
            con.execute("VACUUM")  # deleted pages would otherwise keep the bytes in the file
        finally:
            con.close()
        return report
    with _pg_connect(url) as conn, conn.cursor() as cur:
        for t in _tables_pg(cur, s.feast_project):
            n = 0
            for pk in pks:
                cur.execute(f"DELETE FROM {_ident(t)} WHERE position(%s::bytea in entity_key) > 0", (pk,))  # nosec B608 # catalog table, quoted
                n += cur.rowcount
            if n:
                report[t] = n
        conn.commit()
    return report


def export_entities(
    pseudonyms: Iterable[str], settings: Settings | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The online rows (feature name, value bytes as hex, event time) whose key contains a pseudonym."""
    s = settings or get_settings()
    pks = [p.encode() for p in pseudonyms if p]
    url = str(s.feast_online_url)
    out: dict[str, list[dict[str, Any]]] = {}
    if not pks:
        return out
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if not path.exists():
            return out
        con = sqlite3.connect(str(path))
        try:
            for t in _tables_sqlite(con, s.feast_project):
                for pk in pks:
                    rows = con.execute(
                        f"SELECT feature_name, value, event_ts FROM {_ident(t)} WHERE instr(entity_key, ?) > 0",  # nosec B608 # catalog table, quoted
                        (pk,),
                    ).fetchall()
                    out.setdefault(t, []).extend(
                        {
                            "feature": f,
                            "value_hex": bytes(v).hex() if v is not None else None,
                            "event_ts": str(ts),
                        }
                        for f, v, ts in rows
                    )
        finally:
            con.close()
        return {k: v for k, v in out.items() if v}
    with _pg_connect(url) as conn, conn.cursor() as cur:
        for t in _tables_pg(cur, s.feast_project):
            for pk in pks:
                cur.execute(
                    f"SELECT feature_name, value, event_ts FROM {_ident(t)} "  # nosec B608 # catalog table, quoted
                    "WHERE position(%s::bytea in entity_key) > 0",
                    (pk,),
                )
                out.setdefault(t, []).extend(
                    {
                        "feature": f,
                        "value_hex": bytes(v).hex() if v is not None else None,
                        "event_ts": str(ts),
                    }
                    for f, v, ts in cur.fetchall()
                )
    return {k: v for k, v in out.items() if v}
