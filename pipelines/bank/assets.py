"""Assets of the bank's own systems: bronze extracts (registry, app context, logins, labels) and silver."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, asset, multi_asset

from pipelines.bank import extract
from pipelines.bank import transforms as t
from pipelines.common.assets import full, now, rebuild_if_moved
from pipelines.common.metadata import delta_metadata
from pipelines.common.writes import table_key, write_bronze
from pipelines.resources import LakeResource, WorldResource

BANK_BRONZE = ["bronze.bank_customers", "bronze.bank_transaction_context", "bronze.bank_logins"]
LABELS_BRONZE = ["bronze.labels_fraud", "bronze.labels_credit"]


def _spec(table: str, group: str, desc: str) -> AssetSpec:
    return AssetSpec(
        AssetKey(table_key(table)), group_name=group, description=desc, kinds={"delta", "polars"}
    )


@multi_asset(
    specs=[_spec(x, "bank", "The bank's internal system extract (world stand-in)") for x in BANK_BRONZE]
)
def bank_bronze(
    context: AssetExecutionContext, lake: LakeResource, world: WorldResource
) -> Iterator[MaterializeResult]:
    """Customer registry, transaction app context and logins, extracted as bronze JSON records."""
    s, w, at = lake.settings(), world.load(), now()
    for table, fn in zip(
        BANK_BRONZE, (extract.customers, extract.transaction_context, extract.logins), strict=True
    ):
        n = write_bronze(table, fn(w, at), s)
        context.log.info(f"{table}: {n} new records")
        yield MaterializeResult(
            asset_key=AssetKey(table_key(table)), metadata={"inserted": n, **delta_metadata(table, s)}
        )


@multi_asset(
    specs=[
        _spec(x, "labels", "Labels source: in real life the bank's chargeback/collections systems")
        for x in LABELS_BRONZE
    ]
)
def labels_bronze(
    context: AssetExecutionContext, lake: LakeResource, world: WorldResource
) -> Iterator[MaterializeResult]:
    """Fraud labels (confirmed frauds) and credit labels (defaulted_6m), read from the world.

    The sandboxes cannot serve labels through the specs; in production they come from the bank's
    chargeback and collections systems, with a delay, so they are a separate source here too.
    """
    s, w, at = lake.settings(), world.load(), now()
    for table, fn in zip(LABELS_BRONZE, (extract.fraud_labels, extract.credit_labels), strict=True):
        n = write_bronze(table, fn(w, at), s)
        yield MaterializeResult(
            asset_key=AssetKey(table_key(table)), metadata={"inserted": n, **delta_metadata(table, s)}
        )


@asset(
    key=table_key("silver.customers"),
    deps=[AssetKey(table_key("bronze.bank_customers"))],
    group_name="bank",
    kinds={"delta", "polars"},
)
def silver_customers(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Customers with CPF/e-mail/phone pseudonymised; bad CPFs quarantined."""
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.customers",
        ["bronze.bank_customers"],
        lambda: t.silver_customers(full("bronze.bank_customers", s), now(), lake.pseudonym_key()),
    )


@asset(
    key=table_key("silver.logins"),
    deps=[AssetKey(table_key("bronze.bank_logins")), AssetKey(table_key("bronze.bank_customers"))],
    group_name="bank",
    kinds={"delta", "polars"},
)
def silver_logins(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.logins",
        ["bronze.bank_logins", "bronze.bank_customers"],
        lambda: (
            t.silver_logins(
                full("bronze.bank_logins", s),
                t.customer_ids(full("bronze.bank_customers", s), lake.pseudonym_key()),
                now(),
            ),
            None,
        ),
    )


@asset(
    key=table_key("silver.pix_keys"),
    deps=[AssetKey(table_key("bronze.bank_customers"))],
    group_name="bank",
    kinds={"delta", "polars"},
)
def silver_pix_keys(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """The customers' PIX keys, pseudonymised (key, owner CPF); bad keys quarantined."""
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.pix_keys",
        ["bronze.bank_customers"],
        lambda: t.silver_pix_keys(full("bronze.bank_customers", s), now(), lake.pseudonym_key()),
    )
