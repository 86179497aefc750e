//! The last step of every response: errors from outside the handlers (timeouts, rejections)
//! become problem+json too, and JSON becomes YAML for clients that ask with `Accept`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Largest error body read back to turn into a problem detail.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Largest JSON body converted to YAML (everything the API answers fits).
const MAX_YAML_SOURCE: usize = 256 * 1024 * 1024;

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn is_json(ct: &str) -> bool {
    ct.starts_with("application/json") || ct.starts_with("application/problem+json")
}

fn wants_yaml(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/yaml") || a.contains("application/x-yaml"))
}

/// Response middleware: problem+json for every error, YAML on request.
pub async fn finish(req: Request, next: Next) -> Response {
    let yaml = wants_yaml(req.headers());
    let mut resp = next.run(req).await;
    let status = resp.status();
    if (status.is_client_error() || status.is_server_error())
        && !is_json(content_type(resp.headers()))
    {
        resp = problem_from(resp).await;
    }
    if yaml && is_json(content_type(resp.headers())) {
        resp = to_yaml(resp).await;
    }
    resp
}

async fn problem_from(resp: Response) -> Response {
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = match (parts.status, text.is_empty()) {
        (StatusCode::REQUEST_TIMEOUT, true) => {
            "the request took longer than the server allows (--request-timeout)".to_string()
        }
        (_, true) => parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_string(),
        (_, false) => text,
    };
    let mut out = ApiError::new(parts.status, detail).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

async fn to_yaml(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_YAML_SOURCE).await else {
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "response too large to convert to YAML",
        )
        .into_response();
    };
    let converted = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| serde_yaml::to_string(&v).ok());
    match converted {
        Some(yaml) => {
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/yaml"),
            );
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(yaml))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}
