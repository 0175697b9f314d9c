"""The in-process stand-ins as the product sees them: an ASGI app per external system.

A client whose URL is not configured (``settings.open_finance_url`` etc. is None) talks to the
system's sandbox in-process. The product never builds those apps itself: the composition root
(``cofre.embedded.install_sandboxes``) installs a :class:`SandboxApps` provider, and without one a
client with no URL fails with a message saying so. Systems: ``open_finance``, ``serasa``, ``pix``
(over a world, the saved one of the settings when none is given) and ``horizon`` (Stellar).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import polars as pl

    from lake.settings import Settings

SYSTEMS = ("open_finance", "serasa", "pix", "horizon")


class SandboxApps(Protocol):
    def __call__(self, system: str, settings: Settings, world: dict[str, pl.DataFrame] | None) -> Any: ...


class NoSandboxError(RuntimeError):
    """No URL is configured for a system and no in-process sandbox provider is installed."""


_provider: SandboxApps | None = None


def install(provider: SandboxApps | None) -> None:
    """Install (or, with None, remove) the provider of in-process sandbox apps."""
    global _provider
    _provider = provider


def installed() -> bool:
    return _provider is not None


def app(system: str, settings: Settings, world: dict[str, pl.DataFrame] | None = None) -> Any:
    """The in-process sandbox app of ``system`` over ``world``."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown sandbox system {system!r}; one of {', '.join(SYSTEMS)}")
    if _provider is None:
        raise NoSandboxError(
            f"no URL configured for {system} and no in-process sandbox installed "
            "(set its COFRE_*_URL, or run through the cofre CLI, whose embedded profile installs them)"
        )
    return _provider(system, settings, world)
