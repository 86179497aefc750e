//! The tenant context of a request: which nodes it may see and touch. Handlers filter lists with
//! [`Scope::retain`]; a lookup or write naming a node outside the tenant is answered exactly as
//! one naming a node that does not exist ([`Scope::hide`], [`Scope::visible`],
//! [`Scope::foreign`]), so a tenant can learn neither the names nor the existence of another
//! tenant's nodes. The middleware decides the scope from the token and the `Cray-Tenant-Name`
//! header (see `Tenants::scope_for`).

use std::collections::HashSet;
use std::sync::Arc;

use super::ServiceError;
use crate::model::xname::Xname;

/// A tenant's name and the nodes it holds (normalised xnames).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantNodes {
    /// The tenant's name.
    pub name: String,
    /// Its nodes, from every resource.
    pub nodes: HashSet<String>,
}

/// What a request may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// Everything: no tenant context.
    #[default]
    All,
    /// Only this tenant's nodes.
    Tenant(Arc<TenantNodes>),
}

/// The normal form of an xname, or the text itself when it is not one.
fn normal(raw: &str) -> String {
    Xname::parse(raw)
        .map(|x| x.to_string())
        .unwrap_or_else(|_| raw.trim().to_string())
}

impl Scope {
    /// The tenant's name, if any.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Scope::All => None,
            Scope::Tenant(t) => Some(&t.name),
        }
    }

    /// Whether `xname` (normalised) is reachable.
    pub fn allows(&self, xname: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Tenant(t) => t.nodes.contains(xname),
        }
    }

    /// The xnames among `targets` (normalised) that lie outside the tenant; none without one.
    pub fn foreign<I, S>(&self, targets: I) -> Vec<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let Scope::Tenant(t) = self else {
            return Vec::new();
        };
        targets
            .into_iter()
            .map(|x| normal(x.as_ref()))
            .filter(|x| !t.nodes.contains(x))
            .collect()
    }

    /// `Err(absent())` when `xname` lies outside the tenant: in a tenant context a foreign node
    /// is answered exactly as one that does not exist, so its existence cannot be probed.
    pub fn hide(
        &self,
        xname: &str,
        absent: impl FnOnce() -> ServiceError,
    ) -> Result<(), ServiceError> {
        if self.allows(&normal(xname)) {
            Ok(())
        } else {
            Err(absent())
        }
    }

    /// A lookup's result as the tenant sees it: `None` when it is a foreign node's.
    pub fn visible<T>(&self, found: Option<T>, key: impl Fn(&T) -> &str) -> Option<T> {
        found.filter(|f| self.allows(&normal(key(f))))
    }

    /// Refuses (403) when `what` (already stored, such as a group) holds any node outside the
    /// tenant; the message does not name those nodes, which the caller may not see.
    pub fn check_held<I, S>(&self, what: &str, held: I) -> Result<(), ServiceError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        match self {
            Scope::Tenant(t) if !held.into_iter().all(|x| t.nodes.contains(x.as_ref())) => Err(
                ServiceError::Forbidden(format!("{what} holds nodes outside tenant {}", t.name)),
            ),
            _ => Ok(()),
        }
    }

    /// Narrows a member list to the tenant's nodes; whether the set stays visible (some member
    /// remains, or there is no tenant).
    pub fn narrow<T: AsRef<str>>(&self, ids: &mut Vec<T>) -> bool {
        match self {
            Scope::All => true,
            Scope::Tenant(t) => {
                ids.retain(|x| t.nodes.contains(x.as_ref()));
                !ids.is_empty()
            }
        }
    }

    /// Keeps the items whose xname (from `key`, normalised) is reachable.
    pub fn retain<T>(&self, items: &mut Vec<T>, key: impl Fn(&T) -> &str) {
        if let Scope::Tenant(t) = self {
            items.retain(|i| t.nodes.contains(key(i)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blue() -> Scope {
        Scope::Tenant(Arc::new(TenantNodes {
            name: "blue".into(),
            nodes: ["x1000c0s0b0n0", "x1000c0s1b0n0"].map(String::from).into(),
        }))
    }

    #[test]
    fn foreign_nodes_look_absent() {
        let s = blue();
        assert!(s.foreign(["x1000c0s0b0n0", "X1000C0S1B0N0"]).is_empty());
        assert_eq!(
            s.foreign(["x1000c0s0b0n0", "x1000c0s2b0n0", "Default"]),
            ["x1000c0s2b0n0", "Default"]
        );
        assert!(Scope::All.foreign(["anything"]).is_empty());
        let absent = || ServiceError::NotFound("no such xname".into());
        assert!(s.hide("X1000C0S0B0N0", absent).is_ok());
        assert!(matches!(
            s.hide("x1000c0s2b0n0", absent),
            Err(ServiceError::NotFound(_))
        ));
        assert_eq!(s.visible(Some("x1000c0s2b0n0"), |x| x), None);
        assert_eq!(
            s.visible(Some("x1000c0s1b0n0"), |x| x),
            Some("x1000c0s1b0n0")
        );
        assert_eq!(Scope::All.visible(Some("x9"), |x| x), Some("x9"));
    }

    #[test]
    fn retain_filters_only_in_a_tenant() {
        let mut v = vec!["x1000c0s0b0n0", "x1000c0s5b0n0"];
        blue().retain(&mut v, |x| x);
        assert_eq!(v, ["x1000c0s0b0n0"]);
        let mut all = vec!["a", "b"];
        Scope::All.retain(&mut all, |x| x);
        assert_eq!(all.len(), 2);
    }
}
