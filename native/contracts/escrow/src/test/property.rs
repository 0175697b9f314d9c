//! Property test: random sequences of calls by random parties against a reference model.
//!
//! After every call the contract agrees with the model on success/refusal and on every balance;
//! the token supply (sum of all balances) never changes; each escrow pays out at most once.
use super::{World, BRL, START};
use crate::{EscrowError, Status};
use proptest::prelude::*;
use soroban_sdk::testutils::{Address as _, Ledger as _};
use soroban_sdk::token::StellarAssetClient;
use soroban_sdk::Address;
extern crate std;
use std::vec::Vec;

#[derive(Clone, Debug)]
enum Call {
    Open {
        from: usize,
        to: usize,
        amount: i128,
        after: u64,
    },
    Fund(usize),
    Release(usize),
    Confirm(usize),
    Claim(usize),
    Refund(usize),
    Dispute(usize, bool),
    Resolve(usize, i128),
    Cancel(usize),
    Wait(u64),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (0..3usize, 0..3usize, -1..400i128, 0..60u64).prop_map(|(from, to, amount, after)| {
            Call::Open {
                from,
                to,
                amount: amount * BRL / 4,
                after,
            }
        }),
        (0..8usize).prop_map(Call::Fund),
        (0..8usize).prop_map(Call::Release),
        (0..8usize).prop_map(Call::Confirm),
        (0..8usize).prop_map(Call::Claim),
        (0..8usize).prop_map(Call::Refund),
        (0..8usize, any::<bool>()).prop_map(|(i, p)| Call::Dispute(i, p)),
        (0..8usize, -1..120i128).prop_map(|(i, pct)| Call::Resolve(i, pct)),
        (0..8usize).prop_map(Call::Cancel),
        (0..40u64).prop_map(Call::Wait),
    ]
}

#[derive(Clone, Debug)]
struct Model {
    payer: usize,
    payee: usize,
    amount: i128,
    deadline: u64,
    status: Status,
    payouts: u32,
}

type Attempt =
    Result<Result<(), soroban_sdk::ConversionError>, Result<EscrowError, soroban_sdk::InvokeError>>;

/// A transition's outcome: Ok, or the contract's typed refusal (a host error fails the test).
fn flat(what: &Call, r: Attempt) -> Result<(), EscrowError> {
    match r {
        Ok(_) => Ok(()),
        Err(Ok(e)) => Err(e),
        Err(Err(e)) => panic!("host error {e:?} after {what:?}"),
    }
}

fn check(
    got: Result<(), EscrowError>,
    expect: Result<(), EscrowError>,
    what: &Call,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got, expect, "{:?}", what);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn supply_is_conserved_and_no_escrow_pays_twice(calls in proptest::collection::vec(call(), 1..24)) {
        let w: World = super::world();
        let sac = StellarAssetClient::new(&w.env, &w.token.address);
        let third = Address::generate(&w.env);
        let people = [w.payer.clone(), w.payee.clone(), third];
        sac.mint(&people[1], &(300 * BRL));
        sac.mint(&people[2], &(50 * BRL));
        let mut balance: Vec<i128> = std::vec![1_000 * BRL, 300 * BRL, 50 * BRL];
        let supply: i128 = balance.iter().sum();
        let mut held: i128 = 0;
        let mut now = START;
        let mut escrows: Vec<Model> = Vec::new();

        for c in &calls {
            let expect: Result<(), EscrowError>;
            let got: Result<(), EscrowError>;
            match *c {
                Call::Open { from, to, amount, after } => {
                    let deadline = now + after;
                    expect = if amount <= 0 { Err(EscrowError::InvalidAmount) }
                        else if from == to { Err(EscrowError::SameParty) }
                        else if deadline <= now { Err(EscrowError::InvalidDeadline) }
                        else { Ok(()) };
                    let r = w.escrow.try_open(&people[from], &people[to], &amount, &deadline);
                    got = r.map(|id| id.unwrap()).map_err(|e| e.unwrap()).map(|id| {
                        assert_eq!(id as usize, escrows.len());
                    });
                    if expect.is_ok() {
                        escrows.push(Model { payer: from, payee: to, amount, deadline, status: Status::Open, payouts: 0 });
                    }
                }
                Call::Wait(secs) => {
                    now += secs;
                    w.env.ledger().set_timestamp(now);
                    continue;
                }
                _ => {
                    let i = match *c {
                        Call::Fund(i) | Call::Release(i) | Call::Confirm(i) | Call::Claim(i)
                        | Call::Refund(i) | Call::Dispute(i, _) | Call::Resolve(i, _) | Call::Cancel(i) => i,
                        _ => unreachable!(),
                    };
                    let id = i as u64;
                    let Some(m) = escrows.get_mut(i) else {
                        let r = w.escrow.try_fund(&id).map(|_| ()).map_err(|e| e.unwrap());
                        check(r, Err(EscrowError::NotFound), c)?;
                        continue;
                    };
                    use Status::*;
                    let (next, payee_gets, payer_gets): (Result<Status, EscrowError>, i128, i128) = match *c {
                        Call::Fund(_) => match m.status {
                            Open if now > m.deadline => (Err(EscrowError::DeadlinePassed), 0, 0),
                            Open if balance[m.payer] < m.amount => (Err(EscrowError::InsufficientFunds), 0, 0),
                            Open => (Ok(Funded), 0, 0),
                            _ => (Err(EscrowError::WrongState), 0, 0),
                        },
                        Call::Release(_) => match m.status {
                            Funded | Confirmed => (Ok(Released), m.amount, 0),
                            _ => (Err(EscrowError::WrongState), 0, 0),
                        },
                        Call::Confirm(_) => match m.status {
                            Funded => (Ok(Confirmed), 0, 0),
                            _ => (Err(EscrowError::WrongState), 0, 0),
                        },
                        Call::Claim(_) => match m.status {
                            Confirmed => (Ok(Released), m.amount, 0),
                            _ => (Err(EscrowError::WrongState), 0, 0),
                        },
                        Call::Refund(_) => match m.status {
                            Funded if now <= m.deadline => (Err(EscrowError::DeadlineNotReached), 0, 0),
                            Funded => (Ok(Refunded), 0, m.amount),
                            _ => (Err(EscrowError::WrongState), 0, 0),
                        },
                        Call::Dispute(..) => match m.status {
                            Funded | Confirmed => (Ok(Disputed), 0, 0),
                            _ => (Err(EscrowError::WrongState), 0, 0),
                        },
                        Call::Resolve(_, pct) => {
                            let share = m.amount * pct / 100;
                            match m.status {
                                Disputed if share < 0 || share > m.amount => (Err(EscrowError::InvalidShare), 0, 0),
                                Disputed => (Ok(Resolved), share, m.amount - share),
                                _ => (Err(EscrowError::WrongState), 0, 0),
                            }
                        }
                        Call::Cancel(_) => match m.status {
                            Open => (Ok(Cancelled), 0, 0),
                            _ => (Err(EscrowError::WrongState), 0, 0),
                        },
                        _ => unreachable!(),
                    };
                    got = flat(c, match *c {
                        Call::Fund(_) => w.escrow.try_fund(&id),
                        Call::Release(_) => w.escrow.try_release(&id),
                        Call::Confirm(_) => w.escrow.try_confirm(&id),
                        Call::Claim(_) => w.escrow.try_claim(&id),
                        Call::Refund(_) => w.escrow.try_refund(&id),
                        Call::Dispute(_, by_payer) => {
                            let by = if by_payer { m.payer } else { m.payee };
                            w.escrow.try_dispute(&id, &people[by])
                        }
                        Call::Resolve(_, pct) => w.escrow.try_resolve(&id, &(m.amount * pct / 100)),
                        Call::Cancel(_) => w.escrow.try_cancel(&id),
                        _ => unreachable!(),
                    });
                    expect = next.map(|s| {
                        if matches!(c, Call::Fund(_)) {
                            balance[m.payer] -= m.amount;
                            held += m.amount;
                        }
                        if matches!(s, Released | Refunded | Resolved) {
                            m.payouts += 1;
                            held -= m.amount;
                            balance[m.payee] += payee_gets;
                            balance[m.payer] += payer_gets;
                        }
                        m.status = s;
                    });
                    prop_assert!(m.payouts <= 1, "escrow {} paid twice", i);
                }
            }
            check(got, expect, c)?;
            let on_chain: Vec<i128> = people.iter().map(|p| w.token.balance(p)).collect();
            prop_assert_eq!(&on_chain, &balance, "after {:?}", c);
            let contract = w.token.balance(&w.escrow.address);
            prop_assert_eq!(contract, held);
            prop_assert_eq!(on_chain.iter().sum::<i128>() + contract, supply);
            for (i, m) in escrows.iter().enumerate() {
                let e = w.escrow.get(&(i as u64));
                prop_assert_eq!(e.status, m.status);
                let paid = if m.payouts == 1 { m.amount } else { 0 };
                prop_assert_eq!(e.paid_to_payee + e.paid_to_payer, paid);
            }
        }
    }
}
