//! Tenants with TAPMS's field names (`tapms.hpe.com/v1alpha3`): spec, status, lifecycle
//! states, and the rules a spec and a change of spec must follow. `admins` and `forcepoweroff`
//! are chami's (the latter from TAPMS v1alpha2); `Error` is chami's state for a failed apply.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::xname::{HmsType, Xname};

/// The exclusive-group label TAPMS puts on tenant groups, so SMD refuses overlap.
pub const EXCLUSIVE_LABEL: &str = "tapms-exclusive-group-label";

/// Where a tenant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum TenantState {
    /// Just created.
    New,
    /// Its resources are being applied to inventory.
    Deploying,
    /// Inventory matches the spec.
    Deployed,
    /// Being deleted: its nodes are being released.
    Deleting,
    /// Applying failed; a condition says why.
    Error,
}

impl TenantState {
    /// TAPMS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantState::New => "New",
            TenantState::Deploying => "Deploying",
            TenantState::Deployed => "Deployed",
            TenantState::Deleting => "Deleting",
            TenantState::Error => "Error",
        }
    }
}

/// One set of nodes a tenant holds, mirrored into an SMD group or partition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantResource {
    /// `compute` (nodes with Role Compute) or `application` (Role Application).
    #[serde(rename = "type")]
    pub kind: String,
    /// The nodes.
    pub xnames: Vec<String>,
    /// SMD partition to mirror into (`p1`, `p1.2`); excludes `hsmgrouplabel`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hsmpartitionname: String,
    /// SMD group to mirror into; excludes `hsmpartitionname`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hsmgrouplabel: String,
    /// A node may then belong to only one tenant; fixed at creation.
    #[serde(default)]
    pub enforceexclusivehsmgroups: bool,
    /// Power the nodes off with Force-Off (not Off) when they leave the tenant.
    #[serde(default)]
    pub forcepoweroff: bool,
}

/// A hook called on tenant changes (kept as given; calling hooks is not built yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TenantHook {
    /// Hook name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// URL to POST to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Whether the hook can veto the change.
    #[serde(default)]
    pub blockingcall: bool,
    /// CREATE, UPDATE, DELETE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eventtypes: Vec<String>,
}

/// Who administers a tenant (chami's addition; replaces TAPMS's Keycloak group).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Admins {
    /// Token subjects (`sub`).
    #[serde(default)]
    pub subjects: Vec<String>,
    /// Token groups (`groups` claim).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// What a tenant should be.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantSpec {
    /// The tenant's name (a DNS label: lowercase letters, digits, `-`); a write may leave
    /// it out and let the path name it.
    #[serde(default)]
    pub tenantname: String,
    /// Kept by the core; ignored on writes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    /// TAPMS's child namespaces (kept as given).
    #[serde(default)]
    pub childnamespaces: Vec<String>,
    /// The nodes it holds.
    pub tenantresources: Vec<TenantResource>,
    /// TAPMS's KMS settings (kept as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub tenantkms: Option<Value>,
    /// Hooks (kept as given).
    #[serde(default)]
    pub tenanthooks: Vec<TenantHook>,
    /// Its administrators.
    #[serde(default)]
    pub admins: Admins,
}

/// A condition on the tenant's status (Kubernetes style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Condition {
    /// `Ready`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `True` or `False`.
    pub status: String,
    /// One word.
    pub reason: String,
    /// In words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// What a tenant is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantStatus {
    /// Assigned at creation.
    pub uuid: String,
    /// Child namespaces last applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub childnamespaces: Vec<String>,
    /// Resources last applied.
    #[serde(default)]
    pub tenantresources: Vec<TenantResource>,
    /// Hooks last applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenanthooks: Vec<TenantHook>,
    /// Why it is (not) ready.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// Object metadata (Kubernetes style): name, uid, version and creation time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// The tenant's name.
    pub name: String,
    /// Its UUID (the same as `status.uuid`).
    pub uid: String,
    /// Bumped on every change; `If-Match` on writes compares it.
    pub resource_version: String,
    /// When it was created (RFC 3339).
    pub creation_timestamp: String,
}

/// A tenant as stored and served: TAPMS's `{spec, status}` plus metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tenant {
    /// `tapms.hpe.com/v1alpha3`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `Tenant`.
    pub kind: String,
    /// Name, uid, version.
    pub metadata: Metadata,
    /// What it should be.
    pub spec: TenantSpec,
    /// What it is.
    pub status: TenantStatus,
}

impl Tenant {
    /// Its lifecycle state (from `spec.state`, which the core keeps).
    pub fn state(&self) -> Option<TenantState> {
        match self.spec.state.as_str() {
            "New" => Some(TenantState::New),
            "Deploying" => Some(TenantState::Deploying),
            "Deployed" => Some(TenantState::Deployed),
            "Deleting" => Some(TenantState::Deleting),
            "Error" => Some(TenantState::Error),
            _ => None,
        }
    }

    /// The version as a number (0 when unreadable).
    pub fn version(&self) -> u64 {
        self.metadata.resource_version.parse().unwrap_or(0)
    }

    /// The resources the tenant holds or claims: applied ones and those of its spec (a tenant
    /// in Error may hold part of its spec).
    pub fn held(&self) -> Vec<TenantResource> {
        let name = &self.metadata.name;
        let mut out: Vec<TenantResource> = self.status.tenantresources.clone();
        for r in &self.spec.tenantresources {
            if !out.iter().any(|o| o.target(name) == r.target(name)) {
                out.push(r.clone());
            }
        }
        out
    }

    /// The nodes the tenant's admins may reach: those applied to inventory and still in the
    /// spec. A tenant not yet applied (New), or being deleted, reaches none; one whose
    /// change failed (Error) or is being applied reaches only what it held and still asks for.
    pub fn reach(&self) -> HashSet<String> {
        match self.state() {
            Some(TenantState::New | TenantState::Deleting) | None => HashSet::new(),
            _ => {
                let wanted: HashSet<&str> = self
                    .spec
                    .tenantresources
                    .iter()
                    .flat_map(|r| r.xnames.iter().map(String::as_str))
                    .collect();
                self.status
                    .tenantresources
                    .iter()
                    .flat_map(|r| r.xnames.iter())
                    .filter(|x| wanted.contains(x.as_str()))
                    .cloned()
                    .collect()
            }
        }
    }
}

/// Why `spec` (tenant `spec.tenantname`) cannot be stored beside `others`: another tenant uses
/// one of its groups or partitions, or a node would be in two tenants where either holds it
/// through an exclusive resource. `None` when it can.
pub fn clash(spec: &TenantSpec, others: &[Tenant]) -> Option<String> {
    let me = spec.tenantname.as_str();
    // Each of my nodes, and whether I hold it exclusively.
    let mut mine: HashMap<&str, bool> = HashMap::new();
    for r in &spec.tenantresources {
        for x in &r.xnames {
            let e = mine.entry(x.as_str()).or_default();
            *e |= r.enforceexclusivehsmgroups;
        }
    }
    let mut clashes: Vec<String> = Vec::new();
    for other in others.iter().filter(|o| o.metadata.name != me) {
        let theirs = other.held();
        let name = &other.metadata.name;
        if let Some(r) = spec.tenantresources.iter().find(|r| {
            let t = r.target(me);
            theirs.iter().any(|o| o.target(name) == t)
        }) {
            return Some(format!(
                "{} already belongs to tenant {name}; give this tenant its own group or partition",
                r.target(me)
            ));
        }
        let mut both: Vec<Xname> = theirs
            .iter()
            .flat_map(|r| {
                r.xnames
                    .iter()
                    .map(move |x| (x, r.enforceexclusivehsmgroups))
            })
            .filter(|(x, exclusive)| mine.get(x.as_str()).is_some_and(|m| *m || *exclusive))
            .filter_map(|(x, _)| Xname::parse(x).ok())
            .collect();
        both.sort();
        both.dedup();
        if !both.is_empty() {
            clashes.push(format!(
                "{} (tenant {name})",
                super::hostlist::compress(&both)
            ));
        }
    }
    if clashes.is_empty() {
        return None;
    }
    Some(format!(
        "operation would conflict with an existing member in another exclusive tenant: {}",
        clashes.join(", ")
    ))
}

/// The parts of a spec's resource that name a node set, normalized.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// An SMD group label.
    Group(String),
    /// An SMD partition name.
    Partition(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Group(l) => write!(f, "group {l}"),
            Target::Partition(p) => write!(f, "partition {p}"),
        }
    }
}

/// Whether `name` is a tenant name: a DNS label.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Whether `name` is an SMD partition name (`p1`, `p1.2`).
fn valid_partition(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('p') else {
        return false;
    };
    let mut parts = rest.splitn(2, '.');
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    parts.next().is_some_and(digits) && parts.next().is_none_or(digits)
}

impl TenantResource {
    /// The group or partition this resource is mirrored into; a resource naming neither
    /// uses a group labelled with the tenant's name.
    pub fn target(&self, tenant: &str) -> Target {
        if !self.hsmpartitionname.is_empty() {
            Target::Partition(self.hsmpartitionname.clone())
        } else if !self.hsmgrouplabel.is_empty() {
            Target::Group(self.hsmgrouplabel.to_ascii_lowercase())
        } else {
            Target::Group(tenant.to_string())
        }
    }

    /// The Role its nodes must have.
    pub fn role(&self) -> Option<&'static str> {
        match self.kind.as_str() {
            "compute" => Some("Compute"),
            "application" => Some("Application"),
            _ => None,
        }
    }
}

impl TenantSpec {
    /// Checks the spec on its own and normalizes it (xnames, group labels); the error names
    /// the field at fault. Checks against inventory and other tenants are the service's.
    pub fn validate(&mut self) -> Result<(), String> {
        if !valid_name(&self.tenantname) {
            return Err(format!(
                "tenantname '{}' is not valid: use 1 to 63 lowercase letters, digits or '-', \
                 not starting or ending with '-'",
                self.tenantname
            ));
        }
        if self.tenantresources.is_empty() {
            return Err("tenantresources is empty: give at least one".into());
        }
        let mut seen: HashSet<Xname> = HashSet::new();
        let mut targets = HashSet::new();
        for (i, r) in self.tenantresources.iter_mut().enumerate() {
            let at = format!("tenantresources[{i}]");
            r.kind = r.kind.trim().to_ascii_lowercase();
            if r.role().is_none() {
                return Err(format!(
                    "{at}.type '{}' is not valid: use compute or application",
                    r.kind
                ));
            }
            if !r.hsmpartitionname.is_empty() && !r.hsmgrouplabel.is_empty() {
                return Err(format!(
                    "{at}: hsmpartitionname and hsmgrouplabel exclude each other; give one"
                ));
            }
            if !r.hsmpartitionname.is_empty() && !valid_partition(&r.hsmpartitionname) {
                return Err(format!(
                    "{at}.hsmpartitionname '{}' is not valid: use p<N> or p<N>.<M>",
                    r.hsmpartitionname
                ));
            }
            r.hsmgrouplabel = r.hsmgrouplabel.trim().to_ascii_lowercase();
            if r.xnames.is_empty() {
                return Err(format!("{at}.xnames is empty: give at least one node"));
            }
            let mut names = Vec::with_capacity(r.xnames.len());
            for raw in &r.xnames {
                let x = Xname::parse(raw).map_err(|e| format!("{at}.xnames: {e}"))?;
                if x.kind() != HmsType::Node {
                    return Err(format!("{at}.xnames: {x} is a {}, not a node", x.kind()));
                }
                if !seen.insert(x.clone()) {
                    return Err(format!("{at}.xnames: {x} is listed more than once"));
                }
                names.push(x.to_string());
            }
            r.xnames = names;
            let name = self.tenantname.clone();
            if !targets.insert(r.target(&name)) {
                return Err(format!(
                    "{at}: another resource already uses the same group or partition"
                ));
            }
        }
        self.state.clear();
        Ok(())
    }

    /// Checks a change from `old` to this spec: same name, and a resource's exclusive flag
    /// (matched by its group or partition) never changes.
    pub fn check_change(&self, old: &TenantSpec) -> Result<(), String> {
        if self.tenantname != old.tenantname {
            return Err(format!(
                "tenantname cannot change ('{}' -> '{}'): create a new tenant",
                old.tenantname, self.tenantname
            ));
        }
        for r in &self.tenantresources {
            let target = r.target(&self.tenantname);
            if let Some(o) = old
                .tenantresources
                .iter()
                .find(|o| o.target(&old.tenantname) == target)
            {
                if o.enforceexclusivehsmgroups != r.enforceexclusivehsmgroups {
                    return Err(format!(
                        "enforceexclusivehsmgroups cannot change after creation \
                         ({target} was {}); delete and recreate the tenant",
                        o.enforceexclusivehsmgroups
                    ));
                }
            }
        }
        Ok(())
    }

    /// The spec with `nodes` (xname, Role) added: each joins the first resource of its
    /// role's type, or a new resource in group `<tenant>-<type>` (exclusive when the tenant's
    /// other resources are). Nodes it holds already are left where they are.
    pub fn with_nodes(&self, nodes: &[(String, String)]) -> TenantSpec {
        let mut out = self.clone();
        let held: HashSet<String> = self
            .tenantresources
            .iter()
            .flat_map(|r| r.xnames.iter().cloned())
            .collect();
        let exclusive = self
            .tenantresources
            .iter()
            .any(|r| r.enforceexclusivehsmgroups);
        for (x, role) in nodes.iter().filter(|(x, _)| !held.contains(x)) {
            let Some(kind) = kind_of_role(role) else {
                continue;
            };
            match out.tenantresources.iter_mut().find(|r| r.kind == kind) {
                Some(r) => r.xnames.push(x.clone()),
                None => out.tenantresources.push(TenantResource {
                    kind: kind.to_string(),
                    xnames: vec![x.clone()],
                    hsmgrouplabel: format!("{}-{kind}", self.tenantname),
                    enforceexclusivehsmgroups: exclusive,
                    ..TenantResource::default()
                }),
            }
        }
        out
    }

    /// The spec without `nodes`; resources left with no node are dropped.
    pub fn without_nodes(&self, nodes: &HashSet<String>) -> TenantSpec {
        let mut out = self.clone();
        for r in &mut out.tenantresources {
            r.xnames.retain(|x| !nodes.contains(x));
        }
        out.tenantresources.retain(|r| !r.xnames.is_empty());
        out
    }

    /// Every node the tenant holds.
    pub fn nodes(&self) -> Vec<Xname> {
        self.tenantresources
            .iter()
            .flat_map(|r| r.xnames.iter())
            .filter_map(|x| Xname::parse(x).ok())
            .collect()
    }
}

/// The resource type that holds nodes of this Role (`compute` for Compute).
pub fn kind_of_role(role: &str) -> Option<&'static str> {
    match role.to_ascii_lowercase().as_str() {
        "compute" => Some("compute"),
        "application" => Some("application"),
        _ => None,
    }
}

/// What joining a tenant would do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JoinPlan {
    /// (xname, Role) of the nodes that can join.
    pub join: Vec<(String, String)>,
    /// (xname, why not) of the others.
    pub refused: Vec<(String, String)>,
}

/// Which of `nodes` (xname, Role) can join tenant `name`, and why each other one cannot:
/// it is held by the tenant already, its Role fits no resource type, or it is held by
/// another tenant's exclusive resource while it would join an exclusive one (the core
/// refuses that).
pub fn plan_join(tenants: &[Tenant], name: &str, nodes: &[(String, String)]) -> JoinPlan {
    let Some(me) = tenants.iter().find(|t| t.metadata.name == name) else {
        let why = format!("no tenant {name}");
        return JoinPlan {
            join: Vec::new(),
            refused: nodes
                .iter()
                .map(|(x, _)| (x.clone(), why.clone()))
                .collect(),
        };
    };
    // Sets built once: a plan over 10,000 marked nodes must not scan every list per node.
    let mine: HashSet<&str> = me
        .spec
        .tenantresources
        .iter()
        .flat_map(|r| r.xnames.iter().map(String::as_str))
        .collect();
    let held: HashMap<&str, &str> = tenants
        .iter()
        .filter(|t| t.metadata.name != name)
        .flat_map(|t| {
            t.spec
                .tenantresources
                .iter()
                .filter(|r| r.enforceexclusivehsmgroups)
                .flat_map(move |r| {
                    r.xnames
                        .iter()
                        .map(move |x| (x.as_str(), t.metadata.name.as_str()))
                })
        })
        .collect();
    // The resource a node joins, as `with_nodes` picks it: the first of its type, else a new
    // one, exclusive when any of the tenant's resources is.
    let any_exclusive = me
        .spec
        .tenantresources
        .iter()
        .any(|r| r.enforceexclusivehsmgroups);
    let joins_exclusive = |kind: &str| {
        me.spec
            .tenantresources
            .iter()
            .find(|r| r.kind == kind)
            .map_or(any_exclusive, |r| r.enforceexclusivehsmgroups)
    };
    let mut join = Vec::new();
    let mut refused = Vec::new();
    for (x, role) in nodes {
        if mine.contains(x.as_str()) {
            refused.push((x.clone(), format!("already in {name}")));
            continue;
        }
        let Some(kind) = kind_of_role(role) else {
            let role = if role.is_empty() { "no role" } else { role };
            refused.push((
                x.clone(),
                format!("role {role}: tenants hold Compute or Application nodes"),
            ));
            continue;
        };
        match held.get(x.as_str()) {
            Some(holder) if joins_exclusive(kind) => {
                refused.push((x.clone(), format!("held by exclusive tenant {holder}")))
            }
            _ => join.push((x.clone(), role.clone())),
        }
    }
    JoinPlan { join, refused }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: Value) -> TenantSpec {
        serde_json::from_value(v).expect("a spec")
    }

    fn held_tenant(
        name: &str,
        state: &str,
        spec_nodes: &[&str],
        applied: &[&str],
        excl: bool,
    ) -> Tenant {
        let res = |xs: &[&str]| {
            vec![TenantResource {
                kind: "compute".into(),
                xnames: xs.iter().map(|x| x.to_string()).collect(),
                enforceexclusivehsmgroups: excl,
                ..TenantResource::default()
            }]
        };
        let mut t = Tenant::default();
        t.metadata.name = name.into();
        t.spec.tenantname = name.into();
        t.spec.state = state.into();
        t.spec.tenantresources = res(spec_nodes);
        if !applied.is_empty() {
            t.status.tenantresources = res(applied);
        }
        t
    }

    #[test]
    fn a_tenant_reaches_only_what_it_holds_and_still_asks_for() {
        let sorted = |t: &Tenant| {
            let mut v: Vec<String> = t.reach().into_iter().collect();
            v.sort();
            v
        };
        let (a, b, c) = ("x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s2b0n0");
        assert_eq!(
            sorted(&held_tenant("t", "Deployed", &[a, b], &[a, b], false)),
            [a, b]
        );
        assert!(sorted(&held_tenant("t", "New", &[a, b], &[], false)).is_empty());
        assert!(sorted(&held_tenant("t", "Error", &[a, b], &[], false)).is_empty());
        assert_eq!(
            sorted(&held_tenant("t", "Error", &[a, c], &[a, b], false)),
            [a]
        );
        assert_eq!(
            sorted(&held_tenant("t", "Deploying", &[b], &[a, b], false)),
            [b]
        );
        assert!(sorted(&held_tenant("t", "Deleting", &[a], &[a], false)).is_empty());
    }

    #[test]
    fn clash_when_either_side_is_exclusive() {
        let (a, b) = ("x1000c0s0b0n0", "x1000c0s1b0n0");
        let spec = |name: &str, excl: bool| held_tenant(name, "", &[a], &[], excl).spec;
        let held = |excl: bool| vec![held_tenant("blue", "Deployed", &[a, b], &[a, b], excl)];
        assert!(clash(&spec("red", false), &held(false)).is_none());
        for (mine, theirs) in [(true, false), (false, true), (true, true)] {
            let why = clash(&spec("red", mine), &held(theirs)).expect("a clash");
            assert!(why.contains("x1000c0s0b0n0 (tenant blue)"), "{why}");
        }
        // A tenant does not clash with its own stored self.
        assert!(clash(&spec("blue", true), &held(true)).is_none());
    }

    #[test]
    fn tapms_names_round_trip_and_a_spec_normalizes() {
        let mut s = spec(json!({
            "tenantname": "vcluster-blue",
            "state": "Deployed",
            "tenantresources": [{"type": "Compute", "xnames": ["X1000C0S0B0N0", "x1000c0s0b1n0"],
                                 "hsmgrouplabel": "Blue", "enforceexclusivehsmgroups": true}],
            "tenantkms": {"enablekms": false},
            "admins": {"subjects": ["alice"]}
        }));
        s.validate().unwrap();
        assert_eq!(s.state, "", "state is the core's to set");
        let r = &s.tenantresources[0];
        assert_eq!(r.kind, "compute");
        assert_eq!(r.xnames, ["x1000c0s0b0n0", "x1000c0s0b1n0"]);
        assert_eq!(r.target("vcluster-blue"), Target::Group("blue".into()));
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(
            back["tenantresources"][0]["enforceexclusivehsmgroups"],
            true
        );
        assert!(back["tenantresources"][0].get("hsmpartitionname").is_none());
        assert_eq!(
            back["tenantkms"],
            json!({"enablekms": false}),
            "kept as given"
        );
    }

    #[test]
    fn bad_specs_name_the_field_at_fault() {
        let base = json!({"tenantname": "t1",
            "tenantresources": [{"type": "compute", "xnames": ["x1000c0s0b0n0"]}]});
        let cases = [
            (json!({"tenantname": "Bad_Name"}), "tenantname 'Bad_Name'"),
            (json!({"tenantresources": []}), "tenantresources is empty"),
            (
                json!({"tenantresources": [{"type": "gpu", "xnames": ["x1000c0s0b0n0"]}]}),
                "tenantresources[0].type 'gpu'",
            ),
            (
                json!({"tenantresources": [{"type": "compute", "xnames": ["x1000c0s0b0n0"],
                                            "hsmgrouplabel": "g", "hsmpartitionname": "p1"}]}),
                "exclude each other",
            ),
            (
                json!({"tenantresources": [{"type": "compute", "xnames": ["x1000c0s0b0n0"],
                                            "hsmpartitionname": "blue"}]}),
                "hsmpartitionname 'blue'",
            ),
            (
                json!({"tenantresources": [{"type": "compute", "xnames": ["x1000c0s0b0"]}]}),
                "not a node",
            ),
            (
                json!({"tenantresources": [{"type": "compute", "xnames": ["nope"]}]}),
                "tenantresources[0].xnames",
            ),
            (
                json!({"tenantresources": [
                    {"type": "compute", "xnames": ["x1000c0s0b0n0"], "hsmgrouplabel": "a"},
                    {"type": "compute", "xnames": ["x1000c0s0b0n0"], "hsmgrouplabel": "b"}]}),
                "listed more than once",
            ),
            (
                json!({"tenantresources": [
                    {"type": "compute", "xnames": ["x1000c0s0b0n0"]},
                    {"type": "application", "xnames": ["x1000c0s0b0n1"]}]}),
                "same group or partition",
            ),
        ];
        for (patch, needle) in cases {
            let mut v = base.clone();
            for (k, val) in patch.as_object().unwrap() {
                v[k] = val.clone();
            }
            let err = spec(v).validate().unwrap_err();
            assert!(err.contains(needle), "{err:?} should contain {needle:?}");
        }
        assert!(valid_partition("p1") && valid_partition("p12.3"));
        assert!(!valid_partition("p") && !valid_partition("p1.") && !valid_partition("p1.2.3"));
    }

    #[test]
    fn the_exclusive_flag_and_the_name_are_fixed() {
        let old = spec(json!({"tenantname": "t1", "tenantresources": [
            {"type": "compute", "xnames": ["x1000c0s0b0n0"], "enforceexclusivehsmgroups": true}]}));
        let mut new = old.clone();
        new.tenantresources[0].xnames.push("x1000c0s0b0n1".into());
        assert!(new.check_change(&old).is_ok(), "members may change");
        new.tenantresources[0].enforceexclusivehsmgroups = false;
        let err = new.check_change(&old).unwrap_err();
        assert!(
            err.contains("enforceexclusivehsmgroups cannot change"),
            "{err}"
        );
        let mut renamed = old.clone();
        renamed.tenantname = "t2".into();
        assert!(renamed
            .check_change(&old)
            .unwrap_err()
            .contains("cannot change"));
    }
    fn tenant(name: &str, v: Value) -> Tenant {
        Tenant {
            metadata: Metadata {
                name: name.into(),
                ..Metadata::default()
            },
            spec: spec(v),
            ..Tenant::default()
        }
    }

    #[test]
    fn joining_names_why_a_node_cannot() {
        let tenants = [
            tenant(
                "blue",
                json!({"tenantname": "blue", "tenantresources": [
                {"type": "compute", "xnames": ["x1000c0s0b0n0"], "enforceexclusivehsmgroups": true}]}),
            ),
            tenant(
                "red",
                json!({"tenantname": "red", "tenantresources": [
                {"type": "compute", "xnames": ["x1000c0s1b0n0"], "enforceexclusivehsmgroups": true}]}),
            ),
            tenant(
                "open",
                json!({"tenantname": "open", "tenantresources": [
                {"type": "compute", "xnames": ["x1000c0s2b0n0"]}]}),
            ),
        ];
        let n = |x: &str, r: &str| (x.to_string(), r.to_string());
        let nodes = [
            n("x1000c0s0b0n0", "Compute"),
            n("x1000c0s1b0n0", "Compute"),
            n("x1000c0s2b0n0", "Compute"),
            n("x1000c0s3b0n0", "Management"),
            n("x1000c0s4b0n0", "Application"),
        ];
        let JoinPlan { join, refused } = plan_join(&tenants, "blue", &nodes);
        let joined: Vec<&str> = join.iter().map(|(x, _)| x.as_str()).collect();
        assert_eq!(joined, ["x1000c0s2b0n0", "x1000c0s4b0n0"]);
        let why: Vec<(&str, &str)> = refused
            .iter()
            .map(|(x, w)| (x.as_str(), w.as_str()))
            .collect();
        assert_eq!(
            why,
            [
                ("x1000c0s0b0n0", "already in blue"),
                ("x1000c0s1b0n0", "held by exclusive tenant red"),
                (
                    "x1000c0s3b0n0",
                    "role Management: tenants hold Compute or Application nodes"
                ),
            ]
        );
        // Exclusivity binds only when both resources are exclusive, as in the core.
        assert_eq!(plan_join(&tenants, "open", &nodes[1..2]).join.len(), 1);
        let plan = plan_join(&tenants, "gone", &nodes[..1]);
        assert!(plan.join.is_empty());
        assert_eq!(plan.refused[0].1, "no tenant gone");

        // The application node gets its own exclusive resource, which validates.
        let mut grown = tenants[0].spec.with_nodes(&nodes[4..]);
        grown.validate().unwrap();
        let r = &grown.tenantresources[1];
        assert_eq!(
            (r.kind.as_str(), r.hsmgrouplabel.as_str()),
            ("application", "blue-application")
        );
        assert!(r.enforceexclusivehsmgroups);
        // Leaving drops the emptied resource and keeps the rest.
        let gone: HashSet<String> = ["x1000c0s4b0n0".to_string()].into();
        assert_eq!(grown.without_nodes(&gone), tenants[0].spec);
    }
}
