"""`cofre openapi dump` gives the document the running gateway serves, and the mobile app's committed
copy (mobile/src/api/openapi.json, from which its typed client is generated) is that document: an API
change without `npm run gen:api` in mobile/ fails here."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cofre.cli import app as cli
from serving.app import create_app, openapi_schema
from tests.unit.serving_kit import make_settings

COMMITTED = Path(__file__).resolve().parents[2] / "mobile" / "src" / "api" / "openapi.json"


def test_dump_equals_what_the_gateway_serves(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as c:
        served = c.get("/openapi.json").json()
    assert openapi_schema() == served


def test_cli_dump_writes_the_document(tmp_path):
    out = tmp_path / "o" / "openapi.json"
    r = CliRunner().invoke(cli, ["openapi", "dump", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text(encoding="utf-8")) == openapi_schema()
    r = CliRunner().invoke(cli, ["openapi", "dump"])
    assert r.exit_code == 0 and json.loads(r.stdout)["info"]["title"] == "cofre gateway"


def test_mobile_client_schema_is_current():
    from cofre.commands.openapi import render

    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "mobile/src/api/openapi.json is stale: run `npm run gen:api` in mobile/ and commit the result"
    )
