"""Asset checks of the Pix tables (silver Pix received, refunds, cobv payments; gold Pix ledger)."""

from __future__ import annotations

from lake import quality as q
from pipelines.common.checks import quality_check, referential_check

LEDGER_KINDS = ("PIX_RECEBIDO", "COBV_RECEBIDO", "DEVOLUCAO", "DEVOLUCAO_MED")

CHECKS = [
    quality_check("silver.pix_received", (q.between("amount_cents", min=1, name="amount_positive"),)),
    referential_check("silver.pix_received", "customer_pk", "silver.customers", "customer_pk"),
    quality_check("silver.pix_refunds", (q.between("amount_cents", min=1, name="amount_positive"),)),
    referential_check("silver.pix_refunds", "end_to_end_id", "silver.pix_received", "end_to_end_id"),
    quality_check(
        "silver.pix_cobv_payments", (q.between("days_late", min=0, name="days_late_non_negative"),)
    ),
    quality_check("gold.pix_ledger", (q.in_set("kind", LEDGER_KINDS, name="kind_known"),)),
]
