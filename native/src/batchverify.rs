//! Ed25519 batch verification that merges the terms of signatures made by the same key.
//!
//! The batch equation (the one ed25519-dalek's `verify_batch` checks, cofactorless) is
//!
//! ```text
//! (-Σ z_i s_i) B + Σ z_i R_i + Σ (z_i k_i) A_i == identity,   k_i = SHA-512(R_i || A_i || M_i) mod l
//! ```
//!
//! with 128-bit random weights `z_i`. Signatures by the same key `A` share the point, so
//! their terms collapse into one: `(Σ_{i: A_i = A} z_i k_i) A`. A batch of n signatures by m
//! distinct keys is then one multiscalar multiplication over n + m + 1 points instead of
//! 2n + 1 — Stellar envelopes are signed by a handful of account keys, so this nearly halves
//! the work. The weights are derived from a SHA-512 over every input (as dalek does with its
//! transcript), so an attacker who chooses the inputs cannot choose the weights.
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

/// One signature of a batch: the signed message, the 64-byte signature (R || s) and the
/// index of its key in the batch's key list.
pub struct Item<'a> {
    pub msg: &'a [u8],
    pub sig: [u8; 64],
    pub key: usize,
}

/// True iff every item verifies (batch semantics: a `false` means at least one does not).
/// `keys[j]` is (compressed bytes, decompressed point) of key `j`.
pub fn verify_batch(items: &[Item], keys: &[([u8; 32], EdwardsPoint)]) -> bool {
    if items.is_empty() {
        return true;
    }
    let n = items.len();
    let mut rs = Vec::with_capacity(n);
    let mut ss = Vec::with_capacity(n);
    let mut ks = Vec::with_capacity(n);
    let mut transcript = Sha512::new();
    transcript.update(b"cofre ed25519 merged batch verification");
    for it in items {
        let Some((key_bytes, _)) = keys.get(it.key) else {
            return false;
        };
        let r_bytes: [u8; 32] = it.sig[..32].try_into().expect("32 bytes");
        let s_bytes: [u8; 32] = it.sig[32..].try_into().expect("32 bytes");
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
            return false;
        };
        let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
            return false;
        };
        let hram: [u8; 64] = Sha512::new()
            .chain_update(r_bytes)
            .chain_update(key_bytes)
            .chain_update(it.msg)
            .finalize()
            .into();
        transcript.update(hram);
        transcript.update(s_bytes);
        rs.push(r);
        ss.push(s);
        ks.push(Scalar::from_bytes_mod_order_wide(&hram));
    }
    let seed: [u8; 64] = transcript.finalize().into();
    // Weights: four 128-bit values from each SHA-512(seed || block index).
    let mut zs = Vec::with_capacity(n);
    let mut block = 0u64;
    while zs.len() < n {
        let out: [u8; 64] = Sha512::new()
            .chain_update(seed)
            .chain_update(block.to_le_bytes())
            .finalize()
            .into();
        for q in out.chunks_exact(16).take(n - zs.len()) {
            zs.push(Scalar::from(u128::from_le_bytes(
                q.try_into().expect("16 bytes"),
            )));
        }
        block += 1;
    }
    let mut b_coef = Scalar::ZERO;
    let mut key_coef = vec![Scalar::ZERO; keys.len()];
    for i in 0..n {
        b_coef -= zs[i] * ss[i];
        key_coef[items[i].key] += zs[i] * ks[i];
    }
    let scalars = std::iter::once(b_coef).chain(zs).chain(key_coef);
    let points = std::iter::once(ED25519_BASEPOINT_POINT)
        .chain(rs)
        .chain(keys.iter().map(|(_, p)| *p));
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn batch(n: usize, n_keys: u8) -> (Vec<SigningKey>, Vec<Vec<u8>>, Vec<([u8; 64], usize)>) {
        let sks: Vec<SigningKey> = (0..n_keys)
            .map(|k| SigningKey::from_bytes(&[k + 1; 32]))
            .collect();
        let msgs: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("message {i}").into_bytes())
            .collect();
        let sigs = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| (sks[i % sks.len()].sign(m).to_bytes(), i % sks.len()))
            .collect();
        (sks, msgs, sigs)
    }

    fn check(sks: &[SigningKey], msgs: &[Vec<u8>], sigs: &[([u8; 64], usize)]) -> bool {
        let keys: Vec<([u8; 32], EdwardsPoint)> = sks
            .iter()
            .map(|s| (s.verifying_key().to_bytes(), s.verifying_key().to_edwards()))
            .collect();
        let items: Vec<Item> = msgs
            .iter()
            .zip(sigs)
            .map(|(m, (s, k))| Item {
                msg: m,
                sig: *s,
                key: *k,
            })
            .collect();
        verify_batch(&items, &keys)
    }

    #[test]
    fn valid_batches_pass() {
        for (n, k) in [(1, 1), (2, 1), (7, 3), (64, 8), (300, 5)] {
            let (sks, msgs, sigs) = batch(n, k);
            assert!(check(&sks, &msgs, &sigs), "n={n} keys={k}");
        }
    }

    #[test]
    fn any_tampering_fails() {
        let (sks, msgs, sigs) = batch(40, 4);
        for i in [0, 17, 39] {
            for byte in [0, 31, 32, 63] {
                let mut bad = sigs.clone();
                bad[i].0[byte] ^= 0x01;
                assert!(!check(&sks, &msgs, &bad), "sig {i} byte {byte}");
            }
            let mut bad_msgs = msgs.clone();
            bad_msgs[i].push(b'!');
            assert!(!check(&sks, &bad_msgs, &sigs), "message {i}");
            let mut wrong_key = sigs.clone();
            wrong_key[i].1 = (wrong_key[i].1 + 1) % sks.len();
            assert!(!check(&sks, &msgs, &wrong_key), "key {i}");
        }
    }

    #[test]
    fn non_canonical_s_fails() {
        let (sks, msgs, mut sigs) = batch(3, 1);
        // s + l encodes the same scalar non-canonically; strict verification rejects it.
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for j in 0..32 {
            let v = sigs[1].0[32 + j] as u16 + l[j] as u16 + carry;
            sigs[1].0[32 + j] = v as u8;
            carry = v >> 8;
        }
        assert!(!check(&sks, &msgs, &sigs));
    }
}
