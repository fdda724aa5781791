//! SCIM Groups: what Okta's group push creates and keeps in step.
//!
//! A group's members live in `group_members` (one row per member, indexed both ways) and its
//! other attributes in its stored document. Okta replaces membership with full PUTs (wizard apps)
//! or PATCHes it (`add`, filtered `remove`, `replace` with `[]`); both end in the same write.
//! Deleting a group deletes only the group: its members are employees and stay.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};

use super::activity::{append, Attempt, NewActivity};
use super::mapping::normalize_group;
use super::sql_filter::{group_filter_sql, group_sort_sql};
use super::{check_if_match, db_error, etag, parse_doc, Directory, ListSource, WriteContext};
use crate::db::is_unique_violation;
use crate::desk::ChangeEvent;
use crate::scim::list::{list_response, ListQuery};
use crate::scim::patch::{apply_patch, parse_patch_request, PatchContext};
use crate::scim::schema::GROUP_SCHEMA;
use crate::scim::ScimError;
use crate::timefmt;

const RESOURCE: &str = "Group";

const GROUPS: ListSource = ListSource {
    from: "groups g",
    columns: GROUP_COLUMNS,
    visible: "1",
    seq: "g.seq",
    filter_sql: group_filter_sql,
    sort_sql: group_sort_sql,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
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
}

const GROUP_COLUMNS: &str =
    "g.seq, g.id, g.display_name, g.external_id, g.connection_id, g.doc, g.version, g.created_at, g.updated_at";

type Member = (String, Option<String>);

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

fn render(g: &GroupRow, members: &[Member], base_url: &str) -> Result<Value, ScimError> {
    let doc = parse_doc(&g.doc)?;
    let mut out = Map::new();
    out.insert(
        "schemas".into(),
        doc.get("schemas")
            .cloned()
            .unwrap_or_else(|| Value::Array(vec![Value::String(GROUP_SCHEMA.into())])),
    );
    out.insert("id".into(), Value::String(g.id.clone()));
    for (k, v) in doc {
        if k != "schemas" {
            out.insert(k, v);
        }
    }
    out.insert(
        "members".into(),
        Value::Array(
            members
                .iter()
                .map(|(value, display)| {
                    let mut m = Map::new();
                    m.insert("value".into(), Value::String(value.clone()));
                    if let Some(d) = display {
                        m.insert("display".into(), Value::String(d.clone()));
                    }
                    m.insert(
                        "$ref".into(),
                        Value::String(format!("{base_url}/Users/{value}")),
                    );
                    m.insert("type".into(), Value::String("User".into()));
                    Value::Object(m)
                })
                .collect(),
        ),
    );
    out.insert(
        "meta".into(),
        serde_json::json!({
            "resourceType": RESOURCE,
            "created": g.created_at,
            "lastModified": g.updated_at,
            "location": format!("{base_url}/Groups/{}", g.id),
            "version": etag(g.version),
        }),
    );
    Ok(Value::Object(out))
}

/// Splits the members out of a normalised group document, one per user id.
fn take_members(doc: &mut Map<String, Value>) -> Vec<Member> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    if let Some(Value::Array(list)) = doc.remove("members") {
        for m in list {
            let Some(value) = m.get("value").and_then(Value::as_str) else {
                continue;
            };
            if seen.insert(value.to_owned()) {
                let display = m.get("display").and_then(Value::as_str).map(str::to_owned);
                out.push((value.to_owned(), display));
            }
        }
    }
    // Stored and returned in one order, so that a PUT listing the same members in another
    // order is recognised as no change.
    out.sort();
    out
}

async fn members_of(
    exec: impl sqlx::SqliteExecutor<'_>,
    seq: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query_as::<_, Member>(
        "SELECT member_id, display FROM group_members WHERE group_seq = ? ORDER BY member_id",
    )
    .bind(seq)
    .fetch_all(exec)
    .await
}

/// A group's members, read inside a write.
fn members_in(c: &Connection, seq: i64) -> rusqlite::Result<Vec<Member>> {
    c.prepare_cached(
        "SELECT member_id, display FROM group_members WHERE group_seq = ? ORDER BY member_id",
    )?
    .query_map([seq], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

fn write_members(c: &Connection, seq: i64, members: &[Member]) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM group_members WHERE group_seq = ?")?
        .execute([seq])?;
    let mut insert = c.prepare_cached(
        "INSERT INTO group_members (group_seq, member_id, display) VALUES (?, ?, ?)",
    )?;
    for (value, display) in members {
        insert.execute(rusqlite::params![seq, value, display])?;
    }
    Ok(())
}

/// The group `id`, read inside a write, or the SCIM 404.
fn current_or_404(c: &Connection, id: &str) -> Result<GroupRow, ScimError> {
    use super::ListRow;
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = ?"));
    c.prepare_cached(&SQL)?
        .query_row([id], GroupRow::from_row)
        .optional()?
        .ok_or_else(|| not_found(id))
}

impl super::ListRow for GroupRow {
    /// By position, in the order of [`GROUP_COLUMNS`].
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
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
        })
    }

    fn seq(&self) -> i64 {
        self.seq
    }
}

fn display_name(doc: &Map<String, Value>) -> String {
    doc.get("displayName")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

impl Directory {
    pub async fn get_group(&self, base_url: &str, id: &str) -> Result<Value, ScimError> {
        let g = sqlx::query_as::<_, GroupRow>(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups g WHERE g.id = ?"
        ))
        .bind(id)
        .fetch_optional(self.db.reader())
        .await
        .map_err(db_error)?
        .ok_or_else(|| not_found(id))?;
        let members = members_of(self.db.reader(), g.seq)
            .await
            .map_err(db_error)?;
        render(&g, &members, base_url)
    }

    pub async fn list_groups(&self, base_url: &str, q: &ListQuery) -> Result<Value, ScimError> {
        let page = self.list_page::<GroupRow>(&GROUPS, q).await?;
        let (rows, total) = (page.rows, page.total);
        if rows.is_empty() {
            return Ok(list_response(Vec::new(), total, q.start_index));
        }
        // Members of the whole page in one query, unless the client asked to leave them out.
        let want_members = !q
            .excluded_attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case("members"))
            && (q.attributes.is_empty()
                || q.attributes.iter().any(|a| {
                    let a = a.to_ascii_lowercase();
                    a == "members" || a.starts_with("members.") || a.ends_with(":members")
                }));
        let mut members: HashMap<i64, Vec<Member>> = HashMap::new();
        if want_members && !rows.is_empty() {
            let placeholders = vec!["?"; rows.len()].join(",");
            let sql = format!(
                "SELECT group_seq, member_id, display FROM group_members \
                 WHERE group_seq IN ({placeholders}) ORDER BY group_seq, member_id"
            );
            let mut query = sqlx::query_as::<_, (i64, String, Option<String>)>(&sql);
            for g in &rows {
                query = query.bind(g.seq);
            }
            for (seq, value, display) in
                query.fetch_all(self.db.reader()).await.map_err(db_error)?
            {
                members.entry(seq).or_default().push((value, display));
            }
        }
        let resources = rows
            .iter()
            .map(|g| {
                render(
                    g,
                    members.get(&g.seq).map(Vec::as_slice).unwrap_or(&[]),
                    base_url,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(list_response(resources, total, q.start_index))
    }

    pub async fn create_group(&self, ctx: &WriteContext, body: Value) -> Result<Value, ScimError> {
        let subject = body
            .get("displayName")
            .and_then(Value::as_str)
            .map(|s| format!("group '{s}'"))
            .unwrap_or_else(|| "a group".to_owned());
        let result = self.try_create_group(ctx, body).await;
        if let Err(e) = &result {
            self.record_failure(
                ctx,
                Attempt {
                    method: "POST",
                    operation: "create_group",
                    resource_type: RESOURCE,
                    resource_id: None,
                    subject: &subject,
                },
                e,
            )
            .await;
        }
        result
    }

    async fn try_create_group(&self, ctx: &WriteContext, body: Value) -> Result<Value, ScimError> {
        let mut doc = normalize_group(body)?;
        let members = take_members(&mut doc);
        let name = display_name(&doc);
        let external_id = doc
            .get("externalId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let id = uuid::Uuid::new_v4().to_string();
        let writer = ctx.clone();
        let (g, members) = self
            .db
            .write(move |c| -> Result<(GroupRow, Vec<Member>), ScimError> {
                let now = timefmt::now();
                let inserted = c
                    .prepare_cached(
                        "INSERT INTO groups (id, connection_id, external_id, display_name, doc, \
                         version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) \
                         RETURNING seq",
                    )?
                    .query_row(
                        rusqlite::params![
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
                let seq = match inserted {
                    Ok(seq) => seq,
                    Err(e) if is_unique_violation(&e) => return Err(duplicate(&name)),
                    Err(e) => return Err(e.into()),
                };
                write_members(c, seq, &members)?;
                append(
                    c,
                    &writer,
                    NewActivity {
                        method: "POST",
                        operation: "create_group",
                        resource_type: RESOURCE,
                        resource_id: Some(&id),
                        employee_id: None,
                        summary: format!("Created group '{name}' with {} members", members.len()),
                        status: 201,
                        detail: None,
                    },
                )?;
                let g = current_or_404(c, &id)?;
                Ok((g, members))
            })
            .await?;
        self.notify_written(ctx, ChangeEvent::Group { id: g.id.clone() });
        render(&g, &members, &ctx.base_url)
    }

    pub async fn replace_group(
        &self,
        ctx: &WriteContext,
        id: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Result<Value, ScimError> {
        let result = self
            .write_group(ctx, id, if_match, "PUT", move |_| normalize_group(body))
            .await;
        if let Err(e) = &result {
            let subject = format!("group {id}");
            self.record_failure(
                ctx,
                Attempt {
                    method: "PUT",
                    operation: "update_group",
                    resource_type: RESOURCE,
                    resource_id: Some(id),
                    subject: &subject,
                },
                e,
            )
            .await;
        }
        result
    }

    pub async fn patch_group(
        &self,
        ctx: &WriteContext,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Value, ScimError> {
        let result = match parse_patch_request(body) {
            Ok(ops) => {
                self.write_group(ctx, id, if_match, "PATCH", move |current| {
                    let mut resource = Value::Object(current);
                    apply_patch(&mut resource, &ops, &PatchContext::group())?;
                    normalize_group(resource)
                })
                .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            let subject = format!("group {id}");
            self.record_failure(
                ctx,
                Attempt {
                    method: "PATCH",
                    operation: "update_group",
                    resource_type: RESOURCE,
                    resource_id: Some(id),
                    subject: &subject,
                },
                e,
            )
            .await;
        }
        result
    }

    async fn write_group(
        &self,
        ctx: &WriteContext,
        id: &str,
        if_match: Option<&str>,
        method: &'static str,
        change: impl FnOnce(Map<String, Value>) -> Result<Map<String, Value>, ScimError>
            + Send
            + 'static,
    ) -> Result<Value, ScimError> {
        let writer = ctx.clone();
        let (id, if_match) = (id.to_owned(), if_match.map(str::to_owned));
        let (g, members) = self
            .db
            .write(move |c| -> Result<(GroupRow, Vec<Member>), ScimError> {
                let current = current_or_404(c, &id)?;
                check_if_match(if_match.as_deref(), current.version, "group")?;
                let before_members = members_in(c, current.seq)?;
                let mut resource = parse_doc(&current.doc)?;
                resource.insert(
                    "members".into(),
                    Value::Array(
                        before_members
                            .iter()
                            .map(|(value, display)| match display {
                                Some(d) => serde_json::json!({"value": value, "display": d}),
                                None => serde_json::json!({"value": value}),
                            })
                            .collect(),
                    ),
                );
                let mut doc = change(resource)?;
                let members = take_members(&mut doc);
                let name = display_name(&doc);
                let external_id = doc
                    .get("externalId")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let doc_text = Value::Object(doc).to_string();
                let changed = doc_text != current.doc || members != before_members;
                if changed {
                    let updated = c
                        .prepare_cached(
                            "UPDATE groups SET display_name = ?, external_id = ?, doc = ?, \
                             version = version + 1, updated_at = ? WHERE seq = ?",
                        )?
                        .execute(rusqlite::params![
                            name,
                            external_id,
                            doc_text,
                            timefmt::now(),
                            current.seq
                        ]);
                    match updated {
                        Ok(_) => {}
                        Err(e) if is_unique_violation(&e) => return Err(duplicate(&name)),
                        Err(e) => return Err(e.into()),
                    }
                    if members != before_members {
                        write_members(c, current.seq, &members)?;
                    }
                }
                let added = members
                    .iter()
                    .filter(|m| !before_members.iter().any(|b| b.0 == m.0))
                    .count();
                let removed = before_members
                    .iter()
                    .filter(|b| !members.iter().any(|m| m.0 == b.0))
                    .count();
                let summary = if !changed {
                    format!("No change to group '{name}'")
                } else if added + removed > 0 {
                    format!(
                        "Updated group '{name}': {added} added, {removed} removed, {} members",
                        members.len()
                    )
                } else {
                    format!("Updated group '{name}'")
                };
                append(
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
                let g = current_or_404(c, &id)?;
                Ok((g, members))
            })
            .await?;
        self.notify_written(ctx, ChangeEvent::Group { id: g.id.clone() });
        render(&g, &members, &ctx.base_url)
    }

    pub async fn delete_group(
        &self,
        ctx: &WriteContext,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), ScimError> {
        let writer = ctx.clone();
        let (gid, tag) = (id.to_owned(), if_match.map(str::to_owned));
        let result = self
            .db
            .write(move |c| -> Result<(), ScimError> {
                let current = current_or_404(c, &gid)?;
                check_if_match(tag.as_deref(), current.version, "group")?;
                c.prepare_cached("DELETE FROM groups WHERE seq = ?")?
                    .execute([current.seq])?;
                append(
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
                            current.display_name
                        ),
                        status: 204,
                        detail: None,
                    },
                )?;
                Ok(())
            })
            .await;
        match &result {
            Ok(()) => {
                self.notify_written(ctx, ChangeEvent::Group { id: id.to_owned() });
            }
            Err(e) => {
                let subject = format!("group {id}");
                self.record_failure(
                    ctx,
                    Attempt {
                        method: "DELETE",
                        operation: "delete_group",
                        resource_type: RESOURCE,
                        resource_id: Some(id),
                        subject: &subject,
                    },
                    e,
                )
                .await;
            }
        }
        result
    }
}
