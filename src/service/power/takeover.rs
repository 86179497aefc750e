//! Transitions outlive the core that runs them: each is leased to its core, which renews the
//! lease while it runs. A core that stops hands its leases back; one that dies lets them run
//! out. Either way another core (a replica, or this one restarted) claims the transition and
//! resumes each open task from its node's step record, written before every reset: a node
//! with no record was sent nothing and runs from the start; one whose reset was being sent
//! or was sent is confirmed from its power state and goes on from there; one whose step was
//! confirmed goes on with the next. A transition left unattended for longer than its step
//! deadline (its lease ended that long ago: the core was down that long) is not resumed at
//! all: its open tasks fail with the reason, so nodes are not acted on long after anyone
//! asked.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::watch;

use super::Power;
use crate::model::locks::now_unix;
use crate::model::power::{Step, Task, TransitionStatus};
use crate::service::ServiceError;
use crate::store::Lease;

/// How often leases are renewed and ended leases looked for, at most (a third of a short
/// lease otherwise).
const LEASE_TICK: Duration = Duration::from_secs(5);

/// Where an open task resumes after a takeover.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resume {
    /// Nothing reached the BMC yet: run the task from the start.
    Fresh,
    /// Resume from the node's step record.
    At(Step),
    /// Settled without touching the node.
    Known(Task),
}

/// Whether a transition whose lease ended at `lease_end` (unix seconds) has gone unattended
/// too long to resume at `now`: longer than its step deadline (at least the default).
pub(super) fn too_late(lease_end: i64, deadline_minutes: i64, now: i64) -> bool {
    let limit = deadline_minutes.max(super::DEFAULT_DEADLINE_MINUTES);
    now.saturating_sub(lease_end) > limit * 60
}

/// Where an open `task` resumes, from its node's step record. Without one nothing was sent,
/// unless the task says it was confirming a step (written by a core from before step
/// records): that one is not acted on again.
pub(super) fn resume_point(task: &Task, step: Option<Step>) -> Resume {
    if let Some(step) = step {
        return Resume::At(step);
    }
    if task
        .description
        .starts_with("Confirming successful transition")
    {
        return Resume::Known(Power::failed(
            &task.xname,
            format!(
                "Interrupted: the core running this transition stopped while: {}",
                task.description
            ),
            "Not repeated by the core that took the transition over, so the node is not acted \
             on twice; check its power state",
        ));
    }
    Resume::Fresh
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
            self.reg.signal_abort(&t.id);
        }
        let late = too_late(lease_end, t.deadline_minutes, now_unix());
        let mut steps: HashMap<String, Step> = self
            .store
            .transition_steps(&t.id)
            .await?
            .into_iter()
            .map(|s| (s.xname.clone(), s))
            .collect();
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
                    resume_point(k, steps.remove(&k.xname))
                };
                (k.xname.clone(), at)
            })
            .collect();
        let names: Vec<String> = open.iter().map(|k| k.xname.clone()).collect();
        for (xname, other) in self.reg.hold_free(&t.id, &names) {
            let why = format!("the node is in transition {other}, run here");
            let failed = Power::failed(&xname, "Failed to achieve transition", why);
            from.insert(xname, Resume::Known(failed));
        }
        let inherited = self.store.transition_reservations(&t.id).await?;
        self.reg.started(&t.id);
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
            let ids: Vec<String> = self.reg.running();
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
                self.reg.signal_abort(id);
            }
        }
        for id in asked.iter().filter(|id| !kept.contains(id.as_str())) {
            tracing::error!(transition = %id, "lost the lease: another core took this transition over; stopping it here");
            self.reg.lose(id);
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
            if self.reg.idle() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::warn!("transitions still writing at shutdown; their leases run out by themselves");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::power::TaskStatus;

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
    fn open_tasks_resume_from_their_step_record() {
        // No record: nothing was sent, whatever the description says it was about to do.
        for desc in ["Gathering data", "Applying transition, gracefulshutdown"] {
            let k = task(TaskStatus::InProgress, desc);
            assert_eq!(resume_point(&k, None), Resume::Fresh, "{desc}");
        }
        let step = Step {
            xname: "x1000c0s0b0n0".into(),
            plan: vec!["gracefulshutdown".into(), "on".into()],
            index: 1,
            action: "on".into(),
            phase: crate::model::power::Phase::Sending,
        };
        let k = task(TaskStatus::InProgress, "Applying transition, on");
        assert_eq!(
            resume_point(&k, Some(step.clone())),
            Resume::At(step.clone())
        );
        // Confirming without a record: left by a core from before step records.
        let old = task(
            TaskStatus::InProgress,
            "Confirming successful transition, gracefulshutdown",
        );
        let Resume::Known(k) = resume_point(&old, None) else {
            panic!("a step confirming without a record must not run again");
        };
        assert_eq!(k.status, TaskStatus::Failed);
        assert!(k.error.contains("check its power state"), "{k:?}");
    }
}
