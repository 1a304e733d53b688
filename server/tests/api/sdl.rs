//! The exported SDL is checked in as `schema/schema.graphql` (and `audit.graphql`); this keeps
//! them equal to the code. `PROVREG_UPDATE_SDL=1 cargo test` rewrites them.
use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn checked_in_sdl_matches_the_code() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let config = provreg_server::config::Config::default();
    let full = provreg_server::graphql::build_schema(provreg_server::deps(app.registry.clone(), &config)).sdl();
    let audit = provreg_server::graphql::build_audit_schema(provreg_server::deps(app.registry.clone(), &config)).sdl();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    if std::env::var_os("PROVREG_UPDATE_SDL").is_some() {
        std::fs::write(dir.join("schema.graphql"), &full).unwrap();
        std::fs::write(dir.join("audit.graphql"), &audit).unwrap();
    }
    assert_eq!(
        full,
        provreg_schema::GRAPHQL_SDL,
        "schema/schema.graphql is stale: run PROVREG_UPDATE_SDL=1 cargo test"
    );
    assert_eq!(audit, provreg_schema::AUDIT_GRAPHQL_SDL, "schema/audit.graphql is stale");
    assert!(!audit.contains("type Mutation"));
    assert!(full.contains("registerModelVersion"));
}

#[test]
fn the_sdl_command_prints_the_checked_in_files_without_a_database() {
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let dir = tempfile::tempdir().expect("tempdir");
    for (extra, file) in [(None, "schema.graphql"), (Some("--audit"), "audit.graphql")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_provreg"))
            .args(["--database-url", "postgres://nobody@127.0.0.1:1/unreachable", "sdl"])
            .args(extra)
            .current_dir(dir.path())
            .env_remove("PROVREG_CONFIG")
            .output()
            .expect("provreg runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let expected = std::fs::read_to_string(schema.join(file)).unwrap();
        assert!(String::from_utf8_lossy(&out.stdout) == expected, "provreg sdl {extra:?} differs from schema/{file}");
    }
}
