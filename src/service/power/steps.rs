//! One node's part of a transition: read its power state, plan, and run the plan's steps.
//!
//! A reset is never sent twice blind. Before it is sent, the node's step is stored (and the
//! send waits for that), so a core taking the transition over knows what the node was sent.
//! Only a failure that proves the BMC did not act (no connection, 503 busy) is retried; after
//! any other (no answer in time, a connection broken mid-exchange, a 5xx), the node's power
//! state decides: the step is confirmed from it, or the task fails saying why, without
//! sending the reset again.

use std::time::Duration;

use super::plan::{last_action_name, plan, reset_type, Action, Plan};
use super::targets::Target;
use super::Power;
use crate::model::power::{
    supported_transitions, Operation, Phase, Step, Task, TaskStatus, Transition,
};
use crate::redfish::client::{ErrorKind, PowerState, RedfishError};

/// How a node's task ended.
#[derive(Debug)]
pub(super) struct Outcome {
    pub(super) task: Task,
    /// The node's power state as last known, when the task ended without reaching its goal.
    pub(super) power: Option<PowerState>,
    /// An action sent whose effect was not seen yet: inventory follows the BMC for a while.
    pub(super) in_flight: Option<Action>,
}

impl From<Task> for Outcome {
    fn from(task: Task) -> Outcome {
        Outcome {
            task,
            power: None,
            in_flight: None,
        }
    }
}

/// Why a reset was not sent or not answered.
enum SendError {
    /// The step could not be stored first, so nothing was sent.
    NotRecorded(String),
    /// The BMC's failure.
    Bmc(RedfishError),
}

/// Where a resumed step stands.
#[derive(Debug, Clone, Copy)]
enum Known {
    /// Maybe sent: the power state decides.
    Sending(Action),
    /// The BMC accepted it: confirm it.
    Answered(Action),
}

fn seconds(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn power_word(s: PowerState) -> &'static str {
    match s {
        PowerState::On => "On",
        PowerState::Off => "Off",
        PowerState::PoweringOn => "PoweringOn",
        PowerState::PoweringOff => "PoweringOff",
        PowerState::Unknown => "unknown",
    }
}

/// What a failed reset leaves unknown, in words: "no answer in 3 s", "connection broke ...".
fn doubt(e: &RedfishError, timeout: Duration) -> String {
    match e.kind {
        ErrorKind::Timeout => format!("no answer in {}", seconds(timeout)),
        _ => e.message.clone(),
    }
}

fn fail(
    xname: &str,
    description: String,
    error: String,
    power: Option<PowerState>,
    in_flight: Option<Action>,
) -> Outcome {
    Outcome {
        task: Power::failed(xname, description, error),
        power,
        in_flight,
    }
}

impl Power {
    /// Runs a node's task from the start.
    pub(super) async fn run_task(
        &self,
        t: &Transition,
        xname: String,
        target: Result<Target, Task>,
    ) -> Outcome {
        let target = match target {
            Ok(tg) => tg,
            Err(task) => return task.into(),
        };
        if !supported_transitions(&target.allowable).contains(&t.operation) {
            return Task {
                xname,
                status: TaskStatus::Unsupported,
                description: format!(
                    "Component does not support the specified transition operation, {}",
                    t.operation
                ),
                error: "Unsupported for transition operation".into(),
            }
            .into();
        }
        let state = match self.power_of(&target).await {
            Ok(s) => s,
            Err(e) => {
                return Self::failed(
                    &xname,
                    "Failed to achieve transition",
                    format!("cannot read power state: {e}"),
                )
                .into()
            }
        };
        match plan(t.operation, state, &target.allowable) {
            Plan::Done(why) => Task {
                xname,
                status: TaskStatus::Succeeded,
                description: why.into(),
                error: String::new(),
            }
            .into(),
            Plan::Fail { description, error } => Outcome {
                power: Some(state),
                ..Self::failed(&xname, description, error).into()
            },
            Plan::Steps(steps) => {
                self.run_steps(t, xname, &target, steps, 0, None, Some(state), Vec::new())
                    .await
            }
        }
    }

    /// Resumes a node's task from its step record, after another core stopped running it.
    pub(super) async fn resume_task(
        &self,
        t: &Transition,
        xname: String,
        target: Result<Target, Task>,
        step: Step,
    ) -> Outcome {
        let target = match target {
            Ok(tg) => tg,
            Err(task) => return task.into(),
        };
        let steps: Option<Vec<Action>> = step.plan.iter().map(|n| Action::named(n)).collect();
        let (Some(steps), Some(action)) = (steps, Action::named(&step.action)) else {
            return Self::failed(
                &xname,
                "Failed to achieve transition",
                format!(
                    "cannot read the step record '{}' left by the core that stopped; the node \
                     is not acted on, check its power state",
                    step.encode()
                ),
            )
            .into();
        };
        let note = format!(
            "resumed after the core running this transition stopped with {} {}",
            action.name(),
            match step.phase {
                Phase::Sending => "being sent",
                Phase::Answered => "sent",
                Phase::Confirmed => "confirmed",
            }
        );
        match step.phase {
            Phase::Confirmed if step.index + 1 == steps.len() => {
                self.succeeded(t, xname, &[note]).into()
            }
            Phase::Confirmed => {
                let at = Some(action.target());
                self.run_steps(
                    t,
                    xname,
                    &target,
                    steps,
                    step.index + 1,
                    None,
                    at,
                    vec![note],
                )
                .await
            }
            Phase::Sending | Phase::Answered => {
                let known = if step.phase == Phase::Sending {
                    Known::Sending(action)
                } else {
                    Known::Answered(action)
                };
                self.run_steps(
                    t,
                    xname,
                    &target,
                    steps,
                    step.index,
                    Some(known),
                    None,
                    vec![note],
                )
                .await
            }
        }
    }

    fn succeeded(&self, t: &Transition, xname: String, notes: &[String]) -> Task {
        let mut description = format!("Transition confirmed, {}", last_action_name(t.operation));
        for n in notes {
            description.push_str("; ");
            description.push_str(n);
        }
        Task {
            xname,
            status: TaskStatus::Succeeded,
            description,
            error: String::new(),
        }
    }

    /// Runs `steps` from `from`; `known` is what a previous core left of step `from`, `seen`
    /// the node's power state before it.
    #[allow(clippy::too_many_arguments)]
    async fn run_steps(
        &self,
        t: &Transition,
        xname: String,
        target: &Target,
        steps: Vec<Action>,
        from: usize,
        mut known: Option<Known>,
        mut seen: Option<PowerState>,
        mut notes: Vec<String>,
    ) -> Outcome {
        let names: Vec<String> = steps.iter().map(|a| a.name().to_string()).collect();
        let last = steps.len() - 1;
        for (i, planned) in steps.iter().copied().enumerate().skip(from) {
            let mut action = planned;
            // Whether this step's reset may not have reached the BMC, and whether it was
            // sent once more for that.
            let mut doubtful = false;
            let mut resent = false;
            loop {
                let step = |action: Action, phase| Step {
                    xname: xname.clone(),
                    plan: names.clone(),
                    index: i,
                    action: action.name().to_string(),
                    phase,
                };
                match known.take() {
                    Some(Known::Sending(a)) => {
                        action = a;
                        let why = format!("{} may have been sent", a.name());
                        match self.decide(&xname, target, a, &why).await {
                            Ok(note) => {
                                doubtful = true;
                                notes.push(note)
                            }
                            Err(failed) => return failed,
                        }
                    }
                    Some(Known::Answered(a)) => action = a,
                    None => {
                        if self.aborted(&t.id) {
                            return fail(
                                &xname,
                                "Aborted. Last status - Gathering data".into(),
                                "Transition aborted".into(),
                                seen,
                                None,
                            );
                        }
                        let Some(rt) = reset_type(action, &target.allowable) else {
                            return fail(
                                &xname,
                                "Failed to construct payload".into(),
                                format!("Power action not supported for {xname}"),
                                seen,
                                None,
                            );
                        };
                        self.write_task(
                            &t.id,
                            Task {
                                xname: xname.clone(),
                                status: TaskStatus::InProgress,
                                description: format!("Applying transition, {}", action.name()),
                                error: String::new(),
                            },
                            None,
                        );
                        match self
                            .send_reset(&t.id, target, step(action, Phase::Sending), &rt)
                            .await
                        {
                            Ok(()) => self.journal().note(&t.id, step(action, Phase::Answered)),
                            Err(SendError::NotRecorded(e)) => {
                                return fail(
                                    &xname,
                                    format!("Failed to apply transition, {}", action.name()),
                                    format!("not sent: the step could not be recorded first ({e})"),
                                    seen,
                                    None,
                                )
                            }
                            Err(SendError::Bmc(e)) if !e.may_have_acted() => {
                                return fail(
                                    &xname,
                                    format!("Failed to apply transition, {}", action.name()),
                                    e.to_string(),
                                    seen,
                                    None,
                                )
                            }
                            Err(SendError::Bmc(e)) => {
                                let why = doubt(&e, target.endpoint.timeout);
                                tracing::warn!(transition = %t.id, %xname, action = action.name(), error = %e, "reset not answered; deciding from the power state");
                                match self.decide(&xname, target, action, &why).await {
                                    Ok(note) => {
                                        doubtful = true;
                                        notes.push(note)
                                    }
                                    Err(failed) => return failed,
                                }
                            }
                        }
                    }
                }
                if t.deadline_minutes == 0 {
                    if i == last {
                        return Task {
                            xname,
                            status: TaskStatus::Succeeded,
                            description: format!(
                                "Transition applied, {}. Not confirming.",
                                action.name()
                            ),
                            error: String::new(),
                        }
                        .into();
                    }
                    break;
                }
                let mut description =
                    format!("Confirming successful transition, {}", action.name());
                if let Some(n) = notes.last() {
                    description.push_str(" (");
                    description.push_str(n);
                    description.push(')');
                }
                self.write_task(
                    &t.id,
                    Task {
                        xname: xname.clone(),
                        status: TaskStatus::InProgress,
                        description,
                        error: String::new(),
                    },
                    None,
                );
                match self.confirm(t, target, action).await {
                    Ok(()) => {
                        seen = Some(action.target());
                        self.journal().note(&t.id, step(action, Phase::Confirmed));
                        break;
                    }
                    Err(Some(e)) => {
                        return fail(
                            &xname,
                            "Failed to confirm transition".into(),
                            e.to_string(),
                            None,
                            Some(action),
                        )
                    }
                    Err(None) if self.aborted(&t.id) => {
                        return fail(
                            &xname,
                            format!(
                                "Aborted. Last status - Confirming successful transition, {}",
                                action.name()
                            ),
                            "Transition aborted".into(),
                            None,
                            Some(action),
                        )
                    }
                    Err(None)
                        if action == Action::GracefulShutdown
                            && t.operation != Operation::SoftOff
                            && reset_type(Action::ForceOff, &target.allowable).is_some() =>
                    {
                        action = Action::ForceOff;
                        doubtful = false;
                    }
                    // A reset that may not have reached the BMC, and whose effect never
                    // showed: it was not applied. On and ForceOff change nothing when sent
                    // twice, so it is sent once more.
                    Err(None)
                        if doubtful
                            && !resent
                            && matches!(action, Action::On | Action::ForceOff) =>
                    {
                        resent = true;
                        doubtful = false;
                        notes.push(format!(
                            "{}: power state did not show {} by the deadline, so it had not been \
                             applied: sent once more",
                            action.name(),
                            power_word(action.target())
                        ));
                    }
                    Err(None) => {
                        return fail(
                            &xname,
                            "Failed to achieve transition".into(),
                            match notes.last() {
                                Some(n) => format!(
                                    "Timeout waiting for transition, {}. ({n})",
                                    action.name()
                                ),
                                None => {
                                    format!("Timeout waiting for transition, {}.", action.name())
                                }
                            },
                            None,
                            Some(action),
                        )
                    }
                }
            }
        }
        self.succeeded(t, xname, &notes).into()
    }

    /// After a reset whose fate is unknown (`why`): whether the node's power state lets its
    /// step be confirmed (the note saying so), or the node's task failed saying why.
    async fn decide(
        &self,
        xname: &str,
        target: &Target,
        action: Action,
        why: &str,
    ) -> Result<String, Outcome> {
        let failed = |error: String, now: Option<PowerState>| {
            fail(
                xname,
                format!("Failed to apply transition, {}", action.name()),
                error,
                now,
                Some(action),
            )
        };
        match self.power_of(target).await {
            Err(e) => Err(failed(
                format!(
                    "{why}; the power state cannot be read either ({e}): not sent again, check \
                     the node"
                ),
                None,
            )),
            Ok(s @ (PowerState::On | PowerState::PoweringOff | PowerState::Unknown))
                if action == Action::GracefulRestart =>
            {
                Err(failed(
                    format!(
                        "{why}; power state then showed {}: cannot tell whether it restarted, \
                         not sent again",
                        power_word(s)
                    ),
                    Some(s),
                ))
            }
            Ok(s) => Ok(format!(
                "{}: {why}; power state then showed {}: confirming, not sent again",
                action.name(),
                power_word(s)
            )),
        }
    }

    /// Sends a reset once its step is recorded, holding the BMC and a global permit; sends it
    /// again only after a failure that proves the BMC did not act.
    async fn send_reset(
        &self,
        transition: &str,
        target: &Target,
        step: Step,
        reset_type: &str,
    ) -> Result<(), SendError> {
        let client = self.discovery.client().clone();
        let backoff = self.settings().backoff;
        let mut step = Some(step);
        let mut attempt = 0;
        loop {
            let result = {
                let _slot = self.slot(&target.bmc).await;
                // Recorded while holding the BMC: a node still queued is not "being sent".
                if let Some(s) = step.take() {
                    self.journal()
                        .record(transition, s)
                        .await
                        .map_err(SendError::NotRecorded)?;
                }
                client
                    .reset(&target.endpoint, &target.reset, reset_type)
                    .await
            };
            match result {
                Ok(()) => return Ok(()),
                Err(e) if e.did_not_act() && e.is_transient() && attempt + 1 < super::ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(backoff * 2u32.pow(attempt - 1)).await;
                }
                Err(e) => return Err(SendError::Bmc(e)),
            }
        }
    }

    /// Polls until the action's target state; `Err(None)` at the deadline or on abort.
    pub(super) async fn confirm(
        &self,
        t: &Transition,
        target: &Target,
        action: Action,
    ) -> Result<(), Option<RedfishError>> {
        let poll = self.settings().poll;
        let deadline = (t.deadline_minutes > 0).then(|| {
            tokio::time::Instant::now() + Duration::from_secs(t.deadline_minutes as u64 * 60)
        });
        loop {
            tokio::time::sleep(poll).await;
            if self.aborted(&t.id) {
                return Err(None);
            }
            match self.power_of(target).await {
                Ok(s) if s == action.target() => return Ok(()),
                Ok(_) => {}
                Err(e) if !e.is_transient() => return Err(Some(e)),
                Err(_) => {}
            }
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                return Err(None);
            }
        }
    }
}
