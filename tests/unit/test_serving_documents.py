"""Documents: allow-listed types checked by magic bytes, size limit (413), owner-only, signed links."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from serving_kit import auth, make_settings, register

from serving.app import create_app

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("docs"), documents_max_bytes=1024))
    with TestClient(app) as c:
        yield c


def _upload(client, user, data, ctype, kind="statement", name="f.pdf"):
    return client.post(
        "/documents", files={"file": (name, data, ctype)}, data={"kind": kind}, headers=auth(user["access"])
    )


def test_upload_download_owner_only(client):
    owner, other = register(client), register(client)
    r = _upload(client, owner, PDF, "application/pdf")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["size_bytes"] == len(PDF) and doc["content_type"] == "application/pdf"
    assert client.get(f"/documents/{doc['id']}/content", headers=auth(owner["access"])).content == PDF
    assert [d["id"] for d in client.get("/documents", headers=auth(owner["access"])).json()] == [doc["id"]]
    # another user: same 404 as for a missing document, and an empty listing
    assert client.get(f"/documents/{doc['id']}", headers=auth(other["access"])).status_code == 404
    assert client.get(f"/documents/{doc['id']}/content", headers=auth(other["access"])).status_code == 404
    assert client.get("/documents", headers=auth(other["access"])).json() == []
    # signed short-lived link (local store)
    meta = client.get(f"/documents/{doc['id']}", headers=auth(owner["access"])).json()
    url = urlparse(meta["download_url"])
    r = client.get(f"{url.path}?{url.query}")
    assert r.status_code == 200 and r.content == PDF
    q = parse_qs(url.query)
    forged = f"{url.path}?exp={int(q['exp'][0]) + 1000}&sig={q['sig'][0]}"
    assert client.get(forged).status_code == 403
    assert client.get(f"{url.path}?exp=1&sig={'0' * 64}").json()["code"] == "invalid_link"


def test_png_accepted_and_types_checked_by_magic(client):
    u = register(client)
    assert _upload(client, u, PNG, "image/png", kind="receipt", name="r.png").status_code == 201
    r = _upload(client, u, b"MZ\x90\x00 not a pdf", "application/pdf")
    assert r.status_code == 415 and r.json()["code"] == "content_mismatch"
    r = _upload(client, u, b"<html></html>", "text/html", name="x.html")
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type"
    r = _upload(client, u, PDF, "application/pdf", kind="selfie")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.kind"


def test_size_limit_413(client):
    u = register(client)
    r = _upload(client, u, PDF + b"0" * 2000, "application/pdf")
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    assert r.headers["content-type"].startswith("application/problem+json")


def _signed(key: bytes, doc_id: str, exp: int) -> str:
    return hmac.new(key, f"{doc_id}|{exp}".encode(), hashlib.sha256).hexdigest()


def test_link_forged_with_the_public_default_key_is_refused(client):
    """Regression (issue 14, item 3): the link key used to be derived from a public default, so
    anyone could sign a download link for any document id."""
    owner = register(client)
    doc = _upload(client, owner, PDF, "application/pdf").json()
    public = hmac.new(
        b"cofre-embedded-dev-key-change-me", b"cofre-document-links-v1", hashlib.sha256
    ).digest()
    exp = int(time.time()) + 60
    r = client.get(
        f"/documents/{doc['id']}/download", params={"exp": exp, "sig": _signed(public, doc["id"], exp)}
    )
    assert r.status_code == 403 and r.json()["code"] == "invalid_link"


def test_link_lifetime_is_capped(client):
    """A validly signed link that expires too far ahead (or never) is refused; the configured TTL
    is capped at an hour."""
    owner = register(client)
    doc = _upload(client, owner, PDF, "application/pdf").json()
    settings = client.app.state.services.settings
    key = settings.document_link_key()
    now = int(time.time())
    for exp in (now + 10 * 365 * 86400, 2**40 - 1, now + settings.document_link_ttl_s + 3600):
        r = client.get(
            f"/documents/{doc['id']}/download", params={"exp": exp, "sig": _signed(key, doc["id"], exp)}
        )
        assert r.status_code == 403, exp
    exp = now + settings.document_link_ttl_s
    r = client.get(
        f"/documents/{doc['id']}/download", params={"exp": exp, "sig": _signed(key, doc["id"], exp)}
    )
    assert r.status_code == 200 and r.content == PDF
    from lake.settings import SettingsError

    with pytest.raises(SettingsError, match="COFRE_DOCUMENT_LINK_TTL_S"):
        make_settings(settings.home, document_link_ttl_s=86400)
