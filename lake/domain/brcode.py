"""BR Code ("Pix Copia e Cola"): generation and strict parsing per the BCB BR Code manual.

The payload is EMV MPM TLV: each field is a 2-digit ID, a 2-digit length and the value. Fields:

====  =====================================================  ==========
ID    meaning                                                mandatory
====  =====================================================  ==========
00    payload format indicator, "01"                         yes
01    point of initiation: "11" reusable, "12" single use    no
26    merchant account info: 00 GUI "br.gov.bcb.pix",       yes
      01 key (static) or 25 location URL (dynamic), 02 info
52    merchant category code (4 digits, "0000")              yes
53    transaction currency, "986" (BRL)                      yes
54    amount, up to 13 chars, "." decimal separator          no
58    country code, "BR"                                     yes
59    merchant name, up to 25 chars                          yes
60    merchant city, up to 15 chars                          yes
61    postal code                                            no
62    additional data: 05 txid (up to 25 chars, or "***")    yes
63    CRC16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over the   yes
      whole payload up to and including "6304", 4 hex digits
====  =====================================================  ==========

Names and cities are restricted by EMV to the common (ASCII printable) character set:
:func:`ascii_text` strips accents ("São Paulo" -> "Sao Paulo") and drops anything else, and
:func:`encode` applies it and truncates to the field limits. :func:`decode` rejects a payload
with a specific :class:`BRCodeError` ``.reason``: ``tlv_length``, ``crc``, ``missing_field``,
``bad_gui``, ``bad_value`` or ``format``. Generator and parser apply the same rules, so every code
one accepts the other does too; in particular field 54 (amount), when present, is a positive
amount: ``0.00`` is refused both ways (an open amount is a code without field 54).
"""

from __future__ import annotations

import binascii
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

GUI = "br.gov.bcb.pix"
MAX_NAME = 25
MAX_CITY = 15
MAX_TXID = 25
_TXID = re.compile(r"^(\*\*\*|[A-Za-z0-9]{1,25})$")
_AMOUNT = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")


class BRCodeError(ValueError):
    """A BR Code that cannot be built or parsed; ``reason`` is a stable machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class BRCode:
    """The decoded content of a Pix BR Code. Exactly one of ``key`` (static) or ``url`` (dynamic)."""

    merchant_name: str
    merchant_city: str
    key: str | None = None
    url: str | None = None
    amount: Decimal | None = None
    txid: str = "***"
    info: str | None = None
    mcc: str = "0000"
    currency: str = "986"
    country: str = "BR"
    point_of_initiation: str | None = None
    postal_code: str | None = None


def crc16_ccitt_false(data: str) -> str:
    """CRC16/CCITT-FALSE of ``data`` (ASCII) as 4 upper-case hex digits."""
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def ascii_text(value: str) -> str:
    """EMV common character set: accents stripped, non-printable/non-ASCII dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", value)
    kept = "".join(c for c in decomposed if 0x20 <= ord(c) < 0x7F)
    return " ".join(kept.split())


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise BRCodeError("tlv_length", f"field {tag} value is {len(value)} chars, max 99")
    return f"{tag}{len(value):02d}{value}"


def _format_amount(amount: Decimal) -> str:
    """Field 54 text. Decision: the amount is positive (an amount of zero is not payable; a code
    whose payer types the amount leaves field 54 out); :func:`decode` applies the same rule."""
    if not isinstance(amount, Decimal):
        raise BRCodeError("bad_value", f"amount must be a Decimal, got {type(amount).__name__}")
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise BRCodeError("bad_value", f"amount must be positive with at most 2 decimals, got {amount}")
    text = format(amount.quantize(Decimal("0.01")), "f")
    if len(text) > 13:
        raise BRCodeError("bad_value", f"amount {text} longer than 13 chars")
    return text


def encode(code: BRCode) -> str:
    """Build the "copia e cola" payload for ``code`` (names normalised and truncated, CRC appended)."""
    if (code.key is None) == (code.url is None):
        raise BRCodeError("missing_field", "exactly one of key (static) or url (dynamic) is required")
    if not _TXID.match(code.txid):
        raise BRCodeError("bad_value", f"txid must be '***' or 1-25 alphanumerics, got {code.txid!r}")
    name = ascii_text(code.merchant_name)[:MAX_NAME].strip()
    city = ascii_text(code.merchant_city)[:MAX_CITY].strip()
    if not name or not city:
        raise BRCodeError("missing_field", "merchant name and city must be non-empty after normalisation")
    account = _tlv("00", GUI)
    if code.key is not None:
        account += _tlv("01", code.key)
    if code.info:
        account += _tlv("02", ascii_text(code.info))
    if code.url is not None:
        account += _tlv("25", code.url)
    parts = [_tlv("00", "01")]
    if code.point_of_initiation is not None:
        parts.append(_tlv("01", code.point_of_initiation))
    parts += [_tlv("26", account), _tlv("52", code.mcc), _tlv("53", code.currency)]
    if code.amount is not None:
        parts.append(_tlv("54", _format_amount(code.amount)))
    parts += [_tlv("58", code.country), _tlv("59", name), _tlv("60", city)]
    if code.postal_code:
        parts.append(_tlv("61", code.postal_code))
    parts.append(_tlv("62", _tlv("05", code.txid)))
    body = "".join(parts) + "6304"
    return body + crc16_ccitt_false(body)


def _parse_tlv(payload: str, where: str) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(payload):
        if i + 4 > len(payload):
            raise BRCodeError("tlv_length", f"{where}: truncated field header at position {i}")
        tag, length_text = payload[i : i + 2], payload[i + 2 : i + 4]
        if not (tag + length_text).isascii() or not tag.isdigit() or not length_text.isdigit():
            if fields:  # the previous field's declared length ran past its value
                prev_tag, prev_value = fields[-1]
                raise BRCodeError(
                    "tlv_length",
                    f"{where}: field {prev_tag} declares length {len(prev_value)} but the next field header "
                    f"{payload[i : i + 4]!r} at position {i} is not TLV",
                )
            raise BRCodeError("format", f"{where}: bad field header {payload[i : i + 4]!r} at position {i}")
        length = int(length_text)
        end = i + 4 + length
        if end > len(payload):
            raise BRCodeError(
                "tlv_length",
                f"{where}: field {tag} declares length {length} but only {len(payload) - i - 4} chars remain",
            )
        fields.append((tag, payload[i + 4 : end]))
        i = end
    return fields


def _as_dict(fields: list[tuple[str, str]], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag, value in fields:
        if tag in out:
            raise BRCodeError("format", f"{where}: field {tag} appears twice")
        out[tag] = value
    return out


def decode(payload: str) -> BRCode:
    """Parse and validate a BR Code payload; raises :class:`BRCodeError` with a specific reason.

    Field 54 (amount), when present, must be a positive amount with up to 2 decimals: ``0.00`` is
    ``bad_value`` (decided to match :func:`encode`; an open amount is a code without field 54)."""
    if not isinstance(payload, str) or not payload:
        raise BRCodeError("format", "empty payload")
    payload = payload.strip()
    try:
        payload.encode("ascii")
    except UnicodeEncodeError:
        raise BRCodeError("format", "payload has non-ASCII characters") from None
    fields = _parse_tlv(payload, "payload")
    if not fields or fields[-1][0] != "63":
        raise BRCodeError("missing_field", "field 63 (CRC) must be the last field")
    crc_value = fields[-1][1]
    if len(crc_value) != 4:
        raise BRCodeError("tlv_length", f"field 63 (CRC) must have length 4, got {len(crc_value)}")
    expected = crc16_ccitt_false(payload[:-4])
    if crc_value.upper() != expected:
        raise BRCodeError("crc", f"CRC mismatch: expected {expected}, found {crc_value}")
    top = _as_dict(fields, "payload")
    for tag, label in (
        ("00", "payload format indicator"),
        ("26", "merchant account information"),
        ("52", "merchant category code"),
        ("53", "currency"),
        ("58", "country code"),
        ("59", "merchant name"),
        ("60", "merchant city"),
        ("62", "additional data"),
    ):
        if tag not in top:
            raise BRCodeError("missing_field", f"field {tag} ({label}) is missing")
    if fields[0][0] != "00":
        raise BRCodeError("format", "field 00 must be the first field")
    if top["00"] != "01":
        raise BRCodeError("bad_value", f"payload format indicator must be '01', got {top['00']!r}")
    poi = top.get("01")
    if poi is not None and poi not in ("11", "12"):
        raise BRCodeError("bad_value", f"point of initiation must be '11' or '12', got {poi!r}")
    account = _as_dict(_parse_tlv(top["26"], "field 26"), "field 26")
    if "00" not in account:
        raise BRCodeError("missing_field", "field 26.00 (GUI) is missing")
    if account["00"].lower() != GUI:
        raise BRCodeError("bad_gui", f"GUI must be {GUI!r}, found {account['00']!r}")
    key, url = account.get("01"), account.get("25")
    if (key is None) == (url is None):
        raise BRCodeError("missing_field", "field 26 needs exactly one of 01 (key) or 25 (url)")
    if not re.fullmatch(r"[0-9]{4}", top["52"]):
        raise BRCodeError("bad_value", f"merchant category code must be 4 digits, got {top['52']!r}")
    if top["53"] != "986":
        raise BRCodeError("bad_value", f"currency must be '986' (BRL), got {top['53']!r}")
    if top["58"] != "BR":
        raise BRCodeError("bad_value", f"country code must be 'BR', got {top['58']!r}")
    if not 1 <= len(top["59"]) <= MAX_NAME:
        raise BRCodeError("tlv_length", f"merchant name must be 1-{MAX_NAME} chars, got {len(top['59'])}")
    if not 1 <= len(top["60"]) <= MAX_CITY:
        raise BRCodeError("tlv_length", f"merchant city must be 1-{MAX_CITY} chars, got {len(top['60'])}")
    amount = None
    if "54" in top:
        text = top["54"]
        if len(text) > 13 or not _AMOUNT.match(text):
            raise BRCodeError("bad_value", f"amount {text!r} is not a decimal with '.' and up to 2 places")
        try:
            amount = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex already guards this
            raise BRCodeError("bad_value", f"amount {text!r} is not a number") from None
        if amount <= 0:  # same rule as the encoder: field 54 present means a payable amount
            raise BRCodeError("bad_value", f"amount {text!r} is zero: omit field 54 for an open amount")
    extra = _as_dict(_parse_tlv(top["62"], "field 62"), "field 62")
    if "05" not in extra:
        raise BRCodeError("missing_field", "field 62.05 (txid) is missing")
    if not _TXID.match(extra["05"]):
        raise BRCodeError("bad_value", f"txid must be '***' or 1-25 alphanumerics, got {extra['05']!r}")
    return BRCode(
        merchant_name=top["59"],
        merchant_city=top["60"],
        key=key,
        url=url,
        amount=amount,
        txid=extra["05"],
        info=account.get("02"),
        mcc=top["52"],
        currency=top["53"],
        country=top["58"],
        point_of_initiation=poi,
        postal_code=top.get("61"),
    )
