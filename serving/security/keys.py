"""ES256 signing keys of the gateway: persisted under ``COFRE_HOME/keys``, rotated, published as a JWKS.

The newest non-retired key signs. When a key is rotated out it stays published (and accepted for
verification) until every token it could have signed has expired (``retired_at + max token ttl``);
then it is pruned. Key ids are RFC 7638 JWK thumbprints (SHA-256 over the canonical required members).

The folder is shared by the gateway's worker processes: every change (first key, rotation, pruning)
re-reads the manifest and writes it under an exclusive ``flock`` on ``.lock``, so two workers never
both create a first key or both rotate; a worker that meets a key id it does not know (signed by
another worker after a rotation) re-reads the manifest once it changed on disk. Decoded keys are
kept in memory: a token verification reads no file.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public JWK (kty, crv, x, y) of a P-256 key."""
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise ValueError("only P-256 keys are supported")
    nums = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(nums.x.to_bytes(32, "big")),
        "y": b64url(nums.y.to_bytes(32, "big")),
    }


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint of an EC JWK: SHA-256 of the lexicographically ordered required members."""
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]},
        separators=(",", ":"),
        sort_keys=True,
    )
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def public_key_from_jwk(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    """Load a P-256 public key from a JWK; raises ValueError on a bad or off-curve key."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("key must be an EC P-256 JWK")
    x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
    if len(x) != 32 or len(y) != 32:
        raise ValueError("P-256 coordinates must be 32 bytes")
    return ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
    ).public_key()


@dataclass
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey
    created_at: float
    retired_at: float | None = None

    @functools.cached_property
    def public_key(self) -> ec.EllipticCurvePublicKey:  # derived once: every token verification uses it
        return self.private_key.public_key()

    def jwk(self) -> dict[str, str]:
        return {**public_jwk(self.public_key), "kid": self.kid, "use": "sig", "alg": "ES256"}


class KeyStore:
    """Signing keys in a folder: ``<kid>.pem`` (PKCS8, mode 600) plus ``manifest.json``."""

    def __init__(
        self, folder: Path, *, rotation_s: int, max_token_ttl_s: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.folder = Path(folder)
        self.rotation_s = rotation_s
        self.max_token_ttl_s = max_token_ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, SigningKey] = {}
        self._loaded: tuple[int, int] | None = None  # (mtime_ns, size) of the manifest last read
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        with self._lock, self._shared_lock():
            self._load()
            if self._active_unlocked() is None:
                self._generate_unlocked()

    # --- persistence -------------------------------------------------------------------------
    def _manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    @contextlib.contextmanager
    def _shared_lock(self) -> Iterator[None]:
        """Exclusive across the processes sharing the folder (the caller holds the thread lock)."""
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _manifest_stamp(self) -> tuple[int, int] | None:
        try:
            st = self._manifest_path().stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def _load(self) -> None:
        """Bring the in-memory keys to the manifest on disk (new keys decoded, retirements and
        prunes of other workers taken over); keys already decoded are kept as they are."""
        path = self._manifest_path()
        stamp = self._manifest_stamp()
        if stamp is None:
            return
        entries = json.loads(path.read_text())
        keys: dict[str, SigningKey] = {}
        for entry in entries:
            known = self._keys.get(entry["kid"])
            if known is not None:
                known.retired_at = entry.get("retired_at")
                keys[known.kid] = known
                continue
            pem = (self.folder / f"{entry['kid']}.pem").read_bytes()
            key = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise TypeError(f"signing key {entry['kid']} is not an EC private key")
            keys[entry["kid"]] = SigningKey(entry["kid"], key, entry["created_at"], entry.get("retired_at"))
        self._keys = keys
        self._loaded = stamp

    def _refresh(self) -> None:
        """Re-read the manifest if another process changed it since (one stat otherwise)."""
        if self._manifest_stamp() != self._loaded:
            with self._shared_lock():
                self._load()

    def _save_unlocked(self) -> None:
        manifest = [
            {"kid": k.kid, "created_at": k.created_at, "retired_at": k.retired_at}
            for k in self._keys.values()
        ]
        tmp = self._manifest_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=1))
        os.replace(tmp, self._manifest_path())
        self._loaded = self._manifest_stamp()

    def _generate_unlocked(self) -> SigningKey:
        private = ec.generate_private_key(ec.SECP256R1())
        kid = jwk_thumbprint(public_jwk(private.public_key()))
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = self.folder / f"{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        key = SigningKey(kid, private, self.clock())
        self._keys[kid] = key
        self._save_unlocked()
        return key

    # --- lifecycle ---------------------------------------------------------------------------
    def _active_unlocked(self) -> SigningKey | None:
        live = [k for k in self._keys.values() if k.retired_at is None]
        return max(live, key=lambda k: k.created_at) if live else None

    def rotate(self) -> SigningKey:
        """Retire the active key (kept published until its tokens expire) and create a new one."""
        with self._lock, self._shared_lock():
            self._load()
            return self._rotate_unlocked()

    def _rotate_unlocked(self) -> SigningKey:
        now = self.clock()
        for k in self._keys.values():
            if k.retired_at is None:
                k.retired_at = now
        new = self._generate_unlocked()
        self._prune_unlocked()
        return new

    def _prune_unlocked(self) -> None:
        now = self.clock()
        dead = [
            k.kid
            for k in self._keys.values()
            if k.retired_at is not None and k.retired_at + self.max_token_ttl_s < now
        ]
        for kid in dead:
            del self._keys[kid]
            (self.folder / f"{kid}.pem").unlink(missing_ok=True)
        if dead:
            self._save_unlocked()

    def active(self) -> SigningKey:
        """The signing key, rotated first when it is older than the rotation period."""
        with self._lock:
            key = self._active_unlocked()
            if key is not None and self.clock() - key.created_at < self.rotation_s:
                return key
            with self._shared_lock():  # another worker may have rotated already
                self._load()
                key = self._active_unlocked()
                if key is None or self.clock() - key.created_at >= self.rotation_s:
                    key = self._rotate_unlocked()
                return key

    def get(self, kid: str) -> SigningKey | None:
        """A published key by id (None for an unknown or expired key)."""
        with self._lock:
            key = self._keys.get(kid)
            if key is None:  # perhaps made by another worker since we read the manifest
                self._refresh()
                key = self._keys.get(kid)
            if key is None:
                return None
            if key.retired_at is not None and key.retired_at + self.max_token_ttl_s < self.clock():
                return None
            return key

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        with self._lock, self._shared_lock():
            self._load()
            self._prune_unlocked()
            keys = sorted(self._keys.values(), key=lambda k: k.created_at, reverse=True)
            return {"keys": [k.jwk() for k in keys]}
