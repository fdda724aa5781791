//! What the app's "Reconcile with Okta" area shows and does, one call per IPC command: the
//! connection's Okta API setup (the token goes to the keychain only), the state of its
//! reconcile (running with its progress, or the last run and report), the report's rows a page
//! at a time (a report may have thousands), Apply, Cancel, and the CSV export.
//!
//! Apply re-reads Okta before writing ([`Mode::ApplySelected`]): a selected row that is in step
//! by then is counted as already in step, not refused. Not for: the runs themselves
//! (`okta::runs`), wording other than the error sentences (`okta::runs::describe`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::ReconcileSchedule;
use crate::desk::Desk;
use crate::events::ChangeEvent;
use crate::okta::reconcile::ReconcileReport;
use crate::okta::runs::{self, Mode, ReportCounts, RunRecord, Running, Trigger};
use crate::okta::{OktaApiError, OktaApiSetup};
use crate::views::AppError;

/// What the Okta API dialog sends. The token goes to the keychain; `Debug` (what a trace of
/// the command shows) leaves it out.
#[derive(Clone, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct OktaApiInput {
    pub org_url: String,
    /// The app's id, or the address of its page in the Okta admin console.
    pub app_id: String,
    pub token: String,
}

impl std::fmt::Debug for OktaApiInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaApiInput")
            .field("org_url", &self.org_url)
            .field("app_id", &self.app_id)
            .field("token", &"[secret]")
            .finish()
    }
}

/// A connection's reconcile, as its area on the Okta page shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ReconcileState {
    pub connection_id: String,
    /// None until the Okta API is set up: the area offers to set it up.
    pub setup: Option<OktaApiSetup>,
    /// The run going on for this connection.
    pub running: Option<Running>,
    /// Another connection's run is going on (one at a time): its name.
    pub busy_with: Option<String>,
    /// The last run, from the history (it survives restarts).
    pub last_run: Option<RunRecord>,
    /// The last report read by this app since it started (none after a restart: run again).
    pub report: Option<ReportSummary>,
}

/// A report's head: its counts, and what an Apply did. The rows come a page at a time.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileReportSummary")]
pub struct ReportSummary {
    pub okta_users: u64,
    pub pages: u64,
    pub counts: ReportCounts,
    /// False when this is the report an Apply re-read and then applied.
    pub dry_run: bool,
    pub applied: Option<AppliedView>,
}

/// What an Apply changed, with the rows that failed and why.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileApplied")]
pub struct AppliedView {
    pub created: u64,
    pub updated: u64,
    pub deactivated: u64,
    pub already_in_step: u64,
    pub failed: Vec<FailedRowView>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileFailedRow")]
pub struct FailedRowView {
    pub key: String,
    pub user_name: String,
    pub reason: String,
}

/// The four kinds of rows of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ReconcileRowKind")]
pub enum RowKind {
    MissingHere,
    StaleHere,
    ShouldBeDeactivated,
    UnknownToOkta,
}

impl RowKind {
    fn code(self) -> &'static str {
        match self {
            RowKind::MissingHere => "missing_here",
            RowKind::StaleHere => "stale_here",
            RowKind::ShouldBeDeactivated => "should_be_deactivated",
            RowKind::UnknownToOkta => "unknown_to_okta",
        }
    }
}

/// One row of a report. `key` is what Apply takes: the Okta user id of a row missing here, the
/// employee id of the others (all the stale fields of an employee share it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileRow")]
pub struct Row {
    pub kind: RowKind,
    pub key: String,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub okta_user_id: Option<String>,
    pub employee_id: Option<String>,
    /// For stale rows: the field, our value and Okta's.
    pub field: Option<String>,
    pub ours: Option<String>,
    pub okta: Option<String>,
    pub okta_status: Option<String>,
}

/// A page of one kind of rows.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(rename = "ReconcileRowsQuery")]
pub struct RowsQuery {
    pub kind: RowKind,
    pub offset: u32,
    /// 1..=500; 0 means 100.
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileRowsPage")]
pub struct RowsPage {
    pub rows: Vec<Row>,
    /// How many rows of this kind the report has.
    pub total: u64,
    pub offset: u32,
}

impl From<OktaApiError> for AppError {
    fn from(e: OktaApiError) -> AppError {
        let field = match &e {
            OktaApiError::InvalidOrgUrl { .. }
            | OktaApiError::Unreachable { .. }
            | OktaApiError::NotOkta { .. }
            | OktaApiError::ForeignLink(_) => Some("org_url"),
            OktaApiError::InvalidAppId(_) | OktaApiError::AppNotFound { .. } => Some("app_id"),
            OktaApiError::EmptyToken
            | OktaApiError::BadToken { .. }
            | OktaApiError::Forbidden { .. } => Some("token"),
            _ => None,
        };
        let message = runs::describe(&e);
        match field {
            Some(f) => AppError::field(f, message),
            None => AppError::new(message),
        }
    }
}

fn summary(r: &ReconcileReport, last: Option<&RunRecord>) -> ReportSummary {
    ReportSummary {
        okta_users: r.okta_users,
        pages: r.pages,
        counts: (&r.counts).into(),
        dry_run: r.dry_run,
        applied: r.applied.as_ref().map(|a| AppliedView {
            created: a.created,
            updated: a.updated,
            deactivated: a.deactivated,
            already_in_step: last
                .and_then(|l| l.applied.as_ref())
                .map_or(0, |l| l.already_in_step),
            failed: a
                .failed
                .iter()
                .map(|f| FailedRowView {
                    key: f.key.clone(),
                    user_name: f.user_name.clone(),
                    reason: f.reason.clone(),
                })
                .collect(),
        }),
    }
}

/// Every row of a report, in its order: missing here, stale here, should be deactivated,
/// unknown to Okta.
fn rows_of(r: &ReconcileReport, kind: Option<RowKind>) -> Box<dyn Iterator<Item = Row> + '_> {
    let want = move |k: RowKind| kind.is_none_or(|w| w == k);
    let missing = r
        .missing_here
        .iter()
        .filter(move |_| want(RowKind::MissingHere))
        .map(|m| Row {
            kind: RowKind::MissingHere,
            key: m.okta_user_id.clone(),
            user_name: m.user_name.clone(),
            email: m.email.clone(),
            okta_user_id: Some(m.okta_user_id.clone()),
            employee_id: None,
            field: None,
            ours: None,
            okta: None,
            okta_status: m.okta_status.clone(),
        });
    let stale = r
        .stale_here
        .iter()
        .filter(move |_| want(RowKind::StaleHere))
        .map(|s| Row {
            kind: RowKind::StaleHere,
            key: s.employee_id.clone(),
            user_name: Some(s.user_name.clone()),
            email: None,
            okta_user_id: Some(s.okta_user_id.clone()),
            employee_id: Some(s.employee_id.clone()),
            field: Some(s.field.clone()),
            ours: s.ours.clone(),
            okta: s.okta.clone(),
            okta_status: None,
        });
    let deactivate = r
        .should_be_deactivated
        .iter()
        .filter(move |_| want(RowKind::ShouldBeDeactivated))
        .map(|d| Row {
            kind: RowKind::ShouldBeDeactivated,
            key: d.employee_id.clone(),
            user_name: Some(d.user_name.clone()),
            email: None,
            okta_user_id: Some(d.okta_user_id.clone()),
            employee_id: Some(d.employee_id.clone()),
            field: None,
            ours: None,
            okta: None,
            okta_status: d.okta_status.clone(),
        });
    let unknown = r
        .unknown_to_okta
        .iter()
        .filter(move |_| want(RowKind::UnknownToOkta))
        .map(|u| Row {
            kind: RowKind::UnknownToOkta,
            key: u.employee_id.clone(),
            user_name: Some(u.user_name.clone()),
            email: None,
            okta_user_id: None,
            employee_id: Some(u.employee_id.clone()),
            field: None,
            ours: None,
            okta: None,
            okta_status: None,
        });
    Box::new(missing.chain(stale).chain(deactivate).chain(unknown))
}

impl Desk {
    /// The connection, refused unless it is Okta's: every reconcile command is for Okta
    /// connections only.
    async fn okta_connection(
        &self,
        connection_id: &str,
    ) -> Result<crate::connections::Connection, AppError> {
        let connection = self.connections().find(connection_id).await?;
        crate::okta::okta_only(&connection)?;
        Ok(connection)
    }

    /// The connection's reconcile: its setup, a run going on, the last run and report.
    pub async fn reconcile_state(&self, connection_id: &str) -> Result<ReconcileState, AppError> {
        let connection = self.okta_connection(connection_id).await?;
        let setup = self.okta_api().get(&connection).await?;
        let runs = self.reconcile_runs();
        let (running, busy_with) = match runs.running() {
            Some(r) if r.connection_id == connection.id => (Some(r), None),
            Some(r) => (None, Some(r.connection_name)),
            None => (None, None),
        };
        let last_run = runs.last_run(&connection.id).await?;
        let report = runs
            .last_report(&connection.id)
            .map(|r| summary(&r, last_run.as_ref()));
        Ok(ReconcileState {
            connection_id: connection.id,
            setup,
            running,
            busy_with,
            last_run,
            report,
        })
    }

    /// Checks the setup with Okta and keeps it (the token in the keychain); refused on the
    /// field at fault (`org_url`, `app_id`, `token`), keeping nothing.
    pub async fn set_okta_api_view(
        &self,
        connection_id: &str,
        input: OktaApiInput,
    ) -> Result<OktaApiSetup, AppError> {
        let setup = self
            .okta_api()
            .set(connection_id, &input.org_url, &input.app_id, &input.token)
            .await?;
        self.notify(ChangeEvent::Reconcile {
            connection_id: setup.connection_id.clone(),
        });
        Ok(setup)
    }

    /// Removes the setup and its token.
    pub async fn clear_okta_api_view(&self, connection_id: &str) -> Result<(), AppError> {
        let connection = self.okta_api().clear(connection_id).await?;
        self.notify(ChangeEvent::Reconcile {
            connection_id: connection.id,
        });
        Ok(())
    }

    /// Starts a dry run (the admin's button).
    pub async fn start_reconcile_view(
        &self,
        connection_id: &str,
    ) -> Result<ReconcileState, AppError> {
        self.reconcile_runs()
            .start(connection_id, Trigger::Manual, Mode::DryRun)
            .await?;
        self.reconcile_state(connection_id).await
    }

    /// Starts an Apply: of the rows with these keys, or of every row (`None`).
    pub async fn apply_reconcile_view(
        &self,
        connection_id: &str,
        keys: Option<Vec<String>>,
    ) -> Result<ReconcileState, AppError> {
        let mode = match keys {
            None => Mode::ApplyAll,
            Some(keys) if keys.is_empty() => {
                return Err(AppError::new(
                    "Select the rows to apply, or choose Apply all.",
                ))
            }
            Some(keys) => Mode::ApplySelected(keys),
        };
        self.reconcile_runs()
            .start(connection_id, Trigger::Manual, mode)
            .await?;
        self.reconcile_state(connection_id).await
    }

    /// Cancels the connection's run; refused once an Apply is writing.
    pub async fn cancel_reconcile_view(
        &self,
        connection_id: &str,
    ) -> Result<ReconcileState, AppError> {
        let connection = self.okta_connection(connection_id).await?;
        let runs = self.reconcile_runs();
        let applying = runs
            .running()
            .is_some_and(|r| r.connection_id == connection.id && r.progress.applying);
        if applying {
            return Err(AppError::new(
                "The changes are being written to the directory: they finish in a moment and \
                 cannot be stopped halfway.",
            ));
        }
        runs.cancel(&connection.id);
        self.reconcile_state(&connection.id).await
    }

    /// A page of one kind of rows of the connection's last report.
    pub async fn reconcile_rows(
        &self,
        connection_id: &str,
        q: &RowsQuery,
    ) -> Result<RowsPage, AppError> {
        let connection = self.okta_connection(connection_id).await?;
        let Some(report) = self.reconcile_runs().last_report(&connection.id) else {
            return Ok(RowsPage {
                rows: Vec::new(),
                total: 0,
                offset: q.offset,
            });
        };
        let limit = match q.limit {
            0 => 100,
            n => n.min(500),
        } as usize;
        let total = rows_of(&report, Some(q.kind)).count() as u64;
        let rows = rows_of(&report, Some(q.kind))
            .skip(q.offset as usize)
            .take(limit)
            .collect();
        Ok(RowsPage {
            rows,
            total,
            offset: q.offset,
        })
    }

    /// How often SCIM Desk reconciles by itself.
    pub async fn reconcile_schedule_view(&self) -> Result<ReconcileSchedule, AppError> {
        Ok(self.reconcile_schedule().await?)
    }

    /// Changes the schedule; the running app and `serve` follow at once.
    pub async fn set_reconcile_schedule_view(
        &self,
        schedule: ReconcileSchedule,
    ) -> Result<ReconcileSchedule, AppError> {
        self.set_config("reconcile-schedule", schedule.code())
            .await?;
        Ok(self.reconcile_schedule().await?)
    }

    /// Writes the connection's last report as CSV, one line a row; answers the number of rows.
    pub async fn export_reconcile(
        &self,
        connection_id: &str,
        path: &Path,
    ) -> Result<u64, AppError> {
        let connection = self.okta_connection(connection_id).await?;
        let report = self
            .reconcile_runs()
            .last_report(&connection.id)
            .ok_or_else(|| {
                AppError::new("There is no report to export: run the reconcile first.")
            })?;
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || write_csv(&report, &path))
            .await
            .map_err(|e| AppError::new(e.to_string()))?
            .map_err(|e| AppError::new(format!("The report could not be written: {e}.")))
    }
}

fn write_csv(report: &ReconcileReport, path: &Path) -> Result<u64, csv::Error> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record([
        "kind",
        "key",
        "user_name",
        "email",
        "field",
        "ours",
        "okta",
        "okta_status",
        "okta_user_id",
        "employee_id",
    ])?;
    let mut count = 0;
    for row in rows_of(report, None) {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        out.write_record([
            row.kind.code().to_owned(),
            row.key.clone(),
            text(&row.user_name),
            text(&row.email),
            text(&row.field),
            text(&row.ours),
            text(&row.okta),
            text(&row.okta_status),
            text(&row.okta_user_id),
            text(&row.employee_id),
        ])?;
        count += 1;
    }
    out.flush()?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::reconcile::{Counts, MissingRow, StaleRow, UnknownRow};

    fn report(missing: usize) -> ReconcileReport {
        ReconcileReport {
            connection_id: "c1".into(),
            connection_name: "Okta".into(),
            org_url: "https://acme.okta.com".into(),
            app_id: "0oa1".into(),
            dry_run: true,
            okta_users: missing as u64,
            pages: 1,
            rate_limit_waits: 0,
            counts: Counts {
                missing_here: missing as u64,
                stale_here: 1,
                should_be_deactivated: 0,
                unknown_to_okta: 1,
            },
            missing_here: (0..missing)
                .map(|i| MissingRow {
                    okta_user_id: format!("00u{i}"),
                    user_name: Some(format!("u{i}@x.example")),
                    email: None,
                    okta_status: Some("PROVISIONED".into()),
                    scim_user: serde_json::Value::Null,
                })
                .collect(),
            stale_here: vec![StaleRow {
                employee_id: "e1".into(),
                user_name: "a@x.example".into(),
                okta_user_id: "00uA".into(),
                field: "job_title".into(),
                ours: None,
                okta: Some("Director, \"Sales\"".into()),
            }],
            should_be_deactivated: vec![],
            unknown_to_okta: vec![UnknownRow {
                employee_id: "e2".into(),
                user_name: "b@x.example".into(),
                external_id: None,
            }],
            applied: None,
        }
    }

    #[test]
    fn each_failure_is_said_on_the_field_at_fault_without_the_token() {
        let field = |e: OktaApiError| AppError::from(e).field;
        assert_eq!(
            field(OktaApiError::InvalidOrgUrl {
                given: "x".into(),
                reason: "not_https"
            })
            .as_deref(),
            Some("org_url")
        );
        assert_eq!(
            field(OktaApiError::AppNotFound {
                app_id: "0oa9".into(),
                summary: String::new()
            })
            .as_deref(),
            Some("app_id")
        );
        for e in [
            OktaApiError::BadToken {
                summary: String::new(),
            },
            OktaApiError::Forbidden {
                summary: String::new(),
            },
            OktaApiError::EmptyToken,
        ] {
            assert_eq!(field(e).as_deref(), Some("token"));
        }
        let busy = AppError::from(OktaApiError::ReconcileRunning {
            connection_name: "Okta".into(),
        });
        assert_eq!(busy.field, None);
        assert!(busy.message.contains("already running"), "{busy:?}");
    }

    #[test]
    fn rows_come_a_page_of_one_kind_at_a_time_and_the_csv_has_them_all() {
        let r = report(120);
        let page: Vec<Row> = rows_of(&r, Some(RowKind::MissingHere))
            .skip(100)
            .take(50)
            .collect();
        assert_eq!(page.len(), 20);
        assert_eq!(page[0].key, "00u100");
        let stale: Vec<Row> = rows_of(&r, Some(RowKind::StaleHere)).collect();
        assert_eq!(stale[0].key, "e1", "a stale row is applied by its employee");
        assert_eq!(stale[0].field.as_deref(), Some("job_title"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        assert_eq!(write_csv(&r, &path).unwrap(), 122);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 123);
        assert!(
            text.contains("stale_here,e1,a@x.example,,job_title,,\"Director, \"\"Sales\"\"\""),
            "{text}"
        );
        assert!(
            text.trim_end()
                .ends_with("unknown_to_okta,e2,b@x.example,,,,,,,e2"),
            "{text}"
        );
    }
}
