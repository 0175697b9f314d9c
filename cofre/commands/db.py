"""`cofre db ...`: migrate the gateway's relational database and manage roles."""

from __future__ import annotations

import typer

app = typer.Typer(help="relational database of the gateway (Alembic migrations)", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply migrations up to REVISION on settings.database_url."""
    from lake.settings import get_settings
    from serving.migrations import current
    from serving.migrations import upgrade as do_upgrade

    s = get_settings()
    url = str(s.database_url)
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    do_upgrade(url, revision)
    typer.echo(f"database at revision {current(url)}")


@app.command("grant-role")
def grant_role(email: str, role: str = typer.Argument(..., help="customer, admin or auditor")) -> None:
    """Give the user with EMAIL a ROLE (admin can deposit; admin/auditor read logs and audit)."""
    from sqlalchemy import update

    from lake.settings import get_settings
    from serving.db.orm import User
    from serving.db.session import make_engine, make_sessionmaker

    if role not in ("customer", "admin", "auditor"):
        raise typer.BadParameter("role must be customer, admin or auditor")
    engine = make_engine(str(get_settings().database_url))
    with make_sessionmaker(engine)() as db, db.begin():
        n = db.execute(update(User).where(User.email == email.lower()).values(role=role)).rowcount
    engine.dispose()
    if n != 1:
        raise typer.BadParameter(f"no user with e-mail {email}")
    typer.echo(f"{email} is now {role}")
