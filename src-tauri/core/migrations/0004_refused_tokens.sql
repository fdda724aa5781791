-- Requests refused at a connection's base URL for a wrong or missing token: how many, and when
-- the last one came. Kept apart from the last contact, which only Okta's own requests (the right
-- token) set: a stranger guessing tokens must not look like Okta calling. Not a config change:
-- the `connections_upd` trigger does not watch these columns.
ALTER TABLE connections ADD COLUMN refused_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN last_refused_at TEXT;
