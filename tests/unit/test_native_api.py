"""The typed facade ``cofre_native`` over the Rust extension ``cofre_native._native``: the stub
cannot drift from the extension, the facade cannot drift from either, the exceptions form one
hierarchy (created in Rust, all ValueErrors), results are typed, and the fallbacks of an unbuilt
checkout live in the facade."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import cofre_native
import numpy as np
import pytest
from cofre_native import _native

STUB = Path(__file__).resolve().parents[2] / "native" / "python" / "cofre_native" / "_native.pyi"
EXCEPTIONS = {
    "CofreNativeError",
    "ArgumentError",
    "ThreadsError",
    "ArrowInputError",
    "LedgerError",
    "EnvelopeError",
    "JsonDeclinedError",
    "WindowInputError",
}


def _runtime_names() -> dict[str, str]:
    out = {}
    for name, obj in vars(_native).items():
        if name.startswith("_") and name not in ("__version__", "__all__"):
            continue
        out[name] = "class" if isinstance(obj, type) else "function" if callable(obj) else "value"
    return out


def _stub() -> ast.Module:
    return ast.parse(STUB.read_text())


def _stub_names(tree: ast.Module) -> dict[str, str]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = "function"
        elif isinstance(node, ast.ClassDef):
            out[node.name] = "class"
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = "value"
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = "value"
    return out


def _stub_params(fn: ast.FunctionDef) -> list[tuple[str, str, object]]:
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [inspect.Parameter.empty] * (len(positional) - len(a.defaults)) + [
        ast.literal_eval(d) for d in a.defaults
    ]
    out = [(p.arg, "POSITIONAL_OR_KEYWORD", d) for p, d in zip(positional, defaults, strict=True)]
    out += [
        (p.arg, "KEYWORD_ONLY", inspect.Parameter.empty if d is None else ast.literal_eval(d))
        for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)
    ]
    return out


def _params(fn) -> list[tuple[str, str, object]]:
    return [(p.name, p.kind.name, p.default) for p in inspect.signature(fn).parameters.values()]


def test_stub_passes_mypy_stubtest(tmp_path, capsys):
    """mypy's stubtest against the built extension (abi3 builtins carry __text_signature__),
    reading the stub from the source tree (mypy_path) so an edit without a rebuild is checked."""
    stubtest = pytest.importorskip("mypy.stubtest")
    cfg = tmp_path / "mypy.ini"
    cfg.write_text(f"[mypy]\nignore_missing_imports = True\nmypy_path = {STUB.parents[1]}\n")
    rc = stubtest.test_stubs(stubtest.parse_options(["cofre_native._native", "--mypy-config-file", str(cfg)]))
    assert rc == 0, capsys.readouterr().out


def test_stub_declares_exactly_the_extension():
    tree = _stub()
    assert _stub_names(tree) == _runtime_names()
    stub_all = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__")
    assert sorted(ast.literal_eval(stub_all.value)) == sorted(_native.__all__)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            assert _stub_params(node) == _params(getattr(_native, node.name)), node.name
        if isinstance(node, ast.ClassDef):
            runtime = getattr(_native, node.name)
            assert [ast.unparse(b) for b in node.bases] == [runtime.__base__.__name__], node.name


def test_stub_drift_is_detected(tmp_path, monkeypatch):
    # The check above is not vacuous: a stub missing a function or with a renamed parameter fails.
    tree = _stub()
    tree.body = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name == "json_decode")]
    assert _stub_names(tree) != _runtime_names()
    fn = next(n for n in _stub().body if isinstance(n, ast.FunctionDef) and n.name == "verify_chain")
    fn.args.args[0].arg = "prev"
    assert _stub_params(fn) != _params(_native.verify_chain)


def test_facade_covers_the_extension_with_the_same_signatures():
    names = _runtime_names()
    assert set(names) - {"__version__", "__all__"} <= set(cofre_native.__all__)
    for name, kind in names.items():
        if kind == "function":
            assert _params(getattr(cofre_native, name)) == _params(getattr(_native, name)), name
        if kind == "class":
            assert getattr(cofre_native, name) is getattr(_native, name)
    assert cofre_native.__version__ == _native.__version__ == cofre_native.version()
    assert (Path(cofre_native.__file__).parent / "py.typed").exists()


def test_exceptions_are_one_hierarchy_of_value_errors_created_in_rust():
    assert {n for n, k in _runtime_names().items() if k == "class"} == EXCEPTIONS
    for name in EXCEPTIONS:
        cls = getattr(cofre_native, name)
        assert issubclass(cls, cofre_native.CofreNativeError) and issubclass(cls, ValueError)
        assert cls.__module__ == "cofre_native"


def _envelope() -> tuple[str, str]:
    from stellar_sdk import Account, Keypair, Network, TransactionBuilder

    kp = Keypair.from_raw_ed25519_seed(bytes(32))
    te = (
        TransactionBuilder(Account(kp.public_key, 1), Network.TESTNET_NETWORK_PASSPHRASE, base_fee=100)
        .append_bump_sequence_op(5)
        .set_timeout(60)
        .build()
    )
    te.sign(kp)
    return te.to_xdr(), kp.public_key


def test_each_kind_of_bad_input_raises_its_exception(monkeypatch):
    import polars as pl

    good, key = _envelope()
    with pytest.raises(cofre_native.EnvelopeError, match="envelope 1: bad base64") as e:
        cofre_native.envelope_hashes([good, "not base64 !!"], "p")
    assert e.value.index == 1
    with pytest.raises(cofre_native.EnvelopeError, match="envelope 2: truncated") as e:
        cofre_native.verify_envelopes([good, good, "AAAA"], "p", [[key]] * 3)
    assert e.value.index == 2
    with pytest.raises(cofre_native.EnvelopeError, match="public key") as e:
        cofre_native.verify_envelopes([good], "p", [["GNOTAKEY"]])
    assert e.value.index == 0
    with pytest.raises(cofre_native.ArgumentError, match="entries"):
        cofre_native.verify_envelopes([good, good], "p", [[key]])
    with pytest.raises(cofre_native.LedgerError, match="31 bytes"):
        cofre_native.chain_hash(bytes(31), b"x")
    with pytest.raises(cofre_native.ArgumentError, match="n_features"):
        cofre_native.feature_hash(pl.DataFrame({"a": ["x"]}), 0)
    with pytest.raises(cofre_native.ArrowInputError, match="unsupported"):
        cofre_native.feature_hash(pl.DataFrame({"a": [[1]]}))
    with pytest.raises(cofre_native.ThreadsError, match="threads"):
        cofre_native.merkle_root([b"a"], threads=0)
    monkeypatch.setenv("COFRE_NATIVE_THREADS", "two")
    with pytest.raises(cofre_native.ThreadsError, match="COFRE_NATIVE_THREADS"):
        cofre_native.merkle_root([b"a"])
    monkeypatch.delenv("COFRE_NATIVE_THREADS")
    rows = b'{"a": 1}[1]'
    offsets = np.array([0, 8, len(rows)], dtype=np.int64)
    with pytest.raises(cofre_native.JsonDeclinedError, match="row 1"):
        cofre_native.json_decode(
            [("", "struct", [1]), ("a", "i64", [])], offsets, np.frombuffer(rows, np.uint8)
        )
    z, b = np.zeros(2, dtype=np.int64), np.zeros(2, dtype=bool)
    with pytest.raises(cofre_native.WindowInputError, match="sorted"):
        cofre_native.window_features(np.array([1, 0]), z, z, z, b, b, z[:0], z[:0], z[:0], z[:0], [5], [5], 5)
    with pytest.raises(TypeError):  # wrong Python types stay TypeError
        cofre_native.chain_hash("not bytes", b"x")  # type: ignore[arg-type]
    with pytest.raises(IndexError):
        cofre_native.merkle_proof([b"a"], 3)


def test_window_features_come_back_as_a_dataclass():
    cid = np.array([1, 1, 1, 2], dtype=np.int64)
    t = np.array([0, 10, 20, 5], dtype=np.int64)
    amount = np.array([100, 250, 50, 7], dtype=np.int64)
    cp = np.array([3, 3, 4, 3], dtype=np.int64)
    yes, no = np.ones(4, dtype=bool), np.zeros(4, dtype=bool)
    login = (np.array([1], dtype=np.int64), np.array([15], dtype=np.int64))
    none = np.zeros(0, dtype=np.int64)
    args = (cid, t, amount, cp, yes, no, *login, none, none, [15, 100], [100], 100)
    wf = cofre_native.window_features(*args)
    assert isinstance(wf, cofre_native.WindowFeatures)
    raw = _native.window_features(*args)
    assert [a.tolist() for a in wf.counts] == [a.tolist() for a in raw[0]]
    assert [a.tolist() for a in wf.counts] == [[0, 1, 1, 0], [0, 1, 2, 0]]
    assert [a.tolist() for a in wf.sums] == [[0, 100, 250, 0], [0, 100, 350, 0]]
    assert wf.distinct[0].tolist() == [0, 1, 1, 0]
    assert wf.first_counterparty.tolist() == [True, False, True, True]
    assert wf.has_login.tolist() == [False, False, True, False] and wf.last_login[2] == 15
    assert not wf.has_device_change.any()
    assert wf.max_null.tolist() == [True, False, False, True] and wf.max_amount[1:3].tolist() == [100, 250]


def test_merkle_proof_steps_are_named_tuples():
    steps = cofre_native.merkle_proof([b"a", b"b", b"c"], 2)
    assert all(isinstance(s, cofre_native.MerkleStep) for s in steps)
    assert steps[0].sibling_is_left and len(steps[0].sibling) == 32
    assert cofre_native.verify_merkle_proof(b"c", steps, cofre_native.merkle_root([b"a", b"b", b"c"]))


def test_fallbacks_of_an_unbuilt_checkout_live_in_the_facade(monkeypatch):
    from lake import pseudonym

    key, values = b"k" * 32, ["12345678909", "ção", "", b"raw"]
    payloads = [b"a", b"bb", b"ccc"]
    native = (
        cofre_native.hmac_sha256_hex(key, values),
        cofre_native.hmac_sha256_u64(key, values),
        cofre_native.chain_hashes(bytes(32), payloads),
    )
    hashes = native[2]
    prevs = [bytes(32), *hashes[:-1]]
    monkeypatch.setattr(cofre_native, "_ext", None)
    assert not cofre_native.available() and pseudonym.backend() == "python"
    assert cofre_native.hmac_sha256_hex(key, values) == native[0]
    assert cofre_native.hmac_sha256_u64(key, values) == native[1]
    assert cofre_native.chain_hashes(bytes(32), payloads) == hashes
    assert cofre_native.chain_hash(bytes(32), b"a") == hashes[0]
    assert cofre_native.verify_chain(prevs, payloads, hashes) is None
    assert cofre_native.verify_chain(prevs, payloads, [hashes[0], hashes[2], hashes[2]]) == 1
    with pytest.raises(cofre_native.LedgerError, match="record 0: hash"):
        cofre_native.verify_chain(prevs, payloads, [b"short", *hashes[1:]])
    with pytest.raises(cofre_native.NativeUnavailableError, match="make env"):
        cofre_native.merkle_root(payloads)
    assert isinstance(cofre_native.NativeUnavailableError("x"), ImportError)
