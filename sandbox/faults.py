"""Deterministic fault injection for the sandboxes (exercises the clients' retry path for real).

:class:`FaultInjector` is an ASGI middleware: request number ``n`` (counted from app start,
``/token`` excluded) is answered with a fault when ``blake2b(seed, n)`` falls below ``rate``;
faults alternate 429 (with ``Retry-After``) and 503. Same seed and request order, same faults.
``fail_first`` forces the first N requests to fail, for tests that need a guaranteed retry. Each
sandbox passes ``render(status, detail) -> (media type, body)`` so faults carry its API's error body.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class FaultPlan:
    rate: float = 0.0
    seed: int = 0
    retry_after_s: int = 1
    fail_first: int = 0
    statuses: tuple[int, ...] = (429, 503)
    exempt_paths: tuple[str, ...] = ("/token",)
    served: int = field(default=0, init=False)
    injected: int = field(default=0, init=False)

    def should_fail(self, n: int) -> bool:
        if n < self.fail_first:
            return True
        if self.rate <= 0:
            return False
        digest = hashlib.blake2b(f"{self.seed}:{n}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64 < self.rate


Renderer = Callable[[int, str], tuple[str, dict]]


def _default_body(status: int, detail: str) -> tuple[str, dict]:
    return "application/json; charset=utf-8", {
        "errors": [{"code": "SANDBOX_FAULT", "title": "Injected fault", "detail": detail}]
    }


class FaultInjector:
    """ASGI middleware answering a deterministic fraction of requests with 429/503."""

    def __init__(self, app: ASGIApp, plan: FaultPlan, render: Renderer | None = None) -> None:
        self.app = app
        self.plan = plan
        self.render = render or _default_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.plan.exempt_paths:
            await self.app(scope, receive, send)
            return
        n = self.plan.served
        self.plan.served += 1
        if not self.plan.should_fail(n):
            await self.app(scope, receive, send)
            return
        status = self.plan.statuses[self.plan.injected % len(self.plan.statuses)]
        self.plan.injected += 1
        media, payload = self.render(status, f"sandbox fault injection answered request {n} with {status}")
        body = json.dumps(payload).encode()
        headers = [
            (b"content-type", media.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if status in (429, 503):
            headers.append((b"retry-after", str(self.plan.retry_after_s).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
