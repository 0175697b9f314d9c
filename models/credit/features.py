"""The credit model's canonical features, their required monotone directions and Portuguese reasons.

Feature names are the columns a training frame (and later the Feast feature service over
``gold.credit_features``) provides; money is integer cents. ``MONOTONE`` gives the direction the
domain demands: +1 = a higher value may only raise the probability of default (PD), -1 = may only
lower it. ``REASONS`` maps a feature to the plain-Portuguese sentence shown to the customer when
that feature lowers their score (LGPD art. 20: right to an explanation of automated decisions).
"""

from __future__ import annotations

MONOTONE: dict[str, int] = {
    "bureau_score": -1,  # Serasa-like 0..1000
    "monthly_income_cents": -1,
    "income_regularity": -1,  # 0..1 share of months with a regular salary credit
    "balance_avg_90d_cents": -1,
    "account_age_days": -1,
    "overdraft_days_90d": +1,  # days in the overdraft in the last 90 days
    "late_instalments_180d": +1,  # loan instalments paid late in the last 180 days
    "max_days_late_180d": +1,
    "debt_to_income": +1,  # monthly instalments / monthly income
    "card_utilisation": +1,  # card balance / card limit
    "bureau_inquiries_90d": +1,
}
# Directions for the columns of lake.catalog gold.credit_features (the Feast adapter feeds these).
GOLD_MONOTONE: dict[str, int] = {
    "score_latest": -1,
    "score_mean_12m": -1,
    "score_min_12m": -1,
    "score_trend_12m": -1,
    "declared_income_cents": -1,
    "avg_monthly_credit_cents_6m": -1,
    "salary_months_6m": -1,
    "income_regularity": -1,
    "overdraft_days_90d": +1,
    "instalments_in_arrears": +1,
    "max_days_late_12m": +1,
}
UNCONSTRAINED: tuple[str, ...] = ("age_years", "open_loans", "pix_out_30d", "state", "occupation")
FEATURES: tuple[str, ...] = tuple(MONOTONE) + UNCONSTRAINED
CATEGORICAL: tuple[str, ...] = ("state", "occupation")

REASONS: dict[str, str] = {
    "bureau_score": "Pontuação de crédito no bureau baixa",
    "monthly_income_cents": "Renda mensal baixa para o crédito pretendido",
    "income_regularity": "Renda irregular",
    "balance_avg_90d_cents": "Saldo médio baixo na conta nos últimos 90 dias",
    "account_age_days": "Relacionamento recente com o banco",
    "overdraft_days_90d": "Uso frequente do cheque especial",
    "late_instalments_180d": "Atrasos recentes em parcelas de empréstimo",
    "max_days_late_180d": "Atraso longo no pagamento de parcelas",
    "debt_to_income": "Comprometimento alto da renda com parcelas",
    "card_utilisation": "Uso elevado do limite do cartão de crédito",
    "bureau_inquiries_90d": "Muitas consultas de crédito recentes",
    "score_latest": "Pontuação de crédito no bureau baixa",
    "score_mean_12m": "Pontuação de crédito no bureau baixa nos últimos 12 meses",
    "score_min_12m": "Pontuação de crédito no bureau já esteve muito baixa",
    "score_trend_12m": "Pontuação de crédito no bureau em queda",
    "declared_income_cents": "Renda declarada baixa para o crédito pretendido",
    "avg_monthly_credit_cents_6m": "Entradas mensais baixas na conta",
    "salary_months_6m": "Renda irregular",
    "instalments_in_arrears": "Atrasos recentes em parcelas de empréstimo",
    "max_days_late_12m": "Atraso longo no pagamento de parcelas",
    "outstanding_cents": "Saldo devedor alto em empréstimos",
    "tx_count": "Movimentação recente da conta",
    "credit_cents": "Entradas recentes baixas na conta",
    "debit_cents": "Saídas recentes altas na conta",
    "net_cents": "Saldo do dia negativo",
    "pix_out_count": "Padrão de movimentação recente da conta",
    "pix_out_cents": "Padrão de movimentação recente da conta",
    "card_count": "Padrão de uso do cartão",
    "card_cents": "Padrão de uso do cartão",
    "salary_cents": "Entradas de salário baixas",
    "distinct_counterparties": "Padrão de movimentação recente da conta",
    "new_device_tx_count": "Padrão de movimentação recente da conta",
    "age_years": "Perfil etário com maior risco observado",
    "open_loans": "Quantidade de empréstimos em aberto",
    "pix_out_30d": "Padrão de movimentação recente da conta",
    "state": "Região com maior inadimplência observada",
    "occupation": "Ocupação com maior inadimplência observada",
}


def reason_sentence(feature: str, table: dict[str, str] | None = None) -> str:
    """The Portuguese sentence for ``feature``; a generic one for columns outside the table."""
    table = REASONS if table is None else table
    return table.get(feature, f"Valor desfavorável em '{feature}'")
