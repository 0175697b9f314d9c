"""Alembic environment: runs migrations online against the URL set by serving.migrations."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from lake.settings import sqlalchemy_url
from serving.db.orm import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    configured = config.get_main_option("sqlalchemy.url")
    if configured is None:
        raise RuntimeError("alembic: no sqlalchemy.url in the migration config")
    url = sqlalchemy_url(configured)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `cofre db upgrade`")
run_migrations_online()
