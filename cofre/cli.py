"""The `cofre` command line: one Typer app; sub-command groups are registered from cofre.commands.

Each group module keeps heavy imports (feast, dagster, mlflow) inside its commands so that
`cofre --help` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(help="cofre: lakehouse with thin APIs for a Brazilian digital bank", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """cofre: lakehouse with thin APIs for a Brazilian digital bank."""
    from cofre.embedded import install_sandboxes

    install_sandboxes()  # external systems with no URL configured are served by their sandboxes in-process


# (module under cofre.commands, group name or None to add its commands at top level)
_GROUPS: list[tuple[str, str | None]] = [
    ("info", None),
    ("simulate", None),
    ("sandbox", "sandbox"),
    ("lake", "lake"),
    ("db", "db"),
    ("serve", None),
    ("features", "features"),
    ("models", "models"),
    ("demo", None),
    ("dagster", "dagster"),
    ("audit", "audit"),
    ("chat", "chat"),
    ("openapi", "openapi"),
]

for _module, _name in _GROUPS:
    _sub = importlib.import_module(f"cofre.commands.{_module}").app
    if _name is None:
        for _cmd in _sub.registered_commands:
            app.registered_commands.append(_cmd)
    else:
        app.add_typer(_sub, name=_name)


if __name__ == "__main__":
    app()
