//! Each employee's change history, field by field: who changed what, when, from what to what.
//!
//! Every write that changes an employee (a SCIM create, replace, patch, deactivation or delete,
//! a reconcile with Okta's API, a group's membership, a manager link made or undone, a mapping
//! change) records its changed fields here with [`record`], inside its own transaction and
//! against the activity line it appends: the change's time, connection, provider and method are
//! that line's, a failed write (rolled back) records nothing, and pruning the activity log prunes
//! the history with it ([`Directory::prune_activity`]).
//!
//! Read back as a timeline ([`Directory::employee_history`], one event per activity line, newest
//! first) and as the employee's fields at a past time ([`Directory::employee_as_of`]: the current
//! fields with the later changes undone). Not for the activity log's own lines, nor for groups'
//! histories: only what an employee's record shows.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use crate::db::sql::{Connection, OptionalExtension};
use serde::Serialize;
use time::OffsetDateTime;

use super::employees::Employee;
use super::error::DirectoryError;
use super::mapping::EmployeeFields;
use super::Directory;
use crate::connections::Provider;
use crate::timefmt;

/// One field's change: its key (see the module's keys), the value before and after (`None`: no
/// value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl FieldChange {
    pub(crate) fn new(field: &str, before: Option<String>, after: Option<String>) -> Self {
        FieldChange {
            field: field.to_owned(),
            before,
            after,
        }
    }
}

/// The key of the status row: `active`, `deactivated` or `removed`.
pub(crate) const STATUS: &str = "status";
/// A group membership: `after` the group's name when added, `before` when removed.
pub(crate) const GROUPS: &str = "groups";
/// The resolved manager ("Maria Lopez <maria@corp.example>"), when the link is made or undone.
pub(crate) const MANAGER_LINK: &str = "manager_link";

/// The mapped fields, by key, in the order a timeline lists them.
fn mapped(f: &EmployeeFields) -> [(&'static str, Option<&str>); 12] {
    [
        (
            "user_name",
            Some(f.user_name.as_str()).filter(|s| !s.is_empty()),
        ),
        ("email", f.email.as_deref()),
        ("first_name", f.first_name.as_deref()),
        ("last_name", f.last_name.as_deref()),
        ("display_name", f.display_name.as_deref()),
        ("job_title", f.job_title.as_deref()),
        ("department", f.department.as_deref()),
        ("business_unit", f.business_unit.as_deref()),
        ("employee_id", f.employee_id.as_deref()),
        ("manager", f.manager_email.as_deref()),
        ("location", f.location.as_deref()),
        ("external_id", f.external_id.as_deref()),
    ]
}

/// An employee's mapped fields as its row holds them (what the admin sees now).
pub(crate) fn fields_of(e: &Employee) -> EmployeeFields {
    EmployeeFields {
        user_name: e.user_name.clone(),
        external_id: e.external_id.clone(),
        email: e.email.clone(),
        display_name: e.display_name.clone(),
        first_name: e.first_name.clone(),
        last_name: e.last_name.clone(),
        job_title: e.job_title.clone(),
        department: e.department.clone(),
        business_unit: e.business_unit.clone(),
        manager_email: e.manager_email.clone(),
        location: e.location.clone(),
        employee_id: e.employee_id.clone(),
        active: None,
        custom: e.custom.clone(),
    }
}

/// The mapped fields that differ between `before` and `after` (not the status: the write knows
/// it from the stored state, see [`status_change`]).
pub(crate) fn diff(before: &EmployeeFields, after: &EmployeeFields) -> Vec<FieldChange> {
    let mut changes: Vec<FieldChange> = mapped(before)
        .into_iter()
        .zip(mapped(after))
        .filter(|((_, b), (_, a))| b != a)
        .map(|((key, b), (_, a))| FieldChange::new(key, b.map(str::to_owned), a.map(str::to_owned)))
        .collect();
    // The custom fields, as `custom.<key>`, in the order of their keys.
    let keys: std::collections::BTreeSet<&String> =
        before.custom.keys().chain(after.custom.keys()).collect();
    for key in keys {
        let (b, a) = (before.custom.get(key), after.custom.get(key));
        if b != a {
            let field = format!("{CUSTOM_PREFIX}{key}");
            changes.push(FieldChange::new(&field, b.cloned(), a.cloned()));
        }
    }
    changes
}

/// What a create records: each field that has a value (before = none), then the status.
pub(crate) fn created(fields: &EmployeeFields, status: &str) -> Vec<FieldChange> {
    let mut changes = diff(&EmployeeFields::default(), fields);
    changes.push(FieldChange::new(STATUS, None, Some(status.to_owned())));
    changes
}

/// The status row of a write that moved it, if it did.
pub(crate) fn status_change(before: &str, after: &str) -> Option<FieldChange> {
    (before != after)
        .then(|| FieldChange::new(STATUS, Some(before.to_owned()), Some(after.to_owned())))
}

/// The multi-row INSERTs [`record`] uses, for 1, 2, 4 and 8 rows: a create's dozen rows are two
/// statements, each compiled once per connection.
static INSERTS: LazyLock<[String; 4]> = LazyLock::new(|| {
    [1, 2, 4, 8].map(|n| {
        format!(
            "INSERT INTO employee_history (employee_seq, activity_seq, field, before, after) \
             VALUES {}",
            vec!["(?1, ?2, ?, ?, ?)"; n].join(", ")
        )
    })
});

/// Records `changes` of the employee `employee_id` against the activity line `activity_seq`,
/// inside the caller's write transaction.
pub(crate) fn record(
    c: &Connection,
    employee_id: &str,
    activity_seq: i64,
    changes: &[FieldChange],
) -> crate::db::sql::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let employee_seq: i64 = c
        .prepare_cached("SELECT seq FROM employees WHERE id = ?")?
        .query_row([employee_id], |r| r.get(0))?;
    let mut rest = changes;
    while !rest.is_empty() {
        let size = [8, 4, 2, 1]
            .into_iter()
            .find(|n| *n <= rest.len())
            .unwrap_or(1);
        let (batch, after) = rest.split_at(size);
        let sql = &INSERTS[size.trailing_zeros() as usize];
        let mut params: Vec<&dyn crate::db::sql::ToSql> = Vec::with_capacity(2 + 3 * size);
        params.push(&employee_seq);
        params.push(&activity_seq);
        for change in batch {
            params.extend([
                &change.field as &dyn crate::db::sql::ToSql,
                &change.before,
                &change.after,
            ]);
        }
        c.prepare_cached(sql)?.execute(&*params)?;
        rest = after;
    }
    Ok(())
}

/// Records the same change of each of the employees `employee_ids` (a group's members added or
/// removed) against the activity line `activity_seq`: one statement however many (a batch of a
/// thousand members costs one statement, not two thousand).
pub(crate) fn record_each(
    c: &Connection,
    employee_ids: &[String],
    activity_seq: i64,
    change: &FieldChange,
) -> crate::db::sql::Result<()> {
    if employee_ids.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(employee_ids).unwrap_or_else(|_| "[]".to_owned());
    c.prepare_cached(c.pick(
        "INSERT INTO employee_history (employee_seq, activity_seq, field, before, after) \
         SELECT e.seq, ?1, ?2, ?3, ?4 FROM json_each(?5) j JOIN employees e ON e.id = j.value \
         ORDER BY j.key",
        "INSERT INTO employee_history (employee_seq, activity_seq, field, before, after) \
         SELECT e.seq, ?1, ?2, ?3, ?4 \
         FROM jsonb_array_elements_text(?5::jsonb) WITH ORDINALITY AS j(value, key) \
         JOIN employees e ON e.id = j.value ORDER BY j.key",
    ))?
    .execute(crate::db::sql::params![
        activity_seq,
        change.field,
        change.before,
        change.after,
        ids
    ])?;
    Ok(())
}

/// How an employee's manager reads in a history row: "Maria Lopez <maria@corp.example>", or the
/// email (userName) alone when the manager has no name.
pub(crate) fn person_label(c: &Connection, id: &str) -> crate::db::sql::Result<Option<String>> {
    c.prepare_cached("SELECT display_name, email, user_name FROM employees WHERE id = ?")?
        .query_row([id], |r| {
            let (name, email, user_name) = (
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            );
            Ok(label_of(
                name.as_deref(),
                email.as_deref().unwrap_or(&user_name),
            ))
        })
        .optional()
}

/// "Name <email>", or the email alone.
pub(crate) fn label_of(name: Option<&str>, email: &str) -> String {
    match name.filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(email)) {
        Some(name) => format!("{name} <{email}>"),
        None => email.to_owned(),
    }
}

/// Deletes the history of the activity lines one prune batch deletes (the same selection as the
/// batch's DELETE, see [`Directory::prune_activity`]), and moves the horizon past them. Inside
/// the batch's transaction, before the lines go.
pub(crate) fn prune_with_lines(
    c: &Connection,
    cutoff: &str,
    keep_after: i64,
    batch: i64,
) -> crate::db::sql::Result<()> {
    const PRUNED: &str =
        "SELECT seq, at FROM (SELECT seq, at FROM activity ORDER BY seq LIMIT ?3) AS oldest \
                          WHERE seq <= ?2 OR at < ?1";
    c.prepare_cached(&format!(
        "DELETE FROM employee_history WHERE activity_seq IN (SELECT seq FROM ({PRUNED}) AS pruned)"
    ))?
    .execute(crate::db::sql::params![cutoff, keep_after, batch])?;
    c.prepare_cached(&format!(
        "UPDATE history_horizon SET at = (SELECT MAX(at) FROM ({PRUNED}) AS pruned) \
         WHERE id = 1 AND (SELECT MAX(at) FROM ({PRUNED}) AS pruned) > at"
    ))?
    .execute(crate::db::sql::params![cutoff, keep_after, batch])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading

/// How a custom field's key starts in a history row: `custom.cost_center`.
pub(crate) const CUSTOM_PREFIX: &str = "custom.";

/// The field's name as the admin sees it, a custom field by the name the admin gave it in the
/// attribute mapping (`columns`), or by its key once it is no longer defined.
fn labelled(field: &str, columns: &[super::attribute_map::CustomFieldColumn]) -> String {
    match field.strip_prefix(CUSTOM_PREFIX) {
        Some(key) => columns
            .iter()
            .find(|c| c.key == key)
            .map_or_else(|| key.to_owned(), |c| c.label.clone()),
        None => field_label(field),
    }
}

/// The field's name as the admin sees it; a custom field by its key (see [`labelled`]).
pub fn field_label(field: &str) -> String {
    let known = match field {
        "user_name" => "Username",
        "email" => "Email",
        "first_name" => "First name",
        "last_name" => "Last name",
        "display_name" => "Display name",
        "job_title" => "Job title",
        "department" => "Department",
        "business_unit" => "Business unit",
        "employee_id" => "Employee ID",
        "manager" => "Manager",
        "location" => "Location",
        "external_id" => "External ID",
        MANAGER_LINK => "Reports to",
        STATUS => "Status",
        GROUPS => "Groups",
        other => return other.strip_prefix("custom.").unwrap_or(other).to_owned(),
    };
    known.to_owned()
}

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    /// A SCIM request from the identity provider (Okta's or Entra's push).
    Push,
    /// The reconcile with Okta's management API.
    Reconcile,
    /// A change of the attribute mapping, re-deriving the fields from the stored documents.
    Mapping,
    /// Anything else (a bulk import).
    Other,
}

impl ChangeSource {
    fn of(method: &str) -> Self {
        match method {
            "POST" | "PUT" | "PATCH" | "DELETE" => ChangeSource::Push,
            // `activity::RECONCILE_METHOD` (the activity log prunes this history: a reference back
            // would be a cycle; a test holds them equal).
            "RECONCILE" => ChangeSource::Reconcile,
            "MAPPING" => ChangeSource::Mapping,
            _ => ChangeSource::Other,
        }
    }
}

/// One field's change as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct HistoryChange {
    /// The key: `job_title`, `manager_link`, `status`, `groups`, `custom.cost_center`, …
    pub field: String,
    /// As the admin sees it: "Job title", "Reports to", …
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The changes one activity line made to the employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct HistoryEvent {
    /// The activity line's sequence number.
    pub seq: i64,
    pub at: String,
    pub connection_name: Option<String>,
    pub provider: Option<Provider>,
    /// `POST`, `PUT`, `PATCH`, `DELETE`, `RECONCILE`, `MAPPING`, …
    pub method: String,
    pub source: ChangeSource,
    /// The activity line's summary ("Updated Maria Lopez (maria@corp.example)").
    pub summary: String,
    pub changes: Vec<HistoryChange>,
}

/// A page of an employee's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EmployeeHistoryPage {
    pub employee_id: String,
    pub events: Vec<HistoryEvent>,
    /// The `before` of the next (older) page; none when this page is the last.
    pub next_before: Option<i64>,
    /// Since when the history is complete (older changes were pruned with the activity log, or
    /// came before history was recorded).
    pub kept_since: String,
}

/// What [`Directory::employee_as_of`] could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AsOfState {
    /// The fields are those the employee had then.
    Known,
    /// The employee was not in the directory yet.
    NotYet,
    /// Before `kept_since`: the history of that time is no longer kept.
    BeforeHistory,
}

/// One field's value at a past time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AsOfField {
    pub field: String,
    pub label: String,
    pub value: Option<String>,
}

/// An employee's directory fields at a past time, read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EmployeeAsOf {
    pub employee_id: String,
    /// The time asked about (UTC, the stored format).
    pub at: String,
    pub state: AsOfState,
    /// When the employee entered the directory.
    pub created_at: String,
    /// Since when the history is complete.
    pub kept_since: String,
    /// The fields then, in the timeline's order, status, manager link; empty unless `known`.
    pub fields: Vec<AsOfField>,
    /// The groups the employee was in then, by name.
    pub groups: Vec<String>,
}

/// A time the admin typed: RFC 3339 (`2026-12-01T09:30:00Z`, `2026-12-01T10:30:00+01:00`), or a
/// date (`2026-12-01`), which means the end of that day (UTC).
pub fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(s, &date_format) {
        let end = date
            .with_hms_milli(23, 59, 59, 999)
            .map_err(|e| e.to_string())?;
        return Ok(end.assume_utc());
    }
    Err(format!(
        "'{}' is not a time: give a date (2026-12-01, meaning the end of that day, UTC) or a \
         date and time with its offset (2026-12-01T09:30:00Z, 2026-12-01T10:30:00+01:00)",
        crate::text::visible(s)
    ))
}

/// Events per page of the timeline at most.
pub const HISTORY_PAGE_MAX: u32 = 200;

impl Directory {
    /// Since when the history is complete.
    async fn history_horizon(&self) -> Result<String, DirectoryError> {
        let at: Option<String> = self
            .db
            .read_async(|c| {
                c.prepare_cached("SELECT at FROM history_horizon WHERE id = 1")?
                    .query_row((), |r| r.get(0))
                    .optional()
            })
            .await?;
        Ok(at.unwrap_or_default())
    }

    /// The employee `id`'s history, one event per activity line, newest first: `limit` events
    /// (1..=[`HISTORY_PAGE_MAX`], 0 means 50) older than the line `before_seq`. `None` when
    /// there is no such employee.
    pub async fn employee_history(
        &self,
        id: &str,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Option<EmployeeHistoryPage>, DirectoryError> {
        let limit = if limit == 0 {
            50
        } else {
            limit.min(HISTORY_PAGE_MAX)
        };
        let Some(employee) = self.employee(id).await? else {
            return Ok(None);
        };
        type Row = (
            i64,
            String,
            Option<String>,
            Option<String>,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        );
        // One more line than asked, to know whether an older page exists.
        let employee_seq = employee.seq;
        let rows: Vec<Row> = self
            .db
            .read_async(move |c| {
                c.prepare_cached(
                    "SELECT a.seq, a.at, a.connection_name, a.provider, a.method, a.summary, \
                     h.field, h.before, h.after \
                     FROM (SELECT DISTINCT activity_seq FROM employee_history WHERE employee_seq = ?1 \
                           AND (CAST(?2 AS BIGINT) IS NULL OR activity_seq < ?2) ORDER BY activity_seq DESC LIMIT ?3) s \
                     JOIN activity a ON a.seq = s.activity_seq \
                     JOIN employee_history h ON h.employee_seq = ?1 AND h.activity_seq = s.activity_seq \
                     ORDER BY a.seq DESC, h.id",
                )?
                .query_map(
                    crate::db::sql::params![employee_seq, before_seq, i64::from(limit) + 1],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                        ))
                    },
                )?
                .collect()
            })
            .await?;
        let columns = self.custom_fields()?;
        let mut events: Vec<HistoryEvent> = Vec::new();
        for (seq, at, connection_name, provider, method, summary, field, before, after) in rows {
            if events.last().map(|e| e.seq) != Some(seq) {
                events.push(HistoryEvent {
                    seq,
                    at,
                    connection_name,
                    provider: provider.as_deref().and_then(|p| p.parse().ok()),
                    source: ChangeSource::of(&method),
                    method,
                    summary,
                    changes: Vec::new(),
                });
            }
            if let Some(event) = events.last_mut() {
                event.changes.push(HistoryChange {
                    label: labelled(&field, &columns),
                    field,
                    before,
                    after,
                });
            }
        }
        let next_before = match events.len() > limit as usize {
            true => {
                events.truncate(limit as usize);
                events.last().map(|e| e.seq)
            }
            false => None,
        };
        Ok(Some(EmployeeHistoryPage {
            employee_id: id.to_owned(),
            events,
            next_before,
            kept_since: self.history_horizon().await?,
        }))
    }

    /// The employee `id`'s fields at `at`: the current ones with every change made after `at`
    /// undone, newest first. `None` when there is no such employee.
    pub async fn employee_as_of(
        &self,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Option<EmployeeAsOf>, DirectoryError> {
        let Some(e) = self.employee(id).await? else {
            return Ok(None);
        };
        let at_text = timefmt::format(at);
        let kept_since = self.history_horizon().await?;
        let mut out = EmployeeAsOf {
            employee_id: e.id.clone(),
            at: at_text.clone(),
            state: AsOfState::Known,
            created_at: e.created_at.clone(),
            kept_since: kept_since.clone(),
            fields: Vec::new(),
            groups: Vec::new(),
        };
        if at_text < e.created_at {
            out.state = AsOfState::NotYet;
            return Ok(Some(out));
        }
        if at_text < kept_since {
            out.state = AsOfState::BeforeHistory;
            return Ok(Some(out));
        }
        // Now: the employee's fields, status, manager link and groups.
        let current = fields_of(&e);
        let mut values: BTreeMap<String, Option<String>> = mapped(&current)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.map(str::to_owned)))
            .collect();
        values.insert(STATUS.to_owned(), Some(e.status.clone()));
        let manager = match &e.manager_id {
            Some(m) => self.employee(m).await?.map(|m| {
                label_of(
                    m.display_name.as_deref(),
                    m.email.as_deref().unwrap_or(&m.user_name),
                )
            }),
            None => None,
        };
        values.insert(MANAGER_LINK.to_owned(), manager);
        let mut groups: BTreeSet<String> = self
            .groups_of(&[e.id.as_str()])
            .await?
            .remove(&e.id)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, name)| name)
            .collect();
        // Undo what came after `at`, newest first.
        let (employee_seq, after_at) = (e.seq, at_text.clone());
        let later: Vec<(String, Option<String>, Option<String>)> = self
            .db
            .read_async(move |c| {
                c.prepare_cached(
                    "SELECT h.field, h.before, h.after FROM employee_history h \
                     JOIN activity a ON a.seq = h.activity_seq \
                     WHERE h.employee_seq = ?1 AND a.at > ?2 \
                     ORDER BY h.activity_seq DESC, h.id DESC",
                )?
                .query_map(crate::db::sql::params![employee_seq, after_at], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect()
            })
            .await?;
        for (field, before, after) in later {
            if field == GROUPS {
                if let Some(added) = after {
                    groups.remove(&added);
                }
                if let Some(removed) = before {
                    groups.insert(removed);
                }
            } else {
                values.insert(field, before);
            }
        }
        let columns = self.custom_fields()?;
        // The timeline's order: the mapped fields, custom ones, status, manager link.
        let order = mapped(&EmployeeFields::default()).map(|(k, _)| k);
        let mut fields: Vec<(String, Option<String>)> = order
            .iter()
            .map(|k| (k.to_string(), values.remove(*k).flatten()))
            .collect();
        let status = values.remove(STATUS).flatten();
        let link = values.remove(MANAGER_LINK).flatten();
        fields.extend(values);
        fields.push((STATUS.to_owned(), status));
        fields.push((MANAGER_LINK.to_owned(), link));
        out.fields = fields
            .into_iter()
            .map(|(field, value)| AsOfField {
                label: labelled(&field, &columns),
                field,
                value,
            })
            .collect();
        out.groups = groups.into_iter().collect();
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(title: Option<&str>) -> EmployeeFields {
        EmployeeFields {
            user_name: "maria@corp.example".into(),
            email: Some("maria@corp.example".into()),
            first_name: Some("Maria".into()),
            job_title: title.map(str::to_owned),
            ..EmployeeFields::default()
        }
    }

    #[test]
    fn diff_names_the_fields_that_differ_with_their_values() {
        let before = fields(Some("Engineer"));
        let mut after = fields(None);
        after.department = Some("Sales".into());
        after.manager_email = Some("boss@corp.example".into());
        after.active = Some(false); // the status is not the diff's
        assert_eq!(
            diff(&before, &after),
            vec![
                FieldChange::new("job_title", Some("Engineer".into()), None),
                FieldChange::new("department", None, Some("Sales".into())),
                FieldChange::new("manager", None, Some("boss@corp.example".into())),
            ]
        );
        assert!(diff(&before, &before.clone()).is_empty());
    }

    #[test]
    fn a_create_records_each_value_and_the_status() {
        let changes = created(&fields(Some("Engineer")), "active");
        let keys: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            keys,
            ["user_name", "email", "first_name", "job_title", "status"]
        );
        assert!(changes
            .iter()
            .all(|c| c.before.is_none() && c.after.is_some()));
        assert_eq!(status_change("active", "active"), None);
        assert_eq!(
            status_change("active", "deactivated"),
            Some(FieldChange::new(
                "status",
                Some("active".into()),
                Some("deactivated".into())
            ))
        );
    }

    type StoredRow = (i64, i64, String, Option<String>, Option<String>);

    #[test]
    fn record_writes_every_change_in_order_whatever_their_number() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE employee_history (id INTEGER PRIMARY KEY, employee_seq INTEGER, \
             activity_seq INTEGER, field TEXT, before TEXT, after TEXT); \
             CREATE TABLE employees (seq INTEGER PRIMARY KEY, id TEXT)",
        )
        .unwrap();
        for n in [0, 1, 3, 8, 13] {
            c.execute(
                "INSERT INTO employees (seq, id) VALUES (?, ?)",
                crate::db::sql::params![100 + n, format!("e{n}")],
            )
            .unwrap();
            let changes: Vec<_> = (0..n)
                .map(|i| FieldChange::new(&format!("f{i}"), None, Some(i.to_string())))
                .collect();
            record(&c, &format!("e{n}"), n as i64, &changes).unwrap();
            let stored: Vec<StoredRow> = c
                .prepare("SELECT employee_seq, activity_seq, field, before, after FROM employee_history WHERE employee_seq = ? ORDER BY id")
                .unwrap()
                .query_map([100 + n], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .unwrap()
                .collect::<crate::db::sql::Result<_>>()
                .unwrap();
            let expected: Vec<_> = changes
                .iter()
                .map(|ch| {
                    (
                        100 + n as i64,
                        n as i64,
                        ch.field.clone(),
                        None,
                        ch.after.clone(),
                    )
                })
                .collect();
            assert_eq!(stored, expected, "{n} changes");
        }
    }

    #[test]
    fn times_are_rfc3339_or_a_date_meaning_its_end() {
        assert_eq!(
            timefmt::format(parse_time("2026-12-01").unwrap()),
            "2026-12-01T23:59:59.999Z"
        );
        assert_eq!(
            timefmt::format(parse_time(" 2026-12-01T10:30:00+01:00 ").unwrap()),
            "2026-12-01T09:30:00.000Z"
        );
        let err = parse_time("yesterday").unwrap_err();
        assert!(err.contains("'yesterday' is not a time"), "{err}");
        assert!(parse_time("2026-13-01").is_err());
    }

    /// Custom fields are diffed as `custom.<key>` and named as the admin named them.
    #[test]
    fn custom_fields_are_changes_under_their_names() {
        let mut before = EmployeeFields::default();
        before.custom.insert("cost_center".into(), "4702".into());
        before.custom.insert("remote".into(), "true".into());
        let mut after = before.clone();
        after.custom.insert("cost_center".into(), "4800".into());
        after.custom.remove("remote");
        after.custom.insert("start".into(), "2024-03-01".into());
        let changes = diff(&before, &after);
        let got: Vec<_> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("custom.cost_center", Some("4702"), Some("4800")),
                ("custom.remote", Some("true"), None),
                ("custom.start", None, Some("2024-03-01")),
            ]
        );
        let columns = [super::super::attribute_map::CustomFieldColumn {
            key: "cost_center".into(),
            label: "Cost center".into(),
            kind: super::super::attribute_map::FieldKind::Number,
        }];
        assert_eq!(labelled("custom.cost_center", &columns), "Cost center");
        assert_eq!(
            labelled("custom.remote", &columns),
            "remote",
            "no longer defined"
        );
        assert_eq!(labelled("job_title", &columns), "Job title");
    }

    #[test]
    fn labels_are_the_admins() {
        assert_eq!(field_label("job_title"), "Job title");
        assert_eq!(field_label("manager_link"), "Reports to");
        assert_eq!(field_label("employee_id"), "Employee ID");
        assert_eq!(field_label("custom.cost_center"), "cost_center");
        assert_eq!(
            ChangeSource::of(crate::directory::activity::RECONCILE_METHOD),
            ChangeSource::Reconcile
        );
        assert_eq!(
            label_of(Some("Maria Lopez"), "maria@corp.example"),
            "Maria Lopez <maria@corp.example>"
        );
        assert_eq!(label_of(None, "maria@corp.example"), "maria@corp.example");
    }

    // -----------------------------------------------------------------------------------------
    // Through the directory's writes, on a real database.

    use crate::directory::WriteContext;
    use serde_json::{json, Value};

    fn ctx() -> WriteContext {
        WriteContext {
            connection_id: "c1".into(),
            connection_name: "Okta prod".into(),
            provider: Provider::Okta,
            base_url: "http://127.0.0.1:1/scim/v2/c1".into(),
        }
    }

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn user(email: &str, name: &str, title: &str, manager: Option<&str>) -> Value {
        let mut u = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": email,
            "displayName": name,
            "emails": [{"value": email, "primary": true}],
            "title": title,
            "active": true,
        });
        if let Some(m) = manager {
            u[ENTERPRISE] = json!({"manager": {"value": m}});
        }
        u
    }

    fn patch(ops: Value) -> Value {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
    }

    async fn directory() -> (Directory, crate::db::Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).await.unwrap();
        let d = Directory::new(db.clone(), tokio::sync::broadcast::channel(64).0);
        (d, db, dir)
    }

    /// (method, [(field, before, after)]) per event, oldest first.
    async fn timeline(
        d: &Directory,
        id: &str,
    ) -> Vec<(String, Vec<(String, Option<String>, Option<String>)>)> {
        let mut events = d
            .employee_history(id, None, 0)
            .await
            .unwrap()
            .unwrap()
            .events;
        events.reverse();
        events
            .into_iter()
            .map(|e| {
                let changes = e
                    .changes
                    .into_iter()
                    .map(|c| (c.field, c.before, c.after))
                    .collect();
                (e.method, changes)
            })
            .collect()
    }

    fn ch(
        field: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> (String, Option<String>, Option<String>) {
        (
            field.to_owned(),
            before.map(str::to_owned),
            after.map(str::to_owned),
        )
    }

    /// Every write path records what it changed, against its own activity line, and nothing
    /// when it fails or changes nothing.
    #[tokio::test]
    async fn each_write_records_its_changes_and_a_failed_one_none() {
        let (d, _db, _dir) = directory().await;
        let maria = d
            .create_user(
                &ctx(),
                user(
                    "maria@corp.example",
                    "Maria Lopez",
                    "Engineer",
                    Some("boss@corp.example"),
                ),
            )
            .await
            .unwrap()
            .id()
            .to_owned();
        let m = maria.as_str();
        d.replace_user(
            &ctx(),
            m,
            user(
                "maria@corp.example",
                "Maria Lopez",
                "Senior Engineer",
                Some("boss@corp.example"),
            ),
            None,
        )
        .await
        .unwrap();
        // No change: no history.
        d.replace_user(
            &ctx(),
            m,
            user(
                "maria@corp.example",
                "Maria Lopez",
                "Senior Engineer",
                Some("boss@corp.example"),
            ),
            None,
        )
        .await
        .unwrap();
        // A failed PATCH (bad path) and a duplicate create record nothing.
        let bad = patch(json!([{"op": "replace", "path": "name[", "value": "x"}]));
        assert!(d.patch_user(&ctx(), m, &bad, None).await.is_err());
        assert!(d
            .create_user(&ctx(), user("maria@corp.example", "Again", "X", None))
            .await
            .is_err());
        d.patch_user(
            &ctx(),
            m,
            &patch(json!([{"op": "replace", "value": {"active": false}}])),
            None,
        )
        .await
        .unwrap();
        // The manager arrives later: Maria's link is made, on the manager's create.
        let boss = d
            .create_user(&ctx(), user("boss@corp.example", "Bo Ss", "CEO", None))
            .await
            .unwrap()
            .id()
            .to_owned();
        let group = d
            .create_group(
                &ctx(),
                json!({"displayName": "Sales", "members": [{"value": m}]}),
            )
            .await
            .unwrap();
        let gid = group["id"].as_str().unwrap().to_owned();
        d.patch_group(
            &ctx(),
            &gid,
            &patch(json!([{"op": "remove", "path": format!("members[value eq \"{m}\"]")}])),
            None,
        )
        .await
        .unwrap();
        d.patch_group(
            &ctx(),
            &gid,
            &patch(json!([{"op": "add", "path": "members", "value": [{"value": m}]}])),
            None,
        )
        .await
        .unwrap();
        d.delete_group(&ctx(), &gid, None).await.unwrap();
        d.delete_user(&ctx(), &boss, None).await.unwrap();

        let s = Some;
        assert_eq!(
            timeline(&d, m).await,
            vec![
                (
                    "POST".into(),
                    vec![
                        ch("user_name", None, s("maria@corp.example")),
                        ch("email", None, s("maria@corp.example")),
                        ch("display_name", None, s("Maria Lopez")),
                        ch("job_title", None, s("Engineer")),
                        ch("manager", None, s("boss@corp.example")),
                        ch("status", None, s("active")),
                    ]
                ),
                (
                    "PUT".into(),
                    vec![ch("job_title", s("Engineer"), s("Senior Engineer"))]
                ),
                (
                    "PATCH".into(),
                    vec![ch("status", s("active"), s("deactivated"))]
                ),
                (
                    "POST".into(),
                    vec![ch("manager_link", None, s("Bo Ss <boss@corp.example>"))]
                ),
                ("POST".into(), vec![ch("groups", None, s("Sales"))]),
                ("PATCH".into(), vec![ch("groups", s("Sales"), None)]),
                ("PATCH".into(), vec![ch("groups", None, s("Sales"))]),
                ("DELETE".into(), vec![ch("groups", s("Sales"), None)]),
                (
                    "DELETE".into(),
                    vec![ch("manager_link", s("Bo Ss <boss@corp.example>"), None)]
                ),
            ]
        );
        assert_eq!(
            timeline(&d, &boss).await.last().unwrap(),
            &(
                "DELETE".to_owned(),
                vec![ch("status", s("active"), s("removed"))]
            )
        );
        // Paging: two events a page, newest first, until the first.
        let first = d.employee_history(m, None, 2).await.unwrap().unwrap();
        assert_eq!(first.events.len(), 2);
        let mut seen = first.events.len();
        let mut before = first.next_before;
        while let Some(b) = before {
            let page = d.employee_history(m, Some(b), 2).await.unwrap().unwrap();
            assert!(page.events.iter().all(|e| e.seq < b));
            seen += page.events.len();
            before = page.next_before;
        }
        assert_eq!(seen, 9);
        let event = &first.events[0];
        assert_eq!(
            (
                event.connection_name.as_deref(),
                event.provider,
                event.source
            ),
            (Some("Okta prod"), Some(Provider::Okta), ChangeSource::Push)
        );
        assert_eq!(event.changes[0].label, "Reports to");
        assert!(d
            .employee_history("nobody", None, 0)
            .await
            .unwrap()
            .is_none());
    }

    /// As of a past time: the current fields with the later changes undone; before the
    /// employee's arrival, not there yet; before the horizon, not known.
    #[tokio::test]
    async fn as_of_walks_back_from_now() {
        let (d, db, _dir) = directory().await;
        let id = d
            .create_user(&ctx(), user("ana@corp.example", "Ana", "Engineer", None))
            .await
            .unwrap()
            .id()
            .to_owned();
        let group = d
            .create_group(
                &ctx(),
                json!({"displayName": "Sales", "members": [{"value": id}]}),
            )
            .await
            .unwrap();
        d.replace_user(
            &ctx(),
            &id,
            user("ana@corp.example", "Ana", "Manager", None),
            None,
        )
        .await
        .unwrap();
        d.delete_group(&ctx(), group["id"].as_str().unwrap(), None)
            .await
            .unwrap();
        // The lines' times, spread a day apart from a fixed start (writes a millisecond apart
        // would make "between two writes" a matter of luck).
        let (t0, t1, t2, t3) = (
            "2026-01-01T10:00:00.000Z",
            "2026-01-02T10:00:00.000Z",
            "2026-01-03T10:00:00.000Z",
            "2026-01-04T10:00:00.000Z",
        );
        db.write(move |c| {
            c.execute_batch(&format!(
                "UPDATE activity SET at = CASE seq WHEN 1 THEN '{t0}' WHEN 2 THEN '{t1}' \
                 WHEN 3 THEN '{t2}' ELSE '{t3}' END; \
                 UPDATE employees SET created_at = '{t0}'; \
                 UPDATE history_horizon SET at = '2025-12-01T00:00:00.000Z'"
            ))
            .map_err(crate::db::direct_error)
        })
        .await
        .unwrap();
        let at = |t: &str| parse_time(t).unwrap();
        let value = |a: &EmployeeAsOf, key: &str| {
            a.fields
                .iter()
                .find(|f| f.field == key)
                .unwrap()
                .value
                .clone()
        };
        let then = d
            .employee_as_of(&id, at("2026-01-01T12:00:00Z"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(then.state, AsOfState::Known);
        assert_eq!(value(&then, "job_title").as_deref(), Some("Engineer"));
        assert!(then.groups.is_empty(), "not yet in Sales");
        let then = d
            .employee_as_of(&id, at("2026-01-02"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(value(&then, "job_title").as_deref(), Some("Engineer"));
        assert_eq!(then.groups, ["Sales"]);
        let then = d
            .employee_as_of(&id, at("2026-01-03T12:00:00Z"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(value(&then, "job_title").as_deref(), Some("Manager"));
        assert_eq!(then.groups, ["Sales"]);
        assert_eq!(value(&then, "status").as_deref(), Some("active"));
        let now = d
            .employee_as_of(&id, at("2026-06-01"))
            .await
            .unwrap()
            .unwrap();
        assert!(now.groups.is_empty());
        assert_eq!(
            now.fields
                .iter()
                .map(|f| f.label.as_str())
                .filter(|l| *l == "Job title")
                .count(),
            1
        );
        let before = d
            .employee_as_of(&id, at("2025-12-31"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((before.state, before.fields.len()), (AsOfState::NotYet, 0));
        db.write(move |c| {
            c.execute_batch("UPDATE employees SET created_at = '2025-01-01T00:00:00.000Z'")
                .map_err(crate::db::direct_error)
        })
        .await
        .unwrap();
        let pruned = d
            .employee_as_of(&id, at("2025-06-01"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pruned.state, AsOfState::BeforeHistory);
        assert_eq!(pruned.kept_since, "2025-12-01T00:00:00.000Z");
    }

    /// Pruning the activity log prunes the history of its lines, and moves the horizon.
    #[tokio::test]
    async fn pruning_the_log_prunes_the_history_with_it() {
        let (d, db, _dir) = directory().await;
        let id = d
            .create_user(&ctx(), user("ana@corp.example", "Ana", "Engineer", None))
            .await
            .unwrap()
            .id()
            .to_owned();
        d.replace_user(
            &ctx(),
            &id,
            user("ana@corp.example", "Ana", "Manager", None),
            None,
        )
        .await
        .unwrap();
        let rows = |db: &crate::db::Db| {
            db.read(|c| {
                c.query_row("SELECT COUNT(*) FROM employee_history", (), |r| {
                    r.get::<_, i64>(0)
                })
            })
            .unwrap()
        };
        assert_eq!(rows(&db), 6);
        let horizon = d.history_horizon().await.unwrap();
        let pruned = d
            .prune_activity(crate::config::Retention {
                days: 180,
                lines: 1,
            })
            .await
            .unwrap();
        assert_eq!(pruned, 1);
        assert_eq!(rows(&db), 1, "only the PUT's row is left");
        let page = d.employee_history(&id, None, 0).await.unwrap().unwrap();
        assert_eq!(page.events.len(), 1);
        assert_eq!(page.events[0].method, "PUT");
        assert!(
            page.kept_since > horizon,
            "{} after {horizon}",
            page.kept_since
        );
    }
}
