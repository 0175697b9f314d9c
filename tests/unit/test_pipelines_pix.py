"""Refunds and cobv payments into the lake: pure transforms over bronze frames, then the Dagster Pix
assets end to end over the tiny simulated world and its in-process Pix sandbox (refunds and cobv
made through cofre's client), with malformed records quarantined with their reason."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from dagster import materialize

from lake import delta
from lake.pseudonym import pseudonymise
from lake.settings import get_settings
from pipelines.common.bronze import bronze_frame, dumps
from pipelines.common.writes import write_bronze
from pipelines.definitions import ASSETS, CHECKS
from pipelines.pix import transforms as t
from pipelines.resources import WorldResource, default_resources
from pipelines.sources.clock import ManualClock
from pipelines.sources.pix.client import PixClient
from tests.pipeline_helpers import make_world

NOW = datetime(2026, 11, 1, tzinfo=UTC)
KEY = b"test-key"
E2E = "E12345678202610011200abcdefghijk"


def _refund(rid: str, valor: str, n: int, **extra) -> dict:
    at = datetime(2026, 10, 2, 12, n, tzinfo=UTC)
    return {
        "id": rid,
        "rtrId": f"D00000000202610021200{n:011d}",
        "valor": valor,
        "natureza": "ORIGINAL",
        "status": "DEVOLVIDO",
        "horario": {
            "solicitacao": at.isoformat().replace("+00:00", "Z"),
            "liquidacao": (at + timedelta(seconds=1)).isoformat().replace("+00:00", "Z"),
        },
        **extra,
    }


def _bronze(table: str, rows: list[tuple[str, dict]]) -> pl.DataFrame:
    at = NOW - timedelta(hours=1)
    return bronze_frame(table, "pix", [((k,), dumps(p), "req", at, None) for k, p in rows])


def _owners(*keys: str) -> pl.DataFrame:
    s = pl.Series(list(keys))
    return pl.DataFrame(
        {"key_pk": pseudonymise(s, "pix_key", key=KEY), "customer_pk": [f"cust-{k}" for k in keys]}
    )


def test_refunds_exploded_checked_and_quarantined():
    pix = {"endToEndId": E2E, "valor": "100.00", "chave": "k@x.com", "horario": "2026-10-01T12:00:00.000Z"}
    pix["devolucoes"] = [
        _refund("A", "30.00", 1),
        _refund("B", "abc", 2),  # malformed amount
        _refund("C", "60.00", 3, natureza="MED_FRAUDE"),
        _refund("D", "20.00", 4),  # 30 + 60 + 20 > 100
        _refund("E", "1.00", 5, status="PERDIDO"),  # not a status of the spec
    ]
    other = {
        "endToEndId": "E12345678202610011200zzzzzzzzzzz",
        "valor": "5.00",
        "horario": "2026-10-01T12:00:00.000Z",
    }
    good, bad = t.silver_pix_refunds(
        _bronze("bronze.pix_received", [(E2E, pix), (other["endToEndId"], other)]),
        _owners("k@x.com"),
        NOW,
        KEY,
    )
    assert good["refund_id"].to_list() == ["A", "C"]
    assert good["customer_pk"].to_list() == ["cust-k@x.com"] * 2 and good["amount_cents"].to_list() == [
        3000,
        6000,
    ]
    reasons = dict(zip(bad["refund_id"], bad["_checks"].to_list(), strict=True))
    # B's amount is unreadable; D would take 110.00 of 100.00 back; E's status is not the spec's
    assert reasons == {"B": ["amount_format"], "D": ["refunds_exceed_pix"], "E": ["status_in_spec"]}
    assert good.height + bad.height == 5


def test_cobv_payments_components_and_quarantine():
    def cobv(txid: str, valor: str, comps: dict, status: str = "CONCLUIDA") -> dict:
        return {
            "txid": txid,
            "revisao": 1,
            "status": status,
            "chave": "k@x.com",
            "calendario": {"dataDeVencimento": "2026-10-10", "validadeAposVencimento": 30},
            "valor": {"original": "100.00"},
            "pix": [
                {
                    "endToEndId": E2E[:-3] + txid[-3:],
                    "valor": valor,
                    "horario": "2026-10-15T15:00:00.000Z",
                    "componentesValor": comps,
                }
            ]
            if status == "CONCLUIDA"
            else [],
        }

    ok = cobv(
        "T" * 23 + "001",
        "104.50",
        {"original": {"valor": "100.00"}, "multa": {"valor": "2.00"}, "juros": {"valor": "2.50"}},
    )
    gap = cobv("T" * 23 + "002", "110.00", {"original": {"valor": "100.00"}, "multa": {"valor": "2.00"}})
    open_ = cobv("T" * 23 + "003", "", {}, status="ATIVA")
    rows = [(c["txid"], c) for c in (ok, gap, open_)]
    good, bad = t.silver_pix_cobv_payments(_bronze("bronze.pix_cobv", rows), _owners("k@x.com"), NOW, KEY)
    (row,) = good.to_dicts()
    assert row["txid"] == ok["txid"] and row["days_late"] == 5 and row["amount_cents"] == 10450
    assert (
        row["original_cents"],
        row["fine_cents"],
        row["interest_cents"],
        row["rebate_cents"],
        row["discount_cents"],
    ) == (10000, 200, 250, 0, 0)
    assert bad["txid"].to_list() == [gap["txid"]] and bad["_checks"][0].to_list() == ["components_sum"]


def test_ledger_credits_debits_and_running_balance():
    received = pl.DataFrame(
        {
            "end_to_end_id": ["E1", "E2", "E3"],
            "customer_pk": ["c1", "c1", None],
            "amount_cents": [10000, 5000, 700],
            "received_at": [NOW - timedelta(days=3), NOW - timedelta(days=2), NOW],
        }
    )
    refunds = pl.DataFrame(
        {
            "rtr_id": ["D1", "D2", "D3"],
            "end_to_end_id": ["E1", "E1", "E2"],
            "customer_pk": ["c1", "c1", "c1"],
            "amount_cents": [2500, 1000, 5000],
            "nature": ["ORIGINAL", "ORIGINAL", "MED_FRAUDE"],
            "status": ["DEVOLVIDO", "EM_PROCESSAMENTO", "DEVOLVIDO"],
            "requested_at": [NOW - timedelta(days=1)] * 3,
            "settled_at": [NOW - timedelta(hours=20), None, NOW - timedelta(hours=10)],
        }
    )
    cobv = pl.DataFrame({"end_to_end_id": ["E2"]})
    ledger = t.gold_pix_ledger(received, refunds, cobv, NOW)
    assert ledger["entry_id"].to_list() == ["E1", "E2", "D1", "D3"]  # the pending refund is not booked
    assert ledger["kind"].to_list() == ["PIX_RECEBIDO", "COBV_RECEBIDO", "DEVOLUCAO", "DEVOLUCAO_MED"]
    assert ledger["balance_cents"].to_list() == [10000, 15000, 12500, 7500]


# --- end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("pixlake")
    world = make_world(home)
    mp = pytest.MonkeyPatch()
    mp.setenv("COFRE_HOME", str(home))
    mp.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    yield home, world
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _env(home, monkeypatch):
    monkeypatch.setenv("COFRE_HOME", str(home[0]))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()


PIX_KEYS = ["bronze/bank_customers", "bronze/bank_logins", "bronze/bank_transaction_context"]
PIX_KEYS += ["silver/customers", "bronze/pix_received", "bronze/pix_cobv"]
PIX_KEYS += ["silver/pix_received", "silver/pix_refunds", "silver/pix_cobv_payments", "gold/pix_ledger"]


def _materialize(world_folder: str) -> None:
    from dagster import AssetKey

    res = materialize(
        [*ASSETS, *CHECKS],
        selection=[AssetKey(k.split("/")) for k in PIX_KEYS],
        resources=default_resources(None, world_folder),
        raise_on_error=False,
    )
    failed = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in res.get_asset_check_evaluations()
        if not e.passed
    ]
    assert res.success and not failed, failed


def test_refunds_and_cobv_payments_reach_silver_gold_and_quarantine(home):
    _, world = home
    app = WorldResource(folder=str(world)).sandbox_app("pix")  # the app the pipeline's client talks to
    state = app.state.ctx
    # the sandbox's clock starts three days ago and moves when we say so (refunds settle after 1 s)
    state.clock = ManualClock(start=(datetime.now(UTC) - timedelta(days=3)).timestamp())
    client = PixClient.from_settings(get_settings(), app=app)
    keys = [k for k, row in sorted(state.index.pix_keys.items()) if row["customer_id"] is not None]
    cpf = sorted(state.index.customer_by_cpf)[0]
    cobv_txid = "PIPELINEV" + "0" * 20 + "1"

    async def through_the_api():
        cob = await client.create_cob(keys[0], Decimal("80.00"), txid="PIPELINE" + "0" * 21 + "1")
        e2e = (await client.sandbox_pay(cob.txid))["pix"]["endToEndId"]
        await client.refund(e2e, "PARCIAL1", Decimal("30.00"))  # settled by the time of the pull
        await client.create_cobv(
            cobv_txid,
            keys[1],
            Decimal("100.00"),
            state.now().date(),
            {"cpf": cpf, "nome": "Devedor"},
            multa={"modalidade": 1, "valorPerc": "2.00"},
            juros={"modalidade": 1, "valorPerc": "0.50"},
        )
        state.clock.advance(3 * 86400)  # now: the cobv is paid three days late
        pay = await client.sandbox_pay_cobv(cobv_txid)
        state.clock.advance(
            60
        )  # the payer's institution returns part of it through the MED (settled at once)
        await client.sandbox_med(pay["pix"]["endToEndId"], Decimal("3.50"), "MED_OPERACIONAL")
        await client.refund(e2e, "PARCIAL2", Decimal("10.00"))  # still EM_PROCESSAMENTO at the pull
        return e2e, pay["pix"]

    e2e, cobv_pix = asyncio.run(through_the_api())
    assert cobv_pix["valor"] == "103.50"
    # malformed records arrive in bronze as the API could send them
    s = get_settings()
    broken_pix = {
        "endToEndId": "E99999999202610011200brokenbroke",
        "valor": "10.00",
        "horario": "2026-10-01T12:00:00.000Z",
        "chave": keys[0],
        "devolucoes": [_refund("X", "10.00", 7), _refund("Y", "5.00", 8)],  # 15 > 10
    }
    broken_cobv = {
        "txid": "BROKEN" + "0" * 23 + "1",
        "revisao": 0,
        "status": "CONCLUIDA",
        "chave": keys[1],
        "calendario": {"dataDeVencimento": "2026-10-01"},
        "valor": {"original": "50.00"},
        "pix": [
            {
                "endToEndId": "E99999999202610011200brokencobv",
                "valor": "55.00",
                "horario": "2026-10-02T12:00:00.000Z",
                "componentesValor": {"original": {"valor": "50.00"}, "multa": {"valor": "1.00"}},
            }
        ],
    }
    _materialize(str(world))
    write_bronze(
        "bronze.pix_received", _bronze("bronze.pix_received", [(broken_pix["endToEndId"], broken_pix)]), s
    )
    write_bronze("bronze.pix_cobv", _bronze("bronze.pix_cobv", [(broken_cobv["txid"], broken_cobv)]), s)
    _materialize(str(world))

    refunds = delta.read("silver.pix_refunds")
    mine = refunds.filter(pl.col("end_to_end_id") == e2e).sort("refund_id")
    assert mine["refund_id"].to_list() == ["PARCIAL1", "PARCIAL2"]
    assert mine["status"].to_list() == ["DEVOLVIDO", "EM_PROCESSAMENTO"] and mine[
        "amount_cents"
    ].to_list() == [3000, 1000]
    assert mine["customer_pk"].null_count() == 0
    fraud_credits = (
        WorldResource(folder=str(world))
        .load()["transactions"]
        .filter(
            (pl.col("type") == "PIX")
            & (pl.col("credit_debit_type") == "CREDITO")
            & pl.col("is_fraud")
            & pl.col("account_id").is_not_null()
        )
    )
    assert refunds.filter(pl.col("nature") == "MED_FRAUDE").height == fraud_credits.height  # world seeds
    (med,) = refunds.filter(pl.col("nature") == "MED_OPERACIONAL").to_dicts()
    assert med["end_to_end_id"] == cobv_pix["endToEndId"] and med["amount_cents"] == 350

    cobv = delta.read("silver.pix_cobv_payments")
    (paid,) = cobv.filter(pl.col("end_to_end_id") == cobv_pix["endToEndId"]).to_dicts()
    assert (paid["original_cents"], paid["fine_cents"], paid["interest_cents"], paid["amount_cents"]) == (
        10000,
        200,
        150,
        10350,
    )
    assert paid["days_late"] == 3

    ledger = delta.read("gold.pix_ledger")
    entries = ledger.filter(pl.col("end_to_end_id") == e2e).sort("booked_at")
    assert entries["kind"].to_list() == ["PIX_RECEBIDO", "DEVOLUCAO"] and entries[
        "amount_cents"
    ].to_list() == [8000, -3000]
    on_cobv = ledger.filter(pl.col("end_to_end_id") == cobv_pix["endToEndId"]).sort("booked_at")
    assert on_cobv["kind"].to_list() == ["COBV_RECEBIDO", "DEVOLUCAO_MED"]
    assert on_cobv["amount_cents"].to_list() == [10350, -350]
    customer = entries["customer_pk"][0]
    own = ledger.filter(pl.col("customer_pk") == customer).sort("booked_at", "entry_id")
    assert own["balance_cents"][-1] == own["amount_cents"].sum()
    assert ledger.filter(pl.col("kind") == "DEVOLUCAO_MED").height == fraud_credits.height + 1

    q = delta.read("quarantine.rows")
    by_table = {
        r["source_table"]: r
        for r in q.filter(pl.col("source_table").str.starts_with("silver.pix")).to_dicts()
    }
    assert "refunds_exceed_pix" in by_table["silver.pix_refunds"]["reason"]
    assert json.loads(by_table["silver.pix_refunds"]["payload"])["refund_id"] == "Y"
    assert "components_sum" in by_table["silver.pix_cobv_payments"]["reason"]
