//! A PostgreSQL database of a test's own, on the throwaway cluster that
//! `scripts/with-postgres.sh` runs beside the tests.
//!
//! The script hands the tests an admin URL ([`URL_VAR`]); [`fresh_database`] creates a new,
//! empty database through it, with a name no other test (nor another test process on the same
//! cluster) uses, and returns that database's URL. Without the variable, a test that needs
//! PostgreSQL skips, and says why on stderr: never silently.
//!
//! Not for: SCIM Desk's own schema or queries (the binary applies its migrations itself); this
//! only makes the empty database a test points it at.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The admin URL of the test cluster (`postgres://postgres@127.0.0.1:<port>/postgres`).
pub const URL_VAR: &str = "SCIMDESK_TEST_POSTGRES_URL";

/// Why the script found no PostgreSQL, when it found none.
pub const UNAVAILABLE_VAR: &str = "SCIMDESK_TEST_POSTGRES_UNAVAILABLE";

/// The URL of a new, empty database on the test cluster; `None` (after printing
/// "skipped: PostgreSQL is not available: <why>") when the tests run without one.
///
/// Panics when the cluster was announced but refuses: that is a failure, not a skip.
pub fn fresh_database() -> Option<String> {
    let admin = match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            eprintln!(
                "skipped: PostgreSQL is not available: {}",
                unavailable_reason()
            );
            return None;
        }
    };
    Some(fresh_database_on(&admin))
}

/// The URL of a new, empty database created through `admin` (an admin URL such as
/// [`URL_VAR`]'s). Panics when the cluster refuses.
pub fn fresh_database_on(admin: &str) -> String {
    let name = unique_name();
    let mut client = ::postgres::Client::connect(admin, ::postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to the test PostgreSQL at {admin}: {e}"));
    // A name of lowercase letters, digits and underscores: nothing to quote or escape.
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("create the test database {name}: {e}"));
    database_url(admin, &name)
}

/// Drops a database [`fresh_database_on`] made through `admin` (its clients gone first), so a
/// long run on a developer's own cluster leaves nothing behind. Panics when the cluster refuses.
pub fn drop_database(admin: &str, database: &str) {
    let name = reqwest::Url::parse(database)
        .unwrap_or_else(|e| panic!("not a database URL ({database}): {e}"))
        .path()
        .trim_start_matches('/')
        .to_owned();
    assert!(
        name.starts_with("scimdesk_test_"),
        "{name}: only a database made by fresh_database_on is dropped"
    );
    let mut client = ::postgres::Client::connect(admin, ::postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to the test PostgreSQL at {admin}: {e}"));
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap_or_else(|e| panic!("drop the test database {name}: {e}"));
}

/// Why there is no test PostgreSQL, in the words of `scripts/with-postgres.sh` when it ran.
fn unavailable_reason() -> String {
    match std::env::var(UNAVAILABLE_VAR) {
        Ok(why) if !why.trim().is_empty() => why,
        _ => format!(
            "{URL_VAR} is not set (run the tests through scripts/with-postgres.sh, as \
             scripts/test.sh does)"
        ),
    }
}

/// A database name unique on the cluster: this process, a counter within it, and the time (a
/// later run on a cluster kept by the developer does not meet an earlier run's databases).
fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("scimdesk_test_{}_{n}_{nanos:x}", std::process::id())
}

/// `admin` with its database (the URL's path) replaced by `name`, query and credentials kept.
fn database_url(admin: &str, name: &str) -> String {
    let mut url = reqwest::Url::parse(admin)
        .unwrap_or_else(|e| panic!("{URL_VAR} is not a URL ({admin}): {e}"));
    url.set_path(&format!("/{name}"));
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_replaces_the_path_and_keeps_the_rest() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5433/postgres", "t_1"),
            "postgres://postgres@127.0.0.1:5433/t_1"
        );
        assert_eq!(
            database_url(
                "postgres://u:p@127.0.0.1:5433/postgres?sslmode=disable",
                "t_1"
            ),
            "postgres://u:p@127.0.0.1:5433/t_1?sslmode=disable"
        );
    }

    #[test]
    fn names_are_plain_identifiers_and_never_repeat() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        for name in [a, b] {
            assert!(
                name.len() <= 63,
                "{name}: PostgreSQL cuts names at 63 bytes"
            );
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
        }
    }
}
