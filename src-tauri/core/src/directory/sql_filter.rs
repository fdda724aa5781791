//! Translation of a parsed SCIM [`Filter`] into a SQL `WHERE` fragment, and of a `sortBy`
//! attribute into an `ORDER BY` expression, against the tables of `migrations/` (SQLite) or
//! `migrations-pg/` (PostgreSQL): one translator, the [`Dialect`] choosing the spelling where
//! the engines differ. On PostgreSQL, `doc` is JSONB and is read with `#>`, `#>>`,
//! `jsonb_typeof` and `jsonb_array_elements`; numbers compare as numbers; `eq` without case runs
//! under the `nocase` collation (the lookup indexes' own), `co`/`sw`/`ew` as ILIKE with `%`, `_`
//! and `\` escaped, and orders compare lowercased text byte by byte, as SQLite's NOCASE does.
//!
//! Users are queried as `FROM employees e WHERE e.status <> 'removed' AND (<fragment>)`, groups
//! as `FROM groups g WHERE (<fragment>)`. Mapped attributes use their columns, so Okta's
//! `userName eq` and `email eq` lookups hit the `employees_user_name` / `employees_email`
//! indexes; any other attribute is read from the stored SCIM document (`doc`) with SQLite's JSON
//! functions, with the same meaning as `Filter::matches`.
//!
//! This module is not for running queries, paging, or parsing filters. Values are always bound
//! as `?` parameters; attribute names only reach SQL text after `AttrPath` validation restricted
//! them to letters, digits and `_-$:.`, and then inside a quoted JSON path literal.
//!
//! Known differences from `Filter::matches`:
//! - `email`, `emails`, `emails.value` and `emails[type eq "work"|primary eq true].value` compare
//!   the primary email column only (that is what makes the lookup indexed); a secondary email in
//!   `doc` is not searched by those forms.
//! - SQLite folds case for ASCII letters only; the matcher folds all of Unicode.
//! - JSON keys in `doc` are matched in their canonical SCIM spelling (`givenName`), or as written
//!   in the filter for attributes SCIM does not define, not case-insensitively.
//! - Datetimes in `doc` (outside `meta`) are compared as stored text, without normalisation.
//! - On PostgreSQL, case is folded for every letter (as the matcher does), and a sort by a
//!   document attribute holding values of different JSON types orders them as jsonb does.

use serde_json::Value;

use crate::db::sql::Dialect;
use crate::scim::error::ScimError;
use crate::scim::filter::{normalize_datetime, CompareOp, Filter};
use crate::scim::path::{is_core_urn, AttrPath};
use crate::scim::schema;
use crate::text::quoted;

use crate::scim::schema::ENTERPRISE_USER_SCHEMA as ENTERPRISE;

#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    Text(String),
    Int(i64),
    Real(f64),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SqlFragment {
    pub sql: String,
    pub params: Vec<SqlParam>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    User,
    /// Users, with the attribute mapping changed: attributes whose columns the mapping derives
    /// are read from the document.
    UserDocument,
    Group,
}

impl Kind {
    fn doc(self) -> &'static str {
        match self {
            Kind::User | Kind::UserDocument => "e.doc",
            Kind::Group => "g.doc",
        }
    }
}

#[derive(Clone, Copy)]
enum ColType {
    Text { exact: bool },
    Bool,
    DateTime,
}

enum Target {
    Column(&'static str, ColType),
    /// A column of `group_members`, reached through a subquery on the group's `seq`.
    Member(&'static str),
    Json {
        prefix: Option<String>,
        name: String,
        sub: Option<String>,
    },
}

pub fn user_filter_sql(f: &Filter, dialect: Dialect) -> Result<SqlFragment, ScimError> {
    translate(f, Kind::User, dialect)
}

/// [`user_filter_sql`] for a directory whose attribute mapping moved a built-in field: the
/// columns the mapping derives may no longer hold the attribute a filter names (Job title from a
/// job code, say), so filters on those attributes read the stored documents instead.
pub fn user_document_filter_sql(f: &Filter, dialect: Dialect) -> Result<SqlFragment, ScimError> {
    translate(f, Kind::UserDocument, dialect)
}

pub fn group_filter_sql(f: &Filter, dialect: Dialect) -> Result<SqlFragment, ScimError> {
    translate(f, Kind::Group, dialect)
}

fn translate(f: &Filter, kind: Kind, dialect: Dialect) -> Result<SqlFragment, ScimError> {
    let mut tx = Tx {
        kind,
        dialect,
        params: Vec::new(),
        aliases: 0,
    };
    let sql = tx.filter(f, kind.doc(), true)?;
    Ok(SqlFragment {
        sql,
        params: tx.params,
    })
}

fn invalid(detail: String) -> ScimError {
    ScimError::invalid_filter(detail)
}

/// The schema's spelling of an attribute name, as the stored documents (canonicalised on every
/// write) have it.
fn canonical(name: &str) -> String {
    schema::canonical_name(name)
}

fn safe_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | ':' | '.'))
}

/// A JSON path as a SQL string literal, e.g. `'$."name"."givenName"'`.
fn jpath(keys: &[&str]) -> Result<String, ScimError> {
    let mut s = String::from("'$");
    for k in keys {
        if !safe_key(k) {
            return Err(invalid(format!(
                "'{}' is not an attribute name that can be searched.",
                quoted(k)
            )));
        }
        s.push_str(".\"");
        s.push_str(k);
        s.push('"');
    }
    s.push('\'');
    Ok(s)
}

/// A jsonb path as a PostgreSQL text-array literal, e.g. `'{"name","givenName"}'`: each key
/// quoted, so that no key reads as NULL; [`safe_key`] leaves nothing to escape inside quotes.
fn pg_path(keys: &[&str]) -> Result<String, ScimError> {
    let mut s = String::from("'{");
    for (i, k) in keys.iter().enumerate() {
        if !safe_key(k) {
            return Err(invalid(format!(
                "'{}' is not an attribute name that can be searched.",
                quoted(k)
            )));
        }
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        s.push_str(k);
        s.push('"');
    }
    s.push_str("}'");
    Ok(s)
}

/// The JSON path of `keys` in the dialect's spelling.
fn path_in(dialect: Dialect, keys: &[&str]) -> Result<String, ScimError> {
    match dialect {
        Dialect::Sqlite => jpath(keys),
        Dialect::Postgres => pg_path(keys),
    }
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn like_pattern(op: CompareOp, s: &str) -> String {
    let mut esc = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            esc.push('\\');
        }
        esc.push(c);
    }
    match op {
        CompareOp::Co => format!("%{esc}%"),
        CompareOp::Sw => format!("{esc}%"),
        _ => format!("%{esc}"),
    }
}

fn sql_op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        _ => "=",
    }
}

/// Where an attribute of a user lives; `None` scope means the top level of the document.
fn user_target(p: &AttrPath) -> Target {
    let name = p.name.as_str();
    let sub = p.sub.as_deref();
    let text = |c: &'static str| Target::Column(c, ColType::Text { exact: false });
    let scope_ext = match p.urn.as_deref() {
        None => None,
        Some(u) if is_core_urn(u) => None,
        Some(u) => Some(if eq_ci(u, ENTERPRISE) {
            ENTERPRISE.to_string()
        } else {
            u.to_string()
        }),
    };
    match (scope_ext.as_deref(), sub) {
        (None, None) if eq_ci(name, "id") => {
            return Target::Column("e.id", ColType::Text { exact: true })
        }
        (None, None) if eq_ci(name, "externalId") => {
            return Target::Column("e.external_id", ColType::Text { exact: true })
        }
        (None, None) if eq_ci(name, "userName") => return text("e.user_name"),
        (None, None) if eq_ci(name, "displayName") => return text("e.display_name"),
        (None, None) if eq_ci(name, "title") => return text("e.job_title"),
        (None, None) if eq_ci(name, "active") => return Target::Column("e.active", ColType::Bool),
        (None, None) if eq_ci(name, "email") || eq_ci(name, "emails") => return text("e.email"),
        (None, Some(s)) if eq_ci(name, "emails") && eq_ci(s, "value") => return text("e.email"),
        (None, Some(s)) if eq_ci(name, "name") && eq_ci(s, "givenName") => {
            return text("e.first_name")
        }
        (None, Some(s)) if eq_ci(name, "name") && eq_ci(s, "familyName") => {
            return text("e.last_name")
        }
        (None, Some(s)) if eq_ci(name, "meta") && eq_ci(s, "created") => {
            return Target::Column("e.created_at", ColType::DateTime)
        }
        (None, Some(s)) if eq_ci(name, "meta") && eq_ci(s, "lastModified") => {
            return Target::Column("e.updated_at", ColType::DateTime)
        }
        (Some(ENTERPRISE), None) if eq_ci(name, "department") => return text("e.department"),
        (Some(ENTERPRISE), None) if eq_ci(name, "division") => return text("e.business_unit"),
        (Some(ENTERPRISE), None) if eq_ci(name, "employeeNumber") => return text("e.employee_id"),
        (Some(ENTERPRISE), s) if eq_ci(name, "manager") && s.is_none_or(|s| eq_ci(s, "value")) => {
            return text("e.manager_email")
        }
        _ => {}
    }
    Target::Json {
        prefix: scope_ext,
        name: canonical(name),
        sub: sub.map(canonical),
    }
}

/// The columns the attribute mapping derives (see `attribute_map`).
const MAPPED_COLUMNS: &[&str] = &[
    "e.email",
    "e.display_name",
    "e.job_title",
    "e.first_name",
    "e.last_name",
    "e.department",
    "e.business_unit",
    "e.employee_id",
    "e.manager_email",
];

/// Where an attribute of a user lives when the mapping may have moved the derived columns:
/// the document, for those.
fn user_document_target(p: &AttrPath) -> Target {
    match user_target(p) {
        Target::Column(c, _) if MAPPED_COLUMNS.contains(&c) => Target::Json {
            prefix: match p.urn.as_deref() {
                Some(u) if is_core_urn(u) => None,
                Some(u) if eq_ci(u, ENTERPRISE) => Some(ENTERPRISE.to_string()),
                Some(u) => Some(u.to_string()),
                None => None,
            },
            name: canonical(&p.name),
            sub: p.sub.as_deref().map(canonical),
        },
        other => other,
    }
}

fn group_target(p: &AttrPath) -> Target {
    let name = p.name.as_str();
    let sub = p.sub.as_deref();
    let top = p.urn.as_deref().is_none_or(is_core_urn);
    if top {
        match sub {
            None if eq_ci(name, "id") => {
                return Target::Column("g.id", ColType::Text { exact: true })
            }
            None if eq_ci(name, "externalId") => {
                return Target::Column("g.external_id", ColType::Text { exact: true })
            }
            None if eq_ci(name, "displayName") => {
                return Target::Column("g.display_name", ColType::Text { exact: false })
            }
            None if eq_ci(name, "members") => return Target::Member("m.member_id"),
            Some(s) if eq_ci(name, "members") && eq_ci(s, "value") => {
                return Target::Member("m.member_id")
            }
            Some(s) if eq_ci(name, "members") && eq_ci(s, "display") => {
                return Target::Member("m.display")
            }
            Some(s) if eq_ci(name, "meta") && eq_ci(s, "created") => {
                return Target::Column("g.created_at", ColType::DateTime)
            }
            Some(s) if eq_ci(name, "meta") && eq_ci(s, "lastModified") => {
                return Target::Column("g.updated_at", ColType::DateTime)
            }
            _ => {}
        }
    }
    Target::Json {
        prefix: if top { None } else { p.urn.clone() },
        name: canonical(name),
        sub: sub.map(canonical),
    }
}

/// A value compared against a boolean attribute: Entra writes `"True"`.
fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

struct Tx {
    kind: Kind,
    dialect: Dialect,
    params: Vec<SqlParam>,
    aliases: usize,
}

impl Tx {
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("j{}", self.aliases)
    }

    fn bind(&mut self, p: SqlParam) -> &'static str {
        self.params.push(p);
        "?"
    }

    /// SQL's false: SQLite's 0 (as it always wrote it), PostgreSQL's boolean.
    fn no(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "0",
            Dialect::Postgres => "FALSE",
        }
    }

    /// `doc` is the JSON the attribute paths are relative to; `top` is false inside brackets.
    fn filter(&mut self, f: &Filter, doc: &str, top: bool) -> Result<String, ScimError> {
        Ok(match f {
            Filter::And(a, b) => {
                let a = self.filter(a, doc, top)?;
                let b = self.filter(b, doc, top)?;
                format!("({a} AND {b})")
            }
            Filter::Or(a, b) => {
                let a = self.filter(a, doc, top)?;
                let b = self.filter(b, doc, top)?;
                format!("({a} OR {b})")
            }
            // SQL's NULL would make NOT(NULL) exclude the row; SCIM's `not` is two-valued.
            Filter::Not(a) => {
                let a = self.filter(a, doc, top)?;
                format!("(NOT COALESCE({a}, {}))", self.no())
            }
            Filter::Present(p) => self.present(p, doc, top)?,
            Filter::Compare(p, op, v) => self.compare(p, *op, v, doc, top)?,
            Filter::ValuePath {
                attr,
                filter,
                sub_compare,
            } => {
                if !top {
                    return Err(invalid("Brackets cannot be nested in a filter.".into()));
                }
                self.value_path(attr, filter, sub_compare.as_ref(), doc)?
            }
        })
    }

    fn target(&self, p: &AttrPath, top: bool) -> Target {
        if !top {
            // Inside brackets, names are sub-attributes of one element.
            return Target::Json {
                prefix: None,
                name: canonical(&p.name),
                sub: p.sub.as_deref().map(canonical),
            };
        }
        match self.kind {
            Kind::User => user_target(p),
            Kind::UserDocument => user_document_target(p),
            Kind::Group => group_target(p),
        }
    }

    fn present(&mut self, p: &AttrPath, doc: &str, top: bool) -> Result<String, ScimError> {
        Ok(match self.target(p, top) {
            Target::Column(c, ColType::Text { .. }) => format!("({c} IS NOT NULL AND {c} <> '')"),
            Target::Column(c, _) => format!("({c} IS NOT NULL)"),
            Target::Member(c) => format!(
                "g.seq IN (SELECT m.group_seq FROM group_members m WHERE {c} IS NOT NULL AND {c} <> '')"
            ),
            Target::Json { prefix, name, sub } => {
                self.any_leaf(doc, prefix.as_deref(), &name, sub.as_deref(), false, |tx, v, t| {
                    Ok(match tx.dialect {
                        Dialect::Sqlite => format!(
                            "({t} IS NOT NULL AND {t} <> 'null' AND NOT ({t} = 'text' AND {v} = '') \
                             AND NOT (CASE WHEN {t} = 'array' THEN json_array_length({v}) = 0 ELSE 0 END))"
                        ),
                        Dialect::Postgres => format!(
                            "({t} IS NOT NULL AND {t} <> 'null' AND {v} <> '\"\"'::jsonb AND {v} <> '[]'::jsonb)"
                        ),
                    })
                })?
            }
        })
    }

    fn compare(
        &mut self,
        p: &AttrPath,
        op: CompareOp,
        v: &Value,
        doc: &str,
        top: bool,
    ) -> Result<String, ScimError> {
        if op == CompareOp::Ne {
            let eq = self.compare(p, CompareOp::Eq, v, doc, top)?;
            return Ok(format!("(NOT COALESCE({eq}, {}))", self.no()));
        }
        let what = p.to_string();
        let target = self.target(p, top);
        if v.is_null() && op != CompareOp::Eq {
            return Err(invalid(format!(
                "'{what} {op} null' cannot be evaluated; only eq and ne can compare with null."
            )));
        }
        match target {
            Target::Column(c, ty) => {
                if v.is_null() {
                    return Ok(format!("({c} IS NULL)"));
                }
                self.column_cmp(c, ty, op, v, &what)
            }
            Target::Member(c) => {
                if v.is_null() {
                    return Ok("(g.seq NOT IN (SELECT m.group_seq FROM group_members m))".into());
                }
                let cond = self.column_cmp(c, ColType::Text { exact: false }, op, v, &what)?;
                Ok(format!(
                    "g.seq IN (SELECT m.group_seq FROM group_members m WHERE {cond})"
                ))
            }
            Target::Json { prefix, name, sub } => {
                let exact = schema::is_case_exact(p);
                let boolish = schema::is_boolean(p);
                if v.is_null() {
                    let any = self.any_leaf(
                        doc,
                        prefix.as_deref(),
                        &name,
                        sub.as_deref(),
                        false,
                        |_, _, t| Ok(format!("({t} IS NOT NULL AND {t} <> 'null')")),
                    )?;
                    return Ok(format!("(NOT {any})"));
                }
                let v = match (boolish, as_bool(v)) {
                    (true, Some(b)) => Value::Bool(b),
                    _ => v.clone(),
                };
                self.any_leaf(
                    doc,
                    prefix.as_deref(),
                    &name,
                    sub.as_deref(),
                    true,
                    |tx, val, ty| tx.json_pred(val, ty, op, &v, exact, &what),
                )
            }
        }
    }

    fn column_cmp(
        &mut self,
        c: &str,
        ty: ColType,
        op: CompareOp,
        v: &Value,
        what: &str,
    ) -> Result<String, ScimError> {
        match ty {
            ColType::Bool => {
                let Some(b) = as_bool(v) else {
                    return Err(invalid(format!(
                        "'{what}' is true or false; compare it with true or false, not {}.",
                        quoted(&v.to_string())
                    )));
                };
                if op != CompareOp::Eq {
                    return Err(invalid(format!(
                        "'{what}' is true or false; only eq and ne apply to it, not {op}."
                    )));
                }
                let q = self.bind(SqlParam::Int(i64::from(b)));
                Ok(format!("({c} = {q})"))
            }
            ColType::DateTime => {
                let Some(s) = v.as_str() else {
                    return Err(invalid(format!(
                        "'{what}' is a date and time; compare it with a quoted value like \"2026-11-29T11:09:08Z\"."
                    )));
                };
                // A substring of the stored text (`sw "2026-11"`), compared as the schema says
                // dates compare: without case.
                if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                    return Ok(self.text_cmp(c, op, s, false));
                }
                let Some(n) = normalize_datetime(s) else {
                    return Err(invalid(format!(
                        "'{}' is not a date and time like \"2026-11-29T11:09:08Z\" (RFC 3339), so '{what}' cannot be compared with it.",
                        quoted(s)
                    )));
                };
                Ok(self.text_cmp(c, op, &n, true))
            }
            ColType::Text { exact } => {
                let Some(s) = v.as_str() else {
                    return Err(invalid(format!(
                        "'{what}' is text; compare it with a quoted value, not {}.",
                        quoted(&v.to_string())
                    )));
                };
                Ok(self.text_cmp(c, op, s, exact))
            }
        }
    }

    /// A text comparison that never widens NULL into a match.
    fn text_cmp(&mut self, c: &str, op: CompareOp, s: &str, exact: bool) -> String {
        if self.dialect == Dialect::Postgres {
            return self.pg_text_cmp(c, op, s, exact);
        }
        let coll = if exact { "" } else { " COLLATE NOCASE" };
        match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew if !exact => {
                let q = self.bind(SqlParam::Text(like_pattern(op, s)));
                format!("({c} LIKE {q} ESCAPE '\\')")
            }
            CompareOp::Co => {
                let q = self.bind(SqlParam::Text(s.to_string()));
                format!("(instr({c}, {q}) > 0)")
            }
            CompareOp::Sw => {
                let q1 = self.bind(SqlParam::Text(s.to_string()));
                let q2 = self.bind(SqlParam::Text(s.to_string()));
                format!("(substr({c}, 1, length({q1})) = {q2})")
            }
            CompareOp::Ew => {
                let q1 = self.bind(SqlParam::Text(s.to_string()));
                let q2 = self.bind(SqlParam::Text(s.to_string()));
                let q3 = self.bind(SqlParam::Text(s.to_string()));
                format!(
                    "(length({c}) >= length({q1}) AND substr({c}, length({c}) - length({q2}) + 1) = {q3})"
                )
            }
            _ => {
                let q = self.bind(SqlParam::Text(s.to_string()));
                format!("({c} {} {q}{coll})", sql_op(op))
            }
        }
    }

    /// [`Self::text_cmp`] in PostgreSQL's spelling. Without case, `eq` runs under the `nocase`
    /// collation (the lookup indexes' own); `co`/`sw`/`ew` are LIKE, which PostgreSQL runs as
    /// ILIKE (`db::sql`), with `%`, `_` and `\` escaped; an order compares the lowercased text
    /// byte by byte (collation "C"), as SQLite's NOCASE and the matcher do. With case, orders are
    /// byte orders too.
    fn pg_text_cmp(&mut self, c: &str, op: CompareOp, s: &str, exact: bool) -> String {
        match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew if !exact => {
                let q = self.bind(SqlParam::Text(like_pattern(op, s)));
                format!("({c} LIKE {q} ESCAPE '\\')")
            }
            CompareOp::Co => {
                let q = self.bind(SqlParam::Text(s.to_string()));
                format!("(strpos({c}, {q}) > 0)")
            }
            CompareOp::Sw => {
                let q = self.bind(SqlParam::Text(s.to_string()));
                format!("starts_with({c}, {q})")
            }
            CompareOp::Ew => {
                let q1 = self.bind(SqlParam::Text(s.to_string()));
                let q2 = self.bind(SqlParam::Text(s.to_string()));
                format!("(right({c}, char_length(CAST({q1} AS TEXT))) = {q2})")
            }
            CompareOp::Eq if !exact => {
                let q = self.bind(SqlParam::Text(s.to_string()));
                format!("({c} = {q} COLLATE NOCASE)")
            }
            CompareOp::Eq => {
                let q = self.bind(SqlParam::Text(s.to_string()));
                format!("({c} = {q})")
            }
            _ if !exact => {
                let q = self.bind(SqlParam::Text(s.to_string()));
                format!("(lower({c}) COLLATE \"C\" {} lower({q}))", sql_op(op))
            }
            _ => {
                let q = self.bind(SqlParam::Text(s.to_string()));
                format!("({c} COLLATE \"C\" {} {q})", sql_op(op))
            }
        }
    }

    /// A comparison on one JSON leaf, given SQL for its value and its `json_type` (SQLite), or
    /// for the jsonb value and its `jsonb_typeof` (PostgreSQL).
    fn json_pred(
        &mut self,
        val: &str,
        ty: &str,
        op: CompareOp,
        v: &Value,
        exact: bool,
        what: &str,
    ) -> Result<String, ScimError> {
        if self.dialect == Dialect::Postgres {
            return self.pg_json_pred(val, ty, op, v, exact, what);
        }
        match v {
            Value::String(s) => {
                let cmp = self.text_cmp(val, op, s, exact);
                Ok(format!("({ty} = 'text' AND {cmp})"))
            }
            Value::Number(n) => {
                if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                    return Err(invalid(format!(
                        "'{what} {op}' needs a quoted text value, not the number {n}."
                    )));
                }
                let p = match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => SqlParam::Int(i),
                    (None, Some(f)) => SqlParam::Real(f),
                    _ => return Err(invalid(format!("The number {n} is out of range."))),
                };
                let q = self.bind(p);
                Ok(format!(
                    "({ty} IN ('integer', 'real') AND {val} {} {q})",
                    sql_op(op)
                ))
            }
            Value::Bool(b) => {
                if op != CompareOp::Eq {
                    return Err(invalid(format!(
                        "'{what} {op} {b}' cannot be evaluated; only eq and ne apply to true and false."
                    )));
                }
                Ok(format!("({ty} = '{b}')"))
            }
            _ => Err(invalid(format!(
                "'{what}' cannot be compared with {}.",
                quoted(&v.to_string())
            ))),
        }
    }

    /// [`Self::json_pred`] on a jsonb value `val`: text is its `#>> '{}'`, numbers compare as
    /// numbers (double precision, as SQLite's REAL), booleans as jsonb.
    fn pg_json_pred(
        &mut self,
        val: &str,
        ty: &str,
        op: CompareOp,
        v: &Value,
        exact: bool,
        what: &str,
    ) -> Result<String, ScimError> {
        match v {
            Value::String(s) => {
                let cmp = self.text_cmp(&format!("({val} #>> '{{}}')"), op, s, exact);
                Ok(format!("({ty} = 'string' AND {cmp})"))
            }
            Value::Number(n) => {
                if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                    return Err(invalid(format!(
                        "'{what} {op}' needs a quoted text value, not the number {n}."
                    )));
                }
                let p = match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => SqlParam::Int(i),
                    (None, Some(f)) => SqlParam::Real(f),
                    _ => return Err(invalid(format!("The number {n} is out of range."))),
                };
                let q = self.bind(p);
                // CASE, not AND: the cast must not see a value that is not a number.
                Ok(format!(
                    "(CASE WHEN {ty} = 'number' THEN CAST({val} #>> '{{}}' AS DOUBLE PRECISION) {} CAST({q} AS DOUBLE PRECISION) END)",
                    sql_op(op)
                ))
            }
            Value::Bool(b) => {
                if op != CompareOp::Eq {
                    return Err(invalid(format!(
                        "'{what} {op} {b}' cannot be evaluated; only eq and ne apply to true and false."
                    )));
                }
                Ok(format!("({val} = '{b}'::jsonb)"))
            }
            _ => Err(invalid(format!(
                "'{what}' cannot be compared with {}.",
                quoted(&v.to_string())
            ))),
        }
    }

    /// True when some value the attribute reaches satisfies `pred`, flattening a multi-valued
    /// attribute the way `Filter::matches` does. With `mapped`, a complex value is replaced by
    /// its `value` sub-attribute first.
    #[allow(clippy::too_many_arguments)]
    fn any_leaf(
        &mut self,
        doc: &str,
        prefix: Option<&str>,
        name: &str,
        sub: Option<&str>,
        mapped: bool,
        mut pred: impl FnMut(&mut Self, &str, &str) -> Result<String, ScimError>,
    ) -> Result<String, ScimError> {
        if self.dialect == Dialect::Postgres {
            return self.pg_any_leaf(doc, prefix, name, sub, mapped, pred);
        }
        let mut keys: Vec<&str> = prefix.into_iter().collect();
        keys.push(name);
        let attr_path = jpath(&keys)?;
        if let Some(s) = sub {
            keys.push(s);
        }
        let full_path = jpath(&keys)?;
        let value_path = jpath(&["value"])?;
        let map = |v: String, t: String| -> (String, String) {
            if mapped {
                (
                    format!("(CASE {t} WHEN 'object' THEN json_extract({v}, {value_path}) ELSE {v} END)"),
                    format!("(CASE {t} WHEN 'object' THEN json_type({v}, {value_path}) ELSE {t} END)"),
                )
            } else {
                (v, t)
            }
        };
        let a = self.alias();
        let (ev, et) = match sub {
            Some(s) => {
                let sp = jpath(&[s])?;
                map(
                    format!("(CASE {a}.type WHEN 'object' THEN json_extract({a}.value, {sp}) END)"),
                    format!("(CASE {a}.type WHEN 'object' THEN json_type({a}.value, {sp}) END)"),
                )
            }
            None => map(format!("{a}.value"), format!("{a}.type")),
        };
        let each_pred = pred(self, &ev, &et)?;
        let (sv, st) = map(
            format!("json_extract({doc}, {full_path})"),
            format!("json_type({doc}, {full_path})"),
        );
        let scalar_pred = pred(self, &sv, &st)?;
        Ok(format!(
            "(CASE json_type({doc}, {attr_path}) WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each({doc}, {attr_path}) {a} WHERE {each_pred}) ELSE COALESCE({scalar_pred}, 0) END)"
        ))
    }

    /// [`Self::any_leaf`] over jsonb: `pred` gets a jsonb value and its `jsonb_typeof`.
    fn pg_any_leaf(
        &mut self,
        doc: &str,
        prefix: Option<&str>,
        name: &str,
        sub: Option<&str>,
        mapped: bool,
        mut pred: impl FnMut(&mut Self, &str, &str) -> Result<String, ScimError>,
    ) -> Result<String, ScimError> {
        let mut keys: Vec<&str> = prefix.into_iter().collect();
        keys.push(name);
        let attr_path = pg_path(&keys)?;
        if let Some(s) = sub {
            keys.push(s);
        }
        let full_path = pg_path(&keys)?;
        // `#>` of a key on anything but an object is NULL: no CASE needed to guard it.
        let map = |v: String| -> String {
            if mapped {
                format!("(CASE jsonb_typeof({v}) WHEN 'object' THEN {v} -> 'value' ELSE {v} END)")
            } else {
                v
            }
        };
        let a = self.alias();
        let ev = match sub {
            Some(s) => map(format!("({a}.value #> {})", pg_path(&[s])?)),
            None => map(format!("{a}.value")),
        };
        let each_pred = pred(self, &ev, &format!("jsonb_typeof({ev})"))?;
        let sv = map(format!("({doc} #> {full_path})"));
        let scalar_pred = pred(self, &sv, &format!("jsonb_typeof({sv})"))?;
        Ok(format!(
            "(CASE jsonb_typeof({doc} #> {attr_path}) WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements({doc} #> {attr_path}) {a}(value) WHERE {each_pred}) ELSE COALESCE({scalar_pred}, FALSE) END)"
        ))
    }

    fn value_path(
        &mut self,
        attr: &AttrPath,
        inner: &Filter,
        sub_compare: Option<&(String, CompareOp, Value)>,
        doc: &str,
    ) -> Result<String, ScimError> {
        if let Some((s, op, v)) = sub_compare {
            if *op == CompareOp::Ne {
                let eq = (s.clone(), CompareOp::Eq, v.clone());
                let pos = self.value_path(attr, inner, Some(&eq), doc)?;
                return Ok(format!("(NOT COALESCE({pos}, {}))", self.no()));
            }
        }
        match (self.kind, self.target(attr, true)) {
            (Kind::User, Target::Column("e.email", _)) => {
                if let Some((s, op, v)) = sub_compare {
                    if eq_ci(s, "value") && selects_primary_email(inner) {
                        let p = AttrPath::new("emails");
                        return self.compare(&p, *op, v, doc, true);
                    }
                }
            }
            (Kind::Group, Target::Member(_)) => {
                let mut cond = self.member_filter(inner)?;
                if let Some((s, op, v)) = sub_compare {
                    let sc =
                        self.member_filter(&Filter::Compare(AttrPath::new(s), *op, v.clone()))?;
                    cond = format!("({cond} AND {sc})");
                }
                return Ok(format!(
                    "g.seq IN (SELECT m.group_seq FROM group_members m WHERE {cond})"
                ));
            }
            _ => {}
        }
        let (prefix, name) = match self.target(
            &AttrPath {
                urn: attr.urn.clone(),
                name: attr.name.clone(),
                sub: None,
            },
            true,
        ) {
            Target::Json { prefix, name, .. } => (prefix, name),
            // A mapped scalar column has no elements to filter; read it from the document.
            _ => (
                attr.urn.clone().filter(|u| !is_core_urn(u)).map(|u| {
                    if eq_ci(&u, ENTERPRISE) {
                        ENTERPRISE.to_string()
                    } else {
                        u
                    }
                }),
                canonical(&attr.name),
            ),
        };
        let mut keys: Vec<&str> = prefix.iter().map(String::as_str).collect();
        keys.push(&name);
        let path = path_in(self.dialect, &keys)?;
        let a = self.alias();
        let pg = self.dialect == Dialect::Postgres;
        let elem = if pg {
            format!(
                "(CASE jsonb_typeof({a}.value) WHEN 'object' THEN {a}.value ELSE jsonb_build_object('value', {a}.value) END)"
            )
        } else {
            format!(
                "(CASE {a}.type WHEN 'object' THEN {a}.value ELSE json_object('value', {a}.value) END)"
            )
        };
        let mut each = self.filter(inner, &elem, false)?;
        if let Some((s, op, v)) = sub_compare {
            let sc = self.compare(&AttrPath::new(s), *op, v, &elem, false)?;
            each = format!("({each} AND {sc})");
        }
        let obj = if pg {
            format!("({doc} #> {path})")
        } else {
            format!("json_extract({doc}, {path})")
        };
        let mut single = self.filter(inner, &obj, false)?;
        if let Some((s, op, v)) = sub_compare {
            let sc = self.compare(&AttrPath::new(s), *op, v, &obj, false)?;
            single = format!("({single} AND {sc})");
        }
        Ok(if pg {
            format!(
                "(CASE jsonb_typeof({doc} #> {path}) WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements({doc} #> {path}) {a}(value) WHERE {each}) WHEN 'object' THEN COALESCE({single}, FALSE) ELSE FALSE END)"
            )
        } else {
            format!(
                "(CASE json_type({doc}, {path}) WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each({doc}, {path}) {a} WHERE {each}) WHEN 'object' THEN COALESCE({single}, 0) ELSE 0 END)"
            )
        })
    }

    /// The filter inside `members[...]`, over the `group_members` row `m`.
    fn member_filter(&mut self, f: &Filter) -> Result<String, ScimError> {
        Ok(match f {
            Filter::And(a, b) => {
                let a = self.member_filter(a)?;
                let b = self.member_filter(b)?;
                format!("({a} AND {b})")
            }
            Filter::Or(a, b) => {
                let a = self.member_filter(a)?;
                let b = self.member_filter(b)?;
                format!("({a} OR {b})")
            }
            Filter::Not(a) => {
                let a = self.member_filter(a)?;
                format!("(NOT COALESCE({a}, {}))", self.no())
            }
            Filter::Present(p) => {
                let c = member_column(p)?;
                format!("({c} IS NOT NULL AND {c} <> '')")
            }
            Filter::Compare(p, op, v) => {
                let c = member_column(p)?;
                if v.is_null() {
                    match op {
                        CompareOp::Eq => format!("({c} IS NULL)"),
                        CompareOp::Ne => format!("({c} IS NOT NULL)"),
                        _ => {
                            return Err(invalid(format!(
                                "'members.{p} {op} null' cannot be evaluated."
                            )))
                        }
                    }
                } else if *op == CompareOp::Ne {
                    let eq = self.column_cmp(
                        c,
                        ColType::Text { exact: false },
                        CompareOp::Eq,
                        v,
                        &p.to_string(),
                    )?;
                    format!("(NOT COALESCE({eq}, {}))", self.no())
                } else {
                    self.column_cmp(c, ColType::Text { exact: false }, *op, v, &p.to_string())?
                }
            }
            Filter::ValuePath { .. } => {
                return Err(invalid("Brackets cannot be nested in a filter.".into()))
            }
        })
    }
}

fn member_column(p: &AttrPath) -> Result<&'static str, ScimError> {
    if p.urn.is_none() && p.sub.is_none() {
        if eq_ci(&p.name, "value") {
            return Ok("m.member_id");
        }
        if eq_ci(&p.name, "display") {
            return Ok("m.display");
        }
    }
    Err(invalid(format!(
        "Group members can be filtered on 'value' and 'display' only, not '{p}'."
    )))
}

/// `type eq "work"` or `primary eq true`: the forms that name the email the `email` column holds.
fn selects_primary_email(f: &Filter) -> bool {
    match f {
        Filter::Compare(p, CompareOp::Eq, v) if p.urn.is_none() && p.sub.is_none() => {
            (eq_ci(&p.name, "type") && v.as_str().is_some_and(|s| eq_ci(s, "work")))
                || (eq_ci(&p.name, "primary") && as_bool(v) == Some(true))
        }
        _ => false,
    }
}

fn sort_expr(attr: &str, kind: Kind, dialect: Dialect) -> Result<String, ScimError> {
    if dialect == Dialect::Postgres {
        return pg_sort_expr(attr, kind);
    }
    let p = AttrPath::parse(attr).map_err(|_| {
        ScimError::invalid_value(format!(
            "sortBy '{}' is not an attribute name.",
            quoted(attr)
        ))
    })?;
    let target = match kind {
        Kind::User => user_target(&p),
        Kind::UserDocument => user_document_target(&p),
        Kind::Group => group_target(&p),
    };
    Ok(match target {
        Target::Column(c, ColType::Text { exact: false }) => format!("{c} COLLATE NOCASE"),
        Target::Column(c, _) => c.to_string(),
        // Sorting groups by members has no useful order.
        Target::Member(_) => "NULL".to_string(),
        Target::Json { prefix, name, sub } => {
            let mut keys: Vec<&str> = prefix.iter().map(String::as_str).collect();
            keys.push(&name);
            let multi = sub.is_none() && multi_valued(&name);
            if let Some(s) = &sub {
                keys.push(s);
            }
            let path = jpath(&keys)?;
            if multi {
                // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary value.
                let pv = jpath(&["value"])?;
                let pp = jpath(&["primary"])?;
                format!(
                    "(SELECT json_extract(s.value, {pv}) FROM json_each({doc}, {path}) s ORDER BY json_extract(s.value, {pp}) DESC LIMIT 1)",
                    doc = kind.doc()
                )
            } else {
                format!("json_extract({}, {path})", kind.doc())
            }
        }
    })
}

/// The attributes that sort by their primary value (RFC 7644 §3.4.2.3).
fn multi_valued(name: &str) -> bool {
    matches!(
        name,
        "emails"
            | "phoneNumbers"
            | "addresses"
            | "ims"
            | "photos"
            | "roles"
            | "entitlements"
            | "x509Certificates"
    )
}

/// [`sort_expr`] in PostgreSQL's spelling, ordering as SQLite does: text without case by its
/// lowercased bytes, other text by its bytes (collation "C"), document values as jsonb (numbers
/// as numbers), JSON null as SQL NULL. The caller places NULLs first in ascending order, as
/// SQLite does (see [`nulls_as_sqlite`]).
fn pg_sort_expr(attr: &str, kind: Kind) -> Result<String, ScimError> {
    let p = AttrPath::parse(attr).map_err(|_| {
        ScimError::invalid_value(format!(
            "sortBy '{}' is not an attribute name.",
            quoted(attr)
        ))
    })?;
    let target = match kind {
        Kind::User => user_target(&p),
        Kind::UserDocument => user_document_target(&p),
        Kind::Group => group_target(&p),
    };
    Ok(match target {
        Target::Column(c, ColType::Text { exact: false }) => format!("lower({c}) COLLATE \"C\""),
        Target::Column(c, ColType::Bool) => c.to_string(),
        Target::Column(c, _) => format!("{c} COLLATE \"C\""),
        // NULL for every row, as in SQLite (PostgreSQL refuses a constant in ORDER BY).
        Target::Member(_) => "NULLIF(g.seq, g.seq)".to_string(),
        Target::Json { prefix, name, sub } => {
            let mut keys: Vec<&str> = prefix.iter().map(String::as_str).collect();
            keys.push(&name);
            let multi = sub.is_none() && multi_valued(&name);
            if let Some(s) = &sub {
                keys.push(s);
            }
            let path = pg_path(&keys)?;
            let doc = kind.doc();
            if multi {
                format!(
                    "(SELECT NULLIF(s.value -> 'value', 'null'::jsonb) FROM jsonb_array_elements(CASE jsonb_typeof({doc} #> {path}) WHEN 'array' THEN {doc} #> {path} END) WITH ORDINALITY s(value, n) ORDER BY s.value -> 'primary' DESC NULLS LAST, s.n LIMIT 1)"
                )
            } else {
                format!("NULLIF({doc} #> {path}, 'null'::jsonb)")
            }
        }
    })
}

/// What follows `ORDER BY <expr> ASC|DESC` so that NULLs sort as in SQLite (smallest): nothing
/// in SQLite, `NULLS FIRST`/`NULLS LAST` in PostgreSQL (where NULLs are largest).
pub fn nulls_as_sqlite(dialect: Dialect, descending: bool) -> &'static str {
    match (dialect, descending) {
        (Dialect::Sqlite, _) => "",
        (Dialect::Postgres, false) => " NULLS FIRST",
        (Dialect::Postgres, true) => " NULLS LAST",
    }
}

/// An expression to `ORDER BY`; the caller appends the direction and `, e.seq`.
pub fn user_sort_sql(attr: &str, dialect: Dialect) -> Result<String, ScimError> {
    sort_expr(attr, Kind::User, dialect)
}

/// [`user_sort_sql`] with the attribute mapping changed (see [`user_document_filter_sql`]).
pub fn user_document_sort_sql(attr: &str, dialect: Dialect) -> Result<String, ScimError> {
    sort_expr(attr, Kind::UserDocument, dialect)
}

/// An expression to `ORDER BY`; the caller appends the direction and `, g.seq`.
pub fn group_sort_sql(attr: &str, dialect: Dialect) -> Result<String, ScimError> {
    sort_expr(attr, Kind::Group, dialect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::{params_from_iter, Connection};
    use crate::scim::filter::parse_filter;
    use serde_json::json;

    const ENT: &str = ENTERPRISE;

    /// A database made by the real migrator (every migration, as a data directory gets it), and
    /// a connection to it; the directory is removed with it.
    pub(super) struct Migrated {
        conn: Connection,
        _dir: Option<tempfile::TempDir>,
    }

    impl std::ops::Deref for Migrated {
        type Target = Connection;
        fn deref(&self) -> &Connection {
            &self.conn
        }
    }

    pub(super) fn migrated() -> Migrated {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let db = crate::db::Db::open(dir.path()).await.unwrap();
            db.close().await;
        });
        let conn = Connection::open(dir.path().join(crate::db::DATABASE_FILE)).unwrap();
        Migrated {
            conn,
            _dir: Some(dir),
        }
    }

    /// [`migrated`] on PostgreSQL: a new database on the test cluster, made by the real
    /// PostgreSQL migrator, and a connection to it; `None` (after saying why) without one.
    pub(super) fn migrated_pg() -> Option<Migrated> {
        let url = crate::db::testpg::fresh_database()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let db = crate::db::Db::open_postgres(&url).await.unwrap();
            db.close().await;
        });
        let client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
        Some(Migrated {
            conn: Connection::postgres(client),
            _dir: None,
        })
    }

    /// A migrated database of each engine: SQLite always, PostgreSQL when the tests have one.
    pub(super) fn engines() -> Vec<Migrated> {
        let mut all = vec![migrated()];
        all.extend(migrated_pg());
        all
    }

    fn to_sql(p: &SqlParam) -> crate::db::sql::Value {
        use crate::db::sql::Value as V;
        match p {
            SqlParam::Text(s) => V::Text(s.clone()),
            SqlParam::Int(i) => V::Integer(*i),
            SqlParam::Real(f) => V::Real(*f),
            SqlParam::Null => V::Null,
        }
    }

    fn users() -> Vec<Value> {
        vec![
            json!({
                "id": "u1", "externalId": "00uA", "userName": "Jane.Doe@corp.example",
                "name": {"givenName": "Jane", "familyName": "Doe"}, "displayName": "Jane Doe",
                "title": "Engineer", "active": true,
                "emails": [{"value": "jane.doe@corp.example", "type": "work", "primary": true}],
                "addresses": [{"type": "work", "locality": "Paris", "country": "FR"}],
                "costCode": 42,
                ENT: {"department": "R&D", "division": "Cloud", "employeeNumber": "1001",
                      "manager": {"value": "boss@corp.example"}},
                "meta": {"created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-02-01T00:00:00.000Z"}
            }),
            json!({
                "id": "u2", "externalId": "00uB", "userName": "bob@corp.example",
                "name": {"givenName": "Bob", "familyName": "Brown"}, "active": false,
                "nickName": "",
                "emails": [{"value": "bob@corp.example", "type": "work", "primary": true}],
                "addresses": [{"type": "home", "locality": "Paris"}, {"type": "work", "locality": "Lyon"}],
                "costCode": 7,
                ENT: {"department": "Sales"},
                "meta": {"created": "2026-03-05T10:00:00.000Z", "lastModified": "2026-03-05T10:00:00.000Z"}
            }),
            json!({
                "id": "u3", "userName": "carol_x%@corp.example",
                "displayName": "Carol 'O\"Brien", "active": true,
                "emails": [{"value": "carol@corp.example", "type": "work", "primary": true}],
                "tags": ["a", "b"],
                "meta": {"created": "2026-06-01T00:00:00.000Z", "lastModified": "2026-06-02T00:00:00.000Z"}
            }),
            json!({
                "id": "u4", "externalId": "00uD", "userName": "DAVE@CORP.EXAMPLE",
                "name": {"givenName": "Dave"}, "title": "engineer", "active": true,
                "emails": [],
                ENT: {"department": "r&d", "manager": {"value": "jane.doe@corp.example"}},
                "meta": {"created": "2026-01-01T01:00:00.000Z", "lastModified": "2026-01-01T01:00:00.000Z"}
            }),
        ]
    }

    fn text(v: &Value, ptr: &str) -> Option<String> {
        v.pointer(ptr).and_then(Value::as_str).map(str::to_string)
    }

    /// The fixtures in a database of each engine.
    fn dbs() -> Vec<Migrated> {
        engines().into_iter().map(fill).collect()
    }

    fn db() -> Migrated {
        fill(migrated())
    }

    fn fill(c: Migrated) -> Migrated {
        for u in users() {
            let mut doc = u.clone();
            let m = doc.as_object_mut().unwrap();
            m.remove("id");
            m.remove("meta");
            let ent = |k: &str| text(&u, &format!("/{}/{k}", ENT.replace('/', "~1")));
            let email = u["emails"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|e| e["value"].as_str());
            c.execute(
                "INSERT INTO employees (id, external_id, user_name, email, display_name, first_name, \
                 last_name, job_title, department, business_unit, manager_email, employee_id, active, \
                 status, doc, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                crate::db::sql::params![
                    text(&u, "/id"),
                    text(&u, "/externalId"),
                    text(&u, "/userName"),
                    email,
                    text(&u, "/displayName"),
                    text(&u, "/name/givenName"),
                    text(&u, "/name/familyName"),
                    text(&u, "/title"),
                    ent("department"),
                    ent("division"),
                    ent("manager/value"),
                    ent("employeeNumber"),
                    u["active"].as_bool().unwrap_or(true),
                    if u["active"] == json!(false) { "deactivated" } else { "active" },
                    doc.to_string(),
                    text(&u, "/meta/created"),
                    text(&u, "/meta/lastModified"),
                ],
            )
            .unwrap();
        }
        // A removed employee matches nothing.
        c.execute(
            "INSERT INTO employees (id, user_name, email, status, doc, created_at, updated_at) \
             VALUES ('u9', 'jane.doe@corp.example', 'jane.doe@corp.example', 'removed', '{}', \
             '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            (),
        )
        .unwrap();
        for g in groups() {
            let mut doc = g.clone();
            doc.as_object_mut().unwrap().remove("meta");
            c.execute(
                "INSERT INTO groups (id, external_id, display_name, doc, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                crate::db::sql::params![
                    text(&g, "/id"),
                    text(&g, "/externalId"),
                    text(&g, "/displayName"),
                    doc.to_string(),
                    text(&g, "/meta/created"),
                    text(&g, "/meta/lastModified"),
                ],
            )
            .unwrap();
            let seq = c.last_insert_rowid().unwrap();
            for m in g["members"].as_array().into_iter().flatten() {
                c.execute(
                    "INSERT INTO group_members (group_seq, member_id, display) VALUES (?,?,?)",
                    crate::db::sql::params![seq, m["value"].as_str(), m["display"].as_str()],
                )
                .unwrap();
            }
        }
        c
    }

    fn groups() -> Vec<Value> {
        vec![
            json!({"id": "g1", "externalId": "G1", "displayName": "Sales",
                   "members": [{"value": "u1", "display": "Jane"}, {"value": "u2", "display": "Bob"}],
                   "meta": {"created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-04-01T00:00:00.000Z"}}),
            json!({"id": "g2", "displayName": "Engineering",
                   "members": [{"value": "u4", "display": "Dave"}],
                   "meta": {"created": "2026-05-01T00:00:00.000Z", "lastModified": "2026-05-01T00:00:00.000Z"}}),
            json!({"id": "g3", "displayName": "Empty_%",
                   "meta": {"created": "2026-05-02T00:00:00.000Z", "lastModified": "2026-05-02T00:00:00.000Z"}}),
        ]
    }

    fn query(c: &Connection, sql: &str, frag: &SqlFragment) -> Vec<String> {
        let full = sql.replace("<F>", &frag.sql);
        let mut st = c
            .prepare(&full)
            .unwrap_or_else(|e| panic!("{:?}: {e}: {full}", c.dialect()));
        let rows = st
            .query_map(params_from_iter(frag.params.iter().map(to_sql)), |r| {
                r.get::<_, String>(0)
            })
            .unwrap_or_else(|e| panic!("{:?}: {e}: {full}", c.dialect()));
        let mut ids: Vec<String> = rows.map(|r| r.unwrap()).collect();
        ids.sort();
        ids
    }

    const USERS_SQL: &str =
        "SELECT e.id FROM employees e WHERE e.status <> 'removed' AND (<F>) ORDER BY e.seq";
    const GROUPS_SQL: &str = "SELECT g.id FROM groups g WHERE (<F>) ORDER BY g.seq";

    fn user_ids(c: &Connection, filter: &str) -> Vec<String> {
        let f = parse_filter(filter).unwrap_or_else(|e| panic!("{}", e.detail));
        let frag =
            user_filter_sql(&f, c.dialect()).unwrap_or_else(|e| panic!("{filter}: {}", e.detail));
        query(c, USERS_SQL, &frag)
    }

    fn matcher_ids(resources: &[Value], filter: &str) -> Vec<String> {
        let f = parse_filter(filter).unwrap();
        let mut ids: Vec<String> = resources
            .iter()
            .filter(|r| f.matches(r))
            .map(|r| r["id"].as_str().unwrap_or_default().to_string())
            .collect();
        ids.sort();
        ids
    }

    const USER_FILTERS: &[&str] = &[
        r#"userName eq "jane.doe@corp.example""#,
        r#"USERNAME EQ "JANE.DOE@CORP.EXAMPLE""#,
        r#"userName ne "bob@corp.example""#,
        r#"userName co "corp""#,
        r#"userName sw "JANE""#,
        r#"userName ew ".EXAMPLE""#,
        r#"userName co "_x%""#,
        r#"userName co "x_""#,
        r#"userName co "%""#,
        r#"userName gt "c""#,
        r#"userName le "carol""#,
        r#"userName pr"#,
        r#"title pr"#,
        r#"title eq "engineer""#,
        r#"not (title pr)"#,
        r#"nickName pr"#,
        r#"displayName co "O\"Brien""#,
        r#"displayName co "'O""#,
        r#"name.givenName eq "jane""#,
        r#"name.familyName sw "b""#,
        r#"name.middleName pr"#,
        r#"emails eq "bob@corp.example""#,
        r#"emails.value co "JANE""#,
        r#"emails[type eq "work"].value eq "bob@corp.example""#,
        r#"emails[type eq "work"].value ne "bob@corp.example""#,
        r#"emails[primary eq true].value sw "carol""#,
        r#"emails pr"#,
        r#"emails[type eq "work" and primary eq true]"#,
        r#"emails[primary eq "true"]"#,
        r#"emails[type eq "home"]"#,
        r#"emails.type eq "work""#,
        r#"active eq true"#,
        r#"active eq "False""#,
        r#"active ne true"#,
        r#"externalId eq "00uA""#,
        r#"externalId eq "00ua""#,
        r#"externalId sw "00u""#,
        r#"externalId ew "B""#,
        r#"externalId co "u""#,
        r#"externalId pr"#,
        r#"externalId eq null"#,
        r#"id eq "u1""#,
        r#"id ne "u1""#,
        r#"meta.created gt "2026-03-01T00:00:00Z""#,
        r#"meta.created le "2026-01-01T01:00:00+01:00""#,
        r#"meta.created eq "2026-01-01T02:00:00+01:00""#,
        r#"meta.lastModified ge "2026-02-01T00:00:00Z""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d""#,
        r#"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:DIVISION eq "Cloud""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber sw "10""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "boss@corp.example""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "BOSS@corp.example""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter pr"#,
        r#"addresses[type eq "work" and locality eq "Paris"]"#,
        r#"addresses[type eq "work"].locality eq "Lyon""#,
        r#"addresses[type eq "work"].locality ne "Lyon""#,
        r#"addresses.locality eq "paris""#,
        r#"addresses.locality pr"#,
        r#"addresses[not (type eq "work")]"#,
        r#"costCode gt 10"#,
        r#"costCode eq 7"#,
        r#"costCode ge 7 and costCode lt 42"#,
        r#"costCode eq "7""#,
        r#"costCode le 7.5"#,
        r#"tags eq "b""#,
        r#"tags[value eq "a"]"#,
        r#"tags pr"#,
        r#"nickName eq null"#,
        r#"title eq null"#,
        r#"title ne null"#,
        r#"userName eq "x" or (active eq false and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales")"#,
        r#"not (userName sw "j" or userName sw "b")"#,
        r#"not (not (userName sw "j"))"#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bob""#,
        r#"name pr"#,
        r#"name[givenName eq "Jane"]"#,
        r#"name[givenName sw "D" or familyName eq "doe"]"#,
        r#"userName eq "x' OR '1'='1""#,
        r#"userName eq "x\" OR 1=1 --""#,
    ];

    #[test]
    fn sql_agrees_with_matcher_on_users() {
        let resources = users();
        for c in dbs() {
            for f in USER_FILTERS {
                assert_eq!(
                    user_ids(&c, f),
                    matcher_ids(&resources, f),
                    "{:?}: filter: {f}",
                    c.dialect()
                );
            }
        }
    }

    const GROUP_FILTERS: &[&str] = &[
        r#"displayName eq "sales""#,
        r#"displayName co "_%""#,
        r#"displayName sw "e""#,
        r#"members eq "u1""#,
        r#"members.value eq "U4""#,
        r#"members.display sw "b""#,
        r#"members[value eq "u2"]"#,
        r#"members[display eq "dave" or value eq "u1"]"#,
        r#"members pr"#,
        r#"not (members pr)"#,
        r#"members eq null"#,
        r#"members ne "u1""#,
        r#"externalId eq "G1""#,
        r#"externalId eq "g1""#,
        r#"id eq "g2" or id eq "g3""#,
        r#"meta.created gt "2026-04-30T00:00:00Z""#,
        r#"meta.lastModified lt "2026-04-30T00:00:00Z""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName ew "ING""#,
    ];

    #[test]
    fn sql_agrees_with_matcher_on_groups() {
        let resources = groups();
        for c in dbs() {
            for f in GROUP_FILTERS {
                let parsed = parse_filter(f).unwrap();
                let frag = group_filter_sql(&parsed, c.dialect())
                    .unwrap_or_else(|e| panic!("{f}: {}", e.detail));
                assert_eq!(
                    query(&c, GROUPS_SQL, &frag),
                    matcher_ids(&resources, f),
                    "{:?}: filter: {f}",
                    c.dialect()
                );
            }
        }
    }

    /// A random filter over the attributes, operators and values the fixtures hold (and some
    /// they do not), nested up to `depth`.
    fn random_filter(
        rng: &mut rand::rngs::StdRng,
        attrs: &[&str],
        values: &[&str],
        depth: u32,
    ) -> String {
        use rand::Rng;
        const OPS: &[&str] = &["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];
        if depth > 0 && rng.random_bool(0.4) {
            let a = random_filter(rng, attrs, values, depth - 1);
            let b = random_filter(rng, attrs, values, depth - 1);
            return match rng.random_range(0..3) {
                0 => format!("({a} and {b})"),
                1 => format!("({a} or {b})"),
                _ => format!("not ({a})"),
            };
        }
        let attr = attrs[rng.random_range(0..attrs.len())];
        if rng.random_bool(0.15) {
            return format!("{attr} pr");
        }
        let op = OPS[rng.random_range(0..OPS.len())];
        let value = values[rng.random_range(0..values.len())];
        let value = match rng.random_range(0..3) {
            0 => value.to_ascii_uppercase(),
            1 => value.to_ascii_lowercase(),
            _ => value.to_owned(),
        };
        let literal = match value.as_str() {
            "TRUE" | "true" | "FALSE" | "false" | "NULL" | "null" => value.to_ascii_lowercase(),
            v if v.parse::<f64>().is_ok() => v.to_owned(),
            v => format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")),
        };
        format!("{attr} {op} {literal}")
    }

    /// The property behind every SQL translation: on a database made by the real migrator, the
    /// rows SQL finds for a filter are exactly the resources the in-memory evaluation matches —
    /// for thousands of random filters over every kind of attribute (mapped columns, stored
    /// document attributes, multi-valued, value paths, the extension, dates, numbers, booleans).
    #[test]
    fn sql_and_matcher_agree_on_random_filters() {
        for c in dbs() {
            random_filters_agree(&c);
        }
    }

    fn random_filters_agree(c: &Connection) {
        use rand::SeedableRng;
        let dialect = c.dialect();
        let resources = users();
        let attrs = [
            "userName",
            "id",
            "externalId",
            "displayName",
            "title",
            "active",
            "nickName",
            "costCode",
            "tags",
            "name.givenName",
            "name.familyName",
            "emails",
            "emails.value",
            "emails.type",
            "emails.primary",
            "emails[type eq \"work\"].value",
            "emails[primary eq true]",
            "addresses.locality",
            "addresses[type eq \"work\"].locality",
            "addresses[locality sw \"p\" and type ne \"home\"]",
            "meta.created",
            "meta.lastModified",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        ];
        let values = [
            "jane.doe@corp.example",
            "Jane",
            "doe",
            "corp",
            "bob@corp.example",
            "carol_x%@corp.example",
            "r&d",
            "Sales",
            "Paris",
            "lyon",
            "work",
            "home",
            "00uA",
            "u2",
            "engineer",
            "a",
            "",
            "%",
            "_",
            "O\"Brien",
            "2026-01-01T00:00:00Z",
            "2026-03-05T10:00:00.000Z",
            "42",
            "7",
            "8.5",
            "true",
            "false",
            "null",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7643);
        let (mut compared, mut refused) = (0, 0);
        for _ in 0..3000 {
            let filter = random_filter(&mut rng, &attrs, &values, 2);
            let Ok(parsed) = parse_filter(&filter) else {
                continue;
            };
            match user_filter_sql(&parsed, dialect) {
                Ok(frag) => {
                    compared += 1;
                    assert_eq!(
                        query(c, USERS_SQL, &frag),
                        matcher_ids(&resources, &filter),
                        "{dialect:?}: filter: {filter}"
                    );
                }
                Err(_) => refused += 1,
            }
        }
        assert!(
            compared > 1500,
            "{compared} compared, {refused} refused by SQL"
        );

        let resources = groups();
        let attrs = [
            "displayName",
            "externalId",
            "id",
            "members",
            "members.value",
            "members.display",
            "members[value eq \"u1\"]",
            "members[display sw \"d\"]",
            "meta.created",
            "meta.lastModified",
            "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
        ];
        let values = [
            "sales",
            "Engineering",
            "_%",
            "e",
            "u1",
            "U4",
            "bob",
            "G1",
            "g2",
            "",
            "2026-04-30T00:00:00Z",
            "2026-05-01T00:00:00.000Z",
            "null",
            "true",
            "3",
        ];
        let mut compared = 0;
        for _ in 0..1500 {
            let filter = random_filter(&mut rng, &attrs, &values, 2);
            let Ok(parsed) = parse_filter(&filter) else {
                continue;
            };
            if let Ok(frag) = group_filter_sql(&parsed, dialect) {
                compared += 1;
                assert_eq!(
                    query(c, GROUPS_SQL, &frag),
                    matcher_ids(&resources, &filter),
                    "{dialect:?}: filter: {filter}"
                );
            }
        }
        assert!(compared > 750, "{compared} group filters compared");
    }

    #[test]
    fn okta_lookups_find_deactivated_users_case_insensitively() {
        for c in dbs() {
            okta_lookups(&c);
        }
    }

    fn okta_lookups(c: &Connection) {
        assert_eq!(user_ids(c, r#"userName eq "BOB@CORP.EXAMPLE""#), vec!["u2"]);
        assert_eq!(user_ids(c, r#"email eq "Bob@Corp.Example""#), vec!["u2"]);
        assert_eq!(
            user_ids(c, r#"emails[type eq "work"].value eq "BOB@corp.example""#),
            vec!["u2"]
        );
        assert_eq!(
            user_ids(c, r#"userName eq "jane.doe@corp.example""#),
            vec!["u1"]
        );
        assert!(user_ids(c, r#"userName eq "nobody@corp.example""#).is_empty());
        assert_eq!(
            user_ids(
                c,
                r#"userName eq "bob@corp.example" and emails[type eq "work"].value eq "bob@corp.example""#
            ),
            vec!["u2"]
        );
    }

    fn plan(c: &Connection, filter: &str) -> String {
        let f = parse_filter(filter).unwrap();
        let frag = user_filter_sql(&f, Dialect::Sqlite).unwrap();
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT e.id FROM employees e WHERE e.status <> 'removed' AND ({})",
            frag.sql
        );
        let mut st = c.prepare(&sql).unwrap();
        let rows = st
            .query_map(params_from_iter(frag.params.iter().map(to_sql)), |r| {
                r.get::<_, String>(3)
            })
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn lookups_use_indexes() {
        let c = db();
        let p = plan(&c, r#"userName eq "jane.doe@corp.example""#);
        assert!(p.contains("USING INDEX employees_user_name"), "{p}");
        for f in [
            r#"email eq "jane.doe@corp.example""#,
            r#"emails eq "jane.doe@corp.example""#,
            r#"emails.value eq "jane.doe@corp.example""#,
            r#"emails[type eq "work"].value eq "jane.doe@corp.example""#,
        ] {
            let p = plan(&c, f);
            assert!(p.contains("USING INDEX employees_email"), "{f}: {p}");
        }
        let p = plan(&c, r#"externalId eq "00uA""#);
        assert!(p.contains("USING INDEX employees_external_id"), "{p}");
    }

    /// Okta's lookups use the same indexes on PostgreSQL (migrations-pg: `user_name COLLATE
    /// nocase` where not removed, `email COLLATE nocase`, `external_id`), over 20,000 employees.
    #[test]
    fn lookups_use_indexes_on_postgres() {
        let Some(c) = migrated_pg() else {
            return;
        };
        c.execute_batch(
            "INSERT INTO employees (id, external_id, user_name, email, status, doc, created_at, \
             updated_at) SELECT 'id-' || i, '00u' || i, 'user' || i || '@corp.example', \
             'user' || i || '@corp.example', 'active', '{}', '2026-12-01T00:00:00.000Z', \
             '2026-12-01T00:00:00.000Z' FROM generate_series(1, 20000) i; ANALYZE employees",
        )
        .unwrap();
        let plan = |filter: &str| -> String {
            let f = parse_filter(filter).unwrap();
            let frag = user_filter_sql(&f, Dialect::Postgres).unwrap();
            let sql = format!(
                "EXPLAIN SELECT e.id FROM employees e WHERE e.status <> 'removed' AND ({})",
                frag.sql
            );
            let mut st = c.prepare(&sql).unwrap();
            let rows = st
                .query_map(params_from_iter(frag.params.iter().map(to_sql)), |r| {
                    r.get::<_, String>(0)
                })
                .unwrap();
            rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
        };
        let uses = |p: &str, index: &str| {
            p.contains(&format!("Index Scan using {index} "))
                || p.contains(&format!("Bitmap Index Scan on {index}"))
        };
        let p = plan(r#"userName eq "USER42@corp.example""#);
        assert!(uses(&p, "employees_user_name"), "{p}");
        for f in [
            r#"email eq "user42@corp.example""#,
            r#"emails eq "user42@corp.example""#,
            r#"emails.value eq "user42@corp.example""#,
            r#"emails[type eq "work"].value eq "USER42@corp.example""#,
        ] {
            let p = plan(f);
            assert!(uses(&p, "employees_email"), "{f}: {p}");
        }
        let p = plan(r#"externalId eq "00u42""#);
        assert!(uses(&p, "employees_external_id"), "{p}");
        assert_eq!(
            user_ids(&c, r#"userName eq "USER42@corp.example""#),
            vec!["id-42"]
        );
    }

    #[test]
    fn errors_are_invalid_filter() {
        for f in [
            r#"active gt true"#,
            r#"active eq "maybe""#,
            r#"userName eq 5"#,
            r#"userName gt null"#,
            r#"meta.created gt "yesterday""#,
            r#"costCode co 5"#,
            r#"foo gt true"#,
            r#"members[type eq "User"]"#,
        ] {
            let parsed = parse_filter(f).unwrap();
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                let e = match user_filter_sql(&parsed, dialect)
                    .and_then(|_| group_filter_sql(&parsed, dialect))
                {
                    Ok(_) => panic!("{f} translated"),
                    Err(e) => e,
                };
                assert_eq!(
                    e.scim_type,
                    Some(crate::scim::error::ScimType::InvalidFilter),
                    "{f}"
                );
                assert!(!e.detail.is_empty());
            }
        }
    }

    #[test]
    fn injection_in_names_is_refused_and_values_are_bound() {
        for c in dbs() {
            injection_is_refused(&c);
        }
    }

    fn injection_is_refused(c: &Connection) {
        let dialect = c.dialect();
        let evil = Filter::Compare(
            AttrPath {
                urn: None,
                name: "x\"'); DROP TABLE employees; --".into(),
                sub: None,
            },
            CompareOp::Eq,
            json!("a"),
        );
        assert!(user_filter_sql(&evil, dialect).is_err());
        assert!(group_filter_sql(&evil, dialect).is_err());
        let evil_urn = Filter::Present(AttrPath {
            urn: Some("urn:x'||(SELECT 1)||'".into()),
            name: "a".into(),
            sub: None,
        });
        assert!(user_filter_sql(&evil_urn, dialect).is_err());
        assert!(user_sort_sql("x'); DROP TABLE employees; --", dialect).is_err());
        assert!(user_sort_sql("a\"b", dialect).is_err());
        for f in [
            r#"userName eq "' OR 1=1 --""#,
            r#"nickName eq "'); DROP TABLE employees; --""#,
            r#"addresses[locality eq "x' OR '1'='1"]"#,
        ] {
            let ids = user_ids(c, f);
            assert!(ids.is_empty(), "{f}: {ids:?}");
        }
        let n: i64 = c
            .query_row("SELECT count(*) FROM employees", (), |r| r.get(0))
            .unwrap();
        assert_eq!(n, 5);
    }

    #[test]
    fn sort_expressions_run() {
        for c in dbs() {
            sorts_run(&c);
        }
    }

    fn sorts_run(c: &Connection) {
        let dialect = c.dialect();
        let order = |attr: &str| -> Vec<String> {
            let expr = user_sort_sql(attr, dialect).unwrap();
            let nulls = nulls_as_sqlite(dialect, false);
            let sql = format!(
                "SELECT e.id FROM employees e WHERE e.status <> 'removed' ORDER BY {expr} ASC{nulls}, e.seq"
            );
            let mut st = c.prepare(&sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
            let rows = st.query_map((), |r| r.get::<_, String>(0)).unwrap();
            rows.map(|r| r.unwrap()).collect()
        };
        assert_eq!(order("userName"), vec!["u2", "u3", "u4", "u1"]);
        assert_eq!(order("USERNAME"), vec!["u2", "u3", "u4", "u1"]);
        assert_eq!(order("meta.created"), vec!["u1", "u4", "u2", "u3"]);
        assert_eq!(order("costCode"), vec!["u3", "u4", "u2", "u1"]);
        assert_eq!(order("addresses"), vec!["u1", "u2", "u3", "u4"]);
        assert_eq!(order("phoneNumbers").len(), 4);
        assert_eq!(
            order(&format!("{ENT}:department")),
            vec!["u3", "u1", "u4", "u2"]
        );
        assert_eq!(order("name.familyName"), vec!["u3", "u4", "u2", "u1"]);
        for attr in [
            "displayName",
            "members",
            "meta.lastModified",
            "externalId",
            "custom",
        ] {
            let expr = group_sort_sql(attr, dialect).unwrap();
            let nulls = nulls_as_sqlite(dialect, true);
            let sql = format!("SELECT g.id FROM groups g ORDER BY {expr} DESC{nulls}, g.seq");
            c.prepare(&sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;
    use crate::scim::filter::parse_filter;

    #[test]
    fn longest_filters_still_run() {
        for c in super::tests::engines() {
            longest_filters_run(&c);
        }
    }

    fn longest_filters_run(c: &crate::db::sql::Connection) {
        for (term, join) in [
            ("a pr", " or "),
            ("a pr", " and "),
            ("x eq 1", " or "),
            ("emails[type eq \"w\"]", " or "),
        ] {
            let mut parts = vec![term; 1];
            while (parts.len() + 1) * (term.len() + join.len()) < 4090 {
                parts.push(term);
            }
            let f = parse_filter(&parts.join(join)).unwrap();
            let frag = user_filter_sql(&f, c.dialect()).unwrap();
            let sql = format!(
                "SELECT e.id FROM employees e WHERE e.status <> 'removed' AND ({})",
                frag.sql
            );
            let r = c.prepare(&sql).map(|_| ());
            assert!(
                r.is_ok(),
                "{:?}: {} terms of {term}: {r:?}",
                c.dialect(),
                parts.len()
            );
        }
    }
}
