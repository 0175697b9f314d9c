"""The bank's contracts on a Soroban network (used by the gateway and by the audit anchoring): set-up, the BRL token and the escrow life cycle.

The bank's key (``settings.stellar_secret_seed``, the audit anchoring key) deploys and administers
everything: it issues the BRL token (a Stellar Asset Contract of ``<token_code>:<bank>``), is the
escrow's arbiter and the audit anchor's admin. :meth:`ContractsService.ensure_ready` makes a network
ready once (fund the bank, deploy the token contract, ``init`` the escrow and the anchor) and is
idempotent; customers get an account and a trustline to the token on first use.

Amounts: the API speaks integer cents, the token 7 decimals (1 cent = 100 000 stroops).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stellar_sdk import Asset, Keypair, scval
from stellar_sdk import xdr as sx

from lake.audit import anchoring
from lake.settings import Settings
from lake.soroban_rpc import ContractError, Invocation, SorobanRpc, contract_id_from_salt

STROOPS_PER_CENT = 100_000
STATUSES = ("open", "funded", "confirmed", "disputed", "released", "refunded", "resolved", "cancelled")
NOT_INITIALIZED = 2


@dataclass(frozen=True)
class EscrowView:
    id: int
    payer: str
    payee: str
    amount_cents: int
    deadline: datetime
    status: str
    paid_to_payee_cents: int
    paid_to_payer_cents: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "payer": self.payer,
            "payee": self.payee,
            "amount_cents": self.amount_cents,
            "deadline": self.deadline.isoformat(),
            "status": self.status,
            "paid_to_payee_cents": self.paid_to_payee_cents,
            "paid_to_payer_cents": self.paid_to_payer_cents,
        }


def native(value: sx.SCVal) -> Any:
    """The SCVal as Python (dict for maps and structs, int for integers, Address for addresses)."""
    return scval.to_native(value)


def escrow_view(escrow_id: int, value: sx.SCVal) -> EscrowView:
    raw = native(value)
    return EscrowView(
        id=escrow_id,
        payer=raw["payer"].address,
        payee=raw["payee"].address,
        amount_cents=int(raw["amount"]) // STROOPS_PER_CENT,
        deadline=datetime.fromtimestamp(int(raw["deadline"]), UTC),
        status=STATUSES[int(raw["status"])],
        paid_to_payee_cents=int(raw["paid_to_payee"]) // STROOPS_PER_CENT,
        paid_to_payer_cents=int(raw["paid_to_payer"]) // STROOPS_PER_CENT,
    )


class ContractsService:
    def __init__(self, settings: Settings, rpc: SorobanRpc) -> None:
        self.rpc = rpc
        self.bank = anchoring.keypair(settings)
        passphrase = settings.soroban_network_passphrase
        self.asset = Asset(settings.soroban_token_code, self.bank.public_key)
        self.token_id = self.asset.contract_id(passphrase)
        self.escrow_id = settings.soroban_escrow_contract_id or contract_id_from_salt(
            self.bank.public_key, "cofre:escrow", passphrase
        )
        self.anchor_id = settings.soroban_anchor_contract_id or contract_id_from_salt(
            self.bank.public_key, "cofre:audit_anchor", passphrase
        )
        self._ready = False
        self._lock = threading.Lock()
        self._customers: set[str] = set()

    # --- set-up -------------------------------------------------------------------------------
    def ensure_ready(self) -> None:
        with self._lock:
            if self._ready:
                return
            bank = self.bank.public_key
            if not self.rpc.account_exists(bank):
                self.rpc.friendbot(bank)
            if not self.rpc.contract_exists(self.token_id):
                self.rpc.create_asset_contract(self.bank, self.asset)
            self._init(self.escrow_id, "config", [scval.to_address(bank), scval.to_address(self.token_id)])
            self._init(self.anchor_id, "admin", [scval.to_address(bank)])
            self._ready = True

    def _init(self, contract_id: str, probe: str, args: list[sx.SCVal]) -> None:
        try:
            self.rpc.simulate(self.bank.public_key, contract_id, probe, [])
        except ContractError as exc:
            if exc.number != NOT_INITIALIZED:
                raise
            self.rpc.invoke(self.bank, contract_id, "init", args)

    def ensure_customer(self, kp: Keypair) -> None:
        """Account and trustline to the BRL token for a customer's key (once)."""
        self.ensure_ready()
        if kp.public_key in self._customers:
            return
        if not self.rpc.account_exists(kp.public_key):
            self.rpc.friendbot(kp.public_key)
        if self.rpc.trustline_balance(kp.public_key, self.asset) is None:
            self.rpc.change_trust(kp, self.asset)
        self._customers.add(kp.public_key)

    # --- token ----------------------------------------------------------------------------------
    def balance_cents(self, public_key: str) -> int:
        stroops = self.rpc.trustline_balance(public_key, self.asset)
        return 0 if stroops is None else stroops // STROOPS_PER_CENT

    def mint(self, to: str, amount_cents: int) -> Invocation:
        self.ensure_ready()
        return self.rpc.invoke(
            self.bank,
            self.token_id,
            "mint",
            [scval.to_address(to), scval.to_int128(amount_cents * STROOPS_PER_CENT)],
        )

    # --- escrow -----------------------------------------------------------------------------------
    def open(
        self, payer: Keypair, payee: str, amount_cents: int, deadline: datetime
    ) -> tuple[int, Invocation]:
        self.ensure_customer(payer)
        inv = self.rpc.invoke(
            payer,
            self.escrow_id,
            "open",
            [
                scval.to_address(payer.public_key),
                scval.to_address(payee),
                scval.to_int128(amount_cents * STROOPS_PER_CENT),
                scval.to_uint64(int(deadline.timestamp())),
            ],
        )
        return int(native(inv.value)), inv

    def transition(self, signer: Keypair, function: str, escrow_id: int, *extra: sx.SCVal) -> Invocation:
        """fund, release, confirm, claim, refund, cancel (as the signer); dispute adds the signer."""
        self.ensure_customer(signer)
        args = [scval.to_uint64(escrow_id), *extra]
        return self.rpc.invoke(signer, self.escrow_id, function, args)

    def dispute(self, signer: Keypair, escrow_id: int) -> Invocation:
        return self.transition(signer, "dispute", escrow_id, scval.to_address(signer.public_key))

    def resolve(self, escrow_id: int, payee_share_cents: int) -> Invocation:
        self.ensure_ready()
        return self.rpc.invoke(
            self.bank,
            self.escrow_id,
            "resolve",
            [scval.to_uint64(escrow_id), scval.to_int128(payee_share_cents * STROOPS_PER_CENT)],
        )

    def get(self, escrow_id: int) -> EscrowView:
        self.ensure_ready()
        value = self.rpc.simulate(self.bank.public_key, self.escrow_id, "get", [scval.to_uint64(escrow_id)])
        return escrow_view(escrow_id, value)

    def count(self) -> int:
        self.ensure_ready()
        return int(native(self.rpc.simulate(self.bank.public_key, self.escrow_id, "count", [])))

    def involving(self, public_key: str) -> list[EscrowView]:
        """Escrows where ``public_key`` is payer or payee (by id; a bank has few per customer)."""
        return [e for e in (self.get(i) for i in range(self.count())) if public_key in (e.payer, e.payee)]

    def history(self, escrow_id: int) -> list[dict[str, Any]]:
        """The escrow's on-chain transitions (events), each with its transaction envelope checked:
        the envelope hashes to the event's transaction and is signed by its source account
        (``cofre_native.verify_envelopes``)."""
        import cofre_native
        from stellar_sdk import TransactionEnvelope

        self.ensure_ready()
        events = self.rpc.events(self.escrow_id, [scval.to_symbol("escrow"), scval.to_uint64(escrow_id)])
        envelopes = [self.rpc.transaction_envelope(str(e["tx_hash"])) or "" for e in events]
        passphrase = self.rpc.passphrase
        sources = [
            TransactionEnvelope.from_xdr(env, passphrase).transaction.source.account_id if env else ""
            for env in envelopes
        ]
        present = [i for i, env in enumerate(envelopes) if env]
        valid = cofre_native.verify_envelopes(
            [envelopes[i] for i in present], passphrase, [[sources[i]] for i in present]
        )
        hashes = cofre_native.envelope_hashes([envelopes[i] for i in present], passphrase)
        checked = {
            i: ok and h.hex() == events[i]["tx_hash"] for i, ok, h in zip(present, valid, hashes, strict=True)
        }
        out = []
        for i, e in enumerate(events):
            data = native(sx.SCVal.from_xdr(str(e["value"])))
            out.append(
                {
                    "ledger": e["ledger"],
                    "tx_hash": e["tx_hash"],
                    "status": STATUSES[int(data["status"])],
                    "signed_by": sources[i] or None,
                    "signature_valid": checked.get(i, False),
                }
            )
        return out

    # --- audit anchoring -------------------------------------------------------------------------
    def anchor(self, day: int, root: bytes) -> Invocation:
        self.ensure_ready()
        return self.rpc.invoke(
            self.bank, self.anchor_id, "anchor", [scval.to_uint32(day), scval.to_bytes(root)]
        )

    def anchored_root(self, day: int) -> bytes | None:
        self.ensure_ready()
        value = native(
            self.rpc.simulate(self.bank.public_key, self.anchor_id, "root", [scval.to_uint32(day)])
        )
        return None if value is None else bytes(value)
