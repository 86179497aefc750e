//! Power capping (PCS `/power-cap`): a snapshot reads each node's limits from its BMC, a
//! patch sets them. A task is stored at once and answered by ID; the work runs behind it, one
//! request in flight per BMC under the engine's global limit, reads and writes retried on
//! transient errors. Each node's controls come from its component endpoint, as discovery
//! recorded them (`PowerURL`, `PowerControl`, `Controls`). Every outcome is PCS's text.

use std::collections::{BTreeMap, HashMap};

use std::panic::AssertUnwindSafe;

use futures::stream::{self, StreamExt};
use futures::FutureExt;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Power;
use crate::model::component::Component;
use crate::model::discovery::ComponentEndpoint;
use crate::model::enums::Role;
use crate::model::filter::ComponentFilter;
use crate::model::power_cap::{
    cap_info, check_value, control_member, controls_deep, parse_task_id, power_body, read_control,
    read_power, CapControl, CapInfo, CapKind, CapOp, CapOpStatus, CapRecord, CapTask,
    CapTaskStatus, PatchRequest, SnapshotRequest,
};
use crate::model::xname::{HmsType, Xname};
use crate::redfish::client::{Endpoint, ErrorKind, RedfishError};
use crate::service::scope::Scope;
use crate::service::ServiceError;
use crate::store::ComponentEndpointFilter;

/// Minutes a task is kept (PCS's default).
const EXPIRE_MINUTES: i64 = 1440;
/// Completed tasks kept at most (PCS's default).
const KEEP_COMPLETED: u64 = 20_000;
/// A task not completed this long after it was made was cut short: its core stopped.
const STALE_MINUTES: i64 = 15;
/// What a cut-short task's unfinished operations say.
const CUT_SHORT: &str = "the task did not finish: the core running it stopped";

/// A time `minutes` from now, RFC 3339 in whole seconds (so stored times sort as text).
fn stamp(minutes: i64) -> String {
    let t = OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// Whether a task made at `created` should long have ended.
fn stale(created: &str) -> bool {
    OffsetDateTime::parse(created, &Rfc3339)
        .is_ok_and(|t| OffsetDateTime::now_utc() - t > time::Duration::minutes(STALE_MINUTES))
}

fn no_task() -> ServiceError {
    ServiceError::NotFound("power cap task does not exist".into())
}

/// One request to one BMC for one operation.
struct Call {
    /// The operation it fills.
    op: usize,
    bmc: Xname,
    endpoint: Endpoint,
    what: CallKind,
}

enum CallKind {
    /// GET a `Control` (the newer schema).
    ReadControl(String),
    /// GET the `Power` resource.
    ReadPower(String),
    /// PATCH `Controls.Deep` (each control's own path if the BMC has no `Controls.Deep`).
    SetControls(Vec<(String, i64)>),
    /// PATCH the `Power` resource.
    SetPower(String, Value),
}

/// A node and what the task asks of it: the controls to set, by name (a patch), or none.
struct Wanted {
    xname: Xname,
    set: BTreeMap<String, i64>,
}

impl Power {
    /// Starts a snapshot of `req`'s nodes; answers the task's ID.
    pub async fn cap_snapshot(
        &self,
        req: &SnapshotRequest,
        scope: &Scope,
    ) -> Result<String, ServiceError> {
        if req.xnames.is_empty() {
            return Err(ServiceError::BadRequest(
                "Xname list is empty. A list of xnames is required".into(),
            ));
        }
        let asked = req.xnames.iter().map(|x| (x.clone(), Vec::new())).collect();
        self.cap_start(CapKind::Snapshot, asked, scope).await
    }

    /// Starts setting `req`'s limits; answers the task's ID.
    pub async fn cap_patch(
        &self,
        req: &PatchRequest,
        scope: &Scope,
    ) -> Result<String, ServiceError> {
        req.check().map_err(ServiceError::BadRequest)?;
        let asked = req
            .components
            .iter()
            .map(|c| {
                let set = c
                    .controls
                    .iter()
                    .map(|k| (k.name.clone(), k.value))
                    .collect();
                (c.xname.clone(), set)
            })
            .collect();
        self.cap_start(CapKind::Patch, asked, scope).await
    }

    /// Every task `scope` made (every task without a tenant), without its nodes.
    pub async fn cap_tasks(&self, scope: &Scope) -> Result<Vec<CapTask>, ServiceError> {
        self.store
            .prune_cap_tasks(&stamp(0), KEEP_COMPLETED)
            .await?;
        let mut out = Vec::new();
        for (head, counts) in self.store.cap_tasks().await? {
            if scope.tenant().is_some() && head.tenant.as_deref() != scope.tenant() {
                continue;
            }
            if head.status != CapTaskStatus::Completed && stale(&head.created) {
                // Rare: read it whole, end it, answer that.
                if let Some(t) = self.store.cap_task(&head.id).await? {
                    out.push(self.end_stale(t).await?.wire(false));
                }
                continue;
            }
            let mut t = head.wire(false);
            t.task_counts = counts;
            out.push(t);
        }
        Ok(out)
    }

    /// One task with each node; a task another tenant made does not exist for a tenant.
    pub async fn cap_task(&self, id: &str, scope: &Scope) -> Result<CapTask, ServiceError> {
        let id = parse_task_id(id).map_err(ServiceError::BadRequest)?;
        let t = self.store.cap_task(&id).await?.ok_or_else(no_task)?;
        if scope.tenant().is_some() && t.tenant.as_deref() != scope.tenant() {
            return Err(no_task());
        }
        let t = if t.status != CapTaskStatus::Completed && stale(&t.created) {
            self.end_stale(t).await?
        } else {
            t
        };
        let mut wire = t.wire(true);
        // A node that left the tenant since is answered as one that never was.
        for c in &mut wire.components {
            if !scope.allows(&normal(&c.xname)) {
                c.error = "Xname not found in HSM".into();
                c.limits = None;
                c.power_cap_limits.clear();
            }
        }
        Ok(wire)
    }

    /// Ends a task whose core stopped before it finished.
    async fn end_stale(&self, t: CapRecord) -> Result<CapRecord, ServiceError> {
        self.end_unfinished(t, CUT_SHORT).await
    }

    /// Completes a task, its unfinished operations failed with `why`.
    async fn end_unfinished(&self, mut t: CapRecord, why: &str) -> Result<CapRecord, ServiceError> {
        for op in &mut t.ops {
            if matches!(op.status, CapOpStatus::New | CapOpStatus::InProgress) {
                op.status = CapOpStatus::Failed;
                op.component.error = why.into();
            }
        }
        t.status = CapTaskStatus::Completed;
        self.store.put_cap_task(&t).await?;
        Ok(t)
    }

    /// Stores a new task and starts it.
    async fn cap_start(
        &self,
        kind: CapKind,
        asked: Vec<(String, Vec<(String, i64)>)>,
        scope: &Scope,
    ) -> Result<String, ServiceError> {
        if let Err(e) = self.store.prune_cap_tasks(&stamp(0), KEEP_COMPLETED).await {
            tracing::warn!(error = %e, "cannot prune power cap tasks");
        }
        let record = CapRecord {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            created: stamp(0),
            expires: stamp(EXPIRE_MINUTES),
            status: CapTaskStatus::New,
            tenant: scope.tenant().map(str::to_string),
            ops: Vec::new(),
        };
        self.store.put_cap_task(&record).await?;
        let id = record.id.clone();
        let (engine, scope) = (self.clone(), scope.clone());
        tokio::spawn(async move {
            let id = record.id.clone();
            let run = AssertUnwindSafe(engine.cap_run(record, asked, &scope));
            let error = match run.catch_unwind().await {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e.to_string(),
                Err(_) => "the task's worker panicked".to_string(),
            };
            tracing::error!(task = %id, error = %error, "power cap task failed");
            // Its operations end failed now, not when the task goes stale.
            match engine.store.cap_task(&id).await {
                Ok(Some(t)) => {
                    if let Err(e) = engine
                        .end_unfinished(t, "the task failed in the core; see its log")
                        .await
                    {
                        tracing::error!(task = %id, error = %e, "cannot end power cap task");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::error!(task = %id, error = %e, "cannot read power cap task"),
            }
        });
        Ok(id)
    }

    /// Plans a task's operations, asks the BMCs, stores the outcome.
    async fn cap_run(
        &self,
        mut t: CapRecord,
        asked: Vec<(String, Vec<(String, i64)>)>,
        scope: &Scope,
    ) -> Result<(), ServiceError> {
        let mut ops = Vec::new();
        // Valid names once each (a patch's controls for one node merged), in request order.
        let mut wanted: Vec<Wanted> = Vec::new();
        let mut at: HashMap<Xname, usize> = HashMap::new();
        for (raw, set) in asked {
            let Ok(x) = Xname::parse(&raw) else {
                ops.push(CapOp::ended(CapOpStatus::Failed, &raw, "Invalid xname"));
                continue;
            };
            let i = *at.entry(x.clone()).or_insert_with(|| {
                wanted.push(Wanted {
                    xname: x,
                    set: BTreeMap::new(),
                });
                wanted.len() - 1
            });
            wanted[i].set.extend(set);
        }
        let calls = if wanted.is_empty() {
            Vec::new()
        } else {
            self.cap_plan(t.kind, &wanted, scope, &mut ops).await
        };
        t.ops = ops;
        if calls.is_empty() {
            t.status = CapTaskStatus::Completed;
            self.store.put_cap_task(&t).await?;
            return Ok(());
        }
        t.status = CapTaskStatus::InProgress;
        self.store.put_cap_task(&t).await?;
        // One BMC's calls in order; BMCs side by side, under the engine's global limit.
        let mut by_bmc: BTreeMap<Xname, Vec<Call>> = BTreeMap::new();
        for c in calls {
            by_bmc.entry(c.bmc.clone()).or_default().push(c);
        }
        let width = self.settings().concurrency.max(1);
        let done: Vec<(usize, Result<Outcome, String>)> = stream::iter(by_bmc.into_values())
            .map(|calls| async move {
                let mut out = Vec::new();
                for c in calls {
                    let r = self.cap_call(&c).await;
                    out.push((c.op, r));
                }
                out
            })
            .buffer_unordered(width)
            .flat_map(stream::iter)
            .collect()
            .await;
        for (i, result) in done {
            let op = &mut t.ops[i];
            match result {
                Ok(Outcome::Read(controls, limits)) => {
                    op.component.power_cap_limits = controls;
                    op.component.limits = limits;
                    op.status = CapOpStatus::Succeeded;
                }
                Ok(Outcome::Set) => op.status = CapOpStatus::Succeeded,
                Err(e) => {
                    op.status = CapOpStatus::Failed;
                    op.component.error = e;
                    op.component.limits = None;
                    op.component.power_cap_limits.clear();
                }
            }
        }
        t.status = CapTaskStatus::Completed;
        self.store.put_cap_task(&t).await?;
        Ok(())
    }

    /// Each node's operations (those that end here are pushed done) and the BMC calls the
    /// others need.
    async fn cap_plan(
        &self,
        kind: CapKind,
        wanted: &[Wanted],
        scope: &Scope,
        ops: &mut Vec<CapOp>,
    ) -> Vec<Call> {
        let ids: Vec<Xname> = wanted.iter().map(|w| w.xname.clone()).collect();
        let read = async {
            let comps = self
                .store
                .components(&ComponentFilter {
                    ids: ids.clone(),
                    ..Default::default()
                })
                .await?;
            let ces = self
                .store
                .component_endpoints(&ComponentEndpointFilter {
                    ids: ids.clone(),
                    ..ComponentEndpointFilter::default()
                })
                .await?;
            Ok::<_, crate::store::StoreError>((comps, ces))
        };
        let (comps, ces) = match read.await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "power cap: cannot read inventory");
                for w in wanted {
                    ops.push(CapOp::ended(
                        CapOpStatus::Failed,
                        w.xname.as_str(),
                        "Error retrieving HSM data",
                    ));
                }
                return Vec::new();
            }
        };
        let comps: HashMap<Xname, Component> = comps
            .into_iter()
            .filter(|c| scope.allows(c.id.as_str()))
            .map(|c| (c.id.clone(), c))
            .collect();
        let ces: HashMap<Xname, ComponentEndpoint> =
            ces.into_iter().map(|c| (c.id.clone(), c)).collect();
        let bmcs = self.bmc_endpoints(ces.values()).await;
        let mut calls = Vec::new();
        for w in wanted {
            let x = w.xname.as_str();
            let Some(comp) = comps.get(&w.xname) else {
                ops.push(CapOp::ended(
                    CapOpStatus::Failed,
                    x,
                    "Xname not found in HSM",
                ));
                continue;
            };
            let ce = ces.get(&w.xname);
            let info = ce
                .and_then(|c| c.rest.get("RedfishSystemInfo"))
                .map(cap_info)
                .unwrap_or_default();
            if kind == CapKind::Patch {
                let undefined: Vec<&String> = w
                    .set
                    .keys()
                    .filter(|n| !info.caps.contains_key(*n))
                    .collect();
                for name in &undefined {
                    ops.push(CapOp::ended(
                        CapOpStatus::Failed,
                        x,
                        format!("Skipping undefined control '{name}'"),
                    ));
                }
                if undefined.len() == w.set.len() {
                    continue;
                }
            }
            for (path, set) in planned(kind, &info, w) {
                let i = ops.len();
                let mut op = CapOp::ended(CapOpStatus::InProgress, x, "");
                let fqdn = ce
                    .and_then(|c| c.rest.get("RedfishEndpointFQDN"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let refusal = if ce.is_none() || fqdn.is_empty() {
                    Some((CapOpStatus::Failed, "Missing RfFQDN".to_string()))
                } else if comp.kind != HmsType::Node {
                    Some((
                        CapOpStatus::Unsupported,
                        format!("Type, {} unsupported for power capping", comp.kind),
                    ))
                } else if path.is_empty() {
                    Some((CapOpStatus::Failed, "Missing Power Cap URI".to_string()))
                } else if comp.role == Some(Role::Management) {
                    Some((
                        CapOpStatus::Unsupported,
                        "Power capping Management nodes is not supported".to_string(),
                    ))
                } else {
                    None
                };
                if let Some((status, error)) = refusal {
                    op.status = status;
                    op.component.error = error;
                    ops.push(op);
                    continue;
                }
                // Every requested value within its control's range, or the operation fails.
                let mut errors = Vec::new();
                for (name, value) in &set {
                    match info.caps.get(name).map(|c| check_value(c, *value)) {
                        Some(Ok(c)) => op.component.power_cap_limits.push(c),
                        Some(Err(e)) => errors.push(e),
                        None => {}
                    }
                }
                if !errors.is_empty() {
                    op.status = CapOpStatus::Failed;
                    op.component.error = errors.join("; ");
                    op.component.power_cap_limits.clear();
                    ops.push(op);
                    continue;
                }
                let Some(ce) = ce else { continue };
                let endpoint = match bmcs.get(&ce.endpoint_id) {
                    Some(Ok(e)) => e.clone(),
                    Some(Err(e)) => {
                        op.status = CapOpStatus::Failed;
                        op.component.error = e.clone();
                        ops.push(op);
                        continue;
                    }
                    None => {
                        op.status = CapOpStatus::Failed;
                        op.component.error = format!("Redfish endpoint {} is gone", ce.endpoint_id);
                        ops.push(op);
                        continue;
                    }
                };
                let what = match kind {
                    CapKind::Snapshot if info.controls > 0 => CallKind::ReadControl(path),
                    CapKind::Snapshot => CallKind::ReadPower(path),
                    CapKind::Patch if info.controls > 0 => CallKind::SetControls(
                        set.iter()
                            .filter_map(|(n, v)| info.caps.get(n).map(|c| (c.path.clone(), *v)))
                            .collect(),
                    ),
                    CapKind::Patch => {
                        CallKind::SetPower(path, power_body(&info, &op.component.power_cap_limits))
                    }
                };
                ops.push(op);
                calls.push(Call {
                    op: i,
                    bmc: ce.endpoint_id.clone(),
                    endpoint,
                    what,
                });
            }
        }
        calls
    }

    /// One call, retried on transient errors; the error is what the operation says.
    async fn cap_call(&self, c: &Call) -> Result<Outcome, String> {
        let client = self.discovery.client().clone();
        let ep = &c.endpoint;
        let text = |e: RedfishError| e.to_string();
        match &c.what {
            CallKind::ReadControl(path) => {
                let v = self
                    .call(&c.bmc, || client.get(ep, path))
                    .await
                    .map_err(text)?;
                let (control, limits) = read_control(&v);
                Ok(Outcome::Read(vec![control], limits))
            }
            CallKind::ReadPower(path) => {
                let v = self
                    .call(&c.bmc, || client.get(ep, path))
                    .await
                    .map_err(text)?;
                let (controls, limits) = read_power(&v, path)?;
                Ok(Outcome::Read(controls, limits))
            }
            CallKind::SetPower(path, body) => {
                self.call(&c.bmc, || client.patch(ep, path, body))
                    .await
                    .map_err(text)?;
                Ok(Outcome::Set)
            }
            CallKind::SetControls(set) => {
                let Some((first, _)) = set.first() else {
                    return Ok(Outcome::Set);
                };
                let members: Vec<Value> = set.iter().map(|(p, v)| control_member(p, *v)).collect();
                let deep = json!({ "Members": members });
                let deep_path = controls_deep(first);
                match self
                    .call(&c.bmc, || client.patch(ep, &deep_path, &deep))
                    .await
                {
                    Ok(()) => Ok(Outcome::Set),
                    // A BMC of the DMTF schema has no Controls.Deep: set each control itself.
                    Err(e) if matches!(e.kind, ErrorKind::Status(404 | 405)) => {
                        for (path, value) in set {
                            let mut body = control_member(path, *value);
                            if let Some(o) = body.as_object_mut() {
                                o.remove("@odata.id");
                            }
                            self.call(&c.bmc, || client.patch(ep, path, &body))
                                .await
                                .map_err(text)?;
                        }
                        Ok(Outcome::Set)
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
        }
    }
}

/// What a BMC call gave.
enum Outcome {
    /// A snapshot's controls and the node's range.
    Read(Vec<CapControl>, Option<crate::model::power_cap::CapLimits>),
    /// A patch was taken.
    Set,
}

/// A node's operations as (path, values to set): one per control of the newer schema for a
/// snapshot, one `Controls.Deep` write for a patch, else one on the `Power` resource.
fn planned(kind: CapKind, info: &CapInfo, w: &Wanted) -> Vec<(String, BTreeMap<String, i64>)> {
    let asked = |names: &mut dyn Iterator<Item = &String>| -> BTreeMap<String, i64> {
        names
            .filter_map(|n| w.set.get(n).map(|v| (n.clone(), *v)))
            .collect()
    };
    if info.controls > 0 {
        match kind {
            CapKind::Snapshot => info
                .caps
                .values()
                .map(|c| (c.path.clone(), BTreeMap::new()))
                .collect(),
            CapKind::Patch => {
                let first = info.caps.values().next().map(|c| c.path.clone());
                vec![(first.unwrap_or_default(), asked(&mut info.caps.keys()))]
            }
        }
    } else {
        vec![(info.uri.clone(), asked(&mut info.caps.keys()))]
    }
}

/// The normal form of an xname, or the text itself.
fn normal(raw: &str) -> String {
    Xname::parse(raw)
        .map(|x| x.to_string())
        .unwrap_or_else(|_| raw.to_string())
}
