//! The tenant context of a request: which nodes it may see and touch. Handlers filter lists with
//! [`Scope::retain`] and refuse foreign targets with [`Scope::check`]; the middleware decides the
//! scope from the token and the `Cray-Tenant-Name` header (see `Tenants::scope_for`).

use std::collections::HashSet;
use std::sync::Arc;

use super::ServiceError;
use crate::model::hostlist;
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

    /// Refuses (403) when any of `targets` is outside the tenant, listing those targets.
    pub fn check<I, S>(&self, targets: I) -> Result<(), ServiceError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let Scope::Tenant(t) = self else {
            return Ok(());
        };
        let foreign: Vec<String> = targets
            .into_iter()
            .map(|x| normal(x.as_ref()))
            .filter(|x| !t.nodes.contains(x))
            .collect();
        if foreign.is_empty() {
            return Ok(());
        }
        Err(ServiceError::Forbidden(format!(
            "tenant {} does not hold {}: {}",
            t.name,
            if foreign.len() == 1 {
                "this target"
            } else {
                "these targets"
            },
            hostlist::compress(&foreign)
        )))
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
    fn check_lists_foreign_targets_compressed() {
        let s = blue();
        assert!(s.check(["x1000c0s0b0n0", "X1000C0S1B0N0"]).is_ok());
        let err = s
            .check(["x1000c0s0b0n0", "x1000c0s2b0n0", "x1000c0s3b0n0", "Default"])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "tenant blue does not hold these targets: Default,x1000c0s[2-3]b0n0"
        );
        assert!(Scope::All.check(["anything"]).is_ok());
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
