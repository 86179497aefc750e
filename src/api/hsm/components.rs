//! `State/Components`: SMD's components with their PATCH sub-resources, bulk operations and
//! queries.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{message, Message, S};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{Body, QueryPairs, XnamePath};
use crate::api::AppState;
use crate::model::component::{
    Component, ComponentChange, ComponentInput, FieldSelect, InputError,
};
use crate::model::enums::Flag;
use crate::model::filter::{
    expand_ids_within, parse_nid_ranges, Budget, ComponentFilter, FilterBuilder,
};
use crate::model::xname::Xname;
use crate::service::inventory::no_such_xname;
use crate::service::scope::Scope;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(
            list_components,
            post_components,
            delete_all_components
        ))
        .routes(routes!(get_component, put_component, delete_component))
        .routes(routes!(get_component_by_nid))
        .routes(routes!(patch_state_data))
        .routes(routes!(patch_flag_only))
        .routes(routes!(patch_enabled))
        .routes(routes!(patch_software_status))
        .routes(routes!(patch_role))
        .routes(routes!(patch_nid))
        .routes(routes!(bulk_state_data))
        .routes(routes!(bulk_flag_only))
        .routes(routes!(bulk_enabled))
        .routes(routes!(bulk_software_status))
        .routes(routes!(bulk_role))
        .routes(routes!(bulk_nid))
        .routes(routes!(query_components))
        .routes(routes!(query_component_get))
        .routes(routes!(query_by_nid))
}

/// A list of components (`ComponentArray_ComponentArray`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ComponentArray {
    /// The components.
    #[serde(rename = "Components")]
    pub components: Vec<Component>,
}

/// Refuses a body `ID` that names another component than the path does.
fn same_id(path: &Xname, given: Option<&str>) -> Result<(), ApiError> {
    match given.filter(|g| !g.is_empty()) {
        None => Ok(()),
        Some(g) if Xname::parse(g).is_ok_and(|g| &g == path) => Ok(()),
        Some(g) => Err(ApiError::bad_request(format!(
            "ID in URL ({path}) and body ({g}) do not match"
        ))),
    }
}

fn input_error(e: InputError) -> ApiError {
    ApiError::bad_request(e.0)
}

// ---------------------------------------------------------------------------------------------
// Components

pub(super) fn filter_from_pairs(
    pairs: &[(String, String)],
) -> Result<(ComponentFilter, FieldSelect), ApiError> {
    let mut b = FilterBuilder::default();
    for (k, v) in pairs {
        b.add(k, v).map_err(input_error)?;
    }
    Ok(b.build())
}

/// List components, filtered (fields AND, repeated values OR, `!value` negates). Chami
/// extension: `id` may be a hostlist such as `x1000c0s[0-3]b0n0`.
#[utoipa::path(get, path = "/State/Components", tag = "component",
    params(
        ("id" = Option<String>, Query, description = "xname or hostlist; repeatable"),
        ("type" = Option<String>, Query), ("state" = Option<String>, Query),
        ("flag" = Option<String>, Query), ("role" = Option<String>, Query),
        ("subrole" = Option<String>, Query), ("enabled" = Option<String>, Query),
        ("softwarestatus" = Option<String>, Query), ("subtype" = Option<String>, Query),
        ("arch" = Option<String>, Query), ("class" = Option<String>, Query),
        ("nid" = Option<String>, Query), ("nid_start" = Option<String>, Query),
        ("nid_end" = Option<String>, Query), ("locked" = Option<bool>, Query),
        ("reservation_disabled" = Option<bool>, Query), ("partition" = Option<String>, Query),
        ("group" = Option<String>, Query), ("stateonly" = Option<bool>, Query),
        ("flagonly" = Option<bool>, Query), ("roleonly" = Option<bool>, Query),
        ("nidonly" = Option<bool>, Query)),
    responses((status = 200, body = ComponentArray), (status = 400, body = Problem)))]
async fn list_components(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<ComponentArray>, ApiError> {
    let (filter, fields) = filter_from_pairs(&q)?;
    let mut components = st.core.inventory.list(&filter, fields).await?;
    scope.retain(&mut components, |c| c.id.as_str());
    Ok(Json(ComponentArray { components }))
}

/// Body of `POST /State/Components`.
#[derive(Debug, Deserialize, ToSchema)]
struct ComponentsPost {
    #[serde(rename = "Components", default)]
    components: Vec<ComponentInput>,
    #[serde(rename = "Force", default)]
    force: bool,
}

/// Create components; existing ones change only with Force (State, Flag, Subtype, NetType,
/// Arch, Class).
#[utoipa::path(post, path = "/State/Components", tag = "component",
    request_body = ComponentsPost,
    responses((status = 204), (status = 400, body = Problem)))]
async fn post_components(
    State(st): S,
    Body(body): Body<ComponentsPost>,
) -> Result<StatusCode, ApiError> {
    if body.components.is_empty() {
        return Err(ApiError::bad_request(
            "missing Components: the array is empty",
        ));
    }
    let comps = body
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| c.validate(&format!("Components[{i}]")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::bad_request(format!("couldn't validate components: {e}")))?;
    st.core.inventory.upsert(comps, body.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete every component.
#[utoipa::path(delete, path = "/State/Components", tag = "component",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_all_components(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.inventory.delete_all().await?;
    Ok(message(format!("deleted {n} entries")))
}

/// One component.
#[utoipa::path(get, path = "/State/Components/{xname}", tag = "component",
    params(("xname" = String, Path)),
    responses((status = 200, body = Component), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn get_component(
    State(st): S,
    Extension(scope): Extension<Scope>,
    XnamePath(id): XnamePath,
) -> Result<Json<Component>, ApiError> {
    scope.hide(id.as_str(), || no_such_xname(&id))?;
    Ok(Json(st.core.inventory.get(&id).await?))
}

/// Body of `PUT /State/Components/{xname}`.
#[derive(Debug, Deserialize, ToSchema)]
struct ComponentPut {
    #[serde(rename = "Component")]
    component: ComponentInput,
    #[serde(rename = "Force", default)]
    force: bool,
}

/// Create or (with Force) overwrite one component.
#[utoipa::path(put, path = "/State/Components/{xname}", tag = "component",
    params(("xname" = String, Path)), request_body = ComponentPut,
    responses((status = 204), (status = 400, body = Problem)))]
async fn put_component(
    State(st): S,
    XnamePath(id): XnamePath,
    Body(mut body): Body<ComponentPut>,
) -> Result<StatusCode, ApiError> {
    same_id(&id, body.component.id.as_deref())?;
    body.component.id = Some(id.to_string());
    let comp = body
        .component
        .validate("Component")
        .map_err(|e| ApiError::bad_request(format!("couldn't validate component: {e}")))?;
    st.core.inventory.upsert(vec![comp], body.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete one component.
#[utoipa::path(delete, path = "/State/Components/{xname}", tag = "component",
    params(("xname" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn delete_component(
    State(st): S,
    XnamePath(id): XnamePath,
) -> Result<Json<Message>, ApiError> {
    st.core.inventory.delete(&id).await?;
    Ok(message("deleted 1 entry"))
}

/// The component with a NID.
#[utoipa::path(get, path = "/State/Components/ByNID/{nid}", tag = "component",
    params(("nid" = String, Path)),
    responses((status = 200, body = Component), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn get_component_by_nid(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(nid): Path<String>,
) -> Result<Json<Component>, ApiError> {
    let nid: i64 = nid
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request(format!("NID '{nid}' is not an integer")))?;
    Ok(Json(st.core.inventory.get_by_nid(nid, &scope).await?))
}

// ---------------------------------------------------------------------------------------------
// PATCH bodies: one shape serves the single (`ID` optional) and bulk (`ComponentIDs`) forms.

/// Fields of every component PATCH body; each operation reads the ones it needs. SMD's
/// optional `ExtendedInfo` note is accepted and not stored.
#[derive(Debug, Default, Deserialize, ToSchema)]
struct PatchBody {
    /// Bulk operations: the components to change (xnames or hostlists).
    #[serde(rename = "ComponentIDs", default)]
    component_ids: Vec<String>,
    /// Single operations: optional, must match the path.
    #[serde(rename = "ID", default)]
    id: Option<String>,
    #[serde(rename = "State", default)]
    state: Option<String>,
    #[serde(rename = "Flag", default)]
    flag: Option<String>,
    #[serde(rename = "Force", default)]
    force: bool,
    #[serde(rename = "Enabled", default)]
    enabled: Option<bool>,
    #[serde(rename = "SoftwareStatus", default)]
    software_status: Option<String>,
    #[serde(rename = "Role", default)]
    role: Option<String>,
    #[serde(rename = "SubRole", default)]
    subrole: Option<String>,
    #[serde(rename = "NID", default)]
    nid: Option<i64>,
}

/// Which PATCH operation a body is for.
#[derive(Debug, Clone, Copy)]
enum Op {
    StateData,
    FlagOnly,
    Enabled,
    SoftwareStatus,
    Role,
    Nid,
}

fn required<T: std::str::FromStr>(v: &Option<String>, field: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    match v.as_deref().map(str::trim) {
        None | Some("") => Err(ApiError::bad_request(format!("missing {field}"))),
        Some(s) => s.parse().map_err(|e| ApiError::bad_request(format!("{e}"))),
    }
}

impl PatchBody {
    fn change(&self, op: Op) -> Result<ComponentChange, ApiError> {
        Ok(match op {
            // SMD resets the flag to OK when a state change does not name one.
            Op::StateData => ComponentChange::State {
                state: required(&self.state, "State")?,
                flag: match self.flag.as_deref() {
                    None | Some("") => Flag::Ok,
                    Some(_) => required(&self.flag, "Flag")?,
                },
            },
            Op::FlagOnly => ComponentChange::Flag(required(&self.flag, "Flag")?),
            Op::Enabled => ComponentChange::Enabled(
                self.enabled
                    .ok_or_else(|| ApiError::bad_request("missing Enabled (true or false)"))?,
            ),
            Op::SoftwareStatus => ComponentChange::SoftwareStatus(
                self.software_status
                    .clone()
                    .ok_or_else(|| ApiError::bad_request("missing SoftwareStatus"))?,
            ),
            Op::Role => ComponentChange::Role {
                role: required(&self.role, "Role")?,
                subrole: match self.subrole.as_deref() {
                    None | Some("") => None,
                    Some(_) => Some(required(&self.subrole, "SubRole")?),
                },
            },
            Op::Nid => ComponentChange::Nid(
                self.nid
                    .ok_or_else(|| ApiError::bad_request("missing NID (an integer)"))?,
            ),
        })
    }
}

async fn patch_one(
    st: &AppState,
    id: Xname,
    body: PatchBody,
    op: Op,
) -> Result<StatusCode, ApiError> {
    same_id(&id, body.id.as_deref())?;
    let change = body.change(op)?;
    st.core.inventory.update(&[id], change, body.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn patch_bulk(st: &AppState, body: PatchBody, op: Op) -> Result<StatusCode, ApiError> {
    if body.component_ids.is_empty() {
        return Err(ApiError::bad_request(
            "missing ComponentIDs: name at least one component",
        ));
    }
    let mut ids = Vec::with_capacity(body.component_ids.len());
    let mut budget = Budget::default();
    for raw in &body.component_ids {
        ids.extend(expand_ids_within(raw, &mut budget).map_err(input_error)?);
    }
    ids.sort();
    ids.dedup();
    let change = body.change(op)?;
    st.core.inventory.update(&ids, change, body.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

macro_rules! patch_handlers {
    ($($single:ident, $bulk:ident, $op:expr, $sub:literal, $bulkpath:literal, $doc:literal;)*) => {$(
        #[doc = concat!("Set ", $doc, " of one component.")]
        #[utoipa::path(patch, path = concat!("/State/Components/{xname}/", $sub), tag = "component",
            params(("xname" = String, Path)), request_body = PatchBody,
            responses((status = 204), (status = 400, body = Problem), (status = 404, body = Problem),
                      (status = 409, body = Problem)))]
        async fn $single(State(st): S, XnamePath(id): XnamePath, Body(body): Body<PatchBody>)
            -> Result<StatusCode, ApiError> {
            patch_one(&st, id, body, $op).await
        }

        #[doc = concat!("Set ", $doc, " of many components at once, all or nothing.")]
        #[utoipa::path(patch, path = $bulkpath, tag = "component", request_body = PatchBody,
            responses((status = 204), (status = 400, body = Problem), (status = 404, body = Problem),
                      (status = 409, body = Problem)))]
        async fn $bulk(State(st): S, Body(body): Body<PatchBody>) -> Result<StatusCode, ApiError> {
            patch_bulk(&st, body, $op).await
        }
    )*};
}

patch_handlers! {
    patch_state_data, bulk_state_data, Op::StateData, "StateData", "/State/Components/BulkStateData", "State and Flag";
    patch_flag_only, bulk_flag_only, Op::FlagOnly, "FlagOnly", "/State/Components/BulkFlagOnly", "the Flag";
    patch_enabled, bulk_enabled, Op::Enabled, "Enabled", "/State/Components/BulkEnabled", "Enabled";
    patch_software_status, bulk_software_status, Op::SoftwareStatus, "SoftwareStatus", "/State/Components/BulkSoftwareStatus", "SoftwareStatus";
    patch_role, bulk_role, Op::Role, "Role", "/State/Components/BulkRole", "Role and SubRole";
}

/// Set the NID of one node.
#[utoipa::path(patch, path = "/State/Components/{xname}/NID", tag = "component",
    params(("xname" = String, Path)), request_body = PatchBody,
    responses((status = 204), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_nid(
    State(st): S,
    XnamePath(id): XnamePath,
    Body(body): Body<PatchBody>,
) -> Result<StatusCode, ApiError> {
    patch_one(&st, id, body, Op::Nid).await
}

/// One entry of a BulkNID body.
#[derive(Debug, Deserialize, ToSchema)]
struct NidEntry {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "NID")]
    nid: Option<i64>,
}

/// Body of BulkNID.
#[derive(Debug, Deserialize, ToSchema)]
struct BulkNidBody {
    #[serde(rename = "Components", default)]
    components: Vec<NidEntry>,
}

/// Set the NID of each listed node, all or nothing.
#[utoipa::path(patch, path = "/State/Components/BulkNID", tag = "component",
    request_body = BulkNidBody,
    responses((status = 204), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn bulk_nid(State(st): S, Body(body): Body<BulkNidBody>) -> Result<StatusCode, ApiError> {
    let mut pairs = Vec::with_capacity(body.components.len());
    for (i, e) in body.components.iter().enumerate() {
        let id = Xname::parse(&e.id)
            .map_err(|err| ApiError::bad_request(format!("Components[{i}]: {err}")))?;
        let nid = e.nid.ok_or_else(|| {
            ApiError::bad_request(format!("Components[{i}]: missing NID for '{id}'"))
        })?;
        pairs.push((id, nid));
    }
    st.core.inventory.set_nids(pairs).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Queries

/// Adds the filter keys of a query body (strings, booleans or arrays of them) to a builder.
pub(super) fn filter_from_body(
    body: &serde_json::Map<String, Value>,
    skip: &[&str],
) -> Result<(ComponentFilter, FieldSelect), ApiError> {
    let mut b = FilterBuilder::default();
    for (k, v) in body {
        if skip.iter().any(|s| s.eq_ignore_ascii_case(k)) {
            continue;
        }
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let text = match item {
                Value::String(s) => s.clone(),
                Value::Bool(x) => x.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Null => continue,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "'{k}' must be a string or an array of strings"
                    )))
                }
            };
            b.add(k, &text).map_err(input_error)?;
        }
    }
    Ok(b.build())
}

pub(super) fn string_list(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Vec<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::bad_request(format!("{key} must be an array of strings"))
                })
            })
            .collect(),
        Some(_) => Err(ApiError::bad_request(format!(
            "{key} must be an array of strings"
        ))),
    }
}

/// Components at or below the listed xnames (`s0`/`all`: everything), with optional filters.
#[utoipa::path(post, path = "/State/Components/Query", tag = "component",
    request_body(content = Object, description = "ComponentIDs plus optional filters as in the GET"),
    responses((status = 200, body = ComponentArray), (status = 400, body = Problem)))]
async fn query_components(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Body(body): Body<serde_json::Map<String, Value>>,
) -> Result<Json<ComponentArray>, ApiError> {
    let roots = string_list(&body, "ComponentIDs")?;
    if roots.is_empty() {
        return Err(ApiError::bad_request(
            "missing ComponentIDs: name at least one component",
        ));
    }
    let (filter, fields) = filter_from_body(&body, &["ComponentIDs"])?;
    let mut components = st
        .core
        .inventory
        .list_below(&roots, &filter, fields)
        .await?;
    scope.retain(&mut components, |c| c.id.as_str());
    Ok(Json(ComponentArray { components }))
}

/// Components at or below `{xname}` (`s0`/`all`: everything), filtered as in the GET.
#[utoipa::path(get, path = "/State/Components/Query/{xname}", tag = "component",
    params(("xname" = String, Path)),
    responses((status = 200, body = ComponentArray), (status = 400, body = Problem)))]
async fn query_component_get(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(root): Path<String>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<ComponentArray>, ApiError> {
    let (filter, fields) = filter_from_pairs(&q)?;
    let mut components = st
        .core
        .inventory
        .list_below(&[root], &filter, fields)
        .await?;
    scope.retain(&mut components, |c| c.id.as_str());
    Ok(Json(ComponentArray { components }))
}

/// Components whose NIDs fall in the given ranges (`"0-24"`, `"2"`).
#[utoipa::path(post, path = "/State/Components/ByNID/Query", tag = "component",
    request_body(content = Object, description = "NIDRanges plus optional partition and field selection"),
    responses((status = 200, body = ComponentArray), (status = 400, body = Problem)))]
async fn query_by_nid(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Body(body): Body<serde_json::Map<String, Value>>,
) -> Result<Json<ComponentArray>, ApiError> {
    let ranges = parse_nid_ranges(&string_list(&body, "NIDRanges")?).map_err(input_error)?;
    if ranges.is_empty() {
        return Err(ApiError::bad_request(
            "missing NIDRanges: give at least one range such as \"0-24\"",
        ));
    }
    let (mut filter, fields) = filter_from_body(&body, &["NIDRanges"])?;
    // One pass over the span of all ranges, then keep the NIDs inside any of them.
    filter.nid_start = ranges.iter().map(|r| r.0).min();
    filter.nid_end = ranges.iter().map(|r| r.1).max();
    let mut out = st.core.inventory.list(&filter, FieldSelect::All).await?;
    scope.retain(&mut out, |c| c.id.as_str());
    out.retain(|c| {
        c.nid
            .is_some_and(|n| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&n)))
    });
    let out = out.into_iter().map(|c| c.select(fields)).collect();
    Ok(Json(ComponentArray { components: out }))
}
