//! Who is calling and what they may do: principals from token claims, and the route policy.

use serde::Serialize;
use serde_json::Value;

pub use crate::model::auth::Role;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use Role::{Operator, Service, Viewer};

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
}
