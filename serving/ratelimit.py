"""Per-user and per-IP rate limits with the `limits` library (moving window).

Storage follows settings.log_store_url: a mongodb:// URL gives a shared store (all gateway workers
count together, database ``<log_store_db>_limits``), anything else in-process memory.

FerretDB v1 (the stack's MongoDB) lacks what limits' MongoDB moving window needs (TTL indexes and
the ``$filter`` aggregation operator): the shared store is probed at start-up and, when it refuses,
the limiter falls back to in-process memory and says so (``backend``/``fallback_reason``, shown by
/ready) instead of failing every request.
"""

from __future__ import annotations

import logging
import math
import time
import uuid

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from serving.errors import Problem

log = logging.getLogger("cofre.serving.ratelimit")


class RateLimiter:
    def __init__(self, rate: str, log_store_url: str | None, db_name: str) -> None:
        self.item = parse(rate)
        self.fallback_reason: str | None = None
        self.storage = storage_from_string("memory://")
        self.backend = "memory"
        if log_store_url and log_store_url.startswith("mongodb"):
            shared = storage_from_string(log_store_url, database_name=f"{db_name}_limits")
            try:
                MovingWindowRateLimiter(shared).hit(self.item, "probe", uuid.uuid4().hex)
                self.storage, self.backend = shared, "mongodb"
            except Exception as exc:  # noqa: BLE001 - any refusal of the shared store
                self.fallback_reason = f"{type(exc).__name__}: {str(exc)[:160]}"
                log.warning("shared rate-limit store refused (%s); using in-process memory", self.fallback_reason)
        self.limiter = MovingWindowRateLimiter(self.storage)

    def check(self, scope: str, ident: str) -> None:
        """Count one hit for ``scope:ident``; raise a 429 problem with Retry-After when over the limit."""
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
        if not self.storage.check():
            raise ConnectionError("rate-limit storage unreachable")
