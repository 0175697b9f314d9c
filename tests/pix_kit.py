"""Shared helpers of the Pix sandbox/client tests: a sandbox app with an injected clock and webhook
transport, cofre's client on it with every response validated against the official spec."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from spec_validation import SpecRecorder

from pipelines.sources.clock import ManualClock
from pipelines.sources.pix.client import PixClient
from sandbox.pix.server import create_app
from sandbox.world_index import WorldIndex

START = datetime(2000, 1, 1, tzinfo=UTC)
END = datetime(2100, 1, 1, tzinfo=UTC)


def run(coro):
    return asyncio.run(coro)


@dataclass
class Kit:
    app: object
    client: PixClient
    rec: SpecRecorder
    clock: ManualClock
    sleeps: list[float] = field(default_factory=list)


def make(
    index: WorldIndex, settings, *, at: datetime | None = None, webhook_app=None, validate: bool = True
) -> Kit:
    """Sandbox + client; the sandbox clock starts at ``at`` (default: noon of the world's last day)."""
    start = at or datetime.combine(index.today, datetime.min.time(), tzinfo=UTC).replace(hour=12)
    clock = ManualClock(start=start.timestamp())
    sleeps: list[float] = []

    async def fake_sleep(s: float) -> None:
        sleeps.append(s)

    app = create_app(
        index,
        settings,
        clock=clock,
        webhook_transport=httpx.ASGITransport(app=webhook_app) if webhook_app is not None else None,
        webhook_sleep=fake_sleep,
    )
    client = PixClient.from_settings(settings, app=app, clock=clock)
    rec = SpecRecorder(("/api/",))
    if validate:
        rec.attach(client.http)
    return Kit(app, client, rec, clock, sleeps)


def customer_keys(index: WorldIndex) -> list[str]:
    return [k for k, row in sorted(index.pix_keys.items()) if row["customer_id"] is not None]


def txid(n: int, prefix: str = "COFRE") -> str:
    return f"{prefix}{n:0{30 - len(prefix)}d}"
