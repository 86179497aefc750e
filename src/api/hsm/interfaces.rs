//! `Inventory/EthernetInterfaces`: MAC to IP and component mappings, with the `IPAddresses`
//! sub-resource.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{message, Message, ResourceUri, S};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{Body, QueryPairs};
use crate::api::AppState;
use crate::model::ethernet::{
    EthInterface, EthInterfaceInput, EthInterfacePatch, InterfaceChange, InterfaceFilter, IpMapping,
};
use crate::service::interfaces::interface_id;
use crate::service::scope::Scope;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, post, delete_all))
        .routes(routes!(get_one, patch_one, delete_one))
        .routes(routes!(list_ips, post_ip))
        .routes(routes!(patch_ip, delete_ip))
}

const BASE: &str = "/hsm/v2/Inventory/EthernetInterfaces";

fn id_path(raw: &str) -> Result<String, ApiError> {
    Ok(interface_id(raw)?)
}

/// List interfaces (fields AND, repeated values OR).
#[utoipa::path(get, path = "/Inventory/EthernetInterfaces", tag = "ethernet",
    params(("MACAddress" = Option<String>, Query), ("IPAddress" = Option<String>, Query),
        ("Network" = Option<String>, Query), ("ComponentID" = Option<String>, Query),
        ("Type" = Option<String>, Query),
        ("OlderThan" = Option<String>, Query, description = "RFC 3339"),
        ("NewerThan" = Option<String>, Query, description = "RFC 3339")),
    responses((status = 200, body = Vec<EthInterface>), (status = 400, body = Problem)))]
async fn list(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<Vec<EthInterface>>, ApiError> {
    let mut filter = InterfaceFilter::default();
    for (k, v) in &q {
        filter.add(k, v).map_err(|e| ApiError::bad_request(e.0))?;
    }
    let mut found = st.core.interfaces.list(&filter).await?;
    scope.retain(&mut found, |i| &i.component_id);
    Ok(Json(found))
}

/// Create an interface; its ID is the MAC in lowercase hex.
#[utoipa::path(post, path = "/Inventory/EthernetInterfaces", tag = "ethernet",
    request_body = EthInterfaceInput,
    responses((status = 201, body = ResourceUri), (status = 400, body = Problem),
        (status = 409, body = Problem)))]
async fn post(
    State(st): S,
    Body(input): Body<EthInterfaceInput>,
) -> Result<(StatusCode, Json<ResourceUri>), ApiError> {
    let id = st.core.interfaces.create(input).await?;
    Ok((
        StatusCode::CREATED,
        Json(ResourceUri {
            uri: format!("{BASE}/{id}"),
        }),
    ))
}

/// Delete every interface.
#[utoipa::path(delete, path = "/Inventory/EthernetInterfaces", tag = "ethernet",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_all(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.interfaces.delete_all().await?;
    Ok(message(format!("deleted {n} entries")))
}

/// One interface.
#[utoipa::path(get, path = "/Inventory/EthernetInterfaces/{ethInterfaceID}", tag = "ethernet",
    params(("ethInterfaceID" = String, Path)),
    responses((status = 200, body = EthInterface), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_one(State(st): S, Path(raw): Path<String>) -> Result<Json<EthInterface>, ApiError> {
    Ok(Json(st.core.interfaces.get(&id_path(&raw)?).await?))
}

/// Change Description, IPAddresses (replacing them) and/or ComponentID.
#[utoipa::path(patch, path = "/Inventory/EthernetInterfaces/{ethInterfaceID}", tag = "ethernet",
    params(("ethInterfaceID" = String, Path)), request_body = EthInterfacePatch,
    responses((status = 200, body = EthInterface), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn patch_one(
    State(st): S,
    Path(raw): Path<String>,
    Body(patch): Body<EthInterfacePatch>,
) -> Result<Json<EthInterface>, ApiError> {
    let id = id_path(&raw)?;
    Ok(Json(
        st.core
            .interfaces
            .change(&id, InterfaceChange::Patch(patch))
            .await?,
    ))
}

/// Delete one interface.
#[utoipa::path(delete, path = "/Inventory/EthernetInterfaces/{ethInterfaceID}", tag = "ethernet",
    params(("ethInterfaceID" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_one(State(st): S, Path(raw): Path<String>) -> Result<Json<Message>, ApiError> {
    st.core.interfaces.delete(&id_path(&raw)?).await?;
    Ok(message("deleted 1 entry"))
}

/// An interface's IP addresses.
#[utoipa::path(get, path = "/Inventory/EthernetInterfaces/{ethInterfaceID}/IPAddresses",
    tag = "ethernet", params(("ethInterfaceID" = String, Path)),
    responses((status = 200, body = Vec<IpMapping>), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn list_ips(State(st): S, Path(raw): Path<String>) -> Result<Json<Vec<IpMapping>>, ApiError> {
    Ok(Json(
        st.core.interfaces.get(&id_path(&raw)?).await?.ip_addresses,
    ))
}

/// Add an IP address.
#[utoipa::path(post, path = "/Inventory/EthernetInterfaces/{ethInterfaceID}/IPAddresses",
    tag = "ethernet", params(("ethInterfaceID" = String, Path)), request_body = IpMapping,
    responses((status = 201, body = ResourceUri), (status = 400, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn post_ip(
    State(st): S,
    Path(raw): Path<String>,
    Body(ip): Body<IpMapping>,
) -> Result<(StatusCode, Json<ResourceUri>), ApiError> {
    let id = id_path(&raw)?;
    let iface = st
        .core
        .interfaces
        .change(&id, InterfaceChange::AddIp(ip.clone()))
        .await?;
    // The canonical spelling of the address just added is the last one in the list.
    let added = iface
        .ip_addresses
        .last()
        .map(|m| m.ip_address.clone())
        .unwrap_or(ip.ip_address);
    Ok((
        StatusCode::CREATED,
        Json(ResourceUri {
            uri: format!("{BASE}/{id}/IPAddresses/{added}"),
        }),
    ))
}

/// Body of an IP address PATCH.
#[derive(Debug, Deserialize, ToSchema)]
struct NetworkPatch {
    #[serde(rename = "Network")]
    network: Option<String>,
}

/// Change the network of an IP address.
#[utoipa::path(patch,
    path = "/Inventory/EthernetInterfaces/{ethInterfaceID}/IPAddresses/{ipAddress}",
    tag = "ethernet", params(("ethInterfaceID" = String, Path), ("ipAddress" = String, Path)),
    request_body = NetworkPatch,
    responses((status = 200, body = IpMapping), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn patch_ip(
    State(st): S,
    Path((raw, ip)): Path<(String, String)>,
    Body(body): Body<NetworkPatch>,
) -> Result<Json<IpMapping>, ApiError> {
    let id = id_path(&raw)?;
    let network = body
        .network
        .ok_or_else(|| ApiError::bad_request("nothing to change: give Network"))?;
    let canonical =
        crate::model::ethernet::normalize_ip(&ip).map_err(|e| ApiError::bad_request(e.0))?;
    let iface = st
        .core
        .interfaces
        .change(&id, InterfaceChange::SetNetwork { ip, network })
        .await?;
    // As SMD answers: the changed mapping.
    iface
        .ip_addresses
        .into_iter()
        .find(|m| m.ip_address == canonical)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("interface {id} has no IP address {canonical}")))
}

/// Remove an IP address.
#[utoipa::path(delete,
    path = "/Inventory/EthernetInterfaces/{ethInterfaceID}/IPAddresses/{ipAddress}",
    tag = "ethernet", params(("ethInterfaceID" = String, Path), ("ipAddress" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_ip(
    State(st): S,
    Path((raw, ip)): Path<(String, String)>,
) -> Result<Json<Message>, ApiError> {
    let id = id_path(&raw)?;
    st.core
        .interfaces
        .change(&id, InterfaceChange::RemoveIp(ip))
        .await?;
    Ok(message("deleted 1 entry"))
}
