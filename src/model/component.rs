//! SMD components: the stored record, the validated write bodies, filters and field selections.

use serde::{Deserialize, Serialize};

use super::enums::{Arch, Class, Flag, NetType, Role, State, SubRole};
use super::xname::{HmsType, Xname};

/// One component as SMD stores and returns it (`Component.1.0.0_Component`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Component {
    /// Location of the component.
    #[serde(rename = "ID")]
    #[schema(value_type = String, example = "x1000c0s0b0n0")]
    pub id: Xname,
    /// HMS type, derived from the xname.
    #[serde(rename = "Type")]
    #[schema(value_type = String, example = "Node")]
    pub kind: HmsType,
    /// Logical state.
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "Ready")]
    pub state: Option<State>,
    /// State flag.
    #[serde(rename = "Flag", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "OK")]
    pub flag: Option<Flag>,
    /// Whether the component is enabled.
    #[serde(rename = "Enabled", default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Software status set by the managed plane.
    #[serde(
        rename = "SoftwareStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub software_status: Option<String>,
    /// Node role.
    #[serde(rename = "Role", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "Compute")]
    pub role: Option<Role>,
    /// Node subrole.
    #[serde(rename = "SubRole", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub subrole: Option<SubRole>,
    /// Node ID.
    #[serde(rename = "NID", default, skip_serializing_if = "Option::is_none")]
    pub nid: Option<i64>,
    /// Further distinguishes components of the same type.
    #[serde(rename = "Subtype", default, skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    /// High-speed network type.
    #[serde(rename = "NetType", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub net_type: Option<NetType>,
    /// CPU architecture.
    #[serde(rename = "Arch", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "X86")]
    pub arch: Option<Arch>,
    /// Hardware class.
    #[serde(rename = "Class", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "River")]
    pub class: Option<Class>,
    /// Whether reservations are disabled (locking API).
    #[serde(
        rename = "ReservationDisabled",
        default,
        skip_serializing_if = "is_false"
    )]
    pub reservation_disabled: bool,
    /// Whether the component is locked (locking API).
    #[serde(rename = "Locked", default, skip_serializing_if = "is_false")]
    pub locked: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Component {
    /// A new component at `id` in `state` with SMD's defaults (flag OK, enabled).
    pub fn new(id: Xname, state: State) -> Component {
        let kind = id.kind();
        Component {
            state: Some(state),
            flag: Some(Flag::Ok),
            enabled: Some(true),
            ..Component::bare(id, kind)
        }
    }

    /// Whether this component is a node (the only kind with NIDs and roles).
    pub fn is_node(&self) -> bool {
        matches!(self.kind, HmsType::Node | HmsType::VirtualNode)
    }

    /// A component with only its ID and Type set.
    fn bare(id: Xname, kind: HmsType) -> Component {
        Component {
            id,
            kind,
            state: None,
            flag: None,
            enabled: None,
            software_status: None,
            role: None,
            subrole: None,
            nid: None,
            subtype: None,
            net_type: None,
            arch: None,
            class: None,
            reservation_disabled: false,
            locked: false,
        }
    }

    /// Keeps only the fields a field selection asks for (ID and Type always stay).
    pub fn select(self, fields: FieldSelect) -> Component {
        let mut out = match fields {
            FieldSelect::All => return self,
            _ => Component::bare(self.id, self.kind),
        };
        match fields {
            FieldSelect::StateOnly => {
                out.state = self.state;
                out.flag = self.flag;
            }
            FieldSelect::FlagOnly => out.flag = self.flag,
            FieldSelect::RoleOnly => {
                out.role = self.role;
                out.subrole = self.subrole;
            }
            FieldSelect::NidOnly => out.nid = self.nid,
            FieldSelect::All => {}
        }
        out
    }
}

/// One change applied to a set of components (SMD's PATCH operations).
#[derive(Debug, Clone, PartialEq)]
pub enum ComponentChange {
    /// Set State and Flag.
    State {
        /// New state.
        state: State,
        /// New flag.
        flag: Flag,
    },
    /// Set Flag only.
    Flag(Flag),
    /// Set Enabled.
    Enabled(bool),
    /// Set SoftwareStatus (the empty string clears it).
    SoftwareStatus(String),
    /// Set Role and SubRole (SubRole cleared when None).
    Role {
        /// New role.
        role: Role,
        /// New subrole.
        subrole: Option<SubRole>,
    },
    /// Set NID.
    Nid(i64),
}

impl ComponentChange {
    /// Whether this changes only State, Flag or SoftwareStatus (not who a node is, nor
    /// whether it is enabled, which decides how it boots).
    pub fn is_status(&self) -> bool {
        matches!(
            self,
            ComponentChange::State { .. }
                | ComponentChange::Flag(_)
                | ComponentChange::SoftwareStatus(_)
        )
    }

    /// Applies this change to one component.
    pub fn apply(&self, c: &mut Component) {
        match self {
            ComponentChange::State { state, flag } => {
                c.state = Some(*state);
                c.flag = Some(*flag);
            }
            ComponentChange::Flag(f) => c.flag = Some(*f),
            ComponentChange::Enabled(e) => c.enabled = Some(*e),
            ComponentChange::SoftwareStatus(s) => c.software_status = non_empty(&Some(s.clone())),
            ComponentChange::Role { role, subrole } => {
                c.role = Some(*role);
                c.subrole = *subrole;
            }
            ComponentChange::Nid(n) => c.nid = Some(*n),
        }
    }
}

/// Which fields a component listing returns (`stateonly`, `flagonly`, `roleonly`, `nidonly`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldSelect {
    /// Every field.
    #[default]
    All,
    /// ID, Type, State, Flag.
    StateOnly,
    /// ID, Type, Flag.
    FlagOnly,
    /// ID, Type, Role, SubRole.
    RoleOnly,
    /// ID, Type, NID.
    NidOnly,
}

/// A bad field in a component write, with the message an operator sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

impl InputError {
    fn at(prefix: &str, msg: impl std::fmt::Display) -> InputError {
        if prefix.is_empty() {
            InputError(msg.to_string())
        } else {
            InputError(format!("{prefix}: {msg}"))
        }
    }
}

/// A component as a client writes it (`Component.1.0.0_ComponentCreate`), not yet validated.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ComponentInput {
    /// Location of the component.
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    /// Ignored on input: the type follows from the xname.
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
    /// Logical state (required).
    #[serde(rename = "State", default)]
    pub state: Option<String>,
    /// State flag, OK when absent.
    #[serde(rename = "Flag", default)]
    pub flag: Option<String>,
    /// Enabled, true when absent.
    #[serde(rename = "Enabled", default)]
    pub enabled: Option<bool>,
    /// Software status.
    #[serde(rename = "SoftwareStatus", default)]
    pub software_status: Option<String>,
    /// Node role.
    #[serde(rename = "Role", default)]
    pub role: Option<String>,
    /// Node subrole.
    #[serde(rename = "SubRole", default)]
    pub subrole: Option<String>,
    /// Node ID.
    #[serde(rename = "NID", default)]
    pub nid: Option<i64>,
    /// Subtype.
    #[serde(rename = "Subtype", default)]
    pub subtype: Option<String>,
    /// Network type.
    #[serde(rename = "NetType", default)]
    pub net_type: Option<String>,
    /// Architecture.
    #[serde(rename = "Arch", default)]
    pub arch: Option<String>,
    /// Hardware class.
    #[serde(rename = "Class", default)]
    pub class: Option<String>,
}

/// Parses an optional enum field, treating the empty string as absent as SMD does.
fn opt_enum<T: std::str::FromStr>(prefix: &str, v: &Option<String>) -> Result<Option<T>, InputError>
where
    T::Err: std::fmt::Display,
{
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|e| InputError::at(prefix, e)),
    }
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_ref().filter(|s| !s.is_empty()).cloned()
}

impl ComponentInput {
    /// Validates and normalises this input into a component; `prefix` names it in errors.
    pub fn validate(&self, prefix: &str) -> Result<Component, InputError> {
        let raw_id = self.id.as_deref().unwrap_or("");
        if raw_id.is_empty() {
            return Err(InputError::at(prefix, "missing ID"));
        }
        let id = Xname::parse(raw_id).map_err(|e| InputError::at(prefix, e))?;
        let state: State = match self.state.as_deref() {
            None | Some("") => {
                return Err(InputError::at(prefix, format!("missing State for '{id}'")))
            }
            Some(s) => s.parse().map_err(|e| InputError::at(prefix, e))?,
        };
        let mut c = Component::new(id, state);
        if let Some(flag) = opt_enum(prefix, &self.flag)? {
            c.flag = Some(flag);
        }
        c.enabled = Some(self.enabled.unwrap_or(true));
        c.software_status = non_empty(&self.software_status);
        c.role = opt_enum(prefix, &self.role)?;
        c.subrole = opt_enum(prefix, &self.subrole)?;
        c.net_type = opt_enum(prefix, &self.net_type)?;
        c.arch = opt_enum(prefix, &self.arch)?;
        c.class = opt_enum(prefix, &self.class)?;
        c.subtype = non_empty(&self.subtype);
        if let Some(nid) = self.nid {
            if nid < 0 {
                return Err(InputError::at(prefix, format!("NID {nid} is negative")));
            }
            c.nid = Some(nid);
        }
        if !c.is_node() && c.nid.is_some() {
            // NIDs number nodes; say so rather than store one on anything else. A Role is
            // kept on any type, as SMD keeps it (a management NodeBMC, say).
            return Err(InputError::at(
                prefix,
                format!("'{}' is a {}: NID applies to nodes only", c.id, c.kind),
            ));
        }
        Ok(c)
    }
}

/// SMD's default NID for a node with none given: derived from its location.
pub fn default_nid(id: &Xname) -> Option<i64> {
    let digits = numbers(id.as_str());
    match id.kind() {
        HmsType::Node if digits.len() >= 5 => Some(nid_from(&digits[..5])),
        HmsType::VirtualNode if digits.len() >= 6 => Some(nid_from(&[
            digits[0], digits[1], digits[2], digits[3], digits[5],
        ])),
        _ => None,
    }
}

fn nid_from(d: &[i64]) -> i64 {
    (d[0] + 1) * 16384 + d[1] * 2048 + d[2] * 32 + d[3] * 4 + d[4]
}

fn numbers(s: &str) -> Vec<i64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect()
}
