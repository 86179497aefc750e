//! Components (`State/Components`).
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};

use super::dialect::{
    begin_write, each, in_texts, ints, push_in, push_in_ints, push_not_in, push_not_in_ints,
    push_rows, texts, write_one, Conn, Db, Pool, BYTE_ORDER, NAME,
};
use super::SqlStore;
use crate::model::component::{Component, ComponentChange};
use crate::model::enums::State;
use crate::model::filter::{ComponentFilter, Match};
use crate::model::xname::Xname;
use crate::store::rows::batch::{Read, Rows};
use crate::store::rows::components::{
    check_update, component_from, components_from, id_states, require_found, COLUMNS, INSERT_CHUNK,
};
use crate::store::rows::groups::{filter_sets, unknown_set};
use crate::store::rows::{names_of, opt_str, xnames};
use crate::store::{ComponentStore, StoreError};

/// Appends `AND col IN (..)` / `AND (col IS NULL OR col NOT IN (..))` for a match on a column
/// stored as the value's text, each list bound as one parameter.
fn push_match<T: ToString>(qb: &mut QueryBuilder<'_, Db>, col: &str, m: &Match<T>) {
    let text = |vs: &[T]| texts(&vs.iter().map(T::to_string).collect::<Vec<String>>());
    if !m.any_of.is_empty() {
        qb.push(" AND");
        push_in(qb, col, text(&m.any_of));
    }
    if !m.none_of.is_empty() {
        qb.push(format!(" AND ({col} IS NULL OR"));
        push_not_in(qb, col, text(&m.none_of));
        qb.push(")");
    }
}

/// [`push_match`] for an integer column, each list bound as one parameter.
fn push_match_ints(qb: &mut QueryBuilder<'_, Db>, col: &str, m: &Match<i64>) {
    if !m.any_of.is_empty() {
        qb.push(" AND");
        push_in_ints(qb, col, ints(&m.any_of));
    }
    if !m.none_of.is_empty() {
        qb.push(format!(" AND ({col} IS NULL OR"));
        push_not_in_ints(qb, col, ints(&m.none_of));
        qb.push(")");
    }
}

/// Appends `AND {col} IN (..)` / `AND {col} <> ..` for a match on a NOT NULL boolean column
/// (two values at most, each bound by itself).
fn push_match_bool(qb: &mut QueryBuilder<'_, Db>, col: &str, m: &Match<bool>) {
    if !m.any_of.is_empty() {
        qb.push(format!(" AND {col} IN ("));
        let mut list = qb.separated(", ");
        for v in &m.any_of {
            list.push_bind(*v);
        }
        qb.push(")");
    }
    for v in &m.none_of {
        qb.push(format!(" AND {col} <> ")).push_bind(*v);
    }
}

/// Appends a group or partition condition: in any of `names`, where `null` means in none.
fn push_set_match(qb: &mut QueryBuilder<'_, Db>, table: &str, key: &str, names: &[String]) {
    if names.is_empty() {
        return;
    }
    let (nulls, named): (Vec<&String>, Vec<&String>) = names.iter().partition(|n| *n == "null");
    qb.push(" AND (FALSE");
    if !named.is_empty() {
        qb.push(format!(" OR id IN (SELECT component_id FROM {table} WHERE"));
        push_in(qb, key, texts(&named));
        qb.push(")");
    }
    if !nulls.is_empty() {
        qb.push(format!(" OR id NOT IN (SELECT component_id FROM {table})"));
    }
    qb.push(")");
}

/// Fails with `Invalid` when the filter names a group or partition that does not exist, so
/// a typo is reported rather than answered with nothing.
pub(super) async fn check_sets_exist(
    pool: &Pool,
    filter: &ComponentFilter,
) -> Result<(), StoreError> {
    for (sets, named) in filter_sets(filter) {
        if named.is_empty() {
            continue;
        }
        let (table, key) = (sets.table, sets.key);
        // The first missing name in the filter's order.
        let missing = sqlx::query(&format!(
            "SELECT v FROM {} WHERE v NOT IN (SELECT {key} FROM {table}) ORDER BY i LIMIT 1",
            each("$1")
        ))
        .bind(texts(&named))
        .fetch_optional(pool)
        .await?;
        if let Some(row) = missing {
            return Err(unknown_set(sets, &row.try_get::<String, _>(0)?));
        }
    }
    Ok(())
}

/// Appends `SELECT {columns} FROM components WHERE ...` for `filter` to `qb`.
pub(super) fn select_filtered<'a>(
    qb: &mut QueryBuilder<'a, Db>,
    filter: &'a ComponentFilter,
    columns: &str,
) -> Result<(), StoreError> {
    qb.push(format!("SELECT {columns} FROM components WHERE TRUE"));
    push_set_match(qb, "group_members", "label", &filter.groups);
    push_set_match(qb, "partition_members", "name", &filter.partitions);
    if !filter.ids.is_empty() {
        qb.push(" AND");
        push_in(qb, "id", texts(&filter.ids));
    }
    push_match(qb, "type", &filter.kinds);
    push_match(qb, "state", &filter.states);
    push_match(qb, "flag", &filter.flags);
    push_match_bool(qb, "enabled", &filter.enabled);
    push_match_bool(qb, "locked", &filter.locked);
    push_match_bool(qb, "reservation_disabled", &filter.reservation_disabled);
    push_match(qb, "lower(software_status)", &filter.software_status);
    push_match(qb, "role", &filter.roles);
    push_match(qb, "subrole", &filter.subroles);
    push_match(qb, "subtype", &filter.subtypes);
    push_match(qb, "arch", &filter.archs);
    push_match(qb, "class", &filter.classes);
    push_match_ints(qb, "nid", &filter.nids);
    if let Some(lo) = filter.nid_start {
        qb.push(" AND nid >= ").push_bind(lo);
    }
    if let Some(hi) = filter.nid_end {
        qb.push(" AND nid <= ").push_bind(hi);
    }
    Ok(())
}

/// Inserts components on `conn` (inside the caller's transaction); existing ones are kept
/// unless `force` (see [`ComponentStore::upsert_components`]). Returns the xnames created or
/// changed. With `force`, an xname must not appear twice in `components`.
pub(super) async fn insert_components(
    conn: &mut Conn,
    components: &[Component],
    force: bool,
) -> Result<Vec<Xname>, StoreError> {
    let mut changed = Vec::new();
    for chunk in components.chunks(INSERT_CHUNK) {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new(format!("INSERT INTO components ({COLUMNS}) "));
        qb.push_values(chunk, |mut b, c| {
            b.push_bind(c.id.as_str().to_string())
                .push_bind(c.kind.to_string())
                .push_bind(opt_str(&c.state).unwrap_or_else(|| "Unknown".into()))
                .push_bind(opt_str(&c.flag).unwrap_or_else(|| "OK".into()))
                .push_bind(c.enabled.unwrap_or(true))
                .push_bind(c.software_status.clone())
                .push_bind(opt_str(&c.role))
                .push_bind(opt_str(&c.subrole))
                .push_bind(c.nid)
                .push_bind(c.subtype.clone())
                .push_bind(opt_str(&c.net_type))
                .push_bind(opt_str(&c.arch))
                .push_bind(opt_str(&c.class))
                .push_bind(c.reservation_disabled)
                .push_bind(c.locked);
        });
        if force {
            // Only rows whose values differ count as changed, so events stay truthful.
            qb.push(
                " ON CONFLICT (id) DO UPDATE SET state = excluded.state, flag = excluded.flag, \
                 subtype = coalesce(excluded.subtype, components.subtype), \
                 net_type = coalesce(excluded.net_type, components.net_type), \
                 arch = coalesce(excluded.arch, components.arch), \
                 class = coalesce(excluded.class, components.class) \
                 WHERE components.state IS DISTINCT FROM excluded.state \
                 OR components.flag IS DISTINCT FROM excluded.flag \
                 OR (excluded.subtype IS NOT NULL \
                     AND components.subtype IS DISTINCT FROM excluded.subtype) \
                 OR (excluded.net_type IS NOT NULL \
                     AND components.net_type IS DISTINCT FROM excluded.net_type) \
                 OR (excluded.arch IS NOT NULL \
                     AND components.arch IS DISTINCT FROM excluded.arch) \
                 OR (excluded.class IS NOT NULL \
                     AND components.class IS DISTINCT FROM excluded.class)",
            );
        } else {
            qb.push(" ON CONFLICT (id) DO NOTHING");
        }
        qb.push(" RETURNING id");
        changed.extend(xnames(&qb.build().fetch_all(&mut *conn).await?)?);
    }
    Ok(changed)
}

#[async_trait]
impl ComponentStore for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        NAME
    }

    async fn components(&self, filter: &ComponentFilter) -> Result<Vec<Component>, StoreError> {
        check_sets_exist(&self.pool, filter).await?;
        let mut qb = QueryBuilder::new("");
        select_filtered(&mut qb, filter, COLUMNS)?;
        let rows = qb.build().fetch_all(&self.pool).await?;
        components_from(&rows)
    }

    async fn component(&self, id: &Xname) -> Result<Option<Component>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM components WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(component_from).transpose()
    }

    async fn component_by_nid(&self, nid: i64) -> Result<Option<Component>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM components WHERE nid = $1"))
            .bind(nid)
            .fetch_all(&self.pool)
            .await?;
        // The lowest xname when several share the NID.
        Ok(components_from(&rows)?.into_iter().next())
    }

    async fn upsert_components(
        &self,
        components: &[Component],
        force: bool,
    ) -> Result<Vec<Xname>, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let changed = insert_components(&mut tx, components, force).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn update_components(
        &self,
        ids: &[Xname],
        change: &ComponentChange,
        required_states: Option<&[State]>,
    ) -> Result<Vec<Xname>, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let ids_text = texts(ids);
        // In byte order of id, so the message names the same state on either database.
        let rows = sqlx::query(&format!(
            "SELECT id, state FROM components WHERE id{} ORDER BY id{BYTE_ORDER}",
            in_texts("$1")
        ))
        .bind(&ids_text)
        .fetch_all(&mut *tx)
        .await?;
        check_update(ids, &id_states(&rows)?, required_states, change)?;
        let mut qb: QueryBuilder<Db> = QueryBuilder::new("UPDATE components SET ");
        // Each arm sets the new values and keeps only rows where they differ, so the
        // returned ids are exactly the components that changed.
        match change {
            ComponentChange::State { state, flag } => {
                qb.push("state = ").push_bind(state.to_string());
                qb.push(", flag = ").push_bind(flag.to_string());
                qb.push(" WHERE (state IS DISTINCT FROM ")
                    .push_bind(state.to_string());
                qb.push(" OR flag IS DISTINCT FROM ")
                    .push_bind(flag.to_string())
                    .push(")");
            }
            ComponentChange::Flag(flag) => {
                qb.push("flag = ").push_bind(flag.to_string());
                qb.push(" WHERE flag IS DISTINCT FROM ")
                    .push_bind(flag.to_string());
            }
            ComponentChange::Enabled(on) => {
                qb.push("enabled = ").push_bind(*on);
                qb.push(" WHERE enabled IS DISTINCT FROM ").push_bind(*on);
            }
            ComponentChange::SoftwareStatus(s) => {
                let s = Some(s.clone()).filter(|s| !s.is_empty());
                qb.push("software_status = ").push_bind(s.clone());
                qb.push(" WHERE software_status IS DISTINCT FROM ")
                    .push_bind(s);
            }
            ComponentChange::Role { role, subrole } => {
                let sub = opt_str(subrole);
                qb.push("role = ").push_bind(role.to_string());
                qb.push(", subrole = ").push_bind(sub.clone());
                qb.push(" WHERE (role IS DISTINCT FROM ")
                    .push_bind(role.to_string());
                qb.push(" OR subrole IS DISTINCT FROM ")
                    .push_bind(sub)
                    .push(")");
            }
            ComponentChange::Nid(nid) => {
                qb.push("nid = ").push_bind(*nid);
                qb.push(" WHERE nid IS DISTINCT FROM ").push_bind(*nid);
            }
        }
        qb.push(" AND");
        push_in(&mut qb, "id", ids_text);
        qb.push(" RETURNING id");
        let mut changed = xnames(&qb.build().fetch_all(&mut *tx).await?)?;
        tx.commit().await?;
        changed.sort();
        Ok(changed)
    }

    async fn set_nids(&self, nids: &[(Xname, i64)]) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        // An xname listed twice gets its last NID, as when each pair is written in turn.
        let mut last: HashMap<&Xname, i64> = HashMap::with_capacity(nids.len());
        for (id, nid) in nids {
            last.insert(id, *nid);
        }
        let pairs: Vec<(&Xname, i64)> = last.into_iter().collect();
        let rows = Rows::of(
            &pairs,
            &[
                Read::Text(&|(id, _)| Some(id.as_str().to_string())),
                Read::Int(&|(_, nid)| Some(*nid)),
            ],
        );
        // One statement for all.
        let mut qb: QueryBuilder<Db> = QueryBuilder::new("UPDATE components SET nid = u.c1 FROM ");
        push_rows(&mut qb, &rows);
        qb.push(" AS u WHERE components.id = u.c0 RETURNING components.id");
        let rows = qb.build().fetch_all(&mut *tx).await?;
        let found = names_of(&rows)?;
        require_found(
            nids.iter().map(|(id, _)| id),
            found.iter().map(String::as_str),
        )?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_component(&self, id: &Xname) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM components WHERE id = $1").bind(id.as_str());
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn delete_all_components(&self) -> Result<u64, StoreError> {
        write_one(&self.pool, sqlx::query("DELETE FROM components")).await
    }
}
