"""The Dagster resources that pick a source: an in-process sandbox only for a system that has one."""

from __future__ import annotations

import pytest
from pipeline_helpers import make_world

from lake.settings import get_settings
from pipelines.resources import SANDBOX_SYSTEMS, WorldResource


@pytest.fixture()
def world(tmp_path, monkeypatch) -> WorldResource:
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    from pipelines.sources.simulator.config import SimConfig

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
