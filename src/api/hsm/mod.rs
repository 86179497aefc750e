//! SMD's `/hsm/v2` API, one module per resource. Handlers parse, call `service/`, answer.

mod components;
mod discover;
mod endpoints;
mod groups;
mod hardware;
mod interfaces;
mod locks;
mod maps;
mod scn;
mod service;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use super::AppState;

pub(super) type S = State<Arc<AppState>>;

/// The routes under `/hsm/v2`.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(service::routes())
        .merge(components::routes())
        .merge(groups::routes())
        .merge(interfaces::routes())
        .merge(endpoints::routes())
        .merge(hardware::routes())
        .merge(discover::routes())
        .merge(locks::routes())
        .merge(maps::routes())
        .merge(scn::routes())
}

/// SMD's plain response (`Response_1.0.0`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// Always 0 for success messages.
    pub code: i32,
    /// What happened.
    pub message: String,
}

pub(super) fn message(text: impl Into<String>) -> Json<Message> {
    Json(Message {
        code: 0,
        message: text.into(),
    })
}

/// A path to a created resource (`ResourceURI.1.0.0`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResourceUri {
    /// The resource's path from the API root.
    #[serde(rename = "URI")]
    pub uri: String,
}

pub(super) fn created(uris: Vec<String>) -> (StatusCode, Json<Vec<ResourceUri>>) {
    (
        StatusCode::CREATED,
        Json(uris.into_iter().map(|uri| ResourceUri { uri }).collect()),
    )
}
