"""Dagster asset ``feast_online_store``: apply the Feast definitions and refresh the online store.

Depends on the three gold tables the feature views read (and gold.counterparty_pairs, the known
counterparty pairs); it rebuilds only the views whose Delta table version changed
(:func:`features.materialize.apply_and_materialize`) and reports the versions served as metadata.
Wired into ``definitions.py`` by the lead.
"""

import dagster as dg

GOLD_DEPS = [
    dg.AssetKey(["gold", "transaction_features"]),
    dg.AssetKey(["gold", "customer_day"]),
    dg.AssetKey(["gold", "credit_features"]),
    dg.AssetKey(["gold", "counterparty_pairs"]),
]


@dg.asset(
    key=dg.AssetKey(["features", "feast_online_store"]),
    deps=GOLD_DEPS,
    group_name="features",
    kinds={"feast"},
    description="Feast online store (SQLite embedded / PostgreSQL stack) refreshed from the gold Delta tables",
)
def feast_online_store(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from features.materialize import apply_and_materialize
    from lake.settings import get_settings
    from pipelines.common.output import to_step_log

    with to_step_log(context):  # Feast prints its materialisation banners: into the step's log
        report = apply_and_materialize(get_settings(), progress=context.log.info)
    return dg.MaterializeResult(
        metadata={
            **{
                f"{view}.version": dg.MetadataValue.int(r["version"])
                for view, r in report.items()
                if r["version"] is not None
            },
            **{f"{view}.status": dg.MetadataValue.text(r["status"]) for view, r in report.items()},
        }
    )


defs = dg.Definitions(assets=[feast_online_store])  # this domain, merged by pipelines.definitions
