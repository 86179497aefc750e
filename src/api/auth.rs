//! Authentication at the door: the bearer-token middleware, the JWKS document and the
//! client-credentials token endpoint of the built-in issuer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body_limit::BodyLimit;
use super::error::ApiError;
use super::routes::{check, tenant_aware, Action};
use super::AppState;
use crate::model::audit::{AuditEntry, Outcome};
use crate::service::audit::xnames_in;
use crate::service::auth::Principal;
use crate::service::issuer::MintRequest;
use crate::service::scope::Scope;
use crate::service::tenants::{TENANT_HEADER, TENANT_HEADER_ALIAS};

/// Lifetime of tokens from `POST /oauth/token`.
const CLIENT_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Paths anyone may call: health probes, the key set, the token endpoint, the API document.
pub(crate) fn is_public(path: &str) -> bool {
    super::metadata::is_node_facing(path)
        || matches!(
            path,
            "/healthz"
                | "/hsm/v2/service/ready"
                | "/hsm/v2/service/liveness"
                | "/.well-known/jwks.json"
                | "/oauth/token"
                | "/openapi.json"
                | "/boot/v1/bootscript"
                | "/boot/v1/service/status"
                | "/boot/v1/service/version"
                | "/power-control/v1/liveness"
                | "/power-control/v1/readiness"
                | "/power-control/v1/health"
        )
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token", false))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("Authorization header is not text", true))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(ApiError::unauthorized(
            "Authorization header must be 'Bearer <token>'",
            true,
        )),
    }
}

/// The tenant a request names in `Cray-Tenant-Name` or `X-Tenant`; both must agree.
fn tenant_header(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut named: Option<String> = None;
    for h in [TENANT_HEADER, TENANT_HEADER_ALIAS] {
        for v in headers.get_all(h) {
            let v = v
                .to_str()
                .map_err(|_| ApiError::forbidden(format!("{h} is not text")))?
                .trim()
                .to_string();
            match &named {
                Some(n) if *n != v => {
                    return Err(ApiError::forbidden(format!(
                        "{TENANT_HEADER} and {TENANT_HEADER_ALIAS} name different tenants \
                         ('{n}' and '{v}'): send one"
                    )))
                }
                _ => named = Some(v),
            }
        }
    }
    Ok(named)
}

/// Who may do this, in what scope: the role policy, then the tenant context.
async fn decide(
    state: &AppState,
    principal: &Principal,
    method: &http::Method,
    path: &str,
    header: Result<Option<String>, ApiError>,
) -> Result<Scope, ApiError> {
    check(principal, path, Action::of_request(method, path)).map_err(ApiError::forbidden)?;
    let header = header?;
    let scope = state
        .core
        .tenants
        .scope_for(principal, header.as_deref())
        .await?;
    if let Some(t) = scope.tenant() {
        if !tenant_aware(method, path) {
            return Err(ApiError::forbidden(format!(
                "{method} {path} is not available for a tenant (acting for '{t}'): send it \
                 without {TENANT_HEADER}, with an admin token"
            )));
        }
    }
    Ok(scope)
}

/// Verifies the caller, applies the route policy and the tenant context (a [`Principal`] and
/// a [`Scope`] go into the request), and writes the audit entry of each mutating or refused
/// request.
pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if is_public(&path) {
        return next.run(req).await;
    }
    let principal = match &state.verifier {
        None => Principal::anonymous_admin(),
        Some(verifier) => {
            let token = match bearer(req.headers()) {
                Ok(t) => t,
                Err(e) => return e.into_response(),
            };
            match verifier.verify(token).await {
                Ok(p) => p,
                Err(e) => return ApiError::unauthorized(e.0, true).into_response(),
            }
        }
    };
    let action = Action::of_request(req.method(), &path);
    let mutating = action != Action::Read;
    let header = tenant_header(req.headers());
    // Kept for the audit entry, which is only built for mutations and refusals.
    let named_tenant = header.as_ref().ok().cloned().flatten();
    let method = req.method().clone();
    let request_id = req.headers().get("x-request-id").cloned();
    // Route and role are decided before the body is read: a caller who may not write, or a
    // path that does not exist, costs no buffering.
    let decision = decide(&state, &principal, &method, &path, header).await;
    let routed = req.extensions().get::<MatchedPath>().is_some();
    let mut xnames = xnames_in(&path, b"");
    let (resp, tenant) = match decision {
        Err(e) => (e.into_response(), named_tenant),
        Ok(scope) => {
            let tenant = scope.tenant().map(str::to_string);
            // A mutation's body is read here so the audit entry can name its targets; only
            // the names are kept, not the parsed body.
            let mut req = if mutating && routed {
                match buffer(req, &path).await {
                    Ok((req, names)) => {
                        xnames = names;
                        req
                    }
                    Err(resp) => return resp,
                }
            } else {
                req
            };
            req.extensions_mut().insert(principal.clone());
            req.extensions_mut().insert(scope);
            (next.run(req).await, tenant)
        }
    };
    if !mutating && resp.status() != StatusCode::FORBIDDEN {
        return resp;
    }
    let (resp, detail) = problem_detail(resp).await;
    let now = time::OffsetDateTime::now_utc();
    let status = resp.status().as_u16();
    let audit = AuditEntry {
        id: 0,
        time: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        time_millis: (now.unix_timestamp_nanos() / 1_000_000) as i64,
        subject: principal.subject,
        roles: principal.roles.iter().map(|r| r.to_string()).collect(),
        tenant,
        method: method.to_string(),
        xnames,
        path: path.clone(),
        status,
        outcome: Outcome::of_status(status),
        detail,
        request_id: request_id
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    };
    if let Err(e) = state.core.audit.record(audit).await {
        tracing::error!(error = %e, %path, "could not write the audit entry");
    }
    resp
}

/// Reads a mutation's body into memory and puts it back; the JSON, if it is JSON, is returned
/// for the audit entry. A body over the limit is answered 413 here.
async fn buffer(req: Request, path: &str) -> Result<(Request, Vec<String>), Response> {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => {
            let refusal = parts.extensions.get::<BodyLimit>().map_or_else(
                || "request body is larger than the server accepts (--max-body)".to_string(),
                BodyLimit::refusal,
            );
            return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, refusal).into_response());
        }
    };
    let names = xnames_in(path, &bytes);
    Ok((
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        names,
    ))
}

/// The `detail` of an error answer (problem+json), with the answer rebuilt unchanged.
async fn problem_detail(resp: Response) -> (Response, String) {
    if resp.status().as_u16() < 400 {
        return (resp, String::new());
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(500).collect());
    (
        Response::from_parts(parts, axum::body::Body::from(bytes)),
        detail,
    )
}

/// The public routes of the built-in issuer.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(jwks))
        .routes(routes!(token))
}

/// The built-in issuer's public keys.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "JSON Web Key Set", body = Object)))]
async fn jwks(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(state.issuer.jwks())
}

/// Form of a token request (RFC 6749 section 4.4).
#[derive(Debug, Default, utoipa::ToSchema)]
struct TokenRequest {
    grant_type: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl TokenRequest {
    /// Reads the form fields; any body parses, so a bad one gets an OAuth error, not a 415.
    fn parse(body: &[u8]) -> TokenRequest {
        let mut req = TokenRequest::default();
        for (k, v) in form_urlencoded::parse(body) {
            match k.as_ref() {
                "grant_type" => req.grant_type = v.into_owned(),
                "client_id" => req.client_id = Some(v.into_owned()),
                "client_secret" => req.client_secret = Some(v.into_owned()),
                _ => {}
            }
        }
        req
    }
}

/// A successful token response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    scope: String,
}

/// An OAuth error response (RFC 6749 section 5.2).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct OAuthError {
    error: &'static str,
    error_description: String,
}

fn oauth_error(status: StatusCode, error: &'static str, why: impl Into<String>) -> Response {
    let mut resp = (
        status,
        Json(OAuthError {
            error,
            error_description: why.into(),
        }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"chami\""),
        );
    }
    resp
}

/// Client id and secret from HTTP Basic auth, else from the form.
fn client_credentials(headers: &HeaderMap, form: &TokenRequest) -> Option<(String, String)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    basic.or_else(|| Some((form.client_id.clone()?, form.client_secret.clone()?)))
}

/// Constant-time comparison so a secret cannot be guessed byte by byte from timings.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Issues an access token to a configured client (client_credentials grant).
#[utoipa::path(post, path = "/oauth/token", tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Access token", body = TokenResponse),
        (status = 400, description = "Unsupported grant", body = OAuthError),
        (status = 401, description = "Unknown client or wrong secret", body = OAuthError),
        (status = 429, description = "Too many requests from this address; see Retry-After",
            body = OAuthError)))]
async fn token(
    State(state): State<Arc<AppState>>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let addr = peer.map(|p| p.0 .0.ip());
    if let Err(wait) = state.token_limiter.check(addr) {
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        let who = addr.map_or("this address".to_string(), |a| a.to_string());
        let mut resp = oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "too many token requests from {who}: at most {} a minute; retry in {secs} s",
                state.token_limiter.per_minute()
            ),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        return resp;
    }
    let form = TokenRequest::parse(&body);
    if form.grant_type.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required: use grant_type=client_credentials",
        );
    }
    if form.grant_type != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!(
                "grant_type '{}' is not supported: use client_credentials",
                form.grant_type
            ),
        );
    }
    let Some((id, secret)) = client_credentials(&headers, &form) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "send the client id and secret with HTTP Basic auth",
        );
    };
    let Some(client) = state
        .oauth_clients
        .iter()
        .find(|c| c.id == id && same_secret(&c.secret, &secret))
    else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    };
    let minted = state.issuer.mint(&MintRequest {
        subject: client.id.clone(),
        roles: client.roles.clone(),
        tenant: client.tenant.clone(),
        ttl: CLIENT_TOKEN_TTL,
    });
    match minted {
        Ok(access_token) => Json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: CLIENT_TOKEN_TTL.as_secs(),
            scope: client
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        })
        .into_response(),
        Err(e) => {
            ApiError::from(crate::service::ServiceError::Internal(e.to_string())).into_response()
        }
    }
}
