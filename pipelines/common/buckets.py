"""Customer buckets as Dagster partitions: the static partition set of the per-customer assets.

``BUCKETS`` has one partition key per bucket (``settings.lake_buckets``, :mod:`lake.buckets`);
silver.transactions and the gold per-customer assets share it, so gold bucket b depends on silver
bucket b only. A run materialises one bucket (``dagster asset materialize --partition 3``), a backfill
runs each bucket as its own run (one step process or pod per bucket with the multiprocess or
Kubernetes executor), and :func:`all_buckets_tags` makes one run go through every bucket in turn
(the demo, the schedule and the sensor): the asset loops over ``context.partition_keys``.
"""

from __future__ import annotations

from dagster import StaticPartitionsDefinition

from lake import buckets
from lake.settings import get_settings

# Dagster's run tags of a partition range (what a single-run backfill sets)
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

BUCKETS = StaticPartitionsDefinition(buckets.keys(get_settings().lake_buckets))


def all_buckets_tags() -> dict[str, str]:
    """Run tags that select every bucket (a partition range) for one run."""
    keys = BUCKETS.get_partition_keys()
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}
