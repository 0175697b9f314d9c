"""Asset checks of silver.bureau_scores."""

from __future__ import annotations

from lake import quality as q
from pipelines.common.checks import quality_check, referential_check, row_count_check

CHECKS = [
    quality_check("silver.bureau_scores", (q.between("score", 0, 1000, name="score_range"),)),
    referential_check("silver.bureau_scores", "customer_pk", "silver.customers", "customer_pk"),
    row_count_check("silver.bureau_scores"),
]
