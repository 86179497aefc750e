//! Hardware inventory writes, FRUs and their history.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::dialect::{begin_write, push_in, texts, write_one, Conn, Db};
use super::SqlStore;
use crate::model::discovery::Hardware;
use crate::model::hardware::{fru_of, HistoryFilter, HwEvent};
use crate::model::xname::Xname;
use crate::store::rows::endpoints::{doc, hardware_from};
use crate::store::rows::hardware::{event_from, COLUMNS};
use crate::store::rows::Fields;
use crate::store::{HardwareStore, HistoryOf, StoreError};

/// Rows inserted per statement.
const CHUNK: usize = 500;

/// Writes each location record on `conn`, replacing what was there.
pub(super) async fn put_locations(
    conn: &mut Conn,
    hardware: &[Hardware],
) -> Result<(), StoreError> {
    for hw in hardware {
        sqlx::query(
            "INSERT INTO hardware (id, doc) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(hw.id.as_str())
        .bind(doc(hw)?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Records, as SMD does, a Detected event for each FRU of `hardware` that is not what the
/// last event at its location already says.
pub(super) async fn detected(
    conn: &mut Conn,
    hardware: &[Hardware],
    now: &str,
) -> Result<(), StoreError> {
    let found: Vec<(&Xname, String)> = hardware
        .iter()
        .filter_map(|hw| fru_of(hw).map(|(fru, _)| (&hw.id, fru)))
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    let mut last: HashMap<String, (String, String)> = HashMap::new();
    for chunk in found.chunks(CHUNK) {
        let ids: Vec<&Xname> = chunk.iter().map(|(id, _)| *id).collect();
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!(
            "SELECT {COLUMNS} FROM hardware_history WHERE seq IN \
             (SELECT MAX(seq) FROM hardware_history WHERE"
        ));
        push_in(&mut qb, "id", texts(&ids));
        qb.push(" GROUP BY id)");
        for row in qb.build().fetch_all(&mut *conn).await? {
            last.insert(
                row.text("id")?,
                (row.text("fru_id")?, row.text("event_type")?),
            );
        }
    }
    let new: Vec<&(&Xname, String)> = found
        .iter()
        .filter(|(id, fru)| {
            last.get(id.as_str())
                .is_none_or(|(f, kind)| f != fru || kind != "Detected")
        })
        .collect();
    for chunk in new.chunks(CHUNK) {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new("INSERT INTO hardware_history (id, fru_id, ts, event_type) ");
        qb.push_values(chunk, |mut b, (id, fru)| {
            b.push_bind(id.as_str().to_string())
                .push_bind(fru.clone())
                .push_bind(now.to_string())
                .push_bind("Detected");
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[async_trait]
impl HardwareStore for SqlStore {
    async fn put_hardware(&self, hardware: &[Hardware], now: &str) -> Result<(), StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        put_locations(&mut tx, hardware).await?;
        detected(&mut tx, hardware, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_hardware(&self, ids: Option<&[Xname]>) -> Result<u64, StoreError> {
        let mut qb: QueryBuilder<Db> = QueryBuilder::new("DELETE FROM hardware");
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(0);
            }
            qb.push(" WHERE");
            push_in(&mut qb, "id", texts(ids));
        }
        let mut tx = begin_write(&self.pool).await?;
        let n = qb.build().execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn delete_frus(&self, fru_id: Option<&str>) -> Result<u64, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let rows = sqlx::query("SELECT doc FROM hardware")
            .fetch_all(&mut *tx)
            .await?;
        let mut changed = Vec::new();
        for mut hw in hardware_from(&rows)? {
            let holds = fru_of(&hw).is_some_and(|(id, _)| fru_id.is_none_or(|want| want == id));
            if holds {
                hw.rest.remove("PopulatedFRU");
                changed.push(hw);
            }
        }
        put_locations(&mut tx, &changed).await?;
        tx.commit().await?;
        Ok(changed.len() as u64)
    }

    async fn hardware_history(&self, filter: &HistoryFilter) -> Result<Vec<HwEvent>, StoreError> {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM hardware_history WHERE TRUE"));
        if !filter.ids.is_empty() {
            qb.push(" AND");
            push_in(&mut qb, "id", texts(&filter.ids));
        }
        if !filter.fru_ids.is_empty() {
            qb.push(" AND");
            push_in(&mut qb, "fru_id", texts(&filter.fru_ids));
        }
        qb.push(" ORDER BY seq");
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let e = event_from(row)?;
            if filter.accepts(&e) {
                out.push(e);
            }
        }
        Ok(out)
    }

    async fn delete_hardware_history(&self, which: HistoryOf<'_>) -> Result<u64, StoreError> {
        let query = match which {
            HistoryOf::All => sqlx::query("DELETE FROM hardware_history"),
            HistoryOf::Location(id) => {
                sqlx::query("DELETE FROM hardware_history WHERE id = $1").bind(id.as_str())
            }
            HistoryOf::Fru(fru) => {
                sqlx::query("DELETE FROM hardware_history WHERE fru_id = $1").bind(fru)
            }
        };
        write_one(&self.pool, query).await
    }
}
