"""Per-installation secrets: one master secret per installation, one HKDF-derived key per purpose.

Where the master secret comes from (``lake.settings`` resolves it once per settings object):

* ``COFRE_SECRET_KEY`` when set (required by the stack profile and by ``cofre serve`` on a
  non-loopback interface);
* otherwise (embedded profile) ``$COFRE_HOME/secrets/installation.json``, generated at the first
  start: 32 random bytes, the folder 0700 and the file 0600, created atomically (written to a
  private temporary file, then hard-linked into place, which fails if another process won the race:
  every process then reads the one file that exists). A file readable by other users is refused.

Keys per purpose: ``HKDF-SHA256(ikm = master secret as UTF-8, salt = none, info = label)``, 32 bytes,
with the labels below, so a leak of one key (e.g. the document-link key) gives none of the others.
Copying the file's ``secret`` into ``COFRE_SECRET_KEY`` yields the same keys.

Installations older than this scheme used one public default (``LEGACY_PSEUDONYM_KEY``) for
pseudonyms and derived the anchoring key from it. A home that already holds data (a Delta lake,
the audit log or the Feast online store) but no secrets file is such an installation: its file is
created with ``legacy_keys: true``, which pins the pseudonym key and the anchoring key to the old
derivations (so the lake's CPF pseudonyms, the audit actors and the anchors already on Stellar stay
valid), while the document-link key is new. ``cofre info`` shows it and a warning is logged at start.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

LABEL_PSEUDONYM = "cofre/pseudonym/v1"
LABEL_DOCUMENT_LINKS = "cofre/document-links/v1"
LABEL_ANCHORING = "cofre/anchoring/v1"
LABEL_KYC_OTP = "cofre/kyc-otp/v1"
LEGACY_PSEUDONYM_KEY = "cofre-embedded-dev-key-change-me"
SECRETS_DIR = "secrets"
SECRETS_FILE = "installation.json"
MIN_SECRET_CHARS = 32

log = logging.getLogger("cofre.secrets")
_warned: set[str] = set()


class SecretsError(RuntimeError):
    """The installation secret cannot be read or created safely (the message says what to do)."""


@dataclass(frozen=True)
class InstallationSecret:
    value: str
    source: str  # "env" (COFRE_SECRET_KEY) or "file"
    legacy_keys: bool = False
    path: Path | None = None


@lru_cache(maxsize=256)
def derive(master: str, label: str, length: int = 32) -> bytes:
    """``HKDF-SHA256(master, info=label)``: the key of one purpose."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label.encode()).derive(
        master.encode("utf-8")
    )


def secrets_path(home: Path) -> Path:
    return home / SECRETS_DIR / SECRETS_FILE


def has_older_data(home: Path) -> bool:
    """Whether ``home`` holds data that an older cofre wrote with the public default key."""
    if (home / "logs.db").exists() or (home / "feast" / "online.db").exists():
        return True
    lake = home / "lake"
    return lake.is_dir() and any(lake.glob("*/*/_delta_log"))


def _check_private(path: Path) -> None:
    st = path.stat()
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretsError(
            f"{path} is accessible to other users (mode {stat.S_IMODE(st.st_mode):04o}); "
            f"run `chmod 600 {path}` (or set COFRE_SECRET_KEY)"
        )


def _read(path: Path) -> InstallationSecret:
    _check_private(path)
    for attempt in range(50):
        try:
            doc = json.loads(path.read_text())
            value = doc["secret"]
            if not isinstance(value, str) or len(value) < MIN_SECRET_CHARS:
                raise ValueError("secret too short")
            return InstallationSecret(value, "file", bool(doc.get("legacy_keys", False)), path)
        except (ValueError, KeyError, TypeError) as exc:
            # only the O_EXCL fallback of create_private_file can expose a file being written: wait for it
            if attempt == 49:
                raise SecretsError(f"{path} is not a valid cofre secrets file ({exc})") from None
            time.sleep(0.02)
    raise AssertionError("unreachable")


def create_private_file(path: Path, content: bytes) -> None:
    """Create ``path`` (0600, its folder 0700) with ``content`` unless it exists; never exposes a
    partial file, and when several processes race exactly one content wins."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # a folder made for secrets (an existing one is left as it is)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".installation-", suffix=".tmp")  # 0600
    try:
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return  # another process created it first: theirs is the installation's secret
        except OSError:  # a filesystem without hard links: exclusive create instead
            try:
                fd2 = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            try:
                os.write(fd2, content)
                os.fsync(fd2)
            finally:
                os.close(fd2)
    finally:
        os.unlink(tmp)
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def load_or_create(home: Path) -> InstallationSecret:
    """The installation secret of ``home``, generated on the first call (safe across processes)."""
    path = secrets_path(home)
    if not path.exists():
        legacy = has_older_data(home)
        doc = {
            "version": 1,
            "secret": os.urandom(32).hex(),
            "legacy_keys": legacy,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        create_private_file(path, (json.dumps(doc, indent=2) + "\n").encode())
    secret = _read(path)
    if secret.legacy_keys and str(path) not in _warned:
        _warned.add(str(path))
        log.warning(
            "%s: this installation's lake was written before per-installation secrets; its pseudonym "
            "and anchoring keys stay on the old public default so existing pseudonyms and anchors keep "
            "verifying. Rebuild the lake on a fresh COFRE_HOME (or set COFRE_SECRET_KEY and "
            "COFRE_PSEUDONYM_KEY) to leave this mode.",
            path,
        )
    return secret


def stellar_seed(raw: bytes) -> str:
    """Stellar strkey (``S...``) of a 32-byte ed25519 seed."""
    import base64

    if len(raw) != 32:
        raise ValueError("an ed25519 seed is 32 bytes")
    payload = bytes([18 << 3]) + raw  # strkey version byte of an ed25519 secret seed ("S...")
    crc = 0
    for byte in payload:  # CRC16-XMODEM, appended little-endian
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return base64.b32encode(payload + crc.to_bytes(2, "little")).decode()


def legacy_stellar_seed(pseudonym_key: str) -> str:
    """The anchoring seed older installations derived from their pseudonym key (kept for them only)."""
    import hashlib

    return stellar_seed(hashlib.sha256(b"cofre-stellar-anchor:" + pseudonym_key.encode()).digest())
