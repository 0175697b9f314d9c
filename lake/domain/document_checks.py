"""Vectorised CPF/CNPJ validity as polars expressions (format and check digits), for quality suites.

A CPF is 11 digits (bare, or written with the full mask ``NNN.NNN.NNN-NN``) whose last two are
mod-11 check digits over weights 10..2 and 11..2; the eleven repeated-digit numbers (``000...``,
``111...``) are invalid. A CNPJ is 14 digits (bare or ``NN.NNN.NNN/NNNN-NN``) with check digits over
the weights 5,4,3,2,9,8,7,6,5,4,3,2 and 6,5,4,3,2,9,8,7,6,5,4,3,2 (remainder < 2 gives 0, else
11 - remainder). Surrounding ASCII blanks are ignored; digits are ASCII only (the regex engine's
digit class would match other scripts' digits too). The CPF expression agrees with
:func:`lake.domain.identifiers.is_valid_cpf` on every string; the CNPJ one with
:func:`~lake.domain.identifiers.is_valid_cnpj` on numeric CNPJs.
The expressions return null for null input, True/False otherwise; each distinct value is checked once.
"""

from __future__ import annotations

import polars as pl

CPF_FORMAT = r"^(?:[0-9]{11}|[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2})$"
CNPJ_FORMAT = r"^(?:[0-9]{14}|[0-9]{2}\.[0-9]{3}\.[0-9]{3}/[0-9]{4}-[0-9]{2})$"
BLANKS = " \t\r\n"


def _valid(values: pl.Series, fmt: str, w1: list[int], w2: list[int]) -> pl.Series:
    """Validity of each distinct value, computed once per distinct value, mapped back (null stays null)."""
    uniq = values.drop_nulls().unique()
    bare = uniq.str.strip_chars(BLANKS)
    d = bare.str.replace_all(r"[^0-9]", "")
    frame = pl.DataFrame(
        {f"d{i}": d.str.slice(i, 1).cast(pl.Int32, strict=False) for i in range(len(w2) + 1)}
    )

    def dv(weights: list[int]) -> pl.Expr:
        rem = pl.sum_horizontal([pl.col(f"d{i}") * w for i, w in enumerate(weights)]) % 11
        return pl.when(rem < 2).then(0).otherwise(11 - rem)

    n = len(w2)
    ok = frame.select(
        ((dv(w1) == pl.col(f"d{n - 1}")) & (dv(w2) == pl.col(f"d{n}"))).fill_null(False)
    ).to_series()
    ok = ok & bare.str.contains(fmt) & ~d.str.contains(r"^(?:0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$")
    return values.replace_strict(uniq, ok, default=None, return_dtype=pl.Boolean)


_CPF_W1, _CPF_W2 = list(range(10, 1, -1)), list(range(11, 1, -1))
_CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
_CNPJ_W2 = [6, *_CNPJ_W1]


def is_valid_cpf(expr: pl.Expr) -> pl.Expr:
    """True where ``expr`` is a well-formed CPF with correct check digits (null for null)."""
    return expr.map_batches(
        lambda s: _valid(s.cast(pl.String), CPF_FORMAT, _CPF_W1, _CPF_W2), return_dtype=pl.Boolean
    )


def is_valid_cnpj(expr: pl.Expr) -> pl.Expr:
    """True where ``expr`` is a well-formed (numeric) CNPJ with correct check digits (null for null)."""
    return expr.map_batches(
        lambda s: _valid(s.cast(pl.String), CNPJ_FORMAT, _CNPJ_W1, _CNPJ_W2), return_dtype=pl.Boolean
    )
