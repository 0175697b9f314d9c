"""LGPD erasure on the stack profile: a person seeded through the whole platform (gateway on its own
PostgreSQL database, audit chain in FerretDB, documents and a Delta lake on SeaweedFS S3, Feast online
store on PostgreSQL) is erased; every SQL table, every Mongo collection, every object under the test's
S3 prefixes (raw bytes, parquet decoded), every loadable Delta version and the Feast online tables are
searched for their CPF (bare and formatted), name, e-mail, phone, pseudonyms and PIX keys: zero hits.
The control subject's data is still there; GET /audit/verify still passes; the audit trail exported
to S3 verifies and a record tampered in FerretDB is named."""

from __future__ import annotations

import importlib
import json
import uuid
from datetime import UTC, datetime

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


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    importlib.import_module("feast")  # import once (seconds)
    import psycopg
    from pymongo import MongoClient

    from cofre.embedded import gateway as create_app
    from lake.settings import load_settings
    from serving.migrations import upgrade

    home = tmp_path_factory.mktemp("lgpdstack")
    base = load_settings(profile="stack", home=str(home))
    admin_url = f"postgresql://postgres@127.0.0.1:{base.stack_pg_port}/postgres"
    pg = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    tag = uuid.uuid4().hex[:10]
    db_name = f"cofre_lgpd_{tag}"
    pg.execute(f'CREATE DATABASE "{db_name}"')
    settings = make_settings(
        home,
        profile="stack",
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{base.stack_pg_port}/{db_name}",
        log_store_db=f"lgpd_{tag}",
        documents_uri=f"s3://{base.s3_documents_bucket}/test-lgpd-{tag}",
        lake_uri=f"s3://{base.s3_lake_bucket}/test-lgpd-{tag}",
        feast_project=f"lgpd_{tag}",
        feast_registry_url=str(home / "feast" / "registry.db"),
        access_token_ttl_s=3600,
        stepup_token_ttl_s=3600,
    )
    upgrade(str(settings.database_url))
    app = create_app(settings)
    with TestClient(app) as c:
        admin, auditor = register(c, role="admin"), register(c, role="auditor")
        person, control = register_person(c, "p"), register_person(c, "c")
        seed_gateway(c, admin, person, control)
        seed_lake(settings, person, control)
        from lake.audit.trail import export_day

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
    app.state.services.close()
    MongoClient(settings.log_store_url).drop_database(settings.log_store_db)
    from features.erasure import _pg_connect, _tables_pg

    with _pg_connect(str(settings.feast_online_url)) as conn, conn.cursor() as cur:
        for t in _tables_pg(cur, settings.feast_project):
            cur.execute(f'DROP TABLE "{t}"')
        conn.commit()
    pg.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    pg.close()


def test_erasure_on_the_stack(stack):
    c, s, p, ctl = stack["c"], stack["s"], stack["person"], stack["control"]
    needles, control = identities(s, p), identities(s, ctl)
    before = search_everything(s, needles)
    assert len(before["hits"]) > 10 and any(h.startswith("mongo") for h in before["hits"])
    rid = c.post("/lgpd/requests", json={"kind": "erasure"}, headers=auth(p["access"])).json()["id"]
    r = c.post(f"/admin/lgpd/requests/{rid}/erase", headers=auth(stack["admin"]["access"]))
    assert r.status_code == 200, r.text
    counts = r.json()["result"]
    print("stack erasure counts:", json.dumps(counts, sort_keys=True))
    after = search_everything(s, needles)
    assert after["hits"] == [], "\n".join(after["hits"])
    assert after["lake_files"] > 10 and after["documents"] >= 1
    ctl_hits = search_everything(s, control)["hits"]
    for store in ("sql users", "mongo", "lake silver.customers", "feast pg", "file s3://documents"):
        assert any(h.startswith(store) for h in ctl_hits), store
    assert online_values(s, needles["customer_pk"]) == [None, None]
    assert online_values(s, control["customer_pk"])[0] is not None
    status = c.get("/audit/verify", headers=auth(stack["auditor"]["access"])).json()
    assert status["ok"] is True, status


def test_ferretdb_redacted_flag_attack_is_detected(stack):
    """Issue 14, item 2, on the MongoDB-protocol store: setting ``redacted`` and rewriting action,
    outcome and ts fails /audit/verify; so does touching a properly redacted (erased) event."""
    from pymongo import MongoClient

    c, s = stack["c"], stack["s"]
    coll = MongoClient(s.log_store_url)[s.log_store_db]["audit_events"]

    def verify() -> dict:
        return c.get("/audit/verify", headers=auth(stack["auditor"]["access"])).json()

    first = verify()
    assert first["ok"] is True, first
    plain = sorted(e["seq"] for e in coll.find({"redacted": False, "v": 2}, projection={"seq": 1}))[3]
    erased = [e["seq"] for e in coll.find({"redacted": True}, projection={"seq": 1})]
    cases = [
        (
            plain,
            {
                "redacted": True,
                "action": "GET /health",
                "outcome": "200",
                "ts": "2020-01-01T00:00:00.000000Z",
            },
        ),
    ]
    if erased:  # events of the person erased by test_erasure_on_the_stack (when run in this module)
        cases += [(erased[0], {"outcome": "approve-forged"}), (erased[0], {"redacted": False})]
    for seq, change in cases:
        before = coll.find_one({"seq": seq})
        coll.update_one({"seq": seq}, {"$set": change})
        status = verify()
        assert status["ok"] is False and status["first_bad_seq"] == seq, (change, status)
        coll.replace_one({"_id": before["_id"]}, before)
    assert verify()["ok"] is True


def test_audit_trail_on_s3_and_tampered_ferretdb_record(stack):
    from pymongo import MongoClient

    from lake.audit import trail as audit_trail
    from lake.audit.events import read_events, verify_events
    from pipelines.audit.anchor import anchor_day

    c, s = stack["c"], stack["s"]
    day = datetime.now(UTC).date()
    audit_trail.export_day(day, s)
    assert audit_trail.export_day(day, s)["inserted"] == 0
    r = anchor_day(day, s)
    assert r["status"] == "anchored" and r["submitted"] is False  # no Horizon configured: envelope kept
    rep = audit_trail.verify_all(s, include_store=True)
    assert rep["ok"], rep
    coll = MongoClient(s.log_store_url)[s.log_store_db]["audit_events"]
    victim = sorted(e["seq"] for e in coll.find({"redacted": False}, projection={"seq": 1}))[2]
    coll.update_one({"seq": victim}, {"$set": {"outcome": "forged"}})
    status = c.get("/audit/verify", headers=auth(stack["auditor"]["access"])).json()
    assert status["ok"] is False and status["first_bad_seq"] == victim
    assert verify_events(read_events(s))["first_bad_seq"] == victim
