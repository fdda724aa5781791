//! Reconcile runs in a process: at most one at a time, cancellable, with progress, the last
//! report of each connection, and a history row per run.
//!
//! The app and `scimdesk serve` start runs from several places (the admin's button, the
//! schedule, the end of a reachability window); [`Runs`] is the one owner. A second start while
//! a run goes on is refused with [`OktaApiError::ReconcileRunning`], naming the connection of
//! the running one: the caller shows that run instead. A run reads Okta and compares
//! ([`reconcile::run_watched`]); an Apply re-reads Okta first, then writes. Cancel stops the
//! read at once — between pages, in the middle of a page, during a wait for Okta's rate limit
//! — since reading changes nothing; once the writes of an Apply have begun they run to the end
//! (each row is its own write) and cancel is refused.
//!
//! Progress (pages and app users read, about how many there are, a rate-limit wait) is
//! published as [`ChangeEvent::Reconcile`] at most every [`PROGRESS_EVERY`]; the state is read
//! with [`Runs::running`]. Each run ends in a row of `reconcile_runs` (migration 0009) and a
//! [`ChangeEvent::Reconcile`]; a dry run that finds drift also sends
//! [`ChangeEvent::ReconcileDrift`] with its counts (for notifications). Not for: wording (codes
//! and values; `describe` gives the plain sentence kept in the history).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};

use super::reconcile::{self, Counts, ReconcileReport};
use super::{OktaApi, OktaApiError};
use crate::connections::Connection;
use crate::db::{direct_error, Db, StoreError};
use crate::directory::{Directory, WriteContext};
use crate::events::ChangeEvent;
use crate::notices::Notices;
use crate::timefmt;

/// The most often a run's progress is published.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ReconcileTrigger")]
pub enum Trigger {
    /// The admin (the app's button, the CLI).
    Manual,
    /// The reconcile schedule.
    Schedule,
    /// A reachability window ended.
    AfterWindow,
}

impl Trigger {
    pub fn code(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
            Trigger::AfterWindow => "after_window",
        }
    }

    fn from_code(code: &str) -> Trigger {
        match code {
            "schedule" => Trigger::Schedule,
            "after_window" => Trigger::AfterWindow,
            _ => Trigger::Manual,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ReconcileOutcome")]
pub enum Outcome {
    /// Okta and the directory agree (or, after an Apply, nothing failed).
    InStep,
    /// The report has rows (or, after an Apply, some rows failed).
    Drift,
    Failed,
    Cancelled,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::InStep => "in_step",
            Outcome::Drift => "drift",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }

    fn from_code(code: &str) -> Outcome {
        match code {
            "in_step" => Outcome::InStep,
            "drift" => Outcome::Drift,
            "cancelled" => Outcome::Cancelled,
            _ => Outcome::Failed,
        }
    }
}

/// What a run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Read and compare; change nothing.
    DryRun,
    /// Re-read, then apply every row.
    ApplyAll,
    /// Re-read, then apply the rows with these keys (Okta user ids or employee ids). A key no
    /// row has any more is counted as already in step, not refused: the app's selection, made
    /// on a report that may have aged.
    ApplySelected(Vec<String>),
    /// The CLI's `--apply --only KEY…`: a key no row has refuses the whole Apply, before any
    /// write ([`OktaApiError::NoSuchRow`]).
    ApplyOnly(Vec<String>),
}

/// How far a running reconcile is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileProgress")]
pub struct Progress {
    pub pages: u64,
    pub okta_users: u64,
    /// About how many app users there are: Okta does not say, so this is the number of the
    /// connection's employees (an estimate; the count read may pass it).
    pub about_total: Option<u64>,
    /// Waiting for Okta's rate limit to reset, until then.
    pub waiting_until: Option<String>,
    /// The writes of an Apply have begun: no cancel any more.
    pub applying: bool,
}

/// The run going on in this process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileRunning")]
pub struct Running {
    pub connection_id: String,
    pub connection_name: String,
    pub trigger: Trigger,
    pub apply: bool,
    pub started_at: String,
    pub progress: Progress,
}

/// What an Apply changed, as counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileAppliedCounts")]
pub struct AppliedCounts {
    pub created: u64,
    pub updated: u64,
    pub deactivated: u64,
    pub failed: u64,
    /// Rows selected from the report the admin saw that Okta's re-read no longer has: already
    /// in step by the time of the Apply.
    pub already_in_step: u64,
}

/// One run, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileRun")]
pub struct RunRecord {
    pub id: i64,
    pub connection_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub trigger: Trigger,
    pub apply: bool,
    pub outcome: Outcome,
    pub pages: u64,
    pub okta_users: u64,
    /// The report's counts; none when the run failed or was cancelled.
    pub counts: Option<ReportCounts>,
    pub applied: Option<AppliedCounts>,
    /// Why it failed, as a sentence (never the token).
    pub failure: Option<String>,
}

/// [`Counts`] for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "ReconcileCounts")]
pub struct ReportCounts {
    pub missing_here: u64,
    pub stale_here: u64,
    pub should_be_deactivated: u64,
    pub unknown_to_okta: u64,
}

impl From<&Counts> for ReportCounts {
    fn from(c: &Counts) -> Self {
        ReportCounts {
            missing_here: c.missing_here,
            stale_here: c.stale_here,
            should_be_deactivated: c.should_be_deactivated,
            unknown_to_okta: c.unknown_to_okta,
        }
    }
}

/// A finished run: its record and, unless it failed or was cancelled, its report; the error
/// when it failed, for a front end to word.
#[derive(Debug)]
pub struct Finished {
    pub record: RunRecord,
    pub report: Option<Arc<ReconcileReport>>,
    pub error: Option<OktaApiError>,
}

struct Slot {
    running: Running,
    /// Progress changed since it was last published.
    dirty: bool,
    cancel: Arc<Notify>,
}

#[derive(Default)]
struct State {
    slot: Option<Slot>,
    /// The last report of each connection, by connection id (this process's runs only).
    reports: HashMap<String, Arc<ReconcileReport>>,
}

/// The reconcile runs of this process (see the module's doc).
#[derive(Clone)]
pub struct Runs {
    state: Arc<Mutex<State>>,
    db: Db,
    directory: Directory,
    okta_api: OktaApi,
    events: broadcast::Sender<ChangeEvent>,
    notices: Notices,
    /// The file whose lock is the one place for a run among the processes on this data
    /// directory (the app, `serve`, a CLI `reconcile`).
    lock_file: PathBuf,
}

/// The place of the running run, given back (and the run's progress published) when dropped:
/// also when the future running it is dropped, so a slot is never left taken.
struct Ticket {
    runs: Runs,
    connection: Connection,
    trigger: Trigger,
    mode: Mode,
    started_at: String,
    cancel: Arc<Notify>,
    /// Held for the run; closing it (also when the process dies) lets other processes run.
    _across_processes: ProcessLock,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.runs.lock().slot = None;
        self.runs.notify(ChangeEvent::Reconcile {
            connection_id: self.connection.id.clone(),
        });
    }
}

/// The file in the data directory whose lock is held while a reconcile runs.
pub const LOCK_FILE: &str = "reconcile.lock";

/// An exclusive `flock` on [`LOCK_FILE`], holding the name of the connection being reconciled
/// (for the sentence another process shows). The kernel lets go when the file is closed, also
/// when the process is killed. On systems without `flock` only the process's own slot guards.
struct ProcessLock(#[allow(dead_code)] std::fs::File);

impl ProcessLock {
    /// The lock, or `None` when another process holds it.
    fn try_take(path: &Path, connection_name: &str) -> std::io::Result<Option<ProcessLock>> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor this function owns, with no pointers.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let e = std::io::Error::last_os_error();
                return match e.raw_os_error() {
                    Some(libc::EWOULDBLOCK) => Ok(None),
                    _ => Err(e),
                };
            }
        }
        file.set_len(0)?;
        file.write_all(connection_name.as_bytes())?;
        Ok(Some(ProcessLock(file)))
    }

    /// The connection another process is reconciling, as it wrote it.
    fn holder(path: &Path) -> String {
        std::fs::read_to_string(path)
            .ok()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| "another connection".to_owned())
    }
}

impl Runs {
    pub fn new(
        db: Db,
        directory: Directory,
        okta_api: OktaApi,
        events: broadcast::Sender<ChangeEvent>,
        notices: Notices,
        data_dir: &Path,
    ) -> Runs {
        Runs {
            state: Arc::default(),
            db,
            directory,
            okta_api,
            events,
            notices,
            lock_file: data_dir.join(LOCK_FILE),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn notify(&self, event: ChangeEvent) {
        let _ = self.events.send(event);
    }

    /// The run going on, if any.
    pub fn running(&self) -> Option<Running> {
        self.lock().slot.as_ref().map(|s| s.running.clone())
    }

    /// The last report this process read for the connection (an Apply's carries what it did).
    pub fn last_report(&self, connection_id: &str) -> Option<Arc<ReconcileReport>> {
        self.lock().reports.get(connection_id).cloned()
    }

    /// Asks the running reconcile of `connection_id` to stop. False when none runs for it, or
    /// when an Apply has begun writing (it runs to its end).
    pub fn cancel(&self, connection_id: &str) -> bool {
        let state = self.lock();
        match &state.slot {
            Some(slot)
                if slot.running.connection_id == connection_id
                    && !slot.running.progress.applying =>
            {
                slot.cancel.notify_one();
                true
            }
            _ => false,
        }
    }

    /// Takes the one place for a run, or says which connection holds it.
    async fn begin(
        &self,
        id_or_name: &str,
        trigger: Trigger,
        mode: Mode,
    ) -> Result<Ticket, OktaApiError> {
        let connection = self.okta_api.connections.find(id_or_name).await?;
        super::okta_only(&connection)?;
        // Checked before taking the place, so that a run is never started only to fail at once.
        if self.okta_api.get(&connection).await?.is_none() {
            return Err(OktaApiError::NotSetUp(connection.name));
        }
        let cancel = Arc::new(Notify::new());
        let started_at = timefmt::now();
        let across_processes;
        {
            let mut state = self.lock();
            if let Some(slot) = &state.slot {
                return Err(OktaApiError::ReconcileRunning {
                    connection_name: slot.running.connection_name.clone(),
                });
            }
            // Then the other processes on this data directory: a quick, non-blocking try.
            across_processes = match ProcessLock::try_take(&self.lock_file, &connection.name) {
                Ok(Some(lock)) => lock,
                Ok(None) => {
                    return Err(OktaApiError::ReconcileRunning {
                        connection_name: ProcessLock::holder(&self.lock_file),
                    })
                }
                Err(e) => return Err(OktaApiError::Store(StoreError::Other(e.to_string()))),
            };
            state.slot = Some(Slot {
                running: Running {
                    connection_id: connection.id.clone(),
                    connection_name: connection.name.clone(),
                    trigger,
                    apply: mode != Mode::DryRun,
                    started_at: started_at.clone(),
                    progress: Progress::default(),
                },
                dirty: false,
                cancel: cancel.clone(),
            });
        }
        self.notify(ChangeEvent::Reconcile {
            connection_id: connection.id.clone(),
        });
        Ok(Ticket {
            runs: self.clone(),
            connection,
            trigger,
            mode,
            started_at,
            cancel,
            _across_processes: across_processes,
        })
    }

    /// Runs a reconcile to its end, here: the CLI's way. `Err` when it could not start (another
    /// runs, no setup, no such connection); a run that starts ends in a [`Finished`], whose
    /// record says whether it failed or was cancelled.
    pub async fn run(
        &self,
        id_or_name: &str,
        trigger: Trigger,
        mode: Mode,
    ) -> Result<Finished, OktaApiError> {
        let ticket = self.begin(id_or_name, trigger, mode).await?;
        Ok(self.execute(ticket).await)
    }

    /// Starts a reconcile in the background: the app's way. Answers once it has started; its
    /// progress and end come as [`ChangeEvent::Reconcile`].
    pub async fn start(
        &self,
        id_or_name: &str,
        trigger: Trigger,
        mode: Mode,
    ) -> Result<Running, OktaApiError> {
        let ticket = self.begin(id_or_name, trigger, mode).await?;
        let running = self.running().ok_or(OktaApiError::Cancelled)?;
        let runs = self.clone();
        tokio::spawn(async move {
            runs.execute(ticket).await;
        });
        Ok(running)
    }

    fn update(&self, change: impl FnOnce(&mut Progress)) {
        let mut state = self.lock();
        if let Some(slot) = &mut state.slot {
            change(&mut slot.running.progress);
            slot.dirty = true;
        }
    }

    /// Publishes the progress if it changed since last time.
    fn publish(&self) {
        let id = {
            let mut state = self.lock();
            match &mut state.slot {
                Some(slot) if slot.dirty => {
                    slot.dirty = false;
                    slot.running.connection_id.clone()
                }
                _ => return,
            }
        };
        self.notify(ChangeEvent::Reconcile { connection_id: id });
    }

    async fn execute(&self, ticket: Ticket) -> Finished {
        let result = {
            let work = self.work(&ticket);
            tokio::pin!(work);
            let mut ticks = tokio::time::interval(PROGRESS_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut cancellable = true;
            loop {
                tokio::select! {
                    result = &mut work => break result,
                    _ = ticket.cancel.notified(), if cancellable => {
                        let applying = self
                            .running()
                            .is_some_and(|r| r.progress.applying);
                        if applying {
                            // Asked just as the writes began: they run to their end.
                            cancellable = false;
                        } else {
                            break Err(OktaApiError::Cancelled);
                        }
                    }
                    _ = ticks.tick() => self.publish(),
                }
            }
        };
        let progress = self.running().map(|r| r.progress).unwrap_or_default();
        let finished = self.finish(&ticket, progress, result).await;
        drop(ticket);
        finished
    }

    /// Reads Okta (and applies, for an Apply): the part of a run that cancel may stop.
    async fn work(
        &self,
        ticket: &Ticket,
    ) -> Result<(ReconcileReport, Option<AppliedCounts>), OktaApiError> {
        let connection = &ticket.connection;
        let (setup, mut client) = self.okta_api.client_for(connection).await?;
        let about = self.employees_of(&connection.id).await.ok();
        self.update(|p| p.about_total = about);
        let runs = self.clone();
        client.on_wait = Some(Arc::new(move |until: Option<SystemTime>| {
            runs.update(|p| {
                p.waiting_until = until.map(|t| timefmt::format(t.into()));
            });
        }));
        let mut report =
            reconcile::run_watched(&self.directory, &mut client, &setup, &mut |pages, users| {
                self.update(|p| {
                    p.pages = pages;
                    p.okta_users = users;
                })
            })
            .await?;
        let only = match &ticket.mode {
            Mode::DryRun => return Ok((report, None)),
            Mode::ApplyAll => Vec::new(),
            Mode::ApplySelected(keys) => keys.clone(),
            Mode::ApplyOnly(keys) => {
                self.update(|p| p.applying = true);
                self.publish();
                let ctx = WriteContext {
                    connection_id: connection.id.clone(),
                    connection_name: connection.name.clone(),
                    provider: connection.provider,
                    base_url: String::new(),
                };
                reconcile::apply(&self.directory, &ctx, &mut report, keys).await?;
                let counts = applied_counts(&report, 0);
                return Ok((report, Some(counts)));
            }
        };
        let keys = report.keys();
        let (still, gone): (Vec<String>, Vec<String>) =
            only.into_iter().partition(|k| keys.contains(k.as_str()));
        let nothing_left = still.is_empty() && matches!(ticket.mode, Mode::ApplySelected(_));
        let counts = AppliedCounts {
            already_in_step: gone.len() as u64,
            ..AppliedCounts::default()
        };
        if nothing_left {
            report.dry_run = false;
            report.applied = Some(reconcile::Applied::default());
            return Ok((report, Some(counts)));
        }
        self.update(|p| p.applying = true);
        self.publish();
        let ctx = WriteContext {
            connection_id: connection.id.clone(),
            connection_name: connection.name.clone(),
            provider: connection.provider,
            base_url: String::new(),
        };
        reconcile::apply(&self.directory, &ctx, &mut report, &still).await?;
        let counts = applied_counts(&report, counts.already_in_step);
        Ok((report, Some(counts)))
    }

    /// Writes the run's history row, keeps its report, and tells.
    async fn finish(
        &self,
        ticket: &Ticket,
        progress: Progress,
        result: Result<(ReconcileReport, Option<AppliedCounts>), OktaApiError>,
    ) -> Finished {
        let mut record = RunRecord {
            id: 0,
            connection_id: ticket.connection.id.clone(),
            started_at: ticket.started_at.clone(),
            finished_at: String::new(),
            trigger: ticket.trigger,
            apply: ticket.mode != Mode::DryRun,
            outcome: Outcome::Failed,
            pages: progress.pages,
            okta_users: progress.okta_users,
            counts: None,
            applied: None,
            failure: None,
        };
        let mut error = None;
        let report = match result {
            Ok((report, applied)) => {
                record.outcome = match &applied {
                    Some(a) if a.failed > 0 => Outcome::Drift,
                    Some(_) => Outcome::InStep,
                    None if report.in_step() => Outcome::InStep,
                    None => Outcome::Drift,
                };
                record.pages = report.pages;
                record.okta_users = report.okta_users;
                record.counts = Some((&report.counts).into());
                record.applied = applied;
                Some(Arc::new(report))
            }
            Err(OktaApiError::Cancelled) => {
                record.outcome = Outcome::Cancelled;
                None
            }
            Err(e) => {
                record.failure = Some(describe(&e));
                error = Some(e);
                None
            }
        };
        record.finished_at = timefmt::now();
        match self.record(&record).await {
            Ok(id) => record.id = id,
            Err(e) => tracing::warn!(error = %e, "could not record the reconcile run"),
        }
        if let Some(report) = &report {
            self.lock()
                .reports
                .insert(record.connection_id.clone(), report.clone());
            if !record.apply && !report.in_step() {
                let c = &report.counts;
                self.notify(ChangeEvent::ReconcileDrift {
                    connection_id: record.connection_id.clone(),
                    trigger: record.trigger.code().to_owned(),
                    missing_here: c.missing_here,
                    stale_here: c.stale_here,
                    should_be_deactivated: c.should_be_deactivated,
                    unknown_to_okta: c.unknown_to_okta,
                });
                // The admin did not start it: a desktop notification says there is drift to
                // review (the admin who pressed Run sees the report already).
                if record.trigger != Trigger::Manual {
                    let rows =
                        c.missing_here + c.stale_here + c.should_be_deactivated + c.unknown_to_okta;
                    let raised = self
                        .notices
                        .drift_found(
                            &record.connection_id,
                            &report.connection_name,
                            rows as usize,
                            time::OffsetDateTime::now_utc(),
                        )
                        .await;
                    if let Err(e) = raised {
                        tracing::warn!(error = %e, "could not raise the drift notification");
                    }
                }
            }
        }
        tracing::info!(
            connection = %record.connection_id,
            trigger = record.trigger.code(),
            outcome = record.outcome.code(),
            okta_users = record.okta_users,
            "reconcile with Okta ended"
        );
        Finished {
            record,
            report,
            error,
        }
    }

    async fn employees_of(&self, connection_id: &str) -> Result<u64, StoreError> {
        let connection_id = connection_id.to_owned();
        let n: i64 = self
            .db
            .read_async(move |c| {
                c.prepare_cached(
                    "SELECT COUNT(*) AS n FROM employees WHERE connection_id = ? AND status <> 'removed'",
                )?
                .query_row([&connection_id], |r| r.get("n"))
            })
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn record(&self, r: &RunRecord) -> Result<i64, StoreError> {
        let r = r.clone();
        self.db
            .write(move |c| -> Result<i64, StoreError> {
                let counts = r.counts.clone();
                let applied = r.applied.clone();
                c.execute(
                    "INSERT INTO reconcile_runs (connection_id, started_at, finished_at, trigger, \
                     applied, outcome, pages, okta_users, missing_here, stale_here, \
                     should_be_deactivated, unknown_to_okta, created, updated, deactivated, \
                     apply_failed, already_in_step, failure) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
                     ?16, ?17, ?18)",
                    crate::db::sql::params![
                        r.connection_id,
                        r.started_at,
                        r.finished_at,
                        r.trigger.code(),
                        r.apply,
                        r.outcome.code(),
                        r.pages as i64,
                        r.okta_users as i64,
                        counts.as_ref().map(|c| c.missing_here as i64),
                        counts.as_ref().map(|c| c.stale_here as i64),
                        counts.as_ref().map(|c| c.should_be_deactivated as i64),
                        counts.as_ref().map(|c| c.unknown_to_okta as i64),
                        applied.as_ref().map(|a| a.created as i64),
                        applied.as_ref().map(|a| a.updated as i64),
                        applied.as_ref().map(|a| a.deactivated as i64),
                        applied.as_ref().map(|a| a.failed as i64),
                        applied.as_ref().map(|a| a.already_in_step as i64),
                        r.failure,
                    ],
                )
                .map_err(direct_error)?;
                Ok(c.last_insert_rowid()?)
            })
            .await
    }

    /// The connection's last runs, newest first (from the database: any process's).
    pub async fn history(
        &self,
        connection_id: &str,
        limit: u32,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let connection_id = connection_id.to_owned();
        self.db
            .read_async(move |c| {
                c.prepare_cached(
                    "SELECT * FROM reconcile_runs WHERE connection_id = ? ORDER BY id DESC LIMIT ?",
                )?
                .query_map(
                    crate::db::sql::params![connection_id, i64::from(limit)],
                    record_of,
                )?
                .collect()
            })
            .await
    }

    /// The connection's last run, if it ever ran.
    pub async fn last_run(&self, connection_id: &str) -> Result<Option<RunRecord>, StoreError> {
        Ok(self.history(connection_id, 1).await?.into_iter().next())
    }
}

fn applied_counts(report: &ReconcileReport, already_in_step: u64) -> AppliedCounts {
    let a = report.applied.clone().unwrap_or_default();
    AppliedCounts {
        created: a.created,
        updated: a.updated,
        deactivated: a.deactivated,
        failed: a.failed.len() as u64,
        already_in_step,
    }
}

fn record_of(row: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<RunRecord> {
    let n = |name: &str| -> crate::db::sql::Result<Option<u64>> {
        Ok(row.get::<_, Option<i64>>(name)?.map(|v| v.max(0) as u64))
    };
    let counts = match n("missing_here")? {
        Some(missing_here) => Some(ReportCounts {
            missing_here,
            stale_here: n("stale_here")?.unwrap_or(0),
            should_be_deactivated: n("should_be_deactivated")?.unwrap_or(0),
            unknown_to_okta: n("unknown_to_okta")?.unwrap_or(0),
        }),
        None => None,
    };
    let apply: bool = row.get("applied")?;
    let applied = match (apply, n("created")?) {
        (true, Some(created)) => Some(AppliedCounts {
            created,
            updated: n("updated")?.unwrap_or(0),
            deactivated: n("deactivated")?.unwrap_or(0),
            failed: n("apply_failed")?.unwrap_or(0),
            already_in_step: n("already_in_step")?.unwrap_or(0),
        }),
        _ => None,
    };
    Ok(RunRecord {
        id: row.get("id")?,
        connection_id: row.get("connection_id")?,
        started_at: row.get("started_at")?,
        finished_at: row.get("finished_at")?,
        trigger: Trigger::from_code(&row.get::<_, String>("trigger")?),
        apply,
        outcome: Outcome::from_code(&row.get::<_, String>("outcome")?),
        pages: n("pages")?.unwrap_or(0),
        okta_users: n("okta_users")?.unwrap_or(0),
        counts,
        applied,
        failure: row.get("failure")?,
    })
}

/// An Okta API failure as a plain sentence for the admin, without commands of any front end:
/// what the history keeps and the app shows. Never names the token.
pub fn describe(e: &OktaApiError) -> String {
    use crate::https::TransportFailure;
    match e {
        OktaApiError::InvalidOrgUrl { given, reason } => {
            let why = match *reason {
                "not_https" => "Okta's API is only reached over https",
                "credentials" => "it must not hold a user name or password",
                _ => "it is not a URL",
            };
            format!(
                "The org URL {given:?} cannot be used: {why}. Give the address of your Okta org, \
                 like https://acme.okta.com."
            )
        }
        OktaApiError::InvalidAppId(given) => format!(
            "{given:?} is not an Okta app id. Paste the app's id (0oa…) or the address of the \
             app's page in the Okta admin console (…/admin/app/NAME/instance/ID/…)."
        ),
        OktaApiError::EmptyToken => "Paste the Okta API token.".to_owned(),
        OktaApiError::NotOktaConnection(name) => format!(
            "'{name}' is a Microsoft Entra ID connection: reconcile reads Okta's API, so it is \
             for Okta connections only."
        ),
        OktaApiError::NotSetUp(name) => {
            format!("Reconciling with Okta is not set up for '{name}': set up its API access.")
        }
        OktaApiError::TokenMissing(name) => format!(
            "The Okta API token of '{name}' is missing from the keychain: set up its API access \
             again."
        ),
        OktaApiError::Unreachable {
            host,
            failure,
            detail,
        } => match failure {
            TransportFailure::Dns => format!(
                "Could not find {host} in DNS: check the org URL (like https://acme.okta.com) \
                 and this computer's network ({detail})."
            ),
            TransportFailure::Refused => format!(
                "{host} refused the connection: nothing answers HTTPS there. Check the org URL."
            ),
            TransportFailure::Tls => format!(
                "The secure connection to {host} failed: {detail}. Check the org URL; behind a \
                 company proxy that inspects TLS, its CA must be trusted."
            ),
            TransportFailure::Timeout => format!(
                "{host} did not answer in time. Check the org URL and this computer's network."
            ),
            TransportFailure::Other => format!("Could not reach {host}: {detail}."),
        },
        OktaApiError::BadToken { .. } => "Okta refused the API token (401): it is wrong, revoked \
             or expired, or made in another org. Make a new one in the Okta admin console \
             (Security › API › Tokens)."
            .to_owned(),
        OktaApiError::Forbidden { .. } => "Okta answered that the token may not read this app or \
             its users (403). Make the token as an administrator who may read applications and \
             users (a read-only administrator is enough)."
            .to_owned(),
        OktaApiError::AppNotFound { app_id, .. } => format!(
            "Okta has no app with the id {app_id} (404). Copy the id from the address of the \
             app's page in the Okta admin console, or paste that address."
        ),
        OktaApiError::RateLimited { waits } => format!(
            "Okta kept answering that its rate limit was reached (429), after {waits} waits for \
             it to reset. Try again in a few minutes."
        ),
        OktaApiError::Unexpected { status, summary } => {
            format!("Okta answered HTTP {status} ({summary}). Try again later.")
        }
        OktaApiError::NotOkta { url, .. } => format!(
            "{url} did not answer as Okta's API does: check the org URL (like \
             https://acme.okta.com)."
        ),
        OktaApiError::ForeignLink(link) => format!(
            "Okta's next page pointed outside the org ({link}); it was not followed, so the token \
             stays with Okta."
        ),
        OktaApiError::ReconcileRunning { connection_name } => format!(
            "A reconcile with Okta is already running (for '{connection_name}'): wait for it or \
             cancel it."
        ),
        OktaApiError::Cancelled => "The reconcile was cancelled.".to_owned(),
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Runs against a small stand-in of Okta's app-users API on loopback (plain HTTP: the
    //! setup row is written directly, since the admin's path insists on https), with a real
    //! SQLite data directory and an in-memory keychain.

    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::extract::{Query, State as AxState};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use serde_json::json;

    use super::*;
    use crate::connections::keychain::{Keychain, MemoryKeychain};
    use crate::desk::Desk;

    /// How the stand-in answers the users' pages.
    #[derive(Clone, Copy, PartialEq)]
    enum Behaviour {
        /// `users` app users, two a page.
        Pages,
        /// Never answers a page (told through `asked`).
        Hang,
        /// Answers 429 with a reset a minute away.
        RateLimited,
    }

    #[derive(Clone)]
    struct Okta {
        behaviour: Behaviour,
        users: usize,
        base: Arc<Mutex<String>>,
        asked: Arc<Notify>,
        requests: Arc<AtomicUsize>,
    }

    async fn users(
        AxState(okta): AxState<Okta>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        okta.requests.fetch_add(1, Ordering::SeqCst);
        okta.asked.notify_one();
        match okta.behaviour {
            Behaviour::Hang => std::future::pending::<Response>().await,
            Behaviour::RateLimited => {
                let reset = SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    + 60;
                let mut headers = HeaderMap::new();
                headers.insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
                (StatusCode::TOO_MANY_REQUESTS, headers, "{}").into_response()
            }
            Behaviour::Pages => {
                let after: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
                let end = (after + 2).min(okta.users);
                let page: Vec<_> = (after..end)
                    .map(|i| {
                        json!({
                            "id": format!("00u{i}"),
                            "status": "PROVISIONED",
                            "credentials": {"userName": format!("user{i}@x.example")},
                            "profile": {"email": format!("user{i}@x.example"), "givenName": "U", "familyName": format!("{i}")},
                        })
                    })
                    .collect();
                let mut headers = HeaderMap::new();
                if end < okta.users {
                    let base = okta.base.lock().unwrap().clone();
                    let next = format!(
                        "<{base}/api/v1/apps/0oa1/users?after={end}&limit=500>; rel=\"next\""
                    );
                    headers.insert("link", next.parse().unwrap());
                }
                (headers, axum::Json(page)).into_response()
            }
        }
    }

    struct Fixture {
        desk: Desk,
        connection_id: String,
        okta: Okta,
        _dir: tempfile::TempDir,
    }

    async fn fixture(behaviour: Behaviour, count: usize) -> Fixture {
        let okta = Okta {
            behaviour,
            users: count,
            base: Arc::default(),
            asked: Arc::new(Notify::new()),
            requests: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/api/v1/apps/0oa1/users", axum::routing::get(users))
            .with_state(okta.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        *okta.base.lock().unwrap() = base.clone();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let dir = tempfile::tempdir().unwrap();
        let keychain = Arc::new(MemoryKeychain::default());
        let desk = Desk::open(dir.path(), keychain.clone()).await.unwrap();
        let connection = desk
            .connections()
            .add("Okta", crate::connections::Provider::Okta)
            .await
            .unwrap()
            .connection;
        keychain
            .set(
                &crate::okta::token_account(&connection.id),
                "okta-api-token",
            )
            .unwrap();
        let id = connection.id.clone();
        desk.db()
            .write(move |c| -> Result<(), StoreError> {
                c.execute(
                    "INSERT INTO okta_api (connection_id, org_url, app_id, validated_at) \
                     VALUES (?1, ?2, '0oa1', '2026-01-01T00:00:00.000Z')",
                    crate::db::sql::params![id, base],
                )
                .map_err(direct_error)?;
                Ok(())
            })
            .await
            .unwrap();
        Fixture {
            desk,
            connection_id: connection.id,
            okta,
            _dir: dir,
        }
    }

    /// Waits for a change event after which `done` holds.
    async fn until(events: &mut broadcast::Receiver<ChangeEvent>, mut done: impl FnMut() -> bool) {
        tokio::time::timeout(Duration::from_secs(20), async {
            while !done() {
                let _ = events.recv().await;
            }
        })
        .await
        .expect("the state came within 20 s");
    }

    #[tokio::test]
    async fn a_second_run_is_refused_while_one_reads_and_cancel_stops_it_mid_page() {
        let f = fixture(Behaviour::Hang, 0).await;
        let runs = f.desk.reconcile_runs().clone();
        let asked = f.okta.asked.clone();
        let id = f.connection_id.clone();
        let first = tokio::spawn({
            let runs = runs.clone();
            async move { runs.run(&id, Trigger::Manual, Mode::DryRun).await }
        });
        asked.notified().await; // the page is being read, and never answered
        match runs.run("Okta", Trigger::Schedule, Mode::DryRun).await {
            Err(OktaApiError::ReconcileRunning { connection_name }) => {
                assert_eq!(connection_name, "Okta")
            }
            other => panic!("a second run started: {other:?}"),
        }
        assert!(runs.running().is_some());
        assert!(runs.cancel(&f.connection_id));
        let finished = first.await.unwrap().unwrap();
        assert_eq!(finished.record.outcome, Outcome::Cancelled);
        assert!(finished.report.is_none());
        assert!(runs.running().is_none(), "the place is free again");
        assert!(!runs.cancel(&f.connection_id), "nothing left to cancel");
        let history = runs.history(&f.connection_id, 10).await.unwrap();
        assert_eq!(history.len(), 1, "the refused start is no run: {history:?}");
        assert_eq!(history[0].outcome, Outcome::Cancelled);
        assert_eq!(history[0].trigger, Trigger::Manual);
    }

    /// The app, `serve` and a CLI `reconcile` may share a data directory: while one of them
    /// reconciles, another is refused with the connection it runs for, and may run once the
    /// first ends (or dies: the kernel drops the lock with the process's files).
    #[cfg(unix)]
    #[tokio::test]
    async fn a_second_process_on_the_data_directory_is_refused_while_one_runs() {
        let f = fixture(Behaviour::Hang, 0).await;
        // The other process reads the same keychain.
        let keychain = Arc::new(MemoryKeychain::default());
        keychain
            .set(
                &crate::okta::token_account(&f.connection_id),
                "okta-api-token",
            )
            .unwrap();
        let other = Desk::open(f.desk.data_dir(), keychain).await.unwrap();
        let runs = f.desk.reconcile_runs().clone();
        let id = f.connection_id.clone();
        let first = tokio::spawn({
            let runs = runs.clone();
            async move { runs.run(&id, Trigger::Manual, Mode::DryRun).await }
        });
        f.okta.asked.notified().await;
        // Refused at once; a run started instead would wait on Okta's page forever.
        let refused = tokio::time::timeout(
            Duration::from_secs(20),
            other
                .reconcile_runs()
                .run("Okta", Trigger::Schedule, Mode::DryRun),
        )
        .await
        .expect("refused at once, not started");
        match refused {
            Err(OktaApiError::ReconcileRunning { connection_name }) => {
                assert_eq!(connection_name, "Okta")
            }
            other => panic!("a second process started a run: {other:?}"),
        }
        assert!(runs.cancel(&f.connection_id));
        first.await.unwrap().unwrap();
        // Free again: the other process's run starts (and is cancelled in its turn).
        let second = tokio::spawn({
            let runs = other.reconcile_runs().clone();
            let id = f.connection_id.clone();
            async move { runs.run(&id, Trigger::Manual, Mode::DryRun).await }
        });
        tokio::time::timeout(Duration::from_secs(20), f.okta.asked.notified())
            .await
            .expect("the other process's run asks Okta");
        assert!(other.reconcile_runs().cancel(&f.connection_id));
        let finished = second.await.unwrap().unwrap();
        assert_eq!(finished.record.outcome, Outcome::Cancelled);
        other.close().await;
    }

    #[tokio::test]
    async fn cancel_does_not_wait_for_okta_rate_limit() {
        let f = fixture(Behaviour::RateLimited, 0).await;
        let runs = f.desk.reconcile_runs().clone();
        let mut events = f.desk.subscribe();
        runs.start(&f.connection_id, Trigger::Manual, Mode::DryRun)
            .await
            .unwrap();
        until(&mut events, || {
            runs.running()
                .is_some_and(|r| r.progress.waiting_until.is_some())
        })
        .await;
        let until_text = runs.running().unwrap().progress.waiting_until.unwrap();
        assert!(
            until_text > timefmt::now(),
            "the wait ends later: {until_text}"
        );
        let asked_at = std::time::Instant::now();
        assert!(runs.cancel(&f.connection_id));
        until(&mut events, || runs.running().is_none()).await;
        assert!(
            asked_at.elapsed() < Duration::from_secs(30),
            "cancel did not wait out the minute of the rate limit"
        );
        let last = runs.last_run(&f.connection_id).await.unwrap().unwrap();
        assert_eq!(last.outcome, Outcome::Cancelled);
        assert_eq!(f.okta.requests.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn progress_is_published_a_few_times_a_second_and_drift_is_told_and_recorded() {
        let f = fixture(Behaviour::Pages, 61).await;
        let runs = f.desk.reconcile_runs().clone();
        let mut events = f.desk.subscribe();
        let started = std::time::Instant::now();
        let finished = runs
            .run(&f.connection_id, Trigger::Schedule, Mode::DryRun)
            .await
            .unwrap();
        let took = started.elapsed();
        let r = &finished.record;
        assert_eq!((r.pages, r.okta_users), (31, 61));
        assert_eq!(r.outcome, Outcome::Drift);
        assert_eq!(r.counts.as_ref().unwrap().missing_here, 61);
        let (mut progress, mut drift) = (0, None);
        while let Ok(event) = events.try_recv() {
            match event {
                ChangeEvent::Reconcile { .. } => progress += 1,
                ChangeEvent::ReconcileDrift {
                    missing_here,
                    trigger,
                    ..
                } => drift = Some((missing_here, trigger)),
                _ => {}
            }
        }
        // The start, the end, and at most one a tick in between (not one a page).
        let ticks = (took.as_millis() / PROGRESS_EVERY.as_millis()) as usize + 1;
        assert!(
            (2..=2 + ticks).contains(&progress),
            "{progress} events in {took:?}"
        );
        assert_eq!(drift, Some((61, "schedule".to_owned())));
        assert_eq!(
            runs.last_report(&f.connection_id)
                .unwrap()
                .counts
                .missing_here,
            61
        );
        // The history outlives the process.
        let dir = f.desk.data_dir().to_owned();
        f.desk.close().await;
        let again = Desk::open(&dir, Arc::new(MemoryKeychain::default()))
            .await
            .unwrap();
        let last = again
            .reconcile_runs()
            .last_run(&f.connection_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(last, finished.record);
        assert!(again
            .reconcile_runs()
            .last_report(&f.connection_id)
            .is_none());
    }

    /// A run the admin did not start (the schedule, the end of a window) that finds drift is a
    /// desktop notification; the admin's own run is not (the report is on their screen).
    #[tokio::test]
    async fn drift_found_by_a_run_the_admin_did_not_start_is_a_notification() {
        let f = fixture(Behaviour::Pages, 3).await;
        let runs = f.desk.reconcile_runs().clone();
        let mut notices = f.desk.notices().subscribe();
        runs.run(&f.connection_id, Trigger::Manual, Mode::DryRun)
            .await
            .unwrap();
        assert!(notices.try_recv().is_err(), "the admin's own run");
        runs.run(&f.connection_id, Trigger::AfterWindow, Mode::DryRun)
            .await
            .unwrap();
        let notice = notices
            .try_recv()
            .expect("a notice for the run after a window");
        assert_eq!(notice.kind, crate::notices::NoticeKind::DriftFound);
        assert!(
            notice.body.contains("3 employees differ"),
            "{}",
            notice.body
        );
        assert_eq!(notice.route, "#/settings/integrations/okta");
    }

    #[tokio::test]
    async fn progress_while_reading_estimates_from_the_employees() {
        let f = fixture(Behaviour::Hang, 0).await;
        let runs = f.desk.reconcile_runs().clone();
        let mut events = f.desk.subscribe();
        runs.start("Okta", Trigger::Manual, Mode::DryRun)
            .await
            .unwrap();
        until(&mut events, || {
            runs.running()
                .is_some_and(|r| r.progress.about_total.is_some())
        })
        .await;
        let running = runs.running().unwrap();
        assert_eq!(running.progress.about_total, Some(0));
        assert_eq!((running.progress.pages, running.apply), (0, false));
        assert!(runs.cancel(&f.connection_id));
        until(&mut events, || runs.running().is_none()).await;
    }

    #[tokio::test]
    async fn apply_selected_rereads_and_counts_rows_gone_since_as_in_step() {
        let f = fixture(Behaviour::Pages, 3).await;
        let runs = f.desk.reconcile_runs().clone();
        let keys = vec!["00u1".to_owned(), "00u-gone".to_owned()];
        let finished = runs
            .run("Okta", Trigger::Manual, Mode::ApplySelected(keys))
            .await
            .unwrap();
        let applied = finished.record.applied.clone().unwrap();
        assert_eq!(
            (applied.created, applied.already_in_step, applied.failed),
            (1, 1, 0)
        );
        assert_eq!(finished.record.outcome, Outcome::InStep);
        // Only the selected row changed: two are still missing.
        let again = runs
            .run("Okta", Trigger::Manual, Mode::DryRun)
            .await
            .unwrap();
        assert_eq!(again.record.counts.unwrap().missing_here, 2);
        // A selection of rows all gone changes nothing, rather than applying everything.
        let none = runs
            .run(
                "Okta",
                Trigger::Manual,
                Mode::ApplySelected(vec!["00u1".into()]),
            )
            .await
            .unwrap();
        assert_eq!(none.record.applied.unwrap().already_in_step, 1);
        let after = runs
            .run("Okta", Trigger::Manual, Mode::DryRun)
            .await
            .unwrap();
        assert_eq!(after.record.counts.unwrap().missing_here, 2);
        // Apply all, then in step.
        runs.run("Okta", Trigger::Manual, Mode::ApplyAll)
            .await
            .unwrap();
        let last = runs
            .run("Okta", Trigger::Manual, Mode::DryRun)
            .await
            .unwrap();
        assert_eq!(last.record.outcome, Outcome::InStep);
        assert_eq!(runs.history(&f.connection_id, 100).await.unwrap().len(), 6);
    }

    #[tokio::test]
    async fn a_failed_run_keeps_its_sentence_and_no_setup_is_refused_before_starting() {
        let f = fixture(Behaviour::Pages, 0).await;
        let runs = f.desk.reconcile_runs().clone();
        // The stand-in has no app route for this id: a 404 without Okta's body.
        let id = f.connection_id.clone();
        f.desk
            .db()
            .write(move |c| -> Result<(), StoreError> {
                c.execute(
                    "UPDATE okta_api SET app_id = '0oa2' WHERE connection_id = ?",
                    [id],
                )
                .map_err(direct_error)?;
                Ok(())
            })
            .await
            .unwrap();
        let failed = runs
            .run("Okta", Trigger::Manual, Mode::DryRun)
            .await
            .unwrap();
        assert_eq!(failed.record.outcome, Outcome::Failed);
        let sentence = failed.record.failure.unwrap();
        assert!(
            sentence.contains("did not answer as Okta's API does"),
            "{sentence}"
        );
        assert!(!sentence.contains("okta-api-token"));
        f.desk.okta_api().clear("Okta").await.unwrap();
        assert!(matches!(
            runs.run("Okta", Trigger::Manual, Mode::DryRun).await,
            Err(OktaApiError::NotSetUp(_))
        ));
        assert_eq!(runs.history(&f.connection_id, 10).await.unwrap().len(), 1);
    }
}
