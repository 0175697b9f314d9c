"""LGPD router: consents per purpose (versioned terms, grant/revoke history), data-subject requests
(access ZIP, rectification, erasure, explanation of automated decisions) with status and the legal
deadline, and the operator endpoints that carry out or reject an erasure request."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from lake.settings import Settings
from serving.api.types import IdPath, Instant
from serving.audit.store import make_event
from serving.db.orm import User
from serving.deps import current_principal, get_services, require_roles
from serving.errors import Problem
from serving.lgpd import erasure, export
from serving.lgpd import registry as consents
from serving.lgpd.subject import UserSubject, load_subject
from serving.openapi import problems
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["lgpd"])
operator = require_roles("admin")
Purpose = Literal["credit_analysis", "fraud_prevention", "marketing", "open_finance_sharing"]
PURPOSES_TEXT = (
    "`credit_analysis` (credit scores and offers), `fraud_prevention` (screening of transfers), "
    "`marketing` (product offers) or `open_finance_sharing` (data shared through Open Finance)"
)
PurposePath = Annotated[Purpose, Path(description=f"the processing purpose: {PURPOSES_TEXT}")]


class ConsentIn(BaseModel):
    """Optional details of a consent grant."""

    external_ref: str | None = Field(
        None,
        max_length=200,
        description="a reference of the consent elsewhere, e.g. the Open Finance consentId",
        examples=["urn:bancoex:C1DD33123"],
    )


class ConsentState(BaseModel):
    """The caller's consent to one processing purpose."""

    purpose: str = Field(description=f"the processing purpose: {PURPOSES_TEXT}", examples=["marketing"])
    granted: bool = Field(description="whether the customer's consent is in force now", examples=[True])
    terms_version: int | None = Field(
        description="the version of the purpose's terms the last grant accepted (null: never granted)",
        examples=[2],
    )
    at: Instant | None = Field(
        description="when it was last granted or revoked: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z) (null: never)",
        examples=["2026-12-03T17:30:00Z"],
    )
    external_ref: str | None = Field(
        default=None,
        description="the reference given with the grant, e.g. the Open Finance consentId",
        examples=["urn:bancoex:C1DD33123"],
    )


class RequestIn(BaseModel):
    """A data-subject request (LGPD art. 18)."""

    kind: Literal["access", "erasure", "explanation"] = Field(
        description="the data subject's right exercised (LGPD art. 18): `access` (a ZIP of the customer's "
        "data), `erasure` (carried out by an operator) or `explanation` (of automated decisions, art. 20)",
        examples=["access"],
    )


class RequestOut(BaseModel):
    """A data-subject request with its status and legal deadline."""

    id: int = Field(description="the request's id", examples=[7])
    kind: str = Field(description="`access`, `erasure` or `explanation`", examples=["access"])
    status: str = Field(description="`received`, `in_progress`, `done` or `rejected`", examples=["done"])
    received_at: Instant = Field(
        description="when the request was made: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-03T17:30:00Z"],
    )
    deadline_at: Instant = Field(
        description="the legal deadline to answer it (LGPD art. 19): RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-18T17:30:00Z"],
    )
    completed_at: Instant | None = Field(
        description="when it was done or rejected: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z) (null while open)",
        examples=["2026-12-03T17:31:04Z"],
    )
    result: dict[str, Any] | None = Field(
        default=None,
        description="the outcome: for `access`, the ZIP's `download` path, `expires_at` and `size_bytes`; "
        "for `erasure`, the counts erased per store; for `explanation`, where to `see` them; for a rejection, "
        "the `reason`",
        examples=[
            {
                "download": "/lgpd/requests/7/export",
                "expires_at": "2026-12-10T17:31:04+00:00",
                "size_bytes": 18342,
            }
        ],
    )


class RectifyIn(BaseModel):
    """Corrections to the caller's personal data; omitted fields stay as they are."""

    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="the corrected full name",
        examples=["Maria da Silva Souza"],
    )
    email: str | None = Field(
        None,
        max_length=254,
        description="the corrected e-mail (also the login)",
        examples=["maria.souza@example.com"],
    )
    phone: str | None = Field(
        None,
        pattern=r"^\+?[0-9 ()-]{8,20}$",
        description="the corrected phone number (digits, spaces, parentheses, dashes, optional +)",
        examples=["+55 11 98765-4321"],
    )

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        from serving.api.auth import EMAIL_RE

        if v is None:
            return v
        v = v.strip().lower()
        if not EMAIL_RE.match(v):
            raise ValueError("invalid e-mail address")
        return v


def _subject(services: Services, db: Session, user_id: int) -> UserSubject:
    subj = load_subject(services, db, user_id)
    if subj is None:  # the token outlived its user (erased)
        raise Problem(401, "invalid_token", "no such user", headers={"WWW-Authenticate": "Bearer"})
    return subj


def _reread(conn: Connection, request_id: int) -> dict[str, Any]:
    """The request just written in this transaction."""
    r = consents.get_request(conn, request_id)
    if r is None:
        raise RuntimeError(f"data subject request {request_id} vanished inside its own transaction")
    return r


def _req_out(r: dict[str, Any]) -> RequestOut:
    return RequestOut(
        id=r["id"],
        kind=r["kind"],
        status=r["status"],
        received_at=r["received_at"],
        deadline_at=r["deadline_at"],
        completed_at=r.get("completed_at"),
        result=json.loads(r["result"]) if r.get("result") else None,
    )


def _audit(
    request: Request,
    services: Services,
    user_id: int | None,
    action: str,
    resource: str,
    outcome: str,
    details: dict[str, Any] | None = None,
) -> None:
    services.audit.append(
        make_event(
            actor=services.pseudonym(user_id),
            action=action,
            resource=resource,
            outcome=outcome,
            request_id=getattr(request.state, "request_id", None),
            details=details,
        )
    )


# --- consents --------------------------------------------------------------------------------------


@router.get("/lgpd/terms")
def terms(services: Services = Depends(get_services)) -> list[dict[str, Any]]:
    with services.engine.connect() as conn:
        out = []
        for p in consents.PURPOSES:
            t = consents.latest_terms(conn, p)
            out.append(
                {"purpose": p, "version": t["version"], "text": t["text"], "text_sha256": t["text_sha256"]}
            )
    return out


@router.get("/lgpd/consents", response_model=list[ConsentState])
def my_consents(
    principal: Principal = Depends(current_principal), services: Services = Depends(get_services)
) -> list[ConsentState]:
    with services.engine.connect() as conn:
        state = consents.current_state(conn, principal.user_id)
    return [
        ConsentState(
            purpose=p,
            granted=bool(state.get(p, {}).get("granted")),
            terms_version=state.get(p, {}).get("terms_version"),
            at=state.get(p, {}).get("at"),
            external_ref=state.get(p, {}).get("external_ref"),
        )
        for p in consents.PURPOSES
    ]


@router.get("/lgpd/consents/history")
def consent_history(
    principal: Principal = Depends(current_principal), services: Services = Depends(get_services)
) -> list[dict[str, Any]]:
    with services.engine.connect() as conn:
        return consents.history(conn, principal.user_id)


def _consent_action(
    request: Request,
    services: Services,
    principal: Principal,
    purpose: str,
    action: str,
    external_ref: str | None,
) -> ConsentState:
    with services.engine.begin() as conn:
        if action == "revoke" and not consents.has_consent(conn, principal.user_id, purpose):
            raise Problem(409, "consent_not_granted", f"there is no current consent for {purpose} to revoke")
        e = consents.record(conn, principal.user_id, purpose, action, external_ref=external_ref)
    _audit(
        request,
        services,
        principal.user_id,
        f"consent:{action}",
        f"consent:{purpose}",
        "ok",
        {"terms_version": e["terms_version"]},
    )
    return ConsentState(
        purpose=purpose,
        granted=action == "grant",
        terms_version=e["terms_version"],
        at=e["at"],
        external_ref=e["external_ref"],
    )


@router.post("/lgpd/consents/{purpose}", status_code=201, response_model=ConsentState)
def grant(
    purpose: PurposePath,
    request: Request,
    body: ConsentIn | None = None,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> ConsentState:
    return _consent_action(
        request, services, principal, purpose, "grant", body.external_ref if body else None
    )


@router.delete(
    "/lgpd/consents/{purpose}",
    response_model=ConsentState,
    responses=problems({409: "`consent_not_granted`: nothing to revoke"}),
)
def revoke(
    purpose: PurposePath,
    request: Request,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> ConsentState:
    return _consent_action(request, services, principal, purpose, "revoke", None)


# --- data-subject requests -------------------------------------------------------------------------


@router.post("/lgpd/requests", status_code=201, response_model=RequestOut)
def open_request(
    body: RequestIn,
    request: Request,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> RequestOut:
    """Explanation is answered at once (status done); access is built in the background (status
    received, then done with a download link; at most ``lgpd_exports_per_day`` per day); erasure
    waits for an operator."""
    with services.engine.begin() as conn:
        if body.kind == "access":
            since = consents.now_utc() - timedelta(days=1)
            today = [
                r
                for r in consents.list_requests(conn, principal.user_id)
                if r["kind"] == "access" and r["received_at"] > since
            ]
            if len(today) >= services.settings.lgpd_exports_per_day:
                raise Problem(
                    429,
                    "too_many_exports",
                    "too many data exports requested today; download the last one or try tomorrow",
                    headers={"Retry-After": "3600"},
                )
        r = consents.open_request(
            conn, principal.user_id, body.kind, deadline_days=services.settings.lgpd_deadline_days
        )
        if body.kind == "explanation":
            consents.set_status(conn, r["id"], "done", json.dumps({"see": "/lgpd/explanations"}))
        r = _reread(conn, r["id"])
    if body.kind == "access":
        request.app.state.export_jobs.submit(r["id"])
    _audit(
        request,
        services,
        principal.user_id,
        f"lgpd:request:{body.kind}",
        f"lgpd_request:{r['id']}",
        r["status"],
    )
    return _req_out(r)


@router.get("/lgpd/requests", response_model=list[RequestOut])
def my_requests(
    principal: Principal = Depends(current_principal), services: Services = Depends(get_services)
) -> list[RequestOut]:
    with services.engine.connect() as conn:
        return [_req_out(r) for r in consents.list_requests(conn, principal.user_id)]


@router.get("/lgpd/requests/{request_id}", response_model=RequestOut)
def get_request(
    request_id: IdPath,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> RequestOut:
    with services.engine.connect() as conn:
        r = consents.get_request(conn, request_id, principal.user_id)
    if r is None:
        raise Problem(404, "not_found", f"no request {request_id}")
    return _req_out(r)


@router.get(
    "/lgpd/requests/{request_id}/export",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "the archive"},
        202: {"description": "still being built: retry after the Retry-After seconds"},
        410: {"description": "the archive expired: open a new access request"},
    },
)
def export_zip(
    request_id: IdPath,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> Response:
    from serving.documents.store import DocumentNotFound
    from serving.lgpd.jobs import archive_key

    with services.engine.connect() as conn:
        r = consents.get_request(conn, request_id, principal.user_id)
    if r is None or r["kind"] != "access":
        raise Problem(404, "not_found", f"no access request {request_id}")
    if r["status"] != "done":
        return JSONResponse(
            {"id": request_id, "status": r["status"]}, status_code=202, headers={"Retry-After": "2"}
        )
    result = json.loads(r["result"] or "{}")
    expired = datetime.fromisoformat(result["expires_at"]) < consents.now_utc()
    try:
        data = None if expired else services.documents.get(archive_key(principal.user_id, request_id))
    except DocumentNotFound:
        data = None
    if data is None:
        raise Problem(410, "export_expired", "this export expired; open a new access request")
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="lgpd-access-{request_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/lgpd/explanations")
def explanations(
    service: str | None = Query(
        None,
        max_length=64,
        description="only the decisions of one service: `fraud` (PIX screen), `fraud_score`, `suitability` "
        "or `recommendations` (default: all)",
    ),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Automated decisions about the caller and the reasons recorded with each (LGPD art. 20)."""
    with services.sessions() as db:
        subj = _subject(services, db, principal.user_id)
    items = export.decisions(services, subj, service)
    return {"decisions": items, "count": len(items)}


@router.patch(
    "/lgpd/me",
    responses=problems({409: "`email_taken`", 422: "`nothing_to_change` or validation error"}),
)
def rectify(
    body: RectifyIn,
    request: Request,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    if not changes:
        raise Problem(422, "nothing_to_change", "give at least one of name, email, phone")
    try:
        with services.engine.begin() as conn:
            r = consents.open_request(
                conn, principal.user_id, "rectification", deadline_days=services.settings.lgpd_deadline_days
            )
            conn.execute(update(User).where(User.id == principal.user_id).values(**changes))
            consents.set_status(conn, r["id"], "done", json.dumps({"fields": sorted(changes)}))
    except IntegrityError:
        raise Problem(409, "email_taken", "another user has this e-mail") from None
    _audit(
        request,
        services,
        principal.user_id,
        "lgpd:rectification",
        f"lgpd_request:{r['id']}",
        "done",
        {"fields": sorted(changes)},
    )
    with services.sessions() as db:
        u = db.execute(select(User).where(User.id == principal.user_id)).scalar_one()
        return {"request_id": r["id"], "name": u.name, "email": u.email, "phone": u.phone}


# --- operator --------------------------------------------------------------------------------------


class PendingRequestOut(BaseModel):
    """An open data-subject request, for the operators."""

    id: int = Field(description="the request's id", examples=[7])
    user_id: int = Field(description="the customer who made it", examples=[42])
    kind: str = Field(description="`access`, `erasure` or `explanation`", examples=["erasure"])
    status: str = Field(
        description="`received` or `in_progress` (only open requests are listed)", examples=["received"]
    )
    received_at: Instant = Field(
        description="when the request was made: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-03T17:30:00Z"],
    )
    deadline_at: Instant = Field(
        description="the legal deadline to answer it (LGPD art. 19): RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-18T17:30:00Z"],
    )
    updated_at: Instant = Field(
        description="the last status change: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-03T17:30:00Z"],
    )
    completed_at: Instant | None = Field(
        default=None,
        description="when it was closed: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z) (null while open)",
    )
    result: str | None = Field(default=None, description="the outcome as JSON text (null while open)")


@router.get("/admin/lgpd/requests", response_model=list[PendingRequestOut])
def pending_requests(
    principal: Principal = Depends(operator), services: Services = Depends(get_services)
) -> list[dict[str, Any]]:
    from serving.lgpd.registry import data_subject_requests as dsr

    with services.engine.connect() as conn:
        rows = (
            conn.execute(
                select(dsr).where(dsr.c.status.in_(("received", "in_progress"))).order_by(dsr.c.deadline_at)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


@router.post(
    "/admin/lgpd/requests/{request_id}/erase",
    response_model=RequestOut,
    responses=problems({409: "`request_closed`: already done or rejected"}),
)
async def carry_out_erasure(
    request_id: IdPath,
    request: Request,
    principal: Principal = Depends(operator),
    services: Services = Depends(get_services),
) -> RequestOut:
    def run() -> dict[str, Any]:
        with services.engine.begin() as conn:
            r = consents.get_request(conn, request_id)
            if r is None or r["kind"] != "erasure":
                raise Problem(404, "not_found", f"no erasure request {request_id}")
            if r["status"] in ("done", "rejected"):
                raise Problem(409, "request_closed", f"request {request_id} is {r['status']}")
            consents.set_status(conn, request_id, "in_progress")
        counts = erasure.erase_user(
            services, r["user_id"], request_id=request_id, operator_id=principal.user_id
        )
        with services.engine.begin() as conn:
            consents.set_status(conn, request_id, "done", json.dumps(counts))
            return _reread(conn, request_id)

    return _req_out(await run_in_threadpool(run))


class RejectIn(BaseModel):
    """Why a data-subject request is rejected."""

    reason: str = Field(
        min_length=3,
        max_length=500,
        description="why the request is rejected; shown to the customer, so write it in Portuguese",
        examples=["Existe obrigação legal de guarda dos dados de transações por 5 anos (Lei 9.613/98)."],
    )


@router.post(
    "/admin/lgpd/requests/{request_id}/reject",
    response_model=RequestOut,
    responses=problems({409: "`request_closed`: already done or rejected"}),
)
def reject_request(
    request_id: IdPath,
    body: RejectIn,
    principal: Principal = Depends(operator),
    services: Services = Depends(get_services),
) -> RequestOut:
    with services.engine.begin() as conn:
        r = consents.get_request(conn, request_id)
        if r is None:
            raise Problem(404, "not_found", f"no request {request_id}")
        if r["status"] in ("done", "rejected"):
            raise Problem(409, "request_closed", f"request {request_id} is {r['status']}")
        consents.set_status(conn, request_id, "rejected", json.dumps({"reason": body.reason}))
        return _req_out(_reread(conn, request_id))


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
