//! The audit log: one entry per mutating request (and per refusal by tenancy), whoever made it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A 2xx or 3xx answer.
    Ok,
    /// Refused: 401 or 403.
    Denied,
    /// Any other 4xx or 5xx.
    Failed,
}

impl Outcome {
    /// The outcome of an HTTP status.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            401 | 403 => Outcome::Denied,
            400.. => Outcome::Failed,
            _ => Outcome::Ok,
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(Outcome::Ok),
            "denied" => Ok(Outcome::Denied),
            "failed" => Ok(Outcome::Failed),
            other => Err(format!(
                "outcome '{other}' is not valid: use ok, denied or failed"
            )),
        }
    }
}

/// One audited request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the log (1, 2, ...), given by the store.
    pub id: i64,
    /// When the answer was sent, RFC 3339.
    pub time: String,
    /// Milliseconds since the Unix epoch of `time`, for range filters.
    #[serde(rename = "timeMillis")]
    pub time_millis: i64,
    /// The token's subject.
    pub subject: String,
    /// The token's roles.
    pub roles: Vec<String>,
    /// The tenant the request acted for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// The xnames the path and body name (normalised, first 1000).
    pub xnames: Vec<String>,
    /// HTTP status of the answer.
    pub status: u16,
    /// How it ended.
    pub outcome: Outcome,
    /// Why, for a refused or failed request (the problem's detail).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// The request's `X-Request-Id`.
    #[serde(
        rename = "requestId",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub request_id: String,
}

/// Which entries to read; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Exact subject.
    pub subject: Option<String>,
    /// Exact tenant.
    pub tenant: Option<String>,
    /// Exact method (upper case).
    pub method: Option<String>,
    /// Path prefix.
    pub path: Option<String>,
    /// An xname the entry names.
    pub xname: Option<String>,
    /// Outcome.
    pub outcome: Option<Outcome>,
    /// At or after, in epoch milliseconds.
    pub since_millis: Option<i64>,
    /// Before, in epoch milliseconds.
    pub until_millis: Option<i64>,
    /// Entries with a larger id only (paging).
    pub after: Option<i64>,
    /// At most this many.
    pub limit: u32,
    /// Newest first (and the newest `limit`), instead of oldest first.
    pub newest_first: bool,
}
