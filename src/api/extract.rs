//! Request extractors whose failures are problem+json: bodies (JSON, or YAML by content type),
//! xname path segments and SMD-style repeated query parameters.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::body_limit::BodyLimit;
use super::error::ApiError;
use crate::model::secret::is_secret_path;
use crate::model::xname::Xname;

/// A request body parsed as JSON (or YAML when the Content-Type says so), whatever the client
/// set as Content-Type otherwise, as SMD accepts.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let yaml = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("yaml"));
        let limit = req.extensions().get::<BodyLimit>().copied();
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    status,
                    limit.map_or_else(
                        || "request body is larger than the server accepts (--max-body)".into(),
                        |l| l.refusal(),
                    ),
                )
            } else {
                ApiError::new(
                    status,
                    format!("could not read request body: {}", e.body_text()),
                )
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "request body is empty: expected a JSON object",
            ));
        }
        parse(&bytes, yaml).map(Body).map_err(ApiError::bad_request)
    }
}

/// Parses a body; an error inside a secret field (a `Password` given as a number, say) names
/// the field and not the value, which serde would otherwise quote.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], yaml: bool) -> Result<T, String> {
    let split = |path: &serde_path_to_error::Path, why: String| (path.to_string(), why);
    let (format, result) = if yaml {
        let de = serde_yaml::Deserializer::from_slice(bytes);
        let parsed = serde_path_to_error::deserialize(de);
        (
            "YAML",
            parsed.map_err(|e| split(e.path(), e.inner().to_string())),
        )
    } else {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| split(e.path(), e.inner().to_string()))
            .and_then(|v| {
                de.end()
                    .map(|()| v)
                    .map_err(|e| (String::new(), e.to_string()))
            });
        ("JSON", parsed)
    };
    result.map_err(|(path, why)| format!("malformed {format} body: {}", explain(&path, why)))
}

/// Reads a `T` out of an already parsed body, with the same care for secret fields as
/// [`parse`].
pub fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize(v)
        .map_err(|e| explain(&e.path().to_string(), e.inner().to_string()))
}

/// serde's reason, or, inside a secret field, the field's path without its value.
fn explain(path: &str, why: String) -> String {
    if is_secret_path(path) {
        format!("{path}: not a valid value (a secret, so it is not repeated here)")
    } else if path.is_empty() || path == "." {
        why
    } else {
        // The field's place in the body, so a long body's bad field can be found.
        format!("{path}: {why}")
    }
}

/// The `{xname}` path segment, parsed and normalised; a bad one is a 400 naming it.
pub struct XnamePath(pub Xname);

impl<S: Send + Sync> FromRequestParts<S> for XnamePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        Xname::parse(&raw)
            .map(XnamePath)
            .map_err(|e| ApiError::bad_request(e.to_string()))
    }
}

/// The query string as ordered `(key, value)` pairs, keeping repeats (SMD ORs them).
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        Ok(QueryPairs(
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}
