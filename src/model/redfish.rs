//! SMD Redfish endpoints (`RedfishEndpoint.1.0.0`): the BMCs and other controllers the core
//! reaches over Redfish. A write body is checked and defaulted as SMD does (hostname, domain
//! and FQDN agree; the ID is a controller or switch xname). The password is split off at once:
//! it is sealed by the service and never part of anything returned.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::component::InputError;
use super::xname::{HmsType, Xname};

/// `LastDiscoveryStatus` before any discovery ran.
pub const NOT_YET_QUERIED: &str = "NotYetQueried";

/// Every `LastDiscoveryStatus` SMD defines.
pub const DISCOVERY_STATUSES: &[&str] = &[
    "EndpointInvalid",
    "EPResponseFailedDecode",
    "HTTPsGetFailed",
    "NotYetQueried",
    "VerificationFailed",
    "ChildVerificationFailed",
    "DiscoverOK",
    "DiscoveryStarted",
];

/// Outcome of discovery on an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiscoveryInfo {
    /// When discovery last ran (RFC 3339).
    #[serde(
        rename = "LastDiscoveryAttempt",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub last_attempt: String,
    /// How it went.
    #[serde(rename = "LastDiscoveryStatus", default)]
    pub last_status: String,
    /// The Redfish version the service root reported.
    #[serde(
        rename = "RedfishVersion",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub redfish_version: String,
}

/// The `Password` of an endpoint as answered and stored: always the empty text, whatever a
/// stored document holds. The secret lives sealed beside the document, never in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoPassword;

impl Serialize for NoPassword {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("")
    }
}

impl<'de> Deserialize<'de> for NoPassword {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<NoPassword, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(NoPassword)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A Redfish endpoint as stored and returned: its `Password` is always empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RedfishEndpoint {
    /// The controller's xname.
    #[serde(rename = "ID")]
    #[schema(value_type = String)]
    pub id: Xname,
    /// Its HMS type.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Free text.
    #[serde(rename = "Name", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Host name (or IP address).
    #[serde(rename = "Hostname", default)]
    pub hostname: String,
    /// Domain.
    #[serde(rename = "Domain", default)]
    pub domain: String,
    /// Where the Redfish service answers: hostname.domain, or an IP address.
    #[serde(rename = "FQDN")]
    pub fqdn: String,
    /// Whether the core talks to it.
    #[serde(rename = "Enabled")]
    pub enabled: bool,
    /// Redfish service UUID.
    #[serde(rename = "UUID", default, skip_serializing_if = "String::is_empty")]
    pub uuid: String,
    /// BMC user name.
    #[serde(rename = "User", default)]
    pub user: String,
    /// Always `""`: SMD sends the key, never the password.
    #[serde(rename = "Password", default)]
    #[schema(value_type = String, example = "", max_length = 0)]
    pub password: NoPassword,
    /// Discovered by SSDP (omitted when false, as SMD).
    #[serde(rename = "UseSSDP", default, skip_serializing_if = "is_false")]
    pub use_ssdp: bool,
    /// Whether a MAC is required for discovery (omitted when false, as SMD).
    #[serde(rename = "MACRequired", default, skip_serializing_if = "is_false")]
    pub mac_required: bool,
    /// The BMC's MAC.
    #[serde(rename = "MACAddr", default, skip_serializing_if = "String::is_empty")]
    pub mac_addr: String,
    /// The BMC's IP address.
    #[serde(
        rename = "IPAddress",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ip_address: String,
    /// Rediscover when this record changes.
    #[serde(rename = "RediscoverOnUpdate", default)]
    pub rediscover_on_update: bool,
    /// Discovery template.
    #[serde(
        rename = "TemplateID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub template_id: String,
    /// Discovery outcome.
    #[serde(rename = "DiscoveryInfo", default)]
    pub discovery: DiscoveryInfo,
}

/// A write body (POST, PUT), with SMD's PascalCase keys; magellan's `SchemaVersion`, `Systems`
/// and `Managers` ride along. Its `Debug` hides the password.
#[derive(Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct EndpointInput {
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
    #[serde(rename = "Name", default)]
    pub name: Option<String>,
    #[serde(rename = "Hostname", default)]
    pub hostname: Option<String>,
    #[serde(rename = "Domain", default)]
    pub domain: Option<String>,
    #[serde(rename = "FQDN", default)]
    pub fqdn: Option<String>,
    #[serde(rename = "Enabled", default)]
    pub enabled: Option<bool>,
    #[serde(rename = "UUID", default)]
    pub uuid: Option<String>,
    #[serde(rename = "User", default)]
    pub user: Option<String>,
    /// Write-only: sealed at rest, never returned.
    #[serde(rename = "Password", default)]
    pub password: Option<String>,
    #[serde(rename = "UseSSDP", default)]
    pub use_ssdp: Option<bool>,
    #[serde(rename = "MACRequired", alias = "MacRequired", default)]
    pub mac_required: Option<bool>,
    #[serde(rename = "MACAddr", default)]
    pub mac_addr: Option<String>,
    #[serde(rename = "IPAddress", default)]
    pub ip_address: Option<String>,
    #[serde(rename = "RediscoverOnUpdate", default)]
    pub rediscover_on_update: Option<bool>,
    #[serde(rename = "TemplateID", default)]
    pub template_id: Option<String>,
    /// magellan's payload version; 1 or more means `Systems`/`Managers` describe the BMC.
    #[serde(rename = "SchemaVersion", default)]
    pub schema_version: Option<i64>,
    /// Computer systems behind the BMC (magellan).
    #[serde(rename = "Systems", default)]
    #[schema(value_type = Vec<Object>)]
    pub systems: Vec<super::discovery::System>,
    /// The BMC's managers (magellan).
    #[serde(rename = "Managers", default)]
    #[schema(value_type = Vec<Object>)]
    pub managers: Vec<super::discovery::Manager>,
}

impl std::fmt::Debug for EndpointInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointInput")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("hostname", &self.hostname)
            .field("domain", &self.domain)
            .field("fqdn", &self.fqdn)
            .field("enabled", &self.enabled)
            .field("uuid", &self.uuid)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[hidden]"))
            .field("use_ssdp", &self.use_ssdp)
            .field("mac_required", &self.mac_required)
            .field("mac_addr", &self.mac_addr)
            .field("ip_address", &self.ip_address)
            .field("rediscover_on_update", &self.rediscover_on_update)
            .field("template_id", &self.template_id)
            .field("schema_version", &self.schema_version)
            .field("systems", &self.systems)
            .field("managers", &self.managers)
            .finish()
    }
}

/// The body of a PATCH: only the fields given change.
pub type EndpointPatch = EndpointInput;

fn trim(s: &str) -> String {
    s.trim_matches(|c: char| c == '.' || c == '/' || c.is_whitespace())
        .to_string()
}

fn ip_text(s: &str) -> Option<String> {
    s.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

fn some(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

impl EndpointInput {
    /// The endpoint this body describes and its password (when given), checked and
    /// defaulted as SMD does.
    pub fn validate(&self) -> Result<(RedfishEndpoint, Option<String>), InputError> {
        let err = |m: String| InputError(m);
        let mut domain = trim(some(&self.domain));
        let mut hostname = trim(some(&self.hostname));
        let mut host_is_ip = false;
        if !hostname.is_empty() {
            if let Some(ip) = ip_text(&hostname) {
                host_is_ip = true;
                hostname = ip;
            } else if hostname.contains('.') {
                return Err(err(format!(
                    "Hostname '{hostname}' is not a basename or IP address; put the domain in Domain"
                )));
            }
        }
        let given_fqdn = some(&self.fqdn).trim();
        if !given_fqdn.is_empty() {
            if let Some(ip) = ip_text(given_fqdn) {
                if hostname.is_empty() {
                    hostname = ip;
                    host_is_ip = true;
                }
            } else {
                let (h, d) = given_fqdn.split_once('.').unwrap_or((given_fqdn, ""));
                let (h, d) = (trim(h), trim(d));
                if hostname.is_empty() {
                    hostname.clone_from(&h);
                }
                if domain.is_empty() && hostname == h {
                    domain = d;
                }
            }
        }
        let raw_id = match some(&self.id).trim() {
            "" => hostname.clone(),
            id => trim(id),
        };
        if raw_id.is_empty() {
            return Err(err("missing ID: give the controller's xname".into()));
        }
        let id = Xname::parse(&raw_id)
            .map_err(|e| err(format!("ID '{raw_id}' is not a valid xname: {e}")))?;
        let kind = id.kind();
        let allowed = kind.is_controller()
            || matches!(
                kind,
                HmsType::MgmtSwitch | HmsType::MgmtHlSwitch | HmsType::CduMgmtSwitch
            );
        if !allowed {
            return Err(err(format!(
                "xname ID {id} has wrong type for a Redfish endpoint: {kind} \
                 (use a BMC, PDU controller or management switch xname)"
            )));
        }
        if let Some(t) = self.kind.as_deref().filter(|t| !t.trim().is_empty()) {
            if !t.trim().eq_ignore_ascii_case(kind.as_str()) {
                return Err(err(format!(
                    "Type '{t}' does not match ID {id}, which is a {kind}"
                )));
            }
        }
        let host = if hostname.is_empty() {
            id.as_str().to_string()
        } else {
            hostname.clone()
        };
        let fqdn = match (domain.is_empty(), host_is_ip) {
            (false, false) => format!("{host}.{domain}"),
            _ => host,
        };
        if !given_fqdn.is_empty() {
            let want = ip_text(given_fqdn).unwrap_or_else(|| given_fqdn.to_string());
            if fqdn != want {
                return Err(err(format!(
                    "Hostname/Domain conflict with FQDN: '{fqdn}' != '{want}'"
                )));
            }
        }
        let ip_address = match some(&self.ip_address).trim() {
            "" if host_is_ip => hostname.clone(),
            "" => String::new(),
            raw => {
                let ip = ip_text(raw)
                    .ok_or_else(|| err(format!("IPAddress '{raw}' is not a valid IP address")))?;
                if host_is_ip && ip != hostname {
                    return Err(err(format!(
                        "Hostname IP address conflicts with IPAddress: '{hostname}' != '{ip}'"
                    )));
                }
                ip
            }
        };
        let mac_addr = match some(&self.mac_addr).trim() {
            "" => String::new(),
            raw => {
                super::ethernet::normalize_mac(raw)
                    .map_err(|e| err(format!("MACAddr: {}", e.0)))?
                    .1
            }
        };
        let endpoint = RedfishEndpoint {
            kind: kind.to_string(),
            name: some(&self.name).to_string(),
            hostname,
            domain,
            fqdn,
            enabled: self.enabled.unwrap_or(true),
            uuid: some(&self.uuid).trim().to_string(),
            user: some(&self.user).to_string(),
            password: NoPassword,
            use_ssdp: self.use_ssdp.unwrap_or(false),
            mac_required: self.mac_required.unwrap_or(false),
            mac_addr,
            ip_address,
            rediscover_on_update: self.rediscover_on_update.unwrap_or(false),
            template_id: some(&self.template_id).to_string(),
            discovery: DiscoveryInfo {
                last_status: NOT_YET_QUERIED.to_string(),
                ..DiscoveryInfo::default()
            },
            id,
        };
        Ok((endpoint, self.password.clone()))
    }

    /// Whether magellan's nested description should be ingested.
    pub fn describes_hardware(&self) -> bool {
        self.schema_version.unwrap_or(0) >= 1
            && (!self.systems.is_empty() || !self.managers.is_empty())
    }

    /// This patch laid over `current`: a full body for [`EndpointInput::validate`]. Host,
    /// domain and FQDN are re-derived from what the patch gives when it gives any of them.
    pub fn over(&self, current: &RedfishEndpoint) -> EndpointInput {
        let pick = |new: &Option<String>, old: &str| {
            new.clone()
                .or_else(|| Some(old.to_string()).filter(|s| !s.is_empty()))
        };
        // A new FQDN re-derives host and domain; a new host or domain keeps the other part
        // and re-derives the FQDN.
        let naming = self.hostname.is_some() || self.domain.is_some() || self.fqdn.is_some();
        let keep = |new: &Option<String>, old: &str| match (new, &self.fqdn) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(old.to_string()).filter(|s| !s.is_empty()),
        };
        EndpointInput {
            id: Some(current.id.as_str().to_string()),
            kind: None,
            name: pick(&self.name, &current.name),
            hostname: keep(&self.hostname, &current.hostname),
            domain: keep(&self.domain, &current.domain),
            fqdn: if naming {
                self.fqdn.clone()
            } else {
                Some(current.fqdn.clone())
            },
            enabled: self.enabled.or(Some(current.enabled)),
            uuid: pick(&self.uuid, &current.uuid),
            user: pick(&self.user, &current.user),
            password: self.password.clone(),
            use_ssdp: self.use_ssdp.or(Some(current.use_ssdp)),
            mac_required: self.mac_required.or(Some(current.mac_required)),
            mac_addr: pick(&self.mac_addr, &current.mac_addr),
            ip_address: if naming && self.ip_address.is_none() {
                None
            } else {
                pick(&self.ip_address, &current.ip_address)
            },
            rediscover_on_update: self
                .rediscover_on_update
                .or(Some(current.rediscover_on_update)),
            template_id: pick(&self.template_id, &current.template_id),
            schema_version: None,
            systems: Vec::new(),
            managers: Vec::new(),
        }
    }
}

/// Filters of an endpoint listing (SMD's names): fields AND, repeated values OR.
#[derive(Debug, Clone, Default)]
pub struct EndpointFilter {
    pub ids: Vec<Xname>,
    pub fqdns: Vec<String>,
    pub kinds: Vec<String>,
    pub uuids: Vec<String>,
    pub macs: Vec<String>,
    pub ips: Vec<String>,
    pub statuses: Vec<String>,
}

impl EndpointFilter {
    /// Adds one query parameter.
    pub fn add(&mut self, key: &str, value: &str) -> Result<(), InputError> {
        let bad = |m: String| InputError(format!("bad query param: {m}"));
        match key.to_ascii_lowercase().as_str() {
            "id" => self
                .ids
                .push(Xname::parse(value).map_err(|e| bad(e.to_string()))?),
            "fqdn" => self.fqdns.push(value.trim().to_ascii_lowercase()),
            "type" => self.kinds.push(
                HmsType::parse(value.trim())
                    .ok_or_else(|| bad(format!("type '{value}' is not an HMS type")))?
                    .to_string(),
            ),
            "uuid" => self.uuids.push(value.trim().to_ascii_lowercase()),
            "macaddr" => self.macs.push(
                super::ethernet::normalize_mac(value)
                    .map_err(|e| bad(e.0))?
                    .1,
            ),
            "ipaddress" => self.ips.push(
                ip_text(value).ok_or_else(|| bad(format!("'{value}' is not an IP address")))?,
            ),
            "laststatus" => {
                let s = DISCOVERY_STATUSES
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(value.trim()))
                    .ok_or_else(|| {
                        bad(format!(
                            "laststatus '{value}' is not one of {}",
                            DISCOVERY_STATUSES.join(", ")
                        ))
                    })?;
                self.statuses.push(s.to_string());
            }
            _ => {
                return Err(bad(format!(
                    "unknown parameter '{key}' (use id, fqdn, type, uuid, macaddr, ipaddress \
                     or laststatus)"
                )))
            }
        }
        Ok(())
    }

    /// True when `ep` passes every condition.
    pub fn accepts(&self, ep: &RedfishEndpoint) -> bool {
        fn any(list: &[String], v: &str) -> bool {
            list.is_empty() || list.iter().any(|x| x == v)
        }
        (self.ids.is_empty() || self.ids.contains(&ep.id))
            && any(&self.fqdns, &ep.fqdn.to_ascii_lowercase())
            && any(&self.kinds, &ep.kind)
            && any(&self.uuids, &ep.uuid.to_ascii_lowercase())
            && any(&self.macs, &ep.mac_addr)
            && any(&self.ips, &ep.ip_address)
            && any(&self.statuses, &ep.discovery.last_status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_debug_print_never_shows_its_password() {
        let i = input(serde_json::json!({"ID": "x3000c0s0b0", "User": "root",
                                          "Password": "hunter2-secret"}));
        let shown = format!("{i:?} {i:#?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(
            shown.contains("[hidden]") && shown.contains("root"),
            "{shown}"
        );
        let none = input(serde_json::json!({"ID": "x3000c0s0b0"}));
        assert!(format!("{none:?}").contains("password: None"));
    }

    fn input(v: serde_json::Value) -> EndpointInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn defaults_and_derivations() {
        let (ep, pw) = input(serde_json::json!({
            "ID": "X3000C0S1B0", "FQDN": "10.254.1.7", "User": "root", "Password": "pw"
        }))
        .validate()
        .unwrap();
        assert_eq!(ep.id.as_str(), "x3000c0s1b0");
        assert_eq!(ep.kind, "NodeBMC");
        assert_eq!(ep.hostname, "10.254.1.7");
        assert_eq!(ep.fqdn, "10.254.1.7");
        assert_eq!(ep.ip_address, "10.254.1.7");
        assert!(ep.enabled);
        assert_eq!(ep.discovery.last_status, NOT_YET_QUERIED);
        assert_eq!(pw.as_deref(), Some("pw"));

        let (ep, _) = input(serde_json::json!({"ID": "x3000c0s1b0", "FQDN": "bmc7.mgmt.example"}))
            .validate()
            .unwrap();
        assert_eq!(
            (ep.hostname.as_str(), ep.domain.as_str()),
            ("bmc7", "mgmt.example")
        );

        let (ep, _) = input(serde_json::json!({"ID": "x3000c0s1b0", "Domain": "mgmt"}))
            .validate()
            .unwrap();
        assert_eq!(ep.fqdn, "x3000c0s1b0.mgmt");
    }

    #[test]
    fn bad_bodies_are_named() {
        let cases = [
            (serde_json::json!({}), "missing ID"),
            (serde_json::json!({"ID": "bmc7"}), "not a valid xname"),
            (serde_json::json!({"ID": "x3000c0s1b0n0"}), "wrong type"),
            (
                serde_json::json!({"ID": "x3000c0s1b0", "Hostname": "a.b"}),
                "not a basename",
            ),
            (
                serde_json::json!({"ID": "x3000c0s1b0", "Hostname": "a", "Domain": "b", "FQDN": "c.b"}),
                "conflict with FQDN",
            ),
            (
                serde_json::json!({"ID": "x3000c0s1b0", "IPAddress": "10.0.0.300"}),
                "not a valid IP address",
            ),
            (
                serde_json::json!({"ID": "x3000c0s1b0", "FQDN": "10.0.0.1", "IPAddress": "10.0.0.2"}),
                "conflicts with IPAddress",
            ),
            (
                serde_json::json!({"ID": "x3000c0s1b0", "MACAddr": "zz"}),
                "MACAddr",
            ),
            (
                serde_json::json!({"ID": "x3000c0s1b0", "Type": "Node"}),
                "does not match",
            ),
        ];
        for (body, needle) in cases {
            let e = input(body.clone()).validate().unwrap_err();
            assert!(e.0.contains(needle), "{body}: {}", e.0);
        }
    }

    #[test]
    fn patch_over_current() {
        let (cur, _) =
            input(serde_json::json!({"ID": "x3000c0s1b0", "FQDN": "10.0.0.1", "User": "root"}))
                .validate()
                .unwrap();
        let p = input(serde_json::json!({"Enabled": false, "User": "admin"}));
        let (ep, pw) = p.over(&cur).validate().unwrap();
        assert!(!ep.enabled);
        assert_eq!(ep.user, "admin");
        assert_eq!(ep.fqdn, "10.0.0.1");
        assert_eq!(pw, None);
        let p = input(serde_json::json!({"FQDN": "10.0.0.2"}));
        let (ep, _) = p.over(&cur).validate().unwrap();
        assert_eq!(
            (ep.fqdn.as_str(), ep.ip_address.as_str()),
            ("10.0.0.2", "10.0.0.2")
        );
        let (named, _) =
            input(serde_json::json!({"ID": "x3000c0s1b0", "Hostname": "bmc1", "Domain": "mgmt"}))
                .validate()
                .unwrap();
        let (ep, _) = input(serde_json::json!({"Hostname": "bmc2"}))
            .over(&named)
            .validate()
            .unwrap();
        assert_eq!(ep.fqdn, "bmc2.mgmt", "the domain is kept");
    }

    #[test]
    fn filters() {
        let (ep, _) = input(
            serde_json::json!({"ID": "x3000c0s1b0", "FQDN": "10.0.0.1", "MACAddr": "A4BF012B7310"}),
        )
        .validate()
        .unwrap();
        let ok = |pairs: &[(&str, &str)]| {
            let mut f = EndpointFilter::default();
            for (k, v) in pairs {
                f.add(k, v).unwrap();
            }
            f.accepts(&ep)
        };
        assert!(ok(&[("id", "x3000c0s1b0"), ("type", "nodebmc")]));
        assert!(ok(&[
            ("macaddr", "a4:bf:01:2b:73:10"),
            ("ipaddress", "10.0.0.1")
        ]));
        assert!(ok(&[("laststatus", "notyetqueried")]));
        assert!(!ok(&[("laststatus", "DiscoverOK")]));
        assert!(!ok(&[("fqdn", "10.0.0.2")]));
        let mut f = EndpointFilter::default();
        assert!(f
            .add("laststatus", "Great")
            .unwrap_err()
            .0
            .contains("DiscoverOK"));
        assert!(f
            .add("colour", "x")
            .unwrap_err()
            .0
            .contains("unknown parameter"));
    }
}
