//! The directory's error: either a refusal of what a request asked for — its content, a
//! resource that is not there, a conflict, a stale version: a SCIM error with its 4xx status —
//! or a failure of the database ([`StoreError`], which keeps what SQLite said).
//!
//! Each edge maps it once: [`DirectoryError::to_scim`] is what an identity provider is answered
//! (and what the activity log records of a failed write); the IPC edge words it for the admin
//! (`views`).

use crate::db::StoreError;
use crate::scim::ScimError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum DirectoryError {
    /// The request asked for something the directory refuses.
    #[error("{}", .0.detail)]
    Refused(ScimError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ScimError> for DirectoryError {
    fn from(e: ScimError) -> Self {
        DirectoryError::Refused(e)
    }
}

impl From<crate::db::sql::Error> for DirectoryError {
    fn from(e: crate::db::sql::Error) -> Self {
        DirectoryError::Store(crate::db::direct_error(e))
    }
}

impl DirectoryError {
    /// The SCIM error a client is answered: a refusal as it is; a failure of the database as a
    /// 503 when retrying helps (a full disk, a busy database, work stopped at its deadline) and
    /// a 500 otherwise, written for the Okta admin who reads it in Okta's task list, with the
    /// cause in the app's log instead.
    pub fn to_scim(&self) -> ScimError {
        let store = match self {
            DirectoryError::Refused(e) => return e.clone(),
            DirectoryError::Store(store) => store,
        };
        match store {
            StoreError::DiskFull => {
                tracing::error!("a write failed: the disk is full");
                ScimError::new(
                    503,
                    None,
                    "SCIM Desk could not save this change: the disk that holds its data \
                     directory is full. Nothing was changed; Okta retries the task, and it goes \
                     through once space is freed on that disk.",
                )
            }
            StoreError::Interrupted => ScimError::new(
                503,
                None,
                "The request took too long and was abandoned; Okta can retry it.",
            ),
            StoreError::Busy(why) => {
                tracing::warn!(error = %why, "the directory database is busy");
                ScimError::new(
                    503,
                    None,
                    "SCIM Desk's employee directory is busy with another program's change. \
                     Nothing was changed; retry the task in Okta.",
                )
            }
            other => {
                tracing::error!(error = %other, "directory database error");
                ScimError::internal(
                    "SCIM Desk could not read or write its employee directory. Retry the task \
                     in Okta; if it fails again, check that SCIM Desk is running and its data \
                     directory is writable.",
                )
            }
        }
    }
}

impl From<DirectoryError> for ScimError {
    fn from(e: DirectoryError) -> Self {
        e.to_scim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_pass_through_and_database_failures_say_whether_to_retry() {
        let refused = DirectoryError::from(ScimError::not_found("no such user"));
        assert_eq!(refused.to_scim().status, 404);
        assert_eq!(refused.to_string(), "no such user");
        for (store, status) in [
            (StoreError::DiskFull, 503),
            (StoreError::Interrupted, 503),
            (StoreError::Busy("locked".into()), 503),
            (StoreError::Io("denied".into()), 500),
            (StoreError::Closed, 500),
        ] {
            let scim = DirectoryError::from(store.clone()).to_scim();
            assert_eq!(scim.status, status, "{store:?}");
            assert!(
                !scim.detail.contains("denied"),
                "the cause stays in the log"
            );
        }
    }
}
