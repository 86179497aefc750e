//! The event bus: every change the core makes is published here for live views and caches.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use super::scope::Scope;
use crate::model::xname::Xname;

/// Capacity of the bus; a subscriber that falls this far behind is told it lagged.
const CAPACITY: usize = 1024;

/// How many recent events are kept for subscribers resuming after a reconnect.
pub const REPLAY: usize = 4096;

/// One change in the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The sequence counter and the most recent events, under one lock.
#[derive(Default)]
struct Order {
    seq: u64,
    recent: VecDeque<Arc<Published>>,
}

/// A cheap-to-clone handle on the broadcast channel.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Published>>,
    // Numbering, keeping and sending happen under one lock, so subscribers see sequence order
    // and a resumed subscription neither misses nor repeats an event.
    order: Arc<Mutex<Order>>,
    last: Arc<AtomicU64>,
    // Where this core's own events also go when replicas share a database.
    outbox: Arc<OnceLock<mpsc::UnboundedSender<Event>>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            tx: broadcast::channel(CAPACITY).0,
            order: Arc::default(),
            last: Arc::new(AtomicU64::new(0)),
            outbox: Arc::default(),
        }
    }
}

/// A subscription resumed after a given event.
pub struct Resumed {
    /// The sequence number of the latest event when it was taken.
    pub at: u64,
    /// Events after the one asked for that were kept, oldest first.
    pub replay: Vec<Arc<Published>>,
    /// Some events after the one asked for are no longer kept (or the sequence is not this
    /// bus's): the subscriber must reload instead of trusting the replay.
    pub gap: bool,
    /// Events from now on.
    pub live: broadcast::Receiver<Arc<Published>>,
}

impl EventBus {
    /// Publishes an event; having no subscribers is not an error.
    pub fn publish(&self, event: Event) {
        if let Some(out) = self.outbox.get() {
            let _ = out.send(event.clone());
        }
        self.deliver(event);
    }

    /// Publishes an event another replica published (not sent on to the other replicas).
    pub fn publish_remote(&self, event: Event) {
        self.deliver(event);
    }

    /// From now on, every event this core publishes is also sent here, for the other replicas.
    /// `None` when an outbox was already taken.
    pub fn outbox(&self) -> Option<mpsc::UnboundedReceiver<Event>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.outbox.set(tx).ok().map(|_| rx)
    }

    fn deliver(&self, event: Event) {
        let mut order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        order.seq += 1;
        let p = Arc::new(Published {
            seq: order.seq,
            event,
        });
        if order.recent.len() == REPLAY {
            order.recent.pop_front();
        }
        order.recent.push_back(p.clone());
        let _ = self.tx.send(p);
        self.last.store(order.seq, Ordering::Release);
    }

    /// A new subscription that sees events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    /// A subscription that first replays the kept events after `after` (the last one the
    /// subscriber saw; `None`: nothing to replay), then continues live.
    pub fn resume(&self, after: Option<u64>) -> Resumed {
        let order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        let live = self.tx.subscribe();
        let Some(after) = after else {
            return Resumed {
                at: order.seq,
                replay: Vec::new(),
                gap: false,
                live,
            };
        };
        let oldest = order.recent.front().map_or(order.seq + 1, |p| p.seq);
        let gap = after > order.seq || after + 1 < oldest;
        let replay = if gap {
            Vec::new()
        } else {
            order
                .recent
                .iter()
                .filter(|p| p.seq > after)
                .cloned()
                .collect()
        };
        Resumed {
            at: order.seq,
            replay,
            gap,
            live,
        }
    }

    /// The sequence number of the latest event published (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.last.load(Ordering::Acquire)
    }
}

impl Event {
    /// The event as a request in `scope` may see it: node lists narrowed to the tenant's nodes,
    /// and nothing that names only other nodes, other tenants, BMCs or MACs. `audit`: whether
    /// the subscriber may read the audit log.
    pub fn scoped(&self, scope: &Scope, audit: bool) -> Option<Event> {
        let narrow = |ids: &Vec<Xname>| -> Option<Vec<Xname>> {
            let mut ids = ids.clone();
            scope.narrow(&mut ids).then_some(ids)
        };
        if let Event::Audited { entry } = self {
            let mine = scope
                .tenant()
                .is_none_or(|t| entry.tenant.as_deref() == Some(t));
            return (audit && mine).then(|| self.clone());
        }
        if scope.tenant().is_none() {
            return Some(self.clone());
        }
        match self {
            Event::ComponentsChanged { ids } => {
                narrow(ids).map(|ids| Event::ComponentsChanged { ids })
            }
            Event::ComponentStatesChanged { ids } => {
                narrow(ids).map(|ids| Event::ComponentStatesChanged { ids })
            }
            Event::ComponentsDeleted { ids, all } => {
                if *all {
                    return Some(self.clone());
                }
                narrow(ids).map(|ids| Event::ComponentsDeleted { ids, all: false })
            }
            Event::BootChanged { names } => {
                let mut names = names.clone();
                scope
                    .narrow(&mut names)
                    .then_some(Event::BootChanged { names })
            }
            Event::TenantChanged { name, .. } => {
                (scope.tenant() == Some(name.as_str())).then(|| self.clone())
            }
            // Labels and transition IDs name no node; reading them goes through the API, which
            // filters what the tenant may see.
            Event::GroupChanged { .. }
            | Event::PartitionChanged { .. }
            | Event::TransitionChanged { .. } => Some(self.clone()),
            // A MAC or a BMC is not a tenant's.
            Event::InterfaceChanged { .. } | Event::EndpointChanged { .. } => None,
            Event::Audited { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::scope::TenantNodes;

    fn changed(x: &str) -> Event {
        Event::ComponentsChanged {
            ids: vec![Xname::parse(x).unwrap()],
        }
    }

    #[test]
    fn resume_replays_what_was_missed_or_reports_a_gap() {
        let bus = EventBus::default();
        for i in 0..5 {
            bus.publish(changed(&format!("x1c0s{i}b0n0")));
        }
        let r = bus.resume(Some(3));
        assert!(!r.gap);
        assert_eq!(r.replay.iter().map(|p| p.seq).collect::<Vec<_>>(), [4, 5]);
        assert!(bus.resume(Some(5)).replay.is_empty());
        assert!(bus.resume(Some(9)).gap, "a sequence from another run");
        for i in 0..REPLAY {
            bus.publish(changed(&format!("x2c0s{}b0n0", i % 60)));
        }
        let r = bus.resume(Some(3));
        assert!(r.gap, "events 4.. are no longer kept");
        assert!(r.replay.is_empty());
        let edge = bus.last_seq() - REPLAY as u64;
        assert!(!bus.resume(Some(edge)).gap);
        assert_eq!(bus.resume(Some(edge)).replay.len(), REPLAY);
    }

    #[test]
    fn a_tenant_sees_only_its_nodes() {
        let blue = Scope::Tenant(Arc::new(TenantNodes {
            name: "blue".into(),
            nodes: ["x1c0s0b0n0".to_string()].into(),
        }));
        let both = Event::ComponentStatesChanged {
            ids: vec![
                Xname::parse("x1c0s0b0n0").unwrap(),
                Xname::parse("x1c0s1b0n0").unwrap(),
            ],
        };
        assert_eq!(
            both.scoped(&blue, false),
            Some(Event::ComponentStatesChanged {
                ids: vec![Xname::parse("x1c0s0b0n0").unwrap()]
            })
        );
        assert_eq!(changed("x1c0s1b0n0").scoped(&blue, false), None);
        assert_eq!(both.scoped(&Scope::All, false), Some(both.clone()));
        let red = Event::TenantChanged {
            name: "red".into(),
            deleted: false,
        };
        assert_eq!(red.scoped(&blue, true), None);
        let boot = Event::BootChanged {
            names: vec!["Default".into()],
        };
        assert_eq!(boot.scoped(&blue, false), None);
        let iface = Event::InterfaceChanged {
            id: "aa".into(),
            deleted: false,
        };
        assert_eq!(iface.scoped(&blue, false), None);
    }
}
