"""Erasure of one data subject from the Delta lake, history included (LGPD art. 18, VI).

Choice: **delete + rewrite + vacuum with zero retention** of every affected table, not crypto-shredding.
Bronze keeps API payloads as received, with the CPF and names in clear inside JSON, and quarantine
may hold such payloads: encrypting personal fields per subject would mean parsing and re-encrypting
every raw payload at ingestion and decrypting on every read of silver/gold lineage. Rewriting the
few affected files and vacuuming is simpler and exact. The cost: time travel to versions before
the erasure is lost for the affected tables (they are checkpointed and their old log entries are
removed, since add-action statistics in old commits may carry min/max values of personal columns).

How rows are found and what happens to them (identifiers normalised as in :mod:`lake.pseudonym`):

* pseudonyms: the subject's ``customer_pk`` (HMAC of the CPF), e-mail, phone, name and PIX-key
  pseudonyms, plus ``extra_pseudonyms`` (e.g. the audit actor pseudonym).
* silver/gold: a row whose ``customer_pk`` is the subject's is deleted; in other people's rows a
  nullable pseudonymised column pointing at the subject (a counterparty) is set to null (a
  non-nullable one deletes the row).
* bronze/quarantine (clear payloads): rows pulled under the subject's Open Finance consents
  (``consent_id``), rows keyed on the subject's CPF, and rows whose payload/record key mention any
  identifier (CPF bare or formatted, name, e-mail, phone, PIX keys, pseudonyms) are deleted.
* audit.events: rows of the subject (actor) or mentioning an identifier are redacted (actor_pk,
  resource_type, resource_id and the personal openings nulled, the payload too for hash version 1;
  ``redacted`` true) and a signed record per row goes to audit.redactions; their hashes stay, so the
  chain verifies and the redaction is proven.

Rows are selected in polars and rewritten with a partition-only predicate (or a full overwrite), so
no identifier ever appears in a commit's ``operationParameters``. Then: checkpoint, log cleanup with
zero retention, vacuum with zero retention.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl
from deltalake import DeltaTable, write_deltalake

from lake import delta
from lake.catalog import Table, tables
from lake.pseudonym import pseudonymise_one
from lake.settings import Settings, get_settings


@dataclass
class Subject:
    """Everything that identifies the person in the lake."""

    cpf: str | None  # None: a login whose CPF is not proven (nothing in the lake is matched by it)
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    pix_keys: list[tuple[str, str]] = field(default_factory=list)  # (key_type, key)
    extra_pseudonyms: list[str] = field(default_factory=list)
    consent_ids: list[str] = field(default_factory=list)

    @property
    def cpf_digits(self) -> str:
        return "".join(c for c in self.cpf or "" if c in "0123456789")

    def pseudonyms(self, key: bytes | None = None) -> set[str]:
        out = {pseudonymise_one(self.cpf, "cpf", key=key)} if self.cpf else set()
        out |= {pseudonymise_one(e, "email", key=key) for e in self.emails}
        out |= {pseudonymise_one(p, "phone", key=key) for p in self.phones}
        out |= {pseudonymise_one(n, "name", key=key) for n in self.names}
        out |= {pseudonymise_one(k, "pix_key", key_type=t, key=key) for t, k in self.pix_keys}
        out |= set(self.extra_pseudonyms)
        return {p for p in out if p}

    def clear_strings(self) -> set[str]:
        """Strings whose presence in a raw payload marks it as the subject's (incl. JSON-escaped forms)."""
        d = self.cpf_digits
        base = {
            d,
            f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}" if d else "",
            *self.names,
            *self.emails,
            *self.phones,
            *(k for _, k in self.pix_keys),
        }
        out = set()
        for s in base:
            if s:
                out.add(s)
                out.add(json.dumps(s)[1:-1])  # \\u escapes of accents, as json.dumps writes them
        return out


def _contains_any(col: str, needles: set[str]) -> pl.Expr:
    expr = pl.lit(False)
    for n in needles:
        expr = expr | pl.col(col).fill_null("").str.contains(n, literal=True)
    return expr


def _plan(
    t: Table, df: pl.DataFrame, pks: set[str], clear: set[str], consent_ids: set[str]
) -> tuple[pl.DataFrame, int, int, pl.Expr]:
    """(new rows, rows deleted, rows redacted, expression of the affected original rows)."""
    pk_list = list(pks)
    pii = t.pii_columns
    if t.name == "audit.events":
        if "openings" not in df.columns:  # a table written before hash version 2
            df = df.with_columns(pl.lit(None, pl.String).alias("openings"))
        v2 = pl.col("payload").fill_null("").str.contains('"v":2', literal=True)
        hit = (
            pl.col("actor_pk").is_in(pk_list).fill_null(False)
            | (~v2 & _contains_any("payload", pks | clear))
            | _contains_any("openings", pks | clear)
        )
        n = int(df.select(hit.sum()).item())
        new = df.with_columns(
            pl.when(hit).then(None).otherwise(pl.col("actor_pk")).alias("actor_pk"),
            pl.when(hit).then(None).otherwise(pl.col("resource_type")).alias("resource_type"),
            pl.when(hit).then(None).otherwise(pl.col("resource_id")).alias("resource_id"),
            pl.when(hit & ~v2).then(None).otherwise(pl.col("payload")).alias("payload"),
            pl.when(hit).then(None).otherwise(pl.col("openings")).alias("openings"),
            (pl.col("redacted") | hit).alias("redacted"),
        )
        return new, 0, n, hit
    if t.layer in ("bronze", "quarantine"):
        needles = clear | pks
        drop = pl.lit(False)
        for c in ("payload", "record_key"):
            if c in df.columns:
                drop = drop | _contains_any(c, needles)
        if "consent_id" in df.columns and consent_ids:
            drop = drop | pl.col("consent_id").is_in(list(consent_ids)).fill_null(False)
        for c, level in pii.items():
            if level in ("clear", "pseudonymised") and df.schema[c] == pl.String and c not in ("payload",):
                drop = drop | pl.col(c).is_in(list(needles)).fill_null(False)
        n = int(df.select(drop.sum()).item())
        return df.filter(~drop), n, 0, drop
    ps_cols = [c for c, level in pii.items() if level == "pseudonymised" and df.schema[c] == pl.String]
    if not ps_cols:
        return df, 0, 0, pl.lit(False)
    owner = (
        pl.col("customer_pk").is_in(pk_list).fill_null(False)
        if "customer_pk" in df.columns
        else pl.lit(False)
    )
    required_hit = pl.lit(False)
    for c in ps_cols:
        if not t.column(c).nullable and c != "customer_pk":
            required_hit = required_hit | pl.col(c).is_in(pk_list).fill_null(False)
    drop = owner | required_hit
    kept = df.filter(~drop)
    nullable = [c for c in ps_cols if t.column(c).nullable]
    link = pl.lit(False)
    for c in nullable:
        link = link | pl.col(c).is_in(pk_list).fill_null(False)
    n_red = int(kept.select(link.sum()).item()) if nullable else 0
    if nullable:
        kept = kept.with_columns(
            [
                pl.when(pl.col(c).is_in(pk_list).fill_null(False)).then(None).otherwise(pl.col(c)).alias(c)
                for c in nullable
            ]
        )
    return kept, df.height - kept.height, n_red, drop | link


def _lit(v: Any) -> str:
    if isinstance(v, (date, datetime)):
        return f"'{v.isoformat()}'"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return str(v)


def _purge_history(t: Table, s: Settings) -> int:
    """Checkpoint, drop log entries before it, vacuum every unreferenced file; returns files removed."""
    uri, opts = delta.table_uri(t, s), delta.storage_options(s)
    dt = DeltaTable(uri, storage_options=opts)
    dt.alter.set_table_properties(
        {
            "delta.logRetentionDuration": "interval 0 seconds",
            "delta.deletedFileRetentionDuration": "interval 0 seconds",
        },
        raise_if_not_exists=False,
    )
    dt = DeltaTable(uri, storage_options=opts)
    removed = dt.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False, full=True)
    dt = DeltaTable(uri, storage_options=opts)
    dt.create_checkpoint()
    dt.cleanup_metadata()
    return len(removed)


def erase_subject(subject: Subject, settings: Settings | None = None) -> dict[str, dict[str, int]]:
    """Erase the subject from every catalog table present in the lake; counts per table touched."""
    s = settings or get_settings()
    key = s.pseudonym_key_bytes()
    pks, clear, consent_ids = subject.pseudonyms(key), subject.clear_strings(), set(subject.consent_ids)
    report: dict[str, dict[str, int]] = {}
    for t in tables():
        if not t.pii_columns or not delta.exists(t, s):
            continue
        if t.name == "audit.events":
            from lake.audit.trail import ensure_columns

            ensure_columns(t.name, s)  # a table written before hash version 2 gets `openings`
        df = delta.read(t, settings=s)
        new, deleted, redacted, affected = _plan(t, df, pks, clear, consent_ids)
        if deleted == 0 and redacted == 0:
            continue
        if t.name == "audit.events":
            records = _redaction_records(df.filter(affected), s)
        predicate = None
        if t.partition_by:
            (pcol,) = t.partition_by
            values = df.filter(affected).get_column(pcol).unique().to_list()
            predicate = f"{pcol} IN ({', '.join(_lit(v) for v in values)})"
            new = new.filter(pl.col(pcol).is_in(values))
        data = delta._to_arrow(t, delta.conform(t, new))
        write_deltalake(
            delta.table_uri(t, s),
            data,
            mode="overwrite",
            predicate=predicate,
            storage_options=delta.storage_options(s),
            writer_properties=delta.writer_properties(s, t),
        )
        files = _purge_history(t, s)
        if t.name == "audit.events":
            from lake.audit.trail import add_redaction_records

            add_redaction_records(records, s)
        report[t.name] = {"deleted": deleted, "redacted": redacted, "files_removed": files}
    return report


def _redaction_records(rows: pl.DataFrame, s: Settings) -> list[dict[str, Any]]:
    """Signed records (lake/audit/redaction.py) for the audit.events rows about to be redacted,
    made before their payload (hash version 1) is gone."""
    from lake.audit import redaction as audit_redaction
    from lake.audit.anchoring import keypair
    from lake.audit.events import REDACTABLE
    from lake.audit.trail import lake_event

    kp = keypair(s)
    return [
        audit_redaction.sign(audit_redaction.make_record(lake_event(r), REDACTABLE, "lgpd-erasure"), kp)
        for r in rows.to_dicts()
    ]
