//! `Subscriptions/SCN`: who is told of state changes, and where (delivery is in
//! `service/scn.rs`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{message, Message, S};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::Body;
use crate::api::AppState;
use crate::model::scn::{Subscription, SubscriptionList, SubscriptionPatch, SubscriptionSpec};
use crate::service::scn::subscription_id;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, subscribe, delete_all))
        .routes(routes!(get_one, put_one, patch_one, delete_one))
}

/// Every SCN subscription.
#[utoipa::path(get, path = "/Subscriptions/SCN", tag = "scn",
    responses((status = 200, body = SubscriptionList)))]
async fn list(State(st): S) -> Result<Json<SubscriptionList>, ApiError> {
    Ok(Json(SubscriptionList {
        subscriptions: st.core.scn.list().await?,
    }))
}

/// Subscribe to state changes (the same subscriber and Url update their subscription).
#[utoipa::path(post, path = "/Subscriptions/SCN", tag = "scn", request_body = SubscriptionSpec,
    responses((status = 200, body = Subscription), (status = 400, body = Problem)))]
async fn subscribe(
    State(st): S,
    Body(spec): Body<SubscriptionSpec>,
) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(st.core.scn.subscribe(spec).await?))
}

/// Delete every subscription.
#[utoipa::path(delete, path = "/Subscriptions/SCN", tag = "scn",
    responses((status = 200, body = Message)))]
async fn delete_all(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.scn.delete_all().await?;
    Ok(message(format!("{n} Subscriptions deleted")))
}

/// One subscription.
#[utoipa::path(get, path = "/Subscriptions/SCN/{id}", tag = "scn",
    params(("id" = i64, Path)),
    responses((status = 200, body = Subscription), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_one(State(st): S, Path(raw): Path<String>) -> Result<Json<Subscription>, ApiError> {
    Ok(Json(st.core.scn.get(subscription_id(&raw)?).await?))
}

/// Replace a subscription whole.
#[utoipa::path(put, path = "/Subscriptions/SCN/{id}", tag = "scn",
    params(("id" = i64, Path)), request_body = SubscriptionSpec,
    responses((status = 204), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn put_one(
    State(st): S,
    Path(raw): Path<String>,
    Body(spec): Body<SubscriptionSpec>,
) -> Result<StatusCode, ApiError> {
    st.core.scn.replace(subscription_id(&raw)?, spec).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add, remove or replace triggers (`Op`).
#[utoipa::path(patch, path = "/Subscriptions/SCN/{id}", tag = "scn",
    params(("id" = i64, Path)), request_body = SubscriptionPatch,
    responses((status = 204), (status = 400, body = Problem), (status = 404, body = Problem)))]
async fn patch_one(
    State(st): S,
    Path(raw): Path<String>,
    Body(patch): Body<SubscriptionPatch>,
) -> Result<StatusCode, ApiError> {
    st.core.scn.patch(subscription_id(&raw)?, patch).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete one subscription.
#[utoipa::path(delete, path = "/Subscriptions/SCN/{id}", tag = "scn",
    params(("id" = i64, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_one(State(st): S, Path(raw): Path<String>) -> Result<Json<Message>, ApiError> {
    st.core.scn.delete(subscription_id(&raw)?).await?;
    Ok(message("Subscription deleted"))
}
