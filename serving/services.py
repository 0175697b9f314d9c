"""The gateway's shared services, built once per app from settings and kept on ``app.state.services``.

``sessions`` opens read-write sessions; ``read_connections`` opens Core connections for lookups that
never write (the scoring request path; see :func:`serving.db.session.make_read_connections`).

``run_io`` runs a blocking store call from async code: inline when every store the request path
touches is a local file (SQLite gateway DB, SQLite audit chain, in-process rate limiter — tens of
microseconds, less than a thread-pool hop and its GIL hand-offs), in the thread pool otherwise
(PostgreSQL, MongoDB: network round trips must not stall the event loop).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from lake import installation_keys as ik
from lake.settings import Settings
from serving.audit.pseudonym import actor_pseudonym
from serving.audit.store import AuditStore, SQLiteAuditStore, open_audit_store
from serving.db.session import make_engine, make_read_connections, make_sessionmaker
from serving.documents.store import DocumentStore, open_document_store
from serving.fraud.screen import FraudScreen, RulesFraudScreen
from serving.kyc.clients import IdentityProviders, build_providers
from serving.metrics import Metrics
from serving.ratelimit import RateLimiter
from serving.scoring.champions import Scoring
from serving.security.keys import KeyStore
from serving.security.tokens import TokenService

if TYPE_CHECKING:
    from lake.soroban_contracts import ContractsService
    from serving.chat.assistant import Assistant
    from serving.chat.limits import ChatLimiter
    from serving.chat.store import ConversationStore
    from serving.contracts.custody import Custody

T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keys: KeyStore
    tokens: TokenService
    audit: AuditStore
    documents: DocumentStore
    limiter: RateLimiter
    metrics: Metrics
    fraud_screen: FraudScreen
    read_connections: Callable[[], Connection]
    identity: IdentityProviders = field(default_factory=lambda: IdentityProviders(None, None))
    local_io: bool = False
    # the champions (create_app loads them; until then none is loaded and their endpoints answer 503)
    scoring: Scoring = field(init=False)
    # built on first use by their modules (serving.api.contracts, serving.api.chat, serving.chat.store,
    # serving.chat.assistant) and kept for the app's lifetime
    contracts: tuple[ContractsService, Custody] | None = None
    chat_limiter: ChatLimiter | None = None
    chat_store: ConversationStore | None = None
    chat_assistant: Assistant | None = None

    def __post_init__(self) -> None:
        self.scoring = Scoring(self.settings)

    async def run_io(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        if self.local_io:
            return fn(*args, **kwargs)
        return await run_in_threadpool(fn, *args, **kwargs)

    def pseudonym(self, user_id: int | None) -> str | None:
        return actor_pseudonym(self.secret, user_id)

    @property
    def secret(self) -> bytes:
        """The pseudonym key (audit actors; the lake's CPF pseudonyms use the same key)."""
        return self.settings.pseudonym_key_bytes()

    @property
    def otp_key(self) -> bytes:
        """The key of the stored one-time-code HMACs: HKDF(installation secret, 'cofre/kyc-otp/v1'),
        kept apart from the pseudonym key that every pipeline worker holds."""
        return self.settings.purpose_key(ik.LABEL_KYC_OTP)

    @property
    def link_key(self) -> bytes:
        """The document-link key: HKDF(installation secret, 'cofre/document-links/v1')."""
        return self.settings.document_link_key()

    def close(self) -> None:
        self.audit.close()
        self.engine.dispose()


def build_services(
    settings: Settings,
    *,
    fraud_screen: FraudScreen | None = None,
    clock: Callable[[], float] = time.time,
    identity_transports: dict[str, Any] | None = None,
) -> Services:
    if settings.profile == "stack":
        settings.require_explicit_secrets("the stack profile is in use")
    settings.home.mkdir(parents=True, exist_ok=True)
    db_url = str(settings.database_url)
    if db_url.startswith("sqlite:///"):
        Path(db_url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    if settings.profile == "embedded":
        from serving.migrations import upgrade

        upgrade(str(settings.database_url))
    engine = make_engine(str(settings.database_url))
    max_ttl = max(settings.access_token_ttl_s, settings.stepup_token_ttl_s)
    keys = KeyStore(
        settings.home / "keys", rotation_s=settings.jwt_key_rotation_s, max_token_ttl_s=max_ttl, clock=clock
    )
    from lake.audit.anchoring import keypair

    audit = open_audit_store(
        str(settings.log_store_url), settings.log_store_db, signer=lambda: keypair(settings)
    )
    limiter = RateLimiter(
        settings.rate_limit,
        settings.log_store_url,
        settings.log_store_db,
        settings.database_url,
        shared_file=settings.home / "run" / "ratelimit.sqlite3" if settings.gateway_workers > 1 else None,
    )
    return Services(
        settings=settings,
        local_io=engine.dialect.name == "sqlite"
        and isinstance(audit, SQLiteAuditStore)
        and not limiter.blocking,
        engine=engine,
        sessions=make_sessionmaker(engine),
        read_connections=make_read_connections(engine),
        keys=keys,
        tokens=TokenService(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience, clock=clock),
        audit=audit,
        documents=open_document_store(settings),
        limiter=limiter,
        metrics=Metrics(),
        fraud_screen=fraud_screen or RulesFraudScreen(),
        identity=build_providers(settings, identity_transports),
    )
