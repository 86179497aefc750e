//! Components (`State/Components`) in SQLite.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::{id_array, SqliteStore};
use crate::model::component::{Component, ComponentChange};
use crate::model::enums::State;
use crate::model::filter::{ComponentFilter, Match};
use crate::model::xname::Xname;
use crate::store::rules::components::{
    check_update, component_from, components_from, id_states, no_such_components, COLUMNS,
    INSERT_CHUNK,
};
use crate::store::rules::groups::{filter_sets, unknown_set};
use crate::store::rules::{opt_str, xnames};
use crate::store::{ComponentStore, StoreError};

/// Appends `AND col IN (..)` / `AND col NOT IN (..)` for a value match.
fn push_match<T: ToString>(qb: &mut QueryBuilder<'_, Sqlite>, col: &str, m: &Match<T>) {
    push_match_expr(qb, col, m, |v| v.to_string())
}

fn push_match_expr<T>(
    qb: &mut QueryBuilder<'_, Sqlite>,
    col: &str,
    m: &Match<T>,
    text: impl Fn(&T) -> String,
) {
    if !m.any_of.is_empty() {
        qb.push(format!(" AND {col} IN ("));
        let mut sep = qb.separated(", ");
        for v in &m.any_of {
            sep.push_bind(text(v));
        }
        qb.push(")");
    }
    if !m.none_of.is_empty() {
        qb.push(format!(" AND ({col} IS NULL OR {col} NOT IN ("));
        let mut sep = qb.separated(", ");
        for v in &m.none_of {
            sep.push_bind(text(v));
        }
        qb.push("))");
    }
}

/// Appends a group or partition condition: in any of `names`, where `null` means in none.
fn push_set_match<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    table: &str,
    key: &str,
    names: &'a [String],
) {
    if names.is_empty() {
        return;
    }
    let (nulls, named): (Vec<&String>, Vec<&String>) = names.iter().partition(|n| *n == "null");
    qb.push(" AND (0");
    if !named.is_empty() {
        qb.push(format!(
            " OR id IN (SELECT component_id FROM {table} WHERE {key} IN \
             (SELECT value FROM json_each("
        ))
        .push_bind(id_array(&named))
        .push(")))");
    }
    if !nulls.is_empty() {
        qb.push(format!(" OR id NOT IN (SELECT component_id FROM {table})"));
    }
    qb.push(")");
}

/// Fails with `Invalid` when the filter names a group or partition that does not exist, so
/// a typo is reported rather than answered with nothing.
pub(super) async fn check_sets_exist(
    pool: &sqlx::SqlitePool,
    filter: &ComponentFilter,
) -> Result<(), StoreError> {
    for (sets, named) in filter_sets(filter) {
        if named.is_empty() {
            continue;
        }
        let (table, key) = (sets.table, sets.key);
        let missing = sqlx::query(&format!(
            "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT {key} FROM {table})"
        ))
        .bind(id_array(&named))
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
    qb: &mut QueryBuilder<'a, Sqlite>,
    filter: &'a ComponentFilter,
    columns: &str,
) -> Result<(), StoreError> {
    qb.push(format!("SELECT {columns} FROM components WHERE 1=1"));
    push_set_match(qb, "group_members", "label", &filter.groups);
    push_set_match(qb, "partition_members", "name", &filter.partitions);
    if !filter.ids.is_empty() {
        qb.push(" AND id IN (SELECT value FROM json_each(");
        qb.push_bind(id_array(&filter.ids));
        qb.push("))");
    }
    push_match(qb, "type", &filter.kinds);
    push_match(qb, "state", &filter.states);
    push_match(qb, "flag", &filter.flags);
    push_match_expr(qb, "enabled", &filter.enabled, |b| {
        if *b { "1" } else { "0" }.to_string()
    });
    push_match_expr(qb, "lower(software_status)", &filter.software_status, |s| {
        s.clone()
    });
    push_match(qb, "role", &filter.roles);
    push_match(qb, "subrole", &filter.subroles);
    push_match(qb, "subtype", &filter.subtypes);
    push_match(qb, "arch", &filter.archs);
    push_match(qb, "class", &filter.classes);
    if !filter.nids.any_of.is_empty() {
        qb.push(" AND nid IN (");
        let mut sep = qb.separated(", ");
        for n in &filter.nids.any_of {
            sep.push_bind(*n);
        }
        qb.push(")");
    }
    if !filter.nids.none_of.is_empty() {
        qb.push(" AND (nid IS NULL OR nid NOT IN (");
        let mut sep = qb.separated(", ");
        for n in &filter.nids.none_of {
            sep.push_bind(*n);
        }
        qb.push("))");
    }
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
/// changed.
pub(super) async fn insert_components(
    conn: &mut SqliteConnection,
    components: &[Component],
    force: bool,
) -> Result<Vec<Xname>, StoreError> {
    let mut changed = Vec::new();
    for chunk in components.chunks(INSERT_CHUNK) {
        let mut qb: QueryBuilder<Sqlite> =
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
                " ON CONFLICT(id) DO UPDATE SET state = excluded.state, flag = excluded.flag, \
                 subtype = coalesce(excluded.subtype, subtype), \
                 net_type = coalesce(excluded.net_type, net_type), \
                 arch = coalesce(excluded.arch, arch), class = coalesce(excluded.class, class) \
                 WHERE state IS NOT excluded.state OR flag IS NOT excluded.flag \
                 OR (excluded.subtype IS NOT NULL AND subtype IS NOT excluded.subtype) \
                 OR (excluded.net_type IS NOT NULL AND net_type IS NOT excluded.net_type) \
                 OR (excluded.arch IS NOT NULL AND arch IS NOT excluded.arch) \
                 OR (excluded.class IS NOT NULL AND class IS NOT excluded.class)",
            );
        } else {
            qb.push(" ON CONFLICT(id) DO NOTHING");
        }
        qb.push(" RETURNING id");
        changed.extend(xnames(&qb.build().fetch_all(&mut *conn).await?)?);
    }
    Ok(changed)
}

#[async_trait]
impl ComponentStore for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn components(&self, filter: &ComponentFilter) -> Result<Vec<Component>, StoreError> {
        check_sets_exist(&self.pool, filter).await?;
        let mut qb = QueryBuilder::new("");
        select_filtered(&mut qb, filter, COLUMNS)?;
        let rows = qb.build().fetch_all(&self.pool).await?;
        components_from(&rows)
    }

    async fn component(&self, id: &Xname) -> Result<Option<Component>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM components WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(component_from).transpose()
    }

    async fn component_by_nid(&self, nid: i64) -> Result<Option<Component>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM components WHERE nid = ?"))
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let ids_json = id_array(ids);
        let rows = sqlx::query(
            "SELECT id, state FROM components WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(&ids_json)
        .fetch_all(&mut *tx)
        .await?;
        check_update(ids, &id_states(&rows)?, required_states, change)?;
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE components SET ");
        // Each arm sets the new values and keeps only rows where they differ, so the
        // returned ids are exactly the components that changed.
        match change {
            ComponentChange::State { state, flag } => {
                qb.push("state = ").push_bind(state.to_string());
                qb.push(", flag = ").push_bind(flag.to_string());
                qb.push(" WHERE (state IS NOT ")
                    .push_bind(state.to_string());
                qb.push(" OR flag IS NOT ")
                    .push_bind(flag.to_string())
                    .push(")");
            }
            ComponentChange::Flag(flag) => {
                qb.push("flag = ").push_bind(flag.to_string());
                qb.push(" WHERE flag IS NOT ").push_bind(flag.to_string());
            }
            ComponentChange::Enabled(on) => {
                qb.push("enabled = ").push_bind(*on);
                qb.push(" WHERE enabled IS NOT ").push_bind(*on);
            }
            ComponentChange::SoftwareStatus(s) => {
                let s = Some(s.clone()).filter(|s| !s.is_empty());
                qb.push("software_status = ").push_bind(s.clone());
                qb.push(" WHERE software_status IS NOT ").push_bind(s);
            }
            ComponentChange::Role { role, subrole } => {
                let sub = opt_str(subrole);
                qb.push("role = ").push_bind(role.to_string());
                qb.push(", subrole = ").push_bind(sub.clone());
                qb.push(" WHERE (role IS NOT ").push_bind(role.to_string());
                qb.push(" OR subrole IS NOT ").push_bind(sub).push(")");
            }
            ComponentChange::Nid(nid) => {
                qb.push("nid = ").push_bind(*nid);
                qb.push(" WHERE nid IS NOT ").push_bind(*nid);
            }
        }
        qb.push(" AND id IN (SELECT value FROM json_each(")
            .push_bind(ids_json)
            .push(")) RETURNING id");
        let mut changed = xnames(&qb.build().fetch_all(&mut *tx).await?)?;
        tx.commit().await?;
        changed.sort();
        Ok(changed)
    }

    async fn set_nids(&self, nids: &[(Xname, i64)]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut missing = Vec::new();
        for (id, nid) in nids {
            let done = sqlx::query("UPDATE components SET nid = ? WHERE id = ?")
                .bind(nid)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                missing.push(id.clone());
            }
        }
        if !missing.is_empty() {
            tx.rollback().await?;
            return Err(StoreError::NotFound(no_such_components(&missing)));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_component(&self, id: &Xname) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM components WHERE id = ?")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_all_components(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM components")
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
