"""SMS and e-mail provider sandbox, speaking a Zenvia-like v2 messaging API.

``POST /v2/channels/sms/messages`` and ``POST /v2/channels/email/messages`` (header ``X-API-TOKEN``)
take ``{"from", "to", "contents": [{"type": "text", "text"} | {"type": "email", "subject", "text"}]}``
and answer 200 ``{"id", "from", "to", "direction": "OUT", "channel", "contents", "timestamp"}``.
Errors are ``{"code", "message"}`` with 400 (``VALIDATION_ERROR``) or 401 (``UNAUTHORIZED``).

The sandbox delivers nothing: every accepted message lands in an outbox, kept in memory and, when
``outbox_path`` is given, appended to a JSON-lines file, readable at ``GET /sandbox/outbox?to=``
(sandbox-only route: the phone or inbox of the simulated person) and by ``cofre sandbox outbox``.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

PHONE_RE = re.compile(r"^55\d{10,11}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Content(BaseModel):
    type: Literal["text", "email"]
    text: str = Field(min_length=1, max_length=2000)
    subject: str | None = Field(default=None, max_length=200)


class MessageIn(BaseModel):
    from_: str = Field(alias="from", min_length=1, max_length=100)
    to: str = Field(min_length=3, max_length=254)
    contents: list[Content] = Field(min_length=1, max_length=5)


class Outbox:
    """Accepted messages, newest last; thread-safe; mirrored to a JSON-lines file when given one."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []

    def add(self, message: dict[str, Any]) -> None:
        with self._lock:
            self._messages.append(message)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(message, ensure_ascii=False) + "\n")

    def to(self, recipient: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self._messages if recipient is None or m["to"] == recipient]


def read_outbox_file(path: Path, recipient: str | None = None) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [m for m in rows if recipient is None or m["to"] == recipient]


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def create_app(api_token: str, *, outbox_path: Path | None = None, clock=None) -> FastAPI:  # noqa: ANN001
    now = clock or (lambda: datetime.now(UTC))
    app = FastAPI(title="SMS and e-mail provider sandbox (Zenvia-like v2)", version="2.0.0")
    app.state.outbox = outbox = Outbox(outbox_path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(400, "VALIDATION_ERROR", f"{where}: {first.get('msg', 'invalid request')}")

    def _authorised(request: Request) -> bool:
        given = request.headers.get("x-api-token", "")
        return bool(given) and hmac.compare_digest(given.encode(), api_token.encode())

    async def _send(channel: str, body: MessageIn, request: Request) -> JSONResponse:
        if not _authorised(request):
            return _error(401, "UNAUTHORIZED", "missing or wrong X-API-TOKEN")
        if channel == "sms" and not PHONE_RE.match(body.to):
            return _error(400, "VALIDATION_ERROR", "to: an SMS recipient is 55 + DDD + number, digits only")
        if channel == "email" and not EMAIL_RE.match(body.to):
            return _error(400, "VALIDATION_ERROR", "to: not an e-mail address")
        kind = "text" if channel == "sms" else "email"
        if any(c.type != kind for c in body.contents):
            return _error(400, "VALIDATION_ERROR", f"contents: the {channel} channel takes {kind!r} contents")
        msg = {
            "id": str(uuid.uuid4()),
            "from": body.from_,
            "to": body.to,
            "direction": "OUT",
            "channel": channel,
            "contents": [c.model_dump(exclude_none=True) for c in body.contents],
            "timestamp": now().isoformat().replace("+00:00", "Z"),
        }
        outbox.add(msg)
        return JSONResponse(msg)

    @app.post("/v2/channels/sms/messages")
    async def send_sms(body: MessageIn, request: Request) -> JSONResponse:
        return await _send("sms", body, request)

    @app.post("/v2/channels/email/messages")
    async def send_email(body: MessageIn, request: Request) -> JSONResponse:
        return await _send("email", body, request)

    @app.get("/sandbox/outbox")
    async def read_outbox(to: str | None = None) -> dict[str, Any]:
        return {"messages": outbox.to(to)}

    return app
