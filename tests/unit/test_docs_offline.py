"""/docs and /redoc render with no network: a real headless Chromium (Debian's ``chromium``; CI installs
it with deploy/browser.sh) opens the pages of a gateway served by uvicorn on loopback while every host
name but 127.0.0.1 fails to resolve and any proxied request goes to a closed port. The rendered DOM
must list the gateway's operations, which only happens when Swagger UI / ReDoc ran from the files the
gateway serves itself (serving.docs)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from serving_kit import make_settings

from serving.app import create_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("no headless Chromium: run `bash deploy/browser.sh` (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(make_settings(tmp_path_factory.mktemp("docs")))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    t.join(10)


def render_offline(url: str, tmp_dir: str) -> str:
    """The DOM of ``url`` after its scripts ran, in a Chromium that can reach nothing but loopback."""
    cmd = [
        _browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={tmp_dir}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>;127.0.0.1",
        "--virtual-time-budget=20000",
        "--dump-dom",
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_pages_reference_only_this_origin(gateway: str) -> None:
    import httpx

    for path in ("/docs", "/redoc"):
        page = httpx.get(gateway + path).text
        assert "cdn.jsdelivr.net" not in page and "fonts.googleapis.com" not in page
        assert "/docs/static/" in page
    r = httpx.get(gateway + "/docs/static/swagger-ui-bundle.js")
    assert r.status_code == 200 and len(r.content) > 100_000


def test_swagger_ui_renders_the_operations_offline(gateway: str, tmp_path) -> None:
    dom = render_offline(gateway + "/docs", str(tmp_path / "profile"))
    assert 'class="swagger-ui"' in dom and "opblock-summary-path" in dom, dom[:2000]
    for path in ("/auth/login", "/pix/transfers", "/accounts/me"):
        assert f'data-path="{path}"' in dom, path


def test_redoc_renders_the_operations_offline(gateway: str, tmp_path) -> None:
    dom = render_offline(gateway + "/redoc", str(tmp_path / "profile"))
    assert "/auth/login" in dom and "/pix/transfers" in dom, dom[:2000]
    assert "operation/" in dom  # ReDoc's menu links to each operation


def test_every_operation_is_described_with_examples_and_the_auth_flow(gateway: str) -> None:
    import httpx

    doc = httpx.get(gateway + "/openapi.json").json()
    assert "## Authentication" in doc["info"]["description"] and "/auth/refresh" in doc["info"]["description"]
    bare = [
        f"{method.upper()} {path}"
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if not op.get("description") or not op.get("summary")
    ]
    assert bare == []
    login = doc["paths"]["/auth/login"]["post"]
    assert login["summary"] == "Log in with e-mail and password"
    assert "email" in login["requestBody"]["content"]["application/json"]["example"]
    assert login["responses"]["200"]["content"]["application/json"]["example"]["token_type"] == "Bearer"
    transfer = doc["paths"]["/pix/transfers"]["post"]
    assert transfer["requestBody"]["content"]["application/json"]["example"]["amount_cents"] == 12550
