"""LGPD on the embedded profile: a person seeded through the whole platform (gateway SQL, audit
SQLite, documents folder, a tiny Delta lake with >= 2 versions per table, Feast SQLite online store)
is erased; then every store, every Delta version and every raw file is searched for their CPF (bare
and formatted), name, e-mail, phone, pseudonyms and PIX keys: zero hits, while the control subject's
data is still there and the audit chain still verifies. Also: access ZIP, explanations, consents."""

from __future__ import annotations

import importlib
import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient
from lgpd_kit import (
    feast_online,
    identities,
    online_values,
    register_person,
    search_everything,
    seed_gateway,
    seed_lake,
)
from serving_kit import auth, make_settings, register

from cofre.embedded import gateway as create_app
from lake import delta
from lake.audit.trail import export_day


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    importlib.import_module("feast")  # import once (seconds)

    home = tmp_path_factory.mktemp("lgpd")
    settings = make_settings(home, feast_project="lgpdunit")
    app = create_app(settings)
    with TestClient(app) as c:
        admin = register(c, role="admin")
        auditor = register(c, role="auditor")
        person, control = register_person(c, "p"), register_person(c, "c")
        seed_gateway(c, admin, person, control)
        seed_lake(settings, person, control)
        from datetime import UTC, datetime

        export_day(datetime.now(UTC).date(), settings)
        feast_online(settings)
        yield {
            "c": c,
            "s": settings,
            "admin": admin,
            "auditor": auditor,
            "person": person,
            "control": control,
        }


def test_access_export_and_explanations(platform):
    c, p = platform["c"], platform["person"]
    r = c.post("/lgpd/requests", json={"kind": "access"}, headers=auth(p["access"]))
    assert r.status_code == 201 and r.json()["status"] in ("received", "in_progress", "done")
    c.app.state.export_jobs.wait_idle()
    rq = r.json()
    assert r.json()["deadline_at"][:10] > r.json()["received_at"][:10]
    z = zipfile.ZipFile(
        io.BytesIO(c.get(f"/lgpd/requests/{rq['id']}/export", headers=auth(p["access"])).content)
    )
    names = z.namelist()
    assert {
        "subject.json",
        "sql.json",
        "audit_events.json",
        "lake.json",
        "features_online.json",
        "decisions.json",
        "consents.json",
    } <= set(names)
    assert any(n.startswith("documents/") for n in names)
    sql = json.loads(z.read("sql.json"))
    assert sql["users"][0]["cpf"] == p["cpf"] and len(sql["pix_keys"]) == 2 and len(sql["transfers"]) == 3
    lake = json.loads(z.read("lake.json"))
    assert {
        "bronze.serasa_scores",
        "silver.customers",
        "silver.transactions",
        "gold.credit_features",
        "quarantine.rows",
    } <= set(lake)
    assert json.loads(z.read("features_online.json")), "Feast online rows are exported"
    decisions = json.loads(z.read("decisions.json"))
    credit = [d for d in decisions if d["service"] == "credit"]
    assert credit and credit[0]["reasons"] == ["score_latest below 400", "income_regularity low"]
    ex = c.get("/lgpd/explanations", params={"service": "credit"}, headers=auth(p["access"])).json()
    assert ex["count"] == 1 and ex["decisions"][0]["outcome"] == "decline"
    other = c.get(f"/lgpd/requests/{rq['id']}/export", headers=auth(platform["control"]["access"]))
    assert other.status_code == 404


def test_consent_history_and_require_consent(platform):
    from fastapi import APIRouter, Depends

    from serving.lgpd.consent import require_consent

    c, ctl = platform["c"], platform["control"]
    r = APIRouter()

    @r.get("/t/offers")
    def offers(_=Depends(require_consent("marketing"))) -> dict:
        return {"offers": 1}

    c.app.include_router(r)
    assert c.get("/t/offers", headers=auth(ctl["access"])).status_code == 200
    assert c.delete("/lgpd/consents/marketing", headers=auth(ctl["access"])).status_code == 200
    denied = c.get("/t/offers", headers=auth(ctl["access"]))
    assert denied.status_code == 403 and denied.json()["code"] == "consent_required"
    hist = c.get("/lgpd/consents/history", headers=auth(ctl["access"])).json()
    assert [h["action"] for h in hist if h["purpose"] == "marketing"] == ["grant", "revoke"]
    assert c.delete("/lgpd/consents/marketing", headers=auth(ctl["access"])).status_code == 409
    assert c.post("/lgpd/consents/marketing", headers=auth(ctl["access"])).status_code == 201


def test_erasure_reaches_every_store(platform):
    c, s, p, ctl = platform["c"], platform["s"], platform["person"], platform["control"]
    needles, control = identities(s, p), identities(s, ctl)
    before = search_everything(s, needles)
    assert len(before["hits"]) > 10  # the search does see the person before erasure
    assert (
        min(
            delta.version(t, s)
            for t in ("bronze.serasa_scores", "silver.customers", "gold.transaction_features")
        )
        >= 1
    )
    assert online_values(s, needles["customer_pk"])[0] is not None
    r = c.post("/lgpd/requests", json={"kind": "erasure"}, headers=auth(p["access"]))
    assert r.status_code == 201 and r.json()["status"] == "received"
    rid = r.json()["id"]
    assert c.post(f"/admin/lgpd/requests/{rid}/erase", headers=auth(p["access"])).status_code == 403
    r = c.post(f"/admin/lgpd/requests/{rid}/erase", headers=auth(platform["admin"]["access"]))
    assert r.status_code == 200, r.text
    out = r.json()
    counts = out["result"]
    print("erasure counts:", json.dumps(counts, sort_keys=True))
    assert (
        out["status"] == "done" and counts["documents"]["objects_deleted"] == 3
    )  # a receipt, the ID photo, the selfie
    assert counts["audit_store"]["events_redacted"] >= 5
    assert counts["lake"]["bronze.serasa_scores"]["deleted"] == 1
    assert counts["lake"]["silver.transactions"] == {
        "deleted": 1,
        "redacted": 1,
        "files_removed": counts["lake"]["silver.transactions"]["files_removed"],
    }
    assert sum(counts["feast_online"].values()) >= 2 and counts["sql"]["pix_keys"] == 2
    after = search_everything(s, needles)
    assert after["hits"] == [], after["hits"]
    assert (
        after["lake_files"] > 10
        and after["lake_versions"] >= 10
        and before["lake_versions"] > after["lake_versions"]
    )
    ctl_hits = search_everything(s, control)["hits"]
    for store in (
        "sql users",
        "logs audit_events",
        "lake silver.customers",
        "lake bronze.serasa_scores",
        "feast sqlite file",
    ):
        assert any(h.startswith(store) for h in ctl_hits), store
    assert online_values(s, needles["customer_pk"]) == [None, None]
    assert online_values(s, control["customer_pk"])[0] is not None
    status = c.get("/audit/verify", headers=auth(platform["auditor"]["access"])).json()
    assert status["ok"] is True
    logs = c.get("/logs", params={"action": "lgpd:erasure"}, headers=auth(platform["admin"]["access"])).json()
    assert logs["count"] == 1 and logs["events"][0]["details"]["counts"]["sql"]["pix_keys"] == 2
