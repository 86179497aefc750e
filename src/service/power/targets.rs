//! Where each node of a transition is reached: its system on its BMC, read from inventory in
//! bulk, or the failed task saying why it cannot be.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::Power;
use crate::model::power::{Task, TaskStatus};
use crate::model::xname::{HmsType, Xname};
use crate::redfish::client::Endpoint;
use crate::store::ComponentEndpointFilter;

/// How to reach one node's system on its BMC.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// The BMC.
    pub(super) bmc: Xname,
    /// How to reach it.
    pub(super) endpoint: Endpoint,
    /// The system's Redfish path.
    pub(super) system: String,
    /// Where its reset action is posted.
    pub(super) reset: String,
    /// The reset types it offers.
    pub(super) allowable: Vec<String>,
}

/// Each node's target, or the failed task saying why it has none, by xname.
pub(super) type Targets = HashMap<String, Result<Target, Task>>;

/// Takes a node's target out of `targets`; a node they do not hold fails "Missing xname".
pub(super) fn take(targets: &mut Targets, xname: &str) -> Result<Target, Task> {
    targets.remove(xname).unwrap_or_else(|| {
        Err(Power::failed(
            xname,
            "Failed to achieve transition",
            "Missing xname",
        ))
    })
}

/// A node's target from its component endpoint.
fn target_of(ce: crate::model::discovery::ComponentEndpoint, endpoint: Endpoint) -> Target {
    let rest = Value::Object(ce.rest);
    let reset = &rest["RedfishSystemInfo"]["Actions"]["#ComputerSystem.Reset"];
    let allowable: Vec<String> = reset["ResetType@Redfish.AllowableValues"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let system = rest["OdataID"].as_str().unwrap_or_default().to_string();
    let target = reset["target"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{system}/Actions/ComputerSystem.Reset"));
    Target {
        bmc: ce.endpoint_id,
        endpoint,
        system,
        reset: target,
        allowable,
    }
}

impl Power {
    /// How to reach the BMCs behind these component endpoints, read in bulk; a BMC whose
    /// endpoint cannot be read maps to the reason.
    pub(super) async fn bmc_endpoints<'a>(
        &self,
        ces: impl Iterator<Item = &'a crate::model::discovery::ComponentEndpoint>,
    ) -> HashMap<Xname, Result<Endpoint, String>> {
        let ids: Vec<Xname> = ces
            .map(|c| c.endpoint_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let filter = crate::model::redfish::EndpointFilter {
            ids: ids.clone(),
            ..Default::default()
        };
        let read = match self.store.endpoints(&filter).await {
            Ok(eps) => self.discovery.endpoints_for(&eps).await,
            Err(e) => Err(e.into()),
        };
        match read {
            Ok(map) => map
                .into_iter()
                .map(|(id, r)| (id, r.map_err(|e| e.to_string())))
                .collect(),
            Err(e) => ids.into_iter().map(|id| (id, Err(e.to_string()))).collect(),
        }
    }

    /// Where each node's system is and how to reach its BMC (or the failed task saying why),
    /// read in bulk: three queries for any number of nodes, one credential lookup per BMC.
    pub(super) async fn targets(&self, xnames: &[String]) -> Targets {
        let mut out = Targets::new();
        let hsm = |x: &str, e: &dyn std::fmt::Display| {
            Err(Self::failed(
                x,
                "Failed to achieve transition",
                format!("Error retrieving HSM data: {e}"),
            ))
        };
        let mut ids = Vec::new();
        for x in xnames {
            match Xname::parse(x) {
                Ok(id) => ids.push(id),
                Err(_) => {
                    out.insert(
                        x.clone(),
                        Err(Self::failed(
                            x,
                            "Failed to achieve transition",
                            "Invalid xname",
                        )),
                    );
                }
            }
        }
        let filter = crate::model::filter::ComponentFilter {
            ids: ids.clone(),
            ..Default::default()
        };
        let comps = match self.store.components(&filter).await {
            Ok(c) => c,
            Err(e) => {
                for id in &ids {
                    out.insert(id.to_string(), hsm(id.as_str(), &e));
                }
                return out;
            }
        };
        let kinds: HashMap<&Xname, HmsType> = comps.iter().map(|c| (&c.id, c.kind)).collect();
        let ces = match self
            .store
            .component_endpoints(&ComponentEndpointFilter {
                ids: ids.clone(),
                ..ComponentEndpointFilter::default()
            })
            .await
        {
            Ok(c) => c,
            Err(e) => {
                for id in &ids {
                    out.insert(id.to_string(), hsm(id.as_str(), &e));
                }
                return out;
            }
        };
        let mut by_id: HashMap<Xname, crate::model::discovery::ComponentEndpoint> =
            ces.into_iter().map(|c| (c.id.clone(), c)).collect();
        let bmcs = self.bmc_endpoints(by_id.values()).await;
        for id in ids {
            let x = id.as_str().to_string();
            let result = match kinds.get(&id) {
                None => Err(Self::failed(
                    &x,
                    "Failed to achieve transition",
                    "Missing xname",
                )),
                Some(k) if *k != HmsType::Node => Err(Task {
                    xname: x.clone(),
                    status: TaskStatus::Unsupported,
                    description: "Failed to achieve transition".into(),
                    error: format!("No power control for component type {k}"),
                }),
                Some(_) => match by_id.remove(&id) {
                    None => Err(Self::failed(
                        &x,
                        "Failed to achieve transition",
                        format!("{x} has no Redfish component endpoint; discover its BMC first"),
                    )),
                    Some(ce) => match bmcs.get(&ce.endpoint_id) {
                        None => Err(Self::failed(
                            &x,
                            "Failed to achieve transition",
                            format!("Redfish endpoint {} is gone", ce.endpoint_id),
                        )),
                        Some(Err(e)) => {
                            Err(Self::failed(&x, "Failed to achieve transition", e.clone()))
                        }
                        Some(Ok(endpoint)) => Ok(target_of(ce, endpoint.clone())),
                    },
                },
            };
            out.insert(x, result);
        }
        out
    }
}
