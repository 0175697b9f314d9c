"""Credit training set from the lake: Feast point-in-time join (service credit_v1) over gold.credit_features.

Rows: the labelled (customer, as_of_date) rows of gold.credit_features, joined when they become
available (``as_of_date`` 00:00 São Paulo); features: views ``customer_credit`` and ``customer_daily``.
Monotone directions: :data:`models.credit.features.GOLD_MONOTONE`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.training_sets import TrainingSet, credit_training_set
from lake.settings import Settings
from models.credit.features import GOLD_MONOTONE

if TYPE_CHECKING:
    import pandas as pd

SERVICE = "credit_v1"
TARGET = "label_defaulted_6m"
KEYS = ("customer_pk", "as_of_date")
TIME_COL = "event_timestamp"


def training_set(settings: Settings, versions: dict[str, int] | None = None) -> TrainingSet:
    return credit_training_set(settings, versions=versions, service=SERVICE)


def model_frame(ts: TrainingSet) -> pd.DataFrame:
    """The frame the credit pipeline trains on: features + label + the time column (keys dropped)."""
    return ts.frame.drop([k for k in KEYS if k in ts.frame.columns]).to_pandas()


def monotone_for(df: pd.DataFrame) -> dict[str, int]:
    """GOLD_MONOTONE for the columns the encoder keeps (present and not constant)."""
    return {c: d for c, d in GOLD_MONOTONE.items() if c in df.columns and df[c].nunique(dropna=True) > 1}
