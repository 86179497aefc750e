//! The event bus: every change the core makes is published here for live views and caches.

use std::sync::Arc;

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
}

/// A cheap-to-clone handle on the broadcast channel.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl EventBus {
    /// Publishes an event; having no subscribers is not an error.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(Arc::new(event));
    }

    /// A new subscription that sees events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}
