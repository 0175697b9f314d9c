"""Hostile input to the gateway (issue 14, items 4, 5, 6, 7, 9 and 11): ids outside int64, timestamps
that overflow, non-Latin-1 file names, non-ASCII CPF digits, oversized and slow bodies, loosely typed
money and duplicate JSON keys. Every one is answered 4xx problem+json, never 500."""

from __future__ import annotations

import asyncio
import json
import uuid
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from serving_kit import PASSWORD, auth, deposit, make_settings, new_cpf, register, step_up

from serving.app import create_app

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HUGE_IDS = [2**63, 2**64 + 5, 10**30, -(2**63) - 1]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("secin")))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def admin(client):
    a = register(client, role="admin")
    deposit(client, a, a["account_id"], 1_000_00)
    return {**a, "stepped": step_up(client, a)}


def _problem(r, *statuses):
    assert r.status_code in statuses, f"{r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    return r.json()


# --- item 4: integer ids outside int64 ----------------------------------------------------------


@pytest.mark.parametrize("big", HUGE_IDS)
def test_ids_outside_int64_are_422_not_500(client, admin, big):
    h = auth(admin["access"])
    stepped = auth(admin["stepped"])
    calls = [
        client.get(f"/lgpd/requests/{big}", headers=h),
        client.get(f"/lgpd/requests/{big}/export", headers=h),
        client.delete(f"/pix/keys/{big}", headers=stepped),
        client.post("/pix/brcode", json={"key_id": big}, headers=h),
        client.post("/auth/step-up/challenge", json={"device_id": big}, headers=h),
        client.post(
            "/admin/deposits",
            json={"account_id": big, "amount_cents": 100},
            headers=auth(admin["access"], **{"Idempotency-Key": uuid.uuid4().hex}),
        ),
        client.post(f"/admin/lgpd/requests/{big}/erase", headers=h),
        client.post(f"/admin/lgpd/requests/{big}/reject", json={"reason": "no reason"}, headers=h),
    ]
    for r in calls:
        body = _problem(r, 422)
        assert body["code"] == "validation_error"


def test_ids_in_range_but_unknown_are_404(client, admin):
    top = 2**63 - 1
    assert _problem(client.get(f"/lgpd/requests/{top}", headers=auth(admin["access"])), 404)
    r = client.post("/pix/brcode", json={"key_id": top}, headers=auth(admin["access"]))
    assert _problem(r, 404)["code"] == "pix_key_not_found"


# --- item 5: timestamps that overflow -----------------------------------------------------------

OVERFLOWING = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999+00:00",
    "2026-03-10T12:00:00",  # naive: which zone?
    "1969-12-31T23:59:59Z",
]


@pytest.mark.parametrize("ts", [*OVERFLOWING, "2100-01-01T00:00:00Z", "2200-01-01T00:00:00Z"])
def test_fraud_score_timestamp_bounded(client, admin, ts):
    body = {"amount_cents": 1000, "counterparty_key": "someone@example.com", "timestamp": ts}
    r = client.post("/fraud/score", json=body, headers=auth(admin["access"]))
    problem = _problem(r, 422)
    assert problem["errors"][0]["field"] == "body.timestamp"


@pytest.mark.parametrize("ts", [*OVERFLOWING, "3000-01-01T00:00:00Z"])
def test_logs_since_until_bounded(client, admin, ts):
    for name in ("since", "until"):
        r = client.get("/logs", params={name: ts}, headers=auth(admin["access"]))
        problem = _problem(r, 422)
        assert problem["errors"][0]["field"] == f"query.{name}"


def test_logs_accept_aware_times_in_any_offset(client, admin):
    r = client.get(
        "/logs",
        params={"since": "2020-01-01T00:00:00-03:00", "until": "2099-12-31T23:59:59+14:00"},
        headers=auth(admin["access"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["count"] >= 1


# --- item 6: non-Latin-1 document file names ----------------------------------------------------


def test_unicode_file_name_downloads_with_rfc6266_encoding(client):
    u = register(client)
    name = "relatório✓€ (v2) 100%.pdf"
    r = client.post(
        "/documents",
        files={"file": (name, PDF, "application/pdf")},
        data={"kind": "statement"},
        headers=auth(u["access"]),
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["filename"] == name
    r = client.get(f"/documents/{doc['id']}/content", headers=auth(u["access"]))
    assert r.status_code == 200, r.text
    assert r.content == PDF
    cd = r.headers["content-disposition"]
    assert cd.isascii()
    assert "filename*=UTF-8''" + quote(name, safe="") in cd
    fallback = cd.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".pdf") and "%" not in fallback
    url = client.get(f"/documents/{doc['id']}", headers=auth(u["access"])).json()["download_url"]
    r = client.get(url)
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-disposition"] == cd


def test_control_characters_do_not_reach_the_header(client):
    u = register(client)
    r = client.post(
        "/documents",
        files={"file": ("a\r\nSet-Cookie: x=1.pdf", PDF, "application/pdf")},
        data={"kind": "statement"},
        headers=auth(u["access"]),
    )
    assert r.status_code == 201, r.text
    r = client.get(f"/documents/{r.json()['id']}/content", headers=auth(u["access"]))
    assert r.status_code == 200
    assert "set-cookie" not in r.headers
    assert "\r" not in r.headers["content-disposition"] and "\n" not in r.headers["content-disposition"]


# --- item 7: CPF with non-ASCII digits ----------------------------------------------------------


def _to_script(cpf: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) for c in cpf)


@pytest.mark.parametrize("zero", [0x0660, 0x06F0, 0x0966, 0xFF10, 0x1D7CE])
def test_register_refuses_non_ascii_digits(client, zero):
    cpf = new_cpf()
    # the example keeps ASCII check digits: only the base is in another script
    for variant in (_to_script(cpf[:9], zero) + cpf[9:], _to_script(cpf, zero)):
        r = client.post(
            "/auth/register",
            json={
                "cpf": variant,
                "name": "Maria",
                "email": f"x{uuid.uuid4().hex}@ex.com",
                "password": PASSWORD,
            },
        )
        body = _problem(r, 422)
        assert body["errors"][0]["field"] == "body.cpf"


def test_register_accepts_bare_and_standard_mask_only(client):
    cpf = new_cpf()
    masked = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    for bad in (f"{cpf[:3]}.{cpf[3:6]}{cpf[6:9]}-{cpf[9:]}", f"{cpf[:9]}-{cpf[9:]}", f"{cpf[:9]} {cpf[9:]}"):
        r = client.post(
            "/auth/register",
            json={"cpf": bad, "name": "Maria", "email": f"x{uuid.uuid4().hex}@ex.com", "password": PASSWORD},
        )
        assert _problem(r, 422)["errors"][0]["field"] == "body.cpf"
    r = client.post(
        "/auth/register",
        json={"cpf": masked, "name": "Maria", "email": f"x{uuid.uuid4().hex}@ex.com", "password": PASSWORD},
    )
    assert r.status_code == 201, r.text


def test_suitability_score_refuses_non_ascii_cpf(client, admin):
    cpf = new_cpf()
    r = client.post(
        "/suitability/score", json={"cpf": _to_script(cpf, 0x0660)}, headers=auth(admin["access"])
    )
    # consent gate first (admin has none): 403; with consent the CPF check answers 422, never a lookup
    assert r.status_code in (403, 422), r.text
    assert client.post("/lgpd/consents/credit_analysis", headers=auth(admin["access"])).status_code == 201
    r = client.post(
        "/suitability/score", json={"cpf": _to_script(cpf, 0x0660)}, headers=auth(admin["access"])
    )
    assert _problem(r, 422)["code"] == "invalid_cpf"
    r = client.post("/suitability/score", json={"cpf": "529a982b247c25"}, headers=auth(admin["access"]))
    assert _problem(r, 422)["code"] == "invalid_cpf"


# --- item 9: body size cap and slow bodies ------------------------------------------------------


def test_large_json_body_refused_413(client):
    body = {
        "cpf": new_cpf(),
        "name": "x" * (2 * 1024 * 1024),
        "email": "big@example.com",
        "password": PASSWORD,
    }
    r = client.post("/auth/register", json=body)
    problem = _problem(r, 413)
    assert problem["code"] == "payload_too_large"
    assert problem["limit_bytes"] == client.app.state.services.settings.max_body_bytes


class _Wire:
    """A raw ASGI call: the request body arrives in the given chunks; the clock advances ``tick``
    seconds at every chunk; a chunk None is a client that stops sending (receive never returns)."""

    def __init__(self, chunks, tick: float = 0.0) -> None:
        self.chunks = list(chunks)
        self.tick = tick
        self.now = 1000.0
        self.reads = 0
        self.sent: list[dict] = []

    def clock(self) -> float:
        return self.now

    async def receive(self) -> dict:
        if not self.chunks:
            await asyncio.Event().wait()
        chunk = self.chunks.pop(0)
        if chunk is None:
            await asyncio.Event().wait()
        self.reads += 1
        self.now += self.tick
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    def run(self, app, path: str, headers: dict[str, str], method: str = "POST") -> tuple[int, dict]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("10.9.9.9", 5000),
            "server": ("testserver", 80),
            "state": {},
        }
        asyncio.run(asyncio.wait_for(app(scope, self.receive, self.send), 30))
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        return start["status"], json.loads(body)


@pytest.fixture(scope="module")
def wire_app(tmp_path_factory):
    holder = {}
    app = create_app(
        make_settings(tmp_path_factory.mktemp("wire"), max_body_bytes=1000, body_timeout_s=10),
        body_clock=lambda: holder["wire"].clock(),
    )
    return app, holder


def test_declared_length_over_cap_refused_before_reading(wire_app):
    app, holder = wire_app
    w = holder["wire"] = _Wire([b"{" * 100] * 100)
    status, body = w.run(
        app, "/auth/register", {"content-type": "application/json", "content-length": "10000"}
    )
    assert status == 413 and body["code"] == "payload_too_large"
    assert w.reads == 0  # not a byte read


def test_chunked_body_over_cap_stops_reading(wire_app):
    app, holder = wire_app
    w = holder["wire"] = _Wire([b" " * 300] * 100)
    status, body = w.run(
        app, "/auth/register", {"content-type": "application/json", "transfer-encoding": "chunked"}
    )
    assert status == 413 and body["code"] == "payload_too_large"
    assert w.reads == 4  # 1200 > 1000 bytes: stopped at the chunk that crossed the cap


def test_slow_body_times_out_408(wire_app):
    app, holder = wire_app
    w = holder["wire"] = _Wire([b"{", b'"a"', b":", b"1", b"}"], tick=4.0)  # 4 s a chunk, 10 s allowed
    status, body = w.run(app, "/auth/register", {"content-type": "application/json", "content-length": "7"})
    assert status == 408 and body["code"] == "request_timeout"
    assert w.reads == 3


def test_stalled_body_times_out_408(wire_app):
    app, holder = wire_app
    w = holder["wire"] = _Wire([b"{", None], tick=10.0)  # the first chunk uses the allowance up; then silence
    status, body = w.run(app, "/auth/register", {"content-type": "application/json", "content-length": "7"})
    assert status == 408 and body["code"] == "request_timeout"


def test_document_route_has_its_own_cap(tmp_path):
    app = create_app(make_settings(tmp_path, max_body_bytes=1000, documents_max_bytes=20_000))
    with TestClient(app) as c:
        u = register(c)
        big_pdf = PDF + b"0" * 5000  # over the JSON cap, under the documents cap
        r = c.post(
            "/documents",
            files={"file": ("f.pdf", big_pdf, "application/pdf")},
            data={"kind": "statement"},
            headers=auth(u["access"]),
        )
        assert r.status_code == 201, r.text
        r = c.post(
            "/documents",
            files={"file": ("f.pdf", PDF + b"0" * 200_000, "application/pdf")},
            data={"kind": "statement"},
            headers=auth(u["access"]),
        )
        assert _problem(r, 413)["code"] == "payload_too_large"


# --- item 11: strict money and ids, duplicate keys ----------------------------------------------


@pytest.mark.parametrize("amount", [True, "100", " 100 ", "1_00", 100.0, 1e2, "1e2", None, [100]])
def test_money_must_be_a_json_integer(client, admin, amount):
    bob = register(client)
    r = client.post(
        "/pix/transfers",
        json={"amount_cents": amount, "key": f"u{bob['cpf']}@example.com", "key_type": "EMAIL"},
        headers=auth(admin["access"], **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    problem = _problem(r, 422)
    assert problem["errors"][0]["field"] == "body.amount_cents"
    r = client.post(
        "/admin/deposits",
        json={"account_id": bob["account_id"], "amount_cents": amount},
        headers=auth(admin["access"], **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    assert _problem(r, 422)["errors"][0]["field"] == "body.amount_cents"
    assert client.get("/accounts/me", headers=auth(bob["access"])).json()["balance_cents"] == 0


@pytest.mark.parametrize("ident", [True, "1", 1.0])
def test_ids_must_be_json_integers(client, admin, ident):
    r = client.post("/pix/brcode", json={"key_id": ident}, headers=auth(admin["access"]))
    assert _problem(r, 422)["errors"][0]["field"] == "body.key_id"
    r = client.post("/auth/step-up/challenge", json={"device_id": ident}, headers=auth(admin["access"]))
    assert _problem(r, 422)["errors"][0]["field"] == "body.device_id"


def test_duplicate_json_keys_refused(client, admin):
    bob = register(client)
    raw = f'{{"account_id": {bob["account_id"]}, "amount_cents": 1, "amount_cents": 100000}}'.encode()
    r = client.post(
        "/admin/deposits",
        content=raw,
        headers=auth(
            admin["access"], **{"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
        ),
    )
    problem = _problem(r, 422)
    assert problem["code"] == "duplicate_json_key"
    assert "amount_cents" in problem["detail"]
    nested = b'{"cpf": "x", "name": "ab", "email": "a@b.co", "password": "p", "x": {"k": 1, "k": 2}}'
    r = client.post("/auth/register", content=nested, headers={"Content-Type": "application/json"})
    assert _problem(r, 422)["code"] == "duplicate_json_key"
    assert client.get("/accounts/me", headers=auth(bob["access"])).json()["balance_cents"] == 0


def test_non_finite_json_numbers_refused(client, admin):
    r = client.post(
        "/suitability/score",
        content=b'{"overrides": {"income": NaN}}',
        headers=auth(admin["access"], **{"Content-Type": "application/json"}),
    )
    assert _problem(r, 422)["code"] == "invalid_json"


def test_malformed_json_still_a_validation_problem(client):
    r = client.post("/auth/register", content=b'{"cpf": ', headers={"Content-Type": "application/json"})
    assert _problem(r, 422)["code"] in ("validation_error", "invalid_json")


@pytest.mark.parametrize("blank", ["", "   "])
def test_deposits_refuse_a_blank_idempotency_key(client, admin, blank):
    """A whitespace key is no key: every blank-keyed deposit would share one idempotency slot."""
    bob = register(client)
    r = client.post(
        "/admin/deposits",
        json={"account_id": bob["account_id"], "amount_cents": 100},
        headers=auth(admin["access"], **{"Idempotency-Key": blank}),
    )
    assert _problem(r, 400)["code"] == "idempotency_key_required"
    assert client.get("/accounts/me", headers=auth(bob["access"])).json()["balance_cents"] == 0
