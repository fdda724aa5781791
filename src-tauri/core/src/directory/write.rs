//! The pipeline every write of a user or a group goes through, whatever its method:
//!
//! 1. in the writer's transaction, the resource is read ([`existing`]) and, for a replace, a
//!    patch or a delete, held to the version the client names ([`existing_matching`]);
//! 2. the resource's own code changes its rows; a value taken by another resource is that
//!    resource type's 409 ([`unique`]); the activity line is appended in the same transaction;
//! 3. after the commit, [`Directory::finish_write`] tells the app what changed, or — when the
//!    transaction was rolled back — appends the failure's own activity line.
//!
//! What differs between users and groups (their columns, managers, members) stays in
//! `users.rs` and `groups.rs`; what is the same is here, once.

use crate::db::sql::Connection;

use super::activity::Attempt;
use super::{check_if_match, Directory, DirectoryError, WriteContext};
use crate::db::is_unique_violation;
use crate::events::ChangeEvent;
use crate::scim::ScimError;

/// A resource as a write finds it inside its transaction.
pub(super) trait Stored: Sized {
    /// How a refused `If-Match` names it: "user", "group".
    const NOUN: &'static str;
    /// The current resource `id`, if there is one.
    fn load(c: &Connection, id: &str) -> crate::db::sql::Result<Option<Self>>;
    /// The SCIM 404 for an id that names none.
    fn not_found(id: &str) -> ScimError;
    /// Its version, the number its ETag carries.
    fn version(&self) -> i64;
}

/// The resource `id`, or its SCIM 404.
pub(super) fn existing<S: Stored>(c: &Connection, id: &str) -> Result<S, DirectoryError> {
    S::load(c, id)?.ok_or_else(|| S::not_found(id).into())
}

/// The resource `id` at the version `if_match` names (any version without the header): how a
/// replace, a patch and a delete start.
pub(super) fn existing_matching<S: Stored>(
    c: &Connection,
    id: &str,
    if_match: Option<&str>,
) -> Result<S, DirectoryError> {
    let found = existing::<S>(c, id)?;
    check_if_match(if_match, found.version(), S::NOUN)?;
    Ok(found)
}

/// What a statement that writes a unique value answered: a value another resource has is the
/// resource type's 409 (`duplicate`); any other failure is the database's.
pub(super) fn unique<T>(
    written: crate::db::sql::Result<T>,
    duplicate: impl FnOnce() -> ScimError,
) -> Result<T, DirectoryError> {
    match written {
        Ok(done) => Ok(done),
        Err(e) if is_unique_violation(&e) => Err(duplicate().into()),
        Err(e) => Err(e.into()),
    }
}

impl Directory {
    /// The end of every write of a user or a group. A success tells the app what changed
    /// (`changed`) and that the activity log has the line the write appended; a failure, whose
    /// transaction was rolled back with that line, gets an activity line of its own.
    pub(super) async fn finish_write<T>(
        &self,
        ctx: &WriteContext,
        attempt: Attempt<'_>,
        result: Result<T, DirectoryError>,
        changed: impl FnOnce(&T) -> ChangeEvent,
    ) -> Result<T, DirectoryError> {
        match &result {
            Ok(written) => self.notify_written(ctx, changed(written)),
            Err(e) => self.record_failure(ctx, attempt, e).await,
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row(i64);

    impl Stored for Row {
        const NOUN: &'static str = "row";
        fn load(c: &Connection, id: &str) -> crate::db::sql::Result<Option<Self>> {
            use crate::db::sql::OptionalExtension;
            c.query_row("SELECT version FROM t WHERE id = ?", [id], |r| r.get(0))
                .optional()
                .map(|v| v.map(Row))
        }
        fn not_found(id: &str) -> ScimError {
            ScimError::not_found(format!("no row {id}"))
        }
        fn version(&self) -> i64 {
            self.0
        }
    }

    #[test]
    fn a_write_starts_from_the_current_version_and_a_taken_value_is_a_conflict() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (id TEXT PRIMARY KEY, version INTEGER); INSERT INTO t VALUES ('a', 3);",
        )
        .unwrap();
        assert_eq!(existing::<Row>(&c, "a").unwrap().0, 3);
        let missing = existing::<Row>(&c, "b").err().unwrap().to_scim();
        assert_eq!((missing.status, missing.detail.as_str()), (404, "no row b"));
        assert!(existing_matching::<Row>(&c, "a", Some("W/\"3\"")).is_ok());
        assert!(existing_matching::<Row>(&c, "a", None).is_ok());
        let stale = existing_matching::<Row>(&c, "a", Some("W/\"2\""))
            .err()
            .unwrap();
        assert_eq!(stale.to_scim().status, 412);

        let taken = unique(c.execute("INSERT INTO t VALUES ('a', 1)", ()), || {
            ScimError::conflict("taken")
        });
        assert_eq!(taken.err().unwrap().to_scim().status, 409);
        let other = unique(c.execute("INSERT INTO nowhere VALUES (1)", ()), || {
            ScimError::conflict("taken")
        });
        assert!(matches!(other, Err(DirectoryError::Store(_))), "{other:?}");
    }
}
