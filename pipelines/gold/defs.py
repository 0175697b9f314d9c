"""The gold domain: its assets and checks. Merged into the code location by :mod:`pipelines.definitions`."""

from dagster import Definitions

from pipelines.gold import assets, checks

defs = Definitions(
    assets=[
        assets.transaction_features,
        assets.customer_day,
        assets.credit_features,
        assets.counterparty_pairs,
    ],
    asset_checks=checks.CHECKS,
)
