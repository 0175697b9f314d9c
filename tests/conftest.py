"""Shared pytest fixtures: isolated COFRE_HOME per test session and settings cache reset."""

from __future__ import annotations

import pytest

from lake.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
