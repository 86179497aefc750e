//! Tenants: the resource as JSON, written with compare-and-set on its version.
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;
use sqlx::Row;

use super::dialect::{begin_write, write_one, BYTE_ORDER};
use super::SqlStore;
use crate::model::tenant::Tenant;
use crate::store::rows::tenants::{check_claims, check_tenant_version, tenant_from, tenant_json};
use crate::store::{StoreError, TenantStore};

#[async_trait]
impl TenantStore for SqlStore {
    async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT body FROM tenants ORDER BY name{BYTE_ORDER}"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(tenant_from).collect()
    }

    async fn tenant(&self, name_or_uuid: &str) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query("SELECT body FROM tenants WHERE name = $1 OR uuid = $1")
            .bind(name_or_uuid)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(tenant_from).transpose()
    }

    async fn put_tenant(
        &self,
        t: &Tenant,
        expected: Option<u64>,
        claims: bool,
    ) -> Result<(), StoreError> {
        let body = tenant_json(t)?;
        let mut tx = begin_write(&self.pool).await?;
        let have: Option<i64> = sqlx::query("SELECT version FROM tenants WHERE name = $1")
            .bind(&t.metadata.name)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        check_tenant_version(&t.metadata.name, have, expected)?;
        if claims {
            let others = sqlx::query("SELECT body FROM tenants WHERE name <> $1")
                .bind(&t.metadata.name)
                .fetch_all(&mut *tx)
                .await?;
            check_claims(t, &others)?;
        }
        sqlx::query(
            "INSERT INTO tenants (name, uuid, version, body) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET version = excluded.version, body = excluded.body",
        )
        .bind(&t.metadata.name)
        .bind(&t.status.uuid)
        .bind(t.version() as i64)
        .bind(body)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_tenant(&self, name: &str) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM tenants WHERE name = $1").bind(name);
        Ok(write_one(&self.pool, query).await? > 0)
    }
}
