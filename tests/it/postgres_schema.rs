//! The PostgreSQL schema (`src-tauri/core/migrations-pg`) is SQLite's, in the other engine: on
//! a fresh database, applied by sqlx's PostgreSQL migrator (what the binary runs at start), it
//! has every table and column that a data directory's SQLite database has after its migrations
//! — the database the real binary made — with the contract's types, the same indexes, keys and
//! triggers; its counters move as SQLite's do, userName stays unique without case, and the
//! search has its trigram indexes. Two servers starting on one empty database at once both
//! start, and the schema is applied once.
//!
//! Skips, saying why, when the tests run without PostgreSQL (see `scimdesk_tests::postgres`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use ::postgres::error::SqlState;
use ::postgres::{Client, NoTls};
use scimdesk_tests::*;

/// Tables of SQLite's that PostgreSQL has no twin of: sqlx's own bookkeeping (PostgreSQL's
/// migrator makes its own), and the FTS5 search table with its shadow tables (PostgreSQL
/// searches through trigram indexes on the columns themselves).
fn sqlite_only(table: &str) -> bool {
    table == "_sqlx_migrations"
        || table.starts_with("sqlite_")
        || table.starts_with("employees_search")
}

/// The JSON columns that SQL reads into (JSONB in PostgreSQL); every other TEXT stays TEXT.
const JSONB_COLUMNS: [(&str, &str); 4] = [
    ("employees", "doc"),
    ("employees", "custom"),
    ("groups", "doc"),
    ("attribute_mappings", "fields"),
];

/// Tables of one row, id 1 (`CHECK (id = 1)`): their INTEGER PRIMARY KEY is not generated.
const SINGLE_ROW_TABLES: [&str; 3] = ["generation", "heartbeat", "history_horizon"];

/// The Employees search's fields, as the search compares them, and the index that finds each.
const SEARCHED: [(&str, &str); 9] = [
    ("lower(display_name)", "employees_search_display_name"),
    ("lower(email)", "employees_search_email"),
    ("lower(user_name)", "employees_search_user_name"),
    (
        "lower(first_name || ' ' || last_name)",
        "employees_search_full_name",
    ),
    ("lower(job_title)", "employees_search_job_title"),
    ("lower(department)", "employees_search_department"),
    ("lower(business_unit)", "employees_search_business_unit"),
    ("lower(employee_id)", "employees_search_employee_id"),
    (
        "lower(employee_custom_values(custom))",
        "employees_search_custom",
    ),
];

fn migrations_dir() -> PathBuf {
    workspace_root().join("src-tauri/core/migrations-pg")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Applies the PostgreSQL migrations to `url` as the binary does: sqlx's migrator, which holds
/// an advisory lock on the database while it runs and skips what was applied.
async fn migrate(url: &str) -> Result<(), String> {
    let migrator = sqlx::migrate::Migrator::new(migrations_dir())
        .await
        .map_err(|e| format!("read {}: {e}", migrations_dir().display()))?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .map_err(|e| format!("connect to {url}: {e}"))?;
    let applied = migrator.run(&pool).await.map_err(|e| format!("{e}"));
    pool.close().await;
    applied
}

fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// A column as either engine describes it.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    name: String,
    /// SQLite's declared type, or PostgreSQL's `data_type`.
    kind: String,
    not_null: bool,
    /// The default as SQL text (PostgreSQL's without its `::type` cast).
    default: Option<String>,
    /// Part of the primary key (SQLite), or an identity column (PostgreSQL).
    key: bool,
}

/// An index's keys as SQL (a column, or `lower(col)` for SQLite's NOCASE), whether it is unique
/// and whether it is partial.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct IndexShape {
    table: String,
    keys: Vec<String>,
    unique: bool,
    partial: bool,
}

/// A foreign key: (table, column) → (table, column), and its ON DELETE action.
type ForeignKey = (String, String, String, String, String);

struct Schema {
    tables: BTreeMap<String, Vec<Column>>,
    /// Named indexes (SQLite's own `sqlite_autoindex_*` under their name too).
    indexes: BTreeMap<String, IndexShape>,
    foreign_keys: BTreeSet<ForeignKey>,
    /// (table, trigger)
    triggers: BTreeSet<(String, String)>,
}

/// The schema of the SQLite database the real binary makes in a new data directory.
fn sqlite_schema() -> Schema {
    let desk = Desk::new();
    desk.cli_ok(&["config", "show"]);
    let db = rusqlite::Connection::open_with_flags(
        desk.data_dir().join("scimdesk.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the data directory's database read-only");
    let names = |sql: &str| -> Vec<(String, String)> {
        db.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let mut tables = BTreeMap::new();
    let mut indexes = BTreeMap::new();
    let mut foreign_keys = BTreeSet::new();
    for (table, _) in names("SELECT name, type FROM sqlite_master WHERE type = 'table'") {
        if sqlite_only(&table) {
            continue;
        }
        let columns: Vec<Column> = db
            .prepare(&format!("PRAGMA table_info(\"{table}\")"))
            .unwrap()
            .query_map([], |r| {
                Ok(Column {
                    name: r.get(1)?,
                    kind: r.get(2)?,
                    not_null: r.get::<_, i64>(3)? == 1,
                    default: r.get(4)?,
                    key: r.get::<_, i64>(5)? > 0,
                })
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // Each index of the table: its keys, with NOCASE as PostgreSQL's `nocase` collation.
        let listed: Vec<(String, bool, bool)> = db
            .prepare(&format!("PRAGMA index_list(\"{table}\")"))
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(1)?,
                    r.get::<_, i64>(2)? == 1,
                    r.get::<_, i64>(4)? == 1,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (index, unique, partial) in listed {
            let keys: Vec<String> = db
                .prepare(&format!("PRAGMA index_xinfo(\"{index}\")"))
                .unwrap()
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(5)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
                .into_iter()
                // Key columns only (not the row id an index carries).
                .filter(|(key, _, _)| *key == 1)
                .map(|(_, name, collation)| {
                    let name = name.unwrap_or_else(|| panic!("{index}: an expression key"));
                    match collation.as_deref() {
                        Some("NOCASE") => format!("{name} COLLATE nocase"),
                        _ => name,
                    }
                })
                .collect();
            indexes.insert(
                index,
                IndexShape {
                    table: table.clone(),
                    keys,
                    unique,
                    partial,
                },
            );
        }
        let fks: Vec<ForeignKey> = db
            .prepare(&format!("PRAGMA foreign_key_list(\"{table}\")"))
            .unwrap()
            .query_map([], |r| {
                Ok((
                    table.clone(),
                    r.get(3)?,
                    r.get(2)?,
                    r.get(4)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        foreign_keys.extend(fks);
        tables.insert(table, columns);
    }
    let triggers = names("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        .into_iter()
        // The FTS5 index's triggers: PostgreSQL's indexes keep themselves in step.
        .filter(|(_, name)| !name.starts_with("employees_search"))
        .collect();
    Schema {
        tables,
        indexes,
        foreign_keys,
        triggers,
    }
}

/// The schema of the PostgreSQL database at `pg`, described as [`sqlite_schema`] describes
/// SQLite's.
fn postgres_schema(pg: &mut Client) -> Schema {
    let mut tables = BTreeMap::new();
    for row in pg
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'NO', \
             column_default::text, is_identity = 'YES' FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
             ORDER BY table_name, ordinal_position",
            &[],
        )
        .unwrap()
    {
        let default: Option<String> = row.get(4);
        tables
            .entry(row.get::<_, String>(0))
            .or_insert_with(Vec::new)
            .push(Column {
                name: row.get(1),
                kind: row.get(2),
                not_null: row.get(3),
                // '{}'::jsonb → '{}'; 'okta'::text → 'okta'.
                default: default.map(|d| match d.rfind("::") {
                    Some(cast) if d.starts_with('\'') => d[..cast].to_string(),
                    _ => d,
                }),
                key: row.get(5),
            });
    }
    let mut indexes = BTreeMap::new();
    for row in pg
        .query(
            "SELECT c.relname::text, t.relname::text, i.indisunique, i.indpred IS NOT NULL, \
             array(SELECT pg_get_indexdef(i.indexrelid, k, true) || COALESCE((SELECT \
                     ' COLLATE ' || collname FROM pg_collation \
                     WHERE oid = i.indcollation[k - 1] AND collname = 'nocase'), '') \
                   FROM generate_series(1, i.indnkeyatts) k ORDER BY k) \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations'",
            &[],
        )
        .unwrap()
    {
        indexes.insert(
            row.get::<_, String>(0),
            IndexShape {
                table: row.get(1),
                keys: row.get(4),
                unique: row.get(2),
                partial: row.get(3),
            },
        );
    }
    let foreign_keys = pg
        .query(
            "SELECT t.relname::text, a.attname::text, r.relname::text, ra.attname::text, \
             CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' \
               WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END \
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_class r ON r.oid = c.confrelid \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] \
             WHERE c.contype = 'f'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    let triggers = pg
        .query(
            "SELECT c.relname::text, t.tgname::text FROM pg_trigger t \
             JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Schema {
        tables,
        indexes,
        foreign_keys,
        triggers,
    }
}

/// The type PostgreSQL must give a SQLite column (the contract's): INTEGER → bigint, BLOB →
/// bytea, TEXT → text, or jsonb for the JSON that SQL reads into.
fn expected_type(table: &str, column: &Column) -> &'static str {
    match column.kind.as_str() {
        "INTEGER" => "bigint",
        "BLOB" => "bytea",
        "TEXT" if JSONB_COLUMNS.contains(&(table, column.name.as_str())) => "jsonb",
        "TEXT" => "text",
        other => panic!(
            "{table}.{}: SQLite type {other} has no PostgreSQL type in this test yet (choose \
             one in migrations-pg and here)",
            column.name
        ),
    }
}

/// The SQLSTATE of a failed statement, and the constraint it names.
fn refused(result: Result<u64, ::postgres::Error>) -> (SqlState, String) {
    let e = result.expect_err("the statement should have been refused");
    let db = e
        .as_db_error()
        .unwrap_or_else(|| panic!("not an error of the database: {e}"));
    (
        db.code().clone(),
        db.constraint().unwrap_or_default().to_string(),
    )
}

/// `(config, directory, mapping)`
fn generations(pg: &mut Client) -> (i64, i64, i64) {
    let row = pg
        .query_one(
            "SELECT config, directory, mapping FROM generation WHERE id = 1",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

const EMPLOYEE: &str = "INSERT INTO employees (id, user_name, email, status, doc, created_at, \
     updated_at) VALUES ($1, $2, $3, $4, '{}', '2026-12-08T00:00:00.000Z', \
     '2026-12-08T00:00:00.000Z')";

#[test]
fn the_schema_is_sqlites_in_postgresql() {
    let Some(url) = postgres::fresh_database() else {
        return;
    };
    runtime()
        .block_on(migrate(&url))
        .expect("the migrations apply to an empty database");
    let mut pg = connect(&url);
    let sqlite = sqlite_schema();
    let postgres = postgres_schema(&mut pg);
    // What the comparison stands on: SQLite's schema as the binary made it.
    assert!(
        sqlite.tables.contains_key("employees")
            && sqlite.indexes.contains_key("employees_user_name")
            && sqlite.triggers.len() > 20,
        "the data directory's database has the schema of its migrations: {:?}",
        sqlite.tables.keys()
    );

    // Every table of SQLite's, and none more; every column, in the same order, typed as the
    // contract says, as strict about NULL (a key may be stricter: SQLite allows NULL in a TEXT
    // primary key, PostgreSQL does not), with the same default.
    assert_eq!(
        sqlite.tables.keys().collect::<Vec<_>>(),
        postgres.tables.keys().collect::<Vec<_>>(),
        "the tables of both engines"
    );
    for (table, columns) in &sqlite.tables {
        let theirs = &postgres.tables[table];
        assert_eq!(
            columns.iter().map(|c| &c.name).collect::<Vec<_>>(),
            theirs.iter().map(|c| &c.name).collect::<Vec<_>>(),
            "the columns of {table}, in order"
        );
        let single_key = columns.iter().filter(|c| c.key).count() == 1;
        for (ours, pg_col) in columns.iter().zip(theirs) {
            let at = format!("{table}.{}", ours.name);
            assert_eq!(pg_col.kind, expected_type(table, ours), "{at}: type");
            if ours.not_null {
                assert!(pg_col.not_null, "{at}: NOT NULL in SQLite");
            } else if !ours.key {
                assert!(!pg_col.not_null, "{at}: nullable in SQLite");
            }
            assert_eq!(pg_col.default, ours.default, "{at}: default");
            // SQLite's row ids (INTEGER PRIMARY KEY) are identity columns, but for the tables
            // of one row, id 1.
            let row_id = ours.key && single_key && ours.kind == "INTEGER";
            let generated = row_id && !SINGLE_ROW_TABLES.contains(&table.as_str());
            assert_eq!(pg_col.key, generated, "{at}: generated (identity)");
        }
    }

    // Every index of SQLite's: the same name for those it names (its automatic ones for
    // UNIQUE columns and primary keys have a twin with the same keys), the same keys with
    // NOCASE as the `nocase` collation, as unique and as partial.
    let pg_shapes: BTreeSet<&IndexShape> = postgres.indexes.values().collect();
    for (name, shape) in &sqlite.indexes {
        if name.starts_with("sqlite_autoindex_") {
            assert!(
                pg_shapes.contains(shape),
                "{name}: no index like it in PostgreSQL: {shape:?}"
            );
        } else {
            assert_eq!(
                postgres.indexes.get(name),
                Some(shape),
                "index {name} in PostgreSQL"
            );
        }
    }
    // The primary keys (SQLite's INTEGER PRIMARY KEY is the table itself, not an index).
    for (table, columns) in &sqlite.tables {
        let keys: Vec<String> = columns
            .iter()
            .filter(|c| c.key)
            .map(|c| c.name.clone())
            .collect();
        let pkey = &postgres.indexes[&format!("{table}_pkey")];
        assert_eq!((&pkey.keys, pkey.unique), (&keys, true), "{table}'s key");
    }

    assert_eq!(
        sqlite.foreign_keys, postgres.foreign_keys,
        "foreign keys and their ON DELETE"
    );
    // PostgreSQL's own: the notification of each move of the counters (LISTEN/NOTIFY).
    let mut pg_triggers = postgres.triggers.clone();
    assert!(pg_triggers.remove(&("generation".to_owned(), "generation_notify".to_owned())));
    assert_eq!(
        sqlite.triggers, pg_triggers,
        "the triggers (but the search table's)"
    );

    // The rows a new database starts with: the counters at zero, and the history's horizon
    // written as SQLite writes it (RFC 3339 UTC with milliseconds).
    assert_eq!(generations(&mut pg), (0, 0, 0));
    let horizon: String = pg
        .query_one("SELECT at FROM history_horizon WHERE id = 1", &[])
        .unwrap()
        .get(0);
    let shape = |t: &str| {
        t.chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect::<String>()
    };
    assert_eq!(shape(&horizon), "9999-99-99T99:99:99.999Z", "{horizon}");
    for second_row in [
        "INSERT INTO generation (id, config, directory) VALUES (2, 0, 0)",
        "INSERT INTO heartbeat (id, beat_at, clean_stop, interval_ms) VALUES (2, 't', 0, 1)",
        "INSERT INTO history_horizon (id, at) VALUES (2, 't')",
    ] {
        let (code, _) = refused(pg.execute(second_row, &[]));
        assert_eq!(
            code,
            SqlState::CHECK_VIOLATION,
            "{second_row}: one row, id 1"
        );
    }
}

/// Runs `sql` and checks how far it moved the counters `(config, directory, mapping)`.
#[track_caller]
fn expect_moved(pg: &mut Client, sql: &str, moved: (i64, i64, i64)) {
    let before = generations(pg);
    pg.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let after = generations(pg);
    assert_eq!(
        (after.0 - before.0, after.1 - before.1, after.2 - before.2),
        moved,
        "the counters (config, directory, mapping) after {sql}"
    );
}

#[test]
fn counters_move_with_each_statement_that_writes_and_only_when_it_commits() {
    let Some(url) = postgres::fresh_database() else {
        return;
    };
    runtime().block_on(migrate(&url)).unwrap();
    let mut pg = connect(&url);
    // Settings and connections: `config`.
    expect_moved(
        &mut pg,
        "INSERT INTO settings VALUES ('listen', '127.0.0.1:1')",
        (1, 0, 0),
    );
    expect_moved(&mut pg, "UPDATE settings SET value = 'x'", (1, 0, 0));
    expect_moved(
        &mut pg,
        "INSERT INTO connections (id, name, token_sha256, created_at) \
         VALUES ('c1', 'Okta', '\\x00', 't'), ('c2', 'Entra', '\\x01', 't')",
        (1, 0, 0),
    );
    expect_moved(
        &mut pg,
        "UPDATE connections SET name = name || '!'",
        (1, 0, 0),
    );
    // A refused request or a contact is not a change of names or tokens.
    expect_moved(
        &mut pg,
        "UPDATE connections SET refused_count = refused_count + 1, last_refused_at = 't', \
         last_contact_at = 't'",
        (0, 0, 0),
    );
    expect_moved(&mut pg, "DELETE FROM settings", (1, 0, 0));
    // Employees, groups and memberships: `directory`.
    expect_moved(
        &mut pg,
        "INSERT INTO employees (id, user_name, status, doc, created_at, updated_at) \
         VALUES ('e1', 'ann', 'active', '{}', 't', 't')",
        (0, 1, 0),
    );
    expect_moved(
        &mut pg,
        "UPDATE employees SET job_title = 'Chef'",
        (0, 1, 0),
    );
    expect_moved(
        &mut pg,
        "INSERT INTO groups (id, display_name, doc, created_at, updated_at) \
         VALUES ('g1', 'Cooks', '{}', 't', 't')",
        (0, 1, 0),
    );
    expect_moved(
        &mut pg,
        "INSERT INTO group_members (group_seq, member_id, kind) \
         SELECT seq, 'e1', 'User' FROM groups",
        (0, 1, 0),
    );
    // The group's deletion, and its membership's with it (ON DELETE CASCADE).
    expect_moved(&mut pg, "DELETE FROM groups", (0, 2, 0));
    expect_moved(&mut pg, "DELETE FROM employees", (0, 1, 0));
    // Custom fields and mappings: `mapping`.
    expect_moved(
        &mut pg,
        "INSERT INTO custom_fields VALUES ('badge', 'Badge', 'text', 0)",
        (0, 0, 1),
    );
    expect_moved(
        &mut pg,
        "INSERT INTO attribute_mappings (provider, fields) VALUES ('okta', '{\"badge\": null}')",
        (0, 0, 1),
    );
    // Nothing a cache holds: no counter.
    expect_moved(
        &mut pg,
        "INSERT INTO activity (at, method, operation, summary, outcome, status) \
         VALUES ('t', 'POST', 'create', 's', 'success', 201)",
        (0, 0, 0),
    );
    // A write rolled back leaves the counters where they were.
    expect_moved(
        &mut pg,
        "BEGIN; INSERT INTO settings VALUES ('k', 'v'); ROLLBACK",
        (0, 0, 0),
    );
}

#[test]
fn user_names_and_names_are_unique_without_case_as_in_sqlite() {
    let Some(url) = postgres::fresh_database() else {
        return;
    };
    runtime().block_on(migrate(&url)).unwrap();
    let mut pg = connect(&url);
    pg.execute(
        EMPLOYEE,
        &[
            &"e1",
            &"Ann.Lee@Corp.Example",
            &"Ann.Lee@Corp.Example",
            &"active",
        ],
    )
    .unwrap();
    // A second userName differing only in case is refused by the index, whichever server
    // writes it.
    let (code, constraint) = refused(pg.execute(
        EMPLOYEE,
        &[
            &"e2",
            &"ann.lee@corp.example",
            &"other@corp.example",
            &"active",
        ],
    ));
    assert_eq!(
        (code, constraint.as_str()),
        (SqlState::UNIQUE_VIOLATION, "employees_user_name")
    );
    // Among the employees not removed: a removed one's userName may be taken again.
    pg.execute(
        EMPLOYEE,
        &[
            &"e3",
            &"ANN.LEE@CORP.EXAMPLE",
            &"x@corp.example",
            &"removed",
        ],
    )
    .unwrap();
    // An email is looked up without case but is not unique, in SQLite as here.
    pg.execute(
        EMPLOYEE,
        &[
            &"e4",
            &"bob@corp.example",
            &"ANN.LEE@corp.example",
            &"active",
        ],
    )
    .unwrap();
    let found: i64 = pg
        .query_one(
            "SELECT COUNT(*) FROM employees WHERE lower(email) = lower($1)",
            &[&"ann.lee@CORP.example"],
        )
        .unwrap()
        .get(0);
    assert_eq!(found, 2);

    pg.batch_execute(
        "INSERT INTO connections (id, name, token_sha256, created_at) \
         VALUES ('c1', 'Okta EU', '\\x00', 't')",
    )
    .unwrap();
    let (code, constraint) = refused(pg.execute(
        "INSERT INTO connections (id, name, token_sha256, created_at) \
         VALUES ('c2', 'OKTA eu', '\\x01', 't')",
        &[],
    ));
    assert_eq!(
        (code, constraint.as_str()),
        (SqlState::UNIQUE_VIOLATION, "connections_name")
    );
    pg.batch_execute(
        "INSERT INTO groups (id, display_name, doc, created_at, updated_at) \
         VALUES ('g1', 'Engineering', '{}', 't', 't')",
    )
    .unwrap();
    let (code, constraint) = refused(pg.execute(
        "INSERT INTO groups (id, display_name, doc, created_at, updated_at) \
         VALUES ('g2', 'ENGINEERING', '{}', 't', 't')",
        &[],
    ));
    assert_eq!(
        (code, constraint.as_str()),
        (SqlState::UNIQUE_VIOLATION, "groups_display_name")
    );
    // The checks hold as in SQLite.
    let (code, _) = refused(pg.execute(
        EMPLOYEE,
        &[&"e5", &"eve@corp.example", &"eve@corp.example", &"gone"],
    ));
    assert_eq!(code, SqlState::CHECK_VIOLATION);
}

#[test]
fn the_search_has_a_trigram_index_for_each_field_it_searches() {
    let Some(url) = postgres::fresh_database() else {
        return;
    };
    runtime().block_on(migrate(&url)).unwrap();
    let mut pg = connect(&url);
    let trgm: i64 = pg
        .query_one(
            "SELECT COUNT(*) FROM pg_extension WHERE extname = 'pg_trgm'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(trgm, 1, "pg_trgm is installed");
    pg.batch_execute(
        "INSERT INTO employees (id, user_name, email, display_name, first_name, last_name, \
         job_title, department, business_unit, employee_id, status, doc, custom, created_at, \
         updated_at) VALUES ('e1', 'ann.lee@corp.example', 'ann.lee@corp.example', 'Ann Lee', \
         'Ann', 'Lee', 'Head Chef', 'Kitchen', 'Restaurants', 'E-1042', 'active', '{}', \
         '{\"badge\": \"Blue Door 7\", \"floor\": \"3\"}', 't', 't'); \
         ANALYZE employees",
    )
    .unwrap();
    // The custom values, one a line, as SQLite's search reads them (none: NULL).
    let values: Option<String> = pg
        .query_one("SELECT employee_custom_values(custom) FROM employees", &[])
        .unwrap()
        .get(0);
    assert_eq!(values.as_deref(), Some("Blue Door 7\n3"));
    let none: Option<String> = pg
        .query_one("SELECT employee_custom_values('{}')", &[])
        .unwrap()
        .get(0);
    assert_eq!(none, None);

    // Each field's search finds the employee, and goes through its own index. With the table
    // read and plain index scans off (on a table this small the planner would rightly read
    // the whole table instead): a trigram index serves only bitmap scans, which stay on.
    pg.batch_execute(
        "SET enable_seqscan = off; SET enable_indexscan = off; SET enable_indexonlyscan = off",
    )
    .unwrap();
    for ((expr, index), needle) in SEARCHED.iter().zip([
        "n le", "lee@corp", "ann.l", "ann lee", "ad che", "itche", "staur", "-104", "door",
    ]) {
        let condition = format!("{expr} LIKE '%' || lower($1) || '%'");
        let found: i64 = pg
            .query_one(
                &format!("SELECT COUNT(*) FROM employees WHERE {condition}"),
                &[&needle.to_uppercase()],
            )
            .unwrap()
            .get(0);
        assert_eq!(found, 1, "{needle} in {expr}");
        let plan: String = pg
            .query(
                &format!("EXPLAIN SELECT seq FROM employees WHERE {condition}"),
                &[&needle],
            )
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0) + "\n")
            .collect();
        assert!(
            plan.contains(index),
            "{expr} is searched through {index}:\n{plan}"
        );
    }
}

#[test]
fn two_servers_migrating_one_empty_database_at_once_both_start() {
    let Some(url) = postgres::fresh_database() else {
        return;
    };
    // Both migrators run at the same time, each on a connection of its own: the advisory lock
    // makes the second wait for the first, then find the schema applied.
    let (first, second) = runtime().block_on(async { tokio::join!(migrate(&url), migrate(&url)) });
    first.expect("the first server's migration");
    second.expect("the second server's migration");
    let mut pg = connect(&url);
    let applied: Vec<(i64, bool)> = pg
        .query(
            "SELECT version, success FROM _sqlx_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let files = std::fs::read_dir(migrations_dir())
        .unwrap()
        .filter(|f| {
            f.as_ref()
                .is_ok_and(|f| f.path().extension().is_some_and(|e| e == "sql"))
        })
        .count();
    assert_eq!(
        applied.len(),
        files,
        "each migration applied once: {applied:?}"
    );
    assert!(applied.iter().all(|(_, ok)| *ok), "{applied:?}");
    assert_eq!(
        generations(&mut pg),
        (0, 0, 0),
        "the seed rows written once"
    );
}

/// `scripts/with-postgres.sh CMD` as the test command runs it, outside any cluster of the
/// caller's (the variable removed, so that it starts one of its own).
fn with_postgres(command: &str) -> std::process::Command {
    let mut run = std::process::Command::new(workspace_root().join("scripts/with-postgres.sh"));
    run.args(["sh", "-c", command])
        .env_remove(postgres::URL_VAR)
        .env_remove(postgres::UNAVAILABLE_VAR)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    run
}

#[test]
fn the_test_postgresql_serves_the_command_durably_and_is_gone_after_it() {
    use std::io::{BufRead, BufReader, Read, Write};
    // Only where the test command could start PostgreSQL itself.
    if postgres::fresh_database().is_none() {
        return;
    }
    let mut child = with_postgres(r#"echo "$SCIMDESK_TEST_POSTGRES_URL"; read done; exit 7"#)
        .spawn()
        .expect("run scripts/with-postgres.sh");
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(
        url.starts_with("postgres://postgres@127.0.0.1:") && url.ends_with("/postgres"),
        "the admin URL: {url:?}"
    );
    // While the command runs: a server on loopback only, as durable as a real one.
    let mut pg = connect(&url);
    for (setting, value) in [
        ("fsync", "on"),
        ("synchronous_commit", "on"),
        ("listen_addresses", "127.0.0.1"),
    ] {
        let shown: String = pg
            .query_one(&format!("SHOW {setting}"), &[])
            .unwrap()
            .get(0);
        assert_eq!(shown, value, "{setting}");
    }
    drop(pg);
    child.stdin.take().unwrap().write_all(b"done\n").unwrap();
    let status = wait_for_exit(&mut child, CLI_TIMEOUT).expect("the script ends with its command");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(
        status.code(),
        Some(7),
        "the command's status, kept: {stderr}"
    );
    // Once it has ended: the server stopped and its directory removed.
    assert!(
        Client::connect(&url, NoTls).is_err(),
        "{url} still answers after the command ended"
    );
    let dir = stderr
        .lines()
        .find_map(|l| l.split_once(" (").map(|(_, d)| d.trim_end_matches(')')))
        .unwrap_or_else(|| panic!("the cluster's directory in: {stderr}"));
    assert!(
        !std::path::Path::new(dir).exists(),
        "{dir} is left behind: {stderr}"
    );
}

#[test]
fn without_postgresql_the_command_runs_and_is_told_why() {
    let empty = tempfile::tempdir().unwrap();
    let output = with_postgres(
        r#"echo "url=${SCIMDESK_TEST_POSTGRES_URL:-}"; echo "why=$SCIMDESK_TEST_POSTGRES_UNAVAILABLE"; exit 5"#,
    )
    .env("SCIMDESK_PG_BINDIR", empty.path())
    .output()
    .expect("run scripts/with-postgres.sh");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(5), "{stdout}{stderr}");
    assert!(stdout.contains("url=\n"), "no URL: {stdout}");
    let why = format!(
        "no initdb, pg_ctl and pg_isready in SCIMDESK_PG_BINDIR ({})",
        empty.path().display()
    );
    assert!(stdout.contains(&format!("why={why}\n")), "{stdout}");
    assert!(
        stderr.contains(&format!("PostgreSQL is not available: {why}")),
        "{stderr}"
    );
}
