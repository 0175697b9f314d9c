"""Data contract of the simulated world: the tables `cofre simulate` writes and the sandboxes serve.

The simulator (sandbox/simulator) produces exactly these columns and dtypes as polars
DataFrames and saves them as parquet under ``COFRE_HOME/world/<seed>/<table>.parquet``; the
sandboxes (Open Finance, Serasa, PIX) read them. Money is integer cents (Int64, never float);
timestamps are UTC microseconds. Identifiers in clear (CPF, names, e-mails, PIX keys) exist only
in the world and in bronze; the lake pseudonymises them below bronze.

Enumerations reuse the Open Finance Brasil spec values (../shared/specs/open-finance) so the
sandbox can serve them without translation.
"""

from __future__ import annotations

import polars as pl

TS = pl.Datetime("us", "UTC")

# Open Finance enums used by the world (accounts 2.4.2, credit-cards 2.3.1, loans 2.5.0).
ACCOUNT_TYPES = ("CONTA_DEPOSITO_A_VISTA", "CONTA_POUPANCA", "CONTA_PAGAMENTO_PRE_PAGA")
ACCOUNT_SUBTYPES = ("INDIVIDUAL", "CONJUNTA_SIMPLES", "CONJUNTA_SOLIDARIA")
CREDIT_DEBIT = ("CREDITO", "DEBITO")
TRANSACTION_TYPES = (
    "TED",
    "DOC",
    "PIX",
    "TRANSFERENCIA_MESMA_INSTITUICAO",
    "BOLETO",
    "CONVENIO_ARRECADACAO",
    "PACOTE_TARIFA_SERVICOS",
    "TARIFA_SERVICOS_AVULSOS",
    "FOLHA_PAGAMENTO",
    "DEPOSITO",
    "SAQUE",
    "CARTAO",
    "ENCARGOS_JUROS_CHEQUE_ESPECIAL",
    "RENDIMENTO_APLIC_FINANCEIRA",
    "PORTABILIDADE_SALARIO",
    "RESGATE_APLIC_FINANCEIRA",
    "OPERACAO_CREDITO",
    "OUTROS",
)
LOAN_SUBTYPES = (
    "HOME_EQUITY",
    "CHEQUE_ESPECIAL",
    "CONTA_GARANTIDA",
    "CAPITAL_GIRO_TETO_ROTATIVO",
    "CREDITO_PESSOAL_SEM_CONSIGNACAO",
    "CREDITO_PESSOAL_COM_CONSIGNACAO",
    "MICROCREDITO_PRODUTIVO_ORIENTADO",
    "CAPITAL_GIRO_PRAZO_VENCIMENTO_ATE_365_DIAS",
    "CAPITAL_GIRO_PRAZO_VENCIMENTO_SUPERIOR_365_DIAS",
)
PIX_KEY_TYPES = ("CPF", "CNPJ", "EMAIL", "PHONE", "EVP")
FRAUD_SCENARIOS = ("account_takeover", "pix_scam", "card_testing", "mule_account")
CHANNELS = ("PIX", "CARD", "BOLETO", "TED", "SALARY", "FEE", "INTEREST", "LOAN")

WORLD_SCHEMA: dict[str, dict[str, pl.DataType | type[pl.DataType]]] = {
    # one row per person; latent_risk in [0, 1] drives everything credit-related
    "customers": {
        "customer_id": pl.String,  # internal id, e.g. "CUS00000042"
        "cpf": pl.String,  # 11 digits, valid check digits
        "name": pl.String,
        "email": pl.String,
        "phone": pl.String,  # +55DDNNNNNNNNN
        "birth_date": pl.Date,
        "state": pl.String,  # UF, e.g. "SP"
        "monthly_income_cents": pl.Int64,
        "salary_day": pl.Int8,  # 1..28
        "latent_risk": pl.Float64,  # not money; a model-free ground truth for tests
        "created_at": TS,
    },
    "accounts": {
        "account_id": pl.String,  # Open Finance accountId
        "customer_id": pl.String,
        "brand_name": pl.String,
        "company_cnpj": pl.String,  # 14 digits, the institution
        "type": pl.String,  # ACCOUNT_TYPES
        "subtype": pl.String,  # ACCOUNT_SUBTYPES
        "compe_code": pl.String,  # 3 digits
        "branch_code": pl.String,  # 4 digits
        "number": pl.String,
        "check_digit": pl.String,
        "currency": pl.String,  # "BRL"
        "overdraft_limit_cents": pl.Int64,
        "opened_at": TS,
    },
    "balances": {  # balance at the end of the simulated period
        "account_id": pl.String,
        "available_cents": pl.Int64,
        "blocked_cents": pl.Int64,
        "automatically_invested_cents": pl.Int64,
        "updated_at": TS,
    },
    "pix_keys": {
        "key": pl.String,
        "key_type": pl.String,  # PIX_KEY_TYPES
        "customer_id": pl.String,  # null for keys of people outside the bank
        "account_id": pl.String,
        "owner_name": pl.String,
        "owner_document": pl.String,  # CPF or CNPJ of the owner
        "created_at": TS,
    },
    "cards": {
        "credit_card_account_id": pl.String,
        "customer_id": pl.String,
        "brand_name": pl.String,
        "product_type": pl.String,  # e.g. "CLASSIC", "GOLD", "PLATINUM" (credit-cards spec enum)
        "network": pl.String,  # "VISA", "MASTERCARD", "ELO"
        "credit_limit_cents": pl.Int64,
        "opened_at": TS,
    },
    "transactions": {  # account and card movements, one row each
        "transaction_id": pl.String,
        "customer_id": pl.String,
        "account_id": pl.String,  # null for card transactions
        "credit_card_account_id": pl.String,  # null for account transactions
        "booked_at": TS,
        "amount_cents": pl.Int64,  # always > 0; direction in credit_debit_type
        "credit_debit_type": pl.String,  # CREDIT_DEBIT
        "type": pl.String,  # TRANSACTION_TYPES (CARTAO for card spending)
        "channel": pl.String,  # CHANNELS
        "description": pl.String,
        "counterparty_key": pl.String,  # PIX key, or null
        "counterparty_name": pl.String,
        "counterparty_document": pl.String,  # CPF/CNPJ, or null
        "mcc": pl.Int16,  # card merchant category code, or null
        "device_id": pl.String,
        "is_new_device": pl.Boolean,
        "is_fraud": pl.Boolean,
        "fraud_scenario": pl.String,  # FRAUD_SCENARIOS or null
    },
    "logins": {
        "customer_id": pl.String,
        "at": TS,
        "device_id": pl.String,
        "is_new_device": pl.Boolean,
    },
    "loans": {
        "contract_id": pl.String,
        "customer_id": pl.String,
        "product_subtype": pl.String,  # LOAN_SUBTYPES
        "contract_amount_cents": pl.Int64,
        "outstanding_cents": pl.Int64,
        "instalments": pl.Int16,
        "monthly_rate": pl.Float64,  # a rate, not money (e.g. 0.029 = 2.9% a.m.)
        "contracted_at": TS,
        "first_due_date": pl.Date,
        "defaulted_6m": pl.Boolean,  # label: 90+ days past due within 6 months
    },
    "loan_instalments": {
        "contract_id": pl.String,
        "number": pl.Int16,
        "due_date": pl.Date,
        "amount_cents": pl.Int64,
        "paid_at": TS,  # null if unpaid
        "paid_cents": pl.Int64,
        "days_late": pl.Int32,
    },
    "bureau_scores": {  # Serasa-like monthly score history
        "customer_id": pl.String,
        "cpf": pl.String,
        "score": pl.Int16,  # 0..1000
        "consulted_at": TS,
    },
}


def empty_frame(table: str) -> pl.DataFrame:
    """An empty DataFrame with the contract's schema for ``table``."""
    return pl.DataFrame(schema=WORLD_SCHEMA[table])


def conform(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Select and cast ``df`` to the contract (column order and dtypes); raises on missing columns."""
    schema = WORLD_SCHEMA[table]
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise ValueError(f"world table {table!r} lacks columns {missing}")
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])
