//! Boot parameters and their history.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::dialect::{begin_write, push_in, texts, Db, BYTE_ORDER};
use super::SqlStore;
use crate::model::boot::{BootEntry, BootVersion};
use crate::store::rows::boot::{
    boot_entry_from, boot_version_from, boot_written, check_boot_versions, next_boot_version,
    COLUMNS,
};
use crate::store::rows::json;
use crate::store::{BootChange, BootStore, StoreError};

#[async_trait]
impl BootStore for SqlStore {
    async fn boot_entries(&self, names: Option<&[String]>) -> Result<Vec<BootEntry>, StoreError> {
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM boot_params"));
        if let Some(names) = names {
            qb.push(" WHERE");
            push_in(&mut qb, "name", texts(names));
        }
        qb.push(format!(" ORDER BY name{BYTE_ORDER}"));
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(boot_entry_from).collect()
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
        let mut current = Vec::with_capacity(changes.len());
        for c in changes {
            let version: Option<i64> =
                sqlx::query_scalar("SELECT version FROM boot_params WHERE name = $1")
                    .bind(&c.name)
                    .fetch_optional(&mut *tx)
                    .await?;
            current.push(version);
        }
        check_boot_versions(changes, &current)?;
        let mut written = Vec::new();
        for c in changes {
            let last: Option<i64> =
                sqlx::query_scalar("SELECT max(version) FROM boot_history WHERE name = $1")
                    .bind(&c.name)
                    .fetch_one(&mut *tx)
                    .await?;
            let version = next_boot_version(c, last);
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
                    written.push(boot_written(c, data, token, version, at, by));
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
        let mut qb: QueryBuilder<Db> =
            QueryBuilder::new("SELECT name, version, op, at, by, data FROM boot_history");
        if let Some(name) = name {
            qb.push(" WHERE name = ").push_bind(name.to_string());
        }
        qb.push(format!(
            " ORDER BY at{BYTE_ORDER} DESC, version DESC LIMIT "
        ))
        .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(boot_version_from).collect()
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
        row.as_ref().map(boot_version_from).transpose()
    }
}
