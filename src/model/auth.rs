//! Who may call: the roles a token can carry (the route policy is written in them) and the
//! OAuth clients that may get tokens.

use serde::{Deserialize, Serialize};

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

/// One OAuth client allowed to use the client_credentials grant. Its `Debug` leaves the
/// secret out.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClient {
    /// Client id; becomes the token's `sub`.
    pub id: String,
    /// Client secret.
    pub secret: String,
    /// Roles granted to the client's tokens.
    pub roles: Vec<Role>,
    /// Tenant, for tenant-scoped clients.
    #[serde(default)]
    pub tenant: Option<String>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("roles", &self.roles)
            .field("tenant", &self.tenant)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oauth_clients_debug_never_shows_its_secret() {
        let c = OAuthClient {
            id: "loader".into(),
            secret: "s3cret-s3cret-s3cret".into(),
            roles: vec![Role::Service],
            tenant: None,
        };
        let shown = format!("{c:?}");
        assert!(
            shown.contains("loader") && shown.contains("Service"),
            "{shown}"
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
