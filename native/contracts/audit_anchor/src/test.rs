//! Native tests of the audit anchor with soroban-sdk's testutils.
extern crate std;

use super::*;
use soroban_sdk::testutils::{Address as _, Events as _, MockAuth, MockAuthInvoke};
use soroban_sdk::{symbol_short, vec, IntoVal, Map, Symbol, Val};

fn setup() -> (Env, Address, AuditAnchorClient<'static>) {
    let env = Env::default();
    let admin = Address::generate(&env);
    let id = env.register(AuditAnchor, ());
    let client = AuditAnchorClient::new(&env, &id);
    env.mock_all_auths();
    client.init(&admin);
    (env, admin, client)
}

fn root(env: &Env, byte: u8) -> BytesN<32> {
    BytesN::from_array(env, &[byte; 32])
}

#[test]
fn admin_anchors_a_day_and_reads_it_back() {
    let (env, admin, client) = setup();
    client.anchor(&20261203, &root(&env, 7));
    let auths = env.auths();
    assert_eq!(auths.len(), 1);
    assert_eq!(auths[0].0, admin);
    assert_eq!(client.root(&20261203), Some(root(&env, 7)));
    assert_eq!(client.root(&20261204), None);
    assert_eq!(client.admin(), admin);
}

#[test]
fn anchor_emits_one_event_with_the_day_as_topic() {
    let (env, _admin, client) = setup();
    client.anchor(&20261203, &root(&env, 9));
    let data: Map<Symbol, Val> = Map::from_array(
        &env,
        [(symbol_short!("root"), root(&env, 9).into_val(&env))],
    );
    assert_eq!(
        env.events().all(),
        vec![
            &env,
            (
                client.address.clone(),
                (Symbol::new(&env, "anchored"), 20261203u32).into_val(&env),
                data.into_val(&env),
            )
        ]
    );
}

#[test]
fn re_anchoring_the_same_root_is_idempotent_and_silent() {
    let (env, _admin, client) = setup();
    client.anchor(&20261203, &root(&env, 1));
    client.anchor(&20261203, &root(&env, 1));
    assert_eq!(
        env.events().all().events().len(),
        0,
        "the retry publishes nothing"
    );
    assert_eq!(client.root(&20261203), Some(root(&env, 1)));
}

#[test]
fn re_anchoring_a_changed_day_is_an_error_and_keeps_the_first_root() {
    let (env, _admin, client) = setup();
    client.anchor(&20261203, &root(&env, 1));
    assert_eq!(
        client.try_anchor(&20261203, &root(&env, 2)),
        Err(Ok(AnchorError::DayAlreadyAnchored))
    );
    assert_eq!(client.root(&20261203), Some(root(&env, 1)));
}

#[test]
fn invalid_days_are_refused() {
    let (env, _admin, client) = setup();
    for day in [0u32, 20261301, 20261200, 20261232, 19991231, 99] {
        assert_eq!(
            client.try_anchor(&day, &root(&env, 1)),
            Err(Ok(AnchorError::InvalidDay)),
            "day {day}"
        );
    }
}

#[test]
fn someone_else_than_the_admin_cannot_anchor() {
    let env = Env::default();
    let admin = Address::generate(&env);
    let intruder = Address::generate(&env);
    let id = env.register(AuditAnchor, ());
    let client = AuditAnchorClient::new(&env, &id);
    client
        .mock_auths(&[MockAuth {
            address: &admin,
            invoke: &MockAuthInvoke {
                contract: &id,
                fn_name: "init",
                args: (&admin,).into_val(&env),
                sub_invokes: &[],
            },
        }])
        .init(&admin);
    let r = root(&env, 3);
    let result = client
        .mock_auths(&[MockAuth {
            address: &intruder,
            invoke: &MockAuthInvoke {
                contract: &id,
                fn_name: "anchor",
                args: (20261203u32, r.clone()).into_val(&env),
                sub_invokes: &[],
            },
        }])
        .try_anchor(&20261203, &r);
    assert!(
        matches!(result, Err(Err(_))),
        "host auth failure: {result:?}"
    );
    assert_eq!(client.root(&20261203), None);
}

#[test]
fn init_twice_and_anchor_before_init_are_refused() {
    let env = Env::default();
    env.mock_all_auths();
    let admin = Address::generate(&env);
    let id = env.register(AuditAnchor, ());
    let client = AuditAnchorClient::new(&env, &id);
    assert_eq!(
        client.try_anchor(&20261203, &root(&env, 1)),
        Err(Ok(AnchorError::NotInitialized))
    );
    client.init(&admin);
    assert_eq!(
        client.try_init(&Address::generate(&env)),
        Err(Ok(AnchorError::AlreadyInitialized))
    );
    assert_eq!(client.admin(), admin);
}
