"""Type stubs for cofre_native, the Rust core of cofre (see native/README.md)."""

from collections.abc import Sequence
from typing import Any

import scipy.sparse

__version__: str

def version() -> str:
    """The crate version."""

def feature_hash(
    df: Any, n_features: int = 1048576, alternate_sign: bool = True, *, threads: int | None = None
) -> scipy.sparse.csr_matrix:
    """Hash a polars DataFrame / pyarrow Table (anything exporting ``__arrow_c_stream__``).

    String cell ``v`` of column ``c`` -> token ``f"{c}={v}"`` with value 1; numeric/boolean
    cell ``x`` -> token ``c`` with value ``x`` (sklearn's dict input); null and zero cells are
    skipped. Equal to ``FeatureHasher(n_features, input_type="string",
    alternate_sign=alternate_sign).transform(tokens)`` after its ``sum_duplicates()``:
    indices sorted within each row, duplicates summed, explicit zeros (+1 -1 collisions) kept.
    Returns float64 CSR of shape (n_rows, n_features); zero rows give a (0, n_features)
    matrix (sklearn raises instead). Raises ValueError for n_features outside [1, 2**31-1]
    or unsupported column types, TypeError for non-Arrow input.
    """

def hmac_sha256_hex(key: bytes, values: Sequence[str | bytes], *, threads: int | None = None) -> list[str]:
    """``hmac.new(key, v.encode(), hashlib.sha256).hexdigest()`` for each value."""

def hmac_sha256_u64(key: bytes, values: Sequence[str | bytes], *, threads: int | None = None) -> list[int]:
    """First 8 bytes of HMAC-SHA-256 of each value as a big-endian unsigned int."""

def chain_hash(prev_hash: bytes, payload: bytes) -> bytes:
    """SHA-256(prev_hash || payload); prev_hash must be 32 bytes."""

def chain_hashes(genesis: bytes, payloads: Sequence[bytes]) -> list[bytes]:
    """Hashes of the chain over ``payloads`` starting at ``genesis`` (32 bytes)."""

def verify_chain(
    prev_hashes: Sequence[bytes],
    payloads: Sequence[bytes],
    hashes: Sequence[bytes],
    *,
    threads: int | None = None,
) -> int | None:
    """Index of the first record whose hash != SHA-256(prev_hash || payload) or whose
    prev_hash != the previous record's hash; None if the chain is intact. prev_hashes[0] is
    taken as given (genesis). ValueError naming the record for a hash that is not 32 bytes."""

def merkle_root(leaves: Sequence[bytes], *, threads: int | None = None) -> bytes:
    """RFC 6962 Merkle root: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || l || r),
    split at the largest power of two below n (an unpaired last node is promoted, never
    duplicated). The empty tree's root is SHA-256(b"")."""

def merkle_proof(leaves: Sequence[bytes], index: int) -> list[tuple[bytes, bool]]:
    """Audit path of leaf ``index``, leaf level first: (sibling_hash, sibling_is_left).
    IndexError if index is out of range."""

def verify_merkle_proof(leaf: bytes, proof: Sequence[tuple[bytes, bool]], root: bytes) -> bool:
    """True iff hashing leaf data ``leaf`` up ``proof`` gives ``root``."""

def verify_envelopes(
    envelopes_b64: Sequence[str],
    network_passphrase: str,
    public_keys: Sequence[Sequence[str]],
    *,
    threads: int | None = None,
) -> list[bool]:
    """For each base64 TransactionEnvelope (v0, v1 or fee bump): True iff it has at least one
    signature and every decorated signature is a valid ed25519 signature, by a key of
    ``public_keys[i]`` whose hint matches, over the transaction hash for the passphrase. For
    fee bumps both the outer signatures (fee-bump hash) and the inner transaction's
    signatures (inner hash) must verify, and each group needs at least one. ValueError
    naming the envelope index for bad base64, malformed XDR or a bad strkey."""

def envelope_hashes(
    envelopes_b64: Sequence[str], network_passphrase: str, *, threads: int | None = None
) -> list[bytes]:
    """Transaction hash of each envelope (the fee-bump hash for fee bumps), equal to
    stellar-sdk's ``TransactionEnvelope.hash()``. ValueError naming the index if malformed."""
