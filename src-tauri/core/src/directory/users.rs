//! SCIM Users over the employee directory: create, read, replace, patch, delete, list.
//!
//! Deactivation is `active: false` and keeps the user readable and findable by filter, because
//! Okta re-assigns by looking the user up again. DELETE (which Okta never sends) hides the user
//! from SCIM but keeps the employee record with status `removed`: nothing is ever lost.

use std::collections::HashMap;

use std::fmt::Write as _;

use crate::db::sql::{Connection, OptionalExtension, ToSql};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::activity::{append, Attempt, NewActivity, RECONCILE_METHOD};
use super::attribute_map::{custom_json, mapping_for};
use super::employees::Employee;
use super::error::DirectoryError;
use super::history::{self, FieldChange, MANAGER_LINK};
use super::mapping::{employee_fields, normalize_user, set_employee_field, EmployeeFields};
use super::sql_filter::{
    user_document_filter_sql, user_document_sort_sql, user_filter_sql, user_sort_sql,
};
use super::write::{existing, existing_matching, unique, Stored};
use super::{etag, parse_doc, Directory, ListSource, WriteContext};
use crate::events::ChangeEvent;
use crate::scim::limits::check_resource;
use crate::scim::list::{list_response, ListQuery};
use crate::scim::patch::{apply_patch, parse_patch_request, PatchContext};
use crate::scim::schema::USER_SCHEMA;
use crate::scim::schema::{may_hide, ResourceKind};
use crate::scim::ScimError;
use crate::{text, timefmt};

const RESOURCE: &str = "User";

/// A user row with its groups, `[[id, displayName], …]`, read in the same query.
pub(crate) struct EmployeeWithGroups {
    employee: Employee,
    groups_json: String,
}

impl super::ListRow for EmployeeWithGroups {
    /// By position, in the order of [`COLUMNS_WITH_GROUPS`] (a lookup by name compares every
    /// column's name, for every column of every row).
    fn from_row(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Self> {
        Ok(EmployeeWithGroups {
            employee: super::employees::employee_fields(r)?,
            groups_json: r.get(22)?,
        })
    }

    fn seq(&self) -> i64 {
        self.employee.seq
    }
}

impl EmployeeWithGroups {
    fn groups(&self) -> Result<Vec<(String, String)>, DirectoryError> {
        serde_json::from_str(&self.groups_json)
            .map_err(|_| ScimError::internal("A user's groups could not be read.").into())
    }

    fn render(&self, base_url: &str) -> Result<Value, DirectoryError> {
        render(&self.employee, &self.groups()?, base_url)
    }

    /// [`render`], written as JSON text straight from the stored document's members, without
    /// building the document as values and serializing it again: what a lookup answers when
    /// Okta asks for no projection. The same members in the same order; a document this cannot
    /// write exactly so (a member `render` would override, one the default projection hides, a
    /// repeated name) goes through [`render`].
    fn render_text(&self, base_url: &str) -> Result<String, DirectoryError> {
        let e = &self.employee;
        // Not an object (`render` answers the damaged-record error), or unusual members.
        let members = match serde_json::from_str::<RawMembers<'_>>(&e.doc) {
            Ok(RawMembers(members)) => members,
            Err(_) => return self.render(base_url).map(|v| v.to_string()),
        };
        let mut names = std::collections::HashSet::with_capacity(members.len());
        let unusual = members.iter().any(|(k, _)| {
            matches!(k.as_str(), "id" | "groups" | "meta")
                || may_hide(ResourceKind::User, k)
                || !names.insert(k.as_str())
        });
        if unusual {
            return self.render(base_url).map(|v| v.to_string());
        }
        let mut out = String::with_capacity(e.doc.len() + 256);
        out.push_str("{\"schemas\":");
        match members.iter().find(|(k, _)| k == "schemas") {
            Some((_, raw)) => out.push_str(raw.get()),
            None => {
                let _ = write!(out, "[{}]", Value::from(USER_SCHEMA));
            }
        }
        let _ = write!(out, ",\"id\":{}", Value::from(e.id.as_str()));
        for (k, raw) in &members {
            if k == "schemas" {
                continue;
            }
            let _ = write!(out, ",{}:", Value::from(k.as_str()));
            if k == "active" {
                out.push_str(if e.active { "true" } else { "false" });
            } else {
                out.push_str(raw.get());
            }
        }
        // A document without `active` (one whose `active` a PATCH removed, see `write_user`)
        // is answered without it.
        let groups = self.groups()?;
        if !groups.is_empty() {
            let _ = write!(out, ",\"groups\":{}", groups_value(&groups, base_url));
        }
        let _ = write!(out, ",\"meta\":{}}}", meta_value(e, base_url));
        Ok(out)
    }
}

/// A user as a write left it, to answer as a value or as SCIM JSON text.
pub struct WrittenUser(EmployeeWithGroups);

impl WrittenUser {
    pub fn render(&self, base_url: &str) -> Result<Value, DirectoryError> {
        self.0.render(base_url)
    }

    /// The same as [`Self::render`], written as text (see `render_text`).
    pub fn render_text(&self, base_url: &str) -> Result<String, DirectoryError> {
        self.0.render_text(base_url)
    }

    pub fn id(&self) -> &str {
        &self.0.employee.id
    }

    pub fn version(&self) -> i64 {
        self.0.employee.version
    }
}

/// A stored document's members as written, in order, without building their values.
struct RawMembers<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawMembers<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Members<'a> {
            type Value = RawMembers<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, &'de RawValue>()? {
                    members.push((k, v));
                }
                Ok(RawMembers(members))
            }
        }
        d.deserialize_map(Members(std::marker::PhantomData))
    }
}

/// [`EMPLOYEE_COLUMNS`] and `groups_json`. The groups come in the order of the index on members
/// (`member_id`, then `group_seq`), so no row sorts them.
const COLUMNS_WITH_GROUPS: &str = concat!(
    "e.seq, e.id, e.user_name, e.email, e.display_name, \
    e.first_name, e.last_name, e.job_title, e.department, e.business_unit, e.manager_email, \
    e.manager_id, e.location, e.employee_id, e.status, e.external_id, e.connection_id, \
    e.created_at, e.updated_at, e.active, e.doc, e.version, ",
    "(SELECT json_group_array(json_array(g.id, g.display_name)) FROM \
       (SELECT g.id, g.display_name FROM group_members m \
        JOIN groups g ON g.seq = m.group_seq WHERE m.member_id = e.id ORDER BY m.group_seq) g) \
     AS groups_json"
);

const USERS: ListSource = ListSource {
    from: "employees e",
    columns: COLUMNS_WITH_GROUPS,
    visible: "e.status <> 'removed'",
    seq: "e.seq",
    filter_sql: user_filter_sql,
    sort_sql: user_sort_sql,
};

/// [`USERS`] once the attribute mapping moved a built-in field: filters and sorts on the
/// attributes of the derived columns read the documents.
const USERS_BY_DOCUMENT: ListSource = ListSource {
    filter_sql: user_document_filter_sql,
    sort_sql: user_document_sort_sql,
    ..USERS
};

fn not_found(id: &str) -> ScimError {
    ScimError::not_found(format!(
        "There is no user with id '{}' in this directory. If it was deleted in SCIM Desk, \
         unassign and reassign the user in Okta to provision it again.",
        text::quoted(id)
    ))
}

fn duplicate(user_name: &str) -> ScimError {
    ScimError::conflict(format!(
        "A user with userName '{}' already exists in this directory. Okta normally \
         finds it by its unique identifier first: check that the app's 'Unique identifier field \
         for users' is 'email'.",
        text::quoted(user_name)
    ))
}

fn name_of(f: &EmployeeFields) -> String {
    match &f.display_name {
        Some(name) if !name.eq_ignore_ascii_case(&f.user_name) => {
            format!("{name} ({})", f.user_name)
        }
        _ => f.user_name.clone(),
    }
}

/// The userName a body names, for the activity line of a failed write.
fn subject_of(body: &Value, fallback: &str) -> String {
    body.as_object()
        .and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("userName"))
                .and_then(|(_, v)| v.as_str())
        })
        .map(str::to_owned)
        .unwrap_or_else(|| fallback.to_owned())
}

/// The SCIM representation of an employee: its stored document plus id, groups and meta.
pub(crate) fn render(
    e: &Employee,
    groups: &[(String, String)],
    base_url: &str,
) -> Result<Value, DirectoryError> {
    let doc = parse_doc(&e.doc)?;
    let mut out = Map::new();
    out.insert(
        "schemas".into(),
        doc.get("schemas")
            .cloned()
            .unwrap_or_else(|| Value::Array(vec![Value::String(USER_SCHEMA.into())])),
    );
    out.insert("id".into(), Value::String(e.id.clone()));
    for (k, v) in doc {
        if k != "schemas" {
            out.insert(k, v);
        }
    }
    // The stored state, where the document states one; a document without `active` is one
    // whose `active` a PATCH removed, answered without it (see `write_user`).
    if out.contains_key("active") {
        out.insert("active".into(), Value::Bool(e.active));
    }
    if !groups.is_empty() {
        out.insert("groups".into(), groups_value(groups, base_url));
    }
    out.insert("meta".into(), meta_value(e, base_url));
    Ok(Value::Object(out))
}

/// A user's `groups`: each group it is a direct member of.
fn groups_value(groups: &[(String, String)], base_url: &str) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|(id, name)| {
                serde_json::json!({
                    "value": id,
                    "display": name,
                    "$ref": format!("{base_url}/Groups/{id}"),
                    "type": "direct",
                })
            })
            .collect(),
    )
}

fn meta_value(e: &Employee, base_url: &str) -> Value {
    serde_json::json!({
        "resourceType": RESOURCE,
        "created": e.created_at,
        "lastModified": e.updated_at,
        "location": format!("{base_url}/Users/{}", e.id),
        "version": etag(e.version),
    })
}

/// The current (not removed) employee `id` with its groups.
fn load_current(c: &Connection, id: &str) -> crate::db::sql::Result<Option<EmployeeWithGroups>> {
    use super::ListRow;
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {COLUMNS_WITH_GROUPS} FROM employees e WHERE e.id = ? AND e.status <> 'removed'"
        )
    });
    c.prepare_cached(&SQL)?
        .query_row([id], EmployeeWithGroups::from_row)
        .optional()
}

impl Stored for EmployeeWithGroups {
    const NOUN: &'static str = "user";
    fn load(c: &Connection, id: &str) -> crate::db::sql::Result<Option<Self>> {
        load_current(c, id)
    }
    fn not_found(id: &str) -> ScimError {
        not_found(id)
    }
    fn version(&self) -> i64 {
        self.employee.version
    }
}

/// What the app is told a write of a user changed.
fn employee_changed(w: &WrittenUser) -> ChangeEvent {
    ChangeEvent::Employee {
        id: w.0.employee.id.clone(),
    }
}

/// Links this employee to its manager, and its reports to it, by email — or by id: Okta sends
/// the manager's email, Microsoft Entra the manager's SCIM `id` (the one this server gave it).
/// `created`: the employee is new, so no report can point to it yet. `was`: its manager and how
/// it read as a manager before the write. Answers the links made or undone, as the history rows
/// of the employees whose link changed (this one's own first).
pub(super) fn resolve_managers(
    c: &Connection,
    id: &str,
    email: Option<&str>,
    created: bool,
    was: &Was,
) -> crate::db::sql::Result<Vec<(String, FieldChange)>> {
    let mut links = Vec::new();
    // Read first, written only when it moved: most writes leave every link as it was, and a
    // read costs less than rewriting the row (and reading back what changed).
    let own: Option<String> = c
        .prepare_cached(c.pick(
            "SELECT (SELECT m.id FROM employees m \
               WHERE (m.email = e.manager_email COLLATE NOCASE OR m.id = e.manager_email) \
               AND m.status <> 'removed' \
               ORDER BY m.seq LIMIT 1) \
             FROM employees e WHERE e.id = ?",
            // PostgreSQL answers the OR by walking the table in `seq` order (every row, when
            // no one matches): two lookups by their indexes instead.
            "SELECT (SELECT m.id FROM ( \
                 SELECT m1.id, m1.seq FROM employees m1 \
                 WHERE m1.email = e.manager_email COLLATE NOCASE AND m1.status <> 'removed' \
                 UNION ALL SELECT m2.id, m2.seq FROM employees m2 \
                 WHERE m2.id = e.manager_email AND m2.status <> 'removed') m \
               ORDER BY m.seq LIMIT 1) \
             FROM employees e WHERE e.id = ?",
        ))?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten();
    let mut set_manager = c.prepare_cached("UPDATE employees SET manager_id = ?2 WHERE id = ?1")?;
    if own != was.manager_id {
        let label = |m: &Option<String>| match m {
            Some(m) => history::person_label(c, m),
            None => Ok(None),
        };
        set_manager.execute(crate::db::sql::params![id, own])?;
        let change = FieldChange::new(MANAGER_LINK, label(&was.manager_id)?, label(&own)?);
        links.push((id.to_owned(), change));
    }
    // Reports that pointed here by an email this employee no longer has are unlinked…
    if !created {
        let unlinked = c
            .prepare_cached(
                "SELECT id FROM employees WHERE manager_id = ?1 \
                 AND (CAST(?2 AS TEXT) IS NULL OR manager_email IS NULL OR manager_email <> ?2 COLLATE NOCASE) \
                 AND (manager_email IS NULL OR manager_email <> ?1)",
            )?
            .query_map(crate::db::sql::params![id, email], |r| {
                r.get::<_, String>(0)
            })?
            .collect::<crate::db::sql::Result<Vec<_>>>()?;
        for report in unlinked {
            set_manager.execute(crate::db::sql::params![report, None::<String>])?;
            let change = FieldChange::new(MANAGER_LINK, Some(was.label.clone()), None);
            links.push((report, change));
        }
    }
    // …and reports waiting for this email are linked now.
    if let Some(email) = email {
        let linked = c
            .prepare_cached(
                "SELECT id FROM employees WHERE manager_email = ?1 COLLATE NOCASE \
                 AND status <> 'removed' AND manager_id IS NULL",
            )?
            .query_map([email], |r| r.get::<_, String>(0))?
            .collect::<crate::db::sql::Result<Vec<_>>>()?;
        if !linked.is_empty() {
            let me = history::person_label(c, id)?;
            for report in linked {
                set_manager.execute([report.as_str(), id])?;
                links.push((report, FieldChange::new(MANAGER_LINK, None, me.clone())));
            }
        }
    }
    Ok(links)
}

/// An employee before a write, as [`resolve_managers`] needs it.
pub(super) struct Was {
    manager_id: Option<String>,
    /// How it read as someone's manager: "Maria Lopez <maria@corp.example>".
    label: String,
}

impl Was {
    /// The employee `id` as its row holds it now, inside the caller's transaction (before a
    /// write that may move its manager links).
    pub(super) fn read(c: &Connection, id: &str) -> crate::db::sql::Result<Self> {
        c.prepare_cached(
            "SELECT manager_id, display_name, email, user_name FROM employees WHERE id = ?",
        )?
        .query_row([id], |r| {
            let (name, email, user): (Option<String>, Option<String>, String) =
                (r.get(1)?, r.get(2)?, r.get(3)?);
            Ok(Was {
                manager_id: r.get(0)?,
                label: history::label_of(name.as_deref(), email.as_deref().unwrap_or(&user)),
            })
        })
    }

    fn of(e: &Employee) -> Self {
        Was {
            manager_id: e.manager_id.clone(),
            label: history::label_of(
                e.display_name.as_deref(),
                e.email.as_deref().unwrap_or(&e.user_name),
            ),
        }
    }
}

/// Records the write's changes: `own` on the employee `id`, then each manager link it changed.
pub(super) fn record_changes(
    c: &Connection,
    id: &str,
    seq: i64,
    mut own: Vec<FieldChange>,
    links: Vec<(String, FieldChange)>,
) -> crate::db::sql::Result<()> {
    let mut others = Vec::new();
    for (employee, change) in links {
        match employee == id {
            true => own.push(change),
            false => others.push((employee, change)),
        }
    }
    history::record(c, id, seq, &own)?;
    for (employee, change) in others {
        history::record(c, &employee, seq, std::slice::from_ref(&change))?;
    }
    Ok(())
}

/// The INSERT of a new employee, shared by the SCIM path and the bulk import so that both
/// write the same columns. Parameters: [`field_params`], then id, connection and time.
pub(crate) const INSERT_EMPLOYEE: &str = "INSERT INTO employees (external_id, user_name, email, \
     display_name, first_name, last_name, job_title, department, business_unit, manager_email, \
     location, employee_id, active, status, doc, custom, id, connection_id, version, created_at, \
     updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?19, ?19)";

/// Inserts a new employee (see [`INSERT_EMPLOYEE`]).
pub(crate) fn insert_employee(
    c: &Connection,
    fields: &EmployeeFields,
    active: bool,
    doc: &str,
    id: &str,
    connection_id: &str,
    now: &str,
) -> crate::db::sql::Result<()> {
    let custom = custom_json(fields);
    let mut params = field_params(fields, &active, &doc, &custom);
    params.extend([&id as &dyn ToSql, &connection_id, &now]);
    c.prepare_cached(INSERT_EMPLOYEE)?.execute(&*params)?;
    Ok(())
}

/// The mapped columns, in the order both the INSERT and the UPDATE list them.
fn field_params<'a>(
    f: &'a EmployeeFields,
    active: &'a bool,
    doc: &'a dyn ToSql,
    custom: &'a dyn ToSql,
) -> Vec<&'a dyn ToSql> {
    let status: &'static &'static str = if *active { &"active" } else { &"deactivated" };
    vec![
        &f.external_id,
        &f.user_name,
        &f.email,
        &f.display_name,
        &f.first_name,
        &f.last_name,
        &f.job_title,
        &f.department,
        &f.business_unit,
        &f.manager_email,
        &f.location,
        &f.employee_id,
        active,
        status,
        doc,
        custom,
    ]
}

impl Directory {
    /// Each member's groups as (id, display name), in the order the groups were created.
    pub(crate) async fn groups_of(
        &self,
        ids: &[&str],
    ) -> Result<HashMap<String, Vec<(String, String)>>, DirectoryError> {
        let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let placeholders = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "SELECT m.member_id, g.id, g.display_name FROM group_members m \
             JOIN groups g ON g.seq = m.group_seq WHERE m.member_id IN ({placeholders}) \
             ORDER BY g.seq"
        );
        let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
        let rows: Vec<(String, String, String)> = self
            .db
            .read_async(move |c| {
                c.prepare(&sql)?
                    .query_map(&ids, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .await?;
        for (member, gid, name) in rows {
            out.entry(member).or_default().push((gid, name));
        }
        Ok(out)
    }

    /// One user and its groups, in one query: the lookup Okta makes most.
    pub async fn get_user(&self, base_url: &str, id: &str) -> Result<Value, DirectoryError> {
        self.read_user(id)?.render(base_url)
    }

    /// [`Self::get_user`] as SCIM JSON text, with the user's version (its ETag).
    pub async fn get_user_text(
        &self,
        base_url: &str,
        id: &str,
    ) -> Result<(String, i64), DirectoryError> {
        let found = self.read_user(id)?;
        Ok((found.render_text(base_url)?, found.employee.version))
    }

    fn read_user(&self, id: &str) -> Result<EmployeeWithGroups, DirectoryError> {
        self.db
            .read(|c| load_current(c, id))?
            .ok_or_else(|| not_found(id).into())
    }

    /// The SCIM shape of the users list: by the columns, or by the documents where the mapping
    /// moved the columns away from their attributes.
    fn users_source(&self) -> Result<&'static ListSource, DirectoryError> {
        let moved = self.db.read(super::attribute_map::built_ins_moved)?;
        Ok(if moved { &USERS_BY_DOCUMENT } else { &USERS })
    }

    pub async fn list_users(&self, base_url: &str, q: &ListQuery) -> Result<Value, DirectoryError> {
        let page = self
            .list_page::<EmployeeWithGroups>(self.users_source()?, q)
            .await?;
        let resources = page
            .rows
            .iter()
            .map(|e| e.render(base_url))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(list_response(resources, page.total, q.start_index))
    }

    /// [`Self::list_users`] as SCIM JSON text: the same list response, written directly.
    pub async fn list_users_text(
        &self,
        base_url: &str,
        q: &ListQuery,
    ) -> Result<String, DirectoryError> {
        let page = self
            .list_page::<EmployeeWithGroups>(self.users_source()?, q)
            .await?;
        let texts = page
            .rows
            .iter()
            .map(|e| e.render_text(base_url))
            .collect::<Result<Vec<String>, DirectoryError>>()?;
        Ok(page.response_text(q.start_index, &texts))
    }

    /// Creates a user; answers it as written, to render as the caller needs.
    pub async fn create_user(
        &self,
        ctx: &WriteContext,
        body: Value,
    ) -> Result<WrittenUser, DirectoryError> {
        self.create_user_by(ctx, body, "POST").await
    }

    /// Creates a user from Okta's app user, for the reconcile with Okta's management API.
    pub async fn reconcile_create_user(
        &self,
        ctx: &WriteContext,
        body: Value,
    ) -> Result<WrittenUser, DirectoryError> {
        self.create_user_by(ctx, body, RECONCILE_METHOD).await
    }

    async fn create_user_by(
        &self,
        ctx: &WriteContext,
        body: Value,
        method: &'static str,
    ) -> Result<WrittenUser, DirectoryError> {
        let subject = subject_of(&body, "a user");
        let result = self.try_create_user(ctx, body, method).await;
        let attempt = Attempt {
            method,
            operation: "create",
            resource_type: RESOURCE,
            resource_id: None,
            subject: &subject,
        };
        self.finish_write(ctx, attempt, result, employee_changed)
            .await
    }

    async fn try_create_user(
        &self,
        ctx: &WriteContext,
        body: Value,
        method: &'static str,
    ) -> Result<WrittenUser, DirectoryError> {
        let mut doc = normalize_user(body)?;
        check_resource(&doc, None)?;
        let active = doc.get("active").and_then(Value::as_bool).unwrap_or(true);
        doc.insert("active".into(), Value::Bool(active));
        let id = uuid::Uuid::new_v4().to_string();
        let doc_text = serde_json::to_string(&doc).map_err(|_| {
            DirectoryError::from(ScimError::internal("The user could not be written."))
        })?;
        // Derived here, off the writer thread, with the mapping this process last used; the
        // writing transaction checks that it is still the one (else derives again).
        let derived = super::attribute_map::cached_mapping(&self.mappings, ctx.provider)
            .map(|m| (m.derive(&doc), m));
        let writer = ctx.clone();
        let mappings = self.mappings.clone();
        let created = self
            .db
            .write(move |c| -> Result<EmployeeWithGroups, DirectoryError> {
                let mapping = mapping_for(&mappings, c, writer.provider)?;
                let fields = match derived {
                    Some((fields, used)) if std::sync::Arc::ptr_eq(&used, &mapping) => fields,
                    _ => mapping.derive(&doc),
                };
                let now = timefmt::now();
                let conn_id = &writer.connection_id;
                unique(
                    insert_employee(c, &fields, active, &doc_text, &id, conn_id, &now),
                    || duplicate(&fields.user_name),
                )?;
                let nobody = Was {
                    manager_id: None,
                    label: String::new(),
                };
                let links = resolve_managers(c, &id, fields.email.as_deref(), true, &nobody)?;
                let status = if active { "active" } else { "deactivated" };
                let seq = append(
                    c,
                    &writer,
                    NewActivity {
                        method,
                        operation: "create",
                        resource_type: RESOURCE,
                        resource_id: Some(&id),
                        employee_id: Some(&id),
                        summary: format!(
                            "Created {}{}",
                            name_of(&fields),
                            if active { "" } else { " (inactive)" }
                        ),
                        status: 201,
                        detail: None,
                    },
                )?;
                record_changes(c, &id, seq, history::created(&fields, status), links)?;
                existing(c, &id)
            })
            .await?;
        Ok(WrittenUser(created))
    }

    /// Replaces the user `id` (PUT); answers it as written.
    pub async fn replace_user(
        &self,
        ctx: &WriteContext,
        id: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Result<WrittenUser, DirectoryError> {
        let subject = subject_of(&body, id);
        let result = self
            .write_user(ctx, id, if_match, "PUT", move |_current| {
                Ok((normalize_user(body)?, false))
            })
            .await;
        self.after_write(ctx, id, "PUT", &subject, result).await
    }

    /// Patches the user `id`; answers it as written.
    pub async fn patch_user(
        &self,
        ctx: &WriteContext,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<WrittenUser, DirectoryError> {
        let result = match parse_patch_request(body) {
            Ok(ops) => {
                self.write_user(ctx, id, if_match, "PATCH", move |current| {
                    let mut resource = Value::Object(current);
                    apply_patch(&mut resource, &ops, &PatchContext::user())?;
                    let removed_active = resource.get("active").is_none();
                    let doc = normalize_user(resource).map_err(DirectoryError::from)?;
                    Ok((doc, removed_active))
                })
                .await
            }
            Err(e) => Err(e.into()),
        };
        self.after_write(ctx, id, "PATCH", id, result).await
    }

    /// Sets employee fields of the user `id` to Okta's values, and its active state when
    /// `active` says, in one write: the reconcile with Okta's management API. Fields are the
    /// names of `OKTA_PROFILE_FIELDS` (and `user_name`); `None` removes the value.
    pub async fn reconcile_user(
        &self,
        ctx: &WriteContext,
        id: &str,
        fields: Vec<(String, Option<String>)>,
        active: Option<bool>,
    ) -> Result<WrittenUser, DirectoryError> {
        let result = self
            .write_user(ctx, id, None, RECONCILE_METHOD, move |mut doc| {
                for (field, value) in &fields {
                    set_employee_field(&mut doc, field, value.as_deref());
                }
                if let Some(active) = active {
                    doc.insert("active".into(), Value::Bool(active));
                }
                Ok((normalize_user(Value::Object(doc))?, false))
            })
            .await;
        self.after_write(ctx, id, RECONCILE_METHOD, id, result)
            .await
    }

    async fn after_write(
        &self,
        ctx: &WriteContext,
        id: &str,
        method: &str,
        subject: &str,
        result: Result<WrittenUser, DirectoryError>,
    ) -> Result<WrittenUser, DirectoryError> {
        let attempt = Attempt {
            method,
            operation: "update",
            resource_type: RESOURCE,
            resource_id: Some(id),
            subject,
        };
        self.finish_write(ctx, attempt, result, employee_changed)
            .await
    }

    /// A read-modify-write of one user inside one write transaction.
    async fn write_user(
        &self,
        ctx: &WriteContext,
        id: &str,
        if_match: Option<&str>,
        method: &'static str,
        change: impl FnOnce(Map<String, Value>) -> Result<(Map<String, Value>, bool), DirectoryError>
            + Send
            + 'static,
    ) -> Result<WrittenUser, DirectoryError> {
        let writer = ctx.clone();
        let mappings = self.mappings.clone();
        let (id, if_match) = (id.to_owned(), if_match.map(str::to_owned));
        let written = self
            .db
            .write(move |c| -> Result<EmployeeWithGroups, DirectoryError> {
                let current =
                    existing_matching::<EmployeeWithGroups>(c, &id, if_match.as_deref())?.employee;
                let mut before = parse_doc(&current.doc)?;
                // The stored state is the truth. A document without `active` is one whose
                // `active` a PATCH removed (the employee is then active): it stays without.
                if before.contains_key("active") || !current.active {
                    before.insert("active".into(), Value::Bool(current.active));
                }
                let (mut doc, removed_active) = change(before.clone())?;
                check_resource(&doc, Some(&before))?;
                let fields = mapping_for(&mappings, c, writer.provider)?.derive(&doc);
                let active = if removed_active {
                    // A PATCH `remove` of `active` (or a `replace` with null, which RFC 7643
                    // reads as unassigning it; a conformance suite expects the attribute to be
                    // gone afterwards). Decision: the resource is answered without `active`, and
                    // the employee's status is what a create without `active` gives — active —
                    // so the resource (no state stated, hence the default) and the employee row
                    // agree, and a deactivated employee is reactivated (the activity log says
                    // so). Entra itself never removes `active`: it disables with
                    // `replace active "False"`.
                    true
                } else {
                    // A replacement that does not mention `active` keeps the current state: an
                    // update must never deactivate or reactivate anyone by omission.
                    let active = fields.active.unwrap_or(current.active);
                    doc.insert("active".into(), Value::Bool(active));
                    active
                };
                let changed = doc != before;
                if changed {
                    let now = timefmt::now();
                    let doc_text = Value::Object(doc).to_string();
                    let custom = custom_json(&fields);
                    let mut params = field_params(&fields, &active, &doc_text, &custom);
                    params.extend([&now as &dyn ToSql, &current.seq]);
                    let updated = c
                        .prepare_cached(
                            "UPDATE employees SET external_id = ?, user_name = ?, email = ?, \
                             display_name = ?, first_name = ?, last_name = ?, job_title = ?, \
                             department = ?, business_unit = ?, manager_email = ?, location = ?, \
                             employee_id = ?, active = ?, status = ?, doc = ?, custom = ?, \
                             version = version + 1, updated_at = ? WHERE seq = ?",
                        )?
                        .execute(&*params);
                    unique(updated, || duplicate(&fields.user_name))?;
                }
                let links =
                    resolve_managers(c, &id, fields.email.as_deref(), false, &Was::of(&current))?;
                let mut changes = match changed {
                    true => history::diff(&history::fields_of(&current), &fields),
                    false => Vec::new(),
                };
                let status = if active { "active" } else { "deactivated" };
                changes.extend(history::status_change(&current.status, status));
                let (operation, verb) = match (current.active, active) {
                    (true, false) => ("deactivate", "Deactivated"),
                    (false, true) => ("reactivate", "Reactivated"),
                    _ if changed => ("update", "Updated"),
                    _ => ("update", "No change to"),
                };
                let seq = append(
                    c,
                    &writer,
                    NewActivity {
                        method,
                        operation,
                        resource_type: RESOURCE,
                        resource_id: Some(&id),
                        employee_id: Some(&id),
                        summary: format!("{verb} {}", name_of(&fields)),
                        status: 200,
                        detail: None,
                    },
                )?;
                record_changes(c, &id, seq, changes, links)?;
                existing(c, &id)
            })
            .await?;
        Ok(WrittenUser(written))
    }

    /// SCIM DELETE: the user answers 404 from now on; the employee stays, marked `removed`.
    pub async fn delete_user(
        &self,
        ctx: &WriteContext,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), DirectoryError> {
        let result = self.try_delete_user(ctx, id, if_match).await;
        let attempt = Attempt {
            method: "DELETE",
            operation: "delete",
            resource_type: RESOURCE,
            resource_id: Some(id),
            subject: id,
        };
        self.finish_write(ctx, attempt, result, |removed: &String| {
            ChangeEvent::Employee {
                id: removed.clone(),
            }
        })
        .await
        .map(drop)
    }

    async fn try_delete_user(
        &self,
        ctx: &WriteContext,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<String, DirectoryError> {
        let writer = ctx.clone();
        let (id, if_match) = (id.to_owned(), if_match.map(str::to_owned));
        self.db
            .write(move |c| -> Result<String, DirectoryError> {
                let current =
                    existing_matching::<EmployeeWithGroups>(c, &id, if_match.as_deref())?.employee;
                c.prepare_cached(
                    "UPDATE employees SET status = 'removed', active = 0, version = version + 1, \
                     updated_at = ? WHERE seq = ?",
                )?
                .execute(crate::db::sql::params![timefmt::now(), current.seq])?;
                // The groups it leaves, by name, for its history.
                let left: Vec<String> = c
                    .prepare_cached(
                        "SELECT g.display_name FROM group_members m \
                         JOIN groups g ON g.seq = m.group_seq WHERE m.member_id = ? \
                         ORDER BY m.group_seq",
                    )?
                    .query_map([&id], |r| r.get(0))?
                    .collect::<crate::db::sql::Result<_>>()?;
                c.prepare_cached(
                    "UPDATE groups SET member_count = member_count - 1 \
                     WHERE seq IN (SELECT group_seq FROM group_members WHERE member_id = ?)",
                )?
                .execute([&id])?;
                c.prepare_cached("DELETE FROM group_members WHERE member_id = ?")?
                    .execute([&id])?;
                // A removed employee manages no one; reports wait for a new employee with that
                // email.
                let unlinked: Vec<String> = c
                    .prepare_cached(
                        "UPDATE employees SET manager_id = NULL WHERE manager_id = ? RETURNING id",
                    )?
                    .query_map([&id], |r| r.get(0))?
                    .collect::<crate::db::sql::Result<_>>()?;
                let fields = employee_fields(&parse_doc(&current.doc)?);
                let seq = append(
                    c,
                    &writer,
                    NewActivity {
                        method: "DELETE",
                        operation: "delete",
                        resource_type: RESOURCE,
                        resource_id: Some(&id),
                        employee_id: Some(&id),
                        summary: format!(
                            "Removed {} (the employee record is kept)",
                            name_of(&fields)
                        ),
                        status: 204,
                        detail: None,
                    },
                )?;
                let mut own: Vec<FieldChange> = history::status_change(&current.status, "removed")
                    .into_iter()
                    .collect();
                own.extend(
                    left.into_iter()
                        .map(|group| FieldChange::new(history::GROUPS, Some(group), None)),
                );
                let was = Was::of(&current);
                let links = unlinked
                    .into_iter()
                    .map(|report| {
                        let change = FieldChange::new(MANAGER_LINK, Some(was.label.clone()), None);
                        (report, change)
                    })
                    .collect();
                record_changes(c, &id, seq, own, links)?;
                Ok(id)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of users reads its rows in `seq` order and each row's groups in the order of the
    /// members' index: nothing is sorted, neither the page nor any row's groups.
    #[tokio::test]
    async fn a_page_of_users_sorts_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).await.unwrap();
        let sql = format!(
            "SELECT {COLUMNS_WITH_GROUPS} FROM {} WHERE {} AND e.seq > ? ORDER BY e.seq LIMIT 100",
            USERS.from, USERS.visible
        );
        let plan = crate::db::query_plan(&db, &sql, &[&0]);
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        assert!(
            plan.contains("COVERING INDEX group_members_member"),
            "{plan}"
        );
    }
}
