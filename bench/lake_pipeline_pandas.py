"""A straightforward pandas implementation of the silver + gold transaction transforms (the bench's peer).

Same inputs and outputs as pipelines.open_finance.transforms.silver_transactions (the typed part) and
pipelines.gold.transforms.transaction_features/customer_day: json.loads per payload, pandas typing,
groupby-rolling windows with ``closed="left"``, a rolling apply for distinct counterparties.
No main(): bench/lake_pipeline.py runs it.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import numpy as np
import pandas as pd

WINDOWS = ("1h", "24h", "7d", "30d")


def _pk(values: pd.Series, key: bytes) -> pd.Series:
    uniq = {v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values.dropna().unique()}
    return values.map(uniq)


def silver(account_tx: pd.DataFrame, context: pd.DataFrame, owners: pd.DataFrame, key: bytes) -> pd.DataFrame:
    p = account_tx["payload"].map(json.loads)
    df = pd.DataFrame({
        "transaction_id": p.map(lambda x: x.get("transactionId")),
        "consent_id": account_tx["consent_id"].values,
        "booked_at": pd.to_datetime(p.map(lambda x: x.get("transactionDateTime")), utc=True, errors="coerce"),
        "amount_raw": p.map(lambda x: (x.get("transactionAmount") or {}).get("amount")),
        "credit_debit_type": p.map(lambda x: x.get("creditDebitType")),
        "type": p.map(lambda x: x.get("type")),
        "counterparty_document": p.map(lambda x: x.get("partieCnpjCpf")),
    })
    ok = df["amount_raw"].astype(str).str.fullmatch(r"\d+\.\d\d(?:00?)?") & df["booked_at"].notna()
    df = df[ok].copy()
    whole_frac = df["amount_raw"].str.split(".", expand=True)
    df["amount_cents"] = whole_frac[0].astype(np.int64) * 100 + whole_frac[1].str[:2].astype(np.int64)
    df = df.merge(owners, on="consent_id", how="left")
    ctx = pd.DataFrame([json.loads(x) for x in context["payload"]])
    ctx["transaction_id"] = context["transaction_id"].values
    df = df.merge(ctx[["transaction_id", "channel", "device_id", "is_new_device", "counterparty_key"]],
                  on="transaction_id", how="left")
    df["counterparty_pk"] = _pk(df["counterparty_key"], key)
    df["counterparty_document_pk"] = _pk(df["counterparty_document"], key)
    df["signed_amount_cents"] = np.where(df["credit_debit_type"] == "CREDITO", 1, -1) * df["amount_cents"]
    return df.drop(columns=["counterparty_key", "counterparty_document", "amount_raw"])


def gold(tx: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    tx = tx.sort_values(["customer_pk", "booked_at"]).reset_index(drop=True)
    g = tx.set_index("booked_at").groupby("customer_pk")["amount_cents"]
    out = tx[["transaction_id", "customer_pk", "booked_at", "amount_cents"]].copy()
    for w in WINDOWS:
        r = g.rolling(w, closed="left")
        out[f"tx_count_{w}"] = r.count().fillna(0).to_numpy()
        out[f"tx_sum_cents_{w}"] = r.sum().fillna(0).to_numpy()
    out["max_amount_cents_30d"] = g.rolling("30d", closed="left").max().to_numpy()
    codes = pd.Series(pd.factorize(tx["counterparty_pk"])[0].astype(float), index=tx["booked_at"])
    codes[codes < 0] = np.nan
    distinct = codes.groupby(tx["customer_pk"].values).rolling("30d", closed="left").apply(
        lambda a: len(np.unique(a[~np.isnan(a)])), raw=True)
    out["distinct_counterparties_30d"] = distinct.fillna(0).to_numpy()
    local = tx["booked_at"].dt.tz_convert("America/Sao_Paulo")
    out["hour_of_day"] = local.dt.hour
    day = tx.assign(day=local.dt.date).groupby(["customer_pk", "day"]).agg(
        tx_count=("transaction_id", "size"), net_cents=("signed_amount_cents", "sum"),
        distinct_counterparties=("counterparty_pk", "nunique"))
    return out, day
