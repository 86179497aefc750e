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
        (StatusCode::PAYLOAD_TOO_LARGE, _) => {
            "request body is larger than the server accepts (--max-body)".to_string()
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

/// The answer to a request whose handler panicked: logged with the cause, a 500 for the client.
pub fn panicked(cause: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = cause
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| cause.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_string());
    tracing::error!(cause = %what, "request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error: the server log has the cause",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_json(resp: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[tokio::test]
    async fn an_empty_timeout_becomes_a_problem_that_says_why() {
        let out = problem_from(StatusCode::REQUEST_TIMEOUT.into_response()).await;
        assert_eq!(out.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(
            out.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = body_json(out).await;
        assert!(body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--request-timeout")));
    }

    #[tokio::test]
    async fn a_panic_is_a_500_problem() {
        let out = panicked(Box::new("boom"));
        assert_eq!(out.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_json(out).await;
        assert_eq!(body["status"], 500);
        assert!(
            !body["detail"].as_str().unwrap_or_default().contains("boom"),
            "cause stays in the log"
        );
    }
}
