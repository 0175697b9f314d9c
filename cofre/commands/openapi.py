"""`cofre openapi dump`: write the gateway's OpenAPI document without starting a server or stores.

The mobile app's typed client (mobile/src/api/) is generated from this document; the committed copy
is compared with a fresh dump by tests/unit/test_openapi_dump.py, so the app cannot drift from the API.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="the gateway's OpenAPI document", no_args_is_help=True)


def render() -> str:
    """The document as stable, indented JSON text with a final newline."""
    from serving.app import openapi_schema

    return json.dumps(openapi_schema(), indent=2, ensure_ascii=False) + "\n"


@app.command()
def dump(
    out: Path | None = typer.Option(None, "--out", "-o", help="file to write (default: stdout)"),
) -> None:
    """Print (or write to OUT) the OpenAPI document that `cofre serve` serves at /openapi.json."""
    text = render()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
