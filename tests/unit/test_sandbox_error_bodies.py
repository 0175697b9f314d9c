"""Every sandbox answers unknown routes, wrong methods, malformed requests and injected faults with its
own API's error body, never FastAPI's ``{"detail": ...}`` (issue 20, defect 5).

Open Finance: ``errors[{code,title,detail}]`` + ``meta`` (validated against the spec's ResponseError)
with the ``x-fapi-interaction-id`` header; Pix: RFC 7807 ``Problema`` as ``application/problem+json``
(validated against the Pix spec); Serasa: ``{"error": {"code", "message"}}``; Horizon: its problem
bodies.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from fixtures_world import make_world
from spec_validation import validate_json_body

from lake.settings import load_settings
from sandbox.faults import FaultPlan
from sandbox.open_finance.server import create_app as open_finance_app
from sandbox.pix.server import create_app as pix_app
from sandbox.serasa import create_app as serasa_app
from sandbox.world_index import WorldIndex

IID = "d78fc4e5-37ca-4da3-adf2-9b082bf92280"


@pytest.fixture(scope="module")
def index():
    return WorldIndex(make_world(n_customers=5, seed=3))


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path)


def call(app, method: str, path: str, **kw) -> httpx.Response:
    async def go():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://sb.local"
        ) as h:
            return await h.request(method, path, **kw)

    return asyncio.run(go())


def _no_fastapi_detail(r: httpx.Response) -> None:
    assert "detail" not in r.json() or isinstance(r.json().get("type"), str), r.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/open-banking/accounts/v2/nao-existe", 404),
        ("GET", "/nada", 404),
        ("DELETE", "/open-banking/accounts/v2/accounts", 405),
        ("PUT", "/open-banking/consents/v3/consents", 405),
    ],
)
def test_open_finance_unknown_routes_and_methods_answer_errors_and_meta(
    index, settings, method, path, status
):
    r = call(open_finance_app(index, settings), method, path, headers={"x-fapi-interaction-id": IID})
    assert r.status_code == status
    body = r.json()
    assert "detail" not in body and body["errors"][0]["code"] and "requestDateTime" in body["meta"]
    assert r.headers["x-fapi-interaction-id"] == IID
    validate_json_body(
        "accounts", "get", "/open-banking/accounts/v2/accounts", 404, body, "application/json; charset=utf-8"
    )
    if status == 405:
        assert r.headers["allow"]


def test_open_finance_error_without_interaction_id_generates_one(index, settings):
    r = call(open_finance_app(index, settings), "GET", "/open-banking/loans/v2/nope")
    assert r.status_code == 404 and re.fullmatch(r"[0-9a-f-]{36}", r.headers["x-fapi-interaction-id"])


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("GET", "/api/nao-existe", 404, "NaoEncontrado"),
        ("GET", "/outra-coisa", 404, "NaoEncontrado"),
        ("POST", "/api/pix", 405, "RequisicaoInvalida"),
        ("DELETE", "/api/cob", 405, "RequisicaoInvalida"),
    ],
)
def test_pix_unknown_routes_and_methods_answer_problem_json(index, settings, method, path, status, kind):
    r = call(pix_app(index, settings), method, path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == f"https://pix.bcb.gov.br/api/v2/error/{kind}" and body["status"] == status
    validate_json_body("pix", "get", "/api/cob/" + "a" * 26, 404, body, "application/problem+json")


def test_serasa_unknown_routes_and_methods_answer_its_error_object(index, settings):
    app = serasa_app(index, settings)
    for method, path, status in (("GET", "/score/v2/x", 404), ("POST", "/score/v1/52998224725", 405)):
        r = call(app, method, path)
        assert r.status_code == status and set(r.json()) == {"error"}
        assert set(r.json()["error"]) == {"code", "message"}


def test_horizon_sandbox_answers_problem_bodies(settings):
    from sandbox.horizon import create_app as horizon_app

    app = horizon_app(settings)
    r = call(app, "GET", "/ledgers/nope")
    assert r.status_code == 404 and r.json()["type"].startswith("https://stellar.org/horizon-errors/")
    r = call(app, "POST", "/transactions", data={})  # form field tx missing
    assert r.status_code == 400 and r.json()["type"].startswith("https://stellar.org/horizon-errors/")
    assert "detail" in r.json() and isinstance(r.json()["detail"], str)


def test_injected_faults_use_each_api_error_body(index, settings):
    plan = lambda: FaultPlan(fail_first=2)  # noqa: E731 - one 429 then one 503
    pix = pix_app(index, settings, faults=plan())
    for status in (429, 503):
        r = call(pix, "GET", "/api/cob/" + "a" * 26)
        assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == status and "retry-after" in r.headers
    assert r.json()["type"] == "https://pix.bcb.gov.br/api/v2/error/ServicoIndisponivel"
    validate_json_body("pix", "get", "/api/cob/" + "a" * 26, 503, r.json(), "application/problem+json")
    of = open_finance_app(index, settings, faults=plan())
    r = call(of, "GET", "/open-banking/accounts/v2/accounts", headers={"x-fapi-interaction-id": IID})
    assert r.status_code == 429 and r.json()["errors"][0]["code"] and "meta" in r.json()
    serasa = serasa_app(index, settings, faults=plan())
    r = call(serasa, "GET", "/score/v1/52998224725")
    assert r.status_code == 429 and set(r.json()) == {"error"}
