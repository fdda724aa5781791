//! Employees as the admin sees them: the directory's rows, listed for the CLI and the app.
//!
//! This is the admin's view (search, status, paging), not SCIM's; SCIM lists live in `users`.

use serde::{Deserialize, Serialize};

use super::error::DirectoryError;
use super::Directory;
use crate::db::StoreError;
use crate::scim::ScimError;

/// One employee. Serialised as the CLI's `users list --json` contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, ts_rs::TS)]
pub struct Employee {
    #[serde(skip)]
    pub seq: i64,
    pub id: String,
    pub user_name: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub business_unit: Option<String>,
    pub manager_email: Option<String>,
    /// The manager's id once an employee with `manager_email` exists.
    pub manager_id: Option<String>,
    pub location: Option<String>,
    pub employee_id: Option<String>,
    /// `active`, `deactivated`, or `removed` (only after a SCIM DELETE, which Okta never sends).
    #[ts(type = "\"active\" | \"deactivated\" | \"removed\"")]
    pub status: String,
    pub external_id: Option<String>,
    /// The connection that created the employee.
    pub connection_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub active: bool,
    #[serde(skip)]
    pub doc: String,
    #[serde(skip)]
    pub version: i64,
}

/// The employee's columns. `manager_email` keeps what the identity provider sent: Okta sends the
/// manager's email, Entra the manager's SCIM id. Where that id names the linked manager, the
/// manager's email is read instead, so that the field is an email for either provider.
pub(crate) const EMPLOYEE_COLUMNS: &str = "e.seq, e.id, e.user_name, e.email, e.display_name, \
    e.first_name, e.last_name, e.job_title, e.department, e.business_unit, \
    CASE WHEN e.manager_email = e.manager_id \
      THEN COALESCE((SELECT m.email FROM employees m WHERE m.id = e.manager_id), e.manager_email) \
      ELSE e.manager_email END AS manager_email, \
    e.manager_id, e.location, e.employee_id, e.status, e.external_id, e.connection_id, \
    e.created_at, e.updated_at, e.active, e.doc, e.version";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Deactivated,
    Removed,
    /// Everyone but removed records.
    #[default]
    Current,
    All,
}

#[derive(Debug, Clone, Default)]
pub struct EmployeeQuery {
    /// Matched against name, email, job title, department and employee ID.
    pub search: Option<String>,
    pub status: StatusFilter,
    pub offset: u64,
    /// 0 means every matching employee.
    pub limit: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmployeePage {
    pub total: u64,
    pub items: Vec<Employee>,
}

pub(crate) fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl Directory {
    pub async fn employees(&self, q: &EmployeeQuery) -> Result<EmployeePage, DirectoryError> {
        let (where_clause, search) = list_condition(q.search.as_deref(), q.status);
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM employees e WHERE {where_clause}"
        ))
        .bind(&search)
        .fetch_one(self.db.reader())
        .await?;
        let limit = if q.limit == 0 { -1 } else { q.limit as i64 };
        let items = sqlx::query_as::<_, Employee>(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE {where_clause} \
             ORDER BY e.seq LIMIT ?2 OFFSET ?3"
        ))
        .bind(&search)
        .bind(limit)
        .bind(q.offset as i64)
        .fetch_all(self.db.reader())
        .await?;
        Ok(EmployeePage {
            total: total.max(0) as u64,
            items,
        })
    }

    /// Every employee matching `search` and `status`, in the directory's order, handed to `each`
    /// one at a time and read a thousand at a time: a directory of any size is listed (by the
    /// CLI) or exported in constant memory. Returns how many there were.
    pub async fn for_each_employee(
        &self,
        search: Option<&str>,
        status: StatusFilter,
        mut each: impl FnMut(&Employee) -> std::io::Result<()>,
    ) -> Result<u64, ExportError> {
        let (cond, pattern) = list_condition(search, status);
        let sql = format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE {cond} AND e.seq > ?2 \
             ORDER BY e.seq LIMIT 1000"
        );
        // One connection for the walk: one page cache fills, not every reader's.
        let mut conn = self
            .db
            .reader()
            .acquire()
            .await
            .map_err(|e| ExportError::Read(e.into()))?;
        let (mut after, mut count) = (0_i64, 0_u64);
        loop {
            let batch = sqlx::query_as::<_, Employee>(&sql)
                .bind(&pattern)
                .bind(after)
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| ExportError::Read(e.into()))?;
            let Some(last) = batch.last() else {
                return Ok(count);
            };
            after = last.seq;
            for e in &batch {
                each(e).map_err(ExportError::Io)?;
                count += 1;
            }
        }
    }

    /// The employees of `connection_id` (removed records aside) that a page of Okta's app users
    /// may be: by id (the `externalId` Okta keeps for each app user), or by userName or email
    /// without case. One query a page, so reconciling holds one page at a time.
    pub async fn employees_matching(
        &self,
        connection_id: &str,
        ids: &[String],
        names: &[String],
    ) -> Result<Vec<Employee>, DirectoryError> {
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Other(e.to_string()))?;
        let names = serde_json::to_string(names).map_err(|e| StoreError::Other(e.to_string()))?;
        sqlx::query_as::<_, Employee>(&matching_sql())
            .bind(connection_id)
            .bind(ids)
            .bind(names)
            .fetch_all(self.db.reader())
            .await
            .map_err(DirectoryError::from)
    }

    /// Every active employee of `connection_id`, read a thousand at a time and handed to `each`.
    pub async fn for_each_active_of_connection(
        &self,
        connection_id: &str,
        mut each: impl FnMut(&Employee),
    ) -> Result<u64, DirectoryError> {
        let sql = format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE e.connection_id = ?1 \
             AND e.status = 'active' AND e.seq > ?2 ORDER BY e.seq LIMIT 1000"
        );
        let (mut after, mut count) = (0_i64, 0_u64);
        loop {
            let batch = sqlx::query_as::<_, Employee>(&sql)
                .bind(connection_id)
                .bind(after)
                .fetch_all(self.db.reader())
                .await?;
            let Some(last) = batch.last() else {
                return Ok(count);
            };
            after = last.seq;
            for e in &batch {
                each(e);
                count += 1;
            }
        }
    }

    /// Any employee by id, removed ones included (the admin's view keeps them).
    pub async fn employee(&self, id: &str) -> Result<Option<Employee>, DirectoryError> {
        sqlx::query_as::<_, Employee>(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE e.id = ?"
        ))
        .bind(id)
        .fetch_optional(self.db.reader())
        .await
        .map_err(DirectoryError::from)
    }
}

/// Which employees the app's table shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StatusChoice {
    Active,
    Deactivated,
    /// Active and deactivated (removed records are only in the CLI's `--status removed`).
    #[default]
    All,
}

impl From<StatusChoice> for StatusFilter {
    fn from(choice: StatusChoice) -> StatusFilter {
        match choice {
            StatusChoice::Active => StatusFilter::Active,
            StatusChoice::Deactivated => StatusFilter::Deactivated,
            StatusChoice::All => StatusFilter::Current,
        }
    }
}

/// One page of the app's employee table. Pages are keyset cursors on the directory's order,
/// so page 2,000 of 100,000 costs what page 1 costs.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct EmployeeListQuery {
    pub search: Option<String>,
    pub status: StatusChoice,
    /// 1..=500; 0 means 50.
    pub limit: u32,
    /// The `next` cursor of the page before.
    pub after: Option<String>,
    /// The `prev` cursor of the page after.
    pub before: Option<String>,
    /// The last page.
    pub last: bool,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "EmployeePage")]
pub struct EmployeeListPage {
    /// Employees matching the search and status.
    pub total: u64,
    pub items: Vec<Employee>,
    /// Position of the first item among the matches (0-based).
    pub offset: u64,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// The search and status as SQL, with the search pattern as `?1`.
fn list_condition(
    search: Option<&str>,
    status: impl Into<StatusFilter>,
) -> (String, Option<String>) {
    let status = match status.into() {
        StatusFilter::Active => "e.status = 'active'",
        StatusFilter::Deactivated => "e.status = 'deactivated'",
        StatusFilter::Removed => "e.status = 'removed'",
        // Not `IN (…)`: with `<>` a page walks the table in seq order and stops after one page,
        // and counts scan the small status index.
        StatusFilter::Current => "e.status <> 'removed'",
        StatusFilter::All => "1",
    };
    let pattern = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(like_pattern);
    // Without a search the condition names no other column, so counts stay inside the index.
    let cond = match pattern {
        None => format!("{status} AND ?1 IS NULL"),
        Some(_) => format!(
            "{status} AND (e.display_name LIKE ?1 ESCAPE '\\' \
             OR e.email LIKE ?1 ESCAPE '\\' OR e.user_name LIKE ?1 ESCAPE '\\' \
             OR e.first_name || ' ' || e.last_name LIKE ?1 ESCAPE '\\' \
             OR e.job_title LIKE ?1 ESCAPE '\\' OR e.department LIKE ?1 ESCAPE '\\' \
             OR e.employee_id LIKE ?1 ESCAPE '\\')"
        ),
    };
    (cond, pattern)
}

/// Counts read the small status index (which holds each row's seq), not the table's documents.
const COUNT_INDEX: &str = "INDEXED BY employees_status";

fn page_sql(cond: &str, bound: &str, order: &str) -> String {
    format!(
        "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE {cond} AND {bound} \
         ORDER BY e.seq {order} LIMIT ?2"
    )
}

fn cursor(seq: i64) -> String {
    seq.to_string()
}

fn parse_cursor(c: &str) -> Result<i64, DirectoryError> {
    c.parse()
        .map_err(|_| ScimError::new(400, None, "The page cursor is not valid; start again."))
        .map_err(DirectoryError::from)
}

impl Directory {
    /// How many employees are active and deactivated (removed ones are not counted).
    pub async fn status_counts(&self) -> Result<(u64, u64), DirectoryError> {
        let (active, deactivated): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(status = 'active'), 0), COALESCE(SUM(status = 'deactivated'), 0) \
             FROM employees WHERE status IN ('active', 'deactivated')",
        )
        .fetch_one(self.reader())
        .await?;
        Ok((active.max(0) as u64, deactivated.max(0) as u64))
    }
}

impl Directory {
    /// A page of the app's employee table.
    pub async fn employee_page(
        &self,
        q: &EmployeeListQuery,
    ) -> Result<EmployeeListPage, DirectoryError> {
        let limit = match q.limit {
            0 => 50,
            n => n.min(500),
        } as i64;
        let (cond, pattern) = list_condition(q.search.as_deref(), q.status);
        let (bound, descending) = match (&q.after, &q.before, q.last) {
            (_, _, true) => ("1".to_owned(), true),
            (Some(after), _, _) => (format!("e.seq > {}", parse_cursor(after)?), false),
            (None, Some(before), _) => (format!("e.seq < {}", parse_cursor(before)?), true),
            (None, None, false) => ("1".to_owned(), false),
        };
        let order = if descending { "DESC" } else { "ASC" };
        // One row more than the page tells whether there is another page in that direction.
        let mut items = sqlx::query_as::<_, Employee>(&page_sql(&cond, &bound, order))
            .bind(&pattern)
            .bind(limit + 1)
            .fetch_all(self.db.reader())
            .await?;
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        if descending {
            items.reverse();
        }
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM employees e {COUNT_INDEX} WHERE {cond}"
        ))
        .bind(&pattern)
        .fetch_one(self.db.reader())
        .await?;
        let offset: i64 = match items.first() {
            None => 0,
            Some(first) => {
                sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM employees e {COUNT_INDEX} WHERE {cond} AND e.seq < ?2"
                ))
                .bind(&pattern)
                .bind(first.seq)
                .fetch_one(self.db.reader())
                .await?
            }
        };
        let (first, last) = (items.first().map(|e| e.seq), items.last().map(|e| e.seq));
        // Going forward, `more` says a next page exists and a cursor came from a page before;
        // going backward the other way round.
        let (has_next, has_prev) = match (descending, q.last) {
            (_, true) => (false, more),
            (true, false) => (true, more),
            (false, false) => (more, q.after.is_some()),
        };
        let has_prev = has_prev && offset > 0;
        Ok(EmployeeListPage {
            total: total.max(0) as u64,
            offset: offset.max(0) as u64,
            next: last.filter(|_| has_next).map(cursor),
            prev: first.filter(|_| has_prev).map(cursor),
            items,
        })
    }

    /// Writes every employee matching `q` (paging ignored) as CSV to `path`, and returns how many.
    /// The file appears whole or not at all: it is written beside `path` and renamed into place.
    pub async fn export_csv(
        &self,
        q: &EmployeeListQuery,
        path: &std::path::Path,
    ) -> Result<u64, ExportError> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(ExportError::Io)?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(tmp));
        writer.write_record(CSV_HEADER).map_err(ExportError::Csv)?;
        let count = self
            .for_each_employee(q.search.as_deref(), q.status.into(), |e| {
                writer
                    .write_record(csv_record(e).iter().map(|c| c.as_bytes()))
                    .map_err(std::io::Error::from)
            })
            .await?;
        let file = writer
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))?
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))?;
        file.as_file().sync_all().map_err(ExportError::Io)?;
        file.persist(path).map_err(|e| ExportError::Io(e.error))?;
        Ok(count)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the file could not be written: {0}")]
    Io(std::io::Error),
    #[error("the file could not be written: {0}")]
    Csv(csv::Error),
    #[error("the directory could not be read: {0}")]
    Read(StoreError),
}

const CSV_HEADER: [&str; 14] = [
    "First name",
    "Last name",
    "Email",
    "Job title",
    "Department",
    "Business unit",
    "Manager email",
    "Location",
    "Employee ID",
    "Status",
    "User name",
    "SCIM Desk ID",
    "Created",
    "Last update",
];

/// One employee's cells, each made safe to open in a spreadsheet ([`spreadsheet_text`]).
fn csv_record(e: &Employee) -> [std::borrow::Cow<'_, str>; 14] {
    fn s(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
    let cells: [&str; 14] = [
        s(&e.first_name),
        s(&e.last_name),
        s(&e.email),
        s(&e.job_title),
        s(&e.department),
        s(&e.business_unit),
        s(&e.manager_email),
        s(&e.location),
        s(&e.employee_id),
        &e.status,
        &e.user_name,
        &e.id,
        &e.created_at,
        &e.updated_at,
    ];
    cells.map(spreadsheet_text)
}

/// A cell as text a spreadsheet shows rather than runs (CSV or formula injection). Excel,
/// LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` as a formula
/// (`=HYPERLINK(…)`, `=cmd|…`, `@SUM(…)`), and one that starts with a tab or a carriage return
/// can hide such a start; a job title Okta sends is whatever someone typed into an HR system.
/// Such a cell is written with a leading `'`, the spreadsheets' own mark for "this is text"
/// (OWASP's advice, and what spreadsheet-safe exporters do): it shows the value as sent, and
/// the `'` in the file says the value was changed. Every other cell is written exactly.
pub(crate) fn spreadsheet_text(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The query of [`Directory::employees_matching`]: a union of three indexed lookups (id,
/// userName, email) into row numbers, so a page costs the same at 1,000 employees as at a million
/// (an `OR` of the three would scan every employee of the connection, each page).
fn matching_sql() -> String {
    format!(
        "SELECT {EMPLOYEE_COLUMNS} FROM employees e \
         WHERE e.connection_id = ?1 AND e.status <> 'removed' AND e.seq IN ( \
           SELECT seq FROM employees WHERE id IN (SELECT value FROM json_each(?2)) \
           UNION SELECT seq FROM employees WHERE status <> 'removed' \
             AND user_name COLLATE NOCASE IN (SELECT value FROM json_each(?3)) \
           UNION SELECT seq FROM employees \
             WHERE email COLLATE NOCASE IN (SELECT value FROM json_each(?3)))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_start_with_an_apostrophe() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1 555", "'+1 555"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("Jane", "Jane"),
            ("a=b", "a=b"),
            ("", ""),
            ("2026-11-29T11:09:08.123Z", "2026-11-29T11:09:08.123Z"),
        ] {
            assert_eq!(spreadsheet_text(cell), written, "{cell:?}");
        }
    }

    /// A page of the app's table reads one page of rows whatever its position: the plan walks
    /// an index or the table in seq order (no sort of every match), and counts use the index.
    #[tokio::test]
    async fn pages_and_counts_never_sort_or_read_the_whole_table() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).await.unwrap();
        let plan =
            |sql: String| crate::db::query_plan(&db, &sql, &[&Option::<String>::None, &50_i64]);
        for status in [
            StatusChoice::All,
            StatusChoice::Active,
            StatusChoice::Deactivated,
        ] {
            let (cond, _) = list_condition(None, status);
            for (bound, order) in [
                ("1", "ASC"),
                ("e.seq > 5000", "ASC"),
                ("e.seq < 5000", "DESC"),
            ] {
                let p = plan(page_sql(&cond, bound, order));
                assert!(!p.contains("TEMP B-TREE"), "{status:?} {bound}: {p}");
                let p = plan(format!(
                    "SELECT COUNT(*) FROM employees e {COUNT_INDEX} WHERE {cond} AND e.seq < ?2"
                ));
                assert!(
                    p.contains("COVERING INDEX employees_status"),
                    "{status:?}: {p}"
                );
            }
        }
    }

    /// Reconciling reads one page of Okta's app users at a time; finding their employees must
    /// look each up by id, userName and email in their indexes, never walk the connection's
    /// employees (which made reconciling 100,000 users quadratic).
    #[tokio::test]
    async fn matching_a_page_of_okta_users_looks_each_up_by_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).await.unwrap();
        let p = crate::db::query_plan(&db, &matching_sql(), &[&"conn", &"[\"a\"]", &"[\"b\"]"]);
        assert!(!p.contains("SCAN e"), "{p}");
        for index in [
            "INTEGER PRIMARY KEY",
            "sqlite_autoindex_employees_1",
            "INDEX employees_user_name",
            "INDEX employees_email",
        ] {
            assert!(p.contains(index), "{index}: {p}");
        }
    }
}
