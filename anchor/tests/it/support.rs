//! Shared test helpers.

use provreg_anchor::devchain::{self, Anvil};
use provreg_anchor::{BatchTree, ChainClient, Digest};
use sha2::{Digest as _, Sha256};

/// Whether tests that need the npm packages may skip when they are missing: only outside CI.
pub fn may_skip(what: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing in CI: the npm packages in anchor/contracts must be installed (npm ci)");
    }
    eprintln!("SKIPPED: {what} is missing; run `npm ci` in anchor/contracts (this test never skips in CI)");
    true
}

/// A running anvil, or `None` (after a message) when it is not installed outside CI.
pub fn anvil() -> Option<Anvil> {
    if devchain::locate_anvil().is_none() && may_skip("anvil") {
        return None;
    }
    Some(Anvil::spawn().expect("anvil starts"))
}

/// A client signing with development account `account`, of `contract` if given.
pub fn client(anvil: &Anvil, account: usize, contract: Option<alloy::primitives::Address>) -> ChainClient {
    ChainClient::connect(&anvil.endpoint(), &anvil.private_key_hex(account).unwrap(), contract, 1).unwrap()
}

/// An anvil with a freshly deployed contract owned by account 0.
pub async fn deployed() -> Option<(Anvil, ChainClient)> {
    let anvil = anvil()?;
    let mut owner = client(&anvil, 0, None);
    owner.deploy().await.unwrap();
    Some((anvil, owner))
}

/// Test leaf `i`: SHA-256("provreg-test-leaf" || u64be(i)).
pub fn leaf(i: u64) -> Digest {
    let mut h = Sha256::new();
    h.update(b"provreg-test-leaf");
    h.update(i.to_be_bytes());
    h.finalize().into()
}

/// Leaves `start..start + n`.
pub fn leaves(start: u64, n: u64) -> Vec<Digest> {
    (start..start + n).map(leaf).collect()
}

/// The tree over `leaves(start, n)`.
pub fn tree(start: u64, n: u64) -> BatchTree {
    BatchTree::new(&leaves(start, n)).unwrap()
}
