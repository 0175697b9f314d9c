"""`cofre chat`: ask the support assistant from the command line (knowledge-base questions, no login).

* ``cofre chat ask "texto"``: one question; prints the answer (``--json`` for the API's JSON).
* ``cofre chat ask --batch FILE.jsonl --json``: one ``{"question": ...}`` per input line; one output
  line per question with the same JSON the API returns plus the question (``conversation_id`` is null:
  nothing is stored). Account questions need the logged-in API, so here they get the article answer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

app = typer.Typer(help="Support assistant: ask questions", no_args_is_help=True)


def _answer(assistant, question: str) -> dict:  # noqa: ANN001
    from serving.chat.mask import mask

    reply = assistant.generate(assistant.reply(mask(question)))
    return {"question": question, "conversation_id": None, **reply.public()}


@app.command()
def ask(
    text: str = typer.Argument(None, help="the question (omit with --batch)"),
    batch: Path = typer.Option(None, "--batch", help='JSONL file, one {"question": ...} per line'),
    as_json: bool = typer.Option(False, "--json", help="print the API's JSON"),
) -> None:
    """Ask the support assistant one question, or every question of a JSONL file."""
    from lake.settings import get_settings
    from serving.chat.assistant import Assistant

    if (text is None) == (batch is None):
        typer.echo("give either a question or --batch FILE.jsonl", err=True)
        raise typer.Exit(2)
    assistant = Assistant.load(get_settings())
    if text is not None:
        out = _answer(assistant, text)
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False))
        else:
            typer.echo(out["answer"])
            typer.echo(f"\n[{out['topic'] or 'não entendi'} · confiança {out['confidence']:.2f}]")
            for s in out["sources"]:
                typer.echo(f"fonte: {s['id']} - {s['title']}")
        return
    lines = batch.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            question = json.loads(line)["question"]
            if not isinstance(question, str) or not question.strip():
                raise ValueError("question must be a non-empty string")
        except (ValueError, KeyError, TypeError) as exc:
            typer.echo(f"{batch}:{n}: {exc!r}", err=True)
            raise typer.Exit(1) from None
        out = _answer(assistant, question)
        if as_json:
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        else:
            typer.echo(f"{question}\t{out['topic']}\t{out['confidence']:.2f}")
