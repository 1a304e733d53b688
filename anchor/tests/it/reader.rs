//! The read-only client: what the signing client wrote, read back with no key.

use alloy::primitives::{Address, B256};
use provreg_anchor::{AnchorError, ChainReader};

use crate::support::{deployed, tree};

#[tokio::test]
async fn reads_back_batches_anchored_by_the_signing_client() {
    let Some((anvil, owner)) = deployed().await else { return };
    let contract = owner.contract_address().unwrap();
    let reader = ChainReader::connect(&anvil.endpoint(), contract).unwrap();
    assert_eq!(reader.contract_address(), contract);
    assert_eq!(reader.chain_id().await.unwrap(), 31337);
    assert_eq!((reader.next_seq().await.unwrap(), reader.batch_count().await.unwrap()), (0, 0));
    assert_eq!(reader.batch(0).await.unwrap(), None);
    assert!(reader.anchored_events(0).await.unwrap().is_empty());

    let (first, second) = (tree(0, 3), tree(3, 5));
    let r0 = owner.anchor(B256::from(first.root()), 0, 3).await.unwrap();
    let r1 = owner.anchor(B256::from(second.root()), 3, 5).await.unwrap();

    assert_eq!((reader.next_seq().await.unwrap(), reader.batch_count().await.unwrap()), (8, 2));
    assert_eq!(reader.batch(1).await.unwrap(), Some(B256::from(second.commitment())));
    assert_eq!(reader.batch(2).await.unwrap(), None);
    let events = reader.anchored_events(0).await.unwrap();
    let seen: Vec<_> = events.iter().map(|e| (e.batch_id, e.root, e.first_seq, e.size, e.tx_hash)).collect();
    assert_eq!(
        seen,
        vec![
            (0, B256::from(first.root()), 0, 3, Some(r0.tx_hash)),
            (1, B256::from(second.root()), 3, 5, Some(r1.tx_hash)),
        ]
    );
    assert_eq!(events[1].block_number, Some(r1.block_number));
    // From the second anchor's block on, only the second anchor.
    assert_eq!(reader.anchored_events(r1.block_number).await.unwrap(), events[1..].to_vec());
    assert_eq!(reader.find_anchor(3, 0).await.unwrap().as_ref(), Some(&events[1]));
    assert_eq!(reader.find_anchor(4, 0).await.unwrap(), None);
    for index in 0..5 {
        assert!(reader.verify_inclusion(1, &second.proof(index).unwrap()).await.unwrap(), "index {index}");
    }
    assert!(!reader.verify_inclusion(0, &second.proof(0).unwrap()).await.unwrap());

    // The signing client reads through the same reader.
    let through_client = owner.reader().unwrap();
    assert_eq!(through_client.contract_address(), contract);
    assert_eq!(through_client.anchored_events(0).await.unwrap(), events);
}

#[tokio::test]
async fn an_address_without_the_contract_is_an_error_not_zero() {
    let Some((anvil, _owner)) = deployed().await else { return };
    let nobody = ChainReader::connect(&anvil.endpoint(), anvil.addresses()[3]).unwrap();
    assert!(nobody.next_seq().await.is_err(), "an account with no code read as a contract");
}

#[tokio::test]
async fn bad_urls_and_unreachable_nodes() {
    assert!(matches!(ChainReader::connect("not a url", Address::ZERO), Err(AnchorError::Config(_))));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let reader = ChainReader::connect(&format!("http://127.0.0.1:{port}"), Address::ZERO).unwrap();
    assert!(matches!(reader.chain_id().await, Err(AnchorError::Transport(_))));
    assert!(matches!(reader.batch(0).await, Err(AnchorError::Transport(_))));
}
