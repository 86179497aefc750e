//! The in-memory boot index: MAC -> node -> effective entry, with no database round trip.
//! A task keeps it current from the event bus; readers can wait until it has applied every
//! event published before their request, so a write is visible to the next boot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::model::boot::BootEntry;
use crate::model::enums::{Role, State};
use crate::model::ethernet::InterfaceFilter;
use crate::model::filter::{ComponentFilter, Match};
use crate::model::mac::Mac;
use crate::model::xname::HmsType;
use crate::model::xname::Xname;
use crate::service::events::{Event, EventBus};
use crate::store::{Store, StoreError};

/// Longest a boot request waits for the index to catch up before answering from what it has.
const CATCH_UP: Duration = Duration::from_secs(2);

/// What the index knows of one node.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Its xname.
    pub id: Xname,
    /// Its NID.
    pub nid: Option<i64>,
    /// Its HSM role.
    pub role: Option<Role>,
    /// False when inventory says it is disabled or empty: it boots as an unknown node.
    pub bootable: bool,
    /// Labels of its groups, sorted.
    pub groups: Box<[Box<str>]>,
    /// Its first MAC, for chain URLs of name and NID requests.
    pub mac: Option<Mac>,
}

/// One consistent view of nodes and entries.
#[derive(Default)]
pub struct Snapshot {
    nodes: Arc<HashMap<Xname, NodeInfo>>,
    macs: Arc<HashMap<Mac, Xname>>,
    nids: Arc<HashMap<i64, Xname>>,
    entries: Arc<HashMap<String, Arc<BootEntry>>>,
}

impl Snapshot {
    /// The node owning this MAC.
    pub fn by_mac(&self, mac: Mac) -> Option<&NodeInfo> {
        self.macs.get(&mac).and_then(|x| self.nodes.get(x))
    }

    /// A node by xname.
    pub fn by_name(&self, id: &Xname) -> Option<&NodeInfo> {
        self.nodes.get(id)
    }

    /// A node by NID.
    pub fn by_nid(&self, nid: i64) -> Option<&NodeInfo> {
        self.nids.get(&nid).and_then(|x| self.nodes.get(x))
    }

    /// An entry by name.
    pub fn entry(&self, name: &str) -> Option<&Arc<BootEntry>> {
        self.entries.get(name)
    }

    /// The entry a node boots from: its own, then its groups' (by label), then its role's,
    /// then `Default`.
    pub fn effective(&self, node: &NodeInfo) -> Option<&Arc<BootEntry>> {
        self.entries
            .get(node.id.as_str())
            .or_else(|| node.groups.iter().find_map(|g| self.entries.get(&**g)))
            .or_else(|| node.role.and_then(|r| self.entries.get(r.as_str())))
            .or_else(|| self.entries.get("Default"))
    }

    /// Every node, unordered.
    pub fn nodes(&self) -> impl Iterator<Item = &NodeInfo> {
        self.nodes.values()
    }
}

/// The index and the task state that keeps it current.
pub struct BootIndex {
    snap: RwLock<Arc<Snapshot>>,
    applied: AtomicU64,
    applied_tx: watch::Sender<u64>,
    // Last bootscript fetch per node (Unix seconds).
    access: Mutex<HashMap<Box<str>, i64>>,
}

impl Default for BootIndex {
    fn default() -> Self {
        BootIndex {
            snap: RwLock::new(Arc::new(Snapshot::default())),
            applied: AtomicU64::new(0),
            applied_tx: watch::channel(0).0,
            access: Mutex::new(HashMap::new()),
        }
    }
}

/// What the events since the last update touched.
#[derive(Default)]
struct Dirty {
    nodes: bool,
    all_entries: bool,
    entries: Vec<String>,
}

impl Dirty {
    fn add(&mut self, event: &Event) {
        match event {
            Event::ComponentsChanged { .. }
            | Event::ComponentsDeleted { .. }
            | Event::GroupChanged { .. }
            | Event::InterfaceChanged { .. }
            | Event::EndpointChanged { .. } => self.nodes = true,
            Event::BootChanged { names } => self.entries.extend(names.iter().cloned()),
            Event::ComponentStatesChanged { .. }
            | Event::TenantChanged { .. }
            | Event::PartitionChanged { .. }
            | Event::TransitionChanged { .. }
            | Event::Audited { .. } => {}
        }
    }

    fn any(&self) -> bool {
        self.nodes || self.all_entries || !self.entries.is_empty()
    }
}

impl BootIndex {
    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snap.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits (briefly) until every event up to `seq` is applied.
    pub async fn caught_up(&self, seq: u64) {
        if self.applied.load(Ordering::Acquire) >= seq {
            return;
        }
        let mut rx = self.applied_tx.subscribe();
        if tokio::time::timeout(CATCH_UP, rx.wait_for(|a| *a >= seq))
            .await
            .is_err()
        {
            tracing::warn!(
                seq,
                "boot index is behind the event bus; answering from the last snapshot"
            );
        }
    }

    /// Records that node `name` fetched its bootscript at `epoch`.
    pub fn record_boot(&self, name: &str, epoch: i64) {
        let mut map = self.access.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(name) {
            Some(v) => *v = epoch,
            None => {
                map.insert(name.into(), epoch);
            }
        }
    }

    /// Last bootscript fetches as `(name, epoch)`, by name.
    pub fn boots(&self) -> Vec<(String, i64)> {
        let map = self.access.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<(String, i64)> = map.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        out.sort();
        out
    }

    /// Loads everything, subscribes to the bus and keeps the index current until the bus
    /// closes. Returns once the first load is done.
    pub async fn start(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        bus: &EventBus,
    ) -> Result<(), StoreError> {
        let rx = bus.subscribe();
        let seq = bus.last_seq();
        self.update(
            &*store,
            Dirty {
                nodes: true,
                all_entries: true,
                entries: Vec::new(),
            },
            seq,
        )
        .await?;
        let me = self.clone();
        let bus = bus.clone();
        tokio::spawn(async move { me.follow(store, bus, rx).await });
        Ok(())
    }

    async fn follow(
        self: Arc<Self>,
        store: Arc<dyn Store>,
        bus: EventBus,
        mut rx: broadcast::Receiver<Arc<crate::service::events::Published>>,
    ) {
        use broadcast::error::{RecvError, TryRecvError};
        loop {
            let mut dirty = Dirty::default();
            let mut seq = match rx.recv().await {
                Ok(p) => {
                    dirty.add(&p.event);
                    p.seq
                }
                Err(RecvError::Lagged(_)) => {
                    dirty.nodes = true;
                    dirty.all_entries = true;
                    bus.last_seq()
                }
                Err(RecvError::Closed) => return,
            };
            loop {
                match rx.try_recv() {
                    Ok(p) => {
                        dirty.add(&p.event);
                        seq = seq.max(p.seq);
                    }
                    Err(TryRecvError::Lagged(_)) => {
                        dirty.nodes = true;
                        dirty.all_entries = true;
                        seq = seq.max(bus.last_seq());
                    }
                    Err(TryRecvError::Empty) | Err(TryRecvError::Closed) => break,
                }
            }
            let mut attempt = 0;
            while let Err(e) = self.update(&*store, std::mem::take(&mut dirty), seq).await {
                attempt += 1;
                tracing::error!(error = %e, attempt, "boot index update failed");
                if attempt == 3 {
                    // Serve what we have rather than stall every boot; the next event retries.
                    self.mark_applied(seq);
                    break;
                }
                dirty = Dirty {
                    nodes: true,
                    all_entries: true,
                    entries: Vec::new(),
                };
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }

    fn mark_applied(&self, seq: u64) {
        self.applied.fetch_max(seq, Ordering::AcqRel);
        self.applied_tx
            .send_replace(self.applied.load(Ordering::Acquire));
    }

    async fn update(&self, store: &dyn Store, dirty: Dirty, seq: u64) -> Result<(), StoreError> {
        if dirty.any() {
            let old = self.snapshot();
            let (nodes, macs, nids) = if dirty.nodes {
                let (n, m, i) = load_nodes(store).await?;
                (Arc::new(n), Arc::new(m), Arc::new(i))
            } else {
                (old.nodes.clone(), old.macs.clone(), old.nids.clone())
            };
            let entries = if dirty.all_entries {
                Arc::new(
                    store
                        .boot_entries(None)
                        .await?
                        .into_iter()
                        .map(|e| (e.name.clone(), Arc::new(e)))
                        .collect(),
                )
            } else if !dirty.entries.is_empty() {
                let mut names = dirty.entries;
                names.sort();
                names.dedup();
                let fresh = store.boot_entries(Some(&names)).await?;
                let mut map: HashMap<String, Arc<BootEntry>> = (*old.entries).clone();
                for n in &names {
                    map.remove(n);
                }
                for e in fresh {
                    map.insert(e.name.clone(), Arc::new(e));
                }
                Arc::new(map)
            } else {
                old.entries.clone()
            };
            let snap = Arc::new(Snapshot {
                nodes,
                macs,
                nids,
                entries,
            });
            *self.snap.write().unwrap_or_else(|p| p.into_inner()) = snap;
        }
        self.mark_applied(seq);
        Ok(())
    }
}

type NodeMaps = (
    HashMap<Xname, NodeInfo>,
    HashMap<Mac, Xname>,
    HashMap<i64, Xname>,
);

async fn load_nodes(store: &dyn Store) -> Result<NodeMaps, StoreError> {
    let filter = ComponentFilter {
        kinds: Match {
            any_of: vec![HmsType::Node],
            none_of: Vec::new(),
        },
        ..ComponentFilter::default()
    };
    let components = store.components(&filter).await?;
    let memberships = store.memberships(&filter).await?;
    let interfaces = store.interfaces(&InterfaceFilter::default()).await?;

    let mut groups: HashMap<&Xname, Vec<String>> = HashMap::new();
    for m in &memberships {
        groups.insert(&m.id, m.group_labels.clone());
    }
    let mut nodes = HashMap::with_capacity(components.len());
    let mut nids = HashMap::new();
    for c in &components {
        let mut g = groups.remove(&c.id).unwrap_or_default();
        g.sort();
        if let Some(n) = c.nid {
            nids.entry(n).or_insert_with(|| c.id.clone());
        }
        nodes.insert(
            c.id.clone(),
            NodeInfo {
                id: c.id.clone(),
                nid: c.nid,
                role: c.role,
                bootable: c.enabled != Some(false) && c.state != Some(State::Empty),
                groups: g.into_iter().map(String::into_boxed_str).collect(),
                mac: None,
            },
        );
    }
    let mut macs = HashMap::with_capacity(interfaces.len());
    for i in &interfaces {
        let Ok(owner) = Xname::parse(&i.component_id) else {
            continue;
        };
        let (Ok(mac), Some(node)) = (Mac::parse(&i.id), nodes.get_mut(&owner)) else {
            continue;
        };
        node.mac.get_or_insert(mac);
        macs.insert(mac, owner);
    }
    Ok((nodes, macs, nids))
}
