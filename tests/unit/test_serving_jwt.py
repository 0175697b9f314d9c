"""JWT attack tests and refresh-token rotation: every forged or stale token is refused with 401 problem."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from serving_kit import auth, make_settings, register

from serving.app import create_app
from serving.deps import get_clock
from serving.security.keys import KeyStore, jwk_thumbprint, public_jwk


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("jwt")))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def user(client):
    return register(client)


def _claims(client, user, **over):
    s = client.app.state.services.settings
    now = int(time.time())
    c = {
        "iss": s.jwt_issuer,
        "aud": s.jwt_audience,
        "sub": str(user["id"]),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "sid": jwt.decode(user["access"], options={"verify_signature": False})["sid"],
        "role": "admin",
        "amr": ["pwd"],
    }
    c.update(over)
    return c


def _sign(client, claims, **headers):
    key = client.app.state.services.keys.active()
    return jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": key.kid, **headers})


def _assert_refused(client, token, detail_part=None):
    r = client.get("/accounts/me", headers=auth(token))
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 401 and body["type"].endswith("/invalid_token")
    if detail_part:
        assert detail_part in body["detail"]


def test_valid_token_accepted(client, user):
    assert client.get("/accounts/me", headers=auth(user["access"])).status_code == 200
    assert client.get("/accounts/me", headers=auth(_sign(client, _claims(client, user)))).status_code == 200


def test_alg_none_refused(client, user):
    head = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(_claims(client, user)).encode()).rstrip(b"=").decode()
    _assert_refused(client, f"{head}.{body}.", "algorithm")


def test_hs256_with_public_key_refused(client, user):
    key = client.app.state.services.keys.active()
    pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # craft the HMAC token by hand: pyjwt refuses to use a PEM key as an HMAC secret
    import hashlib
    import hmac

    def b64(d: bytes) -> str:
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()

    signing_input = (
        b64(json.dumps({"alg": "HS256", "kid": key.kid}).encode())
        + "."
        + b64(json.dumps(_claims(client, user)).encode())
    )
    sig = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    _assert_refused(client, signing_input + "." + b64(sig), "algorithm")


def test_expired_refused(client, user):
    past = int(time.time()) - 3600
    _assert_refused(
        client, _sign(client, _claims(client, user, iat=past, nbf=past, exp=past + 60)), "expired"
    )


def test_not_yet_valid_refused(client, user):
    future = int(time.time()) + 3600
    _assert_refused(
        client, _sign(client, _claims(client, user, nbf=future, exp=future + 60)), "not yet valid"
    )


def test_wrong_issuer_and_audience_refused(client, user):
    _assert_refused(client, _sign(client, _claims(client, user, iss="https://evil.example")), "issuer")
    _assert_refused(client, _sign(client, _claims(client, user, aud="other-app")), "audience")


def test_missing_exp_refused(client, user):
    c = _claims(client, user)
    del c["exp"]
    _assert_refused(client, _sign(client, c))


def test_tampered_payload_refused(client, user):
    head, body, sig = user["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _assert_refused(client, f"{head}.{forged}.{sig}")


def test_unknown_kid_refused(client, user):
    other = ec.generate_private_key(ec.SECP256R1())
    kid = jwk_thumbprint(public_jwk(other.public_key()))
    token = jwt.encode(_claims(client, user), other, algorithm="ES256", headers={"kid": kid})
    _assert_refused(client, token, "unknown key")
    # right kid, wrong key: signature fails
    token = jwt.encode(
        _claims(client, user),
        other,
        algorithm="ES256",
        headers={"kid": client.app.state.services.keys.active().kid},
    )
    _assert_refused(client, token)


def test_garbage_and_missing_token(client):
    _assert_refused(client, "not-a-jwt")
    r = client.get("/accounts/me")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_refresh_rotation_and_reuse_revokes_family(client):
    u = register(client)
    r1 = client.post("/auth/refresh", json={"refresh_token": u["refresh"]})
    assert r1.status_code == 200
    second = r1.json()
    assert second["refresh_token"] != u["refresh"]
    assert client.get("/accounts/me", headers=auth(second["access_token"])).status_code == 200
    # replay of the spent token after the grace window (test_security_auth covers the window):
    # refused and the family (every token of the session) revoked
    later = datetime.now(UTC) + timedelta(
        seconds=client.app.state.services.settings.refresh_reuse_grace_s + 1
    )
    client.app.dependency_overrides[get_clock] = lambda: later
    try:
        r2 = client.post("/auth/refresh", json={"refresh_token": u["refresh"]})
    finally:
        client.app.dependency_overrides.pop(get_clock)
    assert r2.status_code == 401 and r2.json()["code"] == "refresh_token_reused"
    r3 = client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r3.status_code == 401 and r3.json()["code"] == "invalid_grant"
    r4 = client.get("/accounts/me", headers=auth(second["access_token"]))
    assert r4.status_code == 401 and r4.json()["detail"] == "session revoked"


def test_logout_revokes_session(client):
    u = register(client)
    assert client.post("/auth/logout", headers=auth(u["access"])).status_code == 204
    assert client.get("/accounts/me", headers=auth(u["access"])).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": u["refresh"]}).status_code == 401


def test_wrong_password_is_problem(client, user):
    r = client.post("/auth/login", json={"email": user["email"], "password": "nope nope nope"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"


def test_jwks_kid_is_thumbprint_and_rotation_keeps_old_key(tmp_path):
    now = [1_000_000.0]
    ks = KeyStore(tmp_path / "keys", rotation_s=1000, max_token_ttl_s=300, clock=lambda: now[0])
    first = ks.active()
    assert first.kid == jwk_thumbprint(public_jwk(first.public_key))
    now[0] += 1001  # past the rotation period: next active() rotates
    second = ks.active()
    assert second.kid != first.kid
    kids = [k["kid"] for k in ks.jwks()["keys"]]
    assert kids == [second.kid, first.kid] and ks.get(first.kid) is not None
    # persisted: a new store over the same folder sees both keys and the same active key
    again = KeyStore(tmp_path / "keys", rotation_s=1000, max_token_ttl_s=300, clock=lambda: now[0])
    assert again.active().kid == second.kid and again.get(first.kid) is not None
    now[0] += 301  # every token of the old key has expired: it is no longer published
    assert [k["kid"] for k in ks.jwks()["keys"]] == [second.kid] and ks.get(first.kid) is None


def test_jwks_endpoint(client, user):
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    kid = jwt.get_unverified_header(user["access"])["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    assert jwk["alg"] == "ES256" and jwk["kty"] == "EC" and "d" not in jwk
    pub = jwt.PyJWK(jwk).key
    s = client.app.state.services.settings
    claims = jwt.decode(
        user["access"], pub, algorithms=["ES256"], audience=s.jwt_audience, issuer=s.jwt_issuer
    )
    assert claims["sub"] == str(user["id"])


# --- the verified-token cache: only a skipped re-verification, never a weaker check -----------------


def test_cached_token_is_refused_once_expired(client, user, monkeypatch):
    from serving.security import tokens as tokens_module

    tokens = client.app.state.services.tokens
    monkeypatch.setattr(tokens_module, "LEEWAY_S", 0)  # no leeway: expire within the test
    exp = int(time.time()) + 2
    t = _sign(client, _claims(client, user, exp=exp))
    assert client.get("/accounts/me", headers=auth(t)).status_code == 200
    assert t in tokens._verified
    assert client.get("/accounts/me", headers=auth(t)).status_code == 200  # served from the cache
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    _assert_refused(client, t, "expired")
    assert t not in tokens._verified


def test_cached_token_is_refused_when_its_key_is_withdrawn(tmp_path):
    from serving.errors import Problem
    from serving.security.tokens import TokenService

    now = [time.time()]
    keys = KeyStore(tmp_path / "keys", rotation_s=3600, max_token_ttl_s=300, clock=lambda: now[0])
    svc = TokenService(keys, issuer="i", audience="a", clock=lambda: now[0])
    t = svc.issue(user_id=1, role="customer", session_id="s", ttl_s=300, amr=["pwd"])
    assert svc.verify(t).user_id == 1 and svc.verify(t).user_id == 1
    keys.rotate()
    assert svc.verify(t).user_id == 1  # a retired key stays valid while its tokens may live
    now[0] += 10_000  # the retired key is withdrawn (the token's own exp is checked on the real clock)
    with pytest.raises(Problem, match="unknown key id"):
        svc.verify(t)


def test_refused_tokens_are_not_cached(client, user):
    tokens = client.app.state.services.tokens
    forged = user["access"][:-4] + ("AAAA" if not user["access"].endswith("AAAA") else "BBBB")
    for _ in range(2):
        _assert_refused(client, forged)
    assert forged not in tokens._verified
