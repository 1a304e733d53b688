//! The log for transparency tooling: signed C2SP checkpoints of the anchored log tree and
//! consistency proofs between anchored sizes, on a real anvil with the real contract.
use provreg_anchor::ConsistencyProof;
use provreg_anchor::checkpoint::verify_checkpoint;
use serde_json::{Value, json};

use crate::anchoring::{chain, four_records};
use crate::helpers::{Backend, TestApp};

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let resp = reqwest::get(app.url(path)).await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn anchor_now(app: &TestApp) {
    let done = app.post("/graphql", Some(&app.admin), "mutation { anchorNow { size } }", json!({})).await;
    assert!(done.get("errors").is_none(), "{done:#}");
}

async fn checkpoints_are_signed_and_anchored_sizes_are_consistent(backend: Backend) {
    let Some((anvil, key, client)) = chain(None, 0).await else { return };
    let contract = client.contract_address().expect("deployed");
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, contract).await;

    let (status, body) = get(&app, "/checkpoint").await;
    assert_eq!(status, 503, "no checkpoint before the first anchor: {body}");
    let (status, vkey) = get(&app, "/checkpoint/key").await;
    assert_eq!(status, 200);
    let vkey = vkey.trim().to_owned();
    assert!(vkey.starts_with("provreg.local/log+"), "{vkey}");

    let (_lic, ds, _v1) = four_records(&app).await;
    anchor_now(&app).await;
    let (status, note) = get(&app, "/checkpoint").await;
    assert_eq!(status, 200, "{note}");
    let first = verify_checkpoint(&note, &vkey).unwrap();
    assert_eq!((first.origin.as_str(), first.size), ("provreg.local/log", 4));
    // The deprecation of v1 is in the status map.
    assert_ne!(first.status_root, [0u8; 32]);

    // A revocation: one more entry, another status root.
    app.ok(
        "mutation($id: String!) { setDatasetStatus(id: $id, status: REVOKED, reason: \"consent withdrawn\") { id } }",
        json!({ "id": ds }),
    )
    .await;
    anchor_now(&app).await;
    let (_, note) = get(&app, "/checkpoint").await;
    let second = verify_checkpoint(&note, &vkey).unwrap();
    assert_eq!(second.size, 5);
    assert_ne!(second.status_root, first.status_root);
    assert_ne!(second.log_root, first.log_root);
    // A checkpoint edited after signing is refused.
    assert!(verify_checkpoint(&note.replacen("\n5\n", "\n6\n", 1), &vkey).is_err());

    // The older tree is a prefix of the newer.
    let (status, text) = get(&app, "/log/consistency?oldSize=4&newSize=5").await;
    assert_eq!(status, 200, "{text}");
    let proof: ConsistencyProof = serde_json::from_str(&text).unwrap();
    proof.verify().unwrap();
    assert_eq!((proof.old_root, proof.new_root), (first.log_root, second.log_root));
    // A forked history (another root for the first four entries) is refused.
    let mut forked = proof.clone();
    forked.old_root[0] ^= 1;
    assert!(forked.verify().is_err());
    let mut forked = proof.clone();
    forked.hashes[0][31] ^= 1;
    assert!(forked.verify().is_err());

    // The same over GraphQL.
    let q = "query($o: Int!, $n: Int!) { logConsistency(oldSize: $o, newSize: $n) { oldSize newSize oldRoot newRoot hashes proof } }";
    let g = app.ok(q, json!({ "o": 4, "n": 5 })).await;
    let g = &g["logConsistency"];
    assert_eq!(g["newRoot"], format!("0x{}", hex::encode(second.log_root)));
    let from_graphql: ConsistencyProof = serde_json::from_value(g["proof"].clone()).unwrap();
    assert_eq!(from_graphql, proof);

    // Sizes past the anchored log, or out of order, are refused at the argument.
    let (status, text) = get(&app, "/log/consistency?oldSize=4&newSize=6").await;
    assert_eq!(status, 400, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["pointer"], "/newSize", "{body}");
    let (status, text) = get(&app, "/log/consistency?oldSize=5&newSize=4").await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = get(&app, "/log/consistency?newSize=4").await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("/oldSize"), "{text}");
    let bad = app.gql(q, json!({ "o": 0, "n": 5 })).await;
    assert_eq!(crate::helpers::code(&bad), "BAD_USER_INPUT", "{bad}");
}

crate::on_both_backends!(checkpoints_are_signed_and_anchored_sizes_are_consistent);
