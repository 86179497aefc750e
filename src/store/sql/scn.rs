//! SCN subscriptions (`Subscriptions/SCN`).
//!
//! Written once for both stores: this file is a module of `store/sqlite` and of
//! `store/postgres`, and `super::dialect` is that backend's.

use async_trait::async_trait;

use super::dialect::{begin_write, write_one};
use super::SqlStore;
use crate::model::scn::{Subscription, SubscriptionSpec};
use crate::store::rows::scn::{subscription_from, taken, COLUMNS};
use crate::store::rows::{json, Fields};
use crate::store::{ScnStore, StoreError};

#[async_trait]
impl ScnStore for SqlStore {
    async fn scn_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM scn_subscriptions ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(subscription_from).collect()
    }

    async fn scn_subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM scn_subscriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(subscription_from).transpose()
    }

    async fn put_scn_subscription(&self, spec: &SubscriptionSpec) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO scn_subscriptions (subscriber, url, doc) VALUES ($1, $2, $3) \
             ON CONFLICT (subscriber, url) DO UPDATE SET doc = excluded.doc RETURNING id",
        )
        .bind(&spec.subscriber)
        .bind(&spec.url)
        .bind(json(spec)?)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.int(0)?)
    }

    async fn replace_scn_subscription(
        &self,
        id: i64,
        spec: &SubscriptionSpec,
    ) -> Result<bool, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let other = sqlx::query(
            "SELECT id FROM scn_subscriptions WHERE subscriber = $1 AND url = $2 AND id <> $3",
        )
        .bind(&spec.subscriber)
        .bind(&spec.url)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = other {
            return Err(taken(spec, row.int(0)?));
        }
        let done = sqlx::query(
            "UPDATE scn_subscriptions SET subscriber = $1, url = $2, doc = $3 WHERE id = $4",
        )
        .bind(&spec.subscriber)
        .bind(&spec.url)
        .bind(json(spec)?)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_scn_subscription(&self, id: i64) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM scn_subscriptions WHERE id = $1").bind(id);
        Ok(write_one(&self.pool, query).await? > 0)
    }

    async fn delete_scn_subscriptions(&self) -> Result<u64, StoreError> {
        write_one(&self.pool, sqlx::query("DELETE FROM scn_subscriptions")).await
    }
}
