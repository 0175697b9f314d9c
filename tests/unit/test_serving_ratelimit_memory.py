"""The in-process fixed-window rate limiter: exact counts per window, reset times, rollover, threads."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serving.errors import Problem
from serving.ratelimit import MemoryFixedWindow, RateLimiter


def test_allows_the_amount_then_refuses_until_the_window_ends() -> None:
    w = MemoryFixedWindow(3, 60)
    assert [w.hit("u", 120.5)[0] for _ in range(4)] == [True, True, True, False]
    assert w.hit("u", 179.9) == (False, 180.0)
    assert w.hit("other", 150.0) == (True, 180.0)  # keys count apart
    assert w.hit("u", 180.0) == (True, 240.0)  # a new window starts from zero


@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 1), st.booleans()), max_size=60))
def test_matches_a_reference_count_per_key_and_window(steps) -> None:
    w = MemoryFixedWindow(2, 10)
    now, ref = 1000.0, {}
    for key, dt, jump in steps:
        now += dt + (10 if jump else 0)
        start = int(now // 10) * 10
        ref[(key, start)] = ref.get((key, start), 0) + 1
        assert w.hit(key, now) == (ref[(key, start)] <= 2, float(start + 10))


def test_a_clock_step_back_counts_in_the_current_window() -> None:
    w = MemoryFixedWindow(1, 60)
    assert w.hit("u", 200.0) == (True, 240.0)
    assert w.hit("u", 100.0) == (False, 240.0)


def test_concurrent_hits_are_all_counted() -> None:
    w = MemoryFixedWindow(10**9, 3600)
    threads = [threading.Thread(target=lambda: [w.hit("k", 7200.0) for _ in range(5000)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w._counts["k"] == 40_000


def test_in_process_limiter_raises_429_with_retry_after() -> None:
    lim = RateLimiter("2/minute", None, "cofre", "sqlite:///unused.db")
    assert lim.backend == "memory" and not lim.blocking
    lim.check("ip", "1.2.3.4")
    lim.check("ip", "1.2.3.4")
    with pytest.raises(Problem) as exc:
        lim.check("ip", "1.2.3.4")
    assert exc.value.status == 429 and 1 <= int(exc.value.headers["Retry-After"]) <= 60
    lim.check("user", "1.2.3.4")  # another scope, its own count
    lim.ping()
