"""Dagster resources of the cofre code location, all derived from ``lake.settings``.

* :class:`LakeResource`: the lake URI and storage options (local folder on the embedded profile,
  SeaweedFS/MinIO S3 on the stack profile); ``lake_uri`` may be overridden (tests use a unique prefix).
* :class:`WorldResource`: the simulated world (``COFRE_HOME/world/<seed>``) that stands in for the
  bank's internal systems and backs the in-process sandboxes.
* :class:`OpenFinanceResource`, :class:`SerasaResource`, :class:`PixResource`: clients of the external
  systems. When the settings URL (``open_finance_url``/``serasa_url``/``pix_url``) is None the client
  talks to the sandbox app in-process (one shared app over the world, built by the provider that the
  composition root installs, see pipelines.sources.in_process); otherwise to the real URL.
  Only the settings choose; nothing here branches on the profile.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import polars as pl
from dagster import ConfigurableResource

if TYPE_CHECKING:
    from pipelines.open_finance.pull import RawOpenFinanceClient
    from pipelines.sources.pix.client import PixClient
    from pipelines.sources.serasa.client import SerasaClient

from lake.settings import Settings, get_settings
from pipelines.sources import in_process

_LOCK = threading.Lock()
_WORLDS: dict[str, dict[str, pl.DataFrame]] = {}
_APPS: dict[tuple[str, str], Any] = {}


class LakeResource(ConfigurableResource):
    """Where the lake is; ``settings()`` is what every lake.delta call receives."""

    lake_uri: str | None = None

    def settings(self) -> Settings:
        s = get_settings()
        return s.model_copy(update={"lake_uri": self.lake_uri}) if self.lake_uri else s

    def pseudonym_key(self) -> bytes:
        return self.settings().pseudonym_key_bytes()


SANDBOX_SYSTEMS = ("open_finance", "serasa", "pix")


class WorldResource(ConfigurableResource):
    """The saved world of ``settings.sim_seed`` under ``settings.home`` (or ``folder``)."""

    folder: str | None = None

    def path(self) -> str:
        s = get_settings()
        return self.folder or str(s.home / "world" / str(s.sim_seed))

    def load(self) -> dict[str, pl.DataFrame]:
        from pathlib import Path

        from pipelines.sources.world_files import load_world_dir

        key = self.path()
        with _LOCK:
            if key not in _WORLDS:
                _WORLDS.clear()
                _APPS.clear()
                _WORLDS[key] = load_world_dir(Path(key))
            return _WORLDS[key]

    def manifest(self) -> dict | None:
        from pipelines.sources.world_files import read_manifest

        return read_manifest(self.path())

    def sandbox_app(self, system: str) -> Any:
        """One in-process sandbox app per system and world, shared by every client and thread."""
        if system not in SANDBOX_SYSTEMS:
            raise ValueError(f"unknown sandbox system {system!r}; one of {', '.join(SANDBOX_SYSTEMS)}")
        key = (self.path(), system)
        world = self.load()
        with _LOCK:
            if key not in _APPS:
                _APPS[key] = in_process.app(system, get_settings(), world)
            return _APPS[key]


class _SourceResource(ConfigurableResource):
    world: WorldResource
    threads: int = 4
    concurrency: int = 8

    def _url(self) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _app(self, system: str) -> Any:
        return None if self._url() is not None else self.world.sandbox_app(system)


class OpenFinanceResource(_SourceResource):
    def _url(self) -> str | None:
        return get_settings().open_finance_url

    def client(self) -> RawOpenFinanceClient:
        from pipelines.open_finance.pull import RawOpenFinanceClient

        return RawOpenFinanceClient.from_settings(get_settings(), app=self._app("open_finance"))


class SerasaResource(_SourceResource):
    def _url(self) -> str | None:
        return get_settings().serasa_url

    def client(self) -> SerasaClient:
        from pipelines.sources.serasa.client import SerasaClient

        return SerasaClient.from_settings(get_settings(), app=self._app("serasa"))


class PixResource(_SourceResource):
    def _url(self) -> str | None:
        return get_settings().pix_url

    def client(self) -> PixClient:
        from pipelines.sources.pix.client import PixClient

        return PixClient.from_settings(get_settings(), app=self._app("pix"))


def default_resources(lake_uri: str | None = None, world_folder: str | None = None) -> dict[str, Any]:
    world = WorldResource(folder=world_folder)
    return {
        "lake": LakeResource(lake_uri=lake_uri),
        "world": world,
        "open_finance": OpenFinanceResource(world=world),
        "serasa": SerasaResource(world=world),
        "pix": PixResource(world=world),
    }
