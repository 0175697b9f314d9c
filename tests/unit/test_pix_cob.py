"""Immediate charges (``cob``): PUT/POST/PATCH/GET with revision history, removal, expiry, txid rules.

Sandbox and cofre's client together; every response is validated against the official Pix spec.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fixtures_world import make_world
from pix_kit import END, START, customer_keys, make, run, txid

from lake.domain.brcode import decode
from lake.settings import load_settings
from pipelines.sources.pix.client import PixApiError, PixIdError
from sandbox.world_index import WorldIndex


@pytest.fixture(scope="module")
def index():
    return WorldIndex(make_world(n_customers=12, seed=5))


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path, http_backoff_base_s=0.001)


def test_cob_revisions_are_kept_and_readable(index, settings):
    kit = make(index, settings)
    c, keys, cpf = kit.client, customer_keys(index), sorted(index.customer_by_cpf)[0]
    t = txid(1)

    async def scenario():
        cob = await c.create_cob(keys[0], Decimal("10.00"), txid=t, expiracao=3600)
        assert cob.revisao == 0 and cob.status == "ATIVA" and cob.loc is not None
        first_loc = cob.loc.id
        cob = await c.revise_cob(t, {"valor": {"original": "12.50"}})
        assert cob.revisao == 1 and cob.valor.original == Decimal("12.50")
        assert decode(cob.pixCopiaECola).amount == Decimal("12.50")  # the BR Code follows the revision
        cob = await c.revise_cob(
            t, {"devedor": {"cpf": cpf, "nome": "Fulano"}, "solicitacaoPagador": "Pedido 7"}
        )
        assert cob.revisao == 2 and cob.devedor == {"cpf": cpf, "nome": "Fulano"}
        other = await c.create_loc("cob")
        cob = await c.revise_cob(t, {"loc": {"id": other.id}})
        assert cob.revisao == 2 and cob.loc.id == other.id  # loc alone is not a revision
        assert (await c.get_loc(first_loc)).txid is None  # the old location was released
        old = await c.get_cob(t, revisao=0)
        assert old.revisao == 0 and old.valor.original == Decimal("10.00") and old.devedor is None
        assert (await c.get_cob(t, revisao=1)).valor.original == Decimal("12.50")
        assert (await c.get_cob(t)).revisao == 2
        with pytest.raises(PixApiError) as err:
            await c.get_cob(t, revisao=3)
        assert err.value.status == 400 and err.value.name == "CobConsultaInvalida"
        # PUT on the existing ATIVA cob rewrites it as a new revision
        cob = await c.create_cob(keys[1], Decimal("3.00"), txid=t)
        assert cob.revisao == 3 and cob.chave == keys[1] and cob.loc.id == other.id
        removed = await c.remove_cob(t)
        assert removed.status == "REMOVIDA_PELO_USUARIO_RECEBEDOR" and removed.revisao == 4
        assert (await c.get_cob(t, revisao=3)).status == "ATIVA"
        with pytest.raises(PixApiError) as err:  # a removed cob does not change any more
            await c.revise_cob(t, {"valor": {"original": "1.00"}})
        assert err.value.name == "CobOperacaoInvalida"
        with pytest.raises(PixApiError) as err:
            await c.create_cob(keys[0], Decimal("1.00"), txid=t)
        assert err.value.status == 400
        posted = await c.create_cob(keys[2], Decimal("0.01"))  # POST: the PSP picks the txid
        assert 26 <= len(posted.txid) <= 35 and posted.revisao == 0

    run(scenario())
    assert {200, 201, 400} <= kit.rec.statuses()


def test_cob_patch_rules(index, settings):
    kit = make(index, settings)
    c, keys = kit.client, customer_keys(index)
    t = txid(2)

    async def scenario():
        await c.create_cob(keys[0], Decimal("5.00"), txid=t)
        for bad, prop in (
            ({"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR", "valor": {"original": "1.00"}}, "cob.status"),
            ({"status": "CONCLUIDA"}, "cob.status"),
            ({"txid": "outro"}, "cob.txid"),
            ({"valor": {"original": "0.00"}}, "cob.valor.original"),
            ({"calendario": {"expiracao": 0}}, "cob.calendario.expiracao"),
            ({"chave": "nao-e-cliente@x.com"}, "cob.chave"),
            ({"devedor": {"cpf": "12345678900", "nome": "X"}}, "cob.devedor.cpf"),
            ({"devedor": {"nome": "Sem documento"}}, "cob.devedor"),
            ({"loc": {"id": 999999}}, "cob.loc.id"),
        ):
            with pytest.raises(PixApiError) as err:
                await c.revise_cob(t, bad)
            assert err.value.status == 400 and prop in [v["propriedade"] for v in err.value.violacoes], bad
        assert (await c.get_cob(t)).revisao == 0  # nothing of the above was written
        with pytest.raises(PixApiError) as err:
            await c.revise_cob(txid(3), {"valor": {"original": "1.00"}})
        assert err.value.status == 404 and err.value.name == "CobNaoEncontrado"

    run(scenario())


def test_cob_expires_and_can_no_longer_be_paid(index, settings):
    kit = make(index, settings)
    c, keys = kit.client, customer_keys(index)

    async def scenario():
        cob = await c.create_cob(keys[0], Decimal("7.00"), txid=txid(4), expiracao=600)
        kit.clock.advance(601)
        assert (await c.get_cob(cob.txid)).status == "REMOVIDA_PELO_PSP"
        with pytest.raises(PixApiError):
            await c.sandbox_pay(cob.txid)
        paid = await c.create_cob(keys[0], Decimal("8.00"), txid=txid(5), expiracao=600)
        await c.sandbox_pay(paid.txid)
        got = await c.get_cob(paid.txid)
        assert got.status == "CONCLUIDA" and got.pix[0]["valor"] == "8.00"
        assert got.pix[0]["componentesValor"] == {"original": {"valor": "8.00"}}
        assert [x.txid for x in await c.list_cobs(START, END, status="CONCLUIDA")] == [paid.txid]
        assert [x.txid for x in await c.list_cobs(START, END, status="REMOVIDA_PELO_PSP")] == [cob.txid]

    run(scenario())


@pytest.mark.parametrize("bad", ["a" * 25, "a" * 36, "ção" + "a" * 27, "a b" + "c" * 25, "١" * 30])
def test_txid_rules_are_enforced_by_client_and_sandbox(index, settings, bad):
    kit = make(index, settings, validate=False)
    key = customer_keys(index)[0]

    async def scenario():
        with pytest.raises(PixIdError):
            await kit.client.create_cob(key, Decimal("1.00"), txid=bad)
        r = await kit.client.request(
            "PUT", f"/api/cob/{bad}", json={"valor": {"original": "1.00"}, "chave": key}
        )
        assert r.status_code in (400, 404)  # 404: the router could not even match (a '/' or '?')
        if r.status_code == 400:
            assert r.json()["violacoes"][0]["propriedade"] == "cob.txid"

    run(scenario())


def test_a_txid_is_unique_across_cob_and_cobv(index, settings):
    kit = make(index, settings)
    c, keys, cpf = kit.client, customer_keys(index), sorted(index.customer_by_cpf)[0]

    async def scenario():
        await c.create_cob(keys[0], Decimal("1.00"), txid=txid(6))
        with pytest.raises(PixApiError) as err:
            await c.create_cobv(
                txid(6), keys[0], Decimal("1.00"), index.today + timedelta(days=3), {"cpf": cpf, "nome": "A"}
            )
        assert err.value.name == "CobVOperacaoInvalida"
        with pytest.raises(PixApiError) as err:
            await c.get_cobv(txid(6))
        assert err.value.status == 404 and err.value.name == "CobVNaoEncontrada"

    run(scenario())


def test_list_cobs_filters(index, settings):
    kit = make(index, settings)
    c, keys = kit.client, customer_keys(index)
    cpfs = sorted(index.customer_by_cpf)

    async def scenario():
        for i in range(6):
            devedor = {"cpf": cpfs[i % 2], "nome": "Pessoa"} if i % 3 else None
            await c.create_cob(
                keys[i % len(keys)], Decimal(f"{i + 1}.00"), txid=txid(10 + i), devedor=devedor
            )
        c.page_size = 2
        assert len(await c.list_cobs(START, END)) == 6
        by_cpf = await c.list_cobs(START, END, cpf=cpfs[1])
        assert {x.txid for x in by_cpf} == {txid(11), txid(15)}
        loc = (await c.get_cob(txid(10))).loc.id
        await c.unlink_loc(loc)
        assert [x.txid for x in await c.list_cobs(START, END, location_presente=False)] == [txid(10)]

    run(scenario())
