//! The provenance explorer: its files over HTTP (content types, caching, the graph library
//! served from npm's folder or a 503 saying how to install it), and the whole page end to end
//! in a real headless Chromium (`server/explorer/e2e/explorer.e2e.mjs`, playwright-core and
//! axe-core) over the demo fixtures, a proven collection with images, and a revoked dataset.
//! Screenshots go to `<target>/explorer-screenshots/`; `PROVREG_UPDATE_SCREENSHOT=1` also
//! rewrites the README's `docs/explorer.png`.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use provreg_render::PIXEL_BANDS;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, REGISTER_VERSION, TestApp, version_input};
use crate::zk::{self, CONTRACT, REGISTER_CIRCUIT, REGISTER_TOKEN};
use crate::{on_both, on_both_backends};

on_both!(the_explorer_is_served_with_its_types_and_cache_headers);
on_both_backends!(without_the_graph_library_the_explorer_says_how_to_install_it);
on_both_backends!(the_explorer_finds_draws_and_verifies_records_in_a_real_browser);

fn explorer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("explorer")
}

async fn get(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req = client.get(app.url(path));
    if let Some(etag) = etag {
        req = req.header("if-none-match", etag);
    }
    req.send().await.unwrap()
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

async fn the_explorer_is_served_with_its_types_and_cache_headers(app: TestApp) {
    let root = get(&app, "/", None).await;
    assert_eq!(root.status(), 303);
    assert_eq!(header(&root, "location"), "/explorer/");

    let bare = get(&app, "/explorer", None).await;
    assert_eq!(bare.status(), 200, "without the trailing slash too");
    assert_eq!(header(&bare, "content-type"), "text/html; charset=utf-8");
    let page = get(&app, "/explorer/", None).await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    let csp = header(&page, "content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    let etag = header(&page, "etag");
    assert!(etag.starts_with('"'), "{etag:?}");
    let again = get(&app, "/explorer/", Some(&etag)).await;
    assert_eq!(again.status(), 304, "an unchanged page is not sent again");
    assert!(page.text().await.unwrap().contains("/explorer/explorer.js"));

    for (file, content_type) in
        [("explorer.js", "text/javascript; charset=utf-8"), ("graph.js", "text/javascript; charset=utf-8")]
    {
        let resp = get(&app, &format!("/explorer/{file}"), None).await;
        assert_eq!((resp.status().as_u16(), header(&resp, "content-type")), (200, content_type.to_owned()), "{file}");
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    }
    let css = get(&app, "/explorer/explorer.css", None).await;
    assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
    assert_eq!(get(&app, "/explorer/nothing.js", None).await.status(), 404);
    assert_eq!(get(&app, "/explorer/vendor/..%2Fpackage.json", None).await.status(), 404, "only the listed files");

    // The graph library, from npm's folder (scripts/test installs it), kept a day by browsers.
    let installed = explorer_dir().join("node_modules/cytoscape/dist/cytoscape.min.js");
    assert!(
        installed.is_file(),
        "{} is missing: run scripts/test, or `npm ci` in server/explorer",
        installed.display()
    );
    let lib = get(&app, "/explorer/vendor/cytoscape.min.js", None).await;
    assert_eq!(lib.status(), 200);
    assert_eq!(header(&lib, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&lib, "cache-control"), "public, max-age=86400");
    assert_eq!(lib.bytes().await.unwrap().len() as u64, std::fs::metadata(&installed).unwrap().len());
    assert_eq!(get(&app, "/explorer/vendor/cytoscape-dagre.min.js", None).await.status(), 200);
}

async fn without_the_graph_library_the_explorer_says_how_to_install_it(backend: Backend) {
    let nowhere = std::env::temp_dir().join(format!("provreg-no-node-modules-{}", std::process::id()));
    let app = TestApp::spawn_with(backend, |c| c.explorer.node_modules = Some(nowhere.clone())).await;
    assert_eq!(get(&app, "/explorer/", None).await.status(), 200, "the pages are still served");
    let lib = get(&app, "/explorer/vendor/cytoscape.min.js", None).await;
    assert_eq!(lib.status(), 503);
    assert_eq!(header(&lib, "cache-control"), "no-store");
    let text = lib.text().await.unwrap();
    assert!(text.contains("npm ci") && text.contains("scripts/dev"), "{text}");

    // In the browser: the page says so, and lists the lineage it cannot draw.
    let ids = demo(&app).await;
    let shots = screenshots(&app, "without-graph-library");
    let page_ids = json!({ "v2": ids["tg-v2"], "v11": ids["tg-v1.1"] });
    run_browser_test(&app, &page_ids, &shots, Some("without-graph-library")).await;
}

/// The demo fixtures, imported: their IDs by fixture key.
async fn demo(app: &TestApp) -> HashMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo-collection.json");
    provreg_server::import::import_file(&app.registry, &path).await.unwrap().ids.into_iter().collect()
}

/// Registers `v3-zk` (retrained from v2, fine-tuned on pixel-traits, the fixture weights, the
/// `pixel-bands` renderer) and its tokens 1 to `count` with their drawings; returns the
/// version's ID and the tokens' record IDs.
async fn proven_collection(app: &TestApp, ids: &HashMap<String, String>, count: u64) -> (String, Vec<String>) {
    let mut input = version_input(
        "trait-generator",
        "v3-zk",
        &ids["nova-commercial"],
        Some((&ids["tg-v2"], "RETRAIN")),
        &[(&ids["pixel-traits"], "FINETUNE")],
    );
    input["weightsSha256"] = json!(zk::fixture().await.circuit.onnx_sha256);
    let version = app.ok(REGISTER_VERSION, json!({ "input": input })).await["registerModelVersion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut circuit = zk::circuit_input(&version).await;
    circuit["renderer"] = json!({ "name": "pixel-bands", "version": 1 });
    app.ok(REGISTER_CIRCUIT, json!({ "input": circuit })).await;
    let mut tokens = Vec::new();
    for n in 1..=count {
        let seed = zk::seed(n);
        let (traits, record) = zk::prove(seed).await;
        let png = PIXEL_BANDS.render(&traits).unwrap();
        let mut token = zk::token_input(&version, n, seed, &traits, &record);
        token["mediaType"] = json!("image/png");
        token["assetSha256"] = json!(hex::encode(Sha256::digest(&png)));
        token["asset"] = json!(base64::engine::general_purpose::STANDARD.encode(&png));
        let data = app.ok(REGISTER_TOKEN, json!({ "input": token })).await;
        tokens.push(data["registerToken"]["id"].as_str().unwrap().to_owned());
    }
    (version, tokens)
}

/// Datasets under one licence: more than the graph's page of 25 neighbours.
const BULK_DATASETS: usize = 30;

fn chromium() -> PathBuf {
    std::env::var_os("PROVREG_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Chromium and the npm test tools, or a failure saying how to get them (never a skip).
fn browser() -> PathBuf {
    let browser = chromium();
    assert!(
        browser.is_file(),
        "the explorer's browser tests need Chromium at {} (scripts/test installs Debian's chromium; or set \
         PROVREG_CHROMIUM)",
        browser.display()
    );
    for package in ["playwright-core", "axe-core", "cytoscape", "cytoscape-dagre"] {
        let dir = explorer_dir().join("node_modules").join(package);
        assert!(dir.is_dir(), "{} is missing: run scripts/test, or `npm ci` in server/explorer", dir.display());
    }
    browser
}

/// Where a test's screenshots go: `<target>/explorer-screenshots/<name>/<backend>/`, emptied first.
fn screenshots(app: &TestApp, name: &str) -> PathBuf {
    let backend = if app.url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../explorer-screenshots").join(name).join(backend);
    let _ = std::fs::remove_dir_all(&shots);
    shots
}

/// Runs the browser test script against `app` (its `scenario`, or the whole walk-through);
/// fails with its output unless every check held.
async fn run_browser_test(app: &TestApp, ids: &Value, shots: &Path, scenario: Option<&str>) {
    let mut node = tokio::process::Command::new("node");
    node.arg(explorer_dir().join("e2e/explorer.e2e.mjs"))
        .current_dir(explorer_dir())
        .env("PROVREG_BASE_URL", app.url(""))
        .env("PROVREG_API_KEY", &app.auditor)
        .env("PROVREG_IDS", ids.to_string())
        .env("PROVREG_CHROMIUM", browser())
        .env("PROVREG_SCREENSHOTS", shots)
        .kill_on_drop(true);
    if let Some(scenario) = scenario {
        node.env("PROVREG_SCENARIO", scenario);
    }
    if scenario.is_none() && std::env::var_os("PROVREG_UPDATE_SCREENSHOT").is_some() && !app.url.starts_with("postgres")
    {
        node.env("PROVREG_README_SCREENSHOT", Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/explorer.png"));
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(600), node.output())
        .await
        .expect("the browser test finishes within 10 minutes")
        .expect("node runs (Node.js is needed for the explorer's tests)");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser test failed (screenshots in {}):\n{stdout}\n{stderr}", shots.display());
    assert!(stdout.contains("checks passed"), "{stdout}\n{stderr}");
}

async fn the_explorer_finds_draws_and_verifies_records_in_a_real_browser(backend: Backend) {
    browser();
    let (anvil, key, client) = crate::anchoring::chain(None, 0)
        .await
        .expect("the explorer's test anchors on a local chain (anvil from anchor/contracts; scripts/test installs it)");
    let registry_contract = client.contract_address().unwrap();
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, registry_contract).await;
    let ids = demo(&app).await;
    let (v3, tokens) = proven_collection(&app, &ids, 3).await;
    let revoke = "mutation($id: String!) { setDatasetStatus(id: $id, status: REVOKED, reason: \"consent withdrawn\") \
                  { id } }";
    app.ok(revoke, json!({ "id": ids["museum-scans"] })).await;
    // A licence with more datasets under it than the graph draws at once.
    let bulk = app.license("bulk data licence", "ALLOWED").await;
    for n in 0..BULK_DATASETS {
        app.dataset(&format!("bulk-{n:02}"), &bulk, &[]).await;
    }
    // Everything anchored, the revoke too: the pages show the anchors and their transactions.
    let anchored = app.post("/graphql", Some(&app.admin), "mutation { anchorNow { txHash } }", json!({})).await;
    let anchor_tx =
        anchored["data"]["anchorNow"][0]["txHash"].as_str().unwrap_or_else(|| panic!("{anchored}")).to_owned();

    let shots = screenshots(&app, "walk-through");
    let page_ids: Value = json!({
        "v1": ids["tg-v1"], "v11": ids["tg-v1.1"], "v2": ids["tg-v2"], "v3": v3,
        "pixelTraits": ids["pixel-traits"], "museum": ids["museum-scans"], "openArt": ids["open-art"],
        "token": tokens[0], "tokens": tokens, "contract": CONTRACT.to_ascii_lowercase(),
        "bulkLicence": bulk, "bulkDatasets": BULK_DATASETS,
        "anchorTx": anchor_tx, "anchorContract": format!("{registry_contract:#x}"),
    });
    run_browser_test(&app, &page_ids, &shots, None).await;
    for shot in ["search.png", "model-version.png", "impact.png", "token.png", "phone.png"] {
        let png = std::fs::read(shots.join(shot)).unwrap_or_else(|e| panic!("{shot}: {e}"));
        assert!(png.starts_with(b"\x89PNG"), "{shot} is a PNG");
    }
    verify_as_the_page_says(&shots, &anvil.endpoint()).await;
}

/// Runs the `provreg verify` command the token page showed on the bundle it downloaded, with
/// this test's CA as `ca.pem`, this test's chain in place of the dev chain's address the page
/// gives for chain 31337, and the test's prover packages: VALID, on chain too.
async fn verify_as_the_page_says(shots: &Path, rpc: &str) {
    let command = std::fs::read_to_string(shots.join("verify-command.txt")).unwrap();
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[..2], ["provreg", "verify"], "{command}");
    assert!(shots.join(words[2]).is_file(), "the page downloaded {}", words[2]);
    let ca = crate::helpers::test_data_dir().join("ca/ca.pem");
    assert!(command.contains(" --rpc http://127.0.0.1:8545 --contract "), "{command}");
    let args: Vec<std::ffi::OsString> = words[2..]
        .iter()
        .map(|w| match *w {
            "ca.pem" => ca.clone().into(),
            "http://127.0.0.1:8545" => rpc.into(),
            w => w.into(),
        })
        .collect();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_provreg"))
        .arg("verify")
        .args(&args)
        .arg("--python")
        .arg(zk::python())
        // Not configuration: `provreg` refuses unknown PROVREG_ variables.
        .env_remove("PROVREG_UPDATE_SCREENSHOT")
        .current_dir(shots)
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{command}\n{report}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary = report.lines().last().unwrap_or_default();
    assert!(summary.starts_with("VALID (") && summary.contains(" passed, 0 failed"), "{report}");
}
