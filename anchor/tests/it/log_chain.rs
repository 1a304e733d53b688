//! The `ProvenanceLog` contract on a real anvil: linked states, refusals, the on-chain
//! inclusion view against the RFC 6962 tree, and gas per anchor.

use alloy::primitives::B256;
use provreg_anchor::log_tree::{self, StoredHashes};
use provreg_anchor::state::GENESIS_HEAD;
use provreg_anchor::{AnchorError, ContractRevert, LogClient, LogState, StatusMap, status_key};

use crate::support::{anvil, leaves};

fn log_client(anvil: &provreg_anchor::devchain::Anvil, account: usize) -> LogClient {
    LogClient::connect(&anvil.endpoint(), &anvil.private_key_hex(account).unwrap(), None, 1).unwrap()
}

fn reverted(e: AnchorError) -> ContractRevert {
    match e {
        AnchorError::Reverted(r) => r,
        other => panic!("expected a revert, got {other}"),
    }
}

#[tokio::test]
async fn states_link_refuse_forks_and_cost_at_most_35000_gas() {
    let Some(anvil) = anvil() else { return };
    let mut owner = log_client(&anvil, 0);
    let address = owner.deploy().await.unwrap();
    let reader = owner.reader().unwrap();
    assert_eq!(reader.head().await.unwrap(), None);

    let all = leaves(0, 1000);
    let mut store = StoredHashes::new();
    log_tree::append(0, &all[..1], &mut store).unwrap();
    let mut status = StatusMap::new();

    // State 1: one entry, nothing revoked.
    let s1 = LogState {
        prev_head: GENESIS_HEAD,
        log_root: log_tree::root(1, &store).unwrap(),
        size: 1,
        status_root: status.root(),
    };
    let r1 = owner.wait_confirmed(owner.send_anchor(None, &s1).await.unwrap()).await.unwrap();
    assert_eq!(r1.event.head, B256::from(s1.head()));
    assert_eq!(reader.head().await.unwrap(), Some(B256::from(s1.head())));

    // State 2: 1,000 entries and one status event.
    log_tree::append(1, &all[1..], &mut store).unwrap();
    status.insert(status_key("dataset-a"), [7u8; 32]);
    let s2 = LogState {
        prev_head: s1.head(),
        log_root: log_tree::root(1000, &store).unwrap(),
        size: 1000,
        status_root: status.root(),
    };
    let r2 = owner.wait_confirmed(owner.send_anchor(Some(&s1), &s2).await.unwrap()).await.unwrap();

    // One more entry.
    let one = leaves(1000, 1);
    log_tree::append(1000, &one, &mut store).unwrap();
    let s2b = LogState {
        prev_head: s2.head(),
        log_root: log_tree::root(1001, &store).unwrap(),
        size: 1001,
        status_root: status.root(),
    };
    let r2b = owner.wait_confirmed(owner.send_anchor(Some(&s2), &s2b).await.unwrap()).await.unwrap();

    // A heartbeat: the same tree again, a new state.
    let s3 = LogState { prev_head: s2b.head(), ..s2b };
    let r3 = owner.wait_confirmed(owner.send_anchor(Some(&s2b), &s3).await.unwrap()).await.unwrap();
    assert_ne!(s3.head(), s2b.head());

    // The contract's cost does not depend on the tree (it only hashes the fields), so a
    // state of 1,000,000 entries needs no real tree of that size here.
    let s4 = LogState { prev_head: s3.head(), log_root: [0x5a; 32], size: 1_000_000, status_root: status.root() };
    let r4 = owner.wait_confirmed(owner.send_anchor(Some(&s3), &s4).await.unwrap()).await.unwrap();
    for (what, r) in
        [("999 new entries (1,000 in all)", &r2), ("1 new entry", &r2b), ("heartbeat", &r3), ("1,000,000 entries", &r4)]
    {
        eprintln!("gas per anchor, {what}: {}", r.gas_used);
        assert!(r.gas_used <= 35_000, "{what}: {} gas", r.gas_used);
    }
    eprintln!("gas of the first anchor: {}", r1.gas_used);

    // Every state is found by its head, with its block and time; the latest is s4.
    let found = reader.find_state(B256::from(s2.head()), 0).await.unwrap().unwrap();
    assert_eq!(reader.find_state(B256::from(s2b.head()), 0).await.unwrap().unwrap().state, s2b);
    assert_eq!((found.state, found.tx_hash), (s2, r2.event.tx_hash));
    assert!(found.block_time > 0 && found.block_number == r2.event.block_number);
    assert_eq!(reader.latest(0).await.unwrap().unwrap().state, s4);
    assert_eq!(reader.find_state(B256::repeat_byte(9), 0).await.unwrap(), None);

    // Refusals: an old previous state, a shrinking log, another root at the same size, not the owner.
    let stale = LogState { prev_head: s2.head(), log_root: [1; 32], size: 2_000_000, status_root: [0; 32] };
    match reverted(owner.send_anchor(Some(&s2), &stale).await.unwrap_err()) {
        ContractRevert::NotLatestState { latest } => assert_eq!(latest, B256::from(s4.head())),
        other => panic!("{other}"),
    }
    let shrink = LogState { prev_head: s4.head(), log_root: [1; 32], size: 999, status_root: [0; 32] };
    assert_eq!(
        reverted(owner.send_anchor(Some(&s4), &shrink).await.unwrap_err()),
        ContractRevert::LogShrinks { latest: 1_000_000, size: 999 }
    );
    let fork = LogState { prev_head: s4.head(), log_root: [2; 32], ..s4 };
    assert_eq!(reverted(owner.send_anchor(Some(&s4), &fork).await.unwrap_err()), ContractRevert::ForkedRoot);
    let stranger = LogClient::connect(&anvil.endpoint(), &anvil.private_key_hex(1).unwrap(), Some(address), 1).unwrap();
    let next = LogState { prev_head: s4.head(), ..s4 };
    assert_eq!(reverted(stranger.send_anchor(Some(&s4), &next).await.unwrap_err()), ContractRevert::NotOwner);
}

#[tokio::test]
async fn the_inclusion_view_checks_rfc6962_paths_against_the_latest_state() {
    let Some(anvil) = anvil() else { return };
    let mut owner = log_client(&anvil, 0);
    owner.deploy().await.unwrap();
    let reader = owner.reader().unwrap();
    let all = leaves(0, 13);
    let mut store = StoredHashes::new();
    log_tree::append(0, &all[..5], &mut store).unwrap();
    let s1 = LogState {
        prev_head: GENESIS_HEAD,
        log_root: log_tree::root(5, &store).unwrap(),
        size: 5,
        status_root: [0; 32],
    };
    owner.wait_confirmed(owner.send_anchor(None, &s1).await.unwrap()).await.unwrap();
    for i in 0..5 {
        let p = log_tree::prove_inclusion(&all[i as usize], i, 5, &store).unwrap();
        assert!(reader.verify_inclusion(&s1, &p).await.unwrap(), "entry {i} of 5");
    }
    log_tree::append(5, &all[5..], &mut store).unwrap();
    let s2 = LogState {
        prev_head: s1.head(),
        log_root: log_tree::root(13, &store).unwrap(),
        size: 13,
        status_root: [0; 32],
    };
    owner.wait_confirmed(owner.send_anchor(Some(&s1), &s2).await.unwrap()).await.unwrap();
    for i in 0..13 {
        let p = log_tree::prove_inclusion(&all[i as usize], i, 13, &store).unwrap();
        assert!(reader.verify_inclusion(&s2, &p).await.unwrap(), "entry {i} of 13");
        let mut wrong = p.clone();
        wrong.leaf = all[(i as usize + 1) % 13];
        assert!(!reader.verify_inclusion(&s2, &wrong).await.unwrap(), "entry {i} with another leaf");
    }
    // Only the latest state is held: a proof in the older tree is refused on chain now.
    let old = log_tree::prove_inclusion(&all[2], 2, 5, &store).unwrap();
    assert!(!reader.verify_inclusion(&s1, &old).await.unwrap());
}
