//! Cloud-init data under `/metadata-service` (OpenCHAMI v0.2) and `/cloud-init` (the legacy
//! server's paths): node-facing `meta-data`, `user-data`, `vendor-data` and `{group}.yaml`,
//! answered for the node whose address asks (no token), and the admin's cluster defaults,
//! groups, instance info and impersonation (what a given node would get).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, OriginalUri, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{Body, XnamePath};
use super::AppState;
use crate::model::metadata::{ClusterDefaults, InstanceInfo, MetaGroup};
use crate::model::xname::Xname;

type S = State<Arc<AppState>>;
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// Whether a path is node-facing (no token): everything under the prefixes but `admin/`.
pub(crate) fn is_node_facing(path: &str) -> bool {
    ["/metadata-service/", "/cloud-init/"].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with("admin"))
    })
}

/// The routes under each prefix, documented.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(meta_data))
        .routes(routes!(user_data))
        .routes(routes!(vendor_data))
        .routes(routes!(group_file))
        .routes(routes!(get_defaults, set_defaults))
        .routes(routes!(get_instance, put_instance))
        .routes(routes!(list_groups, add_group))
        .routes(routes!(get_group, put_group, delete_group))
        .routes(routes!(as_meta_data))
        .routes(routes!(as_user_data))
        .routes(routes!(as_vendor_data))
        .routes(routes!(as_group_file))
}

/// The node-facing routes alone, for the plain-HTTP boot listener.
pub fn node_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/meta-data", axum::routing::get(meta_data))
        .route("/user-data", axum::routing::get(user_data))
        .route("/vendor-data", axum::routing::get(vendor_data))
        .route("/{file}", axum::routing::get(group_file))
        .layer(Extension(Plain))
}

fn yaml(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/x-yaml")], text).into_response()
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// The node the request speaks for.
async fn asker(st: &AppState, peer: Peer, headers: &HeaderMap) -> Result<Xname, ApiError> {
    let Some(Extension(ConnectInfo(addr))) = peer else {
        return Err(ApiError::bad_request(
            "the caller's address is unknown on this listener",
        ));
    };
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    Ok(st.core.metadata.who(addr.ip(), forwarded).await?)
}

/// Where the request came in, for vendor-data's includes when no base URL is set.
fn here(headers: &HeaderMap, uri: &OriginalUri, https: bool) -> String {
    let host = super::bss::safe_host(headers, &uri.0).unwrap_or("localhost");
    let path = uri.0.path();
    let prefix = path.rsplit_once('/').map_or("", |(p, _)| p);
    // Under impersonation the files are the node-facing ones, beside the prefix's root.
    let prefix = prefix
        .split_once("/admin/")
        .map_or(prefix, |(root, _)| root);
    format!("{}://{host}{prefix}", if https { "https" } else { "http" })
}

/// Marks a request that came in on the plain-HTTP boot listener.
#[derive(Debug, Clone, Copy)]
pub struct Plain;

/// The asking node's meta-data (YAML).
#[utoipa::path(get, path = "/meta-data", tag = "metadata", security(()),
    responses((status = 200, body = String, content_type = "application/x-yaml"),
        (status = 404, body = Problem)))]
async fn meta_data(State(st): S, peer: Peer, headers: HeaderMap) -> Result<Response, ApiError> {
    let id = asker(&st, peer, &headers).await?;
    Ok(yaml(st.core.metadata.meta_data(&id).await?))
}

/// The asking node's user-data (`#cloud-config`, as upstream).
#[utoipa::path(get, path = "/user-data", tag = "metadata", security(()),
    responses((status = 200, body = String), (status = 404, body = Problem)))]
async fn user_data(State(st): S, peer: Peer, headers: HeaderMap) -> Result<Response, ApiError> {
    asker(&st, peer, &headers).await?;
    Ok(text("#cloud-config".into()))
}

/// The asking node's vendor-data: an `#include` of its groups' files.
#[utoipa::path(get, path = "/vendor-data", tag = "metadata", security(()),
    responses((status = 200, body = String), (status = 404, body = Problem)))]
async fn vendor_data(
    State(st): S,
    peer: Peer,
    plain: Option<Extension<Plain>>,
    headers: HeaderMap,
    uri: OriginalUri,
) -> Result<Response, ApiError> {
    let id = asker(&st, peer, &headers).await?;
    let base = here(&headers, &uri, plain.is_none());
    Ok(text(st.core.metadata.vendor_data(&id, &base).await?))
}

/// The group's name in `{group}.yaml`.
fn group_of(file: &str) -> Result<&str, ApiError> {
    file.strip_suffix(".yaml")
        .filter(|g| !g.is_empty())
        .ok_or_else(|| {
            ApiError::not_found(format!("no such path: {file} (group files end in .yaml)"))
        })
}

/// A group's cloud-config file, for a node in the group.
#[utoipa::path(get, path = "/{file}", tag = "metadata", security(()),
    params(("file" = String, Path, description = "`GROUP.yaml`")),
    responses((status = 200, body = String, content_type = "application/x-yaml"),
        (status = 404, body = Problem)))]
async fn group_file(
    State(st): S,
    peer: Peer,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let group = group_of(&file)?;
    let id = asker(&st, peer, &headers).await?;
    Ok(yaml(st.core.metadata.group_file(&id, group).await?))
}

/// The cluster defaults.
#[utoipa::path(get, path = "/admin/cluster-defaults", tag = "metadata",
    responses((status = 200, body = ClusterDefaults)))]
async fn get_defaults(State(st): S) -> Result<Json<ClusterDefaults>, ApiError> {
    Ok(Json(st.core.metadata.defaults().await?))
}

/// Replace the cluster defaults.
#[utoipa::path(post, path = "/admin/cluster-defaults", tag = "metadata",
    request_body = ClusterDefaults,
    responses((status = 201), (status = 400, body = Problem)))]
async fn set_defaults(
    State(st): S,
    Body(d): Body<ClusterDefaults>,
) -> Result<StatusCode, ApiError> {
    st.core.metadata.set_defaults(&d).await?;
    Ok(StatusCode::CREATED)
}

/// A node's instance info.
#[utoipa::path(get, path = "/admin/instance-info/{id}", tag = "metadata",
    params(("id" = String, Path)),
    responses((status = 200, body = InstanceInfo), (status = 400, body = Problem)))]
async fn get_instance(
    State(st): S,
    XnamePath(id): XnamePath,
) -> Result<Json<InstanceInfo>, ApiError> {
    Ok(Json(st.core.metadata.instance(&id).await?))
}

/// Replace a node's instance info (its instance ID stays once set).
#[utoipa::path(put, path = "/admin/instance-info/{id}", tag = "metadata",
    params(("id" = String, Path)), request_body = InstanceInfo,
    responses((status = 201), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn put_instance(
    State(st): S,
    XnamePath(id): XnamePath,
    Body(inst): Body<InstanceInfo>,
) -> Result<StatusCode, ApiError> {
    st.core.metadata.set_instance(&id, inst).await?;
    Ok(StatusCode::CREATED)
}

/// Every group, by name (as upstream: an object keyed by name).
#[utoipa::path(get, path = "/admin/groups", tag = "metadata",
    responses((status = 200, body = Object)))]
async fn list_groups(
    State(st): S,
) -> Result<Json<serde_json::Map<String, serde_json::Value>>, ApiError> {
    let mut out = serde_json::Map::new();
    for g in st.core.metadata.groups().await? {
        let v = serde_json::to_value(&g)
            .map_err(|e| ApiError::from(crate::service::ServiceError::Internal(e.to_string())))?;
        out.insert(g.name.clone(), v);
    }
    Ok(Json(out))
}

/// Add a group (409 when the name is taken).
#[utoipa::path(post, path = "/admin/groups", tag = "metadata", request_body = MetaGroup,
    responses((status = 201), (status = 400, body = Problem), (status = 409, body = Problem)))]
async fn add_group(State(st): S, Body(g): Body<MetaGroup>) -> Result<Response, ApiError> {
    st.core.metadata.put_group(&g, true).await?;
    let location = format!("/groups/{}", g.name);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// One group.
#[utoipa::path(get, path = "/admin/groups/{name}", tag = "metadata",
    params(("name" = String, Path)),
    responses((status = 200, body = MetaGroup), (status = 404, body = Problem)))]
async fn get_group(State(st): S, Path(name): Path<String>) -> Result<Json<MetaGroup>, ApiError> {
    Ok(Json(st.core.metadata.group(&name).await?))
}

/// Replace a group (the body's name must be the path's).
#[utoipa::path(put, path = "/admin/groups/{name}", tag = "metadata",
    params(("name" = String, Path)), request_body = MetaGroup,
    responses((status = 201), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn put_group(
    State(st): S,
    Path(name): Path<String>,
    Body(mut g): Body<MetaGroup>,
) -> Result<Response, ApiError> {
    if g.name.is_empty() {
        g.name = name.clone();
    }
    if g.name != name {
        return Err(ApiError::bad_request(format!(
            "the body names group '{}', the path '{name}'",
            g.name
        )));
    }
    st.core.metadata.put_group(&g, false).await?;
    let location = format!("/groups/{name}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)]).into_response())
}

/// Delete a group.
#[utoipa::path(delete, path = "/admin/groups/{name}", tag = "metadata",
    params(("name" = String, Path)),
    responses((status = 200), (status = 404, body = Problem)))]
async fn delete_group(State(st): S, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    st.core.metadata.delete_group(&name).await?;
    Ok(StatusCode::OK)
}

/// What node `id` gets as meta-data.
#[utoipa::path(get, path = "/admin/impersonation/{id}/meta-data", tag = "metadata",
    params(("id" = String, Path)),
    responses((status = 200, body = String, content_type = "application/x-yaml"),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn as_meta_data(State(st): S, XnamePath(id): XnamePath) -> Result<Response, ApiError> {
    Ok(yaml(st.core.metadata.meta_data(&id).await?))
}

/// What node `id` gets as user-data.
#[utoipa::path(get, path = "/admin/impersonation/{id}/user-data", tag = "metadata",
    params(("id" = String, Path)),
    responses((status = 200, body = String), (status = 400, body = Problem)))]
async fn as_user_data(XnamePath(id): XnamePath) -> Response {
    let _ = id;
    text("#cloud-config".into())
}

/// What node `id` gets as vendor-data.
#[utoipa::path(get, path = "/admin/impersonation/{id}/vendor-data", tag = "metadata",
    params(("id" = String, Path)),
    responses((status = 200, body = String), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn as_vendor_data(
    State(st): S,
    XnamePath(id): XnamePath,
    headers: HeaderMap,
    uri: OriginalUri,
) -> Result<Response, ApiError> {
    let base = here(&headers, &uri, true);
    Ok(text(st.core.metadata.vendor_data(&id, &base).await?))
}

/// What node `id` gets as a group's file.
#[utoipa::path(get, path = "/admin/impersonation/{id}/{file}", tag = "metadata",
    params(("id" = String, Path), ("file" = String, Path, description = "`GROUP.yaml`")),
    responses((status = 200, body = String, content_type = "application/x-yaml"),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn as_group_file(
    State(st): S,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = Xname::parse(&id).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let group = group_of(&file)?;
    Ok(yaml(st.core.metadata.group_file(&id, group).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_facing_paths_are_all_but_admin() {
        assert!(is_node_facing("/metadata-service/meta-data"));
        assert!(is_node_facing("/cloud-init/compute.yaml"));
        assert!(!is_node_facing("/metadata-service/admin/groups"));
        assert!(!is_node_facing(
            "/cloud-init/admin/impersonation/x1c0s0b0n0/meta-data"
        ));
        assert!(!is_node_facing("/metadata-service/"));
        assert!(!is_node_facing("/hsm/v2/meta-data"));
    }
}
