"""Payload locations (``loc``): create, get, list with filters, link to a charge, unlink."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fixtures_world import make_world
from pix_kit import END, START, customer_keys, make, run, txid

from lake.settings import load_settings
from pipelines.sources.pix.client import PixApiError
from sandbox.world_index import WorldIndex


@pytest.fixture(scope="module")
def index():
    return WorldIndex(make_world(n_customers=8, seed=7))


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path)


def test_loc_create_link_list_unlink(index, settings):
    kit = make(index, settings)
    c, keys, cpf = kit.client, customer_keys(index), sorted(index.customer_by_cpf)[0]

    async def scenario():
        free = await c.create_loc("cob")
        assert free.txid is None and free.tipoCob == "cob" and free.location.startswith("https://")
        for_cobv = await c.create_loc("cobv")
        cob = await c.create_cob(keys[0], Decimal("9.90"), txid=txid(1), loc_id=free.id)
        assert cob.loc.id == free.id and cob.location == free.location
        assert (await c.get_loc(free.id)).txid == txid(1)
        # a cob cannot take a cobv location, nor one already in use
        with pytest.raises(PixApiError) as err:
            await c.create_cob(keys[0], Decimal("1.00"), txid=txid(2), loc_id=for_cobv.id)
        assert err.value.violacoes[0]["propriedade"] == "cob.loc.id"
        with pytest.raises(PixApiError):
            await c.create_cob(keys[0], Decimal("1.00"), txid=txid(3), loc_id=free.id)
        cobv = await c.create_cobv(
            txid(4),
            keys[1],
            Decimal("20.00"),
            index.today + timedelta(days=5),
            {"cpf": cpf, "nome": "A"},
            loc_id=for_cobv.id,
        )
        assert cobv.loc.id == for_cobv.id
        kit.clock.advance(60)
        spare = await c.create_loc("cob")
        assert {x.id for x in await c.list_locs(START, END)} == {free.id, for_cobv.id, spare.id}
        assert [x.id for x in await c.list_locs(START, END, tipo_cob="cobv")] == [for_cobv.id]
        assert [x.id for x in await c.list_locs(START, END, txid_presente=False)] == [spare.id]
        created = (await c.get_loc(spare.id)).criacao
        assert [x.id for x in await c.list_locs(created, END)] == [spare.id]
        # unlink: the location shows no txid, the cob no location and no BR Code, status unchanged
        out = await c.unlink_loc(free.id)
        assert out.id == free.id and out.txid is None
        after = await c.get_cob(txid(1))
        assert after.loc is None and after.location is None and after.pixCopiaECola is None
        assert after.status == "ATIVA" and after.revisao == 0
        # the freed location can be given to another cob
        again = await c.create_cob(keys[0], Decimal("2.00"), txid=txid(5), loc_id=free.id)
        assert again.loc.id == free.id
        with pytest.raises(PixApiError) as err:
            await c.get_loc(987654)
        assert err.value.status == 404 and err.value.name == "PayloadLocationNaoEncontrado"
        with pytest.raises(PixApiError) as err:
            await c.unlink_loc(987654)
        assert err.value.status == 404
        r = await c.request("POST", "/api/loc", json={"tipoCob": "boleto"})
        assert r.status_code == 400 and r.json()["type"].endswith("/PayloadLocationOperacaoInvalida")
        r = await c.request("POST", "/api/loc", json={"tipoCob": "cob"})
        assert r.status_code == 201 and r.headers["location"] == r.json()["location"]

    run(scenario())
    assert {200, 201, 400, 404} <= kit.rec.statuses()
