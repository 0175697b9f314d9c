"""The gateway against the local stack: PostgreSQL (ledger, row locks), FerretDB (audit chain) and
SeaweedFS S3 (documents, presigned URLs). Each run uses its own PostgreSQL database, MongoDB
database and S3 prefix, and drops the databases afterwards."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import httpx
import pytest
from concurrency_kit import check_ledger, storm
from serving_kit import PASSWORD, add_key, auth, deposit, make_settings, register, step_up

N_TRANSFERS = int(os.environ.get("COFRE_SERVING_STORM_N", "10000"))


@pytest.fixture(scope="module")
def stack_app(tmp_path_factory, _stack_checked):  # _stack_checked: a missing stack fails, never skips
    import psycopg
    from pymongo import MongoClient

    from lake.settings import load_settings
    from serving.app import create_app
    from serving.migrations import upgrade

    base = load_settings(profile="stack", home=str(tmp_path_factory.mktemp("stack")))
    admin_url = f"postgresql://postgres@127.0.0.1:{base.stack_pg_port}/postgres"
    admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    MongoClient(base.log_store_url, serverSelectionTimeoutMS=3000).admin.command("ping")
    tag = uuid.uuid4().hex[:10]
    db_name = f"cofre_serving_{tag}"
    admin.execute(f'CREATE DATABASE "{db_name}"')
    settings = make_settings(
        base.home,
        profile="stack",
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{base.stack_pg_port}/{db_name}",
        log_store_db=f"audit_{tag}",
        documents_uri=f"s3://{base.s3_documents_bucket}/test-{tag}",
        documents_max_bytes=4096,
        access_token_ttl_s=3600,
        stepup_token_ttl_s=3600,
    )
    upgrade(str(settings.database_url))
    app = create_app(settings)
    yield app
    app.state.services.close()
    client = MongoClient(settings.log_store_url)
    client.drop_database(settings.log_store_db)
    client.drop_database(f"{settings.log_store_db}_limits")
    client.close()
    admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    admin.close()


def test_ready_against_real_servers(stack_app):
    from fastapi.testclient import TestClient

    with TestClient(stack_app) as c:
        r = c.get("/ready")
        assert r.status_code == 200, r.text
        checks = r.json()["checks"]
        assert checks["database"] == checks["log_store"] == checks["object_store"] == "ok"


def test_documents_on_s3_presigned(stack_app):
    from fastapi.testclient import TestClient

    pdf = b"%PDF-1.4\n%%EOF\n"
    with TestClient(stack_app) as c:
        u, other = register(c), register(c)
        r = c.post(
            "/documents",
            files={"file": ("s.pdf", pdf, "application/pdf")},
            data={"kind": "statement"},
            headers=auth(u["access"]),
        )
        assert r.status_code == 201, r.text
        doc_id = r.json()["id"]
        meta = c.get(f"/documents/{doc_id}", headers=auth(u["access"])).json()
        assert "X-Amz-Signature" in meta["download_url"]
        assert httpx.get(meta["download_url"], timeout=10).content == pdf  # straight from SeaweedFS
        assert c.get(f"/documents/{doc_id}", headers=auth(other["access"])).status_code == 404
        big = c.post(
            "/documents",
            files={"file": ("b.pdf", pdf + b"0" * 5000, "application/pdf")},
            data={"kind": "statement"},
            headers=auth(u["access"]),
        )
        assert big.status_code == 413


def test_concurrent_transfers_postgres_and_audit_chain_on_ferretdb(stack_app):
    from fastapi.testclient import TestClient

    with TestClient(stack_app) as c:
        admin = register(c, role="admin")
        users = [register(c) for _ in range(20)]
        keys = {}
        for u in users:
            deposit(c, admin, u["account_id"], 300_000)
            keys[u["id"]] = add_key(c, u, step_up(c, u), "EVP")
            r = c.post("/auth/login", json={"email": u["email"], "password": PASSWORD})
            u["access"] = r.json()["access_token"]
    t0 = time.perf_counter()
    replies = asyncio.run(storm(stack_app, users, keys, N_TRANSFERS, concurrency=48))
    elapsed = time.perf_counter() - t0
    counts = check_ledger(stack_app.state.services.sessions, replies)
    n_requests = sum(map(len, replies.values()))
    print(f"\n{N_TRANSFERS} transfers ({n_requests} requests) in {elapsed:.1f} s: {counts}")
    assert counts.get("completed", 0) > 0
    with TestClient(stack_app) as c:
        status = c.get("/audit/verify", headers=auth(admin["access"])).json()
        assert status["ok"] is True, status
        assert status["length"] >= 2 * N_TRANSFERS  # one request event and one decision per transfer
