"""The bank domain (customer registry, app telemetry, labels): its assets and checks. Merged into the code location by :mod:`pipelines.definitions`."""

from dagster import Definitions

from pipelines.bank import assets, checks

defs = Definitions(
    assets=[
        assets.bank_bronze,
        assets.labels_bronze,
        assets.silver_customers,
        assets.silver_logins,
        assets.silver_pix_keys,
    ],
    asset_checks=checks.CHECKS,
)
