"""Asset checks of the gold tables: keys, ranges, point-in-time sanity, references."""

from __future__ import annotations

from lake import quality as q
from lake.domain.world_schema import FRAUD_SCENARIOS
from pipelines.common.checks import quality_check, referential_check, row_count_check

CHECKS = [
    quality_check(
        "gold.transaction_features",
        (
            q.between("hour_of_day", 0, 23, name="hour_range"),
            q.between("day_of_week", 1, 7, name="weekday_range"),
            q.between("tx_count_1h", min=0, name="counts_non_negative"),
            q.in_set("fraud_scenario", FRAUD_SCENARIOS, name="enum_fraud_scenario"),
            q.between("minutes_since_last_login", min=0, name="login_before_tx"),
        ),
    ),
    referential_check("gold.transaction_features", "transaction_id", "silver.transactions", "transaction_id"),
    row_count_check("gold.transaction_features"),
    referential_check("gold.counterparty_pairs", "customer_pk", "silver.customers", "customer_pk"),
    quality_check("gold.customer_day", (q.between("tx_count", min=1, name="tx_count_positive"),)),
    quality_check(
        "gold.credit_features",
        (
            q.between("score_latest", 0, 1000, name="score_range"),
            q.between("salary_months_6m", 0, 6, name="salary_months_range"),
        ),
    ),
]
