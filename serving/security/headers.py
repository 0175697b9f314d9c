"""Security headers on every gateway response (a pure ASGI middleware, outermost).

* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``;
* ``Content-Security-Policy``: for the API (JSON, problem+json, files) nothing may load and nothing
  may frame it (``default-src 'none'; frame-ancestors 'none'``); for HTML pages (the /docs and /redoc
  UIs) a policy that lets them load their bundles from this origin (self-hosted, :mod:`serving.docs`:
  nothing from a CDN), fetch the OpenAPI document from this origin and run exactly their own inline
  scripts (allowed by SHA-256 hash,
  computed from the page: no ``'unsafe-inline'`` scripts, no ``eval``);
* ``Strict-Transport-Security`` when the request came over TLS: the scheme is https, a proxy says
  ``X-Forwarded-Proto: https``, or ``settings.behind_tls`` (browsers ignore HSTS received over
  plain HTTP, so honouring the proxy header cannot pin a site by mistake);
* ``Cache-Control: no-store`` and ``Pragma: no-cache`` unless the route chose a cache policy: every
  answer of a bank API is personal, and token responses must not be cached (RFC 6749 §5.1);
* no ``Server`` header from the application (``cofre serve`` also turns off uvicorn's own).
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HTML_CSP = (
    "default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)
_STATIC = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]


def html_csp(page: bytes) -> str:
    """The CSP for an HTML page: the HTML policy with the hash of each of the page's inline scripts."""
    scripts = ["'self'"] + [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.finditer(page)
    ]
    return HTML_CSP.format(scripts=" ".join(scripts))


def _over_tls(scope: Scope, always: bool) -> bool:
    if always or scope.get("scheme") == "https":
        return True
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            return value.split(b",")[0].strip().lower() == b"https"
    return False


class SecurityHeaders:
    def __init__(
        self, app: ASGIApp, *, behind_tls: bool = False, hsts_max_age_s: int = 365 * 24 * 3600
    ) -> None:
        self.app = app
        self.behind_tls = behind_tls
        self.hsts = (b"strict-transport-security", f"max-age={hsts_max_age_s}; includeSubDomains".encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = _over_tls(scope, self.behind_tls)
        held: dict = {}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                names = {k.lower() for k, _ in headers}
                headers += [h for h in _STATIC if h[0] not in names]
                if b"cache-control" not in names:
                    headers += _NO_STORE
                if tls:
                    headers.append(self.hsts)
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"text/html") and b"content-security-policy" not in names:
                    held["start"], held["headers"], held["body"] = message, headers, []
                    return  # the CSP depends on the page: hold the start until the body is complete
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", API_CSP.encode()))
                await send({**message, "headers": headers})
                return
            if "start" in held and message["type"] == "http.response.body":
                held["body"].append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = b"".join(held["body"])
                headers = held["headers"] + [(b"content-security-policy", html_csp(page).encode())]
                await send({**held.pop("start"), "headers": headers})
                await send({"type": "http.response.body", "body": page, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_wrapper)
