//! The power engine (PCS): transitions are stored before any BMC is touched, nodes in a running
//! transition are locked, work runs with bounded global concurrency and one request in flight
//! per BMC, transient BMC errors are retried with backoff, and every outcome is written per
//! task in PCS's words. Inventory `State` follows (On/Off). Each running transition is leased
//! to the core running it; another core takes over one whose lease ends ([`takeover`]).

mod journal;
mod steps;
mod takeover;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};

use super::discovery::Discovery;
use super::events::{Event, EventBus};
use super::locks::Locks;
use super::scope::Scope;
use super::ServiceError;
use crate::model::component::ComponentChange;
use crate::model::enums::{Flag, State};
use crate::model::ethernet::now_rfc3339;
use crate::model::locks::ReservationKeys;
use crate::model::power::{
    held_message, supported_transitions, Operation, Task, TaskCounts, TaskStatus, Transition,
    TransitionCreate, TransitionStatus,
};
use crate::model::xname::{HmsType, Xname};
use crate::redfish::client::{Endpoint, PowerState, RedfishError};
use crate::store::{ComponentEndpointFilter, Store};

use journal::Journal;
use steps::Outcome;
use takeover::Resume;

/// Default minutes each step may take (PCS's default).
pub const DEFAULT_DEADLINE_MINUTES: i64 = 5;
/// How long transition records are kept, in minutes (PCS's default).
const EXPIRE_MINUTES: i64 = 1440;
/// Attempts for one Redfish call when the error is transient.
const ATTEMPTS: u32 = 3;
/// How often task changes of a running transition are written, in one transaction.
const FLUSH: Duration = Duration::from_millis(250);
/// Minutes a reservation the engine makes lasts; it renews them every [`RENEW`] while the
/// transition runs, so a crashed run's reservations lapse by themselves.
const RESERVE_MINUTES: i64 = 1;
const RENEW: Duration = Duration::from_secs(20);

/// Engine settings.
#[derive(Debug, Clone)]
pub struct PowerSettings {
    /// Redfish calls in flight at once across all BMCs.
    pub concurrency: usize,
    /// How often a node's power state is read while waiting for a change.
    pub poll: Duration,
    /// First retry delay (doubled per attempt).
    pub backoff: Duration,
    /// No other core uses the database (SQLite, whose data dir is locked): at start this
    /// core takes over every unfinished transition at once, without waiting for leases.
    pub exclusive: bool,
    /// How long a lease on a running transition lasts unless renewed.
    pub lease: Duration,
}

impl Default for PowerSettings {
    fn default() -> Self {
        PowerSettings {
            concurrency: 256,
            poll: Duration::from_secs(2),
            backoff: Duration::from_millis(500),
            exclusive: true,
            lease: Duration::from_secs(75),
        }
    }
}

/// A step of a plan: one Redfish action and the power state that confirms it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    On,
    GracefulShutdown,
    ForceOff,
    GracefulRestart,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::On => "on",
            Action::GracefulShutdown => "gracefulshutdown",
            Action::ForceOff => "forceoff",
            Action::GracefulRestart => "gracefulrestart",
        }
    }

    fn named(name: &str) -> Option<Action> {
        [
            Action::On,
            Action::GracefulShutdown,
            Action::ForceOff,
            Action::GracefulRestart,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }

    fn target(self) -> PowerState {
        match self {
            Action::On | Action::GracefulRestart => PowerState::On,
            Action::GracefulShutdown | Action::ForceOff => PowerState::Off,
        }
    }
}

/// What a node will do, or why it will not.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    Steps(Vec<Action>),
    Done(&'static str),
    Fail { description: String, error: String },
}

/// The plan for `op` on a node in `state` offering `allowable` reset types (PCS's table).
fn plan(op: Operation, state: PowerState, allowable: &[String]) -> Plan {
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

/// The ResetType sent for an action, from what the BMC offers (PCS's choice).
fn reset_type(action: Action, allowable: &[String]) -> Option<String> {
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

/// How to reach one node's system on its BMC.
#[derive(Debug, Clone)]
struct Target {
    bmc: Xname,
    endpoint: Endpoint,
    system: String,
    reset: String,
    allowable: Vec<String>,
}

/// One transition's task changes not yet written, by xname, each with the inventory
/// state its finish leaves.
type Unwritten = HashMap<String, (Task, Option<State>)>;

/// The power engine.
#[derive(Clone)]
pub struct Power {
    store: Arc<dyn Store>,
    bus: EventBus,
    discovery: Discovery,
    locks: Locks,
    settings: Arc<OnceLock<PowerSettings>>,
    /// Node -> the running transition that holds it.
    busy: Arc<Mutex<HashMap<String, String>>>,
    aborts: Arc<Mutex<HashSet<String>>>,
    bmcs: Arc<Mutex<HashMap<Xname, Arc<tokio::sync::Mutex<()>>>>>,
    global: Arc<OnceLock<Arc<Semaphore>>>,
    /// Task changes not yet written, by transition then xname, with the inventory state a
    /// finished task leaves.
    pending: Arc<Mutex<HashMap<String, Unwritten>>>,
    /// Each node's step records (started on first use).
    journal: Arc<OnceLock<Journal>>,
    /// This core's name in transition leases.
    owner: Arc<str>,
    /// Transitions this core runs.
    running: Arc<Mutex<HashSet<String>>>,
    /// Transitions whose lease another core took: they stop here without writing more.
    lost: Arc<Mutex<HashSet<String>>>,
    /// True once the core stops: running transitions stop where they are, for another core.
    halt: Arc<watch::Sender<bool>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn later(minutes: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Power {
    /// The engine over `store`, reaching BMCs through `discovery`'s client and trust.
    pub fn new(store: Arc<dyn Store>, bus: EventBus, discovery: Discovery, locks: Locks) -> Power {
        Power {
            store,
            bus,
            discovery,
            locks,
            settings: Arc::new(OnceLock::new()),
            busy: Arc::new(Mutex::new(HashMap::new())),
            aborts: Arc::new(Mutex::new(HashSet::new())),
            bmcs: Arc::new(Mutex::new(HashMap::new())),
            global: Arc::new(OnceLock::new()),
            pending: Arc::new(Mutex::new(HashMap::new())),
            journal: Arc::new(OnceLock::new()),
            owner: uuid::Uuid::new_v4().to_string().into(),
            running: Arc::new(Mutex::new(HashSet::new())),
            lost: Arc::new(Mutex::new(HashSet::new())),
            halt: Arc::new(watch::channel(false).0),
        }
    }

    fn journal(&self) -> &Journal {
        self.journal
            .get_or_init(|| Journal::start(self.store.clone()))
    }

    fn settings(&self) -> PowerSettings {
        self.settings.get().cloned().unwrap_or_default()
    }

    fn permits(&self) -> Arc<Semaphore> {
        self.global
            .get_or_init(|| Arc::new(Semaphore::new(self.settings().concurrency.max(1))))
            .clone()
    }

    /// Sets the engine's limits, takes over the unfinished transitions no other core holds
    /// (all of them when `exclusive`) and keeps this core's leases until it halts.
    pub async fn start(&self, settings: PowerSettings) -> Result<(), ServiceError> {
        let exclusive = settings.exclusive;
        let _ = self.settings.set(settings);
        self.take_over(exclusive).await?;
        tokio::spawn(self.clone().keep_leases());
        Ok(())
    }

    /// Every transition (without tasks).
    pub async fn list(&self) -> Result<Vec<Transition>, ServiceError> {
        Ok(self.store.transitions().await?)
    }

    /// The transitions whose every node `scope` reaches, without tasks.
    pub async fn list_within(&self, scope: &Scope) -> Result<Vec<Transition>, ServiceError> {
        if scope.tenant().is_none() {
            return self.list().await;
        }
        // Two reads, whatever the number of transitions: the list, and every task's node.
        let foreign: std::collections::HashSet<String> = self
            .store
            .transition_nodes()
            .await?
            .into_iter()
            .filter(|(_, x)| !scope.allows(x))
            .map(|(id, _)| id)
            .collect();
        let mut out = self.list().await?;
        out.retain(|t| !foreign.contains(&t.id));
        Ok(out)
    }

    /// One transition with its tasks, if `scope` reaches every node it touches; for a tenant
    /// one that touches another tenant's node does not exist.
    pub async fn get_within(&self, id: &str, scope: &Scope) -> Result<Transition, ServiceError> {
        let t = self.get(id).await?;
        if scope.tenant().is_some() && !t.tasks.iter().flatten().all(|k| scope.allows(&k.xname)) {
            return Err(no_transition(&t.id));
        }
        Ok(t)
    }

    /// One transition with its tasks.
    pub async fn get(&self, id: &str) -> Result<Transition, ServiceError> {
        let id = parse_id(id)?;
        self.store
            .transition(&id)
            .await?
            .ok_or_else(|| no_transition(&id))
    }

    /// Signals a running transition to stop; PCS's answers for finished ones.
    pub async fn abort(&self, id: &str) -> Result<(), ServiceError> {
        let t = self.get(id).await?;
        match t.status {
            TransitionStatus::Completed => Err(ServiceError::BadRequest(
                "Transition is already finished and cannot be aborted.".into(),
            )),
            TransitionStatus::Aborted => Ok(()),
            _ => {
                lock(&self.aborts).insert(t.id.clone());
                self.store
                    .set_transition_status(&t.id, TransitionStatus::AbortSignaled)
                    .await?;
                self.publish(&t.id);
                Ok(())
            }
        }
    }

    fn aborted(&self, id: &str) -> bool {
        lock(&self.aborts).contains(id)
    }

    fn publish(&self, id: &str) {
        self.bus
            .publish(Event::TransitionChanged { id: id.to_string() });
    }

    /// [`Self::create`] for a caller in `scope`: a node not in inventory, or outside the
    /// tenant, is refused up front (404 naming the nodes the caller sent, the same answer for
    /// both), and nothing is created.
    pub async fn create_within(
        &self,
        body: &TransitionCreate,
        scope: &Scope,
        by: &str,
        dry_run: bool,
    ) -> Result<(Transition, Option<Vec<Value>>), ServiceError> {
        let ids: Vec<Xname> = body
            .location
            .iter()
            .filter_map(|l| Xname::parse(&l.xname).ok())
            .collect();
        if ids.len() == body.location.len() && !ids.is_empty() {
            let filter = crate::model::filter::ComponentFilter {
                ids: ids.clone(),
                ..Default::default()
            };
            let known: HashSet<Xname> = self
                .store
                .components(&filter)
                .await?
                .into_iter()
                .map(|c| c.id)
                .filter(|x| scope.allows(x.as_str()))
                .collect();
            let mut unknown: Vec<&str> = ids
                .iter()
                .filter(|x| !known.contains(*x))
                .map(Xname::as_str)
                .collect();
            if !unknown.is_empty() {
                unknown.sort_unstable();
                unknown.dedup();
                return Err(ServiceError::NotFound(format!(
                    "no such component: {}",
                    crate::model::hostlist::compress(&unknown)
                )));
            }
        }
        self.create(body, by, dry_run).await
    }

    /// Checks a request and, unless `dry_run`, stores it and starts it. A dry run answers
    /// what each node would do without touching a BMC's power.
    pub async fn create(
        &self,
        body: &TransitionCreate,
        by: &str,
        dry_run: bool,
    ) -> Result<(Transition, Option<Vec<Value>>), ServiceError> {
        let op = Operation::parse(&body.operation).map_err(ServiceError::BadRequest)?;
        let mut xnames: Vec<String> = Vec::new();
        let mut deputies: HashMap<String, String> = HashMap::new();
        let mut bad = Vec::new();
        for l in &body.location {
            match Xname::parse(&l.xname) {
                Ok(x) => {
                    let x = x.as_str().to_string();
                    if let Some(k) = l.deputy_key.as_ref().filter(|k| !k.is_empty()) {
                        deputies.insert(x.clone(), k.clone());
                    }
                    if !xnames.contains(&x) {
                        xnames.push(x);
                    }
                }
                Err(_) => bad.push(l.xname.clone()),
            }
        }
        if !bad.is_empty() {
            return Err(ServiceError::BadRequest(format!(
                "invalid xnames in location: {}",
                bad.join(" ")
            )));
        }
        let deadline = body
            .task_deadline_minutes
            .unwrap_or(DEFAULT_DEADLINE_MINUTES);
        let t = Transition {
            id: uuid::Uuid::new_v4().to_string(),
            operation: op,
            created: now_rfc3339(),
            expires: later(EXPIRE_MINUTES),
            status: TransitionStatus::New,
            counts: TaskCounts::default(),
            tasks: None,
            deadline_minutes: deadline,
            by: by.to_string(),
        };
        if dry_run {
            let mut targets = self.targets(&xnames).await;
            let plans = stream::iter(xnames.iter().cloned())
                .map(|x| {
                    let target = targets.remove(&x).unwrap_or_else(|| {
                        Err(Self::failed(
                            &x,
                            "Failed to achieve transition",
                            "Missing xname",
                        ))
                    });
                    async move { self.dry_plan(op, &x, target).await }
                })
                .buffered(32)
                .collect()
                .await;
            return Ok((t, Some(plans)));
        }
        {
            let mut busy = lock(&self.busy);
            let held: Vec<(String, String)> = xnames
                .iter()
                .filter_map(|x| busy.get(x).map(|id| (x.clone(), id.clone())))
                .collect();
            if !held.is_empty() {
                return Err(ServiceError::Conflict(held_message(&held)));
            }
            for x in &xnames {
                busy.insert(x.clone(), t.id.clone());
            }
        }
        let tasks: Vec<Task> = xnames
            .iter()
            .map(|x| Task {
                xname: x.clone(),
                status: TaskStatus::New,
                description: "Gathering data".into(),
                error: String::new(),
            })
            .collect();
        if let Err(e) = self
            .store
            .create_transition(&t, &tasks, &self.lease())
            .await
        {
            self.release(&xnames);
            return Err(e.into());
        }
        lock(&self.running).insert(t.id.clone());
        self.publish(&t.id);
        let me = self.clone();
        let run = t.clone();
        tokio::spawn(async move {
            me.run(run, tasks, deputies, HashMap::new(), Vec::new())
                .await
        });
        Ok((t, None))
    }

    fn release(&self, xnames: &[String]) {
        let mut busy = lock(&self.busy);
        for x in xnames {
            busy.remove(x);
        }
    }

    /// Reservations for the nodes with targets: a valid deputy key (the caller's reservation)
    /// stands; the others are reserved here. Nodes that cannot be reserved get a failed task,
    /// with PCS's texts. Returns the reservation keys to renew and release.
    async fn reserve(
        &self,
        targets: &mut HashMap<String, Result<Target, Task>>,
        deputies: &HashMap<String, String>,
    ) -> Vec<ReservationKeys> {
        let wanted: Vec<Xname> = targets
            .iter()
            .filter(|(_, t)| t.is_ok())
            .filter_map(|(x, _)| Xname::parse(x).ok())
            .collect();
        let offered: Vec<(Xname, String)> = wanted
            .iter()
            .filter_map(|x| deputies.get(x.as_str()).map(|k| (x.clone(), k.clone())))
            .collect();
        let valid: HashSet<Xname> = match self.locks.check(&offered).await {
            Ok(r) => r
                .success
                .iter()
                .filter_map(|s| Xname::parse(&s.id).ok())
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "cannot check deputy keys for a transition");
                HashSet::new()
            }
        };
        let mine: Vec<Xname> = wanted.into_iter().filter(|x| !valid.contains(x)).collect();
        if mine.is_empty() {
            return Vec::new();
        }
        // Why a node went without: held by another, or the reservation itself failed.
        let (granted, why) = match self
            .locks
            .reserve_ids(mine.clone(), Some(RESERVE_MINUTES), false)
            .await
        {
            Ok(r) => (
                r.success,
                "it is locked or reserved by another holder (see /hsm/v2/locks/status)".to_string(),
            ),
            Err(e) => {
                tracing::error!(error = %e, "cannot reserve components for a transition");
                (Vec::new(), format!("Error acquiring reservations: {e}"))
            }
        };
        let held: Vec<ReservationKeys> = granted
            .into_iter()
            .filter(|g| g.reservation_key.is_some())
            .collect();
        let got: HashSet<&str> = held.iter().map(|g| g.id.as_str()).collect();
        for x in mine.iter().filter(|x| !got.contains(x.as_str())) {
            let error = if deputies.contains_key(x.as_str()) {
                "Invalid deputy key and unable to reserve component"
            } else {
                "Unable to reserve component"
            };
            targets.insert(
                x.to_string(),
                Err(Self::failed(
                    x.as_str(),
                    "Failed to achieve transition",
                    format!("{error}: {why}"),
                )),
            );
        }
        held
    }

    /// Runs a transition's tasks; `resume` says where tasks a previous core left off resume,
    /// and `inherited` the reservations it held for them.
    async fn run(
        self,
        t: Transition,
        tasks: Vec<Task>,
        mut deputies: HashMap<String, String>,
        mut resume: HashMap<String, Resume>,
        inherited: Vec<ReservationKeys>,
    ) {
        // A transition taken over after an abort was signalled stays abort-signaled.
        if !self.aborted(&t.id) {
            if let Err(e) = self
                .store
                .set_transition_status(&t.id, TransitionStatus::InProgress)
                .await
            {
                tracing::error!(transition = %t.id, error = %e, "cannot start transition");
            }
        }
        self.publish(&t.id);
        let xnames: Vec<String> = tasks.iter().map(|t| t.xname.clone()).collect();
        let mut targets = self.targets(&xnames).await;
        // A previous core's reservations still standing are this core's now.
        for k in &inherited {
            deputies.insert(k.id.clone(), k.deputy_key.clone());
        }
        let mut keys = self.reserve(&mut targets, &deputies).await;
        let fresh: HashSet<String> = keys.iter().map(|k| k.id.clone()).collect();
        keys.extend(inherited.into_iter().filter(|k| !fresh.contains(&k.id)));
        if !keys.is_empty() {
            if let Err(e) = self.store.set_transition_reservations(&t.id, &keys).await {
                tracing::error!(transition = %t.id, error = %e, "cannot record reservations; a takeover will reserve again");
            }
        }
        let held: Vec<(Xname, String)> = keys
            .into_iter()
            .filter_map(|k| Some((Xname::parse(&k.id).ok()?, k.reservation_key?)))
            .collect();
        // Each node runs as its own task, so node work spreads over the runtime's threads and
        // keeps going while this loop writes task changes.
        let mut nodes = tokio::task::JoinSet::new();
        let mut names = HashMap::with_capacity(tasks.len());
        for task in tasks {
            let me = self.clone();
            let tr = t.clone();
            let target = targets.remove(&task.xname).unwrap_or_else(|| {
                Err(Self::failed(
                    &task.xname,
                    "Failed to achieve transition",
                    "Missing xname",
                ))
            });
            let xname = task.xname.clone();
            let from = resume.remove(&xname).unwrap_or(Resume::Fresh);
            let handle = nodes.spawn(async move {
                let out = match from {
                    Resume::Fresh => me.run_task(&tr, task.xname, target.clone()).await,
                    Resume::At(step) => me.resume_task(&tr, task.xname, target.clone(), step).await,
                    Resume::Known(task) => task.into(),
                };
                me.finish(&tr, out, target.ok());
            });
            names.insert(handle.id(), xname);
        }
        let mut tick = tokio::time::interval(FLUSH);
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + RENEW, RENEW);
        let mut halt = self.halt.subscribe();
        let mut halted = false;
        loop {
            tokio::select! {
                _ = takeover::halted(&mut halt) => {
                    // The core stops: the nodes stop where they are; what they did is written
                    // below and the lease handed back, so another core resumes from there.
                    nodes.abort_all();
                    halted = true;
                    break;
                }
                next = nodes.join_next() => match next {
                    None => break,
                    Some(Ok(())) => {}
                    Some(Err(e)) => {
                        // A node's task panicked: its outcome is still recorded.
                        let xname = names.get(&e.id()).cloned().unwrap_or_default();
                        tracing::error!(transition = %t.id, %xname, error = %e, "power task failed");
                        self.write_task(
                            &t.id,
                            Self::failed(&xname, "Failed to achieve transition", format!("internal error: {e}")),
                            None,
                        );
                    }
                },
                _ = tick.tick() => {
                    if lock(&self.lost).remove(&t.id) {
                        nodes.abort_all();
                        lock(&self.pending).remove(&t.id);
                        lock(&self.running).remove(&t.id);
                        self.release(&xnames);
                        return;
                    }
                    self.flush(&t.id).await
                }
                _ = renew.tick(), if !held.is_empty() => {
                    if let Err(e) = self.locks.by_key(held.clone(), Some(RESERVE_MINUTES), false).await {
                        tracing::error!(transition = %t.id, error = %e, "cannot renew reservations");
                    }
                }
            }
        }
        if !held.is_empty() {
            if let Err(e) = self.locks.by_key(held, None, false).await {
                tracing::error!(transition = %t.id, error = %e, "cannot release reservations");
            }
        }
        // The last writes must land before the transition says it ended.
        for _ in 0..20 {
            self.flush(&t.id).await;
            if lock(&self.pending).get(&t.id).is_none_or(|m| m.is_empty()) {
                break;
            }
            tokio::time::sleep(FLUSH).await;
        }
        if halted {
            self.hand_back(&t.id).await;
            lock(&self.aborts).remove(&t.id);
            lock(&self.pending).remove(&t.id);
            self.release(&xnames);
            lock(&self.running).remove(&t.id);
            return;
        }
        let end = if self.aborted(&t.id) {
            TransitionStatus::Aborted
        } else {
            TransitionStatus::Completed
        };
        if let Err(e) = self.store.set_transition_status(&t.id, end).await {
            tracing::error!(transition = %t.id, error = %e, "cannot finish transition");
        }
        lock(&self.aborts).remove(&t.id);
        lock(&self.pending).remove(&t.id);
        self.release(&xnames);
        lock(&self.running).remove(&t.id);
        self.publish(&t.id);
    }

    /// Queues a task change, with the inventory state it leaves; the running transition
    /// writes the queue every [`FLUSH`] and before it ends.
    fn write_task(&self, id: &str, task: Task, state: Option<State>) {
        lock(&self.pending)
            .entry(id.to_string())
            .or_default()
            .insert(task.xname.clone(), (task, state));
    }

    /// Records how a node's task ended. Inventory follows what the node's BMC reports: the
    /// operation's state when it succeeded, the state last seen when it did not, and, when an
    /// action was sent whose effect was not seen yet, the BMC for a while after.
    fn finish(&self, t: &Transition, out: Outcome, target: Option<Target>) {
        let state = if out.task.status == TaskStatus::Succeeded {
            Some(match t.operation {
                Operation::ForceOff | Operation::Off | Operation::SoftOff => State::Off,
                _ => State::On,
            })
        } else {
            out.power.and_then(inventory_state)
        };
        if let (Some(action), Some(target)) = (out.in_flight, target) {
            tokio::spawn(
                self.clone()
                    .follow(t.clone(), out.task.xname.clone(), target, action),
            );
        }
        self.write_task(&t.id, out.task, state);
    }

    /// After a task ended with `action` sent but not seen done: reads the node's power state
    /// every poll until it reaches the action's state, another transition takes the node, or
    /// the step's deadline (at least the default) passes, writing each change to inventory.
    async fn follow(self, t: Transition, xname: String, target: Target, action: Action) {
        let Ok(id) = Xname::parse(&xname) else {
            return;
        };
        let minutes = t.deadline_minutes.max(DEFAULT_DEADLINE_MINUTES) as u64;
        let until = tokio::time::Instant::now() + Duration::from_secs(minutes * 60);
        let poll = self.settings().poll;
        let mut last = None;
        while tokio::time::Instant::now() < until {
            if lock(&self.busy)
                .get(&xname)
                .is_some_and(|other| *other != t.id)
            {
                return;
            }
            if let Ok(s) = self.power_of(&target).await {
                if let Some(state) = inventory_state(s).filter(|st| last != Some(*st)) {
                    last = Some(state);
                    self.record_states(&t.id, std::slice::from_ref(&id), state)
                        .await;
                }
                if s == action.target() {
                    return;
                }
            }
            tokio::time::sleep(poll).await;
        }
    }

    async fn record_states(&self, id: &str, nodes: &[Xname], state: State) {
        let change = ComponentChange::State {
            state,
            flag: Flag::Ok,
        };
        match self.store.update_components(nodes, &change, None).await {
            Ok(changed) if !changed.is_empty() => self
                .bus
                .publish(Event::ComponentStatesChanged { ids: changed }),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(transition = %id, error = %e, "power states not recorded in inventory")
            }
        }
    }

    async fn flush(&self, id: &str) {
        let written: Vec<(Task, Option<State>)> = match lock(&self.pending).get_mut(id) {
            Some(m) if !m.is_empty() => m.drain().map(|(_, t)| t).collect(),
            _ => return,
        };
        let tasks: Vec<Task> = written.iter().map(|(t, _)| t.clone()).collect();
        if let Err(e) = self.store.update_tasks(id, &tasks).await {
            tracing::error!(transition = %id, tasks = tasks.len(), error = %e, "cannot record tasks; will retry");
            // Put them back unless a newer change for the same node came in meanwhile.
            let mut pending = lock(&self.pending);
            let m = pending.entry(id.to_string()).or_default();
            for w in written {
                m.entry(w.0.xname.clone()).or_insert(w);
            }
            return;
        }
        self.publish(id);
        // Inventory follows: nodes whose task ended are now On or Off.
        for state in [State::On, State::Off] {
            let nodes: Vec<Xname> = written
                .iter()
                .filter(|(_, s)| *s == Some(state))
                .filter_map(|(t, _)| Xname::parse(&t.xname).ok())
                .collect();
            if !nodes.is_empty() {
                self.record_states(id, &nodes, state).await;
            }
        }
    }

    fn failed(xname: &str, description: impl Into<String>, error: impl Into<String>) -> Task {
        Task {
            xname: xname.to_string(),
            status: TaskStatus::Failed,
            description: description.into(),
            error: error.into(),
        }
    }

    /// Where each node's system is and how to reach its BMC (or the failed task saying why),
    /// read in bulk: three queries for any number of nodes, one credential lookup per BMC.
    /// How to reach the BMCs behind these component endpoints, read in bulk; a BMC whose
    /// endpoint cannot be read maps to the reason.
    async fn bmc_endpoints<'a>(
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

    async fn targets(&self, xnames: &[String]) -> HashMap<String, Result<Target, Task>> {
        let mut out: HashMap<String, Result<Target, Task>> = HashMap::new();
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

    /// The right to call a BMC: one call at a time per BMC, within the global limit. The BMC
    /// first, so a call queued behind another to the same BMC holds no permit.
    async fn slot(
        &self,
        bmc: &Xname,
    ) -> (
        tokio::sync::OwnedMutexGuard<()>,
        Option<tokio::sync::OwnedSemaphorePermit>,
    ) {
        let one = lock(&self.bmcs).entry(bmc.clone()).or_default().clone();
        let one = one.lock_owned().await;
        (one, self.permits().acquire_owned().await.ok())
    }

    /// One Redfish call that may be repeated (a read) in a [`Self::slot`], retried with
    /// backoff on transient errors.
    async fn call<T, F, Fut>(&self, target: &Target, f: F) -> Result<T, RedfishError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, RedfishError>>,
    {
        let backoff = self.settings().backoff;
        let mut attempt = 0;
        loop {
            let result = {
                let _slot = self.slot(&target.bmc).await;
                f().await
            };
            match result {
                Err(e) if e.is_transient() && attempt + 1 < ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(backoff * 2u32.pow(attempt - 1)).await;
                }
                other => return other,
            }
        }
    }

    async fn power_of(&self, target: &Target) -> Result<PowerState, RedfishError> {
        let client = self.discovery.client().clone();
        self.call(target, || {
            client.power_state(&target.endpoint, &target.system)
        })
        .await
    }

    async fn dry_plan(&self, op: Operation, xname: &str, target: Result<Target, Task>) -> Value {
        let target = match target {
            Ok(tg) => tg,
            Err(task) => {
                return json!({"xname": xname, "wouldDo": [], "taskStatus": task.status, "error": task.error})
            }
        };
        if !supported_transitions(&target.allowable).contains(&op) {
            return json!({"xname": xname, "wouldDo": [], "taskStatus": "unsupported",
                          "error": "Unsupported for transition operation"});
        }
        let state = match self.power_of(&target).await {
            Ok(s) => s,
            Err(e) => {
                return json!({"xname": xname, "wouldDo": [], "taskStatus": "failed",
                                    "error": format!("cannot read power state: {e}")})
            }
        };
        match plan(op, state, &target.allowable) {
            Plan::Done(why) => {
                json!({"xname": xname, "powerState": format!("{state:?}"), "wouldDo": [], "taskStatus": "succeeded", "description": why})
            }
            Plan::Fail { description, error } => {
                json!({"xname": xname, "powerState": format!("{state:?}"), "wouldDo": [], "taskStatus": "failed", "description": description, "error": error})
            }
            Plan::Steps(steps) => json!({
                "xname": xname, "powerState": format!("{state:?}"),
                "wouldDo": steps.iter().map(|a| json!({"action": a.name(),
                    "resetType": reset_type(*a, &target.allowable)})).collect::<Vec<_>>(),
                "bmc": target.bmc.as_str(), "resetTarget": target.reset,
            }),
        }
    }

    /// Live power status of nodes (all nodes with a component endpoint when `xnames` is
    /// empty), read from their BMCs.
    /// For a tenant (`scope`) only its nodes exist: others are listed as unknown ones are.
    pub async fn status(
        &self,
        xnames: &[String],
        scope: &Scope,
    ) -> Result<Vec<Value>, ServiceError> {
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
            for x in xnames {
                match Xname::parse(x) {
                    Ok(id) if !out.contains(&id.as_str().to_string()) => {
                        out.push(id.as_str().to_string())
                    }
                    Ok(_) => {}
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
                let target = targets.remove(&x).unwrap_or_else(|| {
                    Err(Self::failed(&x, "Failed to achieve transition", "Missing xname"))
                });
                async move {
                match target {
                    Err(task) => json!({"xname": x, "powerState": "", "managementState": "",
                        "error": if task.error == "Missing xname" { "Component not found in component map.".to_string() } else { task.error },
                        "supportedPowerTransitions": [], "lastUpdated": ""}),
                    Ok(tg) => {
                        let supported: Vec<&str> = supported_transitions(&tg.allowable).iter().map(|o| o.as_str()).collect();
                        let (power, mgmt, error) = match self.power_of(&tg).await {
                            Ok(PowerState::On | PowerState::PoweringOff) => ("on", "available", String::new()),
                            Ok(PowerState::Off | PowerState::PoweringOn) => ("off", "available", String::new()),
                            Ok(PowerState::Unknown) => ("undefined", "available", String::new()),
                            Err(e) => ("undefined", "unavailable", e.to_string()),
                        };
                        json!({"xname": x, "powerState": power, "managementState": mgmt, "error": error,
                               "supportedPowerTransitions": supported, "lastUpdated": now_rfc3339()})
                    }
                }
                }
            })
            .buffered(64)
            .collect()
            .await)
    }
}

/// The inventory state a Redfish power state stands for, if any.
fn inventory_state(s: PowerState) -> Option<State> {
    match s {
        PowerState::On | PowerState::PoweringOff => Some(State::On),
        PowerState::Off | PowerState::PoweringOn => Some(State::Off),
        PowerState::Unknown => None,
    }
}

fn last_action_name(op: Operation) -> &'static str {
    match op {
        Operation::ForceOff => "forceoff",
        Operation::Off | Operation::SoftOff => "gracefulshutdown",
        Operation::SoftRestart => "gracefulrestart",
        _ => "on",
    }
}

fn no_transition(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("transition {id} does not exist"))
}

/// A transition ID as PCS reads it; PCS's parser texts for bad ones.
fn parse_id(raw: &str) -> Result<String, ServiceError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|e| ServiceError::BadRequest(format!("invalid transition ID '{raw}': {e}")))
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
