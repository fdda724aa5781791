-- The optional Okta management API set up for a connection, to reconcile the directory with
-- Okta's view of the app's assignments. The API token is in the OS keychain (account
-- `okta-api:<connection id>`), never here. `org_url` is `https://<org>.okta.com` (no trailing
-- slash); `app_id` the app's id (`0oa…`); `app_label` what Okta called the app when the setup was
-- validated, at `validated_at`.
CREATE TABLE okta_api (
    connection_id  TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    org_url        TEXT NOT NULL,
    app_id         TEXT NOT NULL,
    app_label      TEXT,
    validated_at   TEXT NOT NULL
);
