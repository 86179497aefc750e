//! What a transition would do (a dry run) and each component's live power (PCS's
//! power-status), as typed answers.

use std::collections::HashMap;

use futures::stream::{self, StreamExt};

use super::plan::{plan, reset_type, Plan};
use super::targets::{self, Target};
use super::{Power, ServiceError};
use crate::model::ethernet::now_rfc3339;
use crate::model::filter::ComponentFilter;
use crate::model::power::{
    supported_transitions, ManagementState, Operation, PlannedStep, PlannedTask, PowerStateName,
    PowerStatus, Task,
};
use crate::model::xname::{HmsType, Xname};
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
                description: Some(format!(
                    "Component does not support the specified transition operation, {}",
                    op.as_str()
                )),
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

    /// Live power status, as PCS answers it, of `xnames` (every component in inventory that
    /// PCS covers when empty): nodes from their systems, BMCs from whether they answer.
    /// For a tenant (`scope`) only its nodes exist: others are listed as unknown ones are.
    pub async fn status(
        &self,
        xnames: &[String],
        scope: &Scope,
    ) -> Result<Vec<PowerStatus>, ServiceError> {
        let (names, kinds) = if xnames.is_empty() {
            // The store lists in natural xname order.
            let all: Vec<_> = self
                .store
                .components(&ComponentFilter::default())
                .await?
                .into_iter()
                .filter(|c| has_power_status(c.kind) && scope.allows(c.id.as_str()))
                .collect();
            let names: Vec<String> = all.iter().map(|c| c.id.to_string()).collect();
            let kinds: HashMap<String, HmsType> = all
                .into_iter()
                .map(|c| (c.id.to_string(), c.kind))
                .collect();
            (names, kinds)
        } else {
            let mut bad = Vec::new();
            let mut out = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for x in xnames {
                match Xname::parse(x) {
                    Ok(id) => {
                        if seen.insert(id.clone()) {
                            out.push(id)
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
            let found = self
                .store
                .components(&ComponentFilter {
                    ids: out.clone(),
                    ..ComponentFilter::default()
                })
                .await?;
            let kinds = found
                .into_iter()
                .filter(|c| scope.allows(c.id.as_str()))
                .map(|c| (c.id.as_str().to_string(), c.kind))
                .collect();
            (
                out.into_iter().map(|x| x.as_str().to_string()).collect(),
                kinds,
            )
        };
        let nodes: Vec<String> = names
            .iter()
            .filter(|x| kinds.get(*x) == Some(&HmsType::Node))
            .cloned()
            .collect();
        let mut targets = self.targets(&nodes).await;
        targets.retain(|x, _| scope.allows(x));
        let bmcs: Vec<Xname> = names
            .iter()
            .filter(|x| kinds.get(*x).copied().is_some_and(is_bmc))
            .filter_map(|x| Xname::parse(x).ok())
            .collect();
        let mut bmcs = self.bmc_reach(&bmcs).await;
        let entries: Vec<_> = names
            .into_iter()
            .map(|x| {
                let entry = match kinds.get(&x).copied() {
                    Some(HmsType::Node) => Entry::Node(targets::take(&mut targets, &x)),
                    Some(k) if is_bmc(k) => {
                        Entry::Bmc(bmcs.remove(&x).unwrap_or_else(|| Err(no_endpoint(&x))))
                    }
                    Some(k) if has_power_status(k) => Entry::Unread,
                    // Not in inventory (or not the tenant's), or a type without power status.
                    Some(_) => {
                        Entry::Absent("Component can not have power state and managment state data")
                    }
                    None => match Xname::parse(&x).map(|id| id.kind()) {
                        Ok(k) if has_power_status(k) => {
                            Entry::Absent("Component not found in component map.")
                        }
                        _ => Entry::Absent(
                            "Component can not have power state and managment state data",
                        ),
                    },
                };
                (x, entry)
            })
            .collect();
        Ok(stream::iter(entries)
            .map(|(x, entry)| async move {
                match entry {
                    Entry::Node(target) => self.status_of(x, target).await,
                    Entry::Bmc(reach) => self.bmc_status(x, reach).await,
                    Entry::Unread => unread(x),
                    Entry::Absent(why) => absent(x, why),
                }
            })
            .buffered(64)
            .collect()
            .await)
    }

    /// How to reach each of these BMCs (their Redfish endpoints), with the manager's reset
    /// types when discovery recorded them.
    async fn bmc_reach(&self, ids: &[Xname]) -> HashMap<String, Result<Bmc, String>> {
        if ids.is_empty() {
            return HashMap::new();
        }
        let filter = crate::model::redfish::EndpointFilter {
            ids: ids.to_vec(),
            ..Default::default()
        };
        let eps = match self.store.endpoints(&filter).await {
            Ok(eps) => eps,
            Err(e) => return fail_all(ids, &e),
        };
        let managers = match self
            .store
            .component_endpoints(&ComponentEndpointFilter {
                ids: ids.to_vec(),
                ..ComponentEndpointFilter::default()
            })
            .await
        {
            Ok(ces) => ces,
            Err(e) => return fail_all(ids, &e),
        };
        let allowable: HashMap<Xname, Vec<String>> = managers
            .iter()
            .map(|ce| (ce.id.clone(), manager_resets(ce)))
            .collect();
        let reach = match self.discovery.endpoints_for(&eps).await {
            Ok(map) => map,
            Err(e) => return fail_all(ids, &e),
        };
        reach
            .into_iter()
            .map(|(id, r)| {
                let resets = allowable.get(&id).cloned().unwrap_or_default();
                let bmc = r
                    .map(|endpoint| Bmc {
                        id: id.clone(),
                        endpoint,
                        resets,
                    })
                    .map_err(|e| e.to_string());
                (id.as_str().to_string(), bmc)
            })
            .collect()
    }

    /// A BMC's power-status entry: On when it answers, as PCS reads a BMC.
    async fn bmc_status(&self, xname: String, reach: Result<Bmc, String>) -> PowerStatus {
        let bmc = match reach {
            Ok(b) => b,
            Err(e) => return unreachable(xname, e),
        };
        let client = self.discovery.client().clone();
        let answered = self
            .call(&bmc.id, || client.service_root(&bmc.endpoint))
            .await;
        match answered {
            Ok(_) => PowerStatus {
                xname,
                power_state: PowerStateName::On,
                management_state: ManagementState::Available,
                error: String::new(),
                supported_power_transitions: supported_transitions(&bmc.resets)
                    .iter()
                    .map(|o| o.as_str().to_string())
                    .collect(),
                last_updated: now_rfc3339(),
            },
            Err(e) => unreachable(xname, e.to_string()),
        }
    }

    /// One node's power-status entry.
    async fn status_of(&self, xname: String, target: Result<Target, Task>) -> PowerStatus {
        let tg = match target {
            Ok(tg) => tg,
            Err(task) if task.error == "Missing xname" => {
                return absent(xname, "Component not found in component map.")
            }
            // In inventory but not reachable (no BMC known, no credentials): PCS's
            // undefined and unavailable.
            Err(task) => return unreachable(xname, task.error),
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

/// What a status request found for one name.
enum Entry {
    /// A node, with how to reach its system.
    Node(Result<Target, Task>),
    /// A BMC, with how to reach it.
    Bmc(Result<Bmc, String>),
    /// A component PCS covers that chami has no Redfish path to read yet.
    Unread,
    /// No power status: PCS's reason.
    Absent(&'static str),
}

/// A BMC to ask.
struct Bmc {
    id: Xname,
    endpoint: crate::redfish::client::Endpoint,
    /// The manager's reset types, as discovery recorded them.
    resets: Vec<String>,
}

/// The component types PCS keeps power status for.
fn has_power_status(kind: HmsType) -> bool {
    use HmsType::*;
    matches!(
        kind,
        Node | NodeBmc
            | ChassisBmc
            | RouterBmc
            | Chassis
            | ComputeModule
            | RouterModule
            | MgmtSwitch
            | MgmtHlSwitch
            | CduMgmtSwitch
            | CabinetPduPowerConnector
    )
}

/// The BMC types PCS reads as On when they answer.
fn is_bmc(kind: HmsType) -> bool {
    matches!(
        kind,
        HmsType::NodeBmc | HmsType::ChassisBmc | HmsType::RouterBmc
    )
}

/// PCS's entry for a name it has no power status for: empty states and the reason.
fn absent(xname: String, why: &str) -> PowerStatus {
    PowerStatus {
        xname,
        power_state: PowerStateName::NotFound,
        management_state: ManagementState::NotFound,
        error: why.to_string(),
        supported_power_transitions: Vec::new(),
        last_updated: String::new(),
    }
}

/// A component in inventory that could not be read: PCS's undefined and unavailable.
fn unreachable(xname: String, error: String) -> PowerStatus {
    PowerStatus {
        xname,
        power_state: PowerStateName::Undefined,
        management_state: ManagementState::Unavailable,
        error,
        supported_power_transitions: Vec::new(),
        last_updated: now_rfc3339(),
    }
}

/// A component PCS covers whose power chami does not read yet (discovery walks Systems and
/// Managers, not Chassis or PDU outlets).
fn unread(xname: String) -> PowerStatus {
    let why = format!(
        "{xname} has no Redfish power endpoint: discovery reads systems and managers, not \
         chassis, switches or outlets"
    );
    unreachable(xname, why)
}

fn no_endpoint(x: &str) -> String {
    format!("{x} has no Redfish endpoint; register and discover it first")
}

fn fail_all(ids: &[Xname], e: &dyn std::fmt::Display) -> HashMap<String, Result<Bmc, String>> {
    ids.iter()
        .map(|id| {
            (
                id.as_str().to_string(),
                Err(format!("Error retrieving HSM data: {e}")),
            )
        })
        .collect()
}

/// A manager's reset types from its component endpoint.
fn manager_resets(ce: &crate::model::discovery::ComponentEndpoint) -> Vec<String> {
    let v = serde_json::to_value(ce).unwrap_or_default();
    v["RedfishManagerInfo"]["Actions"]["#Manager.Reset"]["ResetType@Redfish.AllowableValues"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
