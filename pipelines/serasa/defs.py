"""The Serasa bureau domain: its assets and checks. Merged into the code location by :mod:`pipelines.definitions`."""

from dagster import Definitions

from pipelines.serasa import assets, checks

defs = Definitions(
    assets=[assets.serasa_bronze, assets.silver_bureau_scores],
    asset_checks=checks.CHECKS,
)
