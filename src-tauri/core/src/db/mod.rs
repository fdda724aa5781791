//! The SQLite database of a data directory: opening it durably, and the connections over it.
//!
//! Writes go through one connection, on a thread of its own, in transactions that start with
//! `BEGIN IMMEDIATE`, so writers queue in this process instead of fighting over SQLite's lock;
//! other processes sharing the file (the desktop app and a CLI) wait on the busy timeout.
//! Concurrent writes share one COMMIT (group commit, see [`Db::write`]) and each is answered
//! only once that COMMIT returned; `synchronous=FULL` makes
//! every answered write survive a crash or power loss. Reads never block on writers (WAL): they
//! run on read-only connections this module owns ([`Db::read`] on the calling thread for the
//! reads on a request's path, [`Db::read_async`] on the blocking pool for the admin's views).
//! Every connection's page cache is bounded ([`CACHE_KIB`]).
//!
//! ## Two drivers, one error
//!
//! sqlx opens and migrates the database, and does nothing else. The writer thread and every read
//! use rusqlite on connections this module owns, because it measured faster there: a durable
//! SCIM create took 500–650 µs of server time through sqlx's worker thread and 140–170 µs
//! through rusqlite on the writer's own thread (its statements cached, no hop between
//! threads). Both drivers stay inside the storage modules (`db`,
//! `settings`, `connections`, `directory`); what either reports becomes one [`StoreError`],
//! which keeps SQLite's meaning (a taken unique value, busy, a full disk, work stopped at its
//! deadline, I/O) for the edges to act on.
//!
//! ## A second engine
//!
//! Nothing outside the storage modules names a driver: `server`, `scim`, `views` and the CLI
//! call the directory's operations (`Directory`'s methods: create, replace, patch, delete, get
//! and list users and groups, the employee pages and the activity log), whose arguments and
//! results are SCIM values, the directory's own types and [`StoreError`] inside
//! `DirectoryError`. A PostgreSQL engine (through sqlx) is another implementation of those
//! operations behind the same methods, with its own migrations and its own SQL from the
//! schema-driven filter translator, and changes neither `scim/` nor `server/`.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{oneshot, watch, Mutex};

mod error;
pub mod sql;
#[cfg(test)]
pub(crate) mod testpg;

pub use error::StoreError;

pub const DATABASE_FILE: &str = "scimdesk.db";

/// Pages of SQLite's cache per connection (a negative value is KiB): the five connections
/// together stay within a few tens of MiB however large the directory grows.
const CACHE_KIB: i64 = 4 * 1024;

#[derive(Clone)]
pub struct Db {
    writer: Arc<Writer>,
    direct: Arc<DirectReaders>,
}

/// Read-only connections used on the calling thread (see [`Db::read`]), each taken from here
/// by the read (or request) that uses it and put back after.
struct DirectReaders {
    source: Source,
    idle: std::sync::Mutex<Vec<sql::Connection>>,
}

/// Where the database is: a SQLite file of the data directory, or a PostgreSQL server.
#[derive(Clone)]
enum Source {
    Sqlite(std::path::PathBuf),
    Postgres(Box<postgres::Config>),
}

/// Direct readers kept open: one per thread that may read at once is enough, since a read never
/// waits; more are opened when more are in use, and closed when put back.
const DIRECT_READERS: usize = 4;

impl DirectReaders {
    fn open(&self) -> sql::Result<sql::Connection> {
        let path = match &self.source {
            Source::Postgres(config) => return postgres_connect(config),
            Source::Sqlite(path) => path,
        };
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB}"))?;
        conn.set_prepared_statement_cache_capacity(64);
        crate::deadline::interrupt_when_passed(&conn);
        Ok(sql::Connection::sqlite(conn))
    }

    fn take(&self) -> sql::Result<sql::Connection> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => self.open(),
        }
    }

    fn put_back(&self, conn: sql::Connection) {
        if conn.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < DIRECT_READERS {
            idle.push(conn);
        }
    }
}

tokio::task_local! {
    /// The read transaction of the request being served, if it runs in one (see
    /// [`Db::snapshot`]).
    static SNAPSHOT: std::cell::RefCell<Snapshot>;
}

/// A direct reader held for one request, and whether its read transaction has begun.
struct Snapshot {
    conn: Option<sql::Connection>,
    begun: bool,
    readers: Arc<DirectReaders>,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Ends the read transaction (a read-only one: nothing to commit).
            let ended = || conn.prepare_cached("COMMIT")?.execute(());
            if !self.begun || ended().is_ok() {
                self.readers.put_back(conn);
            }
        }
    }
}

/// A failure of a direct connection, noted when it found the disk full.
pub(crate) fn direct_error(e: sql::Error) -> StoreError {
    if is_disk_full(&e) {
        note_disk_full();
    }
    StoreError::from(e)
}

/// The database says the disk is full: SQLITE_FULL, which SQLite's file layer also answers when
/// a write fails with ENOSPC; PostgreSQL's `disk_full` (53100).
pub fn is_disk_full(e: &sql::Error) -> bool {
    match e {
        sql::Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
            f.code == rusqlite::ErrorCode::DiskFull
        }
        e => e.postgres_code() == Some("53100"),
    }
}

/// Follows `NOTIFY scimdesk_changes` until nobody watches `tell`; a lost connection is opened
/// again after a pause, and counted as a change (what happened meanwhile is unknown).
fn listen_for_changes(config: &postgres::Config, tell: &watch::Sender<u64>) {
    let mut pause = Duration::from_millis(200);
    while !tell.is_closed() {
        let listened = config.connect(postgres::NoTls).and_then(|mut client| {
            client.batch_execute("LISTEN scimdesk_changes")?;
            tell.send_modify(|n| *n += 1);
            loop {
                use fallible_iterator::FallibleIterator;
                let next = {
                    let mut notifications = client.notifications();
                    let mut waiting = notifications.timeout_iter(Duration::from_secs(5));
                    waiting.next()
                };
                match next {
                    Ok(Some(_)) => tell.send_modify(|n| *n += 1),
                    Ok(None) if tell.is_closed() => return Ok(()),
                    Ok(None) => {}
                    Err(e) => return Err(e),
                }
            }
        });
        if let Err(e) = listened {
            tracing::warn!(error = %sql::Error::postgres_text(&e), "lost PostgreSQL's change notifications; listening again");
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    }
}

/// A connection to PostgreSQL, as the storage modules use it. Statements that outlive this bound
/// are cancelled by the server (each request also has its own deadline, see [`crate::deadline`]).
fn postgres_connect(config: &postgres::Config) -> sql::Result<sql::Connection> {
    let client = config.connect(postgres::NoTls)?;
    let conn = sql::Connection::postgres(client);
    // A request gives up after 30 s (`server::REQUEST_TIMEOUT`); the server stops a statement
    // still running then (a pathological filter, say), which answers as work stopped at its
    // deadline, as SQLite's interrupt does.
    conn.execute_batch(&format!(
        "SET statement_timeout = {}",
        PG_STATEMENT_TIMEOUT.as_millis()
    ))?;
    Ok(conn)
}

/// How long PostgreSQL lets one statement run (see [`postgres_connect`]).
const PG_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

thread_local! {
    /// On a writer thread, its database's [`Storage`]: a write that runs out of disk says so
    /// there, before it is answered, whatever error type it turns the failure into.
    static WRITER_STORAGE: std::cell::RefCell<Option<Arc<Storage>>> =
        const { std::cell::RefCell::new(None) };
}

/// A statement or a COMMIT found the disk full: on a writer thread, its database notes it.
fn note_disk_full() {
    WRITER_STORAGE.with(|storage| {
        if let Some(storage) = storage.borrow().as_ref() {
            storage.note_full();
        }
    });
}

/// Whether writes found the disk full, and since when: set when a write fails for want of disk
/// space (before it is answered), cleared when a write of the directory — Okta's — succeeds
/// again ([`Db::note_written`]; a small bookkeeping write, such as the activity line of the
/// refusal, can fit where Okta's did not). Watched by `Desk`, which tells the app (a banner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskFull {
    /// When the first write failed for want of space.
    pub since: String,
}

/// The writer's record of [`DiskFull`], watched by whoever shows it.
struct Storage {
    disk_full: watch::Sender<Option<DiskFull>>,
}

impl Storage {
    fn note_full(&self) {
        self.disk_full.send_if_modified(|state| match state {
            Some(_) => false,
            None => {
                tracing::error!(
                    "the disk holding the data directory is full: writes fail until space is freed"
                );
                *state = Some(DiskFull {
                    since: crate::timefmt::now(),
                });
                true
            }
        });
    }

    fn note_written(&self) {
        self.disk_full.send_if_modified(|state| {
            let was_full = state.take().is_some();
            if was_full {
                tracing::info!("writes succeed again: the disk has space");
            }
            was_full
        });
    }
}

/// Change counters of the database (see [`Db::generations`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generations {
    pub config: i64,
    pub directory: i64,
    /// The attribute mappings and custom fields (migration 0014).
    pub mapping: i64,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// PostgreSQL's migrations: the same schema in PostgreSQL's SQL (see `migrations-pg`). sqlx
/// holds an advisory lock while it applies them, so servers starting at once migrate once.
static MIGRATOR_PG: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-pg");

/// Where the database's schema stands against the migrations this binary carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    /// Exactly this binary's migrations, all applied.
    Current,
    /// Some of this binary's migrations are missing or failed.
    Behind,
    /// A newer SCIM Desk migrated it further than this binary knows.
    Ahead,
}

/// The one write connection, on a thread of its own, and the group commit over it.
///
/// A write is a closure ([`Db::write`]) sent to the writer thread, which runs it in a
/// `BEGIN IMMEDIATE` transaction, then runs the writes queued meanwhile each in a SAVEPOINT of
/// that transaction, and COMMITs them all with one fsync before answering each. So a write is answered only
/// after the COMMIT that made it durable returned, a write that fails (a 409, say) is rolled
/// back to its savepoint without spoiling the others, and the statements of a write run one
/// after the other on one thread, without a trip between threads for each.
struct Writer {
    jobs: std::sync::Mutex<Option<std::sync::mpsc::Sender<Box<dyn Job>>>>,
    /// Resolves when the writer thread has finished (see [`Db::close`]).
    done: Mutex<Option<oneshot::Receiver<()>>>,
    /// COMMITs issued, for tests that check writes are grouped.
    #[cfg_attr(not(test), allow(dead_code))]
    commits: Arc<AtomicU64>,
    storage: Arc<Storage>,
}

/// Why a write, or a group of writes, was not committed.
#[derive(Debug, Clone)]
struct Failure(StoreError);

impl From<&sql::Error> for Failure {
    fn from(e: &sql::Error) -> Self {
        if is_disk_full(e) {
            note_disk_full();
        }
        Failure(StoreError::from(e))
    }
}

/// What a COMMIT came to, for the writes waiting on it.
type Committed = Result<(), Failure>;
/// Answers a write once its group's COMMIT returned.
type Finish = Box<dyn FnOnce(Committed) + Send>;

/// Writes grouped into one transaction at most: a bound on how long the first one waits.
const MAX_GROUP: usize = 256;

const SAVEPOINT: &str = "SAVEPOINT scimdesk_write";
const RELEASE: &str = "RELEASE scimdesk_write";
const ROLLBACK_TO: &str = "ROLLBACK TO scimdesk_write; RELEASE scimdesk_write";

/// One write waiting for the writer thread.
trait Job: Send {
    /// Runs the write, in a savepoint of its own if `savepoint`. `Ok(Some)`: done, waiting for
    /// the COMMIT; `Ok(None)`: failed (already answered) and, in a savepoint, rolled back alone;
    /// `Err`: the transaction itself is broken (already answered), and the writes before it in
    /// the group must fail too. Without a savepoint, a failed write leaves the transaction for
    /// the caller to roll back.
    fn run(
        self: Box<Self>,
        conn: &sql::Connection,
        savepoint: bool,
    ) -> Result<Option<Finish>, Failure>;
    /// Answers the write without running it.
    fn refuse(self: Box<Self>, why: Failure);
}

struct WriteJob<F, T, E> {
    write: F,
    answer: oneshot::Sender<Result<T, E>>,
    /// The deadline of the request the write is for: a write whose request has given up, or
    /// whose time is out, is not started, and one still running then is interrupted.
    deadline: Option<std::time::Instant>,
}

fn not_committed(failure: &Failure) -> StoreError {
    failure.0.clone()
}

impl<F, T, E> Job for WriteJob<F, T, E>
where
    F: FnOnce(&sql::Connection) -> Result<T, E> + Send,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    fn run(
        self: Box<Self>,
        conn: &sql::Connection,
        savepoint: bool,
    ) -> Result<Option<Finish>, Failure> {
        let WriteJob {
            write,
            answer,
            deadline,
        } = *self;
        if answer.is_closed() || deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            let _ = answer.send(Err(E::from(StoreError::Interrupted)));
            return Ok(None);
        }
        let broken = |answer: oneshot::Sender<Result<T, E>>, e: sql::Error| {
            let why = Failure::from(&e);
            let _ = answer.send(Err(E::from(not_committed(&why))));
            Err(why)
        };
        if savepoint {
            if let Err(e) = conn.execute_batch(SAVEPOINT) {
                return broken(answer, e);
            }
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            crate::deadline::enter(deadline, || write(conn))
        }));
        let failed = match outcome {
            Ok(Ok(value)) => {
                let released = match savepoint {
                    true => conn.execute_batch(RELEASE),
                    false => Ok(()),
                };
                return match released {
                    Ok(()) => Ok(Some(Box::new(move |committed: Committed| {
                        let _ = answer.send(match committed {
                            Ok(()) => Ok(value),
                            Err(why) => Err(E::from(not_committed(&why))),
                        });
                    }))),
                    Err(e) => broken(answer, e),
                };
            }
            Ok(Err(e)) => e,
            Err(_) => {
                tracing::error!("a write panicked; it was rolled back");
                E::from(StoreError::Other("the write failed unexpectedly".into()))
            }
        };
        if savepoint {
            if let Err(e) = conn.execute_batch(ROLLBACK_TO) {
                return broken(answer, e);
            }
        }
        let _ = answer.send(Err(failed));
        Ok(None)
    }

    fn refuse(self: Box<Self>, why: Failure) {
        let _ = self.answer.send(Err(E::from(not_committed(&why))));
    }
}

/// The most a write-ahead log keeps of its file once written back (a bulk import grows it to the
/// size of what it wrote).
const WAL_KEEP_BYTES: i64 = 64 << 20;

/// A write transaction on PostgreSQL: it first takes the database's one write lock (an advisory
/// lock held until COMMIT or ROLLBACK), so the writes of every server sharing the database run
/// one group after another, as SQLite's `BEGIN IMMEDIATE` makes the processes of a data
/// directory do. The storage modules' writes read and then write (a version check, a count, a
/// duplicate); serialised, they stay right across servers, and no two of them can deadlock on
/// the rows they both touch (the generation counters, a unique key).
const PG_BEGIN: &str = "BEGIN; SELECT pg_advisory_xact_lock(7342385713)";

/// The writer thread: runs the writes as they come, in groups sharing a COMMIT. When the writes
/// stop (see [`Db::close`]), it writes the log back into the database and empties it, unless
/// another process is reading it.
fn run_writer(
    conn: sql::Connection,
    jobs: std::sync::mpsc::Receiver<Box<dyn Job>>,
    commits: Arc<AtomicU64>,
    storage: Arc<Storage>,
) {
    WRITER_STORAGE.with(|mine| *mine.borrow_mut() = Some(storage.clone()));
    while let Ok(first) = jobs.recv() {
        // Waits up to the busy timeout for another process (a CLI) holding the write lock.
        if let Err(e) = conn.execute_batch(conn.pick("BEGIN IMMEDIATE", PG_BEGIN)) {
            tracing::error!(error = %e, "could not start a write");
            first.refuse(Failure::from(&e));
            continue;
        }
        // The group's first write runs without a savepoint of its own: if it fails, rolling the
        // whole transaction back undoes exactly it. (Inside a savepoint, SQLite copies every
        // page a write touches before changing it, to be able to undo it alone.)
        let mut waiting: Vec<Finish> = match first.run(&conn, false) {
            Ok(Some(finish)) => vec![finish],
            Ok(None) | Err(_) => {
                let _ = conn.execute_batch("ROLLBACK");
                continue;
            }
        };
        let mut broken = None;
        for _ in 1..MAX_GROUP {
            let Ok(job) = jobs.try_recv() else {
                break;
            };
            match job.run(&conn, true) {
                Ok(Some(finish)) => waiting.push(finish),
                Ok(None) => {}
                Err(why) => {
                    broken = Some(why);
                    break;
                }
            }
        }
        let committed = match broken {
            Some(why) => {
                let _ = conn.execute_batch("ROLLBACK");
                tracing::error!(error = %why.0, "a group of writes was rolled back");
                Err(why)
            }
            None => match conn.execute_batch("COMMIT") {
                Ok(()) => {
                    commits.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    tracing::error!(error = %e, "a group of writes could not be committed");
                    Err(Failure::from(&e))
                }
            },
        };
        for finish in waiting {
            finish(committed.clone());
        }
    }
    // Left to itself, the log keeps its size, and the last connection to close (a read-only
    // one, here) cannot write it back. A reader in another process (the app) makes this wait
    // a moment at most, and leaves the log for later.
    let Some(conn) = conn.as_sqlite() else {
        return;
    };
    let _ = conn.busy_timeout(Duration::from_millis(500));
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", (), |_| Ok(())) {
        tracing::debug!(error = %e, "the write-ahead log was left as it is");
    }
}

impl Db {
    pub async fn open(dir: &Path) -> Result<Db, StoreError> {
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
        conn.close().await?;
        let writer = Writer::start(Source::Sqlite(path.clone())).await?;
        let direct = Arc::new(DirectReaders {
            source: Source::Sqlite(path.clone()),
            idle: Default::default(),
        });
        let conns = (0..DIRECT_READERS)
            .map(|_| direct.open())
            .collect::<sql::Result<Vec<_>>>()
            .map_err(direct_error)?;
        *direct.idle.lock().unwrap_or_else(|p| p.into_inner()) = conns;
        Ok(Db { writer, direct })
    }

    /// Opens a PostgreSQL database shared by several servers (`postgres://…`): applies the
    /// migrations it lacks (under sqlx's advisory lock, so servers starting together migrate
    /// it once), then starts the writer. Its reads and writes run on threads of their own.
    pub async fn open_postgres(url: &str) -> Result<Db, StoreError> {
        let config = postgres::Config::from_str(url)
            .map_err(|e| StoreError::Other(format!("the database URL is not valid: {e}")))?;
        {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(url).await?;
            MIGRATOR_PG.run(&mut conn).await?;
            conn.close().await?;
        }
        let source = Source::Postgres(Box::new(config));
        let writer = Writer::start(source.clone()).await?;
        Ok(Db {
            writer,
            direct: Arc::new(DirectReaders {
                source,
                idle: Default::default(),
            }),
        })
    }

    /// The migrations this engine's schema is built by.
    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.dialect() {
            sql::Dialect::Sqlite => &MIGRATOR,
            sql::Dialect::Postgres => &MIGRATOR_PG,
        }
    }

    /// On PostgreSQL, a counter that moves whenever a commit anywhere (another server, a CLI)
    /// moved the generation counters (`LISTEN scimdesk_changes`): a change made elsewhere can be
    /// announced at once rather than at the next poll. `None` on SQLite, where processes poll.
    /// The listener runs on a thread of its own for the life of the process, reconnecting when
    /// the server goes away.
    pub fn changes_notified(&self) -> Option<watch::Receiver<u64>> {
        let Source::Postgres(config) = &self.direct.source else {
            return None;
        };
        let (tell, told) = watch::channel(0u64);
        let config = (**config).clone();
        let spawned = std::thread::Builder::new()
            .name("scimdesk-pg-listen".into())
            .spawn(move || listen_for_changes(&config, &tell));
        spawned.ok().map(|_| told)
    }

    /// Which SQL the database speaks.
    pub fn dialect(&self) -> sql::Dialect {
        match self.direct.source {
            Source::Sqlite(_) => sql::Dialect::Sqlite,
            Source::Postgres(_) => sql::Dialect::Postgres,
        }
    }

    /// Whether the last writes found the disk full (see [`DiskFull`]).
    pub fn disk_full(&self) -> Option<DiskFull> {
        self.writer.storage.disk_full.borrow().clone()
    }

    /// A write of the directory was committed: the disk has room (again), see [`DiskFull`].
    pub(crate) fn note_written(&self) {
        self.writer.storage.note_written();
    }

    /// Follows [`Db::disk_full`] as writes fail for want of space and succeed again.
    pub fn watch_disk_full(&self) -> watch::Receiver<Option<DiskFull>> {
        self.writer.storage.disk_full.subscribe()
    }

    /// Runs `write` on the writer thread, inside the transaction of its group of writes (see
    /// [`Writer`]), and answers once that transaction is durable. An `Err` from `write` rolls
    /// back what it did, and only that. The write runs to its end even if the caller stops
    /// waiting for it.
    pub async fn write<T, E, F>(&self, write: F) -> Result<T, E>
    where
        F: FnOnce(&sql::Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(WriteJob {
            write,
            answer,
            deadline: crate::deadline::current(),
        });
        let sent = match &*self.writer.jobs.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(jobs) => jobs.send(job).is_ok(),
            None => false,
        };
        if !sent {
            return Err(E::from(StoreError::Closed));
        }
        answered
            .await
            .unwrap_or_else(|_| Err(E::from(StoreError::Closed)))
    }

    /// `(config, directory)`: counters that triggers bump, in any process, whenever the
    /// settings or connections (`config`), or employees and groups (`directory`) change.
    /// Caches compare them to know whether they still hold. A read of one row on a connection
    /// of its own, on the calling thread: a few microseconds, so every request can afford it.
    pub fn generations(&self) -> Result<Generations, StoreError> {
        self.read(|c| {
            c.prepare_cached("SELECT config, directory, mapping FROM generation WHERE id = 1")?
                .query_row((), |r| {
                    Ok(Generations {
                        config: r.get(0)?,
                        directory: r.get(1)?,
                        mapping: r.get(2)?,
                    })
                })
        })
    }

    /// Where the schema stands (see [`SchemaState`]): for `GET /ready`. A read on the calling
    /// thread, like [`Db::generations`].
    pub fn schema_state(&self) -> Result<SchemaState, StoreError> {
        let applied: Vec<(i64, bool)> = self.read(|c| {
            c.prepare_cached("SELECT version, success FROM _sqlx_migrations")?
                .query_map((), |r| Ok((r.get(0)?, r.get::<_, bool>(1)?)))?
                .collect()
        })?;
        let known = self.migrator().iter().map(|m| m.version);
        Ok(schema_state(&applied, known))
    }

    /// Runs a read on the calling thread, on a read-only connection of its own. For the reads
    /// on a request's path (a lookup, a page): sqlx hands each query to the connection's thread
    /// and back, and on a small machine those two thread switches cost more than the read. A
    /// read in WAL mode never waits for writers, so it does not stall the caller's thread for
    /// longer than the read itself. Inside [`Db::snapshot`], it runs in the request's read
    /// transaction.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&sql::Connection) -> sql::Result<T> + Send,
    ) -> Result<T, StoreError>
    where
        T: Send,
    {
        let mut read = Some(read);
        let in_snapshot = SNAPSHOT.try_with(|snapshot| {
            let Ok(mut snapshot) = snapshot.try_borrow_mut() else {
                return None;
            };
            let snapshot = &mut *snapshot;
            let conn = snapshot.conn.as_ref()?;
            let read = read.take()?;
            if !snapshot.begun {
                if let Err(e) = conn.prepare_cached("BEGIN").and_then(|mut b| b.execute(())) {
                    return Some(Err(e));
                }
                snapshot.begun = true;
            }
            Some(crate::deadline::enter(crate::deadline::current(), || {
                read(conn)
            }))
        });
        if let Ok(Some(done)) = in_snapshot {
            return done.map_err(direct_error);
        }
        let read = read.take().expect("not run in a snapshot");
        let deadline = crate::deadline::current();
        let direct = &*self.direct;
        let run = move || {
            let conn = direct.take()?;
            let done = crate::deadline::enter(deadline, || read(&conn));
            direct.put_back(conn);
            done
        };
        let done = match self.dialect() {
            sql::Dialect::Sqlite => run(),
            // The PostgreSQL client blocks on a runtime of its own, which may not run on one
            // of the async runtime's threads: the read runs on a thread of its own.
            sql::Dialect::Postgres => std::thread::scope(|s| match s.spawn(run).join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            }),
        };
        done.map_err(direct_error)
    }

    /// Runs a read as [`Db::read`] does, on a thread of the blocking pool: for the admin's
    /// reads (a page of the employees, an export), which may take longer than a request's
    /// lookup and should not hold up the async runtime meanwhile.
    pub async fn read_async<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        F: FnOnce(&sql::Connection) -> sql::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read(read))
            .await
            .unwrap_or_else(|e| match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => Err(StoreError::Closed),
            })
    }

    /// Runs `serve` with every [`Db::read`] it makes (the change probe, the lookup, a page and
    /// its count) in one read transaction, begun by the first of them: they see one state of
    /// the database, and a request pays for one transaction rather than one per read. For
    /// requests that only read: a write's own reads must see the write.
    pub async fn snapshot<F: std::future::Future>(&self, serve: F) -> F::Output {
        if self.dialect() == sql::Dialect::Postgres {
            // PostgreSQL's reads run on threads of their own (see [`Db::read`]), each in a
            // statement of its own.
            return serve.await;
        }
        let snapshot = Snapshot {
            conn: self.direct.take().ok(),
            begun: false,
            readers: self.direct.clone(),
        };
        SNAPSHOT
            .scope(std::cell::RefCell::new(snapshot), serve)
            .await
    }

    /// Stops the writer once the writes already sent are answered.
    pub async fn close(&self) {
        let jobs = self
            .writer
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(jobs);
        if let Some(done) = self.writer.done.lock().await.take() {
            let _ = done.await;
        }
    }
}

impl Writer {
    /// Opens the write connection on the writer's own thread (the PostgreSQL client may not
    /// run on the async runtime's threads), and starts taking writes once it is open.
    async fn start(source: Source) -> Result<Arc<Writer>, StoreError> {
        let (jobs, queue) = std::sync::mpsc::channel();
        let (finished, done) = oneshot::channel();
        let (opened, open) = oneshot::channel();
        let commits = Arc::new(AtomicU64::new(0));
        let counter = commits.clone();
        let storage = Arc::new(Storage {
            disk_full: watch::channel(None).0,
        });
        let noted = storage.clone();
        std::thread::Builder::new()
            .name("scimdesk-writer".into())
            .spawn(move || {
                let conn = match open_writer(&source) {
                    Ok(conn) => conn,
                    Err(e) => {
                        let _ = opened.send(Err(direct_error(e)));
                        return;
                    }
                };
                let _ = opened.send(Ok(()));
                run_writer(conn, queue, counter, noted);
                let _ = finished.send(());
            })
            .map_err(|e| StoreError::Io(e.to_string()))?;
        open.await.unwrap_or(Err(StoreError::Closed))?;
        Ok(Arc::new(Writer {
            jobs: std::sync::Mutex::new(Some(jobs)),
            done: Mutex::new(Some(done)),
            commits,
            storage,
        }))
    }
}

/// The write connection: SQLite in WAL with full sync and foreign keys; PostgreSQL with its
/// durable commit left on (`synchronous_commit`, the server's default, is insisted on).
fn open_writer(source: &Source) -> sql::Result<sql::Connection> {
    let path = match source {
        Source::Postgres(config) => {
            let conn = postgres_connect(config)?;
            conn.execute_batch("SET synchronous_commit = on")?;
            return Ok(conn);
        }
        Source::Sqlite(path) => path,
    };
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -{CACHE_KIB}; PRAGMA journal_size_limit = {WAL_KEEP_BYTES}"
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    crate::deadline::interrupt_when_passed(&conn);
    Ok(sql::Connection::sqlite(conn))
}

/// True when a database error is a UNIQUE constraint failing.
pub fn is_unique_violation(err: &sql::Error) -> bool {
    err.is_unique_violation()
}

/// True when a SQLite error is a UNIQUE constraint failing.
fn sqlite_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _)
        if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

fn schema_state(applied: &[(i64, bool)], known: impl Iterator<Item = i64>) -> SchemaState {
    let known: std::collections::BTreeSet<i64> = known.collect();
    if applied.iter().any(|(v, _)| !known.contains(v)) {
        SchemaState::Ahead
    } else if applied.iter().any(|(_, ok)| !ok)
        || known
            .iter()
            .any(|v| !applied.iter().any(|(applied, _)| applied == v))
    {
        SchemaState::Behind
    } else {
        SchemaState::Current
    }
}

/// A data directory as an older version left it: the database in `dir` with the migrations
/// before `version` applied, and a connection to it, for tests of what a migration does to the
/// rows already there.
#[cfg(test)]
pub(crate) async fn database_before(dir: &Path, version: i64) -> sqlx::SqliteConnection {
    use sqlx::ConnectOptions;
    let mut before = sqlx::migrate!("./migrations");
    before.migrations = std::borrow::Cow::Owned(
        before
            .migrations
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect(),
    );
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join(DATABASE_FILE))
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    before.run(&mut conn).await.unwrap();
    conn
}

/// The query plan SQLite chooses for `sql` with `params`, its steps joined by "; " (for tests
/// that check a query uses an index and sorts nothing).
#[cfg(test)]
pub(crate) fn query_plan(db: &Db, sql: &str, params: &[&dyn sql::ToSql]) -> String {
    let params: Vec<sql::Value> = params.iter().map(|p| p.to_value()).collect();
    db.read(|c| {
        c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?
            .query_map(&params, |r| r.get::<_, String>(3))?
            .collect::<sql::Result<Vec<_>>>()
    })
    .unwrap()
    .join("; ")
}

#[cfg(test)]
mod tests {
    /// On PostgreSQL, a commit by another server is told at once (LISTEN/NOTIFY): the counter
    /// moves with no poll, and the change is there to read.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_servers_commit_is_notified_on_postgres() {
        let Some(url) = tokio::task::block_in_place(testpg::fresh_database) else {
            return;
        };
        let here = Db::open_postgres(&url).await.unwrap();
        let there = Db::open_postgres(&url).await.unwrap();
        assert!(Db::open(tempfile::tempdir().unwrap().path())
            .await
            .unwrap()
            .changes_notified()
            .is_none());
        let mut told = here.changes_notified().expect("PostgreSQL notifies");
        // The listener says it listens by a first move.
        tokio::time::timeout(std::time::Duration::from_secs(30), told.changed())
            .await
            .expect("listening")
            .unwrap();
        let before = here.generations().unwrap();
        there
            .write(|c| {
                c.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", ())
                    .map_err(StoreError::from)
            })
            .await
            .unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(30), told.changed())
            .await
            .expect("the other server's commit is notified")
            .unwrap();
        assert!(here.generations().unwrap().config > before.config);
        tokio::task::block_in_place(move || drop((here, there)));
    }

    #[test]
    fn the_schema_is_current_only_with_exactly_the_known_migrations_applied() {
        let known = || [1, 2, 3].into_iter();
        let ok = |v: &[i64]| v.iter().map(|v| (*v, true)).collect::<Vec<_>>();
        assert_eq!(schema_state(&ok(&[1, 2, 3]), known()), SchemaState::Current);
        assert_eq!(schema_state(&ok(&[1, 2]), known()), SchemaState::Behind);
        assert_eq!(
            schema_state(&[(1, true), (2, true), (3, false)], known()),
            SchemaState::Behind
        );
        assert_eq!(
            schema_state(&ok(&[1, 2, 3, 4]), known()),
            SchemaState::Ahead
        );
    }

    use super::*;

    fn insert_setting(c: &sql::Connection, key: &str) -> sql::Result<()> {
        c.execute("INSERT INTO settings (key, value) VALUES (?, 'v')", [key])?;
        Ok(())
    }

    #[tokio::test]
    async fn opens_durably_in_wal_with_full_sync_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let pragma = |c: &sql::Connection, name: &str| -> sql::Result<String> {
            c.query_row(&format!("PRAGMA {name}"), (), |r| r.get::<_, sql::Value>(0))
                .map(|v| match v {
                    sql::Value::Integer(i) => i.to_string(),
                    sql::Value::Text(t) => t,
                    other => format!("{other:?}"),
                })
        };
        let on_writer = db
            .write(move |c| {
                Ok::<_, StoreError>(
                    ["journal_mode", "synchronous", "foreign_keys", "cache_size"]
                        .map(|p| pragma(c, p).unwrap()),
                )
            })
            .await
            .unwrap();
        assert_eq!(
            on_writer,
            ["wal", "2", "1", &(-CACHE_KIB).to_string()],
            "WAL, synchronous=FULL, foreign keys, a bounded page cache"
        );
        let on_reader = db
            .read(move |c| Ok(["journal_mode", "cache_size"].map(|p| pragma(c, p).unwrap())))
            .unwrap();
        assert_eq!(
            on_reader,
            ["wal", &(-CACHE_KIB).to_string()],
            "a reader: WAL, a bounded page cache"
        );
        // A write holds the write lock from its start (BEGIN IMMEDIATE): a second writer on
        // another connection is refused at once rather than later mid-transaction.
        let path = dir.path().join(DATABASE_FILE);
        let err = db
            .write(move |_| {
                let other = rusqlite::Connection::open(&path).unwrap();
                Ok::<_, StoreError>(other.execute_batch("BEGIN IMMEDIATE").unwrap_err())
            })
            .await
            .unwrap();
        assert!(err.to_string().contains("locked"), "{err}");
    }

    /// Sixteen concurrent writes, one of them a duplicate: the duplicate fails alone, every
    /// other write is committed (visible to a reader as soon as it is answered), and the writes
    /// shared COMMITs rather than one fsync each.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writes_commit_in_groups_and_a_failure_spoils_none() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        db.write(|c| insert_setting(c, "taken").map_err(direct_error))
            .await
            .unwrap();
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
                    let k = key.clone();
                    db.write(move |c| {
                        insert_setting(c, &k)?;
                        // A second statement, so a write is more than one step as real ones are.
                        c.execute("UPDATE settings SET value = 'w' WHERE key = ?", [&k])?;
                        Ok::<_, WriteError>(())
                    })
                    .await?;
                    let probe = key.clone();
                    let seen: Option<String> = db
                        .read_async(move |c| {
                            use sql::OptionalExtension;
                            c.query_row("SELECT value FROM settings WHERE key = ?", [&probe], |r| {
                                r.get(0)
                            })
                            .optional()
                        })
                        .await
                        .unwrap();
                    assert_eq!(seen.as_deref(), Some("w"), "{key} answered before durable");
                    Ok::<_, WriteError>(())
                })
            })
            .collect();
        for (i, w) in writes.into_iter().enumerate() {
            match w.await.unwrap() {
                Ok(()) => assert_ne!(i, 7),
                Err(WriteError::Sql(e)) => {
                    assert_eq!(i, 7);
                    assert!(is_unique_violation(&e), "{e}");
                }
                Err(WriteError::Db(e)) => panic!("{e}"),
            }
        }
        let rows: i64 = db
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM settings WHERE value = 'w'", (), |r| {
                    r.get(0)
                })
            })
            .unwrap();
        assert_eq!(rows, 15);
        let taken: String = db
            .read(|c| {
                c.query_row("SELECT value FROM settings WHERE key = 'taken'", (), |r| {
                    r.get(0)
                })
            })
            .unwrap();
        assert_eq!(taken, "v", "the failed write was rolled back");
        let commits = db.writer.commits.load(Ordering::Relaxed) - before;
        assert!(commits < 15, "15 writes took {commits} commits");
    }

    /// A write's own error type, for the test above: SQLite's, or the writer's.
    #[derive(Debug)]
    enum WriteError {
        Sql(sql::Error),
        Db(StoreError),
    }
    impl From<sql::Error> for WriteError {
        fn from(e: sql::Error) -> Self {
            WriteError::Sql(e)
        }
    }
    impl From<StoreError> for WriteError {
        fn from(e: StoreError) -> Self {
            WriteError::Db(e)
        }
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
        let probe = db.clone();
        let during = db
            .write(move |c| {
                c.execute(
                    "INSERT INTO employees (id, user_name, status, doc, created_at, updated_at) \
                     VALUES ('e', 'u', 'active', '{}', 't', 't')",
                    (),
                )
                .map_err(direct_error)?;
                probe.generations()
            })
            .await
            .unwrap();
        assert_eq!(during, g1, "not before the commit");
        let g2 = db.generations().unwrap();
        assert!(g2.directory > g1.directory && g2.config == g1.config);
        sqlx::raw_sql("DELETE FROM connections")
            .execute(&mut other)
            .await
            .unwrap();
        assert!(db.generations().unwrap().config > g2.config);
    }

    /// A write that fails or panics halfway is rolled back, alone, and the writer goes on: the
    /// next write commits and no lock is left held for other processes.
    #[tokio::test]
    async fn a_failed_or_panicking_write_is_rolled_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let failed = db
            .write(|c| {
                insert_setting(c, "failed").map_err(direct_error)?;
                Err::<(), _>(StoreError::Other("refused".into()))
            })
            .await;
        assert!(failed.is_err());
        let panicked = db
            .write(|c| -> Result<(), StoreError> {
                insert_setting(c, "panicked").map_err(direct_error)?;
                panic!("a bug in a write")
            })
            .await;
        assert!(panicked.is_err());
        db.write(|c| insert_setting(c, "kept").map_err(direct_error))
            .await
            .unwrap();
        let keys = setting_keys(&db);
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

    /// In a group of writes, a failure rolls back only its own write, whether it is the
    /// group's first one (run without a savepoint: the whole transaction is rolled back, then
    /// the writes queued behind it go on) or a later one (rolled back to its savepoint).
    #[tokio::test]
    async fn a_failure_first_or_later_in_a_group_undoes_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        for failing_first in [false, true] {
            let keys = if failing_first {
                ["a2", "b2", "c2"]
            } else {
                ["a1", "b1", "c1"]
            };
            // The first write holds the writer long enough for the other two to queue behind
            // it, so all three are one group.
            let slow = |key: &'static str, fail: bool| {
                move |c: &sql::Connection| {
                    std::thread::sleep(Duration::from_millis(100));
                    insert_setting(c, key).map_err(direct_error)?;
                    match fail {
                        true => Err(StoreError::Other("refused".into())),
                        false => Ok(()),
                    }
                }
            };
            let quick = |key: &'static str, fail: bool| {
                move |c: &sql::Connection| {
                    insert_setting(c, key).map_err(direct_error)?;
                    match fail {
                        true => Err(StoreError::Other("refused".into())),
                        false => Ok(()),
                    }
                }
            };
            let (first, second, third) = tokio::join!(
                db.write(slow(keys[0], failing_first)),
                db.write(quick(keys[1], !failing_first)),
                db.write(quick(keys[2], false)),
            );
            assert_eq!(first.is_err(), failing_first);
            assert_eq!(second.is_err(), !failing_first);
            third.unwrap();
        }
        let keys = setting_keys(&db);
        assert_eq!(keys, ["a1", "b2", "c1", "c2"]);
    }

    /// Closing answers the writes already sent, then refuses new ones.
    #[tokio::test]
    async fn close_finishes_the_writes_sent_and_refuses_later_ones() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let sent = {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(|c| insert_setting(c, "sent").map_err(direct_error))
                    .await
            })
        };
        tokio::task::yield_now().await;
        db.close().await;
        let late = db
            .write(|c| insert_setting(c, "late").map_err(direct_error))
            .await;
        assert!(matches!(late, Err(StoreError::Closed)), "{late:?}");
        if sent.await.unwrap().is_ok() {
            let c = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
            let n: i64 = c
                .query_row(
                    "SELECT COUNT(*) FROM settings WHERE key = 'sent'",
                    (),
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "an answered write is in the file");
        }
    }

    /// A large write leaves a large log; closing writes it back and empties it, so the file
    /// neither stays on the disk nor slows the next process's reads.
    #[tokio::test]
    async fn close_writes_the_log_back_and_empties_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        db.write(|c| {
            for i in 0..2_000 {
                insert_setting(c, &format!("k{i:05}{}", "x".repeat(1_000)))
                    .map_err(direct_error)?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
        let wal = dir.path().join(format!("{DATABASE_FILE}-wal"));
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 1 << 20,
            "the write grew the log"
        );
        db.close().await;
        let left = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert_eq!(left, 0, "the log was emptied");
        let c = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM settings", (), |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2_000, "and everything is in the database");
    }

    fn setting_keys(db: &Db) -> Vec<String> {
        db.read(|c| {
            c.prepare("SELECT key FROM settings ORDER BY key")?
                .query_map((), |r| r.get(0))?
                .collect()
        })
        .unwrap()
    }

    fn count_settings(db: &Db) -> i64 {
        db.read(|c| c.query_row("SELECT COUNT(*) FROM settings", (), |r| r.get(0)))
            .unwrap()
    }

    /// The reads of a snapshot see the database as it was at the first of them, whatever is
    /// committed meanwhile; once it ends (or is abandoned), reads see the latest state again,
    /// also on the connection it used.
    #[tokio::test]
    async fn reads_in_a_snapshot_see_one_state() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let insert = |key: &'static str| {
            let db = db.clone();
            async move {
                db.write(move |c| insert_setting(c, key).map_err(direct_error))
                    .await
                    .unwrap()
            }
        };
        let (before, after) = db
            .snapshot(async {
                let before = count_settings(&db);
                insert("during").await;
                (before, count_settings(&db))
            })
            .await;
        assert_eq!(before, after, "one state for the whole snapshot");
        for _ in 0..DIRECT_READERS + 1 {
            assert_eq!(
                count_settings(&db),
                before + 1,
                "the write is seen after it"
            );
        }

        let abandoned = tokio::time::timeout(
            Duration::from_millis(50),
            db.snapshot(async {
                count_settings(&db);
                std::future::pending::<()>().await
            }),
        )
        .await;
        assert!(abandoned.is_err());
        insert("after").await;
        for _ in 0..DIRECT_READERS + 1 {
            assert_eq!(
                count_settings(&db),
                before + 2,
                "no reader is left in an old state"
            );
        }
    }
}
