//! STAND-IN until the history branch lands: the signatures of the change history that the
//! mapping's re-derive records through, with a `record` that writes nothing.
//!
//! The history branch replaces this file: `diff` names the mapped fields that differ (custom
//! fields as `custom.<key>`), `record` writes them inside the caller's transaction.

use super::mapping::EmployeeFields;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The mapped fields that differ between `before` and `after`.
pub(crate) fn diff(before: &EmployeeFields, after: &EmployeeFields) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut field = |name: &str, b: &Option<String>, a: &Option<String>| {
        if b != a {
            out.push(FieldChange {
                field: name.to_owned(),
                before: b.clone(),
                after: a.clone(),
            });
        }
    };
    field(
        "user_name",
        &Some(before.user_name.clone()),
        &Some(after.user_name.clone()),
    );
    field("email", &before.email, &after.email);
    field("first_name", &before.first_name, &after.first_name);
    field("last_name", &before.last_name, &after.last_name);
    field("display_name", &before.display_name, &after.display_name);
    field("job_title", &before.job_title, &after.job_title);
    field("department", &before.department, &after.department);
    field("business_unit", &before.business_unit, &after.business_unit);
    field("employee_id", &before.employee_id, &after.employee_id);
    field("location", &before.location, &after.location);
    field("external_id", &before.external_id, &after.external_id);
    field("manager", &before.manager_email, &after.manager_email);
    let keys: std::collections::BTreeSet<&String> =
        before.custom.keys().chain(after.custom.keys()).collect();
    for key in keys {
        field(
            &format!("custom.{key}"),
            &before.custom.get(key).cloned(),
            &after.custom.get(key).cloned(),
        );
    }
    out
}

/// Records `changes` of `employee_id` against the activity line `activity_seq`: nothing, in
/// this stand-in.
pub(crate) fn record(
    _c: &rusqlite::Connection,
    _employee_id: &str,
    _activity_seq: i64,
    _changes: &[FieldChange],
) -> rusqlite::Result<()> {
    Ok(())
}
