//! Groups and partitions: their tables, the reading of rows, and the refusals of a
//! membership change.

use std::collections::BTreeMap;

use super::components::no_such_components;
use super::{stored_xname, xnames, Fields};
use crate::model::filter::ComponentFilter;
use crate::model::group::{Group, Members, Membership, Partition};
use crate::model::xname::Xname;
use crate::store::{name_list, StoreError};

/// The tables of one kind of named set.
pub(crate) struct Sets {
    /// The sets: `groups` or `partitions`.
    pub(crate) table: &'static str,
    /// Their members.
    pub(crate) members: &'static str,
    /// The column naming a set in both.
    pub(crate) key: &'static str,
    /// The word for one, in messages.
    pub(crate) what: &'static str,
}

pub(crate) const GROUPS: Sets = Sets {
    table: "groups",
    members: "group_members",
    key: "label",
    what: "group",
};

pub(crate) const PARTITIONS: Sets = Sets {
    table: "partitions",
    members: "partition_members",
    key: "name",
    what: "partition",
};

/// Tags as stored: a JSON array.
pub(crate) fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// Tags read back.
pub(crate) fn tags_from(col: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(col).map_err(|e| StoreError::Corrupt(format!("tags: {e}")))
}

/// The groups and partitions `filter` names that must exist ("null", meaning in none, left
/// out).
pub(crate) fn filter_sets(filter: &ComponentFilter) -> [(&'static Sets, Vec<&String>); 2] {
    fn named(names: &[String]) -> Vec<&String> {
        names.iter().filter(|n| *n != "null").collect()
    }
    [
        (&GROUPS, named(&filter.groups)),
        (&PARTITIONS, named(&filter.partitions)),
    ]
}

/// The refusal of a filter naming a set that does not exist.
pub(crate) fn unknown_set(sets: &Sets, name: &str) -> StoreError {
    StoreError::Invalid(format!("no such {} '{name}'", sets.what))
}

/// The answer when the set named is not there.
pub(crate) fn no_such_set(sets: &Sets, name: &str) -> StoreError {
    StoreError::NotFound(format!("no such {}: {name}", sets.what))
}

/// The refusal of creating a set whose name is taken.
pub(crate) fn set_exists(sets: &Sets, name: &str) -> StoreError {
    let (what, key) = (sets.what, sets.key);
    StoreError::Conflict(format!(
        "operation would conflict with an existing {what} that has the same {key}: \
         {what} '{name}' already exists"
    ))
}

/// The refusal of a new group whose label is taken.
pub fn group_exists(label: &str) -> StoreError {
    set_exists(&GROUPS, label)
}

/// The refusal of a new partition whose name is taken.
pub fn partition_exists(name: &str) -> StoreError {
    set_exists(&PARTITIONS, name)
}

/// The answer when `id` is not a member of the set.
pub(crate) fn not_a_member(sets: &Sets, name: &str, id: &Xname) -> StoreError {
    StoreError::NotFound(format!("{id} is not a member of {} '{name}'", sets.what))
}

/// Members of each set from `(name, xname)` rows, in natural xname order.
pub(crate) fn members_by_set(
    rows: &[impl Fields],
) -> Result<BTreeMap<String, Vec<Xname>>, StoreError> {
    let mut out: BTreeMap<String, Vec<Xname>> = BTreeMap::new();
    for row in rows {
        let name = row.text(0)?;
        let id = row.text(1)?;
        out.entry(name).or_default().push(stored_xname(&id)?);
    }
    for ids in out.values_mut() {
        ids.sort();
    }
    Ok(out)
}

/// A group from a `label, description, tags, exclusive_group` row, its members taken from
/// `members`.
pub(crate) fn group_from(
    row: &impl Fields,
    members: &mut BTreeMap<String, Vec<Xname>>,
) -> Result<Group, StoreError> {
    let label = row.text(0)?;
    Ok(Group {
        members: Members {
            ids: members.remove(&label).unwrap_or_default(),
        },
        label,
        description: row.text(1)?,
        tags: tags_from(&row.text(2)?)?,
        exclusive_group: row.text(3)?,
    })
}

/// A partition from a `name, description, tags` row, its members taken from `members`.
pub(crate) fn partition_from(
    row: &impl Fields,
    members: &mut BTreeMap<String, Vec<Xname>>,
) -> Result<Partition, StoreError> {
    let name = row.text(0)?;
    Ok(Partition {
        members: Members {
            ids: members.remove(&name).unwrap_or_default(),
        },
        name,
        description: row.text(1)?,
        tags: tags_from(&row.text(2)?)?,
    })
}

/// Fails with `Invalid` naming the xnames in `rows`: the requested members that are not
/// components.
pub(crate) fn refuse_unknown(rows: &[impl Fields]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut missing = xnames(rows)?;
    missing.sort();
    Err(StoreError::Invalid(no_such_components(&missing)))
}

/// Fails with `Conflict` when `rows` (xnames) are already members of group `label`.
pub(crate) fn refuse_members(label: &str, rows: &[impl Fields]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    Err(StoreError::Conflict(format!(
        "operation would conflict with an existing member in the same group: \
         {} already a member of group '{label}'",
        name_list(&xnames(rows)?)
    )))
}

/// Fails with `Conflict` when `rows` (`xname, label`, by label) are in another group of
/// exclusive label `exclusive`.
pub(crate) fn refuse_exclusive(
    label: &str,
    exclusive: &str,
    rows: &[impl Fields],
) -> Result<(), StoreError> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let other = first.text(1)?;
    Err(StoreError::Conflict(format!(
        "operation would conflict with an existing member in another exclusive group: \
         {} already in group '{other}', which shares exclusive group '{exclusive}' \
         with '{label}'; a component can be in only one of them",
        name_list(&xnames(rows)?)
    )))
}

/// Fails with `Conflict` when `rows` (`xname, name`, by name) are already in a partition.
pub(crate) fn refuse_partitioned(name: &str, rows: &[impl Fields]) -> Result<(), StoreError> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let other = first.text(1)?;
    let ids = xnames(rows)?;
    let text = if other == name {
        format!("{} already a member of partition '{name}'", name_list(&ids))
    } else {
        format!(
            "operation would conflict with an existing member in another partition: \
             {} already in partition '{other}'; a component can be in only one partition",
            name_list(&ids)
        )
    };
    Err(StoreError::Conflict(text))
}

/// (component, set name) pairs from rows of (component_id, label or name).
pub(crate) fn member_pairs<R: Fields>(rows: &[R]) -> Result<Vec<(Xname, String)>, StoreError> {
    rows.iter()
        .map(|r| Ok((stored_xname(&r.text(0)?)?, r.text(1)?)))
        .collect()
}

/// Memberships from `id, labels, partition` rows, `labels` a JSON array of text, in
/// xname order.
pub(crate) fn memberships_from<R: Fields>(rows: &[R]) -> Result<Vec<Membership>, StoreError> {
    let mut out = rows
        .iter()
        .map(|r| {
            let mut labels: Vec<String> = serde_json::from_str(&r.text(1)?)
                .map_err(|e| StoreError::Corrupt(format!("group labels: {e}")))?;
            labels.sort();
            Ok(Membership {
                id: stored_xname(&r.text(0)?)?,
                group_labels: labels,
                partition_name: r.opt_text(2)?.unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}
