"""Train the three models from the lake (Feast point-in-time joins over gold) and register them in MLflow.

One function per model, shared by the Dagster assets (:mod:`pipelines.models_assets`) and the CLI
(``cofre models train fraud|credit|recommend``). Each run logs the Delta versions it read
(``data_versions`` param and tag); passing the same ``versions`` again retrains the same model bit for
bit (same rows in the same order, seeded boosting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake.settings import Settings
from models.progress import step

if TYPE_CHECKING:
    from models.credit.model import CreditModel


@dataclass
class LakeRun:
    name: str
    model: Any
    metrics: dict[str, float]
    versions: dict[str, int]
    rows: int
    run: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        r = self.run
        return {
            "model": self.name,
            "rows": self.rows,
            "data_versions": self.versions,
            "metrics": self.metrics,
            "version": getattr(r, "version", None),
            "promoted": getattr(r, "promoted", None),
            "decision": getattr(r, "decision", None),
            "run_id": getattr(r, "run_id", None),
        }


def train_fraud(
    settings: Settings,
    versions: dict[str, int] | None = None,
    *,
    seed: int = 0,
    register: bool = True,
    show_progress: bool = True,
) -> LakeRun:
    from models.fraud import lake, train

    step("fraud: Feast point-in-time join (fraud_v1) over gold", show_progress)
    ts = lake.training_set(settings, versions)
    step(f"fraud: {ts.frame.height} labelled transactions, versions {ts.versions}", show_progress)
    model, metrics, run = train.train_and_log(
        ts.frame.to_pandas(),
        data_versions=ts.versions,
        seed=seed,
        register=register,
        show_progress=show_progress,
        settings=settings,
    )
    return LakeRun("fraud", model, metrics, ts.versions, ts.frame.height, run)


def train_credit(
    settings: Settings,
    versions: dict[str, int] | None = None,
    *,
    seed: int = 0,
    register: bool = True,
    show_progress: bool = True,
) -> LakeRun:
    from models.credit import lake, train

    step("credit: Feast point-in-time join (credit_v1) over gold", show_progress)
    ts = lake.training_set(settings, versions)
    df = lake.model_frame(ts)
    step(f"credit: {len(df)} labelled customer-months, versions {ts.versions}", show_progress)
    model, metrics, run = train.train_and_log(
        df,
        lake.TARGET,
        True,
        monotone=lake.monotone_for(df),
        data_versions=ts.versions,
        time_col=lake.TIME_COL,
        seed=seed,
        register=register,
        show_progress=show_progress,
        settings=settings,
    )
    return LakeRun("credit", model, metrics, ts.versions, len(df), run)


def train_recommend(
    settings: Settings,
    versions: dict[str, int] | None = None,
    *,
    credit_model: CreditModel | None = None,
    seed: int = 0,
    register: bool = True,
    show_progress: bool = True,
) -> LakeRun:
    """Ranker over lake customers; credit scores from ``credit_model`` (default: the credit champion)."""
    from models import registry
    from models.recommend import lake, train

    if credit_model is None:
        credit_model = registry.load_champion("credit", settings)
    step("recommend: latest credit_v1 features of every customer", show_progress)
    ts = lake.latest_features(settings, versions)
    feats = ts.frame.to_pandas()
    scores = credit_model.score(feats[credit_model.features])
    customers = lake.customers_frame(feats, scores, seed=seed)
    versions_used = {
        **ts.versions,
        "credit_model": credit_model.metadata.get("registry_version")
        or credit_model.metadata.get("train_fingerprint", "")[:12],
    }
    model, metrics, run = train.train_and_log(
        customers=customers,
        seed=seed,
        register=register,
        show_progress=show_progress,
        data_versions=versions_used,
        settings=settings,
    )
    return LakeRun("recommend", model, metrics, ts.versions, len(customers), run)


TRAINERS = {"fraud": train_fraud, "credit": train_credit, "recommend": train_recommend}
