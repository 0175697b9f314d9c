"""LGPD access exports (issue 14.8): built in the background one at a time, served from the stored
archive until it expires, limited per day, and erased with the person."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from serving_kit import auth, make_settings, register

from cofre.embedded import gateway
from serving.documents.store import DocumentNotFound
from serving.lgpd import export
from serving.lgpd import registry as consents
from serving.lgpd.jobs import archive_key


@pytest.fixture()
def bank(tmp_path):
    app = gateway(make_settings(tmp_path, lgpd_exports_per_day=2))
    with TestClient(app) as c:
        yield c, app


def test_an_export_is_built_in_the_background_and_served_from_the_stored_archive(bank, monkeypatch):
    c, app = bank
    services = app.state.services
    user = register(c)
    with services.engine.begin() as conn:  # an access request the worker has not picked up yet
        rid = consents.open_request(conn, user["id"], "access")["id"]
    r = c.get(f"/lgpd/requests/{rid}/export", headers=auth(user["access"]))
    assert r.status_code == 202 and r.json()["status"] == "received" and r.headers["retry-after"]
    builds = []
    real = export.build_zip
    monkeypatch.setattr(export, "build_zip", lambda *a, **k: builds.append(1) or real(*a, **k))
    app.state.export_jobs.submit(rid)
    app.state.export_jobs.wait_idle()
    first = c.get(f"/lgpd/requests/{rid}/export", headers=auth(user["access"]))
    second = c.get(f"/lgpd/requests/{rid}/export", headers=auth(user["access"]))
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert builds == [1]  # downloads read the stored archive; nothing is rebuilt
    assert (
        json.loads(zipfile.ZipFile(io.BytesIO(first.content)).read("subject.json"))["user_id"] == user["id"]
    )
    assert first.headers["cache-control"] == "no-store"
    other = register(c)
    assert c.get(f"/lgpd/requests/{rid}/export", headers=auth(other["access"])).status_code == 404
    app.state.export_jobs.submit(rid)  # a second claim of a finished request does nothing
    app.state.export_jobs.wait_idle()
    assert builds == [1]


def test_expired_archives_answer_410(bank):
    c, app = bank
    user = register(c)
    rid = c.post("/lgpd/requests", json={"kind": "access"}, headers=auth(user["access"])).json()["id"]
    app.state.export_jobs.wait_idle()
    services = app.state.services
    with services.engine.begin() as conn:
        r = consents.get_request(conn, rid)
        result = json.loads(r["result"]) | {
            "expires_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        }
        consents.set_status(conn, rid, "done", json.dumps(result))
    r = c.get(f"/lgpd/requests/{rid}/export", headers=auth(user["access"]))
    assert r.status_code == 410 and r.json()["code"] == "export_expired"


def test_exports_are_limited_per_day_and_erased_with_the_person(bank):
    c, app = bank
    user, admin = register(c), register(c, role="admin")
    codes = [
        c.post("/lgpd/requests", json={"kind": "access"}, headers=auth(user["access"])) for _ in range(3)
    ]
    assert [r.status_code for r in codes] == [201, 201, 429]
    assert codes[2].json()["code"] == "too_many_exports"
    app.state.export_jobs.wait_idle()
    services = app.state.services
    keys = [archive_key(user["id"], r.json()["id"]) for r in codes[:2]]
    assert all(services.documents.get(k) for k in keys)
    rid = c.post("/lgpd/requests", json={"kind": "erasure"}, headers=auth(user["access"])).json()["id"]
    assert c.post(f"/admin/lgpd/requests/{rid}/erase", headers=auth(admin["access"])).status_code == 200
    for k in keys:
        with pytest.raises(DocumentNotFound):
            services.documents.get(k)
