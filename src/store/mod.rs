//! Storage: one [`Store`] trait that hides SQL; SQLite is the embedded default.

pub mod cache;
pub mod postgres;
mod rows;
pub mod sqlite;

use async_trait::async_trait;

pub use rows::components::no_such_components;
pub use rows::groups::{group_exists, partition_exists};

use crate::model::boot::{BootData, BootEntry, BootOp, BootVersion};
use crate::model::component::{Component, ComponentChange};
use crate::model::discovery::{ComponentEndpoint, Described, Hardware, ServiceEndpoint};
use crate::model::enums::State;
use crate::model::ethernet::{EthInterface, InterfaceChange, InterfaceFilter};
use crate::model::filter::ComponentFilter;
use crate::model::group::{Group, Membership, Partition, SetPatch};
pub use crate::model::hardware::HistoryOf;
use crate::model::hardware::{HistoryFilter, HwEvent};
use crate::model::locks::{LockChange, LockReason, LockState};
use crate::model::maps::{NodeMap, PowerMap};
use crate::model::redfish::{EndpointFilter, RedfishEndpoint};
use crate::model::scn::{Subscription, SubscriptionSpec};
use crate::model::xname::Xname;

// Filters the API builds too; they live in model/.
pub use crate::model::discovery::ComponentEndpointFilter;
pub use crate::model::group::SetFilter;

pub use cache::CachedStore;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// What went wrong in storage, in words an API error can carry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named things do not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with what is stored; nothing was changed.
    #[error("{0}")]
    Conflict(String),
    /// The request names something invalid (for example an unknown group).
    #[error("{0}")]
    Invalid(String),
    /// The database failed. Not a `source`: the text already holds sqlx's, and a chain
    /// printed with `{:#}` would repeat it.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A stored value could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// What the write expected to find has changed since it was read; nothing was changed.
    #[error("{0}")]
    Stale(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

/// Persistent state of the core: one trait per resource, each call atomic. Code holds an
/// `Arc<dyn Store>`, on which every resource trait's methods can be called.
pub trait Store:
    ComponentStore
    + GroupStore
    + InterfaceStore
    + EndpointStore
    + BootStore
    + PowerStore
    + CapStore
    + MetadataStore
    + LockStore
    + MapStore
    + ScnStore
    + HardwareStore
    + TenantStore
    + AuditStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ComponentStore
        + GroupStore
        + InterfaceStore
        + EndpointStore
        + BootStore
        + PowerStore
        + CapStore
        + MetadataStore
        + LockStore
        + MapStore
        + ScnStore
        + HardwareStore
        + TenantStore
        + AuditStore
        + Send
        + Sync
        + 'static
{
}

/// Components (`State/Components`).
#[async_trait]
pub trait ComponentStore: Send + Sync {
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The database kind: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Components matching `filter`, in natural xname order.
    async fn components(&self, filter: &ComponentFilter) -> Result<Vec<Component>, StoreError>;

    /// One component by xname.
    async fn component(&self, id: &Xname) -> Result<Option<Component>, StoreError>;

    /// The component with this NID (the lowest xname if several share it).
    async fn component_by_nid(&self, nid: i64) -> Result<Option<Component>, StoreError>;

    /// Creates components; existing ones are kept unless `force`, which overwrites their
    /// State, Flag, Subtype, NetType, Arch and Class. Returns the xnames created or changed.
    async fn upsert_components(
        &self,
        components: &[Component],
        force: bool,
    ) -> Result<Vec<Xname>, StoreError>;

    /// Applies `change` to every component in `ids`, all or nothing: an unknown xname is
    /// `NotFound`; with `required_states`, a target in any other state is `Conflict`. Returns
    /// the xnames whose values changed.
    async fn update_components(
        &self,
        ids: &[Xname],
        change: &ComponentChange,
        required_states: Option<&[State]>,
    ) -> Result<Vec<Xname>, StoreError>;

    /// Sets a NID on each listed component, all or nothing.
    async fn set_nids(&self, nids: &[(Xname, i64)]) -> Result<(), StoreError>;

    /// Deletes one component; false when it did not exist.
    async fn delete_component(&self, id: &Xname) -> Result<bool, StoreError>;

    /// Deletes every component; returns how many there were.
    async fn delete_all_components(&self) -> Result<u64, StoreError>;
}

/// Groups, partitions and memberships. Member lists come back in natural xname order.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Groups matching `filter`, by label.
    async fn groups(&self, filter: &SetFilter) -> Result<Vec<Group>, StoreError>;

    /// One group.
    async fn group(&self, label: &str) -> Result<Option<Group>, StoreError>;

    /// Every group label, sorted.
    async fn group_labels(&self) -> Result<Vec<String>, StoreError>;

    /// Creates a group with its members: `Conflict` when the label exists or a member is
    /// already in another group of the same exclusive label; `Invalid` for an unknown member.
    async fn create_group(&self, group: &Group) -> Result<(), StoreError>;

    /// Changes description and/or tags; false when there is no such group.
    async fn update_group(&self, label: &str, patch: &SetPatch) -> Result<bool, StoreError>;

    /// Deletes a group; false when there was none.
    async fn delete_group(&self, label: &str) -> Result<bool, StoreError>;

    /// Adds members, all or nothing (errors as for `create_group`; `NotFound` without the
    /// group; `Conflict` for one already a member).
    async fn add_group_members(&self, label: &str, ids: &[Xname]) -> Result<(), StoreError>;

    /// Makes `ids` the group's exact member list, all or nothing (errors as for
    /// `add_group_members`, except that current members are kept, not refused).
    async fn set_group_members(&self, label: &str, ids: &[Xname]) -> Result<(), StoreError>;

    /// Removes one member: `NotFound` when the group does not exist or lacks the member.
    async fn remove_group_member(&self, label: &str, id: &Xname) -> Result<(), StoreError>;

    /// Partitions matching `filter`, by name.
    async fn partitions(&self, filter: &SetFilter) -> Result<Vec<Partition>, StoreError>;

    /// One partition.
    async fn partition(&self, name: &str) -> Result<Option<Partition>, StoreError>;

    /// Every partition name, sorted.
    async fn partition_names(&self) -> Result<Vec<String>, StoreError>;

    /// Creates a partition with its members: `Conflict` when the name exists or a member is
    /// already in another partition; `Invalid` for an unknown member.
    async fn create_partition(&self, partition: &Partition) -> Result<(), StoreError>;

    /// Changes description and/or tags; false when there is no such partition.
    async fn update_partition(&self, name: &str, patch: &SetPatch) -> Result<bool, StoreError>;

    /// Deletes a partition; false when there was none.
    async fn delete_partition(&self, name: &str) -> Result<bool, StoreError>;

    /// Adds members, all or nothing (errors as for `create_partition`; `NotFound` without
    /// the partition).
    async fn add_partition_members(&self, name: &str, ids: &[Xname]) -> Result<(), StoreError>;

    /// Removes one member: `NotFound` when the partition does not exist or lacks the member.
    async fn remove_partition_member(&self, name: &str, id: &Xname) -> Result<(), StoreError>;

    /// The groups and partition of each component matching `filter`, in xname order.
    async fn memberships(&self, filter: &ComponentFilter) -> Result<Vec<Membership>, StoreError>;

    /// Every (component, group label) pair and every (component, partition name) pair.
    async fn set_members(&self) -> Result<SetMembers, StoreError>;
}

/// Component Ethernet interfaces.
#[async_trait]
pub trait InterfaceStore: Send + Sync {
    /// Interfaces matching `filter`, by ID.
    async fn interfaces(&self, filter: &InterfaceFilter) -> Result<Vec<EthInterface>, StoreError>;

    /// One interface.
    async fn interface(&self, id: &str) -> Result<Option<EthInterface>, StoreError>;

    /// Creates an interface: `Conflict` when its ID (MAC) exists.
    async fn create_interface(&self, iface: &EthInterface) -> Result<(), StoreError>;

    /// Applies `change` (stamped `now`) atomically and returns the result: `NotFound` without
    /// the interface, `Invalid`/`Conflict`/`NotFound` as the change decides.
    async fn change_interface(
        &self,
        id: &str,
        change: &InterfaceChange,
        now: &str,
    ) -> Result<EthInterface, StoreError>;

    /// Deletes one interface; false when there was none.
    async fn delete_interface(&self, id: &str) -> Result<bool, StoreError>;

    /// Deletes every interface; returns how many there were.
    async fn delete_all_interfaces(&self) -> Result<u64, StoreError>;
}

/// What happens to a stored endpoint password on a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordWrite {
    /// Keep what is stored (nothing for a new endpoint).
    Keep,
    /// Store this sealed value.
    Set(String),
}

/// One Redfish endpoint to write, with what it describes.
#[derive(Debug, Clone)]
pub struct EndpointWrite {
    /// The endpoint.
    pub endpoint: RedfishEndpoint,
    /// Its password, sealed.
    pub password: PasswordWrite,
    /// Components, component endpoints, interfaces and hardware it describes.
    pub described: Described,
}

/// Redfish endpoints and what they describe.
#[async_trait]
pub trait EndpointStore: Send + Sync {
    /// Endpoints matching `filter`, in xname order.
    async fn endpoints(&self, filter: &EndpointFilter) -> Result<Vec<RedfishEndpoint>, StoreError>;

    /// One endpoint.
    async fn endpoint(&self, id: &Xname) -> Result<Option<RedfishEndpoint>, StoreError>;

    /// The sealed passwords of the endpoints that have one, by endpoint.
    async fn endpoint_passwords(&self, ids: &[Xname]) -> Result<Vec<(Xname, String)>, StoreError>;

    /// Writes endpoints and what they describe, all or nothing. Without `replace`, an
    /// existing ID or FQDN, or an existing interface MAC, is `Conflict`; with it, endpoints,
    /// component endpoints, interfaces and hardware are overwritten. Described components are
    /// only created, never changed. Returns the components created.
    async fn write_endpoints(
        &self,
        writes: &[EndpointWrite],
        replace: bool,
    ) -> Result<Vec<Xname>, StoreError>;

    /// Records a discovery outcome on an endpoint; false when absent.
    async fn set_discovery(
        &self,
        id: &Xname,
        info: &crate::model::redfish::DiscoveryInfo,
    ) -> Result<bool, StoreError>;

    /// Deletes an endpoint with its component and service endpoints; false when absent.
    async fn delete_endpoint(&self, id: &Xname) -> Result<bool, StoreError>;

    /// Deletes every endpoint; returns how many there were.
    async fn delete_all_endpoints(&self) -> Result<u64, StoreError>;

    /// Component endpoints matching `filter`, in xname order.
    async fn component_endpoints(
        &self,
        filter: &ComponentEndpointFilter,
    ) -> Result<Vec<ComponentEndpoint>, StoreError>;

    /// Service endpoints of the given endpoints (all when empty) and Redfish types (all when
    /// empty).
    async fn service_endpoints(
        &self,
        endpoints: &[Xname],
        redfish_types: &[String],
    ) -> Result<Vec<ServiceEndpoint>, StoreError>;

    /// Deletes the component endpoints `ids` (all when `None`), undoing their discovery: each
    /// one's component becomes Empty with Flag OK, as SMD does. Returns how many were deleted
    /// and the components whose State or Flag changed.
    async fn delete_component_endpoints(
        &self,
        ids: Option<&[Xname]>,
    ) -> Result<(u64, Vec<Xname>), StoreError>;

    /// Replaces the service endpoints of `endpoint` (what its discovery found); `NotFound`
    /// when the endpoint is gone.
    async fn put_service_endpoints(
        &self,
        endpoint: &Xname,
        services: &[ServiceEndpoint],
    ) -> Result<(), StoreError>;

    /// Deletes the service endpoint of `redfish_type` on `endpoint` (all service endpoints
    /// when `None`); returns how many were deleted.
    async fn delete_service_endpoints(
        &self,
        which: Option<(&Xname, &str)>,
    ) -> Result<u64, StoreError>;

    /// Hardware at the given locations (all when empty), in xname order.
    async fn hardware(&self, ids: &[Xname]) -> Result<Vec<Hardware>, StoreError>;
}

/// One entry to write: compare-and-set on its version.
#[derive(Debug, Clone)]
pub struct BootChange {
    /// The entry's name.
    pub name: String,
    /// The version the writer read (0: it expects no entry).
    pub expect: u64,
    /// The new data and referral token; `None` deletes the entry.
    pub after: Option<(BootData, String)>,
    /// What kind of write this is, for the history.
    pub op: BootOp,
}

/// Boot parameters and their history.
#[async_trait]
pub trait BootStore: Send + Sync {
    /// Entries with these names (all when `None`), by name.
    async fn boot_entries(&self, names: Option<&[String]>) -> Result<Vec<BootEntry>, StoreError>;

    /// Applies every change or none: when any entry's current version (0 when absent) is not
    /// the one expected, `Stale` naming it; a name changed twice is `Invalid`. Each write gets
    /// the next version of its name (versions never repeat, across deletes) and a history
    /// record. Returns the entries written, deleted ones left out.
    async fn write_boot(
        &self,
        changes: &[BootChange],
        at: &str,
        by: &str,
    ) -> Result<Vec<BootEntry>, StoreError>;

    /// History of one entry (every entry when `None`), newest first, at most `limit`.
    async fn boot_history(
        &self,
        name: Option<&str>,
        limit: u32,
    ) -> Result<Vec<BootVersion>, StoreError>;

    /// One version of an entry.
    async fn boot_version(
        &self,
        name: &str,
        version: u64,
    ) -> Result<Option<BootVersion>, StoreError>;
}

/// Which core runs a transition, and until when (unix seconds) unless it renews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The core's name (a UUID per process).
    pub owner: String,
    /// When the lease ends.
    pub until: i64,
}

/// Power transitions and their tasks.
#[async_trait]
pub trait PowerStore: Send + Sync {
    /// Stores a new transition with its tasks, leased to `lease`'s owner, all or nothing.
    async fn create_transition(
        &self,
        t: &crate::model::power::Transition,
        tasks: &[crate::model::power::Task],
        lease: &Lease,
    ) -> Result<(), StoreError>;

    /// Leases to `lease`'s owner every unfinished transition whose lease ended before `now`
    /// (unix seconds); returns their IDs with the end of the lease each had (how long it went
    /// unattended). Two cores never get the same transition.
    async fn claim_transitions(
        &self,
        lease: &Lease,
        now: i64,
    ) -> Result<Vec<(String, i64)>, StoreError>;

    /// Records the reservations the engine holds for a transition's nodes, so a core taking
    /// it over can renew and release them.
    async fn set_transition_reservations(
        &self,
        id: &str,
        keys: &[crate::model::locks::ReservationKeys],
    ) -> Result<(), StoreError>;

    /// The reservations recorded for a transition (none when it has no record).
    async fn transition_reservations(
        &self,
        id: &str,
    ) -> Result<Vec<crate::model::locks::ReservationKeys>, StoreError>;

    /// Extends `lease` (or ends it, with `until` in the past) on those of `ids` its owner holds;
    /// returns them with their status (an abort may have been signalled elsewhere).
    async fn renew_transitions(
        &self,
        lease: &Lease,
        ids: &[String],
    ) -> Result<Vec<(String, crate::model::power::TransitionStatus)>, StoreError>;

    /// One transition with its tasks and counts.
    async fn transition(
        &self,
        id: &str,
    ) -> Result<Option<crate::model::power::Transition>, StoreError>;

    /// Every transition with counts, without tasks, oldest first.
    async fn transitions(&self) -> Result<Vec<crate::model::power::Transition>, StoreError>;

    /// `(transition ID, xname)` of every task of every transition.
    async fn transition_nodes(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// Sets a transition's status; false when there is none.
    async fn set_transition_status(
        &self,
        id: &str,
        status: crate::model::power::TransitionStatus,
    ) -> Result<bool, StoreError>;

    /// Writes tasks' status, description and error, in one transaction.
    async fn update_tasks(
        &self,
        id: &str,
        tasks: &[crate::model::power::Task],
    ) -> Result<(), StoreError>;

    /// Records where nodes' tasks are with their BMCs, in one transaction; the engine waits
    /// for it before it sends a reset.
    async fn record_steps(
        &self,
        id: &str,
        steps: &[crate::model::power::Step],
    ) -> Result<(), StoreError>;

    /// The step records of a transition's nodes (of those that have one).
    async fn transition_steps(
        &self,
        id: &str,
    ) -> Result<Vec<crate::model::power::Step>, StoreError>;
}

/// Tenants (TAPMS).
/// Cloud-init documents (metadata-service): JSON by kind and name.
#[async_trait]
pub trait MetadataStore: Send + Sync {
    /// One document.
    async fn metadata_doc(&self, kind: &str, name: &str) -> Result<Option<String>, StoreError>;

    /// Every document of a kind, by name.
    async fn metadata_docs(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError>;

    /// Writes a document; with `create`, only when none has that name (false when one has).
    async fn put_metadata_doc(
        &self,
        kind: &str,
        name: &str,
        doc: &str,
        create: bool,
    ) -> Result<bool, StoreError>;

    /// Deletes a document; false when there was none.
    async fn delete_metadata_doc(&self, kind: &str, name: &str) -> Result<bool, StoreError>;
}

/// Power-cap tasks (PCS `/power-cap`).
#[async_trait]
pub trait CapStore: Send + Sync {
    /// Writes a task (made or replaced whole).
    async fn put_cap_task(
        &self,
        task: &crate::model::power_cap::CapRecord,
    ) -> Result<(), StoreError>;

    /// One task with its operations.
    async fn cap_task(
        &self,
        id: &str,
    ) -> Result<Option<crate::model::power_cap::CapRecord>, StoreError>;

    /// Every task, oldest first, with its counts but not its operations (the ops are empty).
    async fn cap_tasks(
        &self,
    ) -> Result<
        Vec<(
            crate::model::power_cap::CapRecord,
            crate::model::power_cap::CapCounts,
        )>,
        StoreError,
    >;

    /// Deletes the tasks that expire before `now`, and the oldest completed ones past the
    /// newest `keep`; answers how many went.
    async fn prune_cap_tasks(&self, now: &str, keep: u64) -> Result<u64, StoreError>;
}

#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Every tenant, by name.
    async fn tenants(&self) -> Result<Vec<crate::model::tenant::Tenant>, StoreError>;

    /// One tenant by name or UUID.
    async fn tenant(
        &self,
        name_or_uuid: &str,
    ) -> Result<Option<crate::model::tenant::Tenant>, StoreError>;

    /// Writes a tenant if its stored version is `expected` (`None`: it must not exist yet);
    /// otherwise `Stale` and nothing changes. With `claims`, the write is also refused
    /// (`Conflict`, nothing changes) when its resources clash with another stored tenant's
    /// ([`crate::model::tenant::clash`]), checked in the same transaction, so two writers
    /// cannot both claim a node.
    async fn put_tenant(
        &self,
        t: &crate::model::tenant::Tenant,
        expected: Option<u64>,
        claims: bool,
    ) -> Result<(), StoreError>;

    /// Removes a tenant; whether it existed.
    async fn delete_tenant(&self, name: &str) -> Result<bool, StoreError>;
}

/// One component's result of a lock change: its new state, or why it was refused.
pub type LockOutcome = (Xname, Result<LockState, LockReason>);

/// Node maps (`Defaults/NodeMaps`) and power maps (`sysinfo/powermaps`).
#[async_trait]
pub trait MapStore: Send + Sync {
    /// Node maps in xname order: all, or those of `ids`.
    async fn node_maps(&self, ids: Option<&[Xname]>) -> Result<Vec<NodeMap>, StoreError>;

    /// Creates or replaces each map, all or nothing. A NID another node's map keeps is
    /// `Conflict`; the maps written may trade NIDs among themselves.
    async fn put_node_maps(&self, maps: &[NodeMap]) -> Result<(), StoreError>;

    /// Deletes one node map; false when there was none.
    async fn delete_node_map(&self, id: &Xname) -> Result<bool, StoreError>;

    /// Deletes every node map; returns how many there were.
    async fn delete_node_maps(&self) -> Result<u64, StoreError>;

    /// Power maps in xname order: all, or those of `ids`.
    async fn power_maps(&self, ids: Option<&[Xname]>) -> Result<Vec<PowerMap>, StoreError>;

    /// Creates or replaces each map, all or nothing.
    async fn put_power_maps(&self, maps: &[PowerMap]) -> Result<(), StoreError>;

    /// Deletes one power map; false when there was none.
    async fn delete_power_map(&self, id: &Xname) -> Result<bool, StoreError>;

    /// Deletes every power map; returns how many there were.
    async fn delete_power_maps(&self) -> Result<u64, StoreError>;
}

/// Hardware inventory written directly (`Inventory/Hardware`), FRUs (`HardwareByFRU`) and the
/// history of which FRU was seen where. Discovery's hardware is written by
/// [`EndpointStore::write_endpoints`], which records history the same way.
#[async_trait]
pub trait HardwareStore: Send + Sync {
    /// Creates or replaces the hardware at each location, all or nothing, recording a
    /// Detected event at `now` for each FRU that is not what its location's last event says.
    async fn put_hardware(&self, hardware: &[Hardware], now: &str) -> Result<(), StoreError>;

    /// Deletes the hardware at `ids` (every location when `None`); returns how many.
    async fn delete_hardware(&self, ids: Option<&[Xname]>) -> Result<u64, StoreError>;

    /// Takes FRU `fru_id` (every FRU when `None`) out of the locations it populates; returns
    /// how many locations changed.
    async fn delete_frus(&self, fru_id: Option<&str>) -> Result<u64, StoreError>;

    /// History events matching `filter`, in the order recorded.
    async fn hardware_history(&self, filter: &HistoryFilter) -> Result<Vec<HwEvent>, StoreError>;

    /// Deletes history events; returns how many.
    async fn delete_hardware_history(&self, which: HistoryOf<'_>) -> Result<u64, StoreError>;
}

/// SCN subscriptions (`Subscriptions/SCN`).
#[async_trait]
pub trait ScnStore: Send + Sync {
    /// Every subscription, by ID.
    async fn scn_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    /// One subscription.
    async fn scn_subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError>;

    /// Creates a subscription, or replaces the one of the same subscriber and URL; returns
    /// its ID.
    async fn put_scn_subscription(&self, spec: &SubscriptionSpec) -> Result<i64, StoreError>;

    /// Replaces subscription `id`; false when there is none. A subscriber and URL another
    /// subscription holds is `Conflict`.
    async fn replace_scn_subscription(
        &self,
        id: i64,
        spec: &SubscriptionSpec,
    ) -> Result<bool, StoreError>;

    /// Deletes one subscription; false when there was none.
    async fn delete_scn_subscription(&self, id: i64) -> Result<bool, StoreError>;

    /// Deletes every subscription; returns how many there were.
    async fn delete_scn_subscriptions(&self) -> Result<u64, StoreError>;
}

/// Component locks and reservations (`/hsm/v2/locks`).
#[async_trait]
pub trait LockStore: Send + Sync {
    /// Lock states of the named components; names that are not components are left out.
    async fn lock_states(&self, ids: &[Xname]) -> Result<Vec<LockState>, StoreError>;

    /// Applies the changes in order, in one transaction, by [`LockState::apply`] at `now`
    /// (unix seconds). Every change gets its outcome; with `rigid`, one refusal writes nothing.
    async fn change_locks(
        &self,
        changes: &[(Xname, LockChange)],
        rigid: bool,
        now: i64,
    ) -> Result<Vec<LockOutcome>, StoreError>;
}

/// Every (component, group label) pair and every (component, partition name) pair.
pub type SetMembers = (Vec<(Xname, String)>, Vec<(Xname, String)>);

/// One event in the log replicas share.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// Its place in the log (ids commit in order).
    pub id: i64,
    /// The event as JSON; `None` for one the reader published itself (only its place is
    /// read, so the reader can move past it).
    pub body: Option<String>,
}

/// What replicas on one database share beside the resources: a log of the events each one
/// published, and secrets (signing and sealing keys) the first one to start stores.
#[async_trait]
pub trait SharedState: Send + Sync {
    /// Appends events published by `origin`, in order, and wakes the listeners.
    async fn append_events(&self, origin: &str, bodies: &[String]) -> Result<(), StoreError>;

    /// The id of the newest event (0 when there is none).
    async fn last_event(&self) -> Result<i64, StoreError>;

    /// Up to `limit` events after `after`, oldest first; those `mine` published come
    /// without their body.
    async fn events_after(
        &self,
        after: i64,
        limit: i64,
        mine: &str,
    ) -> Result<Vec<LoggedEvent>, StoreError>;

    /// Deletes events older than `keep`; returns how many went.
    async fn prune_events(&self, keep: std::time::Duration) -> Result<u64, StoreError>;

    /// A channel that receives a wake-up whenever events may have been appended (also after
    /// a lost connection comes back, when some wake-ups may have been missed).
    async fn event_wakeups(&self) -> Result<tokio::sync::mpsc::Receiver<()>, StoreError>;

    /// The secret stored under `name`; when there is none yet, `mine` is stored and returned.
    async fn shared_secret(&self, name: &str, mine: &str) -> Result<String, StoreError>;
}

/// Names of xnames compactly for an error message (a hostlist, cut short when very long).
pub fn name_list(ids: &[Xname]) -> String {
    const MAX: usize = 400;
    let text = crate::model::hostlist::compress(ids);
    if text.len() <= MAX {
        return text;
    }
    let mut cut = MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}... ({} components)", &text[..cut], ids.len())
}

/// The audit log: append-only.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry (its `id` is ignored) and returns the id it got.
    async fn append_audit(
        &self,
        entry: &crate::model::audit::AuditEntry,
    ) -> Result<i64, StoreError>;

    /// Entries matching `filter`, oldest first (newest first when it says so).
    async fn audit(
        &self,
        filter: &crate::model::audit::AuditFilter,
    ) -> Result<Vec<crate::model::audit::AuditEntry>, StoreError>;
}
