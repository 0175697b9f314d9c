"""A ready demo login: a customer of the simulated world who has proven their identity.

Goes through the gateway's own API, in process: registers the world's first customer (by id) with a
fresh password, proves the CPF with the one-time code the SMS sandbox "sends" to the phone on record,
grants the credit and marketing consents and deposits R$ 1.000,00 through a demo operator. The
credentials are kept in ``COFRE_HOME/demo-login.json`` (0600) and reused while they still log in.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import uuid
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from lake.settings import Settings


def credentials_path(settings: Settings) -> Path:
    return settings.home / "demo-login.json"


def _world_customer(settings: Settings) -> dict[str, Any]:
    from pipelines.sources.world_files import world_dir

    f = world_dir(settings) / "customers.parquet"
    if not f.exists():
        raise FileNotFoundError(f"no world at {f.parent}: run `cofre simulate` (or `make demo`) first")
    df = pl.read_parquet(f, columns=["customer_id", "cpf", "name", "phone"]).drop_nulls("phone")
    return df.sort("customer_id").row(0, named=True)


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)


async def _ok(resp: httpx.Response, what: str) -> dict[str, Any]:
    if resp.status_code >= 400:
        raise RuntimeError(f"{what}: {resp.status_code} {resp.text[:300]}")
    return resp.json() if resp.content else {}


async def _bootstrap(settings: Settings) -> dict[str, Any]:
    from cofre.embedded import gateway
    from sandbox.identity import outbox_path
    from sandbox.notify import read_outbox_file
    from serving.db.models import User

    path = credentials_path(settings)
    app = gateway(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as c:
        if path.exists():
            saved = json.loads(path.read_text())
            r = await c.post("/auth/login", json={"email": saved["email"], "password": saved["password"]})
            if r.status_code == 200:
                return saved
        cust = _world_customer(settings)
        tag = uuid.uuid4().hex[:6]
        email = f"demo.{cust['customer_id'].lower()}.{tag}@cofre.demo"
        password = secrets.token_urlsafe(12)
        body = {"cpf": cust["cpf"], "name": cust["name"], "email": email, "password": password}
        user = await _ok(await c.post("/auth/register", json=body), "register")
        tok = (await _ok(await c.post("/auth/login", json={"email": email, "password": password}), "login"))[
            "access_token"
        ]
        h = {"Authorization": f"Bearer {tok}"}
        ch = await _ok(
            await c.post("/kyc/otp", json={"channel": "sms", "destination": cust["phone"]}, headers=h),
            "kyc otp",
        )
        msgs = read_outbox_file(outbox_path(settings), cust["phone"].lstrip("+"))
        if not msgs:
            raise RuntimeError("the phone on record got no code: is silver.customers built (make demo)?")
        code = re.search(r"\d{6}", msgs[-1]["contents"][0]["text"]).group()
        await _ok(
            await c.post(
                "/kyc/otp/verify", json={"challenge_id": ch["challenge_id"], "code": code}, headers=h
            ),
            "kyc verify",
        )
        for purpose in ("credit_analysis", "marketing"):
            await _ok(await c.post(f"/lgpd/consents/{purpose}", headers=h), f"consent {purpose}")
        op_email, op_password = f"operator.{tag}@cofre.demo", secrets.token_urlsafe(12)
        body = {"cpf": cust["cpf"], "name": "Operador Demo", "email": op_email, "password": op_password}
        await _ok(await c.post("/auth/register", json=body), "register operator")
        services = app.state.services
        with services.sessions() as db, db.begin():
            db.query(User).filter(User.email == op_email).update({"role": "admin"})
        op = await _ok(
            await c.post("/auth/login", json={"email": op_email, "password": op_password}), "login"
        )
        await _ok(
            await c.post(
                "/admin/deposits",
                json={"account_id": user["account_id"], "amount_cents": 100_000},
                headers={"Authorization": f"Bearer {op['access_token']}", "Idempotency-Key": f"demo-{tag}"},
            ),
            "deposit",
        )
    saved = {"email": email, "password": password, "name": cust["name"], "customer_id": cust["customer_id"]}
    _save(path, saved)
    return saved


def ensure_demo_login(settings: Settings) -> dict[str, Any]:
    return asyncio.run(_bootstrap(settings))


def walkthrough(login: dict[str, Any], base: str = "http://127.0.0.1:8000") -> list[str]:
    """Copy-pasteable shell lines: log in, read the score, send a PIX (with the gateway on ``base``)."""
    creds = json.dumps({"email": login["email"], "password": login["password"]})
    token = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"  # nosec B105 # a shell snippet
    return [
        "uv run cofre serve &   # the gateway on 127.0.0.1:8000 (embedded profile)",
        f"TOKEN=$(curl -s -X POST {base}/auth/login -H 'Content-Type: application/json' -d '{creds}' | {token})",
        f'curl -s {base}/accounts/me -H "Authorization: Bearer $TOKEN"',
        f'curl -s {base}/suitability/me -H "Authorization: Bearer $TOKEN"',
        f"curl -s -X POST {base}/pix/transfers -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
        f"-H \"Idempotency-Key: $(python3 -c 'import uuid; print(uuid.uuid4())')\" "
        '-d \'{"key": "amigo@exemplo.com.br", "amount_cents": 1500}\'',
    ]
