"""Test helper: validate real sandbox responses against the official OpenAPI files (openapi-core).

Each spec is loaded once per process. The sandbox serves the spec's own server paths
(/open-banking/<api>/v<n>/..., /api/... for Pix), so a response is validated as if it came from
the spec's first server URL. The official files are read as published and patched only by their
listed errata (tests/spec_errata.py: each one proven present in the file); the patched spec must
then pass openapi-spec-validator, so a defect that is not listed is not hidden.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from urllib.parse import urlparse

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from spec_errata import ERRATA, apply_errata

SPECS = Path("/work/shared/specs")
if not SPECS.exists():  # CI copies shared/ beside the clone
    SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs"

FILES = {
    "consents": "open-finance/consents-3.3.1.yml",
    "accounts": "open-finance/accounts-2.4.2.yml",
    "credit-cards": "open-finance/credit-cards-2.3.1.yml",
    "loans": "open-finance/loans-2.5.0.yml",
    "pix": "pix/pix-api-openapi.yaml",
}
PREFIXES = {
    "/open-banking/consents/v3": "consents",
    "/open-banking/accounts/v2": "accounts",
    "/open-banking/credit-cards-accounts/v2": "credit-cards",
    "/open-banking/loans/v2": "loans",
    "/api": "pix",
}


def patched_spec(name: str) -> dict:
    """A fresh copy of the official spec ``name`` with its listed errata applied."""
    return apply_errata(name, copy.deepcopy(raw_spec(name)))


def openapi_from(name: str, raw: dict) -> OpenAPI:
    """openapi-core's OpenAPI over ``raw`` (patched by ``name``'s errata), spec-validated on load."""
    # openapi-core has no deserializer for the "+json" suffix (application/problem+json): register one.
    extra = {"application/problem+json": json.loads}
    return OpenAPI.from_dict(apply_errata(name, raw), config=Config(extra_media_type_deserializers=extra))


@functools.cache
def spec(name: str) -> tuple[OpenAPI, str]:
    """(OpenAPI, server host URL) for one spec, loaded once."""
    raw = copy.deepcopy(raw_spec(name))
    server = urlparse(raw["servers"][0]["url"])
    return openapi_from(name, raw), f"{server.scheme}://{server.netloc}"


def spec_for_path(path: str) -> str:
    for prefix, name in PREFIXES.items():
        if path.startswith(prefix + "/"):
            return name
    raise KeyError(f"no spec for path {path}")


def validate(resp: httpx.Response) -> None:
    """Raise if ``resp`` (a real sandbox response) does not conform to its official spec."""
    req = resp.request
    openapi, host = spec(spec_for_path(req.url.path))
    body = req.content if req.content else None
    mreq = MockRequest(
        host,
        req.method.lower(),
        req.url.path,
        args=dict(req.url.params),
        headers=dict(req.headers),
        data=body.decode() if body else None,
        content_type=req.headers.get("content-type", "application/json"),
    )
    ctype = resp.headers.get("content-type", "application/json")
    mresp = MockResponse(
        resp.content if resp.content else b"",
        status_code=resp.status_code,
        content_type=ctype,
        headers=dict(resp.headers),
    )
    openapi.validate_response(mreq, mresp)


def validate_json_body(
    name: str, method: str, path: str, status: int, body: dict, content_type: str = "application/json"
) -> None:
    """Validate a body built outside an HTTP response (e.g. a webhook payload) against ``name``'s spec."""
    openapi, host = spec(name)
    mreq = MockRequest(host, method, path)
    openapi.validate_response(
        mreq, MockResponse(json.dumps(body).encode(), status_code=status, content_type=content_type)
    )


class SpecRecorder:
    """httpx response hook: validates every sandbox response against its spec and counts them."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes
        self.validated: list[tuple[str, str, int]] = []

    async def __call__(self, resp: httpx.Response) -> None:
        path = resp.request.url.path
        if path.startswith(self.prefixes):
            await resp.aread()
            validate(resp)
            self.validated.append((resp.request.method, path, resp.status_code))

    def attach(self, http: httpx.AsyncClient) -> SpecRecorder:
        http.event_hooks["response"].append(self)
        return self

    def statuses(self) -> set[int]:
        return {s for _, _, s in self.validated}


__all__ = ["ERRATA", "FILES", "SPECS", "openapi_from", "patched_spec", "raw_spec", "spec", "validate"]


@functools.cache
def raw_spec(name: str) -> dict:
    """The official spec file ``name`` as parsed YAML, unpatched (read once; do not mutate)."""
    return yaml.safe_load((SPECS / FILES[name]).read_text())


def _resolve(raw: dict, node: dict) -> dict:
    while "$ref" in node:
        target: object = raw
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]  # type: ignore[index]
        node = target  # type: ignore[assignment]
    return node


def wire_names(name: str, method: str, path: str, where: str = "query") -> set[str]:
    """The names a client sends on the wire for ``method path``'s parameters ``in: where`` (a spec's
    parameter *component* may be called differently, e.g. ``fromBookingDateMaxLimited``)."""
    raw = raw_spec(name)
    item = raw["paths"][path]
    params = [*item.get("parameters", []), *item[method].get("parameters", [])]
    return {p["name"] for p in (_resolve(raw, x) for x in params) if p["in"] == where}
