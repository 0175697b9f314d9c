"""Shared pytest set-up for the three layers (unit, component, stack).

* The embedded profile's in-process sandboxes are installed (cofre.embedded), as the cofre CLI does:
  a client with no URL configured talks to its sandbox in-process.
* The settings cache is cleared around every test (each test sets its own COFRE_* environment).
* Each test is marked after its folder: ``unit``, ``component`` or ``stack``.
* The helper modules beside this file (serving_kit, lake_helpers, lgpd_kit, fixtures_world, ...) are
  importable by their plain names from every layer: pytest puts this folder on ``sys.path`` for its
  rootdir conftest, so no test module touches ``sys.path`` itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lake.settings import get_settings

LAYERS = ("unit", "component", "stack")
TESTS = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    from cofre.embedded import install_sandboxes

    install_sandboxes()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            layer = Path(item.path).resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
