//! Body limits per route: a route that writes one record takes a small body; only the bulk
//! routes (lists of components, endpoints, hosts, names) take up to `--max-body`. A body past
//! its route's limit is refused 413 by its Content-Length before it is read, or while it is
//! read when it has none, with the limit in the answer.

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// What a route that writes one record (or takes no body) accepts, in bytes.
pub const ONE_RECORD: usize = 64 * 1024;

/// Routes whose bodies carry many records or names, by method and route template (after the
/// TAPMS version for tenants). `*` ends a prefix.
const BULK: &[(&str, &str)] = &[
    ("POST", "/hsm/v2/State/Components"),
    ("PATCH", "/hsm/v2/State/Components/Bulk*"),
    ("POST", "/hsm/v2/State/Components/Query"),
    ("POST", "/hsm/v2/State/Components/ByNID/Query"),
    ("POST", "/hsm/v2/Inventory/RedfishEndpoints"),
    ("POST", "/hsm/v2/Inventory/EthernetInterfaces"),
    ("POST", "/hsm/v2/Inventory/Discover"),
    ("POST", "/hsm/v2/groups"),
    ("POST", "/hsm/v2/groups/{group_label}/members"),
    ("PUT", "/hsm/v2/groups/{group_label}/members"),
    ("POST", "/hsm/v2/partitions"),
    ("POST", "/hsm/v2/partitions/{partition_name}/members"),
    ("POST", "/hsm/v2/locks/*"),
    ("POST", "/boot/v1/bootparameters"),
    ("PUT", "/boot/v1/bootparameters"),
    ("PATCH", "/boot/v1/bootparameters"),
    ("DELETE", "/boot/v1/bootparameters"),
    ("POST", "/boot/v1/bootparameters/restore"),
    ("POST", "/boot/v1/hosts"),
    ("POST", "/power-control/v1/transitions"),
    ("POST", "/power-control/v1/power-status"),
    ("POST", "tapms:/tenants"),
    ("PUT", "tapms:/tenants/{id}"),
    ("PATCH", "tapms:/tenants/{id}"),
];

/// A request's body limit, kept in its extensions for the extractors' answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    pub bytes: usize,
    pub bulk: bool,
}

impl BodyLimit {
    /// The limit of `method` on the route `template` (none: no route matched).
    pub fn of(method: &Method, template: Option<&str>, max_body: usize) -> BodyLimit {
        let bulk = template.is_some_and(|t| is_bulk(method.as_str(), t));
        BodyLimit {
            bytes: if bulk {
                max_body
            } else {
                ONE_RECORD.min(max_body)
            },
            bulk,
        }
    }

    /// The 413 answer's text.
    pub fn refusal(&self) -> String {
        if self.bulk {
            format!(
                "request body is larger than the server accepts ({} bytes, --max-body)",
                self.bytes
            )
        } else {
            format!(
                "request body is larger than this route accepts ({} bytes: it writes one \
                 record; the bulk routes take up to --max-body)",
                self.bytes
            )
        }
    }

    /// The 413 answer.
    pub fn refuse(&self) -> Response {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, self.refusal()).into_response()
    }
}

fn is_bulk(method: &str, template: &str) -> bool {
    // TAPMS serves the same tenants under /apis/tapms/<version>.
    let tapms = template
        .strip_prefix("/apis/tapms/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, tail)| format!("tapms:/{tail}"));
    let template = tapms.as_deref().unwrap_or(template);
    BULK.iter().any(|(m, t)| {
        *m == method
            && match t.strip_suffix('*') {
                Some(prefix) => template.starts_with(prefix),
                None => template == *t,
            }
    })
}

/// The middleware: refuses a body whose Content-Length is past the route's limit, and cuts
/// one off while it is read past it.
pub async fn apply(max_body: usize, mut req: Request, next: Next) -> Response {
    let template = req.extensions().get::<MatchedPath>().map(|m| m.as_str());
    let limit = BodyLimit::of(req.method(), template, max_body);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.bytes as u64) {
        return limit.refuse();
    }
    req.extensions_mut().insert(limit);
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit.bytes)));
    let resp = next.run(req).await;
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem(&resp) {
        return limit.refuse();
    }
    resp
}

fn is_problem(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_routes_take_the_large_limit_and_the_rest_one_record() {
        let max = 16 << 20;
        let of = |m: Method, t: &str| BodyLimit::of(&m, Some(t), max).bytes;
        assert_eq!(of(Method::POST, "/hsm/v2/State/Components"), max);
        assert_eq!(
            of(Method::PATCH, "/hsm/v2/State/Components/BulkEnabled"),
            max
        );
        assert_eq!(of(Method::POST, "/hsm/v2/locks/reservations/release"), max);
        assert_eq!(of(Method::PUT, "/apis/tapms/v1/tenants/{id}"), max);
        assert_eq!(of(Method::PUT, "/apis/tapms/v1alpha3/tenants/{id}"), max);
        assert_eq!(
            of(Method::PUT, "/hsm/v2/State/Components/{xname}"),
            ONE_RECORD
        );
        assert_eq!(
            of(Method::PATCH, "/hsm/v2/groups/{group_label}"),
            ONE_RECORD
        );
        assert_eq!(of(Method::POST, "/oauth/token"), ONE_RECORD);
        assert_eq!(of(Method::DELETE, "/hsm/v2/State/Components"), ONE_RECORD);
        assert_eq!(BodyLimit::of(&Method::POST, None, max).bytes, ONE_RECORD);
        // A --max-body below one record is the limit everywhere.
        assert_eq!(BodyLimit::of(&Method::PUT, Some("/x"), 1024).bytes, 1024);
    }
}
