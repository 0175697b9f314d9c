"""Audit trail for auditors (embedded profile): export to audit.events (re-runs add nothing), daily
Merkle root anchored on Stellar through the Horizon sandbox over real loopback HTTP, `cofre audit
prove` / `verify` (with the anchoring public key), tampering in the lake or in the store named, and
Open Finance pulls stopping after a consent is revoked in the registry."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from datetime import UTC, datetime

import polars as pl
import pytest
from deltalake import DeltaTable
from fastapi.testclient import TestClient
from serving_kit import add_key, auth, deposit, register, step_up
from typer.testing import CliRunner
from uvicorn_kit import serve

from lake import delta
from lake.audit import anchoring
from lake.audit import trail as audit_trail
from lake.settings import get_settings


@pytest.fixture(scope="module")
def horizon():
    from lake.settings import load_settings
    from sandbox.horizon import create_app

    with serve(create_app(load_settings())) as url:
        yield url


@pytest.fixture()
def env(tmp_path, monkeypatch, horizon):
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    monkeypatch.setenv("COFRE_RATE_LIMIT", "100000/minute")
    monkeypatch.setenv("COFRE_HORIZON_URL", horizon)
    get_settings.cache_clear()
    from serving.app import create_app

    app = create_app(get_settings())
    with TestClient(app) as c:
        admin, alice, bob = register(c, role="admin"), register(c), register(c)
        deposit(c, admin, alice["account_id"], 10_000)
        key = add_key(c, bob, step_up(c, bob), "EVP")
        r = c.post(
            "/pix/transfers",
            json={"amount_cents": 500, "key": key},
            headers=auth(alice["access"], **{"Idempotency-Key": uuid.uuid4().hex}),
        )
        assert r.status_code == 201
        yield c, get_settings(), tmp_path


def _cli(*args: str):
    from cofre.cli import app

    return CliRunner().invoke(app, list(args))


def test_export_anchor_prove_verify(env):
    c, s, _ = env
    day = datetime.now(UTC).date()
    first = audit_trail.export_day(day, s)
    assert first["events"] >= 8 and first["inserted"] == first["events"]
    again = audit_trail.export_day(day, s)
    assert again["inserted"] == 0 and delta.row_count("audit.events", settings=s) == first["events"]
    r = _cli("audit", "anchor", "--day", day.isoformat())
    assert r.exit_code == 0, r.output
    anchored = json.loads(r.output)
    assert anchored["status"] == "anchored" and anchored["submitted"] is True
    anc = audit_trail.anchors(s).row(0, named=True)
    assert json.loads(anc["horizon_response"])["hash"] == anc["tx_hash"] == anchored["tx_hash"]
    assert _cli("audit", "anchor", "--day", day.isoformat()).output.count("already_anchored") == 1
    # the root anchored is the Merkle root of the day's event hashes
    events = delta.read("audit.events", settings=s).sort("seq")
    assert anc["root"] == audit_trail.merkle_root([bytes.fromhex(h) for h in events["event_hash"]]).hex()
    assert set(events["anchor_tx"].to_list()) == {anc["tx_hash"]}
    eid = events["event_id"][3]
    r = _cli("audit", "prove", eid)
    assert r.exit_code == 0, r.output
    proof = json.loads(r.output)
    assert proof["proof_verifies"] is True and proof["root"] == anc["root"]
    assert proof["anchor"]["tx_hash"] == anc["tx_hash"] and proof["leaf"] == eid
    import cofre_native

    path = [(bytes.fromhex(p["sibling"]), p["sibling_is_left"]) for p in proof["proof"]]
    assert cofre_native.verify_merkle_proof(bytes.fromhex(proof["leaf"]), path, bytes.fromhex(anc["root"]))
    assert not cofre_native.verify_merkle_proof(bytes(32), path, bytes.fromhex(anc["root"]))
    pub = anchoring.public_key(s)
    r = _cli("audit", "verify", "--public-key", pub, "--store")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert (
        rep["lake_chain"]["ok"] and rep["store_chain"]["ok"] and rep["anchors"][0]["ok"] and rep["proofs_ok"]
    )
    assert rep["status"] == "verified" and rep["events_verified"] == first["events"]
    assert _cli("audit", "verify", "--require-events").exit_code == 0
    from stellar_sdk import Keypair

    r = _cli("audit", "verify", "--public-key", Keypair.random().public_key)
    assert r.exit_code == 1 and "signature does not verify" in r.output


def test_verify_says_empty_on_an_empty_trail_and_require_events_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    r = _cli("audit", "verify")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["status"] == "empty" and rep["events_verified"] == 0
    assert "empty" in rep["warnings"][0] and "EMPTY" in r.stderr
    r = _cli("audit", "verify", "--require-events")
    assert r.exit_code == 1 and json.loads(r.stdout)["status"] == "empty"


def test_tampered_lake_record_is_named(env):
    c, s, _ = env
    day = datetime.now(UTC).date()
    audit_trail.export_day(day, s)
    events = delta.read("audit.events", settings=s).sort("seq")
    victim = events.row(4, named=True)
    forged = victim["payload"].replace(f'"outcome":"{victim["outcome"]}"', '"outcome":"forged"')
    assert forged != victim["payload"]
    DeltaTable(delta.table_uri("audit.events", s)).update(
        updates={"payload": "'" + forged.replace("'", "''") + "'", "outcome": "'forged'"},
        predicate=f"event_id = '{victim['event_id']}'",
    )
    r = _cli("audit", "verify")
    assert r.exit_code == 1
    chain = json.loads(r.output)["lake_chain"]
    assert chain["first_bad_seq"] == victim["seq"] and chain["first_bad_event_id"] == victim["event_id"]
    assert chain["reason"] == "payload does not match its payload hash"


def test_tampered_store_record_is_named(env):
    c, s, home = env
    con = sqlite3.connect(home / "logs.db")
    con.execute("UPDATE audit_events SET outcome = 'approve-forged' WHERE seq = 4")
    con.commit()
    con.close()
    r = _cli("audit", "verify", "--store")
    rep = json.loads(r.output)
    assert r.exit_code == 1 and rep["store_chain"]["first_bad_seq"] == 4


def test_open_finance_pull_stops_after_revocation(env):
    from fixtures_world import make_world

    from pipelines.audit.consents import propagate_revocations, pullable_consents
    from pipelines.sources.open_finance.client import ConsentRevokedError, OpenFinanceClient
    from sandbox.open_finance.server import create_app as of_app

    c, s, _ = env
    world = make_world(n_customers=3, seed=3)
    cpf = world["customers"]["cpf"][0]
    user = register(c)
    of = OpenFinanceClient.from_settings(s, app=of_app(world, s))

    async def scenario() -> None:
        consent = await of.create_consent(cpf, ["ACCOUNTS_READ", "RESOURCES_READ"])
        cid = consent.consentId
        r = c.post(
            "/lgpd/consents/open_finance_sharing", json={"external_ref": cid}, headers=auth(user["access"])
        )
        assert r.status_code == 201
        assert pullable_consents([cid], s) == [cid]
        assert isinstance(await of.accounts(cid), list)
        assert await propagate_revocations(s, client=of) == []  # nothing revoked yet
        assert (
            c.delete("/lgpd/consents/open_finance_sharing", headers=auth(user["access"])).status_code == 200
        )
        assert pullable_consents([cid], s) == []
        done = await propagate_revocations(s, client=of)
        assert [(d["user_id"], d["external_ref"], d["result"]) for d in done] == [
            (user["id"], cid, "revoked")
        ]
        with pytest.raises(ConsentRevokedError):
            await of.accounts(cid)
        assert await propagate_revocations(s, client=of) == []  # propagated once
        await of.aclose()

    asyncio.run(scenario())


# --- issue 14, item 2 -------------------------------------------------------------------------------


def _lake_update(s, predicate, **updates):
    DeltaTable(delta.table_uri("audit.events", s)).update(updates=updates, predicate=predicate)


def test_redacted_flag_attack_on_the_store_fails_cli_verify(env):
    """The reported attack against `cofre audit verify`: redacted=1 plus a new action, outcome and
    timestamp on an event of the SQLite log store."""
    c, s, home = env
    con = sqlite3.connect(home / "logs.db")
    con.execute(
        "UPDATE audit_events SET redacted = 1, action = 'GET /health', outcome = '200', "
        "ts = '2020-01-01T00:00:00.000000Z' WHERE seq = 4"
    )
    con.commit()
    con.close()
    r = _cli("audit", "verify", "--store")
    rep = json.loads(r.output)
    assert r.exit_code == 1 and rep["store_chain"]["first_bad_seq"] == 4, rep["store_chain"]


def test_redacted_flag_attack_in_the_lake_fails_cli_verify(env):
    c, s, _ = env
    day = datetime.now(UTC).date()
    audit_trail.export_day(day, s)
    victim = delta.read("audit.events", settings=s).sort("seq").row(3, named=True)
    _lake_update(
        s,
        f"event_id = '{victim['event_id']}'",
        redacted="true",
        action="'GET /health'",
        outcome="'200'",
        occurred_at="'2020-01-01T00:00:00Z'",
    )
    r = _cli("audit", "verify")
    chain = json.loads(r.output)["lake_chain"]
    assert r.exit_code == 1 and chain["first_bad_seq"] == victim["seq"], chain


def test_hiding_personal_fields_in_the_lake_needs_a_signed_record(env):
    c, s, _ = env
    day = datetime.now(UTC).date()
    audit_trail.export_day(day, s)
    victim = delta.read("audit.events", settings=s).sort("seq").row(2, named=True)
    assert victim["openings"] is not None and victim["actor_pk"] is not None
    _lake_update(
        s,
        f"event_id = '{victim['event_id']}'",
        redacted="true",
        openings="NULL",
        actor_pk="NULL",
        resource_type="NULL",
        resource_id="NULL",
    )
    r = _cli("audit", "verify")
    chain = json.loads(r.output)["lake_chain"]
    assert r.exit_code == 1 and chain["first_bad_seq"] == victim["seq"] and "record" in chain["reason"], chain


def test_store_redaction_is_proven_in_the_lake_and_its_rows_protected(env):
    c, s, _ = env
    store = c.app.state.services.audit
    assert store.redact_many([2, 3], ("actor", "resource", "details"), reason="lgpd-erasure") == 2
    day = datetime.now(UTC).date()
    out = audit_trail.export_day(day, s)
    assert out["redaction_records"] == 2
    rows = delta.read("audit.events", settings=s).sort("seq")
    red = rows.filter(pl.col("redacted"))
    assert red["seq"].to_list() == [2, 3] and red["openings"].to_list() == [None, None]
    assert all(p is not None for p in red["payload"].to_list())  # no personal data in a v2 payload
    r = _cli("audit", "verify", "--store")
    rep = json.loads(r.output)
    assert r.exit_code == 0, rep
    assert rep["lake_chain"]["redacted"] == 2 and rep["store_chain"]["redacted"] == 2
    _lake_update(s, "seq = 3", outcome="'approve-forged'")
    r = _cli("audit", "verify")
    chain = json.loads(r.output)["lake_chain"]
    assert r.exit_code == 1 and chain["first_bad_seq"] == 3, chain


def test_cli_reports_the_unanchored_tail_and_detects_truncation(env):
    c, s, _ = env
    day = datetime.now(UTC).date()
    audit_trail.export_day(day, s)
    assert _cli("audit", "anchor", "--day", day.isoformat()).exit_code == 0
    last = int(audit_trail.anchors(s)["last_seq"][0])
    admin = register(c, role="admin")  # more events after the anchor
    c.get("/logs", headers=auth(admin["access"]))
    audit_trail.export_day(day, s)
    r = _cli("audit", "verify", "--store")
    rep = json.loads(r.output)
    assert r.exit_code == 0, json.dumps(rep, indent=1)
    for cov in (rep["lake_anchoring"], rep["store_chain"]):
        assert cov["anchored_through_seq"] == last and cov["unanchored_from_seq"] == last + 1
        assert cov["unanchored_count"] >= 2
    assert any("after the last anchor" in w for w in rep["warnings"])
    # truncation of the lake's chain after the anchor: the anchored root no longer matches
    DeltaTable(delta.table_uri("audit.events", s)).delete(f"seq > {last - 2}")
    r = _cli("audit", "verify")
    rep = json.loads(r.output)
    assert r.exit_code == 1 and not rep["lake_anchoring"]["ok"], rep["lake_anchoring"]
    assert "truncated" in rep["lake_anchoring"]["reason"]
