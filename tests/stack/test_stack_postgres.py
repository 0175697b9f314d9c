"""SQLAlchemy on the stack's PostgreSQL: DDL, a committed transaction, read-back, and a rollback."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa


@pytest.fixture
def engine(stack_settings):
    eng = sa.create_engine(stack_settings.database_url, pool_pre_ping=True)
    yield eng
    eng.dispose()


def test_postgres_transaction_commit_and_rollback(engine, unique):
    meta = sa.MetaData()
    accounts = sa.Table(
        f"it_accounts_{unique}",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("balance_cents", sa.BigInteger, nullable=False),
        sa.Column("rate", sa.Numeric(12, 6), nullable=False),
    )
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text("select version()")).scalar_one().startswith("PostgreSQL 15")
            conn.execute(
                accounts.insert(),
                [
                    {"id": 1, "owner": "a", "balance_cents": 10_050, "rate": Decimal("0.012345")},
                    {"id": 2, "owner": "b", "balance_cents": 7, "rate": Decimal("1.5")},
                ],
            )
        with engine.connect() as conn:
            rows = conn.execute(sa.select(accounts).order_by(accounts.c.id)).all()
        assert [(r.id, r.owner, r.balance_cents, r.rate) for r in rows] == [
            (1, "a", 10_050, Decimal("0.012345")),
            (2, "b", 7, Decimal("1.500000")),
        ]

        # a failed transfer rolls back as a whole
        with pytest.raises(sa.exc.IntegrityError):
            with engine.begin() as conn:
                conn.execute(accounts.update().where(accounts.c.id == 1).values(balance_cents=0))
                conn.execute(accounts.insert().values(id=2, owner="dup", balance_cents=1, rate=0))
        # an explicit rollback discards the work too
        with engine.connect() as conn:
            conn.execute(accounts.delete())
            conn.rollback()
        with engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.sum(accounts.c.balance_cents))).scalar_one()
            assert total == 10_057
            assert conn.execute(sa.select(sa.func.count()).select_from(accounts)).scalar_one() == 2
    finally:
        meta.drop_all(engine)


def test_postgres_has_project_databases(engine):
    with engine.connect() as conn:
        names = set(conn.execute(sa.text("select datname from pg_database")).scalars())
    assert {"cofre", "feast", "mlflow"} <= names
