//! Keyed pseudonymisation: HMAC-SHA-256 of many values at once (parallel for large inputs).
use hmac::{Hmac, Mac};
use rayon::prelude::*;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;
const PAR_MIN: usize = 4096;

/// A flat arena of values: `data[offsets[i]..offsets[i+1]]` is value i.
pub struct Arena {
    pub data: Vec<u8>,
    pub offsets: Vec<usize>,
}

impl Arena {
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }
    #[inline]
    pub fn get(&self, i: usize) -> &[u8] {
        &self.data[self.offsets[i]..self.offsets[i + 1]]
    }
}

fn map_all<T: Send>(
    arena: &Arena,
    key: &[u8],
    f: impl Fn([u8; 32]) -> T + Sync,
) -> Result<Vec<T>, String> {
    // HMAC accepts keys of any length; the error arm exists only for the generic Mac API.
    let base = HmacSha256::new_from_slice(key).map_err(|e| format!("bad HMAC key: {e}"))?;
    let one = |i: usize| {
        let mut m = base.clone();
        m.update(arena.get(i));
        let out: [u8; 32] = m.finalize().into_bytes().into();
        f(out)
    };
    Ok(if arena.len() >= PAR_MIN {
        (0..arena.len())
            .into_par_iter()
            .with_min_len(512)
            .map(one)
            .collect()
    } else {
        (0..arena.len()).map(one).collect()
    })
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub fn hmac_hex(key: &[u8], arena: &Arena) -> Result<Vec<[u8; 64]>, String> {
    map_all(arena, key, |d| {
        let mut s = [0u8; 64];
        for (j, b) in d.iter().enumerate() {
            s[2 * j] = HEX[(b >> 4) as usize];
            s[2 * j + 1] = HEX[(b & 15) as usize];
        }
        s
    })
}

pub fn hmac_u64(key: &[u8], arena: &Arena) -> Result<Vec<u64>, String> {
    map_all(arena, key, |d| {
        u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    })
}
