"""Audit chain: events from requests and decisions, verification, tampering named, redaction keeps
the chain verifiable, native and Python verifiers agree, /logs for admin/auditor only."""

from __future__ import annotations

import hashlib
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
    assert status["ok"] is False and status["first_bad_index"] == 2 and status["reason"] == "hash link broken"


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
