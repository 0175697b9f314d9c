"""Stub of cofre_native._native, the Rust extension (see native/README.md).

Private: code imports the typed facade ``cofre_native``. Every public name of the extension is
declared here with its runtime signature; tests/unit/test_native_api.py fails when the two
drift apart.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse

__version__: str
__all__ = [
    "ArgumentError",
    "ArrowInputError",
    "CofreNativeError",
    "EnvelopeError",
    "JsonDeclinedError",
    "LedgerError",
    "ThreadsError",
    "WindowInputError",
    "__version__",
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

class CofreNativeError(ValueError):
    """Base class of the errors cofre_native raises about the values it is given."""

class ArgumentError(CofreNativeError):
    """An argument outside what the function accepts (a size, a kind name, mismatched lengths)."""

class ThreadsError(CofreNativeError):
    """threads=... or COFRE_NATIVE_THREADS is not a positive integer, or the pool cannot start."""

class ArrowInputError(CofreNativeError):
    """The Arrow stream cannot be read, or has a column type feature_hash does not take."""

class LedgerError(CofreNativeError):
    """A hash-chain or Merkle input is malformed."""

class EnvelopeError(CofreNativeError):
    """A Stellar envelope or one of its public keys is malformed."""

    index: int

class JsonDeclinedError(CofreNativeError):
    """json_decode declines the rows: one does not fit the shape."""

class WindowInputError(CofreNativeError):
    """window_features inputs disagree (lengths, order, window sizes)."""

def version() -> str: ...
def feature_hash(
    df: Any, n_features: int = 1048576, alternate_sign: bool = True, *, threads: int | None = None
) -> scipy.sparse.csr_matrix: ...
def hmac_sha256_hex(
    key: bytes, values: Sequence[str | bytes], *, threads: int | None = None
) -> list[str]: ...
def hmac_sha256_u64(
    key: bytes, values: Sequence[str | bytes], *, threads: int | None = None
) -> list[int]: ...
def chain_hash(prev_hash: bytes, payload: bytes) -> bytes: ...
def chain_hashes(genesis: bytes, payloads: Sequence[bytes]) -> list[bytes]: ...
def verify_chain(
    prev_hashes: Sequence[bytes],
    payloads: Sequence[bytes],
    hashes: Sequence[bytes],
    *,
    threads: int | None = None,
) -> int | None: ...
def merkle_root(leaves: Sequence[bytes], *, threads: int | None = None) -> bytes: ...
def merkle_proof(leaves: Sequence[bytes], index: int) -> list[tuple[bytes, bool]]: ...
def verify_merkle_proof(leaf: bytes, proof: Sequence[tuple[bytes, bool]], root: bytes) -> bool: ...
def verify_envelopes(
    envelopes_b64: Sequence[str],
    network_passphrase: str,
    public_keys: Sequence[Sequence[str]],
    *,
    threads: int | None = None,
) -> list[bool]: ...
def envelope_hashes(
    envelopes_b64: Sequence[str], network_passphrase: str, *, threads: int | None = None
) -> list[bytes]: ...
def json_decode(
    shape: Sequence[tuple[str, str, Sequence[int]]],
    offsets: npt.NDArray[np.int64] | npt.NDArray[np.uint8],
    data: npt.NDArray[np.uint8] | Sequence[npt.NDArray[np.uint8]],
    *,
    views: bool = False,
    threads: int | None = None,
) -> list[tuple[npt.NDArray[np.bool_], Any]]: ...
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
) -> tuple[
    list[npt.NDArray[np.int32]],
    list[npt.NDArray[np.int64]],
    list[npt.NDArray[np.int32]],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.bool_],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
]: ...
