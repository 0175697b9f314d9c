//! cofre_native._native: the Rust core of cofre (feature hashing, pseudonymisation, ledger
//! and Stellar signature verification, JSON payload decoding, window features). This file
//! only binds Python to the pure-Rust modules and defines the exceptions; heavy work runs
//! with the GIL released (`py.allow_threads`) on rayon's thread pool. Python code uses the
//! typed facade `cofre_native` (python/cofre_native/__init__.py), not this module.
use std::collections::HashMap;

use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::RecordBatch;
use arrow_array::RecordBatchReader;
use pyo3::create_exception;
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyCapsule, PyList, PyString, PyTuple};

mod batchverify;
mod featurehash;
mod fixedbase;
mod jsondecode;
mod ledger;
mod murmur;
mod pool;
mod pseudo;
mod stellar;
mod strkey;
mod windows;
mod xdr;

// ---------------------------------------------------------------- exceptions
//
// One base class, a ValueError so that `except ValueError` keeps working, and one subclass
// per kind of bad input. Wrong Python types stay TypeError, an index out of range IndexError.

create_exception!(
    cofre_native,
    CofreNativeError,
    PyValueError,
    "Base class of the errors cofre_native raises about the values it is given (a ValueError)."
);
create_exception!(
    cofre_native,
    ArgumentError,
    CofreNativeError,
    "An argument outside what the function accepts (a size, a kind name, mismatched lengths)."
);
create_exception!(
    cofre_native,
    ThreadsError,
    CofreNativeError,
    "threads=... or COFRE_NATIVE_THREADS is not a positive integer, or the pool cannot start."
);
create_exception!(
    cofre_native,
    ArrowInputError,
    CofreNativeError,
    "The Arrow stream cannot be read, or has a column type feature_hash does not take."
);
create_exception!(
    cofre_native,
    LedgerError,
    CofreNativeError,
    "A hash-chain or Merkle input is malformed (a hash that is not 32 bytes, a bad proof step, \
     lengths that differ)."
);
create_exception!(
    cofre_native,
    EnvelopeError,
    CofreNativeError,
    "A Stellar envelope or one of its public keys is malformed; `index` is the envelope's \
     position in the call."
);
create_exception!(
    cofre_native,
    JsonDeclinedError,
    CofreNativeError,
    "json_decode declines the rows: one does not fit the shape (not an object, invalid JSON, \
     a value of another type, a repeated key)."
);
create_exception!(
    cofre_native,
    WindowInputError,
    CofreNativeError,
    "window_features inputs disagree (lengths, order, window sizes)."
);

/// EnvelopeError for envelope `i`, with the index as an attribute.
fn envelope_error(py: Python<'_>, i: usize, msg: impl std::fmt::Display) -> PyErr {
    let err = EnvelopeError::new_err(format!("envelope {i}: {msg}"));
    // Setting an attribute on a fresh exception instance cannot fail in practice; the
    // message carries the index anyway.
    let _ = err.value(py).setattr("index", i);
    err
}

/// Version of the native module (the crate version).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

// ---------------------------------------------------------------- Arrow input

fn read_arrow(df: &Bound<'_, PyAny>) -> PyResult<(Vec<String>, Vec<RecordBatch>)> {
    if !df.hasattr("__arrow_c_stream__")? {
        return Err(PyTypeError::new_err(format!(
            "feature_hash expects a polars DataFrame, pyarrow Table or any object exporting \
             __arrow_c_stream__, got {}",
            df.get_type().name()?
        )));
    }
    let cap_obj = df.call_method0("__arrow_c_stream__")?;
    let cap = cap_obj.downcast::<PyCapsule>()?;
    match cap.name()? {
        Some(n) if n.to_bytes() == b"arrow_array_stream" => {}
        _ => {
            return Err(PyTypeError::new_err(
                "__arrow_c_stream__ did not return an 'arrow_array_stream' capsule",
            ))
        }
    }
    let ptr = cap.pointer() as *mut FFI_ArrowArrayStream;
    if ptr.is_null() {
        return Err(ArrowInputError::new_err("null Arrow stream capsule"));
    }
    // SAFETY: the capsule holds a valid FFI_ArrowArrayStream (Arrow PyCapsule protocol);
    // from_raw moves it out and leaves a released stream behind, so the capsule's destructor
    // does not release it twice.
    let reader = unsafe { ArrowArrayStreamReader::from_raw(ptr) }
        .map_err(|e| ArrowInputError::new_err(format!("cannot import Arrow stream: {e}")))?;
    let names = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ArrowInputError::new_err(format!("cannot read Arrow stream: {e}")))?;
    Ok((names, batches))
}

/// Run `f` without the GIL on the pool chosen by `threads` / COFRE_NATIVE_THREADS.
fn run_pool<R: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> PyResult<R> {
    let t = pool::resolve(threads).map_err(ThreadsError::new_err)?;
    py.allow_threads(|| pool::run(t, f))
        .map_err(ThreadsError::new_err)
}

fn csr_to_py<'py, I: featurehash::Ix + numpy::Element>(
    py: Python<'py>,
    csr: featurehash::Csr<I>,
    n_features: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let shape = (csr.n_rows, n_features);
    // from_vec hands the Vec's buffer to numpy (no copy).
    let data = numpy::PyArray1::from_vec(py, csr.data).into_any();
    let indices = numpy::PyArray1::from_vec(py, csr.indices).into_any();
    let indptr = numpy::PyArray1::from_vec(py, csr.indptr).into_any();
    let sparse = py.import("scipy.sparse")?;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("shape", shape)?;
    kwargs.set_item("copy", false)?;
    let m = sparse
        .getattr("csr_matrix")?
        .call(((data, indices, indptr),), Some(&kwargs))?;
    // Indices are sorted and unique within each row (explicit zeros may be stored, which
    // canonical format allows): tell scipy so it never re-checks or re-sorts.
    m.setattr("has_sorted_indices", true)?;
    m.setattr("has_canonical_format", true)?;
    Ok(m)
}

/// Hash string (and numeric) columns into a CSR matrix equal to sklearn's FeatureHasher.
#[pyfunction]
#[pyo3(signature = (df, n_features = 1_048_576, alternate_sign = true, *, threads = None))]
fn feature_hash<'py>(
    py: Python<'py>,
    df: &Bound<'py, PyAny>,
    n_features: i64,
    alternate_sign: bool,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    if !(1..=i32::MAX as i64).contains(&n_features) {
        return Err(ArgumentError::new_err(format!(
            "n_features must be in [1, {}], got {n_features}",
            i32::MAX
        )));
    }
    let (names, batches) = read_arrow(df)?;
    let n_rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    // int32 indices whenever the upper bound on non-zeros (one per cell) fits, like scipy.
    if n_rows.saturating_mul(names.len()) <= i32::MAX as usize {
        let csr = run_pool(py, threads, || {
            featurehash::hash_batches::<i32>(&names, &batches, n_features, alternate_sign)
        })?
        .map_err(ArrowInputError::new_err)?;
        drop(batches);
        return csr_to_py(py, csr, n_features);
    }
    let csr = run_pool(py, threads, || {
        featurehash::hash_batches::<i64>(&names, &batches, n_features, alternate_sign)
    })?
    .map_err(ArrowInputError::new_err)?;
    drop(batches);
    if csr.indices.len() <= i32::MAX as usize && csr.n_rows < i32::MAX as usize {
        // Nulls/collisions brought the count under 2**31: int32 like sklearn (rare path).
        let narrow = featurehash::Csr {
            indices: csr.indices.iter().map(|&v| v as i32).collect::<Vec<i32>>(),
            indptr: csr.indptr.iter().map(|&v| v as i32).collect::<Vec<i32>>(),
            data: csr.data,
            n_rows: csr.n_rows,
        };
        return csr_to_py(py, narrow, n_features);
    }
    csr_to_py(py, csr, n_features)
}

// ---------------------------------------------------------------- byte/str sequences

enum Buf<'py> {
    Borrowed(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl Buf<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Buf::Borrowed(b) => b.as_bytes(),
            Buf::Owned(v) => v,
        }
    }
}

/// Items of a sequence of bytes (bytes borrowed, bytearray copied; we hold references so the
/// buffers outlive the GIL-free section).
fn collect_bytes<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<Buf<'py>>> {
    let mut out = Vec::with_capacity(obj.len().unwrap_or(0));
    for (i, item) in obj.try_iter()?.enumerate() {
        let item = item?;
        let buf = match item.downcast_into::<PyBytes>() {
            Ok(b) => Buf::Borrowed(b),
            Err(e) => {
                let item = e.into_inner();
                if let Ok(ba) = item.downcast::<PyByteArray>() {
                    Buf::Owned(ba.to_vec())
                } else {
                    return Err(PyTypeError::new_err(format!(
                        "{what}[{i}] must be bytes, got {}",
                        item.get_type().name()?
                    )));
                }
            }
        };
        out.push(buf);
    }
    Ok(out)
}

fn bytes_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.downcast::<PyBytes>() {
        Ok(b.as_bytes().to_vec())
    } else if let Ok(b) = obj.downcast::<PyByteArray>() {
        Ok(b.to_vec())
    } else {
        Err(PyTypeError::new_err(format!(
            "{what} must be bytes, got {}",
            obj.get_type().name()?
        )))
    }
}

fn hash32<'a>(b: &'a [u8], what: &str) -> PyResult<&'a [u8]> {
    if b.len() != 32 {
        return Err(LedgerError::new_err(format!(
            "{what} has {} bytes, expected 32",
            b.len()
        )));
    }
    Ok(b)
}

/// Flat copy of a sequence of str (UTF-8) or bytes values.
fn collect_arena(values: &Bound<'_, PyAny>) -> PyResult<pseudo::Arena> {
    let n = values.len().unwrap_or(0);
    let mut data = Vec::with_capacity(n * 16);
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    for (i, item) in values.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(s) = item.downcast::<PyString>() {
            data.extend_from_slice(s.to_str()?.as_bytes());
        } else if let Ok(b) = item.downcast::<PyBytes>() {
            data.extend_from_slice(b.as_bytes());
        } else {
            return Err(PyTypeError::new_err(format!(
                "values[{i}] must be str or bytes, got {}",
                item.get_type().name()?
            )));
        }
        offsets.push(data.len());
    }
    Ok(pseudo::Arena { data, offsets })
}

// ---------------------------------------------------------------- HMAC

/// HMAC-SHA-256 hex digest of each value (UTF-8 for str).
#[pyfunction]
#[pyo3(signature = (key, values, *, threads = None))]
fn hmac_sha256_hex<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    values: &Bound<'py, PyAny>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let key = bytes_arg(key, "key")?;
    let arena = collect_arena(values)?;
    let out = run_pool(py, threads, || pseudo::hmac_hex(&key, &arena))?
        .map_err(ArgumentError::new_err)?;
    // Hex digits are ASCII, so from_utf8 cannot fail.
    PyList::new(
        py,
        out.iter()
            .map(|h| std::str::from_utf8(h).unwrap_or_default()),
    )
}

/// First 8 bytes of HMAC-SHA-256, big-endian unsigned.
#[pyfunction]
#[pyo3(signature = (key, values, *, threads = None))]
fn hmac_sha256_u64<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    values: &Bound<'py, PyAny>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let key = bytes_arg(key, "key")?;
    let arena = collect_arena(values)?;
    let out = run_pool(py, threads, || pseudo::hmac_u64(&key, &arena))?
        .map_err(ArgumentError::new_err)?;
    PyList::new(py, out)
}

// ---------------------------------------------------------------- hash chain

/// SHA-256(prev_hash || payload).
#[pyfunction]
fn chain_hash<'py>(
    py: Python<'py>,
    prev_hash: &Bound<'py, PyAny>,
    payload: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let prev = bytes_arg(prev_hash, "prev_hash")?;
    hash32(&prev, "prev_hash")?;
    let payload = bytes_arg(payload, "payload")?;
    Ok(PyBytes::new(py, &ledger::chain_hash(&prev, &payload)))
}

/// The hashes of a chain over `payloads` starting from `genesis` (32 bytes).
#[pyfunction]
fn chain_hashes<'py>(
    py: Python<'py>,
    genesis: &Bound<'py, PyAny>,
    payloads: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let g = bytes_arg(genesis, "genesis")?;
    hash32(&g, "genesis")?;
    let items = collect_bytes(payloads, "payloads")?;
    let slices: Vec<&[u8]> = items.iter().map(|b| b.bytes()).collect();
    let hashes = py.allow_threads(|| ledger::build_chain(&g, &slices));
    PyList::new(py, hashes.iter().map(|h| PyBytes::new(py, h)))
}

/// Index of the first record whose hash is wrong or whose prev_hash breaks the link, else None.
#[pyfunction]
#[pyo3(signature = (prev_hashes, payloads, hashes, *, threads = None))]
fn verify_chain(
    py: Python<'_>,
    prev_hashes: &Bound<'_, PyAny>,
    payloads: &Bound<'_, PyAny>,
    hashes: &Bound<'_, PyAny>,
    threads: Option<usize>,
) -> PyResult<Option<usize>> {
    let p = collect_bytes(prev_hashes, "prev_hashes")?;
    let d = collect_bytes(payloads, "payloads")?;
    let h = collect_bytes(hashes, "hashes")?;
    if p.len() != d.len() || d.len() != h.len() {
        return Err(LedgerError::new_err(format!(
            "prev_hashes, payloads and hashes must have the same length (got {}, {}, {})",
            p.len(),
            d.len(),
            h.len()
        )));
    }
    let ps: Vec<&[u8]> = p.iter().map(|b| b.bytes()).collect();
    let ds: Vec<&[u8]> = d.iter().map(|b| b.bytes()).collect();
    let hs: Vec<&[u8]> = h.iter().map(|b| b.bytes()).collect();
    for i in 0..ps.len() {
        hash32(ps[i], &format!("record {i}: prev_hash"))?;
        hash32(hs[i], &format!("record {i}: hash"))?;
    }
    run_pool(py, threads, || ledger::verify_chain(&ps, &ds, &hs))
}

// ---------------------------------------------------------------- Merkle

/// RFC 6962 Merkle tree root of `leaves` (raw leaf data).
#[pyfunction]
#[pyo3(signature = (leaves, *, threads = None))]
fn merkle_root<'py>(
    py: Python<'py>,
    leaves: &Bound<'py, PyAny>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    let items = collect_bytes(leaves, "leaves")?;
    let slices: Vec<&[u8]> = items.iter().map(|b| b.bytes()).collect();
    let root = run_pool(py, threads, || ledger::merkle_root(&slices))?;
    Ok(PyBytes::new(py, &root))
}

/// Audit path of leaf `index`: [(sibling_hash, sibling_is_left), ...], leaf level first.
#[pyfunction]
fn merkle_proof<'py>(
    py: Python<'py>,
    leaves: &Bound<'py, PyAny>,
    index: i64,
) -> PyResult<Bound<'py, PyList>> {
    let items = collect_bytes(leaves, "leaves")?;
    if index < 0 || index as usize >= items.len() {
        return Err(PyIndexError::new_err(format!(
            "leaf index {index} out of range for {} leaves",
            items.len()
        )));
    }
    let slices: Vec<&[u8]> = items.iter().map(|b| b.bytes()).collect();
    let proof = py.allow_threads(|| ledger::merkle_proof(&slices, index as usize));
    let tuples = proof
        .iter()
        .map(|(h, left)| {
            PyTuple::new(
                py,
                [
                    PyBytes::new(py, h).into_any(),
                    pyo3::types::PyBool::new(py, *left).to_owned().into_any(),
                ],
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, tuples)
}

/// True iff `proof` leads from leaf data `leaf` to `root`.
#[pyfunction]
fn verify_merkle_proof(
    leaf: &Bound<'_, PyAny>,
    proof: &Bound<'_, PyAny>,
    root: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let leaf = bytes_arg(leaf, "leaf")?;
    let root = bytes_arg(root, "root")?;
    hash32(&root, "root")?;
    let mut steps: Vec<(Vec<u8>, bool)> = Vec::new();
    for (i, item) in proof.try_iter()?.enumerate() {
        let item = item?;
        let (sib, left): (Bound<PyAny>, bool) = item.extract().map_err(|_| {
            LedgerError::new_err(format!("proof[{i}] must be a (bytes, bool) pair"))
        })?;
        let sib = bytes_arg(&sib, &format!("proof[{i}] sibling"))?;
        hash32(&sib, &format!("proof[{i}] sibling"))?;
        steps.push((sib, left));
    }
    let refs: Vec<(&[u8], bool)> = steps.iter().map(|(s, l)| (s.as_slice(), *l)).collect();
    Ok(ledger::verify_proof(&leaf, &refs, &root))
}

// ---------------------------------------------------------------- Stellar

fn collect_envelopes(envelopes_b64: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let mut envs: Vec<String> = Vec::new();
    for (i, item) in envelopes_b64.try_iter()?.enumerate() {
        let item = item?;
        let s: String = if let Ok(s) = item.downcast::<PyString>() {
            s.to_str()?.to_owned()
        } else if let Ok(b) = item.downcast::<PyBytes>() {
            String::from_utf8_lossy(b.as_bytes()).into_owned()
        } else {
            return Err(envelope_error(
                envelopes_b64.py(),
                i,
                format!("expected a base64 str, got {}", item.get_type().name()?),
            ));
        };
        envs.push(s);
    }
    Ok(envs)
}

/// The transaction hash of each envelope (for a fee bump, the fee-bump transaction's hash),
/// as stellar-sdk's `TransactionEnvelope.hash()` / `FeeBumpTransactionEnvelope.hash()`.
#[pyfunction]
#[pyo3(signature = (envelopes_b64, network_passphrase, *, threads = None))]
fn envelope_hashes<'py>(
    py: Python<'py>,
    envelopes_b64: &Bound<'py, PyAny>,
    network_passphrase: &str,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let envs = collect_envelopes(envelopes_b64)?;
    let hashes = run_pool(py, threads, || {
        stellar::envelope_hashes(&envs, network_passphrase)
    })?
    .map_err(|(i, m)| envelope_error(py, i, m))?;
    PyList::new(py, hashes.iter().map(|h| PyBytes::new(py, h)))
}

/// For each base64 envelope, True iff it has signatures and every one verifies against an
/// allowed key (by hint) over the transaction hash for `network_passphrase`.
#[pyfunction]
#[pyo3(signature = (envelopes_b64, network_passphrase, public_keys, *, threads = None))]
fn verify_envelopes(
    py: Python<'_>,
    envelopes_b64: &Bound<'_, PyAny>,
    network_passphrase: &str,
    public_keys: &Bound<'_, PyAny>,
    threads: Option<usize>,
) -> PyResult<Vec<bool>> {
    let envs = collect_envelopes(envelopes_b64)?;
    // Distinct keys, and distinct key lists: callers usually pass the same list object for
    // every envelope (`[keys] * n`), which is then read once. The lists are kept alive
    // while their addresses serve as cache keys.
    let mut keys: Vec<stellar::Key> = Vec::new();
    let mut key_ids: HashMap<String, usize> = HashMap::new();
    let mut sets: Vec<Vec<usize>> = Vec::new();
    let mut set_of_list: HashMap<*mut pyo3::ffi::PyObject, usize> = HashMap::new();
    let mut alive: Vec<Bound<'_, PyAny>> = Vec::new();
    let mut env_set: Vec<usize> = Vec::with_capacity(envs.len());
    for (i, list) in public_keys.try_iter()?.enumerate() {
        let list = list?;
        if let Some(&s) = set_of_list.get(&list.as_ptr()) {
            env_set.push(s);
            continue;
        }
        if list.is_instance_of::<PyString>() {
            return Err(envelope_error(
                py,
                i,
                format!("public_keys[{i}] must be a list of G... strkeys, not a str"),
            ));
        }
        let mut set = Vec::new();
        for k in list.try_iter()? {
            let k: String = k?
                .extract()
                .map_err(|_| envelope_error(py, i, "public keys must be str"))?;
            if let Some(&id) = key_ids.get(&k) {
                set.push(id);
                continue;
            }
            let raw = strkey::decode_account_id(&k)
                .map_err(|e| envelope_error(py, i, format!("public key {k:?}: {e}")))?;
            keys.push(stellar::Key::new(raw));
            key_ids.insert(k, keys.len() - 1);
            set.push(keys.len() - 1);
        }
        sets.push(set);
        set_of_list.insert(list.as_ptr(), sets.len() - 1);
        env_set.push(sets.len() - 1);
        alive.push(list);
    }
    if env_set.len() != envs.len() {
        return Err(ArgumentError::new_err(format!(
            "public_keys has {} entries for {} envelopes",
            env_set.len(),
            envs.len()
        )));
    }
    let allowed: Vec<&[usize]> = env_set.iter().map(|&s| sets[s].as_slice()).collect();
    let out = run_pool(py, threads, || {
        stellar::verify_envelopes(&envs, network_passphrase, &keys, &allowed)
    })?
    .map_err(|(i, m)| envelope_error(py, i, m));
    drop(alive);
    out
}

// ---------------------------------------------------------------- JSON payloads

/// Decode JSON object rows into typed columns (see `jsondecode`).
///
/// `shape`: nodes in pre-order as `(name, kind, children)` with kind "struct" | "str" | "i64" |
/// "bool" and children as node indexes; node 0 is the row object. The rows are an Arrow string
/// column's buffers: `offsets` (int64, rows + 1) and `data` (one uint8 array) of a large-string
/// column, or with `views=True`, `offsets` the uint8 view buffer (16 bytes per row) and `data` a
/// list of the uint8 data buffers of a string-view column. Returns one entry per node:
/// `(valid, values)` where values is `(offsets, data)` for "str", an array for "i64"/"bool" and
/// None for "struct". Raises JsonDeclinedError naming the first row that does not fit the
/// shape, ArgumentError for a malformed shape or buffers.
#[pyfunction]
#[pyo3(signature = (shape, offsets, data, *, views = false, threads = None))]
fn json_decode<'py>(
    py: Python<'py>,
    shape: Vec<(String, String, Vec<usize>)>,
    offsets: &Bound<'py, PyAny>,
    data: &Bound<'py, PyAny>,
    views: bool,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let mut nodes = Vec::with_capacity(shape.len());
    for (name, kind, children) in shape {
        let kind = match kind.as_str() {
            "struct" => jsondecode::Kind::Struct,
            "str" => jsondecode::Kind::Str,
            "i64" => jsondecode::Kind::I64,
            "bool" => jsondecode::Kind::Bool,
            k => return Err(ArgumentError::new_err(format!("unknown kind {k:?}"))),
        };
        nodes.push(jsondecode::Node {
            name,
            kind,
            children,
        });
    }
    let n = nodes.len();
    if nodes
        .iter()
        .any(|x| x.children.iter().any(|&c| c == 0 || c >= n))
    {
        return Err(PyIndexError::new_err(
            "shape children must index nodes 1..len(shape)",
        ));
    }
    let cols = if views {
        let v: numpy::PyReadonlyArray1<'py, u8> = offsets.extract()?;
        let bufs: Vec<numpy::PyReadonlyArray1<'py, u8>> = data.extract()?;
        let rows = jsondecode::Views {
            views: v.as_slice()?,
            buffers: bufs
                .iter()
                .map(|b| b.as_slice())
                .collect::<Result<Vec<_>, _>>()?,
        };
        if v.as_slice()?.len() % 16 != 0 {
            return Err(ArgumentError::new_err(
                "a view buffer holds 16 bytes per row",
            ));
        }
        run_pool(py, threads, || jsondecode::decode(&nodes, &rows))?
    } else {
        let (o, d): (
            numpy::PyReadonlyArray1<'py, i64>,
            numpy::PyReadonlyArray1<'py, u8>,
        ) = (offsets.extract()?, data.extract()?);
        let rows = jsondecode::Offsets {
            data: d.as_slice()?,
            offsets: o.as_slice()?,
        };
        if rows.offsets.is_empty() {
            return Err(ArgumentError::new_err("offsets must have rows + 1 entries"));
        }
        run_pool(py, threads, || jsondecode::decode(&nodes, &rows))?
    }
    .map_err(JsonDeclinedError::new_err)?;
    let out = PyList::empty(py);
    for col in cols {
        let item = match col {
            jsondecode::Col::Str {
                offsets,
                data,
                valid,
            } => (
                numpy::PyArray1::from_vec(py, valid).into_any(),
                (
                    numpy::PyArray1::from_vec(py, offsets),
                    numpy::PyArray1::from_vec(py, data),
                )
                    .into_pyobject(py)?
                    .into_any(),
            ),
            jsondecode::Col::I64 { values, valid } => (
                numpy::PyArray1::from_vec(py, valid).into_any(),
                numpy::PyArray1::from_vec(py, values).into_any(),
            ),
            jsondecode::Col::Bool { values, valid } => (
                numpy::PyArray1::from_vec(py, valid).into_any(),
                numpy::PyArray1::from_vec(py, values).into_any(),
            ),
            jsondecode::Col::Struct { valid } => (
                numpy::PyArray1::from_vec(py, valid).into_any(),
                py.None().into_bound(py),
            ),
        };
        out.append(item)?;
    }
    Ok(out)
}

/// Per-customer time-window aggregates over rows sorted by (cid, t) (see `windows.rs` and
/// `pipelines/gold/windows.py`). All integer inputs are int64 arrays, flags are bool arrays;
/// events (logins, device logins) are sorted by (cid, t). Returns a tuple `(counts, sums,
/// distinct, max, max_null, first_cp, login, has_login, device, has_device)` where the first
/// three are lists of arrays, one per window; the facade turns it into `WindowFeatures`.
/// WindowInputError when the inputs disagree.
#[pyfunction]
#[pyo3(signature = (cid, t, amount, cp, cp_valid, new_device, login_cid, login_t, dev_cid, dev_t,
                    windows, distinct_windows, max_window, *, threads = None))]
#[allow(clippy::too_many_arguments)]
fn window_features<'py>(
    py: Python<'py>,
    cid: numpy::PyReadonlyArray1<'py, i64>,
    t: numpy::PyReadonlyArray1<'py, i64>,
    amount: numpy::PyReadonlyArray1<'py, i64>,
    cp: numpy::PyReadonlyArray1<'py, i64>,
    cp_valid: numpy::PyReadonlyArray1<'py, bool>,
    new_device: numpy::PyReadonlyArray1<'py, bool>,
    login_cid: numpy::PyReadonlyArray1<'py, i64>,
    login_t: numpy::PyReadonlyArray1<'py, i64>,
    dev_cid: numpy::PyReadonlyArray1<'py, i64>,
    dev_t: numpy::PyReadonlyArray1<'py, i64>,
    windows: Vec<i64>,
    distinct_windows: Vec<i64>,
    max_window: i64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyTuple>> {
    let x = windows::Input {
        cid: cid.as_slice()?,
        t: t.as_slice()?,
        amount: amount.as_slice()?,
        cp: cp.as_slice()?,
        cp_valid: cp_valid.as_slice()?,
        new_device: new_device.as_slice()?,
        login_cid: login_cid.as_slice()?,
        login_t: login_t.as_slice()?,
        dev_cid: dev_cid.as_slice()?,
        dev_t: dev_t.as_slice()?,
        windows: &windows,
        distinct: &distinct_windows,
        max_window,
    };
    let o = run_pool(py, threads, || windows::compute(&x))?.map_err(WindowInputError::new_err)?;
    let list = |py: Python<'py>, vs: Vec<Vec<i64>>| -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, vs.into_iter().map(|v| numpy::PyArray1::from_vec(py, v)))
    };
    let list32 = |py: Python<'py>, vs: Vec<Vec<i32>>| -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, vs.into_iter().map(|v| numpy::PyArray1::from_vec(py, v)))
    };
    let items: Vec<Bound<'py, PyAny>> = vec![
        list32(py, o.count)?.into_any(),
        list(py, o.sum)?.into_any(),
        list32(py, o.distinct)?.into_any(),
        numpy::PyArray1::from_vec(py, o.max).into_any(),
        numpy::PyArray1::from_vec(py, o.max_null).into_any(),
        numpy::PyArray1::from_vec(py, o.first_cp).into_any(),
        numpy::PyArray1::from_vec(py, o.login).into_any(),
        numpy::PyArray1::from_vec(py, o.has_login).into_any(),
        numpy::PyArray1::from_vec(py, o.dev).into_any(),
        numpy::PyArray1::from_vec(py, o.has_dev).into_any(),
    ];
    PyTuple::new(py, items)
}

#[pymodule]
#[pyo3(name = "_native")]
fn cofre_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CofreNativeError", py.get_type::<CofreNativeError>())?;
    m.add("ArgumentError", py.get_type::<ArgumentError>())?;
    m.add("ThreadsError", py.get_type::<ThreadsError>())?;
    m.add("ArrowInputError", py.get_type::<ArrowInputError>())?;
    m.add("LedgerError", py.get_type::<LedgerError>())?;
    m.add("EnvelopeError", py.get_type::<EnvelopeError>())?;
    m.add("JsonDeclinedError", py.get_type::<JsonDeclinedError>())?;
    m.add("WindowInputError", py.get_type::<WindowInputError>())?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(feature_hash, m)?)?;
    m.add_function(wrap_pyfunction!(hmac_sha256_hex, m)?)?;
    m.add_function(wrap_pyfunction!(hmac_sha256_u64, m)?)?;
    m.add_function(wrap_pyfunction!(chain_hash, m)?)?;
    m.add_function(wrap_pyfunction!(chain_hashes, m)?)?;
    m.add_function(wrap_pyfunction!(verify_chain, m)?)?;
    m.add_function(wrap_pyfunction!(merkle_root, m)?)?;
    m.add_function(wrap_pyfunction!(merkle_proof, m)?)?;
    m.add_function(wrap_pyfunction!(verify_merkle_proof, m)?)?;
    m.add_function(wrap_pyfunction!(verify_envelopes, m)?)?;
    m.add_function(wrap_pyfunction!(envelope_hashes, m)?)?;
    m.add_function(wrap_pyfunction!(json_decode, m)?)?;
    m.add_function(wrap_pyfunction!(window_features, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
