//! `Inventory/Hardware` (location records: read, written, deleted), `HardwareByFRU` (the
//! FRUs in them) and the history of which FRU was seen where.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{message, Message, S};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{Body, QueryPairs, XnamePath};
use crate::api::AppState;
use crate::model::discovery::Hardware;
use crate::model::hardware::{
    event_type, rfc3339, HistoryFilter, HistoryOf, HwHistory, HwHistoryList, HwQuery, TreeFormat,
};
use crate::model::xname::{HmsType, Xname};
use crate::service::scope::Scope;
use crate::service::ServiceError;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_hardware, post_hardware, delete_all_hardware))
        .routes(routes!(get_hardware, delete_hardware))
        .routes(routes!(query_hardware))
        .routes(routes!(history, delete_all_history))
        .routes(routes!(history_of, delete_history_of))
        .routes(routes!(list_frus, delete_all_frus))
        .routes(routes!(get_fru, delete_fru))
        .routes(routes!(fru_history))
        .routes(routes!(fru_history_of, delete_fru_history_of))
}

/// Hardware by location, for every location that has any (`id` repeatable narrows it).
#[utoipa::path(get, path = "/Inventory/Hardware", tag = "hardware",
    params(("id" = Option<String>, Query)),
    responses((status = 200, body = Vec<Hardware>), (status = 400, body = Problem)))]
async fn list_hardware(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Vec<Hardware>>, ApiError> {
    let mut ids = Vec::new();
    for (k, v) in &q {
        if k != "id" {
            return Err(ApiError::bad_request(format!(
                "bad query param: unknown parameter '{k}' (use id)"
            )));
        }
        ids.push(Xname::parse(v).map_err(|e| ApiError::bad_request(e.to_string()))?);
    }
    let mut hardware = st.core.hardware.locations(&ids).await?;
    scope.retain(&mut hardware, |h| h.id.as_str());
    Ok(Json(hardware))
}

/// SMD's `true`/`false` spellings (Go's `ParseBool`).
fn go_bool(raw: &str, what: &str) -> Result<bool, ApiError> {
    match raw {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(ApiError::bad_request(format!("Invalid boolean for {what}"))),
    }
}

/// The hardware at and around `{xname}` (a location, `s0`/`all` for everything, or a
/// partition `p#`), as SMD's `HWInventory`: one array per type, node subcomponents nested in
/// their node unless `format=FullyFlat`.
#[utoipa::path(get, path = "/Inventory/Hardware/Query/{xname}", tag = "hardware",
    params(("xname" = String, Path), ("type" = Option<String>, Query),
        ("children" = Option<bool>, Query), ("parents" = Option<bool>, Query),
        ("partition" = Option<String>, Query), ("format" = Option<String>, Query)),
    responses((status = 200, body = Object), (status = 400, body = Problem)))]
async fn query_hardware(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(raw): Path<String>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Value>, ApiError> {
    let mut query = HwQuery::default();
    let mut partition: Option<String> = None;
    if !raw.eq_ignore_ascii_case("all") {
        let x = Xname::parse(&raw).map_err(|_| ApiError::bad_request("Invalid xname"))?;
        match x.kind() {
            HmsType::System => {}
            HmsType::Partition => partition = Some(x.as_str().to_string()),
            _ => query.root = Some(x),
        }
    }
    let (mut children, mut format) = (None, TreeFormat::default());
    for (k, v) in &q {
        match k.as_str() {
            "type" => query
                .types
                .push(HmsType::parse(v).ok_or_else(|| ApiError::bad_request("Invalid HMS type"))?),
            "children" => children = Some(go_bool(v, "children")?),
            "parents" => query.parents = go_bool(v, "parents")?,
            "partition" => {
                let p = Xname::parse(v)
                    .ok()
                    .filter(|p| p.kind() == HmsType::Partition)
                    .ok_or_else(|| ApiError::bad_request("Invalid partition"))?;
                partition = Some(p.as_str().to_string());
            }
            "format" => format = TreeFormat::parse(v).map_err(|e| ApiError::bad_request(e.0))?,
            other => {
                return Err(ApiError::bad_request(format!(
                    "bad query param: unknown parameter '{other}' \
                     (use type, children, parents, partition, format)"
                )))
            }
        }
    }
    // Children by default, unless only parents are asked for.
    query.children = children.unwrap_or(!query.parents);
    let tree = st
        .core
        .hardware
        .query(&raw, &query, partition.as_deref(), format, &scope)
        .await?;
    Ok(Json(tree))
}

/// SMD's POST body of location records.
#[derive(Debug, Deserialize, ToSchema)]
struct HardwareIn {
    /// The records (`HWInventoryByLocation`).
    #[serde(rename = "Hardware", default)]
    #[schema(value_type = Vec<Object>)]
    hardware: Vec<Value>,
}

/// Create or replace location records, all or nothing (their FRUs' history is recorded).
#[utoipa::path(post, path = "/Inventory/Hardware", tag = "hardware", request_body = HardwareIn,
    responses((status = 200, body = Message), (status = 400, body = Problem)))]
async fn post_hardware(
    State(st): S,
    Body(body): Body<HardwareIn>,
) -> Result<Json<Message>, ApiError> {
    let n = st.core.hardware.put(body.hardware).await?;
    Ok(message(format!("Created {n} entries")))
}

/// Delete every location record.
#[utoipa::path(delete, path = "/Inventory/Hardware", tag = "hardware",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_all_hardware(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.hardware.delete_all().await?;
    Ok(message(format!("deleted {n} entries")))
}

/// Hardware at one location (processors, memory, model, serial when discovery supplied them).
#[utoipa::path(get, path = "/Inventory/Hardware/{xname}", tag = "hardware",
    params(("xname" = String, Path)),
    responses((status = 200, body = Hardware), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_hardware(
    State(st): S,
    Extension(scope): Extension<Scope>,
    XnamePath(id): XnamePath,
) -> Result<Json<Hardware>, ApiError> {
    let absent = || ServiceError::NotFound(format!("no hardware inventory for {id}"));
    scope.hide(id.as_str(), absent)?;
    st.core
        .hardware
        .locations(std::slice::from_ref(&id))
        .await?
        .into_iter()
        .next()
        .map(Json)
        .ok_or_else(|| absent().into())
}

/// Delete the record of one location.
#[utoipa::path(delete, path = "/Inventory/Hardware/{xname}", tag = "hardware",
    params(("xname" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_hardware(
    State(st): S,
    XnamePath(id): XnamePath,
) -> Result<Json<Message>, ApiError> {
    st.core.hardware.delete(&id).await?;
    Ok(message("deleted 1 entry"))
}

/// A history filter from SMD's parameters (`id`, `eventtype`, `starttime`, `endtime`; any
/// case; repeat to OR); `id` names locations, or FRUs with `by_fru`.
fn history_filter(q: &[(String, String)], by_fru: bool) -> Result<HistoryFilter, ApiError> {
    let bad = |e: crate::model::hardware::HardwareError| ApiError::bad_request(e.0);
    let mut f = HistoryFilter::default();
    for (k, v) in q {
        match k.to_ascii_lowercase().as_str() {
            "id" if by_fru => f.fru_ids.push(v.clone()),
            "id" => f
                .ids
                .push(Xname::parse(v).map_err(|e| ApiError::bad_request(e.to_string()))?),
            "eventtype" => f.event_types.push(event_type(v).map_err(bad)?),
            "starttime" => f.start = Some(rfc3339("StartTime", v).map_err(bad)?),
            "endtime" => f.end = Some(rfc3339("EndTime", v).map_err(bad)?),
            _ => {
                return Err(ApiError::bad_request(format!(
                "bad query param: unknown parameter '{k}' (use id, eventtype, starttime, endtime)"
            )))
            }
        }
    }
    Ok(f)
}

/// Which FRU was seen at each location, and when.
#[utoipa::path(get, path = "/Inventory/Hardware/History", tag = "hardware",
    params(("id" = Option<String>, Query), ("eventtype" = Option<String>, Query),
        ("starttime" = Option<String>, Query), ("endtime" = Option<String>, Query)),
    responses((status = 200, body = HwHistoryList), (status = 400, body = Problem)))]
async fn history(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<HwHistoryList>, ApiError> {
    let f = history_filter(&q, false)?;
    let mut components = st.core.hardware.history(&f, false).await?;
    scope.retain(&mut components, |h| h.id.as_str());
    Ok(Json(HwHistoryList { components }))
}

/// Delete all hardware history.
#[utoipa::path(delete, path = "/Inventory/Hardware/History", tag = "hardware",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_all_history(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.hardware.delete_history(HistoryOf::All).await?;
    Ok(message(format!("deleted {n} entries")))
}

/// The history of one location.
#[utoipa::path(get, path = "/Inventory/Hardware/History/{xname}", tag = "hardware",
    params(("xname" = String, Path), ("eventtype" = Option<String>, Query),
        ("starttime" = Option<String>, Query), ("endtime" = Option<String>, Query)),
    responses((status = 200, body = HwHistory), (status = 400, body = Problem)))]
async fn history_of(
    State(st): S,
    XnamePath(id): XnamePath,
    QueryPairs(q): QueryPairs,
) -> Result<Json<HwHistory>, ApiError> {
    let mut f = history_filter(&q, false)?;
    f.ids = vec![id.clone()];
    let found = st.core.hardware.history(&f, false).await?;
    Ok(Json(found.into_iter().next().unwrap_or(HwHistory {
        id: id.to_string(),
        history: Vec::new(),
    })))
}

/// Delete the history of one location.
#[utoipa::path(delete, path = "/Inventory/Hardware/History/{xname}", tag = "hardware",
    params(("xname" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_history_of(
    State(st): S,
    XnamePath(id): XnamePath,
) -> Result<Json<Message>, ApiError> {
    let n = st
        .core
        .hardware
        .delete_history(HistoryOf::Location(&id))
        .await?;
    Ok(message(format!("deleted {n} entries")))
}

/// Every FRU populating a location.
#[utoipa::path(get, path = "/Inventory/HardwareByFRU", tag = "hardware",
    responses((status = 200, body = Vec<Object>)))]
async fn list_frus(State(st): S) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(st.core.hardware.frus().await?))
}

/// Take every FRU out of inventory (the locations stay).
#[utoipa::path(delete, path = "/Inventory/HardwareByFRU", tag = "hardware",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_all_frus(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.hardware.delete_frus().await?;
    Ok(message(format!("deleted {n} entries")))
}

/// One FRU.
#[utoipa::path(get, path = "/Inventory/HardwareByFRU/{fruid}", tag = "hardware",
    params(("fruid" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
async fn get_fru(State(st): S, Path(fru): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(st.core.hardware.fru(&fru).await?))
}

/// Take one FRU out of inventory (its location stays).
#[utoipa::path(delete, path = "/Inventory/HardwareByFRU/{fruid}", tag = "hardware",
    params(("fruid" = String, Path)),
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_fru(State(st): S, Path(fru): Path<String>) -> Result<Json<Message>, ApiError> {
    st.core.hardware.delete_fru(&fru).await?;
    Ok(message("deleted 1 entry"))
}

/// Where each FRU was seen, and when.
#[utoipa::path(get, path = "/Inventory/HardwareByFRU/History", tag = "hardware",
    params(("id" = Option<String>, Query), ("eventtype" = Option<String>, Query),
        ("starttime" = Option<String>, Query), ("endtime" = Option<String>, Query)),
    responses((status = 200, body = HwHistoryList), (status = 400, body = Problem)))]
async fn fru_history(
    State(st): S,
    QueryPairs(q): QueryPairs,
) -> Result<Json<HwHistoryList>, ApiError> {
    let f = history_filter(&q, true)?;
    Ok(Json(HwHistoryList {
        components: st.core.hardware.history(&f, true).await?,
    }))
}

/// The history of one FRU.
#[utoipa::path(get, path = "/Inventory/HardwareByFRU/History/{fruid}", tag = "hardware",
    params(("fruid" = String, Path), ("eventtype" = Option<String>, Query),
        ("starttime" = Option<String>, Query), ("endtime" = Option<String>, Query)),
    responses((status = 200, body = HwHistory), (status = 400, body = Problem)))]
async fn fru_history_of(
    State(st): S,
    Path(fru): Path<String>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<HwHistory>, ApiError> {
    let mut f = history_filter(&q, true)?;
    f.fru_ids = vec![fru.clone()];
    let found = st.core.hardware.history(&f, true).await?;
    Ok(Json(found.into_iter().next().unwrap_or(HwHistory {
        id: fru,
        history: Vec::new(),
    })))
}

/// Delete the history of one FRU.
#[utoipa::path(delete, path = "/Inventory/HardwareByFRU/History/{fruid}", tag = "hardware",
    params(("fruid" = String, Path)),
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_fru_history_of(
    State(st): S,
    Path(fru): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let n = st
        .core
        .hardware
        .delete_history(HistoryOf::Fru(&fru))
        .await?;
    Ok(message(format!("deleted {n} entries")))
}
