"""Implicit-feedback features of an offer: what the customer did with earlier offers (strictly earlier periods).

Offer events carry a ``period`` (one round of offers in the app, e.g. a month). For an offer shown in
period ``t`` the features use only that customer's events of periods ``< t``; so the features of a
held-out period never see its own answers, and serving computes them from the offer history it has
(none: the "no history" values, which period 0 of training also has, so the ranker knows them).

Category of an offer: its risk level 1..5 for investments, ``0`` for credit products. Columns:

* ``h_shown``, ``h_accepted``: offers shown / accepted before;
* ``h_cat_rate``: acceptance rate in the offer's category, smoothed towards ``PRIOR_RATE`` with
  ``PRIOR_WEIGHT`` pseudo-offers; ``h_kind_rate``: the same over the offer's kind (investment/credit);
* ``h_product_accepted``: times this very product was accepted before;
* ``h_acc_risk``: mean risk of the investments accepted before (NaN: none) and ``h_risk_gap`` = offer
  risk minus it (NaN for credit offers); ``h_rej_risk``: mean risk of investments turned down before;
* ``h_recency``: periods since the last acceptance (NaN: never), ``h_cat_recency``: the same in the
  offer's category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.recommend.catalog import BY_CODE

HISTORY_COLS = (
    "h_shown",
    "h_accepted",
    "h_cat_rate",
    "h_kind_rate",
    "h_product_accepted",
    "h_acc_risk",
    "h_risk_gap",
    "h_rej_risk",
    "h_recency",
    "h_cat_recency",
)
PRIOR_RATE = 0.1
PRIOR_WEIGHT = 2.0
NO_HISTORY = {
    "h_shown": 0.0,
    "h_accepted": 0.0,
    "h_cat_rate": PRIOR_RATE,
    "h_kind_rate": PRIOR_RATE,
    "h_product_accepted": 0.0,
    "h_acc_risk": np.nan,
    "h_risk_gap": np.nan,
    "h_rej_risk": np.nan,
    "h_recency": np.nan,
    "h_cat_recency": np.nan,
}


def _category(products: pd.Series) -> np.ndarray:
    return np.array([BY_CODE[p].risk if BY_CODE[p].kind == "investment" else 0 for p in products], dtype=int)


def _rate(acc: pd.Series, shown: pd.Series) -> pd.Series:
    return (acc.fillna(0) + PRIOR_RATE * PRIOR_WEIGHT) / (shown.fillna(0) + PRIOR_WEIGHT)


def _for_period(now: pd.DataFrame, past: pd.DataFrame, t: int) -> pd.DataFrame:
    """History columns for the offers ``now`` (one period ``t``) from ``past`` (periods < t)."""
    out = now[["cust_idx", "product", "kind", "cat"]].copy()
    if past.empty:
        return pd.DataFrame({c: np.full(len(now), v) for c, v in NO_HISTORY.items()}, index=now.index)
    past = past.assign(acc=past["accepted"].astype(float))
    past = past.assign(
        acc_period=np.where(past["accepted"], past["period"], np.nan),
        inv_risk_acc=np.where(past["accepted"] & (past["cat"] > 0), past["cat"], np.nan),
        inv_risk_rej=np.where(~past["accepted"].astype(bool) & (past["cat"] > 0), past["cat"], np.nan),
    )
    cust = past.groupby("cust_idx").agg(
        h_shown=("acc", "size"),
        h_accepted=("acc", "sum"),
        last_acc=("acc_period", "max"),
        h_acc_risk=("inv_risk_acc", "mean"),
        h_rej_risk=("inv_risk_rej", "mean"),
    )
    cat = past.groupby(["cust_idx", "cat"]).agg(
        cat_shown=("acc", "size"), cat_acc=("acc", "sum"), cat_last=("acc_period", "max")
    )
    kind = past.groupby(["cust_idx", "kind"]).agg(kind_shown=("acc", "size"), kind_acc=("acc", "sum"))
    prod = past.groupby(["cust_idx", "product"]).agg(h_product_accepted=("acc", "sum"))
    out = (
        out.join(cust, on="cust_idx")
        .join(cat, on=["cust_idx", "cat"])
        .join(kind, on=["cust_idx", "kind"])
        .join(prod, on=["cust_idx", "product"])
    )
    res = pd.DataFrame(index=now.index)
    res["h_shown"] = out["h_shown"].fillna(0.0).astype(float)
    res["h_accepted"] = out["h_accepted"].fillna(0.0).astype(float)
    res["h_cat_rate"] = _rate(out["cat_acc"], out["cat_shown"])
    res["h_kind_rate"] = _rate(out["kind_acc"], out["kind_shown"])
    res["h_product_accepted"] = out["h_product_accepted"].fillna(0.0).astype(float)
    res["h_acc_risk"] = out["h_acc_risk"].astype(float)
    res["h_risk_gap"] = np.where(out["cat"] > 0, out["cat"] - out["h_acc_risk"], np.nan)
    res["h_rej_risk"] = out["h_rej_risk"].astype(float)
    res["h_recency"] = t - out["last_acc"].astype(float)
    res["h_cat_recency"] = t - out["cat_last"].astype(float)
    return res[list(HISTORY_COLS)]


def add_history(events: pd.DataFrame) -> pd.DataFrame:
    """``events`` (with ``period``, ``cust_idx``, ``product``, ``kind``, ``accepted``) plus the history
    columns; an offer of period ``t`` only sees that customer's events of periods ``< t``."""
    ev = events.assign(cat=_category(events["product"]))
    parts = []
    for t in sorted(ev["period"].unique()):
        now = ev[ev["period"] == t]
        parts.append(_for_period(now, ev[ev["period"] < t], int(t)))
    hist = pd.concat(parts).reindex(events.index) if parts else pd.DataFrame(columns=list(HISTORY_COLS))
    return events.drop(columns=[c for c in HISTORY_COLS if c in events.columns]).join(hist)


def history_for(past: pd.DataFrame, offers: pd.DataFrame) -> pd.DataFrame:
    """Serving: history columns of ``offers`` (one customer, next period) from that customer's ``past``
    events (``product``, ``kind``, ``period``, ``accepted``); empty ``past`` gives the no-history values."""
    t = int(past["period"].max()) + 1 if len(past) else 0
    now = offers.assign(cust_idx=0, cat=_category(offers["product"]))
    prior = past.assign(cust_idx=0, cat=_category(past["product"])) if len(past) else past
    return _for_period(now, prior, t)
