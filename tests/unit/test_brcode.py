"""BR Code: the BCB manual's example, round-trips (hypothesis) and rejection reasons."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.domain.brcode import BRCode, BRCodeError, ascii_text, crc16_ccitt_false, decode, encode

MANUAL = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


def _with_crc(body_without_crc: str) -> str:
    body = body_without_crc + "6304"
    return body + crc16_ccitt_false(body)


def test_manual_example_parses_with_crc_1d3d():
    assert crc16_ccitt_false(MANUAL[:-4]) == "1D3D"
    code = decode(MANUAL)
    assert code.key == "123e4567-e12b-12d1-a456-426655440000"
    assert code.merchant_name == "Fulano de Tal" and code.merchant_city == "BRASILIA"
    assert code.txid == "***" and code.amount is None and code.url is None
    assert encode(code) == MANUAL


def test_crc16_ccitt_false_check_value():
    # the catalogue check value of CRC-16/CCITT-FALSE over "123456789"
    assert crc16_ccitt_false("123456789") == "29B1"


def test_wrong_crc_is_rejected_with_expected_and_found():
    bad = MANUAL[:-4] + "ABCD"
    with pytest.raises(BRCodeError) as err:
        decode(bad)
    assert err.value.reason == "crc"
    assert "expected 1D3D" in str(err.value) and "found ABCD" in str(err.value)


def test_tampered_payload_is_rejected_by_crc():
    with pytest.raises(BRCodeError) as err:
        decode(MANUAL.replace("Fulano", "Fulana"))
    assert err.value.reason == "crc"


def test_wrong_tlv_length_is_rejected():
    # field 59 declares 30 chars; the CRC is recomputed so only the length is wrong
    body = MANUAL[:-8].replace("5913Fulano de Tal", "5930Fulano de Tal")
    with pytest.raises(BRCodeError) as err:
        decode(_with_crc(body))
    assert err.value.reason == "tlv_length"


def test_truncated_payload_is_rejected_with_tlv_length():
    with pytest.raises(BRCodeError) as err:
        decode(MANUAL[:40])
    assert err.value.reason == "tlv_length"


def test_wrong_crc_field_length():
    with pytest.raises(BRCodeError) as err:
        decode(MANUAL[:-8] + "63031D3")
    assert err.value.reason == "tlv_length"


def test_missing_mandatory_field():
    body = MANUAL[:-8].replace("6008BRASILIA", "")
    with pytest.raises(BRCodeError) as err:
        decode(_with_crc(body))
    assert err.value.reason == "missing_field" and "60" in str(err.value)


def test_bad_gui():
    body = MANUAL[:-8].replace("0014br.gov.bcb.pix", "0014br.gov.bcb.pox")
    with pytest.raises(BRCodeError) as err:
        decode(_with_crc(body))
    assert err.value.reason == "bad_gui"


def test_key_and_url_both_missing():
    body = MANUAL[:-8].replace(
        "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000", "26180014br.gov.bcb.pix"
    )
    with pytest.raises(BRCodeError) as err:
        decode(_with_crc(body))
    assert err.value.reason == "missing_field"


def test_bad_amount_value():
    body = MANUAL[:-8].replace("5802BR", "54041,005802BR")
    with pytest.raises(BRCodeError) as err:
        decode(_with_crc(body))
    assert err.value.reason == "bad_value"


def test_accents_are_normalised_to_ascii():
    code = BRCode(
        merchant_name="João Conceição Araújo",
        merchant_city="São Paulo",
        key="a@b.com.br",
        amount=Decimal("10.50"),
        txid="PEDIDO123",
    )
    parsed = decode(encode(code))
    assert parsed.merchant_name == "Joao Conceicao Araujo"
    assert parsed.merchant_city == "Sao Paulo"
    assert parsed.amount == Decimal("10.50") and parsed.txid == "PEDIDO123"


def test_encode_rejects_float_amount_and_bad_txid():
    with pytest.raises(BRCodeError):
        encode(BRCode(merchant_name="A", merchant_city="B", key="k", amount=10.5))  # type: ignore[arg-type]
    with pytest.raises(BRCodeError):
        encode(BRCode(merchant_name="A", merchant_city="B", key="k", txid="has space"))


_keys = st.one_of(
    st.uuids().map(str),
    st.from_regex(r"\A[0-9]{11}\Z"),
    st.from_regex(r"\A\+55[1-9][0-9]{10}\Z"),
    st.from_regex(r"\A[a-z0-9._]{1,20}@[a-z]{2,10}\.com\.br\Z"),
)
_names = st.text(alphabet=string.ascii_letters + " áàâãéêíóôõúçÁÉÍÓÚÇñ'-.", min_size=1, max_size=40).filter(
    lambda s: ascii_text(s) != ""
)
_amounts = st.one_of(
    st.none(), st.integers(min_value=1, max_value=99_999_999_99).map(lambda c: Decimal(c) / 100)
)
_txids = st.one_of(st.just("***"), st.from_regex(r"\A[A-Za-z0-9]{1,25}\Z"))


@settings(max_examples=300, deadline=None)
@given(key=_keys, name=_names, city=_names, amount=_amounts, txid=_txids)
def test_round_trip_static(key, name, city, amount, txid):
    code = BRCode(merchant_name=name, merchant_city=city, key=key, amount=amount, txid=txid)
    payload = encode(code)
    parsed = decode(payload)
    assert parsed.key == key and parsed.txid == txid
    assert parsed.amount == (None if amount is None else amount.quantize(Decimal("0.01")))
    assert parsed.merchant_name == ascii_text(name)[:25].strip()
    assert parsed.merchant_city == ascii_text(city)[:15].strip()
    assert encode(parsed) == payload  # canonical form is stable


@settings(max_examples=100, deadline=None)
@given(host=st.from_regex(r"\A[a-z]{3,12}\.com\.br/qr/v2/[a-f0-9]{32}\Z"), amount=_amounts)
def test_round_trip_dynamic(host, amount):
    code = BRCode(
        merchant_name="Loja", merchant_city="Recife", url=host, amount=amount, point_of_initiation="12"
    )
    parsed = decode(encode(code))
    assert parsed.url == host and parsed.key is None and parsed.point_of_initiation == "12"


@settings(max_examples=200, deadline=None)
@given(pos=st.integers(min_value=0, max_value=len(MANUAL) - 5), ch=st.sampled_from("0123456789ABCXYZ"))
def test_any_single_char_change_is_rejected(pos, ch):
    mutated = MANUAL[:pos] + ch + MANUAL[pos + 1 :]
    if mutated == MANUAL:
        return
    with pytest.raises(BRCodeError):
        decode(mutated)


# --- issue 20, defect 7: an amount of zero is refused by the parser as by the generator -----------


@pytest.mark.parametrize("text", ["0.00", "0", "0.0", "00.00"])
def test_zero_amount_is_refused_by_decoder_like_encoder(text):
    """Decision (see :func:`lake.domain.brcode.decode`): field 54 present means a payable amount, so
    zero is ``bad_value`` both ways; an open amount is written by leaving field 54 out."""
    with pytest.raises(BRCodeError) as err:
        encode(BRCode(merchant_name="A", merchant_city="B", key="k", amount=Decimal(text)))
    assert err.value.reason == "bad_value"
    body = MANUAL[:-8].replace("5802BR", f"54{len(text):02d}{text}5802BR")
    with pytest.raises(BRCodeError) as err:
        decode(_with_crc(body))
    assert err.value.reason == "bad_value"
    assert decode(MANUAL).amount is None  # no field 54: the payer types the amount


@given(amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2))
def test_every_amount_the_decoder_accepts_the_encoder_writes(amount):
    body = MANUAL[:-8].replace("5802BR", f"54{len(str(amount)):02d}{amount}5802BR")
    parsed = decode(_with_crc(body))
    again = decode(encode(parsed))
    assert parsed.amount == again.amount == amount
