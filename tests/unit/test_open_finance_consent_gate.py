"""LGPD: a customer who revoked open_finance_sharing in the gateway is not pulled from Open Finance."""

from __future__ import annotations

import polars as pl
from fastapi.testclient import TestClient
from serving_kit import PASSWORD, auth, make_settings, new_cpf, register, verify_identity

from cofre.embedded import gateway as create_app
from pipelines.audit.consents import revoked_customer_pks
from pipelines.open_finance.assets import skip_revoked


def test_pull_skips_customers_who_revoked_sharing(tmp_path):
    s = make_settings(tmp_path)
    assert revoked_customer_pks(s) == set()  # no registry yet: nothing to skip, no error
    with TestClient(create_app(s)) as c:
        alice, bob = register(c), register(c)
        for u in (alice, bob):
            verify_identity(c, u)  # a revocation speaks for the CPF only once the login has proven it
            r = c.post("/lgpd/consents/open_finance_sharing", headers=auth(u["access"]))
            assert r.status_code == 201, r.text
        outsider = new_cpf()
        cpfs = pl.Series([alice["cpf"], bob["cpf"], outsider])
        assert skip_revoked(cpfs, s) == [alice["cpf"], bob["cpf"], outsider]
        # a login that merely claims alice's CPF cannot stop the pulls of the real customer
        email = f"eve.{new_cpf()}@x.com"
        body = {"cpf": alice["cpf"], "name": "Eva", "email": email, "password": PASSWORD}
        assert c.post("/auth/register", json=body).status_code == 201
        eve = c.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
        assert c.post("/lgpd/consents/open_finance_sharing", headers=auth(eve)).status_code == 201
        assert c.delete("/lgpd/consents/open_finance_sharing", headers=auth(eve)).status_code == 200
        assert alice["cpf"] in skip_revoked(cpfs, s)
        assert c.delete("/lgpd/consents/open_finance_sharing", headers=auth(bob["access"])).status_code == 200
        assert skip_revoked(cpfs, s) == [alice["cpf"], outsider]
        # granting again resumes the pulls
        assert c.post("/lgpd/consents/open_finance_sharing", headers=auth(bob["access"])).status_code == 201
        assert skip_revoked(cpfs, s) == [alice["cpf"], bob["cpf"], outsider]
