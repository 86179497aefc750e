//! What replicas share in PostgreSQL beside the resources: the event log (woken by
//! LISTEN/NOTIFY) and shared secrets.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgListener;
use sqlx::Row;
use tokio::sync::mpsc;

use super::dialect::begin_write;
use super::PgStore;
use crate::store::{LoggedEvent, SharedState, StoreError};

/// The NOTIFY channel appends wake.
const CHANNEL: &str = "chami_events";

#[async_trait]
impl SharedState for PgStore {
    async fn append_events(&self, origin: &str, bodies: &[String]) -> Result<(), StoreError> {
        if bodies.is_empty() {
            return Ok(());
        }
        // Under the write lock, ids commit in order: a reader past id N has seen all before it.
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO events (origin, body) \
             SELECT $1, b FROM unnest($2::text[]) WITH ORDINALITY AS t (b, n) ORDER BY n",
        )
        .bind(origin)
        .bind(bodies)
        .execute(&mut *tx)
        .await?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn last_event(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    async fn events_after(
        &self,
        after: i64,
        limit: i64,
        mine: &str,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, CASE WHEN origin = $3 THEN NULL ELSE body END AS body \
             FROM events WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .bind(mine)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LoggedEvent {
                    id: r.try_get("id")?,
                    body: r.try_get("body")?,
                })
            })
            .collect()
    }

    async fn prune_events(&self, keep: Duration) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM events WHERE at < now() - make_interval(secs => $1)")
            .bind(keep.as_secs_f64())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn event_wakeups(&self) -> Result<mpsc::Receiver<()>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(async move {
            loop {
                // Ok(None): the connection was lost and is being re-established; wake-ups may
                // have been missed meanwhile, so wake anyway. Err: reconnecting failed; retry.
                let got = tokio::select! {
                    _ = tx.closed() => return,
                    got = listener.try_recv() => got,
                };
                if let Err(e) = got {
                    tracing::warn!(error = %e, "event listener lost the database; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                let _ = tx.try_send(());
            }
        });
        Ok(rx)
    }

    async fn shared_secret(&self, name: &str, mine: &str) -> Result<String, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO shared_secrets (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(mine)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT value FROM shared_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.try_get(0)?)
    }
}
