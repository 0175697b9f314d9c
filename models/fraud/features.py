"""Fraud model features: the columns of Feast service ``fraud_v1`` + request fields, and Portuguese reasons.

The gold catalog is the truth. A scoring row carries:

* ``REQUEST``: sent with the transaction being scored (amount, whether the device is new to the
  customer; in training: the columns of gold.transaction_features for that transaction);
* ``WINDOWS``: view ``customer_transactions`` (gold.transaction_features): the customer's count/sum
  windows, distinct counterparties and 30-day mean/max *before* the transaction;
* ``DAILY``: view ``customer_daily`` (gold.customer_day): the latest complete day;
* ``ON_DEMAND``: on-demand view ``fraud_request_features`` (features.definitions): amount vs the
  30-day mean/max, first-time counterparty, São Paulo hour, minutes since login/device change;
* ``HASHED``: categoricals hashed into buckets (:mod:`models.fraud.hashing`): the counterparty key
  pseudonym, channel, transaction type, credit/debit.

Not in gold, so not used (the lake has no account age or incoming-only counts per transaction, and no
device id or MCC in gold.transaction_features): ``account_age_days``, ``incoming_count_24h``,
``device_id``, ``mcc``. Money is integer cents.
"""

from __future__ import annotations

WINDOW_NAMES = ("1h", "24h", "7d", "30d")
REQUEST: tuple[str, ...] = ("amount_cents", "is_new_device")
WINDOWS: tuple[str, ...] = (
    *[f"tx_count_{w}" for w in WINDOW_NAMES],
    *[f"tx_sum_cents_{w}" for w in WINDOW_NAMES],
    "distinct_counterparties_24h",
    "distinct_counterparties_7d",
    "distinct_counterparties_30d",
    "mean_amount_cents_30d",
    "max_amount_cents_30d",
)
DAILY: tuple[str, ...] = (
    "tx_count",
    "credit_cents",
    "debit_cents",
    "pix_out_count",
    "pix_out_cents",
    "card_count",
    "distinct_counterparties",
    "new_device_tx_count",
)
ON_DEMAND: tuple[str, ...] = (
    "amount_to_mean_30d",
    "amount_to_max_30d",
    "is_first_time_counterparty",
    "hour_of_day_brt",
    "minutes_since_last_login",
    "minutes_since_device_change",
)
HASHED: tuple[str, ...] = ("counterparty_pk", "channel", "type", "credit_debit_type")
AGGREGATES: tuple[str, ...] = REQUEST + WINDOWS + DAILY  # numeric, before the on-demand ones
FEATURES: tuple[str, ...] = AGGREGATES + ON_DEMAND + HASHED

REASONS: dict[str, str] = {
    "amount_cents": "Valor alto da transação",
    "is_new_device": "Transação feita de um dispositivo novo",
    **{f"tx_count_{w}": f"Muitas transações recentes ({w})" for w in WINDOW_NAMES},
    "tx_count_1h": "Muitas transações na última hora",
    "tx_count_24h": "Muitas transações nas últimas 24 horas",
    **{f"tx_sum_cents_{w}": f"Volume alto movimentado recentemente ({w})" for w in WINDOW_NAMES},
    "tx_sum_cents_24h": "Volume alto movimentado nas últimas 24 horas",
    "distinct_counterparties_24h": "Muitos destinatários diferentes em 24 horas",
    "distinct_counterparties_7d": "Muitos destinatários diferentes em 7 dias",
    "distinct_counterparties_30d": "Muitos destinatários diferentes em 30 dias",
    "mean_amount_cents_30d": "Histórico de valores do cliente incomum",
    "max_amount_cents_30d": "Histórico de valores do cliente incomum",
    "tx_count": "Movimentação do último dia incomum",
    "credit_cents": "Muitos recebimentos no último dia",
    "debit_cents": "Muitos pagamentos no último dia",
    "pix_out_count": "Muitos Pix enviados no último dia",
    "pix_out_cents": "Volume alto de Pix enviados no último dia",
    "card_count": "Muitas compras no cartão no último dia",
    "distinct_counterparties": "Muitos destinatários diferentes no último dia",
    "new_device_tx_count": "Transações recentes de dispositivo novo",
    "amount_to_mean_30d": "Valor muito acima do habitual do cliente",
    "amount_to_max_30d": "Valor acima do maior valor dos últimos 30 dias",
    "is_first_time_counterparty": "Destinatário nunca usado antes",
    "hour_of_day_brt": "Horário incomum para o cliente",
    "minutes_since_last_login": "Transação logo após um novo acesso",
    "minutes_since_device_change": "Transação logo após a troca de dispositivo",
    "counterparty_pk": "Destinatário com padrão de risco",
    "channel": "Canal de pagamento com padrão de risco",
    "type": "Tipo de transação com padrão de risco",
    "credit_debit_type": "Sentido da transação com padrão de risco",
}
