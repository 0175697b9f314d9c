"""Open Finance Brasil sandbox (FastAPI app factory ``create_app(world, settings)``).

Serves the world's customers under the official paths and payloads of consents 3.3.1
(``/open-banking/consents/v3``), accounts 2.4.2 (``/open-banking/accounts/v2``), credit-cards
2.3.1 (``/open-banking/credit-cards-accounts/v2``) and loans 2.5.0 (``/open-banking/loans/v2``).

Auth and consent flow (the sandbox's stand-in for FAPI redirects):

1. ``POST /token`` (client credentials, scope ``consents``) -> token for the consents API.
2. ``POST .../consents`` with ``loggedUser.document.identification`` = the customer's CPF and the
   permissions. With ``settings.sandbox_auto_authorise`` (default) a consent for a CPF known to
   the world is created ``AUTHORISED`` at once; otherwise it stays ``AWAITING_AUTHORISATION``
   until the sandbox-only ``POST /sandbox/consents/{consentId}/authorise`` (the customer's
   approval at the bank) or ``.../reject``. An unknown CPF gives a ``REJECTED`` consent.
3. ``POST /token`` with scope ``consent:<consentId>`` -> data token bound to that consent
   (stands in for the authorization-code token of the real flow).
4. Data endpoints need that token, a consent that is ``AUTHORISED`` and not expired, and the
   endpoint's permission; else 403 ``errors[{code,title,detail}]`` with code ``CONSENT_REVOKED``,
   ``CONSENT_EXPIRED``, ``CONSENT_REJECTED``, ``CONSENT_AWAITING_AUTHORISATION``,
   ``CONSENT_NOT_FOUND`` or ``PERMISSION_MISSING``. Resources of another customer are 404.
   ``DELETE .../consents/{id}`` revokes (REJECTED, USER, CUSTOMER_MANUALLY_REVOKED).
   ``POST .../consents/{id}/extends`` renews an AUTHORISED consent (the customer's token bound to
   it, the x-fapi-customer-ip-address and x-customer-user-agent headers; rules in
   :meth:`ConsentStore.extend`) and ``GET .../consents/{id}/extensions`` lists the renewals.

Every Open Finance request needs ``x-fapi-interaction-id`` (a UUID), echoed in the response;
missing or invalid -> 400 with a generated one, as the spec says. Lists take ``page`` and
``page-size`` (1..1000, default 25) and return ``links`` (self/first/prev/next/last) and ``meta``
(totalRecords/totalPages/requestDateTime) where each spec has them. Account transactions accept
``fromBookingDate``/``toBookingDate`` (both or neither; default: the world's last day) within 12
months back and 12 months ahead of the world's last day; ``transactions-current`` takes the same
wire names (the spec's parameter components are called ``*MaxLimited``) and reaches back to D-6.
Card transactions likewise with ``fromTransactionDate``/``toTransactionDate``, filtered by
``transactionType`` and ``payeeMCC`` (wire names of ``creditCardTransactionType``/``creditCardPayeeMCC``).
Unknown routes, other methods and malformed requests answer ``errors[]`` + ``meta`` too.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

import polars as pl
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lake.domain.identifiers import is_valid_cpf
from lake.domain.open_finance import PERMISSIONS
from lake.settings import Settings, get_settings
from pipelines.sources.clock import Clock, SystemClock, now_utc
from pipelines.sources.oauth import AuthError, IssuedToken, TokenIssuer, token_router
from pipelines.sources.open_finance.consents import Consent, ConsentDenied, ConsentStore
from pipelines.sources.open_finance.paths import ACCOUNTS, API_VERSIONS, CARDS, CONSENTS, LOANS
from pipelines.sources.timefmt import iso_date, iso_seconds, parse_rfc3339
from sandbox.errors import install_error_handlers
from sandbox.faults import FaultInjector, FaultPlan
from sandbox.open_finance import serialize as ser
from sandbox.world_index import WorldIndex

ERROR_MEDIA = "application/json; charset=utf-8"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
CURRENT_DAYS_BACK = 6  # transactions-current: "período máximo ... 7 dias inclusive (D-6)"
CREDIT_DEBIT = ("CREDITO", "DEBITO")
CARD_TRANSACTION_TYPES = (
    "PAGAMENTO",
    "TARIFA",
    "OPERACOES_CREDITO_CONTRATADAS_CARTAO",
    "ESTORNO",
    "CASHBACK",
    "OUTROS",
)
_CPF_DIGITS = re.compile(r"^[0-9]{11}$")
_REL = re.compile(r"^[A-Z]{3}$")
_SECONDS_TS = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")


class OFError(Exception):
    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail


class _Ctx:
    """Per-app state shared by the route handlers."""

    def __init__(self, index: WorldIndex, settings: Settings, clock: Clock, auto_authorise: bool) -> None:
        self.index = index
        self.settings = settings
        self.clock = clock
        self.store = ConsentStore(
            {cpf: c["customer_id"] for cpf, c in index.customer_by_cpf.items()}, auto_authorise
        )
        self.issuer = TokenIssuer(
            {settings.client_id: settings.client_secret.get_secret_value()},
            settings.sandbox_token_ttl_s,
            clock,
            scope_check=self.scope_problem,
        )
        self._generated_ids = 0

    def now(self) -> datetime:
        return now_utc(self.clock)

    def scope_problem(self, scope: str) -> str | None:
        for item in scope.split():
            if item.startswith("consent:") and self.store.get(item[len("consent:") :], self.now()) is None:
                return f"unknown consent in scope: {item}"
        return None

    def new_interaction_id(self) -> str:
        self._generated_ids += 1
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cofre-sandbox-interaction:{self._generated_ids}"))


# --- request helpers ---------------------------------------------------------------------------


def _interaction_id(request: Request) -> str:
    value = request.headers.get("x-fapi-interaction-id", "")
    if not _UUID.match(value):
        ctx: _Ctx = request.app.state.ctx
        request.state.interaction_id = ctx.new_interaction_id()
        raise OFError(
            400,
            "PARAMETRO_INVALIDO",
            "Cabeçalho inválido",
            "x-fapi-interaction-id header is required and must be a UUID (RFC 4122)",
        )
    request.state.interaction_id = value
    return value


def _headers(request: Request) -> dict[str, str]:
    """x-fapi-interaction-id (echoed) and x-v (the implemented API version) response headers."""
    hdrs = {
        "x-fapi-interaction-id": getattr(request.state, "interaction_id", None)
        or request.headers.get("x-fapi-interaction-id", "")
    }
    for prefix, version in API_VERSIONS.items():
        if request.url.path.startswith(prefix + "/"):
            hdrs["x-v"] = version
    return hdrs


def _ok(request: Request, body: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_headers(request))


def _token(request: Request) -> IssuedToken:
    ctx: _Ctx = request.app.state.ctx
    _interaction_id(request)
    return ctx.issuer.authenticate(request.headers.get("authorization"))


def _consent_for(request: Request, endpoint: str) -> Consent:
    ctx: _Ctx = request.app.state.ctx
    token = _token(request)
    bound = [s[len("consent:") :] for s in token.scopes if s.startswith("consent:")]
    if not bound:
        raise ConsentDenied(
            "CONSENT_NOT_FOUND",
            "Token sem consentimento",
            "the access token is not bound to a consent (scope consent:<consentId>)",
        )
    consent = ctx.store.get(bound[0], ctx.now())
    if consent is not None and consent.client_id != token.client_id:
        raise ConsentDenied(
            "CONSENT_NOT_FOUND", "Consentimento de outro cliente", "the consent was created by another client"
        )
    return ctx.store.check(consent, endpoint)


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not lo <= int(raw) <= hi:
        raise OFError(
            422, "PARAMETRO_INVALIDO", "Parâmetro inválido", f"{name} must be an integer in [{lo}, {hi}]"
        )
    return int(raw)


def _page(request: Request) -> tuple[int, int]:
    ctx: _Ctx = request.app.state.ctx
    return (
        _int_param(request, "page", 1, 1, 2_147_483_647),
        _int_param(request, "page-size", 25, 1, ctx.settings.sandbox_page_size_max),
    )


def _page_url(request: Request, page: int, size: int) -> str:
    return str(request.url.include_query_params(page=page, **{"page-size": size}))


def _paged(request: Request, items: list, *, totals: bool = True, last: bool = True) -> dict:
    page, size = _page(request)
    total = len(items)
    pages = (total + size - 1) // size
    chunk = items[(page - 1) * size : page * size]
    links = {"self": str(request.url)}
    if pages:
        links["first"] = _page_url(request, 1, size)
        if page > 1:
            links["prev"] = _page_url(request, min(page - 1, pages), size)
        if page < pages:
            links["next"] = _page_url(request, page + 1, size)
        if last:
            links["last"] = _page_url(request, pages, size)
    ctx: _Ctx = request.app.state.ctx
    meta = {"requestDateTime": iso_seconds(ctx.now())}
    if totals:
        meta = {"totalRecords": total, "totalPages": pages, **meta}
    return {"data": chunk, "links": links, "meta": meta}


def _single(request: Request, data: dict, *, totals: bool = True) -> dict:
    ctx: _Ctx = request.app.state.ctx
    meta = {"requestDateTime": iso_seconds(ctx.now())}
    if totals:
        meta = {"totalRecords": 1, "totalPages": 1, **meta}
    return {"data": data, "links": {"self": str(request.url)}, "meta": meta}


def _not_found(what: str) -> OFError:
    return OFError(404, "NAO_ENCONTRADO", "Recurso não encontrado", f"{what} not found under this consent")


def _date_param(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not _DATE.match(raw):
        raise OFError(422, "PARAMETRO_INVALIDO", "Parâmetro inválido", f"{name} must be YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise OFError(
            422, "PARAMETRO_INVALIDO", "Parâmetro inválido", f"{name} is not a valid date"
        ) from None


def _enum_param(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise OFError(
            422, "PARAMETRO_INVALIDO", "Parâmetro inválido", f"{name} must be one of {', '.join(allowed)}"
        )
    return raw


def _window(request: Request, from_name: str, to_name: str, back_days: int) -> tuple[date, date]:
    """The [from, to] window of a transactions query: both dates or neither (default: the world's
    today); ``from`` no earlier than ``back_days`` before today and ``to`` at most 12 months ahead.
    The ``*-current`` endpoints pass :data:`CURRENT_DAYS_BACK` (6: "7 dias inclusive (D-6)")."""
    ctx: _Ctx = request.app.state.ctx
    today = ctx.index.today
    start, end = _date_param(request, from_name), _date_param(request, to_name)
    if (start is None) != (end is None):
        raise OFError(
            422,
            "PARAMETRO_NAO_INFORMADO",
            "Parâmetro não informado",
            f"{from_name} and {to_name} must be sent together",
        )
    if start is None:
        return today, today
    if end is None or start > end:
        raise OFError(422, "PARAMETRO_INVALIDO", "Parâmetro inválido", f"{from_name} is after {to_name}")
    if start < today - timedelta(days=back_days) or end > today + timedelta(days=366):
        raise OFError(
            422,
            "PARAMETRO_INVALIDO",
            "Período inválido",
            f"the window may reach back {back_days} days and 12 months ahead of {today.isoformat()}",
        )
    return start, end


def _in_window(rows: list[dict], start: date, end: date) -> list[dict]:
    return [r for r in rows if start <= r["booked_at"].date() <= end]


# --- routers -----------------------------------------------------------------------------------


def _consents_router() -> APIRouter:
    r = APIRouter(prefix=CONSENTS, tags=["consents"])

    def body_of(consent: Consent, request: Request, read: bool) -> dict:
        ctx: _Ctx = request.app.state.ctx
        data = {
            "consentId": consent.consent_id,
            "creationDateTime": iso_seconds(consent.created_at),
            "status": consent.status,
            "statusUpdateDateTime": iso_seconds(consent.status_updated_at),
            "permissions": consent.permissions,
        }
        if consent.expiration:
            data["expirationDateTime"] = iso_seconds(consent.expiration)
        if read and consent.rejection:
            data["rejection"] = consent.rejection
        self_url = str(request.url_for("get_consent", consent_id=consent.consent_id))
        return {
            "data": data,
            "links": {"self": self_url},
            "meta": {"requestDateTime": iso_seconds(ctx.now())},
        }

    @r.post("/consents", status_code=201)
    async def create_consent(request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        token = _token(request)
        try:
            payload = await request.json()
            data = payload["data"]
            cpf = data["loggedUser"]["document"]["identification"]
            rel = data["loggedUser"]["document"]["rel"]
            permissions = data["permissions"]
        except (ValueError, KeyError, TypeError):
            raise OFError(
                400,
                "PARAMETRO_NAO_INFORMADO",
                "Payload inválido",
                "data.loggedUser.document.{identification,rel} and data.permissions are required",
            ) from None
        if rel != "CPF" or not isinstance(cpf, str) or not is_valid_cpf(cpf):
            raise OFError(
                400, "PARAMETRO_INVALIDO", "CPF inválido", "loggedUser.document must be a valid CPF (rel CPF)"
            )
        if (
            not isinstance(permissions, list)
            or not permissions
            or any(p not in PERMISSIONS for p in permissions)
        ):
            raise OFError(
                400,
                "PARAMETRO_INVALIDO",
                "Permissões inválidas",
                f"permissions must be a non-empty list drawn from the spec enum, got {permissions!r}",
            )
        expiration = None
        raw_exp = data.get("expirationDateTime")
        now = ctx.now()
        if raw_exp is not None:
            try:
                if not _SECONDS_TS.match(str(raw_exp)):
                    raise ValueError
                expiration = parse_rfc3339(raw_exp)
            except ValueError:
                raise OFError(
                    422,
                    "DATA_EXPIRACAO_INVALIDA",
                    "Data de expiração inválida",
                    "expirationDateTime must be YYYY-MM-DDTHH:MM:SSZ",
                ) from None
            if expiration <= now or expiration > now + timedelta(days=366):
                raise OFError(
                    422,
                    "DATA_EXPIRACAO_INVALIDA",
                    "Data de expiração inválida",
                    "expirationDateTime must be in the future and within 12 months",
                )
        consent = ctx.store.create(cpf, permissions, expiration, token.client_id, now)
        return _ok(request, body_of(consent, request, read=False), status=201)

    @r.get("/consents/{consent_id}", name="get_consent")
    async def get_consent(consent_id: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        _token(request)
        consent = ctx.store.get(consent_id, ctx.now())
        if consent is None:
            raise OFError(404, "NAO_ENCONTRADO", "Consentimento não encontrado", f"no consent {consent_id}")
        return _ok(request, body_of(consent, request, read=True))

    @r.delete("/consents/{consent_id}", status_code=204)
    async def revoke_consent(consent_id: str, request: Request) -> Response:
        ctx: _Ctx = request.app.state.ctx
        _token(request)
        consent = ctx.store.get(consent_id, ctx.now())
        if consent is None:
            raise OFError(404, "NAO_ENCONTRADO", "Consentimento não encontrado", f"no consent {consent_id}")
        if consent.status == "REJECTED":
            raise OFError(
                422,
                "CONSENTIMENTO_EM_STATUS_REJEITADO",
                "Consentimento rejeitado",
                "the consent is already REJECTED",
            )
        # revoking an authorised consent is a revocation; withdrawing a pending one is a rejection
        code = "CUSTOMER_MANUALLY_REVOKED" if consent.status == "AUTHORISED" else "CUSTOMER_MANUALLY_REJECTED"
        consent.reject("USER", code, ctx.now())
        return Response(status_code=204, headers=_headers(request))

    def consent_or_404(request: Request, consent_id: str) -> Consent:
        ctx: _Ctx = request.app.state.ctx
        consent = ctx.store.get(consent_id, ctx.now())
        if consent is None:
            raise OFError(404, "NAO_ENCONTRADO", "Consentimento não encontrado", f"no consent {consent_id}")
        return consent

    @r.post("/consents/{consent_id}/extends", status_code=201)
    async def extend_consent(consent_id: str, request: Request) -> JSONResponse:
        """Renewal without redirection (rules in ConsentStore.extend). The token must be the
        customer's authorization_code token of this consent: here, the one bound by scope
        ``consent:<consentId>``; the two x-*-customer headers are required."""
        ctx: _Ctx = request.app.state.ctx
        token = _token(request)
        if f"consent:{consent_id}" not in token.scopes:
            raise OFError(
                403,
                "TOKEN_NAO_VINCULADO_AO_CONSENTIMENTO",
                "Token inválido para renovação",
                "renewal needs the customer's token bound to this consent (scope consent:<consentId>)",
            )
        consent = consent_or_404(request, consent_id)
        if consent.client_id != token.client_id:
            raise OFError(404, "NAO_ENCONTRADO", "Consentimento não encontrado", f"no consent {consent_id}")
        ip = _required_header(request, "x-fapi-customer-ip-address", 100)
        agent = _required_header(request, "x-customer-user-agent", 255)
        try:
            payload = await request.json()
            data = payload["data"]
            logged = data["loggedUser"]
            doc = logged["document"]
            ident, rel = doc["identification"], doc["rel"]
            business = data.get("businessEntity")
            raw_exp = data.get("expirationDateTime")
        except (ValueError, KeyError, TypeError):
            raise OFError(
                400,
                "PARAMETRO_NAO_INFORMADO",
                "Payload inválido",
                "data.loggedUser.document.{identification,rel} are required",
            ) from None
        if not (
            isinstance(ident, str) and _CPF_DIGITS.match(ident) and isinstance(rel, str) and _REL.match(rel)
        ):
            raise OFError(
                400,
                "PARAMETRO_INVALIDO",
                "Documento inválido",
                "loggedUser.document does not match the schema",
            )
        expiration = None
        if raw_exp is not None:
            try:
                if not _SECONDS_TS.match(str(raw_exp)):
                    raise ValueError
                expiration = parse_rfc3339(raw_exp)
            except ValueError:
                raise OFError(
                    400,
                    "PARAMETRO_INVALIDO",
                    "Data inválida",
                    "expirationDateTime must be YYYY-MM-DDTHH:MM:SSZ",
                ) from None
        code = ctx.store.extend(
            consent,
            expiration,
            {"document": {"identification": ident, "rel": rel}},
            ip,
            agent,
            ctx.now(),
            business_entity=business if isinstance(business, dict) else None,
        )
        if code is not None:
            raise OFError(422, code, EXTENSION_ERRORS[code][0], EXTENSION_ERRORS[code][1])
        body = body_of(consent, request, read=False)
        body["links"] = {"self": str(request.url)}
        return _ok(request, body, status=201)

    @r.get("/consents/{consent_id}/extensions")
    async def consent_extensions(consent_id: str, request: Request) -> JSONResponse:
        """Renewals of the consent, newest first (``data[].requestDateTime`` descending)."""
        token = _token(request)
        bound = [s for s in token.scopes if s.startswith("consent:")]
        if bound and f"consent:{consent_id}" not in bound:
            raise OFError(
                403, "TOKEN_NAO_VINCULADO_AO_CONSENTIMENTO", "Token inválido", "token of another consent"
            )
        consent = consent_or_404(request, consent_id)
        if consent.client_id != token.client_id:
            raise OFError(404, "NAO_ENCONTRADO", "Consentimento não encontrado", f"no consent {consent_id}")
        items = []
        for ext in reversed(consent.extensions):
            item = {
                "loggedUser": ext["loggedUser"],
                "requestDateTime": iso_seconds(ext["requestDateTime"]),
                "xFapiCustomerIpAddress": ext["xFapiCustomerIpAddress"],
                "xCustomerUserAgent": ext["xCustomerUserAgent"],
            }
            for name in ("expirationDateTime", "previousExpirationDateTime"):
                if ext[name] is not None:
                    item[name] = iso_seconds(ext[name])
            items.append(item)
        return _ok(request, _paged(request, items))

    return r


def _required_header(request: Request, name: str, max_len: int) -> str:
    value = request.headers.get(name, "")
    if not value or len(value) > max_len or value != value.strip():
        raise OFError(
            400,
            "PARAMETRO_NAO_INFORMADO",
            "Cabeçalho não informado",
            f"{name} is required (1-{max_len} characters, no surrounding blanks)",
        )
    return value


EXTENSION_ERRORS = {
    "ESTADO_CONSENTIMENTO_INVALIDO": (
        "Estado inválido do consentimento.",
        "O consentimento informado não pode ser renovado sem redirecionamento porque está em um estado "
        "que não permite a renovação.",
    ),
    "DATA_EXPIRACAO_INVALIDA": (
        "Nova data para expiração do consentimento é inválida.",
        "O consentimento informado não pode ser renovado pois a nova data de expiração não segue a "
        "convenção do ecossistema.",
    ),
    "ERRO_NAO_MAPEADO": (
        "Usuário logado diferente do criador do consentimento.",
        "Um consentimento de pessoa natural só pode ser renovado pelo loggedUser que o criou.",
    ),
}


def _sandbox_router() -> APIRouter:
    r = APIRouter(prefix="/sandbox", tags=["sandbox-only"])

    @r.post("/consents/{consent_id}/authorise")
    async def authorise(consent_id: str, request: Request) -> JSONResponse:
        """Sandbox only: the customer approves the consent at the bank."""
        ctx: _Ctx = request.app.state.ctx
        consent = ctx.store.get(consent_id, ctx.now())
        if consent is None:
            return JSONResponse({"error": f"no consent {consent_id}"}, status_code=404)
        try:
            ctx.store.authorise(consent, ctx.now())
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse({"consentId": consent_id, "status": consent.status})

    @r.post("/consents/{consent_id}/reject")
    async def reject(consent_id: str, request: Request) -> JSONResponse:
        """Sandbox only: the customer declines the consent at the bank."""
        ctx: _Ctx = request.app.state.ctx
        consent = ctx.store.get(consent_id, ctx.now())
        if consent is None:
            return JSONResponse({"error": f"no consent {consent_id}"}, status_code=404)
        if consent.status != "AWAITING_AUTHORISATION":
            return JSONResponse({"error": f"consent is {consent.status}"}, status_code=422)
        consent.reject("USER", "CUSTOMER_MANUALLY_REJECTED", ctx.now())
        return JSONResponse({"consentId": consent_id, "status": consent.status})

    return r


def _accounts_router() -> APIRouter:
    r = APIRouter(prefix=ACCOUNTS, tags=["accounts"])

    def own(request: Request, consent: Consent, account_id: str) -> dict:
        ctx: _Ctx = request.app.state.ctx
        acc = ctx.index.accounts.get(account_id)
        if acc is None or acc["customer_id"] != consent.customer_id:
            raise _not_found(f"account {account_id}")
        return acc

    @r.get("/accounts")
    async def list_accounts(request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, "accounts")
        rows = ctx.index.accounts_by_customer.get(consent.customer_id, [])
        account_type = request.query_params.get("accountType")
        if account_type:
            rows = [a for a in rows if a["type"] == account_type]
        return _ok(request, _paged(request, [ser.account_summary(a) for a in rows]))

    @r.get("/accounts/{account_id}")
    async def get_account(account_id: str, request: Request) -> JSONResponse:
        consent = _consent_for(request, "account")
        return _ok(request, _single(request, ser.account_identification(own(request, consent, account_id))))

    @r.get("/accounts/{account_id}/balances")
    async def get_balances(account_id: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, "balances")
        own(request, consent, account_id)
        bal = ctx.index.balances.get(account_id)
        if bal is None:
            raise _not_found(f"balances of {account_id}")
        return _ok(request, _single(request, ser.balances(bal)))

    @r.get("/accounts/{account_id}/overdraft-limits")
    async def get_overdraft(account_id: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, "overdraft-limits")
        acc = own(request, consent, account_id)
        return _ok(request, _single(request, ser.overdraft_limits(acc, ctx.index.balances.get(account_id))))

    async def transactions(
        request: Request, account_id: str, from_name: str, to_name: str, back: int
    ) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, "transactions")
        own(request, consent, account_id)
        start, end = _window(request, from_name, to_name, back)
        rows = _in_window(ctx.index.tx_by_account.get(account_id, []), start, end)
        indicator = _enum_param(request, "creditDebitIndicator", CREDIT_DEBIT)
        if indicator:
            rows = [t for t in rows if t["credit_debit_type"] == indicator]
        rows = sorted(rows, key=lambda t: (t["booked_at"], t["transaction_id"]), reverse=True)
        return _ok(
            request, _paged(request, [ser.account_transaction(t) for t in rows], totals=False, last=False)
        )

    @r.get("/accounts/{account_id}/transactions")
    async def get_transactions(account_id: str, request: Request) -> JSONResponse:
        return await transactions(request, account_id, "fromBookingDate", "toBookingDate", 366)

    @r.get("/accounts/{account_id}/transactions-current")
    async def get_transactions_current(account_id: str, request: Request) -> JSONResponse:
        # the spec's components fromBookingDateMaxLimited/toBookingDateMaxLimited travel as these names
        return await transactions(request, account_id, "fromBookingDate", "toBookingDate", CURRENT_DAYS_BACK)

    return r


def _cards_router() -> APIRouter:
    r = APIRouter(prefix=CARDS, tags=["credit-cards"])

    def own(request: Request, consent: Consent, card_id: str) -> dict:
        ctx: _Ctx = request.app.state.ctx
        card = ctx.index.cards.get(card_id)
        if card is None or card["customer_id"] != consent.customer_id:
            raise _not_found(f"credit card account {card_id}")
        return card

    @r.get("/accounts")
    async def list_cards(request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, "cards")
        rows = ctx.index.cards_by_customer.get(consent.customer_id, [])
        return _ok(request, _paged(request, [ser.card_summary(c, ctx.index) for c in rows]))

    @r.get("/accounts/{card_id}")
    async def get_card(card_id: str, request: Request) -> JSONResponse:
        consent = _consent_for(request, "card")
        return _ok(request, _single(request, ser.card_identification(own(request, consent, card_id))))

    @r.get("/accounts/{card_id}/limits")
    async def get_limits(card_id: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, "card-limits")
        card = own(request, consent, card_id)
        data = ser.card_limits(card, ctx.index.tx_by_card.get(card_id, []), ctx.index.today)
        return _ok(request, _paged(request, data))

    async def card_tx(
        request: Request, card_id: str, endpoint: str, bill: str | None, back: int
    ) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, endpoint)
        own(request, consent, card_id)
        rows = ctx.index.tx_by_card.get(card_id, [])
        if bill is not None:
            rows = [t for t in rows if ser.bill_id(card_id, ser.bill_month(t["booked_at"])) == bill]
            if not rows:
                raise _not_found(f"bill {bill}")
        q = request.query_params
        if bill is None or q.get("fromTransactionDate") or q.get("toTransactionDate"):
            start, end = _window(request, "fromTransactionDate", "toTransactionDate", back)
            rows = _in_window(rows, start, end)
        # wire names of the spec's components creditCardTransactionType / creditCardPayeeMCC
        kind = _enum_param(request, "transactionType", CARD_TRANSACTION_TYPES)
        mcc = _int_param(request, "payeeMCC", -1, 0, 9999)
        data = [ser.card_transaction(t, card_id) for t in rows]
        if kind:
            data = [d for d in data if d["transactionType"] == kind]
        if mcc >= 0:
            data = [d for d in data if d.get("payeeMCC") == mcc]
        data.sort(key=lambda d: (d["transactionDateTime"], d["transactionId"]), reverse=True)
        totals = bill is not None
        return _ok(request, _paged(request, data, totals=totals, last=totals))

    @r.get("/accounts/{card_id}/transactions")
    async def get_card_transactions(card_id: str, request: Request) -> JSONResponse:
        return await card_tx(request, card_id, "card-transactions", None, 366)

    @r.get("/accounts/{card_id}/transactions-current")
    async def get_card_transactions_current(card_id: str, request: Request) -> JSONResponse:
        return await card_tx(request, card_id, "card-transactions", None, CURRENT_DAYS_BACK)

    @r.get("/accounts/{card_id}/bills")
    async def get_bills(card_id: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, "card-bills")
        own(request, consent, card_id)
        bills = ser.card_bills(card_id, ctx.index.tx_by_card.get(card_id, []), ctx.index.today)
        start, end = _date_param(request, "fromDueDate"), _date_param(request, "toDueDate")
        if start and end:
            bills = [b for b in bills if start.isoformat() <= b["dueDate"] <= end.isoformat()]
        bills.sort(key=lambda b: b["dueDate"], reverse=True)
        return _ok(request, _paged(request, bills))

    @r.get("/accounts/{card_id}/bills/{bill}/transactions")
    async def get_bill_transactions(card_id: str, bill: str, request: Request) -> JSONResponse:
        return await card_tx(request, card_id, "card-bill-transactions", bill, 366)

    return r


def _loans_router() -> APIRouter:
    r = APIRouter(prefix=LOANS, tags=["loans"])

    def own(request: Request, consent: Consent, contract_id: str) -> dict:
        ctx: _Ctx = request.app.state.ctx
        loan = ctx.index.loans.get(contract_id)
        if loan is None or loan["customer_id"] != consent.customer_id:
            raise _not_found(f"contract {contract_id}")
        return loan

    @r.get("/contracts")
    async def list_contracts(request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        consent = _consent_for(request, "loans")
        rows = ctx.index.loans_by_customer.get(consent.customer_id, [])
        return _ok(request, _paged(request, [ser.loan_summary(x, ctx.index) for x in rows]))

    @r.get("/contracts/{contract_id}")
    async def get_contract(contract_id: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        loan = own(request, _consent_for(request, "loan"), contract_id)
        data = ser.loan_contract(loan, ctx.index.instalments.get(contract_id, []), ctx.index)
        return _ok(request, _single(request, data, totals=False))

    @r.get("/contracts/{contract_id}/warranties")
    async def get_warranties(contract_id: str, request: Request) -> JSONResponse:
        own(request, _consent_for(request, "loan-warranties"), contract_id)
        return _ok(request, _paged(request, []))

    @r.get("/contracts/{contract_id}/scheduled-instalments")
    async def get_instalments(contract_id: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        loan = own(request, _consent_for(request, "loan-instalments"), contract_id)
        data = ser.loan_instalments(loan, ctx.index.instalments.get(contract_id, []), ctx.index.today)
        return _ok(request, _single(request, data, totals=False))

    @r.get("/contracts/{contract_id}/payments")
    async def get_payments(contract_id: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        loan = own(request, _consent_for(request, "loan-payments"), contract_id)
        data = ser.loan_payments(loan, ctx.index.instalments.get(contract_id, []))
        return _ok(request, _single(request, data, totals=False))

    return r


def create_app(
    world: dict[str, pl.DataFrame] | WorldIndex,
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    faults: FaultPlan | None = None,
    auto_authorise: bool | None = None,
) -> FastAPI:
    """The Open Finance sandbox over ``world`` (see the module docstring for the flow)."""
    settings = settings or get_settings()
    index = world if isinstance(world, WorldIndex) else WorldIndex(world)
    ctx = _Ctx(
        index,
        settings,
        clock or SystemClock(),
        settings.sandbox_auto_authorise if auto_authorise is None else auto_authorise,
    )
    app = FastAPI(title="Open Finance Brasil sandbox", version="1.0.0")
    app.state.ctx = ctx
    app.include_router(token_router(ctx.issuer))
    for router in (
        _consents_router(),
        _accounts_router(),
        _cards_router(),
        _loans_router(),
        _sandbox_router(),
    ):
        app.include_router(router)

    def _error(request: Request, status: int, code: str, title: str, detail: str) -> JSONResponse:
        body = {
            "errors": [{"code": code, "title": title, "detail": detail}],
            "meta": {"totalRecords": 1, "totalPages": 1, "requestDateTime": iso_seconds(ctx.now())},
        }
        hdrs = _headers(request)
        if not _UUID.match(hdrs["x-fapi-interaction-id"]):  # missing or invalid: generate one
            hdrs["x-fapi-interaction-id"] = ctx.new_interaction_id()
        return JSONResponse(body, status_code=status, headers=hdrs, media_type=ERROR_MEDIA)

    @app.exception_handler(OFError)
    async def _of_error(request: Request, exc: OFError) -> JSONResponse:
        return _error(request, exc.status, exc.code, exc.title, exc.detail)

    @app.exception_handler(ConsentDenied)
    async def _denied(request: Request, exc: ConsentDenied) -> JSONResponse:
        return _error(request, 403, exc.code, exc.title, exc.detail)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        resp = _error(request, exc.status, exc.code, "Não autorizado", exc.detail)
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    framework_codes = {
        "not_found": ("NAO_ENCONTRADO", "Recurso não encontrado"),
        "method_not_allowed": ("METODO_NAO_PERMITIDO", "Método não permitido"),
        "bad_request": ("PARAMETRO_INVALIDO", "Requisição malformada"),
    }

    def _framework(request: Request, status: int, kind: str, detail: str) -> JSONResponse:
        code, title = framework_codes.get(kind, ("ERRO_NAO_MAPEADO", "Erro"))
        return _error(request, status, code, title, detail)

    install_error_handlers(app, _framework)

    plan = faults or FaultPlan(
        rate=settings.sandbox_fault_rate,
        seed=settings.sandbox_fault_seed,
        retry_after_s=settings.sandbox_fault_retry_after_s,
    )
    app.state.faults = plan
    app.add_middleware(
        FaultInjector,
        plan=plan,
        render=lambda status, detail: (
            ERROR_MEDIA,
            {
                "errors": [{"code": "SANDBOX_FAULT", "title": "Injected fault", "detail": detail}],
                "meta": {"totalRecords": 1, "totalPages": 1, "requestDateTime": iso_seconds(ctx.now())},
            },
        ),
    )
    return app


__all__ = ["create_app", "CONSENTS", "ACCOUNTS", "CARDS", "LOANS", "iso_date"]
