"""Dagster asset ``models/drift``: daily population stability index (PSI) of the fraud and credit models'
features, live (last day) against the training population (the gold rows before it), from the gold
Delta tables (:mod:`models.drift`).

Each PSI is materialisation metadata (``psi/<model>/<feature>``); the platform exporter
(:mod:`pipelines.exporter`) publishes the latest as ``cofre_model_feature_psi`` and the rule
``ModelFeatureDrift`` (deploy/prometheus/rules/models.rules.yml) alerts above 0.2.
"""

from datetime import UTC, datetime

import dagster as dg

from models.drift import ALERT_PSI, MODEL_FEATURES

GOLD_TX = dg.AssetKey(["gold", "transaction_features"])
GOLD_CREDIT = dg.AssetKey(["gold", "credit_features"])


def compute(settings, now: datetime) -> dg.MaterializeResult:  # noqa: ANN001
    from lake import delta
    from models.drift import drift_report

    frames = {}
    for table, ts, features in MODEL_FEATURES.values():
        if delta.exists(table, settings):
            frames[table] = delta.scan(table, settings=settings).select(ts, *features).collect()
    report = drift_report(frames, now)
    meta: dict[str, dg.MetadataValue] = {
        f"psi/{d.model}/{d.feature}": dg.MetadataValue.float(d.psi) for d in report
    }
    drifted = sorted(f"{d.model}/{d.feature}" for d in report if d.psi > ALERT_PSI)
    meta["features_checked"] = dg.MetadataValue.int(len(report))
    meta["drifted_over_0_2"] = dg.MetadataValue.json(drifted)
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    key=dg.AssetKey(["models", "drift"]),
    deps=[GOLD_TX, GOLD_CREDIT],
    group_name="monitoring",
    kinds={"polars"},
    description="PSI of the fraud and credit features: last day against the training population",
)
def model_drift(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from lake.settings import get_settings

    result = compute(get_settings(), datetime.now(UTC))
    context.log.info(f"drift: {result.metadata.get('drifted_over_0_2')}")
    return result


drift_job = dg.define_asset_job(
    "drift_job", selection=[model_drift.key], description="daily feature drift (PSI)"
)
drift_daily = dg.ScheduleDefinition(
    job=drift_job,
    cron_schedule="0 6 * * *",
    execution_timezone="America/Sao_Paulo",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    name="drift_daily",
)
