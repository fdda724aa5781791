//! The one error of the storage layer: what the database said, kept as a kind the edges can act
//! on (a full disk is a 503 to Okta and a banner in the app; a taken unique value a 409; a busy
//! database a retry), whichever driver reported it.
//!
//! It is mapped once at each edge: to a SCIM error at the HTTP edge (`server`), to a readable
//! message at the IPC edge (`views`). Not for: refusals of what a request asked for (a 400, a
//! 404), which the directory reports as SCIM errors of their own.

/// A failure of the database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A UNIQUE or PRIMARY KEY constraint: the value is already taken.
    #[error("a value that must be unique is already taken ({0})")]
    Unique(String),
    /// Another program holds the database's lock beyond the busy timeout.
    #[error("the database is busy: another program is writing to it ({0})")]
    Busy(String),
    /// SQLITE_FULL (which SQLite also answers when a write fails with ENOSPC).
    #[error("the disk that holds the data directory is full")]
    DiskFull,
    /// The work ran past its request's deadline and SQLite stopped it ([`crate::deadline`]).
    #[error("the work ran past its time and was stopped")]
    Interrupted,
    /// The database file could not be read or written (permissions, a bad disk, a locked file).
    #[error("the database could not be read or written: {0}")]
    Io(String),
    /// The database was closed (the app or `serve` is stopping).
    #[error("the database is closed")]
    Closed,
    /// Anything else the database said.
    #[error("the database failed: {0}")]
    Other(String),
}

impl StoreError {
    fn from_code(code: rusqlite::ErrorCode, extended: i32, what: String) -> StoreError {
        use rusqlite::ErrorCode as C;
        match code {
            C::ConstraintViolation
                if extended == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || extended == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                StoreError::Unique(what)
            }
            C::DatabaseBusy | C::DatabaseLocked => StoreError::Busy(what),
            C::DiskFull => StoreError::DiskFull,
            C::OperationInterrupted => StoreError::Interrupted,
            C::SystemIoFailure | C::CannotOpen | C::ReadOnly | C::PermissionDenied => {
                StoreError::Io(what)
            }
            _ => StoreError::Other(what),
        }
    }
}

impl From<&rusqlite::Error> for StoreError {
    fn from(e: &rusqlite::Error) -> StoreError {
        match e {
            rusqlite::Error::SqliteFailure(f, _) => {
                StoreError::from_code(f.code, f.extended_code, e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::from(&e)
    }
}

impl From<&super::sql::Error> for StoreError {
    fn from(e: &super::sql::Error) -> StoreError {
        use super::sql::Error as E;
        match e {
            E::Sqlite(e) => StoreError::from(e),
            E::Postgres(pg) => StoreError::from_postgres(pg),
            E::NoRows | E::Conversion { .. } => StoreError::Other(e.to_string()),
        }
    }
}

impl From<super::sql::Error> for StoreError {
    fn from(e: super::sql::Error) -> StoreError {
        StoreError::from(&e)
    }
}

impl StoreError {
    /// What PostgreSQL said, by its SQLSTATE class: the same kinds as SQLite's codes.
    fn from_postgres(e: &postgres::Error) -> StoreError {
        let what = super::sql::Error::postgres_text(e);
        let Some(code) = e.code() else {
            return match e.is_closed() {
                true => StoreError::Closed,
                false => StoreError::Io(what),
            };
        };
        match code.code() {
            "23505" => StoreError::Unique(what),
            // could not serialize, deadlock, lock not available
            "40001" | "40P01" | "55P03" => StoreError::Busy(what),
            "53100" => StoreError::DiskFull,
            // statement_timeout, or cancelled at the request's deadline
            "57014" => StoreError::Interrupted,
            // the server is shutting down, or cannot be reached
            c if c.starts_with("08") || c.starts_with("57P") => StoreError::Io(what),
            "53000" | "53200" | "53300" => StoreError::Busy(what),
            _ => StoreError::Other(what),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Database(db) => {
                let extended = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
                let code = rusqlite::ffi::Error::new(extended).code;
                StoreError::from_code(code, extended, e.to_string())
            }
            sqlx::Error::PoolClosed | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => {
                StoreError::Closed
            }
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                StoreError::DiskFull
            }
            sqlx::Error::Io(_) => StoreError::Io(e.to_string()),
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        match e {
            sqlx::migrate::MigrateError::Execute(e) => e.into(),
            other => StoreError::Other(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite said survives as a kind, from either driver.
    #[tokio::test]
    async fn sqlite_codes_become_kinds_from_either_driver() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (k TEXT PRIMARY KEY, u TEXT UNIQUE); INSERT INTO t VALUES ('a', 'x');",
        )
        .unwrap();
        let dup = c
            .execute("INSERT INTO t VALUES ('b', 'x')", ())
            .unwrap_err();
        assert!(matches!(StoreError::from(dup), StoreError::Unique(_)));
        let pk = c
            .execute("INSERT INTO t VALUES ('a', 'y')", ())
            .unwrap_err();
        assert!(matches!(StoreError::from(pk), StoreError::Unique(_)));
        let syntax = c.execute("SELEKT 1", ()).unwrap_err();
        assert!(matches!(StoreError::from(syntax), StoreError::Other(_)));

        use sqlx::{Connection, Executor};
        let mut s = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        s.execute("CREATE TABLE t (u TEXT UNIQUE); INSERT INTO t VALUES ('x');")
            .await
            .unwrap();
        let dup = s.execute("INSERT INTO t VALUES ('x')").await.unwrap_err();
        let kind = StoreError::from(dup);
        assert!(matches!(kind, StoreError::Unique(_)), "{kind}");
        assert_eq!(
            StoreError::from(sqlx::Error::PoolClosed),
            StoreError::Closed
        );
        let full = sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::StorageFull, "full"));
        assert_eq!(StoreError::from(full), StoreError::DiskFull);
    }
}
