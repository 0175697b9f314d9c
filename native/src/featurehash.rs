//! Feature hashing of Arrow record batches, bit-for-bit equal to sklearn's
//! `FeatureHasher(input_type="string")` followed by `sum_duplicates()`.
//!
//! String cell `v` of column `c` is the token `"c=v"` with value 1; numeric cell `x` of
//! column `c` is the token `"c"` with value `x` (sklearn's dict input `{"c": x}`); zero and
//! null cells contribute nothing. Rows are processed in parallel chunks (rayon); the caller
//! releases the GIL around `hash_batches`.
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use rayon::prelude::*;

use crate::murmur::{bucket, murmur3_32};

/// One column's reader: cell index -> (bucket, signed value), or None when it contributes nothing.
type Cell<'a> = Box<dyn Fn(usize, &mut Vec<u8>) -> Option<(u32, f64)> + Send + Sync + 'a>;

const CHUNK_ROWS: usize = 8192;

/// The CSR parts: indices, data, indptr (len n_rows + 1), n_rows.
pub struct Csr {
    pub indices: Vec<u32>,
    pub data: Vec<f64>,
    pub indptr: Vec<i64>,
    pub n_rows: usize,
}

fn token_entry(token: &[u8], n: i64, alt: bool) -> (u32, f64) {
    let (idx, sign) = bucket(murmur3_32(token, 0), n);
    (idx, if alt { sign } else { 1.0 })
}

fn string_getter<'a>(arr: &'a dyn Array) -> Option<Box<dyn Fn(usize) -> Option<&'a [u8]> + Send + Sync + 'a>> {
    match arr.data_type() {
        DataType::Utf8 => {
            let a = arr.as_string::<i32>();
            Some(Box::new(move |i| if a.is_null(i) { None } else { Some(a.value(i).as_bytes()) }))
        }
        DataType::LargeUtf8 => {
            let a = arr.as_string::<i64>();
            Some(Box::new(move |i| if a.is_null(i) { None } else { Some(a.value(i).as_bytes()) }))
        }
        DataType::Utf8View => {
            let a = arr.as_string_view();
            Some(Box::new(move |i| if a.is_null(i) { None } else { Some(a.value(i).as_bytes()) }))
        }
        _ => None,
    }
}

macro_rules! numeric_cell {
    ($arr:expr, $ty:ty, $entry:expr, $alt:expr) => {{
        let a = $arr.as_primitive::<$ty>();
        let (idx, sign) = $entry;
        let alt = $alt;
        let c: Cell = Box::new(move |i, _buf| {
            if a.is_null(i) {
                return None;
            }
            let v = a.value(i) as f64;
            if v == 0.0 {
                None
            } else {
                Some((idx, if alt { v * sign } else { v }))
            }
        });
        c
    }};
}

fn make_cell<'a>(name: &str, arr: &'a ArrayRef, n: i64, alt: bool) -> Result<Cell<'a>, String> {
    let mut prefix = Vec::with_capacity(name.len() + 1);
    prefix.extend_from_slice(name.as_bytes());
    prefix.push(b'=');
    if let Some(get) = string_getter(arr.as_ref()) {
        return Ok(Box::new(move |i, buf: &mut Vec<u8>| {
            let v = get(i)?;
            buf.clear();
            buf.extend_from_slice(&prefix);
            buf.extend_from_slice(v);
            Some(token_entry(buf, n, alt))
        }));
    }
    // sklearn passes the sign as (h >= 0) * 2 - 1 only when alternate_sign is set.
    let entry = {
        let (idx, sign) = bucket(murmur3_32(name.as_bytes(), 0), n);
        (idx, sign)
    };
    let cell = match arr.data_type() {
        DataType::Null => Box::new(|_i, _b: &mut Vec<u8>| None) as Cell,
        DataType::Boolean => {
            let a = arr.as_boolean();
            let (idx, sign) = entry;
            Box::new(move |i, _b: &mut Vec<u8>| {
                if a.is_null(i) || !a.value(i) {
                    None
                } else {
                    Some((idx, if alt { sign } else { 1.0 }))
                }
            }) as Cell
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
            let get = string_getter(values.as_ref()).ok_or_else(|| {
                format!("column {name:?}: dictionary of {value_type} is not supported (only string dictionaries)")
            })?;
            // Hash each distinct dictionary value once.
            let mut buf = Vec::new();
            let table: Vec<Option<(u32, f64)>> = (0..values.len())
                .map(|j| {
                    get(j).map(|v| {
                        buf.clear();
                        buf.extend_from_slice(&prefix);
                        buf.extend_from_slice(v);
                        token_entry(&buf, n, alt)
                    })
                })
                .collect();
            let keys = d.normalized_keys();
            let key_arr = d.keys();
            Box::new(move |i, _b: &mut Vec<u8>| {
                if key_arr.is_null(i) {
                    return None;
                }
                table.get(keys[i]).copied().flatten()
            }) as Cell
        }
        other => {
            return Err(format!(
                "column {name:?} has unsupported type {other}: use strings (utf8/large_utf8/utf8_view/dictionary), integers, floats or booleans"
            ))
        }
    };
    Ok(cell)
}

/// Hash every row of `batches` (columns named `names`) into `n` buckets.
pub fn hash_batches(names: &[String], batches: &[RecordBatch], n: i64, alt: bool) -> Result<Csr, String> {
    let mut cells: Vec<Vec<Cell>> = Vec::with_capacity(batches.len());
    for b in batches {
        let mut cs = Vec::with_capacity(b.num_columns());
        for (name, col) in names.iter().zip(b.columns()) {
            cs.push(make_cell(name, col, n, alt)?);
        }
        cells.push(cs);
    }
    let mut work: Vec<(usize, usize, usize)> = Vec::new();
    for (bi, b) in batches.iter().enumerate() {
        let rows = b.num_rows();
        let mut s = 0;
        while s < rows {
            let e = (s + CHUNK_ROWS).min(rows);
            work.push((bi, s, e));
            s = e;
        }
    }
    let parts: Vec<(Vec<u32>, Vec<f64>, Vec<u32>)> = work
        .par_iter()
        .map(|&(bi, s, e)| {
            let cs = &cells[bi];
            let mut idx_out = Vec::with_capacity((e - s) * cs.len());
            let mut dat_out = Vec::with_capacity((e - s) * cs.len());
            let mut row_nnz = Vec::with_capacity(e - s);
            let mut row: Vec<(u32, f64)> = Vec::with_capacity(cs.len());
            let mut buf = Vec::with_capacity(64);
            for i in s..e {
                row.clear();
                for c in cs {
                    if let Some(entry) = c(i, &mut buf) {
                        row.push(entry);
                    }
                }
                row.sort_by_key(|x| x.0);
                let before = idx_out.len();
                let mut j = 0;
                while j < row.len() {
                    let k = row[j].0;
                    let mut v = row[j].1;
                    j += 1;
                    while j < row.len() && row[j].0 == k {
                        v += row[j].1;
                        j += 1;
                    }
                    idx_out.push(k);
                    dat_out.push(v);
                }
                row_nnz.push((idx_out.len() - before) as u32);
            }
            (idx_out, dat_out, row_nnz)
        })
        .collect();
    let nnz: usize = parts.iter().map(|p| p.0.len()).sum();
    let n_rows: usize = parts.iter().map(|p| p.2.len()).sum();
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    let mut indptr = Vec::with_capacity(n_rows + 1);
    indptr.push(0i64);
    let mut acc = 0i64;
    for (ix, dt, rn) in parts {
        indices.extend_from_slice(&ix);
        data.extend_from_slice(&dt);
        for r in rn {
            acc += r as i64;
            indptr.push(acc);
        }
    }
    Ok(Csr { indices, data, indptr, n_rows })
}
