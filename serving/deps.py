"""FastAPI dependencies shared by the routers: services, DB session, authenticated principal (with
per-user rate limit and session revocation check), roles, step-up, fraud screen and clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session

from serving.db.orm import Session as LoginSession
from serving.db.orm import User
from serving.errors import Problem
from serving.fraud.screen import FraudScreen
from serving.security.tokens import Principal
from serving.services import Services

bearer = HTTPBearer(auto_error=False, description="ES256 access token from /auth/login")
_SESSION_STATE = select(LoginSession.revoked_at).where(  # built once, executed on every request
    LoginSession.id == bindparam("session_id"), LoginSession.user_id == bindparam("user_id")
)


async def get_services(request: Request) -> Services:
    # async (it never blocks): FastAPI would otherwise run it in the thread pool on every request
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
"""The app's :class:`~serving.services.Services` (typed state: stores, scoring, lazily built helpers)."""


def get_db(services: ServicesDep) -> Iterator[Session]:
    with services.sessions() as db:
        yield db


DbDep = Annotated[Session, Depends(get_db)]


async def get_clock() -> datetime:
    """Now, in UTC (overridable in tests through app.dependency_overrides; async: it never blocks)."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(get_clock)]


async def get_fraud_screen(services: Services = Depends(get_services)) -> FraudScreen:
    return services.fraud_screen


async def current_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    services: Services = Depends(get_services),
) -> Principal:
    """The verified caller. The token check runs on the loop (a verified-token cache hit is microseconds);
    the session check and the per-user rate limit are one ``run_io`` call (no thread hop when local)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "unauthorized", "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    principal = services.tokens.verify(credentials.credentials)
    await services.run_io(_live_session_within_limit, services, principal)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
"""The verified caller (token, live session, per-user rate limit)."""


def _live_session_within_limit(services: Services, principal: Principal) -> None:
    with services.read_connections() as db:
        row = session_state(db, principal.session_id, principal.user_id)
    if row is None or row[0] is not None:
        raise Problem(401, "invalid_token", "session revoked", headers={"WWW-Authenticate": "Bearer"})
    services.limiter.check("user", str(principal.user_id))


def session_state(db: Connection, session_id: str, user_id: int) -> Row[Any] | None:
    """The login session's ``(revoked_at,)`` row, or None when it does not exist."""
    return db.execute(_SESSION_STATE, {"session_id": session_id, "user_id": user_id}).first()


def principal_user(db: Session, principal: Principal) -> User:
    """The caller's user row; a token that outlived its user (erased) is refused like a revoked one."""
    user = db.get(User, principal.user_id)
    if user is None:
        raise Problem(401, "invalid_token", "no such user", headers={"WWW-Authenticate": "Bearer"})
    return user


Dep = TypeVar("Dep", bound=Callable[..., Any])


def with_responses(dep: Dep, responses: dict[int, str]) -> Dep:
    """``dep`` with the error responses it adds to every route that uses it (read by
    :mod:`serving.openapi` from its ``openapi_responses`` attribute)."""
    dep.__dict__["openapi_responses"] = responses
    return dep


def require_roles(*roles: str) -> Callable[..., Principal]:
    def _dep(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise Problem(403, "forbidden", f"requires one of the roles: {', '.join(roles)}")
        return principal

    return with_responses(_dep, {403: f"`forbidden`: requires one of the roles {', '.join(roles)}"})


def step_up_problem(reason: str) -> Problem:
    return Problem(
        403,
        "step_up_required",
        f"{reason}: confirm with biometrics (POST /auth/step-up) and retry with the step-up token",
        title="Step-up authentication required",
    )


def require_step_up(principal: Principal = Depends(current_principal)) -> Principal:
    if not principal.stepped_up:
        raise step_up_problem("this operation requires step-up authentication")
    return principal


with_responses(require_step_up, {403: "`step_up_required`: confirm with biometrics (POST /auth/step-up)"})
