"""CPF (Cadastro de Pessoas Físicas) primitive: check-digit computation and validation.

A CPF is 11 digits: nine base digits and two mod-11 check digits. Sequences of one repeated digit
("00000000000", "11111111111", ...) satisfy the arithmetic but are invalid by Receita Federal rule.
"""

from __future__ import annotations

import re

_DIGITS11 = re.compile(r"^\d{11}$")


def cpf_check_digits(base9: str) -> str:
    """The two check digits of a nine-digit CPF base."""
    if not re.fullmatch(r"\d{9}", base9):
        raise ValueError(f"CPF base must be 9 digits, got {base9!r}")
    digits = [int(c) for c in base9]
    for weight_start in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(weight_start, 1, -1), strict=False))
        rest = total % 11
        digits.append(0 if rest < 2 else 11 - rest)
    return f"{digits[9]}{digits[10]}"


def normalize_cpf(value: str) -> str:
    """Strip the usual punctuation ("123.456.789-09" -> "12345678909")."""
    return value.replace(".", "").replace("-", "").strip()


def is_valid_cpf(value: str) -> bool:
    """True when ``value`` (digits only) is an 11-digit CPF with correct check digits."""
    if not isinstance(value, str) or not _DIGITS11.match(value):
        return False
    if value == value[0] * 11:
        return False
    return cpf_check_digits(value[:9]) == value[9:]
