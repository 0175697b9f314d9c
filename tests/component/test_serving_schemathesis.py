"""Property-based run of schemathesis over the gateway's OpenAPI schema (in-process ASGI): whatever
the generated input, no endpoint answers 5xx, and every answer conforms to the schema: its status
code and content type are documented for the operation and its body matches the documented schema.
Calls are authenticated as an admin with step-up; /auth/logout gets a session of its own per call."""

from __future__ import annotations

import atexit
import shutil
import tempfile

import schemathesis
from chat_kit import shared_assistant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from serving_kit import PASSWORD, auth, deposit, make_settings, register, step_up

from serving.app import create_app

_home = tempfile.mkdtemp(prefix="cofre-schemathesis-")  # built at import: parametrize needs the app's schema
atexit.register(shutil.rmtree, _home, True)
app = create_app(make_settings(_home))
app.state.services.chat_assistant = shared_assistant()  # loaded once, passage vectors cached
with TestClient(app) as _c:
    _admin = register(_c, role="admin")
    deposit(_c, _admin, _admin["account_id"], 1_000_000)
    TOKEN = step_up(_c, _admin)

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _fresh_session_token() -> str:
    r = TestClient(app).post("/auth/login", json={"email": _admin["email"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors_and_responses_match_the_schema(case):
    # /auth/logout would revoke the shared session mid-run: it logs out a session of its own
    token = _fresh_session_token() if case.operation.path == "/auth/logout" else TOKEN
    case.call_and_validate(headers={**auth(token), **(case.headers or {})}, checks=CHECKS)
