"""Locust user of the SLO load test (bench/slo_load.py runs it headless against a loopback gateway).

Each simulated customer registers, logs in, gets a deposit from the bench's admin (token in
COFRE_BENCH_ADMIN_TOKEN) and then loops over a bank app's mix: balance and statement, fraud score,
PIX transfers (fraud-screened), documents (upload, list, read), LGPD consents, identity status and,
now and then, a new login. Only loopback hosts are accepted.
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from urllib.parse import urlparse

from locust import HttpUser, between, events, task

from bench.serving_fraud import PASSWORD  # noqa: E402 - the bench users' password

PDF = b"%PDF-1.4\n% cofre load test statement\n"
_cpf_counter = itertools.count(int(os.environ.get("COFRE_BENCH_CPF_BASE", "400000001")))


def _cpf() -> str:
    from lake.domain.identifiers import cpf_with_digits

    while True:
        base = f"{next(_cpf_counter):09d}"
        if len(set(base)) > 1:
            return cpf_with_digits(base)


@events.test_start.add_listener
def _loopback_only(environment, **_kw) -> None:  # noqa: ANN001
    host = urlparse(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"the load test only targets loopback, not {host!r}")


class Customer(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.email = f"load{uuid.uuid4().hex[:12]}@example.com"
        r = self.client.post(
            "/auth/register",
            json={"cpf": _cpf(), "name": "Cliente Carga", "email": self.email, "password": PASSWORD},
            name="/auth/register",
        )
        self.account_id = r.json()["account_id"]
        self._login()
        admin = os.environ["COFRE_BENCH_ADMIN_TOKEN"]
        self.client.post(
            "/admin/deposits",
            json={"account_id": self.account_id, "amount_cents": 50_000_000},
            headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": uuid.uuid4().hex},
            name="/admin/deposits",
        )
        self.docs: list[str] = []

    def _login(self) -> None:
        r = self.client.post(
            "/auth/login", json={"email": self.email, "password": PASSWORD}, name="/auth/login"
        )
        self.h = {"Authorization": f"Bearer {r.json()['access_token']}"}

    @task(4)
    def statement(self) -> None:
        self.client.get("/accounts/me/entries?limit=20", headers=self.h, name="/accounts/me/entries")

    @task(2)
    def balance(self) -> None:
        self.client.get("/accounts/me", headers=self.h, name="/accounts/me")

    @task(4)
    def fraud_score(self) -> None:
        body = {
            "amount_cents": random.randint(1_000, 900_000),
            "counterparty_key": f"k{random.randint(0, 49)}@example.com",
        }
        self.client.post("/fraud/score", json=body, headers=self.h, name="/fraud/score")

    @task(2)
    def pix_transfer(self) -> None:
        body = {
            "amount_cents": random.randint(100, 20_000),
            "key": f"+55119{random.randint(10_000_000, 99_999_999)}",
        }
        headers = {**self.h, "Idempotency-Key": uuid.uuid4().hex}
        self.client.post("/pix/transfers", json=body, headers=headers, name="/pix/transfers")

    @task(1)
    def documents(self) -> None:
        if len(self.docs) < 3:
            r = self.client.post(
                "/documents",
                files={"file": ("extrato.pdf", PDF, "application/pdf")},
                data={"kind": "statement"},
                headers=self.h,
                name="/documents",
            )
            if r.status_code == 201:
                self.docs.append(r.json()["id"])
        self.client.get("/documents", headers=self.h, name="/documents")
        if self.docs:
            self.client.get(
                f"/documents/{random.choice(self.docs)}", headers=self.h, name="/documents/{doc_id}"
            )

    @task(1)
    def consents(self) -> None:
        self.client.get("/lgpd/consents", headers=self.h, name="/lgpd/consents")

    @task(1)
    def identity(self) -> None:
        self.client.get("/kyc/status", headers=self.h, name="/kyc/status")

    @task(1)
    def relogin(self) -> None:
        self._login()
