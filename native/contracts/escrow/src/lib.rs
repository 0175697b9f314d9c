//! `escrow`: conditional payments between customers in the bank's BRL token.
//!
//! The token is a Stellar Asset Contract (7 decimals, amounts in i128 stroops). Life cycle:
//!
//! ```text
//! open --fund--> Funded --confirm--> Confirmed --claim (payee)--> Released
//!   |              |  \--release (payer)-------------------------> Released
//!   |              |  \--refund (payer, after the deadline)-------> Refunded
//!   |              \--dispute (payer or payee; also from Confirmed) --> Disputed --resolve (bank)--> Resolved
//!   \--cancel (payer, before funding)--> Cancelled
//! ```
//!
//! Every transition requires the authorisation of its party (`require_auth`), refuses illegal
//! moves with a typed [`EscrowError`], and publishes an event. Funds move only on the three
//! terminal pay-outs (released, refunded, resolved), each reachable once, so no escrow pays twice.
#![no_std]

use soroban_sdk::{
    contract, contracterror, contractevent, contractimpl, contracttype, token, Address, Env,
};

const TTL_THRESHOLD: u32 = 3_000_000;
const TTL_EXTEND_TO: u32 = 6_000_000;

#[contracterror]
#[derive(Copy, Clone, Debug, Eq, PartialEq, PartialOrd, Ord)]
#[repr(u32)]
pub enum EscrowError {
    AlreadyInitialized = 1,
    NotInitialized = 2,
    NotFound = 3,
    InvalidAmount = 4,
    InvalidDeadline = 5,
    SameParty = 6,
    WrongState = 7,
    DeadlinePassed = 8,
    DeadlineNotReached = 9,
    NotParty = 10,
    InvalidShare = 11,
    InsufficientFunds = 12,
}

#[contracttype]
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
#[repr(u32)]
pub enum Status {
    Open = 0,
    Funded = 1,
    Confirmed = 2,
    Disputed = 3,
    Released = 4,
    Refunded = 5,
    Resolved = 6,
    Cancelled = 7,
}

#[contracttype]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Escrow {
    pub payer: Address,
    pub payee: Address,
    /// Stroops of the BRL token (7 decimals).
    pub amount: i128,
    /// Ledger timestamp (Unix seconds): the payer may be refunded strictly after it.
    pub deadline: u64,
    pub status: Status,
    pub paid_to_payee: i128,
    pub paid_to_payer: i128,
}

#[contracttype]
#[derive(Clone, Debug, Eq, PartialEq)]
enum DataKey {
    Admin,
    Token,
    Count,
    Escrow(u64),
}

/// Published on every transition: topics ("escrow", id), data the new status and the escrow.
#[contractevent(topics = ["escrow"])]
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Transition {
    #[topic]
    pub id: u64,
    pub status: Status,
    pub amount: i128,
}

#[contract]
pub struct EscrowContract;

fn persist<V: soroban_sdk::IntoVal<Env, soroban_sdk::Val>>(env: &Env, key: &DataKey, value: &V) {
    let storage = env.storage().persistent();
    storage.set(key, value);
    storage.extend_ttl(key, TTL_THRESHOLD, TTL_EXTEND_TO);
}

fn config(env: &Env) -> Result<(Address, Address), EscrowError> {
    let storage = env.storage().persistent();
    let admin = storage
        .get(&DataKey::Admin)
        .ok_or(EscrowError::NotInitialized)?;
    let token = storage
        .get(&DataKey::Token)
        .ok_or(EscrowError::NotInitialized)?;
    Ok((admin, token))
}

fn load(env: &Env, id: u64) -> Result<Escrow, EscrowError> {
    env.storage()
        .persistent()
        .get(&DataKey::Escrow(id))
        .ok_or(EscrowError::NotFound)
}

fn save(env: &Env, id: u64, escrow: &Escrow) {
    persist(env, &DataKey::Escrow(id), escrow);
    Transition {
        id,
        status: escrow.status,
        amount: escrow.amount,
    }
    .publish(env);
}

fn pay(env: &Env, to: &Address, amount: i128) -> Result<(), EscrowError> {
    if amount > 0 {
        let (_, token) = config(env)?;
        token::TokenClient::new(env, &token).transfer(&env.current_contract_address(), to, &amount);
    }
    Ok(())
}

#[contractimpl]
impl EscrowContract {
    /// Sets the bank (arbiter) and the BRL token; callable once, authorised by the bank.
    pub fn init(env: Env, admin: Address, token: Address) -> Result<(), EscrowError> {
        if env.storage().persistent().has(&DataKey::Admin) {
            return Err(EscrowError::AlreadyInitialized);
        }
        admin.require_auth();
        persist(&env, &DataKey::Admin, &admin);
        persist(&env, &DataKey::Token, &token);
        persist(&env, &DataKey::Count, &0u64);
        Ok(())
    }

    /// (bank, token).
    pub fn config(env: Env) -> Result<(Address, Address), EscrowError> {
        config(&env)
    }

    /// Opens an escrow from `payer` to `payee`; returns its id. Funds move on `fund`.
    pub fn open(
        env: Env,
        payer: Address,
        payee: Address,
        amount: i128,
        deadline: u64,
    ) -> Result<u64, EscrowError> {
        config(&env)?;
        payer.require_auth();
        if amount <= 0 {
            return Err(EscrowError::InvalidAmount);
        }
        if payer == payee {
            return Err(EscrowError::SameParty);
        }
        if deadline <= env.ledger().timestamp() {
            return Err(EscrowError::InvalidDeadline);
        }
        let id: u64 = env.storage().persistent().get(&DataKey::Count).unwrap_or(0);
        persist(&env, &DataKey::Count, &(id + 1));
        let escrow = Escrow {
            payer,
            payee,
            amount,
            deadline,
            status: Status::Open,
            paid_to_payee: 0,
            paid_to_payer: 0,
        };
        save(&env, id, &escrow);
        Ok(id)
    }

    /// The payer moves the amount into the contract (up to the deadline).
    pub fn fund(env: Env, id: u64) -> Result<(), EscrowError> {
        let mut escrow = load(&env, id)?;
        escrow.payer.require_auth();
        if escrow.status != Status::Open {
            return Err(EscrowError::WrongState);
        }
        if env.ledger().timestamp() > escrow.deadline {
            return Err(EscrowError::DeadlinePassed);
        }
        let (_, token) = config(&env)?;
        let token = token::TokenClient::new(&env, &token);
        if token.balance(&escrow.payer) < escrow.amount {
            return Err(EscrowError::InsufficientFunds);
        }
        token.transfer(
            &escrow.payer,
            env.current_contract_address(),
            &escrow.amount,
        );
        escrow.status = Status::Funded;
        save(&env, id, &escrow);
        Ok(())
    }

    /// The payer withdraws an escrow that was never funded.
    pub fn cancel(env: Env, id: u64) -> Result<(), EscrowError> {
        let mut escrow = load(&env, id)?;
        escrow.payer.require_auth();
        if escrow.status != Status::Open {
            return Err(EscrowError::WrongState);
        }
        escrow.status = Status::Cancelled;
        save(&env, id, &escrow);
        Ok(())
    }

    /// The payer pays the payee now.
    pub fn release(env: Env, id: u64) -> Result<(), EscrowError> {
        let mut escrow = load(&env, id)?;
        escrow.payer.require_auth();
        if !matches!(escrow.status, Status::Funded | Status::Confirmed) {
            return Err(EscrowError::WrongState);
        }
        escrow.status = Status::Released;
        escrow.paid_to_payee = escrow.amount;
        save(&env, id, &escrow);
        pay(&env, &escrow.payee, escrow.amount)
    }

    /// The payer confirms delivery: from now on the payee may claim.
    pub fn confirm(env: Env, id: u64) -> Result<(), EscrowError> {
        let mut escrow = load(&env, id)?;
        escrow.payer.require_auth();
        if escrow.status != Status::Funded {
            return Err(EscrowError::WrongState);
        }
        escrow.status = Status::Confirmed;
        save(&env, id, &escrow);
        Ok(())
    }

    /// The payee collects a confirmed escrow.
    pub fn claim(env: Env, id: u64) -> Result<(), EscrowError> {
        let mut escrow = load(&env, id)?;
        escrow.payee.require_auth();
        if escrow.status != Status::Confirmed {
            return Err(EscrowError::WrongState);
        }
        escrow.status = Status::Released;
        escrow.paid_to_payee = escrow.amount;
        save(&env, id, &escrow);
        pay(&env, &escrow.payee, escrow.amount)
    }

    /// The payer takes the amount back strictly after the deadline (funded, unconfirmed only).
    pub fn refund(env: Env, id: u64) -> Result<(), EscrowError> {
        let mut escrow = load(&env, id)?;
        escrow.payer.require_auth();
        if escrow.status != Status::Funded {
            return Err(EscrowError::WrongState);
        }
        if env.ledger().timestamp() <= escrow.deadline {
            return Err(EscrowError::DeadlineNotReached);
        }
        escrow.status = Status::Refunded;
        escrow.paid_to_payer = escrow.amount;
        save(&env, id, &escrow);
        pay(&env, &escrow.payer, escrow.amount)
    }

    /// Payer or payee freezes a funded (or confirmed) escrow for the bank to resolve.
    pub fn dispute(env: Env, id: u64, by: Address) -> Result<(), EscrowError> {
        let mut escrow = load(&env, id)?;
        if by != escrow.payer && by != escrow.payee {
            return Err(EscrowError::NotParty);
        }
        by.require_auth();
        if !matches!(escrow.status, Status::Funded | Status::Confirmed) {
            return Err(EscrowError::WrongState);
        }
        escrow.status = Status::Disputed;
        save(&env, id, &escrow);
        Ok(())
    }

    /// The bank splits a disputed escrow: `payee_share` to the payee, the rest to the payer.
    pub fn resolve(env: Env, id: u64, payee_share: i128) -> Result<(), EscrowError> {
        let (admin, _) = config(&env)?;
        admin.require_auth();
        let mut escrow = load(&env, id)?;
        if escrow.status != Status::Disputed {
            return Err(EscrowError::WrongState);
        }
        if payee_share < 0 || payee_share > escrow.amount {
            return Err(EscrowError::InvalidShare);
        }
        escrow.status = Status::Resolved;
        escrow.paid_to_payee = payee_share;
        escrow.paid_to_payer = escrow.amount - payee_share;
        save(&env, id, &escrow);
        pay(&env, &escrow.payee, escrow.paid_to_payee)?;
        pay(&env, &escrow.payer, escrow.paid_to_payer)
    }

    /// One escrow.
    pub fn get(env: Env, id: u64) -> Result<Escrow, EscrowError> {
        load(&env, id)
    }

    /// How many escrows were opened (ids are 0..count).
    pub fn count(env: Env) -> u64 {
        env.storage().persistent().get(&DataKey::Count).unwrap_or(0)
    }
}

#[cfg(test)]
mod test;
