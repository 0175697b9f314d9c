"""Asset checks of the Open Finance silver tables (suites with spec enums, ranges, references)."""

from __future__ import annotations

from datetime import timedelta

from lake import quality as q
from lake.domain.world_schema import CHANNELS, CREDIT_DEBIT, LOAN_SUBTYPES, TRANSACTION_TYPES
from pipelines.common.checks import freshness_check, quality_check, referential_check, row_count_check

CHECKS = [
    quality_check(
        "silver.transactions",
        (
            q.between("amount_cents", min=1, name="amount_positive"),
            q.in_set("credit_debit_type", CREDIT_DEBIT, name="enum_credit_debit_type"),
            q.in_set("type", TRANSACTION_TYPES, name="enum_type"),
            q.in_set("channel", CHANNELS, name="enum_channel"),
            q.in_set("source", ("ACCOUNT", "CREDIT_CARD"), name="enum_source"),
            q.regex("customer_pk", r"^[0-9a-f]{64}$", name="customer_pk_is_hash"),
        ),
    ),
    referential_check("silver.transactions", "customer_pk", "silver.customers", "customer_pk"),
    referential_check("silver.transactions", "account_id", "silver.accounts", "account_id"),
    freshness_check(
        "silver.transactions",
        "ingested_at",
        "bronze.open_finance_transactions",
        "pulled_at",
        timedelta(hours=1),
    ),
    row_count_check("silver.transactions"),
    quality_check("silver.accounts"),
    quality_check(
        "silver.loans",
        (
            q.in_set("product_subtype", LOAN_SUBTYPES, name="enum_product_subtype"),
            q.between("contract_amount_cents", min=1, name="amount_positive"),
        ),
    ),
    referential_check("silver.loans", "customer_pk", "silver.customers", "customer_pk"),
    quality_check("silver.loan_instalments", (q.between("amount_cents", min=0, name="amount_non_negative"),)),
]
