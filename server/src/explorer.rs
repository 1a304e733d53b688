//! The provenance explorer: a read-only web page at `/explorer` that talks only to the audit
//! API (`/audit/graphql`) and the read-only file routes (exports, evidence bundles, assets).
//!
//! The page's own HTML, JavaScript and CSS (`server/explorer/static/`) are compiled into the
//! binary. The graph library (Cytoscape.js with its dagre layout) is not: it is installed by
//! npm (`server/explorer/package-lock.json`, which `scripts/dev` and `scripts/test` install)
//! and served from that `node_modules` folder at run time, so the crate builds where npm never
//! ran. Without it the explorer still serves its pages, and says on the page how to install
//! the graph.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Path as UrlPath, Redirect};
use poem::{EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use sha2::{Digest, Sha256};

const INDEX_HTML: &str = include_str!("../explorer/static/index.html");

/// The page's own files, by the name it loads them under.
const PAGE_FILES: &[(&str, &str, &str)] = &[
    ("explorer.css", CSS, include_str!("../explorer/static/explorer.css")),
    ("explorer.js", JAVASCRIPT, include_str!("../explorer/static/explorer.js")),
    ("api.js", JAVASCRIPT, include_str!("../explorer/static/api.js")),
    ("pages.js", JAVASCRIPT, include_str!("../explorer/static/pages.js")),
    ("records.js", JAVASCRIPT, include_str!("../explorer/static/records.js")),
    ("graph.js", JAVASCRIPT, include_str!("../explorer/static/graph.js")),
    ("impact.js", JAVASCRIPT, include_str!("../explorer/static/impact.js")),
];

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// What the page may load and talk to: its own origin only (no CDN), images also as
/// `blob:`/`data:` URLs, nothing framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The third-party files the page loads, by the name it loads them under, and where npm puts
/// them under `node_modules`. Only these are served.
const VENDOR_FILES: &[(&str, &str)] = &[
    ("cytoscape.min.js", "cytoscape/dist/cytoscape.min.js"),
    ("cytoscape-dagre.min.js", "cytoscape-dagre/dist/cytoscape-dagre.min.js"),
];

/// Where the explorer's graph library is installed.
#[derive(Debug, Clone)]
pub struct ExplorerAssets {
    node_modules: PathBuf,
}

impl ExplorerAssets {
    /// The graph library under `node_modules` (`explorer.node_modules`), or by default the
    /// folder `npm ci` fills in `server/explorer` of the source tree.
    pub fn new(node_modules: Option<PathBuf>) -> Self {
        Self { node_modules: node_modules.unwrap_or_else(bundled_node_modules) }
    }

    /// The vendor files that are missing, by the path where they were looked for.
    pub fn missing(&self) -> Vec<PathBuf> {
        VENDOR_FILES.iter().map(|(_, rel)| self.node_modules.join(rel)).filter(|p| !p.is_file()).collect()
    }
}

/// `server/explorer/node_modules` of the source tree this binary was built from.
pub fn bundled_node_modules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("explorer/node_modules")
}

/// The explorer's routes, to nest under `/explorer`.
pub fn routes(assets: ExplorerAssets) -> impl poem::Endpoint {
    for path in assets.missing() {
        tracing::warn!(
            path = %path.display(),
            "the explorer's graph library is not installed: run scripts/dev, or `npm ci` in server/explorer"
        );
    }
    Route::new()
        .at("/", get(index))
        .at("/:file", get(page_file))
        .at("/vendor/:file", get(vendor))
        .data(Arc::new(assets))
}

/// `GET /`: a redirect (303) to the explorer.
#[handler]
pub fn home() -> Redirect {
    Redirect::see_other("/explorer/")
}

/// A committed file, revalidated on every load (`no-cache` with an `ETag` of its contents), so
/// a new server version is picked up at once and an unchanged file costs a `304`.
fn committed(req: &Request, content_type: &str, body: &'static str) -> Response {
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(body.as_bytes()))[..32]);
    let builder = Response::builder()
        .content_type(content_type)
        .header("cache-control", "no-cache")
        .header("etag", etag.as_str())
        .header("x-content-type-options", "nosniff");
    let builder = if content_type == HTML {
        builder
            .header("content-security-policy", CONTENT_SECURITY_POLICY)
            .header("referrer-policy", "no-referrer")
            .header("x-frame-options", "DENY")
    } else {
        builder
    };
    let matches = req.headers().get("if-none-match").and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    if matches { builder.status(StatusCode::NOT_MODIFIED).finish() } else { builder.body(body) }
}

#[handler]
fn index(req: &Request) -> Response {
    committed(req, HTML, INDEX_HTML)
}

/// `GET /explorer/{file}`: one of the page's scripts or its stylesheet.
#[handler]
fn page_file(req: &Request, UrlPath(file): UrlPath<String>) -> Response {
    match PAGE_FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => committed(req, content_type, body),
        None => (StatusCode::NOT_FOUND, "no such explorer file").into_response(),
    }
}

/// `GET /explorer/vendor/{file}`: a file of the pinned graph library. The versions are pinned
/// by `package-lock.json`, so browsers may keep them a day; `503` with a plain message (which
/// the page shows) while the library is not installed.
#[handler]
async fn vendor(Data(assets): Data<&Arc<ExplorerAssets>>, UrlPath(file): UrlPath<String>) -> Response {
    let Some((_, rel)) = VENDOR_FILES.iter().find(|(name, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such explorer file").into_response();
    };
    let path = assets.node_modules.join(rel);
    match tokio::fs::read(&path).await {
        Ok(bytes) => Response::builder()
            .content_type(JAVASCRIPT)
            .header("cache-control", "public, max-age=86400")
            .header("x-content-type-options", "nosniff")
            .body(bytes),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "an explorer vendor file is missing");
            Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .content_type("text/plain; charset=utf-8")
                .header("cache-control", "no-store")
                .body(format!(
                    "the explorer's graph library is not installed ({}): run scripts/dev, or `npm ci` in \
                     server/explorer\n",
                    path.display()
                ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_committed_and_vendor_files_of_its_own_origin() {
        for (name, _) in VENDOR_FILES {
            assert!(INDEX_HTML.contains(&format!("/explorer/vendor/{name}")), "{name} is loaded by the page");
        }
        for (name, _, body) in PAGE_FILES {
            // The one address a file may name is the local chain's, in the verify command.
            let outside = body.replace("http://127.0.0.1:8545", "");
            assert!(!outside.contains("http://") && !outside.contains("https://"), "{name} names no outside address");
            assert!(!body.contains("\"/graphql\"") && !body.contains("mutation"), "{name} uses the audit API only");
        }
        assert!(INDEX_HTML.contains("/explorer/explorer.js") && INDEX_HTML.contains("/explorer/explorer.css"));
    }
}
