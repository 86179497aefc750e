//! Power transitions: the reading of transitions and tasks, and the refusal of a node that
//! another transition holds.

use std::collections::HashMap;

use super::Fields;
use crate::model::locks::ReservationKeys;
use crate::model::power::{
    held_message, Operation, Step, Task, TaskCounts, TaskStatus, Transition, TransitionStatus,
};
use crate::store::StoreError;

/// Reservation keys as the JSON stored beside a transition.
pub(crate) fn keys_json(keys: &[ReservationKeys]) -> Result<String, StoreError> {
    serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(format!("reservations: {e}")))
}

fn power_corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("power {what} '{v}'"))
}

/// The reservation keys stored beside a transition.
pub(crate) fn keys_from(text: &str) -> Result<Vec<ReservationKeys>, StoreError> {
    serde_json::from_str(text).map_err(|e| power_corrupt("reservations", &e.to_string()))
}

/// A transition, without tasks or counts, from a `power_transitions` row.
pub(crate) fn transition_from(row: &impl Fields) -> Result<Transition, StoreError> {
    let op = row.text("operation")?;
    let status = row.text("status")?;
    Ok(Transition {
        id: row.text("id")?,
        operation: Operation::parse(&op).map_err(|_| power_corrupt("operation", &op))?,
        created: row.text("created")?,
        expires: row.text("expires")?,
        status: TransitionStatus::parse(&status).ok_or_else(|| power_corrupt("status", &status))?,
        counts: TaskCounts::default(),
        tasks: None,
        deadline_minutes: row.int("deadline")?,
        by: row.text("by")?,
    })
}

/// A transition with its tasks and their counts.
pub(crate) fn with_tasks(mut t: Transition, tasks: Vec<Task>) -> Transition {
    t.counts = TaskCounts::of(&tasks);
    t.tasks = Some(tasks);
    t
}

/// A node's step record from an `xname, step` row; a record that cannot be read is corrupt.
pub(crate) fn step_from(row: &impl Fields) -> Result<Step, StoreError> {
    let xname = row.text("xname")?;
    let text = row.text("step")?;
    Step::decode(&xname, &text).ok_or_else(|| power_corrupt("step record", &text))
}

/// Step records as `[xname, text]` rows.
pub(crate) fn step_rows(steps: &[Step]) -> Vec<(String, String)> {
    steps
        .iter()
        .map(|s| (s.xname.clone(), s.encode()))
        .collect()
}

/// A task from an `xname, status, description, error` row.
pub(crate) fn task_from(row: &impl Fields) -> Result<Task, StoreError> {
    let status = row.text("status")?;
    Ok(Task {
        xname: row.text("xname")?,
        status: TaskStatus::parse(&status).ok_or_else(|| power_corrupt("task status", &status))?,
        description: row.text("description")?,
        error: row.text("error")?,
    })
}

/// Transitions from `rows`, with the task counts of `counts` rows
/// (`transition_id, status, n`).
pub(crate) fn transitions_from<R: Fields>(
    rows: &[R],
    counts: &[R],
) -> Result<Vec<Transition>, StoreError> {
    let mut by_id: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for c in counts {
        by_id
            .entry(c.text("transition_id")?)
            .or_default()
            .push((c.text("status")?, c.int("n")?));
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut t = transition_from(row)?;
        for (status, n) in by_id.remove(&t.id).unwrap_or_default() {
            let status =
                TaskStatus::parse(&status).ok_or_else(|| power_corrupt("task status", &status))?;
            t.counts.add(status, n as u64);
        }
        out.push(t);
    }
    Ok(out)
}

/// Refuses nodes that `rows` (`xname, transition_id`) hold in another transition's open task.
pub(crate) fn refuse_held(rows: &[impl Fields]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let held = rows
        .iter()
        .map(|r| Ok((r.text("xname")?, r.text("transition_id")?)))
        .collect::<Result<Vec<(String, String)>, StoreError>>()?;
    Err(StoreError::Conflict(held_message(&held)))
}

/// `(id, status)` from a renewed transition's row.
pub(crate) fn renewed_from(row: &impl Fields) -> Result<(String, TransitionStatus), StoreError> {
    let status = row.text("status")?;
    let status =
        TransitionStatus::parse(&status).ok_or_else(|| power_corrupt("status", &status))?;
    Ok((row.text("id")?, status))
}
