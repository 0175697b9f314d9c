"""A tiny Horizon sandbox (FastAPI app factory ``create_app(settings)``).

* ``POST /transactions`` (form field ``tx``: base64 TransactionEnvelope): the signature is verified
  with ``cofre_native.verify_envelopes`` against the source account, the sequence must be the
  account's sequence + 1; accepted transactions are stored (hash from ``cofre_native.envelope_hashes``)
  and answered like Horizon (``hash``, ``ledger``, ``successful``, ``envelope_xdr``). Refusals are
  400 problem bodies with Horizon's ``extras.result_codes`` (``tx_bad_auth``, ``tx_bad_seq``,
  ``tx_malformed``).
* ``GET /transactions/{hash}``; ``GET /accounts/{id}`` (``sequence`` as a string; an unknown
  account is created on first sight with sequence 0, like a funded test account).

State is in memory per app instance.
"""

from __future__ import annotations

import threading

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse

from lake.settings import Settings, get_settings
from sandbox.errors import install_error_handlers


def _problem(status: int, title: str, detail: str, codes: dict | None = None) -> JSONResponse:
    body = {
        "type": f"https://stellar.org/horizon-errors/{title.lower().replace(' ', '_')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if codes:
        body["extras"] = {"result_codes": codes}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def create_app(settings: Settings | None = None) -> FastAPI:
    import cofre_native
    from stellar_sdk import TransactionEnvelope
    from stellar_sdk.exceptions import SdkError

    s = settings or get_settings()
    passphrase = s.stellar_network_passphrase
    app = FastAPI(title="Horizon sandbox")
    lock = threading.Lock()
    accounts: dict[str, int] = {}
    txs: dict[str, dict] = {}
    app.state.transactions = txs

    @app.get("/accounts/{account_id}")
    def account(account_id: str) -> JSONResponse:
        from stellar_sdk import StrKey

        if not StrKey.is_valid_ed25519_public_key(account_id):
            return _problem(400, "Bad Request", f"invalid account id {account_id!r}")
        with lock:
            seq = accounts.setdefault(account_id, 0)
        return JSONResponse({"id": account_id, "account_id": account_id, "sequence": str(seq)})

    @app.post("/transactions")
    def submit(tx: str = Form(...)) -> JSONResponse:
        try:
            env = TransactionEnvelope.from_xdr(tx, passphrase)
            source = env.transaction.source.account_id
            ok = cofre_native.verify_envelopes([tx], passphrase, [[source]])[0]
            tx_hash = cofre_native.envelope_hashes([tx], passphrase)[0].hex()
        except (ValueError, SdkError, Exception) as exc:  # noqa: BLE001 - any undecodable envelope
            return _problem(400, "Transaction Malformed", str(exc)[:300], {"transaction": "tx_malformed"})
        if not ok:
            return _problem(
                400, "Transaction Failed", "signature check failed", {"transaction": "tx_bad_auth"}
            )
        with lock:
            if tx_hash in txs:
                return JSONResponse(txs[tx_hash])
            current = accounts.setdefault(source, 0)
            if env.transaction.sequence != current + 1:
                return _problem(
                    400,
                    "Transaction Failed",
                    f"sequence {env.transaction.sequence} is not {current + 1}",
                    {"transaction": "tx_bad_seq"},
                )
            accounts[source] = current + 1
            record = {
                "id": tx_hash,
                "hash": tx_hash,
                "ledger": len(txs) + 1,
                "successful": True,
                "source_account": source,
                "source_account_sequence": str(env.transaction.sequence),
                "envelope_xdr": tx,
            }
            txs[tx_hash] = record
        return JSONResponse(record)

    @app.get("/transactions/{tx_hash}")
    def get_tx(tx_hash: str) -> JSONResponse:
        rec = txs.get(tx_hash.lower())
        if rec is None:
            return _problem(404, "Resource Missing", f"no transaction {tx_hash}")
        return JSONResponse(rec)

    def _render(_request: Request, status: int, kind: str, detail: str) -> JSONResponse:
        title = {
            "not_found": "Resource Missing",
            "method_not_allowed": "Method Not Allowed",
            "bad_request": "Bad Request",
        }.get(kind, "Bad Request")
        return _problem(status if kind != "bad_request" else 400, title, detail)

    install_error_handlers(app, _render)
    return app
