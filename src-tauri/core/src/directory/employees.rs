//! Employees as the admin sees them: the directory's rows, listed for the CLI and the app.
//!
//! This is the admin's view (search, status, paging), not SCIM's; SCIM lists live in `users`.

use serde::Serialize;

use super::{db_error, Directory};
use crate::scim::ScimError;

/// One employee. Serialised as the CLI's `users list --json` contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Employee {
    #[serde(skip)]
    pub seq: i64,
    pub id: String,
    pub user_name: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub business_unit: Option<String>,
    pub manager_email: Option<String>,
    /// The manager's id once an employee with `manager_email` exists.
    pub manager_id: Option<String>,
    pub location: Option<String>,
    pub employee_id: Option<String>,
    /// `active`, `deactivated`, or `removed` (only after a SCIM DELETE, which Okta never sends).
    pub status: String,
    pub external_id: Option<String>,
    /// The connection that created the employee.
    pub connection_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub active: bool,
    #[serde(skip)]
    pub doc: String,
    #[serde(skip)]
    pub version: i64,
}

pub(crate) const EMPLOYEE_COLUMNS: &str = "e.seq, e.id, e.user_name, e.email, e.display_name, \
    e.first_name, e.last_name, e.job_title, e.department, e.business_unit, e.manager_email, \
    e.manager_id, e.location, e.employee_id, e.status, e.external_id, e.connection_id, \
    e.created_at, e.updated_at, e.active, e.doc, e.version";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    Deactivated,
    Removed,
    /// Everyone but removed records.
    #[default]
    Current,
    All,
}

#[derive(Debug, Clone, Default)]
pub struct EmployeeQuery {
    /// Matched against name, email, job title, department and employee ID.
    pub search: Option<String>,
    pub status: StatusFilter,
    pub offset: u64,
    /// 0 means every matching employee.
    pub limit: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmployeePage {
    pub total: u64,
    pub items: Vec<Employee>,
}

fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl Directory {
    pub async fn employees(&self, q: &EmployeeQuery) -> Result<EmployeePage, ScimError> {
        let status = match q.status {
            StatusFilter::Active => "e.status = 'active'",
            StatusFilter::Deactivated => "e.status = 'deactivated'",
            StatusFilter::Removed => "e.status = 'removed'",
            StatusFilter::Current => "e.status <> 'removed'",
            StatusFilter::All => "1",
        };
        let search = q
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(like_pattern);
        let where_clause = format!(
            "{status} AND (?1 IS NULL OR e.display_name LIKE ?1 ESCAPE '\\' OR e.email LIKE ?1 ESCAPE '\\' \
             OR e.user_name LIKE ?1 ESCAPE '\\' OR e.job_title LIKE ?1 ESCAPE '\\' \
             OR e.department LIKE ?1 ESCAPE '\\' OR e.employee_id LIKE ?1 ESCAPE '\\')"
        );
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM employees e WHERE {where_clause}"
        ))
        .bind(&search)
        .fetch_one(self.db.reader())
        .await
        .map_err(db_error)?;
        let limit = if q.limit == 0 { -1 } else { q.limit as i64 };
        let items = sqlx::query_as::<_, Employee>(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE {where_clause} \
             ORDER BY e.seq LIMIT ?2 OFFSET ?3"
        ))
        .bind(&search)
        .bind(limit)
        .bind(q.offset as i64)
        .fetch_all(self.db.reader())
        .await
        .map_err(db_error)?;
        Ok(EmployeePage {
            total: total.max(0) as u64,
            items,
        })
    }

    /// Any employee by id, removed ones included (the admin's view keeps them).
    pub async fn employee(&self, id: &str) -> Result<Option<Employee>, ScimError> {
        sqlx::query_as::<_, Employee>(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE e.id = ?"
        ))
        .bind(id)
        .fetch_optional(self.db.reader())
        .await
        .map_err(db_error)
    }
}
