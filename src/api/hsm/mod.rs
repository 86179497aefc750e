//! SMD's `/hsm/v2` API, one module per resource. Handlers parse, call `service/`, answer.

mod components;
mod groups;
mod service;

use std::sync::Arc;

use axum::extract::State;
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
