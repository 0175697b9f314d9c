"""PIX refunds (devoluções) by the receiving customer: pix_refunds links a refund transfer (kind
pix_refund) to the transfer it gives back, with the amount, so partial refunds add up under a lock.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "pix_refunds",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("refund_transfer_id", BigId, sa.ForeignKey("transfers.id"), nullable=False),
        sa.Column("original_transfer_id", BigId, sa.ForeignKey("transfers.id"), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("nature", sa.String(length=16), nullable=False, server_default="ORIGINAL"),
        sa.Column("description", sa.String(length=140), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("refund_transfer_id", name="uq_pix_refunds_refund_transfer_id"),
        sa.CheckConstraint("amount_cents > 0", name="ck_pix_refunds_positive"),
    )
    op.create_index("ix_pix_refunds_original_transfer_id", "pix_refunds", ["original_transfer_id"])


def downgrade() -> None:
    op.drop_index("ix_pix_refunds_original_transfer_id", table_name="pix_refunds")
    op.drop_table("pix_refunds")
