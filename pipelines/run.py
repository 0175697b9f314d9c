"""Materialise the code location in-process, layer by layer, printing each asset's outcome.

Used by ``cofre demo`` and the tests. Each layer (bronze, silver, gold) is one ``materialize`` call
with the asset checks of its assets; with ``persistent`` the run is recorded in the Dagster instance
of DAGSTER_HOME (so ``make dagster`` shows it), else in an ephemeral instance. A layer with customer-bucket
assets runs over every bucket (a partition range: each bucketed step does its buckets in turn).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dagster import AssetKey, DagsterInstance, materialize

from pipelines.common.buckets import all_buckets_tags
from pipelines.definitions import ASSETS, CHECKS
from pipelines.resources import default_resources

LAYERS = ("bronze", "silver", "gold")


def _layer_of(key: AssetKey) -> str:
    return key.path[0]


def run_layers(
    *,
    echo: Callable[[str], None] = print,
    persistent: bool = False,
    lake_uri: str | None = None,
    world_folder: str | None = None,
    layers: tuple[str, ...] = LAYERS,
) -> bool:
    """Materialise the given layers in order; True when every step and blocking check succeeded."""
    instance = DagsterInstance.get() if persistent else DagsterInstance.ephemeral()
    resources = default_resources(lake_uri, world_folder)
    ok = True
    for layer in layers:
        t0 = time.perf_counter()
        keys = [k for a in ASSETS for k in a.keys if _layer_of(k) == layer]
        bucketed = any(a.partitions_def is not None for a in ASSETS for k in a.keys if _layer_of(k) == layer)
        echo(f"[{layer}] materialising {len(keys)} assets ...")
        res = materialize(
            [*ASSETS, *CHECKS],
            selection=keys,
            resources=resources,
            instance=instance,
            raise_on_error=False,
            tags={"cofre/layer": layer, **(all_buckets_tags() if bucketed else {})},
        )
        for mat in res.get_asset_materialization_events():
            m = mat.materialization
            meta = {k: v.value for k, v in m.metadata.items()}
            echo(f"  {m.asset_key.to_user_string():<45} {meta}")
        for ev in res.get_asset_check_evaluations():
            if not ev.passed:
                echo(
                    f"  check FAILED {ev.asset_key.to_user_string()}:{ev.check_name} "
                    f"{ {k: v.value for k, v in ev.metadata.items()} }"
                )
        for ev in res.get_step_failure_events():
            err = ev.step_failure_data.error
            while err is not None and err.cause is not None:
                err = err.cause
            echo(f"  step FAILED {ev.step_key}: {err.message.strip() if err else ''}")
        ok = ok and res.success
        echo(f"[{layer}] {'ok' if res.success else 'FAILED'} in {time.perf_counter() - t0:.1f}s")
    return ok
