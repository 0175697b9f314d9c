"""Asset checks of silver.pix_received."""

from __future__ import annotations

from lake import quality as q
from pipelines.common.checks import quality_check, referential_check

CHECKS = [
    quality_check("silver.pix_received", (q.between("amount_cents", min=1, name="amount_positive"),)),
    referential_check("silver.pix_received", "customer_pk", "silver.customers", "customer_pk"),
]
