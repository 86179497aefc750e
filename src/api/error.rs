//! The one error type of the API: every failure leaves as RFC 7807 `application/problem+json`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::ServiceError;

/// RFC 7807 problem details, with SMD's fields.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// Problem type; `about:blank` means "see the status".
    #[serde(rename = "type")]
    pub kind: String,
    /// The status code's reason phrase.
    pub title: String,
    /// What went wrong in this request.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The request path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instance: String,
    /// The HTTP status.
    pub status: u16,
}

/// An HTTP error with its detail text.
#[derive(Debug)]
pub struct ApiError {
    /// Status to answer with.
    pub status: StatusCode,
    /// Detail for the operator.
    pub detail: String,
    /// `WWW-Authenticate` value for 401s.
    pub challenge: Option<String>,
}

impl ApiError {
    /// An error with `status` and `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
            challenge: None,
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 404 Not Found.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, detail)
    }

    /// 401 with a Bearer challenge; `error` is None when no token was sent at all (RFC 6750).
    pub fn unauthorized(detail: impl Into<String>, invalid_token: bool) -> ApiError {
        let detail = detail.into();
        let challenge = if invalid_token {
            format!(
                "Bearer realm=\"chami\", error=\"invalid_token\", error_description=\"{}\"",
                detail.replace(['"', '\\'], "'")
            )
        } else {
            "Bearer realm=\"chami\"".to_string()
        };
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            detail,
            challenge: Some(challenge),
        }
    }

    /// 403 Forbidden.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, detail)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::BadRequest(m) => ApiError::bad_request(m),
            ServiceError::NotFound(m) => ApiError::not_found(m),
            ServiceError::Forbidden(m) => ApiError::forbidden(m),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            ServiceError::Precondition(m) => ApiError::new(StatusCode::PRECONDITION_FAILED, m),
            ServiceError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error: the server log has the cause",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: "about:blank".into(),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            detail: self.detail,
            instance: String::new(),
            status: self.status.as_u16(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(c) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, c);
        }
        resp
    }
}
