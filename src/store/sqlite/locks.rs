//! Component locks and reservations in SQLite: reads, and changes applied by the model's rules
//! inside one `BEGIN IMMEDIATE` transaction so two holders never both win.

use async_trait::async_trait;

use super::{id_array, SqliteStore};
use crate::model::locks::{LockChange, LockState};
use crate::model::xname::Xname;
use crate::store::rules::locks::{apply_locks, lock_state_from};
use crate::store::{LockOutcome, LockStore, StoreError};

const SELECT: &str = "SELECT c.id AS id, l.locked, l.disabled, l.reservation_key, l.deputy_key, \
     l.created, l.expires FROM components c LEFT JOIN component_locks l ON l.id = c.id \
     WHERE c.id IN (SELECT value FROM json_each(?))";

#[async_trait]
impl LockStore for SqliteStore {
    async fn lock_states(&self, ids: &[Xname]) -> Result<Vec<LockState>, StoreError> {
        let rows = sqlx::query(SELECT)
            .bind(id_array(ids))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(lock_state_from).collect()
    }

    async fn change_locks(
        &self,
        changes: &[(Xname, LockChange)],
        rigid: bool,
        now: i64,
    ) -> Result<Vec<LockOutcome>, StoreError> {
        let ids: Vec<&Xname> = changes.iter().map(|(id, _)| id).collect();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(SELECT)
            .bind(id_array(&ids))
            .fetch_all(&mut *tx)
            .await?;
        let out = apply_locks(&rows, changes, now)?;
        if rigid && out.iter().any(|(_, r)| r.is_err()) {
            tx.rollback().await?;
            return Ok(out);
        }
        // One statement for every changed component: a JSON array of
        // [id, locked, disabled, reservation key, deputy key, created, expires] rows.
        let rows: Vec<serde_json::Value> = out
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .map(|s| {
                let r = s.reservation.as_ref();
                serde_json::json!([
                    s.id.as_str(),
                    s.locked,
                    s.disabled,
                    r.map(|r| &r.reservation_key),
                    r.map(|r| &r.deputy_key),
                    r.map(|r| r.created),
                    r.and_then(|r| r.expires),
                ])
            })
            .collect();
        sqlx::query(
            "INSERT INTO component_locks \
             (id, locked, disabled, reservation_key, deputy_key, created, expires) \
             SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), \
             json_extract(value, '$[2]'), json_extract(value, '$[3]'), \
             json_extract(value, '$[4]'), json_extract(value, '$[5]'), \
             json_extract(value, '$[6]') FROM json_each(?) WHERE true \
             ON CONFLICT (id) DO UPDATE SET \
             locked = excluded.locked, disabled = excluded.disabled, \
             reservation_key = excluded.reservation_key, deputy_key = excluded.deputy_key, \
             created = excluded.created, expires = excluded.expires",
        )
        .bind(serde_json::Value::Array(rows).to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
