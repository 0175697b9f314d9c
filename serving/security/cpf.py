"""CPF and CNPJ check-digit validation (temporary home).

lake/domain/identifiers.py (being written on another branch) is the intended home of these domain
primitives; this module exists only to avoid a merge conflict and should be replaced by an import of
``lake.domain.identifiers`` once that lands.
"""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D")


def only_digits(value: str) -> str:
    return _NON_DIGITS.sub("", value)


def _cpf_digit(digits: str, weight_start: int) -> int:
    total = sum(int(d) * w for d, w in zip(digits, range(weight_start, 1, -1), strict=False))
    rest = (total * 10) % 11
    return 0 if rest == 10 else rest


def is_valid_cpf(value: str) -> bool:
    """True when ``value`` (with or without punctuation) is a CPF with correct check digits."""
    if not re.fullmatch(r"\d{11}|\d{3}\.\d{3}\.\d{3}-\d{2}", value.strip()):
        return False
    d = only_digits(value)
    if d == d[0] * 11:
        return False
    return _cpf_digit(d[:9], 10) == int(d[9]) and _cpf_digit(d[:10], 11) == int(d[10])


def _cnpj_digit(digits: str) -> int:
    weights = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2][-len(digits):]
    rest = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def is_valid_cnpj(value: str) -> bool:
    """True when ``value`` (with or without punctuation) is a CNPJ with correct check digits."""
    if not re.fullmatch(r"\d{14}|\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}", value.strip()):
        return False
    d = only_digits(value)
    if d == d[0] * 14:
        return False
    return _cnpj_digit(d[:12]) == int(d[12]) and _cnpj_digit(d[:13]) == int(d[13])


def cpf_with_digits(base9: str) -> str:
    """Complete a 9-digit CPF base with its two check digits (used by tests and fixtures)."""
    d1 = _cpf_digit(base9, 10)
    d2 = _cpf_digit(base9 + str(d1), 11)
    return f"{base9}{d1}{d2}"
