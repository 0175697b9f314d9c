//! MurmurHash3 x86 32-bit (Austin Appleby's public-domain algorithm), the hash sklearn's
//! FeatureHasher uses (`murmurhash3_bytes_s32`, seed 0, little-endian block reads).
//!
//! Besides the one-shot [`murmur3_32`], [`Murmur`] hashes a byte string fed in pieces
//! (a 4-byte block carry bridges the pieces), so a token `"col=" + value` is hashed from
//! a precomputed state for `"col="` without ever building the token.

#[inline(always)]
fn mix_k(mut k: u32) -> u32 {
    k = k.wrapping_mul(0xcc9e_2d51);
    k = k.rotate_left(15);
    k.wrapping_mul(0x1b87_3593)
}

#[inline(always)]
fn block(h: u32, k: u32) -> u32 {
    (h ^ mix_k(k)).rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64)
}

#[inline(always)]
fn fmix(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// Incremental MurmurHash3_x86_32: `h` after the complete blocks so far, `carry` holding the
/// `nc` (0..=3) bytes of the incomplete block (little-endian), `len` the bytes fed so far.
#[derive(Clone, Copy, Debug)]
pub struct Murmur {
    h: u32,
    carry: u32,
    nc: u32,
    len: u32,
}

impl Murmur {
    pub fn new(seed: u32) -> Self {
        Murmur { h: seed, carry: 0, nc: 0, len: 0 }
    }

    /// Feed `data` (any length, any number of calls).
    #[inline(always)]
    pub fn update(&mut self, mut data: &[u8]) {
        // Lengths wrap modulo 2**32 like the reference's `uint32_t len` cast.
        self.len = self.len.wrapping_add(data.len() as u32);
        if self.nc > 0 {
            while self.nc < 4 {
                let Some((&b, rest)) = data.split_first() else { return };
                self.carry |= (b as u32) << (8 * self.nc);
                self.nc += 1;
                data = rest;
            }
            self.h = block(self.h, self.carry);
            self.carry = 0;
            self.nc = 0;
        }
        let mut chunks = data.chunks_exact(4);
        for c in &mut chunks {
            self.h = block(self.h, u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        }
        for (j, &b) in chunks.remainder().iter().enumerate() {
            self.carry |= (b as u32) << (8 * j);
        }
        self.nc = chunks.remainder().len() as u32;
    }

    /// The hash of everything fed, as the signed value sklearn sees.
    #[inline(always)]
    pub fn finish(self) -> i32 {
        let mut h = self.h;
        if self.nc > 0 {
            h ^= mix_k(self.carry);
        }
        fmix(h ^ self.len) as i32
    }

    /// Hash of (what this state was fed) + `data`, leaving `self` untouched.
    #[inline(always)]
    pub fn hash_suffix(&self, data: &[u8]) -> i32 {
        let mut s = *self;
        s.update(data);
        s.finish()
    }
}

/// Hash of (what `pre` was fed) + a short suffix of `len` ≤ 12 bytes given little-endian in
/// the low bytes of `v` (bytes above `len` may be anything), without branches on the length:
/// the ≤ 15 pending bytes form up to 3 blocks plus a tail, all computed and selected. A tail
/// of zero bytes needs no special case since `mix_k(0) == 0`.
#[inline(always)]
pub fn hash_short_suffix(pre: &Murmur, v: u128, len: u32) -> i32 {
    debug_assert!(len <= 12);
    let mask = (1u128 << (8 * len)) - 1;
    let x = (pre.carry as u128) | ((v & mask) << (8 * pre.nc));
    let pending = pre.nc + len; // 0..=15
    let nblocks = pending >> 2;
    let w = [x as u32, (x >> 32) as u32, (x >> 64) as u32, (x >> 96) as u32];
    let mut h = pre.h;
    let h1 = block(h, w[0]);
    h = if nblocks >= 1 { h1 } else { h };
    let h2 = block(h, w[1]);
    h = if nblocks >= 2 { h2 } else { h };
    let h3 = block(h, w[2]);
    h = if nblocks >= 3 { h3 } else { h };
    h ^= mix_k(w[(nblocks & 3) as usize]);
    fmix(h ^ pre.len.wrapping_add(len)) as i32
}

/// MurmurHash3_x86_32 of `data` with `seed`, returned as the signed value sklearn sees.
#[inline]
pub fn murmur3_32(data: &[u8], seed: u32) -> i32 {
    Murmur::new(seed).hash_suffix(data)
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

    #[test]
    fn short_suffix_equals_one_shot() {
        let data: Vec<u8> = (0u8..40).map(|i| i.wrapping_mul(91).wrapping_add(3)).collect();
        for p in 0..12 {
            let mut pre = Murmur::new(0);
            pre.update(&data[..p]);
            for len in 0..=12usize {
                let mut buf = [0xAAu8; 16]; // garbage above len must be ignored
                buf[..len].copy_from_slice(&data[p..p + len]);
                let v = u128::from_le_bytes(buf);
                assert_eq!(hash_short_suffix(&pre, v, len as u32), murmur3_32(&data[..p + len], 0), "p={p} len={len}");
            }
        }
        let mut pre = Murmur::new(0);
        pre.update(b"k=");
        assert_eq!(hash_short_suffix(&pre, u128::from_le_bytes(*b"nzpnycf\0\0\0\0\0\0\0\0\0"), 7), i32::MIN);
    }

    #[test]
    fn streaming_equals_one_shot_for_every_split() {
        let data: Vec<u8> = (0u8..40).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
        for n in 0..data.len() {
            let want = murmur3_32(&data[..n], 7);
            for a in 0..=n {
                for b in a..=n {
                    let mut m = Murmur::new(7);
                    m.update(&data[..a]);
                    m.update(&data[a..b]);
                    m.update(&data[b..n]);
                    assert_eq!(m.finish(), want, "n={n} a={a} b={b}");
                }
            }
        }
    }
}

#[cfg(test)]
mod speed {
    use super::*;
    #[test]
    #[ignore]
    fn throughput() {
        let mut pre = Murmur::new(0);
        pre.update(b"merchant=");
        let vals: Vec<(u128, u32)> = (0..1_000_000u32).map(|i| {
            let s = format!("me{}", i % 50000);
            let mut b = [0u8; 16];
            b[..s.len()].copy_from_slice(s.as_bytes());
            (u128::from_le_bytes(b), s.len() as u32)
        }).collect();
        for _ in 0..15 {
            let t = std::time::Instant::now();
            let mut acc = 0i32;
            for &(v, l) in &vals { acc = acc.wrapping_add(hash_short_suffix(&pre, v, l)); }
            let d1 = t.elapsed();
            let t = std::time::Instant::now();
            let mut acc2 = 0i32;
            for &(v, l) in &vals { let b = v.to_le_bytes(); acc2 = acc2.wrapping_add(pre.hash_suffix(&b[..l as usize])); }
            let d2 = t.elapsed();
            assert_eq!(acc, acc2);
            eprintln!("short {:?} stream {:?} per 1M", d1, d2);
        }
    }
}
