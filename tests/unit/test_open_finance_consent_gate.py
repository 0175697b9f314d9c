"""LGPD: a customer who revoked open_finance_sharing in the gateway is not pulled from Open Finance."""

from __future__ import annotations

import polars as pl
from fastapi.testclient import TestClient
from serving_kit import auth, make_settings, new_cpf, register

from pipelines.audit.consents import revoked_customer_pks
from pipelines.open_finance.assets import skip_revoked
from serving.app import create_app


def test_pull_skips_customers_who_revoked_sharing(tmp_path):
    s = make_settings(tmp_path)
    assert revoked_customer_pks(s) == set()  # no registry yet: nothing to skip, no error
    with TestClient(create_app(s)) as c:
        alice, bob = register(c), register(c)
        for u in (alice, bob):
            r = c.post("/lgpd/consents/open_finance_sharing", headers=auth(u["access"]))
            assert r.status_code == 201, r.text
        outsider = new_cpf()
        cpfs = pl.Series([alice["cpf"], bob["cpf"], outsider])
        assert skip_revoked(cpfs, s) == [alice["cpf"], bob["cpf"], outsider]
        assert c.delete("/lgpd/consents/open_finance_sharing", headers=auth(bob["access"])).status_code == 200
        assert skip_revoked(cpfs, s) == [alice["cpf"], outsider]
        # granting again resumes the pulls
        assert c.post("/lgpd/consents/open_finance_sharing", headers=auth(bob["access"])).status_code == 201
        assert skip_revoked(cpfs, s) == [alice["cpf"], bob["cpf"], outsider]
