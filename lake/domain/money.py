"""Money primitive: integer cents <-> decimal strings as exchanged with external APIs.

Open Finance and Pix carry amounts as strings ("123.45"); the platform keeps integer cents.
Never goes through float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation


def cents_to_str(cents: int, places: int = 2) -> str:
    """Format integer cents as a plain decimal string with ``places`` (>= 2) decimals: -1234 -> "-12.34"."""
    if places < 2:
        raise ValueError("places must be >= 2")
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}{'0' * (places - 2)}"


def cents_to_decimal(cents: int) -> Decimal:
    """Integer cents as a Decimal amount with two places."""
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def str_to_cents(amount: str) -> int:
    """Parse a decimal amount string ("12.34", "12.3400") into integer cents; rejects sub-cent values."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a decimal amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount has fractions of a cent: {amount!r}")
    return int(cents.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def decimal_to_cents(value: Decimal) -> int:
    """A Decimal amount as integer cents; rejects fractions of a cent."""
    return str_to_cents(str(value))
