"""Simulation parameters, the calendar of simulated months and the per-purpose random streams.

Every random draw comes from a generator keyed by (seed, purpose[, month]) so that a month's data
does not depend on how many draws other parts made: same seed, same world, chunk by chunk.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import numpy as np

US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000
US_PER_MIN = 60_000_000
BRT_OFFSET_US = 3 * US_PER_HOUR  # Brasília is UTC-3 (no daylight saving since 2019)

# purposes of the random streams
PEOPLE, ACCOUNTS, CREDIT, PIXKEYS, SCORES, COUNTERPARTIES = 1, 2, 3, 4, 5, 6
MONTH_TX, MONTH_FRAUD, MONTH_DEVICES, MONTH_LOGINS = 100, 200, 300, 400


@dataclass(frozen=True)
class SimConfig:
    """What to simulate. ``activity`` scales the discretionary transactions (card, PIX)."""

    customers: int = 2_000
    months: int = 12
    seed: int = 42
    fraud_rate: float = 0.005
    default_rate: float = 0.08
    end_date: date = date(2026, 10, 31)
    activity: float = 1.0

    def __post_init__(self) -> None:
        if self.customers < 10:
            raise ValueError("customers must be at least 10")
        if not 1 <= self.months <= 120:
            raise ValueError("months must be in 1..120")
        if not 0.0 <= self.fraud_rate < 0.5:
            raise ValueError("fraud_rate must be in [0, 0.5)")
        if not 0.0 < self.default_rate < 0.6:
            raise ValueError("default_rate must be in (0, 0.6)")
        if self.activity <= 0:
            raise ValueError("activity must be positive")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["end_date"] = self.end_date.isoformat()
        return d

    def rng(self, purpose: int, month: int = 0) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, purpose, month])))

    @property
    def month_starts(self) -> np.ndarray:
        """First day of each simulated month plus the day after the end: ``months + 1`` dates."""
        end_month = np.datetime64(self.end_date, "M")
        first = end_month - (self.months - 1)
        return (first + np.arange(self.months + 1)).astype("datetime64[D]")

    @property
    def start_us(self) -> int:
        """Start of the period: midnight in Brasília of the first simulated day, in UTC µs."""
        return int(self.month_starts[0].astype("datetime64[us]").astype(np.int64)) + BRT_OFFSET_US

    @property
    def end_us(self) -> int:
        """Exclusive end: midnight in Brasília after ``end_date``, in UTC µs."""
        return (
            int((np.datetime64(self.end_date) + 1).astype("datetime64[us]").astype(np.int64)) + BRT_OFFSET_US
        )


def day_us(d: np.ndarray) -> np.ndarray:
    """datetime64[D] -> int64 microseconds since the epoch."""
    return d.astype("datetime64[D]").astype("datetime64[us]").astype(np.int64)


def add_months(d: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """Same day-of-month ``k`` months later (days above 28 are capped at 28)."""
    d = d.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = np.minimum((d - month).astype(np.int64), 27)
    return (month + k).astype("datetime64[D]") + dom


def local_to_utc(day_start_us: np.ndarray, local_seconds: np.ndarray) -> np.ndarray:
    """UTC microseconds of a Brasília wall-clock time (seconds after local midnight) on a day."""
    return day_start_us + local_seconds.astype(np.int64) * 1_000_000 + BRT_OFFSET_US


def group_cumsum(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group of consecutive rows (``sizes`` rows per group)."""
    c = np.cumsum(values)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    base = np.where(starts > 0, c[np.maximum(starts - 1, 0)], 0)
    return c - base


def position_in_group(sizes: np.ndarray) -> np.ndarray:
    """0, 1, ... within each group of consecutive rows."""
    return group_cumsum(np.ones(int(sizes.sum()), dtype=np.int64), sizes) - 1
