"""Per-user and per-IP rate limits, shared by all the gateway's worker processes.

The store follows the URLs in settings and the worker count (nothing here reads the profile):

* ``database_url`` on PostgreSQL: a shared fixed-window counter table (``rate_limit_hits``), one atomic
  ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per request, so every worker counts together.
* else a mongodb:// ``log_store_url``: the `limits` library's MongoDB moving window.
* else, with more than one worker (``COFRE_GATEWAY_WORKERS``): the same fixed-window table in a SQLite
  file (:class:`SqliteFixedWindow`, ``COFRE_HOME/run/ratelimit.sqlite3``): the same one-statement
  upsert, which SQLite runs under its database write lock, so concurrent processes never lose a hit.
  It is a local file (tens of microseconds per hit), so it runs on the event loop like memory.
* else (one worker) an in-process fixed-window counter (:class:`MemoryFixedWindow`, the same windows as the
  PostgreSQL one), O(1) per hit with no background thread. (The `limits` library's in-memory moving
  window was used before: it keeps one list entry per hit in the window, shifts that list on every
  hit and starts an expiry ``threading.Timer`` every 10 ms while there is traffic — at the benchmark's
  high limits that cost ~0.5 ms of CPU per request in the request thread plus the timer threads.)

FerretDB v1 (the stack's MongoDB) lacks what limits' MongoDB moving window needs (TTL indexes and
the ``$filter`` aggregation operator): the shared store is probed at start-up and, when it refuses,
the limiter falls back to in-process memory and says so (``backend``/``fallback_reason``, shown by
/ready) instead of failing every request.

``RateLimiter.blocking`` says whether ``check`` does I/O (shared stores): the gateway middleware
calls an in-process limiter directly on the event loop (microseconds) and a shared one in the
thread pool.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from serving.errors import Problem

log = logging.getLogger("cofre.serving.ratelimit")


_meta = sa.MetaData()
_hits = sa.Table(
    "rate_limit_hits",
    _meta,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("window_start", sa.BigInteger, primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
)


class SqlFixedWindow:
    """Fixed-window counters in PostgreSQL shared by all workers; old windows are pruned as it goes."""

    def __init__(self, engine: sa.Engine, amount: int, seconds: int) -> None:
        from sqlalchemy.dialects.postgresql import insert

        self.engine, self.amount, self.seconds = engine, amount, seconds
        _meta.create_all(engine, checkfirst=True)
        self._insert = insert
        self._calls = 0

    def hit(self, key: str, now: float | None = None) -> tuple[bool, float]:
        """Count one hit; (allowed, reset time as epoch seconds)."""
        now = time.time() if now is None else now
        start = int(now // self.seconds) * self.seconds
        stmt = (
            self._insert(_hits)
            .values(key=key, window_start=start, hits=1)
            .on_conflict_do_update(index_elements=["key", "window_start"], set_={"hits": _hits.c.hits + 1})
            .returning(_hits.c.hits)
        )
        with self.engine.begin() as conn:
            count = conn.execute(stmt).scalar_one()
            self._calls += 1
            if self._calls % 1000 == 0:
                conn.execute(sa.delete(_hits).where(_hits.c.window_start < start - self.seconds))
        return count <= self.amount, float(start + self.seconds)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))


class SqliteFixedWindow:
    """Fixed-window counters in a SQLite file shared by the worker processes of one machine.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per hit in autocommit mode: SQLite takes
    its write lock for the statement, so the read-increment-write of concurrent processes is
    serialised (busy timeout instead of failure). WAL, and no fsync: a counter lost with the OS
    only forgives one window. Old windows are pruned as it goes.
    """

    def __init__(self, path: Path, amount: int, seconds: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.amount, self.seconds = amount, seconds
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS rate_limit_hits (key TEXT NOT NULL, window_start INTEGER NOT NULL, "
            "hits INTEGER NOT NULL, PRIMARY KEY (key, window_start)) WITHOUT ROWID"
        )
        self._calls = 0

    def hit(self, key: str, now: float | None = None) -> tuple[bool, float]:
        """Count one hit; (allowed, reset time as epoch seconds)."""
        now = time.time() if now is None else now
        start = int(now // self.seconds) * self.seconds
        with self._lock:
            (count,) = self._conn.execute(
                "INSERT INTO rate_limit_hits (key, window_start, hits) VALUES (?, ?, 1) "
                "ON CONFLICT (key, window_start) DO UPDATE SET hits = hits + 1 RETURNING hits",
                (key, start),
            ).fetchone()
            self._calls += 1
            if self._calls % 1000 == 0:
                self._conn.execute(
                    "DELETE FROM rate_limit_hits WHERE window_start < ?", (start - self.seconds,)
                )
        return count <= self.amount, float(start + self.seconds)

    def ping(self) -> None:
        with self._lock:
            self._conn.execute("SELECT 1")

    def close(self) -> None:
        self._conn.close()


class MemoryFixedWindow:
    """Fixed-window counters in this process (one worker): a dict of ``key -> (window start, hits)``.

    Thread-safe (one lock; a hit is a dict lookup and an add). Windows that ended are dropped when
    the window rolls over, so memory is bounded by the keys seen in the current window.
    """

    def __init__(self, amount: int, seconds: int) -> None:
        self.amount, self.seconds = amount, seconds
        self._counts: dict[str, int] = {}
        self._window = 0
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> tuple[bool, float]:
        """Count one hit; (allowed, reset time as epoch seconds)."""
        now = time.time() if now is None else now
        start = int(now // self.seconds) * self.seconds
        with self._lock:
            if start != self._window:
                if start < self._window:  # a clock step back: count in the window we are in
                    start = self._window
                else:
                    self._window, self._counts = start, {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return count <= self.amount, float(start + self.seconds)

    def ping(self) -> None:
        return None


class RateLimiter:
    def __init__(
        self,
        rate: str,
        log_store_url: str | None,
        db_name: str,
        database_url: str | None = None,
        *,
        shared_file: Path | None = None,
    ) -> None:
        """``shared_file``: the SQLite counter file the workers of one machine share (set when there
        is more than one worker); without it, and without a shared server store, counts are in memory."""
        self.item = parse(rate)
        self.fallback_reason: str | None = None
        self.backend = "memory"
        self.window: SqlFixedWindow | SqliteFixedWindow | MemoryFixedWindow = MemoryFixedWindow(
            self.item.amount, self.item.get_expiry()
        )
        self.limiter: MovingWindowRateLimiter | None = None
        if database_url and database_url.startswith("postgresql"):
            engine = sa.create_engine(database_url, pool_pre_ping=True)
            self.window = SqlFixedWindow(engine, self.item.amount, self.item.get_expiry())
            self.backend = "postgresql"
        elif log_store_url and log_store_url.startswith("mongodb"):
            shared = storage_from_string(log_store_url, database_name=f"{db_name}_limits")
            try:
                MovingWindowRateLimiter(shared).hit(self.item, "probe", uuid.uuid4().hex)
                self.limiter, self.backend = MovingWindowRateLimiter(shared), "mongodb"
            except Exception as exc:  # noqa: BLE001 - any refusal of the shared store
                self.fallback_reason = f"{type(exc).__name__}: {str(exc)[:160]}"
                log.warning(
                    "shared rate-limit store refused (%s); using %s",
                    self.fallback_reason,
                    "a SQLite file" if shared_file else "in-process memory",
                )
        if self.backend == "memory" and shared_file is not None:
            self.window = SqliteFixedWindow(shared_file, self.item.amount, self.item.get_expiry())
            self.backend = "sqlite"
        self.blocking = self.backend not in ("memory", "sqlite")

    def check(self, scope: str, ident: str) -> None:
        """Count one hit for ``scope:ident``; raise a 429 problem with Retry-After when over the limit."""
        if self.limiter is None:
            allowed, reset_at = self.window.hit(f"{scope}:{ident}")
            if allowed:
                return
        else:
            if self.limiter.hit(self.item, scope, ident):
                return
            reset_at, _remaining = self.limiter.get_window_stats(self.item, scope, ident)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise Problem(
            429,
            "rate_limited",
            f"rate limit {self.item} exceeded for this {scope}; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )

    def ping(self) -> None:
        if self.limiter is None:
            self.window.ping()
            return
        if not self.limiter.storage.check():
            raise ConnectionError("rate-limit storage unreachable")
