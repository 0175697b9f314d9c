"""Real loopback servers: the sandboxes under uvicorn on 127.0.0.1, the clients over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

import pytest
from fixtures_world import make_world
from uvicorn_kit import serve

from lake.settings import load_settings
from pipelines.sources.http import UpstreamError
from pipelines.sources.open_finance.client import ConsentRevokedError, OpenFinanceClient
from pipelines.sources.serasa.client import SerasaClient
from sandbox.faults import FaultPlan
from sandbox.open_finance.server import create_app
from sandbox.world_index import WorldIndex


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_open_finance_over_real_http_with_faults(tmp_path):
    world = make_world(n_customers=5, seed=2)
    index = WorldIndex(world)
    plan = FaultPlan(rate=0.2, seed=4, retry_after_s=0)
    with serve(create_app(index, load_settings(home=tmp_path), faults=plan)) as url:
        settings = load_settings(
            home=tmp_path, open_finance_url=url, http_backoff_base_s=0.001, http_retries=8
        )
        client = OpenFinanceClient.from_settings(settings)
        client.page_size = 10

        async def scenario():
            n = 0
            for cpf in sorted(index.customer_by_cpf):
                cid = (
                    await client.create_consent(cpf, ["ACCOUNTS_READ", "ACCOUNTS_TRANSACTIONS_READ"])
                ).consentId
                for acc in await client.accounts(cid):
                    got = await client.transactions(
                        cid, acc.accountId, index.today - timedelta(days=365), index.today
                    )
                    n += len(got)
                    assert {t.transactionId for t in got} <= {
                        t["transaction_id"] for t in index.tx_by_account[acc.accountId]
                    }
                await client.revoke_consent(cid)
                with pytest.raises(ConsentRevokedError):
                    await client.accounts(cid)
            await client.aclose()
            return n

        assert asyncio.run(scenario()) > 50
        assert plan.injected > 0 and client.retries >= plan.injected


def test_connect_errors_are_retried_then_reported(tmp_path):
    port = _free_port()  # nothing listens there
    settings = load_settings(
        home=tmp_path,
        serasa_url=f"http://127.0.0.1:{port}",
        http_retries=3,
        http_backoff_base_s=0.001,
        http_timeout_s=2,
    )
    client = SerasaClient.from_settings(settings)

    async def scenario():
        with pytest.raises(UpstreamError) as err:
            await client.score("52998224725")
        await client.aclose()
        return err.value

    err = asyncio.run(scenario())
    assert "gave up after 4 attempts" in str(err)
    assert client.retries == 3
