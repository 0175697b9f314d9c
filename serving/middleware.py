"""Gateway ASGI middleware: request id (X-Request-ID in/out), per-IP rate limit, latency metrics per
route template and status class, and one audit event for every authenticated request."""

from __future__ import annotations

import re
import time
import uuid

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.audit.store import make_event
from serving.errors import Problem, problem_response

_RID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNLIMITED = {"/health", "/ready", "/metrics"}


class GatewayMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        services = scope["app"].state.services
        request = Request(scope)
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if _RID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = rid
        status_holder = {"status": 500}
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if scope["path"] not in UNLIMITED:
                client = scope.get("client")
                ip = client[0] if client else "unknown"
                try:
                    if services.limiter.blocking:
                        await run_in_threadpool(services.limiter.check, "ip", ip)
                    else:
                        services.limiter.check("ip", ip)
                except Problem as problem:
                    await problem_response(problem, request)(scope, receive, send_wrapper)
                    return
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            status = status_holder["status"]
            services.metrics.latency.labels(scope["method"], template, f"{status // 100}xx").observe(
                time.perf_counter() - start
            )
            principal = scope.get("state", {}).get("principal")
            if principal is not None:
                event = make_event(
                    actor=services.pseudonym(principal.user_id),
                    action=f"{scope['method']} {template}",
                    resource=scope["path"],
                    outcome=str(status),
                    request_id=rid,
                )
                await services.run_io(services.audit.append, event)
