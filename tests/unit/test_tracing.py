"""OpenTelemetry tracing of the gateway: the trace id is in problem+json answers and JSON log lines;
spans (FastAPI server span named by route template, SQLAlchemy, httpx to the identity providers)
reach an OTLP/HTTP collector only when one is configured (a real receiver decoding the protobuf)."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from cofre.embedded import gateway
from serving.observability import JsonFormatter
from tests.unit.serving_kit import auth, make_settings, register, verify_identity

HEX32 = re.compile(r"^[0-9a-f]{32}$")


class Collector:
    """An OTLP/HTTP traces receiver on a free loopback port; keeps every span it is sent."""

    def __init__(self) -> None:
        spans = self.spans = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                req = ExportTraceServiceRequest()
                req.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
                for rs in req.resource_spans:
                    service = next(
                        a.value.string_value for a in rs.resource.attributes if a.key == "service.name"
                    )
                    for ss in rs.scope_spans:
                        for s in ss.spans:
                            spans.append(
                                {
                                    "service": service,
                                    "name": s.name,
                                    "trace_id": s.trace_id.hex(),
                                    "scope": ss.scope.name,
                                }
                            )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def collector():
    c = Collector()
    yield c
    c.close()


def _boom_router() -> APIRouter:
    r = APIRouter()

    @r.get("/tracing/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    return r


def test_problem_answers_and_log_lines_carry_the_trace_id(tmp_path):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("cofre.serving")
    logger.addHandler(handler)
    try:
        app = gateway(make_settings(tmp_path), extra_routers=[_boom_router()])
        with TestClient(app, raise_server_exceptions=False) as c:
            r = c.get("/accounts/me")  # 401 problem
            assert r.status_code == 401 and HEX32.match(r.json()["trace_id"]), r.json()
            r2 = c.get("/tracing/boom")
            assert r2.status_code == 500
            trace_id = r2.json()["trace_id"]
            assert HEX32.match(trace_id) and trace_id != r.json()["trace_id"]
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    errors = [x for x in lines if x["level"] == "error"]
    assert errors and errors[-1]["trace_id"] == trace_id, lines
    assert {"ts", "logger", "message", "span_id", "exception"} <= set(errors[-1])


def test_spans_are_exported_over_otlp_when_an_endpoint_is_set(tmp_path, collector):
    from sandbox.identity import datavalid_app
    from tests.ops_kit import Served

    base = make_settings(tmp_path)
    with Served(datavalid_app(base, None)) as provider:  # the facial validation provider on loopback
        app = gateway(make_settings(tmp_path, otlp_traces_endpoint=collector.url, datavalid_url=provider))
        with TestClient(app) as c:
            u = register(c)
            verify_identity(c, u)  # OAuth token + face match over httpx
            missing = c.get("/documents/" + "ab" * 16, headers=auth(u["access"]))
            assert missing.status_code == 404
            app.state.tracer_provider.force_flush()
    _check_exported(collector.spans, missing.json()["trace_id"])


def _check_exported(spans: list[dict], trace_id: str) -> None:
    assert spans and all(s["service"] == "cofre-gateway" for s in spans)
    names = {s["name"] for s in spans}
    assert "GET /documents/{doc_id}" in names, names  # route template, never the raw path
    assert not any("abab" in n for n in names)
    scopes = {s["scope"] for s in spans}
    assert {"opentelemetry.instrumentation.fastapi", "opentelemetry.instrumentation.sqlalchemy"} <= scopes, (
        scopes
    )
    assert "opentelemetry.instrumentation.httpx" in scopes, scopes  # the provider calls
    same_trace = [s for s in spans if s["trace_id"] == trace_id]
    assert {s["scope"] for s in same_trace} >= {
        "opentelemetry.instrumentation.fastapi",
        "opentelemetry.instrumentation.sqlalchemy",
    }


def test_nothing_is_exported_without_an_endpoint_and_tracing_can_be_off(tmp_path, collector):
    app = gateway(make_settings(tmp_path / "a"))
    with TestClient(app) as c:
        assert c.get("/accounts/me").status_code == 401
        app.state.tracer_provider.force_flush()
    assert collector.spans == []
    off = gateway(make_settings(tmp_path / "b", tracing=False))
    with TestClient(off) as c:
        r = c.get("/accounts/me")
    assert r.status_code == 401 and "trace_id" not in r.json()
