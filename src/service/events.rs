//! The event bus: every change the core makes is published here for live views and caches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::model::xname::Xname;

/// Capacity of the bus; a subscriber that falls this far behind is told it lagged.
const CAPACITY: usize = 1024;

/// One change in the core.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Components were created or some of their fields changed.
    ComponentsChanged {
        /// The affected xnames.
        ids: Vec<Xname>,
    },
    /// Only the State, Flag or SoftwareStatus of components changed (power and health),
    /// which caches of names, NIDs, roles, addresses and Enabled can ignore.
    ComponentStatesChanged {
        /// The affected xnames.
        ids: Vec<Xname>,
    },
    /// Components were deleted (`all` when the whole collection went).
    ComponentsDeleted {
        /// The deleted xnames (empty when `all`).
        ids: Vec<Xname>,
        /// Whether every component was deleted.
        all: bool,
    },
    /// A group was created, deleted, or its fields or members changed.
    GroupChanged {
        /// The group's label.
        label: String,
        /// Whether it was deleted.
        deleted: bool,
    },
    /// An Ethernet interface was created, changed or deleted (`all` when every one went).
    InterfaceChanged {
        /// The interface ID (lowercase MAC); empty with `all`.
        id: String,
        /// Whether it was deleted.
        deleted: bool,
    },
    /// A Redfish endpoint was created, changed or deleted (`id` empty when every one went).
    EndpointChanged {
        /// The endpoint's xname.
        id: String,
        /// Whether it was deleted.
        deleted: bool,
    },
    /// A partition was created, deleted, or its fields or members changed.
    PartitionChanged {
        /// The partition's name.
        name: String,
        /// Whether it was deleted.
        deleted: bool,
    },
    /// A power transition or one of its tasks changed.
    TransitionChanged {
        /// The transition's ID.
        id: String,
    },
    /// A tenant was created, changed or deleted.
    TenantChanged {
        /// The tenant's name.
        name: String,
        /// Whether it was deleted.
        deleted: bool,
    },
    /// A request was audited.
    Audited {
        /// The entry as stored.
        entry: Box<crate::model::audit::AuditEntry>,
    },
    /// Boot parameter entries were written or deleted.
    BootChanged {
        /// The entries' names.
        names: Vec<String>,
    },
}

/// An event with its place in the order of publication (1, 2, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    /// Sequence number; a subscriber that has handled `seq` has seen every earlier event.
    pub seq: u64,
    /// The change.
    #[serde(flatten)]
    pub event: Event,
}

/// A cheap-to-clone handle on the broadcast channel.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Published>>,
    // Numbering and sending happen under one lock, so subscribers see sequence order.
    order: Arc<Mutex<u64>>,
    last: Arc<AtomicU64>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            tx: broadcast::channel(CAPACITY).0,
            order: Arc::new(Mutex::new(0)),
            last: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl EventBus {
    /// Publishes an event; having no subscribers is not an error.
    pub fn publish(&self, event: Event) {
        let mut seq = self.order.lock().unwrap_or_else(|p| p.into_inner());
        *seq += 1;
        let _ = self.tx.send(Arc::new(Published { seq: *seq, event }));
        self.last.store(*seq, Ordering::Release);
    }

    /// A new subscription that sees events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    /// The sequence number of the latest event published (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.last.load(Ordering::Acquire)
    }
}
