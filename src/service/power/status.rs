//! What a transition would do (a dry run) and each node's live power (PCS's power-status),
//! as typed answers.

use futures::stream::{self, StreamExt};

use super::plan::{plan, reset_type, Plan};
use super::targets::{self, Target};
use super::{Power, ServiceError};
use crate::model::ethernet::now_rfc3339;
use crate::model::power::{
    supported_transitions, ManagementState, Operation, PlannedStep, PlannedTask, PowerStateName,
    PowerStatus, Task,
};
use crate::model::xname::Xname;
use crate::redfish::client::PowerState;
use crate::service::scope::Scope;
use crate::store::ComponentEndpointFilter;

/// A dry run's answer for a node that does nothing.
fn idle(xname: &str, status: &str) -> PlannedTask {
    PlannedTask {
        xname: xname.to_string(),
        power_state: None,
        would_do: Vec::new(),
        task_status: Some(status.to_string()),
        description: None,
        error: None,
        bmc: None,
        reset_target: None,
    }
}

impl Power {
    /// What `op` would do on one node, reading its power state but sending nothing.
    pub(super) async fn dry_plan(
        &self,
        op: Operation,
        xname: &str,
        target: Result<Target, Task>,
    ) -> PlannedTask {
        let target = match target {
            Ok(tg) => tg,
            Err(task) => {
                return PlannedTask {
                    error: Some(task.error),
                    ..idle(xname, task.status.as_str())
                }
            }
        };
        if !supported_transitions(&target.allowable).contains(&op) {
            return PlannedTask {
                error: Some("Unsupported for transition operation".into()),
                ..idle(xname, "unsupported")
            };
        }
        let state = match self.power_of(&target).await {
            Ok(s) => s,
            Err(e) => {
                return PlannedTask {
                    error: Some(format!("cannot read power state: {e}")),
                    ..idle(xname, "failed")
                }
            }
        };
        let power_state = Some(format!("{state:?}"));
        match plan(op, state, &target.allowable) {
            Plan::Done(why) => PlannedTask {
                power_state,
                description: Some(why.into()),
                ..idle(xname, "succeeded")
            },
            Plan::Fail { description, error } => PlannedTask {
                power_state,
                description: Some(description),
                error: Some(error),
                ..idle(xname, "failed")
            },
            Plan::Steps(steps) => PlannedTask {
                power_state,
                would_do: steps
                    .iter()
                    .map(|a| PlannedStep {
                        action: a.name().into(),
                        reset_type: reset_type(*a, &target.allowable),
                    })
                    .collect(),
                task_status: None,
                bmc: Some(target.bmc.as_str().to_string()),
                reset_target: Some(target.reset),
                ..idle(xname, "")
            },
        }
    }

    /// Live power status of nodes (all nodes with a component endpoint when `xnames` is
    /// empty), read from their BMCs.
    /// For a tenant (`scope`) only its nodes exist: others are listed as unknown ones are.
    pub async fn status(
        &self,
        xnames: &[String],
        scope: &Scope,
    ) -> Result<Vec<PowerStatus>, ServiceError> {
        let names: Vec<String> = if xnames.is_empty() {
            self.store
                .component_endpoints(&ComponentEndpointFilter {
                    kinds: vec!["Node".into()],
                    ..ComponentEndpointFilter::default()
                })
                .await?
                .into_iter()
                .map(|c| c.id.as_str().to_string())
                .filter(|x| scope.allows(x))
                .collect()
        } else {
            let mut bad = Vec::new();
            let mut out = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for x in xnames {
                match Xname::parse(x) {
                    Ok(id) => {
                        if seen.insert(id.as_str().to_string()) {
                            out.push(id.as_str().to_string())
                        }
                    }
                    Err(_) => bad.push(x.clone()),
                }
            }
            if !bad.is_empty() {
                return Err(ServiceError::BadRequest(format!(
                    "invalid xnames detected: {}",
                    bad.join(" ")
                )));
            }
            out
        };
        let mut targets = self.targets(&names).await;
        targets.retain(|x, _| scope.allows(x));
        Ok(stream::iter(names)
            .map(|x| {
                let target = targets::take(&mut targets, &x);
                async move { self.status_of(x, target).await }
            })
            .buffered(64)
            .collect()
            .await)
    }

    /// One node's power-status entry.
    async fn status_of(&self, xname: String, target: Result<Target, Task>) -> PowerStatus {
        let tg = match target {
            Ok(tg) => tg,
            Err(task) => {
                let error = if task.error == "Missing xname" {
                    "Component not found in component map.".to_string()
                } else {
                    task.error
                };
                return PowerStatus {
                    xname,
                    power_state: PowerStateName::NotFound,
                    management_state: ManagementState::NotFound,
                    error,
                    supported_power_transitions: Vec::new(),
                    last_updated: String::new(),
                };
            }
        };
        let supported = supported_transitions(&tg.allowable)
            .iter()
            .map(|o| o.as_str().to_string())
            .collect();
        use ManagementState::{Available, Unavailable};
        let (power, management, error) = match self.power_of(&tg).await {
            Ok(PowerState::On | PowerState::PoweringOff) => (PowerStateName::On, Available, None),
            Ok(PowerState::Off | PowerState::PoweringOn) => (PowerStateName::Off, Available, None),
            Ok(PowerState::Unknown) => (PowerStateName::Undefined, Available, None),
            Err(e) => (PowerStateName::Undefined, Unavailable, Some(e.to_string())),
        };
        PowerStatus {
            xname,
            power_state: power,
            management_state: management,
            error: error.unwrap_or_default(),
            supported_power_transitions: supported,
            last_updated: now_rfc3339(),
        }
    }
}
