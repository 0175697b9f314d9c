"""Asset checks of silver.customers, silver.pix_keys and silver.logins."""

from __future__ import annotations

from lake import quality as q
from pipelines.common.checks import quality_check, row_count_check

CHECKS = [
    quality_check(
        "silver.customers",
        (
            q.between("monthly_income_cents", min=0, name="income_non_negative"),
            q.regex("customer_pk", r"^[0-9a-f]{64}$", name="customer_pk_is_hash"),
        ),
    ),
    row_count_check("silver.customers"),
    quality_check("silver.pix_keys", (q.regex("key_pk", r"^[0-9a-f]{64}$", name="key_pk_is_hash"),)),
    row_count_check("silver.pix_keys"),
    quality_check("silver.logins"),
]
