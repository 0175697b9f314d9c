"""PIX: keys need step-up, transfers are idempotent, double-entry, screened for fraud."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from serving_kit import add_key, auth, deposit, enrol_device, make_settings, register, step_up
from sqlalchemy import func, select

from lake.domain.identifiers import cpf_with_digits, is_valid_cnpj, is_valid_cpf
from serving.app import create_app
from serving.db.orm import Account, LedgerEntry
from serving.deps import get_clock
from serving.fraud.screen import RulesFraudScreen, TransferContext
from serving.pix.keys import InvalidPixKey, KeyType, normalise
from serving.security.keys import b64url

NOON_BRT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 12:00 in Sao Paulo
NIGHT_BRT = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 03:00 in Sao Paulo


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("pix"), stepup_amount_cents=100_000))
    app.dependency_overrides[get_clock] = lambda: NOON_BRT
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def bank(client):
    admin = register(client, role="admin")
    alice, bob = register(client), register(client)
    deposit(client, admin, alice["account_id"], 50_000_00)
    bob_key = add_key(client, bob, step_up(client, bob), "EMAIL", "Bob@Example.com")
    return {"admin": admin, "alice": alice, "bob": bob, "bob_key": bob_key}


def _pay(client, user, key, cents, idem=None, token=None, device="dev-1"):
    headers = auth(token or user["access"], **{"X-Device-ID": device})
    if idem is not False:
        headers["Idempotency-Key"] = idem or uuid.uuid4().hex
    return client.post("/pix/transfers", json={"amount_cents": cents, "key": key}, headers=headers)


def test_validators():
    assert is_valid_cpf("529.982.247-25") and is_valid_cpf("52998224725")
    assert not is_valid_cpf("529.982.247-26") and not is_valid_cpf("11111111111") and not is_valid_cpf("123")
    assert is_valid_cnpj("11.222.333/0001-81") and not is_valid_cnpj("11.222.333/0001-82")
    assert is_valid_cpf(cpf_with_digits("123456789"))
    assert normalise(KeyType.PHONE, "+5511987654321") == "+5511987654321"
    with pytest.raises(InvalidPixKey):
        normalise(KeyType.PHONE, "11987654321")
    with pytest.raises(InvalidPixKey):
        normalise(KeyType.EVP, "not-a-uuid")


def test_key_registration_requires_step_up(client, bank):
    r = client.post("/pix/keys", json={"key_type": "EVP"}, headers=auth(bank["alice"]["access"]))
    assert r.status_code == 403
    body = r.json()
    assert body["code"] == "step_up_required" and body["type"].endswith("/step_up_required")
    stepped = step_up(client, bank["alice"])
    evp = add_key(client, bank["alice"], stepped, "EVP")
    assert normalise(KeyType.EVP, evp) == evp
    r = client.post(
        "/pix/keys", json={"key_type": "CPF", "key": cpf_with_digits("987654321")}, headers=auth(stepped)
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_pix_key"  # not the holder's CPF
    # a random key is the bank's to generate: a chosen one could be someone else's key at another bank
    chosen = "2f0c8a9e-7c1b-4d8e-9a57-3b6f1e2d4c5a"
    r = client.post("/pix/keys", json={"key_type": "EVP", "key": chosen}, headers=auth(stepped))
    assert r.status_code == 422 and r.json()["code"] == "invalid_pix_key", r.text
    assert r.json()["errors"][0]["field"] == "body.key"
    keys = client.get("/pix/keys", headers=auth(bank["alice"]["access"])).json()
    key_id = next(k["id"] for k in keys if k["key"] == evp)
    assert client.delete(f"/pix/keys/{key_id}", headers=auth(bank["alice"]["access"])).status_code == 403
    assert client.delete(f"/pix/keys/{key_id}", headers=auth(stepped)).status_code == 204


def test_step_up_rejects_bad_signature_and_replayed_challenge(client, bank):
    u = bank["bob"]
    device_id, key = enrol_device(client, u)
    ch = client.post(
        "/auth/step-up/challenge", json={"device_id": device_id}, headers=auth(u["access"])
    ).json()
    other = ec.generate_private_key(ec.SECP256R1())
    bad = b64url(other.sign(ch["challenge"].encode(), ec.ECDSA(hashes.SHA256())))
    r = client.post(
        "/auth/step-up",
        json={"challenge_id": ch["challenge_id"], "signature": bad},
        headers=auth(u["access"]),
    )
    assert r.status_code == 401 and r.json()["code"] == "invalid_signature"
    good = b64url(key.sign(ch["challenge"].encode(), ec.ECDSA(hashes.SHA256())))
    r = client.post(
        "/auth/step-up",
        json={"challenge_id": ch["challenge_id"], "signature": good},
        headers=auth(u["access"]),
    )
    assert r.status_code == 401 and r.json()["code"] == "invalid_challenge"  # one use only


def test_transfer_needs_idempotency_key(client, bank):
    r = _pay(client, bank["alice"], bank["bob_key"], 100, idem=False)
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_required"


def test_transfer_posts_double_entry_and_replays(client, bank):
    alice, bob = bank["alice"], bank["bob"]
    idem = uuid.uuid4().hex
    r1 = _pay(client, alice, "bob@example.com", 12_345, idem)
    assert r1.status_code == 201, r1.text
    body = r1.json()
    assert body["status"] == "completed" and body["recipient"]["internal"] is True
    assert len(body["end_to_end_id"]) == 32 and body["end_to_end_id"].startswith("E00000000")
    r2 = _pay(client, alice, "bob@example.com", 12_345, idem)
    assert r2.status_code == 201 and r2.json() == body and r2.headers["idempotent-replayed"] == "true"
    r3 = _pay(client, alice, "bob@example.com", 99, idem)
    assert r3.status_code == 409 and r3.json()["code"] == "idempotency_key_conflict"
    assert client.get("/accounts/me", headers=auth(bob["access"])).json()["balance_cents"] == 12_345
    services = client.app.state.services
    with services.sessions() as db:
        rows = db.execute(select(LedgerEntry.amount_cents).where(LedgerEntry.transfer_id == body["id"])).all()
        assert sorted(a for (a,) in rows) == [-12_345, 12_345]
        assert db.execute(select(func.sum(LedgerEntry.amount_cents))).scalar_one() == 0
        assert db.execute(select(func.sum(Account.balance_cents))).scalar_one() == 0


def test_step_up_above_threshold(client, bank):
    r = _pay(client, bank["alice"], bank["bob_key"], 100_001)
    assert r.status_code == 403 and r.json()["code"] == "step_up_required"
    r = _pay(client, bank["alice"], bank["bob_key"], 100_001, token=step_up(client, bank["alice"]))
    assert r.status_code == 201, r.text


def test_insufficient_funds_is_422_and_replayed(client, bank):
    poor = register(client)
    idem = uuid.uuid4().hex
    r = _pay(client, poor, bank["bob_key"], 500, idem)
    assert r.status_code == 422 and r.json()["code"] == "insufficient_funds"
    assert _pay(client, poor, bank["bob_key"], 500, idem).json() == r.json()


def test_external_key_goes_to_clearing(client, bank):
    external = str(uuid.uuid4())
    r = _pay(client, bank["alice"], external, 700)
    assert r.status_code == 201 and r.json()["recipient"] == {
        "key": external,
        "key_type": "EVP",
        "internal": False,
    }
    services = client.app.state.services
    with services.sessions() as db:
        assert (
            db.execute(select(Account.balance_cents).where(Account.code == "pix_clearing")).scalar_one()
            >= 700
        )


def test_fraud_block_is_403_with_reasons(tmp_path):
    app = create_app(make_settings(tmp_path, stepup_amount_cents=10**12))
    app.dependency_overrides[get_clock] = lambda: NIGHT_BRT
    with TestClient(app) as c:
        admin, payer, payee = register(c, role="admin"), register(c), register(c)
        deposit(c, admin, payer["account_id"], 10_000_000)
        key = add_key(c, payee, step_up(c, payee), "EVP")
        idem = uuid.uuid4().hex
        r = _pay(c, payer, key, 900_000, idem, device="brand-new")
        assert r.status_code == 403, r.text
        body = r.json()
        assert body["code"] == "blocked_by_fraud_screen"
        assert set(body["reasons"]) == {
            "amount_above_history",
            "first_time_recipient",
            "night_hours",
            "new_device",
        }
        assert _pay(c, payer, key, 900_000, idem, device="brand-new").json() == body
        assert c.get("/accounts/me", headers=auth(payer["access"])).json()["balance_cents"] == 10_000_000
        assert 'outcome="block"' in c.get("/metrics").text


def _ctx(**over):
    base = dict(
        user_id=1,
        amount_cents=10_000,
        recipient_key="k",
        recipient_internal=True,
        at=NOON_BRT,
        device_id="d",
        n_past_transfers=10,
        max_past_amount_cents=20_000,
        mean_past_amount_cents=8_000,
        paid_recipient_before=True,
        device_seen_before=True,
    )
    base.update(over)
    return TransferContext(**base)


def test_rules_screen():
    s = RulesFraudScreen()
    assert s.score(_ctx()).decision == "approve" and s.score(_ctx()).reasons == []
    d = s.score(_ctx(amount_cents=200_000, device_seen_before=False))
    assert d.decision == "review" and d.probability == pytest.approx(0.7)
    d = s.score(
        _ctx(amount_cents=200_000, device_seen_before=False, paid_recipient_before=False, at=NIGHT_BRT)
    )
    assert d.decision == "block" and d.model_version == "rules-v1"
    assert s.score(_ctx(n_past_transfers=0, amount_cents=500_001)).reasons == ["amount_above_history"]


def test_brcode_generate_and_parse(client, bank):
    bob = bank["bob"]
    keys = client.get("/pix/keys", headers=auth(bob["access"])).json()
    items = keys["items"] if isinstance(keys, dict) else keys
    key = next(k for k in items if k["key"] == bank["bob_key"])
    r = client.post(
        "/pix/brcode",
        json={"key_id": key["id"], "amount_cents": 12345, "txid": "PED123"},
        headers=auth(bob["access"]),
    )
    assert r.status_code == 200, r.text
    code = r.json()["brcode"]
    parsed = client.post("/pix/brcode/parse", json={"brcode": code}, headers=auth(bob["access"]))
    assert parsed.status_code == 200, parsed.text
    body = parsed.json()
    assert body["key"] == bank["bob_key"] and body["amount_cents"] == 12345 and body["txid"] == "PED123"
    bad_crc = code[:-4] + ("0000" if code[-4:] != "0000" else "FFFF")
    r = client.post("/pix/brcode/parse", json={"brcode": bad_crc}, headers=auth(bob["access"]))
    assert r.status_code == 400 and "crc" in r.json()["detail"].lower()
    # another user's key cannot be used
    r = client.post("/pix/brcode", json={"key_id": key["id"]}, headers=auth(bank["alice"]["access"]))
    assert r.status_code == 404


def _reference_context(db, user_id, recipient_key, device_id):
    """The history lookups as separate queries (the one-statement build_context must agree)."""
    from serving.db.orm import Transfer

    mine = (Transfer.user_id == user_id) & (Transfer.kind == "pix") & (Transfer.status.in_(("completed",)))
    n, mx, mean = db.execute(
        select(
            func.count(Transfer.id), func.max(Transfer.amount_cents), func.avg(Transfer.amount_cents)
        ).where(mine)
    ).one()
    paid = db.execute(
        select(Transfer.id).where(mine, Transfer.recipient_key == recipient_key).limit(1)
    ).first()
    seen = (
        device_id is not None
        and db.execute(select(Transfer.id).where(mine, Transfer.device_id == device_id).limit(1)).first()
        is not None
    )
    return int(n or 0), int(mx or 0), int(mean or 0), paid is not None, seen


def _reference_facts(db, user_id, at):
    from serving.db.orm import Device
    from serving.db.orm import Session as LoginSession

    login = db.execute(
        select(func.max(LoginSession.created_at)).where(
            LoginSession.user_id == user_id, LoginSession.created_at < at
        )
    ).scalar()
    device = db.execute(
        select(func.max(Device.created_at)).where(Device.user_id == user_id, Device.created_at < at)
    ).scalar()
    from serving.db.orm import User

    cpf, verified_at = db.execute(select(User.cpf, User.identity_verified_at).where(User.id == user_id)).one()
    return (cpf if verified_at is not None else None), login, device  # a claimed CPF is not used


def test_one_statement_lookups_equal_the_separate_queries(client, bank):
    from serving.fraud.context import build_context
    from serving.scoring import core

    alice, bob = bank["alice"], bank["bob"]
    for cents, device in ((1_000, "dev-a"), (2_500, "dev-b"), (700, "dev-a")):
        assert _pay(client, alice, "bob@example.com", cents, device=device).status_code == 201
    enrol_device(client, bob)  # a device enrolment: user facts with a non-null device date
    services = client.app.state.services
    at = datetime(2030, 1, 1, tzinfo=UTC)
    for user, key, device in [
        (alice, "bob@example.com", "dev-a"),
        (alice, "bob@example.com", "dev-z"),
        (alice, "nobody@example.com", None),
        (bob, "x@example.com", "dev-a"),
    ]:
        with services.read_connections() as db:
            ctx = build_context(
                db,
                user_id=user["id"],
                amount_cents=1,
                recipient_key=key,
                recipient_internal=False,
                device_id=device,
                at=at,
            )
            want = _reference_context(db, user["id"], key, device)
            got = (
                ctx.n_past_transfers,
                ctx.max_past_amount_cents,
                ctx.mean_past_amount_cents,
                ctx.paid_recipient_before,
                ctx.device_seen_before,
            )
            assert got == want
            for when in (at, NOON_BRT, datetime(2000, 1, 1, tzinfo=UTC)):
                assert core.user_facts_in(db, user["id"], when) == _reference_facts(db, user["id"], when)
    assert want[0] == 0 and got[3] is False  # bob has no history; alice's was compared above
    with services.read_connections() as db:
        assert core.user_facts_in(db, bob["id"], at)[2] is not None
    with services.read_connections() as db, pytest.raises(Exception, match="no such user"):
        core.user_facts_in(db, 10**9, at)
