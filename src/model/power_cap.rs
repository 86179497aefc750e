//! Power capping (PCS `/power-cap`): the request and task shapes, a node's power controls as
//! discovery recorded them, what a BMC's `Power` or `Control` answer says, and the bodies
//! that set a limit. No I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

/// What a power-cap task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CapKind {
    /// Reads each node's limits.
    Snapshot,
    /// Sets limits.
    Patch,
}

impl CapKind {
    /// PCS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CapKind::Snapshot => "snapshot",
            CapKind::Patch => "patch",
        }
    }

    /// Reads PCS's spelling.
    pub fn parse(raw: &str) -> Option<CapKind> {
        match raw {
            "snapshot" => Some(CapKind::Snapshot),
            "patch" => Some(CapKind::Patch),
            _ => None,
        }
    }
}

/// Where a power-cap task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CapTaskStatus {
    /// Stored, not yet planned.
    #[serde(rename = "new")]
    New,
    /// BMCs are being asked.
    #[serde(rename = "in-progress")]
    InProgress,
    /// Every operation has ended.
    #[serde(rename = "completed")]
    Completed,
}

impl CapTaskStatus {
    /// PCS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CapTaskStatus::New => "new",
            CapTaskStatus::InProgress => "in-progress",
            CapTaskStatus::Completed => "completed",
        }
    }

    /// Reads PCS's spelling.
    pub fn parse(raw: &str) -> Option<CapTaskStatus> {
        match raw {
            "new" => Some(CapTaskStatus::New),
            "in-progress" => Some(CapTaskStatus::InProgress),
            "completed" => Some(CapTaskStatus::Completed),
            _ => None,
        }
    }
}

/// Where one operation (one node, or one of its controls) is, with PCS's spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CapOpStatus {
    /// Planned.
    #[serde(rename = "new")]
    New,
    /// Its BMC is being asked.
    #[serde(rename = "in-progress")]
    InProgress,
    /// Ended in an error.
    #[serde(rename = "failed")]
    Failed,
    /// Done.
    #[serde(rename = "Succeeded")]
    Succeeded,
    /// The component cannot be capped.
    #[serde(rename = "Unsupported")]
    Unsupported,
}

/// `POST /power-cap/snapshot`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SnapshotRequest {
    /// The nodes to read.
    #[serde(default)]
    pub xnames: Vec<String>,
}

/// `PATCH /power-cap`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct PatchRequest {
    /// The nodes and the limits to set.
    #[serde(default)]
    pub components: Vec<ComponentParam>,
}

/// One node's limits to set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ComponentParam {
    /// The node.
    pub xname: String,
    /// Its controls and their values.
    #[serde(default)]
    pub controls: Vec<ControlParam>,
}

/// One control's value, in watts; 0 lifts the limit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ControlParam {
    /// The control's name as a snapshot reports it (`Node Power Limit`, ...).
    pub name: String,
    /// Watts.
    pub value: i64,
}

impl PatchRequest {
    /// PCS's check before a task is made: every control named, no value below zero.
    pub fn check(&self) -> Result<(), String> {
        if self.components.is_empty() {
            return Err("Component list is empty. A list of components is required".into());
        }
        let bad: Vec<&str> = self
            .components
            .iter()
            .filter(|c| c.controls.iter().any(|k| k.name.is_empty() || k.value < 0))
            .map(|c| c.xname.as_str())
            .collect();
        if bad.is_empty() {
            Ok(())
        } else {
            let mut msg = "Invalid control parameters for xnames detected ".to_string();
            for x in bad {
                msg.push_str(x);
                msg.push(' ');
            }
            Err(msg)
        }
    }
}

/// Operation counts of a task, with PCS's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CapCounts {
    /// Every operation.
    pub total: u64,
    /// Not started.
    pub new: u64,
    /// Running.
    #[serde(rename = "in-progress")]
    pub in_progress: u64,
    /// Failed.
    pub failed: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Not supported.
    #[serde(rename = "un-supported")]
    pub unsupported: u64,
}

/// A node's power range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapLimits {
    /// Highest limit the node takes, watts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_limit_max: Option<i64>,
    /// Lowest limit the node takes, watts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_limit_min: Option<i64>,
    /// Power the node draws while powering up, watts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub powerup_power: Option<i64>,
}

/// One control's value and range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapControl {
    /// The control's name.
    pub name: String,
    /// Its limit now, watts (0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_value: Option<i64>,
    /// Highest value it takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_value: Option<i64>,
    /// Lowest value it takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_value: Option<i64>,
}

/// One node in a task's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapComponent {
    /// The node, as sent.
    pub xname: String,
    /// What went wrong, if anything.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// Its power range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<CapLimits>,
    /// Its controls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub power_cap_limits: Vec<CapControl>,
}

/// One operation of a task: a node, or one control of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapOp {
    /// Where it is.
    pub status: CapOpStatus,
    /// What it found.
    pub component: CapComponent,
}

impl CapOp {
    /// An operation that ended before any BMC was asked.
    pub fn ended(status: CapOpStatus, xname: &str, error: impl Into<String>) -> CapOp {
        CapOp {
            status,
            component: CapComponent {
                xname: xname.to_string(),
                error: error.into(),
                ..CapComponent::default()
            },
        }
    }
}

/// A task as stored: its heads, the tenant that made it, its operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapRecord {
    /// UUID.
    pub id: String,
    /// Snapshot or patch.
    pub kind: CapKind,
    /// RFC 3339, whole seconds, UTC.
    pub created: String,
    /// When it is deleted, same format.
    pub expires: String,
    /// Where it is.
    pub status: CapTaskStatus,
    /// The tenant whose request made it, if any.
    pub tenant: Option<String>,
    /// Its operations.
    pub ops: Vec<CapOp>,
}

/// A task as PCS answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapTask {
    /// UUID.
    #[serde(rename = "taskID")]
    pub task_id: String,
    /// `snapshot` or `patch`.
    #[serde(rename = "type")]
    pub kind: CapKind,
    /// When it was made.
    pub task_create_time: String,
    /// When it is deleted.
    pub automatic_expiration_time: String,
    /// Where it is.
    pub task_status: CapTaskStatus,
    /// Its operations by status.
    pub task_counts: CapCounts,
    /// Each node (only in a one-task answer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<CapComponent>,
}

/// Counts of `ops` by status.
pub fn counts(ops: &[CapOp]) -> CapCounts {
    let mut c = CapCounts::default();
    for op in ops {
        c.total += 1;
        match op.status {
            CapOpStatus::New => c.new += 1,
            CapOpStatus::InProgress => c.in_progress += 1,
            CapOpStatus::Failed => c.failed += 1,
            CapOpStatus::Succeeded => c.succeeded += 1,
            CapOpStatus::Unsupported => c.unsupported += 1,
        }
    }
    c
}

/// One entry per node, sorted: errors joined with "; ", the first range found, every
/// control (PCS's merge of a node's operations).
pub fn merge(ops: &[CapOp]) -> Vec<CapComponent> {
    let mut by: BTreeMap<&str, CapComponent> = BTreeMap::new();
    for op in ops {
        let c = &op.component;
        match by.get_mut(c.xname.as_str()) {
            None => {
                by.insert(&c.xname, c.clone());
            }
            Some(m) if !c.error.is_empty() => {
                if !m.error.is_empty() {
                    m.error.push_str("; ");
                }
                m.error.push_str(&c.error);
            }
            Some(m) => {
                if m.limits.is_none() {
                    m.limits = c.limits.clone();
                }
                m.power_cap_limits
                    .extend(c.power_cap_limits.iter().cloned());
            }
        }
    }
    by.into_values().collect()
}

impl CapRecord {
    /// The wire form; `full` adds each node.
    pub fn wire(&self, full: bool) -> CapTask {
        CapTask {
            task_id: self.id.clone(),
            kind: self.kind,
            task_create_time: self.created.clone(),
            automatic_expiration_time: self.expires.clone(),
            task_status: self.status,
            task_counts: counts(&self.ops),
            components: if full { merge(&self.ops) } else { Vec::new() },
        }
    }
}

/// One control of a node as discovery recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cap {
    /// The control's name.
    pub name: String,
    /// Its Redfish path (a `Control`, or the `Power` resource).
    pub path: String,
    /// Lowest value, -1 when unknown.
    pub min: i64,
    /// Highest value, -1 when unknown.
    pub max: i64,
    /// Its index in `PowerControl`.
    pub index: usize,
}

/// How a node is capped, from its component endpoint's `RedfishSystemInfo` (PCS's reading
/// of SMD's record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapInfo {
    /// The `Power` resource (`PowerURL`).
    pub uri: String,
    /// Number of `Controls` (the newer schema; each control has its own path).
    pub controls: usize,
    /// Number of `PowerControl` entries.
    pub power_controls: usize,
    /// Each control by name.
    pub caps: BTreeMap<String, Cap>,
}

/// Names HPE servers give their one control, whatever the BMC calls it.
pub const NODE_POWER_LIMIT: &str = "Node Power Limit";

fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().map(|f| f.round() as i64))
}

/// Whether a `Power` path is an HPE server's (its control is "Node Power Limit").
fn hpe_server(power_url: &str) -> bool {
    power_url.contains("Chassis/1/Power")
}

/// A node's controls from its `RedfishSystemInfo`.
pub fn cap_info(system_info: &Value) -> CapInfo {
    let uri = system_info["PowerURL"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let controls = system_info["Controls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let power = system_info["PowerControl"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut caps = BTreeMap::new();
    if !controls.is_empty() {
        for (i, c) in controls.iter().enumerate() {
            let ctl = &c["Control"];
            let name = ctl["Name"].as_str().unwrap_or_default().to_string();
            // Cray EX BMCs say SettingRangeMin/Max; the DMTF schema says AllowableMin/Max.
            let bound = |a: &str, b: &str| int(&ctl[a]).or_else(|| int(&ctl[b])).unwrap_or(-1);
            caps.insert(
                name.clone(),
                Cap {
                    name,
                    path: c["URL"].as_str().unwrap_or_default().to_string(),
                    min: bound("SettingRangeMin", "AllowableMin"),
                    max: bound("SettingRangeMax", "AllowableMax"),
                    index: i,
                },
            );
        }
    } else {
        for (i, p) in power.iter().enumerate() {
            let name = if hpe_server(&uri) {
                NODE_POWER_LIMIT.to_string()
            } else {
                p["Name"].as_str().unwrap_or_default().to_string()
            };
            let oem = &p["OEM"];
            let limit = if oem["Cray"].is_object() {
                &oem["Cray"]["PowerLimit"]
            } else {
                &oem["HPE"]["PowerLimit"]
            };
            let id = p["@odata.id"].as_str().unwrap_or_default();
            let path = match id.split_once('#') {
                Some((p, _)) => p,
                None => id,
            };
            caps.insert(
                name.clone(),
                Cap {
                    name,
                    path: if path.is_empty() {
                        uri.clone()
                    } else {
                        path.into()
                    },
                    min: int(&limit["Min"]).unwrap_or(-1),
                    max: int(&limit["Max"]).unwrap_or(-1),
                    index: i,
                },
            );
        }
    }
    CapInfo {
        uri,
        controls: controls.len(),
        power_controls: power.len(),
        caps,
    }
}

/// What a `Control` resource says: its value and range, and the node's range when the
/// control is the whole chassis's.
pub fn read_control(v: &Value) -> (CapControl, Option<CapLimits>) {
    let max = int(&v["SettingRangeMax"]).or_else(|| int(&v["AllowableMax"]));
    let min = int(&v["SettingRangeMin"]).or_else(|| int(&v["AllowableMin"]));
    let disabled = v["ControlMode"].as_str() == Some("Disabled");
    let control = CapControl {
        name: v["Name"].as_str().unwrap_or_default().to_string(),
        current_value: Some(if disabled {
            0
        } else {
            int(&v["SetPoint"]).unwrap_or(0)
        }),
        maximum_value: max,
        minimum_value: min,
    };
    let limits = v["PhysicalContext"]
        .as_str()
        .filter(|c| c.eq_ignore_ascii_case("chassis"))
        .map(|_| CapLimits {
            host_limit_max: max,
            host_limit_min: min,
            powerup_power: None,
        });
    (control, limits)
}

/// What a `Power` resource says: each `PowerControl`'s limit and range, and the node's range
/// from the first.
pub fn read_power(
    v: &Value,
    power_url: &str,
) -> Result<(Vec<CapControl>, Option<CapLimits>), String> {
    if v.get("error").is_some() {
        return Err("Invalid license for power capping".into());
    }
    let mut controls = Vec::new();
    let mut limits = None;
    for (i, pc) in v["PowerControl"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let cray = &pc["Oem"]["Cray"];
        let name = if hpe_server(power_url) {
            NODE_POWER_LIMIT.to_string()
        } else {
            pc["Name"].as_str().unwrap_or_default().to_string()
        };
        let (max, min) = if cray["PowerLimit"].is_object() {
            (
                int(&cray["PowerLimit"]["Max"]),
                int(&cray["PowerLimit"]["Min"]),
            )
        } else {
            (int(&pc["PowerCapacityWatts"]), None)
        };
        controls.push(CapControl {
            name,
            current_value: Some(int(&pc["PowerLimit"]["LimitInWatts"]).unwrap_or(0)),
            maximum_value: max,
            minimum_value: min,
        });
        if i == 0 {
            limits = Some(CapLimits {
                host_limit_max: max,
                host_limit_min: min,
                powerup_power: int(&cray["PowerResetWatts"]),
            });
        }
    }
    Ok((controls, limits))
}

/// The value checked against a control's range: `Err` is PCS's text. Zero (no limit) is
/// always taken.
pub fn check_value(cap: &Cap, value: i64) -> Result<CapControl, String> {
    if cap.min != -1 && value != 0 && value < cap.min {
        return Err(format!(
            "Control ({}) value ({value}) is less than minimum ({})",
            cap.name, cap.min
        ));
    }
    if cap.max != -1 && value > cap.max {
        return Err(format!(
            "Control ({}) value ({value}) is more than maximum ({})",
            cap.name, cap.max
        ));
    }
    Ok(CapControl {
        name: cap.name.clone(),
        current_value: Some(value),
        maximum_value: (cap.max != -1).then_some(cap.max),
        minimum_value: (cap.min != -1).then_some(cap.min),
    })
}

/// Where the newer schema's limits are set at once: `Controls.Deep` beside the `Controls`
/// collection holding `control_path`.
pub fn controls_deep(control_path: &str) -> String {
    let up = |p: &str| {
        p.rsplit_once('/')
            .map(|(a, _)| a.to_string())
            .unwrap_or_default()
    };
    format!("{}/Controls.Deep", up(&up(control_path)))
}

/// The body that sets one control of the newer schema (0 disables it).
pub fn control_member(path: &str, value: i64) -> Value {
    if value > 0 {
        json!({"@odata.id": path, "SetPoint": value, "ControlMode": "Automatic"})
    } else {
        json!({"@odata.id": path, "ControlMode": "Disabled"})
    }
}

/// The `Power` PATCH body: each set control's `LimitInWatts` at its index, `{}` elsewhere.
pub fn power_body(info: &CapInfo, set: &[CapControl]) -> Value {
    let mut entries = vec![json!({}); info.power_controls.max(1)];
    for c in set {
        if let Some(cap) = info.caps.get(&c.name) {
            if let Some(e) = entries.get_mut(cap.index) {
                *e = json!({"PowerLimit": {"LimitInWatts": c.current_value}});
            }
        }
    }
    json!({ "PowerControl": entries })
}

/// A task ID as PCS reads it, with the texts of PCS's parser for bad ones.
pub fn parse_task_id(raw: &str) -> Result<String, String> {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let body = match raw.len() {
        36 => raw,
        38 if raw.starts_with('{') && raw.ends_with('}') => &raw[1..37],
        38 => return Err("invalid UUID format".into()),
        45 if raw.to_ascii_lowercase().starts_with("urn:uuid:") => &raw[9..],
        45 => return Err(format!("invalid urn prefix: {:?}", &raw[..9])),
        32 if hex(raw) => return Ok(dashed(raw)),
        32 => return Err("invalid UUID format".into()),
        n => return Err(format!("invalid UUID length: {n}")),
    };
    let b = body.as_bytes();
    if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return Err("invalid UUID format".into());
    }
    let digits: String = body.split('-').collect();
    if digits.len() != 32 || !hex(&digits) {
        return Err("invalid UUID format".into());
    }
    Ok(dashed(&digits))
}

fn dashed(h: &str) -> String {
    let h = h.to_ascii_lowercase();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_read_as_pcs_reads_them() {
        let id = "0f8b6c2a-6b4e-4c61-9a3e-3d8b1b2c4d5e";
        assert_eq!(parse_task_id(id).unwrap(), id);
        assert_eq!(parse_task_id(&id.to_uppercase()).unwrap(), id);
        assert_eq!(parse_task_id(&format!("{{{id}}}")).unwrap(), id);
        assert_eq!(parse_task_id(&id.replace('-', "")).unwrap(), id);
        assert_eq!(parse_task_id(&format!("urn:uuid:{id}")).unwrap(), id);
        // PCS's own negative tests.
        assert_eq!(
            parse_task_id("99z9zz99-z999-99z9-99z9-99z99z9z99z9").unwrap_err(),
            "invalid UUID format"
        );
        assert_eq!(parse_task_id("FAKE").unwrap_err(), "invalid UUID length: 4");
        assert_eq!(
            parse_task_id("0f8b6c2a+6b4e-4c61-9a3e-3d8b1b2c4d5e").unwrap_err(),
            "invalid UUID format"
        );
    }

    #[test]
    fn patch_requests_are_checked_as_pcs_checks_them() {
        let req = |name: &str, value: i64| PatchRequest {
            components: vec![ComponentParam {
                xname: "x1c0s0b0n0".into(),
                controls: vec![ControlParam {
                    name: name.into(),
                    value,
                }],
            }],
        };
        assert!(req("Node Power Limit", 0).check().is_ok());
        assert_eq!(
            req("", 300).check().unwrap_err(),
            "Invalid control parameters for xnames detected x1c0s0b0n0 "
        );
        assert!(req("Node Power Limit", -1).check().is_err());
        assert!(PatchRequest::default().check().is_err());
    }

    #[test]
    fn power_control_entries_become_caps() {
        let info = cap_info(&json!({
            "PowerURL": "/redfish/v1/Chassis/Node0/Power",
            "PowerControl": [{
                "@odata.id": "/redfish/v1/Chassis/Node0/Power#/PowerControl/0",
                "Name": "Node Power Control",
                "OEM": {"Cray": {"PowerLimit": {"Min": 350, "Max": 850}}}
            }, {"Name": "Accelerator Power Control"}]
        }));
        assert_eq!(info.controls, 0);
        assert_eq!(info.power_controls, 2);
        let node = &info.caps["Node Power Control"];
        assert_eq!((node.min, node.max, node.index), (350, 850, 0));
        assert_eq!(node.path, "/redfish/v1/Chassis/Node0/Power");
        let acc = &info.caps["Accelerator Power Control"];
        assert_eq!((acc.min, acc.max, acc.index), (-1, -1, 1));
        assert_eq!(acc.path, "/redfish/v1/Chassis/Node0/Power");
        // An HPE server's one control is "Node Power Limit", whatever it is called.
        let hpe = cap_info(&json!({
            "PowerURL": "/redfish/v1/Chassis/1/Power",
            "PowerControl": [{"@odata.id": "/redfish/v1/Chassis/1/Power#PowerControl/0"}]
        }));
        assert!(hpe.caps.contains_key(NODE_POWER_LIMIT));
    }

    #[test]
    fn controls_become_caps_with_either_range_spelling() {
        let info = cap_info(&json!({
            "PowerURL": "/redfish/v1/Chassis/1U/Power",
            "Controls": [
                {"URL": "/redfish/v1/Chassis/1U/Controls/PowerLimit",
                 "Control": {"Name": "System Power Limit", "AllowableMin": 150, "AllowableMax": 1000}},
                {"URL": "/redfish/v1/Chassis/e/Controls/NodePowerLimit",
                 "Control": {"Name": "Node Power Limit", "SettingRangeMin": 350, "SettingRangeMax": 900}}
            ],
            "PowerControl": [{"Name": "ignored when Controls exist"}]
        }));
        assert_eq!(info.controls, 2);
        assert_eq!(info.caps.len(), 2);
        assert_eq!(info.caps["System Power Limit"].max, 1000);
        assert_eq!(info.caps["Node Power Limit"].min, 350);
        assert_eq!(
            controls_deep("/redfish/v1/Chassis/e/Controls/NodePowerLimit"),
            "/redfish/v1/Chassis/e/Controls.Deep"
        );
    }

    #[test]
    fn power_answers_read_as_pcs_reads_them() {
        let (c, l) = read_power(
            &json!({"PowerControl": [{"Name": "Node Power Control", "PowerCapacityWatts": 900,
                "PowerConsumedWatts": 312.6, "PowerLimit": {"LimitInWatts": 500}}]}),
            "/redfish/v1/Chassis/Node0/Power",
        )
        .unwrap();
        assert_eq!(c[0].current_value, Some(500));
        assert_eq!(c[0].maximum_value, Some(900));
        assert_eq!(c[0].minimum_value, None);
        assert_eq!(l.unwrap().host_limit_max, Some(900));
        // No limit reads as 0; a Cray OEM range wins over the capacity.
        let (c, l) = read_power(
            &json!({"PowerControl": [{"PowerLimit": {"LimitInWatts": null}, "PowerCapacityWatts": 1000,
                "Oem": {"Cray": {"PowerLimit": {"Min": 200, "Max": 800}, "PowerResetWatts": 250}}}]}),
            "/redfish/v1/Chassis/1/Power",
        )
        .unwrap();
        assert_eq!(c[0].name, NODE_POWER_LIMIT);
        assert_eq!(c[0].current_value, Some(0));
        assert_eq!(
            (c[0].minimum_value, c[0].maximum_value),
            (Some(200), Some(800))
        );
        assert_eq!(l.unwrap().powerup_power, Some(250));
        assert_eq!(
            read_power(&json!({"error": {"code": "iLO.0.10.ExtendedInfo"}}), "").unwrap_err(),
            "Invalid license for power capping"
        );
    }

    #[test]
    fn controls_read_with_their_range() {
        let (c, l) = read_control(&json!({"Name": "System Power Limit", "SetPoint": 500,
            "AllowableMin": 150, "AllowableMax": 1000, "PhysicalContext": "Chassis",
            "ControlMode": "Automatic"}));
        assert_eq!(c.current_value, Some(500));
        assert_eq!(l.unwrap().host_limit_min, Some(150));
        let (c, l) = read_control(
            &json!({"Name": "CPU", "SetPoint": 7, "ControlMode": "Disabled",
            "PhysicalContext": "CPU"}),
        );
        assert_eq!(c.current_value, Some(0));
        assert!(l.is_none());
    }

    #[test]
    fn values_are_checked_against_the_range() {
        let cap = Cap {
            name: "Node Power Limit".into(),
            path: String::new(),
            min: 350,
            max: 900,
            index: 0,
        };
        assert_eq!(check_value(&cap, 500).unwrap().current_value, Some(500));
        assert!(check_value(&cap, 0).is_ok());
        assert_eq!(
            check_value(&cap, 100).unwrap_err(),
            "Control (Node Power Limit) value (100) is less than minimum (350)"
        );
        assert_eq!(
            check_value(&cap, 901).unwrap_err(),
            "Control (Node Power Limit) value (901) is more than maximum (900)"
        );
        let open = Cap {
            min: -1,
            max: -1,
            ..cap
        };
        let c = check_value(&open, 5).unwrap();
        assert_eq!((c.minimum_value, c.maximum_value), (None, None));
    }

    #[test]
    fn bodies_put_each_value_where_the_bmc_reads_it() {
        let info =
            cap_info(&json!({"PowerURL": "/p", "PowerControl": [{"Name": "a"}, {"Name": "b"}]}));
        let set = [CapControl {
            name: "b".into(),
            current_value: Some(400),
            ..CapControl::default()
        }];
        assert_eq!(
            power_body(&info, &set),
            json!({"PowerControl": [{}, {"PowerLimit": {"LimitInWatts": 400}}]})
        );
        assert_eq!(control_member("/c", 0)["ControlMode"], "Disabled");
        assert_eq!(control_member("/c", 600)["SetPoint"], 600);
    }

    #[test]
    fn a_nodes_operations_merge_into_one_entry() {
        let ok = |x: &str, n: &str| CapOp {
            status: CapOpStatus::Succeeded,
            component: CapComponent {
                xname: x.into(),
                power_cap_limits: vec![CapControl {
                    name: n.into(),
                    ..CapControl::default()
                }],
                limits: Some(CapLimits::default()),
                ..CapComponent::default()
            },
        };
        let ops = vec![
            ok("x1c0s0b0n1", "a"),
            ok("x1c0s0b0n0", "a"),
            ok("x1c0s0b0n0", "b"),
            CapOp::ended(CapOpStatus::Failed, "x1c0s0b0n0", "one"),
            CapOp::ended(CapOpStatus::Failed, "x1c0s0b0n0", "two"),
        ];
        let m = merge(&ops);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].xname, "x1c0s0b0n0");
        assert_eq!(m[0].power_cap_limits.len(), 2);
        assert_eq!(m[0].error, "one; two");
        let c = counts(&ops);
        assert_eq!((c.total, c.succeeded, c.failed), (5, 3, 2));
    }
}
