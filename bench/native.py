"""Benchmark of cofre_native against its Python peers (run: python -m bench.native).

Prints, from one run on the same data: feature hashing rows/s vs sklearn FeatureHasher,
Stellar signature verification µs/signature vs stellar-sdk Keypair.verify (PyNaCl), single
thread (RAYON_NUM_THREADS=1, in a child process) and all cores, hash-chain verification
records/s vs a hashlib loop, and HMAC pseudonymisation values/s vs the hmac module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

import numpy as np

ROWS = int(os.environ.get("BENCH_NATIVE_ROWS", 1_000_000))
ENVELOPES = int(os.environ.get("BENCH_NATIVE_ENVELOPES", 2_000))
RECORDS = int(os.environ.get("BENCH_NATIVE_RECORDS", 1_000_000))
PASSPHRASE = "Test SDF Network ; September 2015"


def _best(f, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def _frame(n: int):
    import polars as pl

    rng = np.random.default_rng(0)
    cols = {
        "merchant": rng.integers(0, 50_000, n),
        "city": rng.integers(0, 5_000, n),
        "channel": rng.integers(0, 6, n),
        "device": rng.integers(0, 200_000, n),
        "bank": rng.integers(0, 300, n),
    }
    return pl.DataFrame({k: [f"{k[:2]}{v}" for v in vals.tolist()] for k, vals in cols.items()})


def bench_feature_hash() -> dict:
    import cofre_native as cn
    from sklearn.feature_extraction import FeatureHasher

    df = _frame(ROWS)
    names = df.columns
    tokens = [[f"{c}={v}" for c, v in zip(names, row, strict=True)] for row in df.iter_rows()]
    hasher = FeatureHasher(2**20, input_type="string")
    t_sk = _best(lambda: hasher.transform(tokens), repeat=1)
    t_cn = _best(lambda: cn.feature_hash(df, 2**20))
    a, b = cn.feature_hash(df, 2**20), hasher.transform(tokens)
    assert (a.indices == b.indices).all() and (a.data == b.data).all() and (a.indptr == b.indptr).all()
    return {"rows": ROWS, "sklearn_rows_s": ROWS / t_sk, "native_rows_s": ROWS / t_cn}


def _envelopes(n: int):
    from stellar_sdk import Account, Asset, Keypair, TransactionBuilder

    keys = [Keypair.from_raw_ed25519_seed(bytes([i]) * 32) for i in range(8)]
    dest = Keypair.from_raw_ed25519_seed(bytes([99]) * 32).public_key
    out = []
    for i in range(n):
        kp = keys[i % len(keys)]
        te = (
            TransactionBuilder(Account(kp.public_key, i), PASSPHRASE, base_fee=100)
            .append_payment_op(dest, Asset.native(), "1.5")
            .add_id_memo(i)
            .set_timeout(300)
            .build()
        )
        te.sign(kp)
        out.append((te, kp))
    return out, [k.public_key for k in keys]


def bench_verify_native(envs_b64, allowed) -> float:
    import cofre_native as cn

    keys = [allowed] * len(envs_b64)
    assert all(cn.verify_envelopes(envs_b64, PASSPHRASE, keys))
    return _best(lambda: cn.verify_envelopes(envs_b64, PASSPHRASE, keys)) / len(envs_b64)


def bench_signatures() -> dict:
    from stellar_sdk import Keypair

    signed, allowed = _envelopes(ENVELOPES)
    items = [(Keypair.from_public_key(kp.public_key), te.hash(), te.signatures[0].signature) for te, kp in signed]

    def sdk():
        for k, h, s in items:
            k.verify(h, s)

    t_sdk = _best(sdk) / len(items)
    envs = [te.to_xdr() for te, _ in signed]
    t_all = bench_verify_native(envs, allowed)
    child = subprocess.run(
        [sys.executable, "-m", "bench.native", "--verify-single"],
        input=json.dumps({"envs": envs, "allowed": allowed}),
        capture_output=True,
        text=True,
        env={**os.environ, "RAYON_NUM_THREADS": "1"},
        check=True,
    )
    t_one = float(child.stdout.strip().splitlines()[-1])
    return {"signatures": len(items), "sdk_us": t_sdk * 1e6, "native_1t_us": t_one * 1e6, "native_all_us": t_all * 1e6}


def bench_chain() -> dict:
    import cofre_native as cn

    payloads = [
        json.dumps({"seq": i, "actor": f"user{i % 997}", "action": "pix.transfer", "amount_cents": i * 13}).encode()
        for i in range(RECORDS)
    ]
    genesis = bytes(32)
    hashes = cn.chain_hashes(genesis, payloads)
    prevs = [genesis, *hashes[:-1]]
    assert cn.verify_chain(prevs, payloads, hashes) is None

    def py_loop():
        for i in range(len(payloads)):
            if i and prevs[i] != hashes[i - 1]:
                return i
            if hashlib.sha256(prevs[i] + payloads[i]).digest() != hashes[i]:
                return i
        return None

    t_py = _best(py_loop, repeat=1)
    t_cn = _best(lambda: cn.verify_chain(prevs, payloads, hashes))
    return {"records": RECORDS, "python_rec_s": RECORDS / t_py, "native_rec_s": RECORDS / t_cn}


def bench_hmac() -> dict:
    import cofre_native as cn

    key = b"k" * 32
    values = [f"{i:011d}" for i in range(200_000)]
    t_py = _best(lambda: [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values], repeat=1)
    t_cn = _best(lambda: cn.hmac_sha256_hex(key, values))
    return {"values": len(values), "python_v_s": len(values) / t_py, "native_v_s": len(values) / t_cn}


def main() -> None:
    print(f"cores: {os.cpu_count()}")
    fh = bench_feature_hash()
    print(
        f"feature_hash {fh['rows']:,} rows x 5 str cols -> 2^20: native {fh['native_rows_s'] / 1e6:.2f} M rows/s, "
        f"sklearn {fh['sklearn_rows_s'] / 1e6:.3f} M rows/s, ratio {fh['native_rows_s'] / fh['sklearn_rows_s']:.1f}x"
    )
    sg = bench_signatures()
    print(
        f"verify_envelopes {sg['signatures']:,} sigs: stellar-sdk Keypair.verify {sg['sdk_us']:.1f} us/sig; "
        f"native 1 thread {sg['native_1t_us']:.1f} us/sig (per-core ratio {sg['sdk_us'] / sg['native_1t_us']:.1f}x, "
        f"incl. base64+XDR parse+tx hash); all cores {sg['native_all_us']:.1f} us/sig "
        f"(ratio {sg['sdk_us'] / sg['native_all_us']:.1f}x)"
    )
    ch = bench_chain()
    print(
        f"verify_chain {ch['records']:,} records: native {ch['native_rec_s'] / 1e6:.2f} M rec/s, "
        f"hashlib loop {ch['python_rec_s'] / 1e6:.2f} M rec/s, ratio {ch['native_rec_s'] / ch['python_rec_s']:.1f}x"
    )
    hm = bench_hmac()
    print(
        f"hmac_sha256_hex {hm['values']:,} values: native {hm['native_v_s'] / 1e6:.2f} M/s, "
        f"hmac module {hm['python_v_s'] / 1e6:.2f} M/s, ratio {hm['native_v_s'] / hm['python_v_s']:.1f}x"
    )


if __name__ == "__main__":
    if "--verify-single" in sys.argv:
        job = json.loads(sys.stdin.read())
        print(bench_verify_native(job["envs"], job["allowed"]))
    else:
        main()
