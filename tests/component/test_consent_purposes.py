"""LGPD purposes do not leak into each other: recommendations run under the ``marketing`` consent and may
rank offers and explain investment suitability, but they compute (and return) a credit score, and
offer credit, only when the customer also granted ``credit_analysis``. Without it the credit model
is not even called: the answer says credit offers were left out and why, and the audit trail records
which purposes the processing used.

The world: gold credit rows keyed by the pseudonymised CPFs of gateway users, Feast, credit and
recommend champions trained from the lake in a temporary MLflow.
"""

from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from serving_kit import auth, deposit, make_settings, register, verify_identity

from cofre.embedded import gateway as create_app
from lake import delta
from lake.pseudonym import pseudonymise_one
from models.recommend.catalog import BY_CODE
from sandbox import sample_gold as sg

N = 24
QUIET = lambda _m: None  # noqa: E731
ANSWERS = {"answers": "3,3,3,3,3", "k": 16}  # a CVM 30 questionnaire: investments can be offered


def _write_gold(s, pks: list[str]) -> None:
    mapping = {sg.customer_pk(i): pk for i, pk in enumerate(pks)}

    def remap(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(pl.col("customer_pk").replace_strict(mapping))

    tx = sg.transaction_rows(np.random.default_rng(3), len(pks), 10)
    delta.append("gold.transaction_features", remap(tx), s)
    delta.append("gold.counterparty_pairs", remap(sg.counterparty_pairs(tx)), s)
    days = [(sg.T0 - timedelta(days=k)).date() for k in range(3, 0, -1)]
    delta.append("gold.customer_day", remap(sg.customer_days(len(pks), days)), s)
    as_of = [
        sg.T0.date().replace(year=y, month=m, day=1)
        for y, m in ((2025, 10), (2025, 11), (2025, 12), (2026, 1), (2026, 2), (2026, 3))
    ]
    credit = sg.credit_rows(len(pks), as_of).with_columns(
        label_defaulted_6m=(pl.col("score_latest") < 390) | pl.col("score_latest").is_between(451, 452),
        declared_income_cents=pl.lit(2_000_000),  # R$ 20 000 a month: credit is affordable
    )
    delta.append("gold.credit_features", remap(credit), s)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    import feast  # noqa: F401  (import once, seconds)

    home = tmp_path_factory.mktemp("purposes")
    s = make_settings(home, feast_project=f"cp{os.getpid()}")
    with TestClient(create_app(s)) as c:
        users = [register(c) for _ in range(N)]
        for u in users:
            verify_identity(c, u)
    key = s.pseudonym_key.get_secret_value().encode()
    _write_gold(s, [pseudonymise_one(u["cpf"], "cpf", key=key) for u in users])
    from features.materialize import apply_and_materialize
    from models.from_lake import train_credit, train_recommend

    apply_and_materialize(s, end=sg.T0 + timedelta(days=1), progress=QUIET)
    credit = train_credit(s, show_progress=False)
    train_recommend(s, credit_model=credit.model, show_progress=False)
    app = create_app(s)
    with TestClient(app) as c:
        admin = register(c, role="admin")
        marketing, both = users[-1], users[-2]  # the best bureau scores: credit offers are eligible
        for u, purposes in ((marketing, ["marketing"]), (both, ["marketing", "credit_analysis"])):
            deposit(c, admin, u["account_id"], 5_000_000)
            for p in purposes:
                assert c.post(f"/lgpd/consents/{p}", headers=auth(u["access"])).status_code == 201
        yield {"c": c, "s": s, "marketing": marketing, "both": both, "credit_only": users[-3]}


def _recommend(c, user, params=ANSWERS):
    return c.get("/recommendations/me", params=params, headers=auth(user["access"]))


def _last_event(c) -> dict:
    return [e for e in c.app.state.services.audit.chain() if e.get("action") == "decision:recommendations"][
        -1
    ]


def test_marketing_alone_never_computes_a_credit_score(env):
    c = env["c"]
    r = _recommend(c, env["marketing"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["credit_score"] is None and body["purposes"] == ["marketing"]
    assert body["credit_offers"] == "omitted"
    assert "análise de crédito" in body["notice"] and "/lgpd/consents/credit_analysis" in body["notice"]
    assert body["investor_profile"] in {"conservador", "moderado", "arrojado"}  # suitability: allowed
    kinds = {o["kind"] for o in body["offers"]}
    assert kinds == {"investment"}, body["offers"]
    assert "credit:" not in body["model_version"]  # the credit model did not run
    ev = _last_event(c)
    assert ev["details"]["credit_score"] is None and ev["details"]["purposes"] == ["marketing"]
    assert "credit:" not in ev["model_version"]


def test_with_credit_analysis_the_score_gates_credit_offers(env):
    c = env["c"]
    body = _recommend(c, env["both"]).json()
    assert isinstance(body["credit_score"], int) and body["credit_offers"] == "included"
    assert body["purposes"] == ["marketing", "credit_analysis"] and body["notice"] is None
    credit = [o for o in body["offers"] if o["kind"] == "credit"]
    assert credit, body["offers"]
    assert all(body["credit_score"] >= BY_CODE[o["product"]].min_score for o in credit)
    assert "+credit:" in body["model_version"]
    assert _last_event(c)["details"]["purposes"] == ["marketing", "credit_analysis"]


def test_revoking_credit_analysis_stops_the_score_at_once(env):
    c, u = env["c"], env["both"]
    assert c.delete("/lgpd/consents/credit_analysis", headers=auth(u["access"])).status_code == 200
    try:
        body = _recommend(c, u).json()
        assert body["credit_score"] is None and body["credit_offers"] == "omitted"
        assert {o["kind"] for o in body["offers"]} <= {"investment"}
    finally:
        assert c.post("/lgpd/consents/credit_analysis", headers=auth(u["access"])).status_code == 201


def test_credit_analysis_alone_does_not_allow_marketing(env):
    c, u = env["c"], env["credit_only"]
    assert c.post("/lgpd/consents/credit_analysis", headers=auth(u["access"])).status_code == 201
    r = _recommend(c, u)
    assert (
        r.status_code == 403 and r.json()["code"] == "consent_required" and r.json()["purpose"] == "marketing"
    )


def test_marketing_recommendations_work_without_a_credit_model(env):
    """No credit champion at all (alias removed in the registry): marketing-only recommendations still
    answer, because they never needed the credit model; with credit_analysis the answer is 503."""
    from mlflow.tracking import MlflowClient

    from models import registry

    client = MlflowClient(str(env["s"].mlflow_tracking_uri))
    version = client.get_model_version_by_alias("credit", registry.CHAMPION).version
    client.delete_registered_model_alias("credit", registry.CHAMPION)
    try:
        with TestClient(create_app(env["s"])) as c:
            assert "credit" not in c.app.state.services.scoring.models
            ok = _recommend(c, env["marketing"])
            assert ok.status_code == 200 and ok.json()["credit_score"] is None, ok.text
            no = _recommend(c, env["both"])
            assert no.status_code == 503 and no.json()["code"] == "model_unavailable"
    finally:
        client.set_registered_model_alias("credit", registry.CHAMPION, version)
