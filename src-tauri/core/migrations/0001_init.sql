-- The employee directory, connections, and the activity log.
-- Times are RFC 3339 UTC with milliseconds ("2026-11-29T11:09:08.123Z") so that text order is time order.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE connections (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    token_sha256         BLOB NOT NULL UNIQUE,
    created_at           TEXT NOT NULL,
    last_contact_at      TEXT,
    last_contact_status  INTEGER,
    last_contact_detail  TEXT
);
CREATE UNIQUE INDEX connections_name ON connections(name COLLATE NOCASE);

-- One row per employee. `doc` is the user's SCIM document as Okta last sent it (without id, meta,
-- groups and password), so attributes outside the mapping round-trip; the columns beside it are
-- the mapped employee fields, kept in step with `doc` on every write.
CREATE TABLE employees (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    connection_id  TEXT,
    external_id    TEXT,
    user_name      TEXT NOT NULL,
    email          TEXT,
    display_name   TEXT,
    first_name     TEXT,
    last_name      TEXT,
    job_title      TEXT,
    department     TEXT,
    business_unit  TEXT,
    manager_email  TEXT,
    manager_id     TEXT,
    location       TEXT,
    employee_id    TEXT,
    active         INTEGER NOT NULL DEFAULT 1,
    status         TEXT NOT NULL CHECK (status IN ('active', 'deactivated', 'removed')),
    doc            TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX employees_user_name ON employees(user_name COLLATE NOCASE) WHERE status <> 'removed';
CREATE INDEX employees_email ON employees(email COLLATE NOCASE);
CREATE INDEX employees_external_id ON employees(external_id);
CREATE INDEX employees_manager_email ON employees(manager_email COLLATE NOCASE);
CREATE INDEX employees_manager_id ON employees(manager_id);

CREATE TABLE groups (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    connection_id  TEXT,
    external_id    TEXT,
    display_name   TEXT NOT NULL,
    doc            TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX groups_display_name ON groups(display_name COLLATE NOCASE);
CREATE INDEX groups_external_id ON groups(external_id);

CREATE TABLE group_members (
    group_seq  INTEGER NOT NULL REFERENCES groups(seq) ON DELETE CASCADE,
    member_id  TEXT NOT NULL,
    display    TEXT,
    PRIMARY KEY (group_seq, member_id)
) WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members(member_id);

-- Every write that reached the endpoint, whatever its outcome. Never a token.
CREATE TABLE activity (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    at               TEXT NOT NULL,
    connection_id    TEXT,
    connection_name  TEXT,
    method           TEXT NOT NULL,
    operation        TEXT NOT NULL,
    resource_type    TEXT,
    resource_id      TEXT,
    employee_id      TEXT,
    summary          TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    status           INTEGER NOT NULL,
    detail           TEXT
);
CREATE INDEX activity_connection ON activity(connection_id, seq);
CREATE INDEX activity_employee ON activity(employee_id, seq);
