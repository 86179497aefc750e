//! The prefixes CSM's API gateway puts before each service (`/apis/smd/hsm/v2/...`), so a
//! client configured with a gateway base URL works unchanged. A request under one is served as
//! its canonical path before routing: auth, the route table, the body limits, the audit and
//! the metrics all see one path per operation, and the OpenAPI document lists each once.

use axum::extract::Request;
use axum::http::Uri;
use axum::Router;

/// Gateway prefix -> the canonical prefix it stands for.
pub const PREFIXES: &[(&str, &str)] = &[
    ("/apis/smd/hsm/v2", "/hsm/v2"),
    ("/smd/hsm/v2", "/hsm/v2"),
    ("/apis/bss/boot/v1", "/boot/v1"),
    ("/apis/power-control/v1", "/power-control/v1"),
];

/// The canonical form of `path`: a gateway prefix (whole segments only) replaced by what it
/// stands for; any other path as it is.
pub fn canonical(path: &str) -> Option<String> {
    PREFIXES.iter().find_map(|(gateway, canon)| {
        let rest = path.strip_prefix(gateway)?;
        (rest.is_empty() || rest.starts_with('/')).then(|| format!("{canon}{rest}"))
    })
}

/// The request with its path made canonical, its query kept.
fn rewrite(mut req: Request) -> Request {
    let Some(path) = canonical(req.uri().path()) else {
        return req;
    };
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = req.uri().clone().into_parts();
    match path_and_query.parse() {
        Ok(pq) => parts.path_and_query = Some(pq),
        // The original parsed; the same characters under another prefix parse too.
        Err(_) => return req,
    }
    if let Ok(uri) = Uri::from_parts(parts) {
        *req.uri_mut() = uri;
    }
    req
}

/// `app`, also answering under the gateway prefixes. Middleware added to a router runs after
/// routing, so the rewrite wraps it instead.
pub fn serve_under_prefixes(app: Router) -> Router {
    Router::new().fallback_service(tower::ServiceExt::map_request(app, rewrite))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_map_by_whole_segments() {
        assert_eq!(
            canonical("/apis/smd/hsm/v2/State/Components").as_deref(),
            Some("/hsm/v2/State/Components")
        );
        assert_eq!(
            canonical("/smd/hsm/v2/memberships").as_deref(),
            Some("/hsm/v2/memberships")
        );
        assert_eq!(canonical("/apis/bss/boot/v1").as_deref(), Some("/boot/v1"));
        assert_eq!(
            canonical("/apis/power-control/v1/transitions").as_deref(),
            Some("/power-control/v1/transitions")
        );
        assert_eq!(canonical("/apis/smd/hsm/v2x/State"), None);
        assert_eq!(canonical("/hsm/v2/State/Components"), None);
        assert_eq!(canonical("/apis/tapms/v1/tenants"), None);
    }

    #[test]
    fn the_query_survives_the_rewrite() {
        let req = Request::builder()
            .uri("/apis/smd/hsm/v2/State/Components?type=Node&state=Off")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(
            rewrite(req).uri().to_string(),
            "/hsm/v2/State/Components?type=Node&state=Off"
        );
    }
}
