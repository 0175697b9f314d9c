"""Login throttling and the refresh grace window on PostgreSQL (issue 14, items 10 and 14), where
requests really run in parallel (SQLite serialises every writer): parallel guesses cannot overrun
the per-account limit, and parallel refreshes with one token all get the same new pair. Its own
PostgreSQL and MongoDB databases, dropped afterwards."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from serving_kit import auth, make_settings, register  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory):
    import psycopg
    from pymongo import MongoClient

    from lake.settings import load_settings
    from serving.app import create_app
    from serving.migrations import upgrade

    base = load_settings(profile="stack", home=str(tmp_path_factory.mktemp("secstack")))
    admin = psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{base.stack_pg_port}/postgres", autocommit=True, connect_timeout=3
    )
    tag = uuid.uuid4().hex[:10]
    db_name = f"cofre_secauth_{tag}"
    admin.execute(f'CREATE DATABASE "{db_name}"')
    settings = make_settings(
        base.home,
        profile="stack",
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{base.stack_pg_port}/{db_name}",
        log_store_db=f"audit_{tag}",
        documents_uri=f"s3://{base.s3_documents_bucket}/test-{tag}",
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


def test_parallel_guesses_are_counted_before_checking_the_password(pg_app):
    from fastapi.testclient import TestClient

    with TestClient(pg_app) as c:
        u = register(c)

    async def storm() -> list[int]:
        transport = httpx.ASGITransport(app=pg_app, client=("10.8.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=120) as c:
            rs = await asyncio.gather(
                *(c.post("/auth/login", json={"email": u["email"], "password": f"g{i}"}) for i in range(24))
            )
        return [r.status_code for r in rs]

    codes = asyncio.run(storm())
    limit = pg_app.state.services.settings.login_max_failures
    assert codes.count(401) == limit and codes.count(429) == 24 - limit, codes


def test_parallel_refreshes_with_one_token_get_one_pair(pg_app):
    from fastapi.testclient import TestClient

    with TestClient(pg_app) as c:
        u = register(c)

    async def race() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=pg_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw", timeout=120) as c:
            return await asyncio.gather(
                *(c.post("/auth/refresh", json={"refresh_token": u["refresh"]}) for _ in range(6))
            )

    rs = asyncio.run(race())
    assert [r.status_code for r in rs] == [200] * 6, [r.text for r in rs]
    assert len({r.json()["refresh_token"] for r in rs}) == 1
    pair = rs[0].json()
    with TestClient(pg_app) as c:
        assert c.get("/accounts/me", headers=auth(pair["access_token"])).status_code == 200
        assert c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 200
