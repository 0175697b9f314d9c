"""`cofre demo-login` (issue 22): a world customer with proven identity, ready to try the API."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime

import polars as pl
from fastapi.testclient import TestClient

from cofre.demo_login import credentials_path, ensure_demo_login, walkthrough
from cofre.embedded import gateway
from lake import delta
from lake.pseudonym import pseudonymise_one
from tests.lgpd_kit import _fill
from tests.unit.serving_kit import auth, make_settings, new_cpf

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_demo_login_is_a_verified_world_customer_with_money(tmp_path):
    s = make_settings(tmp_path)
    cpf, phone = new_cpf(), "+5511912345678"
    folder = s.home / "world" / str(s.sim_seed)
    folder.mkdir(parents=True)
    pl.DataFrame(
        {"customer_id": ["CUS00000002", "CUS00000001"], "cpf": [new_cpf(), cpf], "name": ["B", "Ana Lima"],
         "phone": ["+5511900000000", phone]}
    ).write_parquet(folder / "customers.parquet")  # fmt: skip
    key = gateway(s).state.services.secret
    row = {
        "customer_pk": pseudonymise_one(cpf, "cpf", key=key),
        "customer_id": "CUS00000001",
        "phone_pk": pseudonymise_one(phone, "phone", key=key),
        "source_record_id": "r",
        "ingested_at": T0,
    }
    delta.append("silver.customers", _fill("silver.customers", [row]), s)

    login = ensure_demo_login(s)
    assert login["customer_id"] == "CUS00000001" and login["name"] == "Ana Lima"
    assert stat.S_IMODE(credentials_path(s).stat().st_mode) == 0o600
    assert ensure_demo_login(s) == login  # reused while it still logs in
    with TestClient(gateway(s)) as c:
        tok = c.post("/auth/login", json={"email": login["email"], "password": login["password"]}).json()
        h = auth(tok["access_token"])
        assert c.get("/kyc/status", headers=h).json()["status"] == "verified"
        assert c.get("/accounts/me", headers=h).json()["balance_cents"] == 100_000
    lines = walkthrough(login)
    assert any(json.dumps(login["email"]) in line for line in lines) and any(
        "/pix/transfers" in line for line in lines
    )
