//! Stellar envelope signature verification: parse each base64 `TransactionEnvelope`,
//! compute its transaction hash(es) exactly as stellar-core / stellar-sdk do, match every
//! decorated signature to an allowed key by hint, and verify with ed25519 batch verification
//! (falling back to one-by-one verification to find which envelopes failed).
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::xdr::parse_envelope;

/// Envelopes per batch-verification job.
const BATCH_ENVELOPES: usize = 64;

pub fn network_id(passphrase: &str) -> [u8; 32] {
    Sha256::digest(passphrase.as_bytes()).into()
}

/// One signature to check: message (tx hash), signature, and every allowed key whose hint matches.
struct Check {
    msg: [u8; 32],
    sig: Signature,
    keys: Vec<VerifyingKey>,
}

/// Outcome of parsing one envelope: either decided (false) or a list of checks to run.
enum Prepared {
    Decided(bool),
    Checks(Vec<Check>),
}

fn decode(env_b64: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(env_b64.trim().as_bytes())
        .map_err(|e| format!("bad base64: {e}"))
}

/// Outer transaction hash of every envelope.
pub fn envelope_hashes(envelopes: &[String], passphrase: &str) -> Result<Vec<[u8; 32]>, (usize, String)> {
    let nid = network_id(passphrase);
    envelopes
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            let groups = decode(e).and_then(|raw| parse_envelope(&raw, &nid)).map_err(|m| (i, m))?;
            groups.first().map(|g| g.hash).ok_or((i, "envelope has no transaction".to_string()))
        })
        .collect()
}

fn prepare(env_b64: &str, nid: &[u8; 32], allowed: &[([u8; 32], Option<VerifyingKey>)]) -> Result<Prepared, String> {
    let raw = decode(env_b64)?;
    let groups = parse_envelope(&raw, nid)?;
    let mut checks = Vec::new();
    for g in &groups {
        if g.sigs.is_empty() {
            return Ok(Prepared::Decided(false));
        }
        for ds in &g.sigs {
            let Ok(sig_bytes) = <[u8; 64]>::try_from(ds.sig.as_slice()) else {
                return Ok(Prepared::Decided(false)); // not an ed25519 signature (e.g. a hash-x preimage)
            };
            let keys: Vec<VerifyingKey> = allowed
                .iter()
                .filter(|(raw, vk)| raw[28..] == ds.hint && vk.is_some())
                .filter_map(|(_, vk)| *vk)
                .collect();
            if keys.is_empty() {
                return Ok(Prepared::Decided(false));
            }
            checks.push(Check { msg: g.hash, sig: Signature::from_bytes(&sig_bytes), keys });
        }
    }
    Ok(Prepared::Checks(checks))
}

fn verify_one(c: &Check) -> bool {
    c.keys.iter().any(|k| k.verify_strict(&c.msg, &c.sig).is_ok())
}

/// Verify all envelopes; `Err((index, reason))` for the first malformed envelope.
pub fn verify_envelopes(
    envelopes: &[String],
    passphrase: &str,
    allowed: &[Vec<([u8; 32], Option<VerifyingKey>)>],
) -> Result<Vec<bool>, (usize, String)> {
    let nid = network_id(passphrase);
    let prepared: Vec<Prepared> = envelopes
        .par_iter()
        .enumerate()
        .map(|(i, e)| prepare(e, &nid, &allowed[i]).map_err(|m| (i, m)))
        .collect::<Result<_, _>>()?;
    let idx: Vec<usize> = (0..prepared.len()).collect();
    let results: Vec<Vec<(usize, bool)>> = idx
        .par_chunks(BATCH_ENVELOPES)
        .map(|chunk| {
            let mut out = Vec::with_capacity(chunk.len());
            let mut msgs: Vec<&[u8]> = Vec::new();
            let mut sigs = Vec::new();
            let mut keys = Vec::new();
            let mut pending = Vec::new();
            for &i in chunk {
                match &prepared[i] {
                    Prepared::Decided(b) => out.push((i, *b)),
                    Prepared::Checks(cs) => {
                        for c in cs {
                            msgs.push(&c.msg[..]);
                            sigs.push(c.sig);
                            keys.push(c.keys[0]);
                        }
                        pending.push(i);
                    }
                }
            }
            if !pending.is_empty() && ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
                out.extend(pending.iter().map(|&i| (i, true)));
            } else {
                for &i in &pending {
                    let ok = match &prepared[i] {
                        Prepared::Checks(cs) => cs.iter().all(verify_one),
                        Prepared::Decided(b) => *b,
                    };
                    out.push((i, ok));
                }
            }
            out
        })
        .collect();
    let mut res = vec![false; envelopes.len()];
    for part in results {
        for (i, b) in part {
            res[i] = b;
        }
    }
    Ok(res)
}
