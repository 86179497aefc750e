//! TAPMS's tenant API under `/apis/tapms/v1alpha3` (and `/apis/tapms/v1` as an alias): the
//! read paths as TAPMS has them, plus chami's admin writes (PUT, PATCH, DELETE) with
//! `If-Match` on `metadata.resourceVersion`. Responses carry the version as an ETag.

use std::sync::Arc;

use axum::extract::{Extension, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::Body;
use super::AppState;
use crate::model::tenant::{Tenant, TenantSpec};
use crate::service::auth::{Principal, Role};
use crate::service::scope::Scope;
use crate::service::tenants::Expect;

type S = State<Arc<AppState>>;

/// The routes, to be nested under `/apis/tapms/v1alpha3` and `/apis/tapms/v1`.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, owning))
        .routes(routes!(get_one, put, patch, delete))
}

fn tagged(t: Tenant, status: StatusCode) -> Response {
    let tag = format!("\"{}\"", t.metadata.resource_version);
    let mut resp = (status, Json(t)).into_response();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// `If-Match`: the resourceVersion last read, quoted or not.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v
        .to_str()
        .map_err(|_| ApiError::bad_request("If-Match header is not text"))?;
    let bare = text.trim().trim_start_matches("W/").trim_matches('"');
    bare.parse().map(Some).map_err(|_| {
        ApiError::bad_request(format!(
            "If-Match '{text}' is not a resourceVersion (a number, as in the ETag)"
        ))
    })
}

/// Tenant writes are for admins only (a service token may read and look up).
fn admin_only(p: &Option<Extension<Principal>>) -> Result<String, ApiError> {
    match p {
        None => Ok("anonymous".into()),
        Some(Extension(p)) if p.roles.contains(&Role::Admin) => Ok(p.subject.clone()),
        Some(Extension(p)) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "'{}' may not change tenants: this needs the admin role",
                p.subject
            ),
        )),
    }
}

/// Keeps the tenant a tenant context acts for (all without one).
fn own(scope: &Scope, tenants: &mut Vec<Tenant>) {
    if let Some(name) = scope.tenant() {
        tenants.retain(|t| t.metadata.name == name);
    }
}

/// A body is a Tenant (`{"spec": {...}}`) or a bare spec.
fn spec_of(body: Value) -> Value {
    match body {
        Value::Object(mut m) if m.contains_key("spec") => m.remove("spec").unwrap_or(Value::Null),
        other => other,
    }
}

/// Every tenant's spec and status.
#[utoipa::path(get, path = "/tenants", tag = "tenants",
    responses((status = 200, body = Vec<Tenant>)))]
async fn list(
    State(st): S,
    Extension(scope): Extension<Scope>,
) -> Result<Json<Vec<Tenant>>, ApiError> {
    let mut tenants = st.core.tenants.list().await?;
    own(&scope, &mut tenants);
    Ok(Json(tenants))
}

/// The tenants that hold any of the xnames in the body (a JSON array).
#[utoipa::path(post, path = "/tenants", tag = "tenants", request_body = Vec<String>,
    responses((status = 200, body = Vec<Tenant>), (status = 400, body = Problem)))]
async fn owning(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Body(xnames): Body<Vec<String>>,
) -> Result<Json<Vec<Tenant>>, ApiError> {
    if xnames.is_empty() {
        return Err(ApiError::bad_request(
            "the body must be a non-empty JSON array of xnames",
        ));
    }
    let mut tenants = st.core.tenants.owning(&xnames).await?;
    own(&scope, &mut tenants);
    Ok(Json(tenants))
}

/// One tenant by name or UUID.
#[utoipa::path(get, path = "/tenants/{id}", tag = "tenants", params(("id" = String, Path)),
    responses((status = 200, body = Tenant), (status = 404, body = Problem)))]
async fn get_one(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = st.core.tenants.get(&id).await?;
    if scope.tenant().is_some_and(|n| n != t.metadata.name) {
        return Err(ApiError::forbidden(format!(
            "acting for tenant '{}', '{id}' is another tenant",
            scope.tenant().unwrap_or_default()
        )));
    }
    Ok(tagged(t, StatusCode::OK))
}

/// Create tenant `{id}` (201), or replace its spec (200; `If-Match` the version read;
/// `If-None-Match: *` to create only).
#[utoipa::path(put, path = "/tenants/{id}", tag = "tenants",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    request_body = TenantSpec,
    responses((status = 200, body = Tenant), (status = 201, body = Tenant),
        (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem)))]
async fn put(
    State(st): S,
    Path(id): Path<String>,
    p: Option<Extension<Principal>>,
    headers: HeaderMap,
    Body(body): Body<Value>,
) -> Result<Response, ApiError> {
    admin_only(&p)?;
    let spec: TenantSpec = serde_json::from_value(spec_of(body))
        .map_err(|e| ApiError::bad_request(format!("tenant spec: {e}")))?;
    let expect = match (if_match(&headers)?, headers.get(header::IF_NONE_MATCH)) {
        (Some(v), _) => Expect::Version(v),
        (None, Some(v)) if v.as_bytes() == b"*" => Expect::Absent,
        (None, Some(v)) => {
            return Err(ApiError::bad_request(format!(
                "If-None-Match {v:?} is not supported: send * to create only"
            )))
        }
        (None, None) => Expect::Any,
    };
    let (t, created) = st.core.tenants.put(&id, spec, expect).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(tagged(t, status))
}

/// Merge-patch tenant `{id}`'s spec (RFC 7386).
#[utoipa::path(patch, path = "/tenants/{id}", tag = "tenants",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, description = "A merge patch of the spec (or of {\"spec\": ...})"),
    responses((status = 200, body = Tenant), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem)))]
async fn patch(
    State(st): S,
    Path(id): Path<String>,
    p: Option<Extension<Principal>>,
    headers: HeaderMap,
    Body(body): Body<Value>,
) -> Result<Response, ApiError> {
    admin_only(&p)?;
    let patch = spec_of(body);
    if !patch.is_object() {
        return Err(ApiError::bad_request("a merge patch must be a JSON object"));
    }
    let t = st
        .core
        .tenants
        .patch(&id, &patch, if_match(&headers)?)
        .await?;
    Ok(tagged(t, StatusCode::OK))
}

/// Delete tenant `{id}`: its groups go, its partition members are released, and nodes of
/// resources with `forcepoweroff` are powered off (the transition's ID is in the answer).
#[utoipa::path(delete, path = "/tenants/{id}", tag = "tenants",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = Object), (status = 400, body = Problem),
        (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem)))]
async fn delete(
    State(st): S,
    Path(id): Path<String>,
    p: Option<Extension<Principal>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let by = admin_only(&p)?;
    let transition = st
        .core
        .tenants
        .delete(&id, if_match(&headers)?, &by)
        .await?;
    Ok(Json(
        json!({"message": format!("tenant {id} deleted"), "transitionID": transition}),
    ))
}
