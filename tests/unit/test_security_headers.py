"""Security headers on every gateway response (issue 14, item 12): nosniff, frame denial, referrer
policy, a CSP (strict for the API, one that still lets /docs and /redoc load for HTML pages), HSTS
behind TLS, no ``server`` header from ``cofre serve``, and ``Cache-Control: no-store`` on every token
response."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import threading
import time
from html.parser import HTMLParser
from urllib.parse import urlparse

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from serving_kit import PASSWORD, auth, enrol_device, make_settings, register

from serving.app import create_app
from serving.security.keys import b64url


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("hdr"), max_body_bytes=2000))
    with TestClient(app) as c:
        yield c


def _csp(r) -> dict[str, list[str]]:
    out = {}
    for part in r.headers["content-security-policy"].split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _assert_common(r):
    h = r.headers
    assert h["x-content-type-options"] == "nosniff", (r.request.url, dict(h))
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert _csp(r)["frame-ancestors"] == ["'none'"]
    assert "server" not in h


def test_api_responses_carry_the_headers(client):
    u = register(client)
    responses = [
        client.get("/health"),
        client.get("/openapi.json"),
        client.get("/accounts/me", headers=auth(u["access"])),
        client.get("/accounts/me"),  # 401 problem
        client.get("/no/such/route"),  # 404 problem
        client.post("/auth/register", json={"cpf": "1"}),  # 422 problem
        client.post(
            "/auth/register", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"}
        ),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 401, 404, 422, 413]
    for r in responses:
        _assert_common(r)
        assert _csp(r)["default-src"] == ["'none'"]
        assert r.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in r.headers  # plain HTTP, no proxy, no setting


def test_rate_limited_answers_carry_the_headers(tmp_path):
    with TestClient(create_app(make_settings(tmp_path, rate_limit="1/minute"))) as c:
        c.get("/.well-known/jwks.json")
        r = c.get("/.well-known/jwks.json")
        assert r.status_code == 429
        _assert_common(r)


def test_hsts_behind_tls(client, tmp_path):
    r = client.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert (
        "strict-transport-security"
        not in client.get("/health", headers={"X-Forwarded-Proto": "http"}).headers
    )
    with TestClient(create_app(make_settings(tmp_path, behind_tls=True))) as c:
        assert c.get("/health").headers["strict-transport-security"].startswith("max-age=31536000")
    with TestClient(client.app, base_url="https://gateway") as c:
        assert "strict-transport-security" in c.get("/health").headers


def test_token_responses_are_never_cached(client):
    u = register(client)
    login = client.post("/auth/login", json={"email": u["email"], "password": PASSWORD})
    refresh = client.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    device_id, key = enrol_device(client, u)
    ch = client.post("/auth/step-up/challenge", json={"device_id": device_id}, headers=auth(u["access"]))
    sig = key.sign(ch.json()["challenge"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
    stepped = client.post(
        "/auth/step-up",
        json={"challenge_id": ch.json()["challenge_id"], "signature": b64url(sig)},
        headers=auth(u["access"]),
    )
    for resp in (login, refresh, stepped):
        assert resp.status_code == 200, resp.text
        assert "access_token" in resp.json()
        assert resp.headers["cache-control"] == "no-store"
        assert resp.headers["pragma"] == "no-cache"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []  # external script URLs
        self.inline: list[str] = []  # inline script bodies
        self.styles: list[str] = []  # stylesheet URLs
        self._in_script = False
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        a = dict(attrs)
        if tag == "script":
            if a.get("src"):
                self.scripts.append(a["src"])
            else:
                self._in_script, self._buf = True, []
        if tag == "link" and "stylesheet" in (a.get("rel") or ""):
            self.styles.append(a["href"])

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag == "script" and self._in_script:
            self.inline.append("".join(self._buf))
            self._in_script = False

    def handle_data(self, data):  # noqa: ANN001
        if self._in_script:
            self._buf.append(data)


def _allows(sources: list[str], url: str) -> bool:
    u = urlparse(url)
    if not u.scheme:
        return "'self'" in sources
    return any(s == f"{u.scheme}://{u.netloc}" or url.startswith(s.rstrip("*")) for s in sources)


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_html_pages_get_a_csp_that_lets_them_load(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    _assert_common(r)
    csp = _csp(r)
    page = _Page()
    page.feed(r.text)
    script_src = csp["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    for src in page.scripts:
        assert _allows(script_src, src), (src, script_src)
    for body in page.inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src, "inline script not allowed by hash"
    for href in page.styles:
        assert _allows(csp["style-src"], href), (href, csp["style-src"])
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    if path != "/docs/oauth2-redirect":
        spec = re.search(r"(?:url: '|spec-url=\")([^'\"]+)", r.text).group(1)
        assert _allows(csp["connect-src"], spec)  # the UI may fetch the OpenAPI document


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cofre_serve_sends_no_server_header(tmp_path, monkeypatch):
    from cofre.commands.serve import build_server

    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    port = _free_port()
    server = build_server("127.0.0.1", port, "warning")
    assert server.config.server_header is False
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    try:
        for _ in range(400):
            if server.started:
                break
            time.sleep(0.05)  # waiting for the real server to bind, not measuring time
        r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
        assert r.status_code == 200
        assert "server" not in r.headers
        assert r.headers["x-content-type-options"] == "nosniff"
    finally:
        server.should_exit = True
        t.join(30)
