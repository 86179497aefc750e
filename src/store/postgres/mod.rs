//! The PostgreSQL store, for sites that run several `chami serve` replicas on one database.
//! One module per resource, as in the SQLite store. Every write transaction first takes one
//! transaction-scoped advisory lock ([`begin_write`]), so writers run one at a time as they do
//! in SQLite: a transaction that reads before it writes sees no other writer's commit in between.
//! Migrations run at start under sqlx's own advisory lock, so replicas starting together do not
//! race.

mod audit;
mod boot;
mod components;
mod endpoints;
mod groups;
mod interfaces;
mod locks;
mod power;
mod shared;
mod tenants;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool, Postgres, Transaction};

use super::StoreError;

/// Key of the advisory lock every write transaction holds ("chami" in ASCII).
const WRITE_LOCK: i64 = 0x63_68_61_6d_69;

/// How long the first connection may take before the database counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// PostgreSQL-backed [`super::Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:pass@host/db`) and runs migrations.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        // One direct connection first, so an unreachable or refusing server is reported at
        // once with its own reason (the pool would retry it until its acquire timeout).
        let first = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
            .await
            .map_err(|_| {
                StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                )))
            })??;
        first.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        Ok(PgStore { pool })
    }

    /// The connection pool, for listeners beside the store.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Begins a write transaction holding the store's write lock until it commits or rolls back.
async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Runs one writing statement under the write lock; returns how many rows it touched.
async fn write_one(
    pool: &PgPool,
    query: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
) -> Result<u64, StoreError> {
    let mut tx = begin_write(pool).await?;
    let done = query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Strings as one `text[]` parameter (`= ANY($1)`, `unnest($1)`), so any count fits.
fn texts<T: AsRef<str>>(ids: &[T]) -> Vec<String> {
    ids.iter().map(|s| s.as_ref().to_string()).collect()
}
