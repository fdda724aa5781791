//! SCIM Groups: what Okta's group push creates and keeps in step.
//!
//! A group's members live in `group_members` (one row per member, indexed both ways, with what
//! the member is: a user or a group of this directory), its other attributes in its stored
//! document, and its member count on its row. Okta replaces membership with full PUTs (wizard
//! apps) or PATCHes it in batches (`add` with a list, `remove` with `members[value eq "…"]`,
//! `replace` with `[]`): a PATCH that adds or removes N members touches those N rows and nothing
//! else, so a batch costs the same in a group of ten as in a group of a hundred thousand. Only a
//! full replacement reads the whole membership, to change just the difference.
//!
//! A member must name a user or a group in this directory (Okta and Entra only send ids they got
//! from here); `$ref` and `type` come from what it names, never from the request. A group is
//! answered as text written while its members are read, so a large group is held once.
//! Deleting a group deletes only the group: its members are employees and stay.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::db::sql::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};

use super::activity::{append, Attempt, NewActivity};
use super::error::DirectoryError;
use super::history;
use super::mapping::normalize_group;
use super::sql_filter::{group_filter_sql, group_sort_sql};
use super::write::{existing, existing_matching, unique, Stored};
use super::{etag, parse_doc, Directory, ListRow, ListSource, WriteContext};
use crate::events::ChangeEvent;
use crate::scim::filter::{get_ci, CompareOp, Filter};
use crate::scim::limits::check_resource;
use crate::scim::list::ListQuery;
use crate::scim::patch::{apply_patch, parse_patch_request, PatchContext, PatchOp, PatchOpKind};
use crate::scim::path::AttrPath;
use crate::scim::schema::{self, ResourceKind, GROUP_SCHEMA};
use crate::scim::ScimError;
use crate::text::quoted;
use crate::timefmt;

const RESOURCE: &str = "Group";

const GROUPS: ListSource = ListSource {
    from: "groups g",
    columns: GROUP_COLUMNS,
    // TRUE rather than 1: PostgreSQL's AND takes booleans only (SQLite reads TRUE as 1).
    visible: "TRUE",
    seq: "g.seq",
    filter_sql: group_filter_sql,
    sort_sql: group_sort_sql,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRow {
    #[serde(skip)]
    pub seq: i64,
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub connection_id: Option<String>,
    #[serde(skip)]
    pub doc: String,
    #[serde(skip)]
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub member_count: i64,
}

const GROUP_COLUMNS: &str = "g.seq, g.id, g.display_name, g.external_id, g.connection_id, g.doc, \
     g.version, g.created_at, g.updated_at, g.member_count";

/// Groups whose members are read on the request's own thread; a larger group is read and
/// written out on a blocking thread, so that it holds no thread that serves other requests.
const INLINE_MEMBERS: i64 = 2000;

/// A member as a request names it: the id of a user or a group here, and how to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    id: String,
    display: Option<String>,
}

/// A member as stored: `kind` is `User` or `Group` (`None` only for members stored by an earlier
/// version that name nothing here).
#[derive(Debug, Clone, PartialEq, Eq)]
struct StoredMember {
    id: String,
    display: Option<String>,
    kind: Option<String>,
}

const USER: &str = "User";
const GROUP: &str = "Group";

fn not_found(id: &str) -> ScimError {
    ScimError::not_found(format!(
        "There is no group with id '{}' in this directory.",
        crate::text::quoted(id)
    ))
}

fn duplicate(name: &str) -> ScimError {
    ScimError::conflict(format!(
        "A group named '{}' already exists in this directory. In Okta, link the pushed group \
         to the existing one instead of creating it.",
        crate::text::quoted(name)
    ))
}

fn unknown_member(id: &str) -> ScimError {
    ScimError::invalid_value(format!(
        "The member '{}' is neither a user nor a group in this directory. A group's members \
         must be ids SCIM Desk gave: push the user to SCIM Desk before adding them to a group.",
        crate::text::quoted(id)
    ))
}

impl ListRow for GroupRow {
    /// By position, in the order of [`GROUP_COLUMNS`].
    fn from_row(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Self> {
        Ok(GroupRow {
            seq: r.get(0)?,
            id: r.get(1)?,
            display_name: r.get(2)?,
            external_id: r.get(3)?,
            connection_id: r.get(4)?,
            doc: r.get(5)?,
            version: r.get(6)?,
            created_at: r.get(7)?,
            updated_at: r.get(8)?,
            member_count: r.get(9)?,
        })
    }

    fn seq(&self) -> i64 {
        self.seq
    }
}

/// The group `id`, if there is one.
fn group_by_id(c: &Connection, id: &str) -> crate::db::sql::Result<Option<GroupRow>> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = ?"));
    c.prepare_cached(&SQL)?
        .query_row([id], GroupRow::from_row)
        .optional()
}

impl Stored for GroupRow {
    const NOUN: &'static str = "group";
    fn load(c: &Connection, id: &str) -> crate::db::sql::Result<Option<Self>> {
        group_by_id(c, id)
    }
    fn not_found(id: &str) -> ScimError {
        not_found(id)
    }
    fn version(&self) -> i64 {
        self.version
    }
}

/// What the app is told a write of a group changed.
fn group_changed(w: &Written) -> ChangeEvent {
    ChangeEvent::Group {
        id: w.group.id.clone(),
    }
}

/// Calls `each` with every member of the group `seq`, in id order, as they are read.
fn for_each_member(
    c: &Connection,
    seq: i64,
    mut each: impl FnMut(StoredMember),
) -> crate::db::sql::Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT member_id, display, kind FROM group_members WHERE group_seq = ? \
         ORDER BY member_id",
    )?;
    let mut rows = stmt.query([seq])?;
    while let Some(r) = rows.next()? {
        each(StoredMember {
            id: r.get(0)?,
            display: r.get(1)?,
            kind: r.get(2)?,
        });
    }
    Ok(())
}

fn display_name(doc: &Map<String, Value>) -> String {
    doc.get("displayName")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn external_id(doc: &Map<String, Value>) -> Option<String> {
    doc.get("externalId")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// Answers

/// Which of a member's sub-attributes an answer shows (after `attributes`/`excludedAttributes`).
#[derive(Debug, Clone, Copy)]
struct MemberShape {
    value: bool,
    display: bool,
    reference: bool,
    kind: bool,
}

/// The group `g` as SCIM JSON text, projected as asked, with its members written one by one as
/// `read_members` produces them (and not read at all when the answer leaves them out).
fn group_text(
    g: &GroupRow,
    base_url: &str,
    attributes: &[String],
    excluded: &[String],
    read_members: impl FnOnce(&mut dyn FnMut(StoredMember)) -> crate::db::sql::Result<()>,
) -> Result<String, DirectoryError> {
    let doc = parse_doc(&g.doc)?;
    let mut head = Map::new();
    head.insert(
        "schemas".into(),
        doc.get("schemas")
            .cloned()
            .unwrap_or_else(|| Value::Array(vec![Value::String(GROUP_SCHEMA.into())])),
    );
    head.insert("id".into(), Value::String(g.id.clone()));
    for (k, v) in doc {
        if k != "schemas" && !k.eq_ignore_ascii_case("members") {
            head.insert(k, v);
        }
    }
    // The projection decides on one member with every sub-attribute; the real ones follow it.
    head.insert(
        "members".into(),
        serde_json::json!([{"value": "", "display": "", "$ref": "", "type": ""}]),
    );
    head.insert(
        "meta".into(),
        serde_json::json!({
            "resourceType": RESOURCE,
            "created": g.created_at,
            "lastModified": g.updated_at,
            "location": format!("{base_url}/Groups/{}", g.id),
            "version": etag(g.version),
        }),
    );
    let Value::Object(mut shown) = schema::project_owned(
        Value::Object(head),
        attributes,
        excluded,
        ResourceKind::Group,
    ) else {
        return Err(ScimError::internal("A group could not be written out.").into());
    };
    let shape = match shown.remove("members") {
        Some(Value::Array(sample)) => {
            sample
                .first()
                .and_then(Value::as_object)
                .map(|m| MemberShape {
                    value: m.contains_key("value"),
                    display: m.contains_key("display"),
                    reference: m.contains_key("$ref"),
                    kind: m.contains_key("type"),
                })
        }
        _ => None,
    };
    let meta = shown.remove("meta");
    let mut out = String::with_capacity(g.doc.len() + 256);
    out.push('{');
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
    };
    for (k, v) in &shown {
        sep(&mut out);
        let _ = write!(out, "{}:{v}", Value::from(k.as_str()));
    }
    if let Some(shape) = shape {
        sep(&mut out);
        out.push_str("\"members\":[");
        let mut n = 0usize;
        read_members(&mut |m| {
            if n > 0 {
                out.push(',');
            }
            n += 1;
            member_text(&mut out, &m, base_url, shape);
        })?;
        out.push(']');
    }
    if let Some(meta) = meta {
        sep(&mut out);
        let _ = write!(out, "\"meta\":{meta}");
    }
    out.push('}');
    Ok(out)
}

fn member_text(out: &mut String, m: &StoredMember, base_url: &str, shape: MemberShape) {
    out.push('{');
    let mut first = true;
    let mut field = |out: &mut String, name: &str, value: &str| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        let _ = write!(out, "\"{name}\":{}", Value::from(value));
    };
    if shape.value {
        field(out, "value", &m.id);
    }
    if let (true, Some(d)) = (shape.display, &m.display) {
        field(out, "display", d);
    }
    // Built from the stored id of what the member is, never from what a request said.
    let collection = match m.kind.as_deref() {
        Some(USER) => Some("Users"),
        Some(GROUP) => Some("Groups"),
        _ => None,
    };
    if let (true, Some(collection)) = (shape.reference, collection) {
        field(out, "$ref", &format!("{base_url}/{collection}/{}", m.id));
    }
    if let (true, Some(kind)) = (shape.kind, m.kind.as_deref()) {
        field(out, "type", kind);
    }
    out.push('}');
}

// ---------------------------------------------------------------------------------------------
// Membership changes

/// A change to a group's membership, applied to its `group_members` rows.
#[derive(Debug, Clone, PartialEq)]
enum MemberChange {
    Add(Vec<Member>),
    Remove(Vec<String>),
    /// The whole membership becomes this list.
    Replace(Vec<Member>),
    Clear,
}

/// One step of a PATCH: a change to the group's document, or to its members.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Doc(Box<PatchOp>),
    Members(MemberChange),
}

/// The members a PATCH value or a group body lists (an object, or a list of them), each once.
fn members_from(value: &Value) -> Result<Vec<Member>, ScimError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        one => std::slice::from_ref(one),
    };
    let mut seen = HashSet::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(Value::String(id)) = get_ci(item, "value") else {
            return Err(ScimError::invalid_value(
                "Every group member needs a 'value': the id of a user in this directory.",
            ));
        };
        if id.is_empty() {
            return Err(ScimError::invalid_value(
                "Every group member needs a 'value': the id of a user in this directory.",
            ));
        }
        if seen.insert(id.as_str()) {
            let display = get_ci(item, "display")
                .and_then(Value::as_str)
                .map(str::to_owned);
            out.push(Member {
                id: id.clone(),
                display,
            });
        }
    }
    Ok(out)
}

fn is_members(attr: &AttrPath) -> bool {
    attr.name.eq_ignore_ascii_case("members")
        && attr.sub.is_none()
        && (attr.urn.is_none() || attr.is_core_urn())
}

/// The ids a filter like `value eq "a"` (or `value eq "a" or value eq "b"`) names.
fn ids_named(f: &Filter, out: &mut Vec<String>) -> bool {
    match f {
        Filter::Or(a, b) => ids_named(a, out) && ids_named(b, out),
        Filter::Compare(p, CompareOp::Eq, Value::String(id))
            if p.name.eq_ignore_ascii_case("value") && p.urn.is_none() && p.sub.is_none() =>
        {
            out.push(id.clone());
            true
        }
        _ => false,
    }
}

/// The membership change an operation makes on the whole `members` attribute.
fn whole_members_change(
    kind: PatchOpKind,
    value: Option<&Value>,
) -> Result<MemberChange, ScimError> {
    Ok(match (kind, value) {
        (PatchOpKind::Remove, None | Some(Value::Null)) => MemberChange::Clear,
        (PatchOpKind::Remove, Some(v)) => {
            // Entra's older shape: `Remove` with `path: members` and the members in `value`.
            let listed = match v {
                Value::Array(items) => items.as_slice(),
                one => std::slice::from_ref(one),
            };
            MemberChange::Remove(
                listed
                    .iter()
                    .filter_map(|m| get_ci(m, "value").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect(),
            )
        }
        (_, None | Some(Value::Null)) => MemberChange::Clear,
        (PatchOpKind::Add, Some(v)) => MemberChange::Add(members_from(v)?),
        (PatchOpKind::Replace, Some(v)) => match members_from(v)? {
            m if m.is_empty() => MemberChange::Clear,
            m => MemberChange::Replace(m),
        },
    })
}

/// The steps of a PATCH, with every membership change in a form applied to the member rows
/// directly; `None` when an operation needs the whole membership in hand (a filter on members
/// other than by `value`, a sub-attribute of members), which the caller then loads.
fn plan(ops: Vec<PatchOp>) -> Result<Option<Vec<Step>>, ScimError> {
    let mut steps = Vec::with_capacity(ops.len());
    for op in ops {
        match &op.path {
            Some(path) if is_members(&path.attr) => {
                let change = match (&path.value_filter, &path.sub, op.op) {
                    (None, None, kind) => whole_members_change(kind, op.value.as_ref())?,
                    (Some(f), None, PatchOpKind::Remove) => {
                        let mut ids = Vec::new();
                        if !ids_named(f, &mut ids) {
                            return Ok(None);
                        }
                        MemberChange::Remove(ids)
                    }
                    _ => return Ok(None),
                };
                steps.push(Step::Members(change));
            }
            Some(path) if path.attr.name.eq_ignore_ascii_case("members") => return Ok(None),
            None => {
                // Path-less: the members in the value change the rows, the rest the document.
                let Some(Value::Object(values)) = &op.value else {
                    steps.push(Step::Doc(Box::new(op)));
                    continue;
                };
                let Some(key) = values
                    .keys()
                    .find(|k| crate::scim::path::parse_attr_path(k).is_ok_and(|a| is_members(&a)))
                    .cloned()
                else {
                    steps.push(Step::Doc(Box::new(op)));
                    continue;
                };
                let mut rest = values.clone();
                let members = rest.remove(&key);
                if !rest.is_empty() {
                    steps.push(Step::Doc(Box::new(PatchOp {
                        op: op.op,
                        path: None,
                        value: Some(Value::Object(rest)),
                    })));
                }
                steps.push(Step::Members(whole_members_change(
                    op.op,
                    members.as_ref(),
                )?));
            }
            Some(_) => steps.push(Step::Doc(Box::new(op))),
        }
    }
    Ok(Some(steps))
}

/// What a write did to a group's members.
#[derive(Debug, Default, Clone)]
struct Tally {
    added: i64,
    removed: i64,
    /// The employees (user members) added and removed, for their history.
    users_added: Vec<String>,
    users_removed: Vec<String>,
    /// Members already there whose `display` (or kind) changed.
    relabelled: i64,
}

/// The stored id and kind of the user or group that `id` names (ids are written in lower case
/// by this directory; a client may echo them in another case).
fn resolve(c: &Connection, id: &str) -> crate::db::sql::Result<Option<(String, &'static str)>> {
    let lower = id.to_ascii_lowercase();
    let candidates: &[&str] = if lower == id { &[id] } else { &[id, &lower] };
    for candidate in candidates {
        let user = c
            .prepare_cached("SELECT id FROM employees WHERE id = ? AND status <> 'removed'")?
            .query_row([candidate], |r| r.get::<_, String>(0))
            .optional()?;
        if let Some(stored) = user {
            return Ok(Some((stored, USER)));
        }
        let group = c
            .prepare_cached("SELECT id FROM groups WHERE id = ?")?
            .query_row([candidate], |r| r.get::<_, String>(0))
            .optional()?;
        if let Some(stored) = group {
            return Ok(Some((stored, GROUP)));
        }
    }
    Ok(None)
}

/// Adds (or relabels) one member of the group `seq`, checked against the directory.
fn put_member(
    c: &Connection,
    seq: i64,
    m: &Member,
    tally: &mut Tally,
) -> Result<(), DirectoryError> {
    let (id, kind) = resolve(c, &m.id)?.ok_or_else(|| unknown_member(&m.id))?;
    let existing = c
        .prepare_cached(
            "SELECT display, kind FROM group_members WHERE group_seq = ? AND member_id = ?",
        )?
        .query_row(crate::db::sql::params![seq, id], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
            ))
        })
        .optional()?;
    match existing {
        None => {
            c.prepare_cached(
                "INSERT INTO group_members (group_seq, member_id, display, kind) \
                 VALUES (?, ?, ?, ?)",
            )?
            .execute(crate::db::sql::params![seq, id, m.display, kind])?;
            tally.added += 1;
            if kind == USER {
                tally.users_added.push(id);
            }
        }
        Some((stored_display, stored_kind)) => {
            // A member added again without a display keeps the one it has.
            let display = m.display.clone().or(stored_display.clone());
            if display != stored_display || stored_kind.as_deref() != Some(kind) {
                c.prepare_cached(
                    "UPDATE group_members SET display = ?, kind = ? \
                     WHERE group_seq = ? AND member_id = ?",
                )?
                .execute(crate::db::sql::params![display, kind, seq, id])?;
                tally.relabelled += 1;
            }
        }
    }
    Ok(())
}

/// Removes the member `id` of the group `seq`, if it is one.
fn drop_member(
    c: &Connection,
    seq: i64,
    id: &str,
    tally: &mut Tally,
) -> crate::db::sql::Result<()> {
    let mut delete = c.prepare_cached(
        "DELETE FROM group_members WHERE group_seq = ? AND member_id = ? \
         RETURNING member_id, kind",
    )?;
    let mut gone: Option<(String, Option<String>)> = delete
        .query_row(crate::db::sql::params![seq, id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let lower = id.to_ascii_lowercase();
    if gone.is_none() && lower != id {
        gone = delete
            .query_row(crate::db::sql::params![seq, lower], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
    }
    if let Some((member, kind)) = gone {
        tally.removed += 1;
        if kind.as_deref() != Some(GROUP) {
            tally.users_removed.push(member);
        }
    }
    Ok(())
}

/// Records each employee's group membership the write changed, against its activity line.
fn record_memberships(
    c: &Connection,
    seq: i64,
    group: &str,
    tally: &Tally,
) -> crate::db::sql::Result<()> {
    let change = |before, after| history::FieldChange::new(history::GROUPS, before, after);
    history::record_each(
        c,
        &tally.users_added,
        seq,
        &change(None, Some(group.to_owned())),
    )?;
    history::record_each(
        c,
        &tally.users_removed,
        seq,
        &change(Some(group.to_owned()), None),
    )
}

fn apply_change(
    c: &Connection,
    seq: i64,
    change: &MemberChange,
    tally: &mut Tally,
) -> Result<(), DirectoryError> {
    match change {
        MemberChange::Add(members) => {
            for m in members {
                put_member(c, seq, m, tally)?;
            }
        }
        MemberChange::Remove(ids) => {
            for id in ids {
                drop_member(c, seq, id, tally)?;
            }
        }
        MemberChange::Clear => {
            let gone = c
                .prepare_cached(
                    "DELETE FROM group_members WHERE group_seq = ? RETURNING member_id, kind",
                )?
                .query_map([seq], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                })?
                .collect::<crate::db::sql::Result<Vec<_>>>()?;
            tally.removed += gone.len() as i64;
            tally.users_removed.extend(
                gone.into_iter()
                    .filter(|(_, kind)| kind.as_deref() != Some(GROUP))
                    .map(|(id, _)| id),
            );
        }
        MemberChange::Replace(members) => {
            // Only the difference is written: members who stay are not touched.
            let wanted: HashSet<String> = members
                .iter()
                .map(|m| Ok(resolve(c, &m.id)?.ok_or_else(|| unknown_member(&m.id))?.0))
                .collect::<Result<_, DirectoryError>>()?;
            let mut leaving = Vec::new();
            for_each_member(c, seq, |m| {
                if !wanted.contains(&m.id) {
                    leaving.push(m.id);
                }
            })?;
            for id in &leaving {
                drop_member(c, seq, id, tally)?;
            }
            for m in members {
                put_member(c, seq, m, tally)?;
            }
        }
    }
    Ok(())
}

/// Splits the members out of a normalised group document.
fn take_members(doc: &mut Map<String, Value>) -> Result<Vec<Member>, DirectoryError> {
    match doc.remove("members") {
        Some(list) => Ok(members_from(&list)?),
        None => Ok(Vec::new()),
    }
}

/// A group change as a write applies it.
enum GroupChange {
    /// PUT: the body replaces the document and the membership.
    Replace(Value),
    Patch(Vec<PatchOp>),
}

/// The group a write left, and its members when the answer shows them.
struct Written {
    group: GroupRow,
    members: Option<Vec<StoredMember>>,
}

impl Directory {
    /// A group as SCIM JSON text, projected as asked, with its version.
    pub async fn get_group_text(
        &self,
        base_url: &str,
        id: &str,
        attributes: &[String],
        excluded: &[String],
    ) -> Result<(String, i64), DirectoryError> {
        let g = self
            .db
            .read(|c| group_by_id(c, id))?
            .ok_or_else(|| not_found(id))?;
        let render = |c: &Connection, g: &GroupRow| {
            group_text(g, base_url, attributes, excluded, |each| {
                for_each_member(c, g.seq, each)
            })
        };
        if g.member_count <= INLINE_MEMBERS {
            let text = self
                .db
                .read(|c| Ok(render(c, &g)))
                .map_err(DirectoryError::from)??;
            return Ok((text, g.version));
        }
        // A large group: read again, with its members, in one read transaction of its own on a
        // blocking thread (with the request's deadline).
        let (db, deadline) = (self.db.clone(), crate::deadline::current());
        let (base_url, id) = (base_url.to_owned(), id.to_owned());
        let (attributes, excluded) = (attributes.to_vec(), excluded.to_vec());
        tokio::task::spawn_blocking(move || {
            crate::deadline::enter(deadline, || {
                db.read(|c| {
                    c.execute_batch("BEGIN")?;
                    let answer = match group_by_id(c, &id)? {
                        Some(g) => group_text(&g, &base_url, &attributes, &excluded, |each| {
                            for_each_member(c, g.seq, each)
                        })
                        .map(|text| (text, g.version)),
                        None => Err(not_found(&id).into()),
                    };
                    c.execute_batch("COMMIT")?;
                    Ok(answer)
                })
            })
        })
        .await
        .map_err(|_| ScimError::internal("A group could not be read."))??
    }

    /// [`Self::get_group_text`] as a value, unprojected.
    pub async fn get_group(&self, base_url: &str, id: &str) -> Result<Value, DirectoryError> {
        let (text, _) = self.get_group_text(base_url, id, &[], &[]).await?;
        serde_json::from_str(&text)
            .map_err(|_| ScimError::internal("A group could not be read.").into())
    }

    /// A page of groups as a SCIM `ListResponse` in JSON text, projected as asked.
    pub async fn list_groups_text(
        &self,
        base_url: &str,
        q: &ListQuery,
    ) -> Result<String, DirectoryError> {
        let page = self.list_page::<GroupRow>(&GROUPS, q).await?;
        let texts = self
            .db
            .read(|c| {
                Ok(page
                    .rows
                    .iter()
                    .map(|g| {
                        group_text(g, base_url, &q.attributes, &q.excluded_attributes, |each| {
                            for_each_member(c, g.seq, each)
                        })
                    })
                    .collect::<Result<Vec<String>, DirectoryError>>())
            })
            .map_err(DirectoryError::from)??;
        Ok(page.response_text(q.start_index, &texts))
    }

    /// [`Self::list_groups_text`] as a value.
    pub async fn list_groups(
        &self,
        base_url: &str,
        q: &ListQuery,
    ) -> Result<Value, DirectoryError> {
        let text = self.list_groups_text(base_url, q).await?;
        serde_json::from_str(&text)
            .map_err(|_| ScimError::internal("Groups could not be read.").into())
    }

    pub async fn create_group(
        &self,
        ctx: &WriteContext,
        body: Value,
    ) -> Result<Value, DirectoryError> {
        let subject = body
            .get("displayName")
            .and_then(Value::as_str)
            .map(|s| format!("group '{}'", quoted(s)))
            .unwrap_or_else(|| "a group".to_owned());
        let result = self.try_create_group(ctx, body).await;
        let attempt = Attempt {
            method: "POST",
            operation: "create_group",
            resource_type: RESOURCE,
            resource_id: None,
            subject: &subject,
        };
        self.finish_write(ctx, attempt, result, group_changed)
            .await?
            .to_value(&ctx.base_url)
    }

    async fn try_create_group(
        &self,
        ctx: &WriteContext,
        body: Value,
    ) -> Result<Written, DirectoryError> {
        let mut doc = normalize_group(body)?;
        let members = take_members(&mut doc)?;
        check_resource(&doc, None)?;
        let name = display_name(&doc);
        let external_id = external_id(&doc);
        let id = uuid::Uuid::new_v4().to_string();
        let writer = ctx.clone();
        self.db
            .write(move |c| -> Result<Written, DirectoryError> {
                let now = timefmt::now();
                let inserted = c
                    .prepare_cached(
                        "INSERT INTO groups (id, connection_id, external_id, display_name, doc, \
                         version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) \
                         RETURNING seq",
                    )?
                    .query_row(
                        crate::db::sql::params![
                            id,
                            writer.connection_id,
                            external_id,
                            name,
                            Value::Object(doc).to_string(),
                            now,
                            now
                        ],
                        |r| r.get::<_, i64>(0),
                    );
                let seq = unique(inserted, || duplicate(&name))?;
                let mut tally = Tally::default();
                apply_change(c, seq, &MemberChange::Add(members), &mut tally)?;
                c.prepare_cached("UPDATE groups SET member_count = ? WHERE seq = ?")?
                    .execute([tally.added, seq])?;
                let line = append(
                    c,
                    &writer,
                    NewActivity {
                        method: "POST",
                        operation: "create_group",
                        resource_type: RESOURCE,
                        resource_id: Some(&id),
                        employee_id: None,
                        summary: format!(
                            "Created group '{}' with {} members",
                            quoted(&name),
                            tally.added
                        ),
                        status: 201,
                        detail: None,
                    },
                )?;
                record_memberships(c, line, &name, &tally)?;
                written_with_members(c, &id)
            })
            .await
    }

    pub async fn replace_group(
        &self,
        ctx: &WriteContext,
        id: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Result<Value, DirectoryError> {
        let result = self
            .write_group(ctx, id, if_match, "PUT", GroupChange::Replace(body))
            .await;
        self.after_group_write(ctx, id, "PUT", result)
            .await?
            .to_value(&ctx.base_url)
    }

    /// A PATCH of the group `id`; answers the group's new version. Membership changes touch only
    /// the members they name.
    pub async fn patch_group(
        &self,
        ctx: &WriteContext,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<i64, DirectoryError> {
        let result = match parse_patch_request(body) {
            Ok(ops) => {
                self.write_group(ctx, id, if_match, "PATCH", GroupChange::Patch(ops))
                    .await
            }
            Err(e) => Err(e.into()),
        };
        Ok(self
            .after_group_write(ctx, id, "PATCH", result)
            .await?
            .group
            .version)
    }

    async fn after_group_write(
        &self,
        ctx: &WriteContext,
        id: &str,
        method: &str,
        result: Result<Written, DirectoryError>,
    ) -> Result<Written, DirectoryError> {
        let subject = format!("group {}", quoted(id));
        let attempt = Attempt {
            method,
            operation: "update_group",
            resource_type: RESOURCE,
            resource_id: Some(id),
            subject: &subject,
        };
        self.finish_write(ctx, attempt, result, group_changed).await
    }

    async fn write_group(
        &self,
        ctx: &WriteContext,
        id: &str,
        if_match: Option<&str>,
        method: &'static str,
        change: GroupChange,
    ) -> Result<Written, DirectoryError> {
        let writer = ctx.clone();
        let (id, if_match) = (id.to_owned(), if_match.map(str::to_owned));
        self.db
            .write(move |c| -> Result<Written, DirectoryError> {
                let current = existing_matching::<GroupRow>(c, &id, if_match.as_deref())?;
                let before = parse_doc(&current.doc)?;
                let (doc, changes, answer_members) = match change {
                    GroupChange::Replace(body) => {
                        let mut doc = normalize_group(body)?;
                        let members = take_members(&mut doc)?;
                        (doc, vec![MemberChange::Replace(members)], true)
                    }
                    GroupChange::Patch(ops) => match plan(ops.clone())? {
                        Some(steps) => {
                            let (mut doc_ops, mut changes) = (Vec::new(), Vec::new());
                            for step in steps {
                                match step {
                                    Step::Doc(op) => doc_ops.push(*op),
                                    Step::Members(m) => changes.push(m),
                                }
                            }
                            let mut resource = Value::Object(before.clone());
                            apply_patch(&mut resource, &doc_ops, &PatchContext::group())?;
                            (normalize_group(resource)?, changes, false)
                        }
                        None => {
                            // An operation that needs the whole membership: applied to it all,
                            // and the difference written.
                            let mut all = Vec::new();
                            for_each_member(c, current.seq, |m| {
                                let mut o = Map::new();
                                o.insert("value".into(), Value::String(m.id));
                                if let Some(d) = m.display {
                                    o.insert("display".into(), Value::String(d));
                                }
                                all.push(Value::Object(o));
                            })?;
                            let mut resource = Value::Object(before.clone());
                            if let Some(r) = resource.as_object_mut() {
                                r.insert("members".into(), Value::Array(all));
                            }
                            apply_patch(&mut resource, &ops, &PatchContext::group())?;
                            let mut doc = normalize_group(resource)?;
                            let members = take_members(&mut doc)?;
                            let change = match members.is_empty() {
                                true => MemberChange::Clear,
                                false => MemberChange::Replace(members),
                            };
                            (doc, vec![change], false)
                        }
                    },
                };
                let mut doc = doc;
                doc.remove("members");
                check_resource(&doc, Some(&before))?;
                let mut tally = Tally::default();
                for change in &changes {
                    apply_change(c, current.seq, change, &mut tally)?;
                }
                let name = display_name(&doc);
                let doc_text = Value::Object(doc.clone()).to_string();
                let members_changed = tally.added + tally.removed + tally.relabelled > 0;
                let changed = doc_text != current.doc || members_changed;
                let count = current.member_count + tally.added - tally.removed;
                if changed {
                    let updated = c
                        .prepare_cached(
                            "UPDATE groups SET display_name = ?, external_id = ?, doc = ?, \
                             version = version + 1, updated_at = ?, member_count = ? \
                             WHERE seq = ?",
                        )?
                        .execute(crate::db::sql::params![
                            name,
                            external_id(&doc),
                            doc_text,
                            timefmt::now(),
                            count,
                            current.seq
                        ]);
                    unique(updated, || duplicate(&name))?;
                }
                let shown = quoted(&name);
                let summary = if !changed {
                    format!("No change to group '{shown}'")
                } else if tally.added + tally.removed > 0 {
                    format!(
                        "Updated group '{shown}': {} added, {} removed, {count} members",
                        tally.added, tally.removed
                    )
                } else {
                    format!("Updated group '{shown}'")
                };
                let line = append(
                    c,
                    &writer,
                    NewActivity {
                        method,
                        operation: "update_group",
                        resource_type: RESOURCE,
                        resource_id: Some(&id),
                        employee_id: None,
                        summary,
                        status: 200,
                        detail: None,
                    },
                )?;
                record_memberships(c, line, &name, &tally)?;
                match answer_members {
                    true => written_with_members(c, &id),
                    false => Ok(Written {
                        group: existing(c, &id)?,
                        members: None,
                    }),
                }
            })
            .await
    }

    pub async fn delete_group(
        &self,
        ctx: &WriteContext,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), DirectoryError> {
        let writer = ctx.clone();
        let (gid, tag) = (id.to_owned(), if_match.map(str::to_owned));
        let result = self
            .db
            .write(move |c| -> Result<(), DirectoryError> {
                let current = existing_matching::<GroupRow>(c, &gid, tag.as_deref())?;
                // Its members leave it (by the cascade): the employees among them, for their
                // history.
                let members = Tally {
                    users_removed: c
                        .prepare_cached(
                            "SELECT member_id FROM group_members WHERE group_seq = ? \
                             AND (kind IS NULL OR kind <> 'Group')",
                        )?
                        .query_map([current.seq], |r| r.get(0))?
                        .collect::<crate::db::sql::Result<_>>()?,
                    ..Tally::default()
                };
                c.prepare_cached("DELETE FROM groups WHERE seq = ?")?
                    .execute([current.seq])?;
                // Groups it was a member of lose it.
                let parents: Vec<i64> = c
                    .prepare_cached("SELECT group_seq FROM group_members WHERE member_id = ?")?
                    .query_map([&gid], |r| r.get(0))?
                    .collect::<crate::db::sql::Result<_>>()?;
                for parent in parents {
                    c.prepare_cached(
                        "DELETE FROM group_members WHERE group_seq = ? AND member_id = ?",
                    )?
                    .execute(crate::db::sql::params![parent, gid])?;
                    c.prepare_cached(
                        "UPDATE groups SET member_count = member_count - 1 WHERE seq = ?",
                    )?
                    .execute([parent])?;
                }
                let line = append(
                    c,
                    &writer,
                    NewActivity {
                        method: "DELETE",
                        operation: "delete_group",
                        resource_type: RESOURCE,
                        resource_id: Some(&gid),
                        employee_id: None,
                        summary: format!(
                            "Deleted group '{}' (its members stay in the directory)",
                            quoted(&current.display_name)
                        ),
                        status: 204,
                        detail: None,
                    },
                )?;
                record_memberships(c, line, &current.display_name, &members)?;
                Ok(())
            })
            .await;
        let subject = format!("group {}", quoted(id));
        let attempt = Attempt {
            method: "DELETE",
            operation: "delete_group",
            resource_type: RESOURCE,
            resource_id: Some(id),
            subject: &subject,
        };
        self.finish_write(ctx, attempt, result, |()| ChangeEvent::Group {
            id: id.to_owned(),
        })
        .await
    }
}

/// The group `id` and all its members, read inside the write that changed them.
fn written_with_members(c: &Connection, id: &str) -> Result<Written, DirectoryError> {
    let group = existing::<GroupRow>(c, id)?;
    let mut members = Vec::with_capacity(group.member_count.max(0) as usize);
    for_each_member(c, group.seq, |m| members.push(m))?;
    Ok(Written {
        group,
        members: Some(members),
    })
}

impl Written {
    /// The group as a value, with its members when the write read them.
    fn to_value(&self, base_url: &str) -> Result<Value, DirectoryError> {
        let members = self.members.as_deref().unwrap_or(&[]);
        let text = group_text(&self.group, base_url, &[], &[], |each| {
            for m in members {
                each(m.clone());
            }
            Ok(())
        })?;
        serde_json::from_str(&text)
            .map_err(|_| ScimError::internal("A group could not be read.").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::patch_path::parse_patch_path;
    use serde_json::json;

    fn op(kind: PatchOpKind, path: Option<&str>, value: Option<Value>) -> PatchOp {
        PatchOp {
            op: kind,
            path: path.map(|p| parse_patch_path(p).unwrap()),
            value,
        }
    }

    fn doc(op: PatchOp) -> Step {
        Step::Doc(Box::new(op))
    }

    fn m(id: &str, display: Option<&str>) -> Member {
        Member {
            id: id.into(),
            display: display.map(str::to_owned),
        }
    }

    /// Okta's and Entra's membership operations each become a change of the rows they name;
    /// the rest of the operations change the document.
    #[test]
    fn membership_operations_become_row_changes() {
        use PatchOpKind::*;
        let steps = plan(vec![
            op(
                Add,
                Some("members"),
                Some(json!([{"value": "a", "display": "A"}, {"value": "b"}])),
            ),
            op(Remove, Some("members[value eq \"a\"]"), None),
            op(
                Remove,
                Some("members[value eq \"b\" or value eq \"c\"]"),
                None,
            ),
            op(Remove, Some("members"), Some(json!([{"value": "d"}]))),
            op(Replace, Some("members"), Some(json!([]))),
            op(
                Replace,
                None,
                Some(json!({"id": "x", "displayName": "Eng"})),
            ),
            op(
                Add,
                None,
                Some(json!({"members": [{"value": "e"}], "externalId": "x1"})),
            ),
            op(Replace, Some("displayName"), Some(json!("Eng"))),
        ])
        .unwrap()
        .expect("no operation needs the whole membership");
        assert_eq!(
            steps,
            vec![
                Step::Members(MemberChange::Add(vec![m("a", Some("A")), m("b", None)])),
                Step::Members(MemberChange::Remove(vec!["a".into()])),
                Step::Members(MemberChange::Remove(vec!["b".into(), "c".into()])),
                Step::Members(MemberChange::Remove(vec!["d".into()])),
                Step::Members(MemberChange::Clear),
                doc(op(
                    Replace,
                    None,
                    Some(json!({"id": "x", "displayName": "Eng"}))
                )),
                doc(op(Add, None, Some(json!({"externalId": "x1"})))),
                Step::Members(MemberChange::Add(vec![m("e", None)])),
                doc(op(Replace, Some("displayName"), Some(json!("Eng")))),
            ]
        );
        // A filter on members by something else than `value` needs them all.
        assert_eq!(
            plan(vec![op(Remove, Some("members[display eq \"A\"]"), None)]).unwrap(),
            None
        );
        assert_eq!(
            plan(vec![op(
                Replace,
                Some("members[value eq \"a\"].display"),
                Some(json!("x"))
            )])
            .unwrap(),
            None
        );
        // A member without a value is refused before anything is written.
        let e = plan(vec![op(
            Add,
            Some("members"),
            Some(json!([{"display": "A"}])),
        )])
        .unwrap_err();
        assert_eq!(e.status, 400);
    }

    #[test]
    fn members_are_written_from_what_they_name_and_as_projected() {
        let g = GroupRow {
            seq: 1,
            id: "g1".into(),
            display_name: "Eng".into(),
            external_id: None,
            connection_id: None,
            doc:
                r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng"}"#
                    .into(),
            version: 3,
            created_at: "t".into(),
            updated_at: "t".into(),
            member_count: 3,
        };
        let stored = vec![
            StoredMember {
                id: "u1".into(),
                display: Some("a@corp.example".into()),
                kind: Some(USER.into()),
            },
            StoredMember {
                id: "g2".into(),
                display: None,
                kind: Some(GROUP.into()),
            },
            StoredMember {
                id: "../../etc/passwd".into(),
                display: None,
                kind: None,
            },
        ];
        let text = |attributes: &[&str], excluded: &[&str]| {
            let a: Vec<String> = attributes.iter().map(|s| s.to_string()).collect();
            let x: Vec<String> = excluded.iter().map(|s| s.to_string()).collect();
            let mut read = 0;
            let t = group_text(&g, "https://x/scim/v2/c", &a, &x, |each| {
                for m in &stored {
                    read += 1;
                    each(m.clone());
                }
                Ok(())
            })
            .unwrap();
            (serde_json::from_str::<Value>(&t).unwrap(), read)
        };
        let (full, read) = text(&[], &[]);
        assert_eq!(read, 3);
        assert_eq!(
            full["members"],
            json!([
                {"value": "u1", "display": "a@corp.example", "$ref": "https://x/scim/v2/c/Users/u1", "type": "User"},
                {"value": "g2", "$ref": "https://x/scim/v2/c/Groups/g2", "type": "Group"},
                {"value": "../../etc/passwd"}
            ])
        );
        assert_eq!(full["meta"]["version"], "W/\"3\"");
        assert_eq!(full["displayName"], "Eng");
        let (without, read) = text(&[], &["members"]);
        assert_eq!(read, 0, "members left out are not read");
        assert!(without.get("members").is_none() && without["displayName"] == "Eng");
        let (values, _) = text(&["members.value"], &[]);
        assert_eq!(
            values["members"],
            json!([{"value": "u1"}, {"value": "g2"}, {"value": "../../etc/passwd"}])
        );
        assert!(values.get("displayName").is_none());
    }
}
