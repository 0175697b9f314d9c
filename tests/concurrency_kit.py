"""Concurrent transfer storm used by the unit (SQLite) and integration (PostgreSQL) tests."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict

import httpx
from sqlalchemy import func, select

from serving.db.orm import Account, LedgerEntry, Transfer


async def storm(
    app,
    users: list[dict],
    keys: dict[int, str],
    n_transfers: int,
    *,
    seed: int = 7,
    retry_rate: float = 0.3,
    concurrency: int = 32,
) -> dict[str, list[tuple[int, dict]]]:
    """Send n_transfers distinct transfers (plus random concurrent retries of the same keys)."""
    rng = random.Random(seed)
    plan = []
    for _ in range(n_transfers):
        payer, payee = rng.sample(users, 2)
        plan.append((payer, keys[payee["id"]], rng.randint(100, 3_000), uuid.uuid4().hex))
    jobs = []
    for p in plan:
        jobs.append(p)
        while rng.random() < retry_rate:
            jobs.append(p)
    rng.shuffle(jobs)
    replies: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    sem = asyncio.Semaphore(concurrency)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=120) as client:

        async def one(payer, key, cents, idem):
            async with sem:
                r = await client.post(
                    "/pix/transfers",
                    json={"amount_cents": cents, "key": key},
                    headers={
                        "Authorization": f"Bearer {payer['access']}",
                        "Idempotency-Key": idem,
                        "X-Device-ID": "phone-1",
                    },
                )
                replies[idem].append((r.status_code, r.json()))

        await asyncio.gather(*(one(*j) for j in jobs))
    return replies


def check_ledger(sessions, replies) -> dict[str, int]:
    """Assert the invariants; return counts by status."""
    for idem, rs in replies.items():
        assert all(code < 500 for code, _ in rs), rs
        first = rs[0]
        assert all(r == first for r in rs), f"retries of {idem} got different answers: {rs}"
    with sessions() as db:
        n_rows = db.execute(
            select(func.count(Transfer.id)).where(Transfer.idempotency_key.in_(list(replies)))
        ).scalar_one()
        assert n_rows == len(replies), "a transfer was stored twice or lost"
        assert db.execute(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))).scalar_one() == 0
        per_transfer = db.execute(
            select(
                LedgerEntry.transfer_id, func.sum(LedgerEntry.amount_cents), func.count(LedgerEntry.id)
            ).group_by(LedgerEntry.transfer_id)
        ).all()
        assert all(s == 0 and c == 2 for _, s, c in per_transfer)
        completed = db.execute(
            select(func.count(Transfer.id)).where(Transfer.status == "completed")
        ).scalar_one()
        assert completed == len(per_transfer), "a completed transfer without exactly one posting"
        for acc in db.scalars(select(Account)):
            entries = db.execute(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.account_id == acc.id
                )
            ).scalar_one()
            assert entries == acc.balance_cents, f"account {acc.id} balance differs from its entries"
            if not acc.allow_negative:
                assert acc.balance_cents >= 0
        counts = dict(
            db.execute(select(Transfer.status, func.count(Transfer.id)).group_by(Transfer.status)).all()
        )
    return counts
