"""Row-level data-quality suites and the good/bad split that feeds quarantine.

A :class:`Check` is declared once and has two executions that agree row for row (tested):

* a polars expression (``Check.failing()``: True where the row breaks the rule), used by
  :func:`split_valid` by default because it is fast enough for 10 M rows;
* great-expectations 1.x expectations (:mod:`lake.quality_gx`), used for the validation report
  and, with ``engine="gx"``, for the split itself via ``unexpected_index_list``.

Why two engines: measured here (bench/lake_quality.py), the GX suite with ``result_format=COMPLETE``
costs several seconds per million rows and grows linearly (tens of seconds at 10 M rows, plus
``to_pandas``), while the same rules as one polars pass take a fraction of a second. So the split
runs in polars and GX validates a sample (or the whole batch when small) for the report.

Semantics follow GX: value checks (between, in_set, regex, cpf/cnpj) ignore nulls (use
``not_null`` for that); ``unique`` flags every occurrence of a duplicated non-null key.

``split_valid(df, suite)`` returns ``(good, bad)``: ``bad`` has the input columns plus
``_row_index`` (position in ``df``), ``_checks`` (names of every failing check) and ``_reason``
(one reason per failing check, including the offending value). ``len(good) + len(bad) == len(df)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from lake import buckets
from lake.catalog import Table, get_table
from lake.domain.document_checks import is_valid_cnpj, is_valid_cpf

CheckKind = Literal["not_null", "between", "in_set", "regex", "unique", "cpf", "cnpj"]
ROW_INDEX, CHECKS, REASON = "_row_index", "_checks", "_reason"


@dataclass(frozen=True)
class Check:
    """One row rule over one or more columns; ``name`` appears in quarantine reasons."""

    name: str
    kind: CheckKind
    columns: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str:
        return self.columns[0]

    def failing(self) -> pl.Expr:
        """Boolean expression: True where the row fails this check (never null)."""
        c = pl.col(self.column)
        p = self.params
        if self.kind == "not_null":
            expr = pl.any_horizontal([pl.col(x).is_null() for x in self.columns])
        elif self.kind == "between":
            lo, hi = p.get("min"), p.get("max")
            bad = pl.lit(False)
            if lo is not None:
                bad = bad | (c < pl.lit(lo))
            if hi is not None:
                bad = bad | (c > pl.lit(hi))
            expr = c.is_not_null() & bad
        elif self.kind == "in_set":
            expr = c.is_not_null() & ~c.is_in(list(p["values"]))
        elif self.kind == "regex":
            expr = c.is_not_null() & ~c.cast(pl.String).str.contains(p["pattern"])
        elif self.kind == "unique":
            if len(self.columns) == 1:
                expr = c.is_not_null() & c.is_duplicated()
            else:
                any_set = pl.any_horizontal([pl.col(x).is_not_null() for x in self.columns])
                expr = any_set & pl.struct(list(self.columns)).is_duplicated()
        elif self.kind == "cpf":
            expr = c.is_not_null() & ~is_valid_cpf(c)
        elif self.kind == "cnpj":
            expr = c.is_not_null() & ~is_valid_cnpj(c)
        else:  # pragma: no cover - Literal guards this
            raise ValueError(f"unknown check kind {self.kind!r}")
        return expr.fill_null(False)

    def describe(self) -> str:
        """The rule in words (without the offending value)."""
        p, cols = self.params, ", ".join(self.columns)
        return {
            "not_null": lambda: f"{cols} must not be null",
            "between": lambda: (
                f"{cols} must be "
                + " and ".join(
                    x
                    for x in (
                        f">= {p['min']}" if p.get("min") is not None else "",
                        f"<= {p['max']}" if p.get("max") is not None else "",
                    )
                    if x
                )
            ),
            "in_set": lambda: f"{cols} must be one of {sorted(map(str, p['values']))}",
            "regex": lambda: f"{cols} must match /{p['pattern']}/",
            "unique": lambda: f"({cols}) must be unique",
            "cpf": lambda: f"{cols} must be a valid CPF (11 digits, check digits)",
            "cnpj": lambda: f"{cols} must be a valid CNPJ (14 digits, check digits)",
        }[self.kind]()

    def reason(self) -> pl.Expr:
        """Per-row reason string: ``<name>: <rule>; got <value>``."""
        if self.kind == "not_null":
            return pl.lit(f"{self.name}: {self.describe()}")
        if self.kind == "unique" and len(self.columns) > 1:
            got = pl.struct(list(self.columns)).struct.json_encode()
        else:
            got = pl.col(self.column).cast(pl.String)
        if self.kind in ("cpf", "cnpj"):  # do not copy a personal identifier into the reason
            got = pl.lit("<redacted>")
        return pl.concat_str([pl.lit(f"{self.name}: {self.describe()}; got "), got.fill_null("null")])


# --- constructors -------------------------------------------------------------------------------


def not_null(*columns: str, name: str | None = None) -> Check:
    return Check(name or f"not_null:{'+'.join(columns)}", "not_null", tuple(columns))


def between(column: str, min: Any = None, max: Any = None, name: str | None = None) -> Check:
    if min is None and max is None:
        raise ValueError("between needs min or max")
    return Check(name or f"between:{column}", "between", (column,), {"min": min, "max": max})


def in_set(column: str, values: Iterable[Any], name: str | None = None) -> Check:
    return Check(name or f"in_set:{column}", "in_set", (column,), {"values": tuple(values)})


def regex(column: str, pattern: str, name: str | None = None) -> Check:
    return Check(name or f"regex:{column}", "regex", (column,), {"pattern": pattern})


def unique(*columns: str, name: str | None = None) -> Check:
    return Check(name or f"unique:{'+'.join(columns)}", "unique", tuple(columns))


def valid_cpf(column: str, name: str | None = None) -> Check:
    return Check(name or f"cpf:{column}", "cpf", (column,))


def valid_cnpj(column: str, name: str | None = None) -> Check:
    return Check(name or f"cnpj:{column}", "cnpj", (column,))


@dataclass(frozen=True)
class Suite:
    """A named list of checks; ``table`` is the catalog table the rows are meant for (if any)."""

    name: str
    checks: tuple[Check, ...]
    table: str | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.checks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"suite {self.name}: duplicate check names {dupes}")

    @property
    def columns(self) -> set[str]:
        return {c for ch in self.checks for c in ch.columns}


def suite_for(table: str | Table, extra: Sequence[Check] = (), *, name: str | None = None) -> Suite:
    """A suite from the catalog (not-null on non-nullable columns, unique primary key) plus ``extra``.
    A bucketed table's ``bucket`` is left out: the write derives it (:mod:`lake.buckets`)."""
    t = get_table(table)
    required = [c.name for c in t.columns if not c.nullable and c.name != buckets.COLUMN]
    checks: list[Check] = [not_null(c) for c in required]
    checks.append(unique(*t.primary_key, name=f"unique_pk:{'+'.join(t.primary_key)}"))
    return Suite(name or t.name, (*checks, *extra), table=t.name)


# --- split --------------------------------------------------------------------------------------


def failure_flags(df: pl.DataFrame, suite: Suite) -> pl.DataFrame:
    """One boolean column per check (named like the check): True where the row fails it."""
    missing = sorted(suite.columns - set(df.columns))
    if missing:
        raise ValueError(f"suite {suite.name}: frame lacks columns {missing}")
    return df.select([ch.failing().alias(ch.name) for ch in suite.checks])


def split_with_flags(
    df: pl.DataFrame, suite: Suite, flags: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``df`` given per-check failure flags (from polars or GX) and build the reasons."""
    if not suite.checks:
        return df, df.head(0).with_columns(
            pl.lit(None, pl.Int64).alias(ROW_INDEX),
            pl.lit(None, pl.List(pl.String)).alias(CHECKS),
            pl.lit(None, pl.String).alias(REASON),
        )
    flag_cols = [f"__flag_{i}" for i in range(len(suite.checks))]
    flags = flags.rename(dict(zip(flags.columns, flag_cols, strict=True)))
    any_bad = pl.any_horizontal([pl.col(f) for f in flag_cols])
    if not flags.select(any_bad.fill_null(True).any()).item():  # every row passes: ``df`` itself, not a copy
        return df, _bad_rows(
            df.head(0).with_columns(flags.head(0)).with_row_index(ROW_INDEX), suite, flag_cols
        )
    work = df.with_columns(flags).with_row_index(ROW_INDEX)
    good = work.filter(~any_bad).drop([ROW_INDEX, *flag_cols])
    return good, _bad_rows(work.filter(any_bad), suite, flag_cols)


def _bad_rows(work: pl.DataFrame, suite: Suite, flag_cols: list[str]) -> pl.DataFrame:
    """The failing rows of ``work`` (flagged, row-indexed) with the names of their checks and the reasons."""
    return (
        work.with_columns(
            pl.concat_list(
                [
                    pl.when(pl.col(f)).then(pl.lit(ch.name)).otherwise(pl.lit(None, pl.String))
                    for f, ch in zip(flag_cols, suite.checks, strict=True)
                ]
            )
            .list.drop_nulls()
            .alias(CHECKS),
            pl.concat_str(
                [
                    pl.when(pl.col(f)).then(ch.reason()).otherwise(pl.lit(None, pl.String))
                    for f, ch in zip(flag_cols, suite.checks, strict=True)
                ],
                separator=" | ",
                ignore_nulls=True,
            ).alias(REASON),
        )
        .drop(flag_cols)
        .with_columns(pl.col(ROW_INDEX).cast(pl.Int64))
    )


def split_valid(
    df: pl.DataFrame, suite: Suite, *, engine: Literal["polars", "gx"] = "polars"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(good, bad)`` rows of ``df`` under ``suite``; see the module docstring for ``bad``'s columns."""
    if engine == "polars":
        flags = failure_flags(df, suite)
    elif engine == "gx":
        from lake.quality_gx import failure_flags_gx

        flags = failure_flags_gx(df, suite)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return split_with_flags(df, suite, flags)
