"""Stellar anchoring of the audit chain's daily Merkle roots: build, sign and inspect the transaction.

An anchor is a Stellar transaction from the anchoring account (``settings.stellar_secret_seed``) with
one ``manage_data`` operation named ``cofre-audit-<YYYY-MM-DD>`` whose value is the day's 32-byte
Merkle root, for ``settings.stellar_network_passphrase``. Time bounds are (0, 0) so the envelope is a
pure function of (key, sequence, day, root). Submission is the pipelines' job
(``pipelines.sources.stellar.client``); this module is free of I/O so that auditors and the CLI can
use it. Signatures are checked with ``cofre_native.verify_envelopes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from lake.settings import Settings, get_settings

if TYPE_CHECKING:
    from stellar_sdk import Keypair, TransactionEnvelope

DATA_PREFIX = "cofre-audit-"
BASE_FEE = 100


def data_name(day: date) -> str:
    return f"{DATA_PREFIX}{day.isoformat()}"


def keypair(settings: Settings | None = None) -> Keypair:
    from stellar_sdk import Keypair

    s = settings or get_settings()
    if s.stellar_secret_seed is None:  # filled by the settings' defaults
        raise RuntimeError("no Stellar secret seed configured (COFRE_STELLAR_SECRET_SEED)")
    return Keypair.from_secret(s.stellar_secret_seed.get_secret_value())


def public_key(settings: Settings | None = None) -> str:
    return keypair(settings).public_key


@dataclass(frozen=True)
class Anchor:
    day: date
    root: bytes
    source_account: str
    sequence: int
    envelope_xdr: str
    tx_hash: str


def build_anchor(day: date, root: bytes, sequence: int, settings: Settings | None = None) -> Anchor:
    """Signed envelope anchoring ``root`` for ``day``; ``sequence`` is the account's current sequence
    (the transaction uses sequence + 1, as Stellar requires)."""
    from stellar_sdk import Account, TransactionBuilder

    s = settings or get_settings()
    if len(root) != 32:
        raise ValueError("a Merkle root is 32 bytes")
    kp = keypair(s)
    tx = (
        TransactionBuilder(Account(kp.public_key, sequence), s.stellar_network_passphrase, base_fee=BASE_FEE)
        .append_manage_data_op(data_name(day), root)
        .add_time_bounds(0, 0)
        .build()
    )
    tx.sign(kp)
    return Anchor(day, root, kp.public_key, sequence + 1, tx.to_xdr(), tx.hash_hex())


def day_number(day: date) -> int:
    """The ``audit_anchor`` contract's day key: yyyymmdd."""
    return day.year * 10_000 + day.month * 100 + day.day


def is_contract_anchor(envelope_xdr: str) -> bool:
    """Whether the envelope anchors through the ``audit_anchor`` contract (an invoke_host_function)."""
    from stellar_sdk import InvokeHostFunction, TransactionEnvelope

    try:
        ops = TransactionEnvelope.from_xdr(envelope_xdr, "").transaction.operations
    except Exception:  # noqa: BLE001 - not an envelope at all: the classic path reports it
        return False
    return len(ops) == 1 and isinstance(ops[0], InvokeHostFunction)


def _contract_anchored(env: TransactionEnvelope) -> tuple[str, str, bytes]:
    from stellar_sdk import InvokeHostFunction, scval
    from stellar_sdk import xdr as sx

    op = env.transaction.operations[0]
    if not isinstance(op, InvokeHostFunction):
        raise ValueError("not an anchor envelope: expected an invoke_host_function operation")
    hf = op.host_function
    call = hf.invoke_contract
    if hf.type != sx.HostFunctionType.HOST_FUNCTION_TYPE_INVOKE_CONTRACT or call is None:
        raise ValueError("not an anchor envelope: expected an invoke_contract host function")
    if call.function_name.sc_symbol.decode() != "anchor" or len(call.args) != 2:
        raise ValueError("not an anchor envelope: expected anchor(day, root)")
    day_arg, root_arg = scval.to_native(call.args[0]), scval.to_native(call.args[1])
    if not isinstance(day_arg, int) or not isinstance(root_arg, bytes):
        raise ValueError("not an anchor envelope: expected anchor(u32 day, bytes root)")
    n, root = day_arg, root_arg
    day = date(n // 10_000, (n // 100) % 100, n % 100)
    return env.transaction.source.account_id, data_name(day), root


def anchored_value(envelope_xdr: str, passphrase: str) -> tuple[str, str, bytes]:
    """(source account, data name, data value) of an anchor envelope; ValueError if it is not one.
    A contract anchor (``audit_anchor.anchor(yyyymmdd, root)``) reads as the same triple."""
    from stellar_sdk import InvokeHostFunction, ManageData, TransactionEnvelope

    env = TransactionEnvelope.from_xdr(envelope_xdr, passphrase)
    ops = env.transaction.operations
    if len(ops) == 1 and isinstance(ops[0], InvokeHostFunction):
        return _contract_anchored(env)
    if len(ops) != 1 or not isinstance(ops[0], ManageData) or ops[0].data_value is None:
        raise ValueError("not an anchor envelope: expected one manage_data operation with a value")
    return env.transaction.source.account_id, ops[0].data_name, bytes(ops[0].data_value)


def verify_signatures(envelopes: list[str], passphrase: str, public_key: str) -> list[bool]:
    """Whether each envelope is validly signed by ``public_key`` (cofre_native)."""
    import cofre_native

    if not envelopes:
        return []
    return list(cofre_native.verify_envelopes(envelopes, passphrase, [[public_key]] * len(envelopes)))


def envelope_hash_hex(envelope_xdr: str, passphrase: str) -> str:
    import cofre_native

    return cofre_native.envelope_hashes([envelope_xdr], passphrase)[0].hex()
