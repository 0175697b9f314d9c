"""The hard filter: only SUITABLE investments and ELIGIBLE, AFFORDABLE credit products are ever offered.

* investment: a valid investor profile exists, product risk <= MAX_RISK[profile], and the customer's
  balance covers the minimum amount;
* credit: only with a credit score (None: no credit analysis was consented to, so no credit product is
  offered), score >= the product's floor, consignado only if payroll-eligible, card limit only with a card,
  and affordability: existing instalments + the new instalment <= ``MAX_DSR`` (30 %) of monthly income.
  Instalment loans use the Price (French) amortisation formula in Decimal
  ``PMT = P * i / (1 - (1 + i)^-n)``, rounded half-up to the cent; the offered principal is the
  largest multiple of R$ 100 that stays within budget (capped by the product's maximum).
  Revolving products (overdraft, card limit) are offered a limit of at most half the monthly
  income (overdraft) or one monthly income (card), and only if the current debt service ratio
  is within budget; their "instalment" is the monthly interest on the full limit, which must fit the
  remaining budget too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, getcontext

from models.recommend.catalog import CATALOGUE, Product
from models.recommend.profile import MAX_RISK

getcontext().prec = 34
MAX_DSR = Decimal("0.30")
STEP_CENTS = 100_00


@dataclass(frozen=True)
class Customer:
    customer_id: str
    profile: str | None  # investor profile or None (no valid questionnaire)
    credit_score: int | None  # 0..1000; None without a credit analysis (then no credit offer)
    monthly_income_cents: int
    existing_instalments_cents: int | None  # None without a credit analysis
    balance_cents: int
    has_card: bool = False
    payroll_eligible: bool = False


@dataclass(frozen=True)
class Offer:
    product: str
    kind: str
    amount_cents: int = 0  # credit: principal or limit offered
    instalment_cents: int = 0  # credit: monthly payment (Price) or monthly interest on the limit
    term_months: int = 0


def price_instalment(principal_cents: int, monthly_rate: Decimal, months: int) -> int:
    """Price-table instalment in cents (Decimal arithmetic, half-up to the cent)."""
    if months <= 0:
        raise ValueError("months must be positive")
    p, i = Decimal(principal_cents), Decimal(monthly_rate)
    pmt = p / months if i == 0 else p * i / (1 - (1 + i) ** -months)
    return int(pmt.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def budget_cents(c: Customer) -> int:
    """Monthly amount still available for new instalments under the 30 % rule (>= 0)."""
    cap = (Decimal(c.monthly_income_cents) * MAX_DSR).to_integral_value(rounding=ROUND_FLOOR)
    return max(0, int(cap) - c.existing_instalments_cents)


def _instalment_offer(c: Customer, p: Product) -> Offer | None:
    budget = budget_cents(c)
    if budget <= 0:
        return None
    i, n = p.monthly_rate, p.term_months
    pv_factor = (1 - (1 + i) ** -n) / i if i else Decimal(n)
    principal = (
        int((Decimal(budget) * pv_factor / STEP_CENTS).to_integral_value(rounding=ROUND_FLOOR)) * STEP_CENTS
    )
    principal = min(principal, p.max_amount_cents)
    while principal >= p.min_amount_cents and price_instalment(principal, i, n) > budget:
        principal -= STEP_CENTS
    if principal < p.min_amount_cents:
        return None
    return Offer(p.code, "credit", principal, price_instalment(principal, i, n), n)


def _revolving_offer(c: Customer, p: Product) -> Offer | None:
    if budget_cents(c) <= 0:
        return None
    share = Decimal("1.0") if p.needs_card else Decimal("0.5")
    limit = (
        int((Decimal(c.monthly_income_cents) * share / STEP_CENTS).to_integral_value(rounding=ROUND_FLOOR))
        * STEP_CENTS
    )
    limit = min(limit, p.max_amount_cents)
    if limit < p.min_amount_cents:
        return None
    interest = int((Decimal(limit) * p.monthly_rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if interest > budget_cents(c):
        return None
    return Offer(p.code, "credit", limit, interest, 0)


def offer_for(c: Customer, p: Product) -> Offer | None:
    """The offer of ``p`` to ``c`` if suitable/eligible/affordable, else None."""
    if p.kind == "investment":
        if c.profile is None or p.risk > MAX_RISK[c.profile] or c.balance_cents < p.min_amount_cents:
            return None
        return Offer(p.code, "investment")
    if (
        c.credit_score is None
        or c.existing_instalments_cents is None
        or c.credit_score < p.min_score
        or (p.needs_payroll and not c.payroll_eligible)
        or (p.needs_card and not c.has_card)
    ):
        return None
    return _instalment_offer(c, p) if p.term_months else _revolving_offer(c, p)


def eligible_offers(c: Customer, catalogue: tuple[Product, ...] = CATALOGUE) -> list[Offer]:
    return [o for p in catalogue if (o := offer_for(c, p)) is not None]
