"""Prometheus metrics of a sandbox app: ``cofre_sandbox_request_duration_seconds`` by system, route
template and status class, served at ``/metrics`` of the same port (scraped by the stack's Prometheus)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class SandboxMetrics:
    """ASGI wrapper: times every request of ``app`` and answers ``GET /metrics`` itself."""

    def __init__(self, app: ASGIApp, system: str) -> None:
        self.app, self.system = app, system
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "cofre_sandbox_request_duration_seconds",
            "Sandbox request latency by route template",
            ["system", "route", "status_class"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics" and scope["method"] == "GET":
            body = generate_latest(self.registry)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", CONTENT_TYPE.encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.latency.labels(self.system, route, f"{status['code'] // 100}xx").observe(
                time.perf_counter() - start
            )
