"""Refunds of received Pix (``PUT|GET /pix/{e2eid}/devolucao/{id}``): partial and total, the spec's
violations, settlement, retry-safety of the client, MED returns, E2EID rules."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from fixtures_world import make_world
from pix_kit import END, START, customer_keys, make, run, txid
from spec_validation import validate_json_body

from lake.domain import pix_ids
from lake.settings import load_settings
from pipelines.sources.pix.client import PixApiError, PixIdError
from sandbox.world_index import WorldIndex


@pytest.fixture(scope="module")
def world():
    """The fixture world with three Pix credits labelled as mule-account fraud."""
    w = make_world(n_customers=20, seed=8)
    tx = w["transactions"]
    credit = (tx["type"] == "PIX") & (tx["credit_debit_type"] == "CREDITO") & tx["account_id"].is_not_null()
    marked = set(tx.filter(credit)["transaction_id"].head(3))
    w["transactions"] = tx.with_columns(
        pl.col("transaction_id").is_in(marked).alias("is_fraud"),
        pl.when(pl.col("transaction_id").is_in(marked))
        .then(pl.lit("mule_account"))
        .otherwise(None)
        .alias("fraud_scenario"),
    )
    return w


@pytest.fixture(scope="module")
def index(world):
    return WorldIndex(world)


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path)


async def _paid(kit, key: str, n: int, amount: str) -> str:
    cob = await kit.client.create_cob(key, Decimal(amount), txid=txid(n))
    return (await kit.client.sandbox_pay(cob.txid))["pix"]["endToEndId"]


def test_partial_then_total_refund_and_the_limits(index, settings):
    kit = make(index, settings)
    c, key = kit.client, customer_keys(index)[0]

    async def scenario():
        e2e = await _paid(kit, key, 1, "100.00")
        first = await c.refund(e2e, "DEV1", Decimal("30.00"), descricao="Troca de produto")
        assert first.status == "EM_PROCESSAMENTO" and first.natureza == "ORIGINAL" and first.cents == 3000
        assert pix_ids.is_return_id(first.rtrId) and first.rtrId.startswith("D" + settings.pix_ispb)
        kit.clock.advance(2)
        settled = await c.get_refund(e2e, "DEV1")
        assert settled.status == "DEVOLVIDO" and "liquidacao" in settled.horario
        with pytest.raises(PixApiError) as err:  # 30 + 80 > 100
            await c.refund(e2e, "DEV2", Decimal("80.00"))
        assert (
            err.value.name == "PixDevolucaoInvalida"
            and err.value.violacoes[0]["propriedade"] == "devolucao.valor"
        )
        rest = await c.refund(e2e, "DEV2", Decimal("70.00"))  # the total
        assert rest.cents == 7000
        with pytest.raises(PixApiError):
            await c.refund(e2e, "DEV3", Decimal("0.01"))
        pix = await c.get_pix(e2e)
        assert [d.id for d in pix.devolucoes] == ["DEV1", "DEV2"] and sum(
            d.cents for d in pix.devolucoes
        ) == 10000
        with_refunds = await c.received_pix(START, END, devolucao_presente=True)
        assert [p.endToEndId for p in with_refunds if p.txid] == [e2e]
        validate_json_body(
            "pix", "get", f"/api/pix/{e2e}", 200, pix.model_dump(mode="json", exclude_none=True)
        )

    run(scenario())
    assert {200, 201, 400} <= kit.rec.statuses()


def test_refund_is_retry_safe_and_ids_are_checked(index, settings):
    kit = make(index, settings)
    c, key = kit.client, customer_keys(index)[1]

    async def scenario():
        e2e = await _paid(kit, key, 2, "40.00")
        once = await c.refund(e2e, "R1", Decimal("10.00"))
        again = await c.refund(e2e, "R1", Decimal("10.00"))  # a retry: the same refund, not a second one
        assert again.rtrId == once.rtrId and len((await c.get_pix(e2e)).devolucoes) == 1
        with pytest.raises(PixApiError) as err:  # the same id for another amount is refused
            await c.refund(e2e, "R1", Decimal("11.00"))
        assert err.value.violacoes[0]["propriedade"] == "id"
        for bad_id in ("", "a" * 36, "com espaço", "ção"):
            with pytest.raises(PixIdError):
                await c.refund(e2e, bad_id, Decimal("1.00"))
        for bad_e2e in ("e" + e2e[1:], "X" + e2e[1:], e2e[:-1], e2e[:9] + "202613011200" + e2e[21:]):
            with pytest.raises(PixIdError):
                await c.refund(bad_e2e, "R9", Decimal("1.00"))
            r = await c.request("PUT", f"/api/pix/{bad_e2e}/devolucao/R9", json={"valor": "1.00"})
            assert r.status_code == 400 and r.json()["violacoes"][0]["propriedade"] == "e2eid"
            r = await c.request("GET", f"/api/pix/{bad_e2e}")
            assert r.status_code == 404
        unknown = pix_ids.end_to_end_id("12345678", index_today(index), "abcdefghijk")
        with pytest.raises(PixApiError) as err:
            await c.refund(unknown, "R1", Decimal("1.00"))
        assert err.value.status == 404 and err.value.name == "PixNaoEncontrado"
        with pytest.raises(PixApiError) as err:
            await c.get_refund(e2e, "NAOEXISTE")
        assert err.value.status == 404 and err.value.name == "PixDevolucaoNaoEncontrada"

    run(scenario())


def index_today(index):
    from datetime import UTC, datetime

    return datetime.combine(index.today, datetime.min.time(), tzinfo=UTC)


def test_refund_natures_and_the_90_day_window(index, settings):
    kit = make(index, settings)
    c, key = kit.client, customer_keys(index)[2]

    async def scenario():
        e2e = await _paid(kit, key, 3, "25.00")
        for natureza in ("RETIRADA", "MED_FRAUDE", "QUALQUER"):
            with pytest.raises(PixApiError) as err:
                await c.refund(e2e, "N1", Decimal("1.00"), natureza=natureza)
            assert err.value.violacoes[0]["propriedade"] == "devolucao.natureza"
        kit.clock.advance(91 * 86400)
        with pytest.raises(PixApiError) as err:
            await c.refund(e2e, "LATE", Decimal("1.00"))
        assert "90 dias" in err.value.violacoes[0]["razao"]

    run(scenario())


def test_med_returns_of_fraud_credits_and_on_demand(index, settings, world):
    """The world's fraud-labelled Pix credits come with a full MED_FRAUDE return two days later;
    the sandbox-only MED endpoint starts one (MED_OPERACIONAL) for a part of a Pix."""
    kit = make(index, settings)
    c = kit.client
    tx = world["transactions"]
    fraud = tx.filter(
        (tx["type"] == "PIX")
        & (tx["credit_debit_type"] == "CREDITO")
        & tx["account_id"].is_not_null()
        & tx["is_fraud"]
    )

    async def scenario():
        refunded = await c.received_pix(START, END, devolucao_presente=True)
        assert len(refunded) == fraud.height == 3
        for p in refunded:
            (d,) = p.devolucoes
            assert d.natureza == "MED_FRAUDE" and d.status == "DEVOLVIDO" and d.cents == p.cents
            assert d.id.startswith("MED") and pix_ids.is_return_id(d.rtrId)
            assert (await c.get_refund(p.endToEndId, d.id)).rtrId == d.rtrId
        e2e = await _paid(kit, customer_keys(index)[3], 4, "60.00")
        out = await c.sandbox_med(e2e, Decimal("15.00"), "MED_OPERACIONAL", "falha operacional do PSP")
        assert out["devolucao"]["natureza"] == "MED_OPERACIONAL" and out["devolucao"]["status"] == "DEVOLVIDO"
        with pytest.raises(PixApiError):  # MED cannot exceed the Pix either
            await c.sandbox_med(e2e, Decimal("50.00"))
        left = await c.refund(e2e, "REST", Decimal("45.00"))
        assert left.cents == 4500

    run(scenario())


def test_refunds_reach_the_webhook_of_the_key(index, settings):
    from pipelines.sources.pix.webhook_receiver import PixWebhookReceiver

    kit0 = make(index, settings)
    receiver = PixWebhookReceiver(settings.pix_webhook_secret.get_secret_value(), clock=kit0.clock)
    kit = make(index, settings, webhook_app=receiver.app("/hook"))
    receiver.clock = kit.clock
    c, key = kit.client, customer_keys(index)[4]

    async def scenario():
        await c.set_webhook(key, "https://hooks.cofre.local/hook")
        e2e = await _paid(kit, key, 5, "12.00")
        await c.refund(e2e, "W1", Decimal("2.00"))
        assert [p.endToEndId for p in receiver.received] == [e2e, e2e]
        assert receiver.received[0].devolucoes == [] and receiver.received[1].devolucoes[0].id == "W1"

    run(scenario())
