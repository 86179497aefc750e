//! `Inventory/Discover` and `Inventory/DiscoveryStatus`: walk Redfish endpoints and fill
//! inventory from what they report.

use std::sync::Arc;

use axum::extract::Path;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ResourceUri, S};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::Body;
use crate::api::AppState;
use crate::model::xname::Xname;
use crate::service::discovery::DiscoveryStatus;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(discover))
        .routes(routes!(status_all))
        .routes(routes!(status_one))
}

/// Which endpoints to discover (`DiscoverIn`).
#[derive(Debug, Default, Deserialize, ToSchema)]
struct DiscoverIn {
    /// Redfish endpoint xnames; empty or absent: every enabled endpoint.
    #[serde(default)]
    xnames: Vec<String>,
    /// Walk the endpoints even those another run is walking.
    #[serde(default)]
    force: bool,
}

/// Start discovering Redfish endpoints; progress shows in each endpoint's
/// `DiscoveryInfo.LastDiscoveryStatus` and in `DiscoveryStatus/0`.
#[utoipa::path(post, path = "/Inventory/Discover", tag = "discovery", request_body = DiscoverIn,
    responses((status = 200, body = Vec<ResourceUri>), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn discover(
    axum::extract::State(st): S,
    Body(body): Body<DiscoverIn>,
) -> Result<Json<Vec<ResourceUri>>, ApiError> {
    let ids = body
        .xnames
        .iter()
        .map(|x| Xname::parse(x).map_err(|e| ApiError::bad_request(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let d = &st.core.discovery;
    let targets = d.targets(&ids).await?;
    d.start(targets, body.force);
    Ok(Json(vec![ResourceUri {
        uri: "/hsm/v2/Inventory/DiscoveryStatus/0".into(),
    }]))
}

/// Status of discovery.
#[utoipa::path(get, path = "/Inventory/DiscoveryStatus", tag = "discovery",
    responses((status = 200, body = Vec<DiscoveryStatus>)))]
async fn status_all(axum::extract::State(st): S) -> Json<Vec<DiscoveryStatus>> {
    Json(vec![st.core.discovery.status()])
}

/// Status of discovery (ID 0).
#[utoipa::path(get, path = "/Inventory/DiscoveryStatus/{id}", tag = "discovery",
    params(("id" = u32, Path)),
    responses((status = 200, body = DiscoveryStatus), (status = 404, body = Problem)))]
async fn status_one(
    axum::extract::State(st): S,
    Path(id): Path<String>,
) -> Result<Json<DiscoveryStatus>, ApiError> {
    if id != "0" {
        return Err(ApiError::not_found(format!(
            "no discovery status {id}: there is only 0"
        )));
    }
    Ok(Json(st.core.discovery.status()))
}
