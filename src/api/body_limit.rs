//! Body limits per route: a route that writes one record takes a small body; only the bulk
//! routes (lists of components, endpoints, hosts, names) take up to `--max-body`. A body past
//! its route's limit is refused 413 by its Content-Length before it is read, or while it is
//! read when it has none, with the limit in the answer.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// What a route that writes one record (or takes no body) accepts, in bytes.
pub const ONE_RECORD: usize = 64 * 1024;

/// A request's body limit, kept in its extensions for the extractors' answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    pub bytes: usize,
    pub bulk: bool,
}

impl BodyLimit {
    /// The limit of `method` on `path` (the bulk routes are marked in [`super::routes`]).
    pub fn of(method: &Method, path: &str, max_body: usize) -> BodyLimit {
        let bulk = super::routes::bulk(method, path);
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

/// The middleware: refuses a body whose Content-Length is past the route's limit, and cuts
/// one off while it is read past it.
pub async fn apply(max_body: usize, mut req: Request, next: Next) -> Response {
    let limit = BodyLimit::of(req.method(), req.uri().path(), max_body);
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
        let of = |m: Method, p: &str| BodyLimit::of(&m, p, max).bytes;
        assert_eq!(of(Method::POST, "/hsm/v2/State/Components"), max);
        assert_eq!(
            of(Method::PATCH, "/hsm/v2/State/Components/BulkEnabled"),
            max
        );
        assert_eq!(of(Method::POST, "/hsm/v2/locks/reservations/release"), max);
        assert_eq!(of(Method::PUT, "/apis/tapms/v1/tenants/blue"), max);
        assert_eq!(of(Method::PUT, "/apis/tapms/v1alpha3/tenants/blue"), max);
        assert_eq!(
            of(Method::PUT, "/hsm/v2/State/Components/x1000c0s0b0n0"),
            ONE_RECORD
        );
        assert_eq!(of(Method::PATCH, "/hsm/v2/groups/blue"), ONE_RECORD);
        assert_eq!(of(Method::POST, "/oauth/token"), ONE_RECORD);
        assert_eq!(of(Method::DELETE, "/hsm/v2/State/Components"), ONE_RECORD);
        assert_eq!(of(Method::POST, "/no/such/route"), ONE_RECORD);
        // A --max-body below one record is the limit everywhere.
        assert_eq!(BodyLimit::of(&Method::PUT, "/x", 1024).bytes, 1024);
    }
}
