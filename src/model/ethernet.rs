//! SMD component Ethernet interfaces (`CompEthInterface.1.0.0`): a MAC address, the IP
//! addresses it holds on each network, and the component it belongs to. The ID is the MAC in
//! lowercase hex without separators, as SMD keys it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::component::InputError;
use super::mac::Mac;
use super::xname::Xname;

/// One IP address on one network (`CompEthInterface.1.0.0_IPAddressMapping`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IpMapping {
    /// The address.
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    /// The network it is on (for example HMN).
    #[serde(rename = "Network", default, skip_serializing_if = "String::is_empty")]
    pub network: String,
}

/// A component Ethernet interface as stored and returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EthInterface {
    /// The MAC as lowercase hex without separators.
    #[serde(rename = "ID")]
    pub id: String,
    /// Free text.
    #[serde(rename = "Description", default)]
    pub description: String,
    /// The MAC, lowercase and colon-separated.
    #[serde(rename = "MACAddress")]
    pub mac_address: String,
    /// The addresses it holds.
    #[serde(rename = "IPAddresses", default)]
    pub ip_addresses: Vec<IpMapping>,
    /// When it last changed (RFC 3339).
    #[serde(rename = "LastUpdate", default)]
    pub last_update: String,
    /// The component it belongs to, empty when not known yet.
    #[serde(rename = "ComponentID", default)]
    pub component_id: String,
    /// The HMS type of that component, empty when not known.
    #[serde(rename = "Type", default)]
    pub kind: String,
}

/// The body of a POST: everything but the ID and LastUpdate, which the core sets.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct EthInterfaceInput {
    /// Ignored when it matches the MAC; refused when it names another.
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    /// Free text.
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
    /// Required.
    #[serde(rename = "MACAddress", default)]
    pub mac_address: Option<String>,
    /// Addresses.
    #[serde(rename = "IPAddresses", default)]
    pub ip_addresses: Vec<IpMapping>,
    /// The owning component's xname.
    #[serde(rename = "ComponentID", default)]
    pub component_id: Option<String>,
    /// The owning component's HMS type; derived from ComponentID when absent.
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
}

/// The body of a PATCH: omitted fields are kept.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct EthInterfacePatch {
    /// New description.
    #[serde(rename = "Description", default)]
    pub description: Option<String>,
    /// New address list (replacing the old one).
    #[serde(rename = "IPAddresses", default)]
    pub ip_addresses: Option<Vec<IpMapping>>,
    /// New owning component (`""` clears it).
    #[serde(rename = "ComponentID", default)]
    pub component_id: Option<String>,
}

/// One change to a stored interface, applied inside the store's transaction.
#[derive(Debug, Clone)]
pub enum InterfaceChange {
    /// A PATCH of the interface, validated.
    Patch(EthInterfacePatch),
    /// Add an address (conflict when it is already there).
    AddIp(IpMapping),
    /// Change the network of an address.
    SetNetwork {
        /// The address.
        ip: String,
        /// Its new network.
        network: String,
    },
    /// Remove an address.
    RemoveIp(String),
}

/// Why a change could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    /// The change is invalid.
    Invalid(String),
    /// The address is already there.
    Conflict(String),
    /// The address is not there.
    NotFound(String),
}

/// The current time as SMD writes it (RFC 3339, UTC).
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Parses an RFC 3339 time (the `OlderThan`/`NewerThan` filters).
pub fn parse_time(raw: &str, what: &str) -> Result<OffsetDateTime, InputError> {
    OffsetDateTime::parse(raw, &Rfc3339).map_err(|e| {
        InputError(format!(
            "{what} '{raw}' is not an RFC 3339 time such as 2024-01-02T15:04:05Z: {e}"
        ))
    })
}

/// A MAC address as `(id, canonical)` (see [`Mac`]): the ID is lowercase hex, the canonical
/// form lowercase colon-separated.
pub fn normalize_mac(raw: &str) -> Result<(String, String), InputError> {
    let mac = Mac::parse(raw)?;
    Ok((mac.id(), mac.to_string()))
}

/// An IP address in its canonical text form.
pub fn normalize_ip(raw: &str) -> Result<String, InputError> {
    raw.trim()
        .parse::<IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| InputError(format!("bad IP address '{raw}'")))
}

fn normalize_ips(ips: &[IpMapping]) -> Result<Vec<IpMapping>, InputError> {
    let mut out: Vec<IpMapping> = Vec::with_capacity(ips.len());
    for m in ips {
        let ip = normalize_ip(&m.ip_address)?;
        if out.iter().any(|o| o.ip_address == ip) {
            return Err(InputError(format!("IP address {ip} is listed twice")));
        }
        out.push(IpMapping {
            ip_address: ip,
            network: m.network.trim().to_string(),
        });
    }
    Ok(out)
}

/// A ComponentID as `(xname, type)`; empty stays empty.
fn owner(raw: &str) -> Result<(String, String), InputError> {
    if raw.trim().is_empty() {
        return Ok((String::new(), String::new()));
    }
    let x = Xname::parse(raw).map_err(|e| InputError(format!("ComponentID: {e}")))?;
    let kind = x.kind().to_string();
    Ok((x.as_str().to_string(), kind))
}

impl EthInterfaceInput {
    /// The interface this body describes, stamped `now`.
    pub fn validate(&self, now: &str) -> Result<EthInterface, InputError> {
        let raw_mac = self
            .mac_address
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .ok_or_else(|| InputError("missing MACAddress".into()))?;
        let (id, mac) = normalize_mac(raw_mac)?;
        if let Some(given) = self.id.as_deref().filter(|i| !i.is_empty()) {
            let given_id = normalize_mac(given).map(|(i, _)| i).unwrap_or_default();
            if given_id != id {
                return Err(InputError(format!(
                    "ID '{given}' does not match MACAddress '{raw_mac}'; leave ID out, it is derived from the MAC"
                )));
            }
        }
        let (component_id, derived) = owner(self.component_id.as_deref().unwrap_or(""))?;
        let kind = match self
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            Some(k) => k
                .parse::<super::xname::HmsType>()
                .map_err(|e| InputError(format!("Type: {e}")))?
                .to_string(),
            None => derived,
        };
        Ok(EthInterface {
            id,
            description: self.description.clone().unwrap_or_default(),
            mac_address: mac,
            ip_addresses: normalize_ips(&self.ip_addresses)?,
            last_update: now.to_string(),
            component_id,
            kind,
        })
    }
}

impl InterfaceChange {
    /// Applies the change to `iface`, stamping `now` when the addresses change (as SMD does).
    pub fn apply(&self, iface: &mut EthInterface, now: &str) -> Result<(), ChangeError> {
        let invalid = |e: InputError| ChangeError::Invalid(e.0);
        match self {
            InterfaceChange::Patch(p) => {
                if p.description.is_none() && p.ip_addresses.is_none() && p.component_id.is_none() {
                    return Err(ChangeError::Invalid(
                        "nothing to change: give Description, IPAddresses and/or ComponentID"
                            .into(),
                    ));
                }
                if let Some(d) = &p.description {
                    iface.description.clone_from(d);
                }
                if let Some(c) = &p.component_id {
                    (iface.component_id, iface.kind) = owner(c).map_err(invalid)?;
                }
                if let Some(ips) = &p.ip_addresses {
                    iface.ip_addresses = normalize_ips(ips).map_err(invalid)?;
                    iface.last_update = now.to_string();
                }
            }
            InterfaceChange::AddIp(m) => {
                let mut all = iface.ip_addresses.clone();
                all.push(m.clone());
                let all = normalize_ips(&all).map_err(|e| {
                    if e.0.contains("listed twice") {
                        ChangeError::Conflict(format!(
                            "interface {} already has IP address {}",
                            iface.id,
                            m.ip_address.trim()
                        ))
                    } else {
                        ChangeError::Invalid(e.0)
                    }
                })?;
                iface.ip_addresses = all;
                iface.last_update = now.to_string();
            }
            InterfaceChange::SetNetwork { ip, network } => {
                let ip = normalize_ip(ip).map_err(invalid)?;
                let m = iface
                    .ip_addresses
                    .iter_mut()
                    .find(|m| m.ip_address == ip)
                    .ok_or_else(|| {
                        ChangeError::NotFound(format!(
                            "interface {} has no IP address {ip}",
                            iface.id
                        ))
                    })?;
                m.network = network.trim().to_string();
                iface.last_update = now.to_string();
            }
            InterfaceChange::RemoveIp(ip) => {
                let ip = normalize_ip(ip).map_err(invalid)?;
                let before = iface.ip_addresses.len();
                iface.ip_addresses.retain(|m| m.ip_address != ip);
                if iface.ip_addresses.len() == before {
                    return Err(ChangeError::NotFound(format!(
                        "interface {} has no IP address {ip}",
                        iface.id
                    )));
                }
                iface.last_update = now.to_string();
            }
        }
        Ok(())
    }
}

/// Filters of an interface listing: fields AND, repeated values OR.
#[derive(Debug, Clone, Default)]
pub struct InterfaceFilter {
    /// Interface IDs (normalised MACs).
    pub ids: Vec<String>,
    /// IP addresses (canonical).
    pub ips: Vec<String>,
    /// Networks.
    pub networks: Vec<String>,
    /// Owning components (`""` for none).
    pub component_ids: Vec<String>,
    /// HMS types of the owners.
    pub kinds: Vec<String>,
    /// Only interfaces updated before this time.
    pub older_than: Option<OffsetDateTime>,
    /// Only interfaces updated after this time.
    pub newer_than: Option<OffsetDateTime>,
}

impl InterfaceFilter {
    /// Adds one query parameter (SMD's names, case-insensitive keys).
    pub fn add(&mut self, key: &str, value: &str) -> Result<(), InputError> {
        let bad = |e: InputError| InputError(format!("bad query param: {}", e.0));
        match key.to_ascii_lowercase().as_str() {
            "macaddress" => self.ids.push(normalize_mac(value).map_err(bad)?.0),
            "ipaddress" => self.ips.push(normalize_ip(value).map_err(bad)?),
            "network" => self.networks.push(value.trim().to_string()),
            "componentid" => self.component_ids.push(owner(value).map_err(bad)?.0),
            "type" => self.kinds.push(
                value
                    .parse::<super::xname::HmsType>()
                    .map_err(|e| InputError(format!("bad query param: Type: {e}")))?
                    .to_string(),
            ),
            "olderthan" => self.older_than = Some(parse_time(value, "OlderThan").map_err(bad)?),
            "newerthan" => self.newer_than = Some(parse_time(value, "NewerThan").map_err(bad)?),
            _ => {
                return Err(InputError(format!(
                    "bad query param: unknown parameter '{key}' (use MACAddress, IPAddress, \
                     Network, ComponentID, Type, OlderThan or NewerThan)"
                )))
            }
        }
        Ok(())
    }

    /// True when `iface` passes every condition.
    pub fn accepts(&self, iface: &EthInterface) -> bool {
        let any = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        let updated = OffsetDateTime::parse(&iface.last_update, &Rfc3339).ok();
        any(&self.ids, &iface.id)
            && any(&self.component_ids, &iface.component_id)
            && any(&self.kinds, &iface.kind)
            && (self.ips.is_empty()
                || iface
                    .ip_addresses
                    .iter()
                    .any(|m| self.ips.contains(&m.ip_address)))
            && (self.networks.is_empty()
                || iface
                    .ip_addresses
                    .iter()
                    .any(|m| self.networks.contains(&m.network)))
            && self
                .older_than
                .is_none_or(|t| updated.is_some_and(|u| u < t))
            && self
                .newer_than
                .is_none_or(|t| updated.is_some_and(|u| u > t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_normalise_or_are_named() {
        for raw in [
            "A4:BF:01:2B:73:10",
            "a4-bf-01-2b-73-10",
            "a4bf012b7310",
            "a4bf.012b.7310",
        ] {
            let (id, mac) = normalize_mac(raw).unwrap();
            assert_eq!(id, "a4bf012b7310", "{raw}");
            assert_eq!(mac, "a4:bf:01:2b:73:10", "{raw}");
        }
        for bad in [
            "",
            "a4:bf:01:2b:73",
            "a4:bf:01:2b:73:1g",
            "a4:bf:01:2b:73:10:00",
        ] {
            let e = normalize_mac(bad).unwrap_err();
            assert!(e.0.contains("bad MAC address"), "{bad}: {}", e.0);
        }
    }

    #[test]
    fn input_validation() {
        let ok = EthInterfaceInput {
            mac_address: Some("A4:BF:01:2B:73:10".into()),
            ip_addresses: vec![IpMapping {
                ip_address: " 10.1.0.7 ".into(),
                network: "HMN".into(),
            }],
            component_id: Some("X3000C0S1B0N0".into()),
            ..Default::default()
        };
        let i = ok.validate("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(i.id, "a4bf012b7310");
        assert_eq!(i.component_id, "x3000c0s1b0n0");
        assert_eq!(i.kind, "Node");
        assert_eq!(i.ip_addresses[0].ip_address, "10.1.0.7");

        let cases: [(EthInterfaceInput, &str); 5] = [
            (EthInterfaceInput::default(), "missing MACAddress"),
            (
                EthInterfaceInput {
                    id: Some("ffffffffffff".into()),
                    ..ok.clone()
                },
                "does not match MACAddress",
            ),
            (
                EthInterfaceInput {
                    component_id: Some("node7".into()),
                    ..ok.clone()
                },
                "ComponentID",
            ),
            (
                EthInterfaceInput {
                    ip_addresses: vec![IpMapping {
                        ip_address: "10.1.0.300".into(),
                        network: String::new(),
                    }],
                    ..ok.clone()
                },
                "bad IP address '10.1.0.300'",
            ),
            (
                EthInterfaceInput {
                    kind: Some("Toaster".into()),
                    ..ok.clone()
                },
                "Type",
            ),
        ];
        for (input, needle) in cases {
            let e = input.validate("t").unwrap_err();
            assert!(e.0.contains(needle), "{needle}: {}", e.0);
        }
    }

    #[test]
    fn ip_changes() {
        let mut i = EthInterfaceInput {
            mac_address: Some("a4bf012b7310".into()),
            ..Default::default()
        }
        .validate("t0")
        .unwrap();
        let add = InterfaceChange::AddIp(IpMapping {
            ip_address: "10.0.0.1".into(),
            network: "NMN".into(),
        });
        add.apply(&mut i, "t1").unwrap();
        assert_eq!(i.last_update, "t1");
        assert!(matches!(
            add.apply(&mut i, "t2"),
            Err(ChangeError::Conflict(_))
        ));
        InterfaceChange::SetNetwork {
            ip: "10.0.0.1".into(),
            network: "HMN".into(),
        }
        .apply(&mut i, "t3")
        .unwrap();
        assert_eq!(i.ip_addresses[0].network, "HMN");
        let gone = InterfaceChange::RemoveIp("10.0.0.2".into()).apply(&mut i, "t4");
        assert!(matches!(gone, Err(ChangeError::NotFound(_))));
        InterfaceChange::RemoveIp("10.0.0.1".into())
            .apply(&mut i, "t5")
            .unwrap();
        assert!(i.ip_addresses.is_empty());
        let empty = InterfaceChange::Patch(EthInterfacePatch::default()).apply(&mut i, "t6");
        assert!(matches!(empty, Err(ChangeError::Invalid(_))));
    }

    #[test]
    fn filter_matches_fields_and_times() {
        let i = EthInterfaceInput {
            mac_address: Some("a4bf012b7310".into()),
            ip_addresses: vec![IpMapping {
                ip_address: "10.0.0.1".into(),
                network: "HMN".into(),
            }],
            component_id: Some("x1c0s0b0n0".into()),
            ..Default::default()
        }
        .validate("2024-06-01T00:00:00Z")
        .unwrap();
        let f = |pairs: &[(&str, &str)]| {
            let mut f = InterfaceFilter::default();
            for (k, v) in pairs {
                f.add(k, v).unwrap();
            }
            f.accepts(&i)
        };
        assert!(f(&[("MACAddress", "A4:BF:01:2B:73:10")]));
        assert!(f(&[("IPAddress", "10.0.0.1"), ("Network", "HMN")]));
        assert!(!f(&[("Network", "NMN")]));
        assert!(f(&[("ComponentID", "x1c0s0b0n0"), ("Type", "node")]));
        assert!(f(&[("OlderThan", "2024-07-01T00:00:00Z")]));
        assert!(!f(&[("NewerThan", "2024-07-01T00:00:00Z")]));
        let mut bad = InterfaceFilter::default();
        assert!(bad
            .add("OlderThan", "yesterday")
            .unwrap_err()
            .0
            .contains("RFC 3339"));
        assert!(bad
            .add("colour", "x")
            .unwrap_err()
            .0
            .contains("unknown parameter"));
    }
}
