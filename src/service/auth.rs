//! Who is calling and what they may do: principals from token claims, and the route policy.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A role a token can carry; the policy table is written in these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// Reads, power and boot.
    Operator,
    /// Reads only.
    Viewer,
    /// Another service: reads and writes, no deletes (SMD's starter policy).
    Service,
}

impl Role {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
            Role::Service => "service",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "operator" => Ok(Role::Operator),
            "viewer" => Ok(Role::Viewer),
            "service" => Ok(Role::Service),
            other => Err(format!(
                "unknown role '{other}': expected admin, operator, viewer or service"
            )),
        }
    }
}

/// What a request does to a resource, from its HTTP method (SMD's `MethodToActionREST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// GET, HEAD, OPTIONS.
    Read,
    /// POST, PUT, PATCH.
    Write,
    /// DELETE.
    Delete,
}

impl Action {
    /// The action an HTTP method performs.
    pub fn of_method(method: &http::Method) -> Action {
        match *method {
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS => Action::Read,
            http::Method::DELETE => Action::Delete,
            _ => Action::Write,
        }
    }

    /// The action of a request: as [`Action::of_method`], except that the POST queries
    /// (a search sent as a body) are reads.
    pub fn of_request(method: &http::Method, path: &str) -> Action {
        if *method == http::Method::POST && QUERY_POSTS.iter().any(|q| matches(q, path)) {
            return Action::Read;
        }
        Action::of_method(method)
    }

    fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Delete => "delete",
        }
    }
}

/// POSTs that only read: searches whose terms travel in the body.
const QUERY_POSTS: &[&str] = &[
    "/hsm/v2/State/Components/Query",
    "/hsm/v2/State/Components/ByNID/Query",
    "/hsm/v2/locks/status",
    "/hsm/v2/locks/service/reservations/check",
    "/boot/v1/hosts",
    "/power-control/v1/power-status",
    "/apis/tapms/*/tenants",
];

/// Whether `path` matches `pattern`, where a `*` segment matches any one segment.
fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut have = path.trim_end_matches('/').split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some("*"), Some(h)) if !h.is_empty() => {}
            (Some(w), Some(h)) if w == h => {}
            _ => return false,
        }
    }
}

/// The routes that know about tenants: with a tenant context they filter what they list and
/// refuse targets outside the tenant. Every other route refuses a tenant context, so a route
/// added later cannot leak another tenant's nodes. Each line: methods, path pattern.
const TENANT_ROUTES: &[(&str, &str)] = &[
    ("GET", "/hsm/v2/service/*"),
    ("GET", "/hsm/v2/service/*/*"),
    ("GET", "/hsm/v2/State/Components"),
    ("GET", "/hsm/v2/State/Components/*"),
    ("GET", "/hsm/v2/State/Components/Query/*"),
    ("POST", "/hsm/v2/State/Components/Query"),
    ("GET", "/hsm/v2/State/Components/ByNID/*"),
    ("POST", "/hsm/v2/State/Components/ByNID/Query"),
    ("GET", "/hsm/v2/Inventory/Hardware"),
    ("GET", "/hsm/v2/Inventory/Hardware/*"),
    ("GET", "/hsm/v2/Inventory/ComponentEndpoints"),
    ("GET", "/hsm/v2/Inventory/ComponentEndpoints/*"),
    ("GET", "/hsm/v2/Inventory/EthernetInterfaces"),
    ("GET", "/hsm/v2/memberships"),
    ("GET", "/hsm/v2/memberships/*"),
    ("GET POST", "/hsm/v2/groups"),
    ("GET", "/hsm/v2/groups/labels"),
    ("GET PATCH DELETE", "/hsm/v2/groups/*"),
    ("GET POST PUT", "/hsm/v2/groups/*/members"),
    ("DELETE", "/hsm/v2/groups/*/members/*"),
    ("GET POST", "/hsm/v2/partitions"),
    ("GET", "/hsm/v2/partitions/names"),
    ("GET PATCH DELETE", "/hsm/v2/partitions/*"),
    ("GET POST", "/hsm/v2/partitions/*/members"),
    ("DELETE", "/hsm/v2/partitions/*/members/*"),
    ("GET POST PUT PATCH DELETE", "/boot/v1/bootparameters"),
    ("GET", "/boot/v1/bootparameters/effective"),
    ("GET", "/boot/v1/bootparameters/history"),
    ("POST", "/boot/v1/bootparameters/restore"),
    ("GET POST", "/boot/v1/hosts"),
    ("GET", "/boot/v1/service/*"),
    ("GET POST", "/power-control/v1/transitions"),
    ("GET DELETE", "/power-control/v1/transitions/*"),
    ("GET POST", "/power-control/v1/power-status"),
    ("GET POST", "/apis/tapms/*/tenants"),
    ("GET", "/apis/tapms/*/tenants/*"),
    ("GET", "/audit"),
    ("GET", "/events"),
];

/// Whether a request may run in a tenant context (see [`TENANT_ROUTES`]).
pub fn tenant_aware(method: &http::Method, path: &str) -> bool {
    TENANT_ROUTES.iter().any(|(methods, pattern)| {
        methods.split(' ').any(|m| m == method.as_str()) && matches(pattern, path)
    })
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The token's `sub`.
    pub subject: String,
    /// Roles from `roles`/`role`, scopes and `auth_events`.
    pub roles: Vec<Role>,
    /// Scopes from `scope`/`scp`.
    pub scopes: Vec<String>,
    /// Tenants from `tenant`/`tenants` and `<tenant>-tenant-admin` groups.
    pub tenants: Vec<String>,
    /// Groups from `groups`.
    pub groups: Vec<String>,
}

impl Principal {
    /// The principal used when auth is off for local development.
    pub fn anonymous_admin() -> Principal {
        Principal {
            subject: "anonymous".into(),
            roles: vec![Role::Admin],
            scopes: Vec::new(),
            tenants: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Reads a principal from verified JWT claims.
    pub fn from_claims(claims: &Value) -> Principal {
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut roles: Vec<Role> = ["roles", "role"]
            .iter()
            .flat_map(|k| strings(claims.get(*k)))
            .filter_map(|r| r.parse().ok())
            .collect();
        let scopes: Vec<String> = ["scope", "scp"]
            .iter()
            .flat_map(|k| strings(claims.get(*k)))
            .collect();
        roles.extend(scopes.iter().filter_map(|s| scope_role(s)));
        if strings(claims.get("auth_events"))
            .iter()
            .any(|e| e == "service_auth")
        {
            roles.push(Role::Service);
        }
        roles.sort();
        roles.dedup();
        let groups = strings(claims.get("groups"));
        let mut tenants: Vec<String> = ["tenant", "tenants"]
            .iter()
            .flat_map(|k| strings(claims.get(*k)))
            .collect();
        tenants.extend(
            groups
                .iter()
                .filter_map(|g| g.strip_suffix("-tenant-admin"))
                .map(str::to_string),
        );
        tenants.sort();
        tenants.dedup();
        Principal {
            subject,
            roles,
            scopes,
            tenants,
            groups,
        }
    }
}

/// A claim that is an array of strings or one space-separated string.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Roles implied by scopes, mirroring TokenSmith's default group scopes
/// (admin: admin+write+read, operator: write+read, viewer: read).
fn scope_role(scope: &str) -> Option<Role> {
    match scope {
        "admin" => Some(Role::Admin),
        "write" => Some(Role::Operator),
        "read" | "smd.read" => Some(Role::Viewer),
        _ => None,
    }
}

/// One line of the policy: roles allowed to perform `action` under `prefix`.
struct Rule {
    prefix: &'static str,
    action: Action,
    roles: &'static [Role],
}

use Role::{Admin, Operator, Service, Viewer};

/// The route table, first match wins. Viewer reads; operator reads, powers and boots; service
/// reads and writes; admin does everything.
const POLICY: &[Rule] = &[
    Rule {
        prefix: "/audit",
        action: Action::Read,
        roles: &[Admin],
    },
    Rule {
        prefix: "/power-control/",
        action: Action::Write,
        roles: &[Admin, Operator, Service],
    },
    Rule {
        prefix: "/power-control/",
        action: Action::Delete,
        roles: &[Admin, Operator],
    },
    Rule {
        prefix: "/boot/",
        action: Action::Write,
        roles: &[Admin, Operator, Service],
    },
    Rule {
        prefix: "/boot/",
        action: Action::Delete,
        roles: &[Admin, Operator],
    },
    Rule {
        prefix: "/",
        action: Action::Read,
        roles: &[Admin, Operator, Viewer, Service],
    },
    Rule {
        prefix: "/",
        action: Action::Write,
        roles: &[Admin, Service],
    },
    Rule {
        prefix: "/",
        action: Action::Delete,
        roles: &[Admin],
    },
];

/// Roles as `a, b, c`.
pub fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a principal may not do something, in words for a 403.
pub fn check(principal: &Principal, path: &str, action: Action) -> Result<(), String> {
    let rule = POLICY
        .iter()
        .find(|r| r.action == action && path.starts_with(r.prefix));
    match rule {
        Some(rule) if principal.roles.iter().any(|r| rule.roles.contains(r)) => Ok(()),
        Some(rule) => Err(format!(
            "'{}' with role(s) [{}] may not {} {path}: this needs one of [{}]",
            principal.subject,
            role_list(&principal.roles),
            action.as_str(),
            role_list(rule.roles)
        )),
        None => Err(format!("no policy allows {} {path}", action.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn who(roles: &[Role]) -> Principal {
        Principal {
            roles: roles.to_vec(),
            ..Principal::anonymous_admin()
        }
    }

    #[test]
    fn claims_map_to_roles_scopes_and_tenants() {
        let p = Principal::from_claims(&json!({
            "sub": "alice",
            "roles": ["operator"],
            "role": "viewer bogus",
            "scp": ["smd.read"],
            "scope": "write openid",
            "tenant": "blue",
            "groups": ["red-tenant-admin", "staff"],
            "auth_events": ["service_auth"],
        }));
        assert_eq!(p.subject, "alice");
        assert_eq!(p.roles, vec![Operator, Viewer, Service]);
        assert_eq!(p.scopes, vec!["write", "openid", "smd.read"]);
        assert_eq!(p.tenants, vec!["blue", "red"]);
    }

    #[test]
    fn query_posts_are_reads_and_tenant_routes_match_by_segment() {
        use http::Method;
        let read = |p| Action::of_request(&Method::POST, p);
        assert_eq!(read("/hsm/v2/State/Components/Query"), Action::Read);
        assert_eq!(read("/apis/tapms/v1/tenants"), Action::Read);
        assert_eq!(read("/hsm/v2/State/Components"), Action::Write);
        assert_eq!(read("/apis/tapms/v1/tenants/blue"), Action::Write);
        assert!(tenant_aware(
            &Method::GET,
            "/hsm/v2/State/Components/x1000c0s0b0n0"
        ));
        assert!(tenant_aware(&Method::GET, "/hsm/v2/groups/blue/members"));
        assert!(tenant_aware(
            &Method::DELETE,
            "/hsm/v2/groups/blue/members/x1"
        ));
        assert!(!tenant_aware(
            &Method::DELETE,
            "/hsm/v2/State/Components/x1"
        ));
        assert!(!tenant_aware(
            &Method::GET,
            "/hsm/v2/Inventory/RedfishEndpoints"
        ));
        assert!(!tenant_aware(
            &Method::GET,
            "/hsm/v2/State/Components/x1/extra/more"
        ));
        assert!(!tenant_aware(
            &Method::PUT,
            "/apis/tapms/v1alpha3/tenants/blue"
        ));
    }

    #[test]
    fn policy_table() {
        let cases = [
            (Viewer, "/hsm/v2/State/Components", Action::Read, true),
            (Viewer, "/hsm/v2/State/Components", Action::Write, false),
            (Operator, "/hsm/v2/State/Components", Action::Write, false),
            (
                Operator,
                "/power-control/v1/transitions",
                Action::Write,
                true,
            ),
            (
                Operator,
                "/power-control/v1/transitions/1",
                Action::Delete,
                true,
            ),
            (Operator, "/boot/v1/bootparameters", Action::Write, true),
            (Service, "/hsm/v2/State/Components", Action::Write, true),
            (Service, "/hsm/v2/State/Components", Action::Delete, false),
            (Admin, "/hsm/v2/State/Components", Action::Delete, true),
            (Operator, "/audit", Action::Read, false),
            (Admin, "/audit", Action::Read, true),
        ];
        for (role, path, action, allowed) in cases {
            assert_eq!(
                check(&who(&[role]), path, action).is_ok(),
                allowed,
                "{role} {action:?} {path}"
            );
        }
        let no_roles = who(&[]);
        let err = check(&no_roles, "/hsm/v2/State/Components", Action::Read).unwrap_err();
        assert!(
            err.contains("needs one of [admin, operator, viewer, service]"),
            "{err}"
        );
    }
}
