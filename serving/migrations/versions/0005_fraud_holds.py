"""Fraud holds: accounts.held_cents (reserved by held PIX transfers; available = balance - held, never
negative), the review columns of transfers (hold deadline, reviewer, outcome, note) and the customer
notifications table.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("held_cents", sa.BigInteger(), nullable=False, server_default="0"))
        batch.drop_constraint("ck_accounts_nonnegative", type_="check")
        batch.create_check_constraint(
            "ck_accounts_nonnegative", "allow_negative OR balance_cents - held_cents >= 0"
        )
        batch.create_check_constraint("ck_accounts_held", "held_cents >= 0")
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reviewed_by", BigId, nullable=True))
        batch.add_column(sa.Column("review_outcome", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("review_note", sa.String(length=280), nullable=True))
        batch.create_foreign_key("fk_transfers_reviewed_by_users", "users", ["reviewed_by"], ["id"])
        batch.create_check_constraint(
            "ck_transfers_review_outcome",
            "review_outcome IS NULL OR review_outcome in ('released','refused','expired')",
        )
        batch.create_index("ix_transfers_status_expiry", ["status", "hold_expires_at"])
    op.create_table(
        "notifications",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("transfer_id", BigId, sa.ForeignKey("transfers.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_user_id", table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("transfers") as batch:
        batch.drop_index("ix_transfers_status_expiry")
        batch.drop_constraint("ck_transfers_review_outcome", type_="check")
        batch.drop_constraint("fk_transfers_reviewed_by_users", type_="foreignkey")
        for col in ("review_note", "review_outcome", "reviewed_by", "reviewed_at", "hold_expires_at"):
            batch.drop_column(col)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("ck_accounts_held", type_="check")
        batch.drop_constraint("ck_accounts_nonnegative", type_="check")
        batch.create_check_constraint("ck_accounts_nonnegative", "allow_negative OR balance_cents >= 0")
        batch.drop_column("held_cents")
