"""Gateway behaviour: problem+json on 404/405/422/500, request ids, metrics, rate limits (429 +
Retry-After), readiness, standalone router apps, migrations and the CLI."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, HTTPException
from fastapi.testclient import TestClient
from serving_kit import auth, make_settings, register

from serving.app import create_app

boom = APIRouter()


@boom.get("/boom")
def _boom() -> None:
    raise RuntimeError("kaboom")


@boom.get("/teapot")
def _teapot() -> None:
    raise HTTPException(418, "short and stout")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("gw")), extra_routers=[boom])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _is_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    for field in ("type", "title", "status", "instance"):
        assert field in body
    assert body["status"] == status
    return body


def test_404_405_422_500_and_http_exception_are_problems(client):
    assert _is_problem(client.get("/no/such/path"), 404)["code"] == "not_found"
    assert _is_problem(client.put("/health"), 405)["code"] == "method_not_allowed"
    body = _is_problem(client.post("/auth/register", json={"cpf": "111.111.111-11", "name": "A"}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"body.cpf", "body.email", "body.password"} <= fields
    body = _is_problem(client.get("/boom"), 500)
    assert "kaboom" not in r_text(body)
    assert _is_problem(client.get("/teapot"), 418)["detail"] == "short and stout"


def r_text(body):
    return str(body)


def test_request_id_echoed_or_generated(client):
    r = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) == 32
    body = client.get("/missing", headers={"X-Request-ID": "rid-9"}).json()
    assert body["request_id"] == "rid-9"


def test_ready_reports_each_dependency(client):
    r = client.get("/ready")
    assert r.status_code == 200
    checks = r.json()["checks"]
    models = checks.pop("models")
    assert checks == {"database": "ok", "log_store": "ok", "object_store": "ok", "rate_limit_store": "sqlite"}
    assert models["fraud"].startswith("unavailable") and "rules fallback" in models["fraud_screen"]


def test_metrics_use_route_templates(client):
    u = register(client)
    client.get("/documents/abc", headers=auth(u["access"]))
    text = client.get("/metrics").text
    assert 'route="/documents/{doc_id}"' in text
    assert "cofre_http_request_duration_seconds_bucket" in text
    assert "/documents/abc" not in text


def test_rate_limit_per_ip_429_with_retry_after(tmp_path):
    app = create_app(make_settings(tmp_path, rate_limit="3/minute"))
    with TestClient(app) as c:
        codes = [c.get("/.well-known/jwks.json").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.get("/.well-known/jwks.json")
        body = _is_problem(r, 429)
        assert body["code"] == "rate_limited"
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/health").status_code == 200  # liveness is never limited


def test_rate_limit_per_user(tmp_path):
    app = create_app(make_settings(tmp_path, rate_limit="4/minute"))
    # the per-IP limit is counted per client address: use distinct addresses for each call
    with TestClient(app, client=("10.0.0.1", 1)) as c1:
        u = register(c1)  # register + login: 2 hits on this IP
    statuses = []
    for i in range(6):
        with TestClient(app, client=(f"10.0.1.{i}", 1)) as c:
            statuses.append(c.get("/accounts/me", headers=auth(u["access"])).status_code)
    assert statuses[:4] == [200] * 4 and statuses[4] == 429


def test_each_router_runs_alone(tmp_path):
    from serving.api import audit, documents, pix

    app = pix.create_app(make_settings(tmp_path))
    paths = set(app.openapi()["paths"])
    assert "/pix/transfers" in paths and "/documents" not in paths and "/health" in paths
    assert "/documents" in documents.create_app(make_settings(tmp_path)).openapi()["paths"]
    assert "/audit/verify" in audit.create_app(make_settings(tmp_path)).openapi()["paths"]


def test_openapi_and_docs(client):
    assert client.get("/openapi.json").json()["info"]["title"] == "cofre gateway"
    assert client.get("/docs").status_code == 200


def test_cli_db_upgrade(tmp_path, monkeypatch):
    from alembic.script import ScriptDirectory
    from typer.testing import CliRunner

    from cofre.cli import app
    from serving.migrations import alembic_config, current

    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'cofre.db'}"
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()  # one head, the latest
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert current(url) == head
    result = CliRunner().invoke(app, ["db", "upgrade"])  # idempotent
    assert result.exit_code == 0 and head in result.output
