"""The Open Finance Brasil sandbox: consents, accounts, credit cards and loans over a world."""
