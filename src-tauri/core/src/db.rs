//! The SQLite database of a data directory: opening it durably, and the two pools over it.
//!
//! Writes go through a pool of one connection and start with `BEGIN IMMEDIATE`, so writers queue
//! in this process instead of fighting over SQLite's lock; other processes sharing the file (the
//! desktop app and a CLI) wait on the busy timeout. `synchronous=FULL` makes every answered write
//! survive a crash or power loss. Reads use a separate pool and never block on writers (WAL).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

pub const DATABASE_FILE: &str = "scimdesk.db";

#[derive(Clone, Debug)]
pub struct Db {
    read: SqlitePool,
    write: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    pub async fn open(dir: &Path) -> Result<Db, sqlx::Error> {
        let path = dir.join(DATABASE_FILE);
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Db { read, write })
    }

    pub fn reader(&self) -> &SqlitePool {
        &self.read
    }

    /// A write transaction that holds SQLite's write lock from its first statement.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.write.begin_with("BEGIN IMMEDIATE").await
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// True when a database error is a UNIQUE constraint failing.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_durably_in_wal_with_full_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        for pool in [&db.read, &db.write] {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(sync, 2, "synchronous=FULL");
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(fk, 1);
        }
        // A write transaction holds the write lock from its start (BEGIN IMMEDIATE): a second
        // writer on another connection is refused at once rather than later mid-transaction.
        let _tx = db.begin_write().await.unwrap();
        let other = SqliteConnectOptions::new()
            .filename(dir.path().join(DATABASE_FILE))
            .busy_timeout(Duration::from_millis(0));
        let mut conn = sqlx::ConnectOptions::connect(&other).await.unwrap();
        let err = sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("locked"), "{err}");
    }
}
