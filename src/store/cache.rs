//! A write-through cache of components in front of any [`Store`]: reads are served from
//! memory in natural xname order, writes go to the database first and then to the cache.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::{
    AuditStore, BootChange, BootStore, CapStore, ComponentEndpointFilter, ComponentStore,
    EndpointStore, EndpointWrite, GroupStore, HardwareStore, HistoryOf, InterfaceStore, Lease,
    LockOutcome, LockStore, MapStore, MetadataStore, PowerStore, ScnStore, SetFilter, SetMembers,
    Store, StoreError, TenantStore,
};
use crate::model::audit::{AuditEntry, AuditFilter};
use crate::model::boot::{BootEntry, BootVersion};
use crate::model::component::{Component, ComponentChange};
use crate::model::discovery::{ComponentEndpoint, Hardware, ServiceEndpoint};
use crate::model::enums::{Flag, State};
use crate::model::ethernet::{EthInterface, InterfaceChange, InterfaceFilter};
use crate::model::filter::ComponentFilter;
use crate::model::group::{Group, Membership, Partition, SetPatch};
use crate::model::hardware::{HistoryFilter, HwEvent};
use crate::model::locks::{LockChange, LockState, ReservationKeys};
use crate::model::maps::{NodeMap, PowerMap};
use crate::model::power::{Step, Task, Transition, TransitionStatus};
use crate::model::power_cap::{CapCounts, CapRecord};
use crate::model::redfish::{DiscoveryInfo, EndpointFilter, RedfishEndpoint};
use crate::model::scn::{Subscription, SubscriptionSpec};
use crate::model::tenant::Tenant;
use crate::model::xname::Xname;

/// Caches every component of the wrapped store. Writes are serialized so the cache applies
/// them in the order the database committed them.
pub struct CachedStore {
    inner: Arc<dyn Store>,
    components: RwLock<BTreeMap<Xname, Component>>,
    writes: Mutex<()>,
}

impl CachedStore {
    /// Wraps `inner`, loading its components once.
    pub async fn load(inner: Arc<dyn Store>) -> Result<CachedStore, StoreError> {
        let all = inner.components(&ComponentFilter::default()).await?;
        Ok(CachedStore {
            inner,
            components: RwLock::new(all.into_iter().map(|c| (c.id.clone(), c)).collect()),
            writes: Mutex::new(()),
        })
    }

    /// Re-reads these components from the wrapped store after another writer (a replica on
    /// the same database) changed them: present ones replace the cached copy, absent ones
    /// leave the cache.
    pub async fn refresh(&self, ids: &[Xname]) -> Result<(), StoreError> {
        let _gate = self.writes.lock().await;
        let filter = ComponentFilter {
            ids: ids.to_vec(),
            ..ComponentFilter::default()
        };
        let found = self.inner.components(&filter).await?;
        let mut map = self.write();
        for id in ids {
            map.remove(id);
        }
        for c in found {
            map.insert(c.id.clone(), c);
        }
        Ok(())
    }

    /// Re-reads every component from the wrapped store.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let _gate = self.writes.lock().await;
        let all = self.inner.components(&ComponentFilter::default()).await?;
        *self.write() = all.into_iter().map(|c| (c.id.clone(), c)).collect();
        Ok(())
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Xname, Component>> {
        // A panic while holding the lock leaves the map itself intact; keep serving it.
        self.components.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Xname, Component>> {
        self.components.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// A new component as the store keeps it: absent State, Flag and Enabled take the defaults.
fn as_stored(new: &Component) -> Component {
    let mut c = new.clone();
    c.state = c.state.or(Some(State::Unknown));
    c.flag = c.flag.or(Some(Flag::Ok));
    c.enabled = c.enabled.or(Some(true));
    c
}

/// Applies a forced upsert's overwrite to a cached component, as the store does.
fn overwrite(cached: &mut Component, new: &Component) {
    cached.state = new.state;
    cached.flag = new.flag;
    if new.subtype.is_some() {
        cached.subtype.clone_from(&new.subtype);
    }
    if new.net_type.is_some() {
        cached.net_type = new.net_type;
    }
    if new.arch.is_some() {
        cached.arch = new.arch;
    }
    if new.class.is_some() {
        cached.class = new.class;
    }
}

#[async_trait]
impl ComponentStore for CachedStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn components(&self, filter: &ComponentFilter) -> Result<Vec<Component>, StoreError> {
        if !filter.groups.is_empty() || !filter.partitions.is_empty() {
            // Memberships live in the database only.
            return self.inner.components(filter).await;
        }
        let map = self.read();
        if filter.ids.is_empty() {
            return Ok(map
                .values()
                .filter(|c| filter.accepts(c))
                .cloned()
                .collect());
        }
        let mut ids: Vec<&Xname> = filter.ids.iter().collect();
        ids.sort();
        ids.dedup();
        Ok(ids
            .into_iter()
            .filter_map(|id| map.get(id))
            .filter(|c| filter.accepts(c))
            .cloned()
            .collect())
    }

    async fn component(&self, id: &Xname) -> Result<Option<Component>, StoreError> {
        Ok(self.read().get(id).cloned())
    }

    async fn component_by_nid(&self, nid: i64) -> Result<Option<Component>, StoreError> {
        Ok(self.read().values().find(|c| c.nid == Some(nid)).cloned())
    }

    async fn upsert_components(
        &self,
        components: &[Component],
        force: bool,
    ) -> Result<Vec<Xname>, StoreError> {
        let _gate = self.writes.lock().await;
        let changed = self.inner.upsert_components(components, force).await?;
        if !changed.is_empty() {
            let by_id: std::collections::HashMap<&Xname, &Component> =
                components.iter().map(|c| (&c.id, c)).collect();
            let mut map = self.write();
            for id in &changed {
                let Some(new) = by_id.get(id) else { continue };
                match map.get_mut(id) {
                    Some(cached) => overwrite(cached, &as_stored(new)),
                    None => {
                        map.insert(id.clone(), as_stored(new));
                    }
                }
            }
        }
        Ok(changed)
    }

    async fn update_components(
        &self,
        ids: &[Xname],
        change: &ComponentChange,
        required_states: Option<&[State]>,
    ) -> Result<Vec<Xname>, StoreError> {
        let _gate = self.writes.lock().await;
        let changed = self
            .inner
            .update_components(ids, change, required_states)
            .await?;
        let mut map = self.write();
        for id in &changed {
            if let Some(c) = map.get_mut(id) {
                change.apply(c);
            }
        }
        Ok(changed)
    }

    async fn set_nids(&self, nids: &[(Xname, i64)]) -> Result<(), StoreError> {
        let _gate = self.writes.lock().await;
        self.inner.set_nids(nids).await?;
        let mut map = self.write();
        for (id, nid) in nids {
            if let Some(c) = map.get_mut(id) {
                c.nid = Some(*nid);
            }
        }
        Ok(())
    }

    async fn delete_component(&self, id: &Xname) -> Result<bool, StoreError> {
        let _gate = self.writes.lock().await;
        let deleted = self.inner.delete_component(id).await?;
        self.write().remove(id);
        Ok(deleted)
    }

    async fn delete_all_components(&self) -> Result<u64, StoreError> {
        let _gate = self.writes.lock().await;
        let n = self.inner.delete_all_components().await?;
        self.write().clear();
        Ok(n)
    }
}

/// Implements a store trait for [`CachedStore`]: each method listed in braces calls the
/// wrapped store's method of the same name; the items after the braces are written out.
macro_rules! cached {
    ($what:path { $( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )* } $($own:tt)*) => {
        #[async_trait]
        impl $what for CachedStore {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.inner.$name($($arg),*).await
                }
            )*
            $($own)*
        }
    };
}

// Memberships are not cached: every call goes to the wrapped store.
cached!(GroupStore {
    fn groups(&self, filter: &SetFilter) -> Result<Vec<Group>, StoreError>;
    fn group(&self, label: &str) -> Result<Option<Group>, StoreError>;
    fn group_labels(&self) -> Result<Vec<String>, StoreError>;
    fn create_group(&self, group: &Group) -> Result<(), StoreError>;
    fn update_group(&self, label: &str, patch: &SetPatch) -> Result<bool, StoreError>;
    fn delete_group(&self, label: &str) -> Result<bool, StoreError>;
    fn add_group_members(&self, label: &str, ids: &[Xname]) -> Result<(), StoreError>;
    fn set_group_members(&self, label: &str, ids: &[Xname]) -> Result<(), StoreError>;
    fn remove_group_member(&self, label: &str, id: &Xname) -> Result<(), StoreError>;
    fn partitions(&self, filter: &SetFilter) -> Result<Vec<Partition>, StoreError>;
    fn partition(&self, name: &str) -> Result<Option<Partition>, StoreError>;
    fn partition_names(&self) -> Result<Vec<String>, StoreError>;
    fn create_partition(&self, partition: &Partition) -> Result<(), StoreError>;
    fn update_partition(&self, name: &str, patch: &SetPatch) -> Result<bool, StoreError>;
    fn delete_partition(&self, name: &str) -> Result<bool, StoreError>;
    fn add_partition_members(&self, name: &str, ids: &[Xname]) -> Result<(), StoreError>;
    fn remove_partition_member(&self, name: &str, id: &Xname) -> Result<(), StoreError>;
    fn set_members(&self) -> Result<SetMembers, StoreError>;
}
    /// Named components (a node's detail, a set's members) are looked up by index in the
    /// database; the others come from the cached components and the member rows alone,
    /// since reading every component's row back (a join per component) costs far more at
    /// 100,000 components.
    async fn memberships(&self, filter: &ComponentFilter) -> Result<Vec<Membership>, StoreError> {
        if !filter.ids.is_empty() || !filter.groups.is_empty() || !filter.partitions.is_empty() {
            return self.inner.memberships(filter).await;
        }
        let (groups, partitions) = self.inner.set_members().await?;
        let mut labels: HashMap<Xname, Vec<String>> = HashMap::new();
        for (id, label) in groups {
            labels.entry(id).or_default().push(label);
        }
        let mut partition: HashMap<Xname, String> = partitions.into_iter().collect();
        let ids: Vec<Xname> = self
            .read()
            .values()
            .filter(|c| filter.accepts(c))
            .map(|c| c.id.clone())
            .collect();
        Ok(ids
            .into_iter()
            .map(|id| {
                let mut group_labels = labels.remove(&id).unwrap_or_default();
                group_labels.sort();
                Membership {
                    partition_name: partition.remove(&id).unwrap_or_default(),
                    group_labels,
                    id,
                }
            })
            .collect())
    }
);

// Interfaces are not cached.
cached!(InterfaceStore {
    fn interfaces(&self, filter: &InterfaceFilter) -> Result<Vec<EthInterface>, StoreError>;
    fn interface(&self, id: &str) -> Result<Option<EthInterface>, StoreError>;
    fn create_interface(&self, iface: &EthInterface) -> Result<(), StoreError>;
    fn change_interface(
        &self,
        id: &str,
        change: &InterfaceChange,
        now: &str
    ) -> Result<EthInterface, StoreError>;
    fn delete_interface(&self, id: &str) -> Result<bool, StoreError>;
    fn delete_all_interfaces(&self) -> Result<u64, StoreError>;
});

// Transitions are not cached.
cached!(PowerStore {
    fn create_transition(
        &self,
        t: &Transition,
        tasks: &[Task],
        lease: &Lease
    ) -> Result<(), StoreError>;
    fn set_transition_reservations(
        &self,
        id: &str,
        keys: &[ReservationKeys]
    ) -> Result<(), StoreError>;
    fn transition_reservations(&self, id: &str) -> Result<Vec<ReservationKeys>, StoreError>;
    fn claim_transitions(&self, lease: &Lease, now: i64) -> Result<Vec<(String, i64)>, StoreError>;
    fn renew_transitions(
        &self,
        lease: &Lease,
        ids: &[String]
    ) -> Result<Vec<(String, TransitionStatus)>, StoreError>;
    fn transition(&self, id: &str) -> Result<Option<Transition>, StoreError>;
    fn transitions(&self) -> Result<Vec<Transition>, StoreError>;
    fn transition_nodes(&self) -> Result<Vec<(String, String)>, StoreError>;
    fn set_transition_status(&self, id: &str, status: TransitionStatus) -> Result<bool, StoreError>;
    fn update_tasks(&self, id: &str, tasks: &[Task]) -> Result<(), StoreError>;
    fn record_steps(&self, id: &str, steps: &[Step]) -> Result<(), StoreError>;
    fn transition_steps(&self, id: &str) -> Result<Vec<Step>, StoreError>;
});

// Tenants, maps, hardware, SCN subscriptions, boot parameters and the audit log are not cached.
cached!(TenantStore {
    fn tenants(&self) -> Result<Vec<Tenant>, StoreError>;
    fn tenant(&self, name_or_uuid: &str) -> Result<Option<Tenant>, StoreError>;
    fn put_tenant(&self, t: &Tenant, expected: Option<u64>, claims: bool) -> Result<(), StoreError>;
    fn delete_tenant(&self, name: &str) -> Result<bool, StoreError>;
});

// Locks are not cached, but a component shows its lock and disable bits: a change copies
// them into the cached component before the write lock is released.
cached!(LockStore {
    fn lock_states(&self, ids: &[Xname]) -> Result<Vec<LockState>, StoreError>;
}
    async fn change_locks(
        &self,
        changes: &[(Xname, LockChange)],
        rigid: bool,
        now: i64,
    ) -> Result<Vec<LockOutcome>, StoreError> {
        let _gate = self.writes.lock().await;
        let out = self.inner.change_locks(changes, rigid, now).await?;
        if rigid && out.iter().any(|(_, r)| r.is_err()) {
            return Ok(out);
        }
        let mut map = self.write();
        for state in out.iter().filter_map(|(_, r)| r.as_ref().ok()) {
            if let Some(c) = map.get_mut(&state.id) {
                c.locked = state.locked;
                c.reservation_disabled = state.disabled;
            }
        }
        Ok(out)
    }
);

cached!(MapStore {
    fn node_maps(&self, ids: Option<&[Xname]>) -> Result<Vec<NodeMap>, StoreError>;
    fn put_node_maps(&self, maps: &[NodeMap]) -> Result<(), StoreError>;
    fn delete_node_map(&self, id: &Xname) -> Result<bool, StoreError>;
    fn delete_node_maps(&self) -> Result<u64, StoreError>;
    fn power_maps(&self, ids: Option<&[Xname]>) -> Result<Vec<PowerMap>, StoreError>;
    fn put_power_maps(&self, maps: &[PowerMap]) -> Result<(), StoreError>;
    fn delete_power_map(&self, id: &Xname) -> Result<bool, StoreError>;
    fn delete_power_maps(&self) -> Result<u64, StoreError>;
});

cached!(HardwareStore {
    fn put_hardware(&self, hardware: &[Hardware], now: &str) -> Result<(), StoreError>;
    fn delete_hardware(&self, ids: Option<&[Xname]>) -> Result<u64, StoreError>;
    fn delete_frus(&self, fru_id: Option<&str>) -> Result<u64, StoreError>;
    fn hardware_history(&self, filter: &HistoryFilter) -> Result<Vec<HwEvent>, StoreError>;
    fn delete_hardware_history(&self, which: HistoryOf<'_>) -> Result<u64, StoreError>;
});

cached!(MetadataStore {
    fn metadata_doc(&self, kind: &str, name: &str) -> Result<Option<String>, StoreError>;
    fn metadata_docs(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError>;
    fn put_metadata_doc(
        &self,
        kind: &str,
        name: &str,
        doc: &str,
        create: bool
    ) -> Result<bool, StoreError>;
    fn delete_metadata_doc(&self, kind: &str, name: &str) -> Result<bool, StoreError>;
});

cached!(CapStore {
    fn put_cap_task(&self, task: &CapRecord) -> Result<(), StoreError>;
    fn cap_task(&self, id: &str) -> Result<Option<CapRecord>, StoreError>;
    fn cap_tasks(&self) -> Result<Vec<(CapRecord, CapCounts)>, StoreError>;
    fn prune_cap_tasks(&self, now: &str, keep: u64) -> Result<u64, StoreError>;
});

cached!(ScnStore {
    fn scn_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    fn scn_subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError>;
    fn put_scn_subscription(&self, spec: &SubscriptionSpec) -> Result<i64, StoreError>;
    fn replace_scn_subscription(
        &self,
        id: i64,
        spec: &SubscriptionSpec
    ) -> Result<bool, StoreError>;
    fn delete_scn_subscription(&self, id: i64) -> Result<bool, StoreError>;
    fn delete_scn_subscriptions(&self) -> Result<u64, StoreError>;
});

cached!(BootStore {
    fn boot_entries(&self, names: Option<&[String]>) -> Result<Vec<BootEntry>, StoreError>;
    fn write_boot(
        &self,
        changes: &[BootChange],
        at: &str,
        by: &str
    ) -> Result<Vec<BootEntry>, StoreError>;
    fn boot_history(&self, name: Option<&str>, limit: u32) -> Result<Vec<BootVersion>, StoreError>;
    fn boot_version(&self, name: &str, version: u64) -> Result<Option<BootVersion>, StoreError>;
});

cached!(AuditStore {
    fn append_audit(&self, entry: &AuditEntry) -> Result<i64, StoreError>;
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
});

// Endpoints are not cached, but a write may create components: those are read back from
// the wrapped store into the cache before the write lock is released.
cached!(EndpointStore {
    fn endpoints(&self, filter: &EndpointFilter) -> Result<Vec<RedfishEndpoint>, StoreError>;
    fn endpoint(&self, id: &Xname) -> Result<Option<RedfishEndpoint>, StoreError>;
    fn endpoint_passwords(&self, ids: &[Xname]) -> Result<Vec<(Xname, String)>, StoreError>;
    fn set_discovery(&self, id: &Xname, info: &DiscoveryInfo) -> Result<bool, StoreError>;
    fn delete_endpoint(&self, id: &Xname) -> Result<bool, StoreError>;
    fn delete_all_endpoints(&self) -> Result<u64, StoreError>;
    fn component_endpoints(
        &self,
        filter: &ComponentEndpointFilter
    ) -> Result<Vec<ComponentEndpoint>, StoreError>;
    fn service_endpoints(
        &self,
        endpoints: &[Xname],
        redfish_types: &[String]
    ) -> Result<Vec<ServiceEndpoint>, StoreError>;
    fn put_service_endpoints(
        &self,
        endpoint: &Xname,
        services: &[ServiceEndpoint]
    ) -> Result<(), StoreError>;
    fn delete_service_endpoints(
        &self,
        which: Option<(&Xname, &str)>
    ) -> Result<u64, StoreError>;
    fn hardware(&self, ids: &[Xname]) -> Result<Vec<Hardware>, StoreError>;
}
    async fn delete_component_endpoints(
        &self,
        ids: Option<&[Xname]>,
    ) -> Result<(u64, Vec<Xname>), StoreError> {
        let _gate = self.writes.lock().await;
        let (n, emptied) = self.inner.delete_component_endpoints(ids).await?;
        let mut map = self.write();
        for id in &emptied {
            if let Some(c) = map.get_mut(id) {
                c.state = Some(State::Empty);
                c.flag = Some(Flag::Ok);
            }
        }
        Ok((n, emptied))
    }

    async fn write_endpoints(
        &self,
        writes: &[EndpointWrite],
        replace: bool,
    ) -> Result<Vec<Xname>, StoreError> {
        let _gate = self.writes.lock().await;
        let created = self.inner.write_endpoints(writes, replace).await?;
        if !created.is_empty() {
            let filter = ComponentFilter {
                ids: created.clone(),
                ..ComponentFilter::default()
            };
            let fresh = self.inner.components(&filter).await?;
            let mut map = self.write();
            for c in fresh {
                map.insert(c.id.clone(), c);
            }
        }
        Ok(created)
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::enums::{Arch, Role};
    use crate::model::filter::FilterBuilder;
    use crate::store::SqliteStore;

    fn sample() -> Vec<Component> {
        (0..64)
            .map(|i| {
                let id = Xname::parse(&format!("x1000c{}s{}b0n{}", i / 16, (i % 16) / 2, i % 2))
                    .expect("xname");
                let mut c = Component::new(id, [State::Ready, State::Off, State::On][i % 3]);
                c.nid = (i % 5 != 0).then_some(i as i64);
                c.role = (i % 4 != 0).then_some([Role::Compute, Role::Storage][i % 2]);
                c.arch = (i % 7 != 0).then_some(Arch::X86);
                c.flag = Some(if i % 9 == 0 { Flag::Warning } else { Flag::Ok });
                c.enabled = Some(i % 6 != 0);
                c.software_status = (i % 3 == 0).then(|| "AdminDown".to_string());
                c
            })
            .collect()
    }

    async fn sql_store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
        Arc::new(
            SqliteStore::open(&dir.path().join("t.db"))
                .await
                .expect("open"),
        )
    }

    /// The cache must answer every filter exactly as the SQL store does.
    #[tokio::test]
    async fn cache_and_sql_agree_on_every_filter() {
        let dir = tempfile::tempdir().expect("tmp");
        let sql = sql_store(&dir).await;
        let comps = sample();
        sql.upsert_components(&comps, false).await.expect("seed");
        // Sets to show in memberships: two overlapping groups and a partition.
        let ids = |range: std::ops::Range<usize>| -> Vec<Xname> {
            comps[range].iter().map(|c| c.id.clone()).collect()
        };
        for (label, range) in [("gpu", 0..20), ("big", 10..40)] {
            let g = Group {
                label: label.into(),
                description: String::new(),
                tags: Vec::new(),
                exclusive_group: String::new(),
                members: crate::model::group::Members { ids: ids(range) },
            };
            sql.create_group(&g).await.expect("group");
        }
        let p = Partition {
            name: "p1".into(),
            description: String::new(),
            tags: Vec::new(),
            members: crate::model::group::Members { ids: ids(5..15) },
        };
        sql.create_partition(&p).await.expect("partition");
        let cache = CachedStore::load(sql.clone()).await.expect("load");
        // Lock and disable some through the cache: the components show it in both layers.
        let mut changes: Vec<(Xname, LockChange)> = comps[0..8]
            .iter()
            .map(|c| (c.id.clone(), LockChange::Lock))
            .collect();
        changes.extend(
            comps[4..12]
                .iter()
                .map(|c| (c.id.clone(), LockChange::Disable)),
        );
        changes.push((comps[0].id.clone(), LockChange::Unlock));
        let out = cache.change_locks(&changes, false, 0).await.expect("locks");
        assert_eq!(out.iter().filter(|(_, r)| r.is_ok()).count(), 17, "{out:?}");
        let mut b = FilterBuilder::default();
        b.add("locked", "true").expect("valid filter");
        let locked = sql.components(&b.build().0).await.expect("sql");
        let want: Vec<Xname> = comps[1..8].iter().map(|c| c.id.clone()).collect();
        let mut got: Vec<Xname> = locked.into_iter().map(|c| c.id).collect();
        got.sort();
        assert_eq!(got, want, "the store's Locked follows the lock");
        let queries: &[&[(&str, &str)]] = &[
            &[("locked", "True")],
            &[("locked", "!true"), ("reservation_disabled", "false")],
            &[("reservationDisabled", "1")],
            &[],
            &[("state", "Off")],
            &[("state", "!Off"), ("state", "!On")],
            &[("role", "Compute"), ("role", "Storage")],
            &[("role", "!Compute")],
            &[("nid", "!3")],
            &[("nid_start", "10"), ("nid_end", "20")],
            &[("arch", "!X86")],
            &[("flag", "Warning"), ("enabled", "false")],
            &[("softwarestatus", "admindown")],
            &[("softwarestatus", "!admindown")],
            &[("id", "x1000c[0-1]s[0-3]b0n0"), ("state", "Ready")],
            &[("type", "Node"), ("subtype", "!X")],
        ];
        for q in queries {
            let mut b = FilterBuilder::default();
            for (k, v) in *q {
                b.add(k, v).expect("valid filter");
            }
            let (f, _) = b.build();
            let want = sql.components(&f).await.expect("sql");
            let got = cache.components(&f).await.expect("cache");
            assert_eq!(got, want, "filter {q:?}");
            let want = sql.memberships(&f).await.expect("sql");
            let got = cache.memberships(&f).await.expect("cache");
            assert_eq!(got, want, "memberships, filter {q:?}");
        }
    }

    #[tokio::test]
    async fn writes_reach_both_layers() {
        let dir = tempfile::tempdir().expect("tmp");
        let sql = sql_store(&dir).await;
        let cache = CachedStore::load(sql.clone()).await.expect("load");
        let comps = sample();
        cache
            .upsert_components(&comps, false)
            .await
            .expect("upsert");
        let mut forced = comps[..3].to_vec();
        forced[0].state = Some(State::Halt);
        forced[0].role = Some(Role::Management); // not overwritten by force
        cache.upsert_components(&forced, true).await.expect("force");
        let ids: Vec<Xname> = comps[..10].iter().map(|c| c.id.clone()).collect();
        cache
            .update_components(&ids, &ComponentChange::Enabled(false), None)
            .await
            .expect("update");
        cache
            .set_nids(&[(ids[1].clone(), 999)])
            .await
            .expect("nids");
        cache.delete_component(&ids[2]).await.expect("delete");
        let all = ComponentFilter::default();
        assert_eq!(
            cache.components(&all).await.expect("cache"),
            sql.components(&all).await.expect("sql")
        );
        let fresh = CachedStore::load(sql.clone()).await.expect("reload");
        assert_eq!(
            fresh.components(&all).await.expect("fresh"),
            cache.components(&all).await.expect("cache")
        );
    }
}
