"""Rate limits are shared by gateway workers in the stack profile (PostgreSQL fixed-window counters)."""

from __future__ import annotations

import uuid

import pytest

from serving.errors import Problem
from serving.ratelimit import RateLimiter


def test_two_workers_share_one_budget(stack_settings):
    url = stack_settings.database_url
    a = RateLimiter("5/minute", stack_settings.log_store_url, "cofre", url)
    b = RateLimiter("5/minute", stack_settings.log_store_url, "cofre", url)
    assert a.backend == b.backend == "postgresql" and a.fallback_reason is None
    a.ping()
    who = uuid.uuid4().hex
    for i in range(5):
        (a if i % 2 else b).check("user", who)  # 5 hits spread over two "workers"
    with pytest.raises(Problem) as exc:
        a.check("user", who)
    assert exc.value.status == 429
    assert 1 <= int(exc.value.headers["Retry-After"]) <= 60
    b.check("user", uuid.uuid4().hex)  # another user has its own budget
