"""Signing keys shared by gateway workers (issue 23): several KeyStores on one folder (as the worker
processes hold them) agree on the first key, rotate once between them, and verify each other's tokens."""

from __future__ import annotations

import json

from serving.security.keys import KeyStore
from serving.security.tokens import TokenService


def _pair(tmp_path, now):
    def make() -> KeyStore:
        return KeyStore(tmp_path / "keys", rotation_s=1000, max_token_ttl_s=300, clock=lambda: now[0])

    return make(), make()


def _tokens(keys: KeyStore, now) -> TokenService:
    return TokenService(keys, issuer="i", audience="a", clock=lambda: now[0])


def test_workers_share_the_first_key_and_one_rotation(tmp_path):
    now = [1_000_000.0]
    a, b = _pair(tmp_path, now)
    assert a.active().kid == b.active().kid  # the second found the first's key instead of making one
    now[0] += 1500  # both keys are due for rotation at the same moment
    rotated = a.active()
    assert b.active().kid == rotated.kid  # b takes a's rotation instead of rotating again
    manifest = json.loads((tmp_path / "keys" / "manifest.json").read_text())
    assert len(manifest) == 2 and sum(e["retired_at"] is None for e in manifest) == 1


def test_a_token_signed_after_another_workers_rotation_verifies(tmp_path):
    now = [1_000_000.0]
    a, b = _pair(tmp_path, now)
    old = _tokens(b, now).issue(user_id=7, role="customer", session_id="s", ttl_s=300, amr=["pwd"])
    a.rotate()  # b has not seen this key yet
    new = _tokens(a, now).issue(user_id=7, role="customer", session_id="s", ttl_s=300, amr=["pwd"])
    verifier = _tokens(b, now)
    assert verifier.verify(new).user_id == 7  # b re-read the manifest for the unknown key id
    assert verifier.verify(old).user_id == 7  # the retired key stays published
    assert _tokens(a, now).verify(old).user_id == 7
