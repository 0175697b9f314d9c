"""The gateway's OpenAPI document, made to say what the server does (the app's typed client is
generated from it).

FastAPI's generated document is completed here, once per app:

* every error answer is ``application/problem+json`` with the :class:`ProblemDetails` schema (RFC
  9457 plus ``code``, ``request_id``, ``errors``): 422 too, replacing FastAPI's HTTPValidationError,
  which the server never sends;
* statuses every operation of a kind can answer are added where they apply: 401 (bearer token),
  429 (per-IP and per-user rate limits; not /health, /ready, /metrics), 422 (parameters or body),
  413 and 408 (the body cap and deadline of :mod:`serving.body`), 404 (a path with an id);
  dependencies add theirs through an ``openapi_responses`` attribute (roles, step-up and consent:
  403); routes declare the rest with ``responses=`` (a 4xx/5xx there without ``content`` becomes
  problem+json);
* the ``Idempotency-Key`` header is required where the server requires it (the route answers a
  missing key with the 400 problem ``idempotency_key_required`` rather than a 422, so the parameter is
  optional in Python and required in the contract).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute

from serving import operation_docs

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
UNLIMITED = {"/health", "/ready", "/metrics"}
REQUIRED_HEADERS = {"Idempotency-Key"}
GENERIC = {
    "401": "missing, malformed, expired or revoked bearer token (`invalid_token`, `unauthorized`)",
    "404": "no such resource, or not the caller's (the same answer: no existence oracle)",
    "408": "the request body did not arrive within the deadline (`request_timeout`)",
    "413": "the request body is over the route's cap (`payload_too_large`, with `limit_bytes`)",
    "422": "invalid input (`validation_error`: `errors` names each field), or a rule of the operation",
    "429": "rate limited (`rate_limited`): retry after the `Retry-After` header's seconds",
}


class ProblemError(BaseModel):
    """One invalid field of a validation problem."""

    field: str = Field(
        description="where: body.x.y, query.x, path.x, header.x", examples=["body.amount_cents"]
    )
    message: str = Field(description="what is wrong with it", examples=["Input should be a valid integer"])
    type: str | None = Field(default=None, description="the validation error's kind", examples=["int_type"])


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; ``code`` is the machine-readable reason (``type`` ends with it)."""

    model_config = ConfigDict(extra="allow", title="ProblemDetails")
    type: str = Field(
        description="https://cofre.local/problems/<code>",
        examples=["https://cofre.local/problems/insufficient_funds"],
    )
    title: str = Field(description="a short summary of the problem kind", examples=["Unprocessable Entity"])
    status: int = Field(description="the HTTP status code", examples=[422])
    code: str = Field(
        description="the machine-readable reason; branch on it", examples=["insufficient_funds"]
    )
    detail: str | None = Field(
        default=None,
        description="what happened in this case, for people",
        examples=["available 1000 < 12550 cents"],
    )
    instance: str | None = Field(default=None, description="the request path", examples=["/pix/transfers"])
    request_id: str | None = Field(
        default=None,
        description="the X-Request-ID of the request",
        examples=["7f3c2a9e-1b4d-4c5e-9f6a-2b3c4d5e6f70"],
    )
    errors: list[ProblemError] | None = Field(default=None, description="validation errors, one per field")


def problems(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: status -> description (the document gives each the problem body)."""
    return {status: {"description": text} for status, text in described.items()}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": dict(PROBLEM_REF)}}}


def _dependency_responses(route: APIRoute) -> dict[str, str]:
    out: dict[str, str] = {}
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        for status, text in (getattr(dep.call, "openapi_responses", None) or {}).items():
            out.setdefault(str(status), text)
        stack.extend(dep.dependencies)
    return out


def complete(spec: dict[str, Any], routes: list[APIRoute]) -> dict[str, Any]:
    """Complete FastAPI's document in place (see the module docstring) and return it."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["ProblemDetails"] = problem
    by_op = {(m.lower(), r.path_format): r for r in routes for m in r.methods or ()}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            route = by_op.get((method, path))
            responses = op.setdefault("responses", {})
            wanted = dict(_dependency_responses(route)) if route is not None else {}
            if op.get("security"):
                wanted.setdefault("401", GENERIC["401"])
            if path not in UNLIMITED:
                wanted.setdefault("429", GENERIC["429"])
            if op.get("parameters") or op.get("requestBody"):
                wanted.setdefault("422", GENERIC["422"])
            if op.get("requestBody"):
                wanted.setdefault("413", GENERIC["413"])
                wanted.setdefault("408", GENERIC["408"])
            if "{" in path:
                wanted.setdefault("404", GENERIC["404"])
            for status, text in wanted.items():
                responses.setdefault(status, {"description": text})
            for status, resp in responses.items():
                if status[0] not in "45":
                    continue
                content = resp.get("content")
                fastapi_422 = status == "422" and "HTTPValidationError" in str(content)
                if not content or fastapi_422:
                    resp.update(_problem(GENERIC["422"] if fastapi_422 else resp.get("description", "")))
            for param in op.get("parameters", []):
                if param.get("in") == "header" and param.get("name") in REQUIRED_HEADERS:
                    param["required"] = True
                    param.get("schema", {}).pop("anyOf", None)
                    param.setdefault("schema", {}).update(
                        {"type": "string", "minLength": 1, "maxLength": 128}
                    )
            op["responses"] = dict(sorted(responses.items()))
    operation_docs.describe_parameters(spec)
    return spec


def install(app: FastAPI, routes: list[BaseRoute]) -> None:
    """Serve the completed document at /openapi.json (built on first use, then cached); ``routes``
    are the included routers' routes (their dependencies may document statuses)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                servers=app.servers,
            )
            app.openapi_schema = complete(spec, [r for r in routes if isinstance(r, APIRoute)])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
