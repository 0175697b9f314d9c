"""Identity proofing: a CPF is claimed by a login and proven by a one-time code or a selfie check.

users.cpf is no longer unique (anyone may claim a CPF, and the answer to registration must not say
whether it is taken); at most one login per CPF may be verified (partial unique index).
identity_challenges (one-time codes, HMAC only) and identity_checks (facial validations); documents
may hold identity documents and selfies.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# names for the constraints 0001 left unnamed, so that batch mode can drop them on SQLite
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s", "ck": "ck_%(table_name)s_%(constraint_name)s"}
VERIFIED = sa.text("identity_verified_at IS NOT NULL")


def _unique_cpf_name() -> str:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return "uq_users_cpf"
    for uc in sa.inspect(bind).get_unique_constraints("users"):
        if uc["column_names"] == ["cpf"]:
            return uc["name"]
    raise RuntimeError("users: no unique constraint on cpf to drop")


def upgrade() -> None:
    with op.batch_alter_table("users", naming_convention=NAMING) as batch:
        batch.drop_constraint(_unique_cpf_name(), type_="unique")
        batch.add_column(sa.Column("identity_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("identity_method", sa.String(length=16), nullable=True))
    op.create_index("ix_users_cpf", "users", ["cpf"])
    op.create_index(
        "uq_users_cpf_verified",
        "users",
        ["cpf"],
        unique=True,
        sqlite_where=VERIFIED,
        postgresql_where=VERIFIED,
    )
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("ck_documents_kind", type_="check")
        batch.create_check_constraint(
            "ck_documents_kind", "kind in ('statement','contract','receipt','id_document','selfie')"
        )
    op.create_table(
        "identity_challenges",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("destination_masked", sa.String(length=64), nullable=False),
        sa.Column("code_hmac", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel in ('sms','email')", name="ck_identity_challenges_channel"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_identity_challenges_user_id", "identity_challenges", ["user_id"])
    op.create_table(
        "identity_checks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=True),
        sa.Column("selfie_id", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("similarity", sa.String(length=12), nullable=True),
        sa.Column("probability", sa.String(length=40), nullable=True),
        sa.Column("name_match", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome in ('verified','rejected','error')", name="ck_identity_checks_outcome"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_identity_checks_user_id", "identity_checks", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_identity_checks_user_id", "identity_checks")
    op.drop_table("identity_checks")
    op.drop_index("ix_identity_challenges_user_id", "identity_challenges")
    op.drop_table("identity_challenges")
    op.drop_index("uq_users_cpf_verified", "users")
    op.drop_index("ix_users_cpf", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("identity_method")
        batch.drop_column("identity_verified_at")
        batch.create_unique_constraint("uq_users_cpf", ["cpf"])
