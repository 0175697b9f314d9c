"""Client of a Soroban RPC server (JSON-RPC): the contracts API and the audit anchoring use it.

Built on stellar-sdk's ``SorobanServer``: each contract call builds an ``invoke_host_function``
transaction, simulates it, prepares it (footprint, resource fee, auth entries), signs it with the
caller's key, sends it and polls ``getTransaction``. Only source-account authorisation is signed: a
simulation that asks for another address's signature means the caller is not the party the contract
requires (:class:`NotAuthorised`, nothing is sent). Contract errors come back as :class:`ContractError`
with the contract's error number. Connection errors are retried ``settings.soroban_retries`` times with
back-off (an injected ``sleep``); resending a signed transaction is safe (same hash).

The same code drives a public testnet: set ``COFRE_SOROBAN_RPC_URL`` (and the passphrase); the local
sandbox (``native/contracts/rpc_sandbox``) speaks the same protocol.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from stellar_sdk import Address, Asset, Keypair, Network, SorobanServer, StrKey, TransactionBuilder
from stellar_sdk import xdr as sx
from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.exceptions import ConnectionError as SdkConnectionError
from stellar_sdk.exceptions import NotFoundError
from stellar_sdk.soroban_rpc import GetTransactionStatus, SendTransactionStatus

from lake.settings import Settings

T = TypeVar("T")
BASE_FEE = 100
_CONTRACT_ERROR = re.compile(r"Error\(Contract, #(\d+)\)")


class RpcError(RuntimeError):
    """The RPC server failed or refused (``code`` names why)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class RpcUnavailable(RpcError):
    """The RPC server cannot be reached (after the retries) or is not configured."""


class ContractError(RpcError):
    """The contract refused the call with its typed error ``number``."""

    def __init__(self, number: int, detail: str) -> None:
        super().__init__("contract_error", detail)
        self.number = number


class NotAuthorised(RpcError):
    """The call needs the authorisation of an address the caller does not hold."""


class TransactionRejected(RpcError):
    """sendTransaction refused the envelope (bad signature, sequence ...) or it failed on chain."""


@dataclass(frozen=True)
class Invocation:
    value: sx.SCVal
    tx_hash: str
    ledger: int
    envelope_xdr: str


def contract_id_from_salt(deployer: str, name: str, passphrase: str) -> str:
    """Id of a contract the ``deployer`` account creates with salt sha256(name) (real derivation)."""
    preimage = sx.HashIDPreimage(
        type=sx.EnvelopeType.ENVELOPE_TYPE_CONTRACT_ID,
        contract_id=sx.HashIDPreimageContractID(
            network_id=sx.Hash(Network(passphrase).network_id()),
            contract_id_preimage=sx.ContractIDPreimage(
                type=sx.ContractIDPreimageType.CONTRACT_ID_PREIMAGE_FROM_ADDRESS,
                from_address=sx.ContractIDPreimageFromAddress(
                    address=Address(deployer).to_xdr_sc_address(),
                    salt=sx.Uint256(hashlib.sha256(name.encode()).digest()),
                ),
            ),
        ),
    )
    return StrKey.encode_contract(hashlib.sha256(preimage.to_xdr_bytes()).digest())


def _host_error(diagnostics: Sequence[str] | None) -> tuple[str, int] | None:
    """(type, code) of the first error in diagnostic events (``("Contract", n)`` for contract errors)."""
    for raw in diagnostics or []:
        ev = sx.DiagnosticEvent.from_xdr(raw)
        body = ev.event.body.v0
        if body is None:
            continue
        for topic in [*body.topics, body.data]:
            if topic.type == sx.SCValType.SCV_ERROR and topic.error is not None:
                err = topic.error
                kind = err.type.name.removeprefix("SCE_").title()
                if err.contract_code is not None:
                    code = err.contract_code.uint32
                else:
                    code = err.code.value if err.code is not None else 0
                return kind, int(code)
    return None


class SorobanRpc:
    """One RPC endpoint and network; ``sleep`` is injectable so tests never wait on the clock."""

    def __init__(
        self,
        url: str,
        passphrase: str,
        *,
        friendbot_url: str | None = None,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        poll_attempts: int = 30,
    ) -> None:
        self.url = url.rstrip("/")
        self.passphrase = passphrase
        self.friendbot_url = friendbot_url or f"{self.url}/friendbot"
        self.retries = retries
        self.sleep = sleep
        self.poll_attempts = poll_attempts
        self.server = SorobanServer(self.url, RequestsClient(num_retries=0, post_timeout=30.0))

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: object) -> SorobanRpc:
        if not settings.soroban_rpc_url:
            raise RpcUnavailable("soroban_unconfigured", "COFRE_SOROBAN_RPC_URL is not set")
        return cls(
            settings.soroban_rpc_url,
            settings.soroban_network_passphrase,
            friendbot_url=settings.soroban_friendbot_url,
            retries=settings.soroban_retries,
            **kwargs,  # type: ignore[arg-type]
        )

    def close(self) -> None:
        self.server.close()

    # --- transport --------------------------------------------------------------------------
    def _retry(self, call: Callable[[], T]) -> T:
        for attempt in range(self.retries + 1):
            try:
                return call()
            except (SdkConnectionError, requests.ConnectionError) as exc:
                if attempt == self.retries:
                    raise RpcUnavailable("soroban_unreachable", f"{self.url}: {exc}") from exc
                self.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A raw JSON-RPC call (sandbox-only methods such as ``sandboxAdvanceTime``)."""

        def go() -> dict[str, Any]:
            r = requests.post(
                self.url,
                json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}},
                timeout=30,
            )
            body = r.json()
            if "error" in body:
                raise RpcError("rpc_error", str(body["error"]))
            result: dict[str, Any] = body["result"]
            return result

        return self._retry(go)

    def health(self) -> str:
        return self._retry(self.server.get_health).status

    def latest_ledger(self) -> int:
        return self._retry(self.server.get_latest_ledger).sequence

    # --- ledger entries ---------------------------------------------------------------------
    def entries(self, keys: Sequence[sx.LedgerKey]) -> list[sx.LedgerEntryData]:
        resp = self._retry(lambda: self.server.get_ledger_entries(list(keys)))
        return [sx.LedgerEntryData.from_xdr(e.xdr) for e in resp.entries or []]

    def account_exists(self, account_id: str) -> bool:
        key = sx.LedgerKey(
            type=sx.LedgerEntryType.ACCOUNT,
            account=sx.LedgerKeyAccount(Keypair.from_public_key(account_id).xdr_account_id()),
        )
        return bool(self.entries([key]))

    def contract_exists(self, contract_id: str) -> bool:
        key = sx.LedgerKey(
            type=sx.LedgerEntryType.CONTRACT_DATA,
            contract_data=sx.LedgerKeyContractData(
                contract=Address(contract_id).to_xdr_sc_address(),
                key=sx.SCVal(sx.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE),
                durability=sx.ContractDataDurability.PERSISTENT,
            ),
        )
        return bool(self.entries([key]))

    def trustline_balance(self, account_id: str, asset: Asset) -> int | None:
        """Stroops of ``asset`` held by a G... account (its trustline), None without a trustline."""
        key = sx.LedgerKey(
            type=sx.LedgerEntryType.TRUSTLINE,
            trust_line=sx.LedgerKeyTrustLine(
                account_id=Keypair.from_public_key(account_id).xdr_account_id(),
                asset=asset.to_trust_line_asset_xdr_object(),
            ),
        )
        found = self.entries([key])
        return None if not found else int(found[0].trust_line.balance.int64)  # type: ignore[union-attr]

    def friendbot(self, account_id: str) -> None:
        def go() -> None:
            r = requests.get(self.friendbot_url, params={"addr": account_id}, timeout=30)
            if r.status_code >= 500:
                raise RpcError("friendbot_failed", r.text)

        self._retry(go)

    def events(
        self, contract_id: str, topics: Sequence[sx.SCVal], start_ledger: int = 1
    ) -> list[dict[str, object]]:
        """Contract events of ``contract_id`` whose first topics are ``topics`` (all pages)."""
        from stellar_sdk.soroban_rpc import EventFilter, EventFilterType

        flt = EventFilter.model_validate(
            {
                "type": EventFilterType.CONTRACT,
                "contractIds": [contract_id],
                "topics": [[t.to_xdr() for t in topics] + ["**"]],
            }
        )
        out: list[dict[str, object]] = []
        cursor: str | None = None
        while True:
            page = self._retry(
                lambda at=cursor: self.server.get_events(  # type: ignore[misc]
                    start_ledger=None if at else start_ledger, filters=[flt], cursor=at, limit=100
                )
            )
            out += [
                {
                    "ledger": e.ledger,
                    "tx_hash": e.transaction_hash,
                    "topic": e.topic,
                    "value": e.value,
                    "id": e.id,
                }
                for e in page.events
            ]
            if not page.events:
                return out
            cursor = page.cursor

    def transaction_envelope(self, tx_hash: str) -> str | None:
        got = self._retry(lambda: self.server.get_transaction(tx_hash))
        return got.envelope_xdr if got.status == GetTransactionStatus.SUCCESS else None

    # --- transactions -----------------------------------------------------------------------
    def _builder(self, source: Keypair) -> TransactionBuilder:
        """Time bounds come from the network's clock (latest ledger close + 5 min), not ours."""
        account = self._retry(lambda: self.server.load_account(source.public_key))
        closed = self._retry(self.server.get_latest_ledger).close_time
        return TransactionBuilder(account, self.passphrase, base_fee=BASE_FEE).add_time_bounds(
            0, closed + 300
        )

    def simulate(self, source: str, contract_id: str, function: str, args: Sequence[sx.SCVal]) -> sx.SCVal:
        """Read-only call: the simulated return value (nothing is sent)."""
        try:
            account = self._retry(lambda: self.server.load_account(source))
        except NotFoundError:
            raise RpcError("no_account", f"{source} has no account on the network") from None
        tx = (
            TransactionBuilder(account, self.passphrase, base_fee=BASE_FEE)
            .set_timeout(300)
            .append_invoke_contract_function_op(contract_id, function, list(args))
            .build()
        )
        sim = self._retry(lambda: self.server.simulate_transaction(tx))
        if sim.error:
            self._raise_simulation(sim.error)
        if not sim.results:
            raise RpcError("no_result", "the simulation returned no result for the invocation")
        return sx.SCVal.from_xdr(sim.results[0].xdr)

    @staticmethod
    def _raise_simulation(error: str) -> None:
        m = _CONTRACT_ERROR.search(error)
        if m:
            raise ContractError(int(m.group(1)), error.splitlines()[0])
        if "Error(Auth" in error:
            raise NotAuthorised("not_authorised", error.splitlines()[0])
        raise RpcError("simulation_failed", error.splitlines()[0])

    def invoke(
        self, signer: Keypair, contract_id: str, function: str, args: Sequence[sx.SCVal]
    ) -> Invocation:
        """Call ``function`` as ``signer``: simulate, prepare, sign, send, wait for the result."""
        builder = self._builder(signer).append_invoke_contract_function_op(contract_id, function, list(args))
        return self._submit_soroban(signer, builder)

    def create_asset_contract(self, signer: Keypair, asset: Asset) -> Invocation:
        """Deploy the Stellar Asset Contract of ``asset`` (anyone may; its admin is the issuer)."""
        builder = self._builder(signer).append_create_stellar_asset_contract_from_asset_op(asset)
        return self._submit_soroban(signer, builder)

    def change_trust(self, signer: Keypair, asset: Asset) -> str:
        """Classic change_trust so that ``signer`` can hold ``asset``; returns the tx hash."""
        tx = self._builder(signer).append_change_trust_op(asset).build()
        tx.sign(signer)
        return self._send(tx).tx_hash

    def _submit_soroban(self, signer: Keypair, builder: TransactionBuilder) -> Invocation:
        tx = builder.build()
        sim = self._retry(lambda: self.server.simulate_transaction(tx))
        if sim.error:
            self._raise_simulation(sim.error)
        if not sim.results:
            raise RpcError("no_result", "the simulation returned no result for the invocation")
        for raw in sim.results[0].auth or []:
            entry = sx.SorobanAuthorizationEntry.from_xdr(raw)
            if entry.credentials.type != sx.SorobanCredentialsType.SOROBAN_CREDENTIALS_SOURCE_ACCOUNT:
                address = Address.from_xdr_sc_address(entry.credentials.address.address)  # type: ignore[union-attr]
                raise NotAuthorised(
                    "not_authorised", f"the call needs the authorisation of {address.address}"
                )
        prepared = self.server.prepare_transaction(tx, sim)
        prepared.sign(signer)
        return self._send(prepared)

    def _send(self, tx: object) -> Invocation:
        from stellar_sdk import TransactionEnvelope

        if not isinstance(tx, TransactionEnvelope):
            raise TypeError(f"expected a TransactionEnvelope, got {type(tx).__name__}")
        sent = self._retry(lambda: self.server.send_transaction(tx))
        if sent.status == SendTransactionStatus.ERROR:
            result = sx.TransactionResult.from_xdr(sent.error_result_xdr) if sent.error_result_xdr else None
            code = result.result.code.name if result is not None else "unknown"
            raise TransactionRejected("transaction_rejected", f"sendTransaction refused it: {code}")
        for attempt in range(self.poll_attempts):
            got = self._retry(lambda: self.server.get_transaction(sent.hash))
            if got.status == GetTransactionStatus.SUCCESS:
                value = sx.SCVal(sx.SCValType.SCV_VOID)
                if got.result_meta_xdr:
                    meta = sx.TransactionMeta.from_xdr(got.result_meta_xdr)
                    body = meta.v4 or meta.v3
                    if body is not None and body.soroban_meta is not None and body.soroban_meta.return_value:
                        value = body.soroban_meta.return_value
                return Invocation(value, sent.hash, int(got.ledger or 0), got.envelope_xdr or "")
            if got.status == GetTransactionStatus.FAILED:
                err = _host_error(got.diagnostic_events_xdr)
                if err is not None and err[0] == "Contract":
                    raise ContractError(err[1], f"Error(Contract, #{err[1]})")
                if err is not None and err[0] == "Auth":
                    raise NotAuthorised("not_authorised", f"Error(Auth, {err[1]})")
                raise TransactionRejected("transaction_failed", f"{sent.hash} failed on chain: {err}")
            self.sleep(min(0.1 * 2**attempt, 2.0))
        raise RpcUnavailable("transaction_pending", f"{sent.hash} still pending")
