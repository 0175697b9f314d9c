"""Read-only lookups over a world (``dict[str, pl.DataFrame]`` per lake.domain.world_schema).

The sandboxes build one :class:`WorldIndex` at start-up: rows grouped by customer, account, card
and contract as lists of dicts, sorted so that every response (and every id) is deterministic.
Works with the simulator's ``load_world`` output or the test fixture's generated world.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import polars as pl

from lake.domain.world_schema import WORLD_SCHEMA, conform, empty_frame


def _rows(df: pl.DataFrame, *sort: str) -> list[dict]:
    return (df.sort(list(sort), maintain_order=True) if sort else df).to_dicts()


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r[key] is not None:
            out[r[key]].append(r)
    return dict(out)


class WorldIndex:
    """Indexed view of a world for the sandboxes."""

    def __init__(self, world: dict[str, pl.DataFrame]) -> None:
        tables = {t: conform(t, world[t]) if t in world else empty_frame(t) for t in WORLD_SCHEMA}
        self.customers = {r["customer_id"]: r for r in _rows(tables["customers"], "customer_id")}
        self.customer_by_cpf = {r["cpf"]: r for r in self.customers.values()}
        self.accounts = {r["account_id"]: r for r in _rows(tables["accounts"], "account_id")}
        self.accounts_by_customer = _group(list(self.accounts.values()), "customer_id")
        self.balances = {r["account_id"]: r for r in tables["balances"].to_dicts()}
        self.cards = {
            r["credit_card_account_id"]: r for r in _rows(tables["cards"], "credit_card_account_id")
        }
        self.cards_by_customer = _group(list(self.cards.values()), "customer_id")
        tx = _rows(tables["transactions"], "booked_at", "transaction_id")
        self.tx_by_account = _group(tx, "account_id")
        self.tx_by_card = _group(tx, "credit_card_account_id")
        self.pix_credits = [
            t
            for t in tx
            if t["account_id"] is not None and t["type"] == "PIX" and t["credit_debit_type"] == "CREDITO"
        ]
        self.loans = {r["contract_id"]: r for r in _rows(tables["loans"], "contract_id")}
        self.loans_by_customer = _group(list(self.loans.values()), "customer_id")
        self.instalments = _group(_rows(tables["loan_instalments"], "contract_id", "number"), "contract_id")
        self.scores_by_cpf = _group(_rows(tables["bureau_scores"], "consulted_at"), "cpf")
        self.pix_keys = {r["key"]: r for r in _rows(tables["pix_keys"], "key")}
        self.keys_by_account = _group(list(self.pix_keys.values()), "account_id")
        cnpjs = tables["accounts"]["company_cnpj"].drop_nulls()
        self.institution_cnpj = cnpjs.mode().sort()[0] if len(cnpjs) else "00000000000191"
        brands = tables["accounts"]["brand_name"].drop_nulls()
        self.institution_brand = brands.mode().sort()[0] if len(brands) else "Cofre Sandbox"
        self.today = self._today(tables)

    @staticmethod
    def _today(tables: dict[str, pl.DataFrame]) -> date:
        """The world's "today": end of the simulated period (latest balance update or booking)."""
        candidates = [tables["balances"]["updated_at"].max(), tables["transactions"]["booked_at"].max()]
        found = [c for c in candidates if isinstance(c, datetime)]
        if not found:
            return datetime.now(UTC).date()
        return max(found).astimezone(UTC).date()

    def receiving_key(self, account_id: str) -> str | None:
        """The account's first PIX key (deterministic), the key Pix received on that account went to."""
        keys = self.keys_by_account.get(account_id) or []
        return keys[0]["key"] if keys else None
