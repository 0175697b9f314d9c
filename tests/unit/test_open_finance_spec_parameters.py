"""Open Finance parameters and operations under the names of the official specs (issue 20, defects 1-4).

The query parameter names used here are read from the spec files themselves (``wire_names``): a
component called ``fromBookingDateMaxLimited`` is sent on the wire as ``fromBookingDate``. Every
response is validated against the official spec (SpecRecorder).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from fixtures_world import make_world
from spec_validation import SpecRecorder, wire_names

from lake.settings import load_settings
from pipelines.sources.clock import ManualClock
from pipelines.sources.http import UpstreamError
from pipelines.sources.open_finance.client import ConsentNotAuthorisedError, OpenFinanceClient
from sandbox.open_finance.server import ACCOUNTS, CARDS, CONSENTS, create_app
from sandbox.world_index import WorldIndex

ALL = [
    "ACCOUNTS_READ",
    "ACCOUNTS_TRANSACTIONS_READ",
    "CREDIT_CARDS_ACCOUNTS_READ",
    "CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ",
    "CREDIT_CARDS_ACCOUNTS_BILLS_READ",
    "CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ",
    "RESOURCES_READ",
]
IP, UA = "172.217.22.14", "Mozilla/5.0 (iPhone14,6; U; CPU iPhone OS 15_4 like Mac OS X)"


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


def make(index, settings, clock=None):
    app = create_app(index, settings, clock=clock)
    client = OpenFinanceClient.from_settings(settings, app=app, clock=clock)
    return client, SpecRecorder(("/open-banking/",)).attach(client.http)


def _booked(rows: list[dict], start: date, end: date) -> set[str]:
    return {r["transaction_id"] for r in rows if start <= r["booked_at"].date() <= end}


def _account_with_recent_history(index) -> tuple[str, str]:
    """(cpf, accountId) whose last 7 days hold transactions on other days than today."""
    today = index.today
    for cpf, cust in sorted(index.customer_by_cpf.items()):
        for acc in index.accounts_by_customer.get(cust["customer_id"], []):
            rows = index.tx_by_account.get(acc["account_id"], [])
            if _booked(rows, today - timedelta(days=6), today - timedelta(days=1)):
                return cpf, acc["account_id"]
    raise AssertionError("fixture world has no account with recent transactions")


def test_spec_wire_names_of_the_limited_date_filters():
    """The components ``*MaxLimited`` travel as the plain names (what the sandbox must read)."""
    acc = wire_names("accounts", "get", "/accounts/{accountId}/transactions-current")
    assert {"fromBookingDate", "toBookingDate", "creditDebitIndicator"} <= acc
    assert not {n for n in acc if "MaxLimited" in n}
    card = wire_names("credit-cards", "get", "/accounts/{creditCardAccountId}/transactions-current")
    assert {"fromTransactionDate", "toTransactionDate", "transactionType", "payeeMCC"} <= card
    bill = wire_names("credit-cards", "get", "/accounts/{creditCardAccountId}/bills/{billId}/transactions")
    assert {"transactionType", "payeeMCC"} <= bill


def test_accounts_transactions_current_reads_fromBookingDate_and_toBookingDate(index, settings):
    """Defect 1: dates sent under the spec's wire names are applied (they were ignored)."""
    client, rec = make(index, settings)
    cpf, account_id = _account_with_recent_history(index)
    today = index.today
    rows = index.tx_by_account[account_id]
    start, end = today - timedelta(days=6), today - timedelta(days=1)
    path = f"{ACCOUNTS}/accounts/{account_id}/transactions-current"

    async def scenario():
        cid = (await client.create_consent(cpf, ALL)).consentId
        params = {"fromBookingDate": start.isoformat(), "toBookingDate": end.isoformat(), "page-size": 1000}
        raw = (await client._call("GET", path, consent_id=cid, params=params)).json()
        assert {t["transactionId"] for t in raw["data"]} == _booked(rows, start, end) != set()
        got = await client.transactions_current(cid, account_id, start, end)
        assert {t.transactionId for t in got} == _booked(rows, start, end)
        default = await client.transactions_current(cid, account_id)  # no dates: today only
        assert {t.transactionId for t in default} == _booked(rows, today, today)
        # creditDebitIndicator narrows the same window
        credit = await client.transactions_current(
            cid, account_id, start, end, credit_debit_indicator="CREDITO"
        )
        assert {t.transactionId for t in credit} == {
            r["transaction_id"]
            for r in rows
            if start <= r["booked_at"].date() <= end and r["credit_debit_type"] == "CREDITO"
        }

    run(scenario())
    assert rec.statuses() == {200, 201}


def test_accounts_transactions_current_refuses_more_than_7_days_back(index, settings):
    """Defect 1: transactions-current reaches D-6 at most; a 61-day window is a 422 PARAMETRO_INVALIDO."""
    client, rec = make(index, settings)
    cpf, account_id = _account_with_recent_history(index)
    today = index.today
    path = f"{ACCOUNTS}/accounts/{account_id}/transactions-current"

    async def scenario():
        cid = (await client.create_consent(cpf, ALL)).consentId
        for start in (today - timedelta(days=60), today - timedelta(days=7)):
            params = {"fromBookingDate": start.isoformat(), "toBookingDate": today.isoformat()}
            r = await client._call("GET", path, consent_id=cid, params=params, ok=(422,))
            assert r.json()["errors"][0]["code"] == "PARAMETRO_INVALIDO"
        with pytest.raises(UpstreamError) as err:
            await client.transactions_current(cid, account_id, today - timedelta(days=60), today)
        assert err.value.status == 422
        # D-6 .. today is the widest window allowed
        await client.transactions_current(cid, account_id, today - timedelta(days=6), today)
        # only one of the pair: PARAMETRO_NAO_INFORMADO
        r = await client._call(
            "GET", path, consent_id=cid, params={"toBookingDate": today.isoformat()}, ok=(422,)
        )
        assert r.json()["errors"][0]["code"] == "PARAMETRO_NAO_INFORMADO"

    run(scenario())
    assert {200, 201, 422} == rec.statuses()


def _card_with_recent_history(index) -> tuple[str, str]:
    today = index.today
    for cpf, cust in sorted(index.customer_by_cpf.items()):
        for card in index.cards_by_customer.get(cust["customer_id"], []):
            rows = index.tx_by_card.get(card["credit_card_account_id"], [])
            if _booked(rows, today - timedelta(days=6), today - timedelta(days=1)):
                return cpf, card["credit_card_account_id"]
    raise AssertionError("fixture world has no card with recent transactions")


def test_card_transactions_current_reads_fromTransactionDate_and_toTransactionDate(index, settings):
    """Defect 2: the credit-card transactions-current dates go by the wire names, D-6 at most."""
    client, rec = make(index, settings)
    cpf, card_id = _card_with_recent_history(index)
    today = index.today
    rows = index.tx_by_card[card_id]
    start, end = today - timedelta(days=6), today - timedelta(days=1)
    path = f"{CARDS}/accounts/{card_id}/transactions-current"

    async def scenario():
        cid = (await client.create_consent(cpf, ALL)).consentId
        params = {"fromTransactionDate": start, "toTransactionDate": end, "page-size": 1000}
        raw = (await client._call("GET", path, consent_id=cid, params=params)).json()
        assert {t["transactionId"] for t in raw["data"]} == _booked(rows, start, end) != set()
        params = {"fromTransactionDate": (today - timedelta(days=60)).isoformat(), "toTransactionDate": end}
        r = await client._call("GET", path, consent_id=cid, params=params, ok=(422,))
        assert r.json()["errors"][0]["code"] == "PARAMETRO_INVALIDO"
        got = await client.card_transactions_current(cid, card_id, start, end)
        assert {t.transactionId for t in got} == _booked(rows, start, end)
        default = await client.card_transactions_current(cid, card_id)
        assert {t.transactionId for t in default} == _booked(rows, today, today)

    run(scenario())
    assert rec.statuses() == {200, 201, 422}


def test_card_transaction_filters_transactionType_and_payeeMCC(index, settings):
    """Defect 3: ``transactionType=TARIFA`` returns only TARIFA rows; ``payeeMCC`` filters by MCC, on
    /transactions, /transactions-current and /bills/{billId}/transactions; a value outside the enum is 422."""
    client, rec = make(index, settings)
    today = index.today
    start = today - timedelta(days=365)

    async def scenario():
        seen_types: set[str] = set()
        checked_mcc = 0
        for cpf, cust in sorted(index.customer_by_cpf.items()):
            cards = index.cards_by_customer.get(cust["customer_id"], [])
            if not cards:
                continue
            cid = (await client.create_consent(cpf, ALL)).consentId
            for card in cards:
                cc = card["credit_card_account_id"]
                raw = (
                    await client._call(
                        "GET",
                        f"{CARDS}/accounts/{cc}/transactions",
                        consent_id=cid,
                        params={"fromTransactionDate": start, "toTransactionDate": today, "page-size": 1000},
                    )
                ).json()["data"]
                for kind in {t["transactionType"] for t in raw}:
                    only = (
                        await client._call(
                            "GET",
                            f"{CARDS}/accounts/{cc}/transactions",
                            consent_id=cid,
                            params={
                                "fromTransactionDate": start,
                                "toTransactionDate": today,
                                "page-size": 1000,
                                "transactionType": kind,
                            },
                        )
                    ).json()["data"]
                    assert {t["transactionType"] for t in only} == {kind}, kind
                every = await client.card_transactions(cid, cc, start, today)
                by_type: dict[str, set[str]] = {}
                for t in every:
                    by_type.setdefault(t.transactionType, set()).add(t.transactionId)
                for kind, ids in by_type.items():
                    got = await client.card_transactions(cid, cc, start, today, transaction_type=kind)
                    assert {t.transactionId for t in got} == ids and {t.transactionType for t in got} == {
                        kind
                    }
                    seen_types.add(kind)
                mccs = sorted({t.payeeMCC for t in every if t.payeeMCC is not None})
                if mccs:
                    got = await client.card_transactions(cid, cc, start, today, payee_mcc=mccs[0])
                    assert {t.transactionId for t in got} == {
                        t.transactionId for t in every if t.payeeMCC == mccs[0]
                    }
                    checked_mcc += 1
                bills = await client.card_bills(cid, cc)
                bill = bills[0].billId
                in_bill = (
                    await client._call(
                        "GET",
                        f"{CARDS}/accounts/{cc}/bills/{bill}/transactions",
                        consent_id=cid,
                        params={"transactionType": "TARIFA", "page-size": 1000},
                    )
                ).json()["data"]
                assert all(t["transactionType"] == "TARIFA" for t in in_bill)
                r = await client._call(
                    "GET",
                    f"{CARDS}/accounts/{cc}/transactions",
                    consent_id=cid,
                    params={"transactionType": "NAO_EXISTE"},
                    ok=(422,),
                )
                assert r.json()["errors"][0]["code"] == "PARAMETRO_INVALIDO"
            if {"TARIFA", "OUTROS"} <= seen_types and checked_mcc >= 2:
                return
        raise AssertionError(f"fixture world lacks TARIFA/OUTROS rows or MCCs: {seen_types} {checked_mcc}")

    run(scenario())
    assert {200, 201, 422} == rec.statuses()


# --- consents 3.3.1: extensions ---------------------------------------------------------------


def test_consent_extends_renews_and_extensions_lists_the_history(index, settings):
    """Defect 4: ``POST /consents/{consentId}/extends`` renews an AUTHORISED consent (the new date is
    read back by ``GET /consents/{consentId}``) and ``GET .../extensions`` lists renewals newest first."""
    clock = ManualClock(start=datetime(2026, 9, 1, tzinfo=UTC).timestamp())
    client, rec = make(index, settings, clock=clock)
    cpf = sorted(index.customer_by_cpf)[1]

    async def scenario():
        consent = await client.create_consent(cpf, ["ACCOUNTS_READ"], expiration="2026-10-01T00:00:00Z")
        cid = consent.consentId
        assert await client.consent_extensions(cid) == []
        clock.advance(86400)
        ext = await client.extend_consent(
            cid, cpf, "2027-01-01T00:00:00Z", customer_ip_address=IP, customer_user_agent=UA
        )
        assert ext.expirationDateTime == datetime(2027, 1, 1, tzinfo=UTC) and ext.status == "AUTHORISED"
        assert (await client.get_consent(cid)).expirationDateTime == datetime(2027, 1, 1, tzinfo=UTC)
        clock.advance(86400)
        await client.extend_consent(cid, cpf, None, customer_ip_address=IP, customer_user_agent=UA)
        assert (await client.get_consent(cid)).expirationDateTime is None  # indefinite from now on
        history = await client.consent_extensions(cid)
        assert [h.expirationDateTime for h in history] == [None, datetime(2027, 1, 1, tzinfo=UTC)]
        assert [h.previousExpirationDateTime for h in history] == [
            datetime(2027, 1, 1, tzinfo=UTC),
            datetime(2026, 10, 1, tzinfo=UTC),
        ]
        assert history[0].requestDateTime > history[1].requestDateTime
        assert history[0].loggedUser["document"] == {"identification": cpf, "rel": "CPF"}
        assert history[0].xFapiCustomerIpAddress == IP and history[0].xCustomerUserAgent == UA
        # the consent still works for data after the renewal
        assert await client.accounts(cid)

    run(scenario())
    assert rec.statuses() == {200, 201}
    assert {p.rsplit("/", 1)[-1] for m, p, _ in rec.validated if "/consents/urn" in p} >= {
        "extends",
        "extensions",
    }


def test_consent_extends_follows_the_spec_rules(index, settings):
    """Defect 4: renewal needs the consent-bound token, the two customer headers, the creator as
    loggedUser, an AUTHORISED consent (422 ESTADO_CONSENTIMENTO_INVALIDO) and a later date within
    12 months (422 DATA_EXPIRACAO_INVALIDA); an unknown consent is 404."""
    clock = ManualClock(start=datetime(2026, 9, 1, tzinfo=UTC).timestamp())
    client, rec = make(index, settings, clock=clock)
    cpfs = sorted(index.customer_by_cpf)

    def body(cpf, exp):
        data = {"loggedUser": {"document": {"identification": cpf, "rel": "CPF"}}}
        if exp:
            data["expirationDateTime"] = exp
        return {"data": data}

    hdrs = {"x-fapi-customer-ip-address": IP, "x-customer-user-agent": UA}

    async def scenario():
        cid = (
            await client.create_consent(cpfs[2], ["ACCOUNTS_READ"], expiration="2026-12-01T00:00:00Z")
        ).consentId
        url = f"{CONSENTS}/consents/{cid}/extends"

        async def post(json, ok, headers=hdrs, consent=cid):
            return await client._call("POST", url, consent_id=consent, json=json, headers=headers, ok=ok)

        async def code(json, status, **kw):
            return (await post(json, (status,), **kw)).json()["errors"][0]["code"]

        # earlier than the current expiration, or beyond 12 months: DATA_EXPIRACAO_INVALIDA
        assert await code(body(cpfs[2], "2026-11-01T00:00:00Z"), 422) == "DATA_EXPIRACAO_INVALIDA"
        assert await code(body(cpfs[2], "2027-12-01T00:00:00Z"), 422) == "DATA_EXPIRACAO_INVALIDA"
        # another person as loggedUser
        assert await code(body(cpfs[3], "2027-01-01T00:00:00Z"), 422) == "ERRO_NAO_MAPEADO"
        # customer headers are required
        await post(body(cpfs[2], "2027-01-01T00:00:00Z"), (400,), headers={})
        # a client-credentials token (not the consent's) is refused
        r = await client._call(
            "POST", url, json=body(cpfs[2], "2027-01-01T00:00:00Z"), headers=hdrs, ok=(403,)
        )
        assert r.json()["errors"]
        # malformed payload
        await post({"data": {}}, (400,))
        # revoked: ESTADO_CONSENTIMENTO_INVALIDO
        await client.revoke_consent(cid)
        assert await code(body(cpfs[2], "2027-01-01T00:00:00Z"), 422) == "ESTADO_CONSENTIMENTO_INVALIDO"
        # pending: the same
        pending_app = create_app(index, settings, clock=clock, auto_authorise=False)
        pend = OpenFinanceClient.from_settings(settings, app=pending_app, clock=clock)
        SpecRecorder(("/open-banking/",)).attach(pend.http)
        pid = (await pend.create_consent(cpfs[4], ["ACCOUNTS_READ"])).consentId
        r = await pend._call(
            "POST",
            f"{CONSENTS}/consents/{pid}/extends",
            consent_id=pid,
            json=body(cpfs[4], None),
            headers=hdrs,
            ok=(422,),
        )
        assert r.json()["errors"][0]["code"] == "ESTADO_CONSENTIMENTO_INVALIDO"
        # unknown consent
        r = await client._call("GET", f"{CONSENTS}/consents/urn:cofre:nope/extensions", ok=(404,))
        assert r.json()["errors"][0]["code"] == "NAO_ENCONTRADO"
        with pytest.raises(ConsentNotAuthorisedError):
            await client.extend_consent(cid, cpfs[2], None, customer_ip_address=IP, customer_user_agent=UA)

    run(scenario())
    assert {400, 403, 404, 422} <= rec.statuses()


def test_extensions_is_paginated_with_meta_totals(index, settings):
    clock = ManualClock(start=datetime(2026, 9, 1, tzinfo=UTC).timestamp())
    client, rec = make(index, settings, clock=clock)
    cpf = sorted(index.customer_by_cpf)[5]

    async def scenario():
        cid = (
            await client.create_consent(cpf, ["ACCOUNTS_READ"], expiration="2026-09-10T00:00:00Z")
        ).consentId
        for day in range(11, 16):
            clock.advance(3600)
            await client.extend_consent(
                cid, cpf, f"2026-10-{day}T00:00:00Z", customer_ip_address=IP, customer_user_agent=UA
            )
        client.page_size = 2
        history = await client.consent_extensions(cid)
        assert [h.expirationDateTime.day for h in history] == [15, 14, 13, 12, 11]
        page = (
            await client._call(
                "GET", f"{CONSENTS}/consents/{cid}/extensions", params={"page": 2, "page-size": 2}
            )
        ).json()
        assert page["meta"]["totalRecords"] == 5 and page["meta"]["totalPages"] == 3
        assert {"self", "first", "prev", "next", "last"} <= set(page["links"])

    run(scenario())
