//! A PostgreSQL database of a core test's own, on the throwaway cluster that
//! `scripts/with-postgres.sh` runs beside the tests (the same as `scimdesk-tests`'
//! `postgres::fresh_database`, for the core's own tests).
//!
//! The script hands the tests an admin URL in [`URL_VAR`]; [`fresh_database`] creates a new,
//! empty database through it and returns its URL. Without the variable a test that needs
//! PostgreSQL skips and says why on stderr: never silently.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The admin URL of the test cluster (`postgres://postgres@127.0.0.1:<port>/postgres`).
pub(crate) const URL_VAR: &str = "SCIMDESK_TEST_POSTGRES_URL";

/// Why the script found no PostgreSQL, when it found none.
const UNAVAILABLE_VAR: &str = "SCIMDESK_TEST_POSTGRES_UNAVAILABLE";

/// The URL of a new, empty database on the test cluster; `None` (after printing
/// "skipped: PostgreSQL is not available: <why>") when the tests run without one.
///
/// Panics when the cluster was announced but refuses: that is a failure, not a skip.
pub(crate) fn fresh_database() -> Option<String> {
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
    let name = unique_name();
    let mut client = ::postgres::Client::connect(&admin, ::postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to the test PostgreSQL at {admin}: {e}"));
    // A name of lowercase letters, digits and underscores: nothing to quote or escape.
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("create the test database {name}: {e}"));
    let mut url =
        url::Url::parse(&admin).unwrap_or_else(|e| panic!("{URL_VAR} is not a URL ({admin}): {e}"));
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
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

/// A database name unique on the cluster: this process, a counter within it, and the time.
fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("scimdesk_test_{}_{n}_{nanos:x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fresh_database_is_new_empty_and_reachable() {
        let Some(first) = fresh_database() else {
            return;
        };
        let second = fresh_database().expect("the cluster answered a moment ago");
        assert_ne!(first, second);
        let mut c = ::postgres::Client::connect(&first, ::postgres::NoTls).unwrap();
        let tables: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(tables, 0, "{first} is not empty");
        let name: String = c
            .query_one("SELECT current_database()", &[])
            .unwrap()
            .get(0);
        assert!(first.ends_with(&format!("/{name}")), "{first} is {name}");
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
