"""Request bodies, checked before any router reads them: a size cap per route, a deadline for the
whole body, and strict JSON.

:class:`BodyGuard` is a pure ASGI middleware. For a request that has a body (``Content-Length`` or
``Transfer-Encoding``):

1. the route's cap (``settings.max_body_bytes``, or a larger one for upload routes: see
   :func:`body_limits`) is checked against ``Content-Length`` first: over it, 413 without reading a
   byte; then the bytes are counted as they arrive and reading stops at the chunk that crosses the cap
   (413), so a lying or absent ``Content-Length`` gains nothing;
2. the whole body must arrive within ``settings.body_timeout_s`` of the first read (408), so a client
   trickling bytes (or stalling) cannot hold a worker;
3. a JSON body (``application/json``, ``application/*+json`` or no content type, as FastAPI parses
   it) must not repeat a key in any object (Python's parser keeps the last one: ``{"amount_cents": 1,
   "amount_cents": 100000}`` was read as 100000 where another reader may see 1) nor use the non-JSON
   constants ``NaN``/``Infinity`` (422). Malformed JSON is left to the router's parser (422).

The body is then replayed to the application unchanged. Every refusal is problem+json.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable
from email.message import Message as MimeMessage

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lake.settings import Settings
from serving.errors import Problem, problem_response

MULTIPART_OVERHEAD = 64 * 1024


def body_limits(settings: Settings) -> dict[tuple[str, str], int]:
    """Caps larger than ``settings.max_body_bytes``, by (method, exact path): the upload routes."""
    return {
        ("POST", "/documents"): settings.documents_max_bytes + MULTIPART_OVERHEAD,
        # identity proofing: an ID photo and a selfie, each up to 2 MiB (serving/api/kyc.py)
        ("POST", "/kyc/documents"): 2 * 2 * 1024 * 1024 + MULTIPART_OVERHEAD,
    }


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _NonFinite(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _no_constants(token: str) -> float:
    raise _NonFinite(token)


def strict_json_problem(body: bytes) -> Problem | None:
    """The problem with a JSON body that Python's parser would silently accept, or None."""
    try:
        json.loads(body, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _DuplicateKey as exc:
        return Problem(
            422,
            "duplicate_json_key",
            f"the key {exc.key!r} appears more than once in a JSON object",
            errors=[{"field": "body", "message": f"duplicate key {exc.key!r}", "type": "duplicate_key"}],
        )
    except _NonFinite as exc:
        return Problem(
            422,
            "invalid_json",
            f"{exc} is not a JSON number",
            errors=[{"field": "body", "message": f"{exc} is not JSON", "type": "json_invalid"}],
        )
    except RecursionError:
        return Problem(422, "invalid_json", "the JSON body is nested too deeply")
    except UnicodeDecodeError:
        return Problem(422, "invalid_json", "the JSON body is not valid UTF-8")
    except ValueError:
        return None  # malformed JSON: the router's parser answers with the position
    return None


@functools.lru_cache(maxsize=64)  # clients send a handful of distinct values; parsing one is ~20 us
def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True
    m = MimeMessage()
    m["content-type"] = content_type
    sub = m.get_content_subtype()
    return m.get_content_maintype() == "application" and (sub == "json" or sub.endswith("+json"))


class BodyGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        timeout_s: float,
        limits: dict[tuple[str, str], int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.limits = limits or {}
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = te = ctype = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                te = value
            elif name == b"content-type":
                ctype = value.decode("latin-1")
        if length is None and te is None:  # no body (HTTP/1.1: message length 0)
            await self.app(scope, receive, send)
            return
        limit = self.limits.get((scope["method"], scope["path"]), self.max_bytes)
        if length is not None:
            if not (length.isascii() and length.isdigit()):
                await self._refuse(Problem(400, "bad_request", "invalid Content-Length"), scope, send)
                return
            if int(length) > limit:
                await self._refuse(_too_large(limit), scope, send)
                return
        chunks: list[bytes] = []
        total = 0
        deadline = self.clock() + self.timeout_s
        while True:
            try:
                async with asyncio.timeout(max(0.0, deadline - self.clock())):
                    message = await receive()
            except TimeoutError:
                await self._refuse(_too_slow(self.timeout_s), scope, send)
                return
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                await self._refuse(_too_large(limit), scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
            if self.clock() > deadline:
                await self._refuse(_too_slow(self.timeout_s), scope, send)
                return
        body = b"".join(chunks)
        if body and _is_json(ctype):
            problem = strict_json_problem(body)
            if problem is not None:
                await self._refuse(problem, scope, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(problem: Problem, scope: Scope, send: Send) -> None:
        problem.headers.setdefault("Connection", "close")  # the unread rest of the body is dropped

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await problem_response(problem, Request(scope))(scope, no_body, send)


def _too_large(limit: int) -> Problem:
    return Problem(
        413,
        "payload_too_large",
        f"the request body is limited to {limit} bytes on this route",
        limit_bytes=limit,
    )


def _too_slow(timeout_s: float) -> Problem:
    return Problem(
        408,
        "request_timeout",
        f"the request body did not arrive within {timeout_s:g} s",
        timeout_s=timeout_s,
    )
