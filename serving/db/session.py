"""Engine and session factory for settings.database_url.

SQLite (embedded profile) runs in WAL mode with a busy timeout and every transaction opened with
``BEGIN IMMEDIATE``, so writers serialise at BEGIN instead of failing on lock upgrade; PostgreSQL
(stack profile) uses row locks (SELECT ... FOR UPDATE) taken by the ledger.

:func:`make_read_connections` is for lookups that never write (the request path of the scoring
routers): Core connections, without an ORM session's overhead; on SQLite their transactions begin
DEFERRED, so concurrent readers share WAL snapshots instead of queueing for the write lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from lake.settings import sqlalchemy_url

READ_ONLY = "cofre_read_only"


def make_engine(database_url: str) -> Engine:
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=10, max_overflow=20
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            # on the driver's connection: a BEGIN needs no statement cache, result object or event
            # hooks (through exec_driver_sql it was ~7% of a fraud score's CPU)
            raw = cast(sqlite3.Connection, conn.connection.driver_connection)
            raw.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched; ``Session.execute`` is typed to return a Result, and for DML it
    is a CursorResult at run time."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_connections(engine: Engine) -> Callable[[], Connection]:
    """Core connections for lookups only (see the module docstring; the pool is the engine's):
    ``with read_connections() as conn: ...``."""
    return engine.execution_options(**{READ_ONLY: True}).connect


@contextmanager
def transaction(db: Session) -> Iterator[Session]:
    """Commit on success, roll back on error, whether or not the session already auto-began."""
    if db.in_transaction():
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise
    else:
        with db.begin():
            yield db
