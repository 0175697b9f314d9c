"""Audit chain: events from requests and decisions, verification, tampering named, redaction keeps
the chain verifiable, native and Python verifiers agree, /logs for admin/auditor only."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import uuid

import cofre_native
import pytest
from fastapi.testclient import TestClient
from serving_kit import add_key, auth, deposit, make_settings, register, step_up

from serving.app import create_app
from serving.audit.chain import GENESIS, link_hash, verify_chain_py


@pytest.fixture()
def env(tmp_path):
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as c:
        admin, auditor, alice, bob = (
            register(c, role="admin"),
            register(c, role="auditor"),
            register(c),
            register(c),
        )
        deposit(c, admin, alice["account_id"], 100_000)
        key = add_key(c, bob, step_up(c, bob), "EVP")
        r = c.post(
            "/pix/transfers",
            json={"amount_cents": 1_000, "key": key},
            headers=auth(alice["access"], **{"Idempotency-Key": uuid.uuid4().hex}),
        )
        assert r.status_code == 201
        yield c, tmp_path, {"admin": admin, "auditor": auditor, "alice": alice}


def test_chain_verifies_and_names_tampered_event(env):
    c, home, users = env
    r = c.get("/audit/verify", headers=auth(users["auditor"]["access"]))
    status = r.json()
    assert status["ok"] is True and status["length"] >= 5 and status["first_bad_index"] is None
    decisions = c.get(
        "/logs", params={"action": "decision:fraud"}, headers=auth(users["admin"]["access"])
    ).json()
    assert decisions["count"] == 1 and decisions["events"][0]["model_version"] == "rules-v1"
    # tamper with one event's outcome directly in the log store
    con = sqlite3.connect(home / "logs.db")
    con.execute("UPDATE audit_events SET outcome = 'approve-forged' WHERE seq = 3")
    con.commit()
    con.close()
    status = c.get("/audit/verify", headers=auth(users["auditor"]["access"])).json()
    assert status["ok"] is False and status["first_bad_index"] == 2 and status["first_bad_seq"] == 3


def test_recomputed_hash_breaks_next_link(env):
    c, home, users = env
    con = sqlite3.connect(home / "logs.db")
    # an attacker who rewrites an event's payload and hash still breaks the link to the next event
    ph = hashlib.sha256(b"forged").digest()
    prev = con.execute("SELECT prev_hash FROM audit_events WHERE seq = 2").fetchone()[0]
    con.execute(
        "UPDATE audit_events SET payload_hash=?, hash=?, redacted=1 WHERE seq=2", (ph, link_hash(prev, ph))
    )
    con.commit()
    con.close()
    status = c.get("/audit/verify", headers=auth(users["admin"]["access"])).json()
    # the forged event itself is named now (its flag proves nothing), before the broken link after it
    assert status["ok"] is False and status["first_bad_index"] == 1 and status["first_bad_seq"] == 2


def test_redaction_keeps_chain_valid(env):
    c, _home, users = env
    store = c.app.state.services.audit
    store.redact(2, ("actor", "details"))
    assert store.chain()[1]["actor"] is None
    assert c.get("/audit/verify", headers=auth(users["admin"]["access"])).json()["ok"] is True


def test_logs_require_admin_or_auditor_and_filter(env):
    c, _home, users = env
    r = c.get("/logs", headers=auth(users["alice"]["access"]))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert c.get("/audit/verify", headers=auth(users["alice"]["access"])).status_code == 403
    body = c.get(
        "/logs", params={"outcome": "201", "limit": 2}, headers=auth(users["admin"]["access"])
    ).json()
    assert 0 < body["count"] <= 2 and all(e["outcome"] == "201" for e in body["events"])
    actor = body["events"][0]["actor"]
    assert len(actor) == 32 and str(users["alice"]["id"]) != actor  # pseudonym, not the user id
    assert (
        c.get(
            "/logs", params={"since": "2999-01-01T00:00:00Z"}, headers=auth(users["admin"]["access"])
        ).json()["count"]
        == 0
    )


def _random_chain(n, rng):
    prevs, payloads, hashes = [], [], []
    prev = GENESIS
    for _ in range(n):
        p = rng.randbytes(32)
        h = link_hash(prev, p)
        prevs.append(prev)
        payloads.append(p)
        hashes.append(h)
        prev = h
    return prevs, payloads, hashes


def _tampered_chains():
    rng = random.Random(3)
    for trial in range(40):
        prevs, payloads, hashes = _random_chain(rng.randint(0, 30), rng)
        expected = None
        if prevs and trial % 4:
            i = rng.randrange(len(prevs))
            which = rng.choice(["prev", "payload", "hash"])
            target = {"prev": prevs, "payload": payloads, "hash": hashes}[which]
            target[i] = bytes([target[i][0] ^ 1]) + target[i][1:]
            expected = i
        yield prevs, payloads, hashes, expected


def test_python_verifier_names_first_bad_index():
    for prevs, payloads, hashes, expected in _tampered_chains():
        assert verify_chain_py(prevs, payloads, hashes) == expected


def test_native_verifier_agrees_with_python():
    native = cofre_native.verify_chain
    for prevs, payloads, hashes, expected in _tampered_chains():
        assert native(prevs, payloads, hashes) == verify_chain_py(prevs, payloads, hashes) == expected


# --- issue 14, item 2: redaction must be provable; tail rewrite and truncation against anchors ------


def _sql(home, sql, args=()):
    con = sqlite3.connect(home / "logs.db")
    con.execute(sql, args)
    con.commit()
    con.close()


def _row(home, seq):
    con = sqlite3.connect(home / "logs.db")
    con.row_factory = sqlite3.Row
    row = dict(con.execute("SELECT * FROM audit_events WHERE seq = ?", (seq,)).fetchone())
    con.close()
    return row


def _restore(home, row):
    cols = [k for k in row if k != "seq"]
    _sql(
        home,
        f"UPDATE audit_events SET {', '.join(f'{k} = ?' for k in cols)} WHERE seq = ?",
        [*(row[k] for k in cols), row["seq"]],
    )


def _verify(c, users):
    r = c.get("/audit/verify", headers=auth(users["auditor"]["access"]))
    assert r.status_code == 200, r.text
    return r.json()


def test_redacted_flag_cannot_hide_a_rewritten_event(env):
    """The reported attack: set redacted=1 on an event and change its action, outcome and timestamp."""
    c, home, users = env
    _sql(
        home,
        "UPDATE audit_events SET redacted = 1, action = 'GET /health', outcome = '200', "
        "ts = '2020-01-01T00:00:00.000000Z' WHERE seq = 3",
    )
    status = _verify(c, users)
    assert status["ok"] is False and status["first_bad_seq"] == 3, status


def test_remaining_fields_and_flag_of_a_redacted_event_are_protected(env):
    c, home, users = env
    store = c.app.state.services.audit
    assert store.redact_many([2, 3], ("actor", "resource", "details"), reason="lgpd-erasure") == 2
    assert store.chain()[1]["actor"] is None and store.chain()[1]["redacted"] is True
    assert _verify(c, users)["ok"] is True
    for tamper in (
        "outcome = 'approve-forged'",
        "action = 'GET /health'",
        "ts = '2020-01-01T00:00:00.000000Z'",
        "redacted = 0",  # clearing the flag
        "actor = 'someone-else'",  # a value put back into a removed field
        "model_version = 'forged-1'",
    ):
        before = _row(home, 2)
        _sql(home, f"UPDATE audit_events SET {tamper} WHERE seq = 2")
        status = _verify(c, users)
        assert status["ok"] is False and status["first_bad_seq"] == 2, (tamper, status)
        _restore(home, before)
        assert _verify(c, users)["ok"] is True


def test_removing_a_field_without_a_signed_record_is_detected(env):
    from stellar_sdk import Keypair

    from serving.audit.store import SQLiteAuditStore

    c, home, users = env
    # by hand: the value and its salt removed, the flag set, no record
    row = _row(home, 4)
    salts = json.loads(row["salts"])
    del salts["actor"]
    _sql(
        home,
        "UPDATE audit_events SET actor = NULL, salts = ?, redacted = 1 WHERE seq = 4",
        (json.dumps(salts),),
    )
    status = _verify(c, users)
    assert status["ok"] is False and status["first_bad_seq"] == 4 and "record" in status["reason"], status
    _restore(home, row)
    # a record signed with another key than the installation's audit key
    other = SQLiteAuditStore(home / "logs.db", signer=Keypair.random)
    other.redact_many([4], ("actor",))
    other.close()
    status = _verify(c, users)
    assert status["ok"] is False and status["first_bad_seq"] == 4 and "signed" in status["reason"], status


def _anchor_today(settings):
    from datetime import UTC, datetime

    from lake.audit.trail import export_day
    from pipelines.audit.anchor import anchor_day

    day = datetime.now(UTC).date()
    export_day(day, settings)
    out = anchor_day(day, settings)
    assert out["status"] == "anchored", out
    return out


def _rewrite_from(home, seq, outcome):
    """An attacker with write access: change one event and recompute every later link."""
    from lake.audit.events import payload_hash, sqlite_row
    from serving.audit.store import COLUMNS

    con = sqlite3.connect(home / "logs.db")
    rows = [
        sqlite_row(COLUMNS, r)
        for r in con.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_events ORDER BY seq")
    ]
    prev = bytes(rows[seq - 2]["hash"]) if seq > 1 else GENESIS
    for e in rows[seq - 1 :]:
        if e["seq"] == seq:
            e["outcome"] = outcome
        ph = payload_hash(e)
        h = link_hash(prev, ph)
        con.execute(
            "UPDATE audit_events SET outcome = ?, payload_hash = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (e["outcome"], ph, prev, h, e["seq"]),
        )
        prev = h
    con.commit()
    con.close()


def test_unanchored_tail_is_reported_and_anchored_rewrite_detected(env):
    c, home, users = env
    settings = c.app.state.services.settings
    fresh = _verify(c, users)
    assert fresh["ok"] is True and fresh["anchored_through_seq"] is None
    assert fresh["unanchored_from_seq"] == 1 and fresh["unanchored_count"] == fresh["length"]
    anchored = _anchor_today(settings)
    status = _verify(c, users)
    last = status["anchored_through_seq"]
    assert status["ok"] is True and last == status["length"] and status["unanchored_count"] == 0
    assert status["anchored_root"] == anchored["root"] and status["anchor_tx_hash"] == anchored["tx_hash"]
    status = _verify(c, users)  # the previous call's own audit event came after the anchor
    assert status["ok"] is True and status["anchored_through_seq"] == last
    assert status["unanchored_from_seq"] == last + 1 and status["unanchored_count"] == status["length"] - last
    # a rewrite after the last anchor cannot be detected, but it lies in the range reported unanchored
    _rewrite_from(home, last + 1, "rewritten")
    status = _verify(c, users)
    assert status["ok"] is True and status["unanchored_from_seq"] <= last + 1, status
    # a rewrite of an anchored event, every later link recomputed, is detected against the anchor
    _rewrite_from(home, last - 1, "rewritten")
    status = _verify(c, users)
    assert (
        status["ok"] is False and status["first_bad_seq"] is not None and status["first_bad_seq"] <= last - 1
    )
    assert "anchor" in status["reason"], status


def test_truncation_after_an_anchor_is_detected(env):
    c, home, users = env
    _anchor_today(c.app.state.services.settings)
    last = _verify(c, users)["anchored_through_seq"]
    _sql(home, "DELETE FROM audit_events WHERE seq > ?", (last - 2,))
    status = _verify(c, users)
    assert status["ok"] is False and "truncated" in status["reason"], status
    assert status["first_bad_seq"] == last - 1


def _legacy_store(path, n=6, redacted=(2,)):
    """A log store as cofre wrote it before hash version 2 (and redacted by the old code)."""
    from lake.audit.events import canonical_json, event_fields
    from serving.audit.store import make_event

    con = sqlite3.connect(path)
    con.execute(
        """CREATE TABLE audit_events (
            seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, actor TEXT, action TEXT NOT NULL,
            resource TEXT, outcome TEXT NOT NULL, model_version TEXT, request_id TEXT,
            details TEXT NOT NULL, payload_hash BLOB NOT NULL, prev_hash BLOB NOT NULL,
            hash BLOB NOT NULL, redacted INTEGER NOT NULL DEFAULT 0)"""
    )
    prev = GENESIS
    for seq in range(1, n + 1):
        e = make_event(
            actor=f"actor-{seq}",
            action="GET /accounts/me",
            resource=f"/accounts/{seq}",
            outcome="200",
            ts=f"2025-01-01T00:00:0{seq}.000000Z",
            details={"n": seq},
        )
        ph = hashlib.sha256(canonical_json(event_fields(e))).digest()
        h = link_hash(prev, ph)
        con.execute(
            "INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0)",
            (
                seq,
                e["ts"],
                e["actor"],
                e["action"],
                e["resource"],
                e["outcome"],
                None,
                None,
                json.dumps({"n": seq}),
                ph,
                prev,
                h,
            ),
        )
        prev = h
    for seq in redacted:
        con.execute(
            "UPDATE audit_events SET actor = NULL, resource = NULL, details = '{}', redacted = 1 WHERE seq = ?",
            (seq,),
        )
    con.commit()
    con.close()


def test_store_written_before_v2_is_migrated_once(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cofre.cli import app as cli

    _legacy_store(tmp_path / "logs.db")
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    with TestClient(create_app(make_settings(tmp_path))) as c:
        users = {"auditor": register(c, role="auditor")}
        status = _verify(c, users)  # old events verify, but a v1 redaction proves nothing yet
        assert status["legacy_v1"] == 6 and status["ok"] is False and status["first_bad_seq"] == 2
        assert "record" in status["reason"]
        r = CliRunner().invoke(cli, ["audit", "migrate"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["store"] == {"attested": 1, "seqs": [2]}
        status = _verify(c, users)
        assert status["ok"] is True and status["redacted"] == 1, status
        assert CliRunner().invoke(cli, ["audit", "migrate"]).exit_code == 2  # never a second time
        # the attested event's remaining fields are bound by its record
        before = _row(tmp_path, 2)
        _sql(
            tmp_path, "UPDATE audit_events SET outcome = '500', action = 'DELETE /accounts/me' WHERE seq = 2"
        )
        status = _verify(c, users)
        assert status["ok"] is False and status["first_bad_seq"] == 2, status
        _restore(tmp_path, before)
        # the flag set on another v1 event after the migration is not attested
        _sql(
            tmp_path,
            "UPDATE audit_events SET actor = NULL, resource = NULL, details = '{}', redacted = 1 WHERE seq = 4",
        )
        status = _verify(c, users)
        assert status["ok"] is False and status["first_bad_seq"] == 4, status
        _restore(
            tmp_path,
            _row(tmp_path, 4)
            | {"redacted": 0, "actor": "actor-4", "resource": "/accounts/4", "details": '{"n": 4}'},
        )
        assert _verify(c, users)["ok"] is True
        # redacting a v1 event now removes all its personal fields, with a signed record
        assert c.app.state.services.audit.redact_many([3], ("actor",)) == 1
        row = _row(tmp_path, 3)
        assert (row["actor"], row["resource"], row["details"], row["redacted"]) == (None, None, "{}", 1)
        assert _verify(c, users)["ok"] is True
