//! Typed decoding of JSON object payloads (one per row) into columns, in parallel.
//!
//! The shape is a tree of fields: strings, 64-bit integers, booleans and nested objects. Each row
//! is parsed by sonic-rs (through serde) without building a document: wanted fields are appended to per-field
//! column builders, unknown fields are skipped, missing fields and JSON `null` become nulls (a
//! missing or null object makes the object and all its fields null). Anything else — invalid JSON,
//! a value of another JSON type than the field's, an integer outside i64, a repeated key — is an
//! error naming the row, so the caller can fall back to a general decoder with its own rules.
//! Rows are cut into chunks decoded on rayon's pool, then concatenated in row order.
use std::fmt;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

pub enum Kind {
    Str,
    I64,
    Bool,
    Struct,
}

/// One node of the shape, in pre-order; `children` index into the same list.
pub struct Node {
    pub name: String,
    pub kind: Kind,
    pub children: Vec<usize>,
}

/// A column being built for one node (values plus validity).
pub enum Col {
    Str {
        offsets: Vec<i64>,
        data: Vec<u8>,
        valid: Vec<bool>,
    },
    I64 {
        values: Vec<i64>,
        valid: Vec<bool>,
    },
    Bool {
        values: Vec<bool>,
        valid: Vec<bool>,
    },
    Struct {
        valid: Vec<bool>,
    },
}

impl Col {
    fn new(kind: &Kind, cap: usize) -> Col {
        match kind {
            Kind::Str => Col::Str {
                offsets: {
                    let mut o = Vec::with_capacity(cap + 1);
                    o.push(0);
                    o
                },
                data: Vec::with_capacity(cap * 16),
                valid: Vec::with_capacity(cap),
            },
            Kind::I64 => Col::I64 {
                values: Vec::with_capacity(cap),
                valid: Vec::with_capacity(cap),
            },
            Kind::Bool => Col::Bool {
                values: Vec::with_capacity(cap),
                valid: Vec::with_capacity(cap),
            },
            Kind::Struct => Col::Struct {
                valid: Vec::with_capacity(cap),
            },
        }
    }

    fn push_null(&mut self) {
        match self {
            Col::Str {
                offsets,
                data,
                valid,
            } => {
                offsets.push(data.len() as i64);
                valid.push(false);
            }
            Col::I64 { values, valid } => {
                values.push(0);
                valid.push(false);
            }
            Col::Bool { values, valid } => {
                values.push(false);
                valid.push(false);
            }
            Col::Struct { valid } => valid.push(false),
        }
    }

    fn append(&mut self, other: Col) {
        match (self, other) {
            (
                Col::Str {
                    offsets,
                    data,
                    valid,
                },
                Col::Str {
                    offsets: o2,
                    data: d2,
                    valid: v2,
                },
            ) => {
                let base = data.len() as i64;
                offsets.extend(o2[1..].iter().map(|o| o + base));
                data.extend_from_slice(&d2);
                valid.extend_from_slice(&v2);
            }
            (
                Col::I64 { values, valid },
                Col::I64 {
                    values: x,
                    valid: v2,
                },
            ) => {
                values.extend_from_slice(&x);
                valid.extend_from_slice(&v2);
            }
            (
                Col::Bool { values, valid },
                Col::Bool {
                    values: x,
                    valid: v2,
                },
            ) => {
                values.extend_from_slice(&x);
                valid.extend_from_slice(&v2);
            }
            (Col::Struct { valid }, Col::Struct { valid: v2 }) => valid.extend_from_slice(&v2),
            _ => unreachable!("columns of one node have one kind"),
        }
    }
}

fn null_subtree(nodes: &[Node], cols: &mut [Col], id: usize) {
    cols[id].push_null();
    for &c in &nodes[id].children {
        null_subtree(nodes, cols, c);
    }
}

struct Value<'a> {
    nodes: &'a [Node],
    cols: &'a mut [Col],
    id: usize,
}

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let what = match self.nodes[self.id].kind {
            Kind::Str => "a string or null",
            Kind::I64 => "a 64-bit integer or null",
            Kind::Bool => "a boolean or null",
            Kind::Struct => "an object or null",
        };
        write!(f, "{what} for field {:?}", self.nodes[self.id].name)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        null_subtree(self.nodes, self.cols, self.id);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match &mut self.cols[self.id] {
            Col::Str {
                offsets,
                data,
                valid,
            } => {
                data.extend_from_slice(v.as_bytes());
                offsets.push(data.len() as i64);
                valid.push(true);
                Ok(())
            }
            _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        match &mut self.cols[self.id] {
            Col::I64 { values, valid } => {
                values.push(v);
                valid.push(true);
                Ok(())
            }
            _ => Err(E::invalid_type(de::Unexpected::Signed(v), &self)),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match i64::try_from(v) {
            Ok(x) if matches!(self.cols[self.id], Col::I64 { .. }) => self.visit_i64(x),
            _ => Err(E::invalid_type(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        Err(E::invalid_type(de::Unexpected::Float(v), &self))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match &mut self.cols[self.id] {
            Col::Bool { values, valid } => {
                values.push(v);
                valid.push(true);
                Ok(())
            }
            _ => Err(E::invalid_type(de::Unexpected::Bool(v), &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Value { nodes, cols, id } = self;
        let node = &nodes[id];
        match &mut cols[id] {
            Col::Struct { valid } => valid.push(true),
            _ => {
                return Err(de::Error::invalid_type(
                    de::Unexpected::Map,
                    &Value { nodes, cols, id },
                ))
            }
        }
        let mut seen = vec![false; node.children.len()];
        while let Some(found) = map.next_key_seed(Key {
            nodes,
            children: &node.children,
        })? {
            match found {
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
                Some(j) => {
                    if seen[j] {
                        return Err(de::Error::custom(format!(
                            "repeated key {:?}",
                            nodes[node.children[j]].name
                        )));
                    }
                    seen[j] = true;
                    map.next_value_seed(Value {
                        nodes,
                        cols: &mut *cols,
                        id: node.children[j],
                    })?;
                }
            }
        }
        for (j, &c) in node.children.iter().enumerate() {
            if !seen[j] {
                null_subtree(nodes, cols, c);
            }
        }
        Ok(())
    }
}

/// A key of an object: the position of the field it names among `children` (None: not wanted).
struct Key<'a> {
    nodes: &'a [Node],
    children: &'a [usize],
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.children.iter().position(|&c| self.nodes[c].name == v))
    }
}

/// Row access over an Arrow string column's buffers.
pub trait Rows: Sync {
    fn len(&self) -> usize;
    fn row(&self, i: usize) -> Option<&[u8]>;
}

/// A large-string column: `data[offsets[i]..offsets[i+1]]`.
pub struct Offsets<'a> {
    pub data: &'a [u8],
    pub offsets: &'a [i64],
}

impl Rows for Offsets<'_> {
    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    fn row(&self, i: usize) -> Option<&[u8]> {
        let (a, b) = (
            usize::try_from(self.offsets[i]).ok()?,
            usize::try_from(self.offsets[i + 1]).ok()?,
        );
        self.data.get(a..b)
    }
}

/// A string-view column: 16-byte views (length, then the bytes inline up to 12, else a prefix,
/// buffer index and offset, all little-endian u32) over data buffers.
pub struct Views<'a> {
    pub views: &'a [u8],
    pub buffers: Vec<&'a [u8]>,
}

impl Rows for Views<'_> {
    fn len(&self) -> usize {
        self.views.len() / 16
    }

    fn row(&self, i: usize) -> Option<&[u8]> {
        let v = self.views.get(i * 16..i * 16 + 16)?;
        let u = |k: usize| u32::from_le_bytes([v[k], v[k + 1], v[k + 2], v[k + 3]]) as usize;
        let len = u(0);
        if len <= 12 {
            return v.get(4..4 + len);
        }
        self.buffers.get(u(8))?.get(u(12)..u(12) + len)
    }
}

fn decode_chunk<R: Rows>(
    nodes: &[Node],
    rows: &R,
    lo: usize,
    hi: usize,
) -> Result<Vec<Col>, String> {
    let mut cols: Vec<Col> = nodes.iter().map(|x| Col::new(&x.kind, hi - lo)).collect();
    for i in lo..hi {
        let row = rows
            .row(i)
            .ok_or_else(|| format!("row {i}: out of the column's buffers"))?;
        let mut de = sonic_rs::Deserializer::from_slice(row);
        let seed = Value {
            nodes,
            cols: &mut cols,
            id: 0,
        };
        seed.deserialize(&mut de)
            .and_then(|_| de.end())
            .map_err(|e| format!("row {i}: {e}"))?;
        if let Col::Struct { valid } = &cols[0] {
            if valid.last() != Some(&true) {
                return Err(format!("row {i}: not a JSON object"));
            }
        }
    }
    Ok(cols)
}

pub const CHUNK_ROWS: usize = 32 * 1024;

/// Decode every row of `rows`; one column per node (pre-order, node 0 = the row object).
pub fn decode<R: Rows>(nodes: &[Node], rows: &R) -> Result<Vec<Col>, String> {
    if nodes.is_empty() || !matches!(nodes[0].kind, Kind::Struct) {
        return Err("the shape's first node must be the row object".into());
    }
    let n = rows.len();
    let starts: Vec<usize> = (0..n.max(1)).step_by(CHUNK_ROWS).collect();
    let parts = starts
        .par_iter()
        .map(|&s| decode_chunk(nodes, rows, s, (s + CHUNK_ROWS).min(n)))
        .collect::<Result<Vec<_>, String>>()?;
    let mut it = parts.into_iter();
    let mut out = it.next().unwrap_or_default();
    for part in it {
        for (c, p) in out.iter_mut().zip(part) {
            c.append(p);
        }
    }
    Ok(out)
}
