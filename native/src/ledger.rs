//! Ledger integrity: SHA-256 hash chains and RFC 6962 Merkle trees.
//!
//! Chain: `hash_i = SHA-256(prev_hash_i || payload_i)`, `prev_hash_i == hash_{i-1}` for i > 0.
//! Merkle: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), the tree of
//! RFC 6962 section 2.1 (split at the largest power of two below n; equivalently, built
//! bottom-up with an unpaired last node promoted unchanged), empty tree = SHA-256("").
use rayon::prelude::*;
use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];
const PAR_MIN: usize = 2048;

#[inline]
pub fn chain_hash(prev: &[u8], payload: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(payload);
    h.finalize().into()
}

/// First index whose stored hash is wrong or whose prev hash breaks the link (lengths pre-checked).
pub fn verify_chain(prev: &[&[u8]], payloads: &[&[u8]], hashes: &[&[u8]]) -> Option<usize> {
    let n = hashes.len();
    let bad = |i: usize| -> bool {
        (i > 0 && prev[i] != hashes[i - 1]) || chain_hash(prev[i], payloads[i])[..] != *hashes[i]
    };
    if n < PAR_MIN {
        (0..n).find(|&i| bad(i))
    } else {
        (0..n)
            .into_par_iter()
            .with_min_len(1024)
            .position_first(bad)
    }
}

/// Hashes of a chain built from `genesis` over `payloads`.
pub fn build_chain(genesis: &[u8], payloads: &[&[u8]]) -> Vec<Hash> {
    let mut out = Vec::with_capacity(payloads.len());
    let mut prev: Hash = [0; 32];
    prev.copy_from_slice(genesis);
    for p in payloads {
        prev = chain_hash(&prev, p);
        out.push(prev);
    }
    out
}

#[inline]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

#[inline]
pub fn node_hash(l: &[u8], r: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

fn leaf_level(leaves: &[&[u8]]) -> Vec<Hash> {
    if leaves.len() >= PAR_MIN {
        leaves.par_iter().map(|d| leaf_hash(d)).collect()
    } else {
        leaves.iter().map(|d| leaf_hash(d)).collect()
    }
}

fn next_level(level: &[Hash]) -> Vec<Hash> {
    let pair = |c: &[Hash]| {
        if c.len() == 2 {
            node_hash(&c[0], &c[1])
        } else {
            c[0]
        }
    };
    if level.len() >= PAR_MIN {
        level.par_chunks(2).map(pair).collect()
    } else {
        level.chunks(2).map(pair).collect()
    }
}

pub fn merkle_root(leaves: &[&[u8]]) -> Hash {
    if leaves.is_empty() {
        return Sha256::digest(b"").into();
    }
    let mut level = leaf_level(leaves);
    while level.len() > 1 {
        level = next_level(&level);
    }
    level[0]
}

/// Audit path of leaf `index` (must be < len), leaf level first: (sibling, sibling_is_left).
pub fn merkle_proof(leaves: &[&[u8]], mut index: usize) -> Vec<(Hash, bool)> {
    let mut proof = Vec::new();
    let mut level = leaf_level(leaves);
    while level.len() > 1 {
        let sib = index ^ 1;
        if sib < level.len() {
            proof.push((level[sib], sib < index));
        }
        level = next_level(&level);
        index /= 2;
    }
    proof
}

pub fn verify_proof(leaf: &[u8], proof: &[(&[u8], bool)], root: &[u8]) -> bool {
    let mut h = leaf_hash(leaf);
    for (sib, is_left) in proof {
        h = if *is_left {
            node_hash(sib, &h)
        } else {
            node_hash(&h, sib)
        };
    }
    h[..] == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962 by hand: leaf = H(0 || d), node = H(1 || l || r), unpaired node promoted.
    #[test]
    fn merkle_root_follows_rfc6962() {
        let h = |parts: &[&[u8]]| -> Hash {
            let mut s = Sha256::new();
            parts.iter().for_each(|p| s.update(p));
            s.finalize().into()
        };
        assert_eq!(merkle_root(&[]), h(&[]));
        assert_eq!(merkle_root(&[b"a"]), h(&[&[0], b"a"]));
        let (a, b, c) = (h(&[&[0], b"a"]), h(&[&[0], b"b"]), h(&[&[0], b"c"]));
        let ab = h(&[&[1], &a, &b]);
        assert_eq!(merkle_root(&[b"a", b"b", b"c"]), h(&[&[1], &ab, &c]));
    }

    #[test]
    fn proofs_verify_and_tampering_does_not() {
        let data: Vec<Vec<u8>> = (0..13u8).map(|i| vec![i; i as usize + 1]).collect();
        let leaves: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        let root = merkle_root(&leaves);
        for i in 0..leaves.len() {
            let proof = merkle_proof(&leaves, i);
            let steps: Vec<(&[u8], bool)> = proof.iter().map(|(h, l)| (&h[..], *l)).collect();
            assert!(verify_proof(leaves[i], &steps, &root), "leaf {i}");
            assert!(!verify_proof(b"other", &steps, &root), "leaf {i}");
        }
    }

    #[test]
    fn verify_chain_names_the_first_broken_record() {
        let payloads: Vec<&[u8]> = vec![b"a", b"b", b"c", b"d"];
        let genesis = [0u8; 32];
        let hashes = build_chain(&genesis, &payloads);
        let mut prev: Vec<&[u8]> = vec![&genesis];
        prev.extend(hashes[..3].iter().map(|h| &h[..]));
        let hs: Vec<&[u8]> = hashes.iter().map(|h| &h[..]).collect();
        assert_eq!(verify_chain(&prev, &payloads, &hs), None);
        let mut bad = payloads.clone();
        bad[2] = b"x";
        assert_eq!(verify_chain(&prev, &bad, &hs), Some(2));
        let mut relinked = prev.clone();
        relinked[3] = &genesis;
        assert_eq!(verify_chain(&relinked, &payloads, &hs), Some(3));
    }
}
