"""Login brute force and refresh races (issue 14, items 10 and 14).

Login: per-account throttling with exponential backoff and a temporary lockout that the account
holder is told about (audit event + a security event they can list), answered the same way for
unknown e-mails, and never a lockout an attacker can impose on a client the account already trusts.
Refresh: two parallel refreshes with one token get the same new pair within a short grace window; a
later reuse still revokes the family. Time is an injected clock; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from serving_kit import PASSWORD, auth, make_settings, register

from serving.app import create_app
from serving.deps import get_clock

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    """One gateway for the module (each test registers its own users); its clock only moves forward."""
    tmp_path = tmp_path_factory.mktemp("secauth")
    clock = Clock()
    s = make_settings(
        tmp_path,
        login_max_failures=5,
        login_backoff_base_s=30,
        login_lockout_max_s=900,
        refresh_reuse_grace_s=5,
    )
    app = create_app(s)
    app.dependency_overrides[get_clock] = clock
    with TestClient(app) as c:
        yield c, clock


def _login(client, email, password, ip="10.0.0.1", device_token=None):
    body = {"email": email, "password": password} | ({"device_token": device_token} if device_token else {})
    # no context manager: the app's lifespan (run by the fixture's client) is not run again
    return TestClient(client.app, client=(ip, 4000)).post("/auth/login", json=body)


# --- item 10: login throttling ------------------------------------------------------------------


def test_brute_force_from_many_ips_is_stopped_per_account(gw):
    client, clock = gw
    victim = register(client)
    statuses = []
    for i in range(120):  # 120 wrong passwords from three addresses, no time passing
        r = _login(client, victim["email"], f"wrong password {i}", ip=f"10.1.0.{i % 3}")
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    r = _login(client, victim["email"], PASSWORD, ip="10.1.0.9")  # the right one: still locked
    assert r.status_code == 429
    body = r.json()
    assert body["code"] == "login_temporarily_locked"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(r.headers["retry-after"]) <= 30
    clock.advance(31)  # the lock is temporary
    assert _login(client, victim["email"], PASSWORD).status_code == 200


def test_backoff_doubles_and_is_capped(gw):
    client, clock = gw
    u = register(client)
    for _ in range(4):
        assert _login(client, u["email"], "wrong wrong wrong").status_code == 401
    waits = []
    for _ in range(8):
        assert _login(client, u["email"], "wrong wrong wrong").status_code == 401
        r = _login(client, u["email"], "wrong wrong wrong")
        assert r.status_code == 429
        wait = int(r.headers["retry-after"])
        waits.append(wait)
        clock.advance(wait - 1)  # attempts while locked do not extend the lock ...
        assert _login(client, u["email"], PASSWORD).status_code == 429
        clock.advance(1)
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    assert _login(client, u["email"], PASSWORD).status_code == 200  # success ends the streak
    for _ in range(4):
        assert _login(client, u["email"], "wrong wrong wrong").status_code == 401


def test_lockout_is_notified_to_the_user_and_audited(gw):
    client, clock = gw
    u = register(client)
    for _ in range(12):
        _login(client, u["email"], "wrong wrong wrong")
    clock.advance(60)
    r = _login(client, u["email"], PASSWORD)
    assert r.status_code == 200
    events = client.get("/auth/security-events", headers=auth(r.json()["access_token"])).json()
    locked = [e for e in events if e["kind"] == "login_locked"]
    assert len(locked) == 1  # one notice per lockout, not one per refused attempt
    assert locked[0]["details"]["failures"] == 5
    assert locked[0]["at"].endswith("Z") or locked[0]["at"].endswith("+00:00")
    other = register(client)
    assert client.get("/auth/security-events", headers=auth(other["access"])).json() == []
    audit = client.app.state.services.audit
    actor = client.app.state.services.pseudonym(u["id"])
    rows = audit.query({"action": "auth:login", "outcome": "locked", "actor": actor}, None, None, 100, 0)
    assert len(rows) == 1


def test_attacker_cannot_lock_out_a_trusted_device(gw):
    client, clock = gw
    u = register(client)
    first = _login(client, u["email"], PASSWORD, ip="10.2.0.1")
    device_token = first.json()["device_token"]
    assert device_token
    for i in range(60):  # an hour of an attacker keeping the account locked for clients it does not trust
        clock.advance(60)
        _login(client, u["email"], f"guess {i}", ip=f"10.3.0.{i % 7}")
    assert _login(client, u["email"], PASSWORD, ip="10.2.0.1").status_code == 429
    r = _login(client, u["email"], PASSWORD, ip="10.2.0.1", device_token=device_token)
    assert r.status_code == 200, r.text
    # a device token is bound to its account: it opens no other account's lock
    v = register(client)
    for _ in range(6):
        _login(client, v["email"], "wrong wrong wrong")
    assert _login(client, v["email"], PASSWORD, device_token=device_token).status_code == 429
    # and a forged one counts as no token
    assert _login(client, u["email"], PASSWORD, device_token=device_token[:-2] + "xx").status_code == 429


def test_trusted_device_has_its_own_backoff(gw):
    client, _clock = gw
    u = register(client)
    token = _login(client, u["email"], PASSWORD).json()["device_token"]
    codes = [
        _login(client, u["email"], "wrong wrong wrong", device_token=token).status_code for _ in range(7)
    ]
    assert codes == [401] * 5 + [429] * 2


def test_unknown_email_is_throttled_like_a_known_one(gw):
    client, _clock = gw
    u = register(client)
    known = [_login(client, u["email"], "wrong wrong wrong") for _ in range(7)]
    ghost = f"ghost{uuid.uuid4().hex}@example.com"
    unknown = [_login(client, ghost, "wrong wrong wrong") for _ in range(7)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert [r.json()["code"] for r in known] == [r.json()["code"] for r in unknown]
    assert known[-1].headers["retry-after"] == unknown[-1].headers["retry-after"]


def test_parallel_guesses_cannot_overrun_the_limit(gw):
    client, _clock = gw
    u = register(client)

    async def storm() -> list[int]:
        transport = httpx.ASGITransport(app=client.app, client=("10.4.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
            rs = await asyncio.gather(
                *(c.post("/auth/login", json={"email": u["email"], "password": f"g{i}"}) for i in range(30))
            )
        return [r.status_code for r in rs]

    codes = asyncio.run(storm())
    assert codes.count(401) == 5 and codes.count(429) == 25  # at most the free attempts were tried


# --- item 14: refresh grace window --------------------------------------------------------------


def test_parallel_refresh_with_one_token_keeps_the_user_logged_in(gw):
    client, _clock = gw
    u = register(client)

    async def race() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
            return await asyncio.gather(
                *(c.post("/auth/refresh", json={"refresh_token": u["refresh"]}) for _ in range(2))
            )

    a, b = asyncio.run(race())
    assert a.status_code == b.status_code == 200, (a.text, b.text)
    assert a.json() == b.json()  # the same new pair
    pair = a.json()
    assert client.get("/accounts/me", headers=auth(pair["access_token"])).status_code == 200
    r = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200


def test_reuse_within_grace_returns_the_same_pair_then_reuse_after_revokes(gw):
    client, clock = gw
    u = register(client)
    first = client.post("/auth/refresh", json={"refresh_token": u["refresh"]})
    assert first.status_code == 200
    clock.advance(4)
    again = client.post("/auth/refresh", json={"refresh_token": u["refresh"]})
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["cache-control"] == "no-store"
    clock.advance(2)  # 6 s after the rotation: past the 5 s grace
    late = client.post("/auth/refresh", json={"refresh_token": u["refresh"]})
    assert late.status_code == 401 and late.json()["code"] == "refresh_token_reused"
    pair = first.json()
    assert client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert client.get("/accounts/me", headers=auth(pair["access_token"])).status_code == 401


def test_reuse_after_the_successor_was_used_revokes_even_within_grace(gw):
    client, _clock = gw
    u = register(client)
    second = client.post("/auth/refresh", json={"refresh_token": u["refresh"]}).json()
    third = client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200
    r = client.post("/auth/refresh", json={"refresh_token": u["refresh"]})
    assert r.status_code == 401 and r.json()["code"] == "refresh_token_reused"
    assert client.get("/accounts/me", headers=auth(third.json()["access_token"])).status_code == 401


def test_grace_pair_is_not_stored_in_clear(gw):
    client, _clock = gw
    u = register(client)
    pair = client.post("/auth/refresh", json={"refresh_token": u["refresh"]}).json()
    db = Path(client.app.state.services.settings.home) / "cofre.db"
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(FULL)")
        cols = [r[1] for r in con.execute("PRAGMA table_info(refresh_tokens)")]
        rows = con.execute("SELECT * FROM refresh_tokens").fetchall()
    finally:
        con.close()
    assert "successor_sealed" in cols
    dump = repr(rows).encode()
    for secret in (pair["refresh_token"], pair["access_token"], u["refresh"]):
        assert secret.encode() not in dump
    raw = b"".join(p.read_bytes() for p in db.parent.glob("cofre.db*"))
    for secret in (pair["refresh_token"], pair["access_token"]):
        assert secret.encode() not in raw
