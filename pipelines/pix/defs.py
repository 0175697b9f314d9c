"""The Pix domain: its assets and checks. Merged into the code location by :mod:`pipelines.definitions`."""

from dagster import Definitions

from pipelines.pix import assets, checks

defs = Definitions(
    assets=[assets.pix_bronze, assets.silver_pix_received],
    asset_checks=checks.CHECKS,
)
