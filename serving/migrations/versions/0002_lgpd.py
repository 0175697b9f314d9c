"""LGPD: consent terms (versioned, seeded with version 1 per purpose), append-only consent events,
consent propagations, data-subject requests; users.phone (rectifiable contact).

Revision ID: 0002
Revises: 0001
"""

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    from serving.lgpd.registry import DEFAULT_TERMS

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
    terms = op.create_table(
        "consent_terms",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("purpose", "version", name="uq_consent_terms_purpose_version"),
    )
    op.create_table(
        "consent_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.CheckConstraint("action in ('grant','revoke')", name="ck_consent_events_action"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_events_user_id", "consent_events", ["user_id"])
    op.create_table(
        "consent_propagations",
        sa.Column("event_id", BigId, sa.ForeignKey("consent_events.id"), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("propagated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "data_subject_requests",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.CheckConstraint("kind in ('access','rectification','erasure','explanation')", name="ck_dsr_kind"),
        sa.CheckConstraint("status in ('received','in_progress','done','rejected')", name="ck_dsr_status"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_data_subject_requests_user_id", "data_subject_requests", ["user_id"])
    now = datetime.now(UTC)
    op.bulk_insert(
        terms,
        [
            {
                "purpose": p,
                "version": 1,
                "text": t,
                "text_sha256": hashlib.sha256(t.encode()).hexdigest(),
                "published_at": now,
            }
            for p, t in DEFAULT_TERMS.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("data_subject_requests")
    op.drop_table("consent_propagations")
    op.drop_table("consent_events")
    op.drop_table("consent_terms")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone")
