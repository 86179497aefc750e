//! The PostgreSQL store, for sites that run several `chami serve` replicas on one database.
//! The resources' SQL is written once, in `store/sql/`, and compiled here over PostgreSQL's
//! [`dialect`], whose write transactions first take one transaction-scoped advisory lock so
//! writers run one at a time as they do in SQLite.
//! Migrations run at start under sqlx's own advisory lock, so replicas starting together do not
//! race.

#[path = "../sql/audit.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod audit;
#[path = "../sql/boot.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod boot;
#[path = "../sql/caps.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod caps;
#[path = "../sql/components.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod components;
mod dialect;
#[path = "../sql/endpoints.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod endpoints;
#[path = "../sql/groups.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod groups;
#[path = "../sql/hardware.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod hardware;
#[path = "../sql/interfaces.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod interfaces;
#[path = "../sql/locks.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod locks;
#[path = "../sql/maps.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod maps;
#[path = "../sql/metadata.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod metadata;
#[path = "../sql/power.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod power;
#[path = "../sql/scn.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod scn;
mod shared;
#[path = "../sql/tenants.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "shared SQL, compiled once per dialect"
)]
mod tenants;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use super::StoreError;

/// How long the first connection may take before the database counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// PostgreSQL-backed [`super::Store`].
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

/// The store the shared SQL in `store/sql/` is implemented for.
type SqlStore = PgStore;

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
