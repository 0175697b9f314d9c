"""Scoring APIs and models from the lake: tiny gold Delta tables -> Feast (apply, materialise) -> fraud,
credit and recommend trained through Feast point-in-time joins and registered in a temporary MLflow ->
the gateway loading the champions once. Also: 503 without champions, audited decisions, reproducible
training on pinned Delta versions.

The gold rows come from :mod:`sandbox.sample_gold` (toy values, catalog schemas), keyed by the
pseudonymised CPFs of users registered in the gateway, so the gateway's keys meet the lake's.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import uuid
from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from serving_kit import add_key, auth, deposit, make_settings, register, step_up, verify_identity

from cofre.embedded import gateway as create_app
from lake import delta
from lake.pseudonym import pseudonymise_one
from models.recommend.catalog import BY_CODE
from sandbox import sample_gold as sg

N_CUSTOMERS = 24


def QUIET(_m):
    return None


def _write_gold(s, pks: list[str]) -> None:
    rng = np.random.default_rng(5)
    mapping = {sg.customer_pk(i): pk for i, pk in enumerate(pks)}

    def remap(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(pl.col("customer_pk").replace_strict(mapping))

    tx = sg.transaction_rows(rng, len(pks), 30)
    tx = tx.with_columns(channel=pl.lit("PIX"), type=pl.lit("PIX"), credit_debit_type=pl.lit("DEBITO"))
    delta.append("gold.transaction_features", remap(tx), s)
    delta.append("gold.counterparty_pairs", remap(sg.counterparty_pairs(tx)), s)
    days = [(sg.T0 - timedelta(days=k)).date() for k in range(3, 0, -1)]
    delta.append("gold.customer_day", remap(sg.customer_days(len(pks), days)), s)
    as_of = [
        sg.T0.date().replace(year=y, month=m, day=1)
        for y, m in (
            (2025, 8),
            (2025, 9),
            (2025, 10),
            (2025, 11),
            (2025, 12),
            (2026, 1),
            (2026, 2),
            (2026, 3),
        )
    ]
    credit = sg.credit_rows(len(pks), as_of).with_columns(  # riskier with a lower bureau score (+ noise)
        label_defaulted_6m=(pl.col("score_latest") < 390) | pl.col("score_latest").is_between(451, 452)
    )
    delta.append("gold.credit_features", remap(credit), s)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Users first (no champion yet), then the lake, Feast and the three models, then a gateway with them."""
    importlib.import_module("feast")  # import once (seconds)

    home = tmp_path_factory.mktemp("scoring")
    s = make_settings(home, feast_project=f"sc{os.getpid()}", stepup_amount_cents=10**12)
    bare = create_app(s)
    with TestClient(bare) as c:
        users = [register(c) for _ in range(N_CUSTOMERS)]
        for u in users:
            verify_identity(c, u)
        admin = register(c, role="admin")
        for u in users[1:]:  # users[0] grants nothing: consent-gated endpoints refuse it
            for purpose in ("credit_analysis", "marketing"):
                assert c.post(f"/lgpd/consents/{purpose}", headers=auth(u["access"])).status_code == 201
        no_consent = {
            "suitability": c.get("/suitability/me", headers=auth(users[0]["access"])),
            "recommendations": c.get("/recommendations/me", headers=auth(users[0]["access"])),
        }
        no_model = {
            "fraud": c.post(
                "/fraud/score",
                json={"amount_cents": 1000, "counterparty_key": "a@b.com"},
                headers=auth(users[0]["access"]),
            ),
            "suitability": c.get("/suitability/me", headers=auth(users[1]["access"])),
            "ready": c.get("/ready").json(),
        }
    pks = [pseudonymise_one(u["cpf"], "cpf", key=s.pseudonym_key.get_secret_value().encode()) for u in users]
    _write_gold(s, pks)
    from features.materialize import apply_and_materialize
    from models.from_lake import train_credit, train_fraud, train_recommend

    apply_and_materialize(s, end=sg.T0 + timedelta(days=1), progress=QUIET)
    runs = {"fraud": train_fraud(s, show_progress=False), "credit": train_credit(s, show_progress=False)}
    runs["recommend"] = train_recommend(s, credit_model=runs["credit"].model, show_progress=False)
    app = create_app(s)
    with TestClient(app) as c:
        yield {
            "s": s,
            "c": c,
            "users": users,
            "admin": admin,
            "no_model": no_model,
            "no_consent": no_consent,
            "runs": runs,
        }


def _events(c, action: str) -> list[dict]:
    audit = c.app.state.services.audit
    return [e for e in audit.chain() if e.get("action") == action]


def test_without_champion_endpoints_answer_503_and_ready_says_so(env):
    for name in ("fraud", "suitability"):
        r = env["no_model"][name]
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "model_unavailable"
    models = env["no_model"]["ready"]["checks"]["models"]
    assert models["fraud"].startswith("unavailable") and "rules fallback" in models["fraud_screen"]


def test_credit_and_marketing_processing_needs_consent(env):
    for name, purpose in (("suitability", "credit_analysis"), ("recommendations", "marketing")):
        r = env["no_consent"][name]
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "consent_required" and r.json()["purpose"] == purpose
    c, u = env["c"], env["users"][2]
    assert c.get("/suitability/me", headers=auth(u["access"])).status_code == 200
    assert c.delete("/lgpd/consents/credit_analysis", headers=auth(u["access"])).status_code == 200
    r = c.get("/suitability/me", headers=auth(u["access"]))
    assert r.status_code == 403 and r.json()["code"] == "consent_required"
    assert c.post("/lgpd/consents/credit_analysis", headers=auth(u["access"])).status_code == 201


def test_models_trained_from_the_lake_are_champions_with_data_versions(env):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(str(env["s"].mlflow_tracking_uri))
    for name, run in env["runs"].items():
        assert run.run.promoted and run.run.decision == "first champion"
        mv = client.get_model_version_by_alias(name, "champion")
        logged = json.loads(client.get_run(mv.run_id).data.params["data_versions"])
        assert {k: v for k, v in logged.items() if k.startswith("gold.")} == run.versions
        # every model's run carries its evaluation plots, the recommender's too (issue 22)
        plots = {a.path for a in client.list_artifacts(mv.run_id, "plots")}
        assert {"plots/roc.png", "plots/reliability.png"} <= plots, (name, plots)
    ranking = {a.path for a in client.list_artifacts(env["runs"]["recommend"].run.run_id, "plots")}
    assert "plots/ranking.png" in ranking
    assert set(env["runs"]["fraud"].versions) == {
        "gold.transaction_features",
        "gold.customer_day",
        "gold.counterparty_pairs",
    }
    ready = env["c"].get("/ready").json()["checks"]["models"]
    assert ready["fraud"].startswith("champion fraud:1") and ready["fraud_screen"].startswith("fraud:1")


def test_suitability_me_scores_from_online_features_and_is_audited(env):
    c, u = env["c"], env["users"][3]
    r = c.get("/suitability/me", headers=auth(u["access"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 <= body["score"] <= 1000 and body["band"] in {"baixo", "regular", "bom", "muito bom"}
    assert 0 < body["pd"] < 1 and body["model_version"].startswith("credit:1:")
    assert all(isinstance(x["motivo"], str) and x["pontos"] >= 1 for x in body["reasons"])
    # what-if: a much lower bureau score never raises the score (monotone model)
    worse = c.post(
        "/suitability/score", json={"overrides": {"score_latest": 0}}, headers=auth(u["access"])
    ).json()
    assert worse["score"] <= body["score"]
    ev = _events(c, "decision:suitability")
    assert ev and ev[-1]["model_version"] == body["model_version"]
    other = c.post("/suitability/score", json={"cpf": env["users"][4]["cpf"]}, headers=auth(u["access"]))
    assert other.status_code == 403


def test_fraud_score_and_transfers_use_the_champion(env):
    c, u = env["c"], env["users"][5]
    r = c.post(
        "/fraud/score",
        json={"amount_cents": 750_000, "counterparty_key": "golpe@example.com"},
        headers=auth(u["access"], **{"X-Device-ID": "new-phone"}),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 <= body["probability"] <= 1 and body["decision"] in {"approve", "review", "block"}
    assert body["model_version"].startswith("fraud:1:")
    assert _events(c, "decision:fraud_score")[-1]["model_version"] == body["model_version"]
    # POST /pix/transfers is screened by the model (its version is in the audited decision)
    payer, payee = env["users"][6], env["users"][7]
    deposit(c, env["admin"], payer["account_id"], 1_000_000)
    key = add_key(c, payee, step_up(c, payee), "EVP")
    t = c.post(
        "/pix/transfers",
        json={"amount_cents": 5_000, "key": key},
        headers=auth(payer["access"], **{"Idempotency-Key": uuid.uuid4().hex, "X-Device-ID": "d1"}),
    )
    assert t.status_code in (201, 403), t.text
    assert _events(c, "decision:fraud")[-1]["model_version"].startswith("fraud:1:")
    assert 'service="fraud_score"' in c.get("/metrics").text


def test_recommendations_only_suitable_and_eligible(env):
    from models.recommend.eligibility import eligible_offers

    c, u = env["c"], env["users"][8]
    deposit(c, env["admin"], u["account_id"], 5_000_000)
    r = c.get("/recommendations/me", params={"answers": "0,0,0,0,0", "k": 16}, headers=auth(u["access"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["investor_profile"] == "conservador"
    for o in body["offers"]:
        p = BY_CODE[o["product"]]
        if o["kind"] == "investment":
            assert p.risk <= 2  # conservador: risk 1..2 only
        else:
            assert body["credit_score"] >= p.min_score
    none = c.get("/recommendations/me", headers=auth(u["access"])).json()
    assert all(o["kind"] == "credit" for o in none["offers"])  # no questionnaire: no investment (CVM 30)
    assert _events(c, "decision:recommendations")
    bad = c.get("/recommendations/me", params={"answers": "9,9"}, headers=auth(u["access"]))
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    assert eligible_offers  # the filter used by the ranker


def test_same_versions_retrain_the_same_fraud_model_bit_for_bit(env):
    from models.fraud import lake
    from models.fraud.model import fit_fraud_model
    from models.fraud.train import time_split

    s = env["s"]
    pinned = env["runs"]["fraud"].versions
    first = lake.training_set(s, pinned)
    # the lake moves on: a new version of gold.transaction_features
    extra = (
        delta.read("gold.transaction_features", settings=s)
        .head(5)
        .with_columns(pl.col("transaction_id") + "-late", pl.col("booked_at") + timedelta(days=1))
    )
    delta.append("gold.transaction_features", extra, s)
    assert delta.version("gold.transaction_features", s) > pinned["gold.transaction_features"]
    again = lake.training_set(s, pinned)
    assert again.versions == pinned and again.frame.equals(first.frame)
    assert lake.training_set(s).frame.height == first.frame.height + 5

    def fit(ts):
        tr, va, te = time_split(ts.frame.to_pandas())
        m = fit_fraud_model(tr, va, seed=0, max_iter=30)
        return m, m.predict_proba(te)

    (a, pa), (b, pb) = fit(first), fit(again)
    np.testing.assert_array_equal(pa, pb)
    assert pickle.dumps(a.clf) == pickle.dumps(b.clf) and a.metadata == b.metadata


def test_a_login_claiming_a_customers_cpf_gets_nothing_until_it_proves_it(env):
    """Issue 14.1: registering with an existing customer's CPF gave that customer's score."""
    c, victim = env["c"], env["users"][2]
    r = c.post(
        "/auth/register",
        json={
            "cpf": victim["cpf"],
            "name": "Eve",
            "email": f"eve{uuid.uuid4().hex[:8]}@x.com",
            "password": "x" * 12,
        },
    )
    assert r.status_code == 201 and r.json()["identity_status"] == "unverified"
    tok = c.post("/auth/login", json={"email": r.json()["email"], "password": "x" * 12}).json()[
        "access_token"
    ]
    for purpose in ("credit_analysis", "marketing"):
        assert c.post(f"/lgpd/consents/{purpose}", headers=auth(tok)).status_code == 201
    for path in ("/suitability/me", "/recommendations/me"):
        r = c.get(path, headers=auth(tok))
        assert r.status_code == 403 and r.json()["code"] == "identity_not_verified", (path, r.text)
    r = c.post("/suitability/score", json={"cpf": victim["cpf"]}, headers=auth(tok))
    assert r.status_code == 403 and r.json()["code"] == "identity_not_verified"
    assert c.get("/suitability/me", headers=auth(victim["access"])).status_code == 200  # the owner still can
