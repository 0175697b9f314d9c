"""Framework errors of the sandboxes rendered in each API's own error body.

Starlette answers an unknown route (404) or a known route with another method (405) and FastAPI a
request that fails its declared parameters (422) with ``{"detail": ...}``, a shape none of the APIs
the sandboxes stand in for uses. :func:`install_error_handlers` registers handlers that pass those
cases to the sandbox's own renderer as a :class:`FrameworkError` kind (``not_found``,
``method_not_allowed``, ``bad_request``; a malformed request is a 400 in every API here), keeping
the ``Allow`` header of a 405.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

Kind = Literal["not_found", "method_not_allowed", "bad_request", "other"]
Renderer = Callable[[Request, int, Kind, str], Response]


def _kind(status: int) -> Kind:
    return {404: "not_found", 405: "method_not_allowed", 400: "bad_request", 422: "bad_request"}.get(
        status, "other"
    )


def install_error_handlers(app: FastAPI, render: Renderer) -> None:
    """Route Starlette/FastAPI's own errors through ``render(request, status, kind, detail)``."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        kind = _kind(exc.status_code)
        detail = {
            "not_found": f"no resource at {request.url.path}",
            "method_not_allowed": f"{request.method} is not allowed on {request.url.path}",
        }.get(kind, str(exc.detail))
        resp = render(request, exc.status_code, kind, detail)
        for name, value in (exc.headers or {}).items():
            resp.headers[name] = value
        return resp

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
        ]
        return render(request, 400, "bad_request", "; ".join(parts) or "malformed request")
