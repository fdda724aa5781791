//! Employees as the admin sees them: the directory's rows, listed for the CLI and the app.
//!
//! This is the admin's view (search, status, paging), not SCIM's; SCIM lists live in `users`.

use serde::{Deserialize, Serialize};

use super::error::DirectoryError;
use super::Directory;
use crate::db::sql::Dialect;
use crate::db::sql::{self, Connection, Row};
use crate::db::StoreError;
use crate::scim::ScimError;

/// One employee. Serialised as the CLI's `users list --json` contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
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
    /// Custom field key → value, for the custom fields the admin defined (see
    /// `attribute_map`); a field without a value is absent.
    #[ts(type = "{ [key in string]?: string }")]
    pub custom: std::collections::BTreeMap<String, String>,
    /// Where a search placed the employee (0 exact email or employee ID, 1 a field starts with
    /// the search, 2 the rest); 0 outside a search.
    #[serde(skip)]
    #[ts(skip)]
    pub rank: i64,
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
    e.created_at, e.updated_at, e.active, e.doc, e.version, e.custom";

/// An employee read as [`EMPLOYEE_COLUMNS`] (its `rank` 0: a ranked page sets it).
pub(crate) fn employee_row(r: &Row<'_>) -> sql::Result<Employee> {
    // `employees.custom` as stored: a JSON object of text values. A damaged value reads as no
    // custom values rather than failing the whole list.
    let custom: Option<String> = r.get(22)?;
    Ok(Employee {
        custom: custom
            .and_then(|c| serde_json::from_str(&c).ok())
            .unwrap_or_default(),
        ..employee_fields(r)?
    })
}

/// The first 22 columns of [`EMPLOYEE_COLUMNS`] (all but `custom`, which is left empty), for
/// the reads that select something else after them.
pub(crate) fn employee_fields(r: &Row<'_>) -> sql::Result<Employee> {
    Ok(Employee {
        seq: r.get(0)?,
        id: r.get(1)?,
        user_name: r.get(2)?,
        email: r.get(3)?,
        display_name: r.get(4)?,
        first_name: r.get(5)?,
        last_name: r.get(6)?,
        job_title: r.get(7)?,
        department: r.get(8)?,
        business_unit: r.get(9)?,
        manager_email: r.get(10)?,
        manager_id: r.get(11)?,
        location: r.get(12)?,
        employee_id: r.get(13)?,
        status: r.get(14)?,
        external_id: r.get(15)?,
        connection_id: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
        active: r.get(19)?,
        doc: r.get(20)?,
        version: r.get(21)?,
        custom: Default::default(),
        rank: 0,
    })
}

/// Employees read by `sql` with `params`, as [`employee_row`] reads them.
fn employees_of(c: &Connection, sql: &str, params: impl sql::Params) -> sql::Result<Vec<Employee>> {
    c.prepare_cached(sql)?
        .query_map(params, employee_row)?
        .collect()
}

/// A count (`SELECT COUNT(*) …`).
fn count_of(c: &Connection, sql: &str, params: impl sql::Params) -> sql::Result<i64> {
    c.prepare_cached(sql)?.query_row(params, |r| r.get(0))
}

/// Rows an export or a walk of the directory reads at a time: each page is one read of its own
/// (on the blocking pool), so a directory of any size is walked in the memory of one page.
pub const WALK_PAGE: i64 = 2_000;

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

impl StatusFilter {
    /// The employees of this status, as SQL on `e`: everyone is `1` on SQLite and `TRUE` on
    /// PostgreSQL, whose `WHERE` takes booleans only.
    fn condition(self, dialect: Dialect) -> &'static str {
        match self {
            StatusFilter::Active => "e.status = 'active'",
            StatusFilter::Deactivated => "e.status = 'deactivated'",
            StatusFilter::Removed => "e.status = 'removed'",
            // Not `IN (…)`: with `<>` a page walks the table in seq order and stops after one
            // page, and counts scan the small status index.
            StatusFilter::Current => "e.status <> 'removed'",
            StatusFilter::All if dialect == Dialect::Postgres => "TRUE",
            StatusFilter::All => "1",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EmployeeQuery {
    /// Matched against name, email, user name, job title, department, business unit and
    /// employee ID.
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
        let c = self.condition(q.search.as_deref(), q.status)?;
        let ListCondition {
            from, cond, key, ..
        } = &c;
        let count_sql = format!("SELECT COUNT(*) FROM {from} WHERE {cond}");
        let items_sql = format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM {from} WHERE {cond} \
             ORDER BY {key} LIMIT ?2 OFFSET ?3"
        );
        // No limit: the largest, which both engines take (PostgreSQL refuses SQLite's -1).
        let limit = if q.limit == 0 {
            i64::MAX
        } else {
            q.limit as i64
        };
        let (search, offset) = (c.search.clone(), q.offset as i64);
        let (total, items) = self
            .db
            .read_async(move |c| {
                let total = count_of(c, &count_sql, [&search])?;
                let items = employees_of(c, &items_sql, sql::params![search, limit, offset])?;
                Ok((total, items))
            })
            .await?;
        Ok(EmployeePage {
            total: total.max(0) as u64,
            items,
        })
    }

    /// Every employee matching `search` and `status`, in the directory's order, handed to `each`
    /// one at a time and read [`WALK_PAGE`] at a time: a directory of any size is listed (by the
    /// CLI) or exported in constant memory. Returns how many there were.
    pub async fn for_each_employee(
        &self,
        search: Option<&str>,
        status: StatusFilter,
        each: impl FnMut(&Employee) -> std::io::Result<()>,
    ) -> Result<u64, ExportError> {
        self.walk_employees(search, status, |_| (), each).await
    }

    /// [`Directory::for_each_employee`], telling `page` how many rows each read returned.
    async fn walk_employees(
        &self,
        search: Option<&str>,
        status: StatusFilter,
        mut page: impl FnMut(usize),
        mut each: impl FnMut(&Employee) -> std::io::Result<()>,
    ) -> Result<u64, ExportError> {
        let c = self.condition(search, status).map_err(ExportError::Read)?;
        let ListCondition {
            from, cond, key, ..
        } = &c;
        // In the directory's order, which the index also keeps (its rowid is the seq): a search
        // walks its matches without sorting them, and each page starts where the last ended.
        let sql: std::sync::Arc<str> = format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM {from} WHERE {cond} AND {key} > ?2 \
             ORDER BY {key} LIMIT ?3"
        )
        .into();
        let (mut after, mut count) = (0_i64, 0_u64);
        loop {
            let (sql, search) = (sql.clone(), c.search.clone());
            let batch = self
                .db
                .read_async(move |c| employees_of(c, &sql, sql::params![search, after, WALK_PAGE]))
                .await
                .map_err(ExportError::Read)?;
            page(batch.len());
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
        let connection_id = connection_id.to_owned();
        Ok(self
            .db
            .read_async(move |c| {
                let sql = matching_sql(c.dialect());
                employees_of(c, &sql, sql::params![connection_id, ids, names])
            })
            .await?)
    }

    /// Every active employee of `connection_id`, read a thousand at a time and handed to `each`.
    pub async fn for_each_active_of_connection(
        &self,
        connection_id: &str,
        mut each: impl FnMut(&Employee),
    ) -> Result<u64, DirectoryError> {
        let sql: std::sync::Arc<str> = format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE e.connection_id = ?1 \
             AND e.status = 'active' AND e.seq > ?2 ORDER BY e.seq LIMIT 1000"
        )
        .into();
        let (mut after, mut count) = (0_i64, 0_u64);
        loop {
            let (sql, connection_id) = (sql.clone(), connection_id.to_owned());
            let batch = self
                .db
                .read_async(move |c| employees_of(c, &sql, sql::params![connection_id, after]))
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
        use sql::OptionalExtension;
        let id = id.to_owned();
        Ok(self
            .db
            .read_async(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE e.id = ?"
                ))?
                .query_row([&id], employee_row)
                .optional()
            })
            .await?)
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
    /// The custom fields, in the order the admin defined them: the table's extra columns.
    pub custom_fields: Vec<super::attribute_map::CustomFieldColumn>,
}

/// The fields the Employees search looks in, as SQL over `e`: a search matches an employee when
/// one of them contains it, without regard to ASCII case (SQLite's `LIKE`). The index
/// (migration 0011) holds the same fields.
const SEARCHED: [&str; 9] = [
    "e.display_name",
    "e.email",
    "e.user_name",
    "e.first_name || ' ' || e.last_name",
    "e.job_title",
    "e.department",
    "e.business_unit",
    "e.employee_id",
    // The custom values, one a line (none: NULL, which matches nothing).
    "CASE WHEN e.custom = '{}' THEN NULL ELSE \
     (SELECT group_concat(value, char(10)) FROM json_each(e.custom)) END",
];

/// [`SEARCHED`] on PostgreSQL: the same fields, the custom values through the function that
/// their trigram index is built on (migrations-pg, `employee_custom_values`).
const SEARCHED_PG: [&str; 9] = [
    "e.display_name",
    "e.email",
    "e.user_name",
    "e.first_name || ' ' || e.last_name",
    "e.job_title",
    "e.department",
    "e.business_unit",
    "e.employee_id",
    "employee_custom_values(e.custom)",
];

/// `text` with ASCII letters lowercased and every other character kept, in PostgreSQL: what
/// SQLite's LIKE and NOCASE compare (PostgreSQL's `lower()` and ILIKE fold every letter, which
/// would find "é" in "É" where SQLite does not).
fn pg_ascii_lower(text: &str) -> String {
    format!("translate({text}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')")
}

/// The search (`?1`) as the body of a `LIKE` pattern: its `\`, `%` and `_` taken literally.
const ESCAPED: &str = r"replace(replace(replace(?1, '\', '\\'), '%', '\%'), '_', '\_')";

/// The trigram index finds searches of at least this many characters; shorter ones have no
/// trigram and are checked row by row.
const INDEXED_CHARS: usize = 3;

/// The search and status as SQL: which tables, which condition, which key orders them. The
/// trimmed search is `?1`.
struct ListCondition {
    /// The employees `e`; for a search the index finds, its matches `s` joined to their rows
    /// (`CROSS JOIN`: the index drives, so a rare search never walks the table).
    from: &'static str,
    /// As `from`, for counts: without the index, the small status index (each row's seq).
    count_from: &'static str,
    cond: String,
    /// The directory's order: `e.seq`, or the index's rowid (the same number), which the
    /// index returns in order.
    key: &'static str,
    search: Option<String>,
    /// The database's SQL, for the statements built on this condition ([`ranked_sql`]).
    dialect: Dialect,
}

/// When a search of more than three characters is better read from one of its trigrams than as
/// a whole phrase: when its rarest trigram is this common (see [`rarest_trigram`]).
///
/// The index answers a phrase by intersecting the lists of all its trigrams and checking their
/// positions in every common row, about 2–3 µs a row at a million employees: a search that
/// thousands of employees match ("amily42" in 11,000 "Family42…") spent 60 ms there, mostly in
/// lists of a million ("ami", in every "Family"). Its rarest trigram's list alone holds every
/// match (each match contains every trigram of the search), is read in a fraction of a
/// millisecond, and the exact check that follows (under 1 µs a row) keeps only the real
/// matches. When the rarest trigram is rare, the phrase is cheap and exact: it stays.
const TRIGRAM_READ: std::ops::RangeInclusive<i64> = 8_000..=15_000;

/// The position (in characters) of the search's rarest trigram, when the number of employees
/// that have it is in `worth` (see [`TRIGRAM_READ`]); `None` to read the whole phrase. No list
/// is read further than it needs: first each trigram up to `worth`'s start (one below it means
/// the phrase, at once), then each up to the rarest so far.
fn rarest_trigram(
    c: &crate::db::sql::Connection,
    search: &str,
    worth: &std::ops::RangeInclusive<i64>,
) -> crate::db::sql::Result<Option<usize>> {
    let chars: Vec<char> = search.chars().collect();
    if chars.len() <= INDEXED_CHARS {
        return Ok(None);
    }
    let mut seen = std::collections::HashSet::new();
    let trigrams: Vec<(usize, String)> = (0..=chars.len() - INDEXED_CHARS)
        .map(|start| {
            let trigram: String = chars[start..start + INDEXED_CHARS].iter().collect();
            (start, format!("\"{}\"", trigram.replace('"', "\"\"")))
        })
        .filter(|(_, phrase)| seen.insert(phrase.to_lowercase()))
        .collect();
    let mut count = c.prepare_cached(
        "SELECT COUNT(*) FROM (SELECT 1 FROM employees_search WHERE fields MATCH ?1 LIMIT ?2)",
    )?;
    let mut counted = |phrase: &str, cap: i64| -> crate::db::sql::Result<i64> {
        count.query_row(crate::db::sql::params![phrase, cap], |r| r.get(0))
    };
    for (_, phrase) in &trigrams {
        if counted(phrase, *worth.start())? < *worth.start() {
            return Ok(None);
        }
    }
    let mut best: Option<(i64, usize)> = None;
    for (start, phrase) in &trigrams {
        let cap = best.map_or(*worth.end() + 1, |(n, _)| n);
        let n = counted(phrase, cap)?;
        if n < cap {
            best = Some((n, *start));
        }
    }
    Ok(best.map(|(_, start)| start))
}

impl Directory {
    /// The search and status as SQL ([`list_condition`]), the index started where it reads least
    /// ([`rarest_trigram`]).
    fn condition(
        &self,
        search: Option<&str>,
        status: impl Into<StatusFilter>,
    ) -> Result<ListCondition, StoreError> {
        let text = search.map(str::trim).filter(|s| !s.is_empty());
        let dialect = self.db.dialect();
        let start = match (text, dialect) {
            (Some(text), Dialect::Sqlite) => {
                self.db.read(|c| rarest_trigram(c, text, &TRIGRAM_READ))?
            }
            // PostgreSQL's trigram index has no FTS5 phrase to start elsewhere.
            _ => None,
        };
        Ok(list_condition_from(dialect, search, status, start))
    }
}

/// The search and status as SQL, with the search as `?1`; the index reads the whole phrase.
#[cfg(test)]
fn list_condition(search: Option<&str>, status: impl Into<StatusFilter>) -> ListCondition {
    list_condition_from(Dialect::Sqlite, search, status, None)
}

/// The search and status as SQL, with the search as `?1`; the index reads the trigram at `start`
/// (characters) when given, else the whole phrase.
fn list_condition_from(
    dialect: Dialect,
    search: Option<&str>,
    status: impl Into<StatusFilter>,
    start: Option<usize>,
) -> ListCondition {
    if dialect == Dialect::Postgres {
        return pg_list_condition(search, status);
    }
    let status = status.into().condition(dialect);
    let search = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let Some(text) = &search else {
        // Without a search the condition names no other column, so counts stay inside the index.
        return ListCondition {
            from: "employees e",
            count_from: "employees e INDEXED BY employees_status",
            cond: format!("{status} AND CAST(?1 AS TEXT) IS NULL"),
            key: "e.seq",
            search,
            dialect,
        };
    };
    // The exact check, also behind the index: the index finds a superset (it folds case beyond
    // ASCII, and one of its rows joins every field), and this keeps the results those of the
    // substring search the app always had.
    let contains = SEARCHED
        .iter()
        .map(|f| format!("{f} LIKE ('%' || {ESCAPED} || '%') ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    if text.chars().count() < INDEXED_CHARS {
        return ListCondition {
            from: "employees e",
            count_from: "employees e INDEXED BY employees_status",
            cond: format!("{status} AND ({contains})"),
            key: "e.seq",
            search,
            dialect,
        };
    }
    // The search (or its rarest trigram) as one quoted FTS5 phrase: with the trigram tokenizer,
    // "contains this text". SQLite's substr counts characters, as `rarest_trigram` does.
    let phrase = match start {
        Some(start) => format!("substr(?1, {}, {INDEXED_CHARS})", start + 1),
        None => "?1".to_owned(),
    };
    ListCondition {
        from: "employees_search s CROSS JOIN employees e",
        count_from: "employees_search s CROSS JOIN employees e",
        cond: format!(
            "s.fields MATCH ('\"' || replace({phrase}, '\"', '\"\"') || '\"') \
             AND e.seq = s.rowid AND {status} AND ({contains})"
        ),
        key: "s.rowid",
        search,
        dialect,
    }
}

/// [`list_condition_from`] on PostgreSQL. A search of three characters or more is found by the
/// trigram GIN indexes on `lower(field)` (migrations-pg): each field's `lower(field) LIKE
/// '%' || lower(search) || '%'` is an index condition, their OR a union of index scans. The
/// indexes fold every letter, so they find a superset; the exact check (ASCII letters without
/// case, everything else as it is: SQLite's LIKE) keeps the results SQLite's.
fn pg_list_condition(search: Option<&str>, status: impl Into<StatusFilter>) -> ListCondition {
    let dialect = Dialect::Postgres;
    let status = status.into().condition(dialect);
    let search = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let Some(text) = &search else {
        return ListCondition {
            from: "employees e",
            count_from: "employees e",
            // Typed: PostgreSQL cannot tell the type of a parameter only tested for NULL.
            cond: format!("{status} AND CAST(?1 AS TEXT) IS NULL"),
            key: "e.seq",
            search,
            dialect,
        };
    };
    let needle = pg_ascii_lower("?1");
    let indexed = text.chars().count() >= INDEXED_CHARS;
    let contains = SEARCHED_PG
        .iter()
        .map(|f| {
            let exact = format!("strpos({}, {needle}) > 0", pg_ascii_lower(f));
            if indexed {
                format!(
                    "(lower({f}) LIKE ('%' || lower({ESCAPED}) || '%') ESCAPE '\\' AND {exact})"
                )
            } else {
                format!("({exact})")
            }
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    ListCondition {
        from: "employees e",
        count_from: "employees e",
        cond: format!("{status} AND ({contains})"),
        key: "e.seq",
        search,
        dialect,
    }
}

fn page_sql(c: &ListCondition, bound: &str, order: &str) -> String {
    let ListCondition {
        from, cond, key, ..
    } = c;
    format!(
        "SELECT {EMPLOYEE_COLUMNS} FROM {from} WHERE {cond} AND {bound} \
         ORDER BY {key} {order} LIMIT ?2"
    )
}

/// Where a search places an employee: 0 when the email or employee ID is the search (the admin
/// pasted one), 1 when a field starts with it (a name being typed), 2 for the rest.
fn rank_sql(dialect: Dialect) -> String {
    if dialect == Dialect::Postgres {
        // The same ranks, ASCII letters without case as SQLite's NOCASE and LIKE.
        let needle = pg_ascii_lower("?1");
        let starts = SEARCHED_PG
            .iter()
            .chain(&["e.last_name"])
            .map(|f| format!("starts_with({}, {needle})", pg_ascii_lower(f)))
            .collect::<Vec<_>>()
            .join(" OR ");
        return format!(
            "CASE WHEN {email} = {needle} OR {employee_id} = {needle} THEN 0 \
             WHEN {starts} THEN 1 ELSE 2 END",
            email = pg_ascii_lower("e.email"),
            employee_id = pg_ascii_lower("e.employee_id"),
        );
    }
    let starts = SEARCHED
        .iter()
        .chain(&["e.last_name"])
        .map(|f| format!("{f} LIKE ({ESCAPED} || '%') ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "CASE WHEN e.email = ?1 COLLATE NOCASE OR e.employee_id = ?1 COLLATE NOCASE THEN 0 \
         WHEN {starts} THEN 1 ELSE 2 END"
    )
}

/// The matches of a search, ranked: each one's key (`seq`) and `rank`, as the CTE `k`.
fn ranked_sql(c: &ListCondition) -> String {
    let ListCondition {
        from, cond, key, ..
    } = c;
    format!(
        "WITH k AS (SELECT {key} AS seq, {rank} AS rank FROM {from} WHERE {cond})",
        rank = rank_sql(c.dialect)
    )
}

/// A page cursor: the seq of a row, and in a search its rank before it (`rank:seq`).
fn cursor(e: &Employee, ranked: bool) -> String {
    if ranked {
        format!("{}:{}", e.rank, e.seq)
    } else {
        e.seq.to_string()
    }
}

/// `(rank, seq)` from a cursor of [`cursor`].
fn parse_cursor(c: &str, ranked: bool) -> Result<(i64, i64), DirectoryError> {
    let parsed = if ranked {
        c.split_once(':')
            .and_then(|(r, s)| Some((r.parse().ok()?, s.parse().ok()?)))
    } else {
        c.parse().ok().map(|s| (0, s))
    };
    parsed
        .ok_or_else(|| ScimError::new(400, None, "The page cursor is not valid; start again."))
        .map_err(DirectoryError::from)
}

impl Directory {
    /// How many employees are active and deactivated (removed ones are not counted).
    pub async fn status_counts(&self) -> Result<(u64, u64), DirectoryError> {
        let (active, deactivated): (i64, i64) = self
            .db
            .read_async(|c| {
                c.prepare_cached(
                    "SELECT \
                     COALESCE(CAST(SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS BIGINT), 0), \
                     COALESCE(CAST(SUM(CASE WHEN status = 'deactivated' THEN 1 ELSE 0 END) AS BIGINT), 0) \
                     FROM employees WHERE status IN ('active', 'deactivated')",
                )?
                .query_row((), |r| Ok((r.get(0)?, r.get(1)?)))
            })
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
        let c = self.condition(q.search.as_deref(), q.status)?;
        // A search's pages are in rank order, then the directory's; a list's in the directory's.
        if c.search.is_some() {
            return self.ranked_page(q, &c, limit).await;
        }
        let (key, count_from, cond) = (c.key, c.count_from, &c.cond);
        let before = |(_, seq): (i64, i64), op: &str| format!("{key} {op} {seq}");
        let (bound, descending) = match (&q.after, &q.before, q.last) {
            (_, _, true) => ("TRUE".to_owned(), true),
            (Some(after), _, _) => (before(parse_cursor(after, false)?, ">"), false),
            (None, Some(b), _) => (before(parse_cursor(b, false)?, "<"), true),
            (None, None, false) => ("TRUE".to_owned(), false),
        };
        let order = if descending { "DESC" } else { "ASC" };
        let sql = page_sql(&c, &bound, order);
        // One row more than the page tells whether there is another page in that direction.
        let count_sql = format!("SELECT COUNT(*) FROM {count_from} WHERE {cond}");
        let before_sql = format!("SELECT COUNT(*) FROM {count_from} WHERE {cond} AND {key} < ?2");
        let first_page = q.after.is_none() && q.before.is_none() && !q.last;
        let search = c.search.clone();
        let (items, more, total, offset) = self
            .db
            .read_async(move |c| {
                // Not cached: the cursor is in the text, so each page's statement is new.
                let mut items = c
                    .prepare(&sql)?
                    .query_map(sql::params![search, limit + 1], employee_row)?
                    .collect::<sql::Result<Vec<_>>>()?;
                let more = items.len() as i64 > limit;
                items.truncate(limit as usize);
                if descending {
                    items.reverse();
                }
                let total = count_of(c, &count_sql, [&search])?;
                let offset: i64 = match items.first() {
                    // The first page starts at 0: no need to count (in a search, that is ranking
                    // every match once more).
                    None => 0,
                    Some(_) if first_page => 0,
                    Some(first) => count_of(c, &before_sql, sql::params![search, first.seq])?,
                };
                Ok((items, more, total, offset))
            })
            .await?;
        let (first, last) = (items.first(), items.last());
        let (first, last) = (
            first.map(|e| cursor(e, false)),
            last.map(|e| cursor(e, false)),
        );
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
            next: last.filter(|_| has_next),
            prev: first.filter(|_| has_prev),
            items,
            custom_fields: self.custom_fields()?,
        })
    }

    /// A page of a search: in rank order, then the directory's. One pass over the matches
    /// ranks them, counts them (the total) and counts those before the cursor (the offset);
    /// then only the page's rows are read.
    async fn ranked_page(
        &self,
        q: &EmployeeListQuery,
        c: &ListCondition,
        limit: i64,
    ) -> Result<EmployeeListPage, DirectoryError> {
        // `(bound, counted, descending)`: which keys the page takes, which ones `n` counts.
        let (bound, counted, descending) = match (&q.after, &q.before, q.last) {
            (_, _, true) => ("TRUE".to_owned(), "FALSE".to_owned(), true),
            (Some(after), _, _) => {
                let (r, s) = parse_cursor(after, true)?;
                (
                    format!("(rank, seq) > ({r}, {s})"),
                    format!("(rank, seq) <= ({r}, {s})"),
                    false,
                )
            }
            (None, Some(before), _) => {
                let (r, s) = parse_cursor(before, true)?;
                let cmp = format!("(rank, seq) < ({r}, {s})");
                (cmp.clone(), cmp, true)
            }
            (None, None, false) => ("TRUE".to_owned(), "FALSE".to_owned(), false),
        };
        let order = if descending { "DESC" } else { "ASC" };
        let keys_sql = format!(
            "{ranked}, w AS (SELECT seq, rank, COUNT(*) OVER () AS total, \
               SUM(CASE WHEN {counted} THEN 1 ELSE 0 END) OVER () AS n FROM k) \
             SELECT seq, rank, total, n FROM w WHERE {bound} \
             ORDER BY rank {order}, seq {order} LIMIT ?2",
            ranked = ranked_sql(c)
        );
        // One row more than the page tells whether there is another page in that direction.
        let count_sql = format!("SELECT COUNT(*) FROM {} WHERE {}", c.count_from, c.cond);
        let search = c.search.clone();
        let (keys, more, total, n, mut rows) = self
            .db
            .read_async(move |c| {
                // Not cached: the cursor is in the text.
                let mut keys: Vec<(i64, i64, i64, i64)> = c
                    .prepare(&keys_sql)?
                    .query_map(sql::params![search, limit + 1], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })?
                    .collect::<sql::Result<_>>()?;
                let more = keys.len() as i64 > limit;
                keys.truncate(limit as usize);
                if descending {
                    keys.reverse();
                }
                let (total, n) = match keys.first() {
                    Some(&(_, _, total, n)) => (total, n),
                    // No key on this side of the cursor: the total is counted on its own.
                    None => (count_of(c, &count_sql, [&search])?, 0),
                };
                let seqs = serde_json::to_string(&keys.iter().map(|k| k.0).collect::<Vec<_>>())
                    .unwrap_or_else(|_| "[]".to_owned());
                let rows: std::collections::HashMap<i64, Employee> = employees_of(
                    c,
                    &format!(
                        "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE e.seq IN ({})",
                        c.pick(
                            "SELECT value FROM json_each(?1)",
                            "SELECT CAST(value AS BIGINT) \
                             FROM jsonb_array_elements_text(CAST(?1 AS JSONB))"
                        )
                    ),
                    [seqs],
                )?
                .into_iter()
                .map(|e| (e.seq, e))
                .collect();
                Ok((keys, more, total, n, rows))
            })
            .await?;
        let items: Vec<Employee> = keys
            .iter()
            .filter_map(|&(seq, rank, _, _)| {
                let mut e = rows.remove(&seq)?;
                e.rank = rank;
                Some(e)
            })
            .collect();
        let shown = items.len() as i64;
        let offset = match (&q.after, &q.before, q.last) {
            (_, _, true) => total - shown,
            (Some(_), _, _) => n,
            (None, Some(_), _) => n - shown,
            (None, None, false) => 0,
        };
        let (has_next, has_prev) = match (descending, q.last) {
            (_, true) => (false, more),
            (true, false) => (true, more),
            (false, false) => (more, q.after.is_some()),
        };
        let has_prev = has_prev && offset > 0;
        Ok(EmployeeListPage {
            total: total.max(0) as u64,
            offset: offset.max(0) as u64,
            next: items.last().filter(|_| has_next).map(|e| cursor(e, true)),
            prev: items.first().filter(|_| has_prev).map(|e| cursor(e, true)),
            items,
            custom_fields: self.custom_fields()?,
        })
    }

    /// Writes every employee matching `q` (paging ignored) as CSV to `path`, and returns how many.
    /// The file appears whole or not at all: it is written beside `path` and renamed into place.
    pub async fn export_csv(
        &self,
        q: &EmployeeListQuery,
        path: &std::path::Path,
    ) -> Result<u64, ExportError> {
        self.export_csv_with_progress(q, path, |_| ()).await
    }

    /// [`Directory::export_csv`], telling `progress` how far it is: once before the first row
    /// (nothing written, and how many there will be), every [`EXPORT_PROGRESS_ROWS`] rows, and
    /// once the file is in place. Rows are read [`WALK_PAGE`] at a time and written as they come,
    /// so a directory of any size exports in the memory of one page of rows.
    pub async fn export_csv_with_progress(
        &self,
        q: &EmployeeListQuery,
        path: &std::path::Path,
        mut progress: impl FnMut(ExportProgress),
    ) -> Result<u64, ExportError> {
        let c = self
            .condition(q.search.as_deref(), q.status)
            .map_err(ExportError::Read)?;
        let count_sql = format!("SELECT COUNT(*) FROM {} WHERE {}", c.count_from, c.cond);
        let search = c.search.clone();
        let total: i64 = self
            .db
            .read_async(move |c| count_of(c, &count_sql, [&search]))
            .await
            .map_err(ExportError::Read)?;
        // Rows may arrive while exporting: the total is what there was when it started.
        let total = total.max(0) as u64;
        progress(ExportProgress {
            written: 0,
            total,
            done: false,
        });
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(ExportError::Io)?;
        let columns = self.custom_fields().map_err(|e| match e {
            DirectoryError::Store(s) => ExportError::Read(s),
            DirectoryError::Refused(r) => ExportError::Io(std::io::Error::other(r.detail)),
        })?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(tmp));
        writer
            .write_record(
                CSV_HEADER
                    .iter()
                    .copied()
                    .chain(columns.iter().map(|c| c.label.as_str())),
            )
            .map_err(ExportError::Csv)?;
        let mut written = 0_u64;
        let count = self
            .for_each_employee(q.search.as_deref(), q.status.into(), |e| {
                let base = csv_record(e);
                if columns.is_empty() {
                    writer.write_record(base.iter().map(|c| c.as_bytes()))
                } else {
                    let custom: Vec<_> = columns
                        .iter()
                        .map(|c| spreadsheet_text(e.custom.get(&c.key).map_or("", String::as_str)))
                        .collect();
                    writer.write_record(base.iter().chain(&custom).map(|c| c.as_bytes()))
                }
                .map_err(std::io::Error::from)?;
                written += 1;
                if written % EXPORT_PROGRESS_ROWS == 0 {
                    progress(ExportProgress {
                        written,
                        total: total.max(written),
                        done: false,
                    });
                }
                Ok(())
            })
            .await?;
        let file = writer
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))?
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))?;
        file.as_file().sync_all().map_err(ExportError::Io)?;
        file.persist(path).map_err(|e| ExportError::Io(e.error))?;
        progress(ExportProgress {
            written: count,
            total: count,
            done: true,
        });
        Ok(count)
    }
}

/// How often a CSV export says how far it is, in rows.
pub const EXPORT_PROGRESS_ROWS: u64 = 10_000;

/// How far a CSV export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportProgress {
    pub written: u64,
    /// How many there are to write (at least `written`).
    pub total: u64,
    /// The file is written and in place.
    pub done: bool,
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
fn matching_sql(dialect: sql::Dialect) -> String {
    if dialect == sql::Dialect::Postgres {
        // The same lookups, the JSON arrays of ids and names unnested as PostgreSQL does.
        return format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e \
             WHERE e.connection_id = ?1 AND e.status <> 'removed' AND e.seq IN ( \
               SELECT seq FROM employees \
                 WHERE id IN (SELECT jsonb_array_elements_text(?2::jsonb)) \
               UNION SELECT seq FROM employees WHERE status <> 'removed' \
                 AND user_name COLLATE NOCASE IN (SELECT jsonb_array_elements_text(?3::jsonb)) \
               UNION SELECT seq FROM employees \
                 WHERE email COLLATE NOCASE IN (SELECT jsonb_array_elements_text(?3::jsonb)))"
        );
    }
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

    async fn directory() -> (tempfile::TempDir, Directory) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).await.unwrap();
        let (events, _) = tokio::sync::broadcast::channel(16);
        (dir, Directory::new(db, events))
    }

    fn context() -> super::super::WriteContext {
        super::super::WriteContext {
            connection_id: "c1".into(),
            connection_name: "Okta".into(),
            provider: crate::connections::Provider::Okta,
            base_url: "http://127.0.0.1:1/scim/v2/c1".into(),
        }
    }

    /// Every match of `search`, walked through the app's pages of `limit`, checking on the way
    /// that each page's offset and total agree with the walk.
    async fn walk(d: &Directory, search: &str, status: StatusChoice, limit: u32) -> Vec<Employee> {
        let mut q = EmployeeListQuery {
            search: Some(search.into()),
            status,
            limit,
            ..Default::default()
        };
        let mut seen: Vec<Employee> = Vec::new();
        let mut total = None;
        loop {
            let page = d.employee_page(&q).await.unwrap();
            assert_eq!(page.offset, seen.len() as u64, "{search:?}");
            assert_eq!(*total.get_or_insert(page.total), page.total, "{search:?}");
            seen.extend(page.items);
            match page.next {
                Some(next) => q.after = Some(next),
                None => break,
            }
        }
        assert_eq!(total, Some(seen.len() as u64), "{search:?}");
        seen
    }

    async fn found(d: &Directory, search: &str, status: StatusChoice) -> Vec<String> {
        let mut ids: Vec<String> = walk(d, search, status, 500)
            .await
            .into_iter()
            .map(|e| e.user_name)
            .collect();
        ids.sort();
        ids
    }

    fn patch(value: serde_json::Value) -> serde_json::Value {
        serde_json::json!({
            "schemas": [crate::scim::urn::PATCH_OP_SCHEMA],
            "Operations": [value],
        })
    }

    /// The index follows every kind of write, inside the write's own transaction: a create
    /// (SCIM and bulk import), a change of a searched field, a deactivation, a SCIM DELETE and
    /// a row deleted outright. Searches of three characters and more go through the index.
    #[tokio::test]
    async fn the_search_index_follows_every_write() {
        let (_dir, d) = directory().await;
        let ctx = context();
        let all = StatusChoice::All;
        let user = serde_json::json!({
            "schemas": [crate::scim::schema::USER_SCHEMA, crate::scim::schema::ENTERPRISE_USER_SCHEMA],
            "userName": "maria.garcia@example.com",
            "name": {"givenName": "María", "familyName": "García"},
            "emails": [{"value": "maria.garcia@example.com", "primary": true}],
            "title": "Payroll Specialist",
            "active": true,
            crate::scim::schema::ENTERPRISE_USER_SCHEMA: {
                "department": "Finance", "division": "Northwind Holdings", "employeeNumber": "E-20931",
            },
        });
        let id = d.create_user(&ctx, user).await.unwrap().id().to_owned();
        d.import_users(&ctx, (0..3).map(super::super::bulk::synthetic_user))
            .await
            .unwrap();
        let maria = ["maria.garcia@example.com".to_owned()];
        for q in [
            "Payroll",
            "roll spec",
            "northwind",
            "E-20931",
            "ía Gar",
            "GARCIA@EX",
        ] {
            assert_eq!(found(&d, q, all).await, maria, "{q:?}");
        }
        assert_eq!(found(&d, "Given2 ", all).await, ["seed-2@seed.example"]);

        d.patch_user(
            &ctx,
            &id,
            &patch(serde_json::json!({"op": "replace", "path": "title", "value": "Chief Yodeler"})),
            None,
        )
        .await
        .unwrap();
        assert!(found(&d, "Payroll", all).await.is_empty());
        assert_eq!(found(&d, "yodel", all).await, maria);

        d.patch_user(
            &ctx,
            &id,
            &patch(serde_json::json!({"op": "replace", "path": "active", "value": false})),
            None,
        )
        .await
        .unwrap();
        assert!(found(&d, "yodel", StatusChoice::Active).await.is_empty());
        assert_eq!(found(&d, "yodel", StatusChoice::Deactivated).await, maria);

        d.delete_user(&ctx, &id, None).await.unwrap();
        assert!(
            found(&d, "yodel", all).await.is_empty(),
            "removed records are not listed"
        );
        let removed = d
            .employees(&EmployeeQuery {
                search: Some("yodel".into()),
                status: StatusFilter::Removed,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(removed.total, 1);

        d.db.write(|c| {
            c.execute(
                "DELETE FROM employees WHERE user_name = 'seed-2@seed.example'",
                (),
            )
            .map_err(StoreError::from)
        })
        .await
        .unwrap();
        assert!(found(&d, "Given2 ", all).await.is_empty());
        // One index row per employee, no more: nothing deleted or replaced left its row behind.
        let (rows, indexed): (i64, i64) =
            d.db.read(|c| {
                c.query_row(
                    "SELECT (SELECT COUNT(*) FROM employees), \
                     (SELECT COUNT(*) FROM employees_search_docsize)",
                    (),
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .unwrap();
        assert_eq!((rows, indexed), (3, 3));
    }

    /// A row of the data set: display name, email, user name, first, last, title, department,
    /// business unit, employee ID, status.
    type Row = [Option<&'static str>; 10];

    /// What the search always meant, written out: a field contains the search, ASCII letters
    /// compared without case and every other character exactly (SQLite's `LIKE`).
    fn contains(row: &Row, search: &str) -> bool {
        let needle = search.trim().to_ascii_lowercase();
        let full_name = match (row[3], row[4]) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            _ => None,
        };
        let fields = [
            row[0],
            row[1],
            row[2],
            full_name.as_deref(),
            row[5],
            row[6],
            row[7],
            row[8],
        ];
        fields
            .iter()
            .flatten()
            .any(|f| f.to_ascii_lowercase().contains(&needle))
    }

    /// Inserts `rows` as employees `id-<n>`, in order, straight into the table (the index's
    /// triggers run as for any write).
    async fn insert(d: &Directory, rows: Vec<Row>) {
        d.db.write(move |c| {
            let mut insert = c.prepare(
                "INSERT INTO employees (id, display_name, email, user_name, first_name, \
                 last_name, job_title, department, business_unit, employee_id, status, active, \
                 doc, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
                 CASE WHEN ?11 = 'active' THEN 1 ELSE 0 END, '{}', \
                 '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')",
            )?;
            for (i, r) in rows.iter().enumerate() {
                let id = format!("id-{i}");
                insert.execute(crate::db::sql::params![
                    id, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]
                ])?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    }

    /// A long search starts the index at its rarest trigram: every "Family…" shares "ami",
    /// only two people have "ly4"; the results are exactly the substring's all the same (the
    /// trigram alone also finds "Sly420", which the exact check drops).
    #[tokio::test]
    async fn a_long_search_reads_the_index_from_its_rarest_trigram() {
        let (_dir, d) = directory().await;
        let mut rows: Vec<Row> = (0..40)
            .map(|i| {
                let user: &'static str = Box::leak(format!("u{i}@corp.example").into_boxed_str());
                [
                    None,
                    None,
                    Some(user),
                    Some("Given"),
                    Some("Family7"),
                    None,
                    None,
                    None,
                    None,
                    Some("active"),
                ]
            })
            .collect();
        rows.push([
            None,
            None,
            Some("f42@corp.example"),
            Some("Given"),
            Some("Family42"),
            None,
            None,
            None,
            None,
            Some("active"),
        ]);
        rows.push([
            None,
            None,
            Some("sly@corp.example"),
            Some("Sly420"),
            Some("Blue"),
            None,
            None,
            None,
            None,
            Some("active"),
        ]);
        insert(&d, rows).await;
        let rarest = |search: &'static str, worth: std::ops::RangeInclusive<i64>| {
            d.db.read(move |c| rarest_trigram(c, search, &worth))
                .unwrap()
        };
        assert_eq!(
            rarest("amily42", 2..=10),
            Some(3),
            "'ly4', the first of the rarest"
        );
        assert_eq!(
            rarest("amily42", 3..=10),
            None,
            "'ly4' is rare enough for the phrase"
        );
        assert_eq!(
            rarest("amily7", 2..=10),
            None,
            "every trigram is too common"
        );
        assert_eq!(
            rarest("amily7", 2..=40),
            Some(3),
            "'ly7': 40 is not too common"
        );
        assert_eq!(rarest("ami", 0..=10), None, "a trigram is itself");
        assert_eq!(
            rarest("nowhere", 1..=10),
            None,
            "nobody has 'now': the phrase, at once"
        );
        assert_eq!(
            found(&d, "amily42", StatusChoice::All).await,
            ["f42@corp.example"]
        );
        assert_eq!(
            found(&d, "AMILY4", StatusChoice::All).await,
            ["f42@corp.example"]
        );
        assert_eq!(
            found(&d, "nowhere", StatusChoice::All).await,
            Vec::<String>::new()
        );
        assert_eq!(found(&d, "amily7", StatusChoice::All).await.len(), 40);
    }

    /// A search lists an exact email or employee ID first, then employees with a field that
    /// starts with the search, then the rest, each group in the directory's order; pages
    /// forward, backward and from the last page agree, with their offsets and total.
    #[tokio::test]
    async fn a_search_ranks_exact_email_or_employee_id_then_prefixes_then_the_rest() {
        let (_dir, d) = directory().await;
        let row = |user: &'static str, first, last, title, dept, emp_id| -> Row {
            [
                None,
                Some(user),
                Some(user),
                first,
                last,
                title,
                dept,
                None,
                emp_id,
                Some("active"),
            ]
        };
        insert(
            &d,
            vec![
                row(
                    "alissa@example.com",
                    Some("Alissa"),
                    Some("Samuels"),
                    None,
                    None,
                    None,
                ),
                row(
                    "jo@example.com",
                    Some("Jo"),
                    Some("Ng"),
                    Some("Head of Jusam"),
                    None,
                    None,
                ),
                row("tsam@example.com", Some("T"), Some("Sam"), None, None, None),
                row(
                    "lab@example.com",
                    None,
                    None,
                    None,
                    Some("Osamu Lab"),
                    Some("SAM"),
                ),
                row(
                    "samir@example.com",
                    Some("Samir"),
                    Some("Haddad"),
                    None,
                    None,
                    None,
                ),
                row(
                    "sam@example.com.old",
                    None,
                    None,
                    None,
                    Some("Osamu Lab"),
                    None,
                ),
                row("sam@example.com", None, None, None, None, None),
                row(
                    "wu@example.com",
                    Some("Wu"),
                    Some("Li"),
                    None,
                    Some("Osamu Lab"),
                    None,
                ),
            ],
        )
        .await;
        let users = |es: Vec<Employee>| es.into_iter().map(|e| e.user_name).collect::<Vec<_>>();
        let expected = [
            "lab@example.com",     // employee ID "SAM"
            "alissa@example.com",  // then the prefixes: last name "Samuels"
            "tsam@example.com",    // last name "Sam"
            "samir@example.com",   // first name and email
            "sam@example.com.old", // email
            "sam@example.com",     // email ("sam" is not the whole of it)
            "jo@example.com",      // then the rest: "Head of Jusam"
            "wu@example.com",      // "Osamu Lab"
        ];
        for limit in [1, 3, 500] {
            assert_eq!(
                users(walk(&d, "sam", StatusChoice::All, limit).await),
                expected
            );
        }
        let email = users(walk(&d, "SAM@example.com", StatusChoice::All, 2).await);
        assert_eq!(
            email,
            ["sam@example.com", "sam@example.com.old", "tsam@example.com"]
        );

        // Backward from the last page, three at a time: the same order, the same offsets.
        let mut q = EmployeeListQuery {
            search: Some("sam".into()),
            limit: 3,
            last: true,
            ..Default::default()
        };
        let mut pages = Vec::new();
        loop {
            let page = d.employee_page(&q).await.unwrap();
            assert_eq!(page.total, 8);
            pages.push((page.offset, users(page.items)));
            match page.prev {
                Some(prev) => {
                    q = EmployeeListQuery {
                        before: Some(prev),
                        ..q.clone()
                    };
                    q.last = false;
                }
                None => break,
            }
        }
        pages.reverse();
        let offsets: Vec<u64> = pages.iter().map(|(o, _)| *o).collect();
        assert_eq!(offsets, [0, 2, 5]);
        let backward: Vec<String> = pages.into_iter().flat_map(|(_, u)| u).collect();
        assert_eq!(backward, expected);
    }

    /// The employees of the search tests: names and values that trip up indexes (see
    /// [`the_indexed_search_finds_exactly_what_the_substring_search_found`]).
    fn search_rows() -> Vec<Row> {
        let first = [
            "José",
            "JOSÉ",
            "Zoë",
            "Øyvind",
            "Anne-Marie",
            "İlkay",
            "Ünal",
            "ünal",
            "K",
            "Li",
            "日本",
            "Bob",
        ];
        let last = [
            "García",
            "O'Brien",
            "Straße",
            "STRASSE",
            "Müller",
            "\"Quoted\"",
            "Doe",
            "Ng",
            "\u{212a}elvin",
            "語",
        ];
        let titles = [
            "Engineer",
            "100% Remote",
            "snake_case lead",
            "a\\b tester",
            "VP, Sales & Ops",
            "😀 Chief Fun",
            "IT",
            "x",
        ];
        let depts = ["IT", "R&D", "Finance", "Ops_Team", "Dept 12", "Ventes É"];
        let units = ["Northwind", "Éclair", "north_wind", "50%"];
        let ids = ["7", "42", "E-100", "e_100", "ABC"];
        let mut rows: Vec<Row> = Vec::new();
        for i in 0..240usize {
            let pick = |xs: &[&'static str], k: usize| -> Option<&'static str> {
                (k % (xs.len() + 1) != xs.len()).then(|| xs[k % (xs.len() + 1)])
            };
            let f = pick(&first, i);
            let l = pick(&last, i / 3);
            let user = Box::leak(format!("user{i}@example.com").into_boxed_str()) as &'static str;
            let display = match (f, l) {
                (Some(f), Some(l)) if i % 4 != 0 => {
                    Some(Box::leak(format!("{f} {l}").into_boxed_str()) as &'static str)
                }
                _ => None,
            };
            let email = (i % 5 != 0).then_some(user);
            let status = ["active", "deactivated", "removed"][i % 7 % 3];
            rows.push([
                display,
                email,
                Some(user),
                f,
                l,
                pick(&titles, i / 2),
                pick(&depts, i / 5),
                pick(&units, i / 7),
                pick(&ids, i / 11),
                Some(status),
            ]);
        }
        rows
    }

    /// The searches of the search tests, over [`search_rows`].
    const SEARCHES: &[&str] = &[
        "a",
        "A",
        "é",
        "É",
        "ß",
        "ss",
        "SS",
        "%",
        "_",
        "'",
        "\"",
        "\\",
        "&",
        ",",
        "-",
        " ",
        "IT",
        "it",
        "42",
        "7",
        "Li",
        "li",
        "x",
        "語",
        "😀",
        "\u{212a}",
        "k",
        "ü",
        "Ü",
        "i",
        "İ",
        "José",
        "josé",
        "JOSÉ",
        "jos",
        "JOS",
        "rie",
        "e-M",
        "y O'",
        "o'brien",
        "0%",
        "0% r",
        "e_c",
        "E_1",
        "e-1",
        "a\\b",
        "\"Quo",
        "日本",
        "本 語",
        "😀 Ch",
        "\u{212a}elv",
        "kelvin",
        "elvin",
        "n Doe",
        "  Doe  ",
        "Dept 1",
        "dept 12",
        "ventes é",
        "VENTES É",
        "ventes",
        "éclair",
        "Éclair",
        "ÉCLAIR",
        "north_w",
        "northw",
        "50%",
        "straße",
        "strasse",
        "STRASSE",
        "müller",
        "MÜLLER",
        "user1",
        "USER2@EX",
        "@example.com",
        "zzz",
        "%%%",
        "___",
        "ünal",
        "ÜNAL",
        "Ünal",
        "ilkay",
        "İlkay",
        "sales & ops",
        "vp,",
        "e 1",
    ];

    /// The indexed search gives exactly what the substring search gave, over names and values
    /// that trip up indexes: accents in both cases, ß, Turkish İ, the Kelvin sign, CJK, emoji,
    /// `%`, `_`, quotes, backslashes, values shorter than a trigram, and searches of one and two
    /// characters. Results are compared as sets, walked through pages of 7 (totals and offsets
    /// checked on the way), for every employee and for active ones, and against the old `LIKE`;
    /// then the same on PostgreSQL (skipped, saying why, without it).
    #[tokio::test(flavor = "multi_thread")]
    async fn the_indexed_search_finds_exactly_what_the_substring_search_found() {
        let rows = search_rows();
        let (_dir, d) = directory().await;
        insert(&d, rows.clone()).await;
        indexed_search_finds_what_the_substring_search_found(&d, &rows).await;
        // The same on PostgreSQL, through its trigram indexes.
        let Some(url) = tokio::task::block_in_place(crate::db::testpg::fresh_database) else {
            return;
        };
        let (events, _) = tokio::sync::broadcast::channel(16);
        let pg = Directory::new(crate::db::Db::open_postgres(&url).await.unwrap(), events);
        insert(&pg, rows.clone()).await;
        indexed_search_finds_what_the_substring_search_found(&pg, &rows).await;
        tokio::task::block_in_place(move || drop(pg));
    }

    async fn indexed_search_finds_what_the_substring_search_found(d: &Directory, rows: &[Row]) {
        let dialect = d.db.dialect();
        let searches = SEARCHES.iter().copied();
        let old_like = format!(
            "SELECT user_name FROM employees e WHERE {} ORDER BY user_name",
            SEARCHED
                .iter()
                .map(|f| format!("{f} LIKE ?1 ESCAPE '\\'"))
                .collect::<Vec<_>>()
                .join(" OR ")
        );
        for search in searches {
            for status in [StatusChoice::All, StatusChoice::Active] {
                let mut expected: Vec<String> = rows
                    .iter()
                    .filter(|r| match status {
                        StatusChoice::Active => r[9] == Some("active"),
                        _ => r[9] != Some("removed"),
                    })
                    .filter(|r| contains(r, search))
                    .map(|r| r[2].unwrap().to_owned())
                    .collect();
                expected.sort();
                let mut paged: Vec<String> = walk(d, search, status, 7)
                    .await
                    .into_iter()
                    .map(|e| e.user_name)
                    .collect();
                paged.sort();
                assert_eq!(paged, expected, "{dialect:?} {search:?} {status:?}");
            }
            // The old query, every status: the same employees. PostgreSQL never had it (its
            // ILIKE folds every letter): the substring search written out instead.
            let old: Vec<String> = if dialect == Dialect::Sqlite {
                let pattern = like_pattern(search.trim());
                let sql = old_like.clone();
                d.db.read(move |c| {
                    c.prepare(&sql)?
                        .query_map([pattern], |r| r.get(0))?
                        .collect::<crate::db::sql::Result<Vec<String>>>()
                })
                .unwrap()
            } else {
                let mut all: Vec<String> = rows
                    .iter()
                    .filter(|r| contains(r, search))
                    .map(|r| r[2].unwrap().to_owned())
                    .collect();
                all.sort();
                all
            };
            let mut new: Vec<String> = d
                .employees(&EmployeeQuery {
                    search: Some(search.into()),
                    status: StatusFilter::All,
                    ..Default::default()
                })
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|e| e.user_name)
                .collect();
            new.sort();
            assert_eq!(new, old, "{dialect:?} {search:?}");
        }
    }

    /// The search's SQL answers alike on both engines, over the same employees written in the
    /// same order: for every search of [`SEARCHES`] and every status, the same matches (those
    /// of the substring search, ASCII letters without case), each with the same rank, in the same
    /// order, and the same count. Skipped, saying why, without PostgreSQL.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_search_finds_and_ranks_alike_on_both_engines() {
        let Some(url) = tokio::task::block_in_place(crate::db::testpg::fresh_database) else {
            return;
        };
        let rows = search_rows();
        let (_dir, lite) = directory().await;
        insert(&lite, rows.clone()).await;
        let (events, _) = tokio::sync::broadcast::channel(16);
        let pg = Directory::new(crate::db::Db::open_postgres(&url).await.unwrap(), events);
        insert(&pg, rows.clone()).await;
        /// `(seq, rank, userName)` of every match in rank order, and the count.
        fn answer(
            d: &Directory,
            search: &str,
            status: StatusChoice,
        ) -> (Vec<(i64, i64, String)>, i64) {
            let c = d.condition(Some(search), status).unwrap();
            let ranked = format!(
                "{} SELECT k.seq, k.rank, e.user_name FROM k JOIN employees e ON e.seq = k.seq \
                 ORDER BY k.rank, k.seq",
                ranked_sql(&c)
            );
            let count = format!("SELECT COUNT(*) FROM {} WHERE {}", c.count_from, c.cond);
            let text = c.search.clone();
            d.db.read(move |conn| {
                let ranked = conn
                    .prepare(&ranked)?
                    .query_map([&text], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<crate::db::sql::Result<Vec<_>>>()?;
                let count = conn.query_row(&count, [&text], |r| r.get(0))?;
                Ok::<_, crate::db::sql::Error>((ranked, count))
            })
            .unwrap()
        }
        for search in SEARCHES {
            for status in [StatusChoice::All, StatusChoice::Active] {
                let mut expected: Vec<&str> = rows
                    .iter()
                    .filter(|r| match status {
                        StatusChoice::Active => r[9] == Some("active"),
                        _ => r[9] != Some("removed"),
                    })
                    .filter(|r| contains(r, search))
                    .map(|r| r[2].unwrap())
                    .collect();
                expected.sort();
                let (on_sqlite, n_sqlite) =
                    tokio::task::block_in_place(|| answer(&lite, search, status));
                let (on_pg, n_pg) = tokio::task::block_in_place(|| answer(&pg, search, status));
                let mut found: Vec<&str> = on_pg.iter().map(|(_, _, u)| u.as_str()).collect();
                found.sort();
                assert_eq!(found, expected, "{search:?} {status:?}");
                assert_eq!(on_pg, on_sqlite, "{search:?} {status:?}");
                // The app's pages of 7: the same employees, ranks and order.
                let paged = |e: Vec<Employee>| -> Vec<(String, i64)> {
                    e.into_iter().map(|e| (e.user_name, e.rank)).collect()
                };
                assert_eq!(
                    paged(walk(&pg, search, status, 7).await),
                    paged(walk(&lite, search, status, 7).await),
                    "{search:?} {status:?}"
                );
                assert_eq!(
                    (n_pg, n_sqlite),
                    (expected.len() as i64, expected.len() as i64),
                    "{search:?} {status:?}"
                );
            }
        }
        // Without a search: every employee of the status, in the directory's order.
        for status in [StatusChoice::All, StatusChoice::Active] {
            let c = tokio::task::block_in_place(|| pg.condition(None, status).unwrap());
            let sql = format!("SELECT COUNT(*) FROM {} WHERE {}", c.count_from, c.cond);
            let n: i64 = tokio::task::block_in_place(|| {
                pg.db
                    .read(|conn| conn.query_row(&sql, [None::<String>], |r| r.get(0)))
                    .unwrap()
            });
            let expected = rows
                .iter()
                .filter(|r| match status {
                    StatusChoice::Active => r[9] == Some("active"),
                    _ => r[9] != Some("removed"),
                })
                .count();
            assert_eq!(n, expected as i64, "{status:?}");
        }
        // The sync PostgreSQL client of the idle reads may not be dropped on the runtime.
        tokio::task::block_in_place(move || drop(pg));
    }

    /// On PostgreSQL a search of three characters or more is read from the trigram indexes of
    /// every searched field (migrations-pg), never by reading the whole table: over 20,000
    /// employees, the plan of the ranked pass is a union of their scans.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_search_on_postgres_reads_the_trigram_indexes() {
        let Some(url) = tokio::task::block_in_place(crate::db::testpg::fresh_database) else {
            return;
        };
        crate::db::Db::open_postgres(&url)
            .await
            .unwrap()
            .close()
            .await;
        let plan = tokio::task::block_in_place(|| {
            let client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
            let conn = crate::db::sql::Connection::postgres(client);
            conn.execute_batch(
                "INSERT INTO employees (id, user_name, email, display_name, first_name, \
                 last_name, job_title, department, business_unit, employee_id, status, doc, \
                 custom, created_at, updated_at) \
                 SELECT 'id-' || i, 'user' || i || '@example.com', 'user' || i || '@example.com', \
                 'Person ' || i, 'Given' || i, 'Family' || i, 'Title ' || (i % 50), \
                 'Dept ' || (i % 20), 'Unit ' || (i % 7), 'E' || i, 'active', '{}', \
                 jsonb_build_object('badge', 'B' || i), \
                 '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z' \
                 FROM generate_series(1, 20000) i; ANALYZE employees",
            )
            .unwrap();
            let c = list_condition_from(Dialect::Postgres, Some("garcia"), StatusChoice::All, None);
            let sql = format!("EXPLAIN {} SELECT COUNT(*) FROM k", ranked_sql(&c));
            let lines = conn
                .prepare(&sql)
                .unwrap()
                .query_map(["garcia"], |r| r.get::<_, String>(0))
                .unwrap()
                .collect::<crate::db::sql::Result<Vec<_>>>()
                .unwrap();
            lines.join("\n")
        });
        for index in [
            "employees_search_display_name",
            "employees_search_email",
            "employees_search_user_name",
            "employees_search_full_name",
            "employees_search_job_title",
            "employees_search_department",
            "employees_search_business_unit",
            "employees_search_employee_id",
            "employees_search_custom",
        ] {
            assert!(
                plan.contains(&format!("Bitmap Index Scan on {index}")),
                "{index}: {plan}"
            );
        }
        assert!(!plan.contains("Seq Scan"), "{plan}");
    }

    /// A search the index can answer reads the index, never the whole table: the ranked pass
    /// of the app's pages, and the export's walk (in the index's own order, nothing sorted).
    #[tokio::test]
    async fn a_search_of_three_characters_reads_the_index() {
        let (_dir, d) = directory().await;
        let c = list_condition(Some("garcia"), StatusChoice::All);
        let ranked = format!("{} SELECT COUNT(*) FROM k", ranked_sql(&c));
        let p = crate::db::query_plan(&d.db, &ranked, &[&"garcia"]);
        assert!(p.contains("VIRTUAL TABLE INDEX"), "{p}");
        assert!(!p.contains("SCAN e"), "{p}");
        let walk = format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM {} WHERE {} AND {key} > ?2 ORDER BY {key} LIMIT 1000",
            c.from,
            c.cond,
            key = c.key
        );
        let p = crate::db::query_plan(&d.db, &walk, &[&"garcia", &0_i64]);
        assert!(p.contains("VIRTUAL TABLE INDEX"), "{p}");
        assert!(!p.contains("SCAN e") && !p.contains("TEMP B-TREE"), "{p}");
    }

    /// A walk of the directory (the export's, the CLI's list) reads it in pages of
    /// [`WALK_PAGE`], each handed over row by row before the next is read: 20,000 employees are
    /// never held at once, whatever the directory's size.
    #[tokio::test]
    async fn a_walk_of_many_employees_reads_them_a_page_at_a_time() {
        let (_dir, d) = directory().await;
        let n = 20_000_i64;
        d.db.write(move |c| {
            let mut insert = c.prepare(
                "INSERT INTO employees (id, user_name, status, doc, created_at, updated_at) \
                 VALUES ('id-' || ?1, 'u' || ?1, 'active', '{}', '2026-12-01T00:00:00.000Z', \
                 '2026-12-01T00:00:00.000Z')",
            )?;
            for i in 0..n {
                insert.execute([i])?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
        // Each read's rows, and how many rows had been handed over when it returned.
        let pages = std::cell::RefCell::new(Vec::new());
        let handed = std::cell::Cell::new(0_i64);
        let mut last_seq = 0;
        let count = d
            .walk_employees(
                None,
                StatusFilter::Current,
                |rows| pages.borrow_mut().push((rows as i64, handed.get())),
                |e| {
                    assert!(e.seq > last_seq, "in the directory's order");
                    last_seq = e.seq;
                    handed.set(handed.get() + 1);
                    Ok(())
                },
            )
            .await
            .unwrap();
        assert_eq!(count, n as u64);
        let pages = pages.into_inner();
        let expected: Vec<(i64, i64)> = (0..n / WALK_PAGE)
            .map(|i| (WALK_PAGE, i * WALK_PAGE))
            .chain([(0, n)])
            .collect();
        assert_eq!(
            pages, expected,
            "(rows read, rows handed over before the read)"
        );
    }

    /// The export says how far it is: when it starts (with how many there will be), every
    /// 10,000 rows, and once the file is in place; the file has every matching row.
    #[tokio::test]
    async fn an_export_reports_its_progress_and_writes_every_row() {
        let (dir, d) = directory().await;
        let n = 2 * EXPORT_PROGRESS_ROWS + 1;
        d.db.write(move |c| {
            let mut insert = c.prepare(
                "INSERT INTO employees (id, user_name, email, status, doc, created_at, \
                 updated_at) VALUES ('id-' || ?1, 'u' || ?1 || '@example.com', \
                 'u' || ?1 || '@example.com', 'active', '{}', '2026-12-01T00:00:00.000Z', \
                 '2026-12-01T00:00:00.000Z')",
            )?;
            for i in 0..n {
                insert.execute([i as i64])?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
        let path = dir.path().join("employees.csv");
        let mut seen = Vec::new();
        let written = d
            .export_csv_with_progress(&EmployeeListQuery::default(), &path, |p| seen.push(p))
            .await
            .unwrap();
        assert_eq!(written, n);
        let p = |written, done| ExportProgress {
            written,
            total: n,
            done,
        };
        assert_eq!(
            seen,
            [
                p(0, false),
                p(EXPORT_PROGRESS_ROWS, false),
                p(2 * EXPORT_PROGRESS_ROWS, false),
                p(n, true)
            ]
        );
        let csv = std::fs::read_to_string(&path).unwrap();
        assert_eq!(csv.lines().count() as u64, n + 1);

        // A search exports its matches only, and says so from the start.
        let mut seen = Vec::new();
        let q = EmployeeListQuery {
            search: Some("u1234@".into()),
            ..Default::default()
        };
        let written = d
            .export_csv_with_progress(&q, &path, |p| seen.push(p))
            .await
            .unwrap();
        assert_eq!(written, 1);
        assert_eq!(seen.first().map(|p| p.total), Some(1));
    }

    /// A directory from before the index: the migration indexes the employees already there,
    /// and they are found (and still exactly) as before.
    #[tokio::test]
    async fn migrating_a_directory_indexes_the_employees_already_there() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::database_before(dir.path(), 11).await;
        for (i, (user, title)) in [
            ("ada@example.com", "Analytical Engineer"),
            ("grace@example.com", "Rear Admiral"),
        ]
        .into_iter()
        .enumerate()
        {
            sqlx::query(
                "INSERT INTO employees (id, user_name, email, job_title, status, doc, \
                 created_at, updated_at) VALUES (?1, ?2, ?2, ?3, 'active', '{}', \
                 '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            )
            .bind(format!("id-{i}"))
            .bind(user)
            .bind(title)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        sqlx::Connection::close(conn).await.unwrap();

        let db = crate::db::Db::open(dir.path()).await.unwrap();
        let (events, _) = tokio::sync::broadcast::channel(16);
        let d = Directory::new(db, events);
        assert_eq!(
            found(&d, "admiral", StatusChoice::All).await,
            ["grace@example.com"]
        );
        assert_eq!(
            found(&d, "ENGINEER", StatusChoice::All).await,
            ["ada@example.com"]
        );
        let p = crate::db::query_plan(
            &d.db,
            &format!(
                "{} SELECT COUNT(*) FROM k",
                ranked_sql(&list_condition(Some("admiral"), StatusChoice::All))
            ),
            &[&"admiral"],
        );
        assert!(p.contains("VIRTUAL TABLE INDEX"), "{p}");
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
            let c = list_condition(None, status);
            let (cond, count_from) = (&c.cond, c.count_from);
            for (bound, order) in [
                ("1", "ASC"),
                ("e.seq > 5000", "ASC"),
                ("e.seq < 5000", "DESC"),
            ] {
                let p = plan(page_sql(&c, bound, order));
                assert!(!p.contains("TEMP B-TREE"), "{status:?} {bound}: {p}");
                let p = plan(format!(
                    "SELECT COUNT(*) FROM {count_from} WHERE {cond} AND e.seq < ?2"
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
        let p = crate::db::query_plan(
            &db,
            &matching_sql(sql::Dialect::Sqlite),
            &[&"conn", &"[\"a\"]", &"[\"b\"]"],
        );
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
