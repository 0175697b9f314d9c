"""`cofre info`: print the resolved settings (secrets masked) and the native module version."""

from __future__ import annotations

import json

import typer

app = typer.Typer()


@app.command()
def info() -> None:
    """Show the active profile, where data lives and the native module version."""
    import cofre_native

    from lake.settings import get_settings

    s = get_settings()
    data = json.loads(s.model_dump_json())
    data["secrets_source"] = s.secrets_source  # env, file, file-legacy-keys or missing
    data["native_version"] = cofre_native.version()
    typer.echo(json.dumps(data, indent=2, default=str))
