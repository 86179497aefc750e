//! Node maps (`Defaults/NodeMaps`) and power maps (`sysinfo/powermaps`).
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::dialect::{begin_write, push_in, texts, write_one, Db, Pool};
use super::SqlStore;
use crate::model::maps::{NodeMap, PowerMap};
use crate::model::xname::Xname;
use crate::store::rows::maps::{
    nid_taken, node_info_text, node_map_from, power_map_from, NODE_COLUMNS, POWER_COLUMNS,
};
use crate::store::rows::{json, opt_str, Fields};
use crate::store::{MapStore, StoreError};

/// The rows of `table` (all, or those of `ids`), read by `read`.
async fn select<T>(
    pool: &Pool,
    table: &str,
    columns: &str,
    ids: Option<&[Xname]>,
    read: impl Fn(&<Db as sqlx::Database>::Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!("SELECT {columns} FROM {table}"));
    if let Some(ids) = ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        qb.push(" WHERE");
        push_in(&mut qb, "id", texts(ids));
    }
    let rows = qb.build().fetch_all(pool).await?;
    rows.iter().map(read).collect()
}

#[async_trait]
impl MapStore for SqlStore {
    async fn node_maps(&self, ids: Option<&[Xname]>) -> Result<Vec<NodeMap>, StoreError> {
        let mut maps = select(&self.pool, "node_maps", NODE_COLUMNS, ids, node_map_from).await?;
        maps.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(maps)
    }

    async fn put_node_maps(&self, maps: &[NodeMap]) -> Result<(), StoreError> {
        if maps.is_empty() {
            return Ok(());
        }
        let mut tx = begin_write(&self.pool).await?;
        // The written IDs' old rows go first, so maps may trade NIDs in one request.
        let ids: Vec<&Xname> = maps.iter().map(|m| &m.id).collect();
        let mut qb: QueryBuilder<Db> = QueryBuilder::new("DELETE FROM node_maps WHERE");
        push_in(&mut qb, "id", texts(&ids));
        qb.build().execute(&mut *tx).await?;
        for m in maps {
            let holder = sqlx::query("SELECT id FROM node_maps WHERE nid = $1")
                .bind(m.nid)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = holder {
                return Err(nid_taken(m.nid, &row.text(0)?));
            }
            sqlx::query(
                "INSERT INTO node_maps (id, nid, role, sub_role, node_info) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(m.id.as_str())
            .bind(m.nid)
            .bind(opt_str(&m.role).unwrap_or_default())
            .bind(opt_str(&m.sub_role).unwrap_or_default())
            .bind(node_info_text(m))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_node_map(&self, id: &Xname) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM node_maps WHERE id = $1").bind(id.as_str());
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn delete_node_maps(&self) -> Result<u64, StoreError> {
        write_one(&self.pool, sqlx::query("DELETE FROM node_maps")).await
    }

    async fn power_maps(&self, ids: Option<&[Xname]>) -> Result<Vec<PowerMap>, StoreError> {
        let mut maps = select(&self.pool, "power_maps", POWER_COLUMNS, ids, power_map_from).await?;
        maps.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(maps)
    }

    async fn put_power_maps(&self, maps: &[PowerMap]) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        for m in maps {
            sqlx::query(
                "INSERT INTO power_maps (id, powered_by) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET powered_by = excluded.powered_by",
            )
            .bind(m.id.as_str())
            .bind(json(&m.powered_by)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_power_map(&self, id: &Xname) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM power_maps WHERE id = $1").bind(id.as_str());
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn delete_power_maps(&self) -> Result<u64, StoreError> {
        write_one(&self.pool, sqlx::query("DELETE FROM power_maps")).await
    }
}
