//! What chami knows of each route beside its handler, in one place: whether a tenant may call
//! it, whether a POST only reads, whether its body may carry many records, and which roles may
//! act on each area. The auth middleware and the body limit read these tables.

use crate::service::auth::{Principal, Role};

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

    /// The action of a request: as [`Action::of_method`], except that the POSTs marked
    /// [`READS`] (a search sent as a body) are reads.
    pub fn of_request(method: &http::Method, path: &str) -> Action {
        if *method == http::Method::POST && has(method, path, READS) {
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

/// A tenant may call it: with a tenant context it filters what it lists and refuses targets
/// outside the tenant. Every other route refuses a tenant context, so a route added later
/// cannot leak another tenant's nodes.
const TENANT: u8 = 1;
/// A POST that only reads: a search whose terms travel in the body.
const READS: u8 = 2;
/// Its body carries many records or names, so it takes up to `--max-body` (any other route
/// takes [`super::body_limit::ONE_RECORD`]).
const BULK: u8 = 4;

/// Each line: methods, path pattern (a `*` segment matches any one segment, a last `**` any
/// rest), traits. A request has the traits of every line it matches.
const ROUTES: &[(&str, &str, u8)] = &[
    ("GET", "/hsm/v2/service/*", TENANT),
    ("GET", "/hsm/v2/service/*/*", TENANT),
    ("GET", "/hsm/v2/State/Components", TENANT),
    ("POST", "/hsm/v2/State/Components", BULK),
    ("GET", "/hsm/v2/State/Components/*", TENANT),
    ("PATCH", "/hsm/v2/State/Components/BulkStateData", BULK),
    ("PATCH", "/hsm/v2/State/Components/BulkFlagOnly", BULK),
    ("PATCH", "/hsm/v2/State/Components/BulkEnabled", BULK),
    ("PATCH", "/hsm/v2/State/Components/BulkSoftwareStatus", BULK),
    ("PATCH", "/hsm/v2/State/Components/BulkRole", BULK),
    ("PATCH", "/hsm/v2/State/Components/BulkNID", BULK),
    ("GET", "/hsm/v2/State/Components/Query/*", TENANT),
    (
        "POST",
        "/hsm/v2/State/Components/Query",
        TENANT | READS | BULK,
    ),
    ("GET", "/hsm/v2/State/Components/ByNID/*", TENANT),
    (
        "POST",
        "/hsm/v2/State/Components/ByNID/Query",
        TENANT | READS | BULK,
    ),
    ("GET", "/hsm/v2/Inventory/Hardware", TENANT),
    ("GET", "/hsm/v2/Inventory/Hardware/*", TENANT),
    ("GET", "/hsm/v2/Inventory/Hardware/Query/*", TENANT),
    ("GET", "/hsm/v2/Inventory/ComponentEndpoints", TENANT),
    ("GET", "/hsm/v2/Inventory/ComponentEndpoints/*", TENANT),
    ("GET", "/hsm/v2/Inventory/EthernetInterfaces", TENANT),
    ("POST", "/hsm/v2/Inventory/EthernetInterfaces", BULK),
    ("POST", "/hsm/v2/Inventory/Hardware", BULK),
    ("POST", "/hsm/v2/Inventory/RedfishEndpoints", BULK),
    ("POST", "/hsm/v2/Inventory/Discover", BULK),
    ("GET", "/hsm/v2/memberships", TENANT),
    ("GET", "/hsm/v2/memberships/*", TENANT),
    ("GET", "/hsm/v2/groups", TENANT),
    ("POST", "/hsm/v2/groups", TENANT | BULK),
    ("GET", "/hsm/v2/groups/labels", TENANT),
    ("GET PATCH DELETE", "/hsm/v2/groups/*", TENANT),
    ("GET", "/hsm/v2/groups/*/members", TENANT),
    ("POST PUT", "/hsm/v2/groups/*/members", TENANT | BULK),
    ("DELETE", "/hsm/v2/groups/*/members/*", TENANT),
    ("GET", "/hsm/v2/partitions", TENANT),
    ("POST", "/hsm/v2/partitions", TENANT | BULK),
    ("GET", "/hsm/v2/partitions/names", TENANT),
    ("GET PATCH DELETE", "/hsm/v2/partitions/*", TENANT),
    ("GET", "/hsm/v2/partitions/*/members", TENANT),
    ("POST", "/hsm/v2/partitions/*/members", TENANT | BULK),
    ("DELETE", "/hsm/v2/partitions/*/members/*", TENANT),
    ("POST", "/hsm/v2/Defaults/NodeMaps", BULK),
    ("POST", "/hsm/v2/sysinfo/powermaps", BULK),
    ("POST", "/hsm/v2/locks/**", BULK),
    ("POST", "/hsm/v2/locks/status", READS),
    ("POST", "/hsm/v2/locks/service/reservations/check", READS),
    ("GET", "/boot/v1/bootparameters", TENANT),
    (
        "POST PUT PATCH DELETE",
        "/boot/v1/bootparameters",
        TENANT | BULK,
    ),
    ("GET", "/boot/v1/bootparameters/effective", TENANT),
    ("GET", "/boot/v1/bootparameters/history", TENANT),
    ("POST", "/boot/v1/bootparameters/restore", TENANT | BULK),
    ("GET", "/boot/v1/hosts", TENANT),
    ("POST", "/boot/v1/hosts", TENANT | READS | BULK),
    ("GET", "/boot/v1/service/*", TENANT),
    ("GET", "/power-control/v1/transitions", TENANT),
    ("POST", "/power-control/v1/transitions", TENANT | BULK),
    ("GET DELETE", "/power-control/v1/transitions/*", TENANT),
    ("GET", "/power-control/v1/power-status", TENANT),
    ("GET", "/power-control/v1/power-cap", TENANT),
    ("PATCH", "/power-control/v1/power-cap", TENANT | BULK),
    (
        "POST",
        "/power-control/v1/power-cap/snapshot",
        TENANT | READS | BULK,
    ),
    ("GET", "/power-control/v1/power-cap/*", TENANT),
    (
        "POST",
        "/power-control/v1/power-status",
        TENANT | READS | BULK,
    ),
    ("GET", "/apis/tapms/*/tenants", TENANT),
    ("POST", "/apis/tapms/*/tenants", TENANT | READS | BULK),
    ("GET", "/apis/tapms/*/tenants/*", TENANT),
    ("PUT PATCH", "/apis/tapms/*/tenants/*", BULK),
    ("POST", "/metadata-service/admin/groups", BULK),
    ("PUT", "/metadata-service/admin/groups/*", BULK),
    ("GET", "/audit", TENANT),
    ("GET", "/events", TENANT),
];

/// Whether `path` matches `pattern`: a `*` segment matches any one segment, a last `**` one
/// or more.
fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut have = path.trim_end_matches('/').split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some("**"), Some(h)) if !h.is_empty() => return true,
            (Some("*"), Some(h)) if !h.is_empty() => {}
            (Some(w), Some(h)) if w == h => {}
            _ => return false,
        }
    }
}

/// Whether a line with `trait_` matches the request.
fn has(method: &http::Method, path: &str, trait_: u8) -> bool {
    ROUTES.iter().any(|(methods, pattern, traits)| {
        traits & trait_ != 0
            && methods.split(' ').any(|m| m == method.as_str())
            && matches(pattern, path)
    })
}

/// Whether a request may run in a tenant context.
pub fn tenant_aware(method: &http::Method, path: &str) -> bool {
    has(method, path, TENANT)
}

/// Whether a request's body may carry many records (up to `--max-body`).
pub fn bulk(method: &http::Method, path: &str) -> bool {
    has(method, path, BULK)
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
    // Cloud-init files and instance data may carry site secrets: admins only, reads too.
    Rule {
        prefix: "/metadata-service/admin",
        action: Action::Read,
        roles: &[Admin],
    },
    Rule {
        prefix: "/metadata-service/admin",
        action: Action::Write,
        roles: &[Admin],
    },
    Rule {
        prefix: "/metadata-service/admin",
        action: Action::Delete,
        roles: &[Admin],
    },
    Rule {
        prefix: "/cloud-init/admin",
        action: Action::Read,
        roles: &[Admin],
    },
    Rule {
        prefix: "/cloud-init/admin",
        action: Action::Write,
        roles: &[Admin],
    },
    Rule {
        prefix: "/cloud-init/admin",
        action: Action::Delete,
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

    fn who(roles: &[Role]) -> Principal {
        Principal {
            roles: roles.to_vec(),
            ..Principal::anonymous_admin()
        }
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

    #[test]
    fn bulk_routes_match_by_segment_and_method() {
        use http::Method;
        assert!(bulk(&Method::POST, "/hsm/v2/State/Components"));
        assert!(!bulk(&Method::GET, "/hsm/v2/State/Components"));
        assert!(bulk(&Method::PUT, "/hsm/v2/groups/blue/members"));
        assert!(!bulk(&Method::PATCH, "/hsm/v2/groups/blue"));
        assert!(bulk(
            &Method::POST,
            "/hsm/v2/locks/service/reservations/check"
        ));
        assert!(!bulk(&Method::POST, "/hsm/v2/locks"));
        assert!(bulk(&Method::PATCH, "/apis/tapms/v1alpha3/tenants/blue"));
        assert!(!bulk(&Method::POST, "/hsm/v2/State/Components/x1/FlagOnly"));
        assert!(!bulk(&Method::POST, "/nowhere"));
    }

    /// Every operation the OpenAPI document (built from the handlers) describes, as method
    /// and a path with each `{param}` filled in.
    fn documented() -> Vec<(&'static str, String)> {
        let doc = super::super::openapi();
        let mut ops = Vec::new();
        for (path, item) in &doc.paths.paths {
            let concrete: Vec<&str> = path
                .split('/')
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect();
            let concrete = concrete.join("/");
            for (method, op) in [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ] {
                if op.is_some() {
                    ops.push((method, concrete.clone()));
                }
            }
        }
        ops
    }

    #[test]
    fn every_line_of_the_table_names_a_routed_operation() {
        let ops = documented();
        assert!(ops.len() > 50, "only {} operations documented", ops.len());
        let mut stale = Vec::new();
        for (methods, pattern, _) in ROUTES {
            for method in methods.split(' ') {
                if !ops.iter().any(|(m, p)| *m == method && matches(pattern, p)) {
                    stale.push(format!("{method} {pattern}"));
                }
            }
        }
        assert!(
            stale.is_empty(),
            "lines of ROUTES that match no route (a typo gives a route no traits): {stale:?}"
        );
    }
}
