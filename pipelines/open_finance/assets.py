"""Open Finance assets: bronze pull through the client, silver accounts/transactions/loans/instalments."""

from collections.abc import Callable, Iterator
from datetime import date

import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, asset, multi_asset

from lake import buckets, delta
from lake.settings import Settings
from pipelines.common import incremental as inc
from pipelines.common.assets import bucket_metadata, full, now, rebuild_if_moved
from pipelines.common.buckets import BUCKETS
from pipelines.common.metadata import delta_metadata
from pipelines.common.parallel import run_pool
from pipelines.common.writes import quarantine, table_key, write_bronze
from pipelines.open_finance import transforms as t
from pipelines.open_finance.pull import OpenFinancePull, pull_customer
from pipelines.resources import LakeResource, OpenFinanceResource, WorldResource

BRONZE = [
    "bronze.open_finance_consents",
    "bronze.open_finance_accounts",
    "bronze.open_finance_transactions",
    "bronze.open_finance_credit_card_transactions",
    "bronze.open_finance_loans",
    "bronze.open_finance_loan_instalments",
]


def world_today(world: WorldResource) -> date:
    tx = world.load()["transactions"]
    return tx.get_column("booked_at").max().date()


def skip_revoked(cpfs: pl.Series, s: Settings, log: Callable[[str], None] = print) -> list[str]:
    """The CPFs the pull may use: customers who revoked open_finance_sharing (LGPD) are not pulled."""
    from lake.pseudonym import pseudonymise
    from pipelines.audit.consents import revoked_customer_pks

    revoked = revoked_customer_pks(s)
    if not revoked:
        return cpfs.to_list()
    keep = ~pseudonymise(cpfs, "cpf", key=s.pseudonym_key_bytes()).is_in(list(revoked))
    log(f"open finance: {int((~keep).sum())} customers skipped (open_finance_sharing consent revoked)")
    return cpfs.filter(keep).to_list()


def previous_consents(s: Settings) -> dict[str, str]:
    """CPF -> the consent id of its latest pull (bronze; {} before the first pull), for reuse."""
    if not delta.exists("bronze.open_finance_consents", s):
        return {}
    latest = (
        delta.scan("bronze.open_finance_consents", settings=s)
        .select("cpf", "consent_id", "pulled_at")
        .sort("pulled_at")
        .unique("cpf", keep="last")
        .collect()
    )
    return dict(
        zip(latest.get_column("cpf").to_list(), latest.get_column("consent_id").to_list(), strict=True)
    )


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey(table_key(x)),
            group_name="open_finance",
            kinds={"delta", "http"},
            description="Open Finance records as received (+ consent, request id, pulled-at)",
        )
        for x in BRONZE
    ]
)
def open_finance_bronze(
    context: AssetExecutionContext,
    lake: LakeResource,
    world: WorldResource,
    open_finance: OpenFinanceResource,
) -> Iterator[MaterializeResult]:
    """One consent per customer (the previous pull's while the transmitter keeps it authorised); accounts,
    12-month transactions, cards, loans pulled over HTTP."""
    s = lake.settings()
    cpfs = skip_revoked(world.load()["customers"].get_column("cpf"), s, context.log.info)
    to_date = world_today(world)
    out = OpenFinancePull()
    previous = previous_consents(s)

    def progress(n: int) -> None:
        if n % max(1, len(cpfs) // 10) == 0:
            context.log.info(f"open finance: {n}/{len(cpfs)} customers pulled")

    run_pool(
        cpfs,
        open_finance.client,
        lambda c, cpf: pull_customer(c, cpf, to_date, out, previous.get(cpf)),
        threads=open_finance.threads,
        concurrency=open_finance.concurrency,
        on_done=progress,
    )
    reused = sum(1 for cpf, cid in out.consent_ids().items() if previous.get(cpf) == cid)
    context.log.info(f"open finance: {reused} of {len(cpfs)} consents reused, {len(cpfs) - reused} created")
    for e in out.errors[:20]:
        context.log.warning(e)
    for table, batch in out.batches().items():
        n = write_bronze(table, batch.frame(), s)
        yield MaterializeResult(
            asset_key=AssetKey(table_key(table)),
            metadata={
                "pulled": len(batch.rows),
                "inserted": n,
                "errors": len(out.errors),
                **delta_metadata(table, s),
            },
        )


def _dep(*tables: str) -> list[AssetKey]:
    return [AssetKey(table_key(x)) for x in tables]


def owners(lake: LakeResource) -> pl.DataFrame:
    return t.consent_owners(full("bronze.open_finance_consents", lake.settings()), lake.pseudonym_key())


@asset(
    key=table_key("silver.accounts"),
    group_name="open_finance",
    kinds={"delta", "polars"},
    deps=_dep("bronze.open_finance_accounts", "bronze.open_finance_consents"),
)
def silver_accounts(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.accounts",
        ["bronze.open_finance_accounts", "bronze.open_finance_consents"],
        lambda: (
            t.silver_accounts(
                full("bronze.open_finance_accounts", s), owners(lake), now(), lake.pseudonym_key()
            ),
            None,
        ),
    )


TX_INPUTS = [
    "bronze.open_finance_transactions",
    "bronze.open_finance_credit_card_transactions",
    "bronze.open_finance_consents",
    "bronze.bank_transaction_context",
    "bronze.labels_fraud",
]


def _bronze_of_bucket(table: str, until: int, s: Settings, keep: pl.Expr) -> pl.LazyFrame:
    """A bronze table at version ``until``, only the rows ``keep`` selects (pushed into the Parquet
    scan: the other rows' payloads are never decoded)."""
    return inc.rows_between(table, None, until, s).filter(keep)


def run_silver_transactions(
    lake: LakeResource, bucket: int, run_id: str, log: Callable[[str], None] | None = None
) -> dict:
    """One customer bucket of silver.transactions, rebuilt from bronze and written with a replace-where
    on the bucket (with its watermark, in one commit); skipped when no input moved since the bucket's
    watermark. The bucket's transactions are those of the consents its customers own; bucket 0 also
    takes transactions whose consent has no owner, so they reach the quarantine rather than no bucket."""
    s = lake.settings()
    n = s.lake_buckets
    vers = inc.versions(TX_INPUTS, s)
    key = inc.bucket_key(bucket, n)
    if delta.exists("silver.transactions", s) and inc.watermark("silver.transactions", s, key) == vers:
        return {"written": 0, "quarantined": 0, "skipped": True}
    acc_t, card_t, _, ctx_t, lab_t = TX_INPUTS
    all_owners = owners(lake)
    mine = all_owners.filter(buckets.expr(n) == bucket)
    keep = pl.col("consent_id").is_in(mine.get_column("consent_id").implode())
    if bucket == 0:
        owned = pl.col("consent_id").is_in(all_owners.get_column("consent_id").implode())
        keep = keep | ~owned | pl.col("consent_id").is_null()
    acc = _bronze_of_bucket(acc_t, vers[acc_t], s, keep).collect()
    card = _bronze_of_bucket(card_t, vers[card_t], s, keep).collect()
    ids = pl.concat([acc.get_column("transaction_id"), card.get_column("transaction_id")]).unique()
    of_ids = pl.col("transaction_id").is_in(ids.implode())
    good, bad = t.silver_transactions(
        acc,
        card,
        mine,
        t.context_frame(_bronze_of_bucket(ctx_t, vers[ctx_t], s, of_ids)),
        t.fraud_label_frame(_bronze_of_bucket(lab_t, vers[lab_t], s, of_ids)),
        now(),
        lake.pseudonym_key(),
    )
    del acc, card
    q = quarantine(bad, "silver.transactions", run_id, s)
    res = delta.replace_bucket("silver.transactions", good, bucket, s, metadata=inc.metadata(vers, key))
    if log:
        log.info(f"silver.transactions bucket {bucket}: {res} quarantined={q}")
    return {"written": res["written"], "quarantined": q, "skipped": False}


@asset(
    key=table_key("silver.transactions"),
    group_name="open_finance",
    kinds={"delta", "polars"},
    deps=_dep(*TX_INPUTS),
    partitions_def=BUCKETS,
)
def silver_transactions(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Account + card transactions, typed, deduplicated, pseudonymised, labelled, one customer bucket per
    partition (a run over a partition range does its buckets one after the other); bad rows quarantined."""
    runs = [
        run_silver_transactions(lake, int(k), context.run.run_id, context.log) for k in context.partition_keys
    ]
    return MaterializeResult(metadata=bucket_metadata(runs, "silver.transactions", lake.settings()))


@asset(
    key=table_key("silver.loans"),
    group_name="open_finance",
    kinds={"delta", "polars"},
    deps=_dep("bronze.open_finance_loans", "bronze.open_finance_consents", "bronze.labels_credit"),
)
def silver_loans(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.loans",
        ["bronze.open_finance_loans", "bronze.open_finance_consents", "bronze.labels_credit"],
        lambda: t.silver_loans(
            full("bronze.open_finance_loans", s), owners(lake), full("bronze.labels_credit", s), now()
        ),
    )


@asset(
    key=table_key("silver.loan_instalments"),
    group_name="open_finance",
    kinds={"delta", "polars"},
    deps=[*_dep("bronze.open_finance_loan_instalments"), AssetKey(table_key("silver.loans"))],
)
def silver_loan_instalments(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.loan_instalments",
        ["bronze.open_finance_loan_instalments", "silver.loans"],
        lambda: (
            t.silver_loan_instalments(
                full("bronze.open_finance_loan_instalments", s), full("silver.loans", s), now()
            ),
            None,
        ),
    )
