-- The Employees search through an index, so that it stays instant at a million employees.
--
-- A trigram index (every three characters of every searched field, case folded) finds the
-- employees whose fields contain a search of three characters or more without reading the
-- others. It is contentless (it keeps no copy of the text, only the index): the query checks
-- each match against the employee's own columns, so the index only has to find a superset.
-- Its one row per employee holds the searched fields joined by line feeds, in the order the
-- search names them: display name, email, user name, "first last", job title, department,
-- business unit, employee ID.
--
-- Triggers keep it in step inside the writing transaction, whichever path writes (SCIM, bulk
-- import, reconcile, another process): no write leaves the index behind, and no failed write
-- leaves it ahead.
CREATE VIRTUAL TABLE employees_search USING fts5(
    fields,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram case_sensitive 0'
);

INSERT INTO employees_search (rowid, fields)
SELECT seq,
       coalesce(display_name, '') || char(10) || coalesce(email, '') || char(10) ||
       user_name || char(10) ||
       coalesce(first_name, '') || ' ' || coalesce(last_name, '') || char(10) ||
       coalesce(job_title, '') || char(10) || coalesce(department, '') || char(10) ||
       coalesce(business_unit, '') || char(10) || coalesce(employee_id, '')
FROM employees;

CREATE TRIGGER employees_search_ins AFTER INSERT ON employees BEGIN
    INSERT INTO employees_search (rowid, fields) VALUES (new.seq,
        coalesce(new.display_name, '') || char(10) || coalesce(new.email, '') || char(10) ||
        new.user_name || char(10) ||
        coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '') || char(10) ||
        coalesce(new.job_title, '') || char(10) || coalesce(new.department, '') || char(10) ||
        coalesce(new.business_unit, '') || char(10) || coalesce(new.employee_id, ''));
END;

-- Only when a searched field changed: a PUT that changes nothing searchable costs no index write.
CREATE TRIGGER employees_search_upd AFTER UPDATE ON employees
WHEN old.display_name IS NOT new.display_name OR old.email IS NOT new.email
  OR old.user_name IS NOT new.user_name OR old.first_name IS NOT new.first_name
  OR old.last_name IS NOT new.last_name OR old.job_title IS NOT new.job_title
  OR old.department IS NOT new.department OR old.business_unit IS NOT new.business_unit
  OR old.employee_id IS NOT new.employee_id OR old.seq IS NOT new.seq
BEGIN
    DELETE FROM employees_search WHERE rowid = old.seq;
    INSERT INTO employees_search (rowid, fields) VALUES (new.seq,
        coalesce(new.display_name, '') || char(10) || coalesce(new.email, '') || char(10) ||
        new.user_name || char(10) ||
        coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '') || char(10) ||
        coalesce(new.job_title, '') || char(10) || coalesce(new.department, '') || char(10) ||
        coalesce(new.business_unit, '') || char(10) || coalesce(new.employee_id, ''));
END;

CREATE TRIGGER employees_search_del AFTER DELETE ON employees BEGIN
    DELETE FROM employees_search WHERE rowid = old.seq;
END;
