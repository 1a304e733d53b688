use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both;

on_both!(demo_fixtures_import_once_and_answer_the_tour);

async fn demo_fixtures_import_once_and_answer_the_tour(app: TestApp) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo-collection.json");
    let first = provreg_server::import::import_file(&app.registry, &path).await.unwrap();
    assert_eq!((first.created, first.existing), (12, 0));
    let second = provreg_server::import::import_file(&app.registry, &path).await.unwrap();
    assert_eq!((second.created, second.existing), (0, 12));
    assert_eq!(app.count("model_versions").await, 3);

    // The README tour's compliance question: which versions were trained on data that forbids it?
    let data = app
        .ok(
            "{ modelVersions(filter: {trainingDataAiTraining: NOT_ALLOWED}) { edges { node { versionLabel
                 trainingData { dataset { name license { aiTraining } } } } } } }",
            json!({}),
        )
        .await;
    let edges = data["modelVersions"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["versionLabel"], "v2");

    let v2 = &first.ids["tg-v2"];
    let lineage =
        app.ok("query($id: String!) { lineage(of: $id) { nodeCount edges { kind } } }", json!({"id": v2})).await;
    assert_eq!(lineage["lineage"]["nodeCount"], 12, "3 versions, 5 datasets, 4 licences");
}
