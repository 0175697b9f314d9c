"""cofre_native: the typed Python API of cofre's Rust core.

The compiled extension is the private submodule ``cofre_native._native`` (built by maturin from
native/src, stub ``_native.pyi``). This module is what the rest of cofre imports. It

* gives every function a typed signature and typed results: :class:`WindowFeatures` instead
  of a 10-tuple, :class:`DecodedColumn` and :class:`MerkleStep` named tuples;
* re-exports the exceptions the extension defines in Rust: :class:`CofreNativeError` (a
  ``ValueError``) and one subclass per kind of bad input (:class:`EnvelopeError`,
  :class:`JsonDeclinedError`, ...); wrong Python types still raise ``TypeError``;
* is the one place that decides what happens when the extension is not importable (a source
  checkout that was not built): :func:`available` says so, the HMAC and hash-chain functions
  then compute the same results in pure Python (hashlib/hmac), and the others raise
  :class:`NativeUnavailableError` so that callers take their own path (sklearn, numpy, polars).

See native/README.md for what each function computes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from types import ModuleType

    import numpy as np
    import numpy.typing as npt
    import scipy.sparse

try:
    from . import _native as _ext
    from ._native import (
        ArgumentError,
        ArrowInputError,
        CofreNativeError,
        EnvelopeError,
        JsonDeclinedError,
        LedgerError,
        ThreadsError,
        WindowInputError,
    )

    _IMPORT_ERROR: ImportError | None = None
except ImportError as exc:  # pragma: no cover - only in an unbuilt source checkout
    _ext = None
    _IMPORT_ERROR = exc

    # Stand-ins with the same hierarchy, so that ``except cofre_native.X`` still works.
    class CofreNativeError(ValueError):  # type: ignore[no-redef]
        """Base class of the errors cofre_native raises about the values it is given."""

    class ArgumentError(CofreNativeError):  # type: ignore[no-redef]
        """An argument outside what the function accepts."""

    class ThreadsError(CofreNativeError):  # type: ignore[no-redef]
        """threads=... or COFRE_NATIVE_THREADS is not a positive integer."""

    class ArrowInputError(CofreNativeError):  # type: ignore[no-redef]
        """The Arrow stream cannot be read."""

    class LedgerError(CofreNativeError):  # type: ignore[no-redef]
        """A hash-chain or Merkle input is malformed."""

    class EnvelopeError(CofreNativeError):  # type: ignore[no-redef]
        """A Stellar envelope or one of its public keys is malformed."""

        index: int

    class JsonDeclinedError(CofreNativeError):  # type: ignore[no-redef]
        """json_decode declines the rows."""

    class WindowInputError(CofreNativeError):  # type: ignore[no-redef]
        """window_features inputs disagree."""


__all__ = [
    "ArgumentError",
    "ArrowInputError",
    "CofreNativeError",
    "DecodedColumn",
    "EnvelopeError",
    "JsonDeclinedError",
    "LedgerError",
    "MerkleStep",
    "NativeUnavailableError",
    "ThreadsError",
    "WindowFeatures",
    "WindowInputError",
    "available",
    "chain_hash",
    "chain_hashes",
    "envelope_hashes",
    "feature_hash",
    "hmac_sha256_hex",
    "hmac_sha256_u64",
    "json_decode",
    "merkle_proof",
    "merkle_root",
    "verify_chain",
    "verify_envelopes",
    "verify_merkle_proof",
    "version",
    "window_features",
]

__version__: str = _ext.__version__ if _ext is not None else "0+unbuilt"


class NativeUnavailableError(ImportError):
    """The extension is not built, and the called function has no pure-Python equivalent."""


def available() -> bool:
    """Whether the compiled extension is importable (it is in every installed build)."""
    return _ext is not None


def _loaded() -> ModuleType:
    if _ext is None:
        raise NativeUnavailableError(
            f"cofre_native's extension is not built ({_IMPORT_ERROR}); run `make env`"
        )
    return _ext


# ---------------------------------------------------------------- typed results


class DecodedColumn(NamedTuple):
    """One shape node decoded by :func:`json_decode`: validity per row, and the values:
    ``(offsets, data)`` arrays for "str", an array for "i64"/"bool", None for "struct"."""

    valid: npt.NDArray[np.bool_]
    values: Any


class MerkleStep(NamedTuple):
    """One step of an audit path, leaf level first."""

    sibling: bytes
    sibling_is_left: bool


@dataclass(frozen=True, slots=True)
class WindowFeatures:
    """Per-row window aggregates from :func:`window_features`, aligned with the input rows.

    ``counts``, ``sums`` and ``distinct`` hold one array per requested window (in the order
    given). Where a flag (``max_null``, ``has_login``, ``has_device_change``) says there is no
    value, the matching value column is unspecified."""

    counts: list[npt.NDArray[np.int32]]
    sums: list[npt.NDArray[np.int64]]
    distinct: list[npt.NDArray[np.int32]]
    max_amount: npt.NDArray[np.int64]
    max_null: npt.NDArray[np.bool_]
    first_counterparty: npt.NDArray[np.bool_]
    last_login: npt.NDArray[np.int64]
    has_login: npt.NDArray[np.bool_]
    last_device_change: npt.NDArray[np.int64]
    has_device_change: npt.NDArray[np.bool_]


# ---------------------------------------------------------------- functions


def version() -> str:
    """The crate version."""
    return str(_loaded().version())


def feature_hash(
    df: Any, n_features: int = 1048576, alternate_sign: bool = True, *, threads: int | None = None
) -> scipy.sparse.csr_matrix:
    """Hash a polars DataFrame / pyarrow Table (anything exporting ``__arrow_c_stream__``)
    into a float64 CSR matrix equal to sklearn's ``FeatureHasher(input_type="string")`` after
    its ``sum_duplicates()``. ArgumentError for n_features outside [1, 2**31 - 1],
    ArrowInputError for unreadable streams or unsupported column types, TypeError for
    non-Arrow input."""
    return _loaded().feature_hash(df, n_features, alternate_sign, threads=threads)


def _hmac_digest(key: bytes, value: str | bytes) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return hmac.new(key, data, hashlib.sha256).digest()


def hmac_sha256_hex(key: bytes, values: Sequence[str | bytes], *, threads: int | None = None) -> list[str]:
    """``hmac.new(key, v, sha256).hexdigest()`` of each value (UTF-8 for str)."""
    if _ext is None:
        return [_hmac_digest(key, v).hex() for v in values]
    return list(_ext.hmac_sha256_hex(key, values, threads=threads))


def hmac_sha256_u64(key: bytes, values: Sequence[str | bytes], *, threads: int | None = None) -> list[int]:
    """First 8 bytes of HMAC-SHA-256 of each value, as a big-endian unsigned int."""
    if _ext is None:
        return [int.from_bytes(_hmac_digest(key, v)[:8], "big") for v in values]
    return list(_ext.hmac_sha256_u64(key, values, threads=threads))


def _hash32(value: bytes, what: str) -> bytes:
    if len(value) != 32:
        raise LedgerError(f"{what} has {len(value)} bytes, expected 32")
    return value


def chain_hash(prev_hash: bytes, payload: bytes) -> bytes:
    """SHA-256(prev_hash || payload); LedgerError unless prev_hash has 32 bytes."""
    if _ext is None:
        return hashlib.sha256(_hash32(prev_hash, "prev_hash") + payload).digest()
    return bytes(_ext.chain_hash(prev_hash, payload))


def chain_hashes(genesis: bytes, payloads: Sequence[bytes]) -> list[bytes]:
    """Hashes of the chain over ``payloads`` starting at ``genesis`` (32 bytes)."""
    if _ext is None:
        out, prev = [], _hash32(genesis, "genesis")
        for p in payloads:
            prev = hashlib.sha256(prev + p).digest()
            out.append(prev)
        return out
    return list(_ext.chain_hashes(genesis, payloads))


def verify_chain(
    prev_hashes: Sequence[bytes],
    payloads: Sequence[bytes],
    hashes: Sequence[bytes],
    *,
    threads: int | None = None,
) -> int | None:
    """Index of the first record whose hash != SHA-256(prev_hash || payload) or whose
    prev_hash != the previous record's hash; None if the chain is intact. LedgerError naming
    the record for a hash that is not 32 bytes, or lengths that differ."""
    if _ext is not None:
        result: int | None = _ext.verify_chain(prev_hashes, payloads, hashes, threads=threads)
        return result
    if not len(prev_hashes) == len(payloads) == len(hashes):
        raise LedgerError(
            "prev_hashes, payloads and hashes must have the same length "
            f"(got {len(prev_hashes)}, {len(payloads)}, {len(hashes)})"
        )
    for i, (prev, h) in enumerate(zip(prev_hashes, hashes, strict=True)):
        _hash32(prev, f"record {i}: prev_hash")
        _hash32(h, f"record {i}: hash")
    for i, (prev, payload, h) in enumerate(zip(prev_hashes, payloads, hashes, strict=True)):
        if (i and prev != hashes[i - 1]) or hashlib.sha256(prev + payload).digest() != h:
            return i
    return None


def merkle_root(leaves: Sequence[bytes], *, threads: int | None = None) -> bytes:
    """RFC 6962 Merkle root (leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || l || r),
    an unpaired last node promoted); the empty tree's root is SHA-256(b"")."""
    return bytes(_loaded().merkle_root(leaves, threads=threads))


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[MerkleStep]:
    """Audit path of leaf ``index``, leaf level first. IndexError if out of range."""
    return [MerkleStep(bytes(h), bool(left)) for h, left in _loaded().merkle_proof(leaves, index)]


def verify_merkle_proof(leaf: bytes, proof: Sequence[tuple[bytes, bool]], root: bytes) -> bool:
    """True iff hashing leaf data ``leaf`` up ``proof`` gives ``root``."""
    return bool(_loaded().verify_merkle_proof(leaf, proof, root))


def verify_envelopes(
    envelopes_b64: Sequence[str],
    network_passphrase: str,
    public_keys: Sequence[Sequence[str]],
    *,
    threads: int | None = None,
) -> list[bool]:
    """For each base64 TransactionEnvelope (v0, v1 or fee bump): True iff every signature
    group is non-empty and every signature verifies (as libsodium / ed25519-dalek's
    ``verify_strict`` decide) by a key of ``public_keys[i]`` whose hint matches. EnvelopeError
    (with ``.index``) for bad base64, malformed XDR or a bad strkey."""
    return list(_loaded().verify_envelopes(envelopes_b64, network_passphrase, public_keys, threads=threads))


def envelope_hashes(
    envelopes_b64: Sequence[str], network_passphrase: str, *, threads: int | None = None
) -> list[bytes]:
    """Transaction hash of each envelope (the fee-bump hash for fee bumps), as stellar-sdk's
    ``hash()``. EnvelopeError (with ``.index``) if one is malformed."""
    return list(_loaded().envelope_hashes(envelopes_b64, network_passphrase, threads=threads))


def json_decode(
    shape: Sequence[tuple[str, str, Sequence[int]]],
    offsets: npt.NDArray[np.int64] | npt.NDArray[np.uint8],
    data: npt.NDArray[np.uint8] | Sequence[npt.NDArray[np.uint8]],
    *,
    views: bool = False,
    threads: int | None = None,
) -> list[DecodedColumn]:
    """Decode JSON object rows of an Arrow string column into typed columns, one per shape
    node (see native/README.md). JsonDeclinedError when a row does not fit the shape (the
    caller then decodes another way), ArgumentError for a malformed shape or buffers."""
    cols = _loaded().json_decode(shape, offsets, data, views=views, threads=threads)
    return [DecodedColumn(valid, values) for valid, values in cols]


def window_features(
    cid: npt.NDArray[np.int64],
    t: npt.NDArray[np.int64],
    amount: npt.NDArray[np.int64],
    cp: npt.NDArray[np.int64],
    cp_valid: npt.NDArray[np.bool_],
    new_device: npt.NDArray[np.bool_],
    login_cid: npt.NDArray[np.int64],
    login_t: npt.NDArray[np.int64],
    dev_cid: npt.NDArray[np.int64],
    dev_t: npt.NDArray[np.int64],
    windows: Sequence[int],
    distinct_windows: Sequence[int],
    max_window: int,
    *,
    threads: int | None = None,
) -> WindowFeatures:
    """Per-customer ``[t - w, t)`` window aggregates over rows sorted by (cid, t); events
    sorted by (cid, t). WindowInputError when the inputs disagree."""
    counts, sums, distinct, mx, mx_null, first, login, has_login, dev, has_dev = _loaded().window_features(
        cid,
        t,
        amount,
        cp,
        cp_valid,
        new_device,
        login_cid,
        login_t,
        dev_cid,
        dev_t,
        windows,
        distinct_windows,
        max_window,
        threads=threads,
    )
    return WindowFeatures(
        counts=list(counts),
        sums=list(sums),
        distinct=list(distinct),
        max_amount=mx,
        max_null=mx_null,
        first_counterparty=first,
        last_login=login,
        has_login=has_login,
        last_device_change=dev,
        has_device_change=has_dev,
    )
