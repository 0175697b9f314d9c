"""Sub-command groups of the `cofre` CLI; each module exposes a Typer `app` and imports heavy libraries lazily."""
