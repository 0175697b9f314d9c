"""Masking of personal data in chat text, applied before anything is stored, logged or sent to an LLM.

Replaced, in this order: e-mail addresses (``[EMAIL]``); phones written with +55; runs of 13-19 digits, spaces or dashes
allowed between groups (card numbers: ``[CARTAO]``); CNPJs (``[CNPJ]``); CPFs, with or without
punctuation (``[CPF]``: any 11-digit run with valid check digits, or written as ``000.000.000-00``);
phone numbers (``[TELEFONE]``: +55, DDD in parentheses or not, 8-9 digit numbers, and any other run of
10-13 digits). Amounts like ``R$ 1.500,00`` and dates are left alone (they are short digit runs).
"""

from __future__ import annotations

import re

from lake.domain.identifiers import is_valid_cpf

_INTL_PHONE = re.compile(r"\+55[ \-]?\(?\d{2}\)?[ \-]?9?\d{4}[ \-]?\d{4}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_CARD = re.compile(r"(?<![\w])(?:\d[ \-]?){12,18}\d(?![\w])")
_CNPJ = re.compile(r"(?<!\d)\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}(?!\d)")
_CPF_PUNCT = re.compile(r"(?<!\d)\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)")
_DIGITS11 = re.compile(r"(?<!\d)\d{11}(?!\d)")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+?55[ \-]?)?(?:\(?\d{2}\)?[ \-]?)?9?\d{4}[ \-]?\d{4}(?!\d)",
)
_LONG_DIGITS = re.compile(r"(?<!\d)\d{10,13}(?!\d)")


def _cpf(m: re.Match[str]) -> str:
    return "[CPF]" if is_valid_cpf(m.group(0)) else m.group(0)


def _phone(m: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in m.group(0))
    return "[TELEFONE]" if digits >= 8 else m.group(0)


def mask(text: str) -> str:
    """``text`` with e-mails, card numbers, CNPJs, CPFs and phone numbers replaced by placeholders."""
    text = _EMAIL.sub("[EMAIL]", text)
    text = _INTL_PHONE.sub("[TELEFONE]", text)
    text = _CARD.sub("[CARTAO]", text)
    text = _CNPJ.sub("[CNPJ]", text)
    text = _CPF_PUNCT.sub("[CPF]", text)
    text = _DIGITS11.sub(_cpf, text)
    text = _PHONE.sub(_phone, text)
    return _LONG_DIGITS.sub("[TELEFONE]", text)


def found(text: str) -> list[str]:
    """The kinds of personal data :func:`mask` replaces in ``text`` (for the message's metadata)."""
    masked = mask(text)
    return sorted({k for k in ("EMAIL", "CARTAO", "CNPJ", "CPF", "TELEFONE") if f"[{k}]" in masked})
