//! Boot parameters and their history in PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::{begin_write, texts, PgStore};
use crate::model::boot::{BootData, BootEntry, BootVersion, CloudInit};
use crate::store::{BootChange, BootStore, StoreError};

const COLUMNS: &str =
    "name, params, kernel, initrd, cloud_init, token, version, updated_at, updated_by";

fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("boot {col}: {e}"))
}

fn row_to_entry(row: &PgRow) -> Result<BootEntry, StoreError> {
    let cloud: String = row.try_get("cloud_init")?;
    let version: i64 = row.try_get("version")?;
    Ok(BootEntry {
        name: row.try_get("name")?,
        data: BootData {
            params: row.try_get("params")?,
            kernel: row.try_get("kernel")?,
            initrd: row.try_get("initrd")?,
            cloud_init: serde_json::from_str::<CloudInit>(&cloud)
                .map_err(|e| corrupt("cloud_init", e))?,
        },
        token: row.try_get("token")?,
        version: version as u64,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}

fn row_to_version(row: &PgRow) -> Result<BootVersion, StoreError> {
    let data: Option<String> = row.try_get("data")?;
    let op: String = row.try_get("op")?;
    let version: i64 = row.try_get("version")?;
    Ok(BootVersion {
        name: row.try_get("name")?,
        version: version as u64,
        op: op.parse().map_err(|e| corrupt("op", e))?,
        time: row.try_get("at")?,
        by: row.try_get("by")?,
        data: data
            .map(|d| serde_json::from_str(&d).map_err(|e| corrupt("history data", e)))
            .transpose()?,
    })
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl BootStore for PgStore {
    async fn boot_entries(&self, names: Option<&[String]>) -> Result<Vec<BootEntry>, StoreError> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM boot_params"));
        if let Some(names) = names {
            qb.push(" WHERE name = ANY(")
                .push_bind(texts(names))
                .push(")");
        }
        // Byte order, as SQLite sorts.
        qb.push(" ORDER BY name COLLATE \"C\"");
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(row_to_entry).collect()
    }

    async fn write_boot(
        &self,
        changes: &[BootChange],
        at: &str,
        by: &str,
    ) -> Result<Vec<BootEntry>, StoreError> {
        // The write lock is taken first, so the version checks below cannot be overtaken by
        // another writer before the writes.
        let mut tx = begin_write(&self.pool).await?;
        let mut stale = Vec::new();
        for c in changes {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT version FROM boot_params WHERE name = $1")
                    .bind(&c.name)
                    .fetch_optional(&mut *tx)
                    .await?;
            let current = current.unwrap_or(0) as u64;
            if current != c.expect {
                stale.push(format!(
                    "{} (now version {current}, expected {})",
                    c.name, c.expect
                ));
            }
        }
        if !stale.is_empty() {
            return Err(StoreError::Stale(format!(
                "boot parameters changed since they were read: {}",
                stale.join(", ")
            )));
        }
        let mut written = Vec::new();
        for c in changes {
            let last: Option<i64> =
                sqlx::query_scalar("SELECT max(version) FROM boot_history WHERE name = $1")
                    .bind(&c.name)
                    .fetch_one(&mut *tx)
                    .await?;
            let version = last.unwrap_or(0).max(c.expect as i64) + 1;
            let data = match &c.after {
                Some((data, token)) => {
                    sqlx::query(
                        "INSERT INTO boot_params (name, params, kernel, initrd, cloud_init, token, \
                         version, updated_at, updated_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (name) DO UPDATE SET params = excluded.params, \
                         kernel = excluded.kernel, initrd = excluded.initrd, \
                         cloud_init = excluded.cloud_init, token = excluded.token, \
                         version = excluded.version, updated_at = excluded.updated_at, \
                         updated_by = excluded.updated_by",
                    )
                    .bind(&c.name)
                    .bind(&data.params)
                    .bind(&data.kernel)
                    .bind(&data.initrd)
                    .bind(json(&data.cloud_init)?)
                    .bind(token)
                    .bind(version)
                    .bind(at)
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                    written.push(BootEntry {
                        name: c.name.clone(),
                        data: data.clone(),
                        token: token.clone(),
                        version: version as u64,
                        updated_at: at.to_string(),
                        updated_by: by.to_string(),
                    });
                    Some(json(data)?)
                }
                None => {
                    sqlx::query("DELETE FROM boot_params WHERE name = $1")
                        .bind(&c.name)
                        .execute(&mut *tx)
                        .await?;
                    None
                }
            };
            sqlx::query(
                "INSERT INTO boot_history (name, version, op, at, by, data) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&c.name)
            .bind(version)
            .bind(c.op.as_str())
            .bind(at)
            .bind(by)
            .bind(data)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(written)
    }

    async fn boot_history(
        &self,
        name: Option<&str>,
        limit: u32,
    ) -> Result<Vec<BootVersion>, StoreError> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT name, version, op, at, by, data FROM boot_history");
        if let Some(name) = name {
            qb.push(" WHERE name = ").push_bind(name.to_string());
        }
        qb.push(" ORDER BY at COLLATE \"C\" DESC, version DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(row_to_version).collect()
    }

    async fn boot_version(
        &self,
        name: &str,
        version: u64,
    ) -> Result<Option<BootVersion>, StoreError> {
        let row = sqlx::query(
            "SELECT name, version, op, at, by, data FROM boot_history \
             WHERE name = $1 AND version = $2",
        )
        .bind(name)
        .bind(version as i64)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_version).transpose()
    }
}
