//! The SQLite store: one file in the data dir, WAL mode, migrations embedded in the binary.
//! One module per resource, each implementing that resource's store trait. Write transactions
//! begin IMMEDIATE: they take the write lock first (waiting up to the busy timeout), so one that
//! reads before it writes is never refused because another writer committed in between.

mod audit;
mod boot;
mod components;
mod endpoints;
mod groups;
mod interfaces;
mod locks;
mod power;
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

/// JSON array of strings, bound as one parameter and read with `json_each` so any count fits.
fn id_array<T: AsRef<str>>(ids: &[T]) -> String {
    serde_json::to_string(&ids.iter().map(AsRef::as_ref).collect::<Vec<&str>>())
        .unwrap_or_else(|_| "[]".to_string())
}
