//! SMD's two mapping tables: `Defaults/NodeMaps` (a node's default NID, Role and SubRole,
//! applied when the node is created) and `sysinfo/powermaps` (what powers a component).

use serde::{Deserialize, Serialize};

use super::enums::{Role, SubRole};
use super::xname::{HmsType, Xname};

/// A bad map in a write, with the message an operator sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MapError(pub String);

/// A node's defaults (`NodeMap.1.0.0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeMap {
    /// The node's xname.
    #[serde(rename = "ID")]
    #[schema(value_type = String, example = "x3000c0s0b0n0")]
    pub id: Xname,
    /// The NID the node gets when created without one; unique among maps.
    #[serde(rename = "NID")]
    pub nid: i64,
    /// The role the node gets when created without one.
    #[serde(rename = "Role", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "Compute")]
    pub role: Option<Role>,
    /// The subrole the node gets when created without one.
    #[serde(rename = "SubRole", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub sub_role: Option<SubRole>,
    /// Free-form data kept with the map.
    #[serde(rename = "NodeInfo", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub node_info: Option<serde_json::Value>,
}

/// A node map as a client writes it, not yet validated.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NodeMapInput {
    /// The node's xname (in a PUT, the URL's when absent).
    #[serde(rename = "ID", default)]
    pub id: String,
    /// A NID of 1 or more.
    #[serde(rename = "NID", default)]
    pub nid: i64,
    /// One of SMD's roles.
    #[serde(rename = "Role", default)]
    pub role: String,
    /// One of SMD's subroles.
    #[serde(rename = "SubRole", default)]
    pub sub_role: String,
    /// Free-form data kept with the map.
    #[serde(rename = "NodeInfo", default)]
    #[schema(value_type = Option<Object>)]
    pub node_info: Option<serde_json::Value>,
}

/// A POST of node maps: SMD takes one map or a named array of them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NodeMapArray {
    /// The maps.
    #[serde(rename = "NodeMaps")]
    pub node_maps: Vec<NodeMapInput>,
}

/// The named array SMD answers a list with.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeMapList {
    /// Every map, in xname order.
    #[serde(rename = "NodeMaps")]
    pub node_maps: Vec<NodeMap>,
}

impl NodeMapInput {
    /// Validates as SMD's `NewNodeMap` does, with its words.
    pub fn validate(&self) -> Result<NodeMap, MapError> {
        let id = Xname::parse(self.id.trim())
            .ok()
            .filter(|x| matches!(x.kind(), HmsType::Node | HmsType::VirtualNode))
            .ok_or_else(|| {
                MapError(format!(
                    "xname ID '{}' is invalid or not a node",
                    shown(&self.id)
                ))
            })?;
        if self.nid <= 0 {
            return Err(MapError(format!("NID '{}' is out of range", self.nid)));
        }
        let role = match self.role.trim() {
            "" => None,
            r => Some(r.parse::<Role>().map_err(|_| {
                MapError(format!(
                    "Role '{}' is not valid. (one of {})",
                    shown(r),
                    Role::NAMES.join(", ")
                ))
            })?),
        };
        let sub_role = match self.sub_role.trim() {
            "" => None,
            r => Some(r.parse::<SubRole>().map_err(|_| {
                MapError(format!(
                    "SubRole '{}' is not valid. (one of {})",
                    shown(r),
                    SubRole::NAMES.join(", ")
                ))
            })?),
        };
        Ok(NodeMap {
            id,
            nid: self.nid,
            role,
            sub_role,
            node_info: self.node_info.clone().filter(|v| !v.is_null()),
        })
    }
}

/// What powers a component (`PowerMap.1.0.0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PowerMap {
    /// The powered component's xname.
    #[schema(value_type = String, example = "x0c0s1b0n0")]
    pub id: Xname,
    /// The xnames of what powers it (outlets, supplies), at least one.
    #[serde(rename = "poweredBy")]
    #[schema(value_type = Vec<String>, example = json!(["x0m0p0j10", "x0m0p0j11"]))]
    pub powered_by: Vec<Xname>,
}

/// A power map as a client writes it, not yet validated.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PowerMapInput {
    /// The powered component's xname (in a PUT, the URL's when absent).
    #[serde(default)]
    pub id: String,
    /// What powers it; required.
    #[serde(rename = "poweredBy", default)]
    pub powered_by: Vec<String>,
}

impl PowerMapInput {
    /// Validates as SMD's `NewPowerMap` does, with its words; an empty `poweredBy` is refused
    /// as SMD's handlers refuse it. Repeated suppliers are kept once.
    pub fn validate(&self) -> Result<PowerMap, MapError> {
        let id = Xname::parse(self.id.trim())
            .map_err(|_| MapError(format!("xname ID '{}' is invalid", shown(&self.id))))?;
        if self.powered_by.is_empty() {
            return Err(MapError("poweredBy is required for PowerMaps".into()));
        }
        let mut powered_by: Vec<Xname> = Vec::with_capacity(self.powered_by.len());
        for raw in &self.powered_by {
            let by = Xname::parse(raw.trim()).map_err(|_| {
                MapError(format!("Power supply xname ID '{}' is invalid", shown(raw)))
            })?;
            if !powered_by.contains(&by) {
                powered_by.push(by);
            }
        }
        Ok(PowerMap { id, powered_by })
    }
}

/// Input echoed in an error, cut short if it is long.
fn shown(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, nid: i64, role: &str) -> NodeMapInput {
        NodeMapInput {
            id: id.into(),
            nid,
            role: role.into(),
            ..NodeMapInput::default()
        }
    }

    #[test]
    fn a_node_map_normalises_its_xname_and_role() {
        let m = node("X3000C0S0B0N0", 7, "compute").validate().unwrap();
        assert_eq!(m.id.as_str(), "x3000c0s0b0n0");
        assert_eq!(m.role, Some(Role::Compute));
        assert_eq!(m.sub_role, None);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"ID": "x3000c0s0b0n0", "NID": 7, "Role": "Compute"})
        );
    }

    #[test]
    fn a_node_map_refuses_what_smd_refuses() {
        let err = |m: NodeMapInput| m.validate().unwrap_err().0;
        assert_eq!(
            err(node("x3000c0s0b0", 1, "")),
            "xname ID 'x3000c0s0b0' is invalid or not a node"
        );
        assert_eq!(
            err(node("bogus", 1, "")),
            "xname ID 'bogus' is invalid or not a node"
        );
        assert_eq!(err(node("x3000c0s0b0n0", 0, "")), "NID '0' is out of range");
        assert_eq!(
            err(node("x3000c0s0b0n0", -4, "")),
            "NID '-4' is out of range"
        );
        assert!(err(node("x3000c0s0b0n0", 1, "Chef")).starts_with("Role 'Chef' is not valid."));
        let bad_sub = NodeMapInput {
            sub_role: "Boss".into(),
            ..node("x3000c0s0b0n0", 1, "")
        };
        assert!(err(bad_sub).starts_with("SubRole 'Boss' is not valid."));
    }

    #[test]
    fn a_power_map_needs_valid_names_and_a_supplier() {
        let input = |id: &str, by: &[&str]| PowerMapInput {
            id: id.into(),
            powered_by: by.iter().map(|s| s.to_string()).collect(),
        };
        let m = input("x0c0s1b0n0", &["x0m0p0j10", "X0M0P0J10", "x0m0p0j11"])
            .validate()
            .unwrap();
        assert_eq!(m.powered_by.len(), 2, "a repeated supplier is kept once");
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({"id": "x0c0s1b0n0", "poweredBy": ["x0m0p0j10", "x0m0p0j11"]})
        );
        let err = |id: &str, by: &[&str]| input(id, by).validate().unwrap_err().0;
        assert_eq!(err("nope", &["x0m0p0j10"]), "xname ID 'nope' is invalid");
        assert_eq!(
            err("x0c0s1b0n0", &[]),
            "poweredBy is required for PowerMaps"
        );
        assert_eq!(
            err("x0c0s1b0n0", &["x0m0p0j10", "j99"]),
            "Power supply xname ID 'j99' is invalid"
        );
    }
}
