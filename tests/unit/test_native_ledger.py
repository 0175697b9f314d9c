"""cofre_native hash chain and RFC 6962 Merkle tree against Python reference implementations."""

from __future__ import annotations

import hashlib

import cofre_native as cn
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

GENESIS = bytes(32)


def sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def ref_chain(payloads: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    prevs, hashes, prev = [], [], GENESIS
    for p in payloads:
        prevs.append(prev)
        prev = sha(prev + p)
        hashes.append(prev)
    return prevs, hashes


# RFC 6962 section 2.1, written from the definition (recursive split at the largest power of 2 < n).
def mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return sha(b"")
    if n == 1:
        return sha(b"\x00" + d[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return sha(b"\x01" + mth(d[:k]) + mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[tuple[bytes, bool]]:
    n = len(d)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return ref_path(m, d[:k]) + [(mth(d[k:]), False)]
    return ref_path(m - k, d[k:]) + [(mth(d[:k]), True)]


payload_lists = st.lists(st.binary(max_size=64), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(payloads=payload_lists, data=st.data())
def test_chain_tamper_reports_first_bad_index(payloads, data):
    prevs, hashes = ref_chain(payloads)
    assert cn.chain_hashes(GENESIS, payloads) == hashes
    assert cn.chain_hash(prevs[-1], payloads[-1]) == hashes[-1]
    assert cn.verify_chain(prevs, payloads, hashes) is None
    i = data.draw(st.integers(0, len(payloads) - 1))
    field = data.draw(st.sampled_from(["prev", "payload", "hash"] if payloads[i] else ["prev", "hash"]))
    lists = {"prev": list(prevs), "payload": list(payloads), "hash": list(hashes)}
    target = bytearray(lists[field][i])
    pos = data.draw(st.integers(0, len(target) - 1))
    target[pos] ^= data.draw(st.integers(1, 255))
    lists[field][i] = bytes(target)
    assert cn.verify_chain(lists["prev"], lists["payload"], lists["hash"]) == i


def test_large_chain_parallel_path():
    payloads = [f'{{"event": {i}, "amount_cents": {i * 7}}}'.encode() for i in range(20_000)]
    prevs, hashes = ref_chain(payloads)
    assert cn.verify_chain(prevs, payloads, hashes) is None
    for i in (0, 1, 4095, 10_000, 19_999):
        bad = list(payloads)
        bad[i] = bad[i] + b" "
        assert cn.verify_chain(prevs, bad, hashes) == i
    # Two breaks: the first is reported.
    bad_h = list(hashes)
    bad_h[15_000] = bytes(32)
    bad_p = list(payloads)
    bad_p[3] = b"x"
    assert cn.verify_chain(prevs, bad_p, bad_h) == 3


def test_chain_malformed_inputs():
    prevs, hashes = ref_chain([b"a", b"b", b"c"])
    with pytest.raises(cn.LedgerError, match="record 1: hash has 31 bytes"):
        cn.verify_chain(prevs, [b"a", b"b", b"c"], [hashes[0], hashes[1][:31], hashes[2]])
    with pytest.raises(ValueError, match="record 2: prev_hash"):
        cn.verify_chain(prevs[:2] + [b"x"], [b"a", b"b", b"c"], hashes)
    with pytest.raises(cn.LedgerError, match="same length"):
        cn.verify_chain(prevs, [b"a", b"b"], hashes)
    with pytest.raises(TypeError, match=r"payloads\[1\]"):
        cn.verify_chain(prevs, [b"a", "b", b"c"], hashes)
    with pytest.raises(ValueError, match="prev_hash"):
        cn.chain_hash(b"short", b"x")
    assert cn.verify_chain([], [], []) is None


@pytest.mark.parametrize("n", range(1, 51))
def test_merkle_every_proof(n):
    leaves = [f"leaf-{i}".encode() for i in range(n)]
    root = cn.merkle_root(leaves)
    assert root == mth(leaves)
    for i in range(n):
        proof = cn.merkle_proof(leaves, i)
        assert proof == ref_path(i, leaves)
        assert cn.verify_merkle_proof(leaves[i], proof, root)
        assert not cn.verify_merkle_proof(leaves[i] + b"!", proof, root)
        assert not cn.verify_merkle_proof(leaves[i], proof, sha(root))
        if proof:
            sib, left = proof[-1]
            assert not cn.verify_merkle_proof(leaves[i], proof[:-1] + [(sib, not left)], root)
            assert not cn.verify_merkle_proof(leaves[(i + 1) % n], proof, root)


def test_merkle_empty_large_and_errors():
    assert cn.merkle_root([]) == sha(b"")
    leaves = [i.to_bytes(4, "big") for i in range(5000)]  # parallel path
    assert cn.merkle_root(leaves) == mth(leaves)
    assert cn.verify_merkle_proof(leaves[4097], cn.merkle_proof(leaves, 4097), mth(leaves))
    with pytest.raises(IndexError):
        cn.merkle_proof(leaves, 5000)
    with pytest.raises(IndexError):
        cn.merkle_proof([], 0)
    with pytest.raises(ValueError, match="root"):
        cn.verify_merkle_proof(b"x", [], b"short")
    with pytest.raises(cn.LedgerError, match=r"proof\[0\]"):
        cn.verify_merkle_proof(b"x", [(b"short", True)], bytes(32))
