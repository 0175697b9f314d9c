"""Client behaviour shared by all sources: retries on injected 429/503, Retry-After, token refresh."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from fixtures_world import make_world

from lake.settings import load_settings
from pipelines.sources.clock import ManualClock
from pipelines.sources.http import UpstreamError
from pipelines.sources.open_finance.client import OpenFinanceClient
from pipelines.sources.pix.client import PixClient
from pipelines.sources.serasa.client import SerasaClient
from sandbox.faults import FaultPlan
from sandbox.open_finance.server import create_app as of_app
from sandbox.pix.server import create_app as pix_app
from sandbox.serasa import create_app as serasa_app
from sandbox.world_index import WorldIndex


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=8, seed=21)


@pytest.fixture(scope="module")
def index(world):
    return WorldIndex(world)


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path, http_retries=6, http_backoff_base_s=0.01, http_backoff_max_s=0.5)


class Sleeps:
    """Records requested sleeps instead of sleeping (tests check delays, not the clock)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_fault_plan_is_deterministic():
    a, b = FaultPlan(rate=0.3, seed=7), FaultPlan(rate=0.3, seed=7)
    pattern = [a.should_fail(n) for n in range(500)]
    assert pattern == [b.should_fail(n) for n in range(500)]
    assert 100 < sum(pattern) < 200  # about 30%
    assert pattern != [FaultPlan(rate=0.3, seed=8).should_fail(n) for n in range(500)]


def test_retry_on_injected_429_and_503_succeeds_and_honours_retry_after(index, settings):
    plan = FaultPlan(rate=0.3, seed=3, retry_after_s=2)
    app = of_app(index, settings, faults=plan)
    sleeps = Sleeps()
    client = OpenFinanceClient.from_settings(settings, app=app, sleep=sleeps, rng=random.Random(0))
    client.page_size = 5
    today = index.today

    async def scenario():
        total = 0
        for cpf in sorted(index.customer_by_cpf):
            cid = (
                await client.create_consent(cpf, ["ACCOUNTS_READ", "ACCOUNTS_TRANSACTIONS_READ"])
            ).consentId
            for acc in await client.accounts(cid):
                total += len(
                    await client.transactions(cid, acc.accountId, today - timedelta(days=365), today)
                )
        return total

    total = run(scenario())
    want = sum(
        len(
            [
                t
                for t in index.tx_by_account.get(a, [])
                if t["booked_at"].date() >= today - timedelta(days=365)
            ]
        )
        for a in index.accounts
    )
    assert total == want  # nothing lost to faults
    assert plan.injected > 20 and client.retries == plan.injected
    assert {429, 503} == set(plan.statuses)
    # every pause after a fault honoured Retry-After (both 429 and 503 carry it)
    assert len(sleeps.calls) == plan.injected and min(sleeps.calls) >= 2


def test_backoff_is_exponential_with_full_jitter(settings):
    client = SerasaClient.from_settings(settings, app=serasa_app({}, settings), rng=random.Random(1))
    for attempt in range(6):
        cap = min(settings.http_backoff_max_s, settings.http_backoff_base_s * 2**attempt)
        delays = [client.backoff(attempt, None) for _ in range(200)]
        assert 0 <= min(delays) and max(delays) <= cap
        assert max(delays) > cap * 0.8  # the jitter spans the window
    assert client.backoff(0, 3.0) == 3.0  # Retry-After wins over a shorter backoff


def test_retries_exhausted_returns_clear_error(index, settings):
    plan = FaultPlan(fail_first=100)
    sleeps = Sleeps()
    client = SerasaClient.from_settings(
        settings, app=serasa_app(WorldIndex(make_world(3, seed=1)), settings, faults=plan), sleep=sleeps
    )

    async def scenario():
        with pytest.raises(UpstreamError) as err:
            await client.score("52998224725")
        return err.value

    err = run(scenario())
    assert err.status in (429, 503)
    # one token request (/token is exempt from faults) + 1 try + http_retries retries of the score
    assert client.attempts == 1 + settings.http_retries + 1 and len(sleeps.calls) == settings.http_retries


def test_pix_client_survives_faults(index, settings, world):
    plan = FaultPlan(rate=0.25, seed=9, retry_after_s=0)
    client = PixClient.from_settings(settings, app=pix_app(index, settings, faults=plan), sleep=Sleeps())
    client.page_size = 10
    got = run(client.received_pix(datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)))
    assert len(got) == len(index.pix_credits) and plan.injected > 0


def test_token_refreshed_before_expiry(index, settings):
    clock = ManualClock(start=datetime(2026, 10, 1, tzinfo=UTC).timestamp())
    app = of_app(index, settings, clock=clock)
    client = OpenFinanceClient.from_settings(settings, app=app, clock=clock)
    cpf = sorted(index.customer_by_cpf)[0]

    async def scenario():
        cid = (await client.create_consent(cpf, ["ACCOUNTS_READ"])).consentId
        await client.accounts(cid)
        tokens = client.consent_tokens(cid)
        first = tokens.token
        assert tokens.fetches == 1
        clock.advance(settings.sandbox_token_ttl_s - 10)  # inside the refresh margin, not yet expired
        await client.accounts(cid)
        assert tokens.fetches == 2 and tokens.token != first
        clock.advance(settings.sandbox_token_ttl_s * 3)  # long past expiry
        await client.accounts(cid)
        assert tokens.fetches == 3

    run(scenario())


def test_token_refreshed_after_401(index, settings):
    server_clock = ManualClock(start=datetime(2026, 10, 1, tzinfo=UTC).timestamp())
    client_clock = ManualClock(start=datetime(2026, 10, 1, tzinfo=UTC).timestamp())
    app = serasa_app(index, settings, clock=server_clock)
    client = SerasaClient.from_settings(settings, app=app, clock=client_clock)
    cpf = sorted(index.customer_by_cpf)[0]

    async def scenario():
        await client.score(cpf)
        server_clock.advance(settings.sandbox_token_ttl_s + 1)  # server thinks the token expired
        got = await client.score(cpf)  # client still believes it is valid -> 401 -> refresh -> retry
        assert got.cpf == cpf
        assert client.tokens.fetches == 2

    run(scenario())
