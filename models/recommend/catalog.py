"""Product catalogue: investments (risk 1..5) and credit products (monthly rates, score floors, limits).

Rates are Decimal monthly rates; amounts are integer cents. Risk levels follow the usual Brazilian
suitability grading: 1 liquid post-fixed government/bank paper, 5 equities.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    kind: str  # "investment" | "credit"
    risk: int = 0  # 1..5 for investments
    liquidity_days: int = 0
    min_amount_cents: int = 0
    max_amount_cents: int = 0  # credit: cap of the offered amount
    monthly_rate: Decimal = Decimal("0")
    min_score: int = 0  # credit: minimum 0..1000 score
    term_months: int = 0  # credit with instalments; 0 = revolving
    needs_payroll: bool = False  # consignado: only for payroll-eligible customers
    needs_card: bool = False


CATALOGUE: tuple[Product, ...] = (
    Product("POUPANCA", "Poupança", "investment", risk=1, liquidity_days=0, min_amount_cents=100),
    Product(
        "CDB_LIQUIDEZ",
        "CDB liquidez diária 100% CDI",
        "investment",
        risk=1,
        liquidity_days=0,
        min_amount_cents=100_00,
    ),
    Product(
        "TESOURO_SELIC", "Tesouro Selic", "investment", risk=1, liquidity_days=1, min_amount_cents=150_00
    ),
    Product(
        "LCI", "LCI 95% CDI (90 dias)", "investment", risk=2, liquidity_days=90, min_amount_cents=1_000_00
    ),
    Product(
        "LCA", "LCA 94% CDI (1 ano)", "investment", risk=2, liquidity_days=365, min_amount_cents=1_000_00
    ),
    Product(
        "CDB_PRE", "CDB prefixado 2 anos", "investment", risk=2, liquidity_days=730, min_amount_cents=500_00
    ),
    Product(
        "TESOURO_IPCA", "Tesouro IPCA+ 2035", "investment", risk=3, liquidity_days=1, min_amount_cents=50_00
    ),
    Product(
        "DEBENTURE",
        "Debênture incentivada",
        "investment",
        risk=3,
        liquidity_days=1095,
        min_amount_cents=1_000_00,
    ),
    Product(
        "MULTIMERCADO", "Fundo multimercado", "investment", risk=4, liquidity_days=30, min_amount_cents=500_00
    ),
    Product(
        "FII", "Fundo imobiliário (FII)", "investment", risk=4, liquidity_days=2, min_amount_cents=100_00
    ),
    Product(
        "FUNDO_ACOES", "Fundo de ações", "investment", risk=5, liquidity_days=30, min_amount_cents=500_00
    ),
    Product("ACOES", "Ações (home broker)", "investment", risk=5, liquidity_days=2, min_amount_cents=100_00),
    Product(
        "EMPRESTIMO_PESSOAL",
        "Empréstimo pessoal",
        "credit",
        min_amount_cents=500_00,
        max_amount_cents=50_000_00,
        monthly_rate=Decimal("0.039"),
        min_score=500,
        term_months=24,
    ),
    Product(
        "CONSIGNADO",
        "Crédito consignado",
        "credit",
        min_amount_cents=1_000_00,
        max_amount_cents=150_000_00,
        monthly_rate=Decimal("0.018"),
        min_score=300,
        term_months=72,
        needs_payroll=True,
    ),
    Product(
        "AUMENTO_LIMITE_CARTAO",
        "Aumento de limite do cartão",
        "credit",
        min_amount_cents=200_00,
        max_amount_cents=20_000_00,
        monthly_rate=Decimal("0.12"),
        min_score=650,
        needs_card=True,
    ),
    Product(
        "CHEQUE_ESPECIAL",
        "Cheque especial",
        "credit",
        min_amount_cents=100_00,
        max_amount_cents=5_000_00,
        monthly_rate=Decimal("0.08"),
        min_score=550,
    ),
)
BY_CODE = {p.code: p for p in CATALOGUE}
