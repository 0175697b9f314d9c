"""Per-installation secrets (issue 14, item 3): no public default key; a 0600 secret generated once
per COFRE_HOME (also when processes race), HKDF keys per purpose, explicit secrets required by the
stack profile and by a non-loopback `cofre serve`, and older installations kept working."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi.testclient import TestClient
from serving_kit import auth, make_settings, register
from stellar_sdk import Keypair
from typer.testing import CliRunner

from lake.settings import SettingsError, load_settings

PUBLIC_DEFAULT = "cofre-embedded-dev-key-change-me"  # the fixed key every installation used to share


@pytest.fixture(autouse=True)
def _no_explicit_secrets(monkeypatch):
    for var in ("COFRE_SECRET_KEY", "COFRE_PSEUDONYM_KEY", "COFRE_STELLAR_SECRET_SEED", "COFRE_PROFILE"):
        monkeypatch.delenv(var, raising=False)


def _hkdf(master: str, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(master.encode())


def _old_dev_seed(material: str) -> str:
    """How the anchoring seed used to be derived from the (public) pseudonym key."""
    raw = hashlib.sha256(b"cofre-stellar-anchor:" + material.encode()).digest()
    return Keypair.from_raw_ed25519_seed(raw).secret


def test_fresh_home_gets_a_private_generated_secret(tmp_path):
    s = load_settings(home=str(tmp_path))
    path = tmp_path / "secrets" / "installation.json"
    assert s.secrets_source == "file"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    doc = json.loads(path.read_text())
    assert len(bytes.fromhex(doc["secret"])) == 32 and doc["legacy_keys"] is False
    # stable across starts; another installation gets other keys
    again = load_settings(home=str(tmp_path))
    assert again.pseudonym_key.get_secret_value() == s.pseudonym_key.get_secret_value()
    other = load_settings(home=str(tmp_path / "other"))
    assert other.pseudonym_key.get_secret_value() != s.pseudonym_key.get_secret_value()
    assert s.pseudonym_key.get_secret_value() != PUBLIC_DEFAULT
    # the file's secret works as COFRE_SECRET_KEY too (moving an installation to explicit secrets)
    explicit = load_settings(home=str(tmp_path / "elsewhere"), secret_key=doc["secret"])
    assert explicit.pseudonym_key.get_secret_value() == s.pseudonym_key.get_secret_value()
    assert not (tmp_path / "elsewhere" / "secrets").exists()


def test_purpose_keys_are_separate_hkdf_derivations(tmp_path):
    master = "m" * 40
    s = load_settings(home=str(tmp_path), secret_key=master)
    pseudo = _hkdf(master, "cofre/pseudonym/v1")
    links = _hkdf(master, "cofre/document-links/v1")
    anchor = _hkdf(master, "cofre/anchoring/v1")
    assert s.pseudonym_key.get_secret_value() == pseudo.hex()
    assert s.document_link_key() == links
    assert Keypair.from_secret(s.stellar_secret_seed.get_secret_value()).raw_secret_key() == anchor
    assert len({pseudo, links, anchor}) == 3
    # an explicit pseudonym key wins (an existing lake keeps its pseudonyms); the others still derive
    kept = load_settings(home=str(tmp_path), secret_key=master, pseudonym_key="old-lake-key")
    assert kept.pseudonym_key.get_secret_value() == "old-lake-key"
    assert kept.document_link_key() == links


def test_public_default_no_longer_derives_any_key(tmp_path):
    """Regression: with the public default one could compute audit actor pseudonyms offline and the
    Stellar anchoring key; now both come from the installation's own secret."""
    s = make_settings(tmp_path)
    from serving.app import create_app

    with TestClient(create_app(s)) as c:
        admin = register(c, role="admin")
        c.get("/logs", headers=auth(admin["access"]))
        events = c.get("/logs", params={"action": "GET /logs"}, headers=auth(admin["access"])).json()
        actor = events["events"][0]["actor"]
    offline = hmac.new(PUBLIC_DEFAULT.encode(), f"user:{admin['id']}".encode(), hashlib.sha256).hexdigest()
    assert actor != offline[:32]
    from lake.audit import anchoring

    assert anchoring.public_key(s) != Keypair.from_secret(_old_dev_seed(PUBLIC_DEFAULT)).public_key


def test_secret_readable_by_others_is_refused(tmp_path):
    load_settings(home=str(tmp_path))
    path = tmp_path / "secrets" / "installation.json"
    path.chmod(0o644)
    with pytest.raises(SettingsError, match="chmod 600"):
        load_settings(home=str(tmp_path))


def test_short_explicit_secret_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("COFRE_SECRET_KEY", "short-but-real")
    with pytest.raises(SettingsError, match="COFRE_SECRET_KEY") as err:
        load_settings(home=str(tmp_path))
    assert "short-but-real" not in str(err.value)  # a secret is never echoed


def test_stack_profile_refuses_to_start_without_explicit_secret(tmp_path):
    s = load_settings(home=str(tmp_path), profile="stack")
    assert s.secrets_source == "missing" and not (tmp_path / "secrets").exists()
    with pytest.raises(SettingsError, match="COFRE_SECRET_KEY"):
        s.pseudonym_key.get_secret_value()
    with pytest.raises(SettingsError, match="COFRE_SECRET_KEY"):
        s.document_link_key()
    from lake.audit import anchoring

    with pytest.raises(SettingsError, match="COFRE_SECRET_KEY"):
        anchoring.public_key(s)
    from serving.app import create_app

    with pytest.raises(SettingsError, match="COFRE_SECRET_KEY"):
        create_app(s)
    assert json.loads(s.model_dump_json())["pseudonym_key"] == "<unset: COFRE_SECRET_KEY>"
    ok = load_settings(home=str(tmp_path), profile="stack", secret_key="s" * 64)
    assert ok.secrets_source == "env" and len(ok.document_link_key()) == 32


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "gateway.example"])
def test_serve_on_non_loopback_refuses_without_explicit_secret(monkeypatch, tmp_path, host):
    from cofre.cli import app

    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    r = CliRunner().invoke(app, ["serve", "--host", host, "--port", "1"])
    assert r.exit_code == 2 and "COFRE_SECRET_KEY" in r.output


def test_loopback_hosts():
    from cofre.commands.serve import is_loopback

    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "127.9.9.9", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com", ""))


def test_older_installation_keeps_its_pseudonyms(tmp_path):
    """A home whose lake was written with the old default and has no secrets file keeps its lake's
    pseudonyms and anchoring key (pinned in the file it gets), but document links get a new key."""
    from lake import delta
    from lake import installation_keys as ik
    from lake.pseudonym import pseudonymise_one

    old = tmp_path / "old"
    (old / "lake" / "silver" / "customers" / "_delta_log").mkdir(parents=True)  # an older cofre's lake
    s = load_settings(home=str(old))
    assert s.secrets_source == "file-legacy-keys"
    assert json.loads((old / "secrets" / "installation.json").read_text())["legacy_keys"] is True
    assert pseudonymise_one("529.982.247-25", "cpf", key=s.pseudonym_key.get_secret_value().encode()) == (
        hmac.new(PUBLIC_DEFAULT.encode(), b"52998224725", hashlib.sha256).hexdigest()
    )
    assert s.stellar_secret_seed.get_secret_value() == _old_dev_seed(PUBLIC_DEFAULT)
    assert (
        s.document_link_key()
        != hmac.new(PUBLIC_DEFAULT.encode(), b"cofre-document-links-v1", "sha256").digest()
    )
    # the decision is made once: data written later does not change it, and a fresh home is not legacy
    assert load_settings(home=str(old)).secrets_source == "file-legacy-keys"
    fresh = load_settings(home=str(tmp_path / "fresh"))
    delta.ensure_table("silver.customers", fresh)
    assert load_settings(home=str(tmp_path / "fresh")).secrets_source == "file"
    assert ik.has_older_data(tmp_path / "fresh")  # it has a lake now, but its secrets file came first


def test_racing_creators_never_see_a_partial_or_second_secret(tmp_path):
    import threading

    from lake import installation_keys as ik

    path = tmp_path / "secrets" / "x.json"
    barrier = threading.Barrier(16)
    seen: list[bytes] = []

    def create(i: int) -> None:
        barrier.wait()
        ik.create_private_file(path, f"content-{i:02d}-".encode() * 1000)
        seen.append(path.read_bytes())

    threads = [threading.Thread(target=create, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1 and len(seen) == 16 and len(seen[0]) == 11 * 1000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and os.listdir(path.parent) == ["x.json"]
