"""Property-based run of schemathesis over the gateway's OpenAPI schema (in-process ASGI): whatever
the generated input, no endpoint answers 5xx. Calls are authenticated as an admin with step-up."""

from __future__ import annotations

import atexit
import shutil
import tempfile

import schemathesis
from chat_kit import shared_assistant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from serving_kit import auth, deposit, make_settings, register, step_up

from serving.app import create_app

_home = tempfile.mkdtemp(prefix="cofre-schemathesis-")  # built at import: parametrize needs the app's schema
atexit.register(shutil.rmtree, _home, True)
app = create_app(make_settings(_home))
app.state.services.extras["chat_assistant"] = shared_assistant()  # loaded once, passage vectors cached
with TestClient(app) as _c:
    _admin = register(_c, role="admin")
    deposit(_c, _admin, _admin["account_id"], 1_000_000)
    TOKEN = step_up(_c, _admin)

schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case):
    headers = auth(TOKEN)
    if case.operation.path == "/auth/logout":
        return  # would revoke the shared session mid-run; covered in test_serving_jwt
    response = case.call(headers={**headers, **(case.headers or {})})
    assert response.status_code < 500, (
        f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    )
