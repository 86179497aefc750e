//! Groups, partitions and memberships.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};

use super::components::{check_sets_exist, select_filtered};
use super::dialect::{
    begin_write, each, in_texts, json_agg, json_elements, not_in_texts, push_in, texts, write_one,
    Conn, Db, Pool, BYTE_ORDER,
};
use super::SqlStore;
use crate::model::filter::ComponentFilter;
use crate::model::group::{Group, Membership, Partition, SetPatch};
use crate::model::xname::Xname;
use crate::store::rows::groups::{
    group_from, member_pairs, members_by_set, memberships_from, no_such_set, not_a_member,
    partition_from, refuse_exclusive, refuse_members, refuse_partitioned, refuse_unknown,
    set_exists, tags_json, Sets, GROUPS, PARTITIONS,
};
use crate::store::rows::{names_of, xnames};
use crate::store::{GroupStore, SetFilter, SetMembers, StoreError};

/// Appends the name and tag conditions of `filter` for a table whose key column is `key`.
fn push_set_filter(qb: &mut QueryBuilder<'_, Db>, key: &str, filter: &SetFilter) {
    if !filter.names.is_empty() {
        qb.push(" AND");
        push_in(qb, key, texts(&filter.names));
    }
    if !filter.tags.is_empty() {
        let tags = json_elements("tags", None);
        qb.push(format!(" AND EXISTS (SELECT 1 FROM {tags} WHERE"));
        push_in(qb, "v", texts(&filter.tags));
        qb.push(")");
    }
}

/// Members of each named set, from `table` keyed by `key`, in natural xname order.
async fn members_of(
    conn: &mut Conn,
    sets: &Sets,
    names: &[String],
) -> Result<BTreeMap<String, Vec<Xname>>, StoreError> {
    let (table, key) = (sets.members, sets.key);
    let rows = sqlx::query(&format!(
        "SELECT {key}, component_id FROM {table} WHERE {key}{}",
        in_texts("$1")
    ))
    .bind(texts(names))
    .fetch_all(conn)
    .await?;
    members_by_set(&rows)
}

/// Fails with `Invalid` naming every id that is not a component.
async fn require_components(conn: &mut Conn, ids: &[Xname]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query(&format!(
        "SELECT v FROM {} WHERE v NOT IN (SELECT id FROM components) ORDER BY i",
        each("$1")
    ))
    .bind(texts(ids))
    .fetch_all(conn)
    .await?;
    refuse_unknown(&rows)
}

/// Adds `ids` to group `label` (which exists, with exclusive label `exclusive`), all or nothing.
async fn insert_group_members(
    conn: &mut Conn,
    label: &str,
    exclusive: &str,
    ids: &[Xname],
) -> Result<(), StoreError> {
    require_components(conn, ids).await?;
    let ids_text = texts(ids);
    let already = sqlx::query(&format!(
        "SELECT component_id FROM group_members WHERE label = $1 AND component_id{}",
        in_texts("$2")
    ))
    .bind(label)
    .bind(&ids_text)
    .fetch_all(&mut *conn)
    .await?;
    refuse_members(label, &already)?;
    if !exclusive.is_empty() {
        let taken = sqlx::query(&format!(
            "SELECT component_id, label FROM group_members WHERE exclusive_group = $1 \
             AND component_id{} ORDER BY label{BYTE_ORDER}",
            in_texts("$2")
        ))
        .bind(exclusive)
        .bind(&ids_text)
        .fetch_all(&mut *conn)
        .await?;
        refuse_exclusive(label, exclusive, &taken)?;
    }
    let exclusive = Some(exclusive).filter(|e| !e.is_empty());
    sqlx::query(&format!(
        "INSERT INTO group_members (label, component_id, exclusive_group) \
         SELECT $1, v, $2 FROM {}",
        each("$3")
    ))
    .bind(label)
    .bind(exclusive)
    .bind(&ids_text)
    .execute(conn)
    .await?;
    Ok(())
}

/// The exclusive label of group `label` ('' when not exclusive); `NotFound` without the group.
async fn exclusive_of(conn: &mut Conn, label: &str) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT exclusive_group FROM groups WHERE label = $1")
        .bind(label)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(no_such_set(&GROUPS, label)),
    }
}

/// Adds `ids` to partition `name` (which exists), all or nothing.
async fn insert_partition_members(
    conn: &mut Conn,
    name: &str,
    ids: &[Xname],
) -> Result<(), StoreError> {
    require_components(conn, ids).await?;
    let ids_text = texts(ids);
    let taken = sqlx::query(&format!(
        "SELECT component_id, name FROM partition_members WHERE component_id{} \
         ORDER BY name{BYTE_ORDER}",
        in_texts("$1")
    ))
    .bind(&ids_text)
    .fetch_all(&mut *conn)
    .await?;
    refuse_partitioned(name, &taken)?;
    sqlx::query(&format!(
        "INSERT INTO partition_members (name, component_id) SELECT $1, v FROM {}",
        each("$2")
    ))
    .bind(name)
    .bind(&ids_text)
    .execute(conn)
    .await?;
    Ok(())
}

/// Applies a description/tags patch to the row `key = name` of `table`; false when absent.
async fn patch_set(
    pool: &Pool,
    sets: &Sets,
    name: &str,
    patch: &SetPatch,
) -> Result<bool, StoreError> {
    let (table, key) = (sets.table, sets.key);
    let sql = format!(
        "UPDATE {table} SET description = coalesce($1, description), \
         tags = coalesce($2, tags) WHERE {key} = $3"
    );
    let query = sqlx::query(&sql)
        .bind(patch.description.as_deref())
        .bind(patch.tags.as_deref().map(tags_json))
        .bind(name);
    Ok(write_one(pool, query).await? > 0)
}

async fn delete_member(pool: &Pool, sets: &Sets, name: &str, id: &Xname) -> Result<(), StoreError> {
    let key = sets.key;
    let mut tx = begin_write(pool).await?;
    let exists = sqlx::query(&format!("SELECT 1 FROM {} WHERE {key} = $1", sets.table))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(no_such_set(sets, name));
    }
    let done = sqlx::query(&format!(
        "DELETE FROM {} WHERE {key} = $1 AND component_id = $2",
        sets.members
    ))
    .bind(name)
    .bind(id.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_a_member(sets, name, id));
    }
    tx.commit().await?;
    Ok(())
}

/// Every name of one kind of set, sorted.
async fn set_names(pool: &Pool, sets: &Sets) -> Result<Vec<String>, StoreError> {
    let key = sets.key;
    let rows = sqlx::query(&format!(
        "SELECT {key} FROM {} ORDER BY {key}{BYTE_ORDER}",
        sets.table
    ))
    .fetch_all(pool)
    .await?;
    names_of(&rows)
}

/// Deletes one set (its memberships go with it); false when there was none.
async fn delete_set(pool: &Pool, sets: &Sets, name: &str) -> Result<bool, StoreError> {
    let sql = format!("DELETE FROM {} WHERE {} = $1", sets.table, sets.key);
    Ok(write_one(pool, sqlx::query(&sql).bind(name)).await? > 0)
}

#[async_trait]
impl GroupStore for SqlStore {
    async fn groups(&self, filter: &SetFilter) -> Result<Vec<Group>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut qb = QueryBuilder::new(
            "SELECT label, description, tags, exclusive_group FROM groups WHERE TRUE",
        );
        push_set_filter(&mut qb, "label", filter);
        qb.push(format!(" ORDER BY label{BYTE_ORDER}"));
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let labels = names_of(&rows)?;
        let mut members = members_of(&mut conn, &GROUPS, &labels).await?;
        rows.iter().map(|r| group_from(r, &mut members)).collect()
    }

    async fn group(&self, label: &str) -> Result<Option<Group>, StoreError> {
        Ok(self
            .groups(&SetFilter::named(label))
            .await?
            .into_iter()
            .next())
    }

    async fn group_labels(&self) -> Result<Vec<String>, StoreError> {
        set_names(&self.pool, &GROUPS).await
    }

    async fn create_group(&self, group: &Group) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let done = sqlx::query(
            "INSERT INTO groups (label, description, tags, exclusive_group) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (label) DO NOTHING",
        )
        .bind(&group.label)
        .bind(&group.description)
        .bind(tags_json(&group.tags))
        .bind(&group.exclusive_group)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(set_exists(&GROUPS, &group.label));
        }
        insert_group_members(
            &mut tx,
            &group.label,
            &group.exclusive_group,
            &group.members.ids,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_group(&self, label: &str, patch: &SetPatch) -> Result<bool, StoreError> {
        patch_set(&self.pool, &GROUPS, label, patch).await
    }

    async fn delete_group(&self, label: &str) -> Result<bool, StoreError> {
        delete_set(&self.pool, &GROUPS, label).await
    }

    async fn add_group_members(&self, label: &str, ids: &[Xname]) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let exclusive = exclusive_of(&mut tx, label).await?;
        insert_group_members(&mut tx, label, &exclusive, ids).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_group_members(&self, label: &str, ids: &[Xname]) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let exclusive = exclusive_of(&mut tx, label).await?;
        let ids_text = texts(ids);
        sqlx::query(&format!(
            "DELETE FROM group_members WHERE label = $1 AND component_id{}",
            not_in_texts("$2")
        ))
        .bind(label)
        .bind(&ids_text)
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT v FROM {} WHERE v NOT IN \
             (SELECT component_id FROM group_members WHERE label = $2) ORDER BY i",
            each("$1")
        ))
        .bind(&ids_text)
        .bind(label)
        .fetch_all(&mut *tx)
        .await?;
        let new = xnames(&rows)?;
        insert_group_members(&mut tx, label, &exclusive, &new).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_group_member(&self, label: &str, id: &Xname) -> Result<(), StoreError> {
        delete_member(&self.pool, &GROUPS, label, id).await
    }

    async fn partitions(&self, filter: &SetFilter) -> Result<Vec<Partition>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut qb = QueryBuilder::new("SELECT name, description, tags FROM partitions WHERE TRUE");
        push_set_filter(&mut qb, "name", filter);
        qb.push(format!(" ORDER BY name{BYTE_ORDER}"));
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let names = names_of(&rows)?;
        let mut members = members_of(&mut conn, &PARTITIONS, &names).await?;
        rows.iter()
            .map(|r| partition_from(r, &mut members))
            .collect()
    }

    async fn partition(&self, name: &str) -> Result<Option<Partition>, StoreError> {
        Ok(self
            .partitions(&SetFilter::named(name))
            .await?
            .into_iter()
            .next())
    }

    async fn partition_names(&self) -> Result<Vec<String>, StoreError> {
        set_names(&self.pool, &PARTITIONS).await
    }

    async fn create_partition(&self, partition: &Partition) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let done = sqlx::query(
            "INSERT INTO partitions (name, description, tags) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&partition.name)
        .bind(&partition.description)
        .bind(tags_json(&partition.tags))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(set_exists(&PARTITIONS, &partition.name));
        }
        insert_partition_members(&mut tx, &partition.name, &partition.members.ids).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_partition(&self, name: &str, patch: &SetPatch) -> Result<bool, StoreError> {
        patch_set(&self.pool, &PARTITIONS, name, patch).await
    }

    async fn delete_partition(&self, name: &str) -> Result<bool, StoreError> {
        delete_set(&self.pool, &PARTITIONS, name).await
    }

    async fn add_partition_members(&self, name: &str, ids: &[Xname]) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let found = sqlx::query("SELECT 1 FROM partitions WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(no_such_set(&PARTITIONS, name));
        }
        insert_partition_members(&mut tx, name, ids).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_partition_member(&self, name: &str, id: &Xname) -> Result<(), StoreError> {
        delete_member(&self.pool, &PARTITIONS, name, id).await
    }

    async fn memberships(&self, filter: &ComponentFilter) -> Result<Vec<Membership>, StoreError> {
        check_sets_exist(&self.pool, filter).await?;
        let mut qb = QueryBuilder::new("WITH sel AS (");
        select_filtered(&mut qb, filter, "id")?;
        qb.push(format!(
            ") SELECT sel.id, \
             (SELECT {} FROM group_members g WHERE g.component_id = sel.id), \
             (SELECT name FROM partition_members p WHERE p.component_id = sel.id) FROM sel",
            json_agg("label")
        ));
        let rows = qb.build().fetch_all(&self.pool).await?;
        memberships_from(&rows)
    }

    async fn set_members(&self) -> Result<SetMembers, StoreError> {
        let groups = sqlx::query("SELECT component_id, label FROM group_members")
            .fetch_all(&self.pool)
            .await?;
        let partitions = sqlx::query("SELECT component_id, name FROM partition_members")
            .fetch_all(&self.pool)
            .await?;
        Ok((member_pairs(&groups)?, member_pairs(&partitions)?))
    }
}
