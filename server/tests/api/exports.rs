//! Compliance exports of the demo fixtures, read back by independent libraries in a
//! virtualenv this test makes (cached under the target directory, keyed by the pinned
//! versions): the PROV-O document by `rdflib`, the CSV by Python's `csv` module, the
//! OpenLineage events by openlineage-python's 2-0-2 classes and `jsonschema`
//! (`scripts/export_validate.py`).
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, code};
use crate::{on_both, on_both_backends};

/// The pinned packages the checks use.
const PACKAGES: [&str; 3] = ["rdflib==7.6.0", "jsonschema==4.26.0", "openlineage-python==1.54.0"];

const PROV: &str = "http://www.w3.org/ns/prov#";
const DCTERMS: &str = "http://purl.org/dc/terms/";
const PROVREG: &str = "https://provreg.dev/ns#";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// The virtualenv's python with [`PACKAGES`] installed (made once per target directory).
fn python() -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
            let tag: String =
                PACKAGES.join("_").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let venv = target.join(format!("export-venv-{tag}"));
            let python = venv.join("bin").join("python");
            if venv.join(".installed").exists() {
                return python;
            }
            let _ = std::fs::remove_dir_all(&venv);
            let run = |program: &Path, args: &[&str]| {
                let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program:?}: {e}"));
                assert!(
                    out.status.success(),
                    "{program:?} {args:?}: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            run(Path::new("python3"), &["-m", "venv", venv.to_str().unwrap()]);
            let mut args = vec!["-m", "pip", "install", "--quiet", "--disable-pip-version-check"];
            args.extend(PACKAGES);
            run(&python, &args);
            std::fs::write(venv.join(".installed"), PACKAGES.join("\n")).unwrap();
            python
        })
        .clone()
}

/// Runs `scripts/export_validate.py <command>` on `body` (and `extra` arguments).
fn validate(command: &str, body: &[u8], extra: &[&Path]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export");
    std::fs::write(&file, body).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/export_validate.py");
    let out = Command::new(python()).arg(script).arg(command).arg(&file).args(extra).output().unwrap();
    assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `GET path` with the auditor key: status, content type and body.
async fn get(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let resp = reqwest::Client::new().get(app.url(path)).bearer_auth(&app.auditor).send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

/// The demo fixtures, imported: their IDs by fixture key.
async fn demo(app: &TestApp) -> HashMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo-collection.json");
    provreg_server::import::import_file(&app.registry, &path).await.unwrap().ids.into_iter().collect()
}

fn urn(id: &str) -> String {
    format!("urn:uuid:{id}")
}

on_both_backends!(prov_export_parses_in_rdflib_with_the_expected_triples_and_names_the_anchor);

async fn prov_export_parses_in_rdflib_with_the_expected_triples_and_names_the_anchor(backend: Backend) {
    let Some((anvil, key, client)) = crate::anchoring::chain(None, 0).await else { return };
    let app = TestApp::spawn_anchored(backend, &anvil.endpoint(), &key, client.contract_address().unwrap()).await;
    let ids = demo(&app).await;
    let done = app.post("/graphql", Some(&app.admin), "mutation { anchorNow { size root txHash } }", json!({})).await;
    let anchor = done["data"]["anchorNow"][0].clone();
    assert_eq!(anchor["size"], 12, "{done}");

    let (status, ct, body) = get(&app, &format!("/exports/{}/prov.jsonld", ids["tg-v2"])).await;
    assert_eq!((status, ct.as_str()), (200, "application/ld+json"), "{}", String::from_utf8_lossy(&body));
    let triples: Vec<(String, String, String)> = validate("prov", &body, &[])["triples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t[0].as_str().unwrap().into(), t[1].as_str().unwrap().into(), t[2].as_str().unwrap().into()))
        .collect();
    let has = |s: &str, p: &str, o: &str| triples.iter().any(|t| t.0 == s && t.1 == p && t.2 == o);
    let (v1, v11, v2) = (urn(&ids["tg-v1"]), urn(&ids["tg-v1.1"]), urn(&ids["tg-v2"]));
    let training = |v: &str| format!("urn:provreg:training:{v}");
    let p = |term: &str| format!("{PROV}{term}");

    // A retrain is a revision and a derivation; a fine-tune a derivation only.
    assert!(has(&v2, &p("wasRevisionOf"), &v11), "v2 wasRevisionOf v1.1");
    assert!(has(&v2, &p("wasDerivedFrom"), &v11));
    assert!(has(&v11, &p("wasDerivedFrom"), &v1));
    assert!(!has(&v11, &p("wasRevisionOf"), &v1));
    // Training runs are activities that used the datasets and generated the version.
    assert!(has(&training(&ids["tg-v2"]), RDF_TYPE, &p("Activity")));
    assert!(has(&training(&ids["tg-v2"]), &p("used"), &urn(&ids["pixel-traits"])), "v2's training used pixel-traits");
    assert!(has(&training(&ids["tg-v2"]), &p("used"), &urn(&ids["museum-scans"])));
    assert!(has(&training(&ids["tg-v1.1"]), &p("used"), &urn(&ids["pixel-traits"])));
    assert!(has(&training(&ids["tg-v2"]), &p("generated"), &v2));
    assert!(has(&v2, &p("wasGeneratedBy"), &training(&ids["tg-v2"])));
    assert!(has(&urn(&ids["pixel-traits"]), &p("wasDerivedFrom"), &urn(&ids["open-art-curated"])));
    // Licences, digests, signers.
    assert!(has(&v2, &format!("{DCTERMS}license"), &urn(&ids["nova-commercial"])));
    assert!(has(&urn(&ids["museum-scans"]), &format!("{DCTERMS}license"), &urn(&ids["cc-by-nc-nd"])));
    let digest = app.ok("query($id: String!) { modelVersion(id: $id) { digest } }", json!({"id": ids["tg-v2"]})).await;
    assert!(has(&v2, &format!("{PROVREG}recordDigest"), digest["modelVersion"]["digest"].as_str().unwrap()));
    let signer = triples.iter().find(|t| t.0 == v2 && t.1 == p("wasAttributedTo")).expect("v2 is attributed").2.clone();
    assert!(signer.starts_with("urn:provreg:signer:"), "{signer}");
    assert!(has(&signer, RDF_TYPE, &p("Agent")));
    assert!(has(&signer, &p("actedOnBehalfOf"), "urn:provreg:registry"));
    // Every record of the lineage is an entity: 3 versions, 5 datasets, 4 licences.
    assert_eq!(
        triples.iter().filter(|t| t.1 == RDF_TYPE && t.2 == p("Entity") && t.0.starts_with("urn:uuid:")).count(),
        12
    );
    // The export names the anchored log state it was built from.
    let export =
        triples.iter().find(|t| t.1 == RDF_TYPE && t.2 == format!("{PROVREG}Export")).expect("export node").0.clone();
    assert!(has(&export, &format!("{PROVREG}anchoredLogSeq"), "11"));
    assert!(has(&export, &format!("{PROVREG}anchoredRoot"), anchor["root"].as_str().unwrap()));
    assert!(has(&export, &format!("{PROVREG}anchorTx"), anchor["txHash"].as_str().unwrap()));

    // The same document through GraphQL, on the read-only audit API too.
    let q = "query($of: String!) { provExport(of: $of) }";
    let served: Value = serde_json::from_slice(&body).unwrap();
    for path in ["/graphql", "/audit/graphql"] {
        let answer = app.post(path, Some(&app.auditor), q, json!({"of": ids["tg-v2"]})).await;
        let graph = &answer["data"]["provExport"]["@graph"];
        assert_eq!(graph.as_array().map(Vec::len), served["@graph"].as_array().map(Vec::len), "{answer}");
        assert_eq!(
            graph.as_array().unwrap()[1..],
            served["@graph"].as_array().unwrap()[1..],
            "only the export node may differ"
        );
    }
    // maxDepth 1: v2, its parent, its datasets and licence; not v1.
    let (_, _, shallow) = get(&app, &format!("/exports/{}/prov.jsonld?maxDepth=1", ids["tg-v2"])).await;
    let shallow = String::from_utf8(shallow).unwrap();
    assert!(shallow.contains(&ids["tg-v1.1"]) && !shallow.contains(&ids["tg-v1"]), "{shallow}");
}

on_both!(lineage_and_impact_csv_round_trip_through_python_csv, bad_export_options_are_coded_errors);

async fn lineage_and_impact_csv_round_trip_through_python_csv(app: TestApp) {
    let ids = demo(&app).await;
    // A dataset a registrant named to be a formula and to need quoting, trained into a version.
    let mut input = crate::helpers::dataset_input("=HYPERLINK(\"http://x\",\"y\")", &ids["cc-by"], &[]);
    input["uri"] = json!("https://data.example.org/formula");
    let formula = app.ok(crate::helpers::REGISTER_DATASET, json!({"input": input})).await["registerDataset"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut input = crate::helpers::dataset_input("sprites", &ids["cc-by"], &[&formula]);
    input["name"] = json!("sprites, \"extra\"");
    let quoted = app.ok(crate::helpers::REGISTER_DATASET, json!({"input": input})).await["registerDataset"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let v3 = app
        .version("trait-generator", "v3", &ids["cc-by"], Some((&ids["tg-v2"], "RETRAIN")), &[(&quoted, "FINETUNE")])
        .await;

    let (status, ct, body) = get(&app, &format!("/exports/{v3}/lineage.csv")).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"), "{}", String::from_utf8_lossy(&body));
    assert!(body.ends_with(b"\r\n"), "rows end with CRLF");
    let rows = validate("csv", &body, &[])["rows"].as_array().unwrap().clone();
    let header: Vec<&str> = rows[0].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(
        header,
        [
            "id",
            "kind",
            "name",
            "version",
            "status",
            "digest",
            "depth",
            "direction",
            "anchoredSeq",
            "anchoredRoot",
            "anchoredTx"
        ]
    );
    let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap_or_else(|| panic!("no row {id}")).clone();
    assert_eq!(rows.len(), 1 + 15, "v3, v2, v1.1, v1, 7 datasets, 4 licences");
    assert_eq!(row(&v3)[1], "modelVersion");
    assert_eq!(row(&v3)[2], "trait-generator");
    assert_eq!(row(&v3)[3], "v3");
    assert_eq!(row(&v3)[6], "0");
    assert_eq!(row(&v3)[7], "upstream");
    assert_eq!(row(&ids["tg-v1"])[6], "3");
    assert_eq!(row(&quoted)[2], "sprites, \"extra\"", "quoted fields round-trip");
    assert_eq!(row(&formula)[2], "'=HYPERLINK(\"http://x\",\"y\")", "a formula cell is made text");
    assert_eq!(row(&v3)[8], "none", "nothing is anchored in this registry");
    let digest = app.ok("query($id: String!) { dataset(id: $id) { digest } }", json!({"id": quoted})).await;
    assert_eq!(row(&quoted)[5], digest["dataset"]["digest"]);

    // Kind and depth filters.
    let (_, _, body) = get(&app, &format!("/exports/{v3}/lineage.csv?kinds=dataset&maxDepth=2")).await;
    let rows = validate("csv", &body, &[])["rows"].as_array().unwrap().clone();
    let names: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str().unwrap()).collect();
    assert!(rows[1..].iter().all(|r| r[1] == "dataset" && r[6].as_str().unwrap() <= "2"), "{rows:?}");
    assert!(names.contains(&"sprites, \"extra\"") && names.contains(&"museum-scans-nc"), "{names:?}");
    assert!(names.contains(&"open-art-corpus"), "v2 trained on it, two hops away: {names:?}");
    assert!(!names.contains(&"open-art-curated"), "three hops away: {names:?}");

    // Impact of pixel-traits: the versions trained on it and their descendants.
    let (status, ct, body) =
        get(&app, &format!("/exports/{}/impact.csv?kinds=modelVersion", ids["pixel-traits"])).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    let rows = validate("csv", &body, &[])["rows"].as_array().unwrap().clone();
    assert_eq!(rows[0][9], "tokenId");
    let versions: HashMap<&str, &str> =
        rows[1..].iter().map(|r| (r[3].as_str().unwrap(), r[6].as_str().unwrap())).collect();
    assert_eq!(versions, HashMap::from([("v1.1", "1"), ("v2", "1"), ("v3", "2")]), "{rows:?}");
    let (_, _, body) =
        get(&app, &format!("/exports/{}/impact.csv?kinds=modelVersion&maxDepth=1", ids["pixel-traits"])).await;
    assert_eq!(validate("csv", &body, &[])["rows"].as_array().unwrap().len(), 1 + 2);

    // GraphQL gives the same CSV, with the filters as enums.
    let q = "query($of: String!) { lineageCsv(of: $of, kinds: [DATASET], maxDepth: 2) impactCsv(of: $of) }";
    let data = app.post("/audit/graphql", Some(&app.auditor), q, json!({"of": v3})).await;
    let (_, _, body) = get(&app, &format!("/exports/{v3}/lineage.csv?kinds=dataset&maxDepth=2")).await;
    assert_eq!(data["data"]["lineageCsv"], String::from_utf8(body).unwrap(), "{data}");
    assert!(data["data"]["impactCsv"].as_str().unwrap().starts_with("id,kind,name"));
}

async fn bad_export_options_are_coded_errors(app: TestApp) {
    let ids = demo(&app).await;
    let v2 = &ids["tg-v2"];
    for (path, status, want_code, pointer) in [
        (format!("/exports/{v2}/lineage.csv?maxDepth=-1"), 400, "BAD_USER_INPUT", "maxDepth"),
        (format!("/exports/{v2}/lineage.csv?maxDepth=deep"), 400, "BAD_USER_INPUT", "maxDepth"),
        (format!("/exports/{v2}/lineage.csv?maxDepth=99999999"), 400, "BAD_USER_INPUT", "maxDepth"),
        (format!("/exports/{v2}/lineage.csv?kinds=dataset,circuit"), 400, "BAD_USER_INPUT", "kinds"),
        (format!("/exports/{v2}/prov.jsonld?direction=sideways"), 400, "BAD_USER_INPUT", "direction"),
        ("/exports/not-an-id/prov.jsonld".to_owned(), 400, "BAD_USER_INPUT", "of"),
        (format!("/exports/{}/impact.csv", uuid::Uuid::now_v7()), 404, "NOT_FOUND", ""),
        (format!("/exports/{v2}/nothing.txt"), 404, "NOT_FOUND", ""),
        ("/exports/openlineage.json?modelVersion=nope".to_owned(), 400, "BAD_USER_INPUT", "modelVersion"),
        (format!("/exports/openlineage.json?modelVersion={}", uuid::Uuid::now_v7()), 404, "NOT_FOUND", ""),
    ] {
        let (got, ct, body) = get(&app, &path).await;
        let body: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{path}: not JSON"));
        assert_eq!((got, ct.as_str()), (status, "application/json"), "{path}: {body}");
        assert_eq!(code(&body), want_code, "{path}: {body}");
        if !pointer.is_empty() {
            assert_eq!(body["errors"][0]["extensions"]["pointer"], pointer, "{path}: {body}");
        }
    }
    // Without a key, when reads are not public.
    let resp = reqwest::get(app.url(&format!("/exports/{v2}/prov.jsonld"))).await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // The same checks in GraphQL.
    let bad = app.gql("query($of: String!) { lineageCsv(of: $of, maxDepth: -2) }", json!({"of": v2})).await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["pointer"], "maxDepth");
    let missing =
        app.gql("query($of: String!) { provExport(of: $of) }", json!({"of": uuid::Uuid::now_v7().to_string()})).await;
    assert_eq!(code(&missing), "NOT_FOUND");
}

on_both!(openlineage_events_validate_against_the_2_0_2_model);

async fn openlineage_events_validate_against_the_2_0_2_model(app: TestApp) {
    let ids = demo(&app).await;
    let (status, ct, body) = get(&app, "/exports/openlineage.json").await;
    assert_eq!((status, ct.as_str()), (200, "application/json"), "{}", String::from_utf8_lossy(&body));
    let facets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/json/openlineage-facets.schema.json");
    let report = validate("openlineage", &body, &[&facets]);
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!(report["events"], 3, "one run per model version");

    let events: Vec<Value> = serde_json::from_slice(&body).unwrap();
    let v2 = events.iter().find(|e| e["run"]["runId"] == ids["tg-v2"].as_str()).expect("v2's run");
    assert_eq!(v2["eventType"], "COMPLETE");
    assert_eq!(v2["schemaURL"], "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent");
    assert_eq!(v2["eventTime"], "2024-10-11T19:45:00Z");
    assert_eq!(v2["outputs"][0]["name"], "models/trait-generator/v2");
    let inputs = v2["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 4);
    let pixel = inputs.iter().find(|i| i["namespace"] == "s3://studio-nova-datasets").expect("pixel-traits");
    assert_eq!(pixel["name"], "pixel-traits/2.1/manifest.json");
    assert_eq!(
        pixel["facets"]["provreg_digests"]["contentSha256"],
        "9820ec312d4304b752281abac9056bf99922e68c8bb91d71eab38529459b988a"
    );
    assert_eq!(pixel["facets"]["provreg_license"]["aiTraining"], "constrained");
    assert_eq!(pixel["inputFacets"]["provreg_trainingRole"]["role"], "finetune");
    assert_eq!(v2["run"]["facets"]["provreg_trainingRun"]["parentRelation"], "retrain");
    assert_eq!(v2["run"]["facets"]["provreg_logState"]["anchored"], false);

    // Broken events are caught: each check can fail.
    let broken = |edit: &dyn Fn(&mut Vec<Value>)| {
        let mut events = events.clone();
        edit(&mut events);
        validate("openlineage", &serde_json::to_vec(&events).unwrap(), &[&facets])["errors"].to_string()
    };
    let bad_run = broken(&|e| e[0]["run"]["runId"] = json!("not-a-uuid"));
    assert!(bad_run.contains("not-a-uuid"), "{bad_run}");
    let bad_role = broken(&|e| e[1]["inputs"][0]["inputFacets"]["provreg_trainingRole"]["role"] = json!("memorise"));
    assert!(bad_role.contains("memorise"), "{bad_role}");
    let no_job = broken(&|e| {
        e[2].as_object_mut().unwrap().remove("job");
    });
    assert!(no_job.contains("job"), "{no_job}");

    // One version's event, through GraphQL on the audit API.
    let q = "query($v: String!) { openLineageEvents(modelVersion: $v) }";
    let data = app.post("/audit/graphql", Some(&app.auditor), q, json!({"v": ids["tg-v1.1"]})).await;
    let list = data["data"]["openLineageEvents"].as_array().unwrap_or_else(|| panic!("{data}"));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["run"]["runId"], ids["tg-v1.1"].as_str());
    assert_eq!(list[0]["inputs"].as_array().unwrap().len(), 2);
}

on_both!(training_content_summary_lists_own_data_by_category_and_flags_what_is_missing);

async fn training_content_summary_lists_own_data_by_category_and_flags_what_is_missing(app: TestApp) {
    let ids = demo(&app).await;
    let (status, ct, body) = get(&app, &format!("/exports/{}/training-summary.json", ids["tg-v2"])).await;
    assert_eq!((status, ct.as_str()), (200, "application/json"), "{}", String::from_utf8_lossy(&body));
    let v2: Value = serde_json::from_slice(&body).unwrap();
    let names = |s: &Value, category: &str| -> Vec<String> {
        s["section2"][category]["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&v2, "publicDataset"), ["museum-scans-nc"]);
    assert_eq!(names(&v2, "licensedPrivate"), ["pixel-traits"]);
    assert_eq!(names(&v2, "crawled"), ["open-art-corpus"]);
    assert!(names(&v2, "synthetic").is_empty() && v2["section2"]["synthetic"]["used"] == false);
    let crawled = &v2["section2"]["crawled"]["datasets"][0];
    assert_eq!(crawled["crawlers"][0], "OpenArtBot/2.3 (+https://data.example.org/bot)");
    assert_eq!(crawled["topDomains"][0], "gallery.example.org");
    assert_eq!(crawled["collectionPeriod"], json!({"start": "2019-01-01", "end": "2023-12-31"}));
    assert_eq!(v2["section2"]["crawled"]["section"], "2.3");
    assert_eq!(v2["notTrainingContent"][0]["name"], "trait-eval-holdout", "eval data is not training content");
    assert_eq!(v2["section1"]["knowledgeCutoff"], "2024-06-30");
    assert_eq!(v2["section1"]["modalities"], json!(["image"]));
    assert_eq!(v2["section1"]["dependencies"][0]["relation"], "previousVersion");
    // What the registry does not know is null and listed, not invented.
    assert_eq!(v2["section1"]["provider"]["name"], Value::Null);
    let missing: Vec<&str> = v2["missing"].as_array().unwrap().iter().map(|m| m["pointer"].as_str().unwrap()).collect();
    assert!(missing.contains(&"/section1/provider/name"), "{missing:?}");
    let museum_tdm = v2["section3"]["tdmReservations"]
        .as_array()
        .unwrap()
        .iter()
        .position(|t| t["name"] == "museum-scans-nc")
        .unwrap();
    assert!(missing.contains(&format!("/section3/tdmReservations/{museum_tdm}/handling").as_str()), "{missing:?}");
    for pointer in &missing {
        assert!(v2.pointer(pointer).is_none_or(Value::is_null), "{pointer} is listed missing but has a value");
    }

    // A fine-tune lists only its own new data and names its base model.
    let v11 = app
        .post(
            "/audit/graphql",
            Some(&app.auditor),
            "query($v: String!) { trainingContentSummary(modelVersion: $v) }",
            json!({"v": ids["tg-v1.1"]}),
        )
        .await;
    let v11 = &v11["data"]["trainingContentSummary"];
    let all: Vec<String> =
        ["publicDataset", "licensedPrivate", "otherPrivate", "crawled", "userData", "synthetic", "other"]
            .iter()
            .flat_map(|c| names(v11, c))
            .collect();
    assert_eq!(all, ["pixel-traits"], "{v11:#}");
    assert_eq!(v11["section1"]["dependencies"][0]["relation"], "baseModel");
    assert_eq!(v11["section1"]["dependencies"][0]["modelVersion"], ids["tg-v1"].as_str());

    // Markdown.
    let (status, ct, body) = get(&app, &format!("/exports/{}/training-summary.md", ids["tg-v2"])).await;
    assert_eq!((status, ct.as_str()), (200, "text/markdown; charset=utf-8"));
    let md = String::from_utf8(body).unwrap();
    assert!(md.starts_with("# Public summary of training content: trait-generator v2 (draft)"), "{md}");
    assert!(
        md.contains("### 2.3 Data crawled and scraped from online sources\n\n- **open-art-corpus 2024.1**"),
        "{md}"
    );
    assert!(md.contains("- Provider: **missing**: the registry records no provider"), "{md}");

    // Source fields come in through GraphQL too, checked by the dataset schema.
    let mut input = crate::helpers::dataset_input("generated-sprites", &ids["cc-by"], &[]);
    input["source"] = json!({"category": "SYNTHETIC", "modalities": ["IMAGE"], "topDomains": ["Not A Domain"]});
    let bad = app.gql(crate::helpers::REGISTER_DATASET, json!({"input": input})).await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["pointer"], "/source/topDomains/0", "{bad}");
    input["source"] = json!({"category": "SYNTHETIC", "modalities": ["IMAGE"]});
    let synthetic = app.ok(crate::helpers::REGISTER_DATASET, json!({"input": input})).await["registerDataset"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let v3 = app.version("sprite-gen", "v1", &ids["cc-by"], None, &[(&synthetic, "PRETRAIN")]).await;
    let (_, _, body) = get(&app, &format!("/exports/{v3}/training-summary.json")).await;
    let s: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(names(&s, "synthetic"), ["generated-sprites"]);
    assert_eq!(s["section2"]["synthetic"]["datasets"][0]["generatedBy"], Value::Null);
    assert!(s["missing"].to_string().contains("/section2/synthetic/datasets/0/generatedBy"), "{s:#}");
    let read = app
        .ok(
            "query($id: String!) { dataset(id: $id) { source { category modalities generatedBy } } }",
            json!({"id": synthetic}),
        )
        .await;
    assert_eq!(
        read["dataset"]["source"],
        json!({"category": "SYNTHETIC", "modalities": ["IMAGE"], "generatedBy": null})
    );
    // A dataset, licence or token is no model version.
    let (status, _, _) = get(&app, &format!("/exports/{}/training-summary.json", ids["pixel-traits"])).await;
    assert_eq!(status, 404);
}

on_both!(provreg_export_writes_the_same_exports_from_the_database);

/// `provreg export …` on `app`'s database.
fn export_command(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_provreg"))
        .arg("export")
        .args(args)
        .env("PROVREG_DATABASE_URL", &app.url)
        .env("PROVREG_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .env_remove("PROVREG_CONFIG")
        .output()
        .unwrap()
}

async fn provreg_export_writes_the_same_exports_from_the_database(app: TestApp) {
    let ids = demo(&app).await;
    let v2 = ids["tg-v2"].as_str();
    let out = export_command(&app, &["lineage-csv", v2, "--kinds", "dataset", "--max-depth", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, _, served) = get(&app, &format!("/exports/{v2}/lineage.csv?kinds=dataset&maxDepth=2")).await;
    assert_eq!(out.stdout, served, "the command prints what the route serves");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v2.prov.jsonld");
    let out = export_command(&app, &["prov", v2, "-o", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(doc["@graph"].as_array().unwrap().iter().any(|n| n["@id"] == urn(v2).as_str()));

    let out = export_command(&app, &["openlineage"]);
    let events: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(events.len(), 3);
    let out = export_command(&app, &["training-summary", &ids["tg-v1.1"], "--markdown"]);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains("trait-generator v1.1") && md.contains("pixel-traits") && !md.contains("open-art-curated"),
        "{md}"
    );

    // A bad option fails, naming it, and prints nothing.
    let out = export_command(&app, &["impact-csv", v2, "--kinds", "dataset,circuit"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("kinds: \"circuit\" is not a kind here"), "{out:?}");
}
