//! The employee directory: employees and groups in SQLite, and the activity log.
//!
//! Each SCIM write is one `BEGIN IMMEDIATE` transaction that reads the current state, applies the
//! change, keeps the mapped employee columns in step with the stored SCIM document, resolves
//! managers, and appends to the activity log — so an answered write and its log line are durable
//! together. Lists are filtered, sorted and paged in SQL; no request loads the whole table.

pub mod activity;
pub mod attribute_map;
pub mod bulk;
pub mod employees;
mod error;
pub mod groups;
pub mod history;
pub mod mapping;
pub mod orgchart;
pub mod rederive;
pub mod sql_filter;
pub mod users;
mod write;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::broadcast;

use crate::db::sql::Dialect;
use crate::db::Db;
use crate::events::ChangeEvent;
use crate::scim::filter::{parse_filter, Filter};
use crate::scim::list::ListQuery;
use crate::scim::ScimError;
use sql_filter::{nulls_as_sqlite, SqlFragment, SqlParam};

pub use activity::{ActivityEntry, ActivityQuery};
pub use employees::{Employee, EmployeePage, EmployeeQuery, ExportError, StatusFilter};
pub use error::DirectoryError;

#[derive(Clone)]
pub struct Directory {
    db: Db,
    events: broadcast::Sender<ChangeEvent>,
    /// Told of failed writes only the admin can fix (the app's desktop notifications).
    notices: Option<crate::notices::Notices>,
    lists: Arc<Mutex<ListCache>>,
    /// The attribute mappings writes derive employees with (see `attribute_map`).
    mappings: Arc<Mutex<attribute_map::MappingCache>>,
    /// The providers whose re-derive runs in this process's background.
    rederiving: Arc<Mutex<std::collections::HashSet<crate::connections::Provider>>>,
}

/// Totals and paging cursors of lists, valid for one `directory` generation of the database:
/// any write to employees or groups, in any process, empties it.
///
/// A cursor says "the page starting at `startIndex` S of this list starts after the row with
/// `seq` K", learned from the page before it; with it the next page of Okta's import is an index
/// seek instead of an OFFSET that counts every row before it. Without one, paging falls back to
/// OFFSET, so the answers are the same either way.
///
/// A list is known by a digest of what it selects ([`ListKey`]), not by its SQL text: a filter
/// can be kilobytes long, and every entry then costs the same few dozen bytes, so the cache is
/// bounded in bytes ([`LIST_CACHE_BYTES`]) whatever filters clients send.
#[derive(Debug, Default)]
struct ListCache {
    generation: i64,
    totals: HashMap<ListKey, u64>,
    cursors: HashMap<(ListKey, u64), i64>,
}

/// A list's identity: the first 128 bits of the SHA-256 of its table, condition and parameters.
type ListKey = [u8; 16];

fn list_key(identity: &str) -> ListKey {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(identity.as_bytes());
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// What the list cache may hold, in bytes (keys, values and the maps' own overhead).
const LIST_CACHE_BYTES: usize = 1 << 20;

/// The bytes one entry takes in a map: its key and value, plus a word of the table's overhead.
const fn entry_bytes<K, V>() -> usize {
    std::mem::size_of::<K>() + std::mem::size_of::<V>() + std::mem::size_of::<usize>()
}

/// Entries each map keeps before it starts over: half the budget each.
const TOTALS_KEPT: usize = LIST_CACHE_BYTES / 2 / entry_bytes::<ListKey, u64>();
const CURSORS_KEPT: usize = LIST_CACHE_BYTES / 2 / entry_bytes::<(ListKey, u64), i64>();

impl ListCache {
    /// Empties the cache when the directory changed since it was filled.
    fn at(&mut self, generation: i64) -> &mut Self {
        if self.generation != generation {
            self.totals.clear();
            self.cursors.clear();
            self.generation = generation;
        }
        self
    }

    fn total(&mut self, generation: i64, list: &ListKey) -> Option<u64> {
        self.at(generation).totals.get(list).copied()
    }

    fn set_total(&mut self, generation: i64, list: &ListKey, total: u64) {
        let cache = self.at(generation);
        if cache.totals.len() >= TOTALS_KEPT {
            cache.totals = HashMap::new();
        }
        cache.totals.insert(*list, total);
    }

    /// The cursor for the page at `start_index`, used up: pages are read once, in order.
    fn take_cursor(&mut self, generation: i64, list: &ListKey, start_index: u64) -> Option<i64> {
        self.at(generation).cursors.remove(&(*list, start_index))
    }

    fn set_cursor(&mut self, generation: i64, list: &ListKey, start_index: u64, after_seq: i64) {
        let cache = self.at(generation);
        if cache.cursors.len() >= CURSORS_KEPT {
            cache.cursors = HashMap::new();
        }
        cache.cursors.insert((*list, start_index), after_seq);
    }
}

/// A listed row: read from a direct reader (see `Db::read`), with its place in the default
/// order.
pub(crate) trait ListRow: Sized + Send {
    fn from_row(row: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Self>;
    fn seq(&self) -> i64;
}

fn sql_value(p: &SqlParam) -> crate::db::sql::Value {
    use crate::db::sql::Value as V;
    match p {
        SqlParam::Text(s) => V::Text(s.clone()),
        SqlParam::Int(i) => V::Integer(*i),
        SqlParam::Real(f) => V::Real(*f),
        SqlParam::Null => V::Null,
    }
}

/// Who is writing, and where the resources' absolute URLs start.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub connection_id: String,
    pub connection_name: String,
    /// The connection's identity provider, stored with each activity line it writes.
    pub provider: crate::connections::Provider,
    /// The connection's base URL, built from the configured public URL.
    pub base_url: String,
}

impl Directory {
    pub fn new(db: Db, events: broadcast::Sender<ChangeEvent>) -> Self {
        Self {
            db,
            events,
            notices: None,
            lists: Arc::default(),
            mappings: Arc::default(),
            rederiving: Arc::default(),
        }
    }

    /// Tells `notices` of every failed write, which raise one when only the admin can fix it.
    pub fn with_notices(mut self, notices: crate::notices::Notices) -> Self {
        self.notices = Some(notices);
        self
    }

    fn lists(&self) -> std::sync::MutexGuard<'_, ListCache> {
        self.lists.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn notify(&self, event: ChangeEvent) {
        let _ = self.events.send(event);
    }

    /// Tells the app that `changed` was written through `ctx`'s connection, and that the
    /// activity log has the line saying so — and so that the disk, if it was full, has room.
    fn notify_written(&self, ctx: &WriteContext, changed: ChangeEvent) {
        self.db.note_written();
        self.notify(changed);
        self.notify(ChangeEvent::Activity {
            connection_id: Some(ctx.connection_id.clone()),
        });
    }
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
) -> Result<(), DirectoryError> {
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
        ).into())
    }
}

/// One page of a SCIM list, filtered, sorted and paged in SQL.
pub(crate) struct ListPage<T> {
    pub total: u64,
    pub rows: Vec<T>,
}

impl<T> ListPage<T> {
    /// The page as a SCIM `ListResponse` in JSON text, around its resources already written as
    /// text (in the order of `rows`).
    pub fn response_text(&self, start_index: u64, resources: &[String]) -> String {
        let mut out =
            String::with_capacity(160 + resources.iter().map(|r| r.len() + 1).sum::<usize>());
        let _ = std::fmt::Write::write_fmt(
            &mut out,
            format_args!(
                "{{\"schemas\":[{}],\"totalResults\":{},\"startIndex\":{},\"itemsPerPage\":{},\"Resources\":[",
                serde_json::Value::from(crate::scim::schema::LIST_RESPONSE_SCHEMA),
                self.total,
                start_index,
                self.rows.len()
            ),
        );
        out.push_str(&resources.join(","));
        out.push_str("]}");
        out
    }
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
    pub filter_sql: fn(&Filter, Dialect) -> Result<SqlFragment, ScimError>,
    pub sort_sql: fn(&str, Dialect) -> Result<String, ScimError>,
}

impl Directory {
    /// One page of a list: rows from `start_index`, and the total. The total is cached per
    /// directory generation (or known from a short last page); in the default order (`seq`),
    /// the page after one already served is found by its cursor rather than by OFFSET.
    pub(crate) async fn list_page<T>(
        &self,
        source: &ListSource,
        q: &ListQuery,
    ) -> Result<ListPage<T>, DirectoryError>
    where
        T: ListRow,
    {
        let generation = self.db.generations()?.directory;
        let dialect = self.db.dialect();
        let fragment = match q.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            Some(f) => (source.filter_sql)(&parse_filter(f)?, dialect)?,
            None => SqlFragment {
                sql: match dialect {
                    Dialect::Sqlite => "1",
                    Dialect::Postgres => "TRUE",
                }
                .to_owned(),
                params: Vec::new(),
            },
        };
        let where_sql = format!("{} AND ({})", source.visible, fragment.sql);
        // The list's identity, for the caches: what it selects, not how it is sorted.
        let list = list_key(&format!(
            "{} WHERE {where_sql} {:?}",
            source.from, fragment.params
        ));
        let keyset = q.sort_by.is_none();
        let mut rows = Vec::new();
        if q.count > 0 {
            let cursor = match keyset {
                true => self.lists().take_cursor(generation, &list, q.start_index),
                false => None,
            };
            let mut params: Vec<crate::db::sql::Value> =
                fragment.params.iter().map(sql_value).collect();
            let sql = match (cursor, keyset) {
                (Some(after), _) => {
                    params.push(crate::db::sql::Value::Integer(after));
                    format!(
                        "SELECT {} FROM {} WHERE {where_sql} AND {seq} > ? ORDER BY {seq} LIMIT {}",
                        source.columns,
                        source.from,
                        q.count,
                        seq = source.seq,
                    )
                }
                // Find the first row's seq over the narrowest index, then read only the page.
                (None, true) if q.start_index > 1 => {
                    params.extend(fragment.params.iter().map(sql_value));
                    format!(
                        "SELECT {} FROM {from} WHERE {where_sql} AND {seq} >= \
                         (SELECT {seq} FROM {from} WHERE {where_sql} ORDER BY {seq} \
                          LIMIT 1 OFFSET {}) \
                         ORDER BY {seq} LIMIT {}",
                        source.columns,
                        q.start_index - 1,
                        q.count,
                        from = source.from,
                        seq = source.seq,
                    )
                }
                (None, true) => format!(
                    "SELECT {} FROM {} WHERE {where_sql} ORDER BY {} LIMIT {}",
                    source.columns, source.from, source.seq, q.count
                ),
                (None, false) => {
                    let order = format!(
                        "{} {}{}, {}",
                        (source.sort_sql)(q.sort_by.as_deref().unwrap_or_default(), dialect)?,
                        if q.sort_descending { "DESC" } else { "ASC" },
                        nulls_as_sqlite(dialect, q.sort_descending),
                        source.seq
                    );
                    format!(
                        "SELECT {} FROM {} WHERE {where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
                        source.columns,
                        source.from,
                        q.count,
                        q.start_index.saturating_sub(1)
                    )
                }
            };
            rows = self.db.read(|c| {
                with_statement(c, &sql, |s| {
                    s.query_map(crate::db::sql::params_from_iter(&params), T::from_row)?
                        .collect::<crate::db::sql::Result<Vec<T>>>()
                })
            })?;
            // Only a full page can have a next one to find by cursor (a lookup by userName or
            // email, a short page, leaves nothing to remember).
            if let (true, true, Some(last)) = (keyset, rows.len() as u64 == q.count, rows.last()) {
                let next = q.start_index + rows.len() as u64;
                self.lists().set_cursor(generation, &list, next, last.seq());
            }
        }
        let shown = rows.len() as u64;
        let total = if shown > 0 && shown < q.count {
            // A short page is the last one: the total is known without counting (nor caching).
            return Ok(ListPage {
                total: q.start_index - 1 + shown,
                rows,
            });
        } else if let Some(total) = self.lists().total(generation, &list) {
            total
        } else {
            let sql = format!("SELECT COUNT(*) FROM {} WHERE {where_sql}", source.from);
            let params: Vec<_> = fragment.params.iter().map(sql_value).collect();
            let total: i64 = self.db.read(|c| {
                with_statement(c, &sql, |s| {
                    s.query_row(crate::db::sql::params_from_iter(&params), |r| r.get(0))
                })
            })?;
            total.max(0) as u64
        };
        self.lists().set_total(generation, &list, total);
        Ok(ListPage { total, rows })
    }
}

/// SQL longer than this is compiled for its one use and not kept in a connection's statement
/// cache: the usual lists (Okta's lookups and pages) are short and repeat, while a long filter is
/// one client's, and a compiled statement over many document attributes can be large.
const CACHED_SQL_BYTES: usize = 1024;

/// Runs `use_it` on `sql` compiled, from the statement cache when the SQL is short.
fn with_statement<T>(
    c: &crate::db::sql::Connection,
    sql: &str,
    use_it: impl FnOnce(&mut crate::db::sql::Statement<'_>) -> crate::db::sql::Result<T>,
) -> crate::db::sql::Result<T> {
    if sql.len() <= CACHED_SQL_BYTES {
        let mut cached = c.prepare_cached(sql)?;
        use_it(&mut cached)
    } else {
        use_it(&mut c.prepare(sql)?)
    }
}

/// Parses a stored document; a corrupt one is a 500 rather than a panic.
///
/// Without the parser's depth limit: writes keep documents far shallower than it
/// ([`crate::scim::limits`]), but an earlier version stored documents as deep as a PATCH could
/// make them, and every stored document must stay readable — and so updatable and deactivatable.
pub(crate) fn parse_doc(doc: &str) -> Result<serde_json::Map<String, Value>, DirectoryError> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_str(doc);
    de.disable_recursion_limit();
    let parsed = Value::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ScimError::internal(
            "A stored resource could not be read; its record in SCIM Desk's database is damaged.",
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::bulk::synthetic_user;
    use serde_json::json;

    #[test]
    fn list_cache_forgets_everything_when_the_generation_moves() {
        let mut cache = ListCache::default();
        let (users, groups) = (
            list_key("employees e WHERE 1"),
            list_key("groups g WHERE 1"),
        );
        cache.set_total(1, &users, 10);
        cache.set_cursor(1, &users, 101, 100);
        assert_eq!(cache.total(1, &users), Some(10));
        assert_eq!(cache.total(1, &groups), None);
        assert_eq!(cache.take_cursor(1, &users, 101), Some(100));
        assert_eq!(cache.take_cursor(1, &users, 101), None, "used up");
        cache.set_cursor(1, &users, 201, 200);
        assert_eq!(cache.total(2, &users), None);
        assert_eq!(cache.take_cursor(2, &users, 201), None);
    }

    /// However long the filters, an entry costs the same: the cache stays within its byte
    /// budget with any number of distinct lists.
    #[test]
    fn list_cache_is_bounded_in_bytes_whatever_the_filters() {
        let mut cache = ListCache::default();
        let long_filter = "x".repeat(4096);
        for i in 0..(TOTALS_KEPT.max(CURSORS_KEPT) as u64 * 3) {
            let list = list_key(&format!("employees e WHERE {long_filter} {i}"));
            cache.set_total(1, &list, i);
            cache.set_cursor(1, &list, 101, 1);
        }
        let held = cache.totals.capacity() * entry_bytes::<ListKey, u64>()
            + cache.cursors.capacity() * entry_bytes::<(ListKey, u64), i64>();
        // A hash map's capacity runs up to twice its entries.
        assert!(held <= 2 * LIST_CACHE_BYTES, "{held} bytes");
        assert!(cache.totals.len() <= TOTALS_KEPT && cache.cursors.len() <= CURSORS_KEPT);
        let fresh = list_key(&format!("employees e WHERE {long_filter} fresh"));
        cache.set_total(1, &fresh, 7);
        assert_eq!(cache.total(1, &fresh), Some(7), "still caches");
    }

    /// A row of [`IDS`]: an employee's seq and id.
    struct IdRow(i64, String);

    impl ListRow for IdRow {
        fn from_row(row: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Self> {
            Ok(IdRow(row.get(0)?, row.get(1)?))
        }
        fn seq(&self) -> i64 {
            self.0
        }
    }

    /// The users' list, reading only ids: `list_page`'s paging, counting, filtering and sorting.
    const IDS: ListSource = ListSource {
        from: "employees e",
        columns: "e.seq, e.id",
        visible: "e.status <> 'removed'",
        seq: "e.seq",
        filter_sql: sql_filter::user_filter_sql,
        sort_sql: sql_filter::user_sort_sql,
    };

    /// Every list `list_page` answers, over the same employees on each engine: pages walked
    /// forward (the second and later found by cursor), a page asked for at once (by OFFSET),
    /// filters, sorts in both directions (NULLs where SQLite puts them), and totals.
    async fn pages_of(d: &Directory) -> Vec<(String, u64, Vec<String>)> {
        d.db.write(|c| {
            for i in 0..40 {
                c.execute(
                    "INSERT INTO employees (id, user_name, display_name, job_title, status, \
                     doc, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
                     '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')",
                    crate::db::sql::params![
                        format!("u{i:02}"),
                        format!("{}{i}@corp.example", ["ann", "Bob", "carl", "_x%"][i % 4]),
                        (i % 3 != 0).then(|| format!("Person {}", 40 - i)),
                        ["Engineer", "engineer", "Sales"][i % 3],
                        ["active", "active", "deactivated", "removed", "active"][i % 5],
                        format!("{{\"costCode\": {}, \"tags\": [\"t{}\"]}}", i % 6, i % 4),
                    ],
                )?;
            }
            Ok::<_, crate::db::StoreError>(())
        })
        .await
        .unwrap();
        let mut out = Vec::new();
        let mut ask = |label: String, q: ListQuery| {
            let page = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(d.list_page::<IdRow>(&IDS, &q))
            })
            .unwrap();
            out.push((
                label,
                page.total,
                page.rows.into_iter().map(|r| r.1).collect(),
            ));
        };
        for filter in [
            None,
            Some("title eq \"ENGINEER\""),
            Some("userName sw \"_X%\""),
            Some("costCode ge 3 and not (tags eq \"t1\")"),
            Some("displayName pr"),
        ] {
            for start in [1, 8, 15, 22, 29, 36] {
                let q = ListQuery {
                    start_index: start,
                    count: 7,
                    filter: filter.map(str::to_owned),
                    ..ListQuery::default()
                };
                ask(format!("{filter:?} from {start}"), q);
            }
            // A page asked for at once, without the cursor of the one before.
            d.lists().totals.clear();
            d.lists().cursors.clear();
            let q = ListQuery {
                start_index: 11,
                count: 5,
                filter: filter.map(str::to_owned),
                ..ListQuery::default()
            };
            ask(format!("{filter:?} at 11"), q);
            for sort_by in [
                "userName",
                "displayName",
                "costCode",
                "meta.created",
                "title",
            ] {
                for descending in [false, true] {
                    let q = ListQuery {
                        start_index: 3,
                        count: 30,
                        filter: filter.map(str::to_owned),
                        sort_by: Some(sort_by.to_owned()),
                        sort_descending: descending,
                        ..ListQuery::default()
                    };
                    ask(format!("{filter:?} by {sort_by} desc={descending}"), q);
                }
            }
        }
        out
    }

    /// An empty directory on each engine (SQLite in the returned temporary directory), or
    /// `None` (having said why) without a test PostgreSQL.
    async fn both_engines() -> Option<(tempfile::TempDir, Directory, Directory)> {
        let url = tokio::task::block_in_place(crate::db::testpg::fresh_database)?;
        let dir = tempfile::tempdir().unwrap();
        let lite = Directory::new(
            Db::open(dir.path()).await.unwrap(),
            broadcast::channel(16).0,
        );
        let pg = Directory::new(
            Db::open_postgres(&url).await.unwrap(),
            broadcast::channel(16).0,
        );
        Some((dir, lite, pg))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lists_page_count_filter_and_sort_alike_on_both_engines() {
        let Some((_dir, lite, pg)) = both_engines().await else {
            return;
        };
        let on_sqlite = pages_of(&lite).await;
        let on_pg = pages_of(&pg).await;
        assert_eq!(on_sqlite.len(), on_pg.len());
        for (a, b) in on_sqlite.iter().zip(&on_pg) {
            assert_eq!(a, b);
        }
        // The unfiltered walk met every employee not removed, once, in order.
        let walked: Vec<String> = on_pg
            .iter()
            .filter(|(label, _, _)| label.starts_with("None from"))
            .flat_map(|(_, _, ids)| ids.clone())
            .collect();
        assert_eq!(walked.len(), 32);
        for (label, total, ids) in &on_pg {
            if label.ends_with("from 1") {
                assert!(*total > 0 && !ids.is_empty(), "{label}: no rows to compare");
            }
        }
        assert_eq!(on_pg[0].1, 32);
        tokio::task::block_in_place(move || drop(pg));
    }

    /// SCIM's list of users through the real writes, on both engines: filters on columns, on
    /// the documents, on the extension and on value paths, sorts, and pages of 7 give the same
    /// users (by userName), the same totals and the same groups.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scim_lists_answer_alike_on_both_engines() {
        let Some((_dir, lite, pg)) = both_engines().await else {
            return;
        };
        async fn answers(d: &Directory) -> Vec<(String, Value, Vec<Value>)> {
            d.import_users(&ctx(), (0..40).map(synthetic_user))
                .await
                .unwrap();
            let first = d
                .list_users(
                    &ctx().base_url,
                    &page(1, 1, Some("userName eq \"SEED-3@seed.example\"")),
                )
                .await
                .unwrap();
            let id = first["Resources"][0]["id"].as_str().unwrap().to_owned();
            d.create_group(
                &ctx(),
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "displayName": "Team", "members": [{"value": id}]}),
            )
            .await
            .unwrap();
            for (name, external) in [
                ("sales_EU", Some("G-1")),
                ("Engineering", None),
                ("tEAM 2", Some("g-2")),
            ] {
                let mut g = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                   "displayName": name, "members": [{"value": id, "display": "Seed"}]});
                if let Some(e) = external {
                    g["externalId"] = json!(e);
                }
                d.create_group(&ctx(), g).await.unwrap();
            }
            let mut out = Vec::new();
            for filter in [
                None,
                Some("displayName sw \"te\""),
                Some("displayName co \"_eu\" or externalId eq \"g-2\""),
                Some(r#"members[value eq "ID"]"#),
                Some("not (externalId pr)"),
                Some("members.display eq \"seed\""),
            ] {
                for sort_by in [None, Some("displayName"), Some("externalId")] {
                    for descending in [false, true] {
                        let with_id = filter.map(|f| f.replace("ID", &id));
                        let mut q = page(1, 3, with_id.as_deref());
                        q.sort_by = sort_by.map(str::to_owned);
                        q.sort_descending = descending;
                        let got = d.list_groups(&ctx().base_url, &q).await.unwrap();
                        let groups: Vec<Value> = got["Resources"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|g| g["displayName"].clone())
                            .collect();
                        out.push((
                            format!("groups {filter:?} {sort_by:?} {descending}"),
                            got["totalResults"].clone(),
                            groups,
                        ));
                    }
                }
            }
            for filter in [
                None,
                Some("title eq \"engineer\""),
                Some("userName sw \"SEED-1\" and active eq true"),
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department co \"dept 1\""),
                Some("addresses[type eq \"work\" and locality eq \"paris\"]"),
                Some("emails[type eq \"work\"].value ew \"3@SEED.EXAMPLE\""),
                Some("name.familyName gt \"Family30\" or not (displayName pr)"),
                Some("groups pr"),
            ] {
                for sort_by in [None, Some("userName"), Some("name.familyName"), Some("title")] {
                    let mut start = 1;
                    loop {
                        let mut q = page(start, 7, filter);
                        q.sort_by = sort_by.map(str::to_owned);
                        q.sort_descending = start % 2 == 0;
                        let got = d.list_users(&ctx().base_url, &q).await.unwrap();
                        let users: Vec<Value> = got["Resources"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|u| json!([u["userName"], u["groups"].as_array().map(Vec::len)]))
                            .collect();
                        let n = users.len() as u64;
                        out.push((format!("{filter:?} {sort_by:?} {start}"), got["totalResults"].clone(), users));
                        if n < 7 {
                            break;
                        }
                        start += 7;
                    }
                }
            }
            out
        }
        let on_sqlite = answers(&lite).await;
        let on_pg = answers(&pg).await;
        assert_eq!(on_sqlite.len(), on_pg.len());
        for (a, b) in on_sqlite.iter().zip(&on_pg) {
            assert_eq!(a, b);
        }
        assert!(on_pg
            .iter()
            .all(|(label, total, _)| label.contains("groups") || total.as_u64() > Some(0)));
        tokio::task::block_in_place(move || drop(pg));
    }

    /// The directory's conversation on PostgreSQL: the same operations, the same answers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_directory_works_on_postgres() {
        let Some(url) = tokio::task::block_in_place(crate::db::testpg::fresh_database) else {
            return;
        };
        let db = Db::open_postgres(&url).await.unwrap();
        let d = Directory::new(db.clone(), broadcast::channel(16).0);
        let base = ctx().base_url;
        d.import_users(&ctx(), (0..30).map(synthetic_user))
            .await
            .unwrap();
        let made = d.create_user(&ctx(), synthetic_user(100)).await.unwrap();
        let user = made.render(&base).unwrap();
        let id = user["id"].as_str().unwrap().to_owned();
        let mut twin = synthetic_user(100);
        twin["userName"] = json!("SEED-100@seed.example");
        let Err(again) = d.create_user(&ctx(), twin).await else {
            panic!("a second userName differing only in case was created");
        };
        assert_eq!(
            again.to_scim().status,
            409,
            "userName is unique without case"
        );
        let got = d.get_user(&base, &id).await.unwrap();
        assert_eq!(got["userName"], "seed-100@seed.example");
        let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false, "title": "Boss"}}]});
        d.patch_user(&ctx(), &id, &patch, None).await.unwrap();
        let got = d.get_user(&base, &id).await.unwrap();
        assert_eq!(
            (got["active"].clone(), got["title"].clone()),
            (json!(false), json!("Boss"))
        );
        let mut put = synthetic_user(100);
        put["title"] = json!("Chief");
        d.replace_user(&ctx(), &id, put, None).await.unwrap();
        assert_eq!(d.get_user(&base, &id).await.unwrap()["title"], "Chief");
        let group = d
            .create_group(
                &ctx(),
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Team", "members": [{"value": id}]}),
            )
            .await
            .unwrap();
        let gid = group["id"].as_str().unwrap().to_owned();
        let got = d.get_group(&base, &gid).await.unwrap();
        assert_eq!(got["members"][0]["value"], json!(id));
        let got = d.get_user(&base, &id).await.unwrap();
        assert_eq!(got["groups"][0]["value"], json!(gid));
        d.delete_group(&ctx(), &gid, None).await.unwrap();
        d.delete_user(&ctx(), &id, None).await.unwrap();
        assert!(d.get_user(&base, &id).await.is_err());
    }

    fn ctx() -> WriteContext {
        WriteContext {
            connection_id: "c1".into(),
            connection_name: "Okta".into(),
            provider: crate::connections::Provider::Okta,
            base_url: "http://127.0.0.1:1/scim/v2/c1".into(),
        }
    }

    fn page(start_index: u64, count: u64, filter: Option<&str>) -> ListQuery {
        ListQuery {
            start_index,
            count,
            filter: filter.map(str::to_owned),
            ..ListQuery::default()
        }
    }

    fn ids(list: &Value) -> Vec<String> {
        list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Okta's import walk answered through cursors and cached totals is exactly what OFFSET
    /// and COUNT answer, also after writes in the middle of the walk.
    #[tokio::test]
    async fn cursor_pages_are_offset_pages_even_across_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let (events, _) = broadcast::channel(16);
        let walker = Directory::new(db.clone(), events.clone());
        walker
            .import_users(&ctx(), (0..250).map(synthetic_user))
            .await
            .unwrap();
        let base = ctx().base_url;
        // A fresh Directory has no cursors or totals: it answers by OFFSET and COUNT.
        let fresh = || Directory::new(db.clone(), events.clone());
        let filter = Some("title eq \"Engineer\"");
        let mut newcomer = 1000;
        for f in [None, filter] {
            let mut start = 1;
            loop {
                let walked = walker.list_users(&base, &page(start, 20, f)).await.unwrap();
                let offset = fresh()
                    .list_users(&base, &page(start, 20, f))
                    .await
                    .unwrap();
                assert_eq!(walked, offset, "page at {start} ({f:?})");
                if ids(&walked).is_empty() {
                    break;
                }
                start += 20;
                if start == 41 {
                    // A write mid-walk: someone on the pages already seen disappears, and a new
                    // employee arrives; the cursor for the next page no longer holds.
                    let gone = ids(&walked)[3].clone();
                    walker.delete_user(&ctx(), &gone, None).await.unwrap();
                    walker
                        .create_user(&ctx(), synthetic_user(newcomer))
                        .await
                        .unwrap();
                    newcomer += 1;
                }
            }
        }
        let all = walker.list_users(&base, &page(1, 0, None)).await.unwrap();
        assert_eq!(all["totalResults"], 250, "250 + 2 created - 2 removed");
        let last = walker
            .list_users(&base, &page(241, 100, None))
            .await
            .unwrap();
        assert_eq!(last["totalResults"], 250);
        assert_eq!(ids(&last).len(), 10);
        let past = walker
            .list_users(&base, &page(400, 100, None))
            .await
            .unwrap();
        assert_eq!(
            (past["totalResults"].as_u64(), ids(&past).len()),
            (Some(250), 0)
        );
    }

    /// What a lookup answers as text is, member for member and in the same order, what the
    /// rendered resource says: users of every shape (inactive, without `active` or `schemas`
    /// in the stored document, in groups, with escapes and non-ASCII), the documents the text
    /// writer leaves to `render` (a stored `password` or `id`), single users and list pages.
    #[tokio::test]
    async fn text_answers_are_the_rendered_resources() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let d = Directory::new(db.clone(), broadcast::channel(16).0);
        let base = ctx().base_url;
        let mut ids = Vec::new();
        for n in 0..5 {
            let mut user = synthetic_user(n);
            if n == 1 {
                user["active"] = Value::Bool(false);
                user["displayName"] = Value::from("Zoë \"Quote\" \\ Back\u{2028}");
            }
            let created = d.create_user(&ctx(), user).await.unwrap();
            ids.push(created.id().to_owned());
        }
        d.create_group(
            &ctx(),
            serde_json::json!({"displayName": "Sales", "members": [{"value": ids[0]}]}),
        )
        .await
        .unwrap();
        // Stored documents the SCIM path would not write, set directly.
        let odd = [
            (&ids[2], r#"{"userName":"seed-2@seed.example"}"#),
            (
                &ids[3],
                r#"{"userName":"seed-3@seed.example","password":"x","id":"other"}"#,
            ),
            (
                &ids[4],
                r#"{ "userName" : "seed-4@seed.example", "active" : true, "n": 1.50 }"#,
            ),
        ];
        for (id, doc) in odd {
            let (id, doc) = (id.clone(), doc.to_owned());
            db.write(move |c| {
                c.execute("UPDATE employees SET doc = ? WHERE id = ?", [doc, id])
                    .map_err(crate::db::direct_error)
            })
            .await
            .unwrap();
        }
        // The `active` column wins over a stored document that disagrees.
        let stale = ids[4].clone();
        db.write(move |c| {
            c.execute("UPDATE employees SET active = 0 WHERE id = ?", [stale])
                .map_err(crate::db::direct_error)
        })
        .await
        .unwrap();
        let same = |text: &str, value: &Value| {
            let parsed: Value = serde_json::from_str(text).unwrap();
            assert_eq!(parsed.to_string(), value.to_string());
        };
        for id in &ids {
            let (text, version) = d.get_user_text(&base, id).await.unwrap();
            let value = d.get_user(&base, id).await.unwrap();
            same(&text, &value);
            assert_eq!(etag(version), value["meta"]["version"]);
        }
        assert!(d.get_user_text(&base, "nobody").await.is_err());
        for q in [
            page(1, 100, None),
            page(2, 2, None),
            page(1, 100, Some("userName eq \"seed-1@seed.example\"")),
            page(1, 100, Some("userName eq \"nobody@seed.example\"")),
            page(1, 0, None),
        ] {
            let text = d.list_users_text(&base, &q).await.unwrap();
            same(&text, &d.list_users(&base, &q).await.unwrap());
        }
    }
}
