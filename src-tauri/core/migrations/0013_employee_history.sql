-- Each employee's change history, field by field: one row per field an activity line changed
-- (`field`: an employee field's key, `manager`, `manager_link`, `status`, `groups` or
-- `custom.<key>`; `before`/`after` as text, NULL for no value). The time, connection, provider and
-- method of a change are those of its activity line, so the rows are written in the same
-- transaction as the change and its line, and pruned with the line (the activity retention).
-- The employee is named by its `seq` (an integer), not its id (a UUID): a dozen rows a create,
-- each in the table and its index, cost a write a third as much as they would with the UUID.
CREATE TABLE employee_history (
    id            INTEGER PRIMARY KEY,
    employee_seq  INTEGER NOT NULL,
    activity_seq  INTEGER NOT NULL REFERENCES activity(seq) ON DELETE CASCADE,
    field         TEXT NOT NULL,
    before        TEXT,
    after         TEXT
);
-- One employee's history, newest first (and a page of it before an activity line).
CREATE INDEX employee_history_employee ON employee_history(employee_seq, activity_seq);
-- Pruning with the activity log, by line.
CREATE INDEX employee_history_activity ON employee_history(activity_seq);

-- Since when each employee's history is complete: when recording began (this migration), moved
-- forward to the time of the newest activity line pruned. An "as of" before it cannot be told.
CREATE TABLE history_horizon (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    at  TEXT NOT NULL
);
INSERT INTO history_horizon (id, at) VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
