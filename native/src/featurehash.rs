//! Feature hashing of Arrow record batches, bit-for-bit equal to sklearn's
//! `FeatureHasher(input_type="string")` followed by `sum_duplicates()`.
//!
//! String cell `v` of column `c` is the token `"c=v"` with value 1; numeric cell `x` of
//! column `c` is the token `"c"` with value `x` (sklearn's dict input `{"c": x}`); zero and
//! null cells contribute nothing.
//!
//! Layout of the work: rows are split into chunks of `CHUNK_ROWS` run in parallel (rayon;
//! the caller releases the GIL). A row has at most one entry per column, so chunk `k` owns
//! the region `[row_start * n_cols, row_end * n_cols)` of preallocated output arrays and
//! writes its rows there directly (no per-row allocation). Within a chunk, blocks of
//! `BLOCK_ROWS` rows are hashed column by column into a small cache-resident scratch (one
//! monomorphic loop per column type; a string token is hashed from the column's precomputed
//! `"c="` MurmurHash state, never built; inline string views take a branch-free path), then
//! each row's ≤ n_cols entries are sorted by (bucket, column) — a branch-free rank placement,
//! stable so duplicates sum in column order like sklearn — and merged. Finally the
//! chunk regions are moved left to close the gaps left by nulls/duplicates (usually none).
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, GenericStringArray, OffsetSizeTrait, RecordBatch, StringViewArray,
};
use arrow_schema::DataType;
use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::murmur::{bucket, hash_inline_views, murmur3_32, Murmur};

/// Rows per parallel job.
const CHUNK_ROWS: usize = 65_536;
/// Rows hashed column-by-column before rows are assembled (scratch stays in L1/L2).
const BLOCK_ROWS: usize = 512;

/// An index type of the output arrays (int32, or int64 for huge outputs, like scipy).
pub trait Ix: Copy + Send + Sync + Default {
    fn from_usize(v: usize) -> Self;
    fn to_usize(self) -> usize;
}
macro_rules! impl_ix {
    ($($t:ty),*) => {$(
        impl Ix for $t {
            #[inline(always)]
            fn from_usize(v: usize) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_usize(self) -> usize {
                self as usize
            }
        }
    )*};
}
impl_ix!(i32, i64);

/// The CSR parts, ready for scipy: indices, data, indptr (len n_rows + 1).
pub struct Csr<I> {
    pub indices: Vec<I>,
    pub data: Vec<f64>,
    pub indptr: Vec<I>,
    pub n_rows: usize,
}

/// One column's hashing rule. Cells of a generic column go through a boxed closure.
enum Col<'a> {
    Str(&'a GenericStringArray<i32>, Murmur),
    LargeStr(&'a GenericStringArray<i64>, Murmur),
    View(&'a StringViewArray, Murmur),
    /// Dictionary column: per-key entry table (each distinct value hashed once).
    Dict(Box<dyn Fn(usize) -> Option<(u32, f64)> + Send + Sync + 'a>),
    Numeric(Box<dyn Fn(usize) -> Option<(u32, f64)> + Send + Sync + 'a>),
}

struct Params {
    n: i64,
    alt: bool,
}

impl Params {
    #[inline(always)]
    fn entry(&self, h: i32) -> (u32, f64) {
        let (idx, sign) = bucket(h, self.n);
        (idx, if self.alt { sign } else { 1.0 })
    }
}

fn prefix_state(name: &str) -> Murmur {
    let mut m = Murmur::new(0);
    m.update(name.as_bytes());
    m.update(b"=");
    m
}

macro_rules! numeric_cell {
    ($arr:expr, $ty:ty, $entry:expr, $alt:expr) => {{
        let a = $arr.as_primitive::<$ty>();
        let (idx, sign) = $entry;
        let alt = $alt;
        Col::Numeric(Box::new(move |i| {
            if a.is_null(i) {
                return None;
            }
            let v = a.value(i) as f64;
            if v == 0.0 {
                None
            } else {
                Some((idx, if alt { v * sign } else { v }))
            }
        }))
    }};
}

/// Reads the bytes of row i of a string column (None for null).
type StringAt<'a> = Box<dyn Fn(usize) -> Option<&'a [u8]> + 'a>;

fn string_values<'a>(arr: &'a dyn Array) -> Option<StringAt<'a>> {
    match arr.data_type() {
        DataType::Utf8 => {
            let a = arr.as_string::<i32>();
            Some(Box::new(move |i| {
                (!a.is_null(i)).then(|| a.value(i).as_bytes())
            }))
        }
        DataType::LargeUtf8 => {
            let a = arr.as_string::<i64>();
            Some(Box::new(move |i| {
                (!a.is_null(i)).then(|| a.value(i).as_bytes())
            }))
        }
        DataType::Utf8View => {
            let a = arr.as_string_view();
            Some(Box::new(move |i| {
                (!a.is_null(i)).then(|| a.value(i).as_bytes())
            }))
        }
        _ => None,
    }
}

fn make_col<'a>(name: &str, arr: &'a ArrayRef, p: &Params) -> Result<Col<'a>, String> {
    let pre = prefix_state(name);
    match arr.data_type() {
        DataType::Utf8 => return Ok(Col::Str(arr.as_string::<i32>(), pre)),
        DataType::LargeUtf8 => return Ok(Col::LargeStr(arr.as_string::<i64>(), pre)),
        DataType::Utf8View => return Ok(Col::View(arr.as_string_view(), pre)),
        _ => {}
    }
    let alt = p.alt;
    // sklearn applies the sign (h >= 0) * 2 - 1 only when alternate_sign is set.
    let entry = bucket(murmur3_32(name.as_bytes(), 0), p.n);
    let col = match arr.data_type() {
        DataType::Null => Col::Numeric(Box::new(|_| None)),
        DataType::Boolean => {
            let a = arr.as_boolean();
            let (idx, sign) = entry;
            Col::Numeric(Box::new(move |i| {
                (!a.is_null(i) && a.value(i)).then_some((idx, if alt { sign } else { 1.0 }))
            }))
        }
        DataType::Int8 => numeric_cell!(arr, Int8Type, entry, alt),
        DataType::Int16 => numeric_cell!(arr, Int16Type, entry, alt),
        DataType::Int32 => numeric_cell!(arr, Int32Type, entry, alt),
        DataType::Int64 => numeric_cell!(arr, Int64Type, entry, alt),
        DataType::UInt8 => numeric_cell!(arr, UInt8Type, entry, alt),
        DataType::UInt16 => numeric_cell!(arr, UInt16Type, entry, alt),
        DataType::UInt32 => numeric_cell!(arr, UInt32Type, entry, alt),
        DataType::UInt64 => numeric_cell!(arr, UInt64Type, entry, alt),
        DataType::Float32 => numeric_cell!(arr, Float32Type, entry, alt),
        DataType::Float64 => numeric_cell!(arr, Float64Type, entry, alt),
        DataType::Dictionary(_, value_type) => {
            let d = arr.as_any_dictionary();
            let values = d.values();
            let get = string_values(values.as_ref()).ok_or_else(|| {
                format!("column {name:?}: dictionary of {value_type} is not supported (only string dictionaries)")
            })?;
            let table: Vec<Option<(u32, f64)>> =
                (0..values.len()).map(|j| get(j).map(|v| p.entry(pre.hash_suffix(v)))).collect();
            let keys = d.normalized_keys();
            let key_arr = d.keys();
            Col::Dict(Box::new(move |i| {
                if key_arr.is_null(i) {
                    return None;
                }
                table.get(keys[i]).copied().flatten()
            }))
        }
        other => {
            return Err(format!(
                "column {name:?} has unsupported type {other}: use strings (utf8/large_utf8/utf8_view/dictionary), integers, floats or booleans"
            ))
        }
    };
    Ok(col)
}

/// Scratch for one block: per cell a sort key `bucket << 32 | column` (`NONE_KEY` when the
/// cell contributes nothing) and its value, column-major (`BLOCK_ROWS` cells a column) so
/// each column's pass writes sequentially.
struct Scratch {
    keys: Vec<u64>,
    vals: Vec<f64>,
}

const NONE_KEY: u64 = u64::MAX;

#[inline(always)]
fn put(sc: &mut Scratch, at: usize, c: usize, e: Option<(u32, f64)>) {
    match e {
        Some((b, v)) => {
            sc.keys[at] = ((b as u64) << 32) | c as u64;
            sc.vals[at] = v;
        }
        None => sc.keys[at] = NONE_KEY,
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_offsets<S: OffsetSizeTrait>(
    sc: &mut Scratch,
    c: usize,
    s: usize,
    e: usize,
    a: &GenericStringArray<S>,
    pre: &Murmur,
    p: &Params,
) {
    let nulls = a.null_count() > 0;
    for (k, i) in (s..e).enumerate() {
        let cell = if nulls && a.is_null(i) {
            None
        } else {
            // SAFETY: i < a.len(), checked once per batch in hash_batches.
            Some(p.entry(pre.hash_suffix(unsafe { a.value_unchecked(i) }.as_bytes())))
        };
        put(sc, c * BLOCK_ROWS + k, c, cell);
    }
}

#[allow(clippy::too_many_arguments)]
fn fill_views(
    sc: &mut Scratch,
    c: usize,
    s: usize,
    e: usize,
    a: &StringViewArray,
    pre: &Murmur,
    p: &Params,
) {
    let views = &a.views()[s..e];
    let n = views.len();
    // Inline strings (<= 12 bytes, the usual case for categorical features) are hashed for
    // the whole block at once, vectorised, and turned into sort keys and values in one pass;
    // nulls and longer strings are then patched one by one.
    let mut hs = [0i32; BLOCK_ROWS];
    hash_inline_views(pre, views, &mut hs[..n]);
    let keys = &mut sc.keys[c * BLOCK_ROWS..][..n];
    let vals = &mut sc.vals[c * BLOCK_ROWS..][..n];
    let col = c as u64;
    let nf = p.n as u32;
    if nf.is_power_of_two() {
        for ((k, v), &h) in keys.iter_mut().zip(vals.iter_mut()).zip(&hs[..n]) {
            *k = (((h.unsigned_abs() & (nf - 1)) as u64) << 32) | col;
            *v = if h >= 0 || !p.alt { 1.0 } else { -1.0 };
        }
    } else {
        for ((k, v), &h) in keys.iter_mut().zip(vals.iter_mut()).zip(&hs[..n]) {
            let (b, sign) = p.entry(h);
            *k = ((b as u64) << 32) | col;
            *v = sign;
        }
    }
    let nulls = a.null_count() > 0;
    let long = views.iter().any(|&v| v as u32 > 12);
    if nulls || long {
        for (k, &view) in views.iter().enumerate() {
            let i = s + k;
            if nulls && a.is_null(i) {
                sc.keys[c * BLOCK_ROWS + k] = NONE_KEY;
            } else if view as u32 > 12 {
                // SAFETY: i < a.len(), checked once per batch in hash_batches.
                let h = pre.hash_suffix(unsafe { a.value_unchecked(i) }.as_bytes());
                put(sc, c * BLOCK_ROWS + k, c, Some(p.entry(h)));
            }
        }
    }
}

/// Hash rows `s..e` of all columns into the scratch.
fn fill_block(cols: &[Col], s: usize, e: usize, sc: &mut Scratch, p: &Params) {
    for (c, col) in cols.iter().enumerate() {
        match col {
            Col::Str(a, pre) => fill_offsets(sc, c, s, e, *a, pre, p),
            Col::LargeStr(a, pre) => fill_offsets(sc, c, s, e, *a, pre, p),
            Col::View(a, pre) => fill_views(sc, c, s, e, a, pre, p),
            Col::Dict(f) | Col::Numeric(f) => {
                for (k, i) in (s..e).enumerate() {
                    put(sc, c * BLOCK_ROWS + k, c, f(i));
                }
            }
        }
    }
}

/// Write one row: its cells sorted by (bucket, column) — keys are unique, so placing each
/// key at its rank (branch-free counting) is a stable sort by bucket — with duplicates
/// summed in column order, like sklearn's `sum_duplicates()`. Returns the new write position.
/// `N` is the column count when known at compile time (loops unrolled), else 0.
#[inline(always)]
fn emit_row<I: Ix, const N: usize>(
    keys: &[u64],
    vals: &[f64],
    sorted: &mut [u64],
    idx: &mut [MaybeUninit<I>],
    dat: &mut [MaybeUninit<f64>],
    mut w: usize,
) -> usize {
    let nc = if N > 0 { N } else { keys.len() };
    let keys = &keys[..nc];
    let vals = &vals[..nc];
    let sorted = &mut sorted[..nc];
    if N > 0 || nc <= 16 {
        for &k in keys {
            let rank = keys.iter().map(|&o| (o < k) as usize).sum::<usize>();
            sorted[rank] = k;
        }
    } else {
        sorted.copy_from_slice(keys);
        sorted.sort_unstable();
    }
    let start = w;
    let mut last = u64::MAX; // bucket of the entry at w - 1
    for &k in sorted.iter() {
        if k == NONE_KEY {
            break;
        }
        let b = k >> 32;
        let v = vals[(k & 0xffff_ffff) as usize];
        if w > start && b == last {
            // SAFETY: dat[w - 1] was written by this row just before.
            let prev = unsafe { dat[w - 1].assume_init_read() };
            dat[w - 1].write(prev + v);
        } else {
            idx[w].write(I::from_usize(b as usize));
            dat[w].write(v);
            w += 1;
            last = b;
        }
    }
    w
}

/// One job: rows `s..e` of a batch; writes entries at the start of `idx`/`dat` and the
/// chunk-local cumulative row counts into `ptr` (len e - s); returns the chunk's nnz.
fn hash_chunk<I: Ix>(
    cols: &[Col],
    s: usize,
    e: usize,
    p: &Params,
    idx: &mut [MaybeUninit<I>],
    dat: &mut [MaybeUninit<f64>],
    ptr: &mut [MaybeUninit<I>],
) -> usize {
    match cols.len() {
        1 => hash_chunk_n::<I, 1>(cols, s, e, p, idx, dat, ptr),
        2 => hash_chunk_n::<I, 2>(cols, s, e, p, idx, dat, ptr),
        3 => hash_chunk_n::<I, 3>(cols, s, e, p, idx, dat, ptr),
        4 => hash_chunk_n::<I, 4>(cols, s, e, p, idx, dat, ptr),
        5 => hash_chunk_n::<I, 5>(cols, s, e, p, idx, dat, ptr),
        6 => hash_chunk_n::<I, 6>(cols, s, e, p, idx, dat, ptr),
        7 => hash_chunk_n::<I, 7>(cols, s, e, p, idx, dat, ptr),
        8 => hash_chunk_n::<I, 8>(cols, s, e, p, idx, dat, ptr),
        _ => hash_chunk_n::<I, 0>(cols, s, e, p, idx, dat, ptr),
    }
}

fn hash_chunk_n<I: Ix, const N: usize>(
    cols: &[Col],
    s: usize,
    e: usize,
    p: &Params,
    idx: &mut [MaybeUninit<I>],
    dat: &mut [MaybeUninit<f64>],
    ptr: &mut [MaybeUninit<I>],
) -> usize {
    let nc = cols.len();
    let mut sc = Scratch {
        keys: vec![NONE_KEY; BLOCK_ROWS * nc],
        vals: vec![0.0; BLOCK_ROWS * nc],
    };
    let mut sorted = vec![0u64; nc];
    let (mut row_keys, mut row_vals) = (vec![NONE_KEY; nc], vec![0.0f64; nc]);
    let mut w = 0;
    let mut bs = s;
    while bs < e {
        let be = (bs + BLOCK_ROWS).min(e);
        fill_block(cols, bs, be, &mut sc, p);
        for k in 0..be - bs {
            for c in 0..nc {
                row_keys[c] = sc.keys[c * BLOCK_ROWS + k];
                row_vals[c] = sc.vals[c * BLOCK_ROWS + k];
            }
            w = emit_row::<I, N>(&row_keys, &row_vals, &mut sorted, idx, dat, w);
            ptr[bs - s + k].write(I::from_usize(w));
        }
        bs = be;
    }
    w
}

/// A vector of `len` elements left uninitialised (every element is written before use).
/// Large outputs are backed by transparent huge pages where the kernel offers them
/// (`madvise`), so first touch costs one fault per 2 MiB instead of one per 4 KiB — at
/// a million rows the 4 KiB faults were a fifth of the hashing threads' time.
fn uninit<T>(len: usize) -> Vec<MaybeUninit<T>> {
    let mut v = Vec::with_capacity(len);
    advise_huge_pages(v.as_mut_ptr() as *mut u8, len * std::mem::size_of::<T>());
    // SAFETY: MaybeUninit<T> needs no initialisation.
    unsafe { v.set_len(len) };
    v
}

/// Ask for transparent huge pages on the 2 MiB-aligned part of `[ptr, ptr + bytes)` (a hint:
/// errors — no THP, a non-Linux kernel — leave the memory as it is).
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < 2 * HUGE {
        return;
    }
    let start = (ptr as usize + HUGE - 1) & !(HUGE - 1);
    let end = (ptr as usize + bytes) & !(HUGE - 1);
    if end > start {
        // SAFETY: the range lies inside an allocation we own; MADV_HUGEPAGE changes no contents.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _bytes: usize) {}

/// SAFETY: the caller has written every element of `v`.
unsafe fn assume_init<T>(v: Vec<MaybeUninit<T>>) -> Vec<T> {
    let mut v = std::mem::ManuallyDrop::new(v);
    Vec::from_raw_parts(v.as_mut_ptr() as *mut T, v.len(), v.capacity())
}

/// Hash every row of `batches` (columns named `names`) into `n` buckets.
pub fn hash_batches<I: Ix>(
    names: &[String],
    batches: &[RecordBatch],
    n: i64,
    alt: bool,
) -> Result<Csr<I>, String> {
    let p = Params { n, alt };
    let mut cols: Vec<Vec<Col>> = Vec::with_capacity(batches.len());
    for b in batches {
        let mut cs = Vec::with_capacity(b.num_columns());
        for (name, col) in names.iter().zip(b.columns()) {
            if col.len() < b.num_rows() {
                return Err(format!("column {name:?} is shorter than its record batch"));
            }
            cs.push(make_col(name, col, &p)?);
        }
        cols.push(cs);
    }
    let nc = names.len();
    // Jobs: (batch, first row, end row).
    let mut work: Vec<(usize, usize, usize)> = Vec::new();
    let mut n_rows = 0;
    for (bi, b) in batches.iter().enumerate() {
        let rows = b.num_rows();
        let mut s = 0;
        while s < rows {
            let e = (s + CHUNK_ROWS).min(rows);
            work.push((bi, s, e));
            s = e;
        }
        n_rows += rows;
    }
    let cap = n_rows * nc;
    let mut indices: Vec<MaybeUninit<I>> = uninit(cap);
    let mut data: Vec<MaybeUninit<f64>> = uninit(cap);
    let mut indptr: Vec<MaybeUninit<I>> = uninit(n_rows + 1);
    indptr[0].write(I::from_usize(0));
    // Split the outputs into the jobs' disjoint regions.
    let mut jobs = Vec::with_capacity(work.len());
    {
        let (mut ix, mut dt, mut ip) = (&mut indices[..], &mut data[..], &mut indptr[1..]);
        for &(bi, s, e) in &work {
            let (a, ix_rest) = ix.split_at_mut((e - s) * nc);
            let (b, dt_rest) = dt.split_at_mut((e - s) * nc);
            let (c, ip_rest) = ip.split_at_mut(e - s);
            jobs.push((bi, s, e, a, b, c));
            (ix, dt, ip) = (ix_rest, dt_rest, ip_rest);
        }
    }
    let counts: Vec<usize> = jobs
        .into_par_iter()
        .map(|(bi, s, e, ix, dt, ip)| hash_chunk(&cols[bi], s, e, &p, ix, dt, ip))
        .collect();
    // SAFETY: every row pointer was written (indptr[0] above, the rest by the jobs).
    let mut indptr = unsafe { assume_init(indptr) };
    // Close the gaps between chunk regions (only after rows with nulls or collisions).
    let mut bases = Vec::with_capacity(work.len());
    let mut region = 0;
    let mut w = 0;
    for (&(_, s, e), &cnt) in work.iter().zip(&counts) {
        if w != region {
            indices.copy_within(region..region + cnt, w);
            data.copy_within(region..region + cnt, w);
        }
        bases.push(w);
        w += cnt;
        region += (e - s) * nc;
    }
    let nnz = w;
    indices.truncate(nnz);
    data.truncate(nnz);
    if nnz < cap - cap / 4 {
        indices.shrink_to_fit();
        data.shrink_to_fit();
    }
    // SAFETY: the first nnz entries are the jobs' written entries, moved together.
    let (indices, data) = unsafe { (assume_init(indices), assume_init(data)) };
    // Row pointers: chunk-local cumulative counts + the chunk's base, in parallel.
    {
        let mut ip = &mut indptr[1..];
        let mut parts = Vec::with_capacity(work.len());
        for (j, &(_, s, e)) in work.iter().enumerate() {
            let (a, rest) = ip.split_at_mut(e - s);
            parts.push((bases[j], a));
            ip = rest;
        }
        parts.into_par_iter().for_each(|(base, a)| {
            if base != 0 {
                for v in a.iter_mut() {
                    *v = I::from_usize(v.to_usize() + base);
                }
            }
        });
    }
    Ok(Csr {
        indices,
        data,
        indptr,
        n_rows,
    })
}
