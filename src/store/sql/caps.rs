//! Power-cap tasks (PCS `/power-cap`).
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;

use super::dialect::{begin_write, write_one};
use super::SqlStore;
use crate::model::power_cap::{counts, CapCounts, CapRecord};
use crate::store::rows::caps::{head_from, ops_from, HEADS};
use crate::store::rows::{json, Fields};
use crate::store::{CapStore, StoreError};

#[async_trait]
impl CapStore for SqlStore {
    async fn put_cap_task(&self, t: &CapRecord) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO power_cap_tasks (id, kind, created, expires, status, tenant, counts, ops) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET \
             status = excluded.status, counts = excluded.counts, ops = excluded.ops",
        )
        .bind(&t.id)
        .bind(t.kind.as_str())
        .bind(&t.created)
        .bind(&t.expires)
        .bind(t.status.as_str())
        .bind(t.tenant.as_deref())
        .bind(json(&counts(&t.ops))?)
        .bind(json(&t.ops)?);
        write_one(&self.pool, query).await?;
        Ok(())
    }

    async fn cap_task(&self, id: &str) -> Result<Option<CapRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {HEADS}, ops FROM power_cap_tasks WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (mut t, _) = head_from(&row)?;
        t.ops = ops_from(&row.text("ops")?)?;
        Ok(Some(t))
    }

    async fn cap_tasks(&self) -> Result<Vec<(CapRecord, CapCounts)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {HEADS} FROM power_cap_tasks ORDER BY created, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(head_from).collect()
    }

    async fn prune_cap_tasks(&self, now: &str, keep: u64) -> Result<u64, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let expired = sqlx::query("DELETE FROM power_cap_tasks WHERE expires < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // The completed tasks older than the newest `keep`: none when there are fewer.
        let over = sqlx::query(
            "DELETE FROM power_cap_tasks WHERE status = 'completed' AND created < \
             (SELECT created FROM power_cap_tasks WHERE status = 'completed' \
              ORDER BY created DESC LIMIT 1 OFFSET $1)",
        )
        .bind(i64::try_from(keep).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(expired + over)
    }
}
