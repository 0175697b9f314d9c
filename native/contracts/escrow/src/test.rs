//! Native tests of the escrow with soroban-sdk's testutils and the Stellar Asset Contract.
extern crate std;

use super::*;
use soroban_sdk::testutils::{Address as _, Events as _, Ledger as _, MockAuth, MockAuthInvoke};
use soroban_sdk::token::{StellarAssetClient, TokenClient};
use soroban_sdk::{vec, IntoVal, Map, Symbol, Val, Vec};

mod property;

/// One BRL in stroops (7 decimals, like every Stellar asset).
pub(crate) const BRL: i128 = 10_000_000;
pub(crate) const START: u64 = 1_800_000_000;

pub(crate) struct World {
    pub env: Env,
    pub bank: Address,
    pub payer: Address,
    pub payee: Address,
    pub token: TokenClient<'static>,
    pub escrow: EscrowContractClient<'static>,
}

pub(crate) fn world() -> World {
    let env = Env::default();
    env.mock_all_auths();
    env.ledger().set_timestamp(START);
    let bank = Address::generate(&env);
    let sac = env.register_stellar_asset_contract_v2(bank.clone());
    let token = TokenClient::new(&env, &sac.address());
    let escrow = EscrowContractClient::new(&env, &env.register(EscrowContract, ()));
    escrow.init(&bank, &sac.address());
    let payer = Address::generate(&env);
    let payee = Address::generate(&env);
    StellarAssetClient::new(&env, &sac.address()).mint(&payer, &(1_000 * BRL));
    World {
        env,
        bank,
        payer,
        payee,
        token,
        escrow,
    }
}

impl World {
    fn open(&self, amount: i128, deadline: u64) -> u64 {
        self.escrow
            .open(&self.payer, &self.payee, &amount, &deadline)
    }

    fn funded(&self, amount: i128) -> u64 {
        let id = self.open(amount, START + 100);
        self.escrow.fund(&id);
        id
    }

    fn balances(&self) -> (i128, i128, i128) {
        (
            self.token.balance(&self.payer),
            self.token.balance(&self.payee),
            self.token.balance(&self.escrow.address),
        )
    }

    /// The one address whose authorisation the last top-level call required.
    fn authorised(&self) -> Address {
        let auths = self.env.auths();
        assert_eq!(auths.len(), 1, "{auths:?}");
        auths[0].0.clone()
    }

    /// Calls `fn_name(args)` with only `who`'s authorisation mocked: the host refuses it unless
    /// `who` is the party the contract requires.
    fn as_only(&self, who: &Address, fn_name: &str, args: Vec<Val>) {
        self.env.mock_auths(&[MockAuth {
            address: who,
            invoke: &MockAuthInvoke {
                contract: &self.escrow.address,
                fn_name,
                args,
                sub_invokes: &[],
            },
        }]);
    }
}

fn status(w: &World, id: u64) -> Status {
    w.escrow.get(&id).status
}

#[test]
fn open_records_the_escrow_without_moving_funds() {
    let w = world();
    let id = w.open(10 * BRL, START + 100);
    assert_eq!(w.authorised(), w.payer);
    assert_eq!(id, 0);
    assert_eq!(w.escrow.count(), 1);
    let e = w.escrow.get(&id);
    assert_eq!(
        (e.payer, e.payee, e.amount, e.deadline, e.status),
        (
            w.payer.clone(),
            w.payee.clone(),
            10 * BRL,
            START + 100,
            Status::Open
        )
    );
    assert_eq!(w.balances(), (1_000 * BRL, 0, 0));
    assert_eq!(w.open(BRL, START + 5), 1, "ids are sequential");
}

#[test]
fn fund_moves_the_amount_into_the_contract() {
    let w = world();
    let id = w.open(10 * BRL, START + 100);
    w.escrow.fund(&id);
    assert_eq!(w.authorised(), w.payer);
    assert_eq!(status(&w, id), Status::Funded);
    assert_eq!(w.balances(), (990 * BRL, 0, 10 * BRL));
}

#[test]
fn release_pays_the_payee_once() {
    let w = world();
    let id = w.funded(10 * BRL);
    w.escrow.release(&id);
    assert_eq!(w.authorised(), w.payer);
    assert_eq!(status(&w, id), Status::Released);
    assert_eq!(w.balances(), (990 * BRL, 10 * BRL, 0));
    assert_eq!(w.escrow.try_release(&id), Err(Ok(EscrowError::WrongState)));
    assert_eq!(w.escrow.try_claim(&id), Err(Ok(EscrowError::WrongState)));
    assert_eq!(w.balances(), (990 * BRL, 10 * BRL, 0));
}

#[test]
fn claim_needs_the_payers_confirmation_then_pays_the_payee() {
    let w = world();
    let id = w.funded(10 * BRL);
    assert_eq!(w.escrow.try_claim(&id), Err(Ok(EscrowError::WrongState)));
    w.escrow.confirm(&id);
    assert_eq!(w.authorised(), w.payer);
    assert_eq!(status(&w, id), Status::Confirmed);
    assert_eq!(
        w.escrow.try_refund(&id),
        Err(Ok(EscrowError::WrongState)),
        "a confirmed escrow belongs to the payee"
    );
    w.escrow.claim(&id);
    assert_eq!(w.authorised(), w.payee);
    assert_eq!(status(&w, id), Status::Released);
    assert_eq!(w.balances(), (990 * BRL, 10 * BRL, 0));
    assert_eq!(w.escrow.try_claim(&id), Err(Ok(EscrowError::WrongState)));
}

#[test]
fn refund_is_refused_up_to_the_deadline_and_pays_the_payer_after_it() {
    let w = world();
    let id = w.funded(10 * BRL);
    w.env.ledger().set_timestamp(START + 99);
    assert_eq!(
        w.escrow.try_refund(&id),
        Err(Ok(EscrowError::DeadlineNotReached))
    );
    w.env.ledger().set_timestamp(START + 100);
    assert_eq!(
        w.escrow.try_refund(&id),
        Err(Ok(EscrowError::DeadlineNotReached)),
        "the deadline itself still belongs to the payee"
    );
    w.env.ledger().set_timestamp(START + 101);
    w.escrow.refund(&id);
    assert_eq!(w.authorised(), w.payer);
    assert_eq!(status(&w, id), Status::Refunded);
    assert_eq!(w.balances(), (1_000 * BRL, 0, 0));
    assert_eq!(w.escrow.try_refund(&id), Err(Ok(EscrowError::WrongState)));
}

#[test]
fn fund_is_accepted_at_the_deadline_and_refused_after_it() {
    let w = world();
    let a = w.open(BRL, START + 10);
    let b = w.open(BRL, START + 10);
    w.env.ledger().set_timestamp(START + 10);
    w.escrow.fund(&a);
    w.env.ledger().set_timestamp(START + 11);
    assert_eq!(w.escrow.try_fund(&b), Err(Ok(EscrowError::DeadlinePassed)));
    assert_eq!(status(&w, b), Status::Open);
}

#[test]
fn open_refuses_bad_amounts_parties_and_deadlines() {
    let w = world();
    for amount in [0, -1, -BRL] {
        assert_eq!(
            w.escrow
                .try_open(&w.payer, &w.payee, &amount, &(START + 10)),
            Err(Ok(EscrowError::InvalidAmount))
        );
    }
    assert_eq!(
        w.escrow.try_open(&w.payer, &w.payer, &BRL, &(START + 10)),
        Err(Ok(EscrowError::SameParty))
    );
    for deadline in [0, START - 1, START] {
        assert_eq!(
            w.escrow.try_open(&w.payer, &w.payee, &BRL, &deadline),
            Err(Ok(EscrowError::InvalidDeadline))
        );
    }
    w.escrow.open(&w.payer, &w.payee, &BRL, &(START + 1));
    assert_eq!(w.escrow.count(), 1);
}

#[test]
fn unknown_ids_are_not_found() {
    let w = world();
    assert_eq!(w.escrow.try_get(&7), Err(Ok(EscrowError::NotFound)));
    assert_eq!(w.escrow.try_fund(&7), Err(Ok(EscrowError::NotFound)));
    assert_eq!(w.escrow.try_release(&7), Err(Ok(EscrowError::NotFound)));
    assert_eq!(w.escrow.try_resolve(&7, &0), Err(Ok(EscrowError::NotFound)));
}

#[test]
fn fund_without_balance_fails_and_leaves_the_escrow_open() {
    let w = world();
    let id = w.open(2_000 * BRL, START + 100);
    assert_eq!(
        w.escrow.try_fund(&id),
        Err(Ok(EscrowError::InsufficientFunds))
    );
    assert_eq!(status(&w, id), Status::Open);
    assert_eq!(w.balances(), (1_000 * BRL, 0, 0));
}

#[test]
fn cancel_closes_an_unfunded_escrow_only() {
    let w = world();
    let id = w.open(BRL, START + 100);
    w.escrow.cancel(&id);
    assert_eq!(w.authorised(), w.payer);
    assert_eq!(status(&w, id), Status::Cancelled);
    assert_eq!(w.escrow.try_fund(&id), Err(Ok(EscrowError::WrongState)));
    let funded = w.funded(BRL);
    assert_eq!(
        w.escrow.try_cancel(&funded),
        Err(Ok(EscrowError::WrongState))
    );
}

#[test]
fn illegal_moves_from_open_are_refused() {
    let w = world();
    let id = w.open(BRL, START + 100);
    assert_eq!(w.escrow.try_release(&id), Err(Ok(EscrowError::WrongState)));
    assert_eq!(w.escrow.try_confirm(&id), Err(Ok(EscrowError::WrongState)));
    assert_eq!(w.escrow.try_claim(&id), Err(Ok(EscrowError::WrongState)));
    w.env.ledger().set_timestamp(START + 1_000);
    assert_eq!(w.escrow.try_refund(&id), Err(Ok(EscrowError::WrongState)));
    assert_eq!(
        w.escrow.try_dispute(&id, &w.payer),
        Err(Ok(EscrowError::WrongState))
    );
    assert_eq!(
        w.escrow.try_resolve(&id, &0),
        Err(Ok(EscrowError::WrongState))
    );
}

#[test]
fn dispute_by_either_party_and_resolution_by_the_bank_splits_the_amount() {
    let w = world();
    let a = w.funded(10 * BRL);
    w.escrow.dispute(&a, &w.payee);
    assert_eq!(w.authorised(), w.payee);
    assert_eq!(status(&w, a), Status::Disputed);
    assert_eq!(w.escrow.try_release(&a), Err(Ok(EscrowError::WrongState)));
    w.env.ledger().set_timestamp(START + 1_000);
    assert_eq!(w.escrow.try_refund(&a), Err(Ok(EscrowError::WrongState)));
    assert_eq!(
        w.escrow.try_resolve(&a, &(11 * BRL)),
        Err(Ok(EscrowError::InvalidShare))
    );
    assert_eq!(
        w.escrow.try_resolve(&a, &-1),
        Err(Ok(EscrowError::InvalidShare))
    );
    w.escrow.resolve(&a, &(3 * BRL));
    assert_eq!(w.authorised(), w.bank);
    let e = w.escrow.get(&a);
    assert_eq!(
        (e.status, e.paid_to_payee, e.paid_to_payer),
        (Status::Resolved, 3 * BRL, 7 * BRL)
    );
    assert_eq!(w.balances(), (997 * BRL, 3 * BRL, 0));
    assert_eq!(
        w.escrow.try_resolve(&a, &0),
        Err(Ok(EscrowError::WrongState))
    );
}

#[test]
fn a_confirmed_escrow_can_be_disputed_by_the_payer() {
    let w = world();
    let id = w.funded(BRL);
    w.escrow.confirm(&id);
    w.escrow.dispute(&id, &w.payer);
    assert_eq!(w.authorised(), w.payer);
    w.escrow.resolve(&id, &BRL);
    assert_eq!(w.balances(), (999 * BRL, BRL, 0));
}

#[test]
fn only_the_parties_may_dispute() {
    let w = world();
    let id = w.funded(BRL);
    let stranger = Address::generate(&w.env);
    assert_eq!(
        w.escrow.try_dispute(&id, &stranger),
        Err(Ok(EscrowError::NotParty))
    );
}

#[test]
fn the_wrong_party_is_refused_by_the_host_on_every_transition() {
    let w = world();
    let id = w.funded(10 * BRL);
    let stranger = Address::generate(&w.env);
    let args: Vec<Val> = (id,).into_val(&w.env);
    for (fn_name, who) in [
        ("release", &w.payee),
        ("release", &w.bank),
        ("confirm", &w.payee),
        ("refund", &w.payee),
        ("cancel", &stranger),
    ] {
        w.as_only(who, fn_name, args.clone());
        let result = match fn_name {
            "release" => w.escrow.try_release(&id),
            "confirm" => w.escrow.try_confirm(&id),
            "refund" => w.escrow.try_refund(&id),
            _ => w.escrow.try_cancel(&id),
        };
        assert!(
            matches!(result, Err(Err(_))),
            "{fn_name} by the wrong party: {result:?}"
        );
    }
    w.env.mock_all_auths();
    w.escrow.dispute(&id, &w.payer);
    w.as_only(&w.payer, "resolve", (id, BRL).into_val(&w.env));
    assert!(matches!(w.escrow.try_resolve(&id, &BRL), Err(Err(_))));
    w.env.mock_all_auths();
    assert_eq!(status(&w, id), Status::Disputed);
    assert_eq!(w.balances(), (990 * BRL, 0, 10 * BRL));
}

#[test]
fn the_payee_cannot_claim_for_the_payer_even_when_confirmed() {
    let w = world();
    let id = w.funded(BRL);
    w.escrow.confirm(&id);
    w.as_only(&w.payer, "claim", (id,).into_val(&w.env));
    assert!(matches!(w.escrow.try_claim(&id), Err(Err(_))));
    w.env.mock_all_auths();
    assert_eq!(status(&w, id), Status::Confirmed);
}

#[test]
fn init_is_once_and_calls_before_init_are_refused() {
    let env = Env::default();
    env.mock_all_auths();
    let escrow = EscrowContractClient::new(&env, &env.register(EscrowContract, ()));
    let (a, b) = (Address::generate(&env), Address::generate(&env));
    assert_eq!(
        escrow.try_open(&a, &b, &BRL, &10),
        Err(Ok(EscrowError::NotInitialized))
    );
    escrow.init(&a, &b);
    assert_eq!(
        escrow.try_init(&b, &a),
        Err(Ok(EscrowError::AlreadyInitialized))
    );
    assert_eq!(escrow.config(), (a, b));
}

#[test]
fn every_transition_publishes_an_event_with_the_new_status() {
    let w = world();
    let expected = |id: u64, status: Status, amount: i128| {
        let data: Map<Symbol, Val> = Map::from_array(
            &w.env,
            [
                (Symbol::new(&w.env, "amount"), amount.into_val(&w.env)),
                (Symbol::new(&w.env, "status"), status.into_val(&w.env)),
            ],
        );
        vec![
            &w.env,
            (
                w.escrow.address.clone(),
                (Symbol::new(&w.env, "escrow"), id).into_val(&w.env),
                data.into_val(&w.env),
            ),
        ]
    };
    let id = w.open(BRL, START + 100);
    let ours = || w.env.events().all().filter_by_contract(&w.escrow.address);
    assert_eq!(ours(), expected(id, Status::Open, BRL));
    w.escrow.fund(&id);
    assert_eq!(ours(), expected(id, Status::Funded, BRL));
    w.escrow.confirm(&id);
    assert_eq!(ours(), expected(id, Status::Confirmed, BRL));
    w.escrow.claim(&id);
    assert_eq!(ours(), expected(id, Status::Released, BRL));
    assert!(w.escrow.try_claim(&id).is_err());
    assert_eq!(ours().events().len(), 0, "a refused call publishes nothing");
}
