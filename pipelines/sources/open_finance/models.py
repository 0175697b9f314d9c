"""Typed results of the Open Finance client (pydantic, spec field names, amounts as Decimal).

Only the fields the platform reads are declared; the rest of each spec object is kept as extra
attributes (``model_extra``) so nothing the transmitter sent is lost.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from lake.domain.money import decimal_to_cents


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class AmountDetails(_Model):
    amount: Decimal
    currency: str

    @property
    def cents(self) -> int:
        return decimal_to_cents(self.amount)


class Consent(_Model):
    consentId: str
    status: str
    permissions: list[str]
    creationDateTime: datetime
    statusUpdateDateTime: datetime
    expirationDateTime: datetime | None = None
    rejection: dict | None = None


class ConsentExtension(_Model):
    """One renewal of a consent (``GET /consents/{consentId}/extensions`` item)."""

    loggedUser: dict
    requestDateTime: datetime
    expirationDateTime: datetime | None = None
    previousExpirationDateTime: datetime | None = None
    xFapiCustomerIpAddress: str | None = None
    xCustomerUserAgent: str | None = None


class AccountSummary(_Model):
    accountId: str
    brandName: str
    companyCnpj: str
    type: str
    compeCode: str
    number: str
    checkDigit: str
    branchCode: str | None = None


class AccountIdentification(_Model):
    compeCode: str
    number: str
    checkDigit: str
    type: str
    subtype: str
    currency: str
    branchCode: str | None = None


class AccountBalances(_Model):
    availableAmount: AmountDetails
    blockedAmount: AmountDetails
    automaticallyInvestedAmount: AmountDetails
    updateDateTime: datetime


class AccountTransaction(_Model):
    transactionId: str
    creditDebitType: str
    transactionName: str
    type: str
    transactionAmount: AmountDetails
    transactionDateTime: datetime
    partieCnpjCpf: str | None = None


class CardAccount(_Model):
    creditCardAccountId: str
    brandName: str
    companyCnpj: str
    name: str
    productType: str
    creditCardNetwork: str


class CardIdentification(_Model):
    name: str
    productType: str
    creditCardNetwork: str
    paymentMethod: list[dict]


class CardTransaction(_Model):
    transactionId: str
    identificationNumber: str
    transactionName: str
    creditDebitType: str
    transactionType: str
    amount: AmountDetails
    brazilianAmount: AmountDetails
    transactionDateTime: datetime
    billPostDate: date
    billId: str | None = None
    payeeMCC: int | None = None


class CardBill(_Model):
    billId: str
    dueDate: date
    billTotalAmount: AmountDetails
    billMinimumAmount: AmountDetails
    isInstalment: bool


class LoanSummary(_Model):
    contractId: str
    productType: str
    productSubType: str
    ipocCode: str


class LoanContract(_Model):
    contractNumber: str
    productSubType: str
    contractDate: date
    contractAmount: Decimal
    CET: Decimal
    instalmentPeriodicity: str


class LoanInstalments(_Model):
    typeNumberOfInstalments: str
    paidInstalments: int
    dueInstalments: int
    pastDueInstalments: int
    totalNumberOfInstalments: int | None = None
    contractRemainingNumber: int | None = None


class LoanPayments(_Model):
    contractOutstandingBalance: Decimal
    releases: list[dict]
    paidInstalments: int | None = None
