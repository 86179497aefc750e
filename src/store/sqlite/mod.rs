//! The SQLite store: one file in the data dir, WAL mode, migrations embedded in the binary.
//! The resources' SQL is written once, in `store/sql/`, and compiled here over SQLite's
//! [`dialect`] (each of those files is a module of this store and of the PostgreSQL one).

#[path = "../sql/audit.rs"]
mod audit;
#[path = "../sql/boot.rs"]
mod boot;
#[path = "../sql/caps.rs"]
mod caps;
#[path = "../sql/components.rs"]
mod components;
mod dialect;
#[path = "../sql/endpoints.rs"]
mod endpoints;
#[path = "../sql/groups.rs"]
mod groups;
#[path = "../sql/hardware.rs"]
mod hardware;
#[path = "../sql/interfaces.rs"]
mod interfaces;
#[path = "../sql/locks.rs"]
mod locks;
#[path = "../sql/maps.rs"]
mod maps;
#[path = "../sql/metadata.rs"]
mod metadata;
#[path = "../sql/power.rs"]
mod power;
#[path = "../sql/scn.rs"]
mod scn;
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
        renumber_migrations(&pool).await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        Ok(SqliteStore { pool })
    }
}

/// The migrations SQLite's tree numbered 10 to 13 before both trees were numbered alike (they
/// are now 11 to 14, and 10 is a step PostgreSQL alone has).
const RENUMBERED: std::ops::RangeInclusive<i64> = 10..=13;

/// Moves the applied migrations of a database made before the renumbering to their new
/// numbers, in one transaction; a new or already moved database is left as it is. Without
/// this, the migrator would find a different migration under an applied number and refuse.
async fn renumber_migrations(pool: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let table = sqlx::query(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&mut *tx)
    .await?;
    if table.is_none() {
        return Ok(());
    }
    let old =
        sqlx::query("SELECT 1 FROM _sqlx_migrations WHERE version = $1 AND description = 'leases'")
            .bind(RENUMBERED.start())
            .fetch_optional(&mut *tx)
            .await?;
    if old.is_none() {
        return Ok(());
    }
    // From the top, so no number is taken twice on the way.
    for version in RENUMBERED.rev() {
        sqlx::query("UPDATE _sqlx_migrations SET version = $1 WHERE version = $2")
            .bind(version + 1)
            .bind(version)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!("renumbered the database's applied migrations 10-13 to 11-14");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (version, description) of every applied migration, in order.
    async fn applied(pool: &SqlitePool) -> Vec<(i64, String)> {
        sqlx::query_as("SELECT version, description FROM _sqlx_migrations ORDER BY version")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_database_with_the_old_migration_numbers_opens_and_is_renumbered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let new = applied(&store.pool).await;
        assert_eq!(new.len(), 20, "{new:?}");
        assert!(new.iter().enumerate().all(|(i, (v, _))| *v == i as i64 + 1));
        assert_eq!(new[9].1, "events");
        assert_eq!(new[10].1, "leases");
        // Back to the layout an older chami left: no 10 (events), leases .. power steps at
        // 10 .. 13.
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 10")
            .execute(&store.pool)
            .await
            .unwrap();
        for version in 11..=14 {
            sqlx::query("UPDATE _sqlx_migrations SET version = $1 WHERE version = $2")
                .bind(version - 1)
                .bind(version)
                .execute(&store.pool)
                .await
                .unwrap();
        }
        store.pool.close().await;

        let store = SqliteStore::open(&path)
            .await
            .expect("reopen the old layout");
        assert_eq!(applied(&store.pool).await, new);
        // Opening again changes nothing.
        store.pool.close().await;
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(applied(&store.pool).await, new);
    }
}
