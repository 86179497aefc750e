//! What the engine keeps in memory about the transitions this core runs, in one place: which
//! transition holds each node, abort signals, one call slot per BMC, task changes not yet
//! written, and which transitions run here or were taken by another core. Each map has its own
//! lock, held only for a lookup or an insert.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::model::enums::State;
use crate::model::power::Task;
use crate::model::xname::Xname;

/// A task change not yet written, with the inventory state its finish leaves.
pub(super) type Change = (Task, Option<State>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The per-transition state of the engine.
#[derive(Default)]
pub(super) struct Registry {
    /// Node -> the running transition that holds it.
    busy: Mutex<HashMap<String, String>>,
    /// Transitions asked to stop.
    aborts: Mutex<HashSet<String>>,
    /// One call at a time per BMC.
    bmcs: Mutex<HashMap<Xname, Arc<tokio::sync::Mutex<()>>>>,
    /// Task changes not yet written, by transition then node.
    pending: Mutex<HashMap<String, HashMap<String, Change>>>,
    /// Transitions this core runs.
    running: Mutex<HashSet<String>>,
    /// Transitions whose lease another core took: they stop here without writing more.
    lost: Mutex<HashSet<String>>,
}

impl Registry {
    /// Holds every node for transition `id`, or none: the nodes another transition holds,
    /// with its ID, when any does.
    pub(super) fn hold_all(
        &self,
        id: &str,
        xnames: &[String],
    ) -> Result<(), Vec<(String, String)>> {
        let mut busy = lock(&self.busy);
        let held: Vec<(String, String)> = xnames
            .iter()
            .filter_map(|x| busy.get(x).map(|other| (x.clone(), other.clone())))
            .collect();
        if !held.is_empty() {
            return Err(held);
        }
        for x in xnames {
            busy.insert(x.clone(), id.to_string());
        }
        Ok(())
    }

    /// Holds each node not held by another transition for `id`; the others, each with the
    /// transition that holds it.
    pub(super) fn hold_free(&self, id: &str, xnames: &[String]) -> Vec<(String, String)> {
        let mut busy = lock(&self.busy);
        let mut taken = Vec::new();
        for x in xnames {
            match busy.get(x) {
                Some(other) if other != id => taken.push((x.clone(), other.clone())),
                _ => {
                    busy.insert(x.clone(), id.to_string());
                }
            }
        }
        taken
    }

    /// Whether a transition other than `id` holds the node.
    pub(super) fn held_by_other(&self, xname: &str, id: &str) -> bool {
        lock(&self.busy).get(xname).is_some_and(|other| other != id)
    }

    /// Lets go of the nodes.
    pub(super) fn release(&self, xnames: &[String]) {
        let mut busy = lock(&self.busy);
        for x in xnames {
            busy.remove(x);
        }
    }

    /// Marks a transition as asked to stop.
    pub(super) fn signal_abort(&self, id: &str) {
        lock(&self.aborts).insert(id.to_string());
    }

    /// Whether a transition was asked to stop.
    pub(super) fn aborted(&self, id: &str) -> bool {
        lock(&self.aborts).contains(id)
    }

    /// The call slot of a BMC.
    pub(super) fn bmc(&self, bmc: &Xname) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.bmcs).entry(bmc.clone()).or_default().clone()
    }

    /// Queues a task change; a later one for the same node replaces it.
    pub(super) fn queue(&self, id: &str, change: Change) {
        lock(&self.pending)
            .entry(id.to_string())
            .or_default()
            .insert(change.0.xname.clone(), change);
    }

    /// Takes every queued change of a transition.
    pub(super) fn take_queued(&self, id: &str) -> Vec<Change> {
        match lock(&self.pending).get_mut(id) {
            Some(m) => m.drain().map(|(_, c)| c).collect(),
            None => Vec::new(),
        }
    }

    /// Puts back changes that could not be written, unless a newer change for the same node
    /// came in meanwhile.
    pub(super) fn requeue(&self, id: &str, changes: Vec<Change>) {
        let mut pending = lock(&self.pending);
        let m = pending.entry(id.to_string()).or_default();
        for c in changes {
            m.entry(c.0.xname.clone()).or_insert(c);
        }
    }

    /// Whether a transition has no change left to write.
    pub(super) fn all_written(&self, id: &str) -> bool {
        lock(&self.pending).get(id).is_none_or(|m| m.is_empty())
    }

    /// Records that this core runs a transition.
    pub(super) fn started(&self, id: &str) {
        lock(&self.running).insert(id.to_string());
    }

    /// The transitions this core runs.
    pub(super) fn running(&self) -> Vec<String> {
        lock(&self.running).iter().cloned().collect()
    }

    /// Whether this core runs no transition.
    pub(super) fn idle(&self) -> bool {
        lock(&self.running).is_empty()
    }

    /// Records that another core took a transition this core ran.
    pub(super) fn lose(&self, id: &str) {
        lock(&self.lost).insert(id.to_string());
    }

    /// Whether another core took the transition (once: the mark is cleared).
    pub(super) fn take_lost(&self, id: &str) -> bool {
        lock(&self.lost).remove(id)
    }

    /// Forgets a transition that stopped here: its abort mark, its unwritten changes, its
    /// nodes and its place among the running.
    pub(super) fn forget(&self, id: &str, xnames: &[String]) {
        lock(&self.aborts).remove(id);
        lock(&self.pending).remove(id);
        self.release(xnames);
        lock(&self.running).remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::power::TaskStatus;

    fn task(x: &str, description: &str) -> Task {
        Task {
            xname: x.into(),
            status: TaskStatus::InProgress,
            description: description.into(),
            error: String::new(),
        }
    }

    #[test]
    fn nodes_are_held_all_or_none() {
        let r = Registry::default();
        let ab = ["a".to_string(), "b".to_string()];
        assert!(r.hold_all("t1", &ab).is_ok());
        let bc = ["b".to_string(), "c".to_string()];
        assert_eq!(r.hold_all("t2", &bc), Err(vec![("b".into(), "t1".into())]));
        assert!(!r.held_by_other("c", "t2"), "c was not held: all or none");
        assert_eq!(r.hold_free("t2", &bc), vec![("b".into(), "t1".into())]);
        assert!(r.held_by_other("c", "t1"));
        r.forget("t1", &ab);
        assert!(r.hold_all("t3", &ab).is_ok());
    }

    #[test]
    fn a_newer_change_is_not_overwritten_by_a_requeued_one() {
        let r = Registry::default();
        r.queue("t", (task("a", "old"), None));
        let taken = r.take_queued("t");
        assert!(r.all_written("t"));
        r.queue("t", (task("a", "new"), Some(State::On)));
        r.requeue("t", taken);
        let left = r.take_queued("t");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].0.description, "new");
        assert_eq!(left[0].1, Some(State::On));
    }

    #[test]
    fn lost_marks_are_taken_once() {
        let r = Registry::default();
        r.started("t");
        r.lose("t");
        assert!(r.take_lost("t"));
        assert!(!r.take_lost("t"));
        assert_eq!(r.running(), ["t"]);
        r.forget("t", &[]);
        assert!(r.idle());
    }
}
