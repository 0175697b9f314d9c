"""Gateway: the receiving customer refunds a PIX transfer (partial and total), idempotent, double-entry,
audited; only the receiver may, within 90 days, never more than was received, also under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from serving_kit import add_key, auth, deposit, make_settings, register, step_up
from sqlalchemy import func, select

from lake.domain import pix_ids
from serving.app import create_app
from serving.db.models import Account, LedgerEntry, Transfer
from serving.deps import get_clock

NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
CLOCK = {"now": NOON}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("refunds"), stepup_amount_cents=100_000))
    app.dependency_overrides[get_clock] = lambda: CLOCK["now"]
    with TestClient(app) as c:
        yield c


@pytest.fixture(autouse=True)
def _noon():
    CLOCK["now"] = NOON
    yield
    CLOCK["now"] = NOON


@pytest.fixture(scope="module")
def bank(client):
    admin = register(client, role="admin")
    alice, bob, carol = register(client), register(client), register(client)
    deposit(client, admin, alice["account_id"], 1_000_000_00)
    bob_key = add_key(client, bob, step_up(client, bob), "EMAIL", f"bob{uuid.uuid4().hex[:6]}@example.com")
    return {"alice": alice, "bob": bob, "carol": carol, "bob_key": bob_key}


def pay(client, payer, key, cents, token=None) -> dict:
    r = client.post(
        "/pix/transfers",
        json={"amount_cents": cents, "key": key},
        headers=auth(
            token or payer["access"], **{"Idempotency-Key": uuid.uuid4().hex, "X-Device-ID": "dev-1"}
        ),
    )
    assert r.status_code == 201, r.text
    return r.json()


def refund(client, user, transfer_id, cents=None, idem=None, token=None, description=None):
    body = {} if cents is None else {"amount_cents": cents}
    if description:
        body["description"] = description
    headers = auth(token or user["access"])
    if idem is not False:
        headers["Idempotency-Key"] = idem or uuid.uuid4().hex
    return client.post(f"/pix/transfers/{transfer_id}/refunds", json=body, headers=headers)


def balance(client, user) -> int:
    services = client.app.state.services
    with services.sessions() as db:
        return db.get(Account, user["account_id"]).balance_cents


def test_partial_then_total_refund_double_entry_and_idempotent(client, bank):
    alice, bob = bank["alice"], bank["bob"]
    t = pay(client, alice, bank["bob_key"], 100_00)
    a0, b0 = balance(client, alice), balance(client, bob)
    r = refund(client, bob, t["id"], 30_00, idem="devolve-1", description="produto trocado")
    assert r.status_code == 201, r.text
    first = r.json()
    assert (
        first["status"] == "completed"
        and first["refund_of"] == t["id"]
        and first["refundable_cents"] == 70_00
    )
    assert pix_ids.is_return_id(first["rtr_id"]) and first["end_to_end_id"] == t["end_to_end_id"]
    assert (balance(client, alice), balance(client, bob)) == (a0 + 30_00, b0 - 30_00)
    again = refund(client, bob, t["id"], 30_00, idem="devolve-1", description="produto trocado")
    assert (
        again.status_code == 201 and again.json() == first and again.headers["idempotent-replayed"] == "true"
    )
    assert (balance(client, alice), balance(client, bob)) == (a0 + 30_00, b0 - 30_00)  # nothing moved twice
    conflict = refund(client, bob, t["id"], 31_00, idem="devolve-1")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_key_conflict"
    over = refund(client, bob, t["id"], 80_00)
    assert over.status_code == 422 and over.json()["code"] == "refund_exceeds_transfer"
    rest = refund(client, bob, t["id"])  # no amount: all that is left
    assert (
        rest.status_code == 201
        and rest.json()["amount_cents"] == 70_00
        and rest.json()["refundable_cents"] == 0
    )
    assert refund(client, bob, t["id"], 1).json()["code"] == "refund_exceeds_transfer"
    assert (balance(client, alice), balance(client, bob)) == (a0 + 100_00, b0 - 100_00)
    services = client.app.state.services
    with services.sessions() as db:
        for refund_id in (first["id"], rest.json()["id"]):
            entries = db.scalars(select(LedgerEntry).where(LedgerEntry.transfer_id == refund_id)).all()
            assert (
                sorted(e.side for e in entries) == ["credit", "debit"]
                and sum(e.amount_cents for e in entries) == 0
            )
            assert db.get(Transfer, refund_id).kind == "pix_refund"
        assert db.execute(select(func.sum(LedgerEntry.amount_cents))).scalar_one() == 0  # the books balance
    for viewer in (alice, bob):
        listed = client.get(f"/pix/transfers/{t['id']}/refunds", headers=auth(viewer["access"])).json()
        assert [x["amount_cents"] for x in listed["refunds"]] == [30_00, 70_00] and listed[
            "refundable_cents"
        ] == 0
    assert (
        client.get(f"/pix/transfers/{t['id']}/refunds", headers=auth(bank["carol"]["access"])).status_code
        == 404
    )
    events = services.audit.query({"action": "pix:refund"}, None, None, 100, 0)
    mine = [e for e in events if e["resource"] == f"transfer:{t['id']}"]
    assert [e["details"]["amount_cents"] for e in mine] == [30_00, 70_00]
    assert all(e["outcome"] == "completed" and e["actor"] for e in mine)


def test_only_the_receiver_refunds_within_90_days(client, bank):
    alice, bob = bank["alice"], bank["bob"]
    t = pay(client, alice, bank["bob_key"], 10_00)
    for other in (alice, bank["carol"]):
        r = refund(client, other, t["id"], 1_00)
        assert r.status_code == 404 and r.json()["code"] == "transfer_not_found"
    assert refund(client, bob, 10**9, 1_00).status_code == 404
    missing = refund(client, bob, t["id"], 1_00, idem=False)
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    assert refund(client, bob, t["id"], 0).status_code == 422  # validation: amount_cents > 0
    first = refund(client, bob, t["id"], 1_00).json()  # a refund is not itself refundable
    assert refund(client, alice, first["id"], 1).status_code == 404
    services = client.app.state.services
    with services.sessions() as db, db.begin():  # the transfer was received 91 days before "now"
        db.get(Transfer, t["id"]).created_at = CLOCK["now"] - timedelta(days=91)
    late = refund(client, bob, t["id"], 1_00)
    assert late.status_code == 422 and late.json()["code"] == "refund_window_expired"


def test_refund_needs_funds_and_step_up_above_the_limit(client, bank):
    alice, bob = bank["alice"], bank["bob"]
    big = pay(client, alice, bank["bob_key"], 200_000, token=step_up(client, alice))
    r = refund(client, bob, big["id"], 150_000)
    assert r.status_code == 403 and r.json()["code"] == "step_up_required"
    stepped = step_up(client, bob)
    # bob spends almost everything first: the refund is then rejected, and stays so on a retry
    alice_key = add_key(client, alice, step_up(client, alice), "EVP")
    # bob's first PIX from dev-1 makes the device known to the fraud screen (a large first transfer
    # from a new device to an unseen key would be held for review)
    first = client.post(
        "/pix/transfers",
        json={"amount_cents": 100, "key": alice_key},
        headers=auth(stepped, **{"Idempotency-Key": uuid.uuid4().hex, "X-Device-ID": "dev-1"}),
    )
    assert first.status_code == 201, first.text
    spend = balance(client, bob) - 1_000
    r = client.post(
        "/pix/transfers",
        json={"amount_cents": spend, "key": alice_key},
        headers=auth(stepped, **{"Idempotency-Key": uuid.uuid4().hex, "X-Device-ID": "dev-1"}),
    )
    assert r.status_code == 201, r.text
    r = refund(client, bob, big["id"], 150_000, idem="sem-saldo", token=stepped)
    assert r.status_code == 422 and r.json()["code"] == "insufficient_funds"
    assert r.json()["refund"]["status"] == "rejected"
    again = refund(client, bob, big["id"], 150_000, idem="sem-saldo", token=stepped)
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"
    assert refund(client, bob, big["id"], 1_000, token=stepped).status_code == 201  # what the balance covers


def test_concurrent_refunds_never_exceed_the_transfer(client, bank):
    alice, bob = bank["alice"], bank["bob"]
    t = pay(client, alice, bank["bob_key"], 100_00)

    async def storm():
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as h:

            async def one(i: int):
                headers = auth(bob["access"], **{"Idempotency-Key": f"conc-{t['id']}-{i}"})
                return await h.post(
                    f"/pix/transfers/{t['id']}/refunds", json={"amount_cents": 30_00}, headers=headers
                )

            return await asyncio.gather(*(one(i) for i in range(8)))

    replies = asyncio.run(storm())
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(201) == 3 and statuses.count(422) == 5  # 3 x 30.00 fit in 100.00
    listed = client.get(f"/pix/transfers/{t['id']}/refunds", headers=auth(bob["access"])).json()
    assert listed["refunded_cents"] == 90_00 and listed["refundable_cents"] == 10_00
