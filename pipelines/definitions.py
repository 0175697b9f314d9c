"""The cofre Dagster code location: each domain's definitions merged, with resources from settings.

Each domain declares its own :class:`dagster.Definitions` beside its assets: ``bank`` (registry, app
telemetry, labels), ``open_finance``, ``serasa``, ``pix``, ``gold`` and ``audit`` in ``pipelines/<domain>/defs.py``;
``features/feast_online_store`` (Feast apply + materialise) in :mod:`pipelines.features_assets`;
``models/{fraud,credit,recommend}`` and ``models_job`` in :mod:`pipelines.models_assets`; ``models/drift``
(daily feature PSI), its job and schedule in :mod:`pipelines.drift_assets`; the lake job, its
schedule and sensor in :mod:`pipelines.schedules`. Here they are merged (assets, checks, jobs, schedules,
sensors), given the resources, and every asset spec is annotated (:func:`pipelines.common.metadata.annotate`:
layer tag and kind, catalog column schema, description). ``workspace.yaml`` loads them through
``cofre.dagster_location`` (which installs the in-process sandboxes); ``cofre dagster dev`` starts the UI;
tests/unit/test_dagster_definitions.py holds the snapshot of what this location contains.
"""

from __future__ import annotations

from dagster import AssetChecksDefinition, AssetsDefinition, Definitions, map_asset_specs

from pipelines import drift_assets, features_assets, models_assets, schedules
from pipelines.audit import defs as audit
from pipelines.bank import defs as bank
from pipelines.common.metadata import annotate
from pipelines.gold import defs as gold
from pipelines.open_finance import defs as open_finance
from pipelines.pix import defs as pix
from pipelines.resources import default_resources
from pipelines.serasa import defs as serasa

DOMAINS: list[Definitions] = [
    bank.defs,
    open_finance.defs,
    serasa.defs,
    pix.defs,
    gold.defs,
    features_assets.defs,
    models_assets.defs,
    drift_assets.defs,
    audit.defs,
    schedules.defs,
]

# every asset and check of the location, in domain order (pipelines.run materialises them in-process)
ASSETS: list[AssetsDefinition] = map_asset_specs(
    annotate, [a for d in DOMAINS for a in (d.assets or []) if isinstance(a, AssetsDefinition)]
)
CHECKS: list[AssetChecksDefinition] = [
    c for d in DOMAINS for c in (d.asset_checks or []) if isinstance(c, AssetChecksDefinition)
]


def build_defs(lake_uri: str | None = None, world_folder: str | None = None) -> Definitions:
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[j for d in DOMAINS for j in (d.jobs or [])],
        schedules=[x for d in DOMAINS for x in (d.schedules or [])],
        sensors=[x for d in DOMAINS for x in (d.sensors or [])],
        resources=default_resources(lake_uri, world_folder),
    )


defs = build_defs()
