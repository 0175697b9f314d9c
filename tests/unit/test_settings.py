"""Settings: env vars switch the profile; bad values fail naming the variable."""

from __future__ import annotations

import pytest

from lake.settings import SettingsError, load_settings


def test_embedded_is_default(monkeypatch, tmp_path):
    monkeypatch.delenv("COFRE_PROFILE", raising=False)
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    s = load_settings()
    assert s.profile == "embedded"
    assert s.lake_uri == str(tmp_path / "lake")
    assert s.database_url.startswith("sqlite:///")
    assert s.log_store_url.startswith("sqlite:///")
    assert s.storage_options() == {}


def test_env_switches_to_stack(monkeypatch, tmp_path):
    monkeypatch.setenv("COFRE_PROFILE", "stack")
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    s = load_settings()
    assert s.profile == "stack"
    assert s.lake_uri.startswith("s3://")
    assert s.database_url.startswith("postgresql+psycopg://")
    assert s.log_store_url.startswith("mongodb://")
    opts = s.storage_options()
    assert opts["AWS_ENDPOINT_URL"] == s.s3_endpoint
    assert opts["aws_conditional_put"] == "etag"


def test_explicit_url_wins(monkeypatch):
    monkeypatch.setenv("COFRE_PROFILE", "stack")
    monkeypatch.setenv("COFRE_DATABASE_URL", "postgresql+psycopg://u:p@db.example:5432/bank")
    assert load_settings().database_url == "postgresql+psycopg://u:p@db.example:5432/bank"


def test_unknown_profile_names_variable(monkeypatch):
    monkeypatch.setenv("COFRE_PROFILE", "production-ish")
    with pytest.raises(SettingsError, match="COFRE_PROFILE"):
        load_settings()


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("COFRE_DATABASE_URL", "mysql://x"),
        ("COFRE_S3_ENDPOINT", "not a url"),
        ("COFRE_LOG_STORE_URL", "mongodb://"),
        ("COFRE_OPEN_FINANCE_URL", "ftp://bank"),
    ],
)
def test_malformed_url_names_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=var):
        load_settings()


# --- one rewrite of postgresql:// to the driver SQLAlchemy uses (psycopg 3) ----------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_sqlalchemy_url_names_the_psycopg_driver(given, expected):
    from lake.settings import sqlalchemy_url

    assert sqlalchemy_url(given) == expected


def test_every_engine_of_a_plain_postgresql_url_uses_psycopg(tmp_path):
    """The gateway's engine and the consent registry's engine (the migrations use the same helper)."""
    from lake.settings import load_settings
    from serving.db.session import make_engine
    from serving.lgpd import registry as consents

    url = "postgresql://u:p@127.0.0.1:1/db"  # never connected: engines connect lazily
    assert make_engine(url).dialect.driver == "psycopg"
    assert consents.engine_for(load_settings(home=tmp_path, database_url=url)).dialect.driver == "psycopg"
