"""Recommender: the learnt ranker vs popularity on the held-out last round of offers, over simulator seeds.

Customers: the demo world's (the lake of COFRE_HOME: latest credit_v1 features of every customer and
the credit champion's scores, as ``models/recommend`` trains) when that lake has been built
(``make demo``), else ``BENCH_RECO_CUSTOMERS`` (default 2 000, the demo world's size) simulated ones.
For each seed: customers' latent traits and the 12 rounds of 6 offers are drawn
(:func:`models.recommend.simulate_offers.simulate_offers`), the ranker is fitted on rounds 1-11 and
both rankings are scored on round 12. Table: NDCG@3 of each, the relative lift with its 95 % Student-t
interval over seeds. Goal (issue 21): lift >= 10 %.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pandas as pd

SEEDS = range(int(os.environ.get("BENCH_RECO_SEEDS", "5")))


def _lake_customers() -> tuple[str, Callable[[int], pd.DataFrame]] | None:
    from lake.settings import get_settings

    s = get_settings()
    if not (s.home / "lake" / "gold" / "credit_features").exists():
        return None
    from models import registry
    from models.recommend import lake

    try:
        credit = registry.load_champion("credit", s)
    except Exception:  # noqa: BLE001 - no credit champion yet: fall back to simulated customers
        return None
    feats = lake.latest_features(s).frame.to_pandas()
    scores = credit.score(feats[credit.features])
    return f"demo world lake ({len(feats)} customers, {s.home})", lambda seed: lake.customers_frame(
        feats, scores, seed=seed
    )


def main() -> None:
    from models.recommend.simulate_offers import make_customers
    from models.recommend.train import mean_interval, seed_lifts
    from models.threads import training_threads

    found = _lake_customers()
    if found is None:
        n = int(os.environ.get("BENCH_RECO_CUSTOMERS", "2000"))
        source, customers_for = f"simulated customers ({n})", lambda seed: make_customers(n, seed=seed)
    else:
        source, customers_for = found
    print(f"customers: {source}; seeds {list(SEEDS)}; 12 rounds x 6 offers, round 12 held out")
    print(
        f"{'objective':<10} {'NDCG@3 model':>13} {'NDCG@3 popularity':>18} {'lift mean [95% CI]':>26} "
        f"{'min lift':>9} {'s':>6}"
    )
    with training_threads(1):
        for objective in ("pointwise", "pairwise"):
            t0 = time.perf_counter()
            r = seed_lifts(customers_for, SEEDS, objective=objective)
            mean, low, high = mean_interval(r["lift"])
            print(
                f"{objective:<10} {r['ndcg'].mean():>13.4f} {r['popularity_ndcg'].mean():>18.4f} "
                f"{f'{mean:+.1%} [{low:+.1%}, {high:+.1%}]':>26} {r['lift'].min():>+9.1%} "
                f"{time.perf_counter() - t0:>6.0f}",
                flush=True,
            )
    print("served: the trainer's objective (pointwise), only when it beats popularity on the holdout")


if __name__ == "__main__":
    main()
