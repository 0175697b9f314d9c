"""Base paths and versions of the Open Finance Brasil APIs the client speaks (official specs in ../shared/specs)."""

from __future__ import annotations

CONSENTS = "/open-banking/consents/v3"
ACCOUNTS = "/open-banking/accounts/v2"
CARDS = "/open-banking/credit-cards-accounts/v2"
LOANS = "/open-banking/loans/v2"
API_VERSIONS = {CONSENTS: "3.3.1", ACCOUNTS: "2.4.2", CARDS: "2.3.1", LOANS: "2.5.0"}
