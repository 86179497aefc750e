//! SMD's state-change notifications (SCN): subscriptions (`Subscriptions/SCN`) and the
//! payload POSTed to each subscriber whose triggers a change matches.

use serde::{Deserialize, Serialize};

use super::enums::{Role, State, SubRole};
use super::xname::Xname;

/// A bad subscription in a write, with SMD's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScnError(pub String);

/// A subscription as stored and answered (`Subscription.1.0.0_SCNSubscription`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subscription {
    /// Its number, from 1.
    #[serde(rename = "ID")]
    pub id: i64,
    #[serde(flatten)]
    pub spec: SubscriptionSpec,
}

/// Who is told of which changes, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubscriptionSpec {
    /// The subscriber's name (`<service>@<host>` by SMD's convention).
    #[serde(rename = "Subscriber", default)]
    pub subscriber: String,
    /// Told of Enabled changes.
    #[serde(rename = "Enabled", default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Told when components take one of these roles.
    #[serde(rename = "Roles", default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Told when components take one of these subroles.
    #[serde(rename = "SubRoles", default, skip_serializing_if = "Vec::is_empty")]
    pub sub_roles: Vec<String>,
    /// Told when components take one of these software statuses.
    #[serde(
        rename = "SoftwareStatus",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub software_status: Vec<String>,
    /// Told when components enter one of these states.
    #[serde(rename = "States", default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
    /// Where the notifications are POSTed.
    #[serde(rename = "Url", default)]
    pub url: String,
}

/// The triggers of a PATCH (`Op` is add, remove or replace).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SubscriptionPatch {
    /// add, remove or replace.
    #[serde(rename = "Op", default)]
    pub op: String,
    /// Enabled trigger.
    #[serde(rename = "Enabled", default)]
    pub enabled: Option<bool>,
    /// Role triggers.
    #[serde(rename = "Roles", default)]
    pub roles: Vec<String>,
    /// Subrole triggers.
    #[serde(rename = "SubRoles", default)]
    pub sub_roles: Vec<String>,
    /// Software status triggers.
    #[serde(rename = "SoftwareStatus", default)]
    pub software_status: Vec<String>,
    /// State triggers.
    #[serde(rename = "States", default)]
    pub states: Vec<String>,
}

/// The list SMD answers (`Subscription.1.0.0_SCNSubscriptionArray`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubscriptionList {
    /// Every subscription, by ID.
    #[serde(rename = "SubscriptionList")]
    pub subscriptions: Vec<Subscription>,
}

/// The triggers of a subscription or patch, checked as SMD checks them, with SMD's words;
/// values are normalised to SMD's spellings.
fn check_triggers(
    enabled: Option<bool>,
    roles: &mut [String],
    sub_roles: &mut [String],
    software_status: &[String],
    states: &mut [String],
    missing: &str,
) -> Result<(), ScnError> {
    for r in roles.iter_mut() {
        *r = r
            .parse::<Role>()
            .map_err(|_| ScnError(format!("Invalid role '{r}'")))?
            .to_string();
    }
    for r in sub_roles.iter_mut() {
        *r = r
            .parse::<SubRole>()
            .map_err(|_| ScnError(format!("Invalid subRole '{r}'")))?
            .to_string();
    }
    if software_status.iter().any(|s| s.is_empty()) {
        return Err(ScnError("SoftwareStatus can not be an empty string".into()));
    }
    for s in states.iter_mut() {
        *s = s
            .parse::<State>()
            .map_err(|_| ScnError(format!("Invalid state '{s}'")))?
            .to_string();
    }
    let any = enabled == Some(true)
        || !roles.is_empty()
        || !sub_roles.is_empty()
        || !software_status.is_empty()
        || !states.is_empty();
    if any {
        Ok(())
    } else {
        Err(ScnError(missing.into()))
    }
}

impl SubscriptionSpec {
    /// Checks a POST or PUT body as SMD does; the URL must be http(s) and carry no
    /// credentials (they would show in every answer and log line).
    pub fn validate(mut self) -> Result<SubscriptionSpec, ScnError> {
        self.subscriber = self.subscriber.trim().to_string();
        self.url = self.url.trim().to_string();
        if self.subscriber.is_empty() {
            return Err(ScnError("Missing name of subscriber".into()));
        }
        if self.url.is_empty() {
            return Err(ScnError("Missing url".into()));
        }
        check_url(&self.url)?;
        check_triggers(
            self.enabled,
            &mut self.roles,
            &mut self.sub_roles,
            &self.software_status,
            &mut self.states,
            "Missing trigger. Must subscribe to atleast one Enabled, Role, SubRole, SoftwareStatus, or State trigger.",
        )?;
        Ok(self)
    }

    /// Whether `payload` is a change this subscription asked for, as SMD matches: by the
    /// payload's first trigger (State, Role, SubRole, SoftwareStatus, Enabled), in any case.
    pub fn wants(&self, payload: &ScnPayload) -> bool {
        let has = |list: &[String], v: &str| list.iter().any(|x| x.eq_ignore_ascii_case(v));
        if let Some(s) = &payload.state {
            has(&self.states, s)
        } else if let Some(r) = &payload.role {
            has(&self.roles, r)
        } else if let Some(r) = &payload.sub_role {
            has(&self.sub_roles, r)
        } else if let Some(s) = &payload.software_status {
            has(&self.software_status, s)
        } else if payload.enabled.is_some() {
            self.enabled == Some(true)
        } else {
            false
        }
    }

    /// This subscription after `patch`, as SMD applies it: add merges values in, remove
    /// takes them out (and turns the Enabled trigger off), replace sets the lists given.
    pub fn patched(&self, patch: SubscriptionPatch) -> Result<SubscriptionSpec, ScnError> {
        let mut p = patch;
        if p.op.trim().is_empty() {
            return Err(ScnError("Missing Patch Op".into()));
        }
        let op = p.op.trim().to_ascii_lowercase();
        if !matches!(op.as_str(), "add" | "remove" | "replace") {
            return Err(ScnError(format!("Invalid Patch Op - {}", p.op)));
        }
        check_triggers(
            p.enabled,
            &mut p.roles,
            &mut p.sub_roles,
            &p.software_status,
            &mut p.states,
            "Missing trigger. Subscriptions must have atleast one Enabled, Role, SubRole, SoftwareStatus, or State trigger.",
        )?;
        let mut out = self.clone();
        let lists = [
            (&mut out.states, p.states),
            (&mut out.roles, p.roles),
            (&mut out.sub_roles, p.sub_roles),
            (&mut out.software_status, p.software_status),
        ];
        for (have, given) in lists {
            match op.as_str() {
                "add" => {
                    for v in given {
                        if !have.contains(&v) {
                            have.push(v);
                        }
                    }
                }
                "remove" => have.retain(|v| !given.contains(v)),
                _ if !given.is_empty() => *have = given,
                _ => {}
            }
        }
        match op.as_str() {
            "add" if p.enabled == Some(true) => out.enabled = Some(true),
            "remove" if p.enabled == Some(true) => out.enabled = Some(false),
            "replace" if p.enabled.is_some() => out.enabled = p.enabled,
            _ => {}
        }
        Ok(out)
    }
}

/// An http or https URL with a host and no user or password in it.
fn check_url(url: &str) -> Result<(), ScnError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(ScnError(format!("Url '{url}' is not an http or https URL")));
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(ScnError(format!("Url '{url}' is not an http or https URL")));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        // Not repeated: the part before '@' may be a password.
        return Err(ScnError(
            "Url must not carry a user or password (user:password@host)".into(),
        ));
    }
    if authority.is_empty() {
        return Err(ScnError(format!("Url '{url}' names no host")));
    }
    Ok(())
}

/// What a subscriber is sent (`SCNPayload`): the components and their one changed field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScnPayload {
    /// The components that changed.
    #[serde(rename = "Components")]
    #[schema(value_type = Vec<String>)]
    pub components: Vec<Xname>,
    /// Their new Enabled.
    #[serde(rename = "Enabled", default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Their new Flag (with a State).
    #[serde(rename = "Flag", default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// Their new Role.
    #[serde(rename = "Role", default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Their new SubRole (with a Role).
    #[serde(rename = "SubRole", default, skip_serializing_if = "Option::is_none")]
    pub sub_role: Option<String>,
    /// Their new SoftwareStatus.
    #[serde(
        rename = "SoftwareStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub software_status: Option<String>,
    /// Their new State.
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl ScnPayload {
    fn with(ids: &[Xname]) -> ScnPayload {
        ScnPayload {
            components: ids.to_vec(),
            ..ScnPayload::default()
        }
    }

    /// The notification of `change` applied to `ids`, as SMD sends it; none for a change
    /// SMD does not notify (Flag alone, NID).
    pub fn of_change(
        ids: &[Xname],
        change: &super::component::ComponentChange,
    ) -> Option<ScnPayload> {
        use super::component::ComponentChange as C;
        if ids.is_empty() {
            return None;
        }
        let mut p = ScnPayload::with(ids);
        match change {
            C::State { state, flag } => {
                p.state = Some(state.to_string());
                p.flag = Some(flag.to_string());
            }
            C::Enabled(on) => p.enabled = Some(*on),
            C::SoftwareStatus(s) => p.software_status = Some(s.clone()),
            C::Role { role, subrole } => {
                p.role = Some(role.to_string());
                p.sub_role = subrole.map(|s| s.to_string());
            }
            C::Flag(_) | C::Nid(_) => return None,
        }
        Some(p)
    }

    /// One State notification per state the components `ids` of `components` are in now.
    pub fn of_states(components: &[super::component::Component], ids: &[Xname]) -> Vec<ScnPayload> {
        let wanted: std::collections::HashSet<&Xname> = ids.iter().collect();
        let mut by_state: std::collections::BTreeMap<String, Vec<Xname>> = Default::default();
        for c in components.iter().filter(|c| wanted.contains(&c.id)) {
            if let Some(s) = c.state {
                by_state
                    .entry(s.to_string())
                    .or_default()
                    .push(c.id.clone());
            }
        }
        by_state
            .into_iter()
            .map(|(state, ids)| ScnPayload {
                state: Some(state),
                ..ScnPayload::with(&ids)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(states: &[&str]) -> SubscriptionSpec {
        SubscriptionSpec {
            subscriber: "hmnfd@sms1".into(),
            url: "https://sms1:27000/scn".into(),
            states: states.iter().map(|s| s.to_string()).collect(),
            ..SubscriptionSpec::default()
        }
    }

    #[test]
    fn a_subscription_is_checked_with_smds_words() {
        let ok = spec(&["ready", "OFF"]).validate().unwrap();
        assert_eq!(ok.states, ["Ready", "Off"], "normalised");
        let err = |s: SubscriptionSpec| s.validate().unwrap_err().0;
        assert_eq!(
            err(SubscriptionSpec {
                subscriber: " ".into(),
                ..spec(&["On"])
            }),
            "Missing name of subscriber"
        );
        assert_eq!(
            err(SubscriptionSpec {
                url: "".into(),
                ..spec(&["On"])
            }),
            "Missing url"
        );
        assert_eq!(err(spec(&["Sideways"])), "Invalid state 'Sideways'");
        assert!(err(spec(&[])).starts_with("Missing trigger."));
        let with_password = SubscriptionSpec {
            url: "https://u:hunter2@sms1/scn".into(),
            ..spec(&["On"])
        };
        let e = err(with_password);
        assert!(e.contains("must not carry"), "{e}");
        assert!(!e.contains("hunter2"), "the password is not repeated: {e}");
        assert!(err(SubscriptionSpec {
            url: "ftp://x/y".into(),
            ..spec(&["On"])
        })
        .contains("not an http"));
        let bad_role = SubscriptionSpec {
            roles: vec!["Chef".into()],
            ..spec(&[])
        };
        assert_eq!(err(bad_role), "Invalid role 'Chef'");
    }

    #[test]
    fn a_payload_matches_by_its_first_trigger() {
        let x = Xname::parse("x0c0s0b0n0").unwrap();
        let s = SubscriptionSpec {
            enabled: Some(true),
            roles: vec!["Compute".into()],
            ..spec(&["Ready"])
        };
        let p = |f: fn(&mut ScnPayload)| {
            let mut p = ScnPayload {
                components: vec![x.clone()],
                ..ScnPayload::default()
            };
            f(&mut p);
            p
        };
        assert!(s.wants(&p(|p| p.state = Some("ready".into()))));
        assert!(!s.wants(&p(|p| p.state = Some("Off".into()))));
        assert!(s.wants(&p(|p| p.role = Some("Compute".into()))));
        assert!(!s.wants(&p(|p| p.software_status = Some("AdminDown".into()))));
        assert!(s.wants(&p(|p| p.enabled = Some(false))));
        assert!(!spec(&["Ready"]).wants(&p(|p| p.enabled = Some(true))));
        assert!(
            !s.wants(&p(|_| {})),
            "a payload without a trigger reaches no one"
        );
    }

    #[test]
    fn patches_add_remove_and_replace_as_smd() {
        let s = spec(&["Ready"]);
        let patch = |op: &str, states: &[&str], enabled: Option<bool>| SubscriptionPatch {
            op: op.into(),
            enabled,
            states: states.iter().map(|s| s.to_string()).collect(),
            ..SubscriptionPatch::default()
        };
        let added = s
            .patched(patch("ADD", &["off", "Ready"], Some(true)))
            .unwrap();
        assert_eq!(added.states, ["Ready", "Off"]);
        assert_eq!(added.enabled, Some(true));
        let removed = added
            .patched(patch("remove", &["Ready"], Some(true)))
            .unwrap();
        assert_eq!(removed.states, ["Off"]);
        assert_eq!(removed.enabled, Some(false));
        let replaced = removed
            .patched(patch("replace", &["On", "Halt"], None))
            .unwrap();
        assert_eq!(replaced.states, ["On", "Halt"]);
        assert_eq!(
            s.patched(patch("", &["On"], None)).unwrap_err().0,
            "Missing Patch Op"
        );
        assert_eq!(
            s.patched(patch("merge", &["On"], None)).unwrap_err().0,
            "Invalid Patch Op - merge"
        );
        assert!(s
            .patched(patch("add", &[], None))
            .unwrap_err()
            .0
            .starts_with("Missing trigger."));
    }
}
