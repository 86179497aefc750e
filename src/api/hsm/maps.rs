//! `Defaults/NodeMaps` (a node's default NID, Role and SubRole) and `sysinfo/powermaps` (what
//! powers a component).

use std::sync::Arc;

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{message, Message, S};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{from_value, Body, XnamePath};
use crate::api::AppState;
use crate::model::maps::{
    NodeMap, NodeMapArray, NodeMapInput, NodeMapList, PowerMap, PowerMapInput,
};
use axum::extract::State;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(node_maps, post_node_maps, delete_node_maps))
        .routes(routes!(node_map, put_node_map, delete_node_map))
        .routes(routes!(power_maps, post_power_maps, delete_power_maps))
        .routes(routes!(power_map, put_power_map, delete_power_map))
}

/// Every node map.
#[utoipa::path(get, path = "/Defaults/NodeMaps", tag = "maps",
    responses((status = 200, body = NodeMapList)))]
async fn node_maps(State(st): S) -> Result<Json<NodeMapList>, ApiError> {
    Ok(Json(NodeMapList {
        node_maps: st.core.maps.node_maps().await?,
    }))
}

/// Create or replace node maps: one map, or `{"NodeMaps": [...]}`; all or nothing.
#[utoipa::path(post, path = "/Defaults/NodeMaps", tag = "maps", request_body = NodeMapArray,
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 409, body = Problem)))]
async fn post_node_maps(
    State(st): S,
    Body(body): Body<serde_json::Value>,
) -> Result<Json<Message>, ApiError> {
    let many = body.as_object().is_some_and(|o| o.contains_key("NodeMaps"));
    let inputs = if many {
        from_value::<NodeMapArray>(body)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))?
            .node_maps
    } else {
        vec![from_value::<NodeMapInput>(body)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))?]
    };
    let n = st.core.maps.put_node_maps(&inputs).await?;
    Ok(message(format!("Created or modified {n} entries")))
}

/// Delete every node map (404 when there are none, as SMD).
#[utoipa::path(delete, path = "/Defaults/NodeMaps", tag = "maps",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_node_maps(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.maps.delete_node_maps().await?;
    Ok(message(format!("deleted {n} entries")))
}

/// One node map.
#[utoipa::path(get, path = "/Defaults/NodeMaps/{xname}", tag = "maps",
    params(("xname" = String, Path)),
    responses((status = 200, body = NodeMap), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn node_map(State(st): S, XnamePath(id): XnamePath) -> Result<Json<NodeMap>, ApiError> {
    Ok(Json(st.core.maps.node_map(&id).await?))
}

/// Create or replace the node map at `xname`.
#[utoipa::path(put, path = "/Defaults/NodeMaps/{xname}", tag = "maps",
    params(("xname" = String, Path)), request_body = NodeMapInput,
    responses((status = 200, body = NodeMap), (status = 400, body = Problem),
        (status = 409, body = Problem)))]
async fn put_node_map(
    State(st): S,
    XnamePath(id): XnamePath,
    Body(input): Body<NodeMapInput>,
) -> Result<Json<NodeMap>, ApiError> {
    Ok(Json(st.core.maps.put_node_map(&id, input).await?))
}

/// Delete one node map.
#[utoipa::path(delete, path = "/Defaults/NodeMaps/{xname}", tag = "maps",
    params(("xname" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_node_map(
    State(st): S,
    XnamePath(id): XnamePath,
) -> Result<Json<Message>, ApiError> {
    st.core.maps.delete_node_map(&id).await?;
    Ok(message("deleted 1 entry"))
}

/// Every power map.
#[utoipa::path(get, path = "/sysinfo/powermaps", tag = "maps",
    responses((status = 200, body = Vec<PowerMap>)))]
async fn power_maps(State(st): S) -> Result<Json<Vec<PowerMap>>, ApiError> {
    Ok(Json(st.core.maps.power_maps().await?))
}

/// Create or replace power maps (an array); all or nothing.
#[utoipa::path(post, path = "/sysinfo/powermaps", tag = "maps", request_body = Vec<PowerMapInput>,
    responses((status = 200, body = Message), (status = 400, body = Problem)))]
async fn post_power_maps(
    State(st): S,
    Body(inputs): Body<Vec<PowerMapInput>>,
) -> Result<Json<Message>, ApiError> {
    let n = st.core.maps.put_power_maps(&inputs).await?;
    Ok(message(format!("Created or modified {n} entries")))
}

/// Delete every power map (404 when there are none, as SMD).
#[utoipa::path(delete, path = "/sysinfo/powermaps", tag = "maps",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_power_maps(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.maps.delete_power_maps().await?;
    Ok(message(format!("deleted {n} entries")))
}

/// One power map.
#[utoipa::path(get, path = "/sysinfo/powermaps/{xname}", tag = "maps",
    params(("xname" = String, Path)),
    responses((status = 200, body = PowerMap), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn power_map(State(st): S, XnamePath(id): XnamePath) -> Result<Json<PowerMap>, ApiError> {
    Ok(Json(st.core.maps.power_map(&id).await?))
}

/// Create or replace the power map at `xname`.
#[utoipa::path(put, path = "/sysinfo/powermaps/{xname}", tag = "maps",
    params(("xname" = String, Path)), request_body = PowerMapInput,
    responses((status = 200, body = PowerMap), (status = 400, body = Problem)))]
async fn put_power_map(
    State(st): S,
    XnamePath(id): XnamePath,
    Body(input): Body<PowerMapInput>,
) -> Result<Json<PowerMap>, ApiError> {
    Ok(Json(st.core.maps.put_power_map(&id, input).await?))
}

/// Delete one power map.
#[utoipa::path(delete, path = "/sysinfo/powermaps/{xname}", tag = "maps",
    params(("xname" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_power_map(
    State(st): S,
    XnamePath(id): XnamePath,
) -> Result<Json<Message>, ApiError> {
    st.core.maps.delete_power_map(&id).await?;
    Ok(message("deleted 1 entry"))
}
