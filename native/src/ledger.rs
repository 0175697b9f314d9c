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
            .position_first(|i| bad(i))
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
