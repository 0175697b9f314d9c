"""Benchmark: one-request credit scoring with adverse reasons vs a bare PD prediction (the peer).

Prints median latencies and the ratio explain/predict for a model trained on the synthetic frame.
Set OMP_NUM_THREADS=1 for single-request serving (OpenMP start-up dominates tiny batches).
"""

from __future__ import annotations

from bench.timing import median_ms


def main() -> None:
    from models.credit.features import MONOTONE
    from models.credit.model import fit_credit_model
    from sandbox.synthetic_credit import make_credit_frame

    df = make_credit_frame(4000, seed=0)
    model = fit_credit_model(df, "defaulted_6m", True, monotone=MONOTONE)
    row = df.drop(columns="defaulted_6m").iloc[[7]]
    predict = median_ms(lambda: model.score(row), warmup=0)
    explain = median_ms(lambda: (model.score(row), model.explain(row)), warmup=0)
    print(
        f"credit score only (peer): {predict:.2f} ms; score + reasons: {explain:.2f} ms; "
        f"ratio {explain / predict:.2f}x"
    )


if __name__ == "__main__":
    main()
