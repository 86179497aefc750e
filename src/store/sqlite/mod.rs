//! The SQLite store: one file in the data dir, WAL mode, migrations embedded in the binary.
//! The resources' SQL is written once, in `store/sql/`, and compiled here over SQLite's
//! [`dialect`] (each of those files is a module of this store and of the PostgreSQL one).

#[path = "../sql/audit.rs"]
mod audit;
#[path = "../sql/boot.rs"]
mod boot;
#[path = "../sql/components.rs"]
mod components;
mod dialect;
#[path = "../sql/endpoints.rs"]
mod endpoints;
#[path = "../sql/groups.rs"]
mod groups;
#[path = "../sql/interfaces.rs"]
mod interfaces;
#[path = "../sql/locks.rs"]
mod locks;
#[path = "../sql/power.rs"]
mod power;
#[path = "../sql/tenants.rs"]
mod tenants;

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::StoreError;

/// SQLite-backed [`super::Store`].
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// The store the shared SQL in `store/sql/` is implemented for.
type SqlStore = SqliteStore;

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and runs migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        // Owner-only, also for a file an older version left 0644; SQLite gives its -wal and
        // -shm files the mode of the database file.
        if path != Path::new(":memory:") {
            let failed = |p: &Path, e: std::io::Error| {
                let why = format!("cannot make {} owner-only: {e}", p.display());
                StoreError::Database(sqlx::Error::Io(std::io::Error::new(e.kind(), why)))
            };
            crate::fsutil::private_file(path).map_err(|e| failed(path, e))?;
            for suffix in ["-wal", "-shm"] {
                let mut side = path.as_os_str().to_owned();
                side.push(suffix);
                let side = Path::new(&side);
                crate::fsutil::make_private(side).map_err(|e| failed(side, e))?;
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        Ok(SqliteStore { pool })
    }
}
