//! Cloud-init documents (metadata-service).
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;

use super::dialect::write_one;
use super::SqlStore;
use crate::store::rows::Fields;
use crate::store::{MetadataStore, StoreError};

#[async_trait]
impl MetadataStore for SqlStore {
    async fn metadata_doc(&self, kind: &str, name: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT doc FROM metadata_docs WHERE kind = $1 AND name = $2")
            .bind(kind)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.text(0)).transpose()?)
    }

    async fn metadata_docs(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT name, doc FROM metadata_docs WHERE kind = $1 ORDER BY name")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.text(0)?, r.text(1)?))).collect()
    }

    async fn put_metadata_doc(
        &self,
        kind: &str,
        name: &str,
        doc: &str,
        create: bool,
    ) -> Result<bool, StoreError> {
        let sql = if create {
            "INSERT INTO metadata_docs (kind, name, doc) VALUES ($1, $2, $3) \
             ON CONFLICT (kind, name) DO NOTHING"
        } else {
            "INSERT INTO metadata_docs (kind, name, doc) VALUES ($1, $2, $3) \
             ON CONFLICT (kind, name) DO UPDATE SET doc = excluded.doc"
        };
        let query = sqlx::query(sql).bind(kind).bind(name).bind(doc);
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn delete_metadata_doc(&self, kind: &str, name: &str) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM metadata_docs WHERE kind = $1 AND name = $2")
            .bind(kind)
            .bind(name);
        Ok(write_one(&self.pool, query).await? > 0)
    }
}
