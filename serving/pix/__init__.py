"""PIX domain of the gateway: key validation, the double-entry ledger and idempotent transfers."""
