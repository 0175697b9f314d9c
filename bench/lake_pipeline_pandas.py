"""A straightforward pandas implementation of the silver + gold transaction transforms (the bench's peer).

Same inputs and outputs as pipelines.open_finance.transforms.silver_transactions (account transactions:
dedup of re-pulls, owners/context/labels joins, amount/enum checks, pseudonymised keys) and
pipelines.gold.transforms.transaction_features/customer_day (every window: counts/sums 1h..30d, max
30d, distinct counterparties 24h/7d/30d, first-time counterparty, mean/ratios, local hour/weekday,
minutes since the last login and device change, the customer-day aggregates): json.loads per payload,
pandas typing, groupby-rolling windows with ``closed="left"``, a rolling apply for distinct
counterparties, merge_asof for logins. Not in the peer: card transactions and the CPF check-digit test.
No main(): bench/lake_pipeline.py runs it.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import numpy as np
import pandas as pd

from lake.domain.world_schema import CHANNELS, CREDIT_DEBIT, TRANSACTION_TYPES

WINDOWS = ("1h", "24h", "7d", "30d")


def _pk(values: pd.Series, key: bytes) -> pd.Series:
    uniq = {v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values.dropna().unique()}
    return values.map(uniq)


def silver(
    account_tx: pd.DataFrame, context: pd.DataFrame, labels: pd.DataFrame, owners: pd.DataFrame, key: bytes
) -> pd.DataFrame:
    p = account_tx["payload"].map(json.loads)
    df = pd.DataFrame(
        {
            "transaction_id": p.map(lambda x: x.get("transactionId")),
            "consent_id": account_tx["consent_id"].values,
            "pulled_at": account_tx["pulled_at"].values,
            "booked_at": pd.to_datetime(
                p.map(lambda x: x.get("transactionDateTime")), utc=True, errors="coerce"
            ),
            "amount_raw": p.map(lambda x: (x.get("transactionAmount") or {}).get("amount")),
            "credit_debit_type": p.map(lambda x: x.get("creditDebitType")),
            "type": p.map(lambda x: x.get("type")),
            "counterparty_document": p.map(lambda x: x.get("partieCnpjCpf")),
        }
    )
    df = df.sort_values("pulled_at").drop_duplicates("transaction_id", keep="last")
    df = df.merge(owners, on="consent_id", how="left")
    ctx = pd.DataFrame([json.loads(x) for x in context["payload"]])
    ctx["transaction_id"] = context["transaction_id"].values
    ctx = ctx.drop_duplicates("transaction_id", keep="last")
    df = df.merge(
        ctx[["transaction_id", "channel", "device_id", "is_new_device", "counterparty_key"]],
        on="transaction_id",
        how="left",
    )
    lab = pd.DataFrame([json.loads(x) for x in labels["payload"]], columns=["fraud_scenario"])
    lab["transaction_id"], lab["is_fraud"] = labels["transaction_id"].values, True
    df = df.merge(lab.drop_duplicates("transaction_id", keep="last"), on="transaction_id", how="left")
    ok = (
        df["amount_raw"].astype(str).str.fullmatch(r"\d+\.\d\d(?:00?)?")
        & df["booked_at"].notna()
        & df["customer_pk"].notna()
        & df["credit_debit_type"].isin(CREDIT_DEBIT)
        & df["type"].isin(TRANSACTION_TYPES)
        & (df["channel"].isna() | df["channel"].isin(CHANNELS))
    )
    df = df[ok].copy()
    whole_frac = df["amount_raw"].str.split(".", expand=True)
    df["amount_cents"] = whole_frac[0].astype(np.int64) * 100 + whole_frac[1].str[:2].astype(np.int64)
    df = df[df["amount_cents"] > 0]
    df["counterparty_pk"] = _pk(df["counterparty_key"], key)
    df["counterparty_document_pk"] = _pk(df["counterparty_document"], key)
    df["signed_amount_cents"] = np.where(df["credit_debit_type"] == "CREDITO", 1, -1) * df["amount_cents"]
    df["is_new_device"] = df["is_new_device"].fillna(False).astype(bool)
    df["is_fraud"] = df["is_fraud"].fillna(False).astype(bool)
    df["booked_month"] = df["booked_at"].dt.strftime("%Y-%m")
    return df.drop(columns=["counterparty_key", "counterparty_document", "amount_raw", "pulled_at"])


def gold(tx: pd.DataFrame, logins: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``logins``: customer_pk, at, is_new_device (silver.logins)."""
    tx = tx.sort_values(["customer_pk", "booked_at"]).reset_index(drop=True)
    g = tx.set_index("booked_at").groupby("customer_pk")["amount_cents"]
    out = tx[
        [
            "transaction_id",
            "customer_pk",
            "booked_at",
            "booked_month",
            "counterparty_pk",
            "amount_cents",
            "credit_debit_type",
            "type",
            "channel",
        ]
    ].copy()
    local = tx["booked_at"].dt.tz_convert("America/Sao_Paulo")
    out["hour_of_day"] = local.dt.hour
    out["day_of_week"] = local.dt.dayofweek + 1
    for w in WINDOWS:
        r = g.rolling(w, closed="left")
        out[f"tx_count_{w}"] = r.count().fillna(0).to_numpy()
        out[f"tx_sum_cents_{w}"] = r.sum().fillna(0).to_numpy()
    out["max_amount_cents_30d"] = g.rolling("30d", closed="left").max().to_numpy()
    codes = pd.Series(pd.factorize(tx["counterparty_pk"])[0].astype(float), index=tx["booked_at"])
    codes[codes < 0] = np.nan
    by_customer = codes.groupby(tx["customer_pk"].values)
    for w in ("24h", "7d", "30d"):
        distinct = by_customer.rolling(w, closed="left").apply(
            lambda a: len(np.unique(a[~np.isnan(a)])), raw=True
        )
        out[f"distinct_counterparties_{w}"] = distinct.fillna(0).to_numpy()
    first_seen = tx.groupby(["customer_pk", "counterparty_pk"])["booked_at"].transform("min")
    out["is_first_time_counterparty"] = tx["counterparty_pk"].notna() & (tx["booked_at"] == first_seen)
    out["mean_amount_cents_30d"] = (out["tx_sum_cents_30d"] / out["tx_count_30d"]).where(
        out["tx_count_30d"] > 0
    )
    out["amount_to_mean_30d"] = out["amount_cents"] / out["mean_amount_cents_30d"]
    out["amount_to_max_30d"] = out["amount_cents"] / out["max_amount_cents_30d"]
    out["is_new_device"] = tx["is_new_device"]
    # last login and last device change strictly before the transaction
    lg = logins.assign(at=logins["at"].astype(tx["booked_at"].dtype)).sort_values("at")
    dev = pd.concat(
        [
            lg.loc[lg["is_new_device"], ["customer_pk", "at"]],
            tx.loc[tx["is_new_device"], ["customer_pk", "booked_at"]].rename(columns={"booked_at": "at"}),
        ]
    )
    left = out[["booked_at", "customer_pk"]].reset_index().sort_values("booked_at")
    for events, col in (
        (lg[["customer_pk", "at"]], "minutes_since_last_login"),
        (dev.sort_values("at"), "minutes_since_device_change"),
    ):
        m = pd.merge_asof(
            left, events, left_on="booked_at", right_on="at", by="customer_pk", allow_exact_matches=False
        ).set_index("index")
        out[col] = ((m["booked_at"] - m["at"]).dt.total_seconds() // 1 / 60.0).reindex(out.index)
    out["is_fraud"], out["fraud_scenario"] = tx["is_fraud"], tx["fraud_scenario"]
    t = tx.assign(day=local.dt.date, credit=tx["credit_debit_type"] == "CREDITO")
    t["debit"] = ~t["credit"]
    t["pix_out"] = t["debit"] & (t["type"] == "PIX")
    t["salary"] = t["credit"] & t["type"].isin(["FOLHA_PAGAMENTO", "PORTABILIDADE_SALARIO"])
    for flag in ("credit", "debit", "pix_out", "salary"):
        t[f"{flag}_cents"] = t["amount_cents"].where(t[flag], 0)
    day = (
        t.groupby(["customer_pk", "day"])
        .agg(
            tx_count=("transaction_id", "size"),
            credit_count=("credit", "sum"),
            debit_count=("debit", "sum"),
            credit_cents=("credit_cents", "sum"),
            debit_cents=("debit_cents", "sum"),
            net_cents=("signed_amount_cents", "sum"),
            pix_out_count=("pix_out", "sum"),
            pix_out_cents=("pix_out_cents", "sum"),
            salary_cents=("salary_cents", "sum"),
            distinct_counterparties=("counterparty_pk", "nunique"),
            new_device_tx_count=("is_new_device", "sum"),
            fraud_tx_count=("is_fraud", "sum"),
        )
        .reset_index()
    )
    day["month"] = pd.to_datetime(day["day"]).dt.strftime("%Y-%m")
    return out, day
