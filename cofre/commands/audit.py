"""`cofre audit`: auditors' commands over the lake's audit trail.

* ``cofre audit export [--day D]``: MERGE the audit store's events of a day into audit.events.
* ``cofre audit anchor [--day D]``: Merkle root of the day anchored on Stellar (submitted when
  COFRE_HORIZON_URL is set, else kept as a signed envelope in audit.anchors).
* ``cofre audit prove EVENT_ID``: inclusion proof (event, leaf, path, root, anchor tx) as JSON.
* ``cofre audit verify [--public-key G...] [--store] [--require-events]``: chain of audit.events (native
  verify_chain), payload hashes, the signed record of every redaction, every anchor (root
  recomputed, envelope signature with the given anchoring key via cofre_native.verify_envelopes)
  and proofs; names the first bad record. Reports how far each chain is anchored
  (``anchored_through_seq``, root, tx) and flags everything after the last anchor as unanchored
  (``unanchored_from_seq``/``unanchored_count`` and a line in ``warnings``). Exit 1 when anything fails.
  ``status``: ``verified`` | ``failed`` | ``empty`` (nothing exported yet; exit 1 only with
  ``--require-events``).
* ``cofre audit migrate``: one-time migration of a store and lake written before hash version 2:
  signs redaction records for the events that were already redacted (attesting them as they are
  now) so that they verify; refuses to run a second time.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import typer

app = typer.Typer(help="Audit trail: export, anchor, prove, verify", no_args_is_help=True)


def _day(day: str | None) -> date:
    return date.fromisoformat(day) if day else (datetime.now(UTC) - timedelta(days=1)).date()


@app.command()
def export(day: str = typer.Option(None, help="UTC day YYYY-MM-DD (default: yesterday)")) -> None:
    """Export one day of the audit store into audit.events."""
    from lake.audit.trail import export_day

    typer.echo(json.dumps(export_day(_day(day))))


@app.command()
def anchor(day: str = typer.Option(None, help="UTC day YYYY-MM-DD (default: yesterday)")) -> None:
    """Anchor one exported day on Stellar."""
    from pipelines.audit.anchor import anchor_day

    typer.echo(json.dumps(anchor_day(_day(day))))


@app.command()
def prove(event_id: str) -> None:
    """Print the inclusion proof of EVENT_ID (its event hash) as JSON."""
    from lake.audit.trail import EventNotFound, check_proof
    from lake.audit.trail import prove as make_proof

    try:
        proof = make_proof(event_id)
    except EventNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    proof["proof_verifies"] = check_proof(proof)
    typer.echo(json.dumps(proof, indent=2))


@app.command()
def verify(
    public_key: str = typer.Option(None, "--public-key", help="anchoring account G... to trust"),
    store: bool = typer.Option(False, "--store", help="also verify the audit store's own chain"),
    require_events: bool = typer.Option(
        False, "--require-events", help="fail (exit 1) when the lake's audit trail is empty"
    ),
) -> None:
    """Verify chain, proofs and anchor signatures; exit 1 and name the first bad record on failure.

    ``status`` is ``verified``, ``failed`` or ``empty`` (no event exported yet: nothing was checked;
    exit 0 unless ``--require-events``)."""
    from lake.audit.trail import verify_all

    report = verify_all(public_key=public_key, include_store=store)
    typer.echo(json.dumps(report, indent=2, default=str))
    if report["status"] == "empty":
        typer.echo("audit trail: EMPTY (no exported event; nothing was verified)", err=True)
    if not report["ok"] or (require_events and report["status"] == "empty"):
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Attest, once, the redactions made before signed redaction records existed (store and lake)."""
    from lake.audit.anchoring import keypair
    from lake.audit.trail import attest_legacy_lake
    from lake.settings import get_settings
    from serving.audit.store import RedactionError, open_audit_store

    s = get_settings()
    store = open_audit_store(str(s.log_store_url), s.log_store_db, signer=lambda: keypair(s))
    out = {}
    try:
        out["store"] = store.attest_legacy()
        out["lake"] = attest_legacy_lake(s)
    except (RedactionError, RuntimeError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    typer.echo(json.dumps(out, indent=2))
