-- The org chart offers the top of the organisation: employees with no manager, and those whose
-- identity provider names them as their own manager. This partial index finds the latter
-- without reading every employee; it holds only those few rows.
CREATE INDEX employees_self_managed ON employees(seq) WHERE manager_id = id;

-- Headcounts walk a manager's subtree down the reporting lines; with each report's id and status
-- in the index, the walk never reads the employees' rows (their documents).
CREATE INDEX employees_reports ON employees(manager_id, id, status);
