//! Compliance over tokens: `affectedTokens` from a licence, a dataset and a model version at
//! any lineage depth; the metadata-update feed a status change writes in its own
//! transaction; the ERC-721 / ERC-7007 token metadata and the signed asset over HTTP.
use std::collections::BTreeSet;

use provreg_server::service::lineage::NodeRef;
use serde_json::{Value, json};
use sha2::Digest as _;
use uuid::Uuid;

use crate::helpers::{REGISTER_VERSION, TestApp, code, version_input};
use crate::on_both;
use crate::zk::{self, CHAIN, CONTRACT, REGISTER_CIRCUIT, REGISTER_TOKEN};

on_both!(
    affected_tokens_reach_through_every_lineage_depth,
    status_changes_write_token_ranges_with_the_event_or_not_at_all,
    token_metadata_follows_erc7007_and_turns_affected,
);

/// A second token contract on the same chain.
const OTHER_CONTRACT: &str = "0x00000000000000000000000000000000000BEEF0";

/// A 1×1 RGB PNG: a token's generated image.
const TINY_PNG: &str = "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de\
                        0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082";

/// Data licence → `source` → `mid` → `top` (each derived from the one before); the
/// grandparent version is trained on `top`, the parent fine-tuned from it, and the child (the
/// fixture's weights and circuit) retrained from the parent, each under a licence of its own.
/// `side` is a dataset nothing was trained on; `unrelated` a generator of its own.
struct Lineage {
    data_licence: String,
    weights_licence: String,
    child_licence: String,
    source: String,
    mid: String,
    top: String,
    side: String,
    grandparent: String,
    parent: String,
    child: String,
    unrelated: String,
}

async fn lineage(app: &TestApp) -> Lineage {
    let data_licence = app.license("data licence", "ALLOWED").await;
    let weights_licence = app.license("weights licence", "ALLOWED").await;
    let child_licence = app.license("generator licence", "ALLOWED").await;
    let source = app.dataset("source", &data_licence, &[]).await;
    let mid = app.dataset("mid", &data_licence, &[&source]).await;
    let top = app.dataset("top", &data_licence, &[&mid]).await;
    let side = app.dataset("side", &data_licence, &[]).await;
    let grandparent = app.version("ancestor", "v1", &weights_licence, None, &[(&top, "PRETRAIN")]).await;
    let parent = app.version("ancestor", "v2", &weights_licence, Some((&grandparent, "FINETUNE")), &[]).await;
    let child = child_version(app, &child_licence, &parent).await;
    let unrelated = app.proven_version("unrelated").await;
    Lineage {
        data_licence,
        weights_licence,
        child_licence,
        source,
        mid,
        top,
        side,
        grandparent,
        parent,
        child,
        unrelated,
    }
}

/// A version with a parent whose weights are the fixture model (a weights hash need not be
/// unique: `unrelated` has the same), with the fixture's circuit.
async fn child_version(app: &TestApp, licence: &str, parent: &str) -> String {
    let mut input = version_input("generator", "v3", licence, Some((parent, "RETRAIN")), &[]);
    input["weightsSha256"] = json!(zk::fixture().await.circuit.onnx_sha256);
    input["architecture"] = json!("onnx mlp 8-16-4");
    let data = app.ok(REGISTER_VERSION, json!({ "input": input })).await;
    let child = data["registerModelVersion"]["id"].as_str().unwrap().to_owned();
    app.ok(REGISTER_CIRCUIT, json!({ "input": zk::circuit_input(&child).await })).await;
    child
}

/// Registers token `token_id` of `contract` made by `version` from seed `seed_n`.
async fn token_on(app: &TestApp, version: &str, contract: &str, token_id: u64, seed_n: u64) -> Value {
    let seed = zk::seed(seed_n);
    let (traits, record) = zk::prove(seed).await;
    let mut input = zk::token_input(version, token_id, seed, &traits, &record);
    input["contract"] = json!(contract);
    app.ok(REGISTER_TOKEN, json!({ "input": input })).await["registerToken"].clone()
}

/// The child's tokens: 1, 2, 3, 7, 9 and 10 of [`CONTRACT`], 7 of [`OTHER_CONTRACT`]; and
/// token 20 of [`CONTRACT`] by the unrelated generator.
async fn mint(app: &TestApp, l: &Lineage) {
    // One seed per token of a contract; token 7 of the other contract may share token 1's.
    for (token, seed) in [(1, 1), (2, 2), (3, 3), (7, 4), (9, 5), (10, 6)] {
        app.proven_token(&l.child, token, seed).await;
    }
    token_on(app, &l.child, OTHER_CONTRACT, 7, 1).await;
    app.proven_token(&l.unrelated, 20, 7).await;
}

/// The child's tokens as (contract, token ID).
fn child_tokens() -> BTreeSet<(String, String)> {
    let c = CONTRACT.to_ascii_lowercase();
    let o = OTHER_CONTRACT.to_ascii_lowercase();
    ["1", "2", "3", "7", "9", "10"]
        .into_iter()
        .map(|t| (c.clone(), t.to_owned()))
        .chain([(o, "7".to_owned())])
        .collect()
}

const AFFECTED: &str = "query($d: String, $l: String, $m: String, $first: Int = 50, $after: String) {
    affectedTokens(datasetId: $d, licenseId: $l, modelVersionId: $m, first: $first, after: $after) {
        id contract tokenId modelVersion { id } } }";

/// Every page of `affectedTokens` for `vars`, `first` at a time.
async fn affected_pages(app: &TestApp, vars: Value, first: i32) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut v = vars.clone();
        v["first"] = json!(first);
        v["after"] = json!(after);
        let page = app.ok(AFFECTED, v).await["affectedTokens"].as_array().unwrap().clone();
        let done = page.len() < first as usize;
        after = page.last().map(|t| t["id"].as_str().unwrap().to_owned());
        all.extend(page);
        if done {
            return all;
        }
    }
}

async fn affected(app: &TestApp, vars: Value) -> BTreeSet<(String, String)> {
    let tokens = affected_pages(app, vars, 50).await;
    let set: BTreeSet<(String, String)> = tokens
        .iter()
        .map(|t| (t["contract"].as_str().unwrap().to_owned(), t["tokenId"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(set.len(), tokens.len(), "no token twice: {tokens:#?}");
    set
}

async fn affected_tokens_reach_through_every_lineage_depth(app: TestApp) {
    let l = lineage(&app).await;
    mint(&app, &l).await;
    let lineage_tokens = child_tokens();

    // From a licence: through the datasets under it, two derivations and three versions down.
    assert_eq!(affected(&app, json!({ "l": l.data_licence })).await, lineage_tokens, "data licence");
    // From a dataset two derivations upstream of the training data of the grandparent.
    assert_eq!(affected(&app, json!({ "d": l.source })).await, lineage_tokens, "two derivations up");
    assert_eq!(affected(&app, json!({ "d": l.top })).await, lineage_tokens, "the training data");
    // From the grandparent and from the versions released under a licence.
    assert_eq!(affected(&app, json!({ "m": l.grandparent })).await, lineage_tokens, "grandparent");
    assert_eq!(affected(&app, json!({ "l": l.weights_licence })).await, lineage_tokens, "ancestors' licence");
    assert_eq!(affected(&app, json!({ "m": l.child })).await, lineage_tokens, "the version itself");
    assert_eq!(affected(&app, json!({ "l": l.child_licence })).await, lineage_tokens);
    // Nothing outside the lineage.
    assert!(affected(&app, json!({ "d": l.side })).await.is_empty(), "nothing was trained on it");
    let unrelated: BTreeSet<(String, String)> = [(CONTRACT.to_ascii_lowercase(), "20".to_owned())].into();
    assert_eq!(affected(&app, json!({ "m": l.unrelated })).await, unrelated);

    // Registration order, and pages of two give the same tokens as one page.
    let one_page = affected_pages(&app, json!({ "d": l.source }), 50).await;
    let ids: Vec<&str> = one_page.iter().map(|t| t["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "ordered by token id");
    assert!(one_page.iter().all(|t| t["modelVersion"]["id"] == json!(l.child)));
    let paged = affected_pages(&app, json!({ "d": l.source }), 2).await;
    assert_eq!(paged, one_page, "pages of two");

    // The model versions reached, in the service.
    let id = |s: &str| Uuid::parse_str(s).unwrap();
    let mut expected = vec![id(&l.grandparent), id(&l.parent), id(&l.child)];
    expected.sort();
    let versions = app.registry.downstream_model_versions(NodeRef::Dataset(id(&l.source))).await.unwrap();
    assert_eq!(versions, expected);
    let versions = app.registry.downstream_model_versions(NodeRef::ModelVersion(id(&l.parent))).await.unwrap();
    assert_eq!(versions.len(), 2);

    // Exactly one of the three IDs, named when wrong.
    let pointer = |body: &Value| body["errors"][0]["extensions"]["pointer"].as_str().unwrap_or_default().to_owned();
    let body = app.gql(AFFECTED, json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(pointer(&body), "datasetId");
    let body = app.gql(AFFECTED, json!({ "d": l.source, "l": l.data_licence })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(pointer(&body), "licenseId");
    let body = app.gql(AFFECTED, json!({ "m": "not-an-id" })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(pointer(&body), "modelVersionId");
    let body = app.gql(AFFECTED, json!({ "d": l.source, "after": "nope" })).await;
    assert_eq!(pointer(&body), "after", "{body:#}");
    let body = app.gql(AFFECTED, json!({ "d": l.source, "first": -1 })).await;
    assert_eq!(pointer(&body), "first", "{body:#}");
    let body = app.gql(AFFECTED, json!({ "l": Uuid::now_v7().to_string() })).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body:#}");
    // A record of another kind is not found under the argument given.
    let body = app.gql(AFFECTED, json!({ "d": l.grandparent })).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body:#}");
}

const FEED: &str = "query($after: Int, $first: Int) { metadataUpdates(after: $after, first: $first) {
    seq chainId contract fromTokenId toTokenId tokenCount reason statusEvent { id status } createdAt } }";

async fn feed(app: &TestApp, after: Option<i64>) -> Vec<Value> {
    app.ok(FEED, json!({ "after": after, "first": 100 })).await["metadataUpdates"].as_array().unwrap().clone()
}

/// The runs of the child's tokens, in the order they are written: by contract, then
/// numerically (9 and 10 form a run although "10" sorts before "9" as text).
fn child_runs() -> Vec<(String, String, String, i64)> {
    let c = CONTRACT.to_ascii_lowercase();
    let o = OTHER_CONTRACT.to_ascii_lowercase();
    let mut runs = vec![
        (c.clone(), "1".to_owned(), "3".to_owned(), 3),
        (c.clone(), "7".to_owned(), "7".to_owned(), 1),
        (c, "9".to_owned(), "10".to_owned(), 2),
        (o, "7".to_owned(), "7".to_owned(), 1),
    ];
    runs.sort_by(|a, b| a.0.cmp(&b.0));
    runs
}

fn runs(updates: &[Value]) -> Vec<(String, String, String, i64)> {
    updates
        .iter()
        .map(|u| {
            let s = |k: &str| u[k].as_str().unwrap().to_owned();
            (s("contract"), s("fromTokenId"), s("toTokenId"), u["tokenCount"].as_i64().unwrap())
        })
        .collect()
}

const SET_VERSION: &str = "mutation($id: String!, $s: RecordStatus!, $r: String!) {
    setModelVersionStatus(id: $id, status: $s, reason: $r) { id } }";
const SET_DATASET: &str = "mutation($id: String!, $s: RecordStatus!, $r: String!) {
    setDatasetStatus(id: $id, status: $s, reason: $r) { id } }";
const SET_LICENSE: &str = "mutation($id: String!, $s: RecordStatus!, $r: String!) {
    setLicenseStatus(id: $id, status: $s, reason: $r) { id } }";

/// Sets a status; returns the status event's ID.
async fn set(app: &TestApp, mutation: &str, id: &str, status: &str, reason: &str) -> String {
    let data = app.ok(mutation, json!({ "id": id, "s": status, "r": reason })).await;
    let field = data.as_object().unwrap().values().next().unwrap();
    field["id"].as_str().unwrap().to_owned()
}

async fn status_changes_write_token_ranges_with_the_event_or_not_at_all(app: TestApp) {
    let l = lineage(&app).await;
    mint(&app, &l).await;
    assert!(feed(&app, None).await.is_empty());

    // Deprecating the grandparent: one update per run of consecutive IDs per contract.
    let event = set(&app, SET_VERSION, &l.grandparent, "DEPRECATED", "superseded").await;
    let updates = feed(&app, None).await;
    assert_eq!(runs(&updates), child_runs());
    for u in &updates {
        assert_eq!(u["reason"], "modelVersionDeprecated");
        assert_eq!(u["statusEvent"]["id"], json!(event));
        assert_eq!(u["statusEvent"]["status"], "DEPRECATED");
        assert_eq!(u["chainId"], CHAIN);
        assert!(u["createdAt"].is_string());
    }
    let seqs: Vec<i64> = updates.iter().map(|u| u["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "ascending seq: {seqs:?}");

    // A change nothing was generated from writes its event and no update.
    set(&app, SET_DATASET, &l.side, "REVOKED", "consent withdrawn").await;
    assert_eq!(feed(&app, Some(seqs[3])).await.len(), 0);

    // Withdrawing the data licence and reinstating it reach the same tokens.
    set(&app, SET_LICENSE, &l.data_licence, "WITHDRAWN", "terms changed").await;
    set(&app, SET_LICENSE, &l.data_licence, "ACTIVE", "terms restored").await;
    let later = feed(&app, Some(seqs[3])).await;
    let reasons: Vec<&str> = later.iter().map(|u| u["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, [["licenseWithdrawn"; 4], ["licenseReactivated"; 4]].concat());
    assert_eq!(runs(&later[..4]), child_runs());
    assert_eq!(runs(&later[4..]), child_runs());

    // The feed pages by seq.
    let all = feed(&app, None).await;
    assert_eq!(all.len(), 12);
    let first = app.ok(FEED, json!({ "first": 5 })).await["metadataUpdates"].as_array().unwrap().clone();
    assert_eq!(first.len(), 5);
    let rest = feed(&app, first[4]["seq"].as_i64()).await;
    assert_eq!([first, rest].concat(), all);

    // A status change that fails inside its transaction (here: the log cannot be written)
    // leaves neither its event nor any update behind.
    let before = (app.count("status_events").await, app.count("metadata_updates").await);
    let db = &app.registry.db;
    use sea_orm::ConnectionTrait as _;
    db.execute_unprepared("ALTER TABLE log_entries RENAME TO log_entries_away").await.unwrap();
    let failed = app.gql(SET_VERSION, json!({ "id": l.grandparent, "s": "REVOKED", "r": "weights leaked" })).await;
    db.execute_unprepared("ALTER TABLE log_entries_away RENAME TO log_entries").await.unwrap();
    assert_eq!(code(&failed), "INTERNAL", "{failed:#}");
    assert_eq!((app.count("status_events").await, app.count("metadata_updates").await), before);

    // The same change then goes through; a revoked record cannot change again, and its
    // refused change writes nothing.
    let revoked = set(&app, SET_VERSION, &l.grandparent, "REVOKED", "weights leaked").await;
    let last = feed(&app, all.last().and_then(|u| u["seq"].as_i64())).await;
    assert_eq!(runs(&last), child_runs());
    assert!(last.iter().all(|u| u["reason"] == "modelVersionRevoked" && u["statusEvent"]["id"] == json!(revoked)));
    let again = app.gql(SET_VERSION, json!({ "id": l.grandparent, "s": "ACTIVE", "r": "oops" })).await;
    assert_eq!(code(&again), "CONFLICT", "{again:#}");
    assert_eq!(again["errors"][0]["extensions"]["existingId"], json!(revoked));
    assert_eq!(app.count("metadata_updates").await, before.1 + 4);

    // Two revokes of one record at once: one wins, the other is refused, one set of updates.
    let (a, b) = tokio::join!(
        app.gql(SET_VERSION, json!({ "id": l.parent, "s": "REVOKED", "r": "first" })),
        app.gql(SET_VERSION, json!({ "id": l.parent, "s": "REVOKED", "r": "second" })),
    );
    let refused = [&a, &b].into_iter().filter(|body| body.get("errors").is_some()).collect::<Vec<_>>();
    assert_eq!(refused.len(), 1, "{a:#} {b:#}");
    assert_eq!(code(refused[0]), "CONFLICT");
    let history = app.registry.status_history(Uuid::parse_str(&l.parent).unwrap()).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(app.count("metadata_updates").await, before.1 + 8);
}

/// GETs `path`; returns the status, the content type and the body.
async fn get(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let resp = reqwest::get(app.url(path)).await.unwrap();
    let status = resp.status().as_u16();
    let ty = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, ty, resp.bytes().await.unwrap().to_vec())
}

pub async fn metadata(app: &TestApp, contract: &str, token: &str) -> Value {
    let (status, ty, body) = get(app, &format!("/tokens/{CHAIN}/{contract}/{token}")).await;
    let text = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{text}");
    assert_eq!(ty, "application/json");
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {text}"))
}

async fn assert_json_404(app: &TestApp, path: &str) {
    let (status, ty, body) = get(app, path).await;
    assert_eq!(status, 404, "{path}");
    assert_eq!(ty, "application/json", "{path}");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(body["error"].is_string(), "{path}: {body}");
}

async fn token_metadata_follows_erc7007_and_turns_affected(app: TestApp) {
    use base64::Engine as _;
    let l = lineage(&app).await;
    // Token 5 with its image uploaded, token 1 without.
    let seed = zk::seed(1);
    let (traits, record) = zk::prove(seed).await;
    let png = hex::decode(TINY_PNG).unwrap();
    let mut input = zk::token_input(&l.child, 5, seed, &traits, &record);
    input["mediaType"] = json!("image/png");
    input["assetSha256"] = json!(hex::encode(sha2::Sha256::digest(&png)));
    input["asset"] = json!(base64::engine::general_purpose::STANDARD.encode(&png));
    let token = app.ok(REGISTER_TOKEN, json!({ "input": input })).await["registerToken"].clone();
    app.proven_token(&l.child, 1, 2).await;
    app.proven_token(&l.unrelated, 20, 3).await;
    let contract = CONTRACT.to_ascii_lowercase();
    let base = format!("http://{}", app.addr);

    // Any case of the contract address, leading zeros in the token ID.
    let doc = metadata(&app, CONTRACT, "0005").await;
    assert_eq!(doc, metadata(&app, &contract, "5").await);

    // ERC-721 and ERC-7007 fields.
    let asset_url = format!("{base}/tokens/{CHAIN}/{contract}/5/asset");
    assert_eq!(doc["name"], "Trait #5");
    assert!(doc["description"].as_str().unwrap().contains("zero-knowledge proof"));
    assert_eq!(doc["image"], json!(asset_url));
    let attributes = doc["attributes"].as_array().unwrap();
    assert_eq!(attributes.len(), traits.len());
    for (i, (a, t)) in attributes.iter().zip(&traits).enumerate() {
        assert_eq!(a["trait_type"], format!("trait {i}"));
        assert_eq!(a["value"].as_f64().unwrap(), f64::from(*t));
    }
    assert_eq!(doc["prompt"], format!("0x{}", hex::encode(seed)));
    assert_eq!(doc["aigc_type"], "image");
    assert_eq!(doc["aigc_data"], json!(asset_url));
    assert_eq!(doc["proof_type"], "validity");

    // The provenance block.
    let p = &doc["provenance"];
    assert_eq!(p["registry"]["tokenRecordId"], token["id"]);
    assert_eq!(p["model"]["name"], "generator");
    assert_eq!(p["model"]["version"], "v3");
    assert_eq!(p["model"]["modelVersionId"], json!(l.child));
    assert_eq!(p["model"]["weightsSha256"], json!(zk::fixture().await.circuit.onnx_sha256));
    let ids = |list: &Value| -> BTreeSet<String> {
        list.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&p["model"]["parentVersions"]), [l.parent.clone(), l.grandparent.clone()].into());
    assert_eq!(ids(&p["datasets"]), [l.source.clone(), l.mid.clone(), l.top.clone()].into(), "the whole upstream");
    assert_eq!(
        ids(&p["licenses"]),
        [l.data_licence.clone(), l.weights_licence.clone(), l.child_licence.clone()].into(),
        "the versions' and the datasets' licences"
    );
    let certificate = &p["certificate"];
    assert_eq!(certificate["id"], token["certificate"]["id"]);
    assert_eq!(certificate["manifestLabel"], token["certificate"]["manifestLabel"]);
    let cert_url = certificate["url"].as_str().unwrap();
    assert_eq!(cert_url, format!("{base}/certificates/{}.c2pa", token["certificate"]["id"].as_str().unwrap()));
    assert_eq!(reqwest::get(cert_url).await.unwrap().status().as_u16(), 200);
    let proof = &p["proofRecord"];
    assert_eq!(proof["id"], token["proofRecord"]["id"]);
    assert_eq!(proof["system"], "ezkl");
    assert!(proof["systemVersion"].is_string());
    assert_eq!(proof["modelCommitment"], json!(record.model_commitment));
    assert_eq!(proof["digest"], token["proofRecord"]["digest"]);
    assert!(proof["verifiedAt"].is_string());
    assert_eq!(p["logEntry"]["leaf"], token["logEntry"]["leaf"]);
    assert!(p["anchor"].is_null(), "not anchored yet");
    assert_eq!(p["status"], "active");
    assert_eq!(p["affectedBy"], json!([]));

    // The absolute URLs follow the Host (and the scheme a proxy says) the client used.
    let proxied: Value = reqwest::Client::new()
        .get(app.url(&format!("/tokens/{CHAIN}/{contract}/5")))
        .header("host", "registry.example:8443")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(proxied["image"], format!("https://registry.example:8443/tokens/{CHAIN}/{contract}/5/asset"));

    // The signed asset, as registered.
    let (status, ty, body) = get(&app, &format!("/tokens/{CHAIN}/{CONTRACT}/5/asset")).await;
    assert_eq!((status, ty.as_str()), (200, "image/png"));
    let stored = app.registry.token_asset(Uuid::parse_str(token["id"].as_str().unwrap()).unwrap()).await.unwrap();
    assert_eq!(body, stored.unwrap().signed_asset);
    assert!(body.starts_with(&png[..8]));

    // A token without an uploaded asset: no image, its hash as the data.
    let plain = metadata(&app, &contract, "1").await;
    assert!(plain.get("image").is_none(), "{plain:#}");
    assert_eq!(plain["aigc_type"], "data");
    assert_eq!(plain["aigc_data"], format!("sha256:{}", plain["provenance"]["asset"]["sha256"].as_str().unwrap()));

    // 404s, always JSON.
    for path in [
        format!("/tokens/{CHAIN}/{contract}/6"),
        format!("/tokens/{CHAIN}/{OTHER_CONTRACT}/5"),
        format!("/tokens/1/{contract}/5"),
        format!("/tokens/chain/{contract}/5"),
        format!("/tokens/{CHAIN}/{contract}/5x"),
        format!("/tokens/{CHAIN}/{contract}/{}", "9".repeat(80)),
        format!("/tokens/{CHAIN}/{contract}/1/asset"),
        format!("/tokens/{CHAIN}/{contract}/6/asset"),
        format!("/tokens/{CHAIN}/{contract}"),
        format!("/tokens/{CHAIN}/{contract}/5/asset/more"),
    ] {
        assert_json_404(&app, &path).await;
    }

    // Revoking the grandparent: the token is affected, and says by what.
    let revoked = set(&app, SET_VERSION, &l.grandparent, "REVOKED", "weights leaked").await;
    let doc = metadata(&app, &contract, "5").await;
    let p = &doc["provenance"];
    assert_eq!(p["status"], "affected");
    assert_eq!(
        p["affectedBy"],
        json!([{ "kind": "modelVersion", "id": l.grandparent, "status": "revoked", "reason": "weights leaked",
                 "statusEventId": revoked, "at": p["affectedBy"][0]["at"] }])
    );
    assert_eq!(doc["proof_type"], "validity", "still the same token");
    // Deprecating a dataset further up adds it.
    let deprecated = set(&app, SET_DATASET, &l.mid, "DEPRECATED", "better curation exists").await;
    let by = metadata(&app, &contract, "1").await["provenance"]["affectedBy"].as_array().unwrap().clone();
    let named: BTreeSet<(String, String, String)> = by
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap().to_owned();
            (s("kind"), s("id"), s("statusEventId"))
        })
        .collect();
    assert_eq!(
        named,
        [
            ("modelVersion".to_owned(), l.grandparent.clone(), revoked.clone()),
            ("dataset".to_owned(), l.mid.clone(), deprecated.clone()),
        ]
        .into()
    );
    // The unrelated generator's token is untouched.
    let unrelated = metadata(&app, &contract, "20").await;
    assert_eq!(unrelated["provenance"]["status"], "active");
    assert_eq!(unrelated["provenance"]["affectedBy"], json!([]));
}
