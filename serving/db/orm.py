"""SQLAlchemy models: users (claimed and proven identities), identity challenges and checks, devices,
refresh tokens, step-up challenges, login throttling, security events, accounts, double-entry ledger,
transfers (with fraud holds), PIX keys, document metadata and customer notifications. Money is integer
cents (BigInteger), never float.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BIGINT ids on PostgreSQL; INTEGER on SQLite so that the id is the rowid (autoincrement).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # the CPF a login CLAIMS; several unverified logins may claim one CPF, only one may prove it
    cpf: Mapped[str] = mapped_column(String(11), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    identity_verified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    identity_method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    __table_args__ = (
        CheckConstraint("role in ('customer','admin','auditor')", name="ck_users_role"),
        Index(
            "uq_users_cpf_verified",
            "cpf",
            unique=True,
            sqlite_where=text("identity_verified_at IS NOT NULL"),
            postgresql_where=text("identity_verified_at IS NOT NULL"),
        ),
    )


class IdentityChallenge(Base):
    """A one-time code sent to a contact on record for the CPF a login claims (HMAC of the code only).

    A challenge whose contact is not on record is created all the same (same answer to the caller)
    but nothing is sent and no code can match it (``code_hmac`` is NULL)."""

    __tablename__ = "identity_challenges"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    destination_masked: Mapped[str] = mapped_column(String(64))
    code_hmac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    consumed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (CheckConstraint("channel in ('sms','email')", name="ck_identity_challenges_channel"),)


class IdentityCheck(Base):
    """One facial validation of a selfie against the reference photo of the claimed CPF."""

    __tablename__ = "identity_checks"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    document_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    selfie_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    similarity: Mapped[str | None] = mapped_column(String(12), nullable=True)
    probability: Mapped[str | None] = mapped_column(String(40), nullable=True)
    name_match: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        CheckConstraint("outcome in ('verified','rejected','error')", name="ck_identity_checks_outcome"),
    )


class Device(Base):
    """A device enrolled for biometric step-up: its ECDSA P-256 public key (JWK thumbprint as id)."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    public_jwk: Mapped[str] = mapped_column(Text)
    thumbprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (UniqueConstraint("user_id", "thumbprint", name="uq_devices_user_key"),)


class StepUpChallenge(Base):
    __tablename__ = "stepup_challenges"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    session_id: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(64))
    expires_at: Mapped[datetime] = mapped_column()
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class RefreshToken(Base):
    """Opaque refresh tokens, stored as SHA-256; one row per issued token, grouped in a family."""

    __tablename__ = "refresh_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # once rotated: the new pair, AES-GCM sealed under a key derived from this token itself (only its
    # holder can open it), kept for the refresh grace window and wiped at the next rotation
    successor_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class LoginThrottle(Base):
    """Consecutive login attempts of one account (keyed by an HMAC of the e-mail, known or not) or of
    one trusted device, and the lockout they earned."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
    notified: Mapped[bool] = mapped_column(Boolean, default=False)


class SecurityEvent(Base):
    """Something the account holder must be told about (e.g. ``login_locked``); details are JSON."""

    __tablename__ = "security_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[str] = mapped_column(Text, default="{}")


class Session(Base):
    """A login session (= refresh-token family); revoking it also refuses its access tokens."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Account(Base):
    """A ledger account. Customer accounts cannot go negative; system accounts (funding) may.

    ``held_cents`` is the part of the balance reserved by PIX transfers held for fraud review: the
    money has not moved (no ledger entry), but it cannot be spent; available = balance - held.
    """

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="customer")
    code: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    held_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        CheckConstraint("allow_negative OR balance_cents - held_cents >= 0", name="ck_accounts_nonnegative"),
        CheckConstraint("kind in ('customer','system')", name="ck_accounts_kind"),
        CheckConstraint("held_cents >= 0", name="ck_accounts_held"),
    )


class Transfer(Base):
    """A money movement request and its outcome; the idempotency key is unique per user.

    Status: ``completed`` (posted), ``blocked`` (fraud screen), ``rejected`` (funds), ``held`` (fraud
    review: amount reserved until ``hold_expires_at``), then ``completed`` when released or ``refused``
    when an analyst refuses it or the hold expires (``review_outcome`` says which).
    """

    __tablename__ = "transfers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    end_to_end_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default="pix")
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    from_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    to_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    recipient_key: Mapped[str | None] = mapped_column(String(77), nullable=True)
    recipient_key_type: Mapped[str | None] = mapped_column(String(8), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str | None] = mapped_column(String(10), nullable=True)
    fraud_probability: Mapped[str | None] = mapped_column(String(12), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hold_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    review_outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    review_note: Mapped[str | None] = mapped_column(String(280), nullable=True)
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_transfers_user_idem"),
        CheckConstraint("amount_cents > 0", name="ck_transfers_positive"),
        Index("ix_transfers_user_created", "user_id", "created_at"),
        Index("ix_transfers_status_expiry", "status", "hold_expires_at"),
        CheckConstraint(
            "review_outcome IS NULL OR review_outcome in ('released','refused','expired')",
            name="ck_transfers_review_outcome",
        ),
    )


class LedgerEntry(Base):
    """One side of a posting: negative amount = debit of the account, positive = credit."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    side: Mapped[str] = mapped_column(String(6))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        CheckConstraint(
            "(side = 'debit' AND amount_cents < 0) OR (side = 'credit' AND amount_cents > 0)",
            name="ck_ledger_side_sign",
        ),
    )


class PixKey(Base):
    __tablename__ = "pix_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    key_type: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(77), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        CheckConstraint("key_type in ('CPF','CNPJ','EMAIL','PHONE','EVP')", name="ck_pix_key_type"),
    )


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        CheckConstraint(
            "kind in ('statement','contract','receipt','id_document','selfie')", name="ck_documents_kind"
        ),
    )


class Notification(Base):
    """A message to the customer (Portuguese), e.g. a PIX held for review, released, refused or expired."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_notifications_user_id", "user_id", "id"),)


class CustodialKey(Base):
    """A customer's custodial Stellar key (one per customer, created on first use of the contracts
    API): the secret seed is sealed with AES-GCM under a key derived from the installation secret
    (serving.contracts.custody) and never leaves the gateway."""

    __tablename__ = "custodial_keys"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(56), unique=True)
    sealed_seed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContractCall(Base):
    """Idempotency record of a state-changing contracts API call: the first answer is replayed for
    the same (user, Idempotency-Key) and body; ``response_status`` 0 while the call is in flight."""

    __tablename__ = "contract_calls"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer, default=0)
    response_body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key", name="uq_contract_calls_user_idem"),)
