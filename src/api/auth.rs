//! Authentication at the door: the bearer-token middleware, the JWKS document and the
//! client-credentials token endpoint of the built-in issuer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::AppState;
use crate::service::auth::{check, Action, Principal};
use crate::service::issuer::MintRequest;

/// Lifetime of tokens from `POST /oauth/token`.
const CLIENT_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Paths anyone may call: health probes, the key set, the token endpoint, the API document.
pub(crate) fn is_public(path: &str) -> bool {
    matches!(
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

/// Verifies the caller and applies the route policy; puts the [`Principal`] in the request.
pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut req: Request,
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
    if let Err(why) = check(&principal, &path, Action::of_method(req.method())) {
        return ApiError::forbidden(why).into_response();
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
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
        (status = 401, description = "Unknown client or wrong secret", body = OAuthError)))]
async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
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
