//! The sandbox's ledger: state, persistence under the state directory, and the execution of
//! transactions in a soroban host where cofre's contracts are registered natively (the same
//! code that `cargo test` exercises) next to the built-in Stellar Asset Contract.
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use soroban_env_host::auth::RecordedAuthPayload;
use soroban_env_host::xdr::{
    AccountEntry, AccountEntryExt, AccountId, AlphaNum12, AlphaNum4, ChangeTrustAsset,
    ChangeTrustResult, ContractEvent, ContractEventType, ContractIdPreimage,
    ContractIdPreimageFromAddress, DecoratedSignature, ExtensionPoint, Hash, HashIdPreimage,
    HashIdPreimageContractId, HostFunction, InvokeHostFunctionResult, LedgerEntry,
    LedgerEntryChanges, LedgerEntryData, LedgerEntryExt, LedgerFootprint, LedgerKey,
    LedgerKeyAccount, LedgerKeyTrustLine, Limits, MuxedAccount, OperationBody, OperationMeta,
    OperationResult, OperationResultTr, Preconditions, PublicKey, ReadXdr, ScAddress, ScVal,
    SequenceNumber, SorobanAddressCredentials, SorobanAuthorizationEntry,
    SorobanAuthorizedInvocation, SorobanCredentials, SorobanResources, SorobanTransactionData,
    SorobanTransactionDataExt, SorobanTransactionMeta, SorobanTransactionMetaExt, String32,
    Thresholds, Transaction, TransactionEnvelope, TransactionMeta, TransactionMetaV3,
    TransactionResult, TransactionResultExt, TransactionResultResult, TransactionSignaturePayload,
    TransactionSignaturePayloadTaggedTransaction, TrustLineAsset, TrustLineEntry,
    TrustLineEntryExt, Uint256, VecM, WriteXdr,
};
use soroban_ledger_snapshot::LedgerSnapshot;
use soroban_sdk::testutils::{EnvTestConfig, Ledger as _, LedgerInfo};
use soroban_sdk::{Address, Env};

pub const PROTOCOL: u32 = 25;
/// Lumens given by the friendbot, in stroops.
const FRIENDBOT_STROOPS: i64 = 10_000 * 10_000_000;
const AUTHORIZED_FLAG: u32 = 1;

/// Which native contract sits at an address.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Native {
    Escrow,
    AuditAnchor,
}

/// The salts of `ContractIdPreimage::FromAddress` with the deployer: the same ids a deployment
/// of the wasm with `--salt` gets on a real network.
pub fn salt(kind: Native) -> [u8; 32] {
    let name: &[u8] = match kind {
        Native::Escrow => b"cofre:escrow",
        Native::AuditAnchor => b"cofre:audit_anchor",
    };
    Sha256::digest(name).into()
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub fn b64<T: WriteXdr>(v: &T) -> String {
    v.to_xdr_base64(Limits::none()).expect("xdr encodes")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TxRecord {
    pub status: String,
    pub ledger: u32,
    pub created_at: u64,
    pub application_order: u32,
    pub envelope_xdr: String,
    pub result_xdr: String,
    pub result_meta_xdr: String,
    pub diagnostic_events_xdr: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EventRecord {
    pub id: String,
    pub ledger: u32,
    pub closed_at: u64,
    pub contract_id: String,
    pub topic: Vec<String>,
    pub value: String,
    pub tx_hash: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Meta {
    pub natives: Vec<(String, Native)>,
    pub clock_offset: u64,
    pub close_times: BTreeMap<u32, u64>,
    pub txs: BTreeMap<String, TxRecord>,
    pub events: Vec<EventRecord>,
}

pub struct Chain {
    dir: PathBuf,
    pub passphrase: String,
    pub network_id: [u8; 32],
    pub ledger: LedgerSnapshot,
    pub meta: Meta,
    clock: Box<dyn Fn() -> u64>,
}

/// Why a transaction was refused before it was applied (sendTransaction status ERROR).
pub struct Refusal(pub TransactionResult);

/// Outcome of executing a host function.
pub struct Execution {
    pub result: Result<ScVal, String>,
    pub events: Vec<ContractEvent>,
    pub diagnostics: Vec<String>,
    pub recorded: Vec<RecordedAuthPayload>,
    pub ledger: LedgerSnapshot,
    pub footprint: LedgerFootprint,
    pub cpu: u64,
}

fn account_key(id: &AccountId) -> LedgerKey {
    LedgerKey::Account(LedgerKeyAccount {
        account_id: id.clone(),
    })
}

pub fn strkey_contract(id: &[u8; 32]) -> String {
    stellar_strkey::Contract(*id).to_string()
}

pub fn parse_account(s: &str) -> Option<AccountId> {
    let k = stellar_strkey::ed25519::PublicKey::from_string(s).ok()?;
    Some(AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(k.0))))
}

fn tx_result(fee: i64, result: TransactionResultResult) -> TransactionResult {
    TransactionResult {
        fee_charged: fee,
        result,
        ext: TransactionResultExt::V0,
    }
}

impl Chain {
    /// Opens the state under `dir`, or creates the genesis ledger with the natives deployed by
    /// `deployer` at their salted ids.
    pub fn open(
        dir: &Path,
        passphrase: &str,
        deployer: &AccountId,
        clock: Box<dyn Fn() -> u64>,
    ) -> Result<Chain, String> {
        fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let network_id = sha256(passphrase.as_bytes());
        let ledger_path = dir.join("ledger.json");
        let meta_path = dir.join("chain.json");
        if ledger_path.exists() && meta_path.exists() {
            let ledger = LedgerSnapshot::read_file(&ledger_path).map_err(|e| e.to_string())?;
            if ledger.network_id != network_id {
                return Err(format!("{} belongs to another network", dir.display()));
            }
            let meta: Meta =
                serde_json::from_slice(&fs::read(&meta_path).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            return Ok(Chain {
                dir: dir.to_owned(),
                passphrase: passphrase.to_owned(),
                network_id,
                ledger,
                meta,
                clock,
            });
        }
        let now = clock();
        let mut ledger = LedgerSnapshot {
            protocol_version: PROTOCOL,
            sequence_number: 1,
            timestamp: now,
            network_id,
            base_reserve: 5_000_000,
            min_persistent_entry_ttl: 120_960,
            min_temp_entry_ttl: 17_280,
            max_entry_ttl: 6_312_000,
            ledger_entries: Vec::new(),
        };
        let mut meta = Meta::default();
        meta.close_times.insert(1, now);
        for kind in [Native::Escrow, Native::AuditAnchor] {
            let preimage = HashIdPreimage::ContractId(HashIdPreimageContractId {
                network_id: Hash(network_id),
                contract_id_preimage: ContractIdPreimage::Address(ContractIdPreimageFromAddress {
                    address: ScAddress::Account(deployer.clone()),
                    salt: Uint256(salt(kind)),
                }),
            });
            let id = sha256(&preimage.to_xdr(Limits::none()).map_err(|e| e.to_string())?);
            meta.natives.push((strkey_contract(&id), kind));
        }
        let mut chain = Chain {
            dir: dir.to_owned(),
            passphrase: passphrase.to_owned(),
            network_id,
            ledger: ledger.clone(),
            meta,
            clock,
        };
        let env = chain.env(1, now);
        ledger = env.to_ledger_snapshot();
        chain.ledger = ledger;
        chain.save()?;
        Ok(chain)
    }

    fn save(&self) -> Result<(), String> {
        let tmp = self.dir.join("ledger.json.tmp");
        self.ledger.write_file(&tmp).map_err(|e| e.to_string())?;
        fs::rename(&tmp, self.dir.join("ledger.json")).map_err(|e| e.to_string())?;
        let tmp = self.dir.join("chain.json.tmp");
        fs::write(
            &tmp,
            serde_json::to_vec(&self.meta).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        fs::rename(&tmp, self.dir.join("chain.json")).map_err(|e| e.to_string())
    }

    pub fn sequence(&self) -> u32 {
        self.ledger.sequence_number
    }

    pub fn close_time(&self) -> u64 {
        self.ledger.timestamp
    }

    pub fn oldest(&self) -> (u32, u64) {
        self.meta
            .close_times
            .iter()
            .next()
            .map(|(s, t)| (*s, *t))
            .unwrap_or((1, 0))
    }

    /// Close time of the next ledger: the clock (plus the sandbox's offset), strictly increasing.
    fn next_close_time(&self) -> u64 {
        ((self.clock)() + self.meta.clock_offset).max(self.ledger.timestamp + 1)
    }

    /// Moves the sandbox's clock forward (deadlines in tests) and closes an empty ledger.
    pub fn advance_time(&mut self, seconds: u64) -> Result<(), String> {
        self.meta.clock_offset += seconds;
        let t = self.next_close_time();
        self.close_ledger(t);
        self.save()
    }

    fn close_ledger(&mut self, t: u64) {
        self.ledger.sequence_number += 1;
        self.ledger.timestamp = t;
        self.meta.close_times.insert(self.ledger.sequence_number, t);
    }

    /// A fresh host over the current state at ledger `seq`, closing at `t`, with the natives.
    fn env(&self, seq: u32, t: u64) -> Env {
        let mut env = Env::from_ledger_snapshot(self.ledger.clone());
        env.set_config(EnvTestConfig {
            capture_snapshot_at_drop: false,
        });
        env.ledger().set(LedgerInfo {
            protocol_version: PROTOCOL,
            sequence_number: seq,
            timestamp: t,
            network_id: self.network_id,
            base_reserve: self.ledger.base_reserve,
            min_temp_entry_ttl: self.ledger.min_temp_entry_ttl,
            min_persistent_entry_ttl: self.ledger.min_persistent_entry_ttl,
            max_entry_ttl: self.ledger.max_entry_ttl,
        });
        for (id, kind) in &self.meta.natives {
            let address = Address::from_str(&env, id);
            match kind {
                Native::Escrow => env.register_at(&address, escrow::EscrowContract, ()),
                Native::AuditAnchor => env.register_at(&address, audit_anchor::AuditAnchor, ()),
            };
        }
        env
    }

    pub fn entry(&self, key: &LedgerKey) -> Option<(LedgerEntry, Option<u32>)> {
        self.ledger
            .ledger_entries
            .iter()
            .find(|(k, _)| **k == *key)
            .map(|(_, (e, live))| ((**e).clone(), *live))
    }

    fn put(&mut self, key: LedgerKey, entry: LedgerEntry) {
        let v = (Box::new(entry), None);
        if let Some(slot) = self
            .ledger
            .ledger_entries
            .iter_mut()
            .find(|(k, _)| **k == key)
        {
            slot.1 = v;
        } else {
            self.ledger.ledger_entries.push((Box::new(key), v));
        }
    }

    fn account(&self, id: &AccountId) -> Option<AccountEntry> {
        match self.entry(&account_key(id))?.0.data {
            LedgerEntryData::Account(a) => Some(a),
            _ => None,
        }
    }

    fn put_account(&mut self, a: AccountEntry) {
        let seq = self.ledger.sequence_number;
        self.put(
            account_key(&a.account_id),
            LedgerEntry {
                last_modified_ledger_seq: seq,
                data: LedgerEntryData::Account(a),
                ext: LedgerEntryExt::V0,
            },
        );
    }

    /// Creates (or tops up nothing for) an account, like testnet's friendbot.
    pub fn friendbot(&mut self, id: &AccountId) -> Result<bool, String> {
        if self.account(id).is_some() {
            return Ok(false);
        }
        let t = self.next_close_time();
        self.close_ledger(t);
        let seq = self.ledger.sequence_number;
        self.put_account(AccountEntry {
            account_id: id.clone(),
            balance: FRIENDBOT_STROOPS,
            seq_num: SequenceNumber((seq as i64) << 32),
            num_sub_entries: 0,
            inflation_dest: None,
            flags: 0,
            home_domain: String32::default(),
            thresholds: Thresholds([1, 0, 0, 0]),
            signers: VecM::default(),
            ext: AccountEntryExt::V0,
        });
        self.save()?;
        Ok(true)
    }

    pub fn tx_hash(&self, tx: &Transaction) -> [u8; 32] {
        let payload = TransactionSignaturePayload {
            network_id: Hash(self.network_id),
            tagged_transaction: TransactionSignaturePayloadTaggedTransaction::Tx(tx.clone()),
        };
        sha256(&payload.to_xdr(Limits::none()).expect("payload encodes"))
    }

    /// Runs `hf` as `source` in a fresh host: enforcing `auth` when given, else recording it.
    pub fn execute(
        &self,
        source: &AccountId,
        hf: HostFunction,
        auth: Option<Vec<SorobanAuthorizationEntry>>,
        seq: u32,
        t: u64,
    ) -> Execution {
        let env = self.env(seq, t);
        let before = env.to_ledger_snapshot();
        let host = env.host();
        host.set_source_account(source.clone())
            .expect("source account");
        let recording = auth.is_none();
        match auth {
            Some(entries) => host
                .set_authorization_entries(entries)
                .expect("auth entries"),
            None => host
                .switch_to_recording_auth(false)
                .expect("recording auth"),
        }
        let budget = host.budget_cloned();
        let cpu_before = budget.get_cpu_insns_consumed().unwrap_or(0);
        let result = host
            .invoke_function(hf)
            .map_err(|e| format!("HostError: {:?}", e.error));
        let cpu = budget
            .get_cpu_insns_consumed()
            .unwrap_or(0)
            .saturating_sub(cpu_before);
        let recorded = if recording && result.is_ok() {
            host.get_recorded_auth_payloads().unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut events = Vec::new();
        let mut diagnostics = Vec::new();
        for e in host.get_events().map(|e| e.0).unwrap_or_default() {
            if e.event.type_ == ContractEventType::Contract && !e.failed_call {
                events.push(e.event.clone());
            }
            diagnostics.push(b64(&soroban_env_host::xdr::DiagnosticEvent {
                in_successful_contract_call: !e.failed_call,
                event: e.event,
            }));
        }
        let mut read_only = Vec::new();
        let mut read_write = Vec::new();
        for (key, entry) in host.get_stored_entries().unwrap_or_default() {
            let old = before
                .ledger_entries
                .iter()
                .find(|(k, _)| **k == *key)
                .map(|(_, (e, l))| ((**e).clone(), *l));
            let new = entry.map(|(e, l)| ((*e).clone(), l));
            if old == new {
                read_only.push((*key).clone())
            } else {
                read_write.push((*key).clone())
            }
        }
        let ledger = env.to_ledger_snapshot();
        Execution {
            result,
            events,
            diagnostics,
            recorded,
            ledger,
            footprint: LedgerFootprint {
                read_only: read_only.try_into().unwrap_or_default(),
                read_write: read_write.try_into().unwrap_or_default(),
            },
            cpu,
        }
    }

    /// simulateTransaction: the result, the auth entries to sign, the footprint and a fee.
    pub fn simulate(
        &self,
        env_b64: &str,
    ) -> Result<(Execution, SorobanTransactionData, i64), String> {
        let tx = match TransactionEnvelope::from_xdr_base64(env_b64, Limits::none())
            .map_err(|e| format!("invalid transaction: {e}"))?
        {
            TransactionEnvelope::Tx(v1) => v1.tx,
            _ => return Err("only v1 transaction envelopes are supported".into()),
        };
        let (source, hf, _) = soroban_op(&tx)
            .ok_or("the transaction must hold one invoke_host_function operation")?;
        let t = self.next_close_time();
        let exec = self.execute(&source, hf, None, self.sequence() + 1, t);
        let fee = 10_000 + (exec.cpu / 1_000) as i64;
        let data = SorobanTransactionData {
            ext: SorobanTransactionDataExt::V0,
            resources: SorobanResources {
                footprint: exec.footprint.clone(),
                instructions: (exec.cpu as u32).saturating_mul(2).max(1_000_000),
                disk_read_bytes: 10_000,
                write_bytes: 10_000,
            },
            resource_fee: fee,
        };
        Ok((exec, data, fee))
    }

    /// sendTransaction: validates the envelope (account, sequence, time bounds, signatures) and
    /// applies it in a new ledger. Ok(hash) once applied (successfully or not), Err on refusal.
    pub fn submit(&mut self, env_b64: &str) -> Result<String, (String, Option<Refusal>)> {
        let envelope = TransactionEnvelope::from_xdr_base64(env_b64, Limits::none())
            .map_err(|e| (format!("invalid transaction: {e}"), None))?;
        let TransactionEnvelope::Tx(v1) = &envelope else {
            return Err(("only v1 transaction envelopes are supported".into(), None));
        };
        let tx = &v1.tx;
        let hash = self.tx_hash(tx);
        let hash_hex = hex::encode(hash);
        if self.meta.txs.contains_key(&hash_hex) {
            return Ok(hash_hex);
        }
        let fee = tx.fee as i64;
        let refuse =
            |r: TransactionResultResult| Err((hash_hex.clone(), Some(Refusal(tx_result(0, r)))));
        let MuxedAccount::Ed25519(Uint256(source_key)) = tx.source_account.clone() else {
            return refuse(TransactionResultResult::TxMalformed);
        };
        let source = AccountId(PublicKey::PublicKeyTypeEd25519(Uint256(source_key)));
        let Some(mut account) = self.account(&source) else {
            return refuse(TransactionResultResult::TxNoAccount);
        };
        if tx.seq_num.0 != account.seq_num.0 + 1 {
            return refuse(TransactionResultResult::TxBadSeq);
        }
        let t = self.next_close_time();
        if let Preconditions::Time(tb) = &tx.cond {
            if tb.max_time.0 != 0 && t > tb.max_time.0 {
                return refuse(TransactionResultResult::TxTooLate);
            }
            if t < tb.min_time.0 {
                return refuse(TransactionResultResult::TxTooEarly);
            }
        }
        if !signed_by(&v1.signatures, &source_key, &hash) {
            return refuse(TransactionResultResult::TxBadAuth);
        }
        if tx.operations.len() != 1 {
            return refuse(TransactionResultResult::TxMalformed);
        }
        if account.balance < fee {
            return refuse(TransactionResultResult::TxInsufficientBalance);
        }
        // Accepted: a new ledger closes with it; sequence and fee are consumed even if it fails.
        self.close_ledger(t);
        let seq = self.sequence();
        account.seq_num = SequenceNumber(tx.seq_num.0);
        account.balance -= fee;
        self.put_account(account);
        let (ok, op_result, soroban_meta, diagnostics) = match &tx.operations[0].body {
            OperationBody::InvokeHostFunction(op) => {
                let soroban = matches!(tx.ext, soroban_env_host::xdr::TransactionExt::V1(_));
                let exec = if soroban {
                    Some(self.execute(
                        &source,
                        op.host_function.clone(),
                        Some(op.auth.to_vec()),
                        seq,
                        t,
                    ))
                } else {
                    None
                };
                match exec {
                    Some(Execution {
                        result: Ok(value),
                        events,
                        ledger,
                        diagnostics,
                        ..
                    }) => {
                        self.ledger.ledger_entries = ledger.ledger_entries;
                        let preimage = soroban_env_host::xdr::InvokeHostFunctionSuccessPreImage {
                            return_value: value.clone(),
                            events: events.clone().try_into().unwrap_or_default(),
                        };
                        let digest = sha256(&preimage.to_xdr(Limits::none()).expect("encodes"));
                        for (i, e) in events.iter().enumerate() {
                            self.record_event(e, seq, t, i, &hash_hex);
                        }
                        (
                            true,
                            OperationResultTr::InvokeHostFunction(
                                InvokeHostFunctionResult::Success(Hash(digest)),
                            ),
                            Some(SorobanTransactionMeta {
                                ext: SorobanTransactionMetaExt::V0,
                                events: events.try_into().unwrap_or_default(),
                                return_value: value,
                                diagnostic_events: VecM::default(),
                            }),
                            diagnostics,
                        )
                    }
                    Some(Execution { diagnostics, .. }) => (
                        false,
                        OperationResultTr::InvokeHostFunction(InvokeHostFunctionResult::Trapped),
                        None,
                        diagnostics,
                    ),
                    None => (
                        false,
                        OperationResultTr::InvokeHostFunction(InvokeHostFunctionResult::Malformed),
                        None,
                        Vec::new(),
                    ),
                }
            }
            OperationBody::ChangeTrust(op) => {
                let r = self.change_trust(&source, &op.line, op.limit);
                (
                    r == ChangeTrustResult::Success,
                    OperationResultTr::ChangeTrust(r),
                    None,
                    Vec::new(),
                )
            }
            _ => {
                return Err((
                    "only invoke_host_function and change_trust are supported".into(),
                    None,
                ));
            }
        };
        let ops: VecM<OperationResult, { u32::MAX }> = vec![OperationResult::OpInner(op_result)]
            .try_into()
            .expect("one op");
        let result = if ok {
            tx_result(fee, TransactionResultResult::TxSuccess(ops))
        } else {
            tx_result(fee, TransactionResultResult::TxFailed(ops))
        };
        let tx_meta = TransactionMeta::V3(TransactionMetaV3 {
            ext: ExtensionPoint::V0,
            tx_changes_before: LedgerEntryChanges::default(),
            operations: vec![OperationMeta {
                changes: LedgerEntryChanges::default(),
            }]
            .try_into()
            .expect("one op"),
            tx_changes_after: LedgerEntryChanges::default(),
            soroban_meta,
        });
        self.meta.txs.insert(
            hash_hex.clone(),
            TxRecord {
                status: if ok { "SUCCESS" } else { "FAILED" }.into(),
                ledger: seq,
                created_at: t,
                application_order: 1,
                envelope_xdr: b64(&envelope),
                result_xdr: b64(&result),
                result_meta_xdr: b64(&tx_meta),
                diagnostic_events_xdr: diagnostics,
            },
        );
        self.save().map_err(|e| (e, None))?;
        Ok(hash_hex)
    }

    fn record_event(&mut self, e: &ContractEvent, seq: u32, t: u64, index: usize, tx_hash: &str) {
        let (Some(contract), soroban_env_host::xdr::ContractEventBody::V0(body)) =
            (&e.contract_id, &e.body)
        else {
            return;
        };
        let toid = ((seq as u64) << 32) | (1 << 12) | 1;
        self.meta.events.push(EventRecord {
            id: format!("{toid:019}-{index:010}"),
            ledger: seq,
            closed_at: t,
            contract_id: strkey_contract(&contract.0 .0),
            topic: body.topics.iter().map(b64).collect(),
            value: b64(&body.data),
            tx_hash: tx_hash.to_owned(),
        });
    }

    fn change_trust(
        &mut self,
        source: &AccountId,
        line: &ChangeTrustAsset,
        limit: i64,
    ) -> ChangeTrustResult {
        let asset = match line {
            ChangeTrustAsset::CreditAlphanum4(a) => TrustLineAsset::CreditAlphanum4(AlphaNum4 {
                asset_code: a.asset_code.clone(),
                issuer: a.issuer.clone(),
            }),
            ChangeTrustAsset::CreditAlphanum12(a) => TrustLineAsset::CreditAlphanum12(AlphaNum12 {
                asset_code: a.asset_code.clone(),
                issuer: a.issuer.clone(),
            }),
            _ => return ChangeTrustResult::Malformed,
        };
        let issuer = match &asset {
            TrustLineAsset::CreditAlphanum4(a) => a.issuer.clone(),
            TrustLineAsset::CreditAlphanum12(a) => a.issuer.clone(),
            _ => return ChangeTrustResult::Malformed,
        };
        if issuer == *source || limit < 0 {
            return ChangeTrustResult::Malformed;
        }
        if self.account(&issuer).is_none() {
            return ChangeTrustResult::NoIssuer;
        }
        let key = LedgerKey::Trustline(LedgerKeyTrustLine {
            account_id: source.clone(),
            asset: asset.clone(),
        });
        let seq = self.sequence();
        let existing = self.entry(&key).and_then(|(e, _)| match e.data {
            LedgerEntryData::Trustline(t) => Some(t),
            _ => None,
        });
        let line = match existing {
            Some(mut t) => {
                if limit < t.balance {
                    return ChangeTrustResult::InvalidLimit;
                }
                t.limit = limit;
                t
            }
            None => {
                let Some(mut acc) = self.account(source) else {
                    return ChangeTrustResult::Malformed;
                };
                acc.num_sub_entries += 1;
                self.put_account(acc);
                TrustLineEntry {
                    account_id: source.clone(),
                    asset,
                    balance: 0,
                    limit,
                    flags: AUTHORIZED_FLAG,
                    ext: TrustLineEntryExt::V0,
                }
            }
        };
        self.put(
            key,
            LedgerEntry {
                last_modified_ledger_seq: seq,
                data: LedgerEntryData::Trustline(line),
                ext: LedgerEntryExt::V0,
            },
        );
        ChangeTrustResult::Success
    }
}

/// The one invoke_host_function operation of a Soroban transaction, with its source.
pub fn soroban_op(
    tx: &Transaction,
) -> Option<(AccountId, HostFunction, Vec<SorobanAuthorizationEntry>)> {
    if tx.operations.len() != 1 {
        return None;
    }
    let op = &tx.operations[0];
    let OperationBody::InvokeHostFunction(body) = &op.body else {
        return None;
    };
    let muxed = op
        .source_account
        .clone()
        .unwrap_or(tx.source_account.clone());
    let MuxedAccount::Ed25519(key) = muxed else {
        return None;
    };
    Some((
        AccountId(PublicKey::PublicKeyTypeEd25519(key)),
        body.host_function.clone(),
        body.auth.to_vec(),
    ))
}

/// Whether one of `signatures` is the master key's ed25519 signature of `hash`.
fn signed_by(signatures: &[DecoratedSignature], key: &[u8; 32], hash: &[u8; 32]) -> bool {
    let Ok(vk) = VerifyingKey::from_bytes(key) else {
        return false;
    };
    signatures.iter().any(|s| {
        s.hint.0 == key[28..32]
            && Signature::from_slice(s.signature.as_slice())
                .map(|sig| vk.verify(hash, &sig).is_ok())
                .unwrap_or(false)
    })
}

/// Recorded payloads as the auth entries a client signs: the source account's own as
/// source-account credentials, any other address's with a nonce to sign.
pub fn auth_entries(recorded: &[RecordedAuthPayload]) -> Vec<SorobanAuthorizationEntry> {
    recorded
        .iter()
        .map(|p| SorobanAuthorizationEntry {
            credentials: match (&p.address, p.nonce) {
                (Some(address), Some(nonce)) => {
                    SorobanCredentials::Address(SorobanAddressCredentials {
                        address: address.clone(),
                        nonce,
                        signature_expiration_ledger: 0,
                        signature: ScVal::Void,
                    })
                }
                _ => SorobanCredentials::SourceAccount,
            },
            root_invocation: p.invocation.clone() as SorobanAuthorizedInvocation,
        })
        .collect()
}
