"""Bronze pull of Open Finance Brasil through the issue-3 client, one consent per customer.

For each customer CPF: the consent of the previous pull if the transmitter still holds it
``AUTHORISED`` with every permission the pull needs and at least :data:`REUSE_MARGIN` before it
expires (``GET /consents/{id}``), else a new one (``POST /consents``: auto-authorised in the
sandbox; a real transmitter redirects the customer, which a scheduled pull cannot ask for every
run). Then ``GET /accounts``, ``/accounts/{id}/transactions`` over the
12-month booking window ending at ``to_date``, credit-card accounts and their transactions over
the same window, loan contracts with their scheduled instalments and payments. Every record is
kept as the JSON the transmitter sent (the list item), with the consent id, the request's
``x-fapi-interaction-id`` and the time the response arrived.

Why unpartitioned: the API is per consent and per account, so a daily partition would multiply the
HTTP calls by 365; one pull of the window per run is cheap and re-pulls are idempotent
(``record_id`` is a content hash and bronze MERGEs insert-only). Silver and gold are incremental.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipelines.common.bronze import BronzeBatch, dumps, now_utc
from pipelines.sources.http import UpstreamError
from pipelines.sources.open_finance import schemas as m
from pipelines.sources.open_finance.client import NotFoundError, OpenFinanceClient
from pipelines.sources.open_finance.paths import ACCOUNTS, CARDS, LOANS

PERMISSIONS = [
    "ACCOUNTS_READ",
    "ACCOUNTS_BALANCES_READ",
    "ACCOUNTS_TRANSACTIONS_READ",
    "ACCOUNTS_OVERDRAFT_LIMITS_READ",
    "CREDIT_CARDS_ACCOUNTS_READ",
    "CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ",
    "CREDIT_CARDS_ACCOUNTS_BILLS_READ",
    "LOANS_READ",
    "LOANS_SCHEDULED_INSTALMENTS_READ",
    "LOANS_PAYMENTS_READ",
    "RESOURCES_READ",
]
WINDOW_DAYS = 365
REUSE_MARGIN = timedelta(days=1)  # a consent expiring sooner is replaced rather than used for a pull


class RawOpenFinanceClient(OpenFinanceClient):
    """The typed client plus raw pages: the JSON items exactly as received and the request id."""

    page_size = 1000

    async def raw_get(self, url: str, consent_id: str | None, params: dict | None = None) -> tuple[str, Any]:
        rid = str(uuid.uuid4())
        resp = await self._call(
            "GET", url, consent_id=consent_id, params=params, headers={"x-fapi-interaction-id": rid}
        )
        return resp.headers.get("x-fapi-interaction-id", rid), resp.json()

    async def raw_list(self, url: str, consent_id: str, params: dict | None = None) -> list[tuple[str, list]]:
        """Pages ``(request_id, data items)`` following links.next to the end."""
        pages: list[tuple[str, list]] = []
        next_url: str | None = url
        query: dict | None = {"page": 1, "page-size": self.page_size, **(params or {})}
        seen: set[str] = set()
        while next_url is not None:
            rid, body = await self.raw_get(next_url, consent_id, query)
            pages.append((rid, body.get("data") or []))
            seen.add(next_url if query is None else f"{next_url}?{sorted(query.items())}")
            next_url = (body.get("links") or {}).get("next")
            query = None
            if next_url in seen:
                raise RuntimeError(f"pagination loop at {next_url}")
        return pages


@dataclass
class OpenFinancePull:
    """Bronze batches of one pull (every table of the domain)."""

    consents: BronzeBatch = field(
        default_factory=lambda: BronzeBatch("bronze.open_finance_consents", "open_finance")
    )
    accounts: BronzeBatch = field(
        default_factory=lambda: BronzeBatch("bronze.open_finance_accounts", "open_finance")
    )
    transactions: BronzeBatch = field(
        default_factory=lambda: BronzeBatch("bronze.open_finance_transactions", "open_finance")
    )
    card_transactions: BronzeBatch = field(
        default_factory=lambda: BronzeBatch("bronze.open_finance_credit_card_transactions", "open_finance")
    )
    loans: BronzeBatch = field(
        default_factory=lambda: BronzeBatch("bronze.open_finance_loans", "open_finance")
    )
    instalments: BronzeBatch = field(
        default_factory=lambda: BronzeBatch("bronze.open_finance_loan_instalments", "open_finance")
    )
    errors: list[str] = field(default_factory=list)

    def consent_ids(self) -> dict[str, str]:
        """CPF -> the consent its pull used."""
        return {r[0][0]: r[4] for r in self.consents.rows}

    def batches(self) -> dict[str, BronzeBatch]:
        return {
            b.table.name: b
            for b in (
                self.consents,
                self.accounts,
                self.transactions,
                self.card_transactions,
                self.loans,
                self.instalments,
            )
        }


def window(to_date: date) -> tuple[date, date]:
    return to_date - timedelta(days=WINDOW_DAYS), to_date


async def reusable_consent(client: OpenFinanceClient, consent_id: str) -> m.Consent | None:
    """The consent ``consent_id`` as the transmitter holds it now, if a pull may use it: ``AUTHORISED``,
    granting every permission in :data:`PERMISSIONS`, and not expiring within :data:`REUSE_MARGIN`.
    None when it is unknown there (404), revoked, rejected, expired, narrower or about to expire."""
    try:
        consent = await client.get_consent(consent_id)
    except NotFoundError:
        return None
    except UpstreamError as exc:
        if exc.status is not None and 400 <= exc.status < 500:
            return None
        raise
    if consent.status != "AUTHORISED" or not set(PERMISSIONS) <= set(consent.permissions):
        return None
    if (
        consent.expirationDateTime is not None
        and consent.expirationDateTime - datetime.now(UTC) < REUSE_MARGIN
    ):
        return None
    return consent


async def pull_customer(
    client: RawOpenFinanceClient,
    cpf: str,
    to_date: date,
    out: OpenFinancePull,
    previous_consent: str | None = None,
) -> None:
    """Consent (``previous_consent`` when still usable, else a new one) + every resource of one customer
    into ``out``."""
    start, end = window(to_date)
    consent = await reusable_consent(client, previous_consent) if previous_consent else None
    if consent is None:
        consent = await client.create_consent(cpf, PERMISSIONS)
    cid = consent.consentId
    out.consents.add(
        (cpf,), dumps(consent.model_dump(mode="json")), request_id=cid, pulled_at=now_utc(), consent_id=cid
    )
    if consent.status != "AUTHORISED":
        out.errors.append(f"consent {cid} for a customer is {consent.status}")
        return
    tx_params = {"fromBookingDate": start.isoformat(), "toBookingDate": end.isoformat()}
    for rid, items in await client.raw_list(f"{ACCOUNTS}/accounts", cid):
        at = now_utc()
        for acc in items:
            out.accounts.add((acc["accountId"],), dumps(acc), request_id=rid, pulled_at=at, consent_id=cid)
            for trid, txs in await client.raw_list(
                f"{ACCOUNTS}/accounts/{acc['accountId']}/transactions", cid, tx_params
            ):
                t_at = now_utc()
                for tx in txs:
                    out.transactions.add(
                        (acc["accountId"], tx.get("transactionId")),
                        dumps(tx),
                        request_id=trid,
                        pulled_at=t_at,
                        consent_id=cid,
                    )
    card_params = {"fromTransactionDate": start.isoformat(), "toTransactionDate": end.isoformat()}
    for _rid, items in await client.raw_list(f"{CARDS}/accounts", cid):
        for card in items:
            card_id = card["creditCardAccountId"]
            for trid, txs in await client.raw_list(
                f"{CARDS}/accounts/{card_id}/transactions", cid, card_params
            ):
                t_at = now_utc()
                for tx in txs:
                    out.card_transactions.add(
                        (card_id, tx.get("transactionId")),
                        dumps(tx),
                        request_id=trid,
                        pulled_at=t_at,
                        consent_id=cid,
                    )
    for _rid, items in await client.raw_list(f"{LOANS}/contracts", cid):
        for summary in items:
            contract_id = summary["contractId"]
            try:
                crid, contract = await client.raw_get(f"{LOANS}/contracts/{contract_id}", cid)
                _, sched = await client.raw_get(f"{LOANS}/contracts/{contract_id}/scheduled-instalments", cid)
                prid, payments = await client.raw_get(f"{LOANS}/contracts/{contract_id}/payments", cid)
            except NotFoundError as exc:
                out.errors.append(f"loan {contract_id}: {exc}")
                continue
            at = now_utc()
            record = {
                "summary": summary,
                "contract": contract.get("data"),
                "scheduledInstalments": sched.get("data"),
                "payments": {k: v for k, v in (payments.get("data") or {}).items() if k != "releases"},
            }
            out.loans.add((contract_id,), dumps(record), request_id=crid, pulled_at=at, consent_id=cid)
            for rel in (payments.get("data") or {}).get("releases") or []:
                number = int(str(rel.get("instalmentId", "0")).rsplit("-I", 1)[-1] or 0)
                out.instalments.add(
                    (contract_id, number), dumps(rel), request_id=prid, pulled_at=at, consent_id=cid
                )
