//! The reconcile dry run: Okta's app users, page by page, against the connection's employees.
//!
//! Four kinds of drift, each a row:
//! - *missing here*: assigned in Okta, no employee of this connection (linked by `externalId` =
//!   the employee's id, else by userName or email without case);
//! - *stale here*: a mapped field differs (the field, ours, Okta's), the employee's status too;
//! - *should be deactivated*: active here, deprovisioned or unassigned in Okta by its status;
//! - *unknown to Okta*: active here, of this connection, not in Okta's list at all.
//!
//! Memory is bounded by a page: each page is compared as it arrives, with one directory query;
//! what is kept across pages is one bit per employee row (which were seen) and the drift rows. [`run`] never
//! writes.
//!
//! [`apply`] then makes the directory match Okta for all the rows or the ones selected by key
//! (the Okta user id of a row from Okta, or the employee id of any row with an employee), each
//! change through the directory's own write path with an activity line "Reconciled from Okta:
//! …". Missing here is created from the app user's profile; stale here gets Okta's values;
//! should be deactivated and unknown to Okta are deactivated. Nobody is ever deleted.

use std::collections::{HashMap, HashSet};

use fixedbitset::FixedBitSet;

use serde::Serialize;
use serde_json::{Map, Value};

use super::client::{AppUser, OktaClient};
use super::{OktaApiError, OktaApiSetup};
use crate::directory::mapping::{okta_profile_value, set_employee_field, OKTA_PROFILE_FIELDS};
use crate::directory::{Directory, DirectoryError, Employee, WriteContext};
use crate::scim::schema::USER_SCHEMA;

/// App user statuses that mean "no longer provisioned": the employee should be deactivated.
pub const GONE_STATUSES: &[&str] = &["DEPROVISIONED", "INACTIVE", "UNASSIGNED", "REVOKED"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub missing_here: u64,
    pub stale_here: u64,
    pub should_be_deactivated: u64,
    pub unknown_to_okta: u64,
}

/// An app user Okta has assigned that the directory does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingRow {
    pub okta_user_id: String,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub okta_status: Option<String>,
    /// The SCIM user the app user's profile makes, which applying the row creates.
    #[serde(skip)]
    pub scim_user: Value,
}

/// One field of one employee that differs from Okta's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleRow {
    pub employee_id: String,
    pub user_name: String,
    pub okta_user_id: String,
    /// The employee field (`first_name`, `job_title`, … or `status`).
    pub field: String,
    pub ours: Option<String>,
    pub okta: Option<String>,
}

/// An active employee Okta has deprovisioned or unassigned (by the app user's status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeactivateRow {
    pub employee_id: String,
    pub user_name: String,
    pub okta_user_id: String,
    pub okta_status: Option<String>,
}

/// An active employee of the connection that is not among Okta's app users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownRow {
    pub employee_id: String,
    pub user_name: String,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReconcileReport {
    pub connection_id: String,
    pub connection_name: String,
    pub org_url: String,
    pub app_id: String,
    /// True unless the report was applied.
    pub dry_run: bool,
    pub okta_users: u64,
    pub pages: u64,
    pub rate_limit_waits: u32,
    pub counts: Counts,
    pub missing_here: Vec<MissingRow>,
    pub stale_here: Vec<StaleRow>,
    pub should_be_deactivated: Vec<DeactivateRow>,
    pub unknown_to_okta: Vec<UnknownRow>,
    /// What applying the report changed, when it was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Applied>,
}

/// What applying a report did: one count per kind of write, and the rows that failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub created: u64,
    pub updated: u64,
    pub deactivated: u64,
    pub failed: Vec<FailedRow>,
}

/// A row whose write the directory refused (the activity log has its line too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedRow {
    pub key: String,
    pub user_name: String,
    pub reason: String,
}

impl ReconcileReport {
    fn new(setup: &OktaApiSetup) -> Self {
        ReconcileReport {
            connection_id: setup.connection_id.clone(),
            connection_name: setup.connection_name.clone(),
            org_url: setup.org_url.clone(),
            app_id: setup.app_id.clone(),
            dry_run: true,
            okta_users: 0,
            pages: 0,
            rate_limit_waits: 0,
            counts: Counts::default(),
            missing_here: Vec::new(),
            stale_here: Vec::new(),
            should_be_deactivated: Vec::new(),
            unknown_to_okta: Vec::new(),
            applied: None,
        }
    }

    /// Every key a row of the report answers to, for `--only`.
    pub fn keys(&self) -> HashSet<&str> {
        let mut keys = HashSet::new();
        keys.extend(self.missing_here.iter().map(|r| r.okta_user_id.as_str()));
        for r in &self.stale_here {
            keys.extend([r.employee_id.as_str(), r.okta_user_id.as_str()]);
        }
        for r in &self.should_be_deactivated {
            keys.extend([r.employee_id.as_str(), r.okta_user_id.as_str()]);
        }
        keys.extend(self.unknown_to_okta.iter().map(|r| r.employee_id.as_str()));
        keys
    }

    pub fn in_step(&self) -> bool {
        self.counts == Counts::default()
    }
}

pub async fn run(
    directory: &Directory,
    client: &mut OktaClient,
    setup: &OktaApiSetup,
) -> Result<ReconcileReport, OktaApiError> {
    run_watched(directory, client, setup, &mut |_, _| {}).await
}

/// [`run`], telling `on_page` the pages and app users read so far after each page.
pub async fn run_watched(
    directory: &Directory,
    client: &mut OktaClient,
    setup: &OktaApiSetup,
    on_page: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<ReconcileReport, OktaApiError> {
    let mut report = ReconcileReport::new(setup);
    let mut seen = FixedBitSet::new();
    // A field the attribute mapping reads from another attribute than Okta's profile one is
    // not compared: the two hold different things by the admin's choice.
    let moved = directory.moved_fields(crate::connections::Provider::Okta)?;
    let mut pages = client.app_users(&setup.app_id);
    while let Some(page) = pages.next_page().await? {
        report.pages += 1;
        report.okta_users += page.len() as u64;
        on_page(report.pages, report.okta_users);
        let ids: Vec<String> = page.iter().filter_map(|u| u.external_id.clone()).collect();
        let names: Vec<String> = page.iter().flat_map(names_of).collect();
        let employees = directory
            .employees_matching(&setup.connection_id, &ids, &names)
            .await?;
        compare_page(&page, &employees, &moved, &mut seen, &mut report);
    }
    drop(pages);
    report.rate_limit_waits = client.rate_limit_waits;
    directory
        .for_each_active_of_connection(&setup.connection_id, |e| {
            if !seen.contains(row_bit(e)) {
                report.unknown_to_okta.push(UnknownRow {
                    employee_id: e.id.clone(),
                    user_name: e.user_name.clone(),
                    external_id: e.external_id.clone(),
                });
            }
        })
        .await?;
    report.counts.unknown_to_okta = report.unknown_to_okta.len() as u64;
    Ok(report)
}

/// The userName and email an app user may be known by here.
fn names_of(user: &AppUser) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(n) = user.credentials.as_ref().and_then(|c| c.user_name.clone()) {
        names.push(n);
    }
    if let Some(serde_json::Value::String(e)) = user.profile.get("email") {
        names.push(e.clone());
    }
    names
}

/// The employee an app user is: by `externalId` first, else by userName or email without case.
fn link<'a>(
    user: &AppUser,
    by_id: &HashMap<&str, &'a Employee>,
    employees: &'a [Employee],
) -> Option<&'a Employee> {
    if let Some(e) = user.external_id.as_deref().and_then(|id| by_id.get(id)) {
        return Some(e);
    }
    let names = names_of(user);
    employees.iter().find(|e| {
        names.iter().any(|n| {
            e.user_name.eq_ignore_ascii_case(n)
                || e.email
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(n))
        })
    })
}

/// An employee's bit in the set of those seen: its row number, so that the set costs an eighth
/// of a byte per row of the table (125 KB at a million), not a copy of each id seen.
fn row_bit(e: &Employee) -> usize {
    usize::try_from(e.seq).unwrap_or(0)
}

/// Compares one page with the employees it may be, adding rows to the report and the linked
/// employees to `seen`.
pub fn compare_page(
    page: &[AppUser],
    employees: &[Employee],
    moved: &[String],
    seen: &mut FixedBitSet,
    report: &mut ReconcileReport,
) {
    let by_id: HashMap<&str, &Employee> = employees.iter().map(|e| (e.id.as_str(), e)).collect();
    for user in page {
        let gone = user
            .status
            .as_deref()
            .is_some_and(|s| GONE_STATUSES.iter().any(|g| g.eq_ignore_ascii_case(s)));
        let employee = link(user, &by_id, employees);
        if let Some(e) = employee {
            seen.grow(row_bit(e) + 1);
            seen.insert(row_bit(e));
        }
        match (employee, gone) {
            (None, true) => {}
            (None, false) => {
                report.missing_here.push(MissingRow {
                    okta_user_id: user.id.clone(),
                    user_name: user.credentials.as_ref().and_then(|c| c.user_name.clone()),
                    email: okta_profile_value(&user.profile, &["email"]).flatten(),
                    okta_status: user.status.clone(),
                    scim_user: scim_user_of(user),
                });
                report.counts.missing_here += 1;
            }
            (Some(e), true) => {
                if e.status == "active" {
                    report.should_be_deactivated.push(DeactivateRow {
                        employee_id: e.id.clone(),
                        user_name: e.user_name.clone(),
                        okta_user_id: user.id.clone(),
                        okta_status: user.status.clone(),
                    });
                    report.counts.should_be_deactivated += 1;
                }
            }
            (Some(e), false) => {
                let mut rows = stale_fields(user, e);
                rows.retain(|r| !moved.contains(&r.field));
                if !rows.is_empty() {
                    report.counts.stale_here += 1;
                }
                report.stale_here.extend(rows);
            }
        }
    }
}

/// The fields in which an employee differs from its Okta app user. A field the app's profile
/// does not have is not compared; blank and absent are the same; emails and userNames compare
/// without case.
pub fn stale_fields(user: &AppUser, e: &Employee) -> Vec<StaleRow> {
    let mut rows = Vec::new();
    let mut differ = |field: &str, ours: Option<&str>, okta: Option<String>, caseless: bool| {
        let ours = ours.map(str::trim).filter(|s| !s.is_empty());
        let same = match (ours, okta.as_deref()) {
            (Some(a), Some(b)) if caseless => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        };
        if !same {
            rows.push(StaleRow {
                employee_id: e.id.clone(),
                user_name: e.user_name.clone(),
                okta_user_id: user.id.clone(),
                field: field.to_owned(),
                ours: ours.map(str::to_owned),
                okta,
            });
        }
    };
    if let Some(name) = user.credentials.as_ref().and_then(|c| c.user_name.clone()) {
        differ("user_name", Some(&e.user_name), Some(name), true);
    }
    for (field, names) in OKTA_PROFILE_FIELDS {
        if let Some(okta) = okta_profile_value(&user.profile, names) {
            differ(field, employee_field(e, field), okta, *field == "email");
        }
    }
    if e.status != "active" {
        differ("status", Some(&e.status), Some("active".to_owned()), false);
    }
    rows
}

/// The SCIM user an app user's profile makes: its userName (else its email), Okta's user id as
/// `externalId` (as Okta's own pushes send it), active, and each mapped field the profile has.
pub fn scim_user_of(user: &AppUser) -> Value {
    let mut doc = Map::new();
    doc.insert("schemas".into(), serde_json::json!([USER_SCHEMA]));
    let user_name = user
        .credentials
        .as_ref()
        .and_then(|c| c.user_name.clone())
        .or_else(|| okta_profile_value(&user.profile, &["email"]).flatten());
    if let Some(name) = user_name {
        doc.insert("userName".into(), Value::from(name));
    }
    doc.insert("externalId".into(), Value::from(user.id.as_str()));
    doc.insert("active".into(), Value::Bool(true));
    for (field, names) in OKTA_PROFILE_FIELDS {
        if let Some(Some(value)) = okta_profile_value(&user.profile, names) {
            set_employee_field(&mut doc, field, Some(&value));
        }
    }
    Value::Object(doc)
}

/// Makes the directory match Okta for the report's rows, all of them or those with a key in
/// `only`. A key no row has is refused before anything is written. Each row's write is its own;
/// one the directory refuses is kept in `applied.failed` and the others go on.
pub async fn apply(
    directory: &Directory,
    ctx: &WriteContext,
    report: &mut ReconcileReport,
    only: &[String],
) -> Result<(), OktaApiError> {
    let keys = report.keys();
    let unknown: Vec<String> = only
        .iter()
        .filter(|k| !keys.contains(k.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(OktaApiError::NoSuchRow(unknown));
    }
    let chosen =
        |row_keys: &[&str]| only.is_empty() || only.iter().any(|k| row_keys.contains(&k.as_str()));
    let mut applied = Applied::default();
    let failed = |key: &str, user_name: &str, e: DirectoryError| FailedRow {
        key: key.to_owned(),
        user_name: user_name.to_owned(),
        reason: e.to_scim().detail,
    };
    for m in &report.missing_here {
        if !chosen(&[&m.okta_user_id]) {
            continue;
        }
        match directory
            .reconcile_create_user(ctx, m.scim_user.clone())
            .await
        {
            Ok(_) => applied.created += 1,
            Err(e) => {
                let name = m.user_name.as_deref().or(m.email.as_deref()).unwrap_or("");
                applied.failed.push(failed(&m.okta_user_id, name, e));
            }
        }
    }
    // One write per employee, with all its stale fields.
    let mut updates: Vec<Update<'_>> = Vec::new();
    for row in &report.stale_here {
        if !chosen(&[&row.employee_id, &row.okta_user_id]) {
            continue;
        }
        let at = match updates
            .iter()
            .position(|u| u.row.employee_id == row.employee_id)
        {
            Some(at) => at,
            None => {
                updates.push(Update {
                    row,
                    fields: Vec::new(),
                    active: None,
                });
                updates.len() - 1
            }
        };
        if row.field == "status" {
            updates[at].active = Some(true);
        } else {
            updates[at]
                .fields
                .push((row.field.clone(), row.okta.clone()));
        }
    }
    for Update {
        row,
        fields,
        active,
    } in updates
    {
        match directory
            .reconcile_user(ctx, &row.employee_id, fields, active)
            .await
        {
            Ok(_) => applied.updated += 1,
            Err(e) => applied
                .failed
                .push(failed(&row.employee_id, &row.user_name, e)),
        }
    }
    let deactivate = report
        .should_be_deactivated
        .iter()
        .filter(|r| chosen(&[&r.employee_id, &r.okta_user_id]))
        .map(|r| (&r.employee_id, &r.user_name))
        .chain(
            report
                .unknown_to_okta
                .iter()
                .filter(|r| chosen(&[&r.employee_id]))
                .map(|r| (&r.employee_id, &r.user_name)),
        );
    for (id, user_name) in deactivate {
        match directory
            .reconcile_user(ctx, id, Vec::new(), Some(false))
            .await
        {
            Ok(_) => applied.deactivated += 1,
            Err(e) => applied.failed.push(failed(id, user_name, e)),
        }
    }
    report.dry_run = false;
    report.applied = Some(applied);
    Ok(())
}

/// The stale fields of one employee, applied in one write.
struct Update<'a> {
    row: &'a StaleRow,
    fields: Vec<(String, Option<String>)>,
    active: Option<bool>,
}

/// An employee's value of one of [`OKTA_PROFILE_FIELDS`]' fields.
fn employee_field<'a>(e: &'a Employee, field: &str) -> Option<&'a str> {
    match field {
        "email" => e.email.as_deref(),
        "first_name" => e.first_name.as_deref(),
        "last_name" => e.last_name.as_deref(),
        "display_name" => e.display_name.as_deref(),
        "job_title" => e.job_title.as_deref(),
        "department" => e.department.as_deref(),
        "business_unit" => e.business_unit.as_deref(),
        "employee_id" => e.employee_id.as_deref(),
        "location" => e.location.as_deref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn employee(id: &str, email: &str, title: &str, status: &str) -> Employee {
        Employee {
            seq: 1,
            id: id.into(),
            user_name: email.into(),
            email: Some(email.into()),
            display_name: None,
            first_name: Some("Jane".into()),
            last_name: Some("Doe".into()),
            job_title: Some(title.into()),
            department: None,
            business_unit: None,
            manager_email: None,
            manager_id: None,
            location: None,
            employee_id: None,
            status: status.into(),
            external_id: Some(format!("00u-{id}")),
            connection_id: Some("c1".into()),
            created_at: String::new(),
            updated_at: String::new(),
            active: status == "active",
            doc: "{}".into(),
            version: 1,
            custom: Default::default(),
            rank: 0,
        }
    }

    fn app_user(
        okta_id: &str,
        external_id: Option<&str>,
        email: &str,
        title: &str,
        status: &str,
    ) -> AppUser {
        serde_json::from_value(json!({
            "id": okta_id,
            "externalId": external_id,
            "status": status,
            "syncState": "SYNCHRONIZED",
            "scope": "USER",
            "credentials": {"userName": email},
            "profile": {"email": email, "givenName": "Jane", "familyName": "Doe", "title": title},
        }))
        .unwrap()
    }

    fn setup() -> OktaApiSetup {
        OktaApiSetup {
            connection_id: "c1".into(),
            connection_name: "Okta".into(),
            org_url: "https://acme.okta.com".into(),
            app_id: "0oa1".into(),
            app_label: None,
            validated_at: String::new(),
        }
    }

    #[test]
    fn each_kind_of_drift_is_one_row() {
        let mut employees = vec![
            employee("e-same", "same@x.example", "Engineer", "active"),
            employee("e-stale", "stale@x.example", "Engineer", "active"),
            employee("e-gone", "gone@x.example", "Engineer", "active"),
            employee("e-byname", "ByName@x.example", "Engineer", "active"),
            employee("e-off", "off@x.example", "Engineer", "deactivated"),
        ];
        let page = vec![
            app_user(
                "00u1",
                Some("e-same"),
                "same@x.example",
                "Engineer",
                "PROVISIONED",
            ),
            app_user(
                "00u2",
                Some("e-stale"),
                "stale@x.example",
                "Manager",
                "ACTIVE",
            ),
            app_user(
                "00u3",
                Some("e-gone"),
                "gone@x.example",
                "Engineer",
                "DEPROVISIONED",
            ),
            // No externalId: linked by userName, without case.
            app_user("00u4", None, "byname@X.example", "Engineer", "PROVISIONED"),
            app_user("00u5", None, "new@x.example", "Engineer", "PROVISIONED"),
            // Deprovisioned and not here: nothing to do.
            app_user("00u6", None, "old@x.example", "Engineer", "DEPROVISIONED"),
            // Deactivated here, assigned in Okta: stale status.
            app_user(
                "00u7",
                Some("e-off"),
                "off@x.example",
                "Engineer",
                "PROVISIONED",
            ),
        ];
        for (row, e) in employees.iter_mut().enumerate() {
            e.seq = row as i64 + 1;
        }
        let mut report = ReconcileReport::new(&setup());
        let mut seen = FixedBitSet::new();
        compare_page(&page, &employees, &[], &mut seen, &mut report);
        assert_eq!(
            report.counts,
            Counts {
                missing_here: 1,
                stale_here: 2,
                should_be_deactivated: 1,
                unknown_to_okta: 0
            }
        );
        assert_eq!(report.missing_here[0].okta_user_id, "00u5");
        assert_eq!(
            report.missing_here[0].email.as_deref(),
            Some("new@x.example")
        );
        let stale: Vec<_> = report
            .stale_here
            .iter()
            .map(|r| {
                (
                    r.employee_id.as_str(),
                    r.field.as_str(),
                    r.ours.as_deref(),
                    r.okta.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            stale,
            vec![
                ("e-stale", "job_title", Some("Engineer"), Some("Manager")),
                ("e-off", "status", Some("deactivated"), Some("active")),
            ]
        );
        assert_eq!(report.should_be_deactivated[0].employee_id, "e-gone");
        assert_eq!(
            seen.count_ones(..),
            5,
            "every employee Okta knows is seen: {seen:?}"
        );
    }

    #[test]
    fn a_missing_app_user_becomes_the_user_okta_would_have_pushed() {
        let user = app_user("00u9", None, "New@x.example", "Director", "PROVISIONED");
        let doc = crate::directory::mapping::normalize_user(scim_user_of(&user)).unwrap();
        let f = crate::directory::mapping::employee_fields(&doc);
        assert_eq!(
            (
                f.user_name.as_str(),
                f.external_id.as_deref(),
                f.email.as_deref(),
                f.first_name.as_deref(),
                f.last_name.as_deref(),
                f.job_title.as_deref(),
                f.active
            ),
            (
                "New@x.example",
                Some("00u9"),
                Some("New@x.example"),
                Some("Jane"),
                Some("Doe"),
                Some("Director"),
                Some(true)
            )
        );
    }

    #[test]
    fn fields_the_profile_lacks_are_not_compared_and_blank_is_absent() {
        let mut e = employee("e1", "a@x.example", "Engineer", "active");
        e.department = Some("  ".into());
        let user: AppUser = serde_json::from_value(json!({
            "id": "00u1", "externalId": "e1", "status": "ACTIVE",
            "credentials": {"userName": "A@X.example"},
            "profile": {"email": "a@x.example", "department": null, "title": "Engineer"},
        }))
        .unwrap();
        assert_eq!(stale_fields(&user, &e), vec![]);
    }

    /// A field the attribute mapping moved (Job title from a job code) is not drift.
    #[test]
    fn fields_the_mapping_moved_are_not_compared() {
        let e = employee("e1", "a@x.example", "JC-7", "active");
        let user: AppUser = serde_json::from_value(json!({
            "id": "00u1", "externalId": "e1", "status": "ACTIVE",
            "credentials": {"userName": "a@x.example"},
            "profile": {"email": "a@x.example", "title": "Engineer"},
        }))
        .unwrap();
        let compared = |moved: &[String]| {
            let mut report = ReconcileReport::new(&setup());
            compare_page(
                std::slice::from_ref(&user),
                std::slice::from_ref(&e),
                moved,
                &mut FixedBitSet::new(),
                &mut report,
            );
            report.counts.stale_here
        };
        assert_eq!(compared(&[]), 1);
        assert_eq!(compared(&["job_title".to_owned()]), 0);
    }
}
