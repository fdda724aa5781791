//! The SQLite database of a data directory: opening it durably, and the connections over it.
//!
//! Writes go through one connection and start with `BEGIN IMMEDIATE`, so writers queue in this
//! process instead of fighting over SQLite's lock; other processes sharing the file (the desktop
//! app and a CLI) wait on the busy timeout. Concurrent writes share one COMMIT (group commit, see
//! [`WriteTx`]) and each is answered only once that COMMIT returned; `synchronous=FULL` makes
//! every answered write survive a crash or power loss. Reads never block on writers (WAL): a
//! sqlx pool for the admin's views, and direct connections ([`Db::read`]) for the reads on a
//! request's path. Every connection's page cache is bounded ([`CACHE_KIB`]).

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

pub const DATABASE_FILE: &str = "scimdesk.db";

/// Pages of SQLite's cache per connection (a negative value is KiB): the five connections
/// together stay within a few tens of MiB however large the directory grows.
const CACHE_KIB: i64 = 4 * 1024;

#[derive(Clone)]
pub struct Db {
    read: SqlitePool,
    writer: Arc<Writer>,
    direct: Arc<DirectReaders>,
}

/// Read-only connections used on the calling thread (see [`Db::read`]).
struct DirectReaders {
    conns: Vec<std::sync::Mutex<rusqlite::Connection>>,
    next: std::sync::atomic::AtomicUsize,
}

/// Direct readers: one per thread that may read at once is enough, since a read never waits.
const DIRECT_READERS: usize = 4;

fn direct_error(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("a read failed: {e}"))
}

/// Change counters of the database (see [`Db::generations`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generations {
    pub config: i64,
    pub directory: i64,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The one write connection, and the group commit over it.
///
/// Writes run one at a time, each in its own SAVEPOINT inside a shared `BEGIN IMMEDIATE`
/// transaction. A write that is done releases its savepoint and waits; a commit task queued
/// behind the writers already waiting then COMMITs them all with one fsync and answers each.
/// So a write is answered only after the COMMIT that made it durable returned, and a write that
/// fails (a 409, say) is rolled back to its savepoint without spoiling the others.
struct Writer {
    state: Arc<Mutex<WriterState>>,
    commit_scheduled: AtomicBool,
    /// COMMITs issued, for tests that check writes are grouped.
    commits: AtomicU64,
}

type CommitResult = Result<(), Arc<str>>;

struct WriterState {
    /// `None` once closed.
    conn: Option<SqliteConnection>,
    /// A transaction is open (BEGIN IMMEDIATE issued, COMMIT not yet).
    open: bool,
    /// A write's savepoint is still open: it was dropped before it committed.
    dirty: bool,
    /// The writes released into the open transaction, waiting for its COMMIT.
    waiters: Vec<oneshot::Sender<CommitResult>>,
}

const SAVEPOINT: &str = "SAVEPOINT scimdesk_write";
const RELEASE: &str = "RELEASE scimdesk_write";
const ROLLBACK_TO: &str = "ROLLBACK TO scimdesk_write; RELEASE scimdesk_write";

/// Runs fixed SQL on the write connection. (A named function: written inline in the spawned
/// tasks, the borrow's lifetime defeats the compiler's `Send` check of the future.)
fn exec<'c>(
    conn: &'c mut SqliteConnection,
    sql: &'static str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>> {
    Box::pin(async move {
        sqlx::Executor::execute(conn, sqlx::raw_sql(sql)).await?;
        Ok(())
    })
}

impl WriterState {
    fn conn(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// Undoes what a dropped write left in its savepoint. If SQLite already rolled the whole
    /// transaction back (an I/O error does that), the writes waiting in it are lost: they fail.
    async fn clean(&mut self) -> Result<(), sqlx::Error> {
        if !self.dirty {
            return Ok(());
        }
        self.dirty = false;
        let conn = self.conn()?;
        if let Err(e) = exec(&mut *conn, ROLLBACK_TO).await {
            let _ = exec(&mut *conn, "ROLLBACK").await;
            self.open = false;
            self.answer(Err(Arc::from(e.to_string())));
            return Err(e);
        }
        Ok(())
    }

    fn answer(&mut self, result: CommitResult) {
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(result.clone());
        }
    }

    /// Commits the open transaction, if any, and answers the writes waiting for it.
    async fn commit(&mut self) {
        if let Err(e) = self.clean().await {
            tracing::error!(error = %e, "a write could not be rolled back");
        }
        if !self.open {
            self.answer(Ok(()));
            return;
        }
        let result = match self.conn() {
            Ok(conn) => match exec(&mut *conn, "COMMIT").await {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = exec(&mut *conn, "ROLLBACK").await;
                    tracing::error!(error = %e, "a group of writes could not be committed");
                    Err(Arc::from(e.to_string()))
                }
            },
            Err(e) => Err(Arc::from(e.to_string())),
        };
        self.open = false;
        self.answer(result);
    }
}

impl Writer {
    /// Makes sure a commit task will run after the writes queued now.
    fn kick(self: &Arc<Self>) {
        if self.commit_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.commit_scheduled.store(false, Ordering::Release);
            return;
        };
        let writer = self.clone();
        runtime.spawn(async move {
            // The lock is fair: the writers already queued for it go first and join this batch.
            let mut state = writer.state.clone().lock_owned().await;
            writer.commit_scheduled.store(false, Ordering::Release);
            if state.open {
                writer.commits.fetch_add(1, Ordering::Relaxed);
            }
            state.commit().await;
        });
    }

    async fn begin(self: Arc<Self>) -> Result<WriteTx, sqlx::Error> {
        let mut guard = self.state.clone().lock_owned().await;
        let state = &mut *guard;
        let result = async {
            state.clean().await?;
            if !state.open {
                exec(state.conn()?, "BEGIN IMMEDIATE").await?;
                state.open = true;
            }
            exec(state.conn()?, SAVEPOINT).await?;
            state.dirty = true;
            Ok::<_, sqlx::Error>(())
        }
        .await;
        match result {
            Ok(()) => Ok(WriteTx {
                guard: Some(guard),
                writer: self,
            }),
            Err(e) => {
                let open = guard.open;
                drop(guard);
                if open {
                    self.kick();
                }
                Err(e)
            }
        }
    }
}

/// One write: a savepoint in the current group of writes, holding the write connection.
/// `commit` returns once the group's COMMIT returned; dropping it rolls the write back.
pub struct WriteTx {
    guard: Option<OwnedMutexGuard<WriterState>>,
    writer: Arc<Writer>,
}

impl WriteTx {
    /// Releases the write into its group and waits until the group is durable.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let Some(guard) = self.guard.take() else {
            return Err(sqlx::Error::PoolClosed);
        };
        let writer = self.writer.clone();
        // In a task of its own, so that a request abandoned here cannot leave the savepoint
        // released but never answered.
        let queued = tokio::spawn(async move {
            let mut guard = guard;
            let released = match guard.conn() {
                Ok(conn) => exec(&mut *conn, RELEASE).await,
                Err(e) => Err(e),
            };
            let receiver = released.map(|()| {
                guard.dirty = false;
                let (sender, receiver) = oneshot::channel();
                guard.waiters.push(sender);
                receiver
            });
            drop(guard);
            writer.kick();
            receiver
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("the write task failed: {e}")))??;
        match queued.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(sqlx::Error::Protocol(format!(
                "the write was not committed: {message}"
            ))),
            Err(_) => Err(sqlx::Error::WorkerCrashed),
        }
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.guard
            .as_ref()
            .and_then(|g| g.conn.as_ref())
            .expect("a WriteTx holds the open write connection")
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.guard
            .as_mut()
            .and_then(|g| g.conn.as_mut())
            .expect("a WriteTx holds the open write connection")
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            // Still `dirty`: whoever takes the connection next rolls the savepoint back; the
            // commit task makes sure that happens even if no other write comes.
            drop(guard);
            self.writer.kick();
        }
    }
}

impl Db {
    pub async fn open(dir: &Path) -> Result<Db, sqlx::Error> {
        let path = dir.join(DATABASE_FILE);
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", format!("-{CACHE_KIB}"));
        let mut conn = options.connect().await?;
        MIGRATOR.run(&mut conn).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            // A ping before each query is one more trip to the connection's thread; a broken
            // connection shows up as an error of the query itself.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        let writer = Arc::new(Writer {
            state: Arc::new(Mutex::new(WriterState {
                conn: Some(conn),
                open: false,
                dirty: false,
                waiters: Vec::new(),
            })),
            commit_scheduled: AtomicBool::new(false),
            commits: AtomicU64::new(0),
        });
        let mut conns = Vec::new();
        for _ in 0..DIRECT_READERS {
            let conn = rusqlite::Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(direct_error)?;
            conn.busy_timeout(Duration::from_secs(10))
                .map_err(direct_error)?;
            conn.execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB}"))
                .map_err(direct_error)?;
            conn.set_prepared_statement_cache_capacity(64);
            conns.push(std::sync::Mutex::new(conn));
        }
        Ok(Db {
            read,
            writer,
            direct: Arc::new(DirectReaders {
                conns,
                next: Default::default(),
            }),
        })
    }

    pub fn reader(&self) -> &SqlitePool {
        &self.read
    }

    /// A write, holding SQLite's write lock from its first statement (`BEGIN IMMEDIATE`).
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let writer = self.writer.clone();
        // In a task of its own: BEGIN can wait on another process's lock, and an abandoned
        // request must not leave the connection inside a transaction nobody knows about.
        tokio::spawn(writer.begin())
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("the write task failed: {e}")))?
    }

    /// `(config, directory)`: counters that triggers bump, in any process, whenever the
    /// settings or connections (`config`), or employees and groups (`directory`) change.
    /// Caches compare them to know whether they still hold. A read of one row on a connection
    /// of its own, on the calling thread: a few microseconds, so every request can afford it.
    pub fn generations(&self) -> Result<Generations, sqlx::Error> {
        self.read(|c| {
            c.prepare_cached("SELECT config, directory FROM generation WHERE id = 1")?
                .query_row([], |r| {
                    Ok(Generations {
                        config: r.get(0)?,
                        directory: r.get(1)?,
                    })
                })
        })
    }

    /// Runs a read on the calling thread, on a read-only connection of its own. For the reads
    /// on a request's path (a lookup, a page): sqlx hands each query to the connection's thread
    /// and back, and on a small machine those two thread switches cost more than the read. A
    /// read in WAL mode never waits for writers, so it does not stall the caller's thread for
    /// longer than the read itself.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, sqlx::Error> {
        let conns = &self.direct.conns;
        let first = self.direct.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..conns.len() {
            if let Ok(conn) = conns[(first + i) % conns.len()].try_lock() {
                return read(&conn).map_err(direct_error);
            }
        }
        let conn = conns[first % conns.len()]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        read(&conn).map_err(direct_error)
    }

    pub async fn close(&self) {
        self.read.close().await;
        let mut state = self.writer.state.lock().await;
        state.commit().await;
        if let Some(conn) = state.conn.take() {
            let _ = conn.close().await;
        }
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
        let mut write = db.begin_write().await.unwrap();
        let mut read = db.read.acquire().await.unwrap();
        for conn in [&mut *write, &mut *read] {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(sync, 2, "synchronous=FULL");
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(fk, 1);
            let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(cache, -CACHE_KIB, "a bounded page cache");
        }
        drop(read);
        write.commit().await.unwrap();
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

    /// Sixteen concurrent writes, one of them a duplicate: the duplicate fails alone, every
    /// other write is committed (visible to a reader as soon as it is answered), and the writes
    /// shared COMMITs rather than one fsync each.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writes_commit_in_groups_and_a_failure_spoils_none() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO settings (key, value) VALUES ('taken', 'x')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let before = db.writer.commits.load(Ordering::Relaxed);

        let writes: Vec<_> = (0..16)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let key = if i == 7 {
                        "taken".to_owned()
                    } else {
                        format!("k{i}")
                    };
                    let mut tx = db.begin_write().await.unwrap();
                    sqlx::query("INSERT INTO settings (key, value) VALUES (?, 'v')")
                        .bind(&key)
                        .execute(&mut *tx)
                        .await?;
                    // A second statement, so a write spans several awaits as real ones do.
                    sqlx::query("UPDATE settings SET value = 'w' WHERE key = ?")
                        .bind(&key)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    let seen: Option<String> =
                        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                            .bind(&key)
                            .fetch_optional(db.reader())
                            .await?;
                    assert_eq!(seen.as_deref(), Some("w"), "{key} answered before durable");
                    Ok::<_, sqlx::Error>(())
                })
            })
            .collect();
        for (i, w) in writes.into_iter().enumerate() {
            match w.await.unwrap() {
                Ok(()) => assert_ne!(i, 7),
                Err(e) => {
                    assert_eq!(i, 7);
                    assert!(is_unique_violation(&e), "{e}");
                }
            }
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE value = 'w'")
            .fetch_one(db.reader())
            .await
            .unwrap();
        assert_eq!(rows, 15);
        let taken: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'taken'")
            .fetch_one(db.reader())
            .await
            .unwrap();
        assert_eq!(taken, "x", "the failed write was rolled back");
        let commits = db.writer.commits.load(Ordering::Relaxed) - before;
        assert!(commits < 15, "15 writes took {commits} commits");
    }

    /// The counters move with every committed change to what they cover, whoever commits it,
    /// and not with the rest (a connection's last contact).
    #[tokio::test]
    async fn generations_follow_commits_from_any_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let g0 = db.generations().unwrap();
        let mut other = SqliteConnectOptions::new()
            .filename(dir.path().join(DATABASE_FILE))
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(
            "INSERT INTO connections (id, name, token_sha256, created_at) VALUES ('c', 'n', x'00', 't')",
        )
        .execute(&mut other)
        .await
        .unwrap();
        let g1 = db.generations().unwrap();
        assert!(g1.config > g0.config && g1.directory == g0.directory);
        sqlx::raw_sql("UPDATE connections SET last_contact_at = 'now'")
            .execute(&mut other)
            .await
            .unwrap();
        assert_eq!(db.generations().unwrap(), g1);
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query(
            "INSERT INTO employees (id, user_name, status, doc, created_at, updated_at) \
             VALUES ('e', 'u', 'active', '{}', 't', 't')",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        assert_eq!(db.generations().unwrap(), g1, "not before the commit");
        tx.commit().await.unwrap();
        let g2 = db.generations().unwrap();
        assert!(g2.directory > g1.directory && g2.config == g1.config);
        sqlx::raw_sql("DELETE FROM connections")
            .execute(&mut other)
            .await
            .unwrap();
        assert!(db.generations().unwrap().config > g2.config);
    }

    /// A write abandoned halfway (its request gone) is rolled back, and the connection is not
    /// left inside a transaction: the next write and other processes proceed.
    #[tokio::test]
    async fn an_abandoned_write_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO settings (key, value) VALUES ('gone', 'x')")
            .execute(&mut *tx)
            .await
            .unwrap();
        drop(tx);
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO settings (key, value) VALUES ('kept', 'x')")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM settings ORDER BY key")
            .fetch_all(db.reader())
            .await
            .unwrap();
        assert_eq!(keys, ["kept"]);
        // Nothing holds the write lock once the writes are answered.
        let mut other = SqliteConnectOptions::new()
            .filename(dir.path().join(DATABASE_FILE))
            .busy_timeout(Duration::from_millis(2000))
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE; COMMIT")
            .execute(&mut other)
            .await
            .unwrap();
    }
}
