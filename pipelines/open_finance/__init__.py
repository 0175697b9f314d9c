"""Open Finance Brasil domain: consents, accounts, transactions, credit cards, loans (bronze -> silver)."""
