"""World rows -> Open Finance Brasil payload objects (field names, enums and formats per the specs).

Amounts are strings with two decimals from integer cents; dates ``YYYY-MM-DD``; transaction
timestamps ``...T..:..:...mmmZ`` and others ``...T..:..:..Z`` exactly where each spec says so.
Derived values (bill ids, card identification numbers, ipoc codes) are pure functions of the world
row, so every id is stable.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from lake.domain.money import cents_to_str
from lake.domain.open_finance import CARD_NETWORKS, CARD_PRODUCT_TYPES
from pipelines.sources.timefmt import iso_date, iso_millis, iso_seconds
from sandbox.world_index import WorldIndex

BRL = "BRL"


def amount(cents: int, currency: str = BRL) -> dict:
    return {"amount": cents_to_str(cents), "currency": currency}


def _digits(value: str | None, lo: int, hi: int) -> str:
    text = "".join(c for c in (value or "") if c in "0123456789") or "0"
    return text.zfill(lo)[-hi:]


def account_summary(a: dict) -> dict:
    return {
        "brandName": a["brand_name"][:80],
        "companyCnpj": a["company_cnpj"],
        "type": a["type"],
        "compeCode": a["compe_code"],
        "branchCode": a["branch_code"],
        "number": _digits(a["number"], 8, 20),
        "checkDigit": (a["check_digit"] or "0")[:1],
        "accountId": a["account_id"],
    }


def account_identification(a: dict) -> dict:
    return {
        "compeCode": a["compe_code"],
        "branchCode": a["branch_code"],
        "number": _digits(a["number"], 8, 20),
        "checkDigit": (a["check_digit"] or "0")[:1],
        "type": a["type"],
        "subtype": a["subtype"],
        "currency": a["currency"] or BRL,
    }


def balances(b: dict) -> dict:
    return {
        "availableAmount": amount(b["available_cents"]),
        "blockedAmount": amount(max(0, b["blocked_cents"])),
        "automaticallyInvestedAmount": amount(b["automatically_invested_cents"]),
        "updateDateTime": iso_seconds(b["updated_at"]),
    }


def overdraft_limits(a: dict, b: dict | None) -> dict:
    limit = max(0, a["overdraft_limit_cents"] or 0)
    negative = max(0, -(b["available_cents"] if b else 0))
    return {
        "overdraftContractedLimit": amount(limit),
        "overdraftUsedLimit": amount(min(limit, negative)),
        "unarrangedOverdraftAmount": amount(max(0, negative - limit)),
    }


def _party(doc: str | None) -> dict:
    if doc and doc.isascii() and doc.isdigit() and len(doc) in (11, 14):
        return {
            "partieCnpjCpf": doc,
            "partiePersonType": "PESSOA_NATURAL" if len(doc) == 11 else "PESSOA_JURIDICA",
        }
    return {}


def account_transaction(t: dict) -> dict:
    out = {
        "transactionId": t["transaction_id"],
        "completedAuthorisedPaymentType": "TRANSACAO_EFETIVADA",
        "creditDebitType": t["credit_debit_type"],
        "transactionName": (t["description"] or t["type"])[:200],
        "type": t["type"],
        "transactionAmount": amount(t["amount_cents"]),
        "transactionDateTime": iso_millis(t["booked_at"]),
    }
    out.update(_party(t["counterparty_document"]))
    return out


# --- credit cards -----------------------------------------------------------------------------


def card_product(c: dict) -> tuple[str, str | None]:
    value = (c["product_type"] or "").upper()
    if value in CARD_PRODUCT_TYPES:
        return value, None
    if value == "CLASSIC":
        return "CLASSIC_NACIONAL", None
    return "OUTROS", (c["product_type"] or "n/a")[:50]


def card_network(c: dict) -> tuple[str, str | None]:
    value = (c["network"] or "").upper()
    return (value, None) if value in CARD_NETWORKS else ("OUTRAS", (c["network"] or "n/a")[:50])


def card_identification_number(card_id: str) -> str:
    """Stable last four digits of the card's plastic (derived from the account id)."""
    return f"{int(hashlib.sha256(card_id.encode()).hexdigest(), 16) % 10000:04d}"


def _card_names(c: dict) -> dict:
    product, product_info = card_product(c)
    network, network_info = card_network(c)
    out = {
        "name": f"{c['brand_name']} {product.replace('_', ' ').title()}"[:50],
        "productType": product,
        "creditCardNetwork": network,
    }
    if product_info:
        out["productAdditionalInfo"] = product_info
    if network_info:
        out["networkAdditionalInfo"] = network_info
    return out


def card_summary(c: dict, index: WorldIndex) -> dict:
    return {
        "creditCardAccountId": c["credit_card_account_id"],
        "brandName": c["brand_name"][:80],
        "companyCnpj": index.institution_cnpj,
        **_card_names(c),
    }


def card_identification(c: dict) -> dict:
    return {
        **_card_names(c),
        "paymentMethod": [
            {
                "identificationNumber": card_identification_number(c["credit_card_account_id"]),
                "isMultipleCreditCard": False,
            }
        ],
    }


def bill_month(booked: datetime) -> str:
    return f"{booked.year:04d}{booked.month:02d}"


def bill_id(card_id: str, month: str) -> str:
    return f"{card_id}-{month}"


def bill_due_date(month: str) -> date:
    year, mon = int(month[:4]), int(month[4:])
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return date(year, mon, 10)


def _bill_post_date(month: str) -> date:
    return bill_due_date(month) - timedelta(days=7)


def card_transaction(t: dict, card_id: str) -> dict:
    month = bill_month(t["booked_at"])
    fee = t["channel"] == "FEE"
    credit = t["credit_debit_type"] == "CREDITO"
    out = {
        "transactionId": t["transaction_id"],
        "identificationNumber": card_identification_number(card_id),
        "transactionName": (t["description"] or t["type"])[:200],
        "billId": bill_id(card_id, month),
        "creditDebitType": t["credit_debit_type"],
        "transactionType": "TARIFA" if fee else ("PAGAMENTO" if credit else "OUTROS"),
        "brazilianAmount": amount(t["amount_cents"]),
        "amount": amount(t["amount_cents"]),
        "transactionDateTime": iso_millis(t["booked_at"]),
        "billPostDate": iso_date(_bill_post_date(month)),
    }
    if fee:
        out["feeType"] = "ANUIDADE" if "anuid" in (t["description"] or "").lower() else "OUTRA"
        if out["feeType"] == "OUTRA":
            out["feeTypeAdditionalInfo"] = (t["description"] or "tarifa")[:140]
    elif not credit:
        out["paymentType"] = "A_VISTA"
    if t["mcc"] is not None:
        out["payeeMCC"] = int(t["mcc"])
    return out


def card_bills(card_id: str, txs: list[dict], today: date) -> list[dict]:
    by_month: dict[str, int] = defaultdict(int)
    for t in txs:
        sign = -1 if t["credit_debit_type"] == "CREDITO" else 1
        by_month[bill_month(t["booked_at"])] += sign * t["amount_cents"]
    bills = []
    for month in sorted(by_month):
        total = by_month[month]
        due = bill_due_date(month)
        payments = []
        if due <= today and total > 0:
            payments.append(
                {
                    "valueType": "VALOR_PAGAMENTO_FATURA_REALIZADO",
                    "paymentDate": iso_date(due),
                    "paymentMode": "DEBITO_CONTA_CORRENTE",
                    "amount": cents_to_str(total),
                    "currency": BRL,
                }
            )
        bills.append(
            {
                "billId": bill_id(card_id, month),
                "dueDate": iso_date(due),
                "billTotalAmount": amount(total),
                "billMinimumAmount": amount(max(0, total) * 15 // 100),
                "isInstalment": False,
                "payments": payments,
            }
        )
    return bills


def card_limits(c: dict, txs: list[dict], today: date) -> list[dict]:
    month = f"{today.year:04d}{today.month:02d}"
    used = sum(
        (t["amount_cents"] if t["credit_debit_type"] == "DEBITO" else -t["amount_cents"])
        for t in txs
        if bill_month(t["booked_at"]) == month
    )
    limit = c["credit_limit_cents"]
    return [
        {
            "creditLineLimitType": "LIMITE_CREDITO_TOTAL",
            "consolidationType": "CONSOLIDADO",
            "identificationNumber": card_identification_number(c["credit_card_account_id"]),
            "isLimitFlexible": False,
            "limitAmount": amount(limit),
            "usedAmount": amount(used),
            "availableAmount": amount(limit - used),
        }
    ]


# --- loans ---------------------------------------------------------------------------------------

_PRODUCT_NAMES = {
    "HOME_EQUITY": "Home equity",
    "CHEQUE_ESPECIAL": "Cheque especial",
    "CONTA_GARANTIDA": "Conta garantida",
    "CREDITO_PESSOAL_SEM_CONSIGNACAO": "Credito pessoal",
    "CREDITO_PESSOAL_COM_CONSIGNACAO": "Credito consignado",
    "MICROCREDITO_PRODUTIVO_ORIENTADO": "Microcredito",
    "CAPITAL_GIRO_TETO_ROTATIVO": "Capital de giro rotativo",
}


def _rate6(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def ipoc_code(loan: dict, cnpj: str) -> str:
    code = f"{cnpj[:8]}{cnpj}{''.join(c for c in loan['contract_id'] if c.isalnum())}"
    return code.ljust(22, "0")[:67]


def _category(subtype: str) -> str:
    return "CREDITO_PESSOAL_CLEAN" if subtype == "CREDITO_PESSOAL_SEM_CONSIGNACAO" else "OUTRO"


def loan_summary(loan: dict, index: WorldIndex) -> dict:
    return {
        "contractId": loan["contract_id"],
        "brandName": index.institution_brand[:80],
        "companyCnpj": index.institution_cnpj,
        "productType": "EMPRESTIMOS",
        "productSubType": loan["product_subtype"],
        "productSubTypeCategory": _category(loan["product_subtype"]),
        "ipocCode": ipoc_code(loan, index.institution_cnpj),
    }


def loan_contract(loan: dict, instalments: list[dict], index: WorldIndex) -> dict:
    monthly = Decimal(str(loan["monthly_rate"]))
    annual = (1 + monthly) ** 12 - 1
    out = {
        "contractNumber": loan["contract_id"],
        "ipocCode": ipoc_code(loan, index.institution_cnpj),
        "productName": _PRODUCT_NAMES.get(
            loan["product_subtype"], loan["product_subtype"].replace("_", " ").title()
        ),
        "productType": "EMPRESTIMOS",
        "productSubType": loan["product_subtype"],
        "productSubTypeCategory": _category(loan["product_subtype"]),
        "contractDate": iso_date(loan["contracted_at"]),
        "disbursementDates": [iso_date(loan["contracted_at"])],
        "contractAmount": cents_to_str(loan["contract_amount_cents"]),
        "currency": BRL,
        "instalmentPeriodicity": "MENSAL",
        "CET": _rate6(annual),
        "hasInsuranceContracted": False,
        "amortizationScheduled": "PRICE",
        "interestRates": [
            {
                "taxType": "EFETIVA",
                "interestRateType": "COMPOSTO",
                "taxPeriodicity": "AM",
                "calculation": "30/360",
                "referentialRateIndexerType": "PRE_FIXADO",
                "referentialRateIndexerSubType": "PRE_FIXADO",
                "preFixedRate": _rate6(monthly),
            }
        ],
        "contractedFees": [],
        "contractedFinanceCharges": [
            {"chargeType": "JUROS_MORA_ATRASO", "chargeRate": "0.010000"},
            {"chargeType": "MULTA_ATRASO_PAGAMENTO", "chargeRate": "0.020000"},
        ],
    }
    if instalments:
        out["dueDate"] = iso_date(max(i["due_date"] for i in instalments))
        if loan["outstanding_cents"] == 0 and all(i["paid_at"] is not None for i in instalments):
            out["settlementDate"] = iso_date(max(i["paid_at"] for i in instalments))
    return out


def loan_instalments(loan: dict, instalments: list[dict], today: date) -> dict:
    paid = sum(1 for i in instalments if i["paid_at"] is not None)
    unpaid = [i for i in instalments if i["paid_at"] is None]
    past_due = sum(1 for i in unpaid if i["due_date"] < today)
    return {
        "typeNumberOfInstalments": "MES",
        "totalNumberOfInstalments": int(loan["instalments"]),
        "typeContractRemaining": "MES",
        "contractRemainingNumber": len(unpaid),
        "paidInstalments": paid,
        "dueInstalments": len(unpaid) - past_due,
        "pastDueInstalments": past_due,
    }


def instalment_id(contract_id: str, number: int) -> str:
    return f"{contract_id}-I{number:03d}"


def loan_payments(loan: dict, instalments: list[dict]) -> dict:
    releases = []
    for i in instalments:
        if i["paid_at"] is None:
            continue
        over = i["paid_cents"] > i["amount_cents"]
        release = {
            "paymentId": f"{loan['contract_id']}-P{i['number']:03d}",
            "isOverParcelPayment": over,
            "instalmentId": instalment_id(loan["contract_id"], i["number"]),
            "paidDate": iso_date(i["paid_at"]),
            "currency": BRL,
            "paidAmount": cents_to_str(i["paid_cents"]),
        }
        if over:
            release["overParcel"] = {
                "fees": [],
                "charges": [
                    {
                        "chargeType": "JUROS_MORA_ATRASO",
                        "chargeAmount": cents_to_str(i["paid_cents"] - i["amount_cents"]),
                    }
                ],
            }
        releases.append(release)
    unpaid = sum(i["amount_cents"] for i in instalments if i["paid_at"] is None)
    return {
        "paidInstalments": len(releases),
        "contractOutstandingBalance": cents_to_str(loan["outstanding_cents"]),
        "totalRemainingAmount": cents_to_str(unpaid),
        "releases": releases,
    }
