"""cofre_native.verify_envelopes / envelope_hashes against stellar-sdk on envelopes it builds and signs."""

from __future__ import annotations

import base64
import os
import warnings

import cofre_native as cn
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stellar_sdk import (
    Account,
    Asset,
    Claimant,
    ClaimPredicate,
    FeeBumpTransactionEnvelope,
    Keypair,
    MuxedAccount,
    Network,
    SorobanDataBuilder,
    StrKey,
    TransactionBuilder,
    TransactionEnvelope,
    TrustLineEntryFlag,
    scval,
)
from stellar_sdk import xdr as sx

PASS = Network.TESTNET_NETWORK_PASSPHRASE
SRC = Keypair.from_raw_ed25519_seed(bytes(range(32)))
COSIGNER = Keypair.from_raw_ed25519_seed(bytes(range(1, 33)))
OTHER = Keypair.from_raw_ed25519_seed(bytes(range(2, 34)))
STRANGER = Keypair.from_raw_ed25519_seed(bytes(range(3, 35)))
USD = Asset("USD", OTHER.public_key)
BRLX = Asset("BRLTOKEN0001", OTHER.public_key)
CONTRACT = StrKey.encode_contract(bytes(range(32)))
POOL_ID = "dd7b1ab831c273310ddbec6f97870aa83c2fbd78ce22aded37ecbf4f3380fac7"
BALANCE_ID = "00000000" + "da0d57da7d4850e7fc10d2a9d0ebc731f7afb40574c03395b17d49149b91f5be"


def _quiet(f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return f()


def _auth_entry() -> sx.SorobanAuthorizationEntry:
    invocation = sx.SorobanAuthorizedInvocation(
        function=sx.SorobanAuthorizedFunction(
            type=sx.SorobanAuthorizedFunctionType.SOROBAN_AUTHORIZED_FUNCTION_TYPE_CONTRACT_FN,
            contract_fn=sx.InvokeContractArgs(
                contract_address=scval.to_address(CONTRACT).address,
                function_name=sx.SCSymbol(b"transfer"),
                args=[scval.to_int128(-5), scval.to_string("x" * 7)],
            ),
        ),
        sub_invocations=[],
    )
    creds = sx.SorobanCredentials(
        type=sx.SorobanCredentialsType.SOROBAN_CREDENTIALS_ADDRESS,
        address=sx.SorobanAddressCredentials(
            address=scval.to_address(OTHER.public_key).address,
            nonce=sx.Int64(42),
            signature_expiration_ledger=sx.Uint32(1000),
            signature=scval.to_vec([scval.to_map({scval.to_symbol("k"): scval.to_bytes(b"\x01\x02\x03")})]),
        ),
    )
    return sx.SorobanAuthorizationEntry(credentials=creds, root_invocation=invocation)


# Each entry appends one or more operations of a kind (names are for failure messages).
OPS = {
    "payment": lambda b: b.append_payment_op(OTHER.public_key, USD, "10.5"),
    "payment_muxed": lambda b: b.append_payment_op(
        MuxedAccount(OTHER.public_key, 7).account_muxed, Asset.native(), "1"
    ),
    "create_account": lambda b: b.append_create_account_op(OTHER.public_key, "5"),
    "manage_data": lambda b: b.append_manage_data_op("key", b"value-bytes").append_manage_data_op(
        "gone", None
    ),
    "change_trust": lambda b: b.append_change_trust_op(BRLX, "1000"),
    "path_receive": lambda b: b.append_path_payment_strict_receive_op(
        OTHER.public_key, Asset.native(), "3", USD, "1", [BRLX, Asset.native()]
    ),
    "path_send": lambda b: b.append_path_payment_strict_send_op(OTHER.public_key, USD, "3", BRLX, "1", []),
    "set_options": lambda b: b.append_set_options_op(
        home_domain="bank.example",
        master_weight=2,
        low_threshold=1,
        med_threshold=2,
        high_threshold=3,
        inflation_dest=OTHER.public_key,
        signer=None,
    ).append_ed25519_public_key_signer(OTHER.public_key, 1),
    "offers": lambda b: (
        b.append_manage_sell_offer_op(USD, BRLX, "5", "1.5", 12)
        .append_manage_buy_offer_op(BRLX, USD, "5", "0.25")
        .append_create_passive_sell_offer_op(USD, Asset.native(), "9", "3")
    ),
    "merge_bump_inflation": lambda b: (
        b.append_account_merge_op(OTHER.public_key).append_bump_sequence_op(99).append_inflation_op()
    ),
    "allow_trust": lambda b: _quiet(
        lambda: b.append_allow_trust_op(OTHER.public_key, "BRLTOKEN0001", TrustLineEntryFlag.AUTHORIZED_FLAG)
    ),
    "claimable": lambda b: (
        b.append_create_claimable_balance_op(
            USD,
            "4",
            [
                Claimant(OTHER.public_key),
                Claimant(
                    COSIGNER.public_key,
                    ClaimPredicate.predicate_and(
                        ClaimPredicate.predicate_not(
                            ClaimPredicate.predicate_before_absolute_time(1_700_000_000)
                        ),
                        ClaimPredicate.predicate_or(
                            ClaimPredicate.predicate_before_relative_time(60),
                            ClaimPredicate.predicate_unconditional(),
                        ),
                    ),
                ),
            ],
        )
        .append_claim_claimable_balance_op(BALANCE_ID)
        .append_clawback_claimable_balance_op(BALANCE_ID)
    ),
    "sponsorship": lambda b: (
        b.append_begin_sponsoring_future_reserves_op(OTHER.public_key)
        .append_end_sponsoring_future_reserves_op()
        .append_revoke_account_sponsorship_op(OTHER.public_key)
        .append_revoke_trustline_sponsorship_op(OTHER.public_key, USD)
        .append_revoke_offer_sponsorship_op(OTHER.public_key, 3)
        .append_revoke_data_sponsorship_op(OTHER.public_key, "key")
        .append_revoke_claimable_balance_sponsorship_op(BALANCE_ID)
        .append_revoke_liquidity_pool_sponsorship_op(POOL_ID)
        .append_revoke_ed25519_public_key_signer_sponsorship_op(OTHER.public_key, COSIGNER.public_key)
        .append_revoke_hashx_signer_sponsorship_op(OTHER.public_key, bytes(32))
    ),
    "clawback_flags": lambda b: b.append_clawback_op(
        USD, OTHER.public_key, "1"
    ).append_set_trust_line_flags_op(OTHER.public_key, USD),
    "liquidity": lambda b: b.append_liquidity_pool_deposit_op(
        POOL_ID, "1", "2", "0.5", "2"
    ).append_liquidity_pool_withdraw_op(POOL_ID, "1", "0.1", "0.2"),
    "op_source": lambda b: b.append_payment_op(
        OTHER.public_key, Asset.native(), "1", source=COSIGNER.public_key
    ),
}

SOROBAN_OPS = {
    "invoke": lambda b: b.append_invoke_contract_function_op(
        CONTRACT,
        "hello",
        [
            scval.to_uint64(2**63),
            scval.to_int256(-(2**200)),
            scval.to_symbol("sym"),
            scval.to_bool(True),
            scval.to_void(),
            scval.to_vec([scval.to_uint32(1), scval.to_vec([])]),
            scval.to_address(OTHER.public_key),
            scval.to_timepoint(5),
            scval.to_duration(6),
            scval.to_bytes(b"\x00" * 33),
        ],
        auth=[_auth_entry()],
    ),
    "upload": lambda b: b.append_upload_contract_wasm_op(b"\x00asm" + bytes(61)),
    "create": lambda b: b.append_create_contract_op(
        bytes(32), OTHER.public_key, [scval.to_int32(-1)], salt=bytes(range(32))
    ),
    "extend": lambda b: b.append_extend_footprint_ttl_op(1234),
    "restore": lambda b: b.append_restore_footprint_op(),
}


def _soroban_data() -> sx.SorobanTransactionData:
    ro = sx.LedgerKey(
        type=sx.LedgerEntryType.CONTRACT_DATA,
        contract_data=sx.LedgerKeyContractData(
            contract=scval.to_address(CONTRACT).address,
            key=scval.to_symbol("balance"),
            durability=sx.ContractDataDurability.PERSISTENT,
        ),
    )
    rw = sx.LedgerKey(
        type=sx.LedgerEntryType.ACCOUNT,
        account=sx.LedgerKeyAccount(Keypair.from_public_key(OTHER.public_key).xdr_account_id()),
    )
    return (
        SorobanDataBuilder()
        .set_read_only([ro])
        .set_read_write([rw])
        .set_resources(1000, 200, 300)
        .set_resource_fee(77)
        .build()
    )


def build(
    op_names: list[str],
    memo: str = "none",
    signers: tuple[Keypair, ...] = (SRC,),
    preconditions: bool = False,
    muxed_source: bool = False,
    soroban: str | None = None,
) -> TransactionEnvelope:
    source = MuxedAccount(SRC.public_key, 123).account_muxed if muxed_source else SRC.public_key
    b = TransactionBuilder(Account(source, 1000), PASS, base_fee=100)
    for name in op_names:
        OPS[name](b)
    if soroban:
        SOROBAN_OPS[soroban](b)
        b.set_soroban_data(_soroban_data())
    {
        "none": lambda: None,
        "text": lambda: b.add_text_memo("pix 🇧🇷"),
        "id": lambda: b.add_id_memo(2**64 - 1),
        "hash": lambda: b.add_hash_memo(bytes(range(32))),
        "return": lambda: b.add_return_hash_memo(bytes(32)),
    }[memo]()
    if preconditions:
        b.add_time_bounds(1, 2**40).set_ledger_bounds(5, 0).set_min_sequence_number(7)
        b.set_min_sequence_age(30).set_min_sequence_ledger_gap(2).add_extra_signer(OTHER.public_key)
    else:
        b.set_timeout(300)
    te = b.build()
    for kp in signers:
        te.sign(kp)
    return te


def check(envelopes, keys, passphrase=PASS):
    return cn.verify_envelopes(
        [e.to_xdr() if not isinstance(e, str) else e for e in envelopes], passphrase, keys
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(st.sampled_from(sorted(OPS)), min_size=1, max_size=4),
    memo=st.sampled_from(["none", "text", "id", "hash", "return"]),
    preconditions=st.booleans(),
    muxed=st.booleans(),
    soroban=st.none() | st.sampled_from(sorted(SOROBAN_OPS)),
    cosign=st.booleans(),
    fee_bump=st.booleans(),
)
def test_matches_stellar_sdk(ops, memo, preconditions, muxed, soroban, cosign, fee_bump):
    if soroban:
        ops = []  # a Soroban transaction carries exactly one operation
    signers = (SRC, COSIGNER) if cosign else (SRC,)
    te = build(ops, memo, signers, preconditions, muxed, soroban)
    allowed = [SRC.public_key, COSIGNER.public_key]
    if fee_bump:
        te = TransactionBuilder.build_fee_bump_transaction(OTHER.public_key, 500, te, PASS)
        te.sign(OTHER)
        allowed.append(OTHER.public_key)
    xdr = te.to_xdr()
    # The hash we compute is stellar-sdk's, and the reference verifier agrees with us.
    assert cn.envelope_hashes([xdr], PASS) == [te.hash()]
    for sig in te.signatures:
        assert any(
            Keypair.from_public_key(k).signature_hint() == sig.signature_hint
            and _sdk_verify(k, te.hash(), sig.signature)
            for k in allowed
        )
    assert cn.verify_envelopes([xdr], PASS, [allowed]) == [True]
    assert cn.verify_envelopes([xdr], Network.PUBLIC_NETWORK_PASSPHRASE, [allowed]) == [False]
    # A signer that is not allowed makes the envelope invalid.
    assert cn.verify_envelopes([xdr], PASS, [[k for k in allowed if k != SRC.public_key]]) == [False]


def _sdk_verify(public_key: str, data: bytes, signature: bytes) -> bool:
    try:
        Keypair.from_public_key(public_key).verify(data, signature)
        return True
    except Exception:
        return False


def test_v0_envelope():
    te = build(["payment", "manage_data"], memo="text", signers=())
    te.transaction.v1 = False
    te.sign(SRC)
    xdr = te.to_xdr()
    assert sx.TransactionEnvelope.from_xdr(xdr).type == sx.EnvelopeType.ENVELOPE_TYPE_TX_V0
    assert cn.envelope_hashes([xdr], PASS) == [TransactionEnvelope.from_xdr(xdr, PASS).hash()]
    assert cn.verify_envelopes([xdr], PASS, [[SRC.public_key]]) == [True]
    assert cn.verify_envelopes([xdr], PASS, [[OTHER.public_key]]) == [False]


def test_fee_bump_inner_signatures_are_checked():
    inner = build(["payment"], signers=(SRC,))
    fb = TransactionBuilder.build_fee_bump_transaction(OTHER.public_key, 500, inner, PASS)
    fb.sign(OTHER)
    assert check([fb], [[SRC.public_key, OTHER.public_key]]) == [True]
    assert check([fb], [[OTHER.public_key]]) == [False]  # inner signer not allowed
    unsigned_outer = FeeBumpTransactionEnvelope.from_xdr(fb.to_xdr(), PASS)
    unsigned_outer.signatures = []
    assert check([unsigned_outer], [[SRC.public_key, OTHER.public_key]]) == [False]


def test_no_signatures_stranger_and_batch_mix():
    good = build(["payment"])
    unsigned = build(["payment"], signers=())
    stranger = build(["payment"], signers=(STRANGER,))
    half = build(["payment"], signers=(SRC, STRANGER))
    envs = [good, unsigned, stranger, half] * 20 + [good]
    got = check(envs, [[SRC.public_key, COSIGNER.public_key]] * len(envs))
    assert got == [True, False, False, False] * 20 + [True]


def test_wrong_signature_same_hint_falls_back():
    te = build(["payment"])
    raw = bytearray(base64.b64decode(te.to_xdr()))
    raw[-1] ^= 0x01  # last byte of the last signature
    bad = base64.b64encode(bytes(raw)).decode()
    envs = [te.to_xdr()] * 10 + [bad] + [te.to_xdr()] * 10
    got = cn.verify_envelopes(envs, PASS, [[SRC.public_key]] * len(envs))
    assert got == [True] * 10 + [False] + [True] * 10


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_tampered_byte_never_verifies(data):
    te = build(["payment", "set_options"], memo="text", signers=(SRC, COSIGNER))
    raw = bytearray(base64.b64decode(te.to_xdr()))
    pos = data.draw(st.integers(0, len(raw) - 1))
    raw[pos] ^= data.draw(st.integers(1, 255))
    env = base64.b64encode(bytes(raw)).decode()
    try:
        assert cn.verify_envelopes([env], PASS, [[SRC.public_key, COSIGNER.public_key]]) == [False]
    except ValueError as e:
        assert "envelope 0" in str(e)


def test_malformed_inputs_name_the_index():
    good = build(["payment"]).to_xdr()
    raw = base64.b64decode(good)
    cases = {
        "not base64 !!": "bad base64",
        base64.b64encode(raw[:-10]).decode(): "truncated",
        base64.b64encode(raw + b"\x00\x00\x00\x00").decode(): "trailing",
        base64.b64encode(b"\x00\x00\x00\x09" + raw[4:]).decode(): "EnvelopeType",
    }
    for env, reason in cases.items():
        with pytest.raises(cn.EnvelopeError, match=rf"envelope 1: .*{reason}"):
            cn.verify_envelopes([good, env], PASS, [[SRC.public_key]] * 2)
        with pytest.raises(ValueError, match=r"envelope 1"):
            cn.envelope_hashes([good, env], PASS)
    with pytest.raises(cn.EnvelopeError, match=r"envelope 1: public key"):
        cn.verify_envelopes([good, good], PASS, [[SRC.public_key], [SRC.public_key[:-1] + "A"]])
    with pytest.raises(cn.ArgumentError, match="entries"):
        cn.verify_envelopes([good, good], PASS, [[SRC.public_key]])
    # Random garbage never crashes the interpreter.
    for n in (0, 1, 3, 4, 8, 64, 500):
        env = base64.b64encode(os.urandom(n)).decode()
        try:
            cn.verify_envelopes([env], PASS, [[SRC.public_key]])
        except ValueError as e:
            assert "envelope 0" in str(e)


def test_many_envelopes_parallel():
    envs = [build(["payment"], memo="id").to_xdr() for _ in range(3)] * 100
    assert cn.verify_envelopes(envs, PASS, [[SRC.public_key]] * len(envs)) == [True] * len(envs)


@pytest.mark.parametrize("kind", sorted(SOROBAN_OPS))
def test_every_soroban_operation(kind):
    te = build([], soroban=kind, preconditions=True)
    xdr = te.to_xdr()
    assert cn.envelope_hashes([xdr], PASS) == [te.hash()]
    assert cn.verify_envelopes([xdr], PASS, [[SRC.public_key]]) == [True]


@pytest.mark.parametrize("threads", [1, 2, None])
def test_bad_signatures_in_large_batches_are_isolated(threads, monkeypatch):
    # 2500 envelopes span several batches of up to 1024; a failing batch is bisected, so every
    # bad one (first, last, adjacent, scattered) must come out False and all others True.
    monkeypatch.delenv("COFRE_NATIVE_THREADS", raising=False)
    te = build(["payment"], memo="id")
    raw = bytearray(base64.b64decode(te.to_xdr()))
    raw[-1] ^= 0x01
    good, bad = te.to_xdr(), base64.b64encode(bytes(raw)).decode()
    bad_at = {0, 511, 512, 513, 1023, 1024, 1777, 2499}
    envs = [bad if i in bad_at else good for i in range(2500)]
    got = cn.verify_envelopes(envs, PASS, [[SRC.public_key]] * len(envs), threads=threads)
    assert got == [i not in bad_at for i in range(2500)]


def test_threads_argument_and_environment(monkeypatch):
    envs = [build(["payment"]).to_xdr()] * 3
    keys = [[SRC.public_key]] * 3
    with pytest.raises(cn.ThreadsError, match="threads"):
        cn.verify_envelopes(envs, PASS, keys, threads=0)
    monkeypatch.setenv("COFRE_NATIVE_THREADS", "two")
    with pytest.raises(cn.ThreadsError, match="COFRE_NATIVE_THREADS"):
        cn.envelope_hashes(envs, PASS)
    monkeypatch.setenv("COFRE_NATIVE_THREADS", "1")
    assert cn.verify_envelopes(envs, PASS, keys) == [True] * 3
    assert cn.verify_envelopes(envs, PASS, keys, threads=2) == [True] * 3  # argument wins


# ---------------------------------------------------------------- adversarial mixes
# verify_envelopes picks a strategy per group of envelopes from the failure rate it observes
# (merged batches, bad signatures located from the batch sums, or one signature at a time with
# per-key tables); whatever it picks, each answer must be stellar-sdk's per-signature verdict.

ALLOWED = [SRC.public_key, COSIGNER.public_key, OTHER.public_key]


def _sdk_reference(xdr: str, allowed: list[str]) -> bool:
    """Per-signature verification with stellar-sdk (libsodium): every signature group is
    non-empty and every signature verifies by an allowed key whose hint matches."""
    env = TransactionBuilder.from_xdr(xdr, PASS)
    groups = [(env.hash(), env.signatures)]
    if isinstance(env, FeeBumpTransactionEnvelope):
        inner = env.transaction.inner_transaction_envelope
        groups.append((inner.hash(), inner.signatures))
    for tx_hash, sigs in groups:
        if not sigs:
            return False
        for sig in sigs:
            keys = [k for k in allowed if Keypair.from_public_key(k).signature_hint() == sig.signature_hint]
            if not any(_sdk_verify(k, tx_hash, sig.signature) for k in keys):
                return False
    return True


def _resigned(te: TransactionEnvelope, signers, passphrase: str) -> str:
    """The same transaction with its signatures replaced by ones over `passphrase`'s hash."""
    other = TransactionEnvelope.from_xdr(te.to_xdr(), passphrase)
    other.signatures = []
    for kp in signers:
        other.sign(kp)
    return other.to_xdr()


def _flip(xdr: str, pos: int) -> str:
    raw = bytearray(base64.b64decode(xdr))
    raw[pos] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _variants(i: int) -> dict[str, str]:
    """Envelope i in every flavour the mixes draw from."""
    b = TransactionBuilder(Account(SRC.public_key, 1000 + i), PASS, base_fee=100)
    te = b.append_payment_op(OTHER.public_key, Asset.native(), "1").add_id_memo(i).set_timeout(300).build()
    te.sign(SRC)
    cosigned = TransactionEnvelope.from_xdr(te.to_xdr(), PASS)
    cosigned.sign(COSIGNER)
    fee_bump = TransactionBuilder.build_fee_bump_transaction(OTHER.public_key, 500, te, PASS)
    fee_bump.sign(OTHER)
    return {
        "valid": te.to_xdr(),
        "cosigned": cosigned.to_xdr(),
        "fee_bump": fee_bump.to_xdr(),
        "wrong_network": _resigned(te, [SRC], Network.PUBLIC_NETWORK_PASSPHRASE),
        "cosigner_forged": _cosigner_forged(te),
        "r_flipped": _flip(te.to_xdr(), -64),  # first byte of R
        "s_flipped": _flip(te.to_xdr(), -2),  # a byte of s
        "stranger": _resigned(te, [STRANGER], PASS),
        "unsigned": _resigned(te, [], PASS),
        "fee_bump_bad_inner": _bad_inner_fee_bump(te),
    }


def _cosigner_forged(te: TransactionEnvelope) -> str:
    """Valid source signature plus a cosigner signature over the wrong network."""
    forged = TransactionEnvelope.from_xdr(te.to_xdr(), Network.PUBLIC_NETWORK_PASSPHRASE)
    forged.sign(COSIGNER)
    both = TransactionEnvelope.from_xdr(te.to_xdr(), PASS)
    both.signatures.append(forged.signatures[-1])
    return both.to_xdr()


def _bad_inner_fee_bump(te: TransactionEnvelope) -> str:
    inner = TransactionEnvelope.from_xdr(_resigned(te, [SRC], Network.PUBLIC_NETWORK_PASSPHRASE), PASS)
    fb = TransactionBuilder.build_fee_bump_transaction(OTHER.public_key, 500, inner, PASS)
    fb.sign(OTHER)
    return fb.to_xdr()


POOL = [_variants(i) for i in range(24)]
KINDS = sorted(POOL[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(1, 120)), min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    threads=st.sampled_from([1, None]),
)
def test_mixed_batches_match_per_signature_verification(runs, seed, threads):
    # Runs of one flavour (a burst of forgeries, a stretch of valid envelopes, ...) so the
    # verifier moves between batching and one-at-a-time checking within one call.
    import random

    rng = random.Random(seed)
    envs = [POOL[rng.randrange(len(POOL))][kind] for kind, n in runs for _ in range(n)]
    want = [_sdk_reference(e, ALLOWED) for e in envs]
    assert cn.verify_envelopes(envs, PASS, [ALLOWED] * len(envs), threads=threads) == want


@pytest.mark.parametrize("bad_share", [0.0, 0.01, 0.05, 0.25, 1.0])
def test_failure_rates_of_the_benchmark_match_stellar_sdk(bad_share):
    import random

    rng = random.Random(7)
    n = 1500
    bad = set(rng.sample(range(n), round(bad_share * n)))
    flavours = ["wrong_network", "s_flipped", "r_flipped", "cosigner_forged"]
    envs = [
        POOL[i % len(POOL)][flavours[i % 4] if i in bad else ("valid", "cosigned")[i % 2]] for i in range(n)
    ]
    want = [_sdk_reference(e, ALLOWED) for e in envs]
    assert want.count(False) == len(bad)
    assert cn.verify_envelopes(envs, PASS, [ALLOWED] * n, threads=1) == want
    # A burst of forgeries after a long valid stretch, and valid envelopes after a burst.
    envs = envs[:700] + [POOL[i % 24]["wrong_network"] for i in range(300)] + envs[700:]
    want = want[:700] + [False] * 300 + want[700:]
    assert cn.verify_envelopes(envs, PASS, [ALLOWED] * len(envs), threads=1) == want
