"""Pix sandbox + client: spec conformance, pagination against the world, BR Code, webhook delivery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fixtures_world import make_world
from spec_validation import SpecRecorder, validate_json_body

from lake.domain.brcode import ascii_text, decode
from lake.settings import load_settings
from pipelines.sources.pix.client import PixApiError, PixClient, PixIdError
from sandbox.pix.server import create_app
from sandbox.world_index import WorldIndex

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=20, seed=5)


@pytest.fixture(scope="module")
def index(world):
    return WorldIndex(world)


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path, http_backoff_base_s=0.001)


class Receiver:
    """A webhook receiver app that fails its first ``fail`` calls with 503."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.calls = 0
        self.payloads: list[dict] = []
        self.app = FastAPI()

        @self.app.post("/hook/pix")
        async def hook(request: Request) -> JSONResponse:
            self.calls += 1
            if self.calls <= self.fail:
                return JSONResponse({"erro": "indisponivel"}, status_code=503)
            self.payloads.append(await request.json())
            return JSONResponse({})


def make(index, settings, receiver: Receiver | None = None):
    sleeps: list[float] = []

    async def fake_sleep(s: float) -> None:
        sleeps.append(s)

    app = create_app(
        index,
        settings,
        webhook_transport=httpx.ASGITransport(app=receiver.app) if receiver else None,
        webhook_sleep=fake_sleep,
    )
    client = PixClient.from_settings(settings, app=app)
    rec = SpecRecorder(("/api/",)).attach(client.http)
    return app, client, rec, sleeps


def customer_keys(index):
    return [k for k, row in sorted(index.pix_keys.items()) if row["customer_id"] is not None]


def test_cob_endpoints_validate_and_carry_a_valid_br_code(index, settings):
    app, client, rec, _ = make(index, settings)
    keys = customer_keys(index)
    cpfs = sorted(index.customer_by_cpf)

    async def scenario():
        for i, key in enumerate(keys[:20]):
            devedor = {"cpf": cpfs[i % len(cpfs)], "nome": "Fulano de Tal"} if i % 2 else None
            cob = await client.create_cob(
                key,
                Decimal(f"{i + 1}.{i:02d}"),
                devedor=devedor,
                txid=None if i % 3 else f"COFRE{i:025d}",
                solicitacao="Pedido",
            )
            code = decode(cob.pixCopiaECola)
            assert code.amount == cob.valor.original == Decimal(f"{i + 1}.{i:02d}")
            assert code.url == cob.location.removeprefix("https://") and code.point_of_initiation == "12"
            owner = index.pix_keys[key]["owner_name"]
            assert code.merchant_name == ascii_text(owner)[:25].strip()  # the recebedor, ASCII-normalised
            again = await client.get_cob(cob.txid)
            assert again.txid == cob.txid and again.status == "ATIVA"
        client.page_size = 6
        listed = await client.list_cobs(START, END)
        assert len(listed) == 20 and len({c.txid for c in listed}) == 20
        assert await client.list_cobs(START, END, status="CONCLUIDA") == []
        with pytest.raises(PixApiError) as err:
            await client.get_cob("x" * 30)
        assert err.value.status == 404 and err.value.name == "CobNaoEncontrado"
        with pytest.raises(PixApiError) as err:
            await client.create_cob("chave-desconhecida@x.com", Decimal("1.00"))
        assert err.value.status == 400 and err.value.violacoes[0]["propriedade"] == "cob.chave"
        with pytest.raises(PixIdError):  # the client checks the txid rule before sending
            await client.create_cob(keys[0], Decimal("1.00"), txid="short")
        r = await client.request(
            "PUT", "/api/cob/short", json={"valor": {"original": "1.00"}, "chave": keys[0]}
        )
        assert r.status_code == 400 and r.json()["violacoes"][0]["propriedade"] == "cob.txid"

    run(scenario())
    assert {201, 200, 400, 404} <= rec.statuses()
    assert len(rec.validated) >= 40


def test_received_pix_pagination_reaches_every_world_row(index, settings, world):
    app, client, rec, _ = make(index, settings)
    client.page_size = 17
    tx = world["transactions"]
    want = tx.filter(
        (tx["type"] == "PIX") & (tx["credit_debit_type"] == "CREDITO") & tx["account_id"].is_not_null()
    )

    async def scenario():
        got = await client.received_pix(START, END)
        assert len(got) == want.height
        assert sum(p.cents for p in got) == want["amount_cents"].sum()
        assert len({p.endToEndId for p in got}) == len(got)
        # a payer-CPF filter and a narrower period
        payer = want["counterparty_document"].drop_nulls()[0]
        by_payer = await client.received_pix(START, END, cpf=payer)
        assert len(by_payer) == want.filter(want["counterparty_document"] == payer).height
        mid = datetime(2026, 6, 1, tzinfo=UTC)
        part = await client.received_pix(START, mid)
        assert len(part) == want.filter(want["booked_at"] <= mid).height
        one = await client.get_pix(got[3].endToEndId)
        assert one.endToEndId == got[3].endToEndId and one.valor == got[3].valor

    run(scenario())
    pages = [p for _, p, _ in rec.validated if p == "/api/pix"]
    assert len(pages) > 10


def test_webhook_register_and_delivery_with_retries(index, settings):
    receiver = Receiver(fail=2)
    app, client, rec, sleeps = make(index, settings, receiver)
    key = customer_keys(index)[0]

    async def scenario():
        await client.set_webhook(key, "https://hooks.cofre.local/hook")
        hook = await client.get_webhook(key)
        assert hook.webhookUrl == "https://hooks.cofre.local/hook"
        cob = await client.create_cob(key, Decimal("42.00"))
        paid = await client.sandbox_pay(cob.txid)
        delivery = paid["deliveries"][0]
        assert delivery["delivered"] and delivery["attempts"] == 3  # two 503s, then 200
        assert sleeps == [settings.http_backoff_base_s, settings.http_backoff_base_s * 2]  # exponential
        assert (await client.get_cob(cob.txid)).status == "CONCLUIDA"
        pix = receiver.payloads[0]["pix"][0]
        assert pix["txid"] == cob.txid and pix["valor"] == "42.00"
        validate_json_body("pix", "get", f"/api/pix/{pix['endToEndId']}", 200, pix)  # payload is a spec Pix
        # replay the world's Pix for the key: everything received on that key arrives
        report = await client.sandbox_deliver(START, END)
        expected = [p for p in await client.received_pix(START, END) if p.chave == key]
        delivered = [p for payload in receiver.payloads[1:] for p in payload["pix"]]
        assert sum(r["pix"] for r in report["deliveries"]) == len(expected) == len(delivered)
        await client.delete_webhook(key)
        with pytest.raises(PixApiError) as err:
            await client.get_webhook(key)
        assert err.value.status == 404
        with pytest.raises(PixApiError) as err:
            await client.set_webhook("nao-e-cliente@x.com", "https://hooks.cofre.local/hook")
        assert err.value.status == 400

    run(scenario())
    assert {200, 201, 204, 400, 404} <= rec.statuses()


def test_webhook_delivery_gives_up_after_retries(index, settings):
    receiver = Receiver(fail=100)
    app, client, rec, sleeps = make(index, settings, receiver)
    key = customer_keys(index)[1]

    async def scenario():
        await client.set_webhook(key, "https://hooks.cofre.local/hook")
        cob = await client.create_cob(key, Decimal("5.00"))
        delivery = (await client.sandbox_pay(cob.txid))["deliveries"][0]
        assert not delivery["delivered"] and delivery["status"] == 503
        assert delivery["attempts"] == settings.sandbox_webhook_retries + 1

    run(scenario())


def test_scope_is_enforced(index, settings):
    app = create_app(index, settings)

    async def scenario():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://pix.cofre.local"
        ) as http:
            tok = (
                await http.post(
                    "/token",
                    data={"grant_type": "client_credentials", "scope": "cob.read"},
                    auth=(settings.client_id, settings.client_secret.get_secret_value()),
                )
            ).json()
            r = await http.get(
                "/api/pix",
                params={"inicio": "2026-01-01T00:00:00Z", "fim": "2026-02-01T00:00:00Z"},
                headers={"Authorization": f"Bearer {tok['access_token']}"},
            )
            assert r.status_code == 403 and r.json()["type"].endswith("/AcessoNegado")
            r = await http.get(
                "/api/pix", params={"inicio": "2026-01-01T00:00:00Z", "fim": "2026-02-01T00:00:00Z"}
            )
            assert r.status_code == 401

    run(scenario())


def test_pix_sandbox_is_deterministic_given_the_world(world, settings):
    async def snapshot():
        app = create_app(world, settings)
        client = PixClient.from_settings(settings, app=app)
        key = customer_keys(WorldIndex(world))[0]
        txids = [(await client.create_cob(key, Decimal("1.00"))).txid for _ in range(3)]
        pix = [p.model_dump() for p in await client.received_pix(START, END)]
        await client.aclose()
        return txids, pix

    assert run(snapshot()) == run(snapshot())


# --- issue 20, defect 6: dates before year 1000 and unchecked filter values ---------------------


def _raw(app, method, path, settings, **kw):
    async def go():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://pix.cofre.local"
        ) as http:
            tok = (
                await http.post(
                    "/token",
                    data={"grant_type": "client_credentials"},
                    auth=(settings.client_id, settings.client_secret.get_secret_value()),
                )
            ).json()["access_token"]
            return await http.request(method, path, headers={"Authorization": f"Bearer {tok}"}, **kw)

    return asyncio.run(go())


def test_iso_timestamps_keep_four_digit_years():
    from pipelines.sources.timefmt import iso_millis, iso_seconds

    assert iso_millis(datetime(781, 3, 4, 5, 6, 7, 89_000, tzinfo=UTC)) == "0781-03-04T05:06:07.089Z"
    assert iso_seconds(datetime(9, 1, 1, tzinfo=UTC)) == "0009-01-01T00:00:00Z"


@pytest.mark.parametrize("path", ["/api/pix", "/api/cob"])
def test_list_period_before_year_1000_is_echoed_with_four_digit_years(index, settings, path):
    from spec_validation import validate

    app = create_app(index, settings)
    r = _raw(
        app, "GET", path, settings, params={"inicio": "0781-01-01T00:00:00Z", "fim": "0781-12-31T23:59:59Z"}
    )
    assert r.status_code == 200, r.text
    params = r.json()["parametros"]
    assert params["inicio"] == "0781-01-01T00:00:00.000Z" and params["fim"] == "0781-12-31T23:59:59.000Z"
    validate(r)


BAD_FILTERS = [
    ("cpf", "null"),
    ("cpf", "12345678900"),  # 11 digits, wrong check digits
    ("cpf", "١٢٣٤٥٦٧٨٩٠٩"),  # Arabic-Indic digits are not [0-9]
    ("cnpj", "null"),
    ("cnpj", "11222333000180"),
    ("txid", "null!"),
    ("txid", "a" * 36),
    ("paginacao.paginaAtual", "-1"),
    ("paginacao.itensPorPagina", "0"),
    ("paginacao.itensPorPagina", "abc"),
]


@pytest.mark.parametrize(
    ("path", "kind"), [("/api/pix", "PixConsultaInvalida"), ("/api/cob", "CobConsultaInvalida")]
)
@pytest.mark.parametrize(("name", "value"), BAD_FILTERS)
def test_list_filters_are_validated_not_echoed(index, settings, path, kind, name, value):
    """A filter that does not respect the spec's schema is a 400 ``*ConsultaInvalida`` naming the
    parameter in ``violacoes``; it is never echoed back in ``parametros``."""
    if path == "/api/cob" and name == "txid":
        pytest.skip("GET /cob has no txid filter")
    app = create_app(index, settings)
    params = {"inicio": "2026-01-01T00:00:00Z", "fim": "2026-02-01T00:00:00Z", name: value}
    r = _raw(app, "GET", path, settings, params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == f"https://pix.bcb.gov.br/api/v2/error/{kind}" and "parametros" not in body
    assert [v["propriedade"] for v in body["violacoes"]] == [name]
    validate_json_body("pix", "put", "/api/cob/" + "a" * 26, 400, body, "application/problem+json")


def test_valid_filters_are_echoed_normalised_and_other_cob_filters_checked(index, settings):
    from spec_validation import validate

    app = create_app(index, settings)
    cpf = sorted(index.customer_by_cpf)[0]
    base = {"inicio": "2026-01-01T00:00:00Z", "fim": "2026-02-01T00:00:00Z"}
    r = _raw(app, "GET", "/api/pix", settings, params={**base, "cpf": cpf, "txIdPresente": "false"})
    assert r.status_code == 200 and r.json()["parametros"]["cpf"] == cpf
    validate(r)
    r = _raw(app, "GET", "/api/pix", settings, params={**base, "cnpj": "12abc34501de35"})
    assert r.status_code == 200 and r.json()["parametros"]["cnpj"] == "12ABC34501DE35"  # decision in defect 7
    for name, value in (("status", "QUALQUER"), ("locationPresente", "talvez"), ("cpf", "")):
        r = _raw(app, "GET", "/api/cob", settings, params={**base, name: value})
        assert r.status_code == 400 and r.json()["violacoes"][0]["propriedade"] == name, (name, r.text)
    r = _raw(app, "GET", "/api/pix", settings, params={**base, "devolucaoPresente": "sim"})
    assert r.status_code == 400 and r.json()["violacoes"][0]["propriedade"] == "devolucaoPresente"
