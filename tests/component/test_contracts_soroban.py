"""Contracts API end to end against the Soroban RPC sandbox (Rust, real loopback HTTP).

Two customers go through the escrow life cycle through the gateway (deposit into the token wallet,
open, fund, a release refused to the wrong party, confirm + claim, a refund refused before the
deadline and paid after it, dispute + resolution by the bank), with token balances read back with
``getLedgerEntries``; the sandbox restarts in the middle and keeps its state; tampered and wrongly
signed transactions are refused; the audit anchor contract keeps one root per day.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serving_kit import add_key, auth, deposit, make_settings, register, step_up
from stellar_sdk import Asset, Keypair, SorobanServer, TransactionBuilder
from stellar_sdk import xdr as sx
from stellar_sdk.soroban_rpc import SendTransactionStatus

from lake.audit import anchoring
from lake.soroban_rpc import ContractError, SorobanRpc
from sandbox import soroban
from serving.app import create_app

PASSPHRASE = "Standalone Network ; February 2017"
CENT = 100_000  # stroops


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Sandbox:
    def __init__(self, state: Path, deployer: str) -> None:
        self.state, self.deployer, self.port = state, deployer, _free_port()
        self.running = self.start()

    def start(self) -> soroban.Running:
        return soroban.start(self.state, self.deployer, PASSPHRASE, port=self.port)

    def restart(self) -> None:
        self.running.stop()
        self.running = self.start()

    @property
    def url(self) -> str:
        return self.running.url


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("soroban")
    deployer = anchoring.public_key(make_settings(home))
    sandbox = Sandbox(home / "soroban-state", deployer)
    settings = make_settings(home, soroban_rpc_url=sandbox.url, stepup_amount_cents=10**9)
    rpc = SorobanRpc(sandbox.url, PASSPHRASE, sleep=lambda _s: None)
    try:
        with TestClient(create_app(settings)) as client:
            admin, alice, bob = register(client, role="admin"), register(client), register(client)
            deposit(client, admin, alice["account_id"], 1_000_00)
            bob_key = add_key(
                client, bob, step_up(client, bob), "EMAIL", f"bob{uuid.uuid4().hex[:8]}@example.com"
            )
            yield {
                "client": client,
                "sandbox": sandbox,
                "rpc": rpc,
                "admin": admin,
                "alice": alice,
                "bob": bob,
                "bob_key": bob_key,
            }
    finally:
        rpc.close()
        sandbox.running.stop()


def call(
    client: TestClient,
    user: dict[str, Any],
    path: str,
    body: dict[str, Any] | None = None,
    token: str | None = None,
    key: str | None = None,
) -> Any:
    return client.post(
        path,
        json=body or {},
        headers=auth(token or user["access"], **{"Idempotency-Key": key or uuid.uuid4().hex}),
    )


def wallet(client: TestClient, user: dict[str, Any]) -> dict[str, Any]:
    r = client.get("/contracts/wallet", headers=auth(user["access"]))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def on_chain_cents(w: dict[str, Any], address: str) -> int:
    asset = Asset(
        w["client"].get("/contracts/wallet", headers=auth(w["alice"]["access"])).json()["token"]["code"],
        anchoring.public_key(w["client"].app.state.services.settings),
    )
    stroops = w["rpc"].trustline_balance(address, asset)
    assert stroops is not None and stroops % CENT == 0
    return int(stroops // CENT)


def open_escrow(w: dict[str, Any], cents: int, deadline: datetime) -> dict[str, Any]:
    r = call(
        w["client"],
        w["alice"],
        "/contracts/escrows",
        {"payee_pix_key": w["bob_key"], "amount_cents": cents, "deadline": deadline.isoformat()},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_escrow_life_cycle_through_the_gateway(world: dict[str, Any]) -> None:
    w, client = world, world["client"]
    alice, bob = w["alice"], w["bob"]
    r = call(client, alice, "/contracts/wallet/deposit", {"amount_cents": 300_00})
    assert r.status_code == 201, r.text
    a_addr, b_addr = wallet(client, alice)["address"], wallet(client, bob)["address"]
    assert "secret" not in str(wallet(client, alice)).lower()
    assert on_chain_cents(w, a_addr) == 300_00 and on_chain_cents(w, b_addr) == 0
    checking = client.get("/accounts/me", headers=auth(alice["access"]))
    assert checking.json()["balance_cents"] == 700_00, "tokenised money left the checking account"

    deadline = datetime.now(UTC) + timedelta(hours=1)
    a = open_escrow(w, 100_00, deadline)
    assert (a["payer"], a["payee"], a["status"], a["amount_cents"]) == (a_addr, b_addr, "open", 100_00)
    r = call(client, alice, f"/contracts/escrows/{a['id']}/fund")
    assert r.status_code == 200 and r.json()["status"] == "funded", r.text
    assert on_chain_cents(w, a_addr) == 200_00

    # the payee cannot release the payer's money, even stepped up: the contract wants the payer
    r = call(client, bob, f"/contracts/escrows/{a['id']}/release", token=step_up(client, bob))
    assert r.status_code == 403 and r.json()["code"] == "contract_not_authorised", r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    # release without step-up is refused before reaching the chain
    r = call(client, alice, f"/contracts/escrows/{a['id']}/release")
    assert r.status_code == 403 and r.json()["code"] == "step_up_required"
    # claim before confirmation: a typed contract error in Portuguese
    r = call(client, bob, f"/contracts/escrows/{a['id']}/claim")
    assert r.status_code == 409 and r.json()["code"] == "escrow_wrong_state", r.text
    assert "não é permitida" in r.json()["detail"]

    w["sandbox"].restart()  # state survives: balances and escrows are read back after it
    assert on_chain_cents(w, a_addr) == 200_00
    assert (
        client.get(f"/contracts/escrows/{a['id']}", headers=auth(bob["access"])).json()["status"] == "funded"
    )

    assert call(client, alice, f"/contracts/escrows/{a['id']}/confirm").json()["status"] == "confirmed"
    key = uuid.uuid4().hex
    r = call(client, bob, f"/contracts/escrows/{a['id']}/claim", key=key)
    assert r.status_code == 200 and r.json()["status"] == "released", r.text
    replay = call(client, bob, f"/contracts/escrows/{a['id']}/claim", key=key)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == r.json()
    assert on_chain_cents(w, b_addr) == 100_00

    # refund: refused up to the deadline, paid after it (the sandbox's clock moves, not ours)
    b = open_escrow(w, 50_00, deadline)
    assert call(client, alice, f"/contracts/escrows/{b['id']}/fund").status_code == 200
    stepped = step_up(client, alice)
    r = call(client, alice, f"/contracts/escrows/{b['id']}/refund", token=stepped)
    assert r.status_code == 409 and r.json()["code"] == "escrow_deadline_not_reached", r.text
    w["rpc"].call("sandboxAdvanceTime", {"seconds": 7200})
    r = call(client, alice, f"/contracts/escrows/{b['id']}/refund", token=stepped)
    assert r.status_code == 200 and r.json()["status"] == "refunded", r.text
    assert on_chain_cents(w, a_addr) == 200_00
    r = call(client, alice, f"/contracts/escrows/{b['id']}/refund", token=stepped)
    assert r.status_code == 409, "no escrow pays twice"

    # reconciliation: every transition's envelope is fetched back and its signature checked (Rust)
    h = client.get(f"/contracts/escrows/{a['id']}/history", headers=auth(alice["access"])).json()
    assert [t["status"] for t in h["transitions"]] == ["open", "funded", "confirmed", "released"]
    assert h["verified"] is True
    assert [t["signed_by"] for t in h["transitions"]] == [a_addr, a_addr, a_addr, b_addr]
    assert client.get(f"/contracts/escrows/{a['id']}", headers=auth(w["admin"]["access"])).status_code == 200

    mine = client.get("/contracts/escrows", headers=auth(alice["access"])).json()["escrows"]
    assert {(e["id"], e["status"]) for e in mine} >= {(a["id"], "released"), (b["id"], "refunded")}


def test_dispute_is_resolved_by_the_bank_only(world: dict[str, Any]) -> None:
    w, client = world, world["client"]
    alice, bob, admin = w["alice"], w["bob"], w["admin"]
    assert call(client, alice, "/contracts/wallet/deposit", {"amount_cents": 40_00}).status_code == 201
    before_a = on_chain_cents(w, wallet(client, alice)["address"])
    before_b = on_chain_cents(w, wallet(client, bob)["address"])
    c = open_escrow(w, 40_00, datetime.now(UTC) + timedelta(days=30))
    assert call(client, alice, f"/contracts/escrows/{c['id']}/fund").status_code == 200
    assert call(client, bob, f"/contracts/escrows/{c['id']}/dispute").json()["status"] == "disputed"
    r = call(client, alice, f"/contracts/escrows/{c['id']}/resolve", {"payee_share_cents": 40_00})
    assert r.status_code == 403
    r = call(client, admin, f"/contracts/escrows/{c['id']}/resolve", {"payee_share_cents": 50_00})
    assert r.status_code == 422 and r.json()["code"] == "escrow_invalid_share"
    r = call(client, admin, f"/contracts/escrows/{c['id']}/resolve", {"payee_share_cents": 10_00})
    assert r.status_code == 200, r.text
    assert (r.json()["paid_to_payee_cents"], r.json()["paid_to_payer_cents"]) == (10_00, 30_00)
    assert on_chain_cents(w, wallet(client, alice)["address"]) == before_a - 40_00 + 30_00
    assert on_chain_cents(w, wallet(client, bob)["address"]) == before_b + 10_00


def test_tampered_and_wrongly_signed_transactions_are_refused(world: dict[str, Any]) -> None:
    rpc: SorobanRpc = world["rpc"]
    server = SorobanServer(world["sandbox"].url)
    kp, other = Keypair.random(), Keypair.random()
    rpc.friendbot(kp.public_key)
    asset = Asset("BRLC", anchoring.public_key(world["client"].app.state.services.settings))

    def envelope() -> Any:
        return (
            TransactionBuilder(server.load_account(kp.public_key), PASSPHRASE, base_fee=100)
            .add_time_bounds(0, 0)
            .append_change_trust_op(asset)
            .build()
        )

    tampered = envelope()
    tampered.sign(kp)
    tampered.transaction.fee += 1  # changed after signing: the hash no longer matches
    wrong = envelope()
    wrong.sign(other)
    for tx in (tampered, wrong):
        sent = server.send_transaction(tx)
        assert sent.status == SendTransactionStatus.ERROR
        assert sent.error_result_xdr is not None
        assert (
            sx.TransactionResult.from_xdr(sent.error_result_xdr).result.code
            == sx.TransactionResultCode.txBAD_AUTH
        )
    assert rpc.trustline_balance(kp.public_key, asset) is None
    good = envelope()
    good.sign(kp)
    assert server.send_transaction(good).status == SendTransactionStatus.PENDING
    assert rpc.trustline_balance(kp.public_key, asset) == 0


def test_audit_anchor_keeps_one_root_per_day(world: dict[str, Any]) -> None:
    svc, _ = world["client"].app.state.services.contracts
    root = bytes(range(32))
    svc.anchor(20200101, root)
    svc.anchor(20200101, root)  # a retried anchor is a no-op
    assert svc.anchored_root(20200101) == root
    with pytest.raises(ContractError) as exc:
        svc.anchor(20200101, bytes(32))
    assert exc.value.number == 4
    assert svc.anchored_root(20200101) == root
    assert svc.anchored_root(20200102) is None


def test_daily_audit_anchor_goes_through_the_contract_and_verify_reads_it_back(world: dict[str, Any]) -> None:
    from deltalake import DeltaTable

    from lake import delta
    from lake.audit import trail as audit_trail
    from pipelines.audit.anchor import anchor_day

    s = world["client"].app.state.services.settings
    day = datetime.now(UTC).date()
    audit_trail.export_day(day, s)
    out = anchor_day(day, s)
    assert out["status"] == "anchored" and out["submitted"] is True, out
    svc, _ = world["client"].app.state.services.contracts
    assert svc.anchored_root(anchoring.day_number(day)) == bytes.fromhex(out["root"])
    report = audit_trail.verify_all(s)
    assert report["ok"], report
    assert [(a["day"], a["ok"]) for a in report["onchain"]] == [(day.isoformat(), True)]
    assert anchor_day(day, s)["status"] == "already_anchored"

    events = delta.read("audit.events", settings=s).sort("seq")
    victim = events.row(1, named=True)
    DeltaTable(delta.table_uri("audit.events", s)).update(
        updates={"outcome": "'forged'"}, predicate=f"event_id = '{victim['event_id']}'"
    )
    tampered = audit_trail.verify_all(s)
    assert not tampered["ok"] and tampered["lake_chain"]["first_bad_seq"] == victim["seq"]
