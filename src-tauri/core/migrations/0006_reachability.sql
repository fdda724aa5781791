-- When Okta could not reach SCIM Desk. A running endpoint (`scimdesk serve`, the app) beats in
-- `heartbeat`, so that on start the gap since the last beat is known across crashes and power
-- loss; the gaps it reveals, the Okta switch's off periods (and, recorded by other parts, the
-- tunnel down, the port taken, the URL changed) are `reachability_windows`. Neither table is
-- watched by the generation triggers: a beat changes nothing a cache holds.

-- The last beat (one row once an endpoint has run). `clean_stop` is 1 when that run stopped as
-- asked (Ctrl-C, SIGTERM, Quit) and wrote its last beat; 0 while it runs and after a crash, a
-- kill or a power loss. `interval_ms` is how often it beat, so another process can tell whether
-- the beat is fresh.
CREATE TABLE heartbeat (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    beat_at      TEXT NOT NULL,
    clean_stop   INTEGER NOT NULL,
    interval_ms  INTEGER NOT NULL
);

-- A stretch of time in which Okta's pushes could not have reached SCIM Desk. `cause` is a code:
-- 'not_running' (the app or serve not running: stopped, crashed, power lost), 'asleep' (the
-- computer slept while it ran), 'okta_off' (the Okta switch was off), 'tunnel_down',
-- 'port_taken', 'url_changed'. No CHECK on it, so a new cause needs no rebuilt table.
-- `ended_at` is NULL while the window is open. `connections` is a JSON array of the ids of the
-- connections that existed then (a window with none is not recorded: nobody could push).
-- `clean_stop`, for 'not_running': whether the run before it stopped cleanly.
CREATE TABLE reachability_windows (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at   TEXT NOT NULL,
    ended_at     TEXT,
    cause        TEXT NOT NULL,
    connections  TEXT NOT NULL,
    clean_stop   INTEGER
);
CREATE INDEX reachability_windows_started ON reachability_windows(started_at);
