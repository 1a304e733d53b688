//! HTTP wiring: GraphQL endpoints with bearer-key auth, GraphiQL, the explorer, health checks,
//! JSON Schemas, certificates and token metadata.
use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql_poem::{GraphQLRequest, GraphQLResponse};
use poem::http::{HeaderMap, StatusCode};
use poem::web::{Data, Html, Path};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use provreg_schema::RecordKind;

use crate::auth::{self, Principal, Role};
use crate::error::{AppError, publish_errors};
use crate::graphql::cost::RequestBudget;
use crate::graphql::{AnonymousReads, AuditSchema, FullSchema};
use crate::rate_limit::{RateLimits, Refusal};
use crate::service::Registry;

/// What the handlers share.
pub struct AppState {
    pub registry: Registry,
    pub full: FullSchema,
    pub audit: AuditSchema,
    pub anonymous_reads: bool,
    pub public_audit: bool,
    pub body: BodyLimits,
    /// Largest GraphQL response body, in bytes.
    pub max_response_bytes: usize,
    /// Requests per client address and per API key.
    pub rate: RateLimits,
    /// Deepest lineage an export walks (`limits.max_lineage_depth`).
    pub max_lineage_depth: u32,
    /// The local development beacon served at `/beacon`, when one is configured.
    pub beacon: Option<Arc<provreg_seed::beacon::LocalBeacon>>,
    /// The key that signs the log's checkpoints (`GET /checkpoint`).
    pub log_signer: Option<Arc<crate::transparency::LogSigner>>,
    /// Where the explorer's graph library is served from.
    pub explorer: crate::explorer::ExplorerAssets,
}

/// How large a GraphQL request body may be.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Without a registrar (or admin) key, and always on the audit API.
    pub query_bytes: usize,
    /// With a registrar or admin key on `/graphql`.
    pub upload_bytes: usize,
}

/// Every route of the server: the health checks, and the rest behind the rate limits.
pub fn routes(state: Arc<AppState>) -> impl poem::Endpoint {
    let limited = Route::new()
        .at("/", get(crate::explorer::home))
        .at("/graphql", get(graphiql_full).post(body_limited(graphql_full, state.clone(), true)))
        .at("/audit/graphql", get(graphiql_audit).post(body_limited(graphql_audit, state.clone(), false)))
        .at("/schemas/:name", get(json_schema))
        .at("/certificates/:file", get(certificate_file))
        .at("/tokens/:chain/:contract/:token", get(token_metadata))
        .at("/tokens/:chain/:contract/:token/asset", get(token_asset))
        .at("/tokens/:chain/:contract/:token/evidence", get(token_evidence))
        .at("/tokens/*rest", no_such_token_path)
        .nest("/exports", crate::export::routes())
        .at("/checkpoint", get(crate::transparency::checkpoint))
        .at("/checkpoint/key", get(crate::transparency::checkpoint_key))
        .at("/log/consistency", get(crate::transparency::consistency))
        .at("/beacon/info", get(beacon_info))
        .at("/beacon/public/:round", get(beacon_round));
    Route::new()
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics_text))
        .nest("/explorer", crate::explorer::routes(state.explorer.clone()))
        .nest("/", rate_limited(limited, state.clone()))
        .data(state)
        .around(|ep, req| async move {
            let path = req.uri().path().to_owned();
            let response = ep.call(req).await?.into_response();
            crate::metrics::metrics().http_request(&path, response.status().as_u16());
            Ok(response)
        })
}

/// The 404 of a registry without a local beacon.
fn no_local_beacon() -> Response {
    json_error(StatusCode::NOT_FOUND, "this registry serves no local beacon (only `serve --dev` does)")
}

/// A JSON response.
fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    Response::builder().status(status).content_type("application/json").body(body.to_string())
}

/// `GET /beacon/info`: the local development beacon's chain information, as a drand node
/// gives it (`public_key`, `period`, `genesis_time`, `schemeID`), marked `local`.
#[handler]
async fn beacon_info(Data(state): Data<&Arc<AppState>>) -> Response {
    let Some(beacon) = state.beacon.as_deref() else { return no_local_beacon() };
    let key = beacon.key();
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "public_key": key.public_key_hex(),
            "period": key.period(),
            "genesis_time": key.genesis_time(),
            "schemeID": "bls-unchained-g1-rfc9380",
            "local": true,
            "metadata": { "beaconID": "provreg-local-development" },
        }),
    )
}

/// `GET /beacon/public/{round}` (or `latest`): a round of the local development beacon, as a
/// drand node gives it (`round`, `signature`, `randomness` = SHA-256 of the signature);
/// `425 Too Early` for a round not published yet.
#[handler]
async fn beacon_round(Data(state): Data<&Arc<AppState>>, Path(round): Path<String>) -> Response {
    use sha2::Digest as _;
    let Some(beacon) = state.beacon.as_deref() else { return no_local_beacon() };
    let key = beacon.key();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
    let latest = provreg_seed::beacon::round_at(key, now);
    let round = match round.as_str() {
        "latest" => latest,
        text => match text.parse::<u64>() {
            Ok(r) if r > 0 => r,
            _ => {
                let message = format!("{text:?} is not a round (a number from 1, or latest)");
                return json_error(StatusCode::BAD_REQUEST, &message);
            }
        },
    };
    if round > latest {
        let at = provreg_seed::beacon::round_time(key, round);
        let message = format!("round {round} is published at {at}; it is now {now}");
        return json_error(StatusCode::from_u16(425).unwrap_or(StatusCode::BAD_REQUEST), &message);
    }
    let signature = beacon.sign(round);
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "round": round,
            "signature": hex::encode(signature),
            "randomness": hex::encode(sha2::Sha256::digest(signature)),
        }),
    )
}

/// `GET /metrics`: the Prometheus text exposition (public, like the health checks).
#[handler]
async fn metrics_text(Data(state): Data<&Arc<AppState>>) -> Response {
    match crate::metrics::metrics().render(&state.registry).await {
        Ok(text) => {
            Response::builder().content_type("application/openmetrics-text; version=1.0.0; charset=utf-8").body(text)
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics could not be read");
            Response::builder().status(StatusCode::SERVICE_UNAVAILABLE).body("metrics unavailable\n")
        }
    }
}

/// The caller `rate_limited` authenticated, kept so the handler does not look the key up again.
#[derive(Clone, Copy)]
struct KnownCaller(Principal);

/// `ep` behind the rate limits: each request counts against its client address, then (once
/// its key is known) against its API key, before its body is read or anything runs. A refused
/// request gets 429, `Retry-After` and a `RATE_LIMITED` error.
fn rate_limited(ep: impl Endpoint + 'static, state: Arc<AppState>) -> impl Endpoint {
    ep.around(move |ep, mut req| {
        let state = state.clone();
        async move {
            if let Err(refusal) = state.rate.check_address(req.remote_addr().as_socket_addr(), req.headers()) {
                return Ok(too_many_requests(refusal));
            }
            if state.rate.limits_keys() && bearer(req.headers()).is_some() {
                // A key that does not authenticate counts against its address only; the
                // handler refuses it as usual.
                if let Ok(who) = caller(&state, &req).await {
                    if let Some(id) = who.key_id()
                        && let Err(refusal) = state.rate.check_key(id)
                    {
                        return Ok(too_many_requests(refusal));
                    }
                    req.extensions_mut().insert(KnownCaller(who));
                }
            }
            ep.call(req).await.map(IntoResponse::into_response)
        }
    })
}

fn too_many_requests(refusal: Refusal) -> Response {
    let secs = refusal.retry_after_secs();
    let mut resp =
        error_response(AppError::RateLimited { limit: refusal.limit, retry_after_secs: secs }).into_response();
    resp.set_status(StatusCode::TOO_MANY_REQUESTS);
    resp.headers_mut().insert(poem::http::header::RETRY_AFTER, poem::http::HeaderValue::from(secs));
    // As after a 413: whatever body the request has stays unread, and the connection closes.
    resp.headers_mut().insert(poem::http::header::CONNECTION, poem::http::HeaderValue::from_static("close"));
    resp
}

/// `ep` behind the body limits: a body may be `query_bytes` long, or with `uploads` and a
/// registrar's or admin's key `upload_bytes`. Decided from the headers alone (the declared
/// `Content-Length`, which the server holds the body to), so a refused body is never read.
fn body_limited(ep: impl Endpoint + 'static, state: Arc<AppState>, uploads: bool) -> impl Endpoint {
    ep.around(move |ep, req| {
        let state = state.clone();
        async move {
            match body_allowed(&state, uploads, &req).await {
                Ok(()) => ep.call(req).await.map(IntoResponse::into_response),
                Err(refusal) => Ok(refusal),
            }
        }
    })
}

async fn body_allowed(state: &AppState, uploads: bool, req: &Request) -> Result<(), Response> {
    let limits = state.body;
    let declared = req.headers().get(poem::http::header::CONTENT_LENGTH).map(|v| v.to_str().ok()?.parse::<u64>().ok());
    let Some(Some(len)) = declared else {
        return Err(json_error(StatusCode::LENGTH_REQUIRED, "send the request body with a Content-Length header"));
    };
    let fits = |limit: usize| usize::try_from(len).is_ok_and(|len| len <= limit);
    if fits(limits.query_bytes) {
        return Ok(());
    }
    let registrar = uploads && caller(state, req).await.is_ok_and(|who| who.require(Role::Registrar, "upload").is_ok());
    let refusal = match (registrar, fits(limits.upload_bytes)) {
        (true, true) => return Ok(()),
        (true, false) => AppError::PayloadTooLarge { limit: limits.upload_bytes, hint: " (limits.max_upload_bytes)" },
        (false, _) if uploads => AppError::PayloadTooLarge {
            limit: limits.query_bytes,
            hint: " (limits.max_query_bytes); larger uploads need a registrar key",
        },
        (false, _) => AppError::PayloadTooLarge { limit: limits.query_bytes, hint: " (limits.max_query_bytes)" },
    };
    let mut resp = error_response(refusal).into_response();
    resp.set_status(StatusCode::PAYLOAD_TOO_LARGE);
    // The unread body stays unread: the connection closes after this answer.
    resp.headers_mut().insert(poem::http::header::CONNECTION, poem::http::HeaderValue::from_static("close"));
    Err(resp)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
}

pub(crate) async fn caller(state: &AppState, req: &Request) -> Result<Principal, AppError> {
    if let Some(KnownCaller(who)) = req.extensions().get::<KnownCaller>() {
        return Ok(*who);
    }
    match bearer(req.headers()) {
        None => Ok(Principal::Anonymous),
        Some(secret) => auth::authenticate(&state.registry.db, secret).await,
    }
}

/// A response carrying one coded error and no data.
fn error_response(e: AppError) -> GraphQLResponse {
    let err = async_graphql::Error::from(e).into_server_error(async_graphql::Pos::default());
    code_errors(async_graphql::Response::from_errors(vec![err]))
}

fn code_errors(mut resp: async_graphql::Response) -> GraphQLResponse {
    publish_errors(&mut resp.errors);
    resp.into()
}

/// The coded answer, refused with `RESPONSE_TOO_LARGE` when its body would exceed `max_bytes`.
fn answer(mut resp: async_graphql::Response, max_bytes: usize) -> Response {
    publish_errors(&mut resp.errors);
    let body = match serde_json::to_vec(&resp) {
        Ok(body) => body,
        Err(e) => return error_response(AppError::from_display(e)).into_response(),
    };
    if body.len() > max_bytes {
        return error_response(AppError::ResponseTooLarge { limit: max_bytes }).into_response();
    }
    let mut out = Response::builder().content_type("application/json").body(body);
    for (name, value) in resp.http_headers.iter() {
        out.headers_mut().append(name.clone(), value.clone());
    }
    out
}

#[handler]
async fn graphql_full(state: Data<&Arc<AppState>>, http: &Request, req: GraphQLRequest) -> Response {
    let who = match caller(&state, http).await {
        Ok(p) => p,
        Err(e) => return error_response(e).into_response(),
    };
    let req = req.0.data(who).data(AnonymousReads(state.anonymous_reads)).data(RequestBudget::default());
    answer(state.full.execute(req).await, state.max_response_bytes)
}

#[handler]
async fn graphql_audit(state: Data<&Arc<AppState>>, http: &Request, req: GraphQLRequest) -> Response {
    let who = match caller(&state, http).await {
        Ok(p) => p,
        Err(e) => return error_response(e).into_response(),
    };
    if !state.public_audit
        && let Err(e) = who.require(Role::Auditor, "use the audit API")
    {
        return error_response(e).into_response();
    }
    let req = req.0.data(who).data(AnonymousReads(state.public_audit)).data(RequestBudget::default());
    answer(state.audit.execute(req).await, state.max_response_bytes)
}

#[handler]
fn graphiql_full() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").title("provreg").finish())
}

#[handler]
fn graphiql_audit() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/audit/graphql").title("provreg audit").finish())
}

/// `GET /schemas/{file}`: the JSON Schemas payloads are checked against.
#[handler]
fn json_schema(Path(name): Path<String>) -> Response {
    match RecordKind::ALL.iter().find(|k| k.file_name() == name) {
        Some(kind) => kind.schema_text().with_content_type("application/schema+json").into_response(),
        None if name == "evidence-bundle.schema.json" => {
            provreg_schema::EVIDENCE_BUNDLE_SCHEMA.with_content_type("application/schema+json").into_response()
        }
        None if name == "openlineage-facets.schema.json" => {
            provreg_schema::OPENLINEAGE_FACETS_SCHEMA.with_content_type("application/schema+json").into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /certificates/{id}.c2pa`: a birth certificate's manifest store. Certificates are
/// public by design: they carry only what the registry signs about a record.
#[handler]
async fn certificate_file(state: Data<&Arc<AppState>>, Path(file): Path<String>) -> Response {
    let Some(id) = file.strip_suffix(".c2pa").and_then(|id| uuid::Uuid::parse_str(id).ok()) else {
        return (StatusCode::NOT_FOUND, "no such certificate; use /certificates/{id}.c2pa").into_response();
    };
    match state.registry.certificate(id).await {
        Ok(Some(cert)) => Response::builder()
            .content_type("application/c2pa")
            .header("content-disposition", format!("attachment; filename=\"{id}.c2pa\""))
            .body(cert.manifest_store),
        Ok(None) => (StatusCode::NOT_FOUND, "no such certificate").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading a certificate");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(state: Data<&Arc<AppState>>) -> Response {
    match state.registry.db.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// A JSON error response.
fn json_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &serde_json::json!({ "error": message }))
}

/// The token a `/tokens/{chain}/{contract}/{token}` path names.
async fn find_token(
    state: &AppState,
    chain: &str,
    contract: &str,
    token: &str,
) -> Result<provreg_entities::token::Model, Response> {
    let Ok(chain) = chain.parse::<i64>() else {
        return Err(json_error(StatusCode::NOT_FOUND, "the chain ID is not a number"));
    };
    match state.registry.token_by_key(chain, contract, token).await {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err(json_error(StatusCode::NOT_FOUND, "no such token")),
        Err(e) => {
            tracing::error!(error = %e, "reading a token");
            Err(json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
        }
    }
}

/// Any other path under `/tokens/`: a JSON 404 that says what the paths look like.
#[handler]
fn no_such_token_path() -> Response {
    json_error(StatusCode::NOT_FOUND, "no such path; use /tokens/{chainId}/{contract}/{tokenId}[/asset|/evidence]")
}

/// The server's base URL as the client addressed it (`Host`, and `X-Forwarded-Proto` from a
/// proxy). A host that is not a plain `name[:port]` or `[v6]:port` is not echoed back.
fn base_url(headers: &HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok()).map(str::trim);
    let host = header("host")
        .filter(|h| {
            !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
        })
        .unwrap_or("localhost");
    let proto = match header("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    format!("{proto}://{host}")
}

/// `GET /tokens/{chainId}/{contract}/{tokenId}`: ERC-721 / ERC-7007 metadata with provenance
/// (see [`crate::metadata`]). The contract matches in any case; leading zeros of the token ID
/// are ignored.
#[handler]
async fn token_metadata(
    state: Data<&Arc<AppState>>,
    headers: &HeaderMap,
    Path((chain, contract, token)): Path<(String, String, String)>,
) -> Response {
    let token = match find_token(&state, &chain, &contract, &token).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    match crate::metadata::token_metadata(&state.registry, &token, &base_url(headers)).await {
        // The status in the document can change (a revoke upstream): caches revalidate.
        Ok(doc) => Response::builder()
            .content_type("application/json")
            .header("cache-control", "no-cache")
            .body(doc.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "building token metadata");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// `GET /tokens/{chainId}/{contract}/{tokenId}/asset`: the uploaded asset with its birth
/// certificate embedded.
#[handler]
async fn token_asset(
    state: Data<&Arc<AppState>>,
    Path((chain, contract, token)): Path<(String, String, String)>,
) -> Response {
    let token = match find_token(&state, &chain, &contract, &token).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    match state.registry.token_asset(token.id).await {
        Ok(Some(asset)) => Response::builder().content_type(asset.media_type).body(asset.signed_asset),
        Ok(None) => json_error(StatusCode::NOT_FOUND, "this token has no uploaded asset"),
        Err(e) => {
            tracing::error!(error = %e, "reading a token asset");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// `GET /tokens/{chainId}/{contract}/{tokenId}/evidence`: the token's evidence bundle (see
/// [`crate::evidence`]), to check offline with `provreg verify`. Like the audit API it needs an
/// auditor key unless the audit API (or reading) is public.
#[handler]
async fn token_evidence(
    state: Data<&Arc<AppState>>,
    http: &Request,
    Path((chain, contract, token)): Path<(String, String, String)>,
) -> Response {
    if !state.public_audit && !state.anonymous_reads {
        let allowed = match caller(&state, http).await {
            Ok(who) => who.require(Role::Auditor, "read evidence bundles"),
            Err(e) => Err(e),
        };
        if let Err(e) = allowed {
            let status = match e {
                AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            return json_error(status, &e.to_string());
        }
    }
    let token = match find_token(&state, &chain, &contract, &token).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    match state.registry.evidence_of(token).await {
        Ok(bundle) => Response::builder()
            .content_type("application/json")
            // Anchors get confirmed and statuses change: caches revalidate.
            .header("cache-control", "no-cache")
            .body(bundle.to_value().to_string()),
        Err(e) => {
            tracing::error!(error = %e, "building an evidence bundle");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}
