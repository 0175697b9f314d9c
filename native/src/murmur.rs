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
    (h ^ mix_k(k))
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
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
        Murmur {
            h: seed,
            carry: 0,
            nc: 0,
            len: 0,
        }
    }

    /// Feed `data` (any length, any number of calls).
    #[inline(always)]
    pub fn update(&mut self, mut data: &[u8]) {
        // Lengths wrap modulo 2**32 like the reference's `uint32_t len` cast.
        self.len = self.len.wrapping_add(data.len() as u32);
        if self.nc > 0 {
            while self.nc < 4 {
                let Some((&b, rest)) = data.split_first() else {
                    return;
                };
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

/// Hashes for many Arrow string views at once: `out[i]` is the hash of
/// (what `pre` was fed) + the inline string of `views[i]` (bytes 4..4+len of the view, the
/// length in its low 32 bits). Views longer than 12 bytes (not inline) get a meaningless
/// value the caller must replace. Written lane-wise with no branches so it vectorises; on
/// x86-64 the AVX2 build is chosen at run time when the CPU has it.
pub fn hash_inline_views(pre: &Murmur, views: &[u128], out: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { hash_inline_views_avx2(pre, views, out) };
        }
    }
    hash_inline_views_lanes(pre, views, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn hash_inline_views_avx2(pre: &Murmur, views: &[u128], out: &mut [i32]) {
    hash_inline_views_lanes(pre, views, out)
}

#[inline(always)]
fn hash_inline_views_lanes(pre: &Murmur, views: &[u128], out: &mut [i32]) {
    const LANES: usize = 64;
    let mut d = [[0u32; LANES]; 4]; // length, then the three data words of each view
    for (vs, os) in views.chunks(LANES).zip(out.chunks_mut(LANES)) {
        // Structure of arrays first (plain loads), then pure u32 lane arithmetic.
        for (k, &v) in vs.iter().enumerate() {
            d[0][k] = v as u32;
            d[1][k] = (v >> 32) as u32;
            d[2][k] = (v >> 64) as u32;
            d[3][k] = (v >> 96) as u32;
        }
        hash_lanes(pre, &d, os);
    }
}

#[inline(always)]
fn hash_lanes<const L: usize>(pre: &Murmur, d: &[[u32; L]; 4], out: &mut [i32]) {
    let s = 8 * pre.nc; // 0, 8, 16 or 24: the prefix's pending bytes come first
    let r = 31 - s; // x >> (32 - s) == (x >> 1) >> r, also for s == 0
    let (h0, carry, nc, plen) = (pre.h, pre.carry, pre.nc, pre.len);
    let n = out.len().min(L);
    for k in 0..n {
        let len = d[0][k].min(12);
        let keep = |j: u32| {
            let b = len.saturating_sub(4 * j);
            if b >= 4 {
                u32::MAX
            } else {
                (1u32 << (8 * b)).wrapping_sub(1)
            }
        };
        let d0 = d[1][k] & keep(0);
        let d1 = d[2][k] & keep(1);
        let d2 = d[3][k] & keep(2);
        // The pending bytes: prefix carry, then the suffix shifted past it (little-endian).
        let w0 = carry | (d0 << s);
        let w1 = ((d0 >> 1) >> r) | (d1 << s);
        let w2 = ((d1 >> 1) >> r) | (d2 << s);
        let w3 = (d2 >> 1) >> r;
        let nblocks = (nc + len) >> 2; // 0..=3 complete blocks
        let mut h = h0;
        let h1 = block(h, w0);
        h = if nblocks >= 1 { h1 } else { h };
        let h2 = block(h, w1);
        h = if nblocks >= 2 { h2 } else { h };
        let h3 = block(h, w2);
        h = if nblocks >= 3 { h3 } else { h };
        let t01 = if nblocks == 0 { w0 } else { w1 };
        let t23 = if nblocks == 2 { w2 } else { w3 };
        let tail = if nblocks < 2 { t01 } else { t23 };
        h ^= mix_k(tail);
        out[k] = fmix(h ^ plen.wrapping_add(len)) as i32;
    }
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
    let idx = if n.is_power_of_two() {
        a & (n - 1)
    } else {
        a % n
    };
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
        assert_eq!(
            murmur3_32(b"The quick brown fox jumps over the lazy dog", 0) as u32,
            0x2E4F_F723
        );
    }

    #[test]
    fn inline_view_reaching_int_min() {
        let mut pre = Murmur::new(0);
        pre.update(b"k=");
        let mut buf = [0u8; 16];
        buf[..4].copy_from_slice(&7u32.to_le_bytes());
        buf[4..11].copy_from_slice(b"nzpnycf");
        let mut out = [0i32; 1];
        hash_inline_views(&pre, &[u128::from_le_bytes(buf)], &mut out);
        assert_eq!(out[0], i32::MIN);
    }

    #[test]
    fn inline_views_equal_one_shot() {
        let data: Vec<u8> = (0u8..40)
            .map(|i| i.wrapping_mul(53).wrapping_add(7))
            .collect();
        for p in 0..12 {
            let mut pre = Murmur::new(0);
            pre.update(&data[..p]);
            // Every length 0..=12, with garbage above the string in each view.
            let views: Vec<u128> = (0..=12usize)
                .map(|len| {
                    let mut buf = [0x5Cu8; 16];
                    buf[..4].copy_from_slice(&(len as u32).to_le_bytes());
                    buf[4..4 + len].copy_from_slice(&data[p..p + len]);
                    u128::from_le_bytes(buf)
                })
                .collect();
            let mut out = vec![0i32; views.len()];
            hash_inline_views(&pre, &views, &mut out);
            let mut lanes = vec![0i32; views.len()];
            hash_inline_views_lanes(&pre, &views, &mut lanes);
            for len in 0..=12usize {
                assert_eq!(out[len], murmur3_32(&data[..p + len], 0), "p={p} len={len}");
                assert_eq!(lanes[len], out[len]);
            }
        }
    }

    #[test]
    fn streaming_equals_one_shot_for_every_split() {
        let data: Vec<u8> = (0u8..40)
            .map(|i| i.wrapping_mul(37).wrapping_add(11))
            .collect();
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
        let views: Vec<u128> = (0..1_000_000u32)
            .map(|i| {
                let s = format!("me{}", i % 50000);
                let mut b = [0u8; 16];
                b[..4].copy_from_slice(&(s.len() as u32).to_le_bytes());
                b[4..4 + s.len()].copy_from_slice(s.as_bytes());
                u128::from_le_bytes(b)
            })
            .collect();
        let mut out = vec![0i32; views.len()];
        for _ in 0..10 {
            let t = std::time::Instant::now();
            hash_inline_views(&pre, &views, &mut out);
            let d1 = t.elapsed();
            let t = std::time::Instant::now();
            let mut acc = 0i32;
            for &v in &views {
                let b = v.to_le_bytes();
                acc = acc.wrapping_add(pre.hash_suffix(&b[4..4 + (v as u32) as usize]));
            }
            let d2 = t.elapsed();
            assert_eq!(acc, out.iter().fold(0i32, |a, &h| a.wrapping_add(h)));
            eprintln!("inline views {:?} stream {:?} per 1M", d1, d2);
        }
    }
}
