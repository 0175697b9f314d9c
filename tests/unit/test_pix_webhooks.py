"""Pix webhooks: PUT/GET/DELETE per key and list; deliveries signed with the HMAC header that stands
in for mTLS, checked by cofre's receiver (wrong key, tampered body, stale time refused; a delivery
taken once), retried with backoff."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import httpx
import pytest
from fixtures_world import make_world
from pix_kit import customer_keys, make, run, txid

from lake.settings import load_settings
from pipelines.sources.clock import ManualClock
from pipelines.sources.pix.client import PixApiError
from pipelines.sources.pix.webhook_receiver import PixWebhookReceiver
from pipelines.sources.pix.webhook_signature import SignatureError, sign, verify
from sandbox.world_index import WorldIndex


@pytest.fixture(scope="module")
def index():
    return WorldIndex(make_world(n_customers=8, seed=9))


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path, http_backoff_base_s=0.5)


def test_signature_rules():
    body = b'{"pix":[]}'
    header = sign("segredo", body, 1_800_000_000)
    assert verify("segredo", header, body, 1_800_000_100) == 1_800_000_000
    for args in (
        ("outro", header, body, 1_800_000_000),  # wrong key
        ("segredo", header, b'{"pix":[{}]}', 1_800_000_000),  # tampered body
        ("segredo", header, body, 1_800_000_301),  # too old
        ("segredo", None, body, 1_800_000_000),
        ("segredo", "t=abc,v1=00", body, 1_800_000_000),
    ):
        with pytest.raises(SignatureError):
            verify(*args)


def test_webhook_crud_and_list(index, settings):
    kit = make(index, settings)
    c, keys = kit.client, customer_keys(index)

    async def scenario():
        for i, key in enumerate(keys[:3]):
            await c.set_webhook(key, f"https://hooks.cofre.local/{i}")
            kit.clock.advance(10)
        await c.set_webhook(keys[0], "https://hooks.cofre.local/novo")  # replace
        c.page_size = 2
        hooks = await c.list_webhooks()
        assert [h.chave for h in hooks] == keys[1:3] + [keys[0]] and hooks[-1].webhookUrl.endswith("/novo")
        since = hooks[1].criacao
        assert [h.chave for h in await c.list_webhooks(since, hooks[-1].criacao)] == [keys[2], keys[0]]
        got = await c.get_webhook(keys[1])
        assert got.cnpj == index.institution_cnpj and got.chave == keys[1]
        await c.delete_webhook(keys[1])
        with pytest.raises(PixApiError) as err:
            await c.delete_webhook(keys[1])
        assert err.value.status == 404 and err.value.name == "WebhookNaoEncontrado"
        with pytest.raises(PixApiError) as err:
            await c.set_webhook(keys[2], "ftp://x")
        assert err.value.name == "WebhookOperacaoInvalida"

    run(scenario())
    assert {200, 204, 400, 404} <= kit.rec.statuses()


def test_signed_delivery_is_checked_by_the_receiver(index, settings):
    secret = settings.pix_webhook_secret.get_secret_value()
    receiver = PixWebhookReceiver(secret, tolerance_s=settings.pix_webhook_tolerance_s)
    kit = make(index, settings, webhook_app=receiver.app("/hook"))
    receiver.clock = kit.clock  # the receiver's clock agrees with the PSP's
    c, key = kit.client, customer_keys(index)[0]

    async def scenario():
        await c.set_webhook(key, "https://hooks.cofre.local/hook")
        cob = await c.create_cob(key, Decimal("42.00"), txid=txid(1))
        delivery = (await c.sandbox_pay(cob.txid))["deliveries"][0]
        assert delivery["delivered"] and delivery["attempts"] == 1 and not kit.sleeps
        (pix,) = receiver.received
        assert pix.txid == cob.txid and pix.cents == 4200

    run(scenario())


def test_a_delivery_the_receiver_refuses_is_retried_then_given_up(index, settings):
    receiver = PixWebhookReceiver("not-the-psp-secret", clock=ManualClock(start=0))
    kit = make(index, settings, webhook_app=receiver.app("/hook"))
    receiver.clock = kit.clock
    c, key = kit.client, customer_keys(index)[1]

    async def scenario():
        await c.set_webhook(key, "https://hooks.cofre.local/hook")
        cob = await c.create_cob(key, Decimal("5.00"), txid=txid(2))
        delivery = (await c.sandbox_pay(cob.txid))["deliveries"][0]
        assert not delivery["delivered"] and delivery["status"] == 401
        assert delivery["attempts"] == settings.sandbox_webhook_retries + 1
        assert kit.sleeps == [0.5 * 2**i for i in range(settings.sandbox_webhook_retries)]  # exponential
        assert receiver.received == [] and len(receiver.refused) == delivery["attempts"]

    run(scenario())


def test_receiver_takes_a_delivery_once_and_refuses_stale_or_tampered_ones(settings):
    secret = settings.pix_webhook_secret.get_secret_value()
    clock = ManualClock(start=1_800_000_000)
    receiver = PixWebhookReceiver(secret, clock=clock, tolerance_s=300)
    app = receiver.app()
    pix = {
        "endToEndId": "E12345678202601011200abcdefghijk",
        "valor": "1.00",
        "horario": "2026-01-01T12:00:00.000Z",
    }
    body = json.dumps({"pix": [pix]}).encode()

    async def post(content: bytes, t: int, delivery: str = "d-1") -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://hook") as h:
            headers = {"x-pix-signature": sign(secret, content, t), "x-pix-delivery-id": delivery}
            return await h.post(
                "/pix", content=content if content != b"TAMPER" else body + b" ", headers=headers
            )

    async def scenario():
        r = await post(body, int(clock.time()))
        assert r.status_code == 200 and r.json() == {"recebidos": 1, "duplicada": False}
        r = await post(body, int(clock.time()))  # the PSP retried a delivery we had taken
        assert r.status_code == 200 and r.json()["duplicada"] and len(receiver.received) == 1
        assert (await post(body, int(clock.time()) - 301, "d-2")).status_code == 401  # stale
        assert (await post(b"TAMPER", int(clock.time()), "d-3")).status_code == 401
        bad = b'{"pix":[{"valor":"x"}]}'
        assert (await post(bad, int(clock.time()), "d-4")).status_code == 400
        assert len(receiver.received) == 1

    asyncio.run(scenario())
