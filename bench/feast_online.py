"""Benchmark: median in-process Feast online lookup for one entity (SQLite online store, embedded profile).

Builds small gold tables in a temporary COFRE_HOME, applies and materialises, then times
``get_online_features`` for one customer: (a) one feature view (``customer_transactions``, 15 features),
(b) the ``fraud_v1`` service via :func:`features.online.online_features` (4 views + the on-demand view).
Peer: ARCHITECTURE.md's baseline of 0.35 ms median for a Feast SQLite online lookup of one entity.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta

import numpy as np

from bench.timing import median_ms

BASELINE_MS = 0.35


def main(n: int = 500) -> None:
    from features.materialize import apply_and_materialize
    from features.online import online_features, store_for, warm_up
    from lake.settings import load_settings
    from sandbox import sample_gold as sg

    with tempfile.TemporaryDirectory() as home:
        s = load_settings(home=home, feast_project="bench")
        sg.write_gold(s, np.random.default_rng(7), n_customers=200, per_customer=10)
        apply_and_materialize(s, end=sg.T0 + timedelta(days=1), progress=lambda _m: None)
        warm_up(s)
        store = store_for(s)
        feats = [
            f"customer_transactions:{f.name}"
            for f in store.get_feature_view("customer_transactions").features
        ]
        row = {"customer_pk": sg.customer_pk(3)}

        def one_view() -> None:
            store.get_online_features(features=feats, entity_rows=[row]).to_dict()

        req = {
            "amount_cents": 12_345,
            "request_ts": sg.T0,
            "last_login_at": sg.T0 - timedelta(minutes=3),
            "last_device_change_at": None,
        }

        def service() -> None:
            online_features("fraud_v1", [{**row, "counterparty_pk": sg.counterparty_pk(1)}], req, settings=s)

        a = median_ms(one_view, n)
        b = median_ms(service, n)
    print(
        f"one view, one entity  : median {a:7.3f} ms  ratio vs baseline {BASELINE_MS} ms: {a / BASELINE_MS:5.2f}"
    )
    print(
        f"fraud_v1 + on-demand  : median {b:7.3f} ms  ratio vs baseline {BASELINE_MS} ms: {b / BASELINE_MS:5.2f}"
    )


if __name__ == "__main__":
    main()
