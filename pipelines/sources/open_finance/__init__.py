"""Open Finance Brasil (consents 3.3.1, accounts 2.4.2, credit-cards 2.3.1, loans 2.5.0): sandbox and client."""
