"""Typed async client of Open Finance Brasil (consents, accounts, credit cards, loans).

Works against a real transmitter URL (``settings.open_finance_url``) or the sandbox in-process.
Consent flow: :meth:`OpenFinanceClient.create_consent` (client-credentials token, scope
``consents``), then data calls take the ``consent_id``: the client obtains a token bound to it
(scope ``consent:<id>``) and refreshes it before expiry or after a 401. Lists are read to the end
by following ``links.next``. A 403 for a revoked, expired, rejected or pending consent raises
:class:`ConsentRevokedError`, :class:`ConsentExpiredError`, :class:`ConsentNotAuthorisedError`;
a missing permission :class:`ConsentPermissionError` (all :class:`ConsentError`).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from lake.settings import Settings, get_settings
from pipelines.sources.client_factory import make_http_and_tokens
from pipelines.sources.clock import Clock
from pipelines.sources.http import ApiClient, UpstreamError
from pipelines.sources.oauth import TokenManager
from pipelines.sources.open_finance import schemas as m
from pipelines.sources.open_finance.paths import ACCOUNTS, CARDS, CONSENTS, LOANS

T = TypeVar("T", bound=BaseModel)


class ConsentError(RuntimeError):
    """Data access refused because of the consent (HTTP 403 errors[])."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class ConsentRevokedError(ConsentError):
    """The customer revoked the consent."""


class ConsentExpiredError(ConsentError):
    """The consent reached its expirationDateTime."""


class ConsentNotAuthorisedError(ConsentError):
    """The consent is awaiting authorisation, rejected or unknown."""


class ConsentPermissionError(ConsentError):
    """The consent does not grant the permission the endpoint needs."""


class NotFoundError(LookupError):
    """The resource does not exist for this consent (HTTP 404)."""


_CONSENT_ERRORS = {
    "CONSENT_REVOKED": ConsentRevokedError,
    "CONSENT_EXPIRED": ConsentExpiredError,
    "CONSENT_REJECTED": ConsentNotAuthorisedError,
    "CONSENT_NOT_FOUND": ConsentNotAuthorisedError,
    "CONSENT_AWAITING_AUTHORISATION": ConsentNotAuthorisedError,
    "PERMISSION_MISSING": ConsentPermissionError,
}


class OpenFinanceClient(ApiClient):
    """Open Finance Brasil receiver-side client."""

    page_size = 100
    max_pages = 100_000

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        tokens: TokenManager | None,
        *,
        clock: Clock | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(http, settings, tokens, **kwargs)
        self.clock = clock
        self._consent_tokens: dict[str, TokenManager] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        world: dict | None = None,
        app: Any = None,
        clock: Clock | None = None,
        **kwargs: Any,
    ) -> OpenFinanceClient:
        settings = settings or get_settings()
        http, tokens = make_http_and_tokens(
            settings.open_finance_url,
            "open_finance",
            settings,
            "open-finance.cofre.local",
            world=world,
            app=app,
            scope="consents",
            clock=clock,
        )
        return cls(http, settings, tokens, clock=clock, **kwargs)

    # --- plumbing -------------------------------------------------------------------------
    def _tokens_for(self, consent_id: str) -> TokenManager:
        if consent_id not in self._consent_tokens:
            if self.tokens is None:
                raise RuntimeError("the Open Finance client has no OAuth2 token manager")
            self._consent_tokens[consent_id] = TokenManager(
                self.tokens.client_id,
                self.tokens.client_secret,
                scope=f"consent:{consent_id}",
                clock=self.clock,
                refresh_margin_s=self.tokens.refresh_margin_s,
            )
        return self._consent_tokens[consent_id]

    def consent_tokens(self, consent_id: str) -> TokenManager:
        """The token manager used for data calls under ``consent_id`` (exposed for inspection)."""
        return self._tokens_for(consent_id)

    async def _call(
        self,
        method: str,
        url: str,
        *,
        consent_id: str | None = None,
        ok: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> httpx.Response:
        headers = {"x-fapi-interaction-id": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        tokens = self._tokens_for(consent_id) if consent_id is not None else None
        resp = await self.request(method, url, headers=headers, tokens=tokens, **kwargs)
        if resp.status_code not in ok:
            self.raise_for(resp)
        return resp

    def raise_for(self, resp: httpx.Response) -> None:
        try:
            errors = resp.json().get("errors") or [{}]
        except (ValueError, AttributeError):
            errors = [{}]
        code, detail = str(errors[0].get("code", "")), str(errors[0].get("detail", resp.text[:300]))
        if resp.status_code == 403 and code in _CONSENT_ERRORS:
            raise _CONSENT_ERRORS[code](code, detail)
        if resp.status_code == 422 and code == "ESTADO_CONSENTIMENTO_INVALIDO":
            raise ConsentNotAuthorisedError(code, detail)
        if resp.status_code == 404:
            raise NotFoundError(f"{code}: {detail}")
        raise UpstreamError(
            f"{resp.request.method} {resp.request.url} -> {resp.status_code} {code}: {detail}",
            status=resp.status_code,
            body=errors,
        )

    async def _one(self, url: str, consent_id: str, model: type[T]) -> T:
        resp = await self._call("GET", url, consent_id=consent_id)
        return model.model_validate(resp.json()["data"])

    async def _all(
        self, url: str, consent_id: str | None, model: type[T], params: dict | None = None
    ) -> list[T]:
        """Every item of a paginated list, following links.next to the end."""
        out: list[T] = []
        next_url: str | None = url
        query = {"page": 1, "page-size": self.page_size, **(params or {})}
        seen: set[str] = set()
        for _ in range(self.max_pages):
            if next_url is None:
                return out
            resp = await self._call("GET", next_url, consent_id=consent_id, params=query)
            body = resp.json()
            out.extend(model.model_validate(item) for item in body["data"])
            seen.add(str(resp.request.url))
            next_url = body.get("links", {}).get("next")
            query = None
            if next_url in seen:
                raise UpstreamError(f"pagination loop at {next_url}")
        raise UpstreamError(f"more than {self.max_pages} pages at {url}")

    # --- consents -------------------------------------------------------------------------
    async def create_consent(
        self, cpf: str, permissions: list[str], expiration: str | None = None
    ) -> m.Consent:
        data: dict[str, Any] = {
            "loggedUser": {"document": {"identification": cpf, "rel": "CPF"}},
            "permissions": permissions,
        }
        if expiration:
            data["expirationDateTime"] = expiration
        resp = await self._call("POST", f"{CONSENTS}/consents", json={"data": data}, ok=(201,))
        return m.Consent.model_validate(resp.json()["data"])

    async def get_consent(self, consent_id: str) -> m.Consent:
        resp = await self._call("GET", f"{CONSENTS}/consents/{consent_id}")
        return m.Consent.model_validate(resp.json()["data"])

    async def revoke_consent(self, consent_id: str) -> None:
        await self._call("DELETE", f"{CONSENTS}/consents/{consent_id}", ok=(204,))

    async def extend_consent(
        self,
        consent_id: str,
        cpf: str,
        expiration: str | None,
        *,
        customer_ip_address: str,
        customer_user_agent: str,
    ) -> m.Consent:
        """``POST /consents/{consentId}/extends``: renew without redirection as the logged-in ``cpf``
        (the consent's creator), to ``expiration`` (``YYYY-MM-DDTHH:MM:SSZ``) or indefinitely (None).
        Uses the customer's token of the consent; a consent that is not AUTHORISED raises
        :class:`ConsentNotAuthorisedError`, a refused date :class:`UpstreamError` (422)."""
        data: dict[str, Any] = {"loggedUser": {"document": {"identification": cpf, "rel": "CPF"}}}
        if expiration:
            data["expirationDateTime"] = expiration
        headers = {
            "x-fapi-customer-ip-address": customer_ip_address,
            "x-customer-user-agent": customer_user_agent,
        }
        resp = await self._call(
            "POST",
            f"{CONSENTS}/consents/{consent_id}/extends",
            consent_id=consent_id,
            json={"data": data},
            headers=headers,
            ok=(201,),
        )
        return m.Consent.model_validate(resp.json()["data"])

    async def consent_extensions(self, consent_id: str) -> list[m.ConsentExtension]:
        """``GET /consents/{consentId}/extensions``: every renewal, newest first (all pages)."""
        return await self._all(f"{CONSENTS}/consents/{consent_id}/extensions", None, m.ConsentExtension)

    async def sandbox_authorise(self, consent_id: str) -> None:
        """Sandbox only: approve a consent as the customer would at the bank."""
        resp = await self.request("POST", f"/sandbox/consents/{consent_id}/authorise", auth=False)
        if resp.status_code != 200:
            raise UpstreamError(
                f"sandbox authorise failed: {resp.status_code} {resp.text}", status=resp.status_code
            )

    # --- accounts -------------------------------------------------------------------------
    async def accounts(self, consent_id: str) -> list[m.AccountSummary]:
        return await self._all(f"{ACCOUNTS}/accounts", consent_id, m.AccountSummary)

    async def account(self, consent_id: str, account_id: str) -> m.AccountIdentification:
        return await self._one(f"{ACCOUNTS}/accounts/{account_id}", consent_id, m.AccountIdentification)

    async def balances(self, consent_id: str, account_id: str) -> m.AccountBalances:
        return await self._one(f"{ACCOUNTS}/accounts/{account_id}/balances", consent_id, m.AccountBalances)

    async def transactions(
        self, consent_id: str, account_id: str, from_date: date, to_date: date
    ) -> list[m.AccountTransaction]:
        params = {"fromBookingDate": from_date.isoformat(), "toBookingDate": to_date.isoformat()}
        return await self._all(
            f"{ACCOUNTS}/accounts/{account_id}/transactions", consent_id, m.AccountTransaction, params
        )

    async def transactions_current(
        self,
        consent_id: str,
        account_id: str,
        from_date: date | None = None,
        to_date: date | None = None,
        *,
        credit_debit_indicator: str | None = None,
    ) -> list[m.AccountTransaction]:
        """``GET .../transactions-current``: the last 7 days at most (D-6); no dates means today.
        The spec's parameter components ``fromBookingDateMaxLimited``/``toBookingDateMaxLimited``
        are sent as ``fromBookingDate``/``toBookingDate``."""
        params = _window(("fromBookingDate", "toBookingDate"), from_date, to_date)
        if credit_debit_indicator:
            params["creditDebitIndicator"] = credit_debit_indicator
        return await self._all(
            f"{ACCOUNTS}/accounts/{account_id}/transactions-current", consent_id, m.AccountTransaction, params
        )

    # --- credit cards ---------------------------------------------------------------------
    async def card_accounts(self, consent_id: str) -> list[m.CardAccount]:
        return await self._all(f"{CARDS}/accounts", consent_id, m.CardAccount)

    async def card_account(self, consent_id: str, card_id: str) -> m.CardIdentification:
        return await self._one(f"{CARDS}/accounts/{card_id}", consent_id, m.CardIdentification)

    async def card_transactions(
        self,
        consent_id: str,
        card_id: str,
        from_date: date,
        to_date: date,
        *,
        transaction_type: str | None = None,
        payee_mcc: int | None = None,
    ) -> list[m.CardTransaction]:
        """``GET .../transactions``; ``transaction_type``/``payee_mcc`` go as ``transactionType``/``payeeMCC``
        (the wire names of the spec's ``creditCardTransactionType``/``creditCardPayeeMCC``)."""
        params = _window(("fromTransactionDate", "toTransactionDate"), from_date, to_date)
        params.update(_card_filters(transaction_type, payee_mcc))
        return await self._all(
            f"{CARDS}/accounts/{card_id}/transactions", consent_id, m.CardTransaction, params
        )

    async def card_transactions_current(
        self,
        consent_id: str,
        card_id: str,
        from_date: date | None = None,
        to_date: date | None = None,
        *,
        transaction_type: str | None = None,
        payee_mcc: int | None = None,
    ) -> list[m.CardTransaction]:
        """``GET .../transactions-current`` (D-6 at most; no dates means today)."""
        params = _window(("fromTransactionDate", "toTransactionDate"), from_date, to_date)
        params.update(_card_filters(transaction_type, payee_mcc))
        return await self._all(
            f"{CARDS}/accounts/{card_id}/transactions-current", consent_id, m.CardTransaction, params
        )

    async def card_bills(self, consent_id: str, card_id: str) -> list[m.CardBill]:
        return await self._all(f"{CARDS}/accounts/{card_id}/bills", consent_id, m.CardBill)

    # --- loans ----------------------------------------------------------------------------
    async def loans(self, consent_id: str) -> list[m.LoanSummary]:
        return await self._all(f"{LOANS}/contracts", consent_id, m.LoanSummary)

    async def loan(self, consent_id: str, contract_id: str) -> m.LoanContract:
        return await self._one(f"{LOANS}/contracts/{contract_id}", consent_id, m.LoanContract)

    async def loan_instalments(self, consent_id: str, contract_id: str) -> m.LoanInstalments:
        return await self._one(
            f"{LOANS}/contracts/{contract_id}/scheduled-instalments", consent_id, m.LoanInstalments
        )

    async def loan_payments(self, consent_id: str, contract_id: str) -> m.LoanPayments:
        return await self._one(f"{LOANS}/contracts/{contract_id}/payments", consent_id, m.LoanPayments)


def _window(names: tuple[str, str], from_date: date | None, to_date: date | None) -> dict[str, str]:
    if (from_date is None) != (to_date is None):
        raise ValueError(f"{names[0]} and {names[1]} go together (the spec requires both or neither)")
    return (
        {}
        if from_date is None or to_date is None
        else dict(zip(names, (from_date.isoformat(), to_date.isoformat()), strict=True))
    )


def _card_filters(transaction_type: str | None, payee_mcc: int | None) -> dict[str, str | int]:
    out: dict[str, str | int] = {}
    if transaction_type is not None:
        out["transactionType"] = transaction_type
    if payee_mcc is not None:
        out["payeeMCC"] = payee_mcc
    return out
