"""Concurrent transfers with retried idempotency keys on SQLite: no double posting, ledger sums to
zero, balances never negative, every retry answered with the original result."""

from __future__ import annotations

import asyncio

from concurrency_kit import check_ledger, storm
from fastapi.testclient import TestClient
from serving_kit import add_key, deposit, make_settings, register, step_up

from serving.app import create_app


def test_concurrent_transfers_with_retries(tmp_path):
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as c:
        admin = register(c, role="admin")
        users = [register(c) for _ in range(6)]
        keys = {}
        for u in users:
            deposit(c, admin, u["account_id"], 20_000)  # tight: some transfers must fail for funds
            keys[u["id"]] = add_key(c, u, step_up(c, u), "EVP")
    replies = asyncio.run(storm(app, users, keys, 300))
    counts = check_ledger(app.state.services.sessions, replies)
    assert counts.get("completed", 0) > 0 and counts.get("rejected", 0) > 0  # funds ran out for some
    assert sum(len(v) for v in replies.values()) > 300  # retries happened
