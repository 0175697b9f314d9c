"""The hard per-user rate limit of chat messages (``settings.chat_rate_limit``, e.g. ``20/minute``).

Separate from, and stricter than, the gateway's general per-user limit. Fixed windows counted in the
shared PostgreSQL table of :mod:`serving.ratelimit` when the gateway DB is PostgreSQL (every worker
counts together), else in process memory. The caller passes ``now`` (the request clock), so the
windows follow an injected clock in tests.
"""

from __future__ import annotations

import math

from limits import parse

from lake.settings import Settings
from serving.errors import Problem
from serving.ratelimit import MemoryFixedWindow, SqlFixedWindow


class ChatLimiter:
    def __init__(self, settings: Settings) -> None:
        self.item = parse(settings.chat_rate_limit)
        amount, seconds = self.item.amount, self.item.get_expiry()
        url = str(settings.database_url)
        if url.startswith("postgresql"):
            import sqlalchemy as sa

            self.window: SqlFixedWindow | MemoryFixedWindow = SqlFixedWindow(
                sa.create_engine(url, pool_pre_ping=True), amount, seconds
            )
        else:
            self.window = MemoryFixedWindow(amount, seconds)

    def check(self, user_id: int, now: float) -> None:
        """Count one message of ``user_id``; a 429 problem with Retry-After when over the limit."""
        allowed, reset_at = self.window.hit(f"chat:user:{user_id}", now)
        if allowed:
            return
        retry_after = max(1, math.ceil(reset_at - now))
        raise Problem(
            429,
            "chat_rate_limited",
            f"at most {self.item} chat messages; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )
