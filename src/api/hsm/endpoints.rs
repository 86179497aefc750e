//! `Inventory/RedfishEndpoints` (magellan's POST included), and the
//! `Inventory/ComponentEndpoints` and `Inventory/ServiceEndpoints` derived from them (read
//! and deleted). No response ever carries a BMC password.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{created, message, Message, ResourceUri, S};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{Body, QueryPairs, XnamePath};
use crate::api::AppState;
use crate::model::discovery::ComponentEndpointFilter;
use crate::model::discovery::{ComponentEndpoint, ServiceEndpoint};
use crate::model::redfish::{EndpointFilter, EndpointInput, RedfishEndpoint};
use crate::model::xname::{HmsType, Xname};
use crate::service::scope::Scope;
use crate::service::ServiceError;

pub(super) fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, post, delete_all))
        .routes(routes!(get_one, put_one, patch_one, delete_one))
        .routes(routes!(query))
        .routes(routes!(
            list_component_endpoints,
            delete_component_endpoints
        ))
        .routes(routes!(get_component_endpoint, delete_component_endpoint))
        .routes(routes!(list_service_endpoints, delete_service_endpoints))
        .routes(routes!(service_endpoints_by_service))
        .routes(routes!(service_endpoint_one, delete_service_endpoint))
}

const BASE: &str = "/hsm/v2/Inventory/RedfishEndpoints";

/// A list of endpoints (`RedfishEndpointArray`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EndpointArray {
    /// The endpoints.
    #[serde(rename = "RedfishEndpoints")]
    pub endpoints: Vec<RedfishEndpoint>,
}

/// A list of component endpoints (`ComponentEndpointArray`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ComponentEndpointArray {
    /// The component endpoints.
    #[serde(rename = "ComponentEndpoints")]
    pub endpoints: Vec<ComponentEndpoint>,
}

/// A list of service endpoints (`ServiceEndpointArray`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceEndpointArray {
    /// The service endpoints.
    #[serde(rename = "ServiceEndpoints")]
    pub endpoints: Vec<ServiceEndpoint>,
}

fn parse_input(v: Value, what: &str) -> Result<EndpointInput, ApiError> {
    crate::api::extract::from_value(v).map_err(|e| ApiError::bad_request(format!("{what}: {e}")))
}

/// The POST body: one endpoint (as magellan sends) or `{"RedfishEndpoints": [...]}`.
fn post_inputs(body: Value) -> Result<Vec<EndpointInput>, ApiError> {
    let Value::Object(mut map) = body else {
        return Err(ApiError::bad_request(
            "body must be one Redfish endpoint object or {\"RedfishEndpoints\": [...]}",
        ));
    };
    if map.contains_key("PDUInventory") {
        return Err(ApiError::bad_request(
            "PDUInventory bodies are not supported yet; POST the PDU controller as a Redfish endpoint",
        ));
    }
    match map.remove("RedfishEndpoints") {
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| parse_input(v, &format!("RedfishEndpoints[{i}]")))
            .collect(),
        Some(_) => Err(ApiError::bad_request("RedfishEndpoints must be an array")),
        None => Ok(vec![parse_input(Value::Object(map), "Redfish endpoint")?]),
    }
}

/// List endpoints (fields AND, repeated values OR).
#[utoipa::path(get, path = "/Inventory/RedfishEndpoints", tag = "redfish",
    params(("id" = Option<String>, Query), ("fqdn" = Option<String>, Query),
        ("type" = Option<String>, Query), ("uuid" = Option<String>, Query),
        ("macaddr" = Option<String>, Query), ("ipaddress" = Option<String>, Query),
        ("laststatus" = Option<String>, Query)),
    responses((status = 200, body = EndpointArray), (status = 400, body = Problem)))]
async fn list(State(st): S, QueryPairs(q): QueryPairs) -> Result<Json<EndpointArray>, ApiError> {
    let mut filter = EndpointFilter::default();
    for (k, v) in &q {
        filter.add(k, v).map_err(|e| ApiError::bad_request(e.0))?;
    }
    Ok(Json(EndpointArray {
        endpoints: st.core.endpoints.list(&filter).await?,
    }))
}

/// Create endpoints: one object (magellan's body, with `Systems`/`Managers` when
/// `SchemaVersion` >= 1) or `{"RedfishEndpoints": [...]}`, all or nothing. With
/// `--discover-on-register`, those without a description are then discovered.
#[utoipa::path(post, path = "/Inventory/RedfishEndpoints", tag = "redfish",
    request_body = EndpointInput,
    responses((status = 201, body = Vec<ResourceUri>), (status = 400, body = Problem),
        (status = 409, body = Problem)))]
async fn post(
    State(st): S,
    Body(body): Body<Value>,
) -> Result<(StatusCode, Json<Vec<ResourceUri>>), ApiError> {
    let inputs = post_inputs(body)?;
    let described: Vec<bool> = inputs.iter().map(|i| i.describes_hardware()).collect();
    let ids = st.core.endpoints.create(inputs).await?;
    // What magellan already described needs no walk.
    let undescribed: Vec<Xname> = ids
        .iter()
        .zip(&described)
        .filter(|(_, d)| !**d)
        .map(|(id, _)| id.clone())
        .collect();
    st.core.discovery.registered(&undescribed).await?;
    Ok(created(
        ids.iter().map(|id| format!("{BASE}/{id}")).collect(),
    ))
}

/// Delete every endpoint (their components stay).
#[utoipa::path(delete, path = "/Inventory/RedfishEndpoints", tag = "redfish",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_all(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.endpoints.delete_all().await?;
    Ok(message(format!("deleted {n} entries")))
}

/// One endpoint.
#[utoipa::path(get, path = "/Inventory/RedfishEndpoints/{xname}", tag = "redfish",
    params(("xname" = String, Path)),
    responses((status = 200, body = RedfishEndpoint), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_one(
    State(st): S,
    XnamePath(id): XnamePath,
) -> Result<Json<RedfishEndpoint>, ApiError> {
    Ok(Json(st.core.endpoints.get(&id).await?))
}

/// Create or overwrite an endpoint (magellan's `--force-update`); an absent Password keeps
/// the stored one.
#[utoipa::path(put, path = "/Inventory/RedfishEndpoints/{xname}", tag = "redfish",
    params(("xname" = String, Path)), request_body = EndpointInput,
    responses((status = 200, body = RedfishEndpoint), (status = 400, body = Problem),
        (status = 409, body = Problem)))]
async fn put_one(
    State(st): S,
    XnamePath(id): XnamePath,
    Body(body): Body<Value>,
) -> Result<Json<RedfishEndpoint>, ApiError> {
    let input = parse_input(body, "Redfish endpoint")?;
    Ok(Json(st.core.endpoints.replace(&id, input).await?))
}

/// Change the given fields of an endpoint.
#[utoipa::path(patch, path = "/Inventory/RedfishEndpoints/{xname}", tag = "redfish",
    params(("xname" = String, Path)), request_body = EndpointInput,
    responses((status = 200, body = RedfishEndpoint), (status = 400, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn patch_one(
    State(st): S,
    XnamePath(id): XnamePath,
    Body(body): Body<Value>,
) -> Result<Json<RedfishEndpoint>, ApiError> {
    let patch = parse_input(body, "Redfish endpoint patch")?;
    Ok(Json(st.core.endpoints.patch(&id, patch).await?))
}

/// Delete an endpoint with its component and service endpoints (its components stay).
#[utoipa::path(delete, path = "/Inventory/RedfishEndpoints/{xname}", tag = "redfish",
    params(("xname" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_one(State(st): S, XnamePath(id): XnamePath) -> Result<Json<Message>, ApiError> {
    st.core.endpoints.delete(&id).await?;
    Ok(message("deleted 1 entry"))
}

/// Endpoints at or below an xname (`s0` or `all`: every one).
#[utoipa::path(get, path = "/Inventory/RedfishEndpoints/Query/{xname}", tag = "redfish",
    params(("xname" = String, Path)),
    responses((status = 200, body = EndpointArray), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn query(State(st): S, Path(root): Path<String>) -> Result<Json<EndpointArray>, ApiError> {
    let endpoints = st.core.endpoints.list_below(&root).await?;
    if endpoints.is_empty() {
        return Err(ApiError::not_found(format!(
            "no Redfish endpoints at or below {root}"
        )));
    }
    Ok(Json(EndpointArray { endpoints }))
}

// ---------------------------------------------------------------------------------------------
// Component and service endpoints (derived, read-only)

/// List component endpoints: `id`, `redfish_ep`, `type`, `redfish_type` (repeatable).
#[utoipa::path(get, path = "/Inventory/ComponentEndpoints", tag = "redfish",
    params(("id" = Option<String>, Query), ("redfish_ep" = Option<String>, Query),
        ("type" = Option<String>, Query), ("redfish_type" = Option<String>, Query)),
    responses((status = 200, body = ComponentEndpointArray), (status = 400, body = Problem)))]
async fn list_component_endpoints(
    State(st): S,
    Extension(scope): Extension<Scope>,
    QueryPairs(q): QueryPairs,
) -> Result<Json<ComponentEndpointArray>, ApiError> {
    let mut f = ComponentEndpointFilter::default();
    let xname = |k: &str, v: &str| {
        Xname::parse(v).map_err(|e| ApiError::bad_request(format!("bad query param {k}: {e}")))
    };
    for (k, v) in &q {
        match k.as_str() {
            "id" => f.ids.push(xname(k, v)?),
            "redfish_ep" => f.endpoints.push(xname(k, v)?),
            "type" => f.kinds.push(
                HmsType::parse(v)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "bad query param: type '{v}' is not an HMS type"
                        ))
                    })?
                    .to_string(),
            ),
            "redfish_type" => f.redfish_types.push(v.clone()),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "bad query param: unknown parameter '{k}' (use id, redfish_ep, type or redfish_type)"
                )))
            }
        }
    }
    let mut endpoints = st.core.endpoints.component_endpoints(&f).await?;
    scope.retain(&mut endpoints, |e| e.id.as_str());
    Ok(Json(ComponentEndpointArray { endpoints }))
}

/// One component endpoint.
#[utoipa::path(get, path = "/Inventory/ComponentEndpoints/{xname}", tag = "redfish",
    params(("xname" = String, Path)),
    responses((status = 200, body = ComponentEndpoint), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn get_component_endpoint(
    State(st): S,
    Extension(scope): Extension<Scope>,
    XnamePath(id): XnamePath,
) -> Result<Json<ComponentEndpoint>, ApiError> {
    let absent = || ServiceError::NotFound(format!("no such component endpoint: {id}"));
    scope.hide(id.as_str(), absent)?;
    let f = ComponentEndpointFilter {
        ids: vec![id.clone()],
        ..ComponentEndpointFilter::default()
    };
    st.core
        .endpoints
        .component_endpoints(&f)
        .await?
        .into_iter()
        .next()
        .map(Json)
        .ok_or_else(|| absent().into())
}

/// Delete every component endpoint, undoing discovery: their components become Empty.
#[utoipa::path(delete, path = "/Inventory/ComponentEndpoints", tag = "redfish",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_component_endpoints(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.endpoints.delete_component_endpoints(None).await?;
    Ok(message(format!("deleted {n} entries")))
}

/// Delete one component endpoint, undoing its discovery: its component becomes Empty.
#[utoipa::path(delete, path = "/Inventory/ComponentEndpoints/{xname}", tag = "redfish",
    params(("xname" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_component_endpoint(
    State(st): S,
    XnamePath(id): XnamePath,
) -> Result<Json<Message>, ApiError> {
    st.core
        .endpoints
        .delete_component_endpoints(Some(&id))
        .await?;
    Ok(message("deleted 1 entry"))
}

/// Delete every service endpoint (discovery records them again).
#[utoipa::path(delete, path = "/Inventory/ServiceEndpoints", tag = "redfish",
    responses((status = 200, body = Message), (status = 404, body = Problem)))]
async fn delete_service_endpoints(State(st): S) -> Result<Json<Message>, ApiError> {
    let n = st.core.endpoints.delete_service_endpoints(None).await?;
    Ok(message(format!("deleted {n} entries")))
}

/// Delete one service of one Redfish endpoint.
#[utoipa::path(delete, path = "/Inventory/ServiceEndpoints/{service}/RedfishEndpoints/{xname}",
    tag = "redfish", params(("service" = String, Path), ("xname" = String, Path)),
    responses((status = 200, body = Message), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn delete_service_endpoint(
    State(st): S,
    Path((service, raw)): Path<(String, String)>,
) -> Result<Json<Message>, ApiError> {
    let id = Xname::parse(&raw).map_err(|e| ApiError::bad_request(e.to_string()))?;
    st.core
        .endpoints
        .delete_service_endpoints(Some((&id, &service)))
        .await?;
    Ok(message("deleted 1 entry"))
}

/// List service endpoints: `redfish_ep` and `service` (repeatable).
#[utoipa::path(get, path = "/Inventory/ServiceEndpoints", tag = "redfish",
    params(("redfish_ep" = Option<String>, Query), ("service" = Option<String>, Query)),
    responses((status = 200, body = ServiceEndpointArray), (status = 400, body = Problem)))]
async fn list_service_endpoints(
    State(st): S,
    QueryPairs(q): QueryPairs,
) -> Result<Json<ServiceEndpointArray>, ApiError> {
    let mut eps = Vec::new();
    let mut services = Vec::new();
    for (k, v) in &q {
        match k.as_str() {
            "redfish_ep" => {
                eps.push(Xname::parse(v).map_err(|e| {
                    ApiError::bad_request(format!("bad query param redfish_ep: {e}"))
                })?)
            }
            "service" => services.push(v.clone()),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "bad query param: unknown parameter '{k}' (use redfish_ep or service)"
                )))
            }
        }
    }
    Ok(Json(ServiceEndpointArray {
        endpoints: st.core.endpoints.service_endpoints(&eps, &services).await?,
    }))
}

/// Service endpoints of one Redfish service type.
#[utoipa::path(get, path = "/Inventory/ServiceEndpoints/{service}", tag = "redfish",
    params(("service" = String, Path)),
    responses((status = 200, body = ServiceEndpointArray), (status = 404, body = Problem)))]
async fn service_endpoints_by_service(
    State(st): S,
    Path(service): Path<String>,
) -> Result<Json<ServiceEndpointArray>, ApiError> {
    let endpoints = st
        .core
        .endpoints
        .service_endpoints(&[], std::slice::from_ref(&service))
        .await?;
    if endpoints.is_empty() {
        return Err(ApiError::not_found(format!(
            "no service endpoints for {service}"
        )));
    }
    Ok(Json(ServiceEndpointArray { endpoints }))
}

/// One service of one Redfish endpoint.
#[utoipa::path(get, path = "/Inventory/ServiceEndpoints/{service}/RedfishEndpoints/{xname}",
    tag = "redfish", params(("service" = String, Path), ("xname" = String, Path)),
    responses((status = 200, body = ServiceEndpoint), (status = 400, body = Problem),
        (status = 404, body = Problem)))]
async fn service_endpoint_one(
    State(st): S,
    Path((service, raw)): Path<(String, String)>,
) -> Result<Json<ServiceEndpoint>, ApiError> {
    let id = Xname::parse(&raw).map_err(|e| ApiError::bad_request(e.to_string()))?;
    st.core
        .endpoints
        .service_endpoints(std::slice::from_ref(&id), std::slice::from_ref(&service))
        .await?
        .into_iter()
        .next()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no {service} service endpoint for {id}")))
}
