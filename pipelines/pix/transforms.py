"""Pure transforms of the Pix domain (receiver key -> customer_pk through the DICT registry):

* bronze.pix_received -> silver.pix_received (one row per Pix, latest pull);
* bronze.pix_received -> silver.pix_refunds (one row per ``devolucoes`` item of the latest pull of
  each Pix; a refund that is malformed, or that would take more back than the Pix brought, goes to
  quarantine with the reason);
* bronze.pix_cobv -> silver.pix_cobv_payments (paid charges with a due date and the components of the
  amount; components that do not add up to the amount paid are quarantined);
* silver -> gold.pix_ledger (credits for Pix received, debits for settled refunds, running balance).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from lake import quality as q
from lake.pseudonym import pseudonymise
from pipelines.common.conform import AMOUNT_RE, cents, decode, money, ts

PIX = pl.Struct(
    {"endToEndId": pl.String, "txid": pl.String, "valor": pl.String, "horario": pl.String, "chave": pl.String}
)
SUITE = q.Suite(
    "silver.pix_received",
    (
        q.not_null("end_to_end_id"),
        q.regex("valor", AMOUNT_RE, name="amount_format"),
        q.between("amount_cents", min=1, name="amount_positive"),
        q.not_null("received_at", name="missing_timestamp"),
    ),
    table="silver.pix_received",
)


def silver_pix_received(
    bronze: pl.DataFrame | pl.LazyFrame, key_owners: pl.DataFrame, now: datetime, key: bytes | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``key_owners``: ``key_pk -> customer_pk`` of the bank's customers' PIX keys."""
    typed = (
        decode(bronze, PIX)
        .select(
            "end_to_end_id",
            "txid",
            "valor",
            "chave",
            ts(pl.col("horario")).alias("received_at"),
            pl.col("record_id").alias("source_record_id"),
            "pulled_at",
        )
        .sort("pulled_at")
        .unique("end_to_end_id", keep="last")
        .with_columns(cents(pl.col("valor")).alias("amount_cents"))
        .collect()
    )
    good, bad = q.split_valid(typed, SUITE)
    good = good.with_columns(pseudonymise(good.get_column("chave"), "pix_key", key=key).alias("key_pk")).join(
        key_owners.select("key_pk", "customer_pk"), on="key_pk", how="left"
    )
    out = good.select(
        "end_to_end_id",
        "txid",
        "customer_pk",
        money(pl.col("amount_cents")).alias("amount"),
        "amount_cents",
        pl.lit(None, pl.String).alias("payer_document_pk"),
        pl.lit(None, pl.String).alias("payer_name_pk"),
        "received_at",
        "source_record_id",
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    )
    return out, bad


REFUND = pl.Struct(
    {
        "id": pl.String,
        "rtrId": pl.String,
        "valor": pl.String,
        "natureza": pl.String,
        "status": pl.String,
        "motivo": pl.String,
        "horario": pl.Struct({"solicitacao": pl.String, "liquidacao": pl.String}),
    }
)
PIX_REFUNDS = pl.Struct(
    {"endToEndId": pl.String, "valor": pl.String, "chave": pl.String, "devolucoes": pl.List(REFUND)}
)
NATURES = ("ORIGINAL", "RETIRADA", "MED_OPERACIONAL", "MED_FRAUDE", "MED_PIX_AUTOMATICO")
REFUND_STATUS = ("EM_PROCESSAMENTO", "DEVOLVIDO", "NAO_REALIZADO")
RTR_ID_RE = r"^D[0-9]{20}[a-zA-Z0-9]{11}$"
REFUND_SUITE = q.Suite(
    "silver.pix_refunds",
    (
        q.not_null("rtr_id", name="missing_rtr_id"),
        q.regex("rtr_id", RTR_ID_RE, name="rtr_id_format"),
        q.not_null("refund_id", name="missing_refund_id"),
        q.regex("valor", AMOUNT_RE, name="amount_format"),
        q.between("amount_cents", min=1, name="amount_positive"),
        q.in_set("nature", NATURES, name="nature_in_spec"),
        q.in_set("status", REFUND_STATUS, name="status_in_spec"),
        q.not_null("requested_at", name="missing_timestamp"),
        q.between("refund_excess_cents", max=0, name="refunds_exceed_pix"),
    ),
    table="silver.pix_refunds",
)


def latest_pix(bronze: pl.DataFrame | pl.LazyFrame, dtype: pl.Struct) -> pl.LazyFrame:
    """The latest pull of each Pix (bronze keeps every version of a record)."""
    return decode(bronze, dtype).sort("pulled_at").unique("end_to_end_id", keep="last")


def silver_pix_refunds(
    bronze: pl.DataFrame | pl.LazyFrame, key_owners: pl.DataFrame, now: datetime, key: bytes | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per refund of the latest version of each received Pix (``(good, bad)``)."""
    rows = (
        latest_pix(bronze, PIX_REFUNDS)
        .select(
            "end_to_end_id",
            "chave",
            cents(pl.col("valor")).alias("pix_cents"),
            pl.col("record_id").alias("source_record_id"),
            "devolucoes",
        )
        .explode("devolucoes")
        .filter(pl.col("devolucoes").is_not_null())
        .unnest("devolucoes")
        .select(
            pl.col("rtrId").alias("rtr_id"),
            pl.col("id").alias("refund_id"),
            "end_to_end_id",
            "chave",
            "valor",
            cents(pl.col("valor")).alias("amount_cents"),
            pl.col("natureza").fill_null("ORIGINAL").alias("nature"),
            "status",
            ts(pl.col("horario").struct.field("solicitacao")).alias("requested_at"),
            ts(pl.col("horario").struct.field("liquidacao")).alias("settled_at"),
            pl.col("motivo").alias("reason"),
            "pix_cents",
            "source_record_id",
        )
        .collect()
    )
    rows = rows.sort("end_to_end_id", "requested_at", "rtr_id", nulls_last=True)
    good, bad = q.split_valid(rows.with_columns(_refund_excess(rows)), REFUND_SUITE)
    good = good.with_columns(pseudonymise(good.get_column("chave"), "pix_key", key=key).alias("key_pk")).join(
        key_owners.select("key_pk", "customer_pk"), on="key_pk", how="left"
    )
    out = good.select(
        "rtr_id",
        "refund_id",
        "end_to_end_id",
        "customer_pk",
        money(pl.col("amount_cents")).alias("amount"),
        "amount_cents",
        "nature",
        "status",
        "requested_at",
        "settled_at",
        "reason",
        "source_record_id",
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    )
    return out, bad


def _refund_excess(rows: pl.DataFrame) -> pl.Series:
    """Per refund (rows in request order per Pix): by how many cents the refunds accepted so far plus
    this one pass the Pix's amount (<= 0: within it). A refund that fails another check, did not
    happen (NAO_REALIZADO) or itself passes the amount does not count for the later ones, as the PSP
    would have refused it."""
    others = q.Suite("refund-others", tuple(c for c in REFUND_SUITE.checks if c.name != "refunds_exceed_pix"))
    ok = ~q.failure_flags(rows, others).select(pl.any_horizontal(pl.all()).fill_null(False)).to_series()
    out, running, current = [], 0, None
    for e2e, amount, pix, status, fine in zip(
        rows["end_to_end_id"], rows["amount_cents"], rows["pix_cents"], rows["status"], ok, strict=True
    ):
        if e2e != current:
            current, running = e2e, 0
        if not fine or amount is None or status == "NAO_REALIZADO":
            out.append(None)
            continue
        excess = running + amount - (pix or 0)
        out.append(excess)
        if excess <= 0:
            running += amount
    return pl.Series("refund_excess_cents", out, dtype=pl.Int64)


_VALOR = pl.Struct({"valor": pl.String})
COBV = pl.Struct(  # txid is bronze's natural key column
    {
        "revisao": pl.Int64,
        "status": pl.String,
        "chave": pl.String,
        "calendario": pl.Struct({"dataDeVencimento": pl.String}),
        "pix": pl.List(
            pl.Struct(
                {
                    "endToEndId": pl.String,
                    "valor": pl.String,
                    "horario": pl.String,
                    "componentesValor": pl.Struct(
                        {n: _VALOR for n in ("original", "multa", "juros", "abatimento", "desconto")}
                    ),
                }
            )
        ),
    }
)
_PARTS = {
    "original": "original",
    "multa": "fine",
    "juros": "interest",
    "abatimento": "rebate",
    "desconto": "discount",
}
COBV_SUITE = q.Suite(
    "silver.pix_cobv_payments",
    (
        q.not_null("end_to_end_id", name="paid_without_pix"),
        q.regex("valor", AMOUNT_RE, name="amount_format"),
        *(q.regex(f"{part}_text", AMOUNT_RE, name=f"{part}_format") for part in _PARTS.values()),
        q.not_null("original_text", name="missing_original"),
        q.not_null("due_date", name="missing_due_date"),
        q.not_null("paid_at", name="missing_timestamp"),
        q.between("components_gap_cents", min=0, max=0, name="components_sum"),
    ),
    table="silver.pix_cobv_payments",
)


def silver_pix_cobv_payments(
    bronze: pl.DataFrame | pl.LazyFrame, key_owners: pl.DataFrame, now: datetime, key: bytes | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per paid cobv (latest pull of the charge, status CONCLUIDA) with its components."""
    charges = (
        decode(bronze, COBV)
        .sort("pulled_at", "revisao")
        .unique("txid", keep="last")
        .filter(pl.col("status") == "CONCLUIDA")
        .with_columns(pl.col("pix").list.first().alias("paid"))
        .unnest("paid")
    )
    comps = pl.col("componentesValor")
    rows = charges.select(
        "txid",
        pl.col("endToEndId").alias("end_to_end_id"),
        "chave",
        pl.col("calendario").struct.field("dataDeVencimento").str.to_date(strict=False).alias("due_date"),
        ts(pl.col("horario")).alias("paid_at"),
        "valor",
        *(comps.struct.field(api).struct.field("valor").alias(f"{col}_text") for api, col in _PARTS.items()),
        pl.col("record_id").alias("source_record_id"),
    ).collect()
    rows = rows.with_columns(
        cents(pl.col("valor")).alias("amount_cents"),
        cents(pl.col("original_text")).alias("original_cents"),
        *(
            cents(pl.col(f"{col}_text")).fill_null(0).alias(f"{col}_cents")
            for col in list(_PARTS.values())[1:]
        ),
    ).with_columns(
        (
            pl.col("original_cents")
            + pl.col("fine_cents")
            + pl.col("interest_cents")
            - pl.col("rebate_cents")
            - pl.col("discount_cents")
            - pl.col("amount_cents")
        ).alias("components_gap_cents")
    )
    good, bad = q.split_valid(rows, COBV_SUITE)
    good = good.with_columns(pseudonymise(good.get_column("chave"), "pix_key", key=key).alias("key_pk")).join(
        key_owners.select("key_pk", "customer_pk"), on="key_pk", how="left"
    )
    out = good.select(
        "txid",
        "end_to_end_id",
        "customer_pk",
        "due_date",
        "paid_at",
        ((pl.col("paid_at").dt.date() - pl.col("due_date")).dt.total_days().clip(lower_bound=0))
        .cast(pl.Int32)
        .alias("days_late"),
        *(f"{col}_cents" for col in _PARTS.values()),
        "amount_cents",
        money(pl.col("amount_cents")).alias("amount"),
        "source_record_id",
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    )
    return out, bad


def gold_pix_ledger(
    received: pl.DataFrame, refunds: pl.DataFrame, cobv_payments: pl.DataFrame, now: datetime
) -> pl.DataFrame:
    """The receiving customers' Pix ledger (credits and settled refunds) with running balances."""
    cobv_e2e = cobv_payments.get_column("end_to_end_id")
    credits = received.filter(pl.col("customer_pk").is_not_null()).select(
        pl.col("end_to_end_id").alias("entry_id"),
        "customer_pk",
        "end_to_end_id",
        pl.when(pl.col("end_to_end_id").is_in(cobv_e2e.implode()))
        .then(pl.lit("COBV_RECEBIDO"))
        .otherwise(pl.lit("PIX_RECEBIDO"))
        .alias("kind"),
        "amount_cents",
        pl.col("received_at").alias("booked_at"),
    )
    debits = refunds.filter(pl.col("customer_pk").is_not_null() & (pl.col("status") == "DEVOLVIDO")).select(
        pl.col("rtr_id").alias("entry_id"),
        "customer_pk",
        "end_to_end_id",
        pl.when(pl.col("nature").str.starts_with("MED_"))
        .then(pl.lit("DEVOLUCAO_MED"))
        .otherwise(pl.lit("DEVOLUCAO"))
        .alias("kind"),
        (-pl.col("amount_cents")).alias("amount_cents"),
        pl.coalesce("settled_at", "requested_at").alias("booked_at"),
    )
    # at the same instant a credit comes before a debit (a refund never precedes its Pix)
    entries = pl.concat([credits, debits]).sort(
        "customer_pk", "booked_at", pl.col("amount_cents") < 0, "entry_id"
    )
    return entries.with_columns(
        pl.col("booked_at").dt.strftime("%Y-%m").alias("booked_month"),
        pl.col("amount_cents").cum_sum().over("customer_pk").alias("balance_cents"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("computed_at"),
    ).select(
        "entry_id",
        "customer_pk",
        "end_to_end_id",
        "kind",
        "amount_cents",
        "booked_at",
        "booked_month",
        "balance_cents",
        "computed_at",
    )
