"""cofre_native.hmac_sha256_hex / hmac_sha256_u64 equal Python's hmac module."""

from __future__ import annotations

import hashlib
import hmac

import cofre_native as cn
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


def ref_hex(key: bytes, v: str) -> str:
    return hmac.new(key, v.encode(), hashlib.sha256).hexdigest()


@settings(max_examples=50, deadline=None)
@given(key=st.binary(max_size=100), values=st.lists(TEXT, max_size=30))
def test_matches_python_hmac(key, values):
    assert cn.hmac_sha256_hex(key, values) == [ref_hex(key, v) for v in values]
    assert cn.hmac_sha256_u64(key, values) == [int(ref_hex(key, v)[:16], 16) for v in values]


def test_large_parallel_input_and_bytes_values():
    key = b"pseudonymisation-key"
    values = [f"{i:011d}" for i in range(20_000)]  # CPF-like
    got = cn.hmac_sha256_hex(key, values)
    assert got == [ref_hex(key, v) for v in values]
    assert cn.hmac_sha256_hex(key, [b"\xff\x00"]) == [hmac.new(key, b"\xff\x00", hashlib.sha256).hexdigest()]
    assert all(0 <= x < 2**64 for x in cn.hmac_sha256_u64(key, values[:100]))


def test_bad_values():
    with pytest.raises(TypeError, match=r"values\[1\]"):
        cn.hmac_sha256_hex(b"k", ["a", 3])
    with pytest.raises(TypeError, match="key"):
        cn.hmac_sha256_hex("k", ["a"])
