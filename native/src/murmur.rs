//! MurmurHash3 x86 32-bit (Austin Appleby's public-domain algorithm), the hash sklearn's
//! FeatureHasher uses (`murmurhash3_bytes_s32`, seed 0, little-endian block reads).

#[inline(always)]
fn mix_k(mut k: u32) -> u32 {
    k = k.wrapping_mul(0xcc9e_2d51);
    k = k.rotate_left(15);
    k.wrapping_mul(0x1b87_3593)
}

/// MurmurHash3_x86_32 of `data` with `seed`, returned as the signed value sklearn sees.
#[inline]
pub fn murmur3_32(data: &[u8], seed: u32) -> i32 {
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        h ^= mix_k(k);
        h = h.rotate_left(13);
        h = h.wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    let mut k1: u32 = 0;
    if tail.len() >= 3 {
        k1 ^= (tail[2] as u32) << 16;
    }
    if tail.len() >= 2 {
        k1 ^= (tail[1] as u32) << 8;
    }
    if !tail.is_empty() {
        k1 ^= tail[0] as u32;
        h ^= mix_k(k1);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

/// sklearn's bucket rule: `abs(h) % n`, with `abs(INT32_MIN)` defined as
/// `(2147483647 - (n - 1)) % n`, which equals `2**31 % n` = `h.unsigned_abs() % n`;
/// the sign is `+1` iff `h >= 0`. `n` is in [1, 2**31 - 1].
#[inline(always)]
pub fn bucket(h: i32, n: i64) -> (u32, f64) {
    let n = n as u32;
    let a = h.unsigned_abs();
    let idx = if n.is_power_of_two() { a & (n - 1) } else { a % n };
    (idx, if h >= 0 { 1.0 } else { -1.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn known_vectors() {
        assert_eq!(murmur3_32(b"", 0), 0);
        assert_eq!(murmur3_32(b"", 1) as u32, 0x514E_28B7);
        assert_eq!(murmur3_32(b"Hello, world!", 1234) as u32, 0xFAF6_CDB3);
        assert_eq!(murmur3_32(b"The quick brown fox jumps over the lazy dog", 0) as u32, 0x2E4F_F723);
    }
}
