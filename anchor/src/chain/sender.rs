//! One transaction at a time per account, within a process.
//!
//! The clients ask the node for each transaction's nonce (never a cached one, so a chain that
//! went back is written to at its own nonce). Two clients signing with one account (the
//! anchor worker and the registry deploying a collection share the registry's key) would then
//! read the same pending nonce and one of the two transactions would be refused. Each send
//! holds its account's lock from filling the nonce until the node has the transaction in its
//! pool; waiting for the receipt happens after.
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};

use alloy::network::EthereumWallet;
use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::reader::parse_rpc_url;
use crate::error::{AnchorError, Result};

/// A provider of the node at `rpc_url` (HTTP) that signs with `private_key_hex` (with or
/// without `0x`), and the signing account. The nonce is asked of the node for every
/// transaction, never cached: a cached nonce advances even when gas estimation finds a revert
/// and nothing is sent (the next transaction then waits forever), and a chain that lost blocks
/// (a reorg, a dev chain restarted from an older state) has a lower nonce than a cache would
/// send. Does not contact the node.
pub(crate) fn signing_provider(rpc_url: &str, private_key_hex: &str) -> Result<(DynProvider, Address)> {
    let url = parse_rpc_url(rpc_url)?;
    let signer: PrivateKeySigner = private_key_hex
        .trim()
        .parse()
        .map_err(|_| AnchorError::Config("the private key is not 32 bytes of hex".to_owned()))?;
    let sender = signer.address();
    let provider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
        .erased();
    Ok((provider, sender))
}

/// Runs `send` (filling the nonce and handing the transaction to the node) in `account`'s
/// turn; the turn ends when the node has it, before any wait for a receipt.
pub(crate) async fn in_turn<F: Future>(account: Address, send: F) -> F::Output {
    let _turn = turn(account).await;
    send.await
}

static LOCKS: LazyLock<Mutex<HashMap<Address, Arc<AsyncMutex<()>>>>> = LazyLock::new(Default::default);

/// Waits for `account`'s turn to send; the turn lasts as long as the guard.
async fn turn(account: Address) -> OwnedMutexGuard<()> {
    let lock = {
        // A poisoned map still holds valid locks: take it as it is.
        let mut locks = LOCKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.entry(account).or_default().clone()
    };
    lock.lock_owned().await
}
