"""Pseudonymisation: identical to Python's hmac, normalisation rules, no clear identifier in silver-like output."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lake_helpers import use_tmp_lake

from lake import pseudonym
from lake.settings import get_settings

KEY = b"test-key"


def _py(value: str, key: bytes = KEY) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def test_active_backend_matches_python_hmac():
    values = ["12345678909", "a@b.com", "JOSE DA SILVA", "ção", ""] + [str(i) for i in range(5000)]
    assert pseudonym.hmac_hex(values, KEY) == [_py(v) for v in values]


def test_python_fallback_matches_native_when_available():
    values = [f"{i:011d}" for i in range(10_000)]
    forced = pseudonym.hmac_hex(values, KEY, force_python=True)
    assert forced == [_py(v) for v in values]
    if pseudonym.backend() != "native":
        pytest.skip("cofre_native has no hmac_sha256_hex in this build: fallback in use")
    assert pseudonym.hmac_hex(values, KEY) == forced


def test_normalisation_rules():
    s = pseudonym.normalise
    assert s(pl.Series(["123.456.789-09", "12345678909", " ", None]), "cpf").to_list() == [
        "12345678909",
        "12345678909",
        None,
        None,
    ]
    assert s(pl.Series([" Ana@Example.COM "]), "email").to_list() == ["ana@example.com"]
    assert s(pl.Series(["(11) 98765-4321", "+55 11 98765-4321"]), "phone").to_list() == ["+5511987654321"] * 2
    assert s(pl.Series(["José  da Silva", "JOSE DA SILVA "]), "name").to_list() == ["JOSE DA SILVA"] * 2
    keys = pl.Series(
        ["123.456.789-09", "Ana@Example.com", "+5511987654321", "123E4567-E89B-12D3-A456-426614174000"]
    )
    assert s(keys, "pix_key").to_list() == [
        "12345678909",
        "ana@example.com",
        "+5511987654321",
        "123e4567-e89b-12d3-a456-426614174000",
    ]
    typed = s(pl.Series(["123.456.789-09"]), "pix_key", key_type=pl.Series(["CPF"]))
    assert typed.to_list() == ["12345678909"]


def test_pseudonymise_series_is_keyed_stable_and_null_preserving():
    out = pseudonym.pseudonymise(pl.Series("cpf", ["123.456.789-09", "12345678909", None]), "cpf", key=KEY)
    assert out.name == "cpf"
    assert out.to_list() == [_py("12345678909"), _py("12345678909"), None]
    other = pseudonym.pseudonymise(pl.Series(["12345678909"]), "cpf", key=b"other-key")
    assert other[0] != out[0]
    # a PIX key of type CPF joins to the customer's pseudonym
    assert pseudonym.pseudonymise_one("123.456.789-09", "pix_key", key=KEY) == out[0]


def test_default_key_comes_from_settings(monkeypatch, tmp_path):
    use_tmp_lake(monkeypatch, tmp_path)
    monkeypatch.setenv("COFRE_PSEUDONYM_KEY", "k-from-env")
    get_settings.cache_clear()
    assert pseudonym.pseudonymise_one("529.982.247-25", "cpf") == _py("52998224725", b"k-from-env")


def test_no_clear_identifier_in_silver_like_output():
    world = pl.DataFrame(
        {
            "customer_id": ["CUS1", "CUS2"],
            "cpf": ["529.982.247-25", "111.444.777-35"],
            "name": ["José da Silva", "Maria Souza"],
            "email": ["jose@x.com", "maria@y.com"],
        }
    )
    out = pseudonym.pseudonymise_columns(world, {"cpf": "cpf", "name": "name", "email": "email"}, key=KEY)
    assert set(out.columns) == {"customer_id", "cpf_pk", "name_pk", "email_pk"}
    text = out.write_csv()
    for clear in (
        "52998224725",
        "529.982.247-25",
        "11144477735",
        "José",
        "Maria",
        "jose@x.com",
        "maria@y.com",
    ):
        assert clear not in text
    assert all(len(v) == 64 for v in out["cpf_pk"])


# --- the one-value fast path equals the batch path ----------------------------------------------

_ASCII = "".join(chr(c) for c in range(128))
_ALPHABET = _ASCII + "çãéÁ\u00a0\u2003\u0660１ＡＫ"  # a few non-ASCII (fallback path) characters
_KEY_TYPES = [None, "CPF", "cnpj", "EMAIL", "phone", "EVP", "", "x"]


def _batch(value, kind, key_type):
    kt = pl.Series([key_type], dtype=pl.String) if key_type is not None else None
    return pseudonym.pseudonymise(pl.Series([value], dtype=pl.String), kind, key_type=kt, key=KEY)[0]


_values = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=40),
    st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1f+-.()@0123456789abcdefABCDEF", max_size=40),
    st.uuids()
    .map(str)
    .flatmap(lambda u: st.sampled_from([u, u.upper(), f" {u}\n", f"{u}x", u.replace("-", "")])),
    st.sampled_from(
        [
            "123.456.789-09",
            " Ana@Example.COM ",
            "(11) 98765-4321",
            "+55 11 98765-4321",
            "José  da Silva",
            "JOSE DA SILVA ",
            " ",
            "",
            "+",
            "@",
        ]
    ),
)


@settings(max_examples=400, deadline=None)
@given(value=_values, kind=st.sampled_from(pseudonym.KINDS), key_type=st.sampled_from(_KEY_TYPES))
def test_pseudonymise_one_equals_batch(value, kind, key_type):
    kt = key_type if kind == "pix_key" else None
    assert pseudonym.pseudonymise_one(value, kind, key_type=kt, key=KEY) == _batch(value, kind, kt)


def test_pseudonymise_one_takes_the_plain_python_path_for_ascii_only():
    assert pseudonym.normalise_one(" Ana@Example.COM ", "pix_key") == "ana@example.com"
    assert pseudonym.normalise_one("José", "name") is pseudonym._UNHANDLED
    assert pseudonym.pseudonymise_one(None, "cpf", key=KEY) is None
    assert pseudonym.pseudonymise_one("..-", "cpf", key=KEY) is None
    with pytest.raises(ValueError):
        pseudonym.pseudonymise_one("1", "nope", key=KEY)  # type: ignore[arg-type]


def test_pseudonym_int_is_the_first_60_bits_of_the_pseudonym():
    from lake.pseudonym import pseudonym_int, pseudonymise

    pks = pseudonymise(pl.Series(["123.456.789-09", "987.654.321-00", None]), "cpf", key=b"k")
    got = pl.select(pseudonym_int(pl.lit(pks))).to_series()
    assert got.dtype == pl.Int64
    assert got.to_list() == [int(pks[0][:15], 16), int(pks[1][:15], 16), None]
    assert 0 <= got[0] < 2**60
