//! Groups and partitions: SMD's named sets of components, with exclusive labels and the
//! one-partition rule enforced by the store in one transaction.

use std::sync::Arc;

use super::events::{Event, EventBus};
use super::scope::Scope;
use super::ServiceError;
use crate::model::filter::ComponentFilter;
use crate::model::group::{
    normalize_label, normalize_partition_name, Group, Membership, Partition, SetPatch,
};
use crate::model::xname::Xname;
use crate::store::{group_exists, no_such_components, partition_exists, SetFilter, Store};

/// Group and partition operations.
#[derive(Clone)]
pub struct Groups {
    store: Arc<dyn Store>,
    bus: EventBus,
}

fn bad(e: crate::model::component::InputError) -> ServiceError {
    ServiceError::BadRequest(e.0)
}

/// A group label from a URL or query, normalised.
pub fn label(raw: &str) -> Result<String, ServiceError> {
    normalize_label(raw, "group label").map_err(bad)
}

/// A partition name from a URL or query, normalised.
pub fn partition_name(raw: &str) -> Result<String, ServiceError> {
    normalize_partition_name(raw).map_err(bad)
}

impl Groups {
    /// Groups over a store, publishing changes on `bus`.
    pub fn new(store: Arc<dyn Store>, bus: EventBus) -> Groups {
        Groups { store, bus }
    }

    fn group_changed(&self, label: &str, deleted: bool) {
        self.bus.publish(Event::GroupChanged {
            label: label.to_string(),
            deleted,
        });
    }

    fn partition_changed(&self, name: &str, deleted: bool) {
        self.bus.publish(Event::PartitionChanged {
            name: name.to_string(),
            deleted,
        });
    }

    /// Groups matching `filter`.
    pub async fn list(&self, filter: &SetFilter) -> Result<Vec<Group>, ServiceError> {
        Ok(self.store.groups(filter).await?)
    }

    /// One group.
    pub async fn get(&self, label: &str) -> Result<Group, ServiceError> {
        self.store
            .group(label)
            .await?
            .ok_or_else(|| no_group(label))
    }

    /// Every label.
    pub async fn labels(&self) -> Result<Vec<String>, ServiceError> {
        Ok(self.store.group_labels().await?)
    }

    /// Creates a group; returns its normalised label. For a tenant (`scope`), members outside
    /// it are refused as unknown ones.
    pub async fn create(&self, group: Group, scope: &Scope) -> Result<String, ServiceError> {
        let group = group
            .normalized()
            .map_err(|e| ServiceError::BadRequest(format!("couldn't validate group: {}", e.0)))?;
        if !scope.foreign(&group.members.ids).is_empty() {
            if self.store.group(&group.label).await?.is_some() {
                return Err(group_exists(&group.label).into());
            }
            self.refuse_foreign(scope, &group.members.ids).await?;
        }
        self.store.create_group(&group).await?;
        self.group_changed(&group.label, false);
        Ok(group.label)
    }

    /// Changes a group's description and/or tags.
    pub async fn update(&self, label: &str, patch: SetPatch) -> Result<(), ServiceError> {
        let patch = patch.normalized().map_err(bad)?;
        if patch.is_empty() {
            return Err(ServiceError::BadRequest(
                "nothing to change: give description and/or tags".into(),
            ));
        }
        if !self.store.update_group(label, &patch).await? {
            return Err(no_group(label));
        }
        self.group_changed(label, false);
        Ok(())
    }

    /// Deletes a group (its members stay as components).
    pub async fn delete(&self, label: &str) -> Result<(), ServiceError> {
        if !self.store.delete_group(label).await? {
            return Err(no_group(label));
        }
        self.group_changed(label, true);
        Ok(())
    }

    /// Adds members to a group, all or nothing.
    pub async fn add_members(&self, label: &str, mut ids: Vec<Xname>) -> Result<(), ServiceError> {
        dedup_nonempty(&mut ids)?;
        self.store.add_group_members(label, &ids).await?;
        self.group_changed(label, false);
        Ok(())
    }

    /// Makes `ids` the group's exact member list, all or nothing.
    pub async fn set_members(&self, label: &str, mut ids: Vec<Xname>) -> Result<(), ServiceError> {
        ids.sort();
        ids.dedup();
        self.store.set_group_members(label, &ids).await?;
        self.group_changed(label, false);
        Ok(())
    }

    /// Keeps only the `members` in partition `partition` (`null`: in no partition).
    pub async fn in_partition(
        &self,
        members: Vec<Xname>,
        partition: &str,
    ) -> Result<Vec<Xname>, ServiceError> {
        let name = if partition.eq_ignore_ascii_case("null") {
            "null".to_string()
        } else {
            partition_name(partition)?
        };
        let filter = ComponentFilter {
            ids: members,
            partitions: vec![name],
            ..ComponentFilter::default()
        };
        Ok(self
            .store
            .memberships(&filter)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect())
    }

    /// Removes one member from a group.
    pub async fn remove_member(&self, label: &str, id: &Xname) -> Result<(), ServiceError> {
        self.store.remove_group_member(label, id).await?;
        self.group_changed(label, false);
        Ok(())
    }

    /// Partitions matching `filter`.
    pub async fn partitions(&self, filter: &SetFilter) -> Result<Vec<Partition>, ServiceError> {
        Ok(self.store.partitions(filter).await?)
    }

    /// One partition.
    pub async fn partition(&self, name: &str) -> Result<Partition, ServiceError> {
        self.store
            .partition(name)
            .await?
            .ok_or_else(|| no_partition(name))
    }

    /// Every partition name.
    pub async fn partition_names(&self) -> Result<Vec<String>, ServiceError> {
        Ok(self.store.partition_names().await?)
    }

    /// Creates a partition; returns its normalised name. For a tenant (`scope`), members
    /// outside it are refused as unknown ones.
    pub async fn create_partition(
        &self,
        partition: Partition,
        scope: &Scope,
    ) -> Result<String, ServiceError> {
        let partition = partition.normalized().map_err(|e| {
            ServiceError::BadRequest(format!("couldn't validate partition: {}", e.0))
        })?;
        if !scope.foreign(&partition.members.ids).is_empty() {
            if self.store.partition(&partition.name).await?.is_some() {
                return Err(partition_exists(&partition.name).into());
            }
            self.refuse_foreign(scope, &partition.members.ids).await?;
        }
        self.store.create_partition(&partition).await?;
        self.partition_changed(&partition.name, false);
        Ok(partition.name)
    }

    /// Changes a partition's description and/or tags.
    pub async fn update_partition(&self, name: &str, patch: SetPatch) -> Result<(), ServiceError> {
        let patch = patch.normalized().map_err(bad)?;
        if patch.is_empty() {
            return Err(ServiceError::BadRequest(
                "nothing to change: give description and/or tags".into(),
            ));
        }
        if !self.store.update_partition(name, &patch).await? {
            return Err(no_partition(name));
        }
        self.partition_changed(name, false);
        Ok(())
    }

    /// Deletes a partition (its members stay as components).
    pub async fn delete_partition(&self, name: &str) -> Result<(), ServiceError> {
        if !self.store.delete_partition(name).await? {
            return Err(no_partition(name));
        }
        self.partition_changed(name, true);
        Ok(())
    }

    /// Adds members to a partition, all or nothing.
    pub async fn add_partition_members(
        &self,
        name: &str,
        mut ids: Vec<Xname>,
    ) -> Result<(), ServiceError> {
        dedup_nonempty(&mut ids)?;
        self.store.add_partition_members(name, &ids).await?;
        self.partition_changed(name, false);
        Ok(())
    }

    /// Removes one member from a partition.
    pub async fn remove_partition_member(
        &self,
        name: &str,
        id: &Xname,
    ) -> Result<(), ServiceError> {
        self.store.remove_partition_member(name, id).await?;
        self.partition_changed(name, false);
        Ok(())
    }

    /// Memberships of the components matching `filter`.
    pub async fn memberships(
        &self,
        filter: &ComponentFilter,
    ) -> Result<Vec<Membership>, ServiceError> {
        Ok(self.store.memberships(filter).await?)
    }

    /// Refuses members outside the tenant of `scope` exactly as members that are not in
    /// inventory are refused, naming them together with any that truly are not.
    pub async fn refuse_foreign(&self, scope: &Scope, ids: &[Xname]) -> Result<(), ServiceError> {
        let foreign = scope.foreign(ids);
        if foreign.is_empty() {
            return Ok(());
        }
        let known: std::collections::HashSet<Xname> = self
            .store
            .components(&ComponentFilter {
                ids: ids.to_vec(),
                ..ComponentFilter::default()
            })
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let mut missing: Vec<Xname> = ids
            .iter()
            .filter(|x| !known.contains(*x) || foreign.iter().any(|f| f == x.as_str()))
            .cloned()
            .collect();
        missing.sort();
        missing.dedup();
        Err(ServiceError::BadRequest(no_such_components(&missing)))
    }

    /// The membership of one component.
    pub async fn membership(&self, id: &Xname) -> Result<Membership, ServiceError> {
        let filter = ComponentFilter {
            ids: vec![id.clone()],
            ..ComponentFilter::default()
        };
        self.store
            .memberships(&filter)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| super::inventory::no_such_xname(id))
    }
}

/// The answer for a group that does not exist (or, for a tenant, holds none of its nodes).
pub fn no_group(label: &str) -> ServiceError {
    ServiceError::NotFound(format!("no such group: {label}"))
}

/// The answer for a partition that does not exist (or, for a tenant, holds none of its nodes).
pub fn no_partition(name: &str) -> ServiceError {
    ServiceError::NotFound(format!("no such partition: {name}"))
}

fn dedup_nonempty(ids: &mut Vec<Xname>) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Err(ServiceError::BadRequest(
            "no members given: name at least one xname".into(),
        ));
    }
    ids.sort();
    ids.dedup();
    Ok(())
}
