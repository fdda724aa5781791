-- When the admin dismissed the app's banner about a reachability window (none: not dismissed).
-- Kept with the window, so the banner stays dismissed across restarts of the app.
ALTER TABLE reachability_windows ADD COLUMN dismissed_at TEXT;
