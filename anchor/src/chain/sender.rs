//! One transaction at a time per account, within a process.
//!
//! The clients ask the node for each transaction's nonce (never a cached one, so a chain that
//! went back is written to at its own nonce). Two clients signing with one account (the
//! anchor worker and the registry deploying a collection share the registry's key) would then
//! read the same pending nonce and one of the two transactions would be refused. Each send
//! holds its account's lock from filling the nonce until the node has the transaction in its
//! pool; waiting for the receipt happens after.
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use alloy::primitives::Address;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

static LOCKS: LazyLock<Mutex<HashMap<Address, Arc<AsyncMutex<()>>>>> = LazyLock::new(Default::default);

/// Waits for `account`'s turn to send; the turn lasts as long as the guard.
pub(crate) async fn turn(account: Address) -> OwnedMutexGuard<()> {
    let lock = {
        // A poisoned map still holds valid locks: take it as it is.
        let mut locks = LOCKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.entry(account).or_default().clone()
    };
    lock.lock_owned().await
}
