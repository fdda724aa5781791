//! The employee directory: employees and groups in SQLite, and the activity log.
//!
//! Each SCIM write is one `BEGIN IMMEDIATE` transaction that reads the current state, applies the
//! change, keeps the mapped employee columns in step with the stored SCIM document, resolves
//! managers, and appends to the activity log — so an answered write and its log line are durable
//! together. Lists are filtered, sorted and paged in SQL; no request loads the whole table.

pub mod activity;
pub mod employees;
pub mod groups;
pub mod mapping;
pub mod sql_filter;
pub mod users;

use serde_json::Value;
use sqlx::sqlite::SqliteArguments;
use sqlx::Sqlite;
use tokio::sync::broadcast;

use crate::db::Db;
use crate::desk::ChangeEvent;
use crate::scim::ScimError;
use sql_filter::SqlParam;

pub use activity::{ActivityEntry, ActivityQuery};
pub use employees::{Employee, EmployeePage, EmployeeQuery, StatusFilter};

#[derive(Clone)]
pub struct Directory {
    db: Db,
    events: broadcast::Sender<ChangeEvent>,
}

/// Who is writing, and where the resources' absolute URLs start.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub connection_id: String,
    pub connection_name: String,
    /// The connection's base URL, built from the configured public URL.
    pub base_url: String,
}

impl Directory {
    pub fn new(db: Db, events: broadcast::Sender<ChangeEvent>) -> Self {
        Self { db, events }
    }

    fn notify(&self, event: ChangeEvent) {
        let _ = self.events.send(event);
    }
}

/// A database failure as the Okta admin sees it: a 500 that says to retry, with the cause in the
/// app's log rather than in Okta.
pub(crate) fn db_error(err: sqlx::Error) -> ScimError {
    tracing::error!(error = %err, "directory database error");
    ScimError::internal(
        "SCIM Desk could not read or write its employee directory. Retry the task in Okta; if it \
         fails again, check that SCIM Desk is running and its data directory is writable.",
    )
}

/// The weak ETag of a resource version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// RFC 7232 `If-Match` against the current version: `*`, a list, weak or strong.
pub(crate) fn check_if_match(
    if_match: Option<&str>,
    version: i64,
    what: &str,
) -> Result<(), ScimError> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let current = version.to_string();
    let matches = header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == current);
    if matches {
        Ok(())
    } else {
        Err(ScimError::new(
            412,
            None,
            format!(
                "The {what} was changed since it was read (its version is now {}). Read it again and retry.",
                etag(version)
            ),
        ))
    }
}

pub(crate) fn bind_params_as<'q, O>(
    mut q: sqlx::query::QueryAs<'q, Sqlite, O, SqliteArguments<'q>>,
    params: &'q [SqlParam],
) -> sqlx::query::QueryAs<'q, Sqlite, O, SqliteArguments<'q>> {
    for p in params {
        q = match p {
            SqlParam::Text(s) => q.bind(s.as_str()),
            SqlParam::Int(i) => q.bind(*i),
            SqlParam::Real(f) => q.bind(*f),
            SqlParam::Null => q.bind(None::<String>),
        };
    }
    q
}

pub(crate) fn bind_params_scalar<'q, O>(
    mut q: sqlx::query::QueryScalar<'q, Sqlite, O, SqliteArguments<'q>>,
    params: &'q [SqlParam],
) -> sqlx::query::QueryScalar<'q, Sqlite, O, SqliteArguments<'q>> {
    for p in params {
        q = match p {
            SqlParam::Text(s) => q.bind(s.as_str()),
            SqlParam::Int(i) => q.bind(*i),
            SqlParam::Real(f) => q.bind(*f),
            SqlParam::Null => q.bind(None::<String>),
        };
    }
    q
}

/// Parses a stored document; a corrupt one is a 500 rather than a panic.
pub(crate) fn parse_doc(doc: &str) -> Result<serde_json::Map<String, Value>, ScimError> {
    match serde_json::from_str(doc) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ScimError::internal(
            "A stored resource could not be read; its record in SCIM Desk's database is damaged.",
        )),
    }
}
