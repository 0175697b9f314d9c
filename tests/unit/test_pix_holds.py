"""PIX transfers the fraud screen sends to review are held, not posted: the amount is reserved (balance
unchanged, available balance reduced), an admin releases (ledger posts) or refuses (reservation
released), an unreviewed hold expires after BACEN's analysis window (30 min by day, 60 min at night),
the customer is told at every step (notifications + transfer status), every transition is audited,
and the double-entry ledger holds under concurrent transfers, releases and refusals.

The screen is the real RulesFraudScreen: a new account's first PIX above the new-device allowance
(R$ 200) from a device never used for PIX to a key it never paid scores 0.52 (review).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from serving_kit import add_key, auth, deposit, make_settings, register, step_up
from sqlalchemy import func, select

from serving.app import create_app
from serving.db.models import Account, LedgerEntry, Transfer
from serving.deps import get_clock

NOON_BRT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo (daytime: 30-minute window)
NIGHT_BRT = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 22:00 in São Paulo (night: 60-minute window)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    async def __call__(self) -> datetime:
        return self.now


@pytest.fixture()
def env(tmp_path):
    clock = Clock(NOON_BRT)
    app = create_app(make_settings(tmp_path, stepup_amount_cents=10**12))
    app.dependency_overrides[get_clock] = clock
    with TestClient(app) as c:
        admin, payer, payee = register(c, role="admin"), register(c), register(c)
        deposit(c, admin, payer["account_id"], 100_000)
        key = add_key(c, payee, step_up(c, payee), "EVP")
        yield {"c": c, "clock": clock, "admin": admin, "payer": payer, "payee": payee, "key": key}


def _pay(c, user, key, cents, idem=None, device="new-phone"):
    headers = auth(user["access"], **{"Idempotency-Key": idem or uuid.uuid4().hex, "X-Device-ID": device})
    return c.post("/pix/transfers", json={"amount_cents": cents, "key": key}, headers=headers)


def _account(c, user) -> dict:
    r = c.get("/accounts/me", headers=auth(user["access"]))
    assert r.status_code == 200, r.text
    return r.json()


def _notifications(c, user) -> list[dict]:
    r = c.get("/notifications", headers=auth(user["access"]))
    assert r.status_code == 200, r.text
    return r.json()


def _audit(c, action: str) -> list[dict]:
    return [e for e in c.app.state.services.audit.chain() if e.get("action") == action]


def _entries(c, transfer_id: int) -> list[int]:
    with c.app.state.services.sessions() as db:
        rows = db.execute(select(LedgerEntry.amount_cents).where(LedgerEntry.transfer_id == transfer_id))
        return sorted(a for (a,) in rows)


def _ledger_sum(c) -> int:
    with c.app.state.services.sessions() as db:
        return db.execute(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))).scalar_one()


def test_review_holds_the_transfer_and_reserves_the_amount(env):
    c, payer, payee = env["c"], env["payer"], env["payee"]
    idem = uuid.uuid4().hex
    r = _pay(c, payer, env["key"], 30_000, idem)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "held" and body["fraud"]["decision"] == "review"
    assert "análise" in body["message"] and "R$ 300,00" in body["message"]
    assert datetime.fromisoformat(body["hold_expires_at"]) == NOON_BRT + timedelta(minutes=30)
    assert body["balance_cents"] == 100_000 and body["available_cents"] == 70_000
    # nothing moved: no ledger entry, the payee has nothing, the balance is intact but 300 is reserved
    assert _entries(c, body["id"]) == [] and _ledger_sum(c) == 0
    assert _account(c, payer) == {
        "id": payer["account_id"],
        "balance_cents": 100_000,
        "held_cents": 30_000,
        "available_cents": 70_000,
    }
    assert _account(c, payee)["balance_cents"] == 0
    # a retry with the same Idempotency-Key answers the same held response, and holds nothing more
    again = _pay(c, payer, env["key"], 30_000, idem)
    assert again.status_code == 202 and again.json() == body
    assert again.headers["idempotent-replayed"] == "true"
    assert _account(c, payer)["held_cents"] == 30_000
    # the customer sees the status and was told, in Portuguese
    t = c.get(f"/pix/transfers/{body['id']}", headers=auth(payer["access"]))
    assert t.status_code == 200 and t.json()["status"] == "held"
    listed = c.get("/pix/transfers", headers=auth(payer["access"])).json()
    assert [x["id"] for x in listed if x["status"] == "held"] == [body["id"]]
    (note,) = _notifications(c, payer)
    assert note["kind"] == "pix_held" and note["transfer_id"] == body["id"] and note["read_at"] is None
    assert "análise" in note["message"] and "R$ 300,00" in note["message"]
    # another customer sees neither the transfer nor the notification
    assert c.get(f"/pix/transfers/{body['id']}", headers=auth(payee["access"])).status_code == 404
    assert _notifications(c, payee) == []
    r = c.post(f"/notifications/{note['id']}/read", headers=auth(payee["access"]))
    assert r.status_code == 404
    r = c.post(f"/notifications/{note['id']}/read", headers=auth(payer["access"]))
    assert r.status_code == 200 and r.json()["read_at"] is not None
    (ev,) = _audit(c, "pix:hold")
    assert ev["resource"] == f"transfer:{body['id']}" and ev["outcome"] == "held"


def test_held_amount_is_not_available_to_other_transfers(env):
    c, payer = env["c"], env["payer"]
    assert _pay(c, payer, env["key"], 80_000).status_code == 202  # R$ 800 held of R$ 1 000
    r = _pay(c, payer, env["key"], 20_001)  # would be held too, but only R$ 200 is available
    assert r.status_code == 422 and r.json()["code"] == "insufficient_funds"
    ok = _pay(c, payer, env["key"], 15_000)  # within the new-device allowance: approved and posted
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] == "completed" and ok.json()["available_cents"] == 5_000
    assert _account(c, payer) == {
        "id": payer["account_id"],
        "balance_cents": 85_000,
        "held_cents": 80_000,
        "available_cents": 5_000,
    }
    assert _pay(c, payer, env["key"], 5_001).json()["code"] == "insufficient_funds"


def test_release_posts_the_ledger_and_tells_the_customer(env):
    c, admin, payer, payee = env["c"], env["admin"], env["payer"], env["payee"]
    idem = uuid.uuid4().hex
    held = _pay(c, payer, env["key"], 30_000, idem).json()
    queue = c.get("/admin/pix/holds", headers=auth(admin["access"]))
    assert queue.status_code == 200, queue.text
    (item,) = queue.json()
    assert item["id"] == held["id"] and item["amount_cents"] == 30_000
    assert item["fraud"]["reasons"] == held["fraud"]["reasons"]
    env["clock"].now = NOON_BRT + timedelta(minutes=10)
    r = c.post(
        f"/admin/pix/transfers/{held['id']}/release",
        json={"note": "cliente confirmou por telefone"},
        headers=auth(admin["access"]),
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "completed" and out["review"]["outcome"] == "released"
    assert datetime.fromisoformat(out["review"]["at"]) == NOON_BRT + timedelta(minutes=10)
    assert _entries(c, held["id"]) == [-30_000, 30_000] and _ledger_sum(c) == 0
    assert _account(c, payer) == {
        "id": payer["account_id"],
        "balance_cents": 70_000,
        "held_cents": 0,
        "available_cents": 70_000,
    }
    assert _account(c, payee)["balance_cents"] == 30_000
    assert (
        c.get(f"/pix/transfers/{held['id']}", headers=auth(payer["access"])).json()["status"] == "completed"
    )
    kinds = [n["kind"] for n in _notifications(c, payer)]
    assert kinds == ["pix_released", "pix_held"]  # newest first
    assert "concluído" in _notifications(c, payer)[0]["message"]
    (ev,) = _audit(c, "pix:release")
    assert ev["actor"] == c.app.state.services.pseudonym(admin["id"]) and ev["outcome"] == "completed"
    assert ev["details"]["note"] == "cliente confirmou por telefone"
    # a second review finds nothing to review; the original request still replays its original answer
    again = c.post(f"/admin/pix/transfers/{held['id']}/refuse", json={}, headers=auth(admin["access"]))
    assert again.status_code == 409 and again.json()["code"] == "transfer_not_held"
    assert _pay(c, payer, env["key"], 30_000, idem).json() == held
    assert c.get("/admin/pix/holds", headers=auth(admin["access"])).json() == []


def test_refusal_releases_the_reservation_and_moves_nothing(env):
    c, admin, payer, payee = env["c"], env["admin"], env["payer"], env["payee"]
    held = _pay(c, payer, env["key"], 30_000).json()
    r = c.post(
        f"/admin/pix/transfers/{held['id']}/refuse",
        json={"note": "golpe do falso parente"},
        headers=auth(admin["access"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refused" and r.json()["review"]["outcome"] == "refused"
    assert _entries(c, held["id"]) == [] and _ledger_sum(c) == 0
    assert _account(c, payer) == {
        "id": payer["account_id"],
        "balance_cents": 100_000,
        "held_cents": 0,
        "available_cents": 100_000,
    }
    assert _account(c, payee)["balance_cents"] == 0
    latest = _notifications(c, payer)[0]
    assert latest["kind"] == "pix_refused" and "não foi realizado" in latest["message"]
    (ev,) = _audit(c, "pix:refuse")
    assert ev["outcome"] == "refused" and ev["resource"] == f"transfer:{held['id']}"


def test_only_another_admin_reviews(env):
    c, admin, payer = env["c"], env["admin"], env["payer"]
    held = _pay(c, payer, env["key"], 30_000).json()
    for path in (f"/admin/pix/transfers/{held['id']}/release", "/admin/pix/holds"):
        call = c.get if path.endswith("holds") else c.post
        r = call(path, headers=auth(payer["access"]))
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = c.post("/admin/pix/transfers/999999/release", json={}, headers=auth(admin["access"]))
    assert r.status_code == 404 and r.json()["code"] == "transfer_not_found"
    # four eyes: an admin does not review a transfer they made
    deposit(c, admin, admin["account_id"], 100_000)
    own = _pay(c, admin, env["key"], 30_000).json()
    assert own["status"] == "held"
    r = c.post(f"/admin/pix/transfers/{own['id']}/release", json={}, headers=auth(admin["access"]))
    assert r.status_code == 403 and r.json()["code"] == "own_transfer"
    other = register(c, role="admin")
    r = c.post(f"/admin/pix/transfers/{own['id']}/release", json={}, headers=auth(other["access"]))
    assert r.status_code == 200 and r.json()["status"] == "completed"


@pytest.mark.parametrize(("start", "window"), [(NOON_BRT, 30), (NIGHT_BRT, 60)])
def test_an_unreviewed_hold_expires_after_the_analysis_window(env, start, window):
    c, admin, payer = env["c"], env["admin"], env["payer"]
    env["clock"].now = start
    held = _pay(c, payer, env["key"], 30_000).json()
    assert datetime.fromisoformat(held["hold_expires_at"]) == start + timedelta(minutes=window)
    env["clock"].now = start + timedelta(minutes=window - 1)
    assert _account(c, payer)["held_cents"] == 30_000
    env["clock"].now = start + timedelta(minutes=window)
    assert _account(c, payer) == {
        "id": payer["account_id"],
        "balance_cents": 100_000,
        "held_cents": 0,
        "available_cents": 100_000,
    }
    t = c.get(f"/pix/transfers/{held['id']}", headers=auth(payer["access"])).json()
    assert t["status"] == "refused" and t["review"]["outcome"] == "expired"
    assert _notifications(c, payer)[0]["kind"] == "pix_expired"
    r = c.post(f"/admin/pix/transfers/{held['id']}/release", json={}, headers=auth(admin["access"]))
    assert r.status_code == 409 and r.json()["code"] == "transfer_not_held"
    (ev,) = _audit(c, "pix:hold_expired")
    assert ev["outcome"] == "refused" and ev["actor"] is None


# --- concurrency: holds, releases and refusals racing ----------------------------------------------


async def _race(app, users, keys, admins, n: int, seed: int = 11) -> tuple[dict, list]:
    """n distinct transfers (some retried concurrently) while two admins race to review every hold."""
    rng = random.Random(seed)
    plan = []
    for i in range(n):
        payer, payee = rng.sample(users, 2)
        # a fresh device per transfer: above R$ 200 to a key never paid it is held; small ones pass
        cents = rng.choice([rng.randint(100, 20_000), rng.randint(20_001, 60_000)])
        plan.append((payer, keys[payee["id"]], cents, uuid.uuid4().hex, f"dev-{i}"))
    jobs = [p for p in plan for _ in range(1 + (rng.random() < 0.3))]
    rng.shuffle(jobs)
    replies: dict[str, list] = {}
    reviews: list = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=120) as client:
        sem = asyncio.Semaphore(24)
        done = asyncio.Event()

        async def pay(payer, key, cents, idem, device):  # noqa: ANN001
            async with sem:
                r = await client.post(
                    "/pix/transfers",
                    json={"amount_cents": cents, "key": key},
                    headers=auth(payer["access"], **{"Idempotency-Key": idem, "X-Device-ID": device}),
                )
                replies.setdefault(idem, []).append((r.status_code, r.json()))

        async def reviewer(admin, rng_r: random.Random):  # noqa: ANN001
            while True:
                finished = done.is_set()
                r = await client.get("/admin/pix/holds", headers=auth(admin["access"]))
                assert r.status_code == 200, r.text
                for h in r.json():
                    verb = rng_r.choice(["release", "refuse"])
                    rr = await client.post(
                        f"/admin/pix/transfers/{h['id']}/{verb}", json={}, headers=auth(admin["access"])
                    )
                    reviews.append((h["id"], verb, rr.status_code, rr.json()))
                if finished and not r.json():
                    return
                await asyncio.sleep(0)

        revs = [asyncio.create_task(reviewer(a, random.Random(seed + k))) for k, a in enumerate(admins)]
        await asyncio.gather(*(pay(*j) for j in jobs))
        done.set()
        await asyncio.gather(*revs)
    return replies, reviews


def test_holds_releases_and_refusals_keep_the_ledger_balanced_under_concurrency(tmp_path):
    app = create_app(make_settings(tmp_path, stepup_amount_cents=10**12))
    app.dependency_overrides[get_clock] = Clock(NOON_BRT)
    with TestClient(app) as c:
        root = register(c, role="admin")
        admins = [register(c, role="admin") for _ in range(2)]
        users = [register(c) for _ in range(6)]
        keys = {}
        for u in users:
            deposit(c, root, u["account_id"], 150_000)  # tight: some transfers must fail for funds
            keys[u["id"]] = add_key(c, u, step_up(c, u), "EVP")
    replies, reviews = asyncio.run(_race(app, users, keys, admins, 160))
    for idem, rs in replies.items():
        assert all(code < 500 for code, _ in rs), rs
        assert all(r == rs[0] for r in rs), f"retries of {idem} got different answers: {rs}"
    first = Counter(rs[0][0] for rs in replies.values())
    assert first[202] > 0 and first[201] > 0 and first[422] > 0, first
    # each hold was reviewed exactly once; the losing reviewer got 409, never a second posting
    outcome = Counter()
    for tid, _verb, code, _body in reviews:
        assert code in (200, 409), (tid, code)
        outcome[tid] += code == 200
    assert set(outcome.values()) == {1} and len(outcome) == first[202]
    with app.state.services.sessions() as db:
        assert db.execute(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))).scalar_one() == 0
        statuses = Counter(
            dict(db.execute(select(Transfer.status, func.count()).group_by(Transfer.status)).all())
        )
        assert statuses["held"] == 0 and statuses["refused"] > 0
        for t in db.scalars(select(Transfer).where(Transfer.kind == "pix")):
            n = len(db.execute(select(LedgerEntry.id).where(LedgerEntry.transfer_id == t.id)).all())
            assert n == (2 if t.status == "completed" else 0), (t.id, t.status, n)
        for acc in db.scalars(select(Account)):
            entries = db.execute(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.account_id == acc.id
                )
            ).scalar_one()
            assert entries == acc.balance_cents and acc.held_cents == 0
            assert acc.allow_negative or acc.balance_cents >= 0
    assert len(_audit(c, "pix:hold")) == first[202]
    assert len(_audit(c, "pix:release")) + len(_audit(c, "pix:refuse")) == first[202]


def test_notifications_are_in_the_access_export_and_erased_with_the_person(env):
    from serving.db.models import Notification
    from serving.lgpd.erasure import erase_sql
    from serving.lgpd.export import sql_rows
    from serving.lgpd.subject import load_subject

    c, payer = env["c"], env["payer"]
    held = _pay(c, payer, env["key"], 30_000).json()
    services = c.app.state.services
    with services.sessions() as db:
        subj = load_subject(services, db, payer["id"])
        rows = sql_rows(db, subj)["notifications"]
        assert [(n["kind"], n["transfer_id"]) for n in rows] == [("pix_held", held["id"])]
    with services.sessions() as db:
        assert erase_sql(db, subj)["notifications"] == 1
    with services.sessions() as db:
        assert db.execute(select(func.count(Notification.id))).scalar_one() == 0
