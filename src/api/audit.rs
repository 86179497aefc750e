//! `GET /audit`: the audit log, filtered (admin only, by the route policy).

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::QueryPairs;
use super::AppState;
use crate::model::audit::{AuditEntry, AuditFilter};
use crate::model::ethernet::parse_time;
use crate::service::scope::Scope;

/// The route.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(list))
}

fn millis(raw: &str, what: &str) -> Result<i64, ApiError> {
    let t = parse_time(raw, what).map_err(|e| ApiError::bad_request(e.0))?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn number<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("{what} '{raw}' is not a whole number")))
}

/// Audited requests, oldest first (`order=desc`: newest first): every mutation and every refusal, with who, which tenant,
/// what, the xnames named and the outcome. A tenant context sees only its own entries.
#[utoipa::path(get, path = "/audit", tag = "audit",
    params(("subject" = Option<String>, Query), ("tenant" = Option<String>, Query),
        ("method" = Option<String>, Query), ("path" = Option<String>, Query, description = "Path prefix"),
        ("xname" = Option<String>, Query), ("outcome" = Option<String>, Query, description = "ok, denied or failed"),
        ("since" = Option<String>, Query, description = "RFC 3339, inclusive"),
        ("until" = Option<String>, Query, description = "RFC 3339, exclusive"),
        ("after" = Option<i64>, Query, description = "Only entries with a larger id (paging)"),
        ("limit" = Option<u32>, Query, description = "At most this many (default 10000, at most 10000)"),
        ("order" = Option<String>, Query, description = "asc (default: oldest first) or desc")),
    responses((status = 200, body = Vec<AuditEntry>), (status = 400, body = Problem)))]
async fn list(
    State(st): State<Arc<AppState>>,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let mut f = AuditFilter::default();
    for (k, v) in &q {
        match k.as_str() {
            "subject" => f.subject = Some(v.clone()),
            "tenant" => f.tenant = Some(v.clone()),
            "method" => f.method = Some(v.to_ascii_uppercase()),
            "path" => f.path = Some(v.clone()),
            "xname" => f.xname = Some(v.clone()),
            "outcome" => f.outcome = Some(v.parse().map_err(ApiError::bad_request)?),
            "since" => f.since_millis = Some(millis(v, "since")?),
            "until" => f.until_millis = Some(millis(v, "until")?),
            "after" => f.after = Some(number(v, "after")?),
            "limit" => f.limit = number(v, "limit")?,
            "order" => {
                f.newest_first = match v.as_str() {
                    "asc" => false,
                    "desc" => true,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "order '{other}' is not valid: use asc (oldest first) or desc"
                        )))
                    }
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter '{other}': use subject, tenant, method, path, \
                     xname, outcome, since, until, after, limit or order"
                )))
            }
        }
    }
    if let Some(t) = scope.tenant() {
        if f.tenant.as_deref().is_some_and(|want| want != t) {
            return Err(ApiError::forbidden(format!(
                "acting for tenant '{t}', the audit log of another tenant is out of reach"
            )));
        }
        f.tenant = Some(t.to_string());
    }
    Ok(Json(st.core.audit.list(f).await?))
}
