//! BSS's `/boot/v1` API: boot parameters (with ETags, history and undo), iPXE boot scripts,
//! hosts, dumpstate, endpoint history and service status.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{Body, QueryPairs};
use super::AppState;
use crate::model::boot::{BootParams, BootVersion};
use crate::model::mac::Mac;
use crate::service::auth::Principal;
use crate::service::boot::script::{Outcome, Request, Selector};
use crate::service::boot::{BootQuery, Written};
use crate::service::metrics::Listener;
use crate::service::scope::Scope;

type S = State<Arc<AppState>>;

/// The routes under `/boot/v1` on the HTTPS listener.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, post, put, patch, delete))
        .routes(routes!(history))
        .routes(routes!(effective))
        .routes(routes!(restore))
        .routes(routes!(bootscript))
        .routes(routes!(hosts, hosts_refresh))
        .routes(routes!(dumpstate))
        .routes(routes!(endpoint_history))
        .routes(routes!(status))
        .routes(routes!(version))
        .routes(routes!(status_hsm))
        .routes(routes!(status_storage))
        .routes(routes!(status_all))
}

/// The plain-HTTP listener's routes: the bootscript and service status only (iPXE rarely
/// speaks TLS); everything else is 404.
/// The gateway prefixes that stand for `canonical`.
fn gateway_prefixes(canonical: &str) -> impl Iterator<Item = &'static str> + '_ {
    super::gateway::PREFIXES
        .iter()
        .filter(move |(_, c)| *c == canonical)
        .map(|(g, _)| *g)
}

pub fn plain_routes(state: Arc<AppState>) -> Router {
    let script = axum::routing::get(|st: S, req: axum::extract::Request| async move {
        // Counted here rather than by a middleware layer, which would cost a boxed
        // service clone per request on the boot storm's path.
        let start = std::time::Instant::now();
        let resp = script_response(&st, req.headers(), req.uri(), "http")
            .await
            .into_response();
        st.metrics.observe(
            Listener::Http,
            "/boot/v1/bootscript",
            "GET",
            resp.status().as_u16(),
            start.elapsed(),
        );
        resp
    });
    // The gateway's spellings as plain routes: wrapping this router would cost the boot
    // storm a dispatch per request.
    let mut router = Router::new();
    for prefix in ["/boot/v1"].into_iter().chain(gateway_prefixes("/boot/v1")) {
        router = router
            .route(&format!("{prefix}/bootscript"), script.clone())
            .route(
                &format!("{prefix}/service/status"),
                axum::routing::get(status),
            );
    }
    router
        .nest("/metadata-service", super::metadata::node_routes())
        .nest("/cloud-init", super::metadata::node_routes())
        .fallback(|uri: axum::http::Uri| async move {
            ApiError::not_found(format!(
                "no such path on the boot listener: {} (it serves only /boot/v1/bootscript, \
                 /boot/v1/service/status, and cloud-init's meta-data, user-data, vendor-data \
                 and GROUP.yaml under /metadata-service and /cloud-init)",
                uri.path()
            ))
        })
        .with_state(state)
}

fn who(p: &Option<Extension<Principal>>) -> &str {
    p.as_ref()
        .map_or("anonymous", |Extension(p)| p.subject.as_str())
}

fn if_match(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    headers
        .get(header::IF_MATCH)
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::bad_request("If-Match header is not text"))
        })
        .transpose()
}

/// `If-None-Match: *`: the write may only create.
fn create_only(headers: &HeaderMap) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == b"*")
}

fn with_etag(mut resp: Response, tag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

fn written(status: StatusCode, w: &Written, body: Option<Value>) -> Response {
    let mut resp = match body {
        Some(b) => (status, Json(b)).into_response(),
        None => status.into_response(),
    };
    if let Some(t) = w
        .token
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
    {
        resp.headers_mut().insert("bss-referral-token", t);
    }
    with_etag(resp, &w.etag)
}

/// `name`, `mac`, `nid` from the query (repeated or comma-separated), added to a body filter.
fn boot_query(q: &[(String, String)], body: Option<BootParams>) -> Result<BootQuery, ApiError> {
    let mut out = BootQuery::default();
    if let Some(b) = body {
        out.names = b.hosts;
        out.macs = b.macs;
        out.nids = b.nids;
    }
    for (k, v) in q {
        for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match k.as_str() {
                "name" => out.names.push(item.to_string()),
                "mac" => out.macs.push(item.to_string()),
                "nid" => out.nids.push(item.parse().map_err(|_| {
                    ApiError::bad_request(format!("Bad Request - Invalid nid '{item}'"))
                })?),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The raw body of a GET, which may carry a filter (ochami-rs sends its host list that way).
struct RawBody(Bytes);

impl<St: Send + Sync> axum::extract::FromRequest<St> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &St) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| {
                ApiError::new(
                    e.status(),
                    format!("could not read request body: {}", e.body_text()),
                )
            })
    }
}

/// An optional JSON body on a GET; ignored when unreadable but the query says what to get.
fn optional_body(bytes: &Bytes, has_query: bool) -> Result<Option<BootParams>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Option<BootParams>>(bytes) {
        Ok(b) => Ok(b),
        Err(_) if has_query => Ok(None),
        Err(e) => Err(ApiError::bad_request(format!(
            "Failed to interpret request body: {e}"
        ))),
    }
}

/// Boot parameters: all, or by `name`, `mac` or `nid` (also accepted as a JSON body).
#[utoipa::path(get, path = "/bootparameters", tag = "bss",
    params(("name" = Option<String>, Query, description = "xname, Default, role, Unknown-<arch> or group label; repeatable or comma-separated"),
        ("mac" = Option<String>, Query), ("nid" = Option<i64>, Query)),
    responses((status = 200, body = Vec<BootParams>, description = "With an ETag over the entries returned"),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn list(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
    RawBody(bytes): RawBody,
) -> Result<Response, ApiError> {
    let body = optional_body(&bytes, !q.is_empty())?;
    let empty_body = body
        .as_ref()
        .is_some_and(|b| b.hosts.is_empty() && b.macs.is_empty() && b.nids.is_empty());
    let query = boot_query(&q, body)?;
    if query.is_empty() && empty_body && q.is_empty() {
        // A body naming nothing; ochami-rs sends `null` for "all", which reads as no body.
        return Err(ApiError::bad_request("No specified data requested"));
    }
    let entries = st.core.boot.list(&query, &scope).await?;
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let tag = crate::service::boot::Boot::etag_of(&names, &entries);
    let params: Vec<BootParams> = entries.iter().map(|e| e.to_params()).collect();
    Ok(with_etag(Json(params).into_response(), &tag))
}

/// Create boot parameters for nodes (hosts, macs or nids) or tags; 400 "Already exists" when
/// any exists, as BSS (412 with `If-None-Match: *`).
#[utoipa::path(post, path = "/bootparameters", tag = "bss", request_body = BootParams,
    params(("If-Match" = Option<String>, Header), ("If-None-Match" = Option<String>, Header)),
    responses((status = 201, description = "Created; BSS-Referral-Token and ETag headers"),
        (status = 400, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
async fn post(
    State(st): S,
    p: Option<Extension<Principal>>,
    Extension(scope): Extension<Scope>,
    headers: HeaderMap,
    Body(body): Body<BootParams>,
) -> Result<Response, ApiError> {
    let w = st
        .core
        .boot
        .create(
            &body,
            if_match(&headers)?,
            create_only(&headers),
            who(&p),
            &scope,
        )
        .await?;
    Ok(written(StatusCode::CREATED, &w, None))
}

/// Set boot parameters whole (omitted fields are cleared), creating entries as needed.
#[utoipa::path(put, path = "/bootparameters", tag = "bss", request_body = BootParams,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = BootParams, description = "What was set, with its names in hosts"),
        (status = 400, body = Problem), (status = 412, body = Problem)))]
async fn put(
    State(st): S,
    p: Option<Extension<Principal>>,
    Extension(scope): Extension<Scope>,
    headers: HeaderMap,
    Body(body): Body<BootParams>,
) -> Result<Response, ApiError> {
    let w = st
        .core
        .boot
        .replace(&body, if_match(&headers)?, who(&p), &scope)
        .await?;
    let mut out = w.entries.first().map(|e| e.to_params()).unwrap_or_default();
    out.hosts = w.entries.iter().map(|e| e.name.clone()).collect();
    Ok(written(
        StatusCode::OK,
        &w,
        Some(serde_json::to_value(out).unwrap_or(Value::Null)),
    ))
}

/// Change existing boot parameters: non-empty fields replace, cloud-init merges.
#[utoipa::path(patch, path = "/bootparameters", tag = "bss", request_body = BootParams,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "Changed; ETag header"),
        (status = 400, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
async fn patch(
    State(st): S,
    p: Option<Extension<Principal>>,
    Extension(scope): Extension<Scope>,
    headers: HeaderMap,
    Body(body): Body<BootParams>,
) -> Result<Response, ApiError> {
    let w = st
        .core
        .boot
        .update(&body, if_match(&headers)?, who(&p), &scope)
        .await?;
    Ok(written(StatusCode::OK, &w, None))
}

/// Delete boot parameters named in the body.
#[utoipa::path(delete, path = "/bootparameters", tag = "bss", request_body = BootParams,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "Deleted"),
        (status = 400, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
async fn delete(
    State(st): S,
    p: Option<Extension<Principal>>,
    Extension(scope): Extension<Scope>,
    headers: HeaderMap,
    Body(body): Body<BootParams>,
) -> Result<Response, ApiError> {
    let w = st
        .core
        .boot
        .delete(&body, if_match(&headers)?, who(&p), &scope)
        .await?;
    Ok(written(StatusCode::OK, &w, None))
}

/// Every write to boot parameters, newest first: who, when, what, and the entry after it
/// (chami).
#[utoipa::path(get, path = "/bootparameters/history", tag = "bss",
    params(("name" = Option<String>, Query, description = "One entry; all when absent"),
        ("limit" = Option<u32>, Query, description = "At most this many (default 100, at most 10000)")),
    responses((status = 200, body = Vec<BootVersion>), (status = 400, body = Problem)))]
async fn history(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Vec<BootVersion>>, ApiError> {
    let mut name = None;
    let mut limit = 100u32;
    for (k, v) in &q {
        match k.as_str() {
            "name" => name = Some(v.as_str()),
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "limit '{v}' must be a whole number from 1 to 10000"
                        ))
                    })?
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter '{other}': use name or limit"
                )))
            }
        }
    }
    let mut versions = st.core.boot.history(name, limit).await?;
    scope.retain(&mut versions, |v| &v.name);
    Ok(Json(versions))
}

/// The entry a node boots from, as the next boot would see it, with `source` naming it
/// (chami).
#[utoipa::path(get, path = "/bootparameters/effective", tag = "bss",
    params(("name" = String, Query, description = "A node xname")),
    responses((status = 200, body = Object, description = "BootParams plus `source`, the entry's name"),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn effective(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Value>, ApiError> {
    let name = q
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| ApiError::bad_request("name=<node xname> is required"))?;
    let entry = st.core.boot.effective(name, &scope).await?;
    let mut v = serde_json::to_value(entry.to_params()).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("source".into(), Value::String(entry.name.clone()));
    }
    Ok(Json(v))
}

/// Which version to bring back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RestoreRequest {
    /// The entry's name.
    name: String,
    /// A version from its history.
    version: u64,
}

/// Bring back a previous version of an entry as a new version (undo; chami).
#[utoipa::path(post, path = "/bootparameters/restore", tag = "bss", request_body = RestoreRequest,
    params(("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Vec<BootParams>, description = "The entry now (empty when the version was a delete)"),
        (status = 400, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
async fn restore(
    State(st): S,
    p: Option<Extension<Principal>>,
    Extension(scope): Extension<Scope>,
    headers: HeaderMap,
    Body(body): Body<RestoreRequest>,
) -> Result<Response, ApiError> {
    let w = st
        .core
        .boot
        .restore(
            &body.name,
            body.version,
            if_match(&headers)?,
            who(&p),
            &scope,
        )
        .await?;
    let out: Vec<BootParams> = w.entries.iter().map(|e| e.to_params()).collect();
    Ok(written(
        StatusCode::OK,
        &w,
        Some(serde_json::to_value(out).unwrap_or(Value::Null)),
    ))
}

/// The host the request named, safe to echo into a script (host, IPv4, [IPv6], optional
/// port): the `Host` header, or over HTTP/2 the `:authority` (which has no `Host`).
pub(crate) fn safe_host<'a>(headers: &'a HeaderMap, uri: &'a axum::http::Uri) -> Option<&'a str> {
    let h = match headers.get(header::HOST) {
        Some(v) => v.to_str().ok()?,
        None => uri.authority()?.as_str(),
    };
    let ok = !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then_some(h)
}

/// Answers a bootscript request; the hot path of a boot storm, so the query is read in place
/// and the script is the only allocation of any size.
async fn script_response(
    st: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    scheme: &str,
) -> Response {
    let query = uri.query();
    let pairs = || form_urlencoded::parse(query.unwrap_or("").as_bytes());
    let get = |key: &str| pairs().find(|(k, _)| k == key).map(|(_, v)| v);
    let int = |key: &str, default: i64| {
        get(key)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    };
    let (mac, name, nid, arch) = (get("mac"), get("name"), get("nid"), get("arch"));
    let selector = if let Some(m) = mac.as_deref().filter(|m| !m.is_empty()) {
        match Mac::parse(m) {
            Ok(mac) => Selector::Mac(mac),
            Err(e) => return ApiError::bad_request(e.0).into_response(),
        }
    } else if let Some(n) = name.as_deref().filter(|n| !n.is_empty()) {
        if crate::model::xname::Xname::parse(n).is_err() {
            return ApiError::bad_request(format!("name '{n}' is not a node xname"))
                .into_response();
        }
        Selector::Name(n)
    } else if let Some(n) = nid
        .and_then(|n| n.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0)
    {
        Selector::Nid(n)
    } else {
        return ApiError::bad_request("Need a mac=, name=, or nid= parameter").into_response();
    };
    let arch = arch.as_deref().unwrap_or("");
    if arch.len() > 32
        || !arch
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return ApiError::bad_request(format!("arch '{arch}' is not an iPXE architecture name"))
            .into_response();
    }
    let Some(host) = safe_host(headers, uri) else {
        return ApiError::bad_request(
            "the Host header (or HTTP/2 :authority) is missing or not a host name",
        )
        .into_response();
    };
    let base = format!("{scheme}://{host}/boot/v1/bootscript");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let req = Request {
        selector,
        retry: int("retry", 0),
        arch,
        ts: int("ts", now),
        base: &base,
        json: int("json", 0) != 0,
        record: int("preview", 0) == 0,
    };
    st.core
        .boot
        .bootscript(&req, |outcome| match outcome {
            Outcome::Script { body, json, .. } => {
                let ct = if json {
                    "application/json; charset=UTF-8"
                } else {
                    "text/plain; charset=UTF-8"
                };
                ([(header::CONTENT_TYPE, ct)], body).into_response()
            }
            Outcome::NotConfigured(why) => ApiError::not_found(why).into_response(),
        })
        .await
}

/// The iPXE script for the node with this MAC, name or NID (public: nodes boot without
/// tokens). Also on the plain-HTTP boot listener.
#[utoipa::path(get, path = "/bootscript", tag = "bss",
    params(("mac" = Option<String>, Query), ("name" = Option<String>, Query),
        ("nid" = Option<i64>, Query), ("retry" = Option<i64>, Query),
        ("arch" = Option<String>, Query), ("ts" = Option<i64>, Query),
        ("json" = Option<i64>, Query, description = "Non-zero: BSS's JSON form"),
        ("preview" = Option<i64>, Query, description = "Non-zero: render without recording the fetch in endpoint history (chami)")),
    responses((status = 200, description = "The iPXE script, or BSS's JSON form with json=1",
            content((String = "text/plain"), (Object = "application/json"))),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn bootscript(State(st): S, req: axum::extract::Request) -> Response {
    script_response(&st, req.headers(), req.uri(), "https").await
}

/// Node components as BSS sees them, all or by `name`, `mac`, `nid`.
#[utoipa::path(get, path = "/hosts", tag = "bss",
    params(("name" = Option<String>, Query), ("mac" = Option<String>, Query), ("nid" = Option<i64>, Query)),
    responses((status = 200, body = Vec<Object>), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn hosts(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Vec<Value>>, ApiError> {
    let query = boot_query(&q, None)?;
    Ok(Json(st.core.boot.hosts(&query, &scope).await?))
}

/// Asks BSS to refresh its view of inventory; chami's is always current, so this only
/// answers 204.
#[utoipa::path(post, path = "/hosts", tag = "bss", responses((status = 204)))]
async fn hosts_refresh() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Every node and boot entry (`Components`, `Params`).
#[utoipa::path(get, path = "/dumpstate", tag = "bss", responses((status = 200, body = Object)))]
async fn dumpstate(State(st): S) -> Result<Json<Value>, ApiError> {
    Ok(Json(st.core.boot.dump().await?))
}

/// When each node last fetched its boot script.
#[utoipa::path(get, path = "/endpoint-history", tag = "bss",
    params(("name" = Option<String>, Query), ("endpoint" = Option<String>, Query, description = "bootscript")),
    responses((status = 200, body = Vec<Object>)))]
async fn endpoint_history(State(st): S, QueryPairs(q): QueryPairs) -> Json<Vec<Value>> {
    let get = |key: &str| q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    Json(st.core.boot.endpoint_history(get("name"), get("endpoint")))
}

/// `{"bss-status":"running"}`.
#[utoipa::path(get, path = "/service/status", tag = "bss", responses((status = 200, body = Object)))]
async fn status() -> Json<Value> {
    Json(json!({"bss-status": "running"}))
}

/// `{"bss-version": ...}`.
#[utoipa::path(get, path = "/service/version", tag = "bss", responses((status = 200, body = Object)))]
async fn version() -> Json<Value> {
    Json(json!({"bss-version": env!("CARGO_PKG_VERSION")}))
}

/// Inventory is in the same process, so always connected.
#[utoipa::path(get, path = "/service/hsm", tag = "bss", responses((status = 200, body = Object)))]
async fn status_hsm() -> Json<Value> {
    Json(json!({"bss-status-hsm": "connected"}))
}

async fn storage(st: &AppState) -> (bool, Value) {
    let h = st.core.health().await;
    (
        h.ok(),
        json!({"name": h.store, "status": if h.ok() { "connected" } else { "error" }}),
    )
}

/// Whether the database answers.
#[utoipa::path(get, path = "/service/storage/status", tag = "bss",
    responses((status = 200, body = Object), (status = 500, body = Object)))]
async fn status_storage(State(st): S) -> (StatusCode, Json<Value>) {
    let (ok, v) = storage(&st).await;
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (code, Json(json!({"bss-storage-backend": v})))
}

/// Version, status, inventory and storage in one answer.
#[utoipa::path(get, path = "/service/status/all", tag = "bss",
    responses((status = 200, body = Object), (status = 500, body = Object)))]
async fn status_all(State(st): S) -> (StatusCode, Json<Value>) {
    let (ok, v) = storage(&st).await;
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (
        code,
        Json(json!({
            "bss-version": env!("CARGO_PKG_VERSION"),
            "bss-status": "running",
            "bss-status-hsm": "connected",
            "bss-storage-backend": v,
        })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_comes_from_host_or_the_http2_authority() {
        let uri: axum::http::Uri = "https://10.0.0.1:8443/boot/v1/bootscript?nid=1"
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        // HTTP/2 carries no Host header: the authority names the host.
        assert_eq!(safe_host(&headers, &uri), Some("10.0.0.1:8443"));
        headers.insert(header::HOST, "boot.example:8081".parse().unwrap());
        assert_eq!(safe_host(&headers, &uri), Some("boot.example:8081"));
        headers.insert(header::HOST, "evil\";chain http://x".parse().unwrap());
        assert_eq!(
            safe_host(&headers, &uri),
            None,
            "never echoed into a script"
        );
        let bare: axum::http::Uri = "/boot/v1/bootscript".parse().unwrap();
        assert_eq!(safe_host(&HeaderMap::new(), &bare), None);
    }
}
