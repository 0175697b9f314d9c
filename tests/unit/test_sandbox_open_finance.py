"""Open Finance sandbox + client: spec conformance, consent rules, pagination against the world."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fixtures_world import make_world
from spec_validation import SpecRecorder

from lake.domain.open_finance import PERMISSIONS
from lake.settings import load_settings
from pipelines.sources.clock import ManualClock
from pipelines.sources.open_finance.client import (
    ConsentExpiredError,
    ConsentNotAuthorisedError,
    ConsentPermissionError,
    ConsentRevokedError,
    NotFoundError,
    OpenFinanceClient,
)
from sandbox.open_finance.server import ACCOUNTS, CARDS, CONSENTS, LOANS, create_app
from sandbox.world_index import WorldIndex

ALL_DATA = [p for p in PERMISSIONS if p.startswith(("ACCOUNTS_", "CREDIT_CARDS_", "LOANS_"))]


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def world():
    return make_world(n_customers=20, seed=11)


@pytest.fixture(scope="module")
def index(world):
    return WorldIndex(world)


@pytest.fixture
def settings(tmp_path):
    return load_settings(home=tmp_path)


class PathRecorder:
    """Counts responses without validating them (for tests about data, not shape)."""

    def __init__(self) -> None:
        self.validated: list[tuple[str, str, int]] = []

    async def __call__(self, resp: httpx.Response) -> None:
        self.validated.append((resp.request.method, resp.request.url.path, resp.status_code))


def client_for(index, settings, validate=True, **app_kw):
    app = create_app(index, settings, **app_kw)
    client = OpenFinanceClient.from_settings(settings, app=app, clock=app_kw.get("clock"))
    if validate:
        return app, client, SpecRecorder(("/open-banking/",)).attach(client.http)
    rec = PathRecorder()
    client.http.event_hooks["response"].append(rec)
    return app, client, rec


def test_every_endpoint_for_every_customer_validates_against_the_spec(index, settings):
    app, client, rec = client_for(index, settings)
    client.page_size = 20  # several pages for the longer lists
    today = index.today

    async def scenario():
        for cpf in sorted(index.customer_by_cpf):
            consent = await client.create_consent(cpf, ALL_DATA)
            assert consent.status == "AUTHORISED"
            cid = consent.consentId
            await client.get_consent(cid)
            for acc in await client.accounts(cid):
                await client.account(cid, acc.accountId)
                await client.balances(cid, acc.accountId)
                await client.transactions(cid, acc.accountId, today - timedelta(days=365), today)
                for path in ("overdraft-limits", "transactions-current"):
                    await client._call("GET", f"{ACCOUNTS}/accounts/{acc.accountId}/{path}", consent_id=cid)
            for card in await client.card_accounts(cid):
                cc = card.creditCardAccountId
                await client.card_account(cid, cc)
                await client.card_transactions(cid, cc, today - timedelta(days=365), today)
                bills = await client.card_bills(cid, cc)
                await client._call("GET", f"{CARDS}/accounts/{cc}/limits", consent_id=cid)
                await client._call("GET", f"{CARDS}/accounts/{cc}/transactions-current", consent_id=cid)
                await client._call(
                    "GET",
                    f"{CARDS}/accounts/{cc}/bills/{bills[0].billId}/transactions",
                    consent_id=cid,
                    params={"page-size": 5},
                )
            for loan in await client.loans(cid):
                await client.loan(cid, loan.contractId)
                await client.loan_instalments(cid, loan.contractId)
                await client.loan_payments(cid, loan.contractId)
                await client._call("GET", f"{LOANS}/contracts/{loan.contractId}/warranties", consent_id=cid)
            await client.revoke_consent(cid)
            await client.get_consent(cid)

    run(scenario())
    templates = {
        re.sub(r"(accounts|contracts|consents|bills)/[^/]+", r"\1/{id}", p) for _, p, _ in rec.validated
    }
    assert len(templates) >= 20, sorted(templates)
    assert len(rec.validated) > 20 * 10
    assert rec.statuses() == {200, 201, 204}


def test_error_responses_validate_and_carry_the_interaction_id(index, settings):
    app, client, rec = client_for(index, settings)
    cpfs = sorted(index.customer_by_cpf)

    async def scenario():
        http = client.http
        # 400: missing x-fapi-interaction-id -> generated one returned
        r = await http.get(f"{ACCOUNTS}/accounts")
        assert r.status_code == 400 and re.fullmatch(r"[0-9a-f-]{36}", r.headers["x-fapi-interaction-id"])
        iid = "d78fc4e5-37ca-4da3-adf2-9b082bf92280"
        # 401: no bearer; echoed interaction id
        r = await http.get(f"{ACCOUNTS}/accounts", headers={"x-fapi-interaction-id": iid})
        assert r.status_code == 401 and r.headers["x-fapi-interaction-id"] == iid
        consent = await client.create_consent(cpfs[0], ["ACCOUNTS_READ", "ACCOUNTS_TRANSACTIONS_READ"])
        cid = consent.consentId
        # 404: another customer's account
        other = index.accounts_by_customer[index.customer_by_cpf[cpfs[1]]["customer_id"]][0]["account_id"]
        with pytest.raises(NotFoundError):
            await client.account(cid, other)
        # 403: permission missing
        own = (await client.accounts(cid))[0].accountId
        with pytest.raises(ConsentPermissionError):
            await client.balances(cid, own)
        # 422: window reaching back more than 12 months; and only one bound given
        with pytest.raises(Exception) as err:
            await client.transactions(cid, own, index.today - timedelta(days=400), index.today)
        assert getattr(err.value, "status", None) == 422
        r = await client._call(
            "GET",
            f"{ACCOUNTS}/accounts/{own}/transactions",
            consent_id=cid,
            ok=(422,),
            params={"fromBookingDate": "2026-01-01"},
        )
        assert r.json()["errors"][0]["code"] == "PARAMETRO_NAO_INFORMADO"
        # 422 on consents: DELETE twice; bad expiration on create
        await client.revoke_consent(cid)
        r = await client._call("DELETE", f"{CONSENTS}/consents/{cid}", ok=(422,))
        assert r.json()["errors"][0]["code"] == "CONSENTIMENTO_EM_STATUS_REJEITADO"
        with pytest.raises(Exception) as err:
            await client.create_consent(cpfs[0], ["ACCOUNTS_READ"], expiration="2000-01-01T00:00:00Z")
        assert getattr(err.value, "status", None) == 422
        # 400 on consents: a permission outside the enum
        r = await client._call(
            "POST",
            f"{CONSENTS}/consents",
            ok=(400,),
            json={
                "data": {
                    "loggedUser": {"document": {"identification": cpfs[0], "rel": "CPF"}},
                    "permissions": ["NOPE"],
                }
            },
        )
        assert r.json()["errors"][0]["code"] == "PARAMETRO_INVALIDO"

    run(scenario())
    assert {400, 401, 403, 404, 422} <= rec.statuses()


def test_pagination_follows_links_to_every_world_row(index, settings, world):
    app, client, rec = client_for(index, settings, validate=False)
    client.page_size = 4
    today = index.today
    start = today - timedelta(days=365)
    tx = world["transactions"]

    async def scenario():
        checked = 0
        for cpf in sorted(index.customer_by_cpf):
            cust = index.customer_by_cpf[cpf]["customer_id"]
            cid = (await client.create_consent(cpf, ALL_DATA)).consentId
            accounts = await client.accounts(cid)
            assert sorted(a.accountId for a in accounts) == sorted(
                a["account_id"] for a in index.accounts_by_customer[cust]
            )
            for acc in accounts:
                got = await client.transactions(cid, acc.accountId, start, today)
                want = tx.filter(
                    (tx["account_id"] == acc.accountId)
                    & (tx["booked_at"].dt.date() >= start)
                    & (tx["booked_at"].dt.date() <= today)
                )
                assert len(got) == want.height and len(got) > 4
                assert {t.transactionId for t in got} == set(want["transaction_id"])
                assert sum(t.transactionAmount.cents for t in got) == want["amount_cents"].sum()
                checked += 1
            for card in await client.card_accounts(cid):
                got = await client.card_transactions(cid, card.creditCardAccountId, start, today)
                want = tx.filter(tx["credit_card_account_id"] == card.creditCardAccountId)
                assert {t.transactionId for t in got} == set(want["transaction_id"])
            loans = await client.loans(cid)
            assert sorted(x.contractId for x in loans) == sorted(
                x["contract_id"] for x in index.loans_by_customer.get(cust, [])
            )
            for loan in loans:
                pay = await client.loan_payments(cid, loan.contractId)
                inst = index.instalments[loan.contractId]
                assert len(pay.releases) == sum(1 for i in inst if i["paid_at"] is not None)
        return checked

    assert run(scenario()) >= 20
    pages = [p for _, p, _ in rec.validated if p.endswith("/transactions")]
    assert len(pages) > 100  # many pages were followed


def test_revoked_consent_raises_clear_error(index, settings):
    app, client, rec = client_for(index, settings)
    cpf = sorted(index.customer_by_cpf)[2]

    async def scenario():
        cid = (await client.create_consent(cpf, ALL_DATA)).consentId
        assert await client.accounts(cid)
        await client.revoke_consent(cid)
        consent = await client.get_consent(cid)
        assert consent.status == "REJECTED"
        assert consent.rejection == {"rejectedBy": "USER", "reason": {"code": "CUSTOMER_MANUALLY_REVOKED"}}
        with pytest.raises(ConsentRevokedError) as err:
            await client.accounts(cid)
        assert err.value.code == "CONSENT_REVOKED"

    run(scenario())


def test_consent_awaiting_authorisation_then_authorised(index, settings):
    app, client, rec = client_for(index, settings, auto_authorise=False)
    cpf = sorted(index.customer_by_cpf)[3]

    async def scenario():
        consent = await client.create_consent(cpf, ["ACCOUNTS_READ"])
        assert consent.status == "AWAITING_AUTHORISATION"
        with pytest.raises(ConsentNotAuthorisedError):
            await client.accounts(consent.consentId)
        await client.sandbox_authorise(consent.consentId)
        assert (await client.get_consent(consent.consentId)).status == "AUTHORISED"
        assert await client.accounts(consent.consentId)

    run(scenario())


def test_unknown_cpf_gives_rejected_consent(index, settings):
    app, client, rec = client_for(index, settings)

    async def scenario():
        consent = await client.create_consent("52998224725", ["ACCOUNTS_READ"])  # valid CPF, not a customer
        assert consent.status == "REJECTED"
        read = await client.get_consent(consent.consentId)
        assert read.rejection["rejectedBy"] == "ASPSP"
        with pytest.raises(ConsentNotAuthorisedError):
            await client.accounts(consent.consentId)

    run(scenario())


def test_consent_expiry(index, settings):
    clock = ManualClock(start=datetime(2026, 9, 1, tzinfo=UTC).timestamp())
    app, client, rec = client_for(index, settings, clock=clock)
    cpf = sorted(index.customer_by_cpf)[4]

    async def scenario():
        consent = await client.create_consent(cpf, ["ACCOUNTS_READ"], expiration="2026-09-20T00:00:00Z")
        assert await client.accounts(consent.consentId)
        clock.advance(30 * 86400)  # past 2026-09-20
        with pytest.raises(ConsentExpiredError):
            await client.accounts(consent.consentId)
        assert (await client.get_consent(consent.consentId)).rejection["reason"][
            "code"
        ] == "CONSENT_MAX_DATE_REACHED"

    run(scenario())


def test_sandbox_is_deterministic_given_the_world(world, settings):
    async def snapshot():
        clock = ManualClock(start=1_790_000_000)
        app = create_app(world, settings, clock=clock)
        transport = httpx.ASGITransport(app=app)
        client = OpenFinanceClient.from_settings(settings, app=app, clock=clock)
        out = []
        for cpf in sorted(WorldIndex(world).customer_by_cpf)[:5]:
            cid = (await client.create_consent(cpf, ALL_DATA)).consentId
            out.append(cid)
            for acc in await client.accounts(cid):
                r = await client._call(
                    "GET",
                    f"{ACCOUNTS}/accounts/{acc.accountId}/transactions",
                    consent_id=cid,
                    params={"fromBookingDate": "2026-01-01", "toBookingDate": "2026-10-31"},
                )
                out.append(r.json())
        await client.aclose()
        del transport
        return out

    assert run(snapshot()) == run(snapshot())


def test_data_token_without_consent_scope_is_refused(index, settings):
    app = create_app(index, settings)

    async def scenario():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://of.cofre.local"
        ) as http:
            creds = (settings.client_id, settings.client_secret.get_secret_value())
            tok = (
                await http.post(
                    "/token", data={"grant_type": "client_credentials", "scope": "consents"}, auth=creds
                )
            ).json()["access_token"]
            r = await http.get(
                f"{ACCOUNTS}/accounts",
                headers={
                    "Authorization": f"Bearer {tok}",
                    "x-fapi-interaction-id": "d78fc4e5-37ca-4da3-adf2-9b082bf92280",
                },
            )
            assert r.status_code == 403 and r.json()["errors"][0]["code"] == "CONSENT_NOT_FOUND"
            r = await http.post(
                "/token", data={"grant_type": "client_credentials", "scope": "consent:urn:x:nope"}, auth=creds
            )
            assert r.status_code == 400 and r.json()["error"] == "invalid_scope"

    run(scenario())


def test_pull_reuses_an_authorised_consent_and_replaces_one_it_cannot_use(index, settings, world):
    """A scheduled pull keeps the previous pull's consent while the transmitter holds it AUTHORISED with
    every permission and time left; a revoked, unknown, narrower or expiring one is replaced."""
    from pipelines.open_finance.pull import PERMISSIONS, OpenFinancePull, RawOpenFinanceClient, pull_customer

    to_date = world["transactions"].get_column("booked_at").max().date()
    start = datetime(to_date.year, to_date.month, to_date.day, tzinfo=UTC) + timedelta(days=1)
    clock = ManualClock(start=start.timestamp())
    app = create_app(index, settings, clock=clock)
    client = RawOpenFinanceClient.from_settings(settings, app=app, clock=clock)
    cpfs = sorted(index.customer_by_cpf)[5:9]

    async def pull(previous: dict[str, str]) -> tuple[dict[str, str], OpenFinancePull]:
        out = OpenFinancePull()
        for cpf in cpfs:
            await pull_customer(client, cpf, to_date, out, previous.get(cpf))
        return out.consent_ids(), out

    async def scenario():
        first, out1 = await pull({})
        assert len(set(first.values())) == len(cpfs) and not out1.errors
        again, out2 = await pull(first)
        assert again == first  # nothing new asked of the customers
        assert (
            out2.transactions.frame()["record_id"]
            .sort()
            .equals(out1.transactions.frame()["record_id"].sort())
        )

        revoked, unknown, narrow, expiring = cpfs
        await client.revoke_consent(first[revoked])
        narrow_id = (await client.create_consent(narrow, PERMISSIONS[:1])).consentId
        soon = (start + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
        expiring_id = (await client.create_consent(expiring, PERMISSIONS, expiration=soon)).consentId
        previous = {
            revoked: first[revoked],
            unknown: "urn:cofre:no-such-consent",
            narrow: narrow_id,
            expiring: expiring_id,
        }
        third, out3 = await pull(previous)
        assert not set(third.values()) & (set(previous.values()) | set(first.values()))  # all four replaced
        for cpf in cpfs:
            assert (await client.get_consent(third[cpf])).status == "AUTHORISED"
        assert not out3.errors

    run(scenario())
