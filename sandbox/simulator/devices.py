"""Devices and logins: each customer uses one phone at a time and now and then changes it.

A device is "new" for 24 hours after its first login (legit phone changes happen to ~2.5% of the
customers a month, so new-device activity is not only fraud). Only movements the customer starts in
the app (PIX/TED sent, bills) carry a device; received money, card purchases and bank charges do not.
Fraud rows may carry a device of their own (``dev_override``), which is always new.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sandbox.simulator.config import BRT_OFFSET_US, US_PER_DAY, SimConfig
from sandbox.simulator.people import Customers
from sandbox.simulator.transactions import HOURS_PEOPLE, MonthContext

NEW_DEVICE_US = US_PER_DAY
LOGIN_SCHEMA = {"customer_idx": pl.Int32, "ts": pl.Int64, "device_id": pl.String, "is_new_device": pl.Boolean}


@dataclass
class DeviceState:
    current: np.ndarray  # device serial in use at the start of the month, per customer

    @classmethod
    def start(cls, n: int) -> DeviceState:
        return cls(current=np.zeros(n, dtype=np.int64))


def device_ids(cust: pl.Expr, serial: pl.Expr) -> pl.Expr:
    return pl.format("DEV{}-{}", cust.cast(pl.String).str.zfill(8), serial.cast(pl.String))


def month_devices(
    cfg: SimConfig,
    ctx: MonthContext,
    cu: Customers,
    state: DeviceState,
    tx: pl.DataFrame,
    fraud_logins: pl.DataFrame,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add ``device_id``/``is_new_device`` to the month's rows and draw the month's logins."""
    n = cu.n
    lo = int(ctx.day_start_us[0]) + BRT_OFFSET_US
    hi = lo + ctx.ndays * US_PER_DAY
    changed = rng.random(n) < 0.025
    change_ts = np.where(changed, rng.integers(lo, hi, n), np.iinfo(np.int64).max)

    def resolve(cust: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        after = ts >= change_ts[cust]
        serial = state.current[cust] + after
        new = after & (ts < change_ts[cust] + NEW_DEVICE_US)
        return serial, new

    cust = tx["customer_idx"].to_numpy()
    serial, new = resolve(cust, tx["ts"].to_numpy())
    tx = tx.with_columns(pl.Series("_serial", serial), pl.Series("_new", new))
    app_row = pl.col("app") & pl.col("dev_override").is_null()
    tx = tx.with_columns(
        pl.when(pl.col("dev_override").is_not_null())
        .then(pl.col("dev_override"))
        .when(app_row)
        .then(device_ids(pl.col("customer_idx"), pl.col("_serial")))
        .otherwise(None)
        .alias("device_id"),
        (pl.col("dev_override").is_not_null() | (app_row & pl.col("_new"))).alias("is_new_device"),
    ).drop("_serial", "_new")

    # logins: habitual ones, the first login of a changed phone, and the fraudsters'
    k = rng.poisson(8.0 * cu.activity)
    lc = np.repeat(np.arange(n), k)
    day = rng.integers(0, ctx.ndays, len(lc))
    lts = ctx.at(rng, day, rng.choice(24, size=len(lc), p=HOURS_PEOPLE / HOURS_PEOPLE.sum()))
    ch = np.flatnonzero(changed)
    lc = np.concatenate([lc, ch])
    lts = np.concatenate([lts, change_ts[ch]])
    lserial, lnew = resolve(lc, lts)
    logins = pl.DataFrame(
        {"customer_idx": lc.astype(np.int32), "ts": lts, "_serial": lserial, "is_new_device": lnew}
    )
    logins = logins.with_columns(device_ids(pl.col("customer_idx"), pl.col("_serial")).alias("device_id"))
    logins = pl.concat([logins.select(list(LOGIN_SCHEMA)), fraud_logins.select(list(LOGIN_SCHEMA))])
    state.current = state.current + changed
    return tx, logins
