//! The power engine (PCS): transitions are stored before any BMC is touched, nodes in a running
//! transition are locked, work runs with bounded global concurrency and one request in flight
//! per BMC, transient BMC errors are retried with backoff, and every outcome is written per
//! task in PCS's words. Inventory `State` follows (On/Off). Each running transition is leased
//! to the core running it; another core takes over one whose lease ends ([`takeover`]).

mod caps;
mod journal;
mod plan;
mod registry;
mod status;
mod steps;
mod takeover;
mod targets;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use tokio::sync::{watch, Semaphore};

use super::discovery::Discovery;
use super::events::{Event, EventBus};
use super::locks::Locks;
use super::scn::Scn;
use super::scope::Scope;
use super::ServiceError;
use crate::model::component::ComponentChange;
use crate::model::enums::{Flag, State};
use crate::model::ethernet::now_rfc3339;
use crate::model::locks::ReservationKeys;
use crate::model::power::{
    held_message, Operation, PlannedTask, Task, TaskCounts, TaskStatus, Transition,
    TransitionCreate, TransitionStatus,
};
use crate::model::scn::ScnPayload;
use crate::model::xname::Xname;
use crate::redfish::client::{PowerState, RedfishError};
use crate::store::Store;

use journal::Journal;
use plan::{inventory_state, Action};
use registry::Registry;
use steps::Outcome;
use takeover::Resume;
use targets::Target;

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

/// The power engine.
#[derive(Clone)]
pub struct Power {
    store: Arc<dyn Store>,
    bus: EventBus,
    discovery: Discovery,
    locks: Locks,
    /// Where state changes are notified.
    scn: Scn,
    settings: Arc<PowerSettings>,
    /// Redfish calls in flight at once, across all BMCs.
    permits: Arc<Semaphore>,
    /// Which node each transition holds, aborts, BMC slots, unwritten task changes.
    reg: Arc<Registry>,
    /// Each node's step records (started on first use).
    journal: Arc<OnceLock<Journal>>,
    /// This core's name in transition leases.
    owner: Arc<str>,
    /// True once the core stops: running transitions stop where they are, for another core.
    halt: Arc<watch::Sender<bool>>,
}

fn later(minutes: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Power {
    /// The engine over `store`, reaching BMCs through `discovery`'s client and trust, with
    /// its limits; [`Self::start`] sets it going.
    pub fn new(
        store: Arc<dyn Store>,
        bus: EventBus,
        discovery: Discovery,
        locks: Locks,
        scn: Scn,
        settings: PowerSettings,
    ) -> Power {
        Power {
            store,
            bus,
            discovery,
            locks,
            scn,
            permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            settings: Arc::new(settings),
            reg: Arc::new(Registry::default()),
            journal: Arc::new(OnceLock::new()),
            owner: uuid::Uuid::new_v4().to_string().into(),
            halt: Arc::new(watch::channel(false).0),
        }
    }

    fn journal(&self) -> &Journal {
        self.journal
            .get_or_init(|| Journal::start(self.store.clone()))
    }

    fn settings(&self) -> &PowerSettings {
        &self.settings
    }

    /// Takes over the unfinished transitions no other core holds (all of them when the
    /// settings say this core is alone) and keeps this core's leases until it halts.
    pub async fn start(&self) -> Result<(), ServiceError> {
        self.take_over(self.settings.exclusive).await?;
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
                self.reg.signal_abort(&t.id);
                self.store
                    .set_transition_status(&t.id, TransitionStatus::AbortSignaled)
                    .await?;
                self.publish(&t.id);
                Ok(())
            }
        }
    }

    fn aborted(&self, id: &str) -> bool {
        self.reg.aborted(id)
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
    ) -> Result<(Transition, Option<Vec<PlannedTask>>), ServiceError> {
        let ids: Vec<Xname> = body
            .location
            .iter()
            .filter_map(|l| Xname::parse(&l.xname).ok())
            .collect();
        // The names that parse must be known and within the scope; one that does not parse
        // names no node and becomes a failed task, as PCS does.
        if !ids.is_empty() {
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

    /// Checks a request and, unless `dry_run`, stores it and starts it, answering the stored
    /// record with its new tasks. A dry run answers what each node would do without touching
    /// a BMC's power.
    pub async fn create(
        &self,
        body: &TransitionCreate,
        by: &str,
        dry_run: bool,
    ) -> Result<(Transition, Option<Vec<PlannedTask>>), ServiceError> {
        let op = Operation::parse(&body.operation).map_err(ServiceError::BadRequest)?;
        let mut xnames: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut deputies: HashMap<String, String> = HashMap::new();
        for l in &body.location {
            // A name that does not parse is kept as sent: its task fails "Invalid xname".
            let x = match Xname::parse(&l.xname) {
                Ok(x) => x.as_str().to_string(),
                Err(_) => l.xname.clone(),
            };
            if let Some(k) = l.deputy_key.as_ref().filter(|k| !k.is_empty()) {
                deputies.insert(x.clone(), k.clone());
            }
            if seen.insert(x.clone()) {
                xnames.push(x);
            }
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
                    let target = targets::take(&mut targets, &x);
                    async move { self.dry_plan(op, &x, target).await }
                })
                .buffered(32)
                .collect()
                .await;
            return Ok((t, Some(plans)));
        }
        if let Err(held) = self.reg.hold_all(&t.id, &xnames) {
            return Err(ServiceError::Conflict(held_message(&held)));
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
        self.reg.started(&t.id);
        self.publish(&t.id);
        let me = self.clone();
        let run = t.clone();
        // The answer is the record as stored: every task new.
        let mut created = t;
        created.counts = TaskCounts::of(&tasks);
        created.tasks = Some(tasks.clone());
        tokio::spawn(async move {
            me.run(run, tasks, deputies, HashMap::new(), Vec::new())
                .await
        });
        Ok((created, None))
    }

    fn release(&self, xnames: &[String]) {
        self.reg.release(xnames);
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
            let target = targets::take(&mut targets, &task.xname);
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
                    if self.reg.take_lost(&t.id) {
                        nodes.abort_all();
                        self.reg.forget(&t.id, &xnames);
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
            if self.reg.all_written(&t.id) {
                break;
            }
            tokio::time::sleep(FLUSH).await;
        }
        if halted {
            self.hand_back(&t.id).await;
            self.reg.forget(&t.id, &xnames);
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
        self.reg.forget(&t.id, &xnames);
        self.publish(&t.id);
    }

    /// Queues a task change, with the inventory state it leaves; the running transition
    /// writes the queue every [`FLUSH`] and before it ends.
    fn write_task(&self, id: &str, task: Task, state: Option<State>) {
        self.reg.queue(id, (task, state));
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
            if self.reg.held_by_other(&xname, &t.id) {
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
            Ok(changed) if !changed.is_empty() => {
                if let Some(p) = ScnPayload::of_change(&changed, &change) {
                    self.scn.notify(p);
                }
                self.bus
                    .publish(Event::ComponentStatesChanged { ids: changed })
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(transition = %id, error = %e, "power states not recorded in inventory")
            }
        }
    }

    async fn flush(&self, id: &str) {
        let written = self.reg.take_queued(id);
        if written.is_empty() {
            return;
        }
        let tasks: Vec<Task> = written.iter().map(|(t, _)| t.clone()).collect();
        if let Err(e) = self.store.update_tasks(id, &tasks).await {
            tracing::error!(transition = %id, tasks = tasks.len(), error = %e, "cannot record tasks; will retry");
            self.reg.requeue(id, written);
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

    /// The right to call a BMC: one call at a time per BMC, within the global limit. The BMC
    /// first, so a call queued behind another to the same BMC holds no permit.
    async fn slot(
        &self,
        bmc: &Xname,
    ) -> (
        tokio::sync::OwnedMutexGuard<()>,
        Option<tokio::sync::OwnedSemaphorePermit>,
    ) {
        let one = self.reg.bmc(bmc).lock_owned().await;
        (one, self.permits.clone().acquire_owned().await.ok())
    }

    /// One Redfish call that may be repeated (a read) in a [`Self::slot`], retried with
    /// backoff on transient errors.
    async fn call<T, F, Fut>(&self, bmc: &Xname, f: F) -> Result<T, RedfishError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, RedfishError>>,
    {
        let backoff = self.settings().backoff;
        let mut attempt = 0;
        loop {
            let result = {
                let _slot = self.slot(bmc).await;
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
        self.call(&target.bmc, || {
            client.power_state(&target.endpoint, &target.system)
        })
        .await
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
