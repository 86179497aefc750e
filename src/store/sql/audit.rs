//! The audit log: the entry as JSON, filter fields in columns.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};

use super::dialect::{begin_write, json_elements, push_starts_with, Db};
use super::SqlStore;
use crate::model::audit::{AuditEntry, AuditFilter};
use crate::store::rows::audit::{audit_from, audit_json};
use crate::store::{AuditStore, StoreError};

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let body = audit_json(entry)?;
        // Under the write lock, ids commit in order: a reader paging with `after` never
        // passes an id whose entry commits later.
        let mut tx = begin_write(&self.pool).await?;
        let row = sqlx::query(
            "INSERT INTO audit (time_millis, subject, tenant, method, path, outcome, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(entry.time_millis)
        .bind(&entry.subject)
        .bind(&entry.tenant)
        .bind(&entry.method)
        .bind(&entry.path)
        .bind(entry.outcome.as_str())
        .bind(body)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let id: i64 = row.try_get(0)?;
        Ok(id)
    }

    async fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let mut q: QueryBuilder<Db> = QueryBuilder::new("SELECT id, body FROM audit WHERE TRUE");
        if let Some(v) = &f.subject {
            q.push(" AND subject = ").push_bind(v.clone());
        }
        if let Some(v) = &f.tenant {
            q.push(" AND tenant = ").push_bind(v.clone());
        }
        if let Some(v) = &f.method {
            q.push(" AND method = ").push_bind(v.clone());
        }
        if let Some(v) = &f.path {
            q.push(" AND");
            push_starts_with(&mut q, "path", v.clone());
        }
        if let Some(v) = f.outcome {
            q.push(" AND outcome = ").push_bind(v.as_str());
        }
        if let Some(v) = f.since_millis {
            q.push(" AND time_millis >= ").push_bind(v);
        }
        if let Some(v) = f.until_millis {
            q.push(" AND time_millis < ").push_bind(v);
        }
        if let Some(v) = f.after {
            q.push(" AND id > ").push_bind(v);
        }
        if let Some(v) = &f.xname {
            let xnames = json_elements("body", Some("xnames"));
            q.push(format!(" AND EXISTS (SELECT 1 FROM {xnames} WHERE v = "))
                .push_bind(v.clone())
                .push(")");
        }
        q.push(if f.newest_first {
            " ORDER BY id DESC LIMIT "
        } else {
            " ORDER BY id LIMIT "
        })
        .push_bind(f.limit as i64);
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(audit_from).collect()
    }
}
