"""Recommendation training: simulated offer rounds -> ranker; precision@k and NDCG@k vs popularity.

The learnt ranker is served only if it beats the baseline on the holdout (:func:`choose_ranking`).

Offers come in ``periods`` rounds (:func:`models.recommend.simulate_offers.simulate_offers`); each
offer carries implicit-feedback features from the customer's EARLIER rounds only
(:mod:`models.recommend.history`). Holdout = the last round (a held-out period): the model and the
popularity baseline (acceptance rate per product) are fitted on the earlier rounds; for each
customer the offers of the last round are ranked by the model and by popularity; relevance =
accepted. With several ``objectives`` the objective is chosen on the last TRAINING round (models
fitted on the rounds before it), then refitted on every training round: the holdout never chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.card import model_card
from models.fingerprint import data_fingerprint
from models.metrics import ndcg_at_k, precision_at_k
from models.plots import ranking_figure, standard_figures
from models.progress import step
from models.recommend.history import add_history
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
    keys = ["cust_idx", "period"] if "period" in events.columns else ["cust_idx"]
    for _, idx in events.groupby(keys).indices.items():
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


def split_period(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(earlier rounds, last round): the last ``period`` is held out."""
    last = events["period"].max()
    is_hold = (events["period"] == last).to_numpy()
    return events[~is_hold].reset_index(drop=True), events[is_hold].reset_index(drop=True)


def fit_best(
    customers: pd.DataFrame, train: pd.DataFrame, objectives: tuple[str, ...], seed: int, k: int = 3
) -> tuple[Recommender, dict[str, float]]:
    """The ranker of the objective with the best NDCG@k on the last training round (fitted on the
    rounds before it), refitted on all of ``train``; returns it and each objective's validation NDCG."""
    if len(objectives) == 1:
        return fit_ranker(customers, train, seed=seed, objective=objectives[0]), {}
    inner, valid = split_period(train)
    scores = {
        obj: ranking_metrics(fit_ranker(customers, inner, seed=seed, objective=obj), customers, valid, k)[
            f"ndcg_at_{k}"
        ]
        for obj in objectives
    }
    best = max(objectives, key=lambda o: scores[o])
    return fit_ranker(customers, train, seed=seed, objective=best), scores


def train_and_log(
    n_customers: int = 5000,
    *,
    seed: int = 0,
    k: int = 3,
    periods: int = 12,
    offers_per_period: int = 6,
    objectives: tuple[str, ...] = ("pointwise",),
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
    events = add_history(simulate_offers(customers, offers_per_period, seed=seed, periods=periods))
    train, hold = split_period(events)
    step(f"recommend: fitting on {periods - 1} rounds of offers, round {periods} held out", show_progress)
    model, validation = fit_best(customers, train, objectives, seed, k)
    model.metadata["objective_validation_ndcg"] = validation
    model.metadata["holdout_period"] = int(hold["period"].max())
    metrics = choose_ranking(model, customers, hold, k)
    hold_fp = data_fingerprint(hold.drop(columns=["kind"]), extra=data_fingerprint(customers))
    model.metadata["holdout_fingerprint"] = hold_fp
    card = model_card(
        "recommend",
        summary="Ranks suitable (CVM 30) and eligible, affordable offers by the learnt acceptance score "
        "(customer, offer and implicit feedback from earlier rounds of offers).",
        data={
            "customers": n_customers,
            "events (train/holdout)": f"{len(train)}/{len(hold)}",
            "rounds": f"{periods} rounds of up to {offers_per_period} offers; the last one held out",
            "objective": model.objective,
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
        params={
            "seed": seed,
            "k": k,
            "n_customers": n_customers,
            "periods": periods,
            "offers_per_period": offers_per_period,
            "objective": model.objective,
        },
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


def seed_lifts(
    customers_for: Callable[[int], pd.DataFrame],
    seeds: Sequence[int],
    *,
    periods: int = 12,
    offers_per_period: int = 6,
    objective: str = "pointwise",
    k: int = 3,
) -> pd.DataFrame:
    """Per simulator seed: NDCG@k of the learnt ranker and of popularity on the held-out last round
    (``customers_for(seed)`` gives that seed's customers), and the relative lift."""
    rows = []
    for seed in seeds:
        customers = customers_for(seed)
        events = add_history(simulate_offers(customers, offers_per_period, seed=seed, periods=periods))
        train, hold = split_period(events)
        m = ranking_metrics(fit_ranker(customers, train, seed=seed, objective=objective), customers, hold, k)
        rows.append(
            {
                "seed": seed,
                "ndcg": m[f"ndcg_at_{k}"],
                "popularity_ndcg": m[f"baseline_ndcg_at_{k}"],
                "lift": m[f"ndcg_at_{k}"] / m[f"baseline_ndcg_at_{k}"] - 1,
            }
        )
    return pd.DataFrame(rows)


def mean_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its two-sided Student-t confidence interval (over seeds)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return mean, mean - half, mean + half
