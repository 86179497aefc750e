//! What a Redfish endpoint describes: magellan's nested `Systems`/`Managers` (lowercase keys)
//! turned into components, component endpoints, Ethernet interfaces and hardware records, as
//! SMD's schema-version-1 ingestion does. Pure functions; the store writes the result in one
//! transaction.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::component::{Component, InputError};
use super::enums::{Arch, NetType, State};
use super::ethernet::{normalize_ip, normalize_mac, EthInterface, IpMapping};
use super::redfish::RedfishEndpoint;
use super::xname::{HmsType, Xname};

/// A NIC in magellan's payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Nic {
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub ip: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Power facts of a system in magellan's payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Power {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub power_control_ids: Vec<String>,
    /// The chassis's `Power` resource, when read (chami's walk; magellan leaves it out).
    #[serde(default)]
    pub power_url: String,
    /// Its `PowerControl` entries as the BMC gave them.
    #[serde(default)]
    pub power_control: Vec<Value>,
    /// The chassis's `Controls` (the newer power-limit schema): each control's path and body.
    #[serde(default)]
    pub controls: Vec<(String, Value)>,
}

/// Links of a system in magellan's payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Links {
    #[serde(default)]
    pub chassis: Vec<String>,
    #[serde(default)]
    pub managers: Vec<String>,
}

/// A computer system in magellan's payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct System {
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub uuid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub manufacturer: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub bios_version: String,
    #[serde(default)]
    pub processor_count: Option<i64>,
    #[serde(default)]
    pub processor_type: String,
    /// The processors' `ProcessorArchitecture` (or `InstructionSet`), when read.
    #[serde(default)]
    pub processor_architecture: String,
    #[serde(default)]
    pub description: String,
    /// Redfish `HostName`.
    #[serde(default)]
    pub hostname: String,
    /// GiB, as magellan reports `MemorySummary.TotalSystemMemoryGiB`.
    #[serde(default)]
    pub memory_total: Option<f64>,
    #[serde(default)]
    pub ethernet_interfaces: Vec<Nic>,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub power: Power,
    #[serde(default)]
    pub links: Links,
}

/// A manager (the BMC itself) in magellan's payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manager {
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub uuid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub model: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub firmware_version: String,
    #[serde(default)]
    pub ethernet_interfaces: Vec<Nic>,
    #[serde(default)]
    pub actions: Vec<String>,
}

/// A component endpoint (`ComponentEndpoint.1.0.0`): how to reach one component through its
/// Redfish endpoint. Kept as the JSON SMD returns, keyed by the fields the core filters on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ComponentEndpoint {
    /// The component's xname.
    #[serde(rename = "ID")]
    #[schema(value_type = String)]
    pub id: Xname,
    /// Its HMS type.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Redfish type (`ComputerSystem`, `Manager`, `Chassis`, ...).
    #[serde(rename = "RedfishType")]
    pub redfish_type: String,
    /// The Redfish endpoint it is reached through.
    #[serde(rename = "RedfishEndpointID")]
    #[schema(value_type = String)]
    pub endpoint_id: Xname,
    /// Every other SMD field (`OdataID`, `RedfishURL`, `RedfishSystemInfo`, ...).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub rest: serde_json::Map<String, Value>,
}

/// A service endpoint (`ServiceEndpoint.1.0.0`): a Redfish service of an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServiceEndpoint {
    /// The Redfish endpoint offering it.
    #[serde(rename = "RedfishEndpointID")]
    #[schema(value_type = String)]
    pub endpoint_id: Xname,
    /// The service (`AccountService`, `UpdateService`, ...).
    #[serde(rename = "RedfishType")]
    pub redfish_type: String,
    /// Every other SMD field (`OdataID`, `RedfishURL`, `ServiceInfo`, ...).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub rest: serde_json::Map<String, Value>,
}

impl ServiceEndpoint {
    /// The service a BMC's root links as `redfish_type` at `odata_id`, as SMD records it:
    /// `info` is what the service answered, `uuid` the root's.
    pub fn found(
        endpoint_id: &Xname,
        fqdn: &str,
        redfish_type: &str,
        uuid: &str,
        odata_id: &str,
        info: Value,
    ) -> ServiceEndpoint {
        let mut rest = serde_json::Map::new();
        rest.insert("UUID".into(), Value::from(uuid));
        rest.insert("OdataID".into(), Value::from(odata_id));
        rest.insert("RedfishEndpointFQDN".into(), Value::from(fqdn));
        rest.insert(
            "RedfishURL".into(),
            Value::from(format!("{fqdn}{odata_id}")),
        );
        rest.insert("ServiceInfo".into(), info);
        ServiceEndpoint {
            endpoint_id: endpoint_id.clone(),
            redfish_type: redfish_type.to_string(),
            rest,
        }
    }
}

/// The services of a Redfish service root that SMD records: each top-level link whose name
/// ends in `Service` (AccountService, EventService, SessionService, TaskService,
/// UpdateService, ...), as (name, path), in name order.
pub fn root_services(root: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = root
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.ends_with("Service") && k.len() > "Service".len())
        .filter_map(|(k, v)| Some((k.clone(), v["@odata.id"].as_str()?.to_string())))
        .collect();
    out.sort();
    out
}

/// Hardware at a location (`HWInventory.1.0.0_HWInventoryByLocation`), as SMD returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hardware {
    /// The location's xname.
    #[serde(rename = "ID")]
    #[schema(value_type = String)]
    pub id: Xname,
    /// Every other SMD field (`Type`, `Status`, `PopulatedFRU`, `NodeLocationInfo`, ...).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub rest: serde_json::Map<String, Value>,
}

/// Everything one endpoint description yields, written together.
#[derive(Debug, Clone, Default)]
pub struct Described {
    pub components: Vec<Component>,
    pub component_endpoints: Vec<ComponentEndpoint>,
    pub interfaces: Vec<EthInterface>,
    pub hardware: Vec<Hardware>,
}

/// The path of a Redfish URI (`https://host:443/redfish/v1/x` -> `/redfish/v1/x`).
pub fn uri_path(uri: &str) -> String {
    let rest = uri
        .split_once("://")
        .map(|(_, r)| r.find('/').map_or("", |i| &r[i..]))
        .unwrap_or(uri);
    rest.to_string()
}

fn object(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn nic_info(nics: &[Nic]) -> Vec<Value> {
    nics.iter()
        .map(|n| {
            let mac = normalize_mac(&n.mac).map(|m| m.1).unwrap_or_default();
            let path = uri_path(&n.uri);
            json!({
                "RedfishId": path.rsplit('/').next().unwrap_or_default(),
                "@odata.id": path,
                "Description": if n.description.is_empty() { &n.name } else { &n.description },
                "InterfaceEnabled": n.enabled.unwrap_or(true),
                "MACAddress": mac,
            })
        })
        .collect()
}

/// Interfaces for `owner` from NICs with a usable MAC; a bad MAC or IP is an error naming it.
fn interfaces(
    owner: &Xname,
    nics: &[Nic],
    now: &str,
    out: &mut Vec<EthInterface>,
) -> Result<(), InputError> {
    for n in nics.iter().filter(|n| !n.mac.trim().is_empty()) {
        let (id, mac) = normalize_mac(&n.mac)
            .map_err(|e| InputError(format!("{} NIC {}: {}", owner, uri_path(&n.uri), e.0)))?;
        if out.iter().any(|i| i.id == id) {
            continue;
        }
        let ips = match n.ip.trim() {
            "" => Vec::new(),
            ip => vec![IpMapping {
                ip_address: normalize_ip(ip)
                    .map_err(|e| InputError(format!("{owner} NIC {mac}: {}", e.0)))?,
                network: String::new(),
            }],
        };
        out.push(EthInterface {
            id,
            description: if n.description.is_empty() {
                n.name.clone()
            } else {
                n.description.clone()
            },
            mac_address: mac,
            ip_addresses: ips,
            last_update: now.to_string(),
            component_id: owner.as_str().to_string(),
            kind: owner.kind().to_string(),
        });
    }
    Ok(())
}

/// What `ep`'s magellan description yields. Systems are deduplicated by UUID and become
/// nodes `<bmc>n0`, `<bmc>n1`, ... in payload order; this needs a NodeBMC endpoint.
pub fn describe(
    ep: &RedfishEndpoint,
    systems: &[System],
    managers: &[Manager],
    now: &str,
) -> Result<Described, InputError> {
    let mut out = Described::default();
    let url = |path: &str| format!("{}{}", ep.fqdn, path);

    let mut bmc = Component::new(ep.id.clone(), State::Ready);
    bmc.enabled = Some(true);
    // What SMD's discovery sets on a manager (it does not read them either).
    bmc.arch = Some(Arch::X86);
    bmc.net_type = Some(NetType::Sling);
    out.components.push(bmc);
    for m in managers {
        let path = uri_path(&m.uri);
        // The BMC's MAC: the endpoint's, else its manager's first NIC's.
        let bmc_mac = normalize_mac(&ep.mac_addr)
            .ok()
            .or_else(|| {
                m.ethernet_interfaces
                    .iter()
                    .find_map(|n| normalize_mac(&n.mac).ok())
            })
            .map(|m| m.1)
            .unwrap_or_default();
        out.component_endpoints.push(ComponentEndpoint {
            id: ep.id.clone(),
            kind: ep.kind.clone(),
            redfish_type: "Manager".into(),
            endpoint_id: ep.id.clone(),
            rest: object(json!({
                "Domain": ep.domain, "FQDN": ep.fqdn, "Enabled": true,
                "RedfishSubtype": m.kind, "UUID": m.uuid, "OdataID": path,
                "RedfishEndpointFQDN": ep.fqdn, "RedfishURL": url(&path),
                "MACAddr": bmc_mac,
                "ComponentEndpointType": "ComponentEndpointManager",
                "RedfishManagerInfo": {
                    "Name": m.name,
                    "Actions": {"#Manager.Reset": {
                        "ResetType@Redfish.AllowableValues": m.actions,
                        "target": format!("{path}/Actions/Manager.Reset"),
                    }},
                    "EthernetNICInfo": nic_info(&m.ethernet_interfaces),
                },
            })),
        });
        interfaces(&ep.id, &m.ethernet_interfaces, now, &mut out.interfaces)?;
        if !m.model.is_empty() || !m.firmware_version.is_empty() {
            out.hardware.push(Hardware {
                id: ep.id.clone(),
                rest: object(json!({
                    "Type": ep.kind, "Ordinal": 0, "Status": "Populated",
                    "HWInventoryByLocationType": "HWInvByLocNodeBMC",
                    "NodeBMCLocationInfo": {"Name": m.name, "Description": m.description,
                        "FirmwareVersion": m.firmware_version},
                    "PopulatedFRU": {"Type": ep.kind, "Subtype": "", "HWInventoryByFRUType": "HWInvByFRUNodeBMC",
                        "NodeBMCFRUInfo": {"Model": m.model}},
                })),
            });
        }
    }

    let mut seen: Vec<&str> = Vec::new();
    for s in systems {
        if !s.uuid.is_empty() {
            if seen.contains(&s.uuid.as_str()) {
                continue;
            }
            seen.push(&s.uuid);
        }
        let k = out.components.len() - 1;
        if ep.id.kind() != HmsType::NodeBmc {
            return Err(InputError(format!(
                "Systems given for {} ({}); nodes can only sit behind a NodeBMC",
                ep.id, ep.kind
            )));
        }
        let node = Xname::parse(&format!("{}n{k}", ep.id))
            .map_err(|e| InputError(format!("node {k} of {}: {e}", ep.id)))?;
        let state = match s.power.state.to_ascii_lowercase().as_str() {
            "off" => State::Off,
            _ => State::On,
        };
        let mut c = Component::new(node.clone(), state);
        c.enabled = Some(true);
        c.arch = Some(system_arch(s));
        c.net_type = Some(NetType::Sling);
        out.components.push(c);
        let path = uri_path(&s.uri);
        let power_url = if s.power.power_url.is_empty() {
            s.links
                .chassis
                .first()
                .map(|c| format!("{}/Power", uri_path(c)))
                .unwrap_or_default()
        } else {
            uri_path(&s.power.power_url)
        };
        let first_mac = s
            .ethernet_interfaces
            .iter()
            .find_map(|n| normalize_mac(&n.mac).ok())
            .map(|m| m.1)
            .unwrap_or_default();
        let mut rest = object(json!({
                "Domain": ep.domain, "FQDN": ep.fqdn, "Enabled": true,
                "RedfishSubtype": "Physical", "UUID": s.uuid, "OdataID": path,
                "RedfishEndpointFQDN": ep.fqdn, "RedfishURL": url(&path),
                "MACAddr": first_mac,
                "ComponentEndpointType": "ComponentEndpointComputerSystem",
                "RedfishSystemInfo": {
                    "Name": s.name,
                    "Actions": {"#ComputerSystem.Reset": {
                        "ResetType@Redfish.AllowableValues": s.actions,
                        "target": format!("{path}/Actions/ComputerSystem.Reset"),
                    }},
                    "EthernetNICInfo": nic_info(&s.ethernet_interfaces),
                    "PowerURL": power_url,
                    "PowerControl": power_controls(&s.power),
                    "Controls": s.power.controls.iter()
                        .map(|(url, c)| json!({"URL": uri_path(url), "Control": c}))
                        .collect::<Vec<_>>(),
                },
        }));
        // SMD leaves the power fields out when the BMC offers none.
        if let Some(info) = rest
            .get_mut("RedfishSystemInfo")
            .and_then(Value::as_object_mut)
        {
            info.retain(|k, v| {
                !matches!(k.as_str(), "PowerURL" | "PowerControl" | "Controls")
                    || !(v.as_str() == Some("") || v.as_array().is_some_and(Vec::is_empty))
            });
        }
        out.component_endpoints.push(ComponentEndpoint {
            id: node.clone(),
            kind: "Node".into(),
            redfish_type: "ComputerSystem".into(),
            endpoint_id: ep.id.clone(),
            rest,
        });
        interfaces(&node, &s.ethernet_interfaces, now, &mut out.interfaces)?;
        out.hardware.push(Hardware {
            id: node.clone(),
            rest: object(json!({
                "Type": "Node", "Ordinal": k, "Status": "Populated",
                "HWInventoryByLocationType": "HWInvByLocNode",
                "NodeLocationInfo": {
                    "Id": path.rsplit('/').next().unwrap_or_default(),
                    "Name": s.name,
                    "Description": s.description,
                    "HostName": s.hostname,
                    "ProcessorSummary": {"Count": s.processor_count, "Model": s.processor_type},
                    "MemorySummary": {"TotalSystemMemoryGiB": s.memory_total},
                },
                "PopulatedFRU": {
                    "FRUID": format!("Node.{}.{}", s.manufacturer, s.serial),
                    "Type": "Node", "Subtype": "", "HWInventoryByFRUType": "HWInvByFRUNode",
                    "NodeFRUInfo": {"Manufacturer": s.manufacturer, "Model": s.model,
                        "SerialNumber": s.serial, "BiosVersion": s.bios_version,
                        "SystemType": "Physical"},
                },
            })),
        });
    }
    Ok(out)
}

/// A system's `PowerControl` entries as SMD records them (`OEM` for Redfish's `Oem`), or
/// only their IDs when that is all the payload gives.
fn power_controls(p: &Power) -> Vec<Value> {
    if p.power_control.is_empty() {
        return p
            .power_control_ids
            .iter()
            .map(|id| json!({"@odata.id": uri_path(id)}))
            .collect();
    }
    p.power_control
        .iter()
        .map(|pc| {
            let mut pc = pc.clone();
            if let Some(o) = pc.as_object_mut() {
                if let Some(oem) = o.remove("Oem") {
                    o.insert("OEM".into(), oem);
                }
            }
            pc
        })
        .collect()
}

/// A system's architecture as SMD decides it: the processors' `ProcessorArchitecture` or
/// `InstructionSet` (x86 or x86-64: X86; ARM, ARM-A32, ARM-A64: ARM; anything else: Other),
/// else what the processor model names, else UNKNOWN.
pub fn system_arch(s: &System) -> Arch {
    match s.processor_architecture.trim() {
        "" => {}
        "x86" | "x86-64" => return Arch::X86,
        "ARM" | "ARM-A32" | "ARM-A64" => return Arch::Arm,
        _ => return Arch::Other,
    }
    let model = s.processor_type.to_ascii_lowercase();
    const X86: &[&str] = &["xeon", "epyc", "intel", "amd", "x86"];
    const ARM: &[&str] = &[
        "arm", "ampere", "altra", "grace", "neoverse", "thunderx", "a64fx",
    ];
    if X86.iter().any(|w| model.contains(w)) {
        Arch::X86
    } else if ARM.iter().any(|w| model.contains(w)) {
        Arch::Arm
    } else {
        Arch::Unknown
    }
}

/// Which component endpoints to list: fields AND, values OR.
#[derive(Debug, Clone, Default)]
pub struct ComponentEndpointFilter {
    /// Component xnames.
    pub ids: Vec<Xname>,
    /// Redfish endpoint xnames.
    pub endpoints: Vec<Xname>,
    /// HMS types.
    pub kinds: Vec<String>,
    /// Redfish types.
    pub redfish_types: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::redfish::EndpointInput;

    #[test]
    fn a_roots_services_are_its_links_named_service() {
        let root = json!({
            "Systems": {"@odata.id": "/redfish/v1/Systems"},
            "UpdateService": {"@odata.id": "/redfish/v1/UpdateService"},
            "AccountService": {"@odata.id": "/redfish/v1/AccountService"},
            "Service": {"@odata.id": "/redfish/v1/Nameless"},
            "TaskService": "not a link",
        });
        assert_eq!(
            root_services(&root),
            [
                (
                    "AccountService".to_string(),
                    "/redfish/v1/AccountService".to_string()
                ),
                (
                    "UpdateService".to_string(),
                    "/redfish/v1/UpdateService".to_string()
                ),
            ]
        );
        let id = Xname::parse("x0c0s0b0").unwrap();
        let se = ServiceEndpoint::found(
            &id,
            "10.0.0.1",
            "UpdateService",
            "u-1",
            "/redfish/v1/UpdateService",
            json!({"ServiceEnabled": true}),
        );
        assert_eq!(
            serde_json::to_value(&se).unwrap(),
            json!({"RedfishEndpointID": "x0c0s0b0", "RedfishType": "UpdateService",
                   "UUID": "u-1", "OdataID": "/redfish/v1/UpdateService",
                   "RedfishEndpointFQDN": "10.0.0.1",
                   "RedfishURL": "10.0.0.1/redfish/v1/UpdateService",
                   "ServiceInfo": {"ServiceEnabled": true}})
        );
    }

    #[test]
    fn uri_paths() {
        assert_eq!(
            uri_path("https://172.16.0.10:443/redfish/v1/Systems/1"),
            "/redfish/v1/Systems/1"
        );
        assert_eq!(uri_path("/redfish/v1/Systems/1"), "/redfish/v1/Systems/1");
        assert_eq!(uri_path("https://host"), "");
    }

    #[test]
    fn magellan_body_yields_nodes_endpoints_interfaces_hardware() {
        let body: EndpointInput = serde_json::from_value(json!({
            "ID": "x1000c0s0b0", "FQDN": "172.16.0.10", "SchemaVersion": 1,
            "Systems": [
                {"uri": "https://172.16.0.10:443/redfish/v1/Systems/a", "uuid": "u-a",
                 "name": "node000", "model": "R1", "serial": "S1", "processor_count": 2,
                 "memory_total": 64.0, "actions": ["On", "ForceOff"],
                 "power": {"state": "Off"},
                 "links": {"chassis": ["/redfish/v1/Chassis/1"]},
                 "ethernet_interfaces": [{"mac": "02:00:00:00:00:01", "ip": "10.0.0.5"}]},
                {"uri": "https://172.16.0.10:443/redfish/v1/Systems/a", "uuid": "u-a"},
                {"uri": "https://172.16.0.10:443/redfish/v1/Systems/b", "uuid": "u-b"}
            ],
            "Managers": [{"uri": "https://172.16.0.10:443/redfish/v1/Managers/bmc",
                          "ethernet_interfaces": [{"mac": "02:00:00:aa:bb:cc", "ip": "172.16.0.10"}]}]
        }))
        .unwrap();
        assert!(body.describes_hardware());
        let (ep, _) = body.validate().unwrap();
        let d = describe(&ep, &body.systems, &body.managers, "t").unwrap();
        let ids: Vec<&str> = d.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["x1000c0s0b0", "x1000c0s0b0n0", "x1000c0s0b0n1"]);
        assert_eq!(d.components[1].state, Some(State::Off));
        let ce = &d.component_endpoints[1];
        assert_eq!(ce.redfish_type, "ComputerSystem");
        assert_eq!(ce.rest["RedfishURL"], "172.16.0.10/redfish/v1/Systems/a");
        assert_eq!(
            ce.rest["RedfishSystemInfo"]["Actions"]["#ComputerSystem.Reset"]["target"],
            "/redfish/v1/Systems/a/Actions/ComputerSystem.Reset"
        );
        assert_eq!(
            ce.rest["RedfishSystemInfo"]["PowerURL"],
            "/redfish/v1/Chassis/1/Power"
        );
        let macs: Vec<(&str, &str)> = d
            .interfaces
            .iter()
            .map(|i| (i.id.as_str(), i.component_id.as_str()))
            .collect();
        assert_eq!(
            macs,
            [
                ("020000aabbcc", "x1000c0s0b0"),
                ("020000000001", "x1000c0s0b0n0")
            ]
        );
        assert_eq!(
            d.hardware[0].rest["NodeLocationInfo"]["ProcessorSummary"]["Count"],
            2
        );
    }

    #[test]
    fn systems_behind_a_chassis_bmc_are_refused_and_bad_macs_named() {
        let (ep, _) = EndpointInput {
            id: Some("x1000c0b0".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let e = describe(&ep, &[System::default()], &[], "t").unwrap_err();
        assert!(e.0.contains("only sit behind a NodeBMC"), "{}", e.0);

        let (ep, _) = EndpointInput {
            id: Some("x1000c0s0b0".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let bad = System {
            ethernet_interfaces: vec![Nic {
                mac: "02:00".into(),
                ..Nic::default()
            }],
            ..System::default()
        };
        let e = describe(&ep, &[bad], &[], "t").unwrap_err();
        assert!(e.0.contains("bad MAC address '02:00'"), "{}", e.0);
    }
}
