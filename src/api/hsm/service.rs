//! `/hsm/v2/service`: health and the valid values of enumerated fields.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{message, Message, S};
use crate::api::error::{ApiError, Problem};
use crate::api::AppState;
use crate::model::enums::{Arch, Class, Flag, NetType, Role, State as HmsState, SubRole};
use crate::model::xname::HmsType;

pub(super) fn routes() -> OpenApiRouter<std::sync::Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(ready))
        .routes(routes!(liveness))
        .routes(routes!(values))
        .routes(routes!(values_one))
}

/// Readiness: 200 when the database answers.
#[utoipa::path(get, path = "/service/ready", tag = "service",
    responses((status = 200, body = Message), (status = 503, body = Problem)))]
async fn ready(State(st): S) -> Result<Json<Message>, ApiError> {
    if let Some(e) = st.core.health().await.problem {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("HSM's database is unhealthy: {e}"),
        ));
    }
    Ok(message("HSM is healthy"))
}

/// Liveness: 204 while the server takes requests.
#[utoipa::path(get, path = "/service/liveness", tag = "service", responses((status = 204)))]
async fn liveness() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn names<T: Copy + std::fmt::Display>(all: &[T]) -> Vec<String> {
    all.iter().map(|v| v.to_string()).collect()
}

fn value_lists() -> Vec<(&'static str, &'static str, Vec<String>)> {
    vec![
        ("arch", "Arch", names(Arch::all())),
        ("class", "Class", names(Class::all())),
        ("flag", "Flag", names(Flag::all())),
        ("nettype", "NetType", names(NetType::all())),
        ("role", "Role", names(Role::all())),
        ("subrole", "SubRole", names(SubRole::all())),
        ("state", "State", names(HmsState::all())),
        ("type", "Type", names(HmsType::all())),
    ]
}

/// Every enumerated parameter and its valid values.
#[utoipa::path(get, path = "/service/values", tag = "service",
    responses((status = 200, description = "Valid values by parameter", body = Object)))]
async fn values() -> Json<Value> {
    let map: serde_json::Map<String, Value> = value_lists()
        .into_iter()
        .map(|(_, key, vals)| (key.to_string(), Value::from(vals)))
        .collect();
    Json(Value::Object(map))
}

/// Valid values of one parameter: arch, class, flag, nettype, role, subrole, state or type.
#[utoipa::path(get, path = "/service/values/{parameter}", tag = "service",
    params(("parameter" = String, Path, description = "arch, class, flag, nettype, role, subrole, state or type")),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
async fn values_one(Path(parameter): Path<String>) -> Result<Json<Value>, ApiError> {
    let wanted = parameter.to_ascii_lowercase();
    value_lists()
        .into_iter()
        .find(|(path, _, _)| *path == wanted)
        .map(|(_, key, vals)| Json(serde_json::json!({ key: vals })))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no value list '{parameter}': expected arch, class, flag, nettype, role, subrole, state or type"
            ))
        })
}
