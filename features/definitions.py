"""Feast definitions of cofre: entities, feature views over the gold Delta tables, on-demand views, services.

Sources are ``FileSource(file_format=DeltaFormat())`` named after their catalog table; they are read by
:class:`features.delta_source.DeltaOfflineStore` through the Delta log (the path recorded here is
informative: the store resolves the table from its own ``lake_uri``).

* ``customer_transactions`` (customer, TTL 30 d): the customer's latest row of gold.transaction_features
  (30-day mean/max amount, count/sum windows, distinct counterparties). Online it is the state *before*
  the transaction being scored; training sets join at ``booked_at - 1 µs`` to see the same state.
* ``customer_daily`` (customer, TTL 7 d): the latest complete São Paulo day of gold.customer_day.
* ``customer_credit`` (customer, TTL 45 d): the latest gold.credit_features row.
* ``known_counterparties`` (customer x counterparty, no TTL): gold.counterparty_pairs, looked up with
  both keys; ``known_since`` is null for a pair never seen.
* ``fraud_request_features`` (on demand, python mode) from the request source ``fraud_request``:
  amount vs 30-day mean/max, first-time counterparty, São Paulo hour of day, minutes since the last
  login and since the last device change.
* services ``fraud_v1`` and ``credit_v1``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from feast import Entity, FeatureService, FeatureView, Field, FileSource, RequestSource, ValueType
from feast.data_format import DeltaFormat
from feast.on_demand_feature_view import on_demand_feature_view
from feast.types import Bool, Float64, Int32, Int64, UnixTimestamp

from lake.delta import table_uri
from lake.settings import get_settings

# --- entities ---------------------------------------------------------------------------------------

customer = Entity(
    name="customer",
    join_keys=["customer_pk"],
    value_type=ValueType.STRING,
    description="A bank customer; customer_pk = HMAC of the CPF digits (pseudonymous)",
)
account = Entity(
    name="account",
    join_keys=["account_id"],
    value_type=ValueType.STRING,
    description="A customer's account (Open Finance accountId)",
)
counterparty = Entity(
    name="counterparty",
    join_keys=["counterparty_pk"],
    value_type=ValueType.STRING,
    description="Who is paid or pays: HMAC of the normalised PIX key / merchant (pseudonymous)",
)


# --- sources ----------------------------------------------------------------------------------------


def _source(table: str, timestamp_field: str, created: str = "computed_at") -> FileSource:
    return FileSource(
        name=table,
        path=table_uri(table, get_settings()),
        file_format=DeltaFormat(),
        timestamp_field=timestamp_field,
        created_timestamp_column=created,
        description=f"Delta table {table} (read through the Delta log)",
    )


transaction_features_source = _source("gold.transaction_features", "booked_at")
customer_day_source = _source("gold.customer_day", "available_at")  # derived: end of the São Paulo day
credit_features_source = _source("gold.credit_features", "available_at")  # derived: as_of_date 00:00 BRT
counterparty_pairs_source = _source("gold.counterparty_pairs", "first_seen_at")

_WINDOWS = ("1h", "24h", "7d", "30d")

# --- feature views ----------------------------------------------------------------------------------

customer_transactions = FeatureView(
    name="customer_transactions",
    entities=[customer],
    ttl=timedelta(days=30),
    schema=[
        Field(name="mean_amount_cents_30d", dtype=Float64),
        Field(name="max_amount_cents_30d", dtype=Int64),
        *[Field(name=f"tx_count_{w}", dtype=Int32) for w in _WINDOWS],
        *[Field(name=f"tx_sum_cents_{w}", dtype=Int64) for w in _WINDOWS],
        Field(name="distinct_counterparties_24h", dtype=Int32),
        Field(name="distinct_counterparties_7d", dtype=Int32),
        Field(name="distinct_counterparties_30d", dtype=Int32),
    ],
    source=transaction_features_source,
    online=True,
    description="Latest transaction-window state of the customer (gold.transaction_features)",
    tags={"table": "gold.transaction_features"},
)

customer_daily = FeatureView(
    name="customer_daily",
    entities=[customer],
    ttl=timedelta(days=7),
    schema=[
        Field(name="tx_count", dtype=Int32),
        Field(name="credit_cents", dtype=Int64),
        Field(name="debit_cents", dtype=Int64),
        Field(name="net_cents", dtype=Int64),
        Field(name="pix_out_count", dtype=Int32),
        Field(name="pix_out_cents", dtype=Int64),
        Field(name="card_count", dtype=Int32),
        Field(name="card_cents", dtype=Int64),
        Field(name="salary_cents", dtype=Int64),
        Field(name="distinct_counterparties", dtype=Int32),
        Field(name="new_device_tx_count", dtype=Int32),
    ],
    source=customer_day_source,
    online=True,
    description="The customer's latest complete day (gold.customer_day)",
    tags={"table": "gold.customer_day"},
)

customer_credit = FeatureView(
    name="customer_credit",
    entities=[customer],
    ttl=timedelta(days=45),
    schema=[
        Field(name="declared_income_cents", dtype=Int64),
        Field(name="avg_monthly_credit_cents_6m", dtype=Int64),
        Field(name="salary_months_6m", dtype=Int32),
        Field(name="income_regularity", dtype=Float64),
        Field(name="overdraft_days_90d", dtype=Int32),
        Field(name="score_latest", dtype=Int32),
        Field(name="score_mean_12m", dtype=Float64),
        Field(name="score_min_12m", dtype=Int32),
        Field(name="score_trend_12m", dtype=Float64),
        Field(name="open_loans", dtype=Int32),
        Field(name="outstanding_cents", dtype=Int64),
        Field(name="instalments_in_arrears", dtype=Int32),
        Field(name="max_days_late_12m", dtype=Int32),
    ],
    source=credit_features_source,
    online=True,
    description="Credit suitability features (gold.credit_features)",
    tags={"table": "gold.credit_features"},
)

known_counterparties = FeatureView(
    name="known_counterparties",
    entities=[customer, counterparty],
    ttl=timedelta(0),
    schema=[Field(name="known_since", dtype=UnixTimestamp)],
    source=counterparty_pairs_source,
    online=True,
    description="First time the customer transacted with the counterparty (gold.counterparty_pairs)",
    tags={"table": "gold.counterparty_pairs"},
)

# --- request-time features --------------------------------------------------------------------------

fraud_request = RequestSource(
    name="fraud_request",
    schema=[
        Field(name="amount_cents", dtype=Int64),
        Field(name="request_ts", dtype=UnixTimestamp),
        Field(name="last_login_at", dtype=UnixTimestamp),
        Field(name="last_device_change_at", dtype=UnixTimestamp),
    ],
    description="Sent with a scoring request; counterparty_pk travels as the entity key",
)


def fraud_request_transform(inputs: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Row-wise request-time features (python mode: columns as lists).

    Self-contained on purpose: Feast stores the function's source in the registry and runs it in a
    fresh namespace, so helpers and imports live inside it.
    """
    from datetime import UTC, datetime  # inside: Feast runs this function's source alone
    from zoneinfo import ZoneInfo

    brt = ZoneInfo("America/Sao_Paulo")

    def ts(
        v: object,
    ) -> datetime | None:  # aware UTC (naive: UTC; int/float: epoch seconds); None when missing
        if v is None:
            return None
        if isinstance(v, int | float):
            return None if v != v else datetime.fromtimestamp(v, tz=UTC)
        if hasattr(v, "to_pydatetime"):
            v = v.to_pydatetime()
        if not isinstance(v, datetime):
            return None
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)

    def ratio(num: float | None, den: float | None) -> float | None:
        if num is None or den is None or den != den or den <= 0:
            return None
        return float(num) / float(den)

    def minutes(now: datetime | None, then: datetime | None) -> float | None:
        return None if now is None or then is None else (now - then).total_seconds() / 60.0

    names = (
        "amount_to_mean_30d",
        "amount_to_max_30d",
        "is_first_time_counterparty",
        "hour_of_day_brt",
        "minutes_since_last_login",
        "minutes_since_device_change",
    )
    out: dict[str, list[Any]] = {k: [] for k in names}
    for i, amount in enumerate(inputs["amount_cents"]):
        now = ts(inputs["request_ts"][i])
        known = ts(inputs["known_since"][i])
        out["amount_to_mean_30d"].append(ratio(amount, inputs["mean_amount_cents_30d"][i]))
        out["amount_to_max_30d"].append(ratio(amount, inputs["max_amount_cents_30d"][i]))
        out["is_first_time_counterparty"].append(known is None or now is None or known >= now)
        out["hour_of_day_brt"].append(now.astimezone(brt).hour if now is not None else None)
        out["minutes_since_last_login"].append(minutes(now, ts(inputs["last_login_at"][i])))
        out["minutes_since_device_change"].append(minutes(now, ts(inputs["last_device_change_at"][i])))
    return out


fraud_request_features = on_demand_feature_view(
    name="fraud_request_features",
    sources=[customer_transactions, known_counterparties, fraud_request],
    schema=[
        Field(name="amount_to_mean_30d", dtype=Float64),
        Field(name="amount_to_max_30d", dtype=Float64),
        Field(name="is_first_time_counterparty", dtype=Bool),
        Field(name="hour_of_day_brt", dtype=Int64),
        Field(name="minutes_since_last_login", dtype=Float64),
        Field(name="minutes_since_device_change", dtype=Float64),
    ],
    mode="python",
    description="Request-time fraud features: amount vs history, first-time counterparty, hour, recency",
)(fraud_request_transform)

# --- services ---------------------------------------------------------------------------------------

fraud_v1 = FeatureService(
    name="fraud_v1",
    features=[customer_transactions, customer_daily, known_counterparties, fraud_request_features],
    description="Fraud scoring of a PIX/card transaction (entity rows: customer_pk, counterparty_pk)",
)
credit_v1 = FeatureService(
    name="credit_v1",
    features=[customer_credit, customer_daily],
    description="Credit suitability (entity rows: customer_pk)",
)

ENTITIES = [customer, account, counterparty]
FEATURE_VIEWS = [customer_transactions, customer_daily, customer_credit, known_counterparties]
ON_DEMAND_VIEWS = [fraud_request_features]
SERVICES = [fraud_v1, credit_v1]
# the catalog table behind each batch feature view
VIEW_TABLES = {fv.name: fv.batch_source.name for fv in FEATURE_VIEWS}


def objects() -> list[Any]:
    """Everything ``feast apply`` registers."""
    return [*ENTITIES, *FEATURE_VIEWS, *ON_DEMAND_VIEWS, *SERVICES]
