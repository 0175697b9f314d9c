"""Rows on stdout for the CLI: ``table`` (aligned text), ``csv`` or ``json``; nothing is ever cut.

The text table is plain on purpose: it does not depend on the terminal's width (rich shrinks and
wraps columns at 80 characters or when piped, which cut table names), and it imports nothing heavy,
so a ``cofre lake sql "SELECT 1"`` stays fast. Wide rows simply run past the screen; pipe through
``less -S`` or use ``--format csv``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

Format = Literal["table", "csv", "json"]
FORMATS: tuple[Format, ...] = ("table", "csv", "json")


def jsonable(v: Any) -> Any:
    """A JSON-friendly value: Decimal as its exact string, dates/times in ISO-8601."""
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return v


def _cell(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True, default=str)
    return str(jsonable(v))


def render_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> str:
    """Aligned columns separated by two spaces, a dashed rule under the header; no truncation."""
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [len(c) for c in columns]
    for r in cells:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], len(v))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [title] if title else []
    out += [line(list(columns)), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out) + "\n"


def render(fmt: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> str:
    """``rows`` rendered in ``fmt`` (table | csv | json: a list of objects keyed by column)."""
    if fmt == "json":
        return (
            json.dumps(
                [{c: jsonable(v) for c, v in zip(columns, r, strict=True)} for r in rows],
                indent=2,
                default=str,
            )
            + "\n"
        )
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_cell(v) if isinstance(v, dict | list) else jsonable(v) for v in r] for r in rows])
        return buf.getvalue()
    if fmt == "table":
        return render_table(columns, rows, title)
    raise ValueError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
