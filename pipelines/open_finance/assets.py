"""Open Finance assets: bronze pull through the client, silver accounts/transactions/loans/instalments."""

from collections.abc import Callable, Iterator
from datetime import date

import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, asset, multi_asset

from lake import delta
from lake.settings import Settings
from pipelines.common import incremental as inc
from pipelines.common.assets import full, now, rebuild_if_moved
from pipelines.common.metadata import delta_metadata
from pipelines.common.parallel import run_pool
from pipelines.common.writes import quarantine, table_key, write_bronze, write_merged
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


def run_silver_transactions(
    lake: LakeResource, run_id: str, log: Callable[[str], None] | None = None
) -> dict:
    """Incremental silver.transactions: only transactions whose bronze, context or label rows are new."""
    s = lake.settings()
    vers = inc.versions(TX_INPUTS, s)
    mark = inc.watermark("silver.transactions", s)
    if mark == vers and delta.exists("silver.transactions", s):
        return {"inserted": 0, "updated": 0, "quarantined": 0, "skipped": True}
    acc_t, card_t, _, ctx_t, lab_t = TX_INPUTS
    new_ids = pl.concat(
        [
            inc.rows_between(x, mark.get(x), vers[x], s, ["transaction_id"])
            for x in (acc_t, card_t, ctx_t, lab_t)
        ]
    ).unique()
    first = not mark

    def rows(table: str) -> pl.LazyFrame:
        lf = inc.rows_between(table, None, vers[table], s)
        return lf if first else lf.join(new_ids, on="transaction_id", how="semi")

    good, bad = t.silver_transactions(
        rows(acc_t),
        rows(card_t),
        owners(lake),
        t.context_frame(rows(ctx_t)),
        t.fraud_label_frame(rows(lab_t)),
        now(),
        lake.pseudonym_key(),
    )
    q = quarantine(bad, "silver.transactions", run_id, s)
    # one row per transaction_id: latest() per id, then left joins on unique keys (owners, context, labels)
    res = write_merged("silver.transactions", good, s, inc.metadata(vers), unique_keys=True)
    if log:
        log.info(f"silver.transactions: {res} quarantined={q}")
    return {**res, "quarantined": q, "skipped": False}


@asset(
    key=table_key("silver.transactions"),
    group_name="open_finance",
    kinds={"delta", "polars"},
    deps=_dep(*TX_INPUTS),
)
def silver_transactions(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Account + card transactions, typed, deduplicated (MERGE), pseudonymised, labelled; bad rows quarantined."""
    res = run_silver_transactions(lake, context.run.run_id, context.log)
    return MaterializeResult(metadata={**res, **delta_metadata("silver.transactions", lake.settings())})


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
