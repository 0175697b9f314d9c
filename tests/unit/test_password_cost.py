"""argon2id cost from the settings: the library's defaults unless the embedded profile lowers them, the
stack profile refusing weaker values, and a hash made with one parameter set verifying under another."""

from __future__ import annotations

import pytest

from lake.settings import SettingsError, load_settings
from serving.security.passwords import hash_password, needs_rehash, verify_password


def test_defaults_are_the_librarys_and_the_stack_profile_refuses_weaker(tmp_path, monkeypatch):
    from argon2 import PasswordHasher

    s = load_settings(home=str(tmp_path), profile="embedded")
    lib = PasswordHasher()
    assert (s.password_hash_time_cost, s.password_hash_memory_kib, s.password_hash_parallelism) == (
        lib.time_cost,
        lib.memory_cost,
        lib.parallelism,
    )
    monkeypatch.setenv("COFRE_SECRET_KEY", "k" * 64)
    with pytest.raises(SettingsError, match="COFRE_PASSWORD_HASH_MEMORY_KIB"):
        load_settings(profile="stack", password_hash_memory_kib=1024)
    stronger = load_settings(profile="stack", password_hash_time_cost=4)
    assert stronger.password_hash_time_cost == 4


def test_a_hash_verifies_under_other_parameters_and_asks_for_a_rehash(tmp_path):
    cheap = load_settings(
        home=str(tmp_path),
        profile="embedded",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        password_hash_parallelism=1,
    )
    full = load_settings(home=str(tmp_path), profile="embedded")
    h = hash_password("correct horse battery", cheap)
    assert "m=64,t=1,p=1" in h
    assert verify_password(h, "correct horse battery", full)
    assert not verify_password(h, "wrong", full)
    assert not verify_password(None, "correct horse battery", cheap)  # unknown user: the dummy hash
    assert needs_rehash(h, full) and not needs_rehash(h, cheap)
