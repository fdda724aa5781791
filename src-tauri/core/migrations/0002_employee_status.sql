-- The app's employee table filters and counts by status, and pages by seq within a status.
CREATE INDEX employees_status ON employees(status);
