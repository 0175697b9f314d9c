"""Vectorised CPF/CNPJ validity as polars expressions (format and check digits), for quality suites.

A CPF is 11 digits (optionally written ``NNN.NNN.NNN-NN``) whose last two are mod-11 check digits
over weights 10..2 and 11..2; the eleven repeated-digit numbers (``000...``, ``111...``) are invalid.
A CNPJ is 14 digits (optionally ``NN.NNN.NNN/NNNN-NN``) with check digits over the weights
5,4,3,2,9,8,7,6,5,4,3,2 and 6,5,4,3,2,9,8,7,6,5,4,3,2 (remainder < 2 gives 0, else 11 - remainder).
The expressions return null for null input, True/False otherwise.
"""

from __future__ import annotations

import polars as pl

CPF_FORMAT = r"^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$"
CNPJ_FORMAT = r"^\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}$"


def _digit(d: pl.Expr, i: int) -> pl.Expr:
    return d.str.slice(i, 1).cast(pl.Int32, strict=False)


def _mod11_dv(d: pl.Expr, weights: list[int]) -> pl.Expr:
    total = pl.sum_horizontal([_digit(d, i) * w for i, w in enumerate(weights)])
    rem = total % 11
    return pl.when(rem < 2).then(0).otherwise(11 - rem)


def is_valid_cpf(expr: pl.Expr) -> pl.Expr:
    """True where ``expr`` is a well-formed CPF with correct check digits."""
    d = expr.str.replace_all(r"\D", "")
    dv1 = _mod11_dv(d, list(range(10, 1, -1)))
    dv2 = _mod11_dv(d, list(range(11, 1, -1)))
    repeated = d.str.contains(r"^(?:0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$")
    ok = expr.str.contains(CPF_FORMAT) & ~repeated & (dv1 == _digit(d, 9)) & (dv2 == _digit(d, 10))
    return pl.when(expr.is_null()).then(None).otherwise(ok.fill_null(False))


def is_valid_cnpj(expr: pl.Expr) -> pl.Expr:
    """True where ``expr`` is a well-formed (numeric) CNPJ with correct check digits."""
    d = expr.str.replace_all(r"\D", "")
    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    w2 = [6, *w1]
    repeated = d.str.contains(r"^(?:0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$")
    ok = (
        expr.str.contains(CNPJ_FORMAT) & ~repeated
        & (_mod11_dv(d, w1) == _digit(d, 12)) & (_mod11_dv(d, w2) == _digit(d, 13))
    )
    return pl.when(expr.is_null()).then(None).otherwise(ok.fill_null(False))
