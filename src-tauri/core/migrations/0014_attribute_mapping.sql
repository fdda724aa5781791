-- The attribute mapping: which SCIM attribute each directory field comes from, per identity
-- provider, and the admin's own (custom) directory fields.
--
-- A provider without a row in `attribute_mappings` uses the default mapping (the product's rules
-- in `directory/mapping.rs`). A row holds, as a JSON object, the path of every field that is not
-- at its default (`null` for a field left unmapped) and every custom field it maps.
CREATE TABLE custom_fields (
    key       TEXT PRIMARY KEY,
    label     TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('text', 'date', 'number', 'boolean')),
    position  INTEGER NOT NULL
);

CREATE TABLE attribute_mappings (
    provider            TEXT PRIMARY KEY CHECK (provider IN ('okta', 'entra')),
    fields              TEXT NOT NULL,
    allow_shared_paths  INTEGER NOT NULL DEFAULT 0
);

-- A re-derive under way: the employees of `provider` after `after_seq` still need their fields
-- derived again from their stored documents. Each batch advances it in its own transaction, so
-- a re-derive interrupted (the app quit, a crash) resumes where it got to. `activity_seq` is the
-- activity line of the mapping change the history rows belong to.
CREATE TABLE mapping_rederive (
    provider      TEXT PRIMARY KEY CHECK (provider IN ('okta', 'entra')),
    after_seq     INTEGER NOT NULL,
    done          INTEGER NOT NULL,
    total         INTEGER NOT NULL,
    activity_seq  INTEGER
);

-- Every process caches the mappings it derives with; one read of this counter in each write
-- tells it whether another process (the CLI beside the app) changed them.
ALTER TABLE generation ADD COLUMN mapping INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER custom_fields_ins AFTER INSERT ON custom_fields BEGIN UPDATE generation SET mapping = mapping + 1; END;
CREATE TRIGGER custom_fields_upd AFTER UPDATE ON custom_fields BEGIN UPDATE generation SET mapping = mapping + 1; END;
CREATE TRIGGER custom_fields_del AFTER DELETE ON custom_fields BEGIN UPDATE generation SET mapping = mapping + 1; END;
CREATE TRIGGER attribute_mappings_ins AFTER INSERT ON attribute_mappings BEGIN UPDATE generation SET mapping = mapping + 1; END;
CREATE TRIGGER attribute_mappings_upd AFTER UPDATE ON attribute_mappings BEGIN UPDATE generation SET mapping = mapping + 1; END;
CREATE TRIGGER attribute_mappings_del AFTER DELETE ON attribute_mappings BEGIN UPDATE generation SET mapping = mapping + 1; END;

-- Each employee's custom field values: a JSON object, key → value as text.
ALTER TABLE employees ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';

-- The search index (0011) also holds the custom values, after the other fields, one line for
-- them all. Existing rows have none, so only the triggers change: no row is re-indexed here.
DROP TRIGGER employees_search_ins;
DROP TRIGGER employees_search_upd;

CREATE TRIGGER employees_search_ins AFTER INSERT ON employees BEGIN
    INSERT INTO employees_search (rowid, fields) VALUES (new.seq,
        coalesce(new.display_name, '') || char(10) || coalesce(new.email, '') || char(10) ||
        new.user_name || char(10) ||
        coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '') || char(10) ||
        coalesce(new.job_title, '') || char(10) || coalesce(new.department, '') || char(10) ||
        coalesce(new.business_unit, '') || char(10) || coalesce(new.employee_id, '') ||
        CASE WHEN new.custom = '{}' THEN '' ELSE char(10) ||
            coalesce((SELECT group_concat(value, char(10)) FROM json_each(new.custom)), '') END);
END;

CREATE TRIGGER employees_search_upd AFTER UPDATE ON employees
WHEN old.display_name IS NOT new.display_name OR old.email IS NOT new.email
  OR old.user_name IS NOT new.user_name OR old.first_name IS NOT new.first_name
  OR old.last_name IS NOT new.last_name OR old.job_title IS NOT new.job_title
  OR old.department IS NOT new.department OR old.business_unit IS NOT new.business_unit
  OR old.employee_id IS NOT new.employee_id OR old.seq IS NOT new.seq
  OR old.custom IS NOT new.custom
BEGIN
    DELETE FROM employees_search WHERE rowid = old.seq;
    INSERT INTO employees_search (rowid, fields) VALUES (new.seq,
        coalesce(new.display_name, '') || char(10) || coalesce(new.email, '') || char(10) ||
        new.user_name || char(10) ||
        coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '') || char(10) ||
        coalesce(new.job_title, '') || char(10) || coalesce(new.department, '') || char(10) ||
        coalesce(new.business_unit, '') || char(10) || coalesce(new.employee_id, '') ||
        CASE WHEN new.custom = '{}' THEN '' ELSE char(10) ||
            coalesce((SELECT group_concat(value, char(10)) FROM json_each(new.custom)), '') END);
END;
