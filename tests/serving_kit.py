"""Helpers for the serving tests: settings on a temporary COFRE_HOME, users, step-up, deposits."""

from __future__ import annotations

import functools
import itertools
import sqlite3
import tempfile
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import update

from lake.domain.identifiers import cpf_with_digits
from lake.settings import load_settings
from serving.db.orm import User
from serving.security.keys import b64url, public_jwk

PASSWORD = "correct horse battery"
_counter = itertools.count(100_000_001)


# argon2id at its smallest cost for the tests (the embedded profile allows it; production keeps the
# library's defaults, and the stack profile refuses weaker ones): registering a user then costs well
# under a millisecond instead of about 50 ms of CPU.
CHEAP_PASSWORDS = {
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 64,
    "password_hash_parallelism": 1,
}


def make_settings(home, **overrides):
    """Embedded settings on ``home``. A fresh home gets its gateway database as a copy of one migrated
    once per test process (the migrations cost about a second per app; `cofre db upgrade` then finds
    it at head). Tests of the migrations themselves start from an empty database on their own."""
    base: dict = {"home": str(home), "rate_limit": "100000/minute", "profile": "embedded"}
    base.update(overrides)
    if base["profile"] == "embedded":  # the stack profile keeps production's cost (and refuses less)
        base = {**CHEAP_PASSWORDS, **base}
    s = load_settings(**base)
    db = s.home / "cofre.db"
    if s.profile == "embedded" and str(s.database_url) == f"sqlite:///{db}" and not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(_migrated_template()) as src, sqlite3.connect(db) as dst:
            src.backup(dst)
    return s


@functools.cache
def _migrated_template() -> str:
    from serving.migrations import upgrade

    path = Path(tempfile.mkdtemp(prefix="cofre-migrated-")) / "cofre.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


def new_cpf() -> str:
    while True:
        base = f"{next(_counter):09d}"
        if len(set(base)) > 1:
            return cpf_with_digits(base)


def register(client, *, role: str | None = None) -> dict:
    cpf = new_cpf()
    email = f"u{cpf}@example.com"
    r = client.post(
        "/auth/register", json={"cpf": cpf, "name": "Maria Teste", "email": email, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    user = r.json()
    if role:
        services = client.app.state.services
        with services.sessions() as db, db.begin():
            db.execute(update(User).where(User.id == user["id"]).values(role=role))
    r = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    tok = r.json()
    return {**user, "cpf": cpf, "access": tok["access_token"], "refresh": tok["refresh_token"]}


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def enrol_device(client, user: dict) -> tuple[int, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    r = client.post(
        "/auth/devices",
        json={"name": "phone", "public_key": public_jwk(key.public_key())},
        headers=auth(user["access"]),
    )
    assert r.status_code == 201, r.text
    return r.json()["device_id"], key


def step_up(client, user: dict, device: tuple[int, ec.EllipticCurvePrivateKey] | None = None) -> str:
    device_id, key = device or enrol_device(client, user)
    r = client.post("/auth/step-up/challenge", json={"device_id": device_id}, headers=auth(user["access"]))
    assert r.status_code == 200, r.text
    ch = r.json()
    sig = key.sign(ch["challenge"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r = client.post(
        "/auth/step-up",
        json={"challenge_id": ch["challenge_id"], "signature": b64url(sig)},
        headers=auth(user["access"]),
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def deposit(client, admin: dict, account_id: int, cents: int) -> None:
    r = client.post(
        "/admin/deposits",
        json={"account_id": account_id, "amount_cents": cents},
        headers=auth(admin["access"], **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    assert r.status_code == 201, r.text


def add_key(client, user: dict, stepped: str, key_type: str = "EVP", key: str | None = None) -> str:
    body = {"key_type": key_type} | ({"key": key} if key else {})
    r = client.post("/pix/keys", json=body, headers=auth(stepped))
    assert r.status_code == 201, r.text
    return r.json()["key"]


def verify_identity(client, user: dict) -> dict:
    """Prove the user's CPF the way the app does: an ID photo and a selfie of the CPF holder, checked
    by the facial validation sandbox (the gateway must be built by ``cofre.embedded.gateway``)."""
    from sandbox import faces

    selfie = faces.selfie(user["cpf"], take=1, world_seed=client.app.state.services.settings.sim_seed)
    r = client.post(
        "/kyc/documents",
        files={"document": ("rg.png", selfie, "image/png"), "selfie": ("selfie.png", selfie, "image/png")},
        headers=auth(user["access"]),
    )
    assert r.status_code == 200, r.text
    return r.json()
