"""The fraud decision policy: approve / review / block from the fraud probability AND the amount at stake.

One threshold on the probability treats a R$ 1 transfer like a R$ 100 000 one: with the learnt review
threshold of the demo (about 0.004) a new account's R$ 999.99 payment was sent to an analyst although
its expected loss (0.004 x R$ 999.99 = R$ 4) is half of what a review costs (R$ 8), and a R$ 1 payment
right after a device enrolment was blocked although it can lose at most R$ 1. The policy weighs what
each action costs on *this* transaction (costs in cents, :class:`models.fraud.threshold.CostParams`,
``p`` the calibrated fraud probability, ``A`` the amount):

* **review** (hold it for an analyst) when the loss the review prevents pays for the review:
  ``catch x p x A >= review_cost + (1 - p) x review_friction``
  (defaults: the analyst stops 90 % of frauds; R$ 5 of analyst time; R$ 3 of delay for a good payment);
* **block** when fraud is more likely than not (``p >= block_min_probability``, 0.5) *and* the loss it
  avoids exceeds the friction of blocking a good payment: ``p x A >= (1 - p) x block_friction``
  (R$ 30: support call, churn risk); below that confidence a risky payment goes to a human instead;
* **approve** otherwise.

So the probability a review needs falls with the amount (about 0.086 at R$ 100, 0.0089 at R$ 1 000,
0.00089 at R$ 10 000) and a block needs p >= 0.968 at R$ 1, p >= 0.75 at R$ 10 and p >= 0.5 from
R$ 30 on (:func:`review_break_even`, :func:`block_break_even`). The decision never gets milder when the
probability or the amount grows (both conditions are monotone in p and in A), so with a fraud model
that is monotone in the amount a larger transfer is never treated more leniently than a smaller one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from models.fraud.threshold import CostParams

SEVERITY = {"approve": 0, "review": 1, "block": 2}


@dataclass(frozen=True)
class DecisionPolicy:
    costs: CostParams = CostParams()
    block_min_probability: float = 0.5

    def decide(self, p, amount_cents) -> np.ndarray:
        """'approve' / 'review' / 'block' per (probability, amount) pair (arrays broadcast)."""
        p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
        a = np.asarray(amount_cents, dtype=float)
        c = self.costs
        catch = c.review_catch_pct / 100.0
        review = catch * p * a >= c.review_cost_cents + (1.0 - p) * c.review_friction_cents
        block = (p >= self.block_min_probability) & (p * a >= (1.0 - p) * c.block_friction_cents)
        return np.where(block, "block", np.where(review, "review", "approve"))

    def decide_one(self, p: float, amount_cents: int) -> str:
        return str(self.decide(p, amount_cents)[()])

    def as_dict(self) -> dict:
        return {
            "name": "expected_cost",
            **asdict(self.costs),
            "block_min_probability": self.block_min_probability,
        }

    @classmethod
    def from_metadata(cls, metadata: dict) -> DecisionPolicy:
        """The policy stored with a model (models trained before it existed: the defaults on their costs)."""
        d = dict(metadata.get("decision_policy") or {})
        costs = CostParams(**{k: int(v) for k, v in (metadata.get("costs") or {}).items()})
        return cls(costs, float(d.get("block_min_probability", 0.5)))


def review_break_even(amount_cents: int, policy: DecisionPolicy = DecisionPolicy()) -> float:
    """The smallest probability at which a transfer of ``amount_cents`` is reviewed (inf: never)."""
    c = policy.costs
    catch = c.review_catch_pct / 100.0
    den = catch * amount_cents + c.review_friction_cents
    p = (c.review_cost_cents + c.review_friction_cents) / den
    return p if p <= 1 else float("inf")


def block_break_even(amount_cents: int, policy: DecisionPolicy = DecisionPolicy()) -> float:
    """The smallest probability at which a transfer of ``amount_cents`` is blocked."""
    f = policy.costs.block_friction_cents
    return max(policy.block_min_probability, f / (amount_cents + f))
