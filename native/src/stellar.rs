//! Stellar envelope signature verification: parse each base64 `TransactionEnvelope`,
//! compute its transaction hash(es) exactly as stellar-core / stellar-sdk do, match every
//! decorated signature to an allowed key by hint, and decide every signature as
//! `verify_strict` would, choosing per group of envelopes between two strategies by the
//! failure rate observed so far in the call:
//!
//! * mostly valid signatures: merged batch verification over a group sized about one bad
//!   signature per group (`batchverify`), which locates the bad ones from the batch sums;
//! * many bad signatures (an attacker sending forgeries): one signature at a time with the
//!   fixed-base verifier (`fixedbase`, per-key tables), since batches would mostly fail.
//!
//! The estimate starts pessimistic (small groups) and follows recent signatures, so a burst
//! of bad envelopes costs at most one group's worth of batch work before the switch.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use base64::Engine;
use curve25519_dalek::edwards::EdwardsPoint;
use ed25519_dalek::{Signature, VerifyingKey};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::batchverify::{Batch, Item};
use crate::fixedbase;
use crate::xdr::parse_envelope;

/// Failure-rate estimate: `(bad + PRIOR_BAD) / (seen + PRIOR_SEEN)` over about the last
/// `WINDOW` signatures.
const PRIOR_BAD: f64 = 1.0;
const PRIOR_SEEN: f64 = 48.0;
const WINDOW: f64 = 1024.0;
/// At or above this estimated failure rate, signatures are checked one at a time (a batch
/// of g signatures fails with probability 1 - (1 - p)^g and each bad signature then costs
/// about two more multiscalar multiplications; measured break-even about 3%).
const SINGLES_ABOVE: f64 = 0.03;
/// Signatures per run of one-at-a-time checks before the strategy is reconsidered.
const SINGLES_RUN: usize = 32;
/// Batch size bounds (signatures); within them about 1 / (estimated failure rate).
const GROUP_MIN: usize = 16;
const GROUP_MAX: usize = 1024;
/// A key gets per-call fixed-base tables (cost about three dalek verifications) at its
/// `TABLE_AFTER + 1`-th one-at-a-time check in the call; before that, and for keys that
/// need few checks (mostly valid batches), dalek's `verify_strict` is cheaper.
const TABLE_AFTER: usize = 4;

pub fn network_id(passphrase: &str) -> [u8; 32] {
    Sha256::digest(passphrase.as_bytes()).into()
}

/// An allowed key: its 32 bytes and, if they encode a point not of small order, the key.
pub struct Key {
    pub bytes: [u8; 32],
    pub vk: Option<VerifyingKey>,
}

impl Key {
    pub fn new(bytes: [u8; 32]) -> Key {
        // Keys that are not curve points or have small order can never verify.
        let vk = VerifyingKey::from_bytes(&bytes)
            .ok()
            .filter(|vk| !vk.is_weak());
        Key { bytes, vk }
    }
}

/// One signature to check: message (tx hash), signature, and the allowed keys (ids) whose
/// hint matches; it verifies if one of them verifies it. The first is used in batches.
struct Check {
    msg: [u8; 32],
    sig: [u8; 64],
    keys: Vec<usize>,
}

/// One envelope: decided without cryptography (false), or the checks it needs.
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
pub fn envelope_hashes(
    envelopes: &[String],
    passphrase: &str,
) -> Result<Vec<[u8; 32]>, (usize, String)> {
    let nid = network_id(passphrase);
    envelopes
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            let groups = decode(e)
                .and_then(|raw| parse_envelope(&raw, &nid))
                .map_err(|m| (i, m))?;
            groups
                .first()
                .map(|g| g.hash)
                .ok_or((i, "envelope has no transaction".to_string()))
        })
        .collect()
}

fn prepare(
    env_b64: &str,
    nid: &[u8; 32],
    keys: &[Key],
    allowed: &[usize],
) -> Result<Prepared, String> {
    let raw = decode(env_b64)?;
    let groups = parse_envelope(&raw, nid)?;
    let mut checks = Vec::new();
    for g in &groups {
        if g.sigs.is_empty() {
            return Ok(Prepared::Decided(false));
        }
        for ds in &g.sigs {
            let Ok(sig) = <[u8; 64]>::try_from(ds.sig.as_slice()) else {
                return Ok(Prepared::Decided(false)); // not an ed25519 signature (e.g. a hash-x preimage)
            };
            let matching: Vec<usize> = allowed
                .iter()
                .copied()
                .filter(|&k| keys[k].bytes[28..] == ds.hint && keys[k].vk.is_some())
                .collect();
            if matching.is_empty() {
                return Ok(Prepared::Decided(false));
            }
            checks.push(Check {
                msg: g.hash,
                sig,
                keys: matching,
            });
        }
    }
    Ok(Prepared::Checks(checks))
}

/// Failure rate of recent signatures: local to a job, seeded from and added to the call's.
struct Rate {
    seen: f64,
    bad: f64,
}

impl Rate {
    fn seeded(shared: &Shared) -> Rate {
        let seen = shared.seen.load(Ordering::Relaxed) as f64;
        let bad = shared.bad.load(Ordering::Relaxed) as f64;
        let mut r = Rate {
            seen: 0.0,
            bad: 0.0,
        };
        r.add(seen, bad);
        r
    }

    fn add(&mut self, seen: f64, bad: f64) {
        self.seen += seen;
        self.bad += bad;
        if self.seen > WINDOW {
            let f = WINDOW / self.seen;
            self.seen *= f;
            self.bad *= f;
        }
    }

    fn record(&mut self, shared: &Shared, seen: usize, bad: usize) {
        self.add(seen as f64, bad as f64);
        shared.seen.fetch_add(seen as u64, Ordering::Relaxed);
        shared.bad.fetch_add(bad as u64, Ordering::Relaxed);
    }

    fn estimate(&self) -> f64 {
        (self.bad + PRIOR_BAD) / (self.seen + PRIOR_SEEN)
    }
}

/// Per-call state shared by the jobs.
struct Shared {
    seen: AtomicU64,
    bad: AtomicU64,
}

/// Batch size for failure rate p: the power of two nearest 1 / (2p), within the bounds (a
/// group then holds a bad signature about 40% of the time, mostly just one, which the
/// position-weighted sum finds at the cost of one more sum).
fn group_size(p: f64) -> usize {
    let g = (0.5 / p).log2().round().clamp(0.0, 62.0) as u32;
    (1usize << g).clamp(GROUP_MIN, GROUP_MAX)
}

struct Verifier<'a> {
    prepared: &'a [Prepared],
    keys: &'a [Key],
    /// One-at-a-time checks asked of each key so far (decides when it gets tables).
    singles: Vec<AtomicUsize>,
    tables: Vec<OnceLock<Option<fixedbase::Table>>>,
    shared: Shared,
}

impl Verifier<'_> {
    fn checks(&self, i: usize) -> &[Check] {
        match &self.prepared[i] {
            Prepared::Checks(cs) => cs,
            Prepared::Decided(_) => &[],
        }
    }

    /// The fixed-base tables of key k, once it has needed more than `TABLE_AFTER`
    /// one-at-a-time checks in this call.
    fn table(&self, k: usize) -> Option<&fixedbase::Table> {
        if self.singles[k].fetch_add(1, Ordering::Relaxed) < TABLE_AFTER {
            return None;
        }
        let key = &self.keys[k];
        self.tables[k]
            .get_or_init(|| fixedbase::Table::new(&key.bytes))
            .as_ref()
    }

    /// `verify_strict` of check `c` against key `k`.
    fn single(&self, c: &Check, k: usize) -> bool {
        let key = &self.keys[k];
        let Some(vk) = key.vk else { return false };
        match self.table(k) {
            Some(t) => fixedbase::verify(t, &key.bytes, &c.msg, &c.sig),
            None => vk
                .verify_strict(&c.msg, &Signature::from_bytes(&c.sig))
                .is_ok(),
        }
    }

    fn any_key(&self, c: &Check) -> bool {
        c.keys.iter().any(|&k| self.single(c, k))
    }

    /// Decide the envelopes `todo` (all with checks), in order, switching strategy as the
    /// failure rate moves.
    fn run(&self, todo: &[usize], out: &mut Vec<(usize, bool)>) {
        let mut rate = Rate::seeded(&self.shared);
        let mut pos = 0;
        while pos < todo.len() {
            let p = rate.estimate();
            let (target, singles) = if p >= SINGLES_ABOVE {
                (SINGLES_RUN, true)
            } else {
                (group_size(p), false)
            };
            let start = pos;
            let mut n = 0;
            while pos < todo.len() && n < target {
                n += self.checks(todo[pos]).len();
                pos += 1;
            }
            let envs = &todo[start..pos];
            let (seen, bad) = if singles {
                self.one_by_one(envs, out)
            } else {
                self.batch(envs, out)
            };
            rate.record(&self.shared, seen, bad);
        }
    }

    /// Each envelope's signatures one at a time, stopping at its first bad one.
    fn one_by_one(&self, envs: &[usize], out: &mut Vec<(usize, bool)>) -> (usize, usize) {
        let (mut seen, mut bad) = (0, 0);
        for &i in envs {
            let mut ok = true;
            for c in self.checks(i) {
                seen += 1;
                if !self.any_key(c) {
                    bad += 1;
                    ok = false;
                    break;
                }
            }
            out.push((i, ok));
        }
        (seen, bad)
    }

    /// One merged batch over the envelopes' signatures; bad ones located from the sums.
    fn batch(&self, envs: &[usize], out: &mut Vec<(usize, bool)>) -> (usize, usize) {
        let mut local: Vec<usize> = Vec::new(); // batch key index -> key id
        let mut checks: Vec<&Check> = Vec::new();
        let mut items: Vec<Item> = Vec::new();
        for &i in envs {
            for c in self.checks(i) {
                let first = c.keys[0];
                let key = match local.iter().position(|&k| k == first) {
                    Some(j) => j,
                    None => {
                        local.push(first);
                        local.len() - 1
                    }
                };
                items.push(Item {
                    msg: &c.msg,
                    sig: &c.sig,
                    key,
                });
                checks.push(c);
            }
        }
        // Every key a check names has a point (prepare keeps only those).
        let points: Vec<([u8; 32], EdwardsPoint)> = local
            .iter()
            .map(|&k| {
                let key = &self.keys[k];
                (
                    key.bytes,
                    key.vk.map_or(EdwardsPoint::default(), |v| v.to_edwards()),
                )
            })
            .collect();
        let batch = Batch::new(&items, &points);
        let valid = batch.locate(|j| {
            let (c, k) = (checks[j], checks[j].keys[0]);
            match self.table(k) {
                Some(t) => fixedbase::verify(t, &self.keys[k].bytes, &c.msg, &c.sig),
                None => batch.verify_one(j),
            }
        });
        let bad = valid.iter().filter(|&&v| !v).count();
        let mut j = 0;
        for &i in envs {
            let mut ok = true;
            for c in self.checks(i) {
                // A signature refused under its first key may still verify under another
                // allowed key with the same hint.
                ok &= valid[j] || c.keys[1..].iter().any(|&k| self.single(c, k));
                j += 1;
            }
            out.push((i, ok));
        }
        (items.len(), bad)
    }
}

/// Verify all envelopes; `allowed[i]` lists the ids (into `keys`) of envelope i's allowed
/// keys. `Err((index, reason))` for the first malformed envelope.
pub fn verify_envelopes<S: AsRef<str> + Sync>(
    envelopes: &[S],
    passphrase: &str,
    keys: &[Key],
    allowed: &[&[usize]],
) -> Result<Vec<bool>, (usize, String)> {
    let nid = network_id(passphrase);
    let prepared: Vec<Prepared> = envelopes
        .par_iter()
        .zip(allowed.par_iter())
        .enumerate()
        .map(|(i, (e, a))| prepare(e.as_ref(), &nid, keys, a).map_err(|m| (i, m)))
        .collect::<Result<_, _>>()?;
    let mut res = vec![false; envelopes.len()];
    let mut todo = Vec::with_capacity(prepared.len());
    for (i, p) in prepared.iter().enumerate() {
        match p {
            Prepared::Decided(b) => res[i] = *b,
            Prepared::Checks(_) => todo.push(i),
        }
    }
    let v = Verifier {
        prepared: &prepared,
        keys,
        singles: (0..keys.len()).map(|_| AtomicUsize::new(0)).collect(),
        tables: (0..keys.len()).map(|_| OnceLock::new()).collect(),
        shared: Shared {
            seen: AtomicU64::new(0),
            bad: AtomicU64::new(0),
        },
    };
    // A few jobs per thread so that a region full of bad envelopes (slower to decide) does
    // not leave the other threads idle; each job adapts on its own, seeded by the others.
    let per_job = todo
        .len()
        .div_ceil(4 * rayon::current_num_threads())
        .max(256);
    let parts: Vec<Vec<(usize, bool)>> = todo
        .par_chunks(per_job)
        .map(|chunk| {
            let mut out = Vec::with_capacity(chunk.len());
            v.run(chunk, &mut out);
            out
        })
        .collect();
    for (i, b) in parts.into_iter().flatten() {
        res[i] = b;
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_size_follows_the_failure_rate() {
        assert_eq!(group_size(0.5), GROUP_MIN);
        assert_eq!(group_size(0.01), 64);
        assert_eq!(group_size(0.001), 512);
        assert_eq!(group_size(1e-9), GROUP_MAX);
    }

    #[test]
    fn rate_forgets_old_signatures() {
        let shared = Shared {
            seen: AtomicU64::new(0),
            bad: AtomicU64::new(0),
        };
        let mut r = Rate::seeded(&shared);
        assert!(r.estimate() >= SINGLES_ABOVE / 2.0); // cautious start: small groups
        r.record(&shared, 4000, 0);
        assert!(r.estimate() < 0.002);
        // A burst of forgeries after a long valid stretch switches to one-at-a-time checks
        // within a few runs, because the window is bounded.
        for _ in 0..3 {
            r.record(&shared, SINGLES_RUN, SINGLES_RUN);
        }
        assert!(r.estimate() >= SINGLES_ABOVE);
        // Another job starts from what the call has seen so far.
        let later = Rate::seeded(&shared);
        assert!(later.estimate() > 0.01);
        assert_eq!(
            shared.seen.load(Ordering::Relaxed),
            4000 + 3 * SINGLES_RUN as u64
        );
    }
}
