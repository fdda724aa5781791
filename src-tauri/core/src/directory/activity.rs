//! The activity log: one line per write that reached the endpoint, whatever its outcome.
//!
//! What the admin reads to see that Okta's pushes worked, and why one failed. It never holds a
//! token or an `Authorization` header: the entries are built from the connection, the operation
//! and the SCIM error detail only.
//!
//! Bounded: a line stores at most [`TEXT_MAX_CHARS`] characters of summary and of detail
//! (however long the userName Okta sent), and the log keeps the retention the admin set
//! (`config::Retention`): older lines are pruned in the background, a thousand at a time
//! ([`Directory::prune_activity`]).

use serde::Serialize;

use super::error::DirectoryError;
use super::{Directory, WriteContext};
use crate::db::direct_error;
use crate::events::ChangeEvent;
use crate::scim::ScimError;
use crate::{text, timefmt};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ActivityEntry {
    pub seq: i64,
    pub at: String,
    pub connection_id: Option<String>,
    pub connection_name: Option<String>,
    /// The identity provider of the connection that made the change, as it was when the line
    /// was written (so it survives the connection's deletion); none for lines without one.
    pub provider: Option<crate::connections::Provider>,
    pub method: String,
    /// `create`, `update`, `deactivate`, `reactivate`, `delete`, `create_group`, …
    pub operation: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub employee_id: Option<String>,
    /// A readable line: "Created Jane Doe (jane@corp.example)".
    pub summary: String,
    /// `success` or `failure`.
    #[ts(type = "\"success\" | \"failure\"")]
    pub outcome: String,
    pub status: i64,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ActivityQuery {
    pub connection_id: Option<String>,
    pub employee_id: Option<String>,
    pub failures_only: bool,
    /// Matched against the summary, the detail and the connection's name.
    pub search: Option<String>,
    /// Entries older than this sequence number (for paging backwards); `None` is the newest.
    pub before_seq: Option<i64>,
    pub limit: u32,
}

/// A write that was tried, for the activity line of its failure.
pub struct Attempt<'a> {
    pub method: &'a str,
    pub operation: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    /// Who or what it was about: "jane@corp.example", "group 'Sales'".
    pub subject: &'a str,
}

/// One entry to append.
pub(crate) struct NewActivity<'a> {
    pub method: &'a str,
    pub operation: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    pub employee_id: Option<&'a str>,
    pub summary: String,
    pub status: u16,
    pub detail: Option<&'a str>,
}

/// The most characters of summary, and of detail, a line stores (the rest is an ellipsis).
pub const TEXT_MAX_CHARS: usize = 500;

/// A summary or detail as stored: control characters visible, at most [`TEXT_MAX_CHARS`].
fn stored(s: &str) -> String {
    text::clip(&text::visible(s), TEXT_MAX_CHARS).into_owned()
}

/// The `method` of the lines of writes the reconcile with Okta's management API made (no SCIM
/// request did): their summaries say so, whatever the write ([`summary_of`]).
pub const RECONCILE_METHOD: &str = "RECONCILE";

/// The `method` of the lines of what the admin did to a connection (in the app or the CLI), not
/// a request of an identity provider: regenerating its token.
pub const ADMIN_METHOD: &str = "ADMIN";

/// The summary a line stores: a reconcile's says it came from Okta's API, not a SCIM push.
fn summary_of(method: &str, summary: &str, failed: bool) -> String {
    match (method == RECONCILE_METHOD, failed) {
        (false, _) => summary.to_owned(),
        (true, false) => format!("Reconciled from Okta: {summary}"),
        (true, true) => format!("Reconcile from Okta failed: {summary}"),
    }
}

/// Appends one entry, inside the write it records. The summary and detail quote what Okta sent
/// (names, error details): they are stored with control characters made visible
/// ([`text::visible`]), so no line of the log carries an escape sequence to a terminal, and cut
/// to [`TEXT_MAX_CHARS`], so a megabyte userName makes a short line. Answers the line's `seq`,
/// which the write's history rows name ([`super::history::record`]).
pub(crate) fn append(
    c: &crate::db::sql::Connection,
    ctx: &WriteContext,
    entry: NewActivity<'_>,
) -> crate::db::sql::Result<i64> {
    let outcome = if entry.status < 400 {
        "success"
    } else {
        "failure"
    };
    c.prepare_cached(
        "INSERT INTO activity (at, connection_id, connection_name, provider, method, operation, \
         resource_type, resource_id, employee_id, summary, outcome, status, detail) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(crate::db::sql::params![
        timefmt::now(),
        ctx.connection_id,
        ctx.connection_name,
        ctx.provider.as_str(),
        entry.method,
        entry.operation,
        entry.resource_type,
        entry.resource_id,
        entry.employee_id,
        stored(&summary_of(
            entry.method,
            &entry.summary,
            entry.status >= 400
        )),
        outcome,
        i64::from(entry.status),
        entry.detail.map(stored),
    ])?;
    c.last_insert_rowid()
}

impl Directory {
    /// Records a write that failed, in its own transaction (the failed one was rolled back).
    pub async fn record_failure(
        &self,
        ctx: &WriteContext,
        attempt: Attempt<'_>,
        err: &DirectoryError,
    ) {
        let err = err.to_scim();
        // Decided before the answer goes back to Okta: the failed push's response comes after
        // its notice, if it has one.
        if let Some(notices) = &self.notices {
            let raised = notices
                .push_failed(
                    &ctx.connection_name,
                    ctx.provider,
                    attempt.resource_type,
                    attempt.subject,
                    &err,
                    time::OffsetDateTime::now_utc(),
                )
                .await;
            if let Err(e) = raised {
                tracing::warn!(error = %e, "could not decide on a notice of a failed push");
            }
        }
        let Attempt {
            method,
            operation,
            resource_type,
            resource_id,
            subject,
        } = attempt;
        let employee_id = (resource_type == "User").then_some(resource_id).flatten();
        self.record_alone(
            ctx,
            NewActivity {
                method,
                operation,
                resource_type,
                resource_id,
                employee_id,
                summary: format!("Could not {} {subject}", verb(operation)),
                status: err.status,
                detail: Some(&err.detail),
            },
        )
        .await
    }

    /// Records that a connection was throttled (429): one line per burst, not per request.
    pub async fn record_throttled(&self, ctx: &WriteContext, method: &str, err: &ScimError) {
        self.record_alone(
            ctx,
            NewActivity {
                method,
                operation: "throttle",
                resource_type: "",
                resource_id: None,
                employee_id: None,
                summary: "Slowed down: too many requests at once, some were refused (429) \
                          and will be retried"
                    .to_owned(),
                status: err.status,
                detail: Some(&err.detail),
            },
        )
        .await
    }

    /// Appends one line in a transaction of its own (what it records wrote nothing else).
    async fn record_alone(&self, ctx: &WriteContext, entry: NewActivity<'_>) {
        let operation = entry.operation.to_owned();
        let line = OwnedActivity::from(entry);
        let writer = ctx.clone();
        let result = self
            .db
            .write(move |c| {
                append(c, &writer, line.borrowed())
                    .map(drop)
                    .map_err(direct_error)
            })
            .await;
        match result {
            Ok(()) => self.notify(ChangeEvent::Activity {
                connection_id: Some(ctx.connection_id.clone()),
            }),
            Err(e) => {
                tracing::error!(error = %e, operation, "could not record a line in the activity log")
            }
        }
    }

    pub async fn activity(&self, q: &ActivityQuery) -> Result<Vec<ActivityEntry>, DirectoryError> {
        let limit = if q.limit == 0 { 100 } else { q.limit.min(1000) };
        let connection_id = q.connection_id.clone();
        let employee_id = q.employee_id.clone();
        let failures_only = q.failures_only;
        let before_seq = q.before_seq;
        let search = q
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(super::employees::like_pattern);
        let read = move |c: &crate::db::sql::Connection| {
            c.prepare_cached(
            "SELECT seq, at, connection_id, connection_name, provider, method, operation, resource_type, \
             resource_id, employee_id, summary, outcome, status, detail FROM activity \
             WHERE (CAST(?1 AS TEXT) IS NULL OR connection_id = ?1) \
             AND (CAST(?2 AS TEXT) IS NULL OR employee_id = ?2) \
             AND (?3 = 0 OR outcome = 'failure') AND (CAST(?4 AS BIGINT) IS NULL OR seq < ?4) \
             AND (CAST(?6 AS TEXT) IS NULL OR summary LIKE ?6 ESCAPE '\\' OR detail LIKE ?6 ESCAPE '\\' \
                  OR connection_name LIKE ?6 ESCAPE '\\') \
             ORDER BY seq DESC LIMIT ?5",
            )?
            .query_map(
                crate::db::sql::params![
                    connection_id,
                    employee_id,
                    failures_only,
                    before_seq,
                    i64::from(limit),
                    search
                ],
                activity_entry,
            )?
            .collect()
        };
        Ok(self.db.read_async(read).await?)
    }
}

/// A row of the activity log, its columns in the order [`Directory::activity`] selects them.
fn activity_entry(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<ActivityEntry> {
    Ok(ActivityEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        connection_id: r.get(2)?,
        connection_name: r.get(3)?,
        provider: r.get(4)?,
        method: r.get(5)?,
        operation: r.get(6)?,
        resource_type: r.get(7)?,
        resource_id: r.get(8)?,
        employee_id: r.get(9)?,
        summary: r.get(10)?,
        outcome: r.get(11)?,
        status: r.get(12)?,
        detail: r.get(13)?,
    })
}

/// Lines pruned per write: each batch is a short transaction, so Okta's writes queued behind one
/// wait for a thousand deletes at most.
pub const PRUNE_BATCH: i64 = 1_000;
/// The pause between two batches of a prune, in which the writes that queued meanwhile run.
pub const PRUNE_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// How large the activity log is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ActivityLogSize {
    pub lines: u64,
    /// When the oldest line kept was written.
    pub oldest_at: Option<String>,
}

impl Directory {
    /// How many lines the log holds, and the oldest one's time.
    pub async fn activity_size(&self) -> Result<ActivityLogSize, DirectoryError> {
        use crate::db::sql::OptionalExtension;
        let (lines, oldest_at) = self
            .db
            .read_async(|c| {
                let lines: i64 = c
                    .prepare_cached("SELECT COUNT(*) FROM activity")?
                    .query_row((), |r| r.get(0))?;
                let oldest_at: Option<String> = c
                    .prepare_cached("SELECT at FROM activity ORDER BY seq LIMIT 1")?
                    .query_row((), |r| r.get(0))
                    .optional()?;
                Ok((lines, oldest_at))
            })
            .await?;
        Ok(ActivityLogSize {
            lines: lines.max(0) as u64,
            oldest_at,
        })
    }

    /// Deletes the lines older than `retention.days` and all but the newest `retention.lines`,
    /// with the employee history they hold, in batches of [`PRUNE_BATCH`] with a pause between them, and returns how many.
    ///
    /// Lines are appended in time order (one writer, `at` is the time of the write), so the
    /// lines to prune are the first ones by `seq`: each batch looks at the first
    /// [`PRUNE_BATCH`] rows only, and a prune with nothing to do reads one row.
    pub async fn prune_activity(
        &self,
        retention: crate::config::Retention,
    ) -> Result<u64, DirectoryError> {
        let cutoff = timefmt::format(
            time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(retention.days)),
        );
        let ends: (Option<i64>, Option<String>, Option<i64>) = self
            .db
            .read_async(|c| {
                c.prepare_cached(
                    "SELECT o.seq, o.at, (SELECT MAX(seq) FROM activity) FROM (SELECT 1) AS one \
                     LEFT JOIN (SELECT seq, at FROM activity ORDER BY seq LIMIT 1) AS o ON 1 = 1",
                )?
                .query_row((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            })
            .await?;
        let (Some(oldest_seq), Some(oldest_at), Some(newest)) = ends else {
            return Ok(0);
        };
        // Lines with a seq up to this one are beyond the newest `lines`.
        let keep_after = newest.saturating_sub(i64::try_from(retention.lines).unwrap_or(i64::MAX));
        if oldest_seq > keep_after && oldest_at >= cutoff {
            return Ok(0);
        }
        let mut pruned = 0;
        loop {
            let (cutoff, keep_after) = (cutoff.clone(), keep_after);
            let deleted = self
                .db
                .write(move |c| {
                    // The history of the lines goes with them (and the horizon moves past them).
                    super::history::prune_with_lines(c, &cutoff, keep_after, PRUNE_BATCH)
                        .map_err(direct_error)?;
                    c.prepare_cached(
                        "DELETE FROM activity WHERE seq IN (SELECT seq FROM \
                           (SELECT seq, at FROM activity ORDER BY seq LIMIT ?3) AS oldest \
                         WHERE seq <= ?2 OR at < ?1)",
                    )
                    .and_then(|mut delete| {
                        delete.execute(crate::db::sql::params![cutoff, keep_after, PRUNE_BATCH])
                    })
                    .map_err(direct_error)
                })
                .await?;
            pruned += deleted as u64;
            if deleted == 0 {
                break;
            }
            tokio::time::sleep(PRUNE_PAUSE).await;
        }
        if pruned > 0 {
            tracing::info!(pruned, "pruned the activity log");
            self.notify(ChangeEvent::Activity {
                connection_id: None,
            });
        }
        Ok(pruned)
    }
}

/// A [`NewActivity`] that owns its text, to be sent to the writer.
struct OwnedActivity {
    method: String,
    operation: String,
    resource_type: String,
    resource_id: Option<String>,
    employee_id: Option<String>,
    summary: String,
    status: u16,
    detail: Option<String>,
}

impl From<NewActivity<'_>> for OwnedActivity {
    fn from(a: NewActivity<'_>) -> Self {
        OwnedActivity {
            method: a.method.to_owned(),
            operation: a.operation.to_owned(),
            resource_type: a.resource_type.to_owned(),
            resource_id: a.resource_id.map(str::to_owned),
            employee_id: a.employee_id.map(str::to_owned),
            summary: a.summary,
            status: a.status,
            detail: a.detail.map(str::to_owned),
        }
    }
}

impl OwnedActivity {
    fn borrowed(&self) -> NewActivity<'_> {
        NewActivity {
            method: &self.method,
            operation: &self.operation,
            resource_type: &self.resource_type,
            resource_id: self.resource_id.as_deref(),
            employee_id: self.employee_id.as_deref(),
            summary: self.summary.clone(),
            status: self.status,
            detail: self.detail.as_deref(),
        }
    }
}

fn verb(operation: &str) -> &str {
    match operation {
        "create" | "create_group" => "create",
        "delete" | "delete_group" => "delete",
        "deactivate" => "deactivate",
        "reactivate" => "reactivate",
        _ => "update",
    }
}
