//! Component locks and reservations: reads, and changes applied by the model's
//! rules inside one write transaction so two holders never both win.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::dialect::{begin_write, in_texts, push_rows, texts, Conn, Db};
use super::SqlStore;
use crate::model::locks::{LockChange, LockState};
use crate::model::xname::Xname;
use crate::store::rows::batch::{Read, Rows};
use crate::store::rows::locks::{apply_locks, lock_state_from};
use crate::store::{LockOutcome, LockStore, StoreError};

/// The lock state of each component whose id is among the texts bound as `$1`.
fn select() -> String {
    format!(
        "SELECT c.id AS id, l.locked, l.disabled, l.reservation_key, l.deputy_key, l.created, \
         l.expires FROM components c LEFT JOIN component_locks l ON l.id = c.id WHERE c.id{}",
        in_texts("$1")
    )
}

/// Lock states as rows of `component_locks`' columns.
fn lock_rows(states: &[&LockState]) -> Rows {
    Rows::of(
        states,
        &[
            Read::Text(&|s| Some(s.id.as_str().to_string())),
            Read::Bool(&|s| s.locked),
            Read::Bool(&|s| s.disabled),
            Read::Text(&|s| s.reservation.as_ref().map(|r| r.reservation_key.clone())),
            Read::Text(&|s| s.reservation.as_ref().map(|r| r.deputy_key.clone())),
            Read::Int(&|s| s.reservation.as_ref().map(|r| r.created)),
            Read::Int(&|s| s.reservation.as_ref().and_then(|r| r.expires)),
        ],
    )
}

/// A lock state's bit that a component record shows too.
type Bit = fn(&LockState) -> bool;

/// Copies `states`' lock and disable bits to the components' `Locked` and
/// `ReservationDisabled`, as SMD keeps them.
async fn sync_components(conn: &mut Conn, states: &[&LockState]) -> Result<(), StoreError> {
    let bits: [(&str, Bit); 2] = [
        ("locked", |s| s.locked),
        ("reservation_disabled", |s| s.disabled),
    ];
    for (col, bit) in bits {
        for value in [true, false] {
            let ids: Vec<&str> = states
                .iter()
                .filter(|s| bit(s) == value)
                .map(|s| s.id.as_str())
                .collect();
            if ids.is_empty() {
                continue;
            }
            sqlx::query(&format!(
                "UPDATE components SET {col} = $1 WHERE {col} <> $1 AND id{}",
                in_texts("$2")
            ))
            .bind(value)
            .bind(texts(&ids))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

#[async_trait]
impl LockStore for SqlStore {
    async fn lock_states(&self, ids: &[Xname]) -> Result<Vec<LockState>, StoreError> {
        let rows = sqlx::query(&select())
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
        let rows = sqlx::query(&select())
            .bind(texts(&ids))
            .fetch_all(&mut *tx)
            .await?;
        let out = apply_locks(&rows, changes, now)?;
        if rigid && out.iter().any(|(_, r)| r.is_err()) {
            tx.rollback().await?;
            return Ok(out);
        }
        // The last state of each changed component (an upsert touches a row once).
        let mut last: HashMap<&Xname, &LockState> = HashMap::new();
        for state in out.iter().filter_map(|(_, r)| r.as_ref().ok()) {
            last.insert(&state.id, state);
        }
        let states: Vec<&LockState> = last.into_values().collect();
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO component_locks \
             (id, locked, disabled, reservation_key, deputy_key, created, expires) \
             SELECT c0, c1, c2, c3, c4, c5, c6 FROM ",
        );
        push_rows(&mut qb, &lock_rows(&states));
        qb.push(
            " AS u WHERE TRUE ON CONFLICT (id) DO UPDATE SET \
             locked = excluded.locked, disabled = excluded.disabled, \
             reservation_key = excluded.reservation_key, deputy_key = excluded.deputy_key, \
             created = excluded.created, expires = excluded.expires",
        );
        qb.build().execute(&mut *tx).await?;
        sync_components(&mut tx, &states).await?;
        tx.commit().await?;
        Ok(out)
    }
}
