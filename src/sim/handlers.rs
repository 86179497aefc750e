//! The Redfish each simulated BMC answers: service root, systems with their NICs and reset
//! action, managers, chassis and sessions, behind basic or session auth and the BMC's faults.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use super::*;

type St = Extension<Arc<Shared>>;
type B = Extension<Arc<SimBmc>>;

pub(super) fn routes() -> Router {
    Router::new()
        .route(
            "/redfish",
            get(|| async { Json(json!({"v1": "/redfish/v1/"})) }),
        )
        .route("/redfish/v1", get(root))
        .route("/redfish/v1/", get(root))
        .route("/redfish/v1/Systems", get(systems))
        .route("/redfish/v1/Systems/{id}", get(system))
        .route(
            "/redfish/v1/Systems/{id}/EthernetInterfaces",
            get(system_nics),
        )
        .route(
            "/redfish/v1/Systems/{id}/EthernetInterfaces/{nic}",
            get(system_nic),
        )
        .route(
            "/redfish/v1/Systems/{id}/Actions/ComputerSystem.Reset",
            post(reset),
        )
        .route("/redfish/v1/Systems/{id}/Processors", get(processors))
        .route("/redfish/v1/Systems/{id}/Processors/{cpu}", get(processor))
        .route("/redfish/v1/Managers", get(managers))
        .route("/redfish/v1/Managers/BMC", get(manager))
        .route(
            "/redfish/v1/Managers/BMC/EthernetInterfaces",
            get(manager_nics),
        )
        .route(
            "/redfish/v1/Managers/BMC/EthernetInterfaces/1",
            get(manager_nic),
        )
        .route("/redfish/v1/Chassis", get(chassis_list))
        .route("/redfish/v1/Chassis/{id}", get(chassis))
        .merge(super::caps::routes())
        .route("/redfish/v1/{service}", get(service))
        .route("/redfish/v1/SessionService/Sessions", post(login))
        .route(
            "/redfish/v1/SessionService/Sessions/{id}",
            axum::routing::delete(logout),
        )
        .fallback(|| async {
            redfish_error(
                StatusCode::NOT_FOUND,
                "ResourceMissingAtURI",
                "no such resource",
            )
        })
        .layer(axum::middleware::from_fn(gate))
}

pub(super) fn redfish_error(status: StatusCode, id: &str, message: &str) -> Response {
    let body = json!({"error": {"code": format!("Base.1.8.{id}"), "message": message,
        "@Message.ExtendedInfo": [{"MessageId": format!("Base.1.8.{id}"), "Message": message}]}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Faults, latency and authentication before any handler.
async fn gate(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let Some(bmc) = req.extensions().get::<Arc<SimBmc>>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    bmc.requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let faults = bmc.faults();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if faults.hang {
        tokio::time::sleep(HANG).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    let path = req.uri().path();
    let open = matches!(path, "/redfish" | "/redfish/v1" | "/redfish/v1/")
        || (path == "/redfish/v1/SessionService/Sessions" && req.method() == http::Method::POST);
    if faults.error_500 && !matches!(path, "/redfish/v1" | "/redfish/v1/") {
        return redfish_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "simulated failure",
        );
    }
    if !open && !authorized(&bmc, req.headers(), &faults) {
        let mut r = redfish_error(
            StatusCode::UNAUTHORIZED,
            "NoValidSession",
            "authentication required",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"simulated BMC\""),
        );
        return r;
    }
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .insert("odata-version", http::HeaderValue::from_static("4.0"));
    resp
}

fn authorized(bmc: &SimBmc, headers: &HeaderMap, faults: &Faults) -> bool {
    if faults.wrong_credentials {
        return false;
    }
    if let Some(t) = headers.get("x-auth-token").and_then(|v| v.to_str().ok()) {
        return bmc
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|v| v == t);
    }
    let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) else {
        return false;
    };
    let text = String::from_utf8_lossy(&decoded);
    text.split_once(':') == Some((bmc.user.as_str(), bmc.password.as_str()))
}

async fn root(Extension(bmc): B) -> Json<Value> {
    Json(json!({
        "@odata.id": "/redfish/v1/", "@odata.type": "#ServiceRoot.v1_9_0.ServiceRoot",
        "Id": "RootService", "Name": "Simulated BMC", "RedfishVersion": "1.11.0",
        "UUID": format!("5eb00000-0000-4000-8000-{:012x}", bmc.index),
        "Vendor": "chami-sim",
        "Systems": {"@odata.id": "/redfish/v1/Systems"},
        "Managers": {"@odata.id": "/redfish/v1/Managers"},
        "Chassis": {"@odata.id": "/redfish/v1/Chassis"},
        "AccountService": {"@odata.id": "/redfish/v1/AccountService"},
        "EventService": {"@odata.id": "/redfish/v1/EventService"},
        "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
        "UpdateService": {"@odata.id": "/redfish/v1/UpdateService"},
        "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}},
    }))
}

/// The services the root links, each with its enabled flag and what it holds.
async fn service(Path(name): Path<String>) -> Response {
    let id = format!("/redfish/v1/{name}");
    let body = match name.as_str() {
        "AccountService" => json!({"Accounts": {"@odata.id": format!("{id}/Accounts")},
                                   "MinPasswordLength": 8}),
        "EventService" => json!({"DeliveryRetryAttempts": 3,
                                 "Subscriptions": {"@odata.id": format!("{id}/Subscriptions")}}),
        "SessionService" => json!({"SessionTimeout": 1800,
                                   "Sessions": {"@odata.id": format!("{id}/Sessions")}}),
        "UpdateService" => {
            json!({"FirmwareInventory": {"@odata.id": format!("{id}/FirmwareInventory")}})
        }
        _ => {
            return redfish_error(
                StatusCode::NOT_FOUND,
                "ResourceMissingAtURI",
                "no such resource",
            )
        }
    };
    let mut doc = json!({"@odata.id": id, "@odata.type": format!("#{name}.v1_0_0.{name}"),
                         "Id": name, "Name": name, "ServiceEnabled": true});
    if let (Some(d), Value::Object(more)) = (doc.as_object_mut(), body) {
        d.extend(more);
    }
    Json(doc).into_response()
}

pub(super) fn collection(id: &str, members: Vec<String>) -> Json<Value> {
    Json(json!({
        "@odata.id": id, "Name": id.rsplit('/').next().unwrap_or(id),
        "Members@odata.count": members.len(),
        "Members": members.iter().map(|m| json!({"@odata.id": m})).collect::<Vec<_>>(),
    }))
}

async fn systems(Extension(bmc): B) -> Json<Value> {
    collection(
        "/redfish/v1/Systems",
        bmc.systems
            .iter()
            .map(|s| format!("/redfish/v1/Systems/{}", s.id))
            .collect(),
    )
}

pub(super) fn find<'a>(bmc: &'a SimBmc, id: &str) -> Option<&'a SimSystem> {
    bmc.systems.iter().find(|s| s.id == id)
}

async fn processors(Extension(bmc): B, Path(id): Path<String>) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    let base = format!("/redfish/v1/Systems/{}/Processors", s.id);
    collection(&base, (0..2).map(|i| format!("{base}/CPU{i}")).collect()).into_response()
}

async fn processor(Extension(bmc): B, Path((id, cpu)): Path<(String, String)>) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    if !matches!(cpu.as_str(), "CPU0" | "CPU1") {
        return redfish_error(
            StatusCode::NOT_FOUND,
            "ResourceMissingAtURI",
            "no such processor",
        );
    }
    Json(json!({
        "@odata.id": format!("/redfish/v1/Systems/{}/Processors/{cpu}", s.id),
        "@odata.type": "#Processor.v1_11_0.Processor", "Id": cpu, "Name": cpu,
        "ProcessorType": "CPU", "ProcessorArchitecture": "x86", "InstructionSet": "x86-64",
        "Model": "Simulated CPU", "TotalCores": 32,
    }))
    .into_response()
}

pub(super) fn no_system(id: &str) -> Response {
    redfish_error(
        StatusCode::NOT_FOUND,
        "ResourceMissingAtURI",
        &format!("no system {id}"),
    )
}

async fn system(Extension(bmc): B, Path(id): Path<String>) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    let power = s.power.lock().unwrap_or_else(|p| p.into_inner()).settle();
    let base = format!("/redfish/v1/Systems/{}", s.id);
    Json(json!({
        "@odata.id": base, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem",
        "Id": s.id, "Name": s.id, "UUID": s.uuid, "SystemType": "Physical",
        "Manufacturer": "chami-sim", "Model": "SIM-1", "SerialNumber": format!("SIM{:04}{}", bmc.index, s.id),
        "BiosVersion": "1.0.0", "PowerState": power.as_str(),
        "Status": {"State": "Enabled", "Health": "OK"},
        "ProcessorSummary": {"Count": 2, "Model": "Simulated CPU"},
        "MemorySummary": {"TotalSystemMemoryGiB": 256},
        "EthernetInterfaces": {"@odata.id": format!("{base}/EthernetInterfaces")},
        "Processors": {"@odata.id": format!("{base}/Processors")},
        "HostName": format!("sim{:04}-{}", bmc.index, s.id.to_ascii_lowercase()),
        "Description": "Simulated compute node",
        "Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/BMC"}],
                  "Chassis": [{"@odata.id": format!("/redfish/v1/Chassis/{}", s.id)}]},
        "Actions": {"#ComputerSystem.Reset": {
            "target": format!("{base}/Actions/ComputerSystem.Reset"),
            "ResetType@Redfish.AllowableValues": RESET_TYPES,
        }},
    }))
    .into_response()
}

async fn system_nics(Extension(bmc): B, Path(id): Path<String>) -> Response {
    match find(&bmc, &id) {
        Some(s) => collection(
            &format!("/redfish/v1/Systems/{}/EthernetInterfaces", s.id),
            vec![format!("/redfish/v1/Systems/{}/EthernetInterfaces/1", s.id)],
        )
        .into_response(),
        None => no_system(&id),
    }
}

async fn system_nic(Extension(bmc): B, Path((id, nic)): Path<(String, String)>) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    if nic != "1" {
        return redfish_error(
            StatusCode::NOT_FOUND,
            "ResourceMissingAtURI",
            "no such interface",
        );
    }
    Json(json!({
        "@odata.id": format!("/redfish/v1/Systems/{}/EthernetInterfaces/1", s.id),
        "Id": "1", "Name": "HSN0", "MACAddress": s.mac, "PermanentMACAddress": s.mac,
        "InterfaceEnabled": true,
    }))
    .into_response()
}

async fn reset(
    Extension(bmc): B,
    Extension(shared): St,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    let reset_type = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("ResetType")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let Some(reset_type) = reset_type else {
        return redfish_error(
            StatusCode::BAD_REQUEST,
            "ActionParameterMissing",
            "ResetType is required",
        );
    };
    if !RESET_TYPES.contains(&reset_type.as_str()) {
        return redfish_error(
            StatusCode::BAD_REQUEST,
            "ActionParameterValueNotInList",
            &format!(
                "ResetType {reset_type} is not one of {}",
                RESET_TYPES.join(", ")
            ),
        );
    }
    {
        let mut f = bmc.faults.lock().unwrap_or_else(|p| p.into_inner());
        if f.busy_resets > 0 {
            f.busy_resets -= 1;
            drop(f);
            return redfish_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceTemporarilyUnavailable",
                "simulated busy BMC: the reset was not taken",
            );
        }
    }
    let late = bmc.faults().late_reset;
    if let Err(why) = apply(s, &reset_type, shared.config.power_delay) {
        return redfish_error(StatusCode::CONFLICT, "ActionNotSupported", &why);
    }
    s.resets
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(reset_type);
    if !late.is_zero() {
        tokio::time::sleep(late).await;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Applies a reset to a system's power (a change shows after `delay`);
/// an error says why the reset cannot be taken.
fn apply(s: &SimSystem, reset_type: &str, delay: Duration) -> Result<(), String> {
    let mut p = s.power.lock().unwrap_or_else(|p| p.into_inner());
    let now = p.settle();
    let at = Instant::now() + delay;
    match reset_type {
        "On" => {
            if now == Power::Off {
                p.pending = Some((Power::On, at));
            }
        }
        "ForceOff" => {
            p.now = Power::Off;
            p.pending = None;
        }
        "GracefulShutdown" => {
            if now == Power::On {
                p.pending = Some((Power::Off, at));
            }
        }
        // Restarts: off at once, back on after the delay (as sushy-tools shows it).
        _ => {
            if now == Power::On || reset_type == "PowerCycle" {
                p.now = Power::Off;
                p.pending = Some((Power::On, at));
            } else {
                return Err(format!("{reset_type} needs the system on; it is off"));
            }
        }
    }
    Ok(())
}

async fn managers() -> Json<Value> {
    collection(
        "/redfish/v1/Managers",
        vec!["/redfish/v1/Managers/BMC".into()],
    )
}

async fn manager(Extension(bmc): B) -> Json<Value> {
    Json(json!({
        "@odata.id": "/redfish/v1/Managers/BMC", "@odata.type": "#Manager.v1_10_0.Manager",
        "Id": "BMC", "Name": "Simulated BMC", "ManagerType": "BMC",
        "UUID": format!("5eb00000-0000-4000-8000-{:012x}", bmc.index),
        "FirmwareVersion": "sim-1.0", "Model": "SIM-BMC",
        "EthernetInterfaces": {"@odata.id": "/redfish/v1/Managers/BMC/EthernetInterfaces"},
        "Links": {"ManagerForServers": bmc.systems.iter()
            .map(|s| json!({"@odata.id": format!("/redfish/v1/Systems/{}", s.id)})).collect::<Vec<_>>()},
        "Actions": {"#Manager.Reset": {"target": "/redfish/v1/Managers/BMC/Actions/Manager.Reset",
            "ResetType@Redfish.AllowableValues": ["ForceRestart", "GracefulRestart"]}},
    }))
}

async fn manager_nics() -> Json<Value> {
    collection(
        "/redfish/v1/Managers/BMC/EthernetInterfaces",
        vec!["/redfish/v1/Managers/BMC/EthernetInterfaces/1".into()],
    )
}

async fn manager_nic(Extension(bmc): B) -> Json<Value> {
    Json(json!({
        "@odata.id": "/redfish/v1/Managers/BMC/EthernetInterfaces/1",
        "Id": "1", "Name": "Manager NIC", "MACAddress": bmc.mac, "PermanentMACAddress": bmc.mac,
        "IPv4Addresses": [{"Address": bmc.ip.to_string(), "AddressOrigin": "Static", "SubnetMask": "255.0.0.0"}],
        "InterfaceEnabled": true,
    }))
}

async fn chassis_list(Extension(bmc): B) -> Json<Value> {
    collection(
        "/redfish/v1/Chassis",
        bmc.systems
            .iter()
            .map(|s| format!("/redfish/v1/Chassis/{}", s.id))
            .collect(),
    )
}

async fn chassis(Extension(bmc): B, Path(id): Path<String>) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    let base = format!("/redfish/v1/Chassis/{}", s.id);
    let mut v = json!({
        "@odata.id": base, "Id": s.id,
        "ChassisType": "RackMount", "Manufacturer": "chami-sim", "Model": "SIM-1",
        "Links": {"ComputerSystems": [{"@odata.id": format!("/redfish/v1/Systems/{}", s.id)}]},
        "Power": {"@odata.id": format!("{base}/Power")},
    });
    if bmc.offers_controls() {
        v["Controls"] = json!({"@odata.id": format!("{base}/Controls")});
    }
    Json(v).into_response()
}

async fn login(Extension(bmc): B, Extension(shared): St, body: axum::body::Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let user = v["UserName"].as_str().unwrap_or_default();
    let pass = v["Password"].as_str().unwrap_or_default();
    if bmc.faults().wrong_credentials
        || user != shared.config.user
        || pass != shared.config.password
    {
        return redfish_error(
            StatusCode::UNAUTHORIZED,
            "NoValidSession",
            "invalid credentials",
        );
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let token = uuid::Uuid::new_v4().simple().to_string();
    bmc.sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone(), token.clone());
    let location = format!("/redfish/v1/SessionService/Sessions/{id}");
    (
        StatusCode::CREATED,
        [
            ("x-auth-token", token),
            (header::LOCATION.as_str(), location.clone()),
        ],
        Json(json!({"@odata.id": location, "Id": id, "UserName": user})),
    )
        .into_response()
}

async fn logout(Extension(bmc): B, Path(id): Path<String>) -> StatusCode {
    match bmc
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id)
    {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}
