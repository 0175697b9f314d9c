"""Anchor one day of the audit chain: Merkle root of the day's event hashes, anchored by the
``audit_anchor`` Soroban contract when ``settings.soroban_rpc_url`` is set (the invocation's signed
envelope is recorded like a classic anchor), else as a signed Stellar ``manage_data`` transaction,
submitted to Horizon when ``settings.horizon_url`` is set (or a sandbox client is passed), otherwise
kept as a signed envelope in ``audit.anchors``. Idempotent: a day whose current root is already
anchored is left alone (and the contract refuses a different root for an anchored day)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl

from lake.audit import anchoring
from lake.audit import trail as audit_trail
from lake.settings import Settings, get_settings


async def _submit(client: Any, anchor_for_seq: Callable[[int], Any]) -> tuple[Any, dict]:
    seq = await client.sequence(anchoring.public_key(client.settings))
    anchor = anchor_for_seq(seq)
    return anchor, await client.submit(anchor.envelope_xdr)


def anchor_day(day: date, settings: Settings | None = None, *, client: Any = None) -> dict[str, Any]:
    """Anchor ``day``; ``client`` is a HorizonClient (default: one when settings.horizon_url is set)."""
    s = settings or get_settings()
    df = audit_trail.day_events(day, s)
    if df.height == 0:
        return {"day": day.isoformat(), "status": "no_events"}
    leaves = audit_trail.leaves_of(df)
    root = audit_trail.merkle_root(leaves)
    done = audit_trail.anchors(s).filter((pl.col("day") == day) & (pl.col("root") == root.hex()))
    if done.height:
        return {
            "day": day.isoformat(),
            "status": "already_anchored",
            "root": root.hex(),
            "tx_hash": done.get_column("tx_hash")[0],
        }
    if client is None and s.soroban_rpc_url:
        return _anchor_with_contract(day, root, df, leaves, s)
    own_client = client is None and s.horizon_url is not None
    if own_client:
        from pipelines.sources.stellar.client import HorizonClient

        client = HorizonClient.from_settings(s)
    response = None
    if client is not None:

        async def go() -> tuple[Any, dict]:
            try:
                return await _submit(client, lambda seq: anchoring.build_anchor(day, root, seq, s))
            finally:
                if own_client:
                    await client.aclose()

        anchor, response = asyncio.run(go())
    else:
        anchor = anchoring.build_anchor(day, root, audit_trail.anchors(s).height, s)
    seqs = df.get_column("seq")
    audit_trail.record_anchor(
        anchor,
        leaf_count=len(leaves),
        first_seq=int(seqs.min()),
        last_seq=int(seqs.max()),
        submitted=response is not None,
        horizon_response=response,
        settings=s,
    )
    return {
        "day": day.isoformat(),
        "status": "anchored",
        "root": root.hex(),
        "leaf_count": len(leaves),
        "tx_hash": anchor.tx_hash,
        "submitted": response is not None,
    }


def _anchor_with_contract(
    day: date, root: bytes, df: pl.DataFrame, leaves: list[bytes], s: Settings
) -> dict[str, Any]:
    from stellar_sdk import TransactionEnvelope

    from lake.soroban_contracts import ContractsService
    from lake.soroban_rpc import SorobanRpc

    rpc = SorobanRpc.from_settings(s)
    try:
        inv = ContractsService(s, rpc).anchor(anchoring.day_number(day), root)
    finally:
        rpc.close()
    tx = TransactionEnvelope.from_xdr(inv.envelope_xdr, s.soroban_network_passphrase).transaction
    anchor = anchoring.Anchor(day, root, tx.source.account_id, tx.sequence, inv.envelope_xdr, inv.tx_hash)
    seqs = df.get_column("seq")
    audit_trail.record_anchor(
        anchor,
        leaf_count=len(leaves),
        first_seq=int(seqs.min()),
        last_seq=int(seqs.max()),
        submitted=True,
        horizon_response={"hash": inv.tx_hash, "ledger": inv.ledger, "contract": "audit_anchor"},
        settings=s,
    )
    return {
        "day": day.isoformat(),
        "status": "anchored",
        "root": root.hex(),
        "leaf_count": len(leaves),
        "tx_hash": inv.tx_hash,
        "submitted": True,
        "ledger": inv.ledger,
    }
