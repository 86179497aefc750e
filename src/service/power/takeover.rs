//! Transitions outlive the core that runs them: each is leased to its core, which renews the
//! lease while it runs. A core that stops hands its leases back; one that dies lets them run
//! out. Either way another core (a replica, or this one restarted) claims the transition and
//! resumes its open tasks from where they were written: a node not yet touched starts over, a
//! node whose power change was being confirmed is confirmed, and a node caught in the middle
//! of a restart fails with the reason rather than being restarted twice. A transition left
//! unattended for longer than its step deadline (its lease ended that long ago: the core was
//! down that long) is not resumed at all: its open tasks fail with the reason, so nodes are not
//! acted on long after anyone asked.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::watch;

use super::{last_action_name, lock, Action, Power, Target};
use crate::model::locks::now_unix;
use crate::model::power::{Operation, Task, TaskStatus, Transition, TransitionStatus};
use crate::service::ServiceError;
use crate::store::Lease;

/// How often leases are renewed and ended leases looked for, at most (a third of a short
/// lease otherwise).
const LEASE_TICK: Duration = Duration::from_secs(5);

/// Where an open task resumes after a takeover.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resume {
    /// Nothing reached the BMC yet (or repeating is harmless): run the task from the start.
    Fresh,
    /// The action was sent: wait for the node to reach its state.
    Confirm(Action),
    /// Settled without touching the node.
    Known(Task),
}

/// Whether a transition whose lease ended at `lease_end` (unix seconds) has gone unattended
/// too long to resume at `now`: longer than its step deadline (at least the default).
pub(super) fn too_late(lease_end: i64, deadline_minutes: i64, now: i64) -> bool {
    let limit = deadline_minutes.max(super::DEFAULT_DEADLINE_MINUTES);
    now.saturating_sub(lease_end) > limit * 60
}

/// Where `task` of an `op` transition resumes, from the description its last core wrote.
pub(super) fn resume_point(op: Operation, task: &Task) -> Resume {
    let desc = task.description.as_str();
    if task.status == TaskStatus::New || desc == "Gathering data" {
        return Resume::Fresh;
    }
    // Operations that only drive a node to one state: planning again from the node's state
    // cannot apply the change twice in effect.
    let one_state = matches!(
        op,
        Operation::On | Operation::Off | Operation::SoftOff | Operation::ForceOff
    );
    if one_state {
        if let Some(action) = desc
            .strip_prefix("Confirming successful transition, ")
            .and_then(Action::named)
        {
            return Resume::Confirm(action);
        }
        if desc.starts_with("Applying transition, ") {
            return Resume::Fresh;
        }
    }
    Resume::Known(Power::failed(
        &task.xname,
        format!("Interrupted: the core running this transition stopped while: {desc}"),
        "Not repeated by the core that took the transition over, so the node is not acted on \
         twice; check its power state",
    ))
}

/// Resolves once `halt` is true.
pub(super) async fn halted(halt: &mut watch::Receiver<bool>) {
    let _ = halt.wait_for(|h| *h).await;
}

impl Power {
    /// A lease for this core from now.
    pub(super) fn lease(&self) -> Lease {
        Lease {
            owner: self.owner.to_string(),
            until: now_unix() + self.settings().lease.as_secs() as i64,
        }
    }

    /// Claims the unfinished transitions whose lease ended (every one when `all`) and
    /// resumes them.
    pub(super) async fn take_over(&self, all: bool) -> Result<(), ServiceError> {
        let now = if all { i64::MAX } else { now_unix() };
        let claimed = self.store.claim_transitions(&self.lease(), now).await?;
        for (id, lease_end) in claimed {
            if let Err(e) = self.resume(&id, lease_end).await {
                tracing::error!(transition = %id, error = %e, "cannot resume a transition taken over");
            }
        }
        Ok(())
    }

    async fn resume(&self, id: &str, lease_end: i64) -> Result<(), ServiceError> {
        let Some(mut t) = self.store.transition(id).await? else {
            return Ok(());
        };
        let open: Vec<Task> = t
            .tasks
            .take()
            .unwrap_or_default()
            .into_iter()
            .filter(|k| !k.status.is_final())
            .collect();
        if t.status == TransitionStatus::AbortSignaled {
            lock(&self.aborts).insert(t.id.clone());
        }
        let late = too_late(lease_end, t.deadline_minutes, now_unix());
        let mut from: HashMap<String, Resume> = open
            .iter()
            .map(|k| {
                let at = if late {
                    Resume::Known(Power::failed(
                        &k.xname,
                        format!(
                            "Interrupted: the core running this transition stopped while: {}",
                            k.description
                        ),
                        "Not resumed: the transition was left unattended for longer than its \
                         deadline; check the node's power state",
                    ))
                } else {
                    resume_point(t.operation, k)
                };
                (k.xname.clone(), at)
            })
            .collect();
        {
            let mut busy = lock(&self.busy);
            for k in &open {
                match busy.get(&k.xname) {
                    Some(other) if *other != t.id => {
                        let why = format!("the node is in transition {other}, run here");
                        from.insert(
                            k.xname.clone(),
                            Resume::Known(Power::failed(
                                &k.xname,
                                "Failed to achieve transition",
                                why,
                            )),
                        );
                    }
                    _ => {
                        busy.insert(k.xname.clone(), t.id.clone());
                    }
                }
            }
        }
        let inherited = self.store.transition_reservations(&t.id).await?;
        lock(&self.running).insert(t.id.clone());
        tracing::warn!(transition = %t.id, open = open.len(), "took over an unfinished transition");
        tokio::spawn(self.clone().run(t, open, HashMap::new(), from, inherited));
        Ok(())
    }

    /// Renews this core's leases and takes over transitions whose lease ended, until halted.
    pub(super) async fn keep_leases(self) {
        let mut halt = self.halt.subscribe();
        let mut tick = tokio::time::interval(LEASE_TICK.min(self.settings().lease / 3));
        loop {
            tokio::select! {
                _ = halted(&mut halt) => return,
                _ = tick.tick() => {}
            }
            let ids: Vec<String> = lock(&self.running).iter().cloned().collect();
            if !ids.is_empty() {
                match self.store.renew_transitions(&self.lease(), &ids).await {
                    Ok(held) => self.note_renewal(&ids, &held),
                    Err(e) => tracing::warn!(error = %e, "cannot renew transition leases"),
                }
            }
            if let Err(e) = self.take_over(false).await {
                tracing::warn!(error = %e, "cannot look for transitions to take over");
            }
        }
    }

    /// Aborts signalled through another core reach the tasks here; a lease lost (this core
    /// could not renew it in time and another took the transition) is reported.
    fn note_renewal(&self, asked: &[String], held: &[(String, TransitionStatus)]) {
        let kept: HashSet<&str> = held.iter().map(|(id, _)| id.as_str()).collect();
        for (id, status) in held {
            if *status == TransitionStatus::AbortSignaled {
                lock(&self.aborts).insert(id.clone());
            }
        }
        for id in asked.iter().filter(|id| !kept.contains(id.as_str())) {
            tracing::error!(transition = %id, "lost the lease: another core took this transition over; stopping it here");
            lock(&self.lost).insert(id.clone());
        }
    }

    /// Ends this core's lease on a transition it stopped running, so another core claims it
    /// at once (and knows since when it is unattended).
    pub(super) async fn hand_back(&self, id: &str) {
        let ended = Lease {
            owner: self.owner.to_string(),
            until: now_unix() - 1,
        };
        if let Err(e) = self
            .store
            .renew_transitions(&ended, &[id.to_string()])
            .await
        {
            tracing::warn!(transition = %id, error = %e, "cannot hand the lease back; it runs out by itself");
        }
    }

    /// Stops every running transition where it is, for another core to resume, and waits
    /// (up to 5 s) until each has written its tasks.
    pub async fn halt(&self) {
        let _ = self.halt.send(true);
        for _ in 0..100 {
            if lock(&self.running).is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::warn!("transitions still writing at shutdown; their leases run out by themselves");
    }

    /// A task resumed after its action was sent: waits for the node's state.
    pub(super) async fn confirm_only(
        &self,
        t: &Transition,
        xname: String,
        target: Result<Target, Task>,
        action: Action,
    ) -> Task {
        let target = match target {
            Ok(tg) => tg,
            Err(task) => return task,
        };
        match self.confirm(t, &target, action).await {
            Ok(()) => Task {
                xname,
                status: TaskStatus::Succeeded,
                description: format!("Transition confirmed, {}", last_action_name(t.operation)),
                error: String::new(),
            },
            Err(Some(e)) => Power::failed(&xname, "Failed to confirm transition", e.to_string()),
            Err(None) if self.aborted(&t.id) => Power::failed(
                &xname,
                format!(
                    "Aborted. Last status - Confirming successful transition, {}",
                    action.name()
                ),
                "Transition aborted",
            ),
            Err(None) => Power::failed(
                &xname,
                "Failed to achieve transition",
                format!("Timeout waiting for transition, {}.", action.name()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(status: TaskStatus, description: &str) -> Task {
        Task {
            xname: "x1000c0s0b0n0".into(),
            status,
            description: description.into(),
            error: String::new(),
        }
    }

    #[test]
    fn a_transition_unattended_past_its_deadline_is_not_resumed() {
        let now = 1_000_000;
        assert!(!too_late(now - 4 * 60, 5, now));
        assert!(too_late(now - 6 * 60, 5, now));
        // A deadline under the default still gets the default; a longer one its own.
        assert!(!too_late(now - 4 * 60, 0, now));
        assert!(!too_late(now - 60 * 60, 90, now));
        // A lease that has not ended yet (a stolen one, at start) is never late.
        assert!(!too_late(now + 60, 5, now));
    }

    #[test]
    fn open_tasks_resume_where_they_were_left() {
        let fresh = task(TaskStatus::New, "Gathering data");
        assert_eq!(resume_point(Operation::Init, &fresh), Resume::Fresh);
        let confirming = task(
            TaskStatus::InProgress,
            "Confirming successful transition, on",
        );
        assert_eq!(
            resume_point(Operation::On, &confirming),
            Resume::Confirm(Action::On)
        );
        let applying = task(TaskStatus::InProgress, "Applying transition, forceoff");
        assert_eq!(resume_point(Operation::ForceOff, &applying), Resume::Fresh);
        // A restart caught mid-way is not restarted again.
        let restarting = task(
            TaskStatus::InProgress,
            "Confirming successful transition, forceoff",
        );
        let Resume::Known(k) = resume_point(Operation::HardRestart, &restarting) else {
            panic!("a restart mid-way must not resume");
        };
        assert_eq!(k.status, TaskStatus::Failed);
        assert!(k.description.contains("stopped while: Confirming"), "{k:?}");
        assert!(k.error.contains("check its power state"), "{k:?}");
    }
}
