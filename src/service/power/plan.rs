//! What each node of a transition will do: PCS's table from operation and power state to
//! Redfish actions, and the reset type each action sends. Pure: no I/O.

use crate::model::enums::State;
use crate::model::power::Operation;
use crate::redfish::client::PowerState;

/// A step of a plan: one Redfish action and the power state that confirms it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    On,
    GracefulShutdown,
    ForceOff,
    GracefulRestart,
}

impl Action {
    pub(super) fn name(self) -> &'static str {
        match self {
            Action::On => "on",
            Action::GracefulShutdown => "gracefulshutdown",
            Action::ForceOff => "forceoff",
            Action::GracefulRestart => "gracefulrestart",
        }
    }

    pub(super) fn named(name: &str) -> Option<Action> {
        [
            Action::On,
            Action::GracefulShutdown,
            Action::ForceOff,
            Action::GracefulRestart,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }

    pub(super) fn target(self) -> PowerState {
        match self {
            Action::On | Action::GracefulRestart => PowerState::On,
            Action::GracefulShutdown | Action::ForceOff => PowerState::Off,
        }
    }
}

/// What a node will do, or why it will not.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Plan {
    Steps(Vec<Action>),
    Done(&'static str),
    Fail { description: String, error: String },
}

/// The plan for `op` on a node in `state` offering `allowable` reset types (PCS's table).
pub(super) fn plan(op: Operation, state: PowerState, allowable: &[String]) -> Plan {
    let on = state == PowerState::On || state == PowerState::PoweringOff;
    let off = state == PowerState::Off || state == PowerState::PoweringOn;
    let has = |v: &str| allowable.iter().any(|a| a.eq_ignore_ascii_case(v));
    let wrong = |what: &str| Plan::Fail {
        description: format!("Component must be in the On state for {what}"),
        error: "Component is in the wrong power state".into(),
    };
    use Action::*;
    match op {
        Operation::On if on => Plan::Done("Component already in desired state"),
        Operation::On => Plan::Steps(vec![On]),
        Operation::Off | Operation::SoftOff if off => {
            Plan::Done("Component already in desired state")
        }
        Operation::Off | Operation::SoftOff => Plan::Steps(vec![GracefulShutdown]),
        Operation::ForceOff if off => Plan::Done("Component already in desired state"),
        Operation::ForceOff => Plan::Steps(vec![ForceOff]),
        Operation::HardRestart if on => Plan::Steps(vec![GracefulShutdown, On]),
        Operation::HardRestart => wrong("Hard-Restart"),
        Operation::Init if on => Plan::Steps(vec![GracefulShutdown, On]),
        Operation::Init => Plan::Steps(vec![On]),
        Operation::SoftRestart if !on => wrong("Soft-Restart"),
        Operation::SoftRestart if has("GracefulRestart") || has("ForceRestart") => {
            Plan::Steps(vec![GracefulRestart])
        }
        Operation::SoftRestart => Plan::Steps(vec![GracefulShutdown, On]),
    }
}

/// The ResetType sent for an action, from what the BMC offers (PCS's choice).
pub(super) fn reset_type(action: Action, allowable: &[String]) -> Option<String> {
    let pick = |names: &[&str]| {
        names.iter().find_map(|n| {
            allowable
                .iter()
                .find(|a| a.eq_ignore_ascii_case(n))
                .cloned()
        })
    };
    match action {
        Action::On => pick(&["On"]),
        Action::ForceOff => pick(&["ForceOff"]),
        Action::GracefulShutdown => pick(&["GracefulShutdown", "Off"]),
        Action::GracefulRestart => pick(&["GracefulRestart", "ForceRestart"]),
    }
}

/// The inventory state a Redfish power state stands for, if any.
pub(super) fn inventory_state(s: PowerState) -> Option<State> {
    match s {
        PowerState::On | PowerState::PoweringOff => Some(State::On),
        PowerState::Off | PowerState::PoweringOn => Some(State::Off),
        PowerState::Unknown => None,
    }
}

/// The action that ends an operation.
pub(super) fn last_action_name(op: Operation) -> &'static str {
    match op {
        Operation::ForceOff => "forceoff",
        Operation::Off | Operation::SoftOff => "gracefulshutdown",
        Operation::SoftRestart => "gracefulrestart",
        _ => "on",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<String> {
        [
            "On",
            "ForceOff",
            "GracefulShutdown",
            "GracefulRestart",
            "ForceRestart",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn plans_follow_pcs() {
        use Action::*;
        let a = all();
        assert_eq!(
            plan(Operation::On, PowerState::On, &a),
            Plan::Done("Component already in desired state")
        );
        assert_eq!(
            plan(Operation::On, PowerState::Off, &a),
            Plan::Steps(vec![On])
        );
        assert_eq!(
            plan(Operation::HardRestart, PowerState::On, &a),
            Plan::Steps(vec![GracefulShutdown, On])
        );
        assert!(
            matches!(plan(Operation::HardRestart, PowerState::Off, &a), Plan::Fail { error, .. } if error == "Component is in the wrong power state")
        );
        assert_eq!(
            plan(Operation::Init, PowerState::Off, &a),
            Plan::Steps(vec![On])
        );
        assert_eq!(
            plan(Operation::SoftRestart, PowerState::On, &a),
            Plan::Steps(vec![GracefulRestart])
        );
        let no_restart: Vec<String> = ["On", "ForceOff", "GracefulShutdown"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            plan(Operation::SoftRestart, PowerState::On, &no_restart),
            Plan::Steps(vec![GracefulShutdown, On])
        );
        assert_eq!(
            plan(Operation::ForceOff, PowerState::Off, &a),
            Plan::Done("Component already in desired state")
        );
    }

    #[test]
    fn reset_types_fall_back_as_pcs_does() {
        let only_force: Vec<String> = ["On", "ForceRestart", "Off"].map(String::from).to_vec();
        assert_eq!(
            reset_type(Action::GracefulRestart, &only_force).as_deref(),
            Some("ForceRestart")
        );
        assert_eq!(
            reset_type(Action::GracefulShutdown, &only_force).as_deref(),
            Some("Off")
        );
        assert_eq!(reset_type(Action::ForceOff, &only_force), None);
    }
}
