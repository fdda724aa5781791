-- One row per reconcile run with Okta, written when the run ends, so that "Last reconciled …"
-- and the schedule survive restarts. `trigger`: who started it; `applied`: 1 when the run was an
-- Apply (else a dry run); `outcome`: `in_step` (no drift), `drift` (rows found), `failed`
-- (`failure` says why, in a sentence without the token), `cancelled` (by the admin). The counts
-- are those of the report read (none when it failed or was cancelled before the end); `created`,
-- `updated`, `deactivated`, `apply_failed` what an Apply changed, and `already_in_step` the
-- selected rows that Okta's re-read no longer had.
CREATE TABLE reconcile_runs (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id          TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    started_at             TEXT NOT NULL,
    finished_at            TEXT NOT NULL,
    trigger                TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule', 'after_window')),
    applied                INTEGER NOT NULL DEFAULT 0,
    outcome                TEXT NOT NULL CHECK (outcome IN ('in_step', 'drift', 'failed', 'cancelled')),
    pages                  INTEGER NOT NULL DEFAULT 0,
    okta_users             INTEGER NOT NULL DEFAULT 0,
    missing_here           INTEGER,
    stale_here             INTEGER,
    should_be_deactivated  INTEGER,
    unknown_to_okta        INTEGER,
    created                INTEGER,
    updated                INTEGER,
    deactivated            INTEGER,
    apply_failed           INTEGER,
    already_in_step        INTEGER,
    failure                TEXT
);
CREATE INDEX reconcile_runs_by_connection ON reconcile_runs (connection_id, id);
