"""Self-hosted API documentation: /docs (Swagger UI) and /redoc (ReDoc) work without internet.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on an offline laptop, in a locked-down
data centre or behind a proxy that blocks jsdelivr they are blank. Here the same pages (FastAPI's
``get_swagger_ui_html`` / ``get_redoc_html``) point at the bundle files shipped by the installed
package ``fastapi-offline`` (``swagger-ui-bundle.js``, ``swagger-ui.css``, ``redoc.standalone.js``,
``favicon.png``), served by the gateway under ``/docs/static``; ReDoc gets no Google Fonts. The
Content-Security-Policy of HTML pages (:mod:`serving.security.headers`) therefore allows scripts and
styles from this origin only.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from serving import operation_docs

STATIC_PREFIX = "/docs/static"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def static_dir() -> Path:
    """The folder of the installed fastapi-offline package that holds the UI bundles."""
    path = Path(str(files("fastapi_offline"))) / "static"
    missing = [a for a in ASSETS if not (path / a).is_file()]
    if missing:
        raise RuntimeError(f"fastapi-offline at {path} lacks {missing}: reinstall the environment (uv sync)")
    return path


def install(
    app: FastAPI, routes: Sequence[BaseRoute], *, docs_url: str = "/docs", redoc_url: str = "/redoc"
) -> None:
    """Add /docs, its OAuth2 redirect page, /redoc and the static bundles to ``app``; ``routes`` are the
    included routers' routes, documented from :mod:`serving.operation_docs`.

    The app must be created with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages off). The
    operations' summaries, descriptions and examples and the auth flow come from
    :mod:`serving.operation_docs`."""
    operation_docs.apply(app, routes)
    app.mount(STATIC_PREFIX, StaticFiles(directory=static_dir()), name="docs-static")
    oauth2_redirect_url = f"{docs_url}/oauth2-redirect"
    title = app.title

    def urls(request: Request) -> tuple[str, str]:
        root = request.scope.get("root_path", "").rstrip("/")
        return root + str(app.openapi_url), root + STATIC_PREFIX

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        openapi_url, static = urls(request)
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon.png",
            oauth2_redirect_url=request.scope.get("root_path", "").rstrip("/") + oauth2_redirect_url,
            swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        openapi_url, static = urls(request)
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{static}/redoc.standalone.js",
            redoc_favicon_url=f"{static}/favicon.png",
            with_google_fonts=False,
        )
