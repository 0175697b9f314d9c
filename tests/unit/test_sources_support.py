"""Support pieces of the sources: CPF, money strings, world loading, CLI wiring, token endpoint faults."""

from __future__ import annotations

import asyncio

import pytest
import typer
from fixtures_world import _cpf_digits, make_world
from hypothesis import given
from hypothesis import strategies as st

from cofre.commands.sandbox import build_app
from lake.domain.identifiers import cpf_check_digits, is_valid_cpf
from lake.domain.money import cents_to_str, str_to_cents
from lake.settings import load_settings
from pipelines.sources.world_files import WorldNotFoundError, load_world_dir, world_dir
from sandbox.world_index import WorldIndex


def test_known_cpfs():
    assert is_valid_cpf("52998224725")
    assert not is_valid_cpf("52998224724")
    assert not is_valid_cpf("11111111111")
    assert not is_valid_cpf("5299822472")
    assert cpf_check_digits("529982247") == "25"


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_fixture_and_domain_cpf_helpers_agree(base):
    assert _cpf_digits(base)[9:] == cpf_check_digits(base)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_cents_round_trip(cents):
    assert str_to_cents(cents_to_str(cents)) == cents


def test_money_rejects_fractions_of_a_cent():
    with pytest.raises(ValueError):
        str_to_cents("1.001")
    assert cents_to_str(5) == "0.05" and cents_to_str(-1234) == "-12.34" and cents_to_str(100, 4) == "1.0000"


def test_world_round_trips_through_the_contract_layout(tmp_path):
    settings = load_settings(home=tmp_path)
    with pytest.raises(WorldNotFoundError):
        load_world_dir(world_dir(settings))
    world = make_world(n_customers=4, seed=9)
    folder = world_dir(settings)
    folder.mkdir(parents=True)
    for table, df in world.items():
        df.write_parquet(folder / f"{table}.parquet")
    loaded = load_world_dir(folder)
    assert all(loaded[t].equals(world[t]) for t in world)
    index = WorldIndex(loaded)
    assert len(index.customers) == 4 and index.today.isoformat() == "2026-10-31"


def test_world_index_is_deterministic_in_order():
    a, b = WorldIndex(make_world(6, seed=1)), WorldIndex(make_world(6, seed=1))
    assert list(a.accounts) == list(b.accounts)
    assert [t["transaction_id"] for t in a.pix_credits] == [t["transaction_id"] for t in b.pix_credits]


def test_cli_builds_each_sandbox(tmp_path):
    settings = load_settings(home=tmp_path)
    index = WorldIndex(make_world(2, seed=2))
    paths = {
        name: set(build_app(name, index, settings).openapi()["paths"])
        for name in ("open-finance", "serasa", "pix")
    }
    assert "/open-banking/accounts/v2/accounts" in paths["open-finance"]
    assert "/score/v1/{cpf}" in paths["serasa"]
    assert "/api/cob/{txid}" in paths["pix"]
    assert all("/token" in p for p in paths.values())
    with pytest.raises(typer.BadParameter):
        build_app("bank-of-nowhere", index, settings)


def test_cli_group_is_registered():
    from typer.testing import CliRunner

    from cofre.cli import app

    result = CliRunner().invoke(app, ["sandbox", "serve", "--help"])
    assert result.exit_code == 0 and "open-finance" in result.output


def test_token_fetch_is_retried_like_any_request(tmp_path):
    from pipelines.sources.serasa.client import SerasaClient
    from sandbox.faults import FaultPlan
    from sandbox.serasa import create_app

    settings = load_settings(home=tmp_path, http_backoff_base_s=0.0)
    world = make_world(3, seed=4)
    plan = FaultPlan(fail_first=2, exempt_paths=())  # the token endpoint fails twice too
    client = SerasaClient.from_settings(settings, app=create_app(world, settings, faults=plan))
    got = asyncio.run(client.score(world["customers"]["cpf"][0]))
    assert got.score >= 0 and client.retries == 2 and client.tokens.fetches == 1
