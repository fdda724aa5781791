-- Each connection belongs to one identity provider. Every connection made before this migration
-- was made for Okta. Activity rows keep the provider of the connection that wrote them, copied at
-- write time, so that it survives the connection's deletion (none for rows without a connection).
ALTER TABLE connections ADD COLUMN provider TEXT NOT NULL DEFAULT 'okta' CHECK (provider IN ('okta', 'entra'));
ALTER TABLE activity ADD COLUMN provider TEXT CHECK (provider IS NULL OR provider IN ('okta', 'entra'));
UPDATE activity SET provider = 'okta' WHERE connection_id IS NOT NULL;
