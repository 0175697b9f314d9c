"""The OpenAPI document says what the server does (issue 14, item 13): every error the gateway can
answer is documented as ``application/problem+json`` with the ProblemDetails schema (422 included,
instead of FastAPI's HTTPValidationError), ``Idempotency-Key`` is required where the server requires
it, and ``created_at``-like fields carry their offset. The schema-driven run over every operation is
tests/unit/test_serving_schemathesis.py; here the contract itself, and proof that such a run fails on
an undocumented status or content type."""

from __future__ import annotations

import re

import pytest
import schemathesis
from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from serving_kit import auth, deposit, make_settings, register, step_up

from serving.app import create_app

PROBLEM = "application/problem+json"
OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(make_settings(tmp_path_factory.mktemp("oas")))


@pytest.fixture(scope="module")
def spec(app):
    return app.openapi()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_problem_details_schema_replaces_fastapi_validation_error(spec):
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    pd = schemas["ProblemDetails"]
    assert {"type", "title", "status", "code"} <= set(pd["required"])
    assert {"detail", "instance", "request_id", "errors"} <= set(pd["properties"])


def test_every_error_response_is_problem_json(spec):
    for path, method, op in _operations(spec):
        for status, resp in op["responses"].items():
            if status.startswith(("4", "5")) and (path, status) != ("/ready", "503"):  # a probe's body
                content = resp.get("content", {})
                assert list(content) == [PROBLEM], (method, path, status, list(content))
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}


def test_statuses_the_server_can_answer_are_documented(spec):
    for path, method, op in _operations(spec):
        codes = set(op["responses"])
        where = f"{method.upper()} {path}"
        if path not in ("/health", "/ready", "/metrics"):
            assert "429" in codes, where  # the per-IP limit
        if op.get("security"):
            assert "401" in codes, where
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in codes, where
        if op.get("requestBody"):
            assert {"413", "408"} <= codes, where
        if "{" in path:
            assert "404" in codes, where
    ops = {(m, p): op for p, m, op in _operations(spec)}
    assert {"400", "403", "409"} <= set(ops[("post", "/pix/transfers")]["responses"])
    assert "403" in ops[("post", "/admin/deposits")]["responses"]  # admins only
    assert "409" in ops[("post", "/auth/register")]["responses"]
    assert "429" in ops[("post", "/auth/login")]["responses"]
    assert "415" in ops[("post", "/documents")]["responses"]


def test_idempotency_key_is_required_where_the_server_requires_it(spec):
    for path in ("/pix/transfers", "/admin/deposits"):
        params = spec["paths"][path]["post"]["parameters"]
        idem = next(p for p in params if p["name"] == "Idempotency-Key")
        assert idem["in"] == "header" and idem["required"] is True
        assert "400" in spec["paths"][path]["post"]["responses"]


def test_timestamps_are_documented_and_served_with_an_offset(app, spec):
    schemas = spec["components"]["schemas"]
    for model, field in (
        ("PixKeyOut", "created_at"),
        ("EntryOut", "created_at"),
        ("DocumentOut", "created_at"),
    ):
        prop = schemas[model]["properties"][field]
        assert prop["format"] == "date-time" and "offset" in prop.get("description", ""), (model, prop)
    with TestClient(app) as c:
        admin = register(c, role="admin")
        u = register(c)
        deposit(c, admin, u["account_id"], 500)
        c.post("/pix/keys", json={"key_type": "EVP"}, headers=auth(step_up(c, u)))
        entries = c.get("/accounts/me/entries", headers=auth(u["access"])).json()
        keys = c.get("/pix/keys", headers=auth(u["access"])).json()
        r = c.post("/lgpd/requests", json={"kind": "access"}, headers=auth(u["access"]))
        c.post("/lgpd/requests", json={"kind": "erasure"}, headers=auth(u["access"]))
        pending = c.get("/admin/lgpd/requests", headers=auth(admin["access"])).json()
        stamps = [e["created_at"] for e in entries] + [k["created_at"] for k in keys]
        stamps += [r.json()["received_at"], r.json()["deadline_at"]]
        stamps += [p[f] for p in pending for f in ("received_at", "deadline_at", "updated_at")]
    assert len(stamps) == 7
    for s in stamps:
        assert OFFSET.search(s), s


# --- the schema-driven check fails on what the schema does not say ---------------------------------

drift = APIRouter()


@drift.get("/drift/teapot")
def _teapot() -> dict:
    from serving.errors import Problem

    raise Problem(418, "teapot", "undocumented status")


@drift.get("/drift/text", responses={200: {"content": {"application/json": {}}}})
def _text() -> PlainTextResponse:
    return PlainTextResponse("not json")


@pytest.mark.parametrize(
    ("path", "check", "failure"),
    [
        ("/drift/teapot", status_code_conformance, "UndefinedStatusCode"),
        ("/drift/text", content_type_conformance, "UndefinedContentType"),
    ],
)
def test_schema_driven_check_catches_drift(tmp_path, path, check, failure):
    app = create_app(make_settings(tmp_path), routers=[drift])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    op = schema[path]["GET"]

    @given(case=op.as_strategy())
    @settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case):
        case.call_and_validate(checks=[check])

    with pytest.raises(BaseExceptionGroup) as info:
        run()
    assert [type(e).__name__ for e in info.value.exceptions] == [failure]
