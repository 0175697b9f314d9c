"""The Dagster resources and clients that pick a source: a configured URL, else an in-process sandbox
for a system that has one, built only by the provider the composition root installs (cofre.embedded)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pipeline_helpers import make_world

from lake.settings import get_settings
from pipelines.resources import SANDBOX_SYSTEMS, WorldResource


@pytest.fixture()
def world(tmp_path, monkeypatch) -> WorldResource:
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    from sandbox.simulator.config import SimConfig

    return WorldResource(folder=str(make_world(tmp_path, SimConfig(customers=10, months=1, seed=7))))


@pytest.mark.parametrize("system", ["open-finance", "bacen", ""])
def test_an_unknown_system_is_refused_not_served_by_the_pix_sandbox(world, system):
    with pytest.raises(ValueError, match=f"unknown sandbox system {system!r}; one of open_finance"):
        world.sandbox_app(system)


def test_each_known_system_gets_its_own_sandbox(world):
    apps = {name: world.sandbox_app(name) for name in SANDBOX_SYSTEMS}
    assert len({id(a) for a in apps.values()}) == 3
    assert world.sandbox_app("pix") is apps["pix"]  # one app per system and world
    titles = {name: app.title for name, app in apps.items()}
    assert (
        "Pix" in titles["pix"] and "Serasa" in titles["serasa"] and "Open Finance" in titles["open_finance"]
    )


@pytest.fixture()
def without_sandboxes() -> Iterator[None]:
    """The product as a deployment without the composition root's wiring sees it (restored after)."""
    from cofre.embedded import install_sandboxes
    from pipelines.sources import in_process

    in_process.install(None)
    yield
    install_sandboxes()


def test_without_the_embedded_wiring_a_client_with_no_url_fails_saying_so(world, without_sandboxes):
    from pipelines.sources import in_process
    from pipelines.sources.serasa.client import SerasaClient

    assert not in_process.installed()
    with pytest.raises(in_process.NoSandboxError, match="no URL configured for serasa"):
        world.sandbox_app("serasa")
    with pytest.raises(in_process.NoSandboxError, match="COFRE_"):
        SerasaClient.from_settings(get_settings(), world=world.load())


def test_with_a_url_no_sandbox_is_needed(world, without_sandboxes, monkeypatch):
    from pipelines.sources.serasa.client import SerasaClient

    monkeypatch.setenv("COFRE_SERASA_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    client = SerasaClient.from_settings(get_settings())
    assert str(client.http.base_url) == "http://127.0.0.1:9"
    asyncio.run(client.http.aclose())


def test_the_embedded_wiring_serves_a_client_with_no_url_in_process(world):
    from pipelines.sources.serasa.client import SerasaClient

    cpf = world.load()["customers"].get_column("cpf")[0]
    client = SerasaClient.from_settings(get_settings(), world=world.load())
    got = asyncio.run(client.score(cpf))
    assert 0 <= got.score <= 1000
