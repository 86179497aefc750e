//! PCS's `/power-control/v1` API: transitions (with a dry run), power status, health.

use std::sync::Arc;

use axum::extract::{Extension, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::extract::{Body, QueryPairs};
use super::AppState;
use crate::model::power::{
    Operation, PlannedTask, PowerStateName, PowerStatus, Transition, TransitionCreate,
};
use crate::model::power_cap::{CapTask, PatchRequest, SnapshotRequest};
use crate::service::auth::Principal;
use crate::service::scope::Scope;

type S = State<Arc<AppState>>;

/// The routes under `/power-control/v1`.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, abort))
        .routes(routes!(status_get, status_post))
        .routes(routes!(cap_list, cap_patch))
        .routes(routes!(cap_snapshot))
        .routes(routes!(cap_get))
        .routes(routes!(liveness))
        .routes(routes!(readiness))
        .routes(routes!(health))
}

/// Start a transition; `?dryRun=true` (chami) answers what each node would do instead.
#[utoipa::path(post, path = "/transitions", tag = "pcs", request_body = TransitionCreate,
    params(("dryRun" = Option<bool>, Query)),
    responses((status = 200, body = Object, description = "the transition as stored, with its new tasks (transitionID, operation, ...), or the dry-run plan"),
        (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn create(
    State(st): S,
    p: Option<Extension<Principal>>,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
    Body(body): Body<TransitionCreate>,
) -> Result<Response, ApiError> {
    let dry = q
        .iter()
        .any(|(k, v)| k == "dryRun" && matches!(v.as_str(), "true" | "1" | ""));
    let who = p
        .as_ref()
        .map_or("anonymous", |Extension(p)| p.subject.as_str());
    let (t, plan) = st.core.power.create_within(&body, &scope, who, dry).await?;
    if let Some(plan) = plan {
        let dry = DryRun {
            dry_run: true,
            operation: t.operation,
            tasks: plan,
        };
        return Ok(Json(dry).into_response());
    }
    let location = format!("../transitions/{}", t.id);
    // PCS answers `transitionID` and `operation`; the rest of the record rides along for
    // clients (ochami-rs) that read the whole transition from this answer.
    Ok(([(header::LOCATION, location)], Json(t)).into_response())
}

/// Every transition, without tasks.
#[utoipa::path(get, path = "/transitions", tag = "pcs",
    responses((status = 200, body = Object)))]
async fn list(State(st): S, Extension(scope): Extension<Scope>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"transitions": st.core.power.list_within(&scope).await?}),
    ))
}

/// One transition with its tasks.
#[utoipa::path(get, path = "/transitions/{transitionID}", tag = "pcs",
    params(("transitionID" = String, Path)),
    responses((status = 200, body = Transition), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn get_one(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(id): Path<String>,
) -> Result<Json<Transition>, ApiError> {
    Ok(Json(st.core.power.get_within(&id, &scope).await?))
}

/// Abort a transition.
#[utoipa::path(delete, path = "/transitions/{transitionID}", tag = "pcs",
    params(("transitionID" = String, Path)),
    responses((status = 202, body = Object), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn abort(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    st.core.power.get_within(&id, &scope).await?;
    st.core.power.abort(&id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"abortStatus": "Accepted - abort initiated"})),
    )
        .into_response())
}

/// Body of `POST /power-status`.
#[derive(Debug, Default, Deserialize, ToSchema)]
struct StatusQuery {
    #[serde(default)]
    xname: Vec<String>,
    #[serde(rename = "powerStateFilter", default)]
    power_state_filter: String,
    #[serde(rename = "managementStateFilter", default)]
    management_state_filter: String,
}

/// PCS's power-status answer.
#[derive(Debug, Serialize, ToSchema)]
struct StatusList {
    /// One entry per node asked for (every node with a BMC when none was named).
    status: Vec<PowerStatus>,
}

/// What a dry run answers: each node's plan, nothing sent.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct DryRun {
    /// Always true.
    dry_run: bool,
    /// The operation asked for.
    operation: Operation,
    /// What each node would do.
    tasks: Vec<PlannedTask>,
}

async fn status(
    st: &AppState,
    scope: &Scope,
    q: StatusQuery,
) -> Result<Json<StatusList>, ApiError> {
    let pf = q.power_state_filter.to_ascii_lowercase();
    if !matches!(pf.as_str(), "" | "on" | "off" | "undefined") {
        return Err(ApiError::bad_request(format!(
            "invalid powerStateFilter type: {}",
            q.power_state_filter
        )));
    }
    let mf = q.management_state_filter.to_ascii_lowercase();
    if !matches!(mf.as_str(), "" | "available" | "unavailable") {
        return Err(ApiError::bad_request(format!(
            "invalid ManagementStateFilter type: {}",
            q.management_state_filter
        )));
    }
    let all = st.core.power.status(&q.xname, scope).await?;
    let keep = |s: &PowerStatus| {
        s.power_state == PowerStateName::NotFound
            || ((pf.is_empty() || s.power_state.as_str() == pf)
                && (mf.is_empty() || s.management_state.as_str() == mf))
    };
    Ok(Json(StatusList {
        status: all.into_iter().filter(keep).collect(),
    }))
}

/// Power state of components, read from their BMCs.
#[utoipa::path(get, path = "/power-status", tag = "pcs",
    params(("xname" = Option<String>, Query), ("powerStateFilter" = Option<String>, Query),
        ("managementStateFilter" = Option<String>, Query)),
    responses((status = 200, body = StatusList), (status = 400, body = Problem)))]
async fn status_get(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<StatusList>, ApiError> {
    let mut sq = StatusQuery::default();
    for (k, v) in q {
        match k.as_str() {
            "xname" => sq.xname.push(v),
            "powerStateFilter" if sq.power_state_filter.is_empty() => sq.power_state_filter = v,
            "managementStateFilter" if sq.management_state_filter.is_empty() => {
                sq.management_state_filter = v
            }
            _ => {}
        }
    }
    status(&st, &scope, sq).await
}

/// Power state of components (parameters in the body).
#[utoipa::path(post, path = "/power-status", tag = "pcs", request_body = StatusQuery,
    responses((status = 200, body = StatusList), (status = 400, body = Problem)))]
async fn status_post(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Body(q): Body<StatusQuery>,
) -> Result<Json<StatusList>, ApiError> {
    status(&st, &scope, q).await
}

/// Every power-cap task (a tenant's: those it made), without each node.
#[utoipa::path(get, path = "/power-cap", tag = "pcs",
    responses((status = 200, body = CapTaskList)))]
async fn cap_list(
    State(st): S,
    Extension(scope): Extension<Scope>,
) -> Result<Json<CapTaskList>, ApiError> {
    Ok(Json(CapTaskList {
        tasks: st.core.power.cap_tasks(&scope).await?,
    }))
}

/// One power-cap task with each node's limits, range and errors.
#[utoipa::path(get, path = "/power-cap/{taskID}", tag = "pcs",
    params(("taskID" = String, Path)),
    responses((status = 200, body = CapTask), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn cap_get(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Path(id): Path<String>,
) -> Result<Json<CapTask>, ApiError> {
    Ok(Json(st.core.power.cap_task(&id, &scope).await?))
}

/// Read the power limits of nodes: answers the task's ID at once.
#[utoipa::path(post, path = "/power-cap/snapshot", tag = "pcs", request_body = SnapshotRequest,
    responses((status = 200, body = CapTaskCreated), (status = 400, body = Problem)))]
async fn cap_snapshot(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Body(body): Body<SnapshotRequest>,
) -> Result<Response, ApiError> {
    let id = st.core.power.cap_snapshot(&body, &scope).await?;
    Ok(cap_created(id))
}

/// Set the power limits of nodes (0 lifts a limit): answers the task's ID at once.
#[utoipa::path(patch, path = "/power-cap", tag = "pcs", request_body = PatchRequest,
    responses((status = 200, body = CapTaskCreated), (status = 400, body = Problem)))]
async fn cap_patch(
    State(st): S,
    Extension(scope): Extension<Scope>,
    Body(body): Body<PatchRequest>,
) -> Result<Response, ApiError> {
    let id = st.core.power.cap_patch(&body, &scope).await?;
    Ok(cap_created(id))
}

fn cap_created(id: String) -> Response {
    let location = format!("../power-cap/{id}");
    (
        [(header::LOCATION, location)],
        Json(CapTaskCreated { task_id: id }),
    )
        .into_response()
}

/// PCS's answer to a new power-cap task.
#[derive(Debug, Serialize, ToSchema)]
struct CapTaskCreated {
    #[serde(rename = "taskID")]
    task_id: String,
}

/// PCS's list of power-cap tasks.
#[derive(Debug, Serialize, ToSchema)]
struct CapTaskList {
    tasks: Vec<CapTask>,
}

/// Always 204 while the process runs.
#[utoipa::path(get, path = "/liveness", tag = "pcs", responses((status = 204)))]
async fn liveness() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// 204 when the database answers, else 503.
#[utoipa::path(get, path = "/readiness", tag = "pcs", responses((status = 204), (status = 503)))]
async fn readiness(State(st): S) -> StatusCode {
    if st.core.health().await.ok() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// Health of the parts PCS reports.
#[utoipa::path(get, path = "/health", tag = "pcs", responses((status = 200, body = Object)))]
async fn health(State(st): S) -> Json<Value> {
    let db = if st.core.health().await.ok() {
        "connected, responsive"
    } else {
        "connected, not responsive"
    };
    // PCS's exact texts: locking lives in the same database, the state manager in-process.
    Json(
        json!({"KvStore": db, "DistLocking": db, "StateManager": "connected, responsive",
        "Vault": "disabled", "TaskRunner": "connected, responsive, local mode"}),
    )
}
