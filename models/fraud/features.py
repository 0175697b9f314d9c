"""Fraud model features: numeric aggregates, on-demand features, hashed categoricals, Portuguese reasons.

Names follow the transaction feature view planned over ``gold.transaction_features``; money is
integer cents. ``add_on_demand`` computes the request-time features (the same code serves Feast
on-demand views later).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AGGREGATES: tuple[str, ...] = (
    "amount_cents", "avg_amount_30d_cents", "txn_count_1h", "txn_count_24h", "amount_sum_24h_cents",
    "distinct_counterparties_24h", "is_new_device", "is_new_counterparty", "minutes_since_login",
    "account_age_days", "incoming_count_24h",
)
ON_DEMAND: tuple[str, ...] = ("amount_to_avg_30d", "hour_of_day", "is_night")
HASHED: tuple[str, ...] = ("counterparty_key", "device_id", "mcc", "channel")
FEATURES: tuple[str, ...] = AGGREGATES + ON_DEMAND + HASHED

REASONS: dict[str, str] = {
    "amount_cents": "Valor alto da transação",
    "avg_amount_30d_cents": "Histórico de valores do cliente incomum",
    "txn_count_1h": "Muitas transações na última hora",
    "txn_count_24h": "Muitas transações nas últimas 24 horas",
    "amount_sum_24h_cents": "Volume alto movimentado nas últimas 24 horas",
    "distinct_counterparties_24h": "Muitos destinatários diferentes em 24 horas",
    "is_new_device": "Transação feita de um dispositivo novo",
    "is_new_counterparty": "Destinatário nunca usado antes",
    "minutes_since_login": "Transação logo após um novo acesso",
    "account_age_days": "Conta aberta recentemente",
    "incoming_count_24h": "Muitos recebimentos seguidos de saídas",
    "amount_to_avg_30d": "Valor muito acima do habitual do cliente",
    "hour_of_day": "Horário incomum para o cliente",
    "is_night": "Transação de madrugada",
    "counterparty_key": "Destinatário com padrão de risco",
    "device_id": "Dispositivo com padrão de risco",
    "mcc": "Tipo de estabelecimento com padrão de risco",
    "channel": "Canal de pagamento com padrão de risco",
}


def add_on_demand(df: pd.DataFrame, ts_col: str = "booked_at") -> pd.DataFrame:
    """Add amount/30-day average, hour of day (America/Sao_Paulo) and a night flag."""
    out = df.copy()
    avg = pd.to_numeric(out["avg_amount_30d_cents"], errors="coerce").astype(float)
    amt = pd.to_numeric(out["amount_cents"], errors="coerce").astype(float)
    out["amount_to_avg_30d"] = np.where(avg > 0, amt / avg.where(avg > 0, 1.0), np.nan)
    ts = pd.to_datetime(out[ts_col], utc=True).dt.tz_convert("America/Sao_Paulo")
    out["hour_of_day"] = ts.dt.hour.astype(float)
    out["is_night"] = ((ts.dt.hour >= 0) & (ts.dt.hour < 6)).astype(float)
    return out
