//! Component locks and reservations in PostgreSQL: reads, and changes applied by the model's
//! rules inside one write transaction so two holders never both win.

use std::collections::HashMap;

use async_trait::async_trait;

use super::{begin_write, texts, PgStore};
use crate::model::locks::{LockChange, LockState};
use crate::model::xname::Xname;
use crate::store::rules::locks::{apply_locks, lock_state_from};
use crate::store::{LockOutcome, LockStore, StoreError};

const SELECT: &str = "SELECT c.id AS id, l.locked, l.disabled, l.reservation_key, l.deputy_key, \
     l.created, l.expires FROM components c LEFT JOIN component_locks l ON l.id = c.id \
     WHERE c.id = ANY($1)";

/// Lock states as parallel columns for `unnest`.
#[derive(Default)]
struct Columns {
    id: Vec<String>,
    locked: Vec<bool>,
    disabled: Vec<bool>,
    reservation_key: Vec<Option<String>>,
    deputy_key: Vec<Option<String>>,
    created: Vec<Option<i64>>,
    expires: Vec<Option<i64>>,
}

impl Columns {
    fn push(&mut self, s: &LockState) {
        let r = s.reservation.as_ref();
        self.id.push(s.id.as_str().to_string());
        self.locked.push(s.locked);
        self.disabled.push(s.disabled);
        self.reservation_key
            .push(r.map(|r| r.reservation_key.clone()));
        self.deputy_key.push(r.map(|r| r.deputy_key.clone()));
        self.created.push(r.map(|r| r.created));
        self.expires.push(r.and_then(|r| r.expires));
    }
}

#[async_trait]
impl LockStore for PgStore {
    async fn lock_states(&self, ids: &[Xname]) -> Result<Vec<LockState>, StoreError> {
        let rows = sqlx::query(SELECT)
            .bind(texts(ids))
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
        let mut tx = begin_write(&self.pool).await?;
        let rows = sqlx::query(SELECT)
            .bind(texts(&ids))
            .fetch_all(&mut *tx)
            .await?;
        let out = apply_locks(&rows, changes, now)?;
        if rigid && out.iter().any(|(_, r)| r.is_err()) {
            tx.rollback().await?;
            return Ok(out);
        }
        // The last state of each changed component (ON CONFLICT cannot touch a row twice).
        let mut last: HashMap<&Xname, &LockState> = HashMap::new();
        for state in out.iter().filter_map(|(_, r)| r.as_ref().ok()) {
            last.insert(&state.id, state);
        }
        let mut cols = Columns::default();
        for state in last.values() {
            cols.push(state);
        }
        sqlx::query(
            "INSERT INTO component_locks \
             (id, locked, disabled, reservation_key, deputy_key, created, expires) \
             SELECT * FROM unnest($1::text[], $2::bool[], $3::bool[], $4::text[], $5::text[], \
             $6::bigint[], $7::bigint[]) \
             ON CONFLICT (id) DO UPDATE SET \
             locked = excluded.locked, disabled = excluded.disabled, \
             reservation_key = excluded.reservation_key, deputy_key = excluded.deputy_key, \
             created = excluded.created, expires = excluded.expires",
        )
        .bind(cols.id)
        .bind(cols.locked)
        .bind(cols.disabled)
        .bind(cols.reservation_key)
        .bind(cols.deputy_key)
        .bind(cols.created)
        .bind(cols.expires)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
