//! Power limits on the simulated BMCs: every chassis has a `Power` resource whose
//! `PowerControl` reports draw and takes a `PowerLimit` PATCH; odd BMCs also offer the newer
//! `Controls` schema (a `NodePowerLimit` control, set one at a time or through
//! `Controls.Deep`), as a Cray EX blade does. Limits outside [`CAP_RANGE`] are refused.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use super::handlers::{collection, find, no_system, redfish_error};
use super::{SimBmc, SimSystem, CAP_RANGE};

type B = Extension<std::sync::Arc<SimBmc>>;

/// The control's name on a `Controls` BMC.
const CONTROL: &str = "NodePowerLimit";

pub(super) fn routes() -> Router {
    Router::new()
        .route(
            "/redfish/v1/Chassis/{id}/Power",
            get(power).patch(patch_power),
        )
        .route("/redfish/v1/Chassis/{id}/Controls", get(controls))
        .route(
            "/redfish/v1/Chassis/{id}/Controls/{control}",
            get(control).patch(patch_control),
        )
        .route(
            "/redfish/v1/Chassis/{id}/Controls.Deep",
            axum::routing::patch(patch_deep),
        )
}

/// A Redfish refusal, made into its answer at the end.
struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        redfish_error(self.0, self.1, &self.2)
    }
}

fn limit(s: &SimSystem) -> Option<i64> {
    *s.limit.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sets a limit (0 or none lifts it); the error is the Redfish refusal.
fn set_limit(s: &SimSystem, watts: Option<i64>) -> Result<(), Refusal> {
    let watts = watts.filter(|w| *w != 0);
    if let Some(w) = watts {
        if w < CAP_RANGE.0 || w > CAP_RANGE.1 {
            return Err(Refusal(
                StatusCode::BAD_REQUEST,
                "PropertyValueOutOfRange",
                format!(
                    "power limit {w} W is outside {}..{} W",
                    CAP_RANGE.0, CAP_RANGE.1
                ),
            ));
        }
    }
    *s.limit.lock().unwrap_or_else(|p| p.into_inner()) = watts;
    Ok(())
}

/// What the node draws now: nothing when off, else 420 W or its limit if lower.
fn draw(s: &SimSystem) -> i64 {
    let on = s.power.lock().unwrap_or_else(|p| p.into_inner()).settle() == super::Power::On;
    if on {
        limit(s).map_or(420, |l| l.min(420))
    } else {
        0
    }
}

/// The `PowerControl` entry of system `id` on a BMC with or without `Controls`.
fn power_control(id: &str, controls: bool, limit: Option<i64>, draw: i64) -> Value {
    let mut pc = json!({
        "@odata.id": format!("/redfish/v1/Chassis/{id}/Power#/PowerControl/0"), "MemberId": "0",
        "Name": "Node Power Control", "PowerCapacityWatts": 900,
        "PowerConsumedWatts": draw,
        "PowerLimit": {"LimitInWatts": limit},
    });
    if !controls {
        pc["Oem"] = json!({"Cray": {
            "PowerLimit": {"Min": CAP_RANGE.0, "Max": CAP_RANGE.1},
            "PowerResetWatts": 250,
        }});
    }
    pc
}

/// What a walk of BMC `index` would find of system `id`'s power controls: the `Power` path,
/// its `PowerControl` entries, and each `Controls` member's path and body. For seeding an
/// inventory (the demo) that matches the fleet without walking it.
pub type RecordedPower = (String, Vec<Value>, Vec<(String, Value)>);

/// See [`RecordedPower`].
pub fn recorded_power(index: u32, id: &str) -> RecordedPower {
    let controls = index % 2 == 1;
    let members = if controls {
        vec![(
            format!("/redfish/v1/Chassis/{id}/Controls/{CONTROL}"),
            control_body(id, None),
        )]
    } else {
        Vec::new()
    };
    (
        format!("/redfish/v1/Chassis/{id}/Power"),
        vec![power_control(id, controls, None, 0)],
        members,
    )
}

async fn power(Extension(bmc): B, Path(id): Path<String>) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    let base = format!("/redfish/v1/Chassis/{}/Power", s.id);
    let pc = power_control(&s.id, bmc.offers_controls(), limit(s), draw(s));
    Json(json!({
        "@odata.id": base, "@odata.type": "#Power.v1_5_4.Power", "Id": "Power",
        "Name": "Power", "PowerControl": [pc],
    }))
    .into_response()
}

async fn patch_power(
    Extension(bmc): B,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    let Some(first) = body["PowerControl"].as_array().and_then(|a| a.first()) else {
        return redfish_error(
            StatusCode::BAD_REQUEST,
            "PropertyMissing",
            "PowerControl is required",
        );
    };
    match set_limit(s, first["PowerLimit"]["LimitInWatts"].as_i64()) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_response(),
    }
}

fn control_body(id: &str, l: Option<i64>) -> Value {
    json!({
        "@odata.id": format!("/redfish/v1/Chassis/{id}/Controls/{CONTROL}"),
        "@odata.type": "#Control.v1_0_0.Control", "Id": CONTROL, "Name": "Node Power Limit",
        "PhysicalContext": "Chassis", "ControlType": "Power", "SetPointUnits": "W",
        "ControlMode": if l.is_some() { "Automatic" } else { "Disabled" },
        "SetPoint": l.unwrap_or(0),
        "SettingRangeMin": CAP_RANGE.0, "SettingRangeMax": CAP_RANGE.1,
        "Status": {"State": "Enabled", "Health": "OK"},
    })
}

/// The system behind a `Controls` request, or the 404 a BMC without them answers.
fn with_controls<'a>(bmc: &'a SimBmc, id: &str) -> Result<&'a SimSystem, Refusal> {
    match find(bmc, id) {
        Some(s) if bmc.offers_controls() => Ok(s),
        Some(_) => Err(Refusal(
            StatusCode::NOT_FOUND,
            "ResourceMissingAtURI",
            "no Controls on this BMC".into(),
        )),
        None => Err(Refusal(
            StatusCode::NOT_FOUND,
            "ResourceMissingAtURI",
            format!("no system {id}"),
        )),
    }
}

async fn controls(Extension(bmc): B, Path(id): Path<String>) -> Response {
    match with_controls(&bmc, &id) {
        Ok(s) => collection(
            &format!("/redfish/v1/Chassis/{}/Controls", s.id),
            vec![format!("/redfish/v1/Chassis/{}/Controls/{CONTROL}", s.id)],
        )
        .into_response(),
        Err(r) => r.into_response(),
    }
}

async fn control(Extension(bmc): B, Path((id, name)): Path<(String, String)>) -> Response {
    match with_controls(&bmc, &id) {
        Ok(s) if name == CONTROL => Json(control_body(&s.id, limit(s))).into_response(),
        Ok(_) => redfish_error(
            StatusCode::NOT_FOUND,
            "ResourceMissingAtURI",
            "no such control",
        ),
        Err(r) => r.into_response(),
    }
}

/// A control body's limit: none when `ControlMode` is `Disabled`.
fn wanted(v: &Value) -> Result<Option<i64>, Refusal> {
    if v["ControlMode"].as_str() == Some("Disabled") {
        return Ok(None);
    }
    v["SetPoint"].as_i64().map(Some).ok_or_else(|| {
        Refusal(
            StatusCode::BAD_REQUEST,
            "PropertyMissing",
            "SetPoint is required unless ControlMode is Disabled".into(),
        )
    })
}

async fn patch_control(
    Extension(bmc): B,
    Path((id, name)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let s = match with_controls(&bmc, &id) {
        Ok(s) if name == CONTROL => s,
        Ok(_) => {
            return redfish_error(
                StatusCode::NOT_FOUND,
                "ResourceMissingAtURI",
                "no such control",
            )
        }
        Err(r) => return r.into_response(),
    };
    match wanted(&body).and_then(|w| set_limit(s, w)) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_response(),
    }
}

async fn patch_deep(
    Extension(bmc): B,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let s = match with_controls(&bmc, &id) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let path = format!("/redfish/v1/Chassis/{}/Controls/{CONTROL}", s.id);
    let members = body["Members"].as_array().cloned().unwrap_or_default();
    let Some(m) = members
        .iter()
        .find(|m| m["@odata.id"].as_str() == Some(&path))
    else {
        return redfish_error(
            StatusCode::BAD_REQUEST,
            "PropertyValueNotInList",
            &format!("Members names no control of this chassis (expected {path})"),
        );
    };
    match wanted(m).and_then(|w| set_limit(s, w)) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r.into_response(),
    }
}
