"""The lake's table catalog: every Delta table declared once (layer, columns, keys, partitions, PII).

A :class:`Table` is the single source of truth for a table's schema: :mod:`lake.delta` enforces it on
write, :mod:`lake.auditor` exposes it in DuckDB, the pipelines build against it and erasure/audit code
finds personal data through :attr:`Column.pii`.

Layers:

* ``bronze``: API payloads as received (one row per record of a response, the record's JSON in
  ``payload``) plus ingestion metadata and the extracted natural key. Bronze may hold CPF and names
  in clear inside ``payload``: it is access-restricted (hidden from the auditor by default).
* ``silver``: typed, deduplicated, conformed. No identifier in clear: CPF/CNPJ/PIX keys/e-mails/
  names are keyed hashes (:mod:`lake.pseudonym`); ``customer_pk`` = HMAC of the CPF digits.
* ``gold``: features and aggregates (customer-day, transaction windows, credit).
* ``quarantine``: rows rejected by a quality suite, with the failing checks and the reason. A
  rejected row may come from bronze (clear CPF), so quarantine is access-restricted like bronze.
* ``audit``: audit events exported from the hash-chained audit store.

PII levels: ``clear`` (directly identifying, in clear: only allowed in bronze), ``pseudonymised``
(keyed hash of an identifier: still personal data under LGPD, erasable through the key/customer_pk),
``personal`` (personal data that does not identify alone: income, birth year, device id).
Money columns are integer cents (``*_cents`` Int64) and, where typed for humans, Decimal(18, 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl
import pyarrow as pa

from lake.layers import LAYERS, RESTRICTED_LAYERS

PII = Literal["clear", "pseudonymised", "personal"]

# a polars dtype as written in declarations: an instance (pl.Datetime("us", "UTC")) or a class (pl.String)
DType = pl.DataType | type[pl.DataType]

TS = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(18, 2)


@dataclass(frozen=True)
class Column:
    """One column: name, polars dtype, nullability, PII level (None: not personal data), description."""

    name: str
    dtype: DType
    nullable: bool = True
    pii: PII | None = None
    description: str = ""


@dataclass(frozen=True)
class Table:
    """A Delta table of the lake; ``name`` is ``"<layer>.<short name>"``."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    description: str
    partition_by: tuple[str, ...] = ()
    natural_key: tuple[str, ...] = ()  # business key when the primary key is technical (bronze)
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {c.name: c for c in self.columns}
        if len(by_name) != len(self.columns):
            raise ValueError(f"{self.name}: duplicate column names")
        if self.layer not in LAYERS:
            raise ValueError(f"{self.name}: unknown layer {self.layer!r}")
        for key in (*self.primary_key, *self.partition_by, *self.natural_key):
            if key not in by_name:
                raise ValueError(f"{self.name}: key/partition column {key!r} is not a column")
        for key in self.primary_key:
            if by_name[key].nullable:
                raise ValueError(f"{self.name}: primary key column {key!r} must be non-nullable")
        if self.layer not in RESTRICTED_LAYERS:
            clear = [c.name for c in self.columns if c.pii == "clear"]
            if clear:
                raise ValueError(
                    f"{self.name}: clear PII columns {clear} are only allowed in {RESTRICTED_LAYERS}"
                )
        object.__setattr__(self, "_by_name", by_name)

    @property
    def layer(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def arrow_schema(self) -> pa.Schema:
        fields = []
        empty = pl.DataFrame(schema=self.schema).to_arrow()
        for c in self.columns:
            f = empty.schema.field(c.name)
            # Delta has no large/view string types: use plain string/binary.
            t = f.type
            if pa.types.is_large_string(t) or pa.types.is_string_view(t):
                t = pa.string()
            elif pa.types.is_large_list(t):
                t = pa.list_(pa.string() if pa.types.is_large_string(t.value_type) else t.value_type)
            fields.append(pa.field(c.name, t, nullable=c.nullable))
        return pa.schema(fields)

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @property
    def pii_columns(self) -> dict[str, PII]:
        return {c.name: c.pii for c in self.columns if c.pii is not None}

    @property
    def key(self) -> tuple[str, ...]:
        """The business key: natural key if declared, else the primary key."""
        return self.natural_key or self.primary_key


def C(name: str, dtype: DType, nullable: bool = True, pii: PII | None = None, doc: str = "") -> Column:
    return Column(name, dtype, nullable, pii, doc)


def _req(name: str, dtype: DType, pii: PII | None = None, doc: str = "") -> Column:
    return Column(name, dtype, False, pii, doc)


# --- bronze ------------------------------------------------------------------------------------

_BRONZE_META = (
    _req(
        "record_id",
        pl.String,
        doc="sha256 hex of source|natural key|payload: identical re-pulls merge to nothing",
    ),
    _req("source", pl.String, doc="open_finance | serasa | pix"),
    C("consent_id", pl.String, doc="Open Finance consentId used for the pull (null for Serasa/PIX)"),
    _req("request_id", pl.String, doc="x-fapi-interaction-id / request id of the HTTP call"),
    _req("pulled_at", TS, doc="when the response was received (UTC)"),
    _req("ingest_date", pl.Date, doc="partition: UTC date of pulled_at"),
    _req("payload", pl.String, pii="clear", doc="the record's JSON exactly as received"),
)


def _bronze(short: str, natural: tuple[Column, ...], description: str) -> Table:
    return Table(
        name=f"bronze.{short}",
        columns=(*_BRONZE_META, *natural),
        primary_key=("record_id",),
        natural_key=tuple(c.name for c in natural),
        partition_by=("ingest_date",),
        description=description,
    )


BRONZE = [
    _bronze(
        "open_finance_accounts",
        (_req("account_id", pl.String),),
        "Open Finance accounts 2.4.2 GET /accounts records (+ balances/overdraft limits in payload)",
    ),
    _bronze(
        "open_finance_transactions",
        (_req("account_id", pl.String), _req("transaction_id", pl.String)),
        "Open Finance accounts 2.4.2 GET /accounts/{accountId}/transactions records",
    ),
    _bronze(
        "open_finance_credit_card_transactions",
        (_req("credit_card_account_id", pl.String), _req("transaction_id", pl.String)),
        "Open Finance credit-cards 2.3.1 GET /accounts/{creditCardAccountId}/transactions records",
    ),
    _bronze(
        "open_finance_loans",
        (_req("contract_id", pl.String),),
        "Open Finance loans 2.5.0 GET /contracts/{contractId} records",
    ),
    _bronze(
        "open_finance_loan_instalments",
        (_req("contract_id", pl.String), _req("instalment_number", pl.Int16)),
        "Open Finance loans 2.5.0 scheduled-instalments/payments, one row per instalment",
    ),
    _bronze(
        "serasa_scores",
        (_req("cpf", pl.String, pii="clear"), _req("consulted_at", TS)),
        "Serasa-like bureau score consultations (CPF in clear: bronze only)",
    ),
    _bronze(
        "pix_received",
        (_req("end_to_end_id", pl.String),),
        "BACEN API Pix GET /pix records (Pix received, with their devolucoes), keyed by endToEndId",
    ),
    _bronze(
        "pix_cobv",
        (_req("txid", pl.String),),
        "BACEN API Pix GET /cobv records (charges with a due date, with the Pix that paid them), keyed by txid",
    ),
    # --- added by pipelines (issue 4B): consents and the bank's own systems -------------------
    _bronze(
        "open_finance_consents",
        (_req("cpf", pl.String, pii="clear"),),
        "Open Finance consents 3.3.1 POST /consents responses; cpf = the loggedUser the receiver asked for",
    ),
    _bronze(
        "bank_customers",
        (_req("customer_id", pl.String),),
        "The bank's customer registry (onboarding/KYC): not served by Open Finance; read from the world",
    ),
    _bronze(
        "bank_transaction_context",
        (_req("transaction_id", pl.String),),
        "The bank's app/ledger context per transaction (channel, device, PIX key of the counterparty, MCC)",
    ),
    _bronze(
        "bank_logins",
        (_req("customer_id", pl.String), _req("at", TS)),
        "The bank's app logins (device telemetry)",
    ),
    _bronze(
        "labels_fraud",
        (_req("transaction_id", pl.String),),
        "Fraud labels (chargebacks/fraud reports): one row per confirmed fraudulent transaction",
    ),
    _bronze(
        "labels_credit",
        (_req("contract_id", pl.String),),
        "Credit labels (collections): defaulted_6m per loan contract",
    ),
]

# --- silver ------------------------------------------------------------------------------------

_INGEST = (
    _req("source_record_id", pl.String, doc="bronze record_id this row came from (lineage)"),
    _req("ingested_at", TS, doc="when silver was written"),
)

SILVER = [
    Table(
        name="silver.customers",
        columns=(
            _req("customer_pk", pl.String, pii="pseudonymised", doc="HMAC-SHA256 hex of the CPF digits"),
            _req("customer_id", pl.String, doc="internal customer id of the bank (CUS...)"),
            C("email_pk", pl.String, pii="pseudonymised", doc="HMAC of lower-cased e-mail"),
            C("phone_pk", pl.String, pii="pseudonymised", doc="HMAC of +digits phone"),
            C("birth_year", pl.Int16, pii="personal", doc="year only (data minimisation)"),
            C("state", pl.String, doc="UF"),
            C("monthly_income_cents", pl.Int64, pii="personal"),
            C("monthly_income", MONEY, pii="personal"),
            C("salary_day", pl.Int8),
            _req("created_at", TS),
            *_INGEST,
        ),
        primary_key=("customer_pk",),
        description="One row per customer; no CPF or name in clear.",
    ),
    Table(
        name="silver.accounts",
        columns=(
            _req("account_id", pl.String),
            _req("customer_pk", pl.String, pii="pseudonymised"),
            C("brand_name", pl.String),
            C("company_cnpj", pl.String, doc="the institution's CNPJ (a company: not personal data)"),
            _req("type", pl.String, doc="ACCOUNT_TYPES"),
            C("subtype", pl.String, doc="ACCOUNT_SUBTYPES"),
            C("compe_code", pl.String),
            C("branch_code", pl.String),
            C("number_pk", pl.String, pii="pseudonymised", doc="HMAC of branch+number+check digit"),
            _req("currency", pl.String),
            C("overdraft_limit_cents", pl.Int64),
            C("overdraft_limit", MONEY),
            C("opened_at", TS),
            *_INGEST,
        ),
        primary_key=("account_id",),
        description="Open Finance accounts, typed.",
    ),
    Table(
        name="silver.transactions",
        columns=(
            _req("transaction_id", pl.String),
            _req("source", pl.String, doc="ACCOUNT | CREDIT_CARD (card transactions are merged here)"),
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req(
                "customer_key",
                pl.Int64,
                pii="pseudonymised",
                doc="first 60 bits of customer_pk as an integer (lake.pseudonym.pseudonym_int): the compact "
                "GROUP BY key for auditors",
            ),
            C("account_id", pl.String, doc="null for card transactions"),
            C("credit_card_account_id", pl.String, doc="null for account transactions"),
            _req("booked_at", TS),
            _req("booked_month", pl.String, doc="partition: YYYY-MM of booked_at (UTC)"),
            _req("amount", MONEY, doc="> 0; direction in credit_debit_type"),
            _req("amount_cents", pl.Int64, doc="> 0, same value as amount"),
            _req("signed_amount_cents", pl.Int64, doc="credit positive, debit negative"),
            _req("credit_debit_type", pl.String, doc="CREDITO | DEBITO"),
            _req("type", pl.String, doc="TRANSACTION_TYPES"),
            C("channel", pl.String, doc="CHANNELS"),
            C("counterparty_pk", pl.String, pii="pseudonymised", doc="HMAC of the normalised PIX key"),
            C("counterparty_document_pk", pl.String, pii="pseudonymised", doc="HMAC of CPF/CNPJ digits"),
            C("counterparty_name_pk", pl.String, pii="pseudonymised", doc="HMAC of the normalised name"),
            C("mcc", pl.Int16),
            C("device_id", pl.String, pii="personal"),
            C("is_new_device", pl.Boolean),
            C("is_fraud", pl.Boolean, doc="label kept for training"),
            C("fraud_scenario", pl.String, doc="FRAUD_SCENARIOS or null (label)"),
            *_INGEST,
        ),
        primary_key=("transaction_id",),
        partition_by=("booked_month",),
        description="Account and credit-card transactions, typed and pseudonymised (card rows: source=CREDIT_CARD).",
    ),
    Table(
        name="silver.loans",
        columns=(
            _req("contract_id", pl.String),
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req("product_subtype", pl.String, doc="LOAN_SUBTYPES"),
            _req("contract_amount_cents", pl.Int64),
            _req("contract_amount", MONEY),
            C("outstanding_cents", pl.Int64),
            C("instalments", pl.Int16),
            C("monthly_rate", pl.Float64, doc="a rate, not money"),
            _req("contracted_at", TS),
            C("first_due_date", pl.Date),
            C("defaulted_6m", pl.Boolean, doc="label: 90+ days past due within 6 months"),
            *_INGEST,
        ),
        primary_key=("contract_id",),
        description="Loan contracts.",
    ),
    Table(
        name="silver.loan_instalments",
        columns=(
            _req("contract_id", pl.String),
            _req("number", pl.Int16),
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req("due_date", pl.Date),
            _req("amount_cents", pl.Int64),
            C("paid_at", TS),
            C("paid_cents", pl.Int64),
            C("days_late", pl.Int32),
            *_INGEST,
        ),
        primary_key=("contract_id", "number"),
        description="Loan instalment schedule and payments.",
    ),
    Table(
        name="silver.bureau_scores",
        columns=(
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req("consulted_at", TS),
            _req("score", pl.Int16, pii="personal", doc="0..1000"),
            *_INGEST,
        ),
        primary_key=("customer_pk", "consulted_at"),
        description="Serasa-like score history, CPF replaced by customer_pk.",
    ),
    Table(
        name="silver.pix_keys",
        columns=(
            _req("key_pk", pl.String, pii="pseudonymised", doc="HMAC of the normalised PIX key"),
            _req("key_type", pl.String, doc="PIX_KEY_TYPES"),
            C("customer_pk", pl.String, pii="pseudonymised", doc="null for people outside the bank"),
            C("account_id", pl.String),
            C("owner_document_pk", pl.String, pii="pseudonymised"),
            C("owner_name_pk", pl.String, pii="pseudonymised"),
            C("created_at", TS),
            _req("first_seen_at", TS, doc="first time the platform saw the key"),
            *_INGEST,
        ),
        primary_key=("key_pk",),
        description="PIX keys seen (own customers' and counterparties'), pseudonymised.",
    ),
    Table(
        name="silver.pix_received",
        columns=(
            _req("end_to_end_id", pl.String),
            C("txid", pl.String),
            C("customer_pk", pl.String, pii="pseudonymised", doc="receiver"),
            _req("amount", MONEY),
            _req("amount_cents", pl.Int64),
            C("payer_document_pk", pl.String, pii="pseudonymised"),
            C("payer_name_pk", pl.String, pii="pseudonymised"),
            _req("received_at", TS),
            *_INGEST,
        ),
        primary_key=("end_to_end_id",),
        description="Pix received (BACEN API Pix), payer pseudonymised.",
    ),
    Table(
        name="silver.pix_refunds",
        columns=(
            _req("rtr_id", pl.String, doc="return id of the pacs.004 (D + ISPB + yyyyMMddHHmm + 11)"),
            _req("refund_id", pl.String, doc="devolucao id (the receiver's, or the MED's)"),
            _req("end_to_end_id", pl.String, doc="the refunded Pix"),
            C("customer_pk", pl.String, pii="pseudonymised", doc="the receiving customer who gives back"),
            _req("amount", MONEY),
            _req("amount_cents", pl.Int64),
            _req(
                "nature",
                pl.String,
                doc="ORIGINAL | RETIRADA | MED_OPERACIONAL | MED_FRAUDE | MED_PIX_AUTOMATICO",
            ),
            _req("status", pl.String, doc="EM_PROCESSAMENTO | DEVOLVIDO | NAO_REALIZADO"),
            _req("requested_at", TS),
            C("settled_at", TS, doc="horario.liquidacao, once returned"),
            C("reason", pl.String, doc="motivo given by the PSP"),
            *_INGEST,
        ),
        primary_key=("rtr_id",),
        description="Refunds (devoluções) of Pix received, from the latest pull of each Pix, incl. MED returns.",
    ),
    Table(
        name="silver.pix_cobv_payments",
        columns=(
            _req("txid", pl.String),
            _req("end_to_end_id", pl.String, doc="the Pix that paid the charge"),
            C("customer_pk", pl.String, pii="pseudonymised", doc="the receiving customer (key owner)"),
            _req("due_date", pl.Date),
            _req("paid_at", TS),
            _req("days_late", pl.Int32, doc="calendar days after the due date (0 when on time)"),
            _req("original_cents", pl.Int64),
            _req("fine_cents", pl.Int64, doc="multa"),
            _req("interest_cents", pl.Int64, doc="juros"),
            _req("rebate_cents", pl.Int64, doc="abatimento"),
            _req("discount_cents", pl.Int64, doc="desconto"),
            _req("amount_cents", pl.Int64, doc="= original + fine + interest - rebate - discount"),
            _req("amount", MONEY),
            *_INGEST,
        ),
        primary_key=("txid",),
        description="Payments of charges with a due date (cobv) and the components of the amount paid.",
    ),
    Table(
        name="silver.logins",
        columns=(
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req("at", TS),
            C("device_id", pl.String, pii="personal"),
            C("is_new_device", pl.Boolean),
            *_INGEST,
        ),
        primary_key=("customer_pk", "at"),
        description="App logins per customer (device telemetry), pseudonymised.",
    ),
]

# --- gold --------------------------------------------------------------------------------------

_WINDOWS = ("1h", "24h", "7d", "30d")

GOLD = [
    Table(
        name="gold.customer_day",
        columns=(
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req("day", pl.Date),
            _req("month", pl.String, doc="partition: YYYY-MM"),
            _req("tx_count", pl.Int32),
            _req("credit_count", pl.Int32),
            _req("debit_count", pl.Int32),
            _req("credit_cents", pl.Int64),
            _req("debit_cents", pl.Int64),
            _req("net_cents", pl.Int64),
            _req("pix_out_count", pl.Int32),
            _req("pix_out_cents", pl.Int64),
            _req("card_count", pl.Int32),
            _req("card_cents", pl.Int64),
            _req("salary_cents", pl.Int64, doc="FOLHA_PAGAMENTO/PORTABILIDADE_SALARIO credits"),
            _req("distinct_counterparties", pl.Int32),
            _req("new_device_tx_count", pl.Int32),
            _req("fraud_tx_count", pl.Int32, doc="label aggregate"),
            _req("computed_at", TS),
        ),
        primary_key=("customer_pk", "day"),
        partition_by=("month",),
        description="Customer-day aggregates of silver.transactions.",
    ),
    Table(
        name="gold.transaction_features",
        columns=(
            _req("transaction_id", pl.String),
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req("booked_at", TS, doc="event timestamp (Feast)"),
            _req("booked_month", pl.String, doc="partition"),
            C(
                "counterparty_pk",
                pl.String,
                pii="pseudonymised",
                doc="HMAC of the PIX key paid/received (request input of the fraud on-demand features)",
            ),
            _req("amount_cents", pl.Int64),
            _req("credit_debit_type", pl.String),
            _req("type", pl.String),
            C("channel", pl.String),
            _req("hour_of_day", pl.Int8, doc="0..23, America/Sao_Paulo local hour"),
            _req("day_of_week", pl.Int8, doc="1=Monday..7"),
            *[
                _req(f"tx_count_{w}", pl.Int32, doc=f"customer transactions in the {w} before (excluded)")
                for w in _WINDOWS
            ],
            *[
                _req(f"tx_sum_cents_{w}", pl.Int64, doc=f"sum of amount_cents in the {w} before")
                for w in _WINDOWS
            ],
            _req("distinct_counterparties_24h", pl.Int32),
            _req("distinct_counterparties_7d", pl.Int32),
            _req("distinct_counterparties_30d", pl.Int32),
            _req("is_first_time_counterparty", pl.Boolean, doc="key never paid by this customer before"),
            C("mean_amount_cents_30d", pl.Float64, doc="null without history"),
            C("max_amount_cents_30d", pl.Int64),
            C("amount_to_mean_30d", pl.Float64, doc="ratio, not money"),
            C("amount_to_max_30d", pl.Float64, doc="ratio, not money"),
            _req("is_new_device", pl.Boolean),
            C(
                "minutes_since_last_login",
                pl.Float64,
                doc="since the latest login strictly before; null if none",
            ),
            C(
                "minutes_since_device_change",
                pl.Float64,
                doc="since the latest new-device login/transaction strictly before; null if none",
            ),
            C("is_fraud", pl.Boolean, doc="label"),
            C("fraud_scenario", pl.String, doc="label"),
            _req("computed_at", TS),
        ),
        primary_key=("transaction_id",),
        partition_by=("booked_month",),
        description="Point-in-time transaction features for fraud (windows exclude the current row).",
    ),
    Table(
        name="gold.credit_features",
        columns=(
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req("as_of_date", pl.Date, doc="features use data strictly before this date"),
            C("declared_income_cents", pl.Int64, pii="personal"),
            C("avg_monthly_credit_cents_6m", pl.Int64, pii="personal"),
            C("salary_months_6m", pl.Int8, doc="months with a salary credit among the last 6"),
            C("income_regularity", pl.Float64, doc="1 - coefficient of variation of monthly credits (6m)"),
            C("overdraft_days_90d", pl.Int32),
            C("score_latest", pl.Int16, pii="personal"),
            C("score_mean_12m", pl.Float64),
            C("score_min_12m", pl.Int16),
            C("score_trend_12m", pl.Float64, doc="slope of score per month"),
            C("open_loans", pl.Int16),
            C("outstanding_cents", pl.Int64),
            C("instalments_in_arrears", pl.Int32),
            C("max_days_late_12m", pl.Int32),
            C("label_defaulted_6m", pl.Boolean, doc="label (null when unknown yet)"),
            _req("computed_at", TS),
        ),
        primary_key=("customer_pk", "as_of_date"),
        description="Credit suitability features and label per customer and date.",
    ),
    Table(
        name="gold.pix_ledger",
        columns=(
            _req("entry_id", pl.String, doc="endToEndId of a Pix received, rtrId of a refund"),
            _req("customer_pk", pl.String, pii="pseudonymised", doc="the receiving customer"),
            _req("end_to_end_id", pl.String),
            _req("kind", pl.String, doc="PIX_RECEBIDO | COBV_RECEBIDO | DEVOLUCAO | DEVOLUCAO_MED"),
            _req("amount_cents", pl.Int64, doc="signed: + received, - given back"),
            _req("booked_at", TS, doc="horario of the Pix; liquidacao of the refund"),
            _req("booked_month", pl.String, doc="partition: YYYY-MM"),
            _req(
                "balance_cents",
                pl.Int64,
                doc="running sum of the customer's entries by booked_at (credits first at the same instant)",
            ),
            _req("computed_at", TS),
        ),
        primary_key=("entry_id",),
        partition_by=("booked_month",),
        description="The receiving customers' Pix ledger: each Pix received is a credit, each settled refund "
        "(devolução, MED return) a debit.",
    ),
    Table(
        name="gold.counterparty_pairs",
        columns=(
            _req("customer_pk", pl.String, pii="pseudonymised"),
            _req("counterparty_pk", pl.String, pii="pseudonymised", doc="HMAC of the PIX key / merchant"),
            _req(
                "first_seen_at", TS, doc="booked_at of the customer's first transaction with the counterparty"
            ),
            _req("computed_at", TS),
        ),
        primary_key=("customer_pk", "counterparty_pk"),
        description="Known (customer, counterparty) pairs: min(booked_at) of silver.transactions per pair "
        "(Feast: first-time-counterparty lookups).",
    ),
]

# --- quarantine and audit ----------------------------------------------------------------------

OTHER = [
    Table(
        name="quarantine.rows",
        columns=(
            _req("run_id", pl.String, doc="pipeline run that rejected the row"),
            _req("source_table", pl.String, doc="catalog table the row was meant for"),
            _req("row_index", pl.Int64, doc="position of the row in the rejected batch"),
            C("record_key", pl.String, doc="JSON object of the row's key columns"),
            _req("checks", pl.List(pl.String), doc="names of every failing check"),
            _req("reason", pl.String, doc="human-readable reasons, one per failing check"),
            _req("payload", pl.String, pii="clear", doc="the rejected row as JSON (may be bronze-like)"),
            _req("quarantined_at", TS),
            _req("quarantine_date", pl.Date, doc="partition"),
        ),
        primary_key=("run_id", "source_table", "row_index"),
        partition_by=("quarantine_date",),
        description="Rows rejected by a quality suite; nothing is dropped silently.",
    ),
    Table(
        name="audit.events",
        columns=(
            _req("event_id", pl.String),
            _req("seq", pl.Int64, doc="position in the hash chain"),
            _req("occurred_at", TS),
            _req("event_date", pl.Date, doc="partition"),
            C("actor_pk", pl.String, pii="pseudonymised"),
            _req("action", pl.String),
            C("resource_type", pl.String),
            C("resource_id", pl.String),
            C("outcome", pl.String),
            C(
                "payload",
                pl.String,
                doc="exactly the bytes hashed into payload_hash: hash version 2, the clear fields and "
                "the salted commitments of the personal ones (kept once redacted); version 1, all "
                "fields (pseudonymised; null once redacted)",
            ),
            _req("payload_hash", pl.String, doc="SHA-256 hex of payload: the chain is over this hash"),
            C("prev_hash", pl.String),
            _req("event_hash", pl.String, doc="SHA-256(prev_hash || payload_hash) hex; = event_id"),
            _req(
                "redacted",
                pl.Boolean,
                doc="personal fields removed (LGPD erasure); hashes kept, proven by audit.redactions",
            ),
            C("anchor_tx", pl.String, doc="Stellar transaction anchoring the day's Merkle root, if any"),
            C(
                "openings",
                pl.String,
                pii="pseudonymised",
                doc="hash version 2: JSON {field: {value, salt}} of the personal fields still present "
                "(actor, resource, details), each matching its commitment in payload; null once redacted",
            ),
        ),
        primary_key=("event_id",),
        partition_by=("event_date",),
        description="Audit events exported from the hash-chained audit store (event_id = event hash hex).",
    ),
    Table(
        name="audit.anchors",
        columns=(
            _req("day", pl.Date, doc="UTC day whose events are the leaves"),
            _req("root", pl.String, doc="RFC 6962 Merkle root hex over the day's event hashes in seq order"),
            _req("leaf_count", pl.Int64),
            _req("first_seq", pl.Int64),
            _req("last_seq", pl.Int64),
            _req("source_account", pl.String, doc="Stellar account (G...) that signed the anchor"),
            _req("envelope_xdr", pl.String, doc="signed TransactionEnvelope, base64 XDR"),
            _req("tx_hash", pl.String, doc="Stellar transaction hash hex"),
            _req("submitted", pl.Boolean, doc="accepted by the configured Horizon"),
            C("horizon_response", pl.String, doc="Horizon's JSON answer, if submitted"),
            _req("anchored_at", TS),
        ),
        primary_key=("day", "root"),
        description="Daily Merkle roots of the audit chain, anchored on Stellar (manage_data cofre-audit-<day>).",
    ),
    Table(
        name="audit.redactions",
        columns=(
            _req("event_id", pl.String, doc="the redacted event (its chain hash hex)"),
            _req("seq", pl.Int64),
            _req("sig", pl.String, doc="ed25519 signature hex of the record"),
            _req("signer", pl.String, doc="Stellar account (G...) that signed: the audit/anchoring key"),
            C("reason", pl.String, doc="why (lgpd-erasure, legacy-v1-redaction-attested, ...)"),
            _req(
                "record",
                pl.String,
                doc="the signed redaction record as JSON (fields removed, clear fields kept, hash "
                "version; lake/audit/redaction.py)",
            ),
            _req("recorded_at", TS),
        ),
        primary_key=("event_id", "sig"),
        description="Signed records proving each redaction of audit.events (no personal data).",
    ),
]

TABLES: dict[str, Table] = {t.name: t for t in (*BRONZE, *SILVER, *GOLD, *OTHER)}


class UnknownTableError(KeyError):
    """A table name that the catalog does not declare."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


def get_table(name: str | Table) -> Table:
    """The catalog entry for ``"layer.name"`` (a Table is returned as is)."""
    if isinstance(name, Table):
        return name
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTableError(
            f"unknown table {name!r}; the catalog declares: {', '.join(sorted(TABLES))}"
        ) from None


def tables(layer: str | None = None) -> list[Table]:
    """Catalog tables, optionally of one layer, in declaration order."""
    return [t for t in TABLES.values() if layer is None or t.layer == layer]
