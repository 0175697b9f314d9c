//! `audit_anchor`: append-only registry of the audit trail's daily Merkle roots.
//!
//! The bank's admin address (set once by `init`) is the only one that may anchor. A day
//! (`yyyymmdd`) is anchored once: anchoring the same root again is an idempotent no-op (a retried
//! transaction), anchoring a different root for an anchored day is `DayAlreadyAnchored`. Every new
//! anchor emits an `anchored` event with the day as topic and the root as data.
#![no_std]

use soroban_sdk::{
    contract, contracterror, contractevent, contractimpl, contracttype, Address, BytesN, Env,
};

/// Persistent entries live about a year of ledgers (5 s each) and are extended on every write.
const TTL_THRESHOLD: u32 = 3_000_000;
const TTL_EXTEND_TO: u32 = 6_000_000;

#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum AnchorError {
    AlreadyInitialized = 1,
    NotInitialized = 2,
    InvalidDay = 3,
    DayAlreadyAnchored = 4,
}

#[contracttype]
#[derive(Clone, Debug, Eq, PartialEq)]
enum DataKey {
    Admin,
    Root(u32),
}

/// Published once per anchored day.
#[contractevent]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Anchored {
    #[topic]
    pub day: u32,
    pub root: BytesN<32>,
}

#[contract]
pub struct AuditAnchor;

fn valid_day(day: u32) -> bool {
    let (year, month, dom) = (day / 10_000, (day / 100) % 100, day % 100);
    (2000..=9999).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&dom)
}

fn admin(env: &Env) -> Result<Address, AnchorError> {
    env.storage()
        .persistent()
        .get(&DataKey::Admin)
        .ok_or(AnchorError::NotInitialized)
}

#[contractimpl]
impl AuditAnchor {
    /// Sets the bank's admin address; callable once, authorised by that admin.
    pub fn init(env: Env, admin: Address) -> Result<(), AnchorError> {
        if env.storage().persistent().has(&DataKey::Admin) {
            return Err(AnchorError::AlreadyInitialized);
        }
        admin.require_auth();
        env.storage().persistent().set(&DataKey::Admin, &admin);
        env.storage()
            .persistent()
            .extend_ttl(&DataKey::Admin, TTL_THRESHOLD, TTL_EXTEND_TO);
        Ok(())
    }

    /// The admin address.
    pub fn admin(env: Env) -> Result<Address, AnchorError> {
        admin(&env)
    }

    /// Anchors `root` for `day` (yyyymmdd). Only the admin; once per day.
    pub fn anchor(env: Env, day: u32, root: BytesN<32>) -> Result<(), AnchorError> {
        let admin = admin(&env)?;
        admin.require_auth();
        if !valid_day(day) {
            return Err(AnchorError::InvalidDay);
        }
        let key = DataKey::Root(day);
        let storage = env.storage().persistent();
        if let Some(existing) = storage.get::<_, BytesN<32>>(&key) {
            return if existing == root {
                Ok(())
            } else {
                Err(AnchorError::DayAlreadyAnchored)
            };
        }
        storage.set(&key, &root);
        storage.extend_ttl(&key, TTL_THRESHOLD, TTL_EXTEND_TO);
        Anchored { day, root }.publish(&env);
        Ok(())
    }

    /// The root anchored for `day`, if any.
    pub fn root(env: Env, day: u32) -> Option<BytesN<32>> {
        env.storage().persistent().get(&DataKey::Root(day))
    }
}

#[cfg(test)]
mod test;
