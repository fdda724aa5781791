//! The employee directory: employees and groups in SQLite, and the activity log.
//!
//! Each SCIM write is one `BEGIN IMMEDIATE` transaction that reads the current state, applies the
//! change, keeps the mapped employee columns in step with the stored SCIM document, resolves
//! managers, and appends to the activity log — so an answered write and its log line are durable
//! together. Lists are filtered, sorted and paged in SQL; no request loads the whole table.

pub mod activity;
pub mod bulk;
pub mod employees;
pub mod groups;
pub mod mapping;
pub mod sql_filter;
pub mod users;

use serde_json::Value;
use sqlx::sqlite::SqliteArguments;
use tokio::sync::broadcast;

use crate::db::Db;
use crate::desk::ChangeEvent;
use crate::scim::filter::{parse_filter, Filter};
use crate::scim::list::ListQuery;
use crate::scim::ScimError;
use sql_filter::{SqlFragment, SqlParam};
use sqlx::Arguments;

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

/// The bound values of a translated filter.
fn arguments(params: &[SqlParam]) -> Result<SqliteArguments<'static>, ScimError> {
    let mut args = SqliteArguments::default();
    for p in params {
        let added = match p {
            SqlParam::Text(s) => args.add(s.clone()),
            SqlParam::Int(i) => args.add(*i),
            SqlParam::Real(f) => args.add(*f),
            SqlParam::Null => args.add(None::<String>),
        };
        added.map_err(|e| ScimError::internal(format!("A filter value could not be used: {e}")))?;
    }
    Ok(args)
}

/// One page of a SCIM list, filtered, sorted and paged in SQL.
pub(crate) struct ListPage<T> {
    pub total: u64,
    pub rows: Vec<T>,
}

/// The SQL shape of a resource type's list: its table, columns, and the filter translation.
pub(crate) struct ListSource {
    /// `employees e` or `groups g`.
    pub from: &'static str,
    pub columns: &'static str,
    /// Rows that are never listed (removed employees), or `1`.
    pub visible: &'static str,
    /// The stable tiebreaker: `e.seq` or `g.seq`.
    pub seq: &'static str,
    pub filter_sql: fn(&Filter) -> Result<SqlFragment, ScimError>,
    pub sort_sql: fn(&str) -> Result<String, ScimError>,
}

impl Directory {
    pub(crate) async fn list_page<T>(
        &self,
        source: &ListSource,
        q: &ListQuery,
    ) -> Result<ListPage<T>, ScimError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        let fragment = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            Some(f) => (source.filter_sql)(&parse_filter(f)?)?,
            None => SqlFragment {
                sql: "1".to_owned(),
                params: Vec::new(),
            },
        };
        let where_sql = format!("{} AND ({})", source.visible, fragment.sql);
        let total: i64 = sqlx::query_scalar_with(
            &format!("SELECT COUNT(*) FROM {} WHERE {where_sql}", source.from),
            arguments(&fragment.params)?,
        )
        .fetch_one(self.db.reader())
        .await
        .map_err(db_error)?;
        let total = total.max(0) as u64;
        if q.count == 0 || q.start_index > total {
            return Ok(ListPage {
                total,
                rows: Vec::new(),
            });
        }
        let order = match &q.sort_by {
            Some(attr) => format!(
                "{} {}, {}",
                (source.sort_sql)(attr)?,
                if q.sort_descending { "DESC" } else { "ASC" },
                source.seq
            ),
            None => source.seq.to_owned(),
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE {where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
            source.columns,
            source.from,
            q.count,
            q.start_index.saturating_sub(1)
        );
        let rows = sqlx::query_as_with::<_, T, _>(&sql, arguments(&fragment.params)?)
            .fetch_all(self.db.reader())
            .await
            .map_err(db_error)?;
        Ok(ListPage { total, rows })
    }
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
