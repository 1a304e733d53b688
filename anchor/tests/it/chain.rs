//! The chain client and the real contract on a real anvil.

use std::time::Duration;

use alloy::primitives::B256;
use alloy::sol_types::SolCall;
use provreg_anchor::{AnchorError, ChainClient, ContractRevert, RetryPolicy, batch_commitment};

use crate::proofs::tampered;
use crate::support::{client, deployed, tree};

#[tokio::test]
async fn anchors_batches_and_proofs_verify_on_and_off_chain() {
    let Some((_anvil, owner)) = deployed().await else { return };
    assert_eq!(owner.chain_id().await.unwrap(), 31337);
    assert_eq!(owner.next_seq().await.unwrap(), 0);
    assert_eq!(owner.batch_count().await.unwrap(), 0);

    let trees = [tree(0, 1), tree(1, 3), tree(4, 1000)];
    let mut first_seq = 0;
    for (i, t) in trees.iter().enumerate() {
        let r = owner.anchor(B256::from(t.root()), first_seq, t.size()).await.unwrap();
        assert_eq!((r.batch_id, r.first_seq, r.size, r.root), (i as u64, first_seq, t.size(), B256::from(t.root())));
        assert!(r.block_number > 0);
        assert_eq!(owner.batch(r.batch_id).await.unwrap(), Some(B256::from(t.commitment())));
        first_seq += t.size();
    }
    assert_eq!(owner.next_seq().await.unwrap(), 1004);
    assert_eq!(owner.batch_count().await.unwrap(), 3);
    assert_eq!(owner.batch(3).await.unwrap(), None);

    let events = owner.anchored_events(0).await.unwrap();
    let seen: Vec<(u64, u64, u64)> = events.iter().map(|e| (e.batch_id, e.first_seq, e.size)).collect();
    assert_eq!(seen, vec![(0, 0, 1), (1, 1, 3), (2, 4, 1000)]);
    assert_eq!(owner.find_anchor(4, 0).await.unwrap().unwrap().root, B256::from(trees[2].root()));

    for (batch_id, t) in [(0u64, &trees[0]), (1, &trees[1])] {
        for index in 0..t.size() {
            let p = t.proof(index).unwrap();
            p.verify_against_commitment(&t.commitment()).unwrap();
            assert!(owner.verify_inclusion(batch_id, &p).await.unwrap(), "batch {batch_id} index {index}");
        }
    }
    for index in [0, 1, 499, 500, 998, 999] {
        let p = trees[2].proof(index).unwrap();
        assert!(owner.verify_inclusion(2, &p).await.unwrap(), "index {index}");
    }
    // A proof is bound to its batch.
    assert!(!owner.verify_inclusion(0, &trees[1].proof(0).unwrap()).await.unwrap());
    assert!(!owner.verify_inclusion(7, &trees[1].proof(0).unwrap()).await.unwrap());
}

#[tokio::test]
async fn forged_and_changed_proofs_fail_both_ways() {
    let Some((_anvil, owner)) = deployed().await else { return };
    let t = tree(0, 5);
    owner.anchor(B256::from(t.root()), 0, 5).await.unwrap();
    for index in [0, 3, 4] {
        let p = t.proof(index).unwrap();
        for (what, q) in tampered(&p) {
            assert!(q.verify_against_commitment(&t.commitment()).is_err(), "index {index}: {what}");
            assert!(!owner.verify_inclusion(0, &q).await.unwrap(), "index {index}: {what} verifies on chain");
        }
    }
    // The duplicate case on chain: entry 3 of a three-leaf batch.
    let t3 = tree(10, 3);
    owner.anchor(B256::from(t3.root()), 5, 3).await.unwrap();
    let mut four = t3.leaves().to_vec();
    four.push(four[2]);
    let phantom = provreg_anchor::BatchTree::new(&four).unwrap().proof(3).unwrap();
    assert_eq!(phantom.root, t3.root());
    assert!(!owner.verify_inclusion(1, &phantom).await.unwrap());
    let mut claimed = phantom.clone();
    claimed.size = 3;
    assert!(!owner.verify_inclusion(1, &claimed).await.unwrap());
    assert!(claimed.verify().is_err() && phantom.verify_against_commitment(&t3.commitment()).is_err());
}

#[tokio::test]
async fn only_the_owner_anchors_and_the_log_has_no_gaps() {
    let Some((anvil, owner)) = deployed().await else { return };
    let root = B256::from(tree(0, 3).root());
    let stranger = client(&anvil, 1, owner.contract_address());
    match stranger.send_anchor(root, 0, 3).await {
        Err(AnchorError::Reverted(ContractRevert::NotOwner)) => {}
        other => panic!("non-owner anchor: {other:?}"),
    }
    owner.anchor(root, 0, 3).await.unwrap();
    match owner.send_anchor(root, 5, 1).await {
        Err(AnchorError::Reverted(ContractRevert::SequenceGap { expected: 3, got: 5 })) => {}
        other => panic!("gap: {other:?}"),
    }
    match owner.anchor(root, 0, 3).await {
        Err(AnchorError::Reverted(ContractRevert::SequenceGap { expected: 3, got: 0 })) => {}
        other => panic!("replay: {other:?}"),
    }
    match owner.send_anchor(root, 3, 0).await {
        Err(AnchorError::Reverted(ContractRevert::ZeroSize)) => {}
        other => panic!("zero size: {other:?}"),
    }
    match owner.send_anchor(root, 3, u64::MAX).await {
        Err(AnchorError::Reverted(ContractRevert::SequenceOverflow)) => {}
        other => panic!("overflow: {other:?}"),
    }
    assert_eq!(owner.next_seq().await.unwrap(), 3);
    assert_eq!(owner.batch_count().await.unwrap(), 1);
}

#[tokio::test]
async fn send_and_confirm_are_separate_steps() {
    let Some((anvil, owner)) = deployed().await else { return };
    let t = tree(0, 2);
    let tx = owner.send_anchor(B256::from(t.root()), 0, 2).await.unwrap();
    // As after a restart: a new client with only the stored hash.
    let restarted = client(&anvil, 0, owner.contract_address());
    let first = restarted.wait_confirmed(tx).await.unwrap();
    assert_eq!((first.tx_hash, first.batch_id, first.first_seq, first.size), (tx, 0, 0, 2));
    assert_eq!(restarted.wait_confirmed(tx).await.unwrap(), first);
    assert_eq!(restarted.batch(0).await.unwrap(), Some(B256::from(batch_commitment(&t.root(), 2))));
}

#[tokio::test]
async fn an_unreachable_node_is_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let key = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let c = ChainClient::connect(&format!("http://127.0.0.1:{port}"), key, Some(alloy::primitives::Address::ZERO), 1)
        .unwrap()
        .with_retry_policy(RetryPolicy {
            attempts: 2,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(10),
        });
    assert!(matches!(c.anchor(B256::ZERO, 0, 1).await, Err(AnchorError::Transport(_))));
    assert!(matches!(c.next_seq().await, Err(AnchorError::Transport(_))));
    assert!(matches!(ChainClient::connect("not a url", key, None, 1), Err(AnchorError::Config(_))));
    assert!(matches!(ChainClient::connect("http://127.0.0.1:1", "zz", None, 1), Err(AnchorError::Config(_))));
}

/// Calldata gas of a transaction input (4 per zero byte, 16 per other byte).
fn calldata_gas(input: &[u8]) -> u64 {
    input.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

#[tokio::test]
async fn anchor_gas_is_flat_and_below_60000() {
    let Some((_anvil, owner)) = deployed().await else { return };
    let first = owner.anchor(B256::from(tree(0, 1).root()), 0, 1).await.unwrap();
    println!("anchor gas: first anchor of a new contract {}", first.gas_used);
    let mut first_seq = 1;
    let mut execution = Vec::new();
    // The contract stores the same per batch whatever its size; the root of a 1,000,000-entry
    // batch is just another 32 bytes, so the largest batch uses a stand-in root.
    let batches = [(tree(1, 1).root(), 1u64), (tree(2, 1000).root(), 1000), (tree(9, 7).root(), 1_000_000)];
    for (root, size) in batches {
        let r = owner.anchor(B256::from(root), first_seq, size).await.unwrap();
        let input = provreg_anchor::ProvenanceAnchor::anchorCall { root: B256::from(root), firstSeq: first_seq, size }
            .abi_encode();
        let intrinsic = 21_000 + calldata_gas(&input);
        println!(
            "anchor gas: batch of {size:>9} entries: {} total, {} intrinsic (calldata bytes vary), {} in the contract",
            r.gas_used,
            intrinsic,
            r.gas_used - intrinsic
        );
        assert!(r.gas_used < 60_000, "batch of {size}: {} gas", r.gas_used);
        execution.push(r.gas_used - intrinsic);
        first_seq += size;
    }
    assert!(execution.iter().all(|g| *g == execution[0]), "contract gas depends on the batch: {execution:?}");
}

/// Two clients signing with one account (as the anchor worker and collection deployments do)
/// send side by side: every transaction gets its own nonce and is mined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_of_one_account_send_side_by_side() {
    let Some(anvil) = crate::support::anvil() else { return };
    let mut a = client(&anvil, 0, None);
    let mut b = client(&anvil, 0, None);
    a.deploy().await.unwrap();
    b.deploy().await.unwrap();
    let send = |client: ChainClient| async move {
        for seq in 0..8u64 {
            client.anchor(B256::repeat_byte(seq as u8 + 1), seq, 1).await.expect("every anchor is mined");
        }
        client.next_seq().await.unwrap()
    };
    let (na, nb) = tokio::join!(send(a), send(b));
    assert_eq!((na, nb), (8, 8));
}
