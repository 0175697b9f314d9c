"""Fraud features for ANY transaction log (customer, counterparty, amount, time, label): the generic fraud trainer's input.

Customer windows come from the same code as ``gold.transaction_features``
(:func:`pipelines.gold.windows.window_features`: counts and sums over 1h/24h/7d/30d strictly before
the transaction, distinct counterparties over 24h/7d/30d, the 30-day max, first-time
counterparty), plus the amount against the 30-day mean and max, the UTC hour and the weekday.

Counterparty (terminal, merchant, payee) risk windows carry the label delay a fraud team lives
with: a transaction's label is only known ``delay`` days after it happened, so for a transaction
at time t and a window of w days the counterparty's figures count the transactions in
``[t - delay - w, t - delay)`` only: ``cp_tx_count_{w}d``, ``cp_fraud_count_{w}d`` and
``cp_fraud_rate_{w}d`` (frauds / transactions, 0 when there were none). The customer's own known
frauds follow the same rule (``cu_fraud_count_{w}d``: a card reported compromised), and the amount
is also compared with the last 24 hours' and 7 days' mean (a compromised card pulls its 30-day mean
up). Computed exactly with one sort by (counterparty, time), prefix sums and two ``searchsorted``
calls per window.

Only the five named columns are read (polars, from CSV or Parquet), so a log of millions of rows
costs about 60 bytes a row for the inputs plus 8 bytes per feature column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from pipelines.gold import windows

WINDOWS = ("1h", "24h", "7d", "30d")
DISTINCT_WINDOWS = ("24h", "7d", "30d")
RISK_DAYS = (1, 7, 30)
DAY_US = 86_400_000_000


def read_log(path: Path, columns: dict[str, str]) -> pl.DataFrame:
    """The log's ``customer, counterparty, amount, time, label`` columns (renamed to those roles)."""
    wanted = list(columns.values())
    if path.suffix.lower() in (".parquet", ".pq"):
        lf = pl.scan_parquet(path)
    else:
        lf = pl.scan_csv(path, try_parse_dates=True, infer_schema_length=10_000)
    missing = [c for c in wanted if c not in lf.collect_schema().names()]
    if missing:
        raise ValueError(f"columns {missing} not in {path.name}")
    return lf.select([pl.col(src).alias(role) for role, src in columns.items()]).collect()


def _epoch_us(s: pl.Series) -> np.ndarray:
    if s.dtype == pl.String:
        s = s.str.to_datetime(time_zone="UTC")
    if isinstance(s.dtype, pl.Datetime):
        if s.dtype.time_zone is None:
            s = s.dt.replace_time_zone("UTC")
        return s.dt.epoch("us").to_numpy()
    if s.dtype.is_numeric():  # seconds since an origin
        return (s.cast(pl.Float64).to_numpy() * 1e6).astype(np.int64)
    raise ValueError(f"time column has type {s.dtype}: expected a timestamp or seconds")


def counterparty_risk(
    cp: np.ndarray, t: np.ndarray, label: np.ndarray, delay_days: int, days: tuple[int, ...] = RISK_DAYS
) -> dict[str, np.ndarray]:
    """Per row: the counterparty's transactions, frauds and fraud rate in ``[t - delay - w, t - delay)``."""
    return delayed_label_windows(cp, t, label, delay_days, days, prefix="cp")


def customer_risk(
    customer: np.ndarray, t: np.ndarray, label: np.ndarray, delay_days: int, days: tuple[int, ...] = RISK_DAYS
) -> dict[str, np.ndarray]:
    """Per row: the customer's own known frauds in ``[t - delay - w, t - delay)`` (``cu_fraud_count_{w}d``).

    A card whose earlier payments were reported as fraud (the report arriving ``delay`` days later) is
    a compromised card until proven otherwise: the same label-delay rule as the counterparty windows.
    """
    out = delayed_label_windows(customer, t, label, delay_days, days, prefix="cu")
    return {f"cu_fraud_count_{w}d": out[f"cu_fraud_count_{w}d"] for w in days}


def delayed_label_windows(
    entity: np.ndarray,
    t: np.ndarray,
    label: np.ndarray,
    delay_days: int,
    days: tuple[int, ...],
    *,
    prefix: str,
) -> dict[str, np.ndarray]:
    """Per row and window w: the entity's transactions, frauds, fraud rate in ``[t - delay - w, t - delay)``.

    ``entity`` holds non-negative integer ids. Exact: one sort by (entity, time), prefix sums and two
    ``searchsorted`` calls per window.
    """
    n = len(t)
    d = delay_days * DAY_US
    span = int(t.max() - t.min()) + (delay_days + max(days)) * DAY_US + 1 if n else 1
    key = entity.astype(np.int64) * span + (t - (t.min() if n else 0))
    if n and (int(entity.max()) + 1) * span >= 2**62:
        raise ValueError("too many ids x time span for int64 keys")
    order = np.argsort(key, kind="stable")
    ks = key[order]
    ones = np.concatenate(([0], np.cumsum(np.ones(n, dtype=np.int64))))
    frauds = np.concatenate(([0], np.cumsum(label[order].astype(np.int64))))
    out: dict[str, np.ndarray] = {}
    band_start = entity.astype(np.int64) * span
    for w in days:
        lo_key = np.maximum(key - d - w * DAY_US, band_start)
        hi_key = np.maximum(key - d, band_start)
        lo = np.searchsorted(ks, lo_key, side="left")
        hi = np.searchsorted(ks, hi_key, side="left")
        count = ones[hi] - ones[lo]
        bad = frauds[hi] - frauds[lo]
        out[f"{prefix}_tx_count_{w}d"] = count
        out[f"{prefix}_fraud_count_{w}d"] = bad
        out[f"{prefix}_fraud_rate_{w}d"] = np.where(count > 0, bad / np.maximum(count, 1), 0.0)
    return out


def log_features(log: pl.DataFrame, delay_days: int = 7) -> pl.DataFrame:
    """Features per transaction of a log with columns ``customer, counterparty, amount, time, label``.

    Returns the rows sorted by (time, customer) with ``customer``, ``time_us``, ``label`` and the
    feature columns (:func:`feature_names`). ``amount`` must be integer cents.
    """
    if not log["amount"].dtype.is_integer():
        raise ValueError("amount must be integer cents")
    df = log.with_columns(
        pl.Series("time_us", _epoch_us(log["time"])),
        pl.col("customer").cast(pl.String).cast(pl.Categorical).to_physical().alias("_c"),
        pl.col("counterparty").cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int64).alias("_cp"),
        pl.col("label").cast(pl.Int64),
    ).drop("time")
    df = df.sort("_c", "time_us").with_columns(pl.col("_c").rle_id().cast(pl.Int64).alias("_cid"))
    t = df["time_us"].to_numpy()
    amt = df["amount"].to_numpy().astype(np.int64)
    none = windows.Events(np.zeros(0, np.int64), np.zeros(0, np.int64))
    cols = windows.window_features(
        df["_cid"].to_numpy(),
        t,
        amt,
        df["_cp"].to_numpy(),
        np.ones(len(df), dtype=bool),
        np.zeros(len(df), dtype=bool),
        none,
        none,
        WINDOWS,
        DISTINCT_WINDOWS,
        "30d",
    )
    feats: dict[str, np.ndarray] = {k: v for k, v in cols.items() if k.startswith(("tx_", "distinct_"))}
    cnt30 = cols["tx_count_30d"].astype(np.float64)
    mean30 = np.where(cnt30 > 0, cols["tx_sum_cents_30d"] / np.maximum(cnt30, 1), np.nan)
    max30 = np.where(cols["max_null"], np.nan, cols["max_amount"].astype(np.float64))
    feats["amount_cents"] = amt
    feats["mean_amount_cents_30d"] = mean30
    feats["amount_to_mean_30d"] = amt / mean30
    feats["amount_to_max_30d"] = amt / max30
    for w in ("24h", "7d"):  # a card compromised days ago has already pulled its 30-day mean up
        cnt = cols[f"tx_count_{w}"].astype(np.float64)
        feats[f"amount_to_mean_{w}"] = np.where(
            cnt > 0, amt * cnt / np.maximum(cols[f"tx_sum_cents_{w}"], 1), np.nan
        )
    feats["is_first_time_counterparty"] = cols["is_first_time_counterparty"].astype(np.int8)
    feats["hour_utc"] = (t // 3_600_000_000) % 24
    feats["weekday"] = ((t // DAY_US) + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
    feats |= counterparty_risk(df["_cp"].to_numpy(), t, df["label"].to_numpy(), delay_days)
    feats |= customer_risk(df["_cid"].to_numpy(), t, df["label"].to_numpy(), delay_days)
    out = df.select("customer", "time_us", "label").with_columns(pl.Series(k, v) for k, v in feats.items())
    return out.sort("time_us", "customer", maintain_order=True)


def feature_names() -> list[str]:
    names = [f"tx_count_{w}" for w in WINDOWS] + [f"tx_sum_cents_{w}" for w in WINDOWS]
    names += [f"distinct_counterparties_{w}" for w in DISTINCT_WINDOWS]
    names += [
        "amount_cents",
        "mean_amount_cents_30d",
        "amount_to_mean_30d",
        "amount_to_max_30d",
        "amount_to_mean_24h",
        "amount_to_mean_7d",
        "is_first_time_counterparty",
        "hour_utc",
        "weekday",
    ]
    names += [f"cp_{k}_{w}d" for w in RISK_DAYS for k in ("tx_count", "fraud_count", "fraud_rate")]
    names += [f"cu_fraud_count_{w}d" for w in RISK_DAYS]
    return names
