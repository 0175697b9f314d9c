"""One error shape everywhere: RFC 9457 problem+json (type, title, status, detail, instance, code).

Validation errors add an ``errors`` list naming each field path. Routers raise :class:`Problem`; the
handlers installed by :func:`install_error_handlers` turn Problem, HTTPException (404, 405 ...),
request validation errors and unexpected exceptions into the same shape.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://cofre.local/problems/"
log = logging.getLogger("cofre.serving")


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class Problem(Exception):
    """An error that becomes a problem+json response; ``code`` is the machine-readable reason."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        detail: str | None = None,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.status = status
        self.code = code or _DEFAULT_CODES.get(status, "error")
        self.detail = detail
        self.title = title or _title(status)
        self.headers = headers or {}
        self.extra = extra
        super().__init__(detail or self.code)

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    instance = request.url.path if request is not None else None
    headers = dict(problem.headers)
    rid = getattr(request.state, "request_id", None) if request is not None else None
    body = problem.body(instance)
    if rid:
        body["request_id"] = rid
    from serving.observability import current_ids

    trace_id, _ = current_ids()
    if trace_id:
        body["trace_id"] = trace_id
    return JSONResponse(body, status_code=problem.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    items = [
        {"field": _field_path(e.get("loc", ())), "message": e.get("msg", "invalid"), "type": e.get("type")}
        for e in errors
    ]
    detail = "; ".join(f"{i['field']}: {i['message']}" for i in items[:5])
    return Problem(422, "validation_error", detail or "invalid request", errors=items)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != _title(exc.status_code) else None
        problem = Problem(exc.status_code, detail=detail, headers=dict(exc.headers or {}))
        return problem_response(problem, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(list(exc.errors())), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(Problem(500, detail="unexpected error; quote the request id"), request)
