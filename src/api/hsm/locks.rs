//! SMD's locking v2 under `/hsm/v2/locks`: admin locks, admin and service reservations,
//! deputy-key checks and lock status. Every answer is 200 with per-component outcomes, as
//! SMD's handlers answer; a rigid request that cannot be carried out whole is a 400 naming
//! the refused components, and changes nothing.

use std::sync::Arc;

use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::components::{filter_from_body, filter_from_pairs, string_list};
use super::S;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{Body, QueryPairs};
use crate::api::AppState;
use crate::model::filter::{expand_ids_within, Budget, ComponentFilter};
use crate::model::locks::{
    ComponentIds, LockChange, LockStatusList, LockUpdate, ReservationResult, XnameKey,
    MAX_RESERVATION_MINUTES,
};
use crate::model::xname::Xname;
use crate::service::locks::StatusFilter;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(lock))
        .routes(routes!(unlock))
        .routes(routes!(repair))
        .routes(routes!(disable))
        .routes(routes!(admin_reserve))
        .routes(routes!(admin_remove))
        .routes(routes!(admin_release))
        .routes(routes!(service_reserve))
        .routes(routes!(service_release))
        .routes(routes!(service_renew))
        .routes(routes!(service_check))
        .routes(routes!(status_post, status_get))
}

/// Keys of a lock body that are not component filters.
const NOT_FILTERS: &[&str] = &[
    "ComponentIDs",
    "ProcessingModel",
    "ReservationDuration",
    "Locked",
    "Reserved",
    "ReservationDisabled",
];

/// `ProcessingModel`: absent or `rigid` is all or nothing, `flexible` best effort.
fn rigid(raw: Option<&str>) -> Result<bool, ApiError> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("rigid") => Ok(true),
        Some("flexible") => Ok(false),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid Processing Model '{other}': use rigid or flexible"
        ))),
    }
}

fn parse_ids(raw: &[String], field: &str) -> Result<Vec<Xname>, ApiError> {
    let mut out = Vec::new();
    let mut budget = Budget::default();
    for (i, r) in raw.iter().enumerate() {
        let ids = expand_ids_within(r, &mut budget)
            .map_err(|e| ApiError::bad_request(format!("{field}[{i}]: {}", e.0)))?;
        out.extend(ids);
    }
    Ok(out)
}

/// The component filter, processing model and duration of a lock body.
struct LockBody {
    filter: ComponentFilter,
    rigid: bool,
    duration: Option<i64>,
}

fn lock_body(body: &Map<String, Value>) -> Result<LockBody, ApiError> {
    let (mut filter, _) = filter_from_body(body, NOT_FILTERS)?;
    filter.ids = parse_ids(&string_list(body, "ComponentIDs")?, "ComponentIDs")?;
    let model = match body.get("ProcessingModel") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ApiError::bad_request("ProcessingModel must be a string")),
    };
    let duration = match body.get("ReservationDuration") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| {
            ApiError::bad_request("ReservationDuration must be a whole number of minutes")
        })?),
    };
    Ok(LockBody {
        filter,
        rigid: rigid(model)?,
        duration,
    })
}

/// A service reservation's minutes: 1 when absent, otherwise 1 to 15.
fn minutes(d: Option<i64>) -> Result<i64, ApiError> {
    match d.unwrap_or(1) {
        m if (1..=MAX_RESERVATION_MINUTES).contains(&m) => Ok(m),
        m => Err(ApiError::bad_request(format!(
            "Invalid Reservation Duration {m}: give 1 to {MAX_RESERVATION_MINUTES} minutes"
        ))),
    }
}

/// Components to lock, unlock, repair or disable: `ComponentIDs` and/or SMD's component
/// filters (`Type`, `State`, `Role`, `Group`, `Partition`, ...), and `ProcessingModel`.
// Only documents the body in the OpenAPI document; handlers read the body as a map.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
struct AdminLock {
    /// Xnames (or chami hostlists).
    #[serde(rename = "ComponentIDs")]
    component_ids: Option<Vec<String>>,
    /// `rigid` (default): all or nothing; `flexible`: best effort.
    #[serde(rename = "ProcessingModel")]
    processing_model: Option<String>,
}

async fn change(
    st: S,
    body: Map<String, Value>,
    c: LockChange,
) -> Result<Json<LockUpdate>, ApiError> {
    let b = lock_body(&body)?;
    Ok(Json(st.core.locks.change(&b.filter, c, b.rigid).await?))
}

/// Lock components (refused if locked, reserved or reservations are disabled).
#[utoipa::path(post, path = "/locks/lock", tag = "locking", request_body = AdminLock,
    responses((status = 200, body = LockUpdate), (status = 400, body = Problem)))]
async fn lock(st: S, Body(body): Body<Map<String, Value>>) -> Result<Json<LockUpdate>, ApiError> {
    change(st, body, LockChange::Lock).await
}

/// Unlock components (refused if unlocked, reserved or reservations are disabled).
#[utoipa::path(post, path = "/locks/unlock", tag = "locking", request_body = AdminLock,
    responses((status = 200, body = LockUpdate), (status = 400, body = Problem)))]
async fn unlock(st: S, Body(body): Body<Map<String, Value>>) -> Result<Json<LockUpdate>, ApiError> {
    change(st, body, LockChange::Unlock).await
}

/// Allow reservations on components again.
#[utoipa::path(post, path = "/locks/repair", tag = "locking", request_body = AdminLock,
    responses((status = 200, body = LockUpdate), (status = 400, body = Problem)))]
async fn repair(st: S, Body(body): Body<Map<String, Value>>) -> Result<Json<LockUpdate>, ApiError> {
    change(st, body, LockChange::Repair).await
}

/// Disable reservations on components, dropping any they hold; the lock is unchanged.
#[utoipa::path(post, path = "/locks/disable", tag = "locking", request_body = AdminLock,
    responses((status = 200, body = LockUpdate), (status = 400, body = Problem)))]
async fn disable(
    st: S,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<LockUpdate>, ApiError> {
    change(st, body, LockChange::Disable).await
}

/// Forcibly delete reservations, whatever their keys (the lock is unchanged).
#[utoipa::path(post, path = "/locks/reservations/remove", tag = "locking",
    request_body = AdminLock,
    responses((status = 200, body = LockUpdate), (status = 400, body = Problem)))]
async fn admin_remove(
    st: S,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<LockUpdate>, ApiError> {
    change(st, body, LockChange::Remove).await
}

/// Reserve locked components until released (the answer carries the keys).
#[utoipa::path(post, path = "/locks/reservations", tag = "locking", request_body = AdminLock,
    responses((status = 200, body = ReservationResult), (status = 400, body = Problem)))]
async fn admin_reserve(
    st: S,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<ReservationResult>, ApiError> {
    let b = lock_body(&body)?;
    Ok(Json(st.core.locks.reserve(&b.filter, None, b.rigid).await?))
}

/// Reserve unlocked components for `ReservationDuration` minutes (1 to 15, default 1).
#[utoipa::path(post, path = "/locks/service/reservations", tag = "locking",
    request_body = AdminLock,
    responses((status = 200, body = ReservationResult), (status = 400, body = Problem)))]
async fn service_reserve(
    st: S,
    Body(body): Body<Map<String, Value>>,
) -> Result<Json<ReservationResult>, ApiError> {
    let b = lock_body(&body)?;
    let m = minutes(b.duration)?;
    Ok(Json(
        st.core.locks.reserve(&b.filter, Some(m), b.rigid).await?,
    ))
}

/// Reservation keys to release or renew (`ReservedKeys`, `ReservedKeysWithRenewal`).
#[derive(Debug, Deserialize, ToSchema)]
struct ReservedKeys {
    /// Component and reservation key pairs.
    #[serde(rename = "ReservationKeys", default)]
    reservation_keys: Vec<XnameKey>,
    /// `rigid` (default) or `flexible`.
    #[serde(rename = "ProcessingModel", default)]
    processing_model: Option<String>,
    /// Minutes to renew for (renew only; 1 to 15, default 1).
    #[serde(rename = "ReservationDuration", default)]
    reservation_duration: Option<i64>,
}

fn keys(list: &[XnameKey], field: &str) -> Result<Vec<(Xname, String)>, ApiError> {
    if list.is_empty() {
        return Err(ApiError::bad_request(format!(
            "missing {field}: give at least one {{\"ID\", \"Key\"}}"
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, k)| {
            let id = Xname::parse(&k.id)
                .map_err(|e| ApiError::bad_request(format!("{field}[{i}].ID: {e}")))?;
            if k.key.is_empty() {
                return Err(ApiError::bad_request(format!("{field}[{i}].Key is empty")));
            }
            Ok((id, k.key.clone()))
        })
        .collect()
}

async fn release(st: S, body: ReservedKeys) -> Result<Json<LockUpdate>, ApiError> {
    let k = keys(&body.reservation_keys, "ReservationKeys")?;
    let rigid = rigid(body.processing_model.as_deref())?;
    Ok(Json(st.core.locks.by_key(k, None, rigid).await?))
}

/// Release reservations by their reservation keys.
#[utoipa::path(post, path = "/locks/reservations/release", tag = "locking",
    request_body = ReservedKeys,
    responses((status = 200, body = LockUpdate), (status = 400, body = Problem)))]
async fn admin_release(
    st: S,
    Body(body): Body<ReservedKeys>,
) -> Result<Json<LockUpdate>, ApiError> {
    release(st, body).await
}

/// Release service reservations by their reservation keys.
#[utoipa::path(post, path = "/locks/service/reservations/release", tag = "locking",
    request_body = ReservedKeys,
    responses((status = 200, body = LockUpdate), (status = 400, body = Problem)))]
async fn service_release(
    st: S,
    Body(body): Body<ReservedKeys>,
) -> Result<Json<LockUpdate>, ApiError> {
    release(st, body).await
}

/// Extend service reservations by `ReservationDuration` minutes from now.
#[utoipa::path(post, path = "/locks/service/reservations/renew", tag = "locking",
    request_body = ReservedKeys,
    responses((status = 200, body = LockUpdate), (status = 400, body = Problem)))]
async fn service_renew(
    st: S,
    Body(body): Body<ReservedKeys>,
) -> Result<Json<LockUpdate>, ApiError> {
    let k = keys(&body.reservation_keys, "ReservationKeys")?;
    let m = minutes(body.reservation_duration)?;
    let rigid = rigid(body.processing_model.as_deref())?;
    Ok(Json(st.core.locks.by_key(k, Some(m), rigid).await?))
}

/// Deputy keys to check (`DeputyKeys`).
#[derive(Debug, Deserialize, ToSchema)]
struct DeputyKeys {
    /// Component and deputy key pairs.
    #[serde(rename = "DeputyKeys", default)]
    deputy_keys: Vec<XnameKey>,
}

/// Which deputy keys name live reservations (valid ones in Success, others NotFound).
#[utoipa::path(post, path = "/locks/service/reservations/check", tag = "locking",
    request_body = DeputyKeys,
    responses((status = 200, body = ReservationResult), (status = 400, body = Problem)))]
async fn service_check(
    st: S,
    Body(body): Body<DeputyKeys>,
) -> Result<Json<ReservationResult>, ApiError> {
    let k = keys(&body.deputy_keys, "DeputyKeys")?;
    Ok(Json(st.core.locks.check(&k).await?))
}

/// Lock status of the listed components; unknown ones are listed in `NotFound`.
#[utoipa::path(post, path = "/locks/status", tag = "locking", request_body = ComponentIds,
    responses((status = 200, body = LockStatusList), (status = 400, body = Problem)))]
async fn status_post(
    st: S,
    Body(body): Body<ComponentIds>,
) -> Result<Json<LockStatusList>, ApiError> {
    if body.component_ids.is_empty() {
        return Err(ApiError::bad_request(
            "missing ComponentIDs: name at least one component",
        ));
    }
    let ids = parse_ids(&body.component_ids, "ComponentIDs")?;
    Ok(Json(st.core.locks.status(&ids).await?))
}

fn query_bool(key: &str, v: &str) -> Result<bool, ApiError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "bad query param: {key} '{v}' is not a boolean (expected true or false)"
        ))),
    }
}

/// Lock status of every component, filtered by component fields and by lock state.
#[utoipa::path(get, path = "/locks/status", tag = "locking",
    params(("type" = Option<String>, Query), ("state" = Option<String>, Query),
        ("role" = Option<String>, Query), ("subrole" = Option<String>, Query),
        ("locked" = Option<bool>, Query), ("reserved" = Option<bool>, Query),
        ("reservationDisabled" = Option<bool>, Query)),
    responses((status = 200, body = LockStatusList), (status = 400, body = Problem)))]
async fn status_get(st: S, QueryPairs(q): QueryPairs) -> Result<Json<LockStatusList>, ApiError> {
    let mut which = StatusFilter::default();
    let mut rest = Vec::new();
    for (k, v) in q {
        match k.to_ascii_lowercase().as_str() {
            "locked" => which.locked = Some(query_bool(&k, &v)?),
            "reserved" => which.reserved = Some(query_bool(&k, &v)?),
            "reservationdisabled" => which.disabled = Some(query_bool(&k, &v)?),
            _ => rest.push((k, v)),
        }
    }
    let (filter, _) = filter_from_pairs(&rest)?;
    Ok(Json(st.core.locks.status_filtered(&filter, &which).await?))
}
