//! `groups`, `partitions` and `memberships`: SMD's named sets of components.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::components::filter_from_pairs;
use super::{created, message, Message, ResourceUri, S};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{Body, QueryPairs, XnamePath};
use crate::api::AppState;
use crate::model::group::SetFilter;
use crate::model::group::{Group, Members, Membership, Partition, SetPatch};
use crate::model::xname::Xname;
use crate::service::groups::{label as group_label, no_group, no_partition, partition_name};
use crate::service::inventory::no_such_xname;
use crate::service::scope::Scope;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, post_group))
        .routes(routes!(group_labels))
        .routes(routes!(get_group, delete_group, patch_group))
        .routes(routes!(
            get_group_members,
            post_group_member,
            put_group_members
        ))
        .routes(routes!(delete_group_member))
        .routes(routes!(list_partitions, post_partition))
        .routes(routes!(partition_names))
        .routes(routes!(get_partition, delete_partition, patch_partition))
        .routes(routes!(get_partition_members, post_partition_member))
        .routes(routes!(delete_partition_member))
        .routes(routes!(list_memberships))
        .routes(routes!(get_membership))
}

/// Body naming one new member (`MemberID`).
#[derive(Debug, Deserialize, ToSchema)]
struct MemberId {
    #[schema(value_type = String)]
    id: Xname,
}

/// Body setting a whole member list (`MemberList`).
#[derive(Debug, Deserialize, ToSchema)]
struct MemberList {
    /// The group's label; when given it must match the path.
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    ids: Vec<Xname>,
}

/// The `group`/`partition` and `tag` query parameters of a set listing.
fn set_filter(
    pairs: &[(String, String)],
    key: &str,
    norm: fn(&str) -> Result<String, crate::service::ServiceError>,
) -> Result<SetFilter, ApiError> {
    let mut f = SetFilter::default();
    for (k, v) in pairs {
        if k == key {
            f.names.push(norm(v)?);
        } else if k == "tag" {
            f.tags.push(
                crate::model::group::normalize_label(v, "tag")
                    .map_err(|e| ApiError::bad_request(e.0))?,
            );
        } else {
            return Err(ApiError::bad_request(format!(
                "bad query param: unknown parameter '{k}' (use {key} or tag)"
            )));
        }
    }
    Ok(f)
}

/// The optional `partition` query parameter of a group read.
fn partition_param(pairs: &[(String, String)]) -> Result<Option<String>, ApiError> {
    let mut found = None;
    for (k, v) in pairs {
        if k != "partition" {
            return Err(ApiError::bad_request(format!(
                "bad query param: unknown parameter '{k}' (use partition)"
            )));
        }
        found = Some(v.clone());
    }
    Ok(found)
}

fn label_path(raw: &str) -> Result<String, ApiError> {
    Ok(group_label(raw)?)
}

fn member_path(raw: &str) -> Result<Xname, ApiError> {
    Xname::parse(raw).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// For a tenant, refuses a change to group `label` unless its members and `adding` are all
/// the tenant's: a change may not cross tenants. A group holding none of the tenant's nodes is
/// answered as one that does not exist, and foreign members in `adding` as unknown ones.
async fn guard_group(
    st: &AppState,
    scope: &Scope,
    label: &str,
    adding: &[Xname],
) -> Result<(), ApiError> {
    if scope.tenant().is_some() {
        let g = st.core.groups.get(label).await?;
        let mut seen = g.members.ids.clone();
        if !scope.narrow(&mut seen) {
            return Err(no_group(label).into());
        }
        scope.check_held(&format!("group {label}"), &g.members.ids)?;
        st.core.groups.refuse_foreign(scope, adding).await?;
    }
    Ok(())
}

/// As [`guard_group`], for partition `name`.
async fn guard_partition(
    st: &AppState,
    scope: &Scope,
    name: &str,
    adding: &[Xname],
) -> Result<(), ApiError> {
    if scope.tenant().is_some() {
        let p = st.core.groups.partition(name).await?;
        let mut seen = p.members.ids.clone();
        if !scope.narrow(&mut seen) {
            return Err(no_partition(name).into());
        }
        scope.check_held(&format!("partition {name}"), &p.members.ids)?;
        st.core.groups.refuse_foreign(scope, adding).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Groups

/// List groups (`group` and `tag` repeatable; values within one parameter OR).
#[utoipa::path(get, path = "/groups", tag = "group",
    params(("group" = Option<String>, Query), ("tag" = Option<String>, Query)),
    responses((status = 200, body = Vec<Group>), (status = 400, body = Problem)))]
async fn list_groups(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Vec<Group>>, ApiError> {
    let filter = set_filter(&q, "group", group_label)?;
    let mut groups = st.core.groups.list(&filter).await?;
    groups.retain_mut(|g| scope.narrow(&mut g.members.ids));
    Ok(Json(groups))
}

/// Create a group with its members.
#[utoipa::path(post, path = "/groups", tag = "group", request_body = Group,
    responses((status = 201, body = Vec<ResourceUri>), (status = 400, body = Problem),
        (status = 409, body = Problem)))]
async fn post_group(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Body(group): Body<Group>,
) -> Result<(StatusCode, Json<Vec<ResourceUri>>), ApiError> {
    let label = st.core.groups.create(group, &scope).await?;
    Ok(created(vec![format!("/hsm/v2/groups/{label}")]))
}

/// Every group label.
#[utoipa::path(get, path = "/groups/labels", tag = "group",
    responses((status = 200, body = Vec<String>)))]
async fn group_labels(
    State(st): S,
    Extension(scope): Extension<Scope>,
) -> Result<Json<Vec<String>>, ApiError> {
    if scope.tenant().is_none() {
        return Ok(Json(st.core.groups.labels().await?));
    }
    let mut groups = st.core.groups.list(&SetFilter::default()).await?;
    groups.retain_mut(|g| scope.narrow(&mut g.members.ids));
    Ok(Json(groups.into_iter().map(|g| g.label).collect()))
}

/// One group; `partition` keeps only members in that partition (`NULL`: in none).
#[utoipa::path(get, path = "/groups/{group_label}", tag = "group",
    params(("group_label" = String, Path), ("partition" = Option<String>, Query)),
    responses((status = 200, body = Group), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_group(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Group>, ApiError> {
    let partition = partition_param(&q)?;
    let label = label_path(&raw)?;
    let mut group = st.core.groups.get(&label).await?;
    if !scope.narrow(&mut group.members.ids) {
        return Err(no_group(&label).into());
    }
    if let Some(p) = partition {
        let ids = std::mem::take(&mut group.members.ids);
        group.members.ids = st.core.groups.in_partition(ids, &p).await?;
    }
    Ok(Json(group))
}

/// Delete a group (its members stay as components).
#[utoipa::path(delete, path = "/groups/{group_label}", tag = "group",
    params(("group_label" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_group(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let label = label_path(&raw)?;
    guard_group(&st, &scope, &label, &[]).await?;
    st.core.groups.delete(&label).await?;
    Ok(message("deleted 1 entry"))
}

/// Change a group's description and/or tags.
#[utoipa::path(patch, path = "/groups/{group_label}", tag = "group",
    params(("group_label" = String, Path)), request_body = SetPatch,
    responses((status = 204), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_group(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
    Body(patch): Body<SetPatch>,
) -> Result<StatusCode, ApiError> {
    let label = label_path(&raw)?;
    guard_group(&st, &scope, &label, &[]).await?;
    st.core.groups.update(&label, patch).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A group's members; `partition` keeps only members in that partition (`NULL`: in none).
#[utoipa::path(get, path = "/groups/{group_label}/members", tag = "group",
    params(("group_label" = String, Path), ("partition" = Option<String>, Query)),
    responses((status = 200, body = Members), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_group_members(
    State(st): S,
    scope: Extension<Scope>,
    path: Path<String>,
    query: QueryPairs,
) -> Result<Json<Members>, ApiError> {
    let Json(group) = get_group(State(st), scope, path, query).await?;
    Ok(Json(group.members))
}

/// Add one member.
#[utoipa::path(post, path = "/groups/{group_label}/members", tag = "group",
    params(("group_label" = String, Path)), request_body = MemberId,
    responses((status = 201, body = Vec<ResourceUri>), (status = 400, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn post_group_member(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
    Body(body): Body<MemberId>,
) -> Result<(StatusCode, Json<Vec<ResourceUri>>), ApiError> {
    let label = label_path(&raw)?;
    guard_group(&st, &scope, &label, std::slice::from_ref(&body.id)).await?;
    st.core
        .groups
        .add_members(&label, vec![body.id.clone()])
        .await?;
    Ok(created(vec![format!(
        "/hsm/v2/groups/{label}/members/{}",
        body.id
    )]))
}

/// Set the whole member list: listed xnames stay or are added, the rest are removed.
#[utoipa::path(put, path = "/groups/{group_label}/members", tag = "group",
    params(("group_label" = String, Path)), request_body = MemberList,
    responses((status = 201, body = Vec<ResourceUri>), (status = 400, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn put_group_members(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
    Body(body): Body<MemberList>,
) -> Result<(StatusCode, Json<Vec<ResourceUri>>), ApiError> {
    let label = label_path(&raw)?;
    guard_group(&st, &scope, &label, &body.ids).await?;
    if let Some(g) = body.group.as_deref().filter(|g| !g.is_empty()) {
        if group_label(g)? != label {
            return Err(ApiError::bad_request(format!(
                "group in URL ({label}) and body ({g}) do not match"
            )));
        }
    }
    st.core.groups.set_members(&label, body.ids).await?;
    let group = st.core.groups.get(&label).await?;
    Ok(created(
        group
            .members
            .ids
            .iter()
            .map(|id| format!("/hsm/v2/groups/{label}/members/{id}"))
            .collect(),
    ))
}

/// Remove one member.
#[utoipa::path(delete, path = "/groups/{group_label}/members/{xname_id}", tag = "group",
    params(("group_label" = String, Path), ("xname_id" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_group_member(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path((raw, member)): Path<(String, String)>,
) -> Result<Json<Message>, ApiError> {
    let label = label_path(&raw)?;
    let id = member_path(&member)?;
    guard_group(&st, &scope, &label, &[]).await?;
    st.core.groups.remove_member(&label, &id).await?;
    Ok(message("deleted 1 entry"))
}

// ---------------------------------------------------------------------------------------------
// Partitions

fn name_path(raw: &str) -> Result<String, ApiError> {
    Ok(partition_name(raw)?)
}

/// List partitions (`partition` and `tag` repeatable; values within one parameter OR).
#[utoipa::path(get, path = "/partitions", tag = "partition",
    params(("partition" = Option<String>, Query), ("tag" = Option<String>, Query)),
    responses((status = 200, body = Vec<Partition>), (status = 400, body = Problem)))]
async fn list_partitions(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Vec<Partition>>, ApiError> {
    let filter = set_filter(&q, "partition", partition_name)?;
    let mut parts = st.core.groups.partitions(&filter).await?;
    parts.retain_mut(|p| scope.narrow(&mut p.members.ids));
    Ok(Json(parts))
}

/// Create a partition with its members.
#[utoipa::path(post, path = "/partitions", tag = "partition", request_body = Partition,
    responses((status = 201, body = Vec<ResourceUri>), (status = 400, body = Problem),
        (status = 409, body = Problem)))]
async fn post_partition(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Body(partition): Body<Partition>,
) -> Result<(StatusCode, Json<Vec<ResourceUri>>), ApiError> {
    let name = st.core.groups.create_partition(partition, &scope).await?;
    Ok(created(vec![format!("/hsm/v2/partitions/{name}")]))
}

/// Every partition name.
#[utoipa::path(get, path = "/partitions/names", tag = "partition",
    responses((status = 200, body = Vec<String>)))]
async fn partition_names(
    State(st): S,
    Extension(scope): Extension<Scope>,
) -> Result<Json<Vec<String>>, ApiError> {
    if scope.tenant().is_none() {
        return Ok(Json(st.core.groups.partition_names().await?));
    }
    let mut parts = st.core.groups.partitions(&SetFilter::default()).await?;
    parts.retain_mut(|p| scope.narrow(&mut p.members.ids));
    Ok(Json(parts.into_iter().map(|p| p.name).collect()))
}

/// One partition.
#[utoipa::path(get, path = "/partitions/{partition_name}", tag = "partition",
    params(("partition_name" = String, Path)),
    responses((status = 200, body = Partition), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_partition(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
) -> Result<Json<Partition>, ApiError> {
    let name = name_path(&raw)?;
    let mut p = st.core.groups.partition(&name).await?;
    if !scope.narrow(&mut p.members.ids) {
        return Err(no_partition(&name).into());
    }
    Ok(Json(p))
}

/// Delete a partition (its members stay as components).
#[utoipa::path(delete, path = "/partitions/{partition_name}", tag = "partition",
    params(("partition_name" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_partition(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let name = name_path(&raw)?;
    guard_partition(&st, &scope, &name, &[]).await?;
    st.core.groups.delete_partition(&name).await?;
    Ok(message("deleted 1 entry"))
}

/// Change a partition's description and/or tags.
#[utoipa::path(patch, path = "/partitions/{partition_name}", tag = "partition",
    params(("partition_name" = String, Path)), request_body = SetPatch,
    responses((status = 204), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_partition(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
    Body(patch): Body<SetPatch>,
) -> Result<StatusCode, ApiError> {
    let name = name_path(&raw)?;
    guard_partition(&st, &scope, &name, &[]).await?;
    st.core.groups.update_partition(&name, patch).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A partition's members.
#[utoipa::path(get, path = "/partitions/{partition_name}/members", tag = "partition",
    params(("partition_name" = String, Path)),
    responses((status = 200, body = Members), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_partition_members(
    State(st): S,
    scope: Extension<Scope>,
    path: Path<String>,
) -> Result<Json<Members>, ApiError> {
    let Json(p) = get_partition(State(st), scope, path).await?;
    Ok(Json(p.members))
}

/// Add one member; a component in another partition is refused.
#[utoipa::path(post, path = "/partitions/{partition_name}/members", tag = "partition",
    params(("partition_name" = String, Path)), request_body = MemberId,
    responses((status = 201, body = Vec<ResourceUri>), (status = 400, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn post_partition_member(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
    Body(body): Body<MemberId>,
) -> Result<(StatusCode, Json<Vec<ResourceUri>>), ApiError> {
    let name = name_path(&raw)?;
    guard_partition(&st, &scope, &name, std::slice::from_ref(&body.id)).await?;
    st.core
        .groups
        .add_partition_members(&name, vec![body.id.clone()])
        .await?;
    Ok(created(vec![format!(
        "/hsm/v2/partitions/{name}/members/{}",
        body.id
    )]))
}

/// Remove one member.
#[utoipa::path(delete, path = "/partitions/{partition_name}/members/{xname_id}",
    tag = "partition",
    params(("partition_name" = String, Path), ("xname_id" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_partition_member(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path((raw, member)): Path<(String, String)>,
) -> Result<Json<Message>, ApiError> {
    let name = name_path(&raw)?;
    let id = member_path(&member)?;
    guard_partition(&st, &scope, &name, &[]).await?;
    st.core.groups.remove_partition_member(&name, &id).await?;
    Ok(message("deleted 1 entry"))
}

// ---------------------------------------------------------------------------------------------
// Memberships

/// The groups and partition of every component matching the component filters.
#[utoipa::path(get, path = "/memberships", tag = "membership",
    params(("id" = Option<String>, Query), ("type" = Option<String>, Query),
        ("state" = Option<String>, Query), ("role" = Option<String>, Query),
        ("group" = Option<String>, Query), ("partition" = Option<String>, Query)),
    responses((status = 200, body = Vec<Membership>), (status = 400, body = Problem)))]
async fn list_memberships(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Vec<Membership>>, ApiError> {
    let (filter, _) = filter_from_pairs(&q)?;
    let mut found = st.core.groups.memberships(&filter).await?;
    scope.retain(&mut found, |m| m.id.as_str());
    Ok(Json(found))
}

/// The groups and partition of one component.
#[utoipa::path(get, path = "/memberships/{xname}", tag = "membership",
    params(("xname" = String, Path)),
    responses((status = 200, body = Membership), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_membership(
    State(st): S,
    Extension(scope): Extension<Scope>,
    XnamePath(id): XnamePath,
) -> Result<Json<Membership>, ApiError> {
    scope.hide(id.as_str(), || no_such_xname(&id))?;
    Ok(Json(st.core.groups.membership(&id).await?))
}
