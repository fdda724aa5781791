//! One SQL surface over the two engines: a connection, its statements, their rows, the values
//! bound and read, and the one error of both.
//!
//! The storage modules write their SQL once, against this surface, and it runs on SQLite
//! (rusqlite, the embedded default) or on PostgreSQL (the sync `postgres` client, for servers
//! that share one database). The surface is rusqlite's own shape — `prepare_cached`,
//! `execute`, `query_row`, `query_map`, `optional` — so a statement reads the same on both.
//!
//! What differs between the engines is settled here once:
//! - placeholders: statements are written with SQLite's `?`/`?NNN`, rewritten to `$NNN` for
//!   PostgreSQL (outside quotes);
//! - values: SQLite is typed by value, PostgreSQL by column. A bound [`Value`] is encoded as the
//!   type PostgreSQL expects at its place (an integer into a `bigint` or a `boolean`, text into
//!   `text` or `jsonb`), and any column is read back as a [`Value`]. So the same Rust types bind
//!   and read on both (the PostgreSQL schema keeps SQLite's types: see `migrations-pg`);
//! - the SQL that really differs (a function, a collation, a search index) is written twice,
//!   chosen by [`Connection::dialect`].
//!
//! The PostgreSQL client blocks its thread: `Db` runs it only on threads of its own, never on
//! an async runtime's.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Which SQL a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A value bound to or read from a statement: SQLite's five storage classes, which PostgreSQL's
/// columns of this schema map onto.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// The one error of both engines.
#[derive(Debug)]
pub enum Error {
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
    /// A statement meant to return a row returned none.
    NoRows,
    /// A column could not be read as the type asked for.
    Conversion {
        column: String,
        why: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Sqlite(e) => e.fmt(f),
            Error::Postgres(e) => f.write_str(&Error::postgres_text(e)),
            Error::NoRows => f.write_str("the query returned no rows"),
            Error::Conversion { column, why } => write!(f, "column {column}: {why}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// What PostgreSQL said, with its SQLSTATE (the client's own text leaves the server's
    /// message out).
    pub(crate) fn postgres_text(e: &postgres::Error) -> String {
        match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            e => Error::Sqlite(e),
        }
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Postgres(e)
    }
}

impl Error {
    /// The SQLSTATE of a PostgreSQL error (`23505` for a unique violation, …).
    pub fn postgres_code(&self) -> Option<&str> {
        match self {
            Error::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }

    /// A UNIQUE or PRIMARY KEY constraint failed.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Sqlite(e) => super::sqlite_unique_violation(e),
            Error::Postgres(_) => self.postgres_code() == Some("23505"),
            _ => false,
        }
    }
}

/// `.optional()` on a read of one row: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(Error::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What may be bound to a placeholder.
pub trait ToSql {
    fn to_value(&self) -> Value;
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToSql + ?Sized> ToSql for Box<T> {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

impl ToSql for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

macro_rules! integer_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_value(&self) -> Value {
                Value::Integer(*self as i64)
            }
        }
    )*};
}
integer_to_sql!(i64, i32, i16, u32, u16, u8, u64, usize, isize);

impl ToSql for bool {
    fn to_value(&self) -> Value {
        Value::Integer(*self as i64)
    }
}

impl ToSql for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToSql for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToSql for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToSql for std::borrow::Cow<'_, str> {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToSql for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToSql for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl<const N: usize> ToSql for [u8; N] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

/// The values of a statement's placeholders, in order.
pub trait Params {
    fn values(self) -> Vec<Value>;
}

impl<T: ToSql> Params for &[T] {
    fn values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_value).collect()
    }
}

impl<T: ToSql> Params for &Vec<T> {
    fn values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_value).collect()
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_value).collect()
    }
}

impl<T: ToSql, const N: usize> Params for &[T; N] {
    fn values(self) -> Vec<Value> {
        self.iter().map(ToSql::to_value).collect()
    }
}

impl Params for () {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}

macro_rules! tuple_params {
    ($($name:ident),+) => {
        impl<$($name: ToSql),+> Params for ($($name,)+) {
            #[allow(non_snake_case)]
            fn values(self) -> Vec<Value> {
                let ($($name,)+) = self;
                vec![$($name.to_value()),+]
            }
        }
    };
}
tuple_params!(A);
tuple_params!(A, B);
tuple_params!(A, B, C);
tuple_params!(A, B, C, D);
tuple_params!(A, B, C, D, E);
tuple_params!(A, B, C, D, E, F);
tuple_params!(A, B, C, D, E, F, G);
tuple_params!(A, B, C, D, E, F, G, H);

/// Binds the items of an iterator, in order (rusqlite's `params_from_iter`).
pub struct ParamsFromIter<I>(I);

pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter)
}

impl<I> Params for ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    fn values(self) -> Vec<Value> {
        self.0.into_iter().map(|v| v.to_value()).collect()
    }
}

/// `params![a, b, c]`: placeholders' values of different types.
#[macro_export]
macro_rules! sql_params {
    () => {
        &[] as &[&dyn $crate::db::sql::ToSql]
    };
    ($($param:expr),+ $(,)?) => {
        &[$(&$param as &dyn $crate::db::sql::ToSql),+] as &[&dyn $crate::db::sql::ToSql]
    };
}
pub use crate::sql_params as params;

/// What a column may be read as.
pub trait FromSql: Sized {
    fn from_value(value: Value) -> std::result::Result<Self, String>;
}

impl FromSql for Value {
    fn from_value(value: Value) -> std::result::Result<Self, String> {
        Ok(value)
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_value(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

macro_rules! integer_from_sql {
    ($($t:ty),*) => {$(
        impl FromSql for $t {
            fn from_value(value: Value) -> std::result::Result<Self, String> {
                match value {
                    Value::Integer(i) => <$t>::try_from(i)
                        .map_err(|_| format!("{i} is out of range for {}", stringify!($t))),
                    other => Err(format!("expected an integer, found {other:?}")),
                }
            }
        }
    )*};
}
integer_from_sql!(i64, i32, i16, u32, u16, u8, u64, usize);

impl FromSql for bool {
    fn from_value(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Integer(i) => Ok(i != 0),
            other => Err(format!("expected a flag, found {other:?}")),
        }
    }
}

impl FromSql for f64 {
    fn from_value(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Real(f) => Ok(f),
            Value::Integer(i) => Ok(i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

impl FromSql for String {
    fn from_value(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_value(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::Blob(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}

/// A column of a row: by position, or by name.
pub trait RowIndex {
    fn describe(&self) -> String;
    fn sqlite(&self, row: &rusqlite::Row<'_>) -> Result<rusqlite::types::Value>;
    fn postgres(&self, row: &postgres::Row) -> Result<Value>;
}

impl RowIndex for usize {
    fn describe(&self) -> String {
        self.to_string()
    }
    fn sqlite(&self, row: &rusqlite::Row<'_>) -> Result<rusqlite::types::Value> {
        Ok(row.get(*self)?)
    }
    fn postgres(&self, row: &postgres::Row) -> Result<Value> {
        Ok(row.try_get::<_, PgValue>(*self)?.0)
    }
}

impl RowIndex for &str {
    fn describe(&self) -> String {
        (*self).to_owned()
    }
    fn sqlite(&self, row: &rusqlite::Row<'_>) -> Result<rusqlite::types::Value> {
        Ok(row.get(*self)?)
    }
    fn postgres(&self, row: &postgres::Row) -> Result<Value> {
        Ok(row.try_get::<_, PgValue>(*self)?.0)
    }
}

/// A row of a result.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

impl Row<'_> {
    pub fn get<I: RowIndex, T: FromSql>(&self, index: I) -> Result<T> {
        let value = match self {
            Row::Sqlite(row) => from_sqlite(index.sqlite(row)?),
            Row::Postgres(row) => index.postgres(row)?,
        };
        T::from_value(value).map_err(|why| Error::Conversion {
            column: index.describe(),
            why,
        })
    }
}

fn from_sqlite(v: rusqlite::types::Value) -> Value {
    use rusqlite::types::Value as V;
    match v {
        V::Null => Value::Null,
        V::Integer(i) => Value::Integer(i),
        V::Real(f) => Value::Real(f),
        V::Text(s) => Value::Text(s),
        V::Blob(b) => Value::Blob(b),
    }
}

fn to_sqlite(v: Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Value::Null => V::Null,
        Value::Integer(i) => V::Integer(i),
        Value::Real(f) => V::Real(f),
        Value::Text(s) => V::Text(s),
        Value::Blob(b) => V::Blob(b),
    }
}

/// A connection to either engine. Owned by one thread at a time.
pub struct Connection {
    engine: Engine,
}

enum Engine {
    Sqlite(rusqlite::Connection),
    Postgres(Box<Pg>),
}

#[doc(hidden)]
pub struct Pg {
    /// Always `Some` until dropped (see the `Drop` below).
    client: RefCell<Option<postgres::Client>>,
    /// Prepared statements by their SQLite text (what `prepare_cached` is asked for).
    cache: RefCell<HashMap<String, postgres::Statement>>,
    /// Rows the last statement changed (SQLite's `changes()`).
    changes: Cell<u64>,
    /// Whether a transaction is open (begun by [`Connection::execute_batch`]): a statement that
    /// fails to prepare then spoils it, unless tried in a savepoint.
    in_transaction: Cell<bool>,
    /// Statements PostgreSQL cannot type alone, prepared with their values' types instead.
    typed: RefCell<std::collections::HashSet<String>>,
}

/// Statements kept prepared per PostgreSQL connection, at most.
const PG_CACHE: usize = 256;

impl Connection {
    pub fn sqlite(conn: rusqlite::Connection) -> Connection {
        Connection {
            engine: Engine::Sqlite(conn),
        }
    }

    /// A SQLite database in memory (for tests of one module).
    pub fn open_in_memory() -> Result<Connection> {
        Ok(Connection::sqlite(rusqlite::Connection::open_in_memory()?))
    }

    /// A SQLite database file, opened read-write.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Connection> {
        Ok(Connection::sqlite(rusqlite::Connection::open(path)?))
    }

    pub fn postgres(client: postgres::Client) -> Connection {
        Connection {
            engine: Engine::Postgres(Box::new(Pg {
                client: RefCell::new(Some(client)),
                cache: RefCell::new(HashMap::new()),
                changes: Cell::new(0),
                in_transaction: Cell::new(false),
                typed: RefCell::default(),
            })),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.engine {
            Engine::Sqlite(_) => Dialect::Sqlite,
            Engine::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, hooks).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.engine {
            Engine::Sqlite(c) => Some(c),
            Engine::Postgres(_) => None,
        }
    }

    /// `lite` on SQLite, `pg` on PostgreSQL: for the few statements the dialects spell apart.
    pub fn pick<'s>(&self, lite: &'s str, pg: &'s str) -> &'s str {
        match self.dialect() {
            Dialect::Sqlite => lite,
            Dialect::Postgres => pg,
        }
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.engine {
            Engine::Sqlite(c) => Ok(Statement::SqliteCached(c.prepare_cached(sql)?)),
            Engine::Postgres(pg) => Ok(Statement::Postgres {
                pg,
                stmt: pg.prepare(sql, true)?,
            }),
        }
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.engine {
            Engine::Sqlite(c) => Ok(Statement::Sqlite(c.prepare(sql)?)),
            Engine::Postgres(pg) => Ok(Statement::Postgres {
                pg,
                stmt: pg.prepare(sql, false)?,
            }),
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare(sql)?.execute(params)
    }

    pub fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.prepare(sql)?.query_row(params, f)
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Engine::Postgres(pg) => {
                pg.client().batch_execute(sql)?;
                let head = sql.trim_start().to_ascii_uppercase();
                if head.starts_with("BEGIN") || head.starts_with("START TRANSACTION") {
                    pg.in_transaction.set(true);
                } else if head.starts_with("COMMIT")
                    || head.starts_with("END")
                    || (head.starts_with("ROLLBACK") && !head.starts_with("ROLLBACK TO"))
                {
                    pg.in_transaction.set(false);
                }
                Ok(())
            }
        }
    }

    /// The rowid (SQLite) or the sequence value (PostgreSQL, `lastval()`) of the last insert.
    pub fn last_insert_rowid(&self) -> Result<i64> {
        match &self.engine {
            Engine::Sqlite(c) => Ok(c.last_insert_rowid()),
            Engine::Postgres(_) => self.query_row("SELECT lastval()", (), |r| r.get(0)),
        }
    }

    /// Rows the last statement inserted, changed or deleted.
    pub fn changes(&self) -> u64 {
        match &self.engine {
            Engine::Sqlite(c) => c.changes(),
            Engine::Postgres(pg) => pg.changes.get(),
        }
    }

    /// Whether the connection still answers (a PostgreSQL server may have gone away).
    pub fn is_closed(&self) -> bool {
        match &self.engine {
            Engine::Sqlite(_) => false,
            Engine::Postgres(pg) => pg.client().is_closed(),
        }
    }
}

impl Pg {
    fn client(&self) -> std::cell::RefMut<'_, postgres::Client> {
        std::cell::RefMut::map(self.client.borrow_mut(), |c| {
            c.as_mut()
                .expect("a PostgreSQL connection is open until dropped")
        })
    }

    /// Prepares `sql`, or leaves it to be prepared with its values' types when PostgreSQL
    /// cannot tell a placeholder's type from the statement alone (`? IS NULL`, which SQLite
    /// takes as it comes).
    fn prepare(&self, sql: &str, cached: bool) -> Result<PgStatement> {
        if let Some(stmt) = self.cache.borrow().get(sql) {
            return Ok(PgStatement::Ready(stmt.clone()));
        }
        if self.typed.borrow().contains(sql) {
            return Ok(PgStatement::Typed(sql.to_owned()));
        }
        let guarded = self.in_transaction.get();
        if guarded {
            self.client().batch_execute("SAVEPOINT scimdesk_prepare")?;
        }
        let prepared = self.client().prepare(&to_postgres(sql));
        if guarded {
            self.client().batch_execute(match prepared {
                Ok(_) => "RELEASE scimdesk_prepare",
                Err(_) => "ROLLBACK TO scimdesk_prepare; RELEASE scimdesk_prepare",
            })?;
        }
        let stmt = match prepared {
            Ok(stmt) => stmt,
            Err(e) if e.code().map(|c| c.code()) == Some("42P08") => {
                self.typed.borrow_mut().insert(sql.to_owned());
                return Ok(PgStatement::Typed(sql.to_owned()));
            }
            Err(e) => return Err(refused(sql, e)),
        };
        if cached {
            self.keep(sql.to_owned(), stmt.clone());
        }
        Ok(PgStatement::Ready(stmt))
    }

    fn keep(&self, key: String, stmt: postgres::Statement) {
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= PG_CACHE {
            cache.clear();
        }
        cache.insert(key, stmt);
    }

    /// The statement to run with `values`: prepared already, or now with their types.
    fn resolve(&self, stmt: &PgStatement, values: &[Value]) -> Result<postgres::Statement> {
        let sql = match stmt {
            PgStatement::Ready(stmt) => return Ok(stmt.clone()),
            PgStatement::Typed(sql) => sql,
        };
        use postgres::types::Type;
        let types: Vec<Type> = values
            .iter()
            .map(|v| match v {
                Value::Integer(_) => Type::INT8,
                Value::Real(_) => Type::FLOAT8,
                Value::Blob(_) => Type::BYTEA,
                Value::Text(_) | Value::Null => Type::TEXT,
            })
            .collect();
        let key = format!("{sql}\0{types:?}");
        if let Some(stmt) = self.cache.borrow().get(&key) {
            return Ok(stmt.clone());
        }
        let stmt = self
            .client()
            .prepare_typed(&to_postgres(sql), &types)
            .map_err(|e| refused(sql, e))?;
        self.keep(key, stmt.clone());
        Ok(stmt)
    }

    fn rows(&self, stmt: &PgStatement, values: Vec<Value>) -> Result<Vec<postgres::Row>> {
        let stmt = self.resolve(stmt, &values)?;
        let params = pg_params(&values);
        Ok(self.client().query(&stmt, &params)?)
    }

    fn execute(&self, stmt: &PgStatement, values: Vec<Value>) -> Result<u64> {
        let stmt = self.resolve(stmt, &values)?;
        let params = pg_params(&values);
        let n = self.client().execute(&stmt, &params)?;
        self.changes.set(n);
        Ok(n)
    }
}

/// A statement PostgreSQL refused to prepare: said in the debug log with its SQL (which holds
/// no value: those are bound apart).
fn refused(sql: &str, e: postgres::Error) -> Error {
    tracing::debug!(error = %Error::postgres_text(&e), sql, "PostgreSQL refused a statement");
    if std::env::var_os("SCIMDESK_SQL_DEBUG").is_some() {
        eprintln!(
            "PostgreSQL refused: {}\n{}",
            Error::postgres_text(&e),
            to_postgres(sql)
        );
    }
    Error::Postgres(e)
}

/// A PostgreSQL statement: prepared, or to prepare with its values' types.
#[doc(hidden)]
pub enum PgStatement {
    Ready(postgres::Statement),
    Typed(String),
}

fn pg_params(values: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

impl Drop for Pg {
    /// Closing the client blocks on its runtime, which may not happen on an async runtime's
    /// thread (a `Db` may be dropped on one): there, it closes on a thread of its own.
    fn drop(&mut self) {
        let Some(client) = self.client.get_mut().take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(_) => {
                let _ = std::thread::Builder::new()
                    .name("scimdesk-pg-close".into())
                    .spawn(move || drop(client));
            }
            Err(_) => drop(client),
        }
    }
}

/// A prepared statement.
pub enum Statement<'c> {
    SqliteCached(rusqlite::CachedStatement<'c>),
    Sqlite(rusqlite::Statement<'c>),
    Postgres { pg: &'c Pg, stmt: PgStatement },
}

impl<'c> Statement<'c> {
    fn sqlite(&mut self) -> Option<&mut rusqlite::Statement<'c>> {
        match self {
            Statement::SqliteCached(s) => Some(s),
            Statement::Sqlite(s) => Some(s),
            Statement::Postgres { .. } => None,
        }
    }

    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let values = params.values();
        if let Some(s) = self.sqlite() {
            return Ok(s.execute(rusqlite::params_from_iter(
                values.into_iter().map(to_sqlite),
            ))?);
        }
        let Statement::Postgres { pg, stmt } = self else {
            unreachable!()
        };
        Ok(pg.execute(stmt, values)? as usize)
    }

    pub fn query_row<T, P: Params>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let values = params.values();
        if let Some(s) = self.sqlite() {
            let mut rows = s.query(rusqlite::params_from_iter(
                values.into_iter().map(to_sqlite),
            ))?;
            return match rows.next()? {
                Some(row) => f(&Row::Sqlite(row)),
                None => Err(Error::NoRows),
            };
        }
        let Statement::Postgres { pg, stmt } = self else {
            unreachable!()
        };
        let rows = pg.rows(stmt, values)?;
        match rows.first() {
            Some(row) => f(&Row::Postgres(row)),
            None => Err(Error::NoRows),
        }
    }

    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.query_row(params, |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
    }

    /// The rows, each mapped by `f`. On SQLite they are read as the iterator is; on PostgreSQL
    /// they have been fetched whole.
    pub fn query_map<'s, T: 's, P: Params>(
        &'s mut self,
        params: P,
        mut f: impl FnMut(&Row<'_>) -> Result<T> + 's,
    ) -> Result<MappedRows<'s, T>> {
        let values = params.values();
        let sqlite = match self {
            Statement::SqliteCached(s) => &mut **s,
            Statement::Sqlite(s) => s,
            Statement::Postgres { pg, stmt } => {
                let rows = pg.rows(stmt, values)?;
                return Ok(MappedRows(Box::new(
                    rows.into_iter().map(move |row| f(&Row::Postgres(&row))),
                )));
            }
        };
        let rows = sqlite.query_map(
            rusqlite::params_from_iter(values.into_iter().map(to_sqlite)),
            move |row| Ok(f(&Row::Sqlite(row))),
        )?;
        Ok(MappedRows(Box::new(rows.map(|r| match r {
            Ok(mapped) => mapped,
            Err(e) => Err(Error::from(e)),
        }))))
    }

    /// The rows, to step through with [`Rows::next`].
    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        let values = params.values();
        let sqlite = match self {
            Statement::SqliteCached(s) => &mut **s,
            Statement::Sqlite(s) => s,
            Statement::Postgres { pg, stmt } => {
                let rows = pg.rows(stmt, values)?;
                return Ok(Rows::Postgres {
                    rows: rows.into_iter(),
                    current: None,
                });
            }
        };
        Ok(Rows::Sqlite(sqlite.query(rusqlite::params_from_iter(
            values.into_iter().map(to_sqlite),
        ))?))
    }
}

/// Rows mapped to values, as an iterator.
pub struct MappedRows<'s, T>(Box<dyn Iterator<Item = Result<T>> + 's>);

impl<T> Iterator for MappedRows<'_, T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        self.0.next()
    }
}

/// Rows to step through.
pub enum Rows<'s> {
    Sqlite(rusqlite::Rows<'s>),
    Postgres {
        rows: std::vec::IntoIter<postgres::Row>,
        current: Option<postgres::Row>,
    },
}

impl Rows<'_> {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match self {
            Rows::Sqlite(rows) => Ok(rows.next()?.map(Row::Sqlite)),
            Rows::Postgres { rows, current } => {
                *current = rows.next();
                Ok(current.as_ref().map(Row::Postgres))
            }
        }
    }
}

/// A statement written for SQLite, as PostgreSQL reads it: placeholders (`?`, `?NNN`) become
/// `$NNN` (a bare `?` is one more than the largest number before it, as in SQLite); `LIKE`,
/// which SQLite compares without case, becomes `ILIKE`; `IFNULL` becomes `COALESCE`. Quoted
/// text and identifiers are left as they are.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut highest = 0u32;
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match word.to_ascii_uppercase().as_str() {
            "LIKE" => out.push_str("ILIKE"),
            "IFNULL" => out.push_str("COALESCE"),
            _ => out.push_str(word),
        }
        word.clear();
    };
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = match digits.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => highest + 1,
                };
                highest = highest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            c => out.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A [`Value`] read from any PostgreSQL column of this schema's types.
struct PgValue(Value);

impl<'a> postgres::types::FromSql<'a> for PgValue {
    fn from_sql(
        ty: &postgres::types::Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        let value = match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::OID => Value::Integer(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => match raw.split_first() {
                Some((1, text)) => Value::Text(std::str::from_utf8(text)?.to_owned()),
                _ => return Err("unsupported jsonb version".into()),
            },
            _ => Value::Text(std::str::from_utf8(raw)?.to_owned()),
        };
        Ok(PgValue(value))
    }

    fn from_sql_null(
        _: &postgres::types::Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(ty: &postgres::types::Type) -> bool {
        use postgres::types::Type;
        // Text-like types arrive as their UTF-8 text; NUMERIC (what SUM of a bigint gives)
        // does not: cast it to bigint in the SQL.
        !matches!(
            *ty,
            Type::NUMERIC | Type::TIMESTAMP | Type::TIMESTAMPTZ | Type::DATE
        )
    }
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        use bytes::BufMut;
        use postgres::types::{IsNull, Type};
        match (self, ty) {
            (Value::Null, _) => return Ok(IsNull::Yes),
            (Value::Integer(i), &Type::INT8) => {
                i.to_sql(ty, out)?;
            }
            (Value::Integer(i), &Type::INT4) => {
                i32::try_from(*i)?.to_sql(ty, out)?;
            }
            (Value::Integer(i), &Type::INT2) => {
                i16::try_from(*i)?.to_sql(ty, out)?;
            }
            (Value::Integer(i), &Type::BOOL) => {
                (*i != 0).to_sql(ty, out)?;
            }
            (Value::Integer(i), &Type::FLOAT8) => {
                (*i as f64).to_sql(ty, out)?;
            }
            (Value::Integer(i), _) => out.put_slice(i.to_string().as_bytes()),
            (Value::Real(f), &Type::FLOAT4) => {
                (*f as f32).to_sql(ty, out)?;
            }
            (Value::Real(f), &Type::FLOAT8) => {
                f.to_sql(ty, out)?;
            }
            (Value::Real(f), _) => out.put_slice(f.to_string().as_bytes()),
            (Value::Text(s), &Type::INT8) => {
                s.trim().parse::<i64>()?.to_sql(ty, out)?;
            }
            (Value::Text(s), &Type::INT4) => {
                s.trim().parse::<i32>()?.to_sql(ty, out)?;
            }
            (Value::Text(s), &Type::JSONB) => {
                out.put_u8(1);
                out.put_slice(s.as_bytes());
            }
            (Value::Text(s), &Type::BYTEA) => out.put_slice(s.as_bytes()),
            (Value::Text(s), _) => out.put_slice(s.as_bytes()),
            (Value::Blob(b), _) => out.put_slice(b),
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_outside_quotes() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2"
        );
        assert_eq!(
            to_postgres("UPDATE t SET a = ?2 WHERE id = ?1 AND b = ?"),
            "UPDATE t SET a = $2 WHERE id = $1 AND b = $3"
        );
        assert_eq!(
            to_postgres("SELECT '?' || \"a?\" FROM t WHERE x = ?"),
            "SELECT '?' || \"a?\" FROM t WHERE x = $1"
        );
        assert_eq!(to_postgres("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
        assert_eq!(
            to_postgres(
                "SELECT IFNULL(a, 'LIKE') FROM t WHERE n NOT like ? ESCAPE '\\' AND unlike = ?"
            ),
            "SELECT COALESCE(a, 'LIKE') FROM t WHERE n NOT ILIKE $1 ESCAPE '\\' AND unlike = $2"
        );
    }

    #[test]
    fn the_same_statements_read_and_write_through_sqlite() {
        let c = Connection::sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER, b BLOB)")
            .unwrap();
        c.prepare_cached("INSERT INTO t (name, n, b) VALUES (?, ?2, ?3)")
            .unwrap()
            .execute(params!["a", 1_i64, vec![1u8, 2]])
            .unwrap();
        assert_eq!(c.last_insert_rowid().unwrap(), 1);
        c.execute(
            "INSERT INTO t (name, n) VALUES (?1, ?2)",
            params![None::<String>, true],
        )
        .unwrap();
        assert_eq!(c.changes(), 1);
        let rows: Vec<(Option<String>, i64)> = c
            .prepare("SELECT name, n FROM t ORDER BY id")
            .unwrap()
            .query_map((), |r| Ok((r.get(0)?, r.get("n")?)))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(rows, vec![(Some("a".into()), 1), (None, 1)]);
        let none = c
            .query_row("SELECT id FROM t WHERE id = ?", [99], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .unwrap();
        assert_eq!(none, None);
        let blob: Vec<u8> = c
            .query_row("SELECT b FROM t WHERE id = 1", (), |r| r.get(0))
            .unwrap();
        assert_eq!(blob, vec![1, 2]);
        let e = c
            .execute("INSERT INTO t (id, name) VALUES (1, 'x')", ())
            .unwrap_err();
        assert!(e.is_unique_violation(), "{e}");
    }
}
