//! The step journal: before a node's BMC is sent a reset, the node's step is stored, and the
//! send waits for it; after the BMC answers, and once the step is confirmed, the record moves
//! on without waiting. Records from many nodes are written together (one transaction per
//! transition per batch), so a thousand nodes starting at once cost a few writes, not a
//! thousand. A node's later record replaces its earlier one.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::model::power::Step;
use crate::store::Store;

/// Records taken from the queue at most per batch.
const BATCH: usize = 4096;

struct Entry {
    transition: String,
    step: Step,
    stored: Option<oneshot::Sender<Result<(), String>>>,
}

/// The queue to the journal's writer; cheap to clone.
#[derive(Clone)]
pub(super) struct Journal {
    queue: mpsc::UnboundedSender<Entry>,
}

impl Journal {
    /// Starts the writer over `store` (on the current runtime).
    pub(super) fn start(store: Arc<dyn Store>) -> Journal {
        let (queue, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_all(store, rx));
        Journal { queue }
    }

    /// Stores `step` and returns once it is stored, or with the reason it is not.
    pub(super) async fn record(&self, transition: &str, step: Step) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send(Entry {
                transition: transition.to_string(),
                step,
                stored: Some(tx),
            })
            .map_err(|_| "the step journal has stopped".to_string())?;
        rx.await
            .unwrap_or_else(|_| Err("the step journal has stopped".into()))
    }

    /// Queues `step` without waiting for it.
    pub(super) fn note(&self, transition: &str, step: Step) {
        let _ = self.queue.send(Entry {
            transition: transition.to_string(),
            step,
            stored: None,
        });
    }
}

async fn write_all(store: Arc<dyn Store>, mut rx: mpsc::UnboundedReceiver<Entry>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        // The last record of each node per transition, in the order they came.
        let mut by: HashMap<&str, (Vec<Step>, HashMap<&str, usize>)> = HashMap::new();
        for e in &batch {
            let (steps, at) = by.entry(e.transition.as_str()).or_default();
            match at.get(e.step.xname.as_str()) {
                Some(&i) => steps[i] = e.step.clone(),
                None => {
                    at.insert(e.step.xname.as_str(), steps.len());
                    steps.push(e.step.clone());
                }
            }
        }
        let mut results: HashMap<String, Result<(), String>> = HashMap::new();
        for (transition, (steps, _)) in by {
            let r = store
                .record_steps(transition, &steps)
                .await
                .map_err(|e| e.to_string());
            if let Err(e) = &r {
                tracing::error!(%transition, nodes = steps.len(), error = %e, "cannot record power steps");
            }
            results.insert(transition.to_string(), r);
        }
        for e in batch {
            if let Some(tx) = e.stored {
                let r = results.get(&e.transition).cloned().unwrap_or(Ok(()));
                let _ = tx.send(r);
            }
        }
    }
}
