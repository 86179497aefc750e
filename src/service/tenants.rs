//! Tenants (TAPMS): create, replace, patch and delete with compare-and-set on the version;
//! checks against inventory (roles) and other tenants (exclusive membership); the lifecycle
//! New/Deploying -> Deployed (or Error), Deleting; and the mirror of each resource into an SMD
//! group or partition, so SMD-only tools see the same picture.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::auth::{Principal, Role};
use super::events::{Event, EventBus};
use super::groups::Groups;
use super::power::Power;
use super::scope::{Scope, TenantNodes};
use super::ServiceError;
use crate::model::boot::merge_patch;
use crate::model::enums::Role as NodeRole;
use crate::model::ethernet::now_rfc3339;
use crate::model::filter::ComponentFilter;
use crate::model::group::{Group, Members, Partition};
use crate::model::power::{Location, TransitionCreate};
use crate::model::tenant::{
    clash, Condition, Metadata, Target, Tenant, TenantResource, TenantSpec, TenantState,
    TenantStatus, EXCLUSIVE_LABEL,
};
use crate::model::xname::Xname;
use crate::store::{name_list, Store, StoreError};

/// What a write expects to find stored (`If-Match`, `If-None-Match: *`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Whatever is there.
    Any,
    /// This version.
    Version(u64),
    /// Nothing: the write creates.
    Absent,
}

/// Tenants over the store, mirrored into groups and partitions.
#[derive(Clone)]
pub struct Tenants {
    store: Arc<dyn Store>,
    bus: EventBus,
    groups: Groups,
    power: Power,
    index: Arc<RwLock<Index>>,
}

/// A tenant as enforcement sees it.
#[derive(Debug)]
struct Known {
    nodes: Arc<TenantNodes>,
    subjects: Vec<String>,
    groups: Vec<String>,
}

/// Every tenant by name, loaded on first use and dropped on each tenant write; `generation`
/// counts the drops so a load that raced with a write is not kept.
#[derive(Debug, Default)]
struct Index {
    tenants: Option<Arc<HashMap<String, Known>>>,
    generation: u64,
}

/// The header naming the tenant a request acts for; [`TENANT_HEADER_ALIAS`] is also read.
pub const TENANT_HEADER: &str = "Cray-Tenant-Name";
/// chami's short alias of [`TENANT_HEADER`].
pub const TENANT_HEADER_ALIAS: &str = "X-Tenant";

fn no_tenant(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("no tenant is named '{id}' or has that uuid"))
}

fn stale(e: StoreError) -> ServiceError {
    match e {
        StoreError::Stale(m) => ServiceError::Precondition(m),
        other => other.into(),
    }
}

impl Tenants {
    /// Tenants over `store`; `groups` mirrors them, `power` powers released nodes off.
    pub fn new(store: Arc<dyn Store>, bus: EventBus, groups: Groups, power: Power) -> Tenants {
        Tenants {
            store,
            bus,
            groups,
            power,
            index: Arc::default(),
        }
    }

    /// The tenants enforcement knows, loading them when a write dropped the last load.
    async fn index(&self) -> Result<Arc<HashMap<String, Known>>, ServiceError> {
        let generation = {
            let ix = self.index.read().unwrap_or_else(|p| p.into_inner());
            if let Some(t) = &ix.tenants {
                return Ok(t.clone());
            }
            ix.generation
        };
        let loaded: HashMap<String, Known> = self
            .store
            .tenants()
            .await?
            .into_iter()
            .map(|t| {
                let name = t.metadata.name.clone();
                let known = Known {
                    nodes: Arc::new(TenantNodes {
                        name: name.clone(),
                        nodes: t.reach(),
                    }),
                    subjects: t.spec.admins.subjects,
                    groups: t.spec.admins.groups,
                };
                (name, known)
            })
            .collect();
        let loaded = Arc::new(loaded);
        let mut ix = self.index.write().unwrap_or_else(|p| p.into_inner());
        if ix.generation == generation {
            ix.tenants = Some(loaded.clone());
        }
        Ok(loaded)
    }

    /// Drops the loaded index after a tenant write.
    pub(crate) fn forget(&self) {
        let mut ix = self.index.write().unwrap_or_else(|p| p.into_inner());
        ix.tenants = None;
        ix.generation += 1;
    }

    /// The tenants `who` administers: named in its token (`tenant`, `tenants`,
    /// `<t>-tenant-admin` groups), or listing its subject or one of its groups as admins.
    pub async fn administered_by(&self, who: &Principal) -> Result<Vec<String>, ServiceError> {
        let index = self.index().await?;
        let mut names: Vec<String> = who.tenants.clone();
        names.extend(
            index
                .iter()
                .filter(|(_, k)| {
                    k.subjects.contains(&who.subject)
                        || k.groups.iter().any(|g| who.groups.contains(g))
                })
                .map(|(n, _)| n.clone()),
        );
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The scope of a request by `who` naming `header` (the `Cray-Tenant-Name` value, if sent).
    /// An admin or service token may omit it or act for any tenant; a tenant admin must name
    /// one of its tenants; anyone else may not name one. `Err(Forbidden)` says why not.
    pub async fn scope_for(
        &self,
        who: &Principal,
        header: Option<&str>,
    ) -> Result<Scope, ServiceError> {
        let privileged = who.roles.contains(&Role::Admin) || who.roles.contains(&Role::Service);
        let mine = if privileged {
            Vec::new()
        } else {
            self.administered_by(who).await?
        };
        let deny = |m: String| Err(ServiceError::Forbidden(m));
        let Some(name) = header else {
            if mine.is_empty() {
                return Ok(Scope::All);
            }
            return deny(format!(
                "'{}' administers tenant(s) [{}]: send {TENANT_HEADER} naming one",
                who.subject,
                mine.join(", ")
            ));
        };
        let name = name.trim();
        if name.is_empty() {
            return deny(format!("{TENANT_HEADER} is empty: name a tenant"));
        }
        if !privileged && !mine.iter().any(|m| m == name) {
            return deny(if mine.is_empty() {
                format!(
                    "'{}' is not an admin of tenant '{name}' (only admins, service tokens and \
                     the tenant's admins may act for a tenant)",
                    who.subject
                )
            } else {
                format!(
                    "'{}' administers [{}], not tenant '{name}'",
                    who.subject,
                    mine.join(", ")
                )
            });
        }
        match self.index().await?.get(name) {
            Some(k) => Ok(Scope::Tenant(k.nodes.clone())),
            None => deny(format!("{TENANT_HEADER} names unknown tenant '{name}'")),
        }
    }

    /// Every tenant.
    pub async fn list(&self) -> Result<Vec<Tenant>, ServiceError> {
        Ok(self.store.tenants().await?)
    }

    /// One tenant by name or UUID.
    pub async fn get(&self, id: &str) -> Result<Tenant, ServiceError> {
        self.store.tenant(id).await?.ok_or_else(|| no_tenant(id))
    }

    /// The tenants holding any of these xnames (TAPMS's POST lookup).
    pub async fn owning(&self, xnames: &[String]) -> Result<Vec<Tenant>, ServiceError> {
        let mut wanted = HashSet::new();
        for raw in xnames {
            let x = Xname::parse(raw)
                .map_err(|e| ServiceError::BadRequest(format!("xname '{raw}': {e}")))?;
            wanted.insert(x.to_string());
        }
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter(|t| {
                t.spec
                    .tenantresources
                    .iter()
                    .any(|r| r.xnames.iter().any(|x| wanted.contains(x)))
            })
            .collect())
    }

    /// Creates tenant `name`, or replaces its spec; says whether it created it. `expect` is
    /// what the caller believes is stored; when it is wrong nothing changes.
    pub async fn put(
        &self,
        name: &str,
        mut spec: TenantSpec,
        expect: Expect,
    ) -> Result<(Tenant, bool), ServiceError> {
        if spec.tenantname.is_empty() {
            spec.tenantname = name.to_string();
        }
        if spec.tenantname != name {
            return Err(ServiceError::BadRequest(format!(
                "tenantname '{}' does not match the path's '{name}'",
                spec.tenantname
            )));
        }
        spec.validate().map_err(ServiceError::BadRequest)?;
        let old = self
            .store
            .tenant(name)
            .await?
            .filter(|t| t.metadata.name == name);
        if let Some(o) = &old {
            spec.check_change(&o.spec)
                .map_err(ServiceError::BadRequest)?;
            if o.state() == Some(TenantState::Deleting) {
                return Err(ServiceError::Conflict(format!(
                    "tenant {name} is being deleted"
                )));
            }
            match expect {
                Expect::Version(v) if v != o.version() => {
                    return Err(ServiceError::Precondition(format!(
                        "tenant {name} is at version {} (If-Match {v}); read it again",
                        o.version()
                    )));
                }
                Expect::Absent => {
                    return Err(ServiceError::Precondition(format!(
                        "tenant {name} exists already (If-None-Match *): pick another name \
                         or edit it"
                    )));
                }
                _ => {}
            }
        } else if let Expect::Version(v) = expect {
            return Err(ServiceError::Precondition(format!(
                "tenant {name} does not exist (If-Match {v})"
            )));
        }
        self.check_nodes(&spec).await?;
        // Checked again by the store, atomically with the write; here first so that a clash
        // with a tenant is named as such.
        if let Some(why) = clash(&spec, &self.list().await?) {
            return Err(ServiceError::Conflict(why));
        }
        self.check_targets(&spec, old.as_ref()).await?;
        let mut t = match &old {
            Some(o) => Tenant {
                spec: spec.clone(),
                ..o.clone()
            },
            None => {
                let uuid = uuid::Uuid::new_v4().to_string();
                Tenant {
                    api_version: "tapms.hpe.com/v1alpha3".into(),
                    kind: "Tenant".into(),
                    metadata: Metadata {
                        name: name.to_string(),
                        uid: uuid.clone(),
                        resource_version: "0".into(),
                        creation_timestamp: now_rfc3339(),
                    },
                    spec: spec.clone(),
                    status: TenantStatus {
                        uuid,
                        ..TenantStatus::default()
                    },
                }
            }
        };
        let first = if old.is_some() {
            TenantState::Deploying
        } else {
            TenantState::New
        };
        let expected = old.as_ref().map(Tenant::version);
        // The store checks the claim against every other tenant in the same transaction: of
        // two writers claiming one node, one is refused and stores nothing.
        t = self.write(t, first, None, expected, true).await?;
        let applied = self.apply(&t).await;
        let previous = t.version();
        t = match applied {
            Ok(()) => {
                t.status.tenantresources = t.spec.tenantresources.clone();
                t.status.childnamespaces = t.spec.childnamespaces.clone();
                t.status.tenanthooks = t.spec.tenanthooks.clone();
                let ready = Condition {
                    kind: "Ready".into(),
                    status: "True".into(),
                    reason: "Deployed".into(),
                    message: String::new(),
                };
                self.write(t, TenantState::Deployed, Some(ready), Some(previous), false)
                    .await?
            }
            Err(e) if old.is_none() => {
                // A refused creation leaves nothing behind: what was applied is released.
                for r in &t.spec.tenantresources {
                    if let Err(undo) = self.release(name, r).await {
                        tracing::warn!(tenant = name, error = %undo, "could not release after a failed create");
                    }
                }
                self.store.delete_tenant(name).await?;
                self.forget();
                self.bus.publish(Event::TenantChanged {
                    name: name.to_string(),
                    deleted: true,
                });
                return Err(e);
            }
            Err(e) => {
                let failed = Condition {
                    kind: "Ready".into(),
                    status: "False".into(),
                    reason: "ApplyFailed".into(),
                    message: e.to_string(),
                };
                self.write(t, TenantState::Error, Some(failed), Some(previous), false)
                    .await?;
                return Err(e);
            }
        };
        Ok((t, old.is_none()))
    }

    /// Applies an RFC 7386 merge patch to tenant `name`'s spec.
    pub async fn patch(
        &self,
        name: &str,
        patch: &Value,
        if_match: Option<u64>,
    ) -> Result<Tenant, ServiceError> {
        let old = self.get(name).await?;
        let mut doc =
            serde_json::to_value(&old.spec).map_err(|e| ServiceError::Internal(e.to_string()))?;
        merge_patch(&mut doc, patch);
        let spec: TenantSpec = serde_json::from_value(doc)
            .map_err(|e| ServiceError::BadRequest(format!("patched spec: {e}")))?;
        let (t, _) = self
            .put(
                &old.metadata.name,
                spec,
                Expect::Version(if_match.unwrap_or(old.version())),
            )
            .await?;
        Ok(t)
    }

    /// Deletes tenant `name`: marks it Deleting, releases its groups and partition members,
    /// powers its nodes off with Force-Off where `forcepoweroff` says so, then removes it.
    /// Returns the ID of that power transition, if one was started.
    pub async fn delete(
        &self,
        name: &str,
        if_match: Option<u64>,
        by: &str,
    ) -> Result<Option<String>, ServiceError> {
        let t = self.get(name).await?;
        if t.metadata.name != name {
            return Err(no_tenant(name));
        }
        if let Some(v) = if_match.filter(|v| *v != t.version()) {
            return Err(ServiceError::Precondition(format!(
                "tenant {name} is at version {} (If-Match {v}); read it again",
                t.version()
            )));
        }
        let version = t.version();
        let t = self
            .write(t, TenantState::Deleting, None, Some(version), false)
            .await?;
        let held: Vec<TenantResource> = t.held();
        for r in &held {
            self.release(name, r).await?;
        }
        let off: Vec<Location> = held
            .iter()
            .filter(|r| r.forcepoweroff)
            .flat_map(|r| r.xnames.iter())
            .map(|x| Location {
                xname: x.clone(),
                deputy_key: None,
            })
            .collect();
        let transition = if off.is_empty() {
            None
        } else {
            let body = TransitionCreate {
                operation: "Force-Off".into(),
                task_deadline_minutes: None,
                location: off,
            };
            let (tr, _) = self.power.create(&body, by, false).await?;
            Some(tr.id)
        };
        self.store.delete_tenant(name).await?;
        self.forget();
        self.bus.publish(Event::TenantChanged {
            name: name.to_string(),
            deleted: true,
        });
        Ok(transition)
    }

    /// Stores `t` in `state` with the next version; `expected` is the stored version. With
    /// `claims` the store refuses it (409, nothing written) when it clashes with another
    /// tenant.
    async fn write(
        &self,
        mut t: Tenant,
        state: TenantState,
        condition: Option<Condition>,
        expected: Option<u64>,
        claims: bool,
    ) -> Result<Tenant, ServiceError> {
        t.spec.state = state.as_str().to_string();
        if let Some(c) = condition {
            t.status.conditions.retain(|x| x.kind != c.kind);
            t.status.conditions.push(c);
        }
        t.metadata.resource_version = (expected.unwrap_or(0) + 1).to_string();
        self.store
            .put_tenant(&t, expected, claims)
            .await
            .map_err(stale)?;
        self.forget();
        self.bus.publish(Event::TenantChanged {
            name: t.metadata.name.clone(),
            deleted: false,
        });
        Ok(t)
    }

    /// Every node must exist and have the Role its resource's type asks for.
    async fn check_nodes(&self, spec: &TenantSpec) -> Result<(), ServiceError> {
        let ids = spec.nodes();
        let found = self
            .store
            .components(&ComponentFilter {
                ids: ids.clone(),
                ..ComponentFilter::default()
            })
            .await?;
        let roles: HashMap<&Xname, Option<NodeRole>> =
            found.iter().map(|c| (&c.id, c.role)).collect();
        let missing: Vec<Xname> = ids
            .iter()
            .filter(|x| !roles.contains_key(x))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(ServiceError::BadRequest(format!(
                "unknown nodes: {}; add them to inventory first",
                name_list(&missing)
            )));
        }
        for r in &spec.tenantresources {
            let want = r.role().unwrap_or_default();
            let wrong: Vec<Xname> = r
                .xnames
                .iter()
                .filter_map(|x| Xname::parse(x).ok())
                .filter(|x| {
                    roles
                        .get(x)
                        .is_none_or(|role| role.map(|r| r.to_string()).as_deref() != Some(want))
                })
                .collect();
            if !wrong.is_empty() {
                return Err(ServiceError::BadRequest(format!(
                    "type {} needs Role {want}, but these nodes have another role: {}",
                    r.kind,
                    name_list(&wrong)
                )));
            }
        }
        Ok(())
    }

    /// The groups and partitions the spec mirrors into must be new or already this tenant's
    /// (an existing one is an operator's, whose members a tenant must not take over), and an
    /// exclusive resource's nodes may be in no other group with the exclusive label: refused
    /// here, before anything is stored, rather than half-applied.
    async fn check_targets(
        &self,
        spec: &TenantSpec,
        old: Option<&Tenant>,
    ) -> Result<(), ServiceError> {
        let me = spec.tenantname.as_str();
        let owned: HashSet<Target> = old
            .map(|o| o.held().iter().map(|r| r.target(me)).collect())
            .unwrap_or_default();
        for r in &spec.tenantresources {
            let target = r.target(me);
            if owned.contains(&target) {
                continue;
            }
            let exists = match &target {
                Target::Group(label) => self.store.group(label).await?.is_some(),
                Target::Partition(p) => self.store.partition(p).await?.is_some(),
            };
            if exists {
                return Err(ServiceError::Conflict(format!(
                    "{target} already exists and is not tenant {me}'s; name a new one for it"
                )));
            }
        }
        let exclusive: HashSet<&str> = spec
            .tenantresources
            .iter()
            .filter(|r| r.enforceexclusivehsmgroups)
            .flat_map(|r| r.xnames.iter().map(String::as_str))
            .collect();
        if exclusive.is_empty() {
            return Ok(());
        }
        let mine: HashSet<Target> = spec.tenantresources.iter().map(|r| r.target(me)).collect();
        for g in self
            .groups
            .list(&crate::store::SetFilter::default())
            .await?
        {
            if g.exclusive_group != EXCLUSIVE_LABEL
                || mine.contains(&Target::Group(g.label.clone()))
            {
                continue;
            }
            let both: Vec<Xname> = g
                .members
                .ids
                .iter()
                .filter(|x| exclusive.contains(x.as_str()))
                .cloned()
                .collect();
            if !both.is_empty() {
                return Err(ServiceError::Conflict(format!(
                    "operation would conflict with an existing member in another exclusive \
                     group: {} in group {}",
                    name_list(&both),
                    g.label
                )));
            }
        }
        Ok(())
    }

    /// Makes groups and partitions match the spec, and releases what the last applied
    /// resources held that the spec no longer does.
    async fn apply(&self, t: &Tenant) -> Result<(), ServiceError> {
        let name = &t.metadata.name;
        let now: HashSet<Target> = t
            .spec
            .tenantresources
            .iter()
            .map(|r| r.target(name))
            .collect();
        for old in &t.status.tenantresources {
            if !now.contains(&old.target(name)) {
                self.release(name, old).await?;
            }
        }
        for r in &t.spec.tenantresources {
            let ids: Vec<Xname> = r
                .xnames
                .iter()
                .filter_map(|x| Xname::parse(x).ok())
                .collect();
            match r.target(name) {
                Target::Group(label) => self.mirror_group(name, &label, r, ids).await?,
                Target::Partition(p) => self.mirror_partition(name, &p, ids).await?,
            }
        }
        Ok(())
    }

    async fn mirror_group(
        &self,
        tenant: &str,
        label: &str,
        r: &TenantResource,
        ids: Vec<Xname>,
    ) -> Result<(), ServiceError> {
        let exclusive = if r.enforceexclusivehsmgroups {
            EXCLUSIVE_LABEL
        } else {
            ""
        };
        match self.groups.get(label).await {
            Ok(g) => {
                if g.exclusive_group != exclusive {
                    return Err(ServiceError::Conflict(format!(
                        "group {label} already exists with exclusiveGroup '{}'; \
                         choose another hsmgrouplabel for tenant {tenant}",
                        g.exclusive_group
                    )));
                }
                self.groups.set_members(label, ids).await
            }
            Err(ServiceError::NotFound(_)) => {
                let g = Group {
                    label: label.to_string(),
                    description: format!("tenant {tenant}"),
                    tags: vec![format!("tenant-{tenant}")],
                    exclusive_group: exclusive.to_string(),
                    members: Members { ids },
                };
                self.groups.create(g, &Scope::All).await.map(|_| ())
            }
            Err(e) => Err(e),
        }
    }

    async fn mirror_partition(
        &self,
        tenant: &str,
        name: &str,
        ids: Vec<Xname>,
    ) -> Result<(), ServiceError> {
        match self.groups.partition(name).await {
            Ok(p) => {
                let want: HashSet<&Xname> = ids.iter().collect();
                for gone in p.members.ids.iter().filter(|x| !want.contains(x)) {
                    self.groups.remove_partition_member(name, gone).await?;
                }
                let have: HashSet<&Xname> = p.members.ids.iter().collect();
                let new: Vec<Xname> = ids.iter().filter(|x| !have.contains(x)).cloned().collect();
                if new.is_empty() {
                    Ok(())
                } else {
                    self.groups.add_partition_members(name, new).await
                }
            }
            Err(ServiceError::NotFound(_)) => {
                let p = Partition {
                    name: name.to_string(),
                    description: format!("tenant {tenant}"),
                    tags: vec![format!("tenant-{tenant}")],
                    members: Members { ids },
                };
                self.groups
                    .create_partition(p, &Scope::All)
                    .await
                    .map(|_| ())
            }
            Err(e) => Err(e),
        }
    }

    /// Gives up a resource: its group is deleted, its partition emptied of its nodes.
    async fn release(&self, tenant: &str, r: &TenantResource) -> Result<(), ServiceError> {
        match r.target(tenant) {
            Target::Group(label) => match self.groups.delete(&label).await {
                Ok(()) | Err(ServiceError::NotFound(_)) => Ok(()),
                Err(e) => Err(e),
            },
            Target::Partition(p) => {
                for x in r.xnames.iter().filter_map(|x| Xname::parse(x).ok()) {
                    match self.groups.remove_partition_member(&p, &x).await {
                        Ok(()) | Err(ServiceError::NotFound(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
        }
    }
}
