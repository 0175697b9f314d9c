"""Recommendation training: simulated offers -> ranker; precision@k and NDCG@k vs a popularity baseline.

The learnt ranker is served only if it beats the baseline on the holdout (:func:`choose_ranking`).

Holdout = a random 20 % of customers (all their offer events). For each holdout customer, the offers
they were shown are ranked by the model and by product popularity (training acceptance rate);
relevance = accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.card import model_card
from models.fingerprint import data_fingerprint
from models.metrics import ndcg_at_k, precision_at_k
from models.plots import ranking_figure, standard_figures
from models.progress import step
from models.recommend.ranker import Recommender, fit_ranker
from models.recommend.simulate_offers import make_customers, simulate_offers

if TYPE_CHECKING:
    from lake.settings import Settings


def ranking_metrics(
    model: Recommender, customers: pd.DataFrame, events: pd.DataFrame, k: int = 3
) -> dict[str, float]:
    s_model = model.score_pairs(customers, events)
    s_pop = events["product"].map(model.popularity).fillna(0.0).to_numpy()
    rel_m, rel_p = [], []
    acc = events["accepted"].to_numpy().astype(float)
    for _, idx in events.groupby("cust_idx").indices.items():
        rel_m.append(acc[idx][np.argsort(-s_model[idx], kind="stable")])
        rel_p.append(acc[idx][np.argsort(-s_pop[idx], kind="stable")])
    return {
        f"precision_at_{k}": precision_at_k(rel_m, k),
        f"ndcg_at_{k}": ndcg_at_k(rel_m, k),
        f"baseline_precision_at_{k}": precision_at_k(rel_p, k),
        f"baseline_ndcg_at_{k}": ndcg_at_k(rel_p, k),
    }


def choose_ranking(
    model: Recommender, customers: pd.DataFrame, hold: pd.DataFrame, k: int = 3
) -> dict[str, float]:
    """Serve the better ranking on the holdout: the learnt ranker only if its NDCG@k beats popularity's,
    else the recommender ranks by popularity (``model.ranking``). Returns the served ranking's metrics
    plus the learnt ranker's own (``learnt_*``), so the run records what was given up."""
    learnt = ranking_metrics(model, customers, hold, k)
    ndcg, base = learnt[f"ndcg_at_{k}"], learnt[f"baseline_ndcg_at_{k}"]
    model.ranking = "model" if ndcg > base else "popularity"
    model.metadata["ranking"] = model.ranking
    if model.ranking == "popularity":
        model.metadata["ranking_reason"] = (
            f"the learnt ranker's NDCG@{k} {ndcg:.4f} did not beat popularity's {base:.4f} on the holdout"
        )
    served = learnt if model.ranking == "model" else ranking_metrics(model, customers, hold, k)
    return {**served, f"learnt_precision_at_{k}": learnt[f"precision_at_{k}"], f"learnt_ndcg_at_{k}": ndcg}


def split_events(
    customers: pd.DataFrame, events: pd.DataFrame, holdout_frac: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed + 7)
    hold = rng.random(len(customers)) < holdout_frac
    is_hold = hold[events["cust_idx"].to_numpy()]
    return events[~is_hold].reset_index(drop=True), events[is_hold].reset_index(drop=True)


def train_and_log(
    n_customers: int = 5000,
    *,
    seed: int = 0,
    k: int = 3,
    holdout_frac: float = 0.2,
    register: bool = True,
    show_progress: bool = True,
    data_versions: dict[str, int] | None = None,
    customers: pd.DataFrame | None = None,
    settings: Settings | None = None,
) -> tuple[Recommender, dict[str, float], Any]:
    """Simulate offers for ``customers`` (default: ``n_customers`` simulated ones), fit, evaluate, log."""
    from models import registry

    if customers is None:
        step(f"recommend: simulating {n_customers} customers and their offers", show_progress)
        customers = make_customers(n_customers, seed)
        source = "models.recommend.simulate_offers (simulated)"
    else:
        n_customers = len(customers)
        step(f"recommend: simulating offers for {n_customers} lake customers", show_progress)
        source = "lake customers (credit_v1 features, credit score) + simulated offers"
    events = simulate_offers(customers, seed=seed)
    train, hold = split_events(customers, events, holdout_frac, seed)
    model = fit_ranker(customers, train, seed=seed)
    metrics = choose_ranking(model, customers, hold, k)
    hold_fp = data_fingerprint(hold.drop(columns=["kind"]), extra=data_fingerprint(customers))
    model.metadata["holdout_fingerprint"] = hold_fp
    card = model_card(
        "recommend",
        summary="Ranks suitable (CVM 30) and eligible, affordable offers by acceptance probability.",
        data={
            "customers": n_customers,
            "events (train/holdout)": f"{len(train)}/{len(hold)}",
            "source": source,
            "data_versions": data_versions or {},
        },
        metrics=metrics,
        intended_use="Ordering offers in the app; the eligibility hard filter decides what may be offered.",
        limits=[
            "Trained on simulated acceptance; the popularity baseline is the bar to beat: when the learnt "
            "ranker does not beat it on the holdout, the offers are ranked by popularity "
            f"(ranking: {model.ranking}).",
            "The ranking never overrides suitability or affordability.",
        ],
        metadata=model.metadata,
    )

    def evaluate(champion: Recommender) -> float:
        return ranking_metrics(champion, customers, hold, k)[f"ndcg_at_{k}"]

    # like fraud and credit: the served acceptance scores on the holdout (ROC, PR, reliability,
    # distribution) and the ranking against the popularity baseline
    accepted = hold["accepted"].to_numpy().astype(int)
    figures = {
        **standard_figures(accepted, model.score_pairs(customers, hold)),
        "ranking.png": ranking_figure(metrics, k),
    }

    step("recommend: logging to MLflow", show_progress)
    result = registry.log_training_run(
        "recommend",
        model,
        params={"seed": seed, "k": k, "n_customers": n_customers},
        metrics=metrics,
        figures=figures,
        card_md=card,
        data_versions=data_versions,
        data_fingerprint=data_fingerprint(train.drop(columns=["kind"])),
        holdout=(f"ndcg_at_{k}", metrics[f"ndcg_at_{k}"], hold_fp),
        evaluate=evaluate,
        register=register,
        settings=settings,
    )
    return model, metrics, result
