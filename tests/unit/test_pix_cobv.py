"""Charges with a due date (``cobv``): create/revise/get/list with fine, interest, rebate and discount;
the amount a payer pays on a given day; the violations the API answers with."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from fixtures_world import make_world
from hypothesis import given
from hypothesis import strategies as st
from pix_kit import END, START, customer_keys, make, run, txid
from spec_validation import validate_json_body

from lake.domain.brcode import decode
from lake.settings import load_settings
from pipelines.sources.pix.client import PixApiError
from sandbox.pix.cobv_amounts import Components, amount_due, business_days, check_valor
from sandbox.world_index import WorldIndex


@pytest.fixture(scope="module")
def index():
    return WorldIndex(make_world(n_customers=12, seed=6))


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path, http_backoff_base_s=0.001)


# --- the amount rules --------------------------------------------------------------------------


def test_the_spec_example_two_days_late_with_3pct_fine_and_1pct_a_day():
    """API Pix, componentesValor: R$100.00, 2 days late, 3% fine and 1% a day -> R$105.00."""
    valor = {
        "original": "100.00",
        "multa": {"modalidade": 2, "valorPerc": "3.00"},
        "juros": {"modalidade": 2, "valorPerc": "1.00"},
    }
    c = amount_due(valor, date(2026, 3, 10), date(2026, 3, 12))
    assert (c.original, c.multa, c.juros, c.total) == (10000, 300, 200, 10500)
    assert c.componentes_valor() == {
        "original": {"valor": "100.00"},
        "multa": {"valor": "3.00"},
        "juros": {"valor": "2.00"},
    }


def test_modalities():
    due = date(2026, 3, 13)  # a Friday
    base = {"original": "200.00"}
    fixed_fine = {**base, "multa": {"modalidade": 1, "valorPerc": "5.00"}}
    assert amount_due(fixed_fine, due, due).multa == 0  # on the due date: no fine
    assert amount_due(fixed_fine, due, due + timedelta(days=1)).multa == 500
    monthly = {**base, "juros": {"modalidade": 3, "valorPerc": "3.00"}}  # 3% a month, /30 a calendar day
    assert amount_due(monthly, due, due + timedelta(days=10)).juros == 200
    business = {**base, "juros": {"modalidade": 5, "valorPerc": "1.00"}}  # R$1 a business day
    assert amount_due(business, due, due + timedelta(days=3)).juros == 100  # Sat, Sun, Mon
    rebate = {**base, "abatimento": {"modalidade": 2, "valorPerc": "10.00"}}
    assert amount_due(rebate, due, due - timedelta(days=5)).abatimento == 2000
    assert amount_due(rebate, due, due + timedelta(days=5)).abatimento == 2000  # always
    dated = {
        **base,
        "desconto": {
            "modalidade": 1,
            "descontoDataFixa": [
                {"data": "2026-03-01", "valorPerc": "20.00"},
                {"data": "2026-03-10", "valorPerc": "10.00"},
            ],
        },
    }
    assert amount_due(dated, due, date(2026, 2, 27)).desconto == 2000
    assert amount_due(dated, due, date(2026, 3, 5)).desconto == 1000
    assert amount_due(dated, due, date(2026, 3, 11)).desconto == 0
    early = {**base, "desconto": {"modalidade": 6, "valorPerc": "0.50"}}  # 0.5% per business day early
    assert amount_due(early, due, date(2026, 3, 9)).desconto == 400  # Tue..Fri = 4 business days
    assert business_days(date(2026, 3, 9), due) == 4
    huge = {**base, "desconto": {"modalidade": 3, "valorPerc": "150.00"}}  # capped: at least one cent paid
    assert amount_due(huge, due, due - timedelta(days=30)).total == 1


def _reference(orig: int, fine_pct: Fraction, day_pct: Fraction, rebate: int, late: int) -> int:
    """Exact-fraction reference of fine (%), interest (% a calendar day) and a fixed rebate."""

    def half_up(x: Fraction) -> int:
        return int(x + Fraction(1, 2)) if x >= 0 else -int(-x + Fraction(1, 2))

    multa = half_up(orig * fine_pct / 100) if late else 0
    juros = half_up(orig * day_pct / 100 * late)
    return orig + multa + juros - rebate


@given(
    orig=st.integers(min_value=100, max_value=10**10),
    fine=st.integers(min_value=0, max_value=2000),
    day=st.integers(min_value=0, max_value=500),
    rebate=st.integers(min_value=0, max_value=99),
    late=st.integers(min_value=0, max_value=400),
)
def test_amount_due_matches_an_exact_reference(orig, fine, day, rebate, late):
    fine_pct, day_pct = Fraction(fine, 100), Fraction(day, 100)
    valor = {
        "original": f"{orig // 100}.{orig % 100:02d}",
        "multa": {"modalidade": 2, "valorPerc": f"{fine // 100}.{fine % 100:02d}"},
        "juros": {"modalidade": 2, "valorPerc": f"{day // 100}.{day % 100:02d}"},
        "abatimento": {"modalidade": 1, "valorPerc": f"0.{rebate:02d}"},
    }
    due = date(2026, 1, 1)
    c = amount_due(valor, due, due + timedelta(days=late))
    assert isinstance(c, Components) and min(c.original, c.multa, c.juros, c.abatimento, c.desconto) >= 0
    assert c.total == _reference(orig, fine_pct, day_pct, rebate, late)


@pytest.mark.parametrize(
    ("valor", "prop"),
    [
        ({"original": "0.00"}, "cobv.valor.original"),
        (
            {"original": "10.00", "abatimento": {"modalidade": 1, "valorPerc": "10.00"}},
            "cobv.valor.abatimento",
        ),
        (
            {"original": "10.00", "abatimento": {"modalidade": 2, "valorPerc": "100.00"}},
            "cobv.valor.abatimento",
        ),
        ({"original": "10.00", "multa": {"modalidade": 3, "valorPerc": "1.00"}}, "cobv.valor.multa"),
        ({"original": "10.00", "juros": {"modalidade": 9, "valorPerc": "1.00"}}, "cobv.valor.juros"),
        (
            {"original": "10.00", "desconto": {"modalidade": 1, "valorPerc": "1.00"}},
            "cobv.valor.desconto.valorPerc",
        ),
        ({"original": "10.00", "desconto": {"modalidade": 2}}, "cobv.valor.desconto"),
        (
            {
                "original": "10.00",
                "desconto": {
                    "modalidade": 1,
                    "descontoDataFixa": [{"data": "2026-12-31", "valorPerc": "1.00"}],
                },
            },
            "cobv.valor.desconto.descontoDataFixa[0].data",
        ),
        (
            {
                "original": "10.00",
                "desconto": {
                    "modalidade": 1,
                    "descontoDataFixa": [{"data": "2026-03-01", "valorPerc": "10.00"}],
                },
            },
            "cobv.valor.desconto.descontoDataFixa[0].valorPerc",
        ),
        (
            {
                "original": "10.00",
                "desconto": {
                    "modalidade": 5,
                    "descontoDataFixa": [{"data": "2026-03-01", "valorPerc": "1.00"}],
                },
            },
            "cobv.valor.desconto.descontoDataFixa",
        ),
    ],
)
def test_valor_violations(valor, prop):
    assert prop in [v["propriedade"] for v in check_valor(valor, date(2026, 3, 10))]


# --- sandbox + client --------------------------------------------------------------------------


def test_cobv_create_revise_get_list_and_pay(index, settings):
    kit = make(index, settings)
    c, keys, cpf = kit.client, customer_keys(index), sorted(index.customer_by_cpf)[0]
    due = index.today + timedelta(days=10)
    devedor = {"cpf": cpf, "nome": "Maria Devedora", "email": "maria@exemplo.com.br", "uf": "SP"}
    t = txid(1, "VENC")

    async def scenario():
        cobv = await c.create_cobv(
            t,
            keys[0],
            Decimal("100.00"),
            due,
            devedor,
            validade_apos_vencimento=30,
            multa={"modalidade": 2, "valorPerc": "2.00"},
            juros={"modalidade": 2, "valorPerc": "0.10"},
            abatimento={"modalidade": 1, "valorPerc": "5.00"},
            desconto={"modalidade": 1, "descontoDataFixa": [{"data": due.isoformat(), "valorPerc": "10.00"}]},
        )
        assert cobv.revisao == 0 and cobv.status == "ATIVA" and cobv.recebedor["nome"]
        assert {"logradouro", "cidade", "uf", "cep"} <= set(cobv.recebedor)
        assert cobv.location and "/cobv/" in cobv.location
        code = decode(cobv.pixCopiaECola)
        assert code.amount is None and code.url == cobv.location.removeprefix("https://")
        cobv = await c.revise_cobv(t, {"valor": {"multa": {"modalidade": 1, "valorPerc": "4.00"}}})
        assert cobv.revisao == 1 and cobv.valor.multa == {"modalidade": 1, "valorPerc": "4.00"}
        assert cobv.valor.desconto is not None  # the other parts of valor are kept
        assert (await c.get_cobv(t, revisao=0)).valor.multa == {"modalidade": 2, "valorPerc": "2.00"}
        # paid 5 days late: original 100 - rebate 5 + fine 4 + interest 0.10 x 5 = 99.50
        kit.clock.advance((due - index.today).days * 86400 + 5 * 86400)
        paid = await c.sandbox_pay_cobv(t)
        pix = paid["pix"]
        assert pix["valor"] == "99.50"
        assert pix["componentesValor"] == {
            "original": {"valor": "100.00"},
            "multa": {"valor": "4.00"},
            "juros": {"valor": "0.50"},
            "abatimento": {"valor": "5.00"},
        }
        validate_json_body("pix", "get", f"/api/pix/{pix['endToEndId']}", 200, pix)
        got = await c.get_cobv(t)
        assert got.status == "CONCLUIDA" and got.pix[0]["endToEndId"] == pix["endToEndId"]
        assert (await c.get_pix(pix["endToEndId"])).cents == 9950
        listed = await c.list_cobvs(START, END, status="CONCLUIDA")
        assert [x.txid for x in listed] == [t]
        with pytest.raises(PixApiError):
            await c.revise_cobv(t, {"valor": {"original": "1.00"}})

    run(scenario())
    assert {200, 201, 400} <= kit.rec.statuses()


def test_cobv_paid_early_gets_the_discount_and_expires_after_validity(index, settings):
    kit = make(index, settings)
    c, keys, cpf = kit.client, customer_keys(index), sorted(index.customer_by_cpf)[1]
    due = index.today + timedelta(days=3)

    async def scenario():
        await c.create_cobv(
            txid(2, "VENC"),
            keys[1],
            Decimal("50.00"),
            due,
            {"cpf": cpf, "nome": "João"},
            desconto={"modalidade": 3, "valorPerc": "1.00"},  # R$1 per calendar day early
        )
        pix = (await c.sandbox_pay_cobv(txid(2, "VENC")))["pix"]
        assert pix["valor"] == "47.00" and pix["componentesValor"]["desconto"] == {"valor": "3.00"}
        await c.create_cobv(
            txid(3, "VENC"),
            keys[1],
            Decimal("10.00"),
            due,
            {"cpf": cpf, "nome": "João"},
            validade_apos_vencimento=2,
        )
        kit.clock.advance((3 + 3) * 86400)  # due + 3 days > validity of 2 days
        assert (await c.get_cobv(txid(3, "VENC"))).status == "REMOVIDA_PELO_PSP"
        with pytest.raises(PixApiError):
            await c.sandbox_pay_cobv(txid(3, "VENC"))

    run(scenario())


def test_cobv_request_violations(index, settings):
    kit = make(index, settings)
    c, keys, cpf = kit.client, customer_keys(index), sorted(index.customer_by_cpf)[2]
    t = txid(4, "VENC")

    async def scenario():
        async def violations(body):
            r = await c.request("PUT", f"/api/cobv/{t}", json=body)
            assert r.status_code == 400 and r.json()["type"].endswith("/CobVOperacaoInvalida"), r.text
            return [v["propriedade"] for v in r.json()["violacoes"]]

        good = {
            "calendario": {"dataDeVencimento": (index.today + timedelta(days=5)).isoformat()},
            "devedor": {"cpf": cpf, "nome": "A"},
            "valor": {"original": "10.00"},
            "chave": keys[0],
        }
        assert "cobv.devedor" in await violations({k: v for k, v in good.items() if k != "devedor"})
        past = {**good, "calendario": {"dataDeVencimento": (index.today - timedelta(days=1)).isoformat()}}
        assert "cobv.calendario.dataDeVencimento" in await violations(past)
        negative = {**good, "calendario": {**good["calendario"], "validadeAposVencimento": -1}}
        assert "cobv.calendario.validadeAposVencimento" in await violations(negative)
        assert "cobv.devedor.cnpj" in await violations(
            {**good, "devedor": {"cnpj": "11222333000180", "nome": "B"}}
        )
        ok = await c.request(
            "PUT", f"/api/cobv/{t}", json={**good, "devedor": {"cnpj": "12abc34501de35", "nome": "B"}}
        )
        assert ok.status_code == 201 and ok.json()["devedor"]["cnpj"] == "12ABC34501DE35"

    run(scenario())
