//! Ed25519 batch verification that merges the terms of signatures by the same key and
//! locates the bad signatures of a failed batch from the batch sums themselves.
//!
//! For signature i (key `A_i`, `R_i`, `s_i`, `k_i = SHA-512(R_i || A_i || M_i) mod l`) let
//! `D_i = R_i + k_i A_i - s_i B`; it verifies (cofactorless, as `verify_strict`) iff
//! `D_i = 0`. A batch computes
//!
//! ```text
//! S(G) = Σ_{i∈G} z_i D_i = (-Σ z_i s_i) B + Σ z_i R_i + Σ_A (Σ_{i: A_i = A} z_i k_i) A
//! ```
//!
//! with 128-bit weights `z_i`, one multiscalar multiplication over |G| + m + 1 points for m
//! distinct keys (Stellar envelopes are signed by a handful of account keys, so this is about
//! half of the 2|G| + 1 points of unmerged batching). The weights come from a SHA-512 over
//! every input (as dalek's transcript), so whoever chooses the inputs cannot choose the
//! weights, and they are odd, so a single signature whose `D_i` is a small-order point still
//! makes its sum non-zero. `S(G) = 0` means every signature of G verifies (but for a
//! ~2^-128 chance, and for one case the README states: bad signatures crafted by a key's
//! holder whose torsion components cancel each other).
//!
//! When `S(G) != 0`, [`Batch::locate`] also computes the position-weighted sum
//! `S'(G) = Σ q_i z_i D_i` (q_i = 1, 2, ... the position in the batch). If exactly one
//! signature j is bad, `S = z_j D_j` and `S' = q_j S`: stepping through `S, 2S, 3S, ...`
//! (one point addition each) finds q_j, and j alone is checked. Otherwise G is halved:
//! `S(left)` and `S'(left)` cost two multiscalar multiplications, the right half's sums are
//! the differences, and each failed half is resolved the same way, down to small groups
//! checked one signature at a time (in a failed group whose other signatures verify, the
//! last one is known to be bad without checking it). A group with one bad signature, the
//! common case under a low failure rate, thus costs two sums, a walk and one check, instead
//! of a sum per halving. When both halves of a batch hold several bad signatures (a burst
//! after a quiet stretch), the batch is checked one signature at a time instead.
//!
//! Everything that does not depend on the subset (decoding R, the hash k, the weights and
//! the products `z_i s_i`, `z_i k_i`) is computed once in [`Batch::new`], so the sums of
//! the halves cost only their multiscalar multiplications.
use std::collections::HashMap;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

/// Failed groups of at most this many signatures are checked one by one.
const SINGLES_AT_MOST: usize = 4;

/// One signature of a batch: the signed message, the 64-byte signature (R || s) and the
/// index of its key in the key list given to [`Batch::new`].
pub struct Item<'a> {
    pub msg: &'a [u8],
    pub sig: &'a [u8; 64],
    pub key: usize,
}

/// A batch prepared once; sums over any subset cost one multiscalar multiplication.
pub struct Batch {
    /// Decoded R, or None when the signature fails a check that needs no key (s not
    /// canonical, R not a canonical encoding of a point of large order).
    r: Vec<Option<EdwardsPoint>>,
    s: Vec<Scalar>,
    k: Vec<Scalar>,
    z: Vec<Scalar>,
    zs: Vec<Scalar>,
    zk: Vec<Scalar>,
    key: Vec<usize>,
    keys: Vec<EdwardsPoint>,
}

/// R as `verify_strict` accepts it: a canonical encoding of a point not of small order.
fn decode_r(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    // y >= p = 2^255 - 19 is the only non-canonical y; the other non-canonical encodings
    // (x = 0 with the sign bit set) decode to small-order points, which verify_strict
    // refuses, as it refuses the canonical encodings of the eight small-order points.
    let y_at_least_p =
        bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed;
    if y_at_least_p {
        return None;
    }
    if crate::fixedbase::small_order_encodings().contains(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

impl Batch {
    /// `keys[j]` is (compressed bytes, point) of key j; the bytes enter the hash as given.
    pub fn new(items: &[Item], keys: &[([u8; 32], EdwardsPoint)]) -> Batch {
        let n = items.len();
        let mut r = Vec::with_capacity(n);
        let mut s = Vec::with_capacity(n);
        let mut k = Vec::with_capacity(n);
        let mut transcript = Sha512::new();
        transcript.update(b"cofre ed25519 merged batch verification v2");
        for it in items {
            let r_bytes: [u8; 32] = it.sig[..32].try_into().expect("32 bytes");
            let s_bytes: [u8; 32] = it.sig[32..].try_into().expect("32 bytes");
            let sc = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes));
            let point = sc.and_then(|_| decode_r(&r_bytes));
            let hram: [u8; 64] = Sha512::new()
                .chain_update(r_bytes)
                .chain_update(keys[it.key].0)
                .chain_update(it.msg)
                .finalize()
                .into();
            transcript.update(hram);
            transcript.update(s_bytes);
            r.push(point);
            s.push(sc.unwrap_or(Scalar::ZERO));
            k.push(Scalar::from_bytes_mod_order_wide(&hram));
        }
        let seed: [u8; 64] = transcript.finalize().into();
        // Four 128-bit weights per SHA-512(seed || block), low bit set.
        let mut z = Vec::with_capacity(n);
        let mut block = 0u64;
        while z.len() < n {
            let out: [u8; 64] = Sha512::new()
                .chain_update(seed)
                .chain_update(block.to_le_bytes())
                .finalize()
                .into();
            for q in out.chunks_exact(16).take(n - z.len()) {
                let w = u128::from_le_bytes(q.try_into().expect("16 bytes")) | 1;
                z.push(Scalar::from(w));
            }
            block += 1;
        }
        let zs = z.iter().zip(&s).map(|(z, s)| z * s).collect();
        let zk = z.iter().zip(&k).map(|(z, k)| z * k).collect();
        Batch {
            r,
            s,
            k,
            z,
            zs,
            zk,
            key: items.iter().map(|it| it.key).collect(),
            keys: keys.iter().map(|(_, p)| *p).collect(),
        }
    }

    /// S(subset), or S'(subset) when `by_position`, over the items of `subset` that have a
    /// decoded R (callers pass only those).
    fn sum(&self, subset: &[usize], by_position: bool) -> EdwardsPoint {
        let mut b = Scalar::ZERO;
        let mut per_key: HashMap<usize, Scalar> = HashMap::with_capacity(subset.len().min(16));
        let mut scalars = Vec::with_capacity(subset.len() + 17);
        let mut points = Vec::with_capacity(subset.len() + 17);
        for &i in subset {
            let Some(r) = self.r[i] else { continue };
            let (z, zs, zk) = if by_position {
                let q = Scalar::from(i as u64 + 1);
                (q * self.z[i], q * self.zs[i], q * self.zk[i])
            } else {
                (self.z[i], self.zs[i], self.zk[i])
            };
            b -= zs;
            *per_key.entry(self.key[i]).or_insert(Scalar::ZERO) += zk;
            scalars.push(z);
            points.push(r);
        }
        scalars.push(b);
        points.push(ED25519_BASEPOINT_POINT);
        for (&j, &c) in &per_key {
            scalars.push(c);
            points.push(self.keys[j]);
        }
        EdwardsPoint::vartime_multiscalar_mul(scalars, points)
    }

    /// `verify_strict` of item i against its batch key, from the prepared data (R decoded
    /// and checked, s canonical): `R == [s]B - [k]A`.
    pub fn verify_one(&self, i: usize) -> bool {
        let Some(r) = self.r[i] else { return false };
        EdwardsPoint::vartime_double_scalar_mul_basepoint(
            &self.k[i],
            &-self.keys[self.key[i]],
            &self.s[i],
        ) == r
    }

    /// Validity of every item. `single(i)` must answer `verify_strict` for item i against
    /// its batch key; it is asked only about items inside failed groups.
    pub fn locate(&self, mut single: impl FnMut(usize) -> bool) -> Vec<bool> {
        let mut valid: Vec<bool> = self.r.iter().map(Option::is_some).collect();
        let live: Vec<usize> = (0..valid.len()).filter(|&i| valid[i]).collect();
        if live.is_empty() {
            return valid;
        }
        let s = self.sum(&live, false);
        if !s.is_identity() {
            let s2 = self.sum(&live, true);
            self.resolve(&live, (s, s2), true, &mut single, &mut valid);
        }
        valid
    }

    /// `group` (increasing indices) has sums `(S, S')` with S non-zero: find its bad items.
    /// `whole` marks the batch itself (not a half).
    fn resolve(
        &self,
        group: &[usize],
        (s, s2): (EdwardsPoint, EdwardsPoint),
        whole: bool,
        single: &mut impl FnMut(usize) -> bool,
        valid: &mut [bool],
    ) {
        if group.len() <= SINGLES_AT_MOST {
            one_by_one(group, single, valid);
            return;
        }
        if let Some(j) = only_bad(group, s, s2) {
            if !single(j) {
                valid[j] = false;
                return;
            }
        }
        let (left, right) = group.split_at(group.len() / 2);
        let (sl, sl2) = (self.sum(left, false), self.sum(left, true));
        let (sr, sr2) = (s - sl, s2 - sl2);
        let (bad_left, bad_right) = (!sl.is_identity(), !sr.is_identity());
        if whole
            && bad_left
            && bad_right
            && only_bad(left, sl, sl2).is_none()
            && only_bad(right, sr, sr2).is_none()
        {
            // Several bad signatures in each half of the batch: a burst (the batch was sized
            // for a low failure rate that no longer holds). More sums would cost more than
            // checking each signature.
            one_by_one(group, single, valid);
            return;
        }
        if bad_left {
            self.resolve(left, (sl, sl2), false, single, valid);
        }
        if bad_right {
            self.resolve(right, (sr, sr2), false, single, valid);
        }
    }
}

/// The item j of `group` with `S' = (j + 1) S`, the only candidate if one item is bad.
fn only_bad(group: &[usize], s: EdwardsPoint, s2: EdwardsPoint) -> Option<usize> {
    let mut multiple = EdwardsPoint::identity();
    let mut q = 0;
    for &i in group {
        while q <= i {
            multiple += s;
            q += 1;
        }
        if multiple == s2 {
            return Some(i);
        }
    }
    None
}

/// Check a failed group one by one; if all but the last verify, the last is bad.
fn one_by_one(group: &[usize], single: &mut impl FnMut(usize) -> bool, valid: &mut [bool]) {
    let mut found = false;
    for (j, &i) in group.iter().enumerate() {
        if j + 1 == group.len() && !found {
            valid[i] = false;
            break;
        }
        if !single(i) {
            valid[i] = false;
            found = true;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

    struct Case {
        vks: Vec<VerifyingKey>,
        msgs: Vec<Vec<u8>>,
        sigs: Vec<[u8; 64]>,
        keys: Vec<usize>,
    }

    fn case(n: usize, n_keys: u8) -> Case {
        let sks: Vec<SigningKey> = (0..n_keys)
            .map(|k| SigningKey::from_bytes(&[k + 1; 32]))
            .collect();
        let msgs: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("message {i}").into_bytes())
            .collect();
        let keys: Vec<usize> = (0..n).map(|i| i % sks.len()).collect();
        let sigs = msgs
            .iter()
            .zip(&keys)
            .map(|(m, &k)| sks[k].sign(m).to_bytes())
            .collect();
        Case {
            vks: sks.iter().map(|s| s.verifying_key()).collect(),
            msgs,
            sigs,
            keys,
        }
    }

    /// (result of locate, how many singles it asked for), checked against verify_strict.
    fn run(c: &Case) -> (Vec<bool>, usize) {
        let keys: Vec<([u8; 32], EdwardsPoint)> = c
            .vks
            .iter()
            .map(|v| (v.to_bytes(), v.to_edwards()))
            .collect();
        let items: Vec<Item> = (0..c.msgs.len())
            .map(|i| Item {
                msg: &c.msgs[i],
                sig: &c.sigs[i],
                key: c.keys[i],
            })
            .collect();
        let strict = |i: usize| {
            c.vks[c.keys[i]]
                .verify_strict(&c.msgs[i], &Signature::from_bytes(&c.sigs[i]))
                .is_ok()
        };
        let mut asked = 0;
        let got = Batch::new(&items, &keys).locate(|i| {
            asked += 1;
            strict(i)
        });
        let want: Vec<bool> = (0..items.len()).map(strict).collect();
        assert_eq!(got, want);
        (got, asked)
    }

    #[test]
    fn valid_batches_pass_without_singles() {
        for (n, k) in [(1, 1), (2, 1), (7, 3), (64, 8), (300, 5)] {
            let (got, asked) = run(&case(n, k));
            assert!(got.iter().all(|&v| v), "n={n} keys={k}");
            assert_eq!(asked, 0);
        }
    }

    #[test]
    fn any_tampering_is_located() {
        let base = case(40, 4);
        for i in [0, 17, 39] {
            for byte in [0, 31, 32, 63] {
                let mut c = case(40, 4);
                c.sigs[i][byte] ^= 0x01;
                let (got, _) = run(&c);
                assert_eq!(
                    got.iter().filter(|&&v| !v).count(),
                    1,
                    "sig {i} byte {byte}"
                );
            }
            let mut c = case(40, 4);
            c.msgs[i].push(b'!');
            assert!(!run(&c).0[i], "message {i}");
            let mut c = case(40, 4);
            c.keys[i] = (base.keys[i] + 1) % 4;
            assert!(!run(&c).0[i], "key {i}");
        }
    }

    #[test]
    fn one_bad_signature_is_found_from_the_sums() {
        for bad in [0, 1, 300, 511] {
            let mut c = case(512, 8);
            c.sigs[bad] = SigningKey::from_bytes(&[1; 32]).sign(b"other").to_bytes();
            let (got, asked) = run(&c);
            assert!(!got[bad] && got.iter().filter(|&&v| !v).count() == 1);
            assert_eq!(asked, 1, "bad {bad}");
        }
    }

    #[test]
    fn every_density_is_located() {
        for every in [1, 2, 3, 10, 97] {
            let mut c = case(200, 3);
            for i in (0..200).step_by(every) {
                c.sigs[i][40] ^= 0x04;
            }
            let (got, _) = run(&c);
            assert_eq!(
                got.iter().filter(|&&v| !v).count(),
                200_usize.div_ceil(every)
            );
        }
    }

    /// s + l: the same scalar, encoded non-canonically (l - 1 plus a carry of 1).
    pub(crate) fn add_l(s: &mut [u8]) {
        let l_minus_1 = (Scalar::ZERO - Scalar::ONE).to_bytes();
        let mut carry = 1u16;
        for (b, l) in s.iter_mut().zip(l_minus_1) {
            let v = *b as u16 + l as u16 + carry;
            *b = v as u8;
            carry = v >> 8;
        }
    }

    #[test]
    fn non_canonical_s_and_r_are_refused() {
        let mut c = case(3, 1);
        // s + l encodes the same scalar non-canonically; strict verification refuses it.
        add_l(&mut c.sigs[1][32..]);
        // R = identity with s = 0 satisfies the equation only if k A = 0: refused anyway.
        c.sigs[2] = [0; 64];
        c.sigs[2][0] = 1;
        let (got, _) = run(&c);
        assert_eq!(got, vec![true, false, false]);
    }
}
