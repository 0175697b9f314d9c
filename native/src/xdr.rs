//! A minimal, validating XDR reader for Stellar `TransactionEnvelope`s.
//!
//! It walks the whole envelope forward (every operation type of protocol 23+, Soroban data
//! included) without building values, to find the exact byte span of the transaction body
//! and the decorated signatures. Unknown union arms, non-boolean bools, non-zero padding,
//! over-long arrays, trailing bytes or nesting deeper than `MAX_DEPTH` are errors, never panics.
use sha2::{Digest, Sha256};

const MAX_DEPTH: u32 = 512;

pub struct Reader<'a> {
    buf: &'a [u8],
    pub pos: usize,
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                format!(
                    "truncated XDR: need {n} bytes at offset {}, have {}",
                    self.pos,
                    self.buf.len() - self.pos
                )
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn u32(&mut self) -> R<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn skip(&mut self, n: usize) -> R<()> {
        self.take(n).map(|_| ())
    }
    fn boolean(&mut self) -> R<bool> {
        match self.u32()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(format!("invalid XDR bool {v} at offset {}", self.pos - 4)),
        }
    }
    /// Variable-length opaque/string with a maximum length; returns the bytes.
    fn var_opaque(&mut self, max: u32) -> R<&'a [u8]> {
        let n = self.u32()?;
        if n > max {
            return Err(format!(
                "XDR length {n} exceeds maximum {max} at offset {}",
                self.pos - 4
            ));
        }
        let data = self.take(n as usize)?;
        let pad = (4 - (n as usize % 4)) % 4;
        let p = self.take(pad)?;
        if p.iter().any(|&b| b != 0) {
            return Err(format!("non-zero XDR padding at offset {}", self.pos - pad));
        }
        Ok(data)
    }
    fn count(&mut self, max: u32) -> R<u32> {
        let n = self.u32()?;
        if n > max {
            return Err(format!(
                "XDR array of {n} exceeds maximum {max} at offset {}",
                self.pos - 4
            ));
        }
        // Every element takes at least 4 bytes: reject absurd counts before looping.
        if (n as usize).saturating_mul(4) > self.buf.len() - self.pos {
            return Err(format!(
                "truncated XDR: array of {n} at offset {}",
                self.pos - 4
            ));
        }
        Ok(n)
    }
    pub fn finish(&self) -> R<()> {
        if self.pos != self.buf.len() {
            return Err(format!(
                "{} trailing bytes after the envelope",
                self.buf.len() - self.pos
            ));
        }
        Ok(())
    }
}

fn bad_arm(what: &str, v: u32, r: &Reader) -> String {
    format!("unknown {what} discriminant {v} at offset {}", r.pos - 4)
}

const UNBOUNDED: u32 = u32::MAX;

fn muxed_account(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => r.skip(32),
        0x100 => r.skip(8 + 32),
        v => Err(bad_arm("MuxedAccount", v, r)),
    }
}
fn account_id(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => r.skip(32),
        v => Err(bad_arm("PublicKey", v, r)),
    }
}
fn asset(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => Ok(()),
        1 => {
            r.skip(4)?;
            account_id(r)
        }
        2 => {
            r.skip(12)?;
            account_id(r)
        }
        v => Err(bad_arm("Asset", v, r)),
    }
}
fn change_trust_asset(r: &mut Reader) -> R<()> {
    let save = r.pos;
    match r.u32()? {
        3 => match r.u32()? {
            0 => {
                asset(r)?;
                asset(r)?;
                r.skip(4)
            }
            v => Err(bad_arm("LiquidityPoolParameters", v, r)),
        },
        _ => {
            r.pos = save;
            asset(r)
        }
    }
}
fn trust_line_asset(r: &mut Reader) -> R<()> {
    let save = r.pos;
    match r.u32()? {
        3 => r.skip(32),
        _ => {
            r.pos = save;
            asset(r)
        }
    }
}
fn signer_key(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0..=2 => r.skip(32),
        3 => {
            r.skip(32)?;
            r.var_opaque(64).map(|_| ())
        }
        v => Err(bad_arm("SignerKey", v, r)),
    }
}
fn optional(r: &mut Reader, f: impl FnOnce(&mut Reader) -> R<()>) -> R<()> {
    if r.boolean()? {
        f(r)
    } else {
        Ok(())
    }
}
fn preconditions(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => Ok(()),
        1 => r.skip(16),
        2 => {
            optional(r, |r| r.skip(16))?; // timeBounds
            optional(r, |r| r.skip(8))?; // ledgerBounds
            optional(r, |r| r.skip(8))?; // minSeqNum
            r.skip(8 + 4)?; // minSeqAge, minSeqLedgerGap
            let n = r.count(2)?;
            for _ in 0..n {
                signer_key(r)?;
            }
            Ok(())
        }
        v => Err(bad_arm("Preconditions", v, r)),
    }
}
fn memo(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => Ok(()),
        1 => r.var_opaque(28).map(|_| ()),
        2 => r.skip(8),
        3 | 4 => r.skip(32),
        v => Err(bad_arm("Memo", v, r)),
    }
}
fn claimable_balance_id(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => r.skip(32),
        v => Err(bad_arm("ClaimableBalanceID", v, r)),
    }
}
fn claim_predicate(r: &mut Reader, depth: u32) -> R<()> {
    let depth = deeper(depth)?;
    match r.u32()? {
        0 => Ok(()),
        1 | 2 => {
            let n = r.count(2)?;
            for _ in 0..n {
                claim_predicate(r, depth)?;
            }
            Ok(())
        }
        3 => optional(r, |r| claim_predicate(r, depth)),
        4 | 5 => r.skip(8),
        v => Err(bad_arm("ClaimPredicate", v, r)),
    }
}
fn deeper(depth: u32) -> R<u32> {
    if depth >= MAX_DEPTH {
        Err(format!("XDR nesting deeper than {MAX_DEPTH}"))
    } else {
        Ok(depth + 1)
    }
}
fn sc_address(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => account_id(r),
        1 => r.skip(32),
        2 => r.skip(8 + 32),
        3 => claimable_balance_id(r),
        4 => r.skip(32),
        v => Err(bad_arm("SCAddress", v, r)),
    }
}
fn contract_executable(r: &mut Reader, depth: u32) -> R<()> {
    let _ = depth;
    match r.u32()? {
        0 => r.skip(32),
        1 => Ok(()),
        2 => {
            sc_address(r)?;
            r.var_opaque(UNBOUNDED).map(|_| ())
        }
        v => Err(bad_arm("ContractExecutable", v, r)),
    }
}
fn sc_map(r: &mut Reader, depth: u32) -> R<()> {
    let n = r.count(UNBOUNDED)?;
    for _ in 0..n {
        sc_val(r, depth)?;
        sc_val(r, depth)?;
    }
    Ok(())
}
fn sc_val(r: &mut Reader, depth: u32) -> R<()> {
    let depth = deeper(depth)?;
    match r.u32()? {
        0 => r.boolean().map(|_| ()),
        1 | 20 => Ok(()),
        2 => match r.u32()? {
            0..=9 => r.skip(4),
            v => Err(bad_arm("SCError", v, r)),
        },
        3 | 4 => r.skip(4),
        5..=8 => r.skip(8),
        9 | 10 => r.skip(16),
        11 | 12 => r.skip(32),
        13 | 14 | 22 => r.var_opaque(UNBOUNDED).map(|_| ()),
        15 => r.var_opaque(32).map(|_| ()),
        16 => optional(r, |r| {
            let n = r.count(UNBOUNDED)?;
            for _ in 0..n {
                sc_val(r, depth)?;
            }
            Ok(())
        }),
        17 => optional(r, |r| sc_map(r, depth)),
        18 => sc_address(r),
        19 => {
            contract_executable(r, depth)?;
            optional(r, |r| sc_map(r, depth))
        }
        21 => r.skip(8),
        v => Err(bad_arm("SCVal", v, r)),
    }
}
fn sc_vals(r: &mut Reader, depth: u32) -> R<()> {
    let n = r.count(UNBOUNDED)?;
    for _ in 0..n {
        sc_val(r, depth)?;
    }
    Ok(())
}
fn invoke_contract_args(r: &mut Reader, depth: u32) -> R<()> {
    sc_address(r)?;
    r.var_opaque(32)?;
    sc_vals(r, depth)
}
fn contract_id_preimage(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => {
            sc_address(r)?;
            r.skip(32)
        }
        1 => asset(r),
        v => Err(bad_arm("ContractIDPreimage", v, r)),
    }
}
fn create_contract_args(r: &mut Reader, depth: u32, v2: bool) -> R<()> {
    contract_id_preimage(r)?;
    contract_executable(r, depth)?;
    if v2 {
        sc_vals(r, depth)?;
    }
    Ok(())
}
fn address_credentials(r: &mut Reader, depth: u32) -> R<()> {
    sc_address(r)?;
    r.skip(8 + 4)?;
    sc_val(r, depth)
}
fn delegate_signature(r: &mut Reader, depth: u32) -> R<()> {
    let depth = deeper(depth)?;
    sc_address(r)?;
    sc_val(r, depth)?;
    let n = r.count(UNBOUNDED)?;
    for _ in 0..n {
        delegate_signature(r, depth)?;
    }
    Ok(())
}
fn authorized_invocation(r: &mut Reader, depth: u32) -> R<()> {
    let depth = deeper(depth)?;
    match r.u32()? {
        0 => invoke_contract_args(r, depth)?,
        1 => create_contract_args(r, depth, false)?,
        2 => create_contract_args(r, depth, true)?,
        v => return Err(bad_arm("SorobanAuthorizedFunction", v, r)),
    }
    let n = r.count(UNBOUNDED)?;
    for _ in 0..n {
        authorized_invocation(r, depth)?;
    }
    Ok(())
}
fn auth_entry(r: &mut Reader, depth: u32) -> R<()> {
    match r.u32()? {
        0 => {}
        1 | 2 => address_credentials(r, depth)?,
        3 => {
            address_credentials(r, depth)?;
            let n = r.count(UNBOUNDED)?;
            for _ in 0..n {
                delegate_signature(r, depth)?;
            }
        }
        v => return Err(bad_arm("SorobanCredentials", v, r)),
    }
    authorized_invocation(r, depth)
}
fn ledger_key(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => account_id(r),
        1 => {
            account_id(r)?;
            trust_line_asset(r)
        }
        2 => {
            account_id(r)?;
            r.skip(8)
        }
        3 => {
            account_id(r)?;
            r.var_opaque(64).map(|_| ())
        }
        4 => claimable_balance_id(r),
        5 | 7 | 9 => r.skip(32),
        6 => {
            sc_address(r)?;
            sc_val(r, 0)?;
            r.skip(4)
        }
        8 => r.skip(4),
        v => Err(bad_arm("LedgerKey", v, r)),
    }
}
fn extension_point(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => Ok(()),
        v => Err(bad_arm("ExtensionPoint", v, r)),
    }
}
fn operation(r: &mut Reader) -> R<()> {
    optional(r, muxed_account)?;
    match r.u32()? {
        0 => {
            account_id(r)?;
            r.skip(8)
        }
        1 => {
            muxed_account(r)?;
            asset(r)?;
            r.skip(8)
        }
        2 | 13 => {
            asset(r)?;
            r.skip(8)?;
            muxed_account(r)?;
            asset(r)?;
            r.skip(8)?;
            let n = r.count(5)?;
            for _ in 0..n {
                asset(r)?;
            }
            Ok(())
        }
        3 | 12 => {
            asset(r)?;
            asset(r)?;
            r.skip(8 + 8 + 8)
        }
        4 => {
            asset(r)?;
            asset(r)?;
            r.skip(8 + 8)
        }
        5 => {
            optional(r, account_id)?;
            for _ in 0..6 {
                optional(r, |r| r.skip(4))?;
            }
            optional(r, |r| r.var_opaque(32).map(|_| ()))?;
            optional(r, |r| {
                signer_key(r)?;
                r.skip(4)
            })
        }
        6 => {
            change_trust_asset(r)?;
            r.skip(8)
        }
        7 => {
            account_id(r)?;
            match r.u32()? {
                1 => r.skip(4)?,
                2 => r.skip(12)?,
                v => return Err(bad_arm("AssetCode", v, r)),
            }
            r.skip(4)
        }
        8 => muxed_account(r),
        9 | 17 => Ok(()),
        10 => {
            r.var_opaque(64)?;
            optional(r, |r| r.var_opaque(64).map(|_| ()))
        }
        11 => r.skip(8),
        14 => {
            asset(r)?;
            r.skip(8)?;
            let n = r.count(10)?;
            for _ in 0..n {
                match r.u32()? {
                    0 => {
                        account_id(r)?;
                        claim_predicate(r, 0)?;
                    }
                    v => return Err(bad_arm("Claimant", v, r)),
                }
            }
            Ok(())
        }
        15 | 20 => claimable_balance_id(r),
        16 => account_id(r),
        18 => match r.u32()? {
            0 => ledger_key(r),
            1 => {
                account_id(r)?;
                signer_key(r)
            }
            v => Err(bad_arm("RevokeSponsorshipOp", v, r)),
        },
        19 => {
            asset(r)?;
            muxed_account(r)?;
            r.skip(8)
        }
        21 => {
            account_id(r)?;
            asset(r)?;
            r.skip(8)
        }
        22 => r.skip(32 + 8 + 8 + 8 + 8),
        23 => r.skip(32 + 8 + 8 + 8),
        24 => {
            match r.u32()? {
                0 => invoke_contract_args(r, 0)?,
                1 => create_contract_args(r, 0, false)?,
                2 => {
                    r.var_opaque(UNBOUNDED)?;
                }
                3 => create_contract_args(r, 0, true)?,
                v => return Err(bad_arm("HostFunction", v, r)),
            }
            let n = r.count(UNBOUNDED)?;
            for _ in 0..n {
                auth_entry(r, 0)?;
            }
            Ok(())
        }
        25 => {
            extension_point(r)?;
            r.skip(4)
        }
        26 => extension_point(r),
        v => Err(bad_arm("OperationType", v, r)),
    }
}
fn operations(r: &mut Reader) -> R<()> {
    let n = r.count(100)?;
    for _ in 0..n {
        operation(r)?;
    }
    Ok(())
}
fn soroban_data(r: &mut Reader) -> R<()> {
    match r.u32()? {
        0 => {}
        1 => {
            let n = r.count(UNBOUNDED)?;
            r.skip(4 * n as usize)?;
        }
        v => return Err(bad_arm("SorobanTransactionData.ext", v, r)),
    }
    for _ in 0..2 {
        let n = r.count(UNBOUNDED)?;
        for _ in 0..n {
            ledger_key(r)?;
        }
    }
    r.skip(4 + 4 + 4 + 8)
}
/// Transaction (v1).
fn transaction(r: &mut Reader) -> R<()> {
    muxed_account(r)?;
    r.skip(4 + 8)?;
    preconditions(r)?;
    memo(r)?;
    operations(r)?;
    match r.u32()? {
        0 => Ok(()),
        1 => soroban_data(r),
        v => Err(bad_arm("Transaction.ext", v, r)),
    }
}
fn transaction_v0(r: &mut Reader) -> R<()> {
    r.skip(32 + 4 + 8)?;
    optional(r, |r| r.skip(16))?;
    memo(r)?;
    operations(r)?;
    extension_point(r)
}

/// One decorated signature: hint and raw signature bytes (any length up to 64).
pub struct DecoratedSig {
    pub hint: [u8; 4],
    pub sig: Vec<u8>,
}

fn signatures(r: &mut Reader) -> R<Vec<DecoratedSig>> {
    let n = r.count(20)?;
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let h = r.take(4)?;
        let sig = r.var_opaque(64)?.to_vec();
        out.push(DecoratedSig {
            hint: [h[0], h[1], h[2], h[3]],
            sig,
        });
    }
    Ok(out)
}

/// A transaction hash and the signatures that must sign it.
pub struct SigGroup {
    pub hash: [u8; 32],
    pub sigs: Vec<DecoratedSig>,
}

fn tx_hash(network_id: &[u8; 32], envelope_type: u32, prefix: &[u8], body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(network_id);
    h.update(envelope_type.to_be_bytes());
    h.update(prefix);
    h.update(body);
    h.finalize().into()
}

/// Parse an envelope; groups are the outer signatures first, then (fee bump) the inner ones.
pub fn parse_envelope(buf: &[u8], network_id: &[u8; 32]) -> R<Vec<SigGroup>> {
    let mut r = Reader::new(buf);
    let groups = match r.u32()? {
        0 => {
            let start = r.pos;
            transaction_v0(&mut r)?;
            let body = &buf[start..r.pos];
            let sigs = signatures(&mut r)?;
            // A v0 transaction is hashed as the v1 Transaction it converts to: the source key
            // becomes MuxedAccount KEY_TYPE_ED25519 (4 zero bytes before it) and the optional
            // TimeBounds is byte-identical to Preconditions NONE / TIME.
            vec![SigGroup {
                hash: tx_hash(network_id, 2, &[0, 0, 0, 0], body),
                sigs,
            }]
        }
        2 => {
            let start = r.pos;
            transaction(&mut r)?;
            let body = &buf[start..r.pos];
            let sigs = signatures(&mut r)?;
            vec![SigGroup {
                hash: tx_hash(network_id, 2, &[], body),
                sigs,
            }]
        }
        5 => {
            let start = r.pos;
            muxed_account(&mut r)?;
            r.skip(8)?;
            match r.u32()? {
                2 => {}
                v => return Err(bad_arm("FeeBumpTransaction.innerTx", v, &r)),
            }
            let inner_start = r.pos;
            transaction(&mut r)?;
            let inner_body = &buf[inner_start..r.pos];
            let inner_sigs = signatures(&mut r)?;
            extension_point(&mut r)?;
            let body = &buf[start..r.pos];
            let sigs = signatures(&mut r)?;
            vec![
                SigGroup {
                    hash: tx_hash(network_id, 5, &[], body),
                    sigs,
                },
                SigGroup {
                    hash: tx_hash(network_id, 2, &[], inner_body),
                    sigs: inner_sigs,
                },
            ]
        }
        v => return Err(bad_arm("EnvelopeType", v, &r)),
    };
    r.finish()?;
    Ok(groups)
}
