//! The attribute mapping the admin edits: for each identity provider, the SCIM attribute each
//! directory field comes from, and the admin's own (custom) directory fields.
//!
//! The default mapping is the product's rules in [`super::mapping`] (with their fallbacks: the
//! primary email else the work one, a userName that is an address, a display name made of the
//! given and family names, the work address's city). A field moved to another path reads just
//! that path, through [`SourcePath`]: a core attribute (`title`), a sub-attribute
//! (`name.givenName`), an element of a multi-valued attribute chosen by a filter
//! (`emails[type eq "work"].value`; without a filter, the primary element, else the first), and
//! attributes of the enterprise or any other extension (`urn:…:User:costCenter`).
//!
//! Custom field values are kept as text, typed by their kind: a date as `YYYY-MM-DD` as sent, a
//! date-time normalised to UTC RFC 3339 with milliseconds (`2024-03-01T07:00:00.000Z`); a number as sent (once checked to be one); a boolean as
//! `true` or `false`. A value that does not fit its kind leaves the field empty: it is the
//! identity provider's data, not an error of the request.
//!
//! Not for: userName, externalId and active, which identify the SCIM resource and are never
//! remapped.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::mapping::{employee_fields, EmployeeFields};
use crate::connections::Provider;
use crate::scim::patch_path::{parse_patch_path, PatchPath};
use crate::scim::path::is_core_urn;
use crate::scim::schema::ENTERPRISE_USER_SCHEMA;

/// The type of a directory field's values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    #[default]
    Text,
    Date,
    Number,
    Boolean,
}

impl FieldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Date => "date",
            FieldKind::Number => "number",
            FieldKind::Boolean => "boolean",
        }
    }

    pub fn parse(s: &str) -> Option<FieldKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "string" => Some(FieldKind::Text),
            "date" | "datetime" => Some(FieldKind::Date),
            "number" | "decimal" | "integer" => Some(FieldKind::Number),
            "boolean" | "bool" => Some(FieldKind::Boolean),
            _ => None,
        }
    }

    /// The SCIM attribute type a custom attribute of this kind is advertised with.
    pub fn scim_type(self) -> &'static str {
        match self {
            FieldKind::Text => "string",
            FieldKind::Date => "dateTime",
            FieldKind::Number => "decimal",
            FieldKind::Boolean => "boolean",
        }
    }
}

/// A built-in directory field the admin can map: its key, its label, its default path.
pub struct BuiltIn {
    pub key: &'static str,
    pub label: &'static str,
    pub default_path: &'static str,
}

/// The directory fields, in the order the app shows them, with the default mapping's paths.
pub const BUILT_INS: &[BuiltIn] = &[
    BuiltIn {
        key: "email",
        label: "Email",
        default_path: "emails.value",
    },
    BuiltIn {
        key: "first_name",
        label: "First name",
        default_path: "name.givenName",
    },
    BuiltIn {
        key: "last_name",
        label: "Last name",
        default_path: "name.familyName",
    },
    BuiltIn {
        key: "display_name",
        label: "Display name",
        default_path: "displayName",
    },
    BuiltIn {
        key: "job_title",
        label: "Job title",
        default_path: "title",
    },
    BuiltIn {
        key: "department",
        label: "Department",
        default_path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    },
    BuiltIn {
        key: "business_unit",
        label: "Business unit",
        default_path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
    },
    BuiltIn {
        key: "employee_id",
        label: "Employee ID",
        default_path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    },
    BuiltIn {
        key: "manager",
        label: "Manager",
        default_path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    },
    BuiltIn {
        key: "location",
        label: "Location",
        default_path: "addresses[type eq \"work\"].locality",
    },
];

/// Keys a custom field may not take: the built-in fields', and the employee's other members.
const RESERVED_KEYS: &[&str] = &[
    "user_name",
    "external_id",
    "manager_email",
    "manager_id",
    "active",
    "status",
    "id",
    "custom",
    "groups",
    "connection_id",
    "created_at",
    "updated_at",
];

pub fn built_in(key: &str) -> Option<&'static BuiltIn> {
    BUILT_INS.iter().find(|b| b.key == key)
}

// ---------------------------------------------------------------------------------------------
// Paths

/// A SCIM attribute path a field reads, parsed once.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePath {
    text: String,
    path: PatchPath,
}

impl SourcePath {
    /// Parses `attr`, `attr.sub`, `urn:…:attr[.sub]`, `attr[filter]` or `attr[filter].sub`;
    /// the error says, for the admin, what is wrong with it.
    pub fn parse(input: &str) -> Result<SourcePath, String> {
        let text = input.trim();
        if text.is_empty() {
            return Err("The SCIM path is empty.".into());
        }
        let path = parse_patch_path(text)
            .map_err(|e| e.detail.replacen("The PATCH path", "The SCIM path", 1))?;
        if path.attr.urn.as_deref().is_some_and(is_core_urn) && path.attr.name.is_empty() {
            return Err(format!("The SCIM path '{text}' names no attribute."));
        }
        Ok(SourcePath {
            text: text.to_owned(),
            path,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The extension URN the path is under, when it is not a core one.
    pub fn extension(&self) -> Option<&str> {
        self.path.attr.urn.as_deref().filter(|u| !is_core_urn(u))
    }

    /// The attribute (and sub-attribute) the path names under its schema.
    pub fn attribute(&self) -> (&str, Option<&str>) {
        (
            &self.path.attr.name,
            self.path.attr.sub.as_deref().or(self.path.sub.as_deref()),
        )
    }

    /// The same path, compared as SCIM compares names: without regard to case.
    fn key(&self) -> String {
        self.text.to_ascii_lowercase()
    }

    /// The value the path reaches in a stored document, if any.
    pub fn eval<'a>(&self, doc: &'a Map<String, Value>) -> Option<&'a Value> {
        let attr = &self.path.attr;
        let base = match attr.urn.as_deref() {
            Some(u) if !is_core_urn(u) => get_ci(doc, u)?.as_object()?,
            _ => doc,
        };
        let value = get_ci(base, &attr.name)?;
        let chosen = match (value, &self.path.value_filter) {
            (Value::Array(items), Some(filter)) => items.iter().find(|e| {
                let view = match e {
                    Value::Object(_) => std::borrow::Cow::Borrowed(*e),
                    other => std::borrow::Cow::Owned(serde_json::json!({ "value": other })),
                };
                filter.matches(&view)
            })?,
            (Value::Array(items), None) => items
                .iter()
                .find(|e| {
                    e.get("primary")
                        .is_some_and(|p| p == &Value::Bool(true) || p == "true")
                })
                .or_else(|| items.first())?,
            (single, Some(filter)) => {
                if !filter.matches(single) {
                    return None;
                }
                single
            }
            (single, None) => single,
        };
        match attr.sub.as_deref().or(self.path.sub.as_deref()) {
            Some(sub) => get_ci(chosen.as_object()?, sub),
            None => Some(chosen),
        }
    }
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A value as text of `kind` (see the module's note), or `None` when it does not fit.
pub fn typed(kind: FieldKind, value: &Value) -> Option<String> {
    // A complex value whose `value` is the point (`manager`, an element of a list).
    let value = match value {
        Value::Object(o) => o.get("value")?,
        Value::Array(items) => items.first()?,
        v => v,
    };
    match (kind, value) {
        (_, Value::Null) => None,
        (FieldKind::Text, Value::String(s)) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        (FieldKind::Text, Value::Number(n)) => Some(n.to_string()),
        (FieldKind::Text, Value::Bool(b)) => Some(b.to_string()),
        (FieldKind::Number, Value::Number(n)) => Some(n.to_string()),
        (FieldKind::Number, Value::String(s)) => {
            let s = s.trim();
            s.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(|_| s.to_owned())
        }
        (FieldKind::Boolean, Value::Bool(b)) => Some(b.to_string()),
        (FieldKind::Boolean, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some("true".into()),
            "false" => Some("false".into()),
            _ => None,
        },
        (FieldKind::Date, Value::String(s)) => date(s.trim()),
        _ => None,
    }
}

/// An ISO 8601 date (`2024-03-01`, kept) or date-time (normalised to UTC RFC 3339).
fn date(s: &str) -> Option<String> {
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if time::Date::parse(s, &day).is_ok() {
        return Some(s.to_owned());
    }
    crate::scim::filter::normalize_datetime(s)
}

// ---------------------------------------------------------------------------------------------
// The mapping of one provider

/// A custom directory field's definition (shared by every provider's mapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomFieldColumn {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
}

/// One provider's mapping as stored: the paths of the fields not at their default (`None`:
/// unmapped), and the custom fields it maps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredMapping {
    pub paths: BTreeMap<String, Option<String>>,
    pub allow_shared_paths: bool,
}

/// A provider's mapping ready to derive employees with.
#[derive(Debug, Clone, Default)]
pub struct CompiledMapping {
    /// Built-in fields read from another path than the default (`None`: left empty).
    overrides: Vec<(&'static str, Option<SourcePath>)>,
    custom: Vec<(String, FieldKind, SourcePath)>,
}

impl CompiledMapping {
    /// The mapping `stored` with the custom fields `columns`; a path that no longer parses (it
    /// was checked when saved) reads nothing.
    pub fn new(stored: &StoredMapping, columns: &[CustomFieldColumn]) -> CompiledMapping {
        let mut out = CompiledMapping::default();
        for b in BUILT_INS {
            if let Some(path) = stored.paths.get(b.key) {
                if path.as_deref() == Some(b.default_path) {
                    continue;
                }
                let parsed = path.as_deref().and_then(|p| SourcePath::parse(p).ok());
                out.overrides.push((b.key, parsed));
            }
        }
        for col in columns {
            if let Some(Some(path)) = stored.paths.get(&col.key) {
                if let Ok(p) = SourcePath::parse(path) {
                    out.custom.push((col.key.clone(), col.kind, p));
                }
            }
        }
        out
    }

    pub fn is_default(&self) -> bool {
        self.overrides.is_empty() && self.custom.is_empty()
    }

    /// The employee fields of a stored document under this mapping.
    pub fn derive(&self, doc: &Map<String, Value>) -> EmployeeFields {
        let mut f = employee_fields(doc);
        for (key, path) in &self.overrides {
            let value = path
                .as_ref()
                .and_then(|p| p.eval(doc))
                .and_then(|v| typed(FieldKind::Text, v));
            match *key {
                "email" => f.email = value,
                "first_name" => f.first_name = value,
                "last_name" => f.last_name = value,
                "display_name" => f.display_name = value,
                "job_title" => f.job_title = value,
                "department" => f.department = value,
                "business_unit" => f.business_unit = value,
                "employee_id" => f.employee_id = value,
                "manager" => f.manager_email = value,
                "location" => f.location = value,
                _ => {}
            }
        }
        for (key, kind, path) in &self.custom {
            if let Some(v) = path.eval(doc).and_then(|v| typed(*kind, v)) {
                f.custom.insert(key.clone(), v);
            }
        }
        f
    }
}

/// The custom values as stored in `employees.custom`.
pub(crate) fn custom_json(f: &EmployeeFields) -> String {
    serde_json::to_string(&f.custom).unwrap_or_else(|_| "{}".into())
}

// ---------------------------------------------------------------------------------------------
// Views and input

/// The attribute mapping of one provider, as the app shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AttributeMapping {
    pub provider: Provider,
    pub fields: Vec<MappedField>,
    pub is_default: bool,
    pub allow_shared_paths: bool,
    pub rederive: Option<RederiveProgress>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MappedField {
    /// `job_title`, or a custom field's key (`cost_center`).
    pub key: String,
    /// As the admin sees it everywhere (`Job title`).
    pub label: String,
    pub kind: FieldKind,
    pub custom: bool,
    /// The SCIM path; `None` when not mapped (never for email).
    pub path: Option<String>,
    /// Built-in fields only.
    pub default_path: Option<String>,
    /// True for email, which must stay mapped.
    pub required: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct MappingInput {
    pub fields: Vec<MappedFieldInput>,
    pub allow_shared_paths: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MappedFieldInput {
    pub key: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub kind: FieldKind,
    #[serde(default)]
    pub custom: bool,
    #[serde(default)]
    pub path: Option<String>,
}

/// A SCIM attribute path seen in stored documents, with up to three example values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SeenAttribute {
    pub path: String,
    pub examples: Vec<String>,
    /// Of the employees sampled, how many carry it.
    pub employees: u64,
}

/// A re-derive under way: `done` of `total` employees of `provider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RederiveProgress {
    pub provider: Provider,
    pub done: u64,
    pub total: u64,
}

/// What a mapping export holds, and an import reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedMapping {
    #[serde(default)]
    pub provider: Option<Provider>,
    #[serde(default)]
    pub allow_shared_paths: bool,
    pub fields: Vec<MappedFieldInput>,
}

/// A mapping refused, on the field at fault (`fields.job_title`, `fields.cost_center.label`,
/// `json`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MappingError {
    pub field: String,
    pub message: String,
}

impl MappingError {
    fn on(field: impl Into<String>, message: impl Into<String>) -> MappingError {
        MappingError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The view of a provider's mapping.
pub fn view(
    provider: Provider,
    stored: &StoredMapping,
    columns: &[CustomFieldColumn],
    rederive: Option<RederiveProgress>,
) -> AttributeMapping {
    let mut fields: Vec<MappedField> = BUILT_INS
        .iter()
        .map(|b| MappedField {
            key: b.key.into(),
            label: b.label.into(),
            kind: FieldKind::Text,
            custom: false,
            path: match stored.paths.get(b.key) {
                Some(p) => p.clone(),
                None => Some(b.default_path.into()),
            },
            default_path: Some(b.default_path.into()),
            required: b.key == "email",
        })
        .collect();
    fields.extend(columns.iter().map(|c| MappedField {
        key: c.key.clone(),
        label: c.label.clone(),
        kind: c.kind,
        custom: true,
        path: stored.paths.get(&c.key).cloned().flatten(),
        default_path: None,
        required: false,
    }));
    let is_default = fields
        .iter()
        .all(|f| !f.custom && f.path == f.default_path || f.custom && f.path.is_none());
    AttributeMapping {
        provider,
        fields,
        is_default,
        allow_shared_paths: stored.allow_shared_paths,
        rederive,
    }
}

/// The input that gives back `mapping` (for an export, and a change of one field).
pub fn input_of(mapping: &AttributeMapping) -> MappingInput {
    MappingInput {
        fields: mapping
            .fields
            .iter()
            .map(|f| MappedFieldInput {
                key: f.key.clone(),
                label: f.label.clone(),
                kind: f.kind,
                custom: f.custom,
                path: f.path.clone(),
            })
            .collect(),
        allow_shared_paths: mapping.allow_shared_paths,
    }
}

fn valid_custom_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The key the app derives from a custom field's label: lowercase, `_` for runs of other
/// characters (and a leading `f_` when it would start with a digit).
pub fn key_from_label(label: &str) -> String {
    let mut key = String::new();
    for c in label.trim().chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_').to_owned();
    let key = if key.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{key}")
    } else {
        key
    };
    key.chars().take(40).collect()
}

/// A validated mapping: what to store for the provider, and the custom fields it defines (in
/// the order given).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidMapping {
    pub stored: StoredMapping,
    pub columns: Vec<CustomFieldColumn>,
}

/// Checks `input` for the admin: every path a SCIM path, no two fields from one path unless
/// `allow_shared_paths`, email mapped, labels present and unique, custom keys well formed and
/// not a built-in's. Built-in fields the input leaves out keep their default.
pub fn validate(input: &MappingInput) -> Result<ValidMapping, MappingError> {
    let mut stored = StoredMapping {
        paths: BTreeMap::new(),
        allow_shared_paths: input.allow_shared_paths,
    };
    let mut columns = Vec::new();
    // Every built-in field is there, listed or not, with its label.
    let mut labels: HashMap<String, String> = BUILT_INS
        .iter()
        .map(|b| (b.label.to_lowercase(), b.key.to_owned()))
        .collect();
    let mut seen_keys = std::collections::HashSet::new();
    // (path key, field key, label) of every mapped field, for the shared-path check.
    let mut paths: Vec<(String, String, String)> = Vec::new();
    for f in &input.fields {
        let key = f.key.trim();
        if !seen_keys.insert(key.to_owned()) {
            return Err(MappingError::on(
                format!("fields.{key}"),
                format!("The field '{key}' is listed twice."),
            ));
        }
        let label = if f.custom {
            if !valid_custom_key(key) {
                return Err(MappingError::on(
                    format!("fields.{key}"),
                    format!(
                        "'{key}' cannot be a custom field's key: a key is 1 to 40 lowercase \
                         letters, digits and '_', starting with a letter."
                    ),
                ));
            }
            if built_in(key).is_some() || RESERVED_KEYS.contains(&key) {
                return Err(MappingError::on(
                    format!("fields.{key}"),
                    format!(
                        "'{key}' is a built-in field of the directory: give the custom field \
                         another name."
                    ),
                ));
            }
            let label = f.label.trim();
            if label.is_empty() {
                return Err(MappingError::on(
                    format!("fields.{key}.label"),
                    "Give the custom field a name.",
                ));
            }
            if label.chars().count() > 60 {
                return Err(MappingError::on(
                    format!("fields.{key}.label"),
                    "A field's name is at most 60 characters.",
                ));
            }
            if label.chars().any(char::is_control) {
                return Err(MappingError::on(
                    format!("fields.{key}.label"),
                    "A field's name cannot hold control characters.",
                ));
            }
            columns.push(CustomFieldColumn {
                key: key.to_owned(),
                label: label.to_owned(),
                kind: f.kind,
            });
            label.to_owned()
        } else {
            match built_in(key) {
                Some(b) => b.label.to_owned(),
                None => {
                    return Err(MappingError::on(
                        format!("fields.{key}"),
                        format!(
                            "'{key}' is not a field of the directory. To add one, mark it as a \
                             custom field with a name and a type."
                        ),
                    ))
                }
            }
        };
        if let Some(other) = labels
            .insert(label.to_lowercase(), key.to_owned())
            .filter(|other| other != key)
        {
            return Err(MappingError::on(
                format!("fields.{key}.label"),
                format!("Another field ('{other}') is already named '{label}'."),
            ));
        }
        let path = f.path.as_deref().map(str::trim).filter(|p| !p.is_empty());
        let path = match path {
            Some(p) => Some(
                SourcePath::parse(p)
                    .map_err(|why| MappingError::on(format!("fields.{key}.path"), why))?,
            ),
            None => None,
        };
        if key == "email" && path.is_none() {
            return Err(MappingError::on(
                "fields.email.path",
                "The email must stay mapped: it is how SCIM Desk and Okta know each employee.",
            ));
        }
        if let Some(p) = &path {
            paths.push((p.key(), key.to_owned(), label.clone()));
        }
        match built_in(key) {
            Some(b) if path.as_ref().map(SourcePath::as_str) == Some(b.default_path) => {}
            _ => {
                if f.custom && path.is_none() {
                    // A custom field this provider does not map: defined, not stored here.
                } else {
                    stored
                        .paths
                        .insert(key.to_owned(), path.map(|p| p.as_str().to_owned()));
                }
            }
        }
    }
    // Built-in fields left out keep their default, which counts for shared paths too (first,
    // so that a clash is reported on the field the input moved).
    let defaults = BUILT_INS
        .iter()
        .filter(|b| !seen_keys.contains(b.key))
        .map(|b| {
            (
                b.default_path.to_ascii_lowercase(),
                b.key.to_owned(),
                b.label.to_owned(),
            )
        });
    let paths: Vec<_> = defaults.chain(paths).collect();
    if !input.allow_shared_paths {
        let mut first: HashMap<&str, (&str, &str)> = HashMap::new();
        for (path, key, label) in &paths {
            if let Some((_, other_label)) = first.insert(path, (key, label)) {
                return Err(MappingError::on(
                    format!("fields.{key}.path"),
                    format!(
                        "{label} and {other_label} would both come from the same SCIM attribute. \
                         Choose another attribute for one of them, or allow fields to share one."
                    ),
                ));
            }
        }
    }
    Ok(ValidMapping { stored, columns })
}

// ---------------------------------------------------------------------------------------------
// Storage

/// The custom fields, in the order the admin defined them.
pub(crate) fn load_columns(
    c: &crate::db::sql::Connection,
) -> crate::db::sql::Result<Vec<CustomFieldColumn>> {
    c.prepare_cached("SELECT key, label, kind FROM custom_fields ORDER BY position, key")?
        .query_map((), |r| {
            Ok(CustomFieldColumn {
                key: r.get(0)?,
                label: r.get(1)?,
                kind: FieldKind::parse(&r.get::<_, String>(2)?).unwrap_or_default(),
            })
        })?
        .collect()
}

/// The stored mapping of `provider` (the default when there is none).
pub(crate) fn load_stored(
    c: &crate::db::sql::Connection,
    provider: Provider,
) -> crate::db::sql::Result<StoredMapping> {
    use crate::db::sql::OptionalExtension;
    let row: Option<(String, bool)> = c
        .prepare_cached(
            "SELECT fields, allow_shared_paths FROM attribute_mappings WHERE provider = ?",
        )?
        .query_row([provider.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match row {
        Some((fields, allow_shared_paths)) => StoredMapping {
            paths: serde_json::from_str(&fields).unwrap_or_default(),
            allow_shared_paths,
        },
        None => StoredMapping::default(),
    })
}

/// Saves `valid` as `provider`'s mapping: its custom field definitions (added or changed), and
/// the custom fields no provider maps any more removed.
pub(crate) fn store(
    c: &crate::db::sql::Connection,
    provider: Provider,
    valid: &ValidMapping,
) -> crate::db::sql::Result<()> {
    let existing = load_columns(c)?;
    let mut position = existing.len() as i64;
    for col in &valid.columns {
        match existing.iter().find(|e| e.key == col.key) {
            Some(e) if e == col => {}
            Some(_) => {
                c.prepare_cached("UPDATE custom_fields SET label = ?, kind = ? WHERE key = ?")?
                    .execute(crate::db::sql::params![
                        col.label,
                        col.kind.as_str(),
                        col.key
                    ])?;
            }
            None => {
                c.prepare_cached(
                    "INSERT INTO custom_fields (key, label, kind, position) VALUES (?, ?, ?, ?)",
                )?
                .execute(crate::db::sql::params![
                    col.key,
                    col.label,
                    col.kind.as_str(),
                    position
                ])?;
                position += 1;
            }
        }
    }
    if valid.stored == StoredMapping::default() {
        c.prepare_cached("DELETE FROM attribute_mappings WHERE provider = ?")?
            .execute([provider.as_str()])?;
    } else {
        c.prepare_cached(
            "INSERT INTO attribute_mappings (provider, fields, allow_shared_paths) \
             VALUES (?1, ?2, ?3) ON CONFLICT (provider) DO UPDATE SET fields = ?2, \
             allow_shared_paths = ?3",
        )?
        .execute(crate::db::sql::params![
            provider.as_str(),
            serde_json::to_string(&valid.stored.paths).unwrap_or_else(|_| "{}".into()),
            valid.stored.allow_shared_paths
        ])?;
    }
    // A custom field no provider maps, and the input did not list, is removed.
    let mut mapped = std::collections::HashSet::new();
    for p in Provider::ALL {
        for (k, v) in load_stored(c, p)?.paths {
            if v.is_some() {
                mapped.insert(k);
            }
        }
    }
    for col in load_columns(c)? {
        let listed = valid.columns.iter().any(|v| v.key == col.key);
        if !listed && !mapped.contains(&col.key) {
            c.prepare_cached("DELETE FROM custom_fields WHERE key = ?")?
                .execute([&col.key])?;
        }
    }
    Ok(())
}

/// Whether any provider's mapping reads a built-in field from another path than its default.
pub(crate) fn built_ins_moved(c: &crate::db::sql::Connection) -> crate::db::sql::Result<bool> {
    c.prepare_cached(c.pick(
        "SELECT EXISTS (SELECT 1 FROM attribute_mappings m, json_each(m.fields) j \
         WHERE j.key IN ('email', 'first_name', 'last_name', 'display_name', 'job_title', \
         'department', 'business_unit', 'employee_id', 'manager', 'location'))",
        "SELECT EXISTS (SELECT 1 FROM attribute_mappings m, jsonb_each(m.fields) j \
         WHERE j.key IN ('email', 'first_name', 'last_name', 'display_name', 'job_title', \
         'department', 'business_unit', 'employee_id', 'manager', 'location'))",
    ))?
    .query_row((), |r| r.get(0))
}

/// The compiled mappings of this process, valid for one `mapping` generation of the database:
/// a change made by any process (the CLI beside the app) is seen on the next write.
#[derive(Debug, Default)]
pub(crate) struct MappingCache {
    generation: i64,
    maps: HashMap<Provider, Arc<CompiledMapping>>,
}

/// The mapping this process last derived `provider`'s writes with, if any: to derive before the
/// writing transaction, which [`mapping_for`] then confirms (the same `Arc`) or replaces.
pub(crate) fn cached_mapping(
    cache: &Mutex<MappingCache>,
    provider: Provider,
) -> Option<Arc<CompiledMapping>> {
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .maps
        .get(&provider)
        .cloned()
}

/// The mapping `provider`'s writes derive with, read inside the writing transaction: one read
/// of the generation counter when it is cached.
pub(crate) fn mapping_for(
    cache: &Mutex<MappingCache>,
    c: &crate::db::sql::Connection,
    provider: Provider,
) -> crate::db::sql::Result<Arc<CompiledMapping>> {
    let generation: i64 = c
        .prepare_cached("SELECT mapping FROM generation WHERE id = 1")?
        .query_row((), |r| r.get(0))?;
    {
        let mut cached = cache.lock().unwrap_or_else(|p| p.into_inner());
        if cached.generation != generation {
            cached.maps.clear();
            cached.generation = generation;
        }
        if let Some(m) = cached.maps.get(&provider) {
            return Ok(m.clone());
        }
    }
    let compiled = Arc::new(CompiledMapping::new(
        &load_stored(c, provider)?,
        &load_columns(c)?,
    ));
    let mut cached = cache.lock().unwrap_or_else(|p| p.into_inner());
    if cached.generation == generation {
        cached.maps.insert(provider, compiled.clone());
    }
    Ok(compiled)
}

/// The provider of an employee row `e`, as SQL: its connection's, and Okta's for an employee
/// whose connection was deleted (or who came from no connection).
pub(crate) const EMPLOYEE_PROVIDER_SQL: &str =
    "coalesce((SELECT p.provider FROM connections p WHERE p.id = e.connection_id), 'okta')";

/// Every attribute path a document carries, with its value as text: scalars, sub-attributes,
/// each typed element of a multi-valued attribute (`emails[type eq "work"].value`) and its
/// primary or first one (`emails.value`), under their extension URN where they are in one.
pub fn seen_paths(doc: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    fn walk(prefix: &str, obj: &Map<String, Value>, out: &mut Vec<(String, String)>) {
        for (name, v) in obj {
            if matches!(
                name.as_str(),
                "schemas" | "id" | "meta" | "password" | "groups"
            ) {
                continue;
            }
            if name.starts_with("urn:") || name.starts_with("URN:") {
                if let Value::Object(ext) = v {
                    walk(&format!("{name}:"), ext, out);
                }
                continue;
            }
            let path = format!("{prefix}{name}");
            match v {
                Value::Object(sub) => {
                    for (s, sv) in sub {
                        if let Some(text) = scalar(sv) {
                            out.push((format!("{path}.{s}"), text));
                        }
                    }
                }
                Value::Array(items) => {
                    let chosen = items
                        .iter()
                        .find(|e| e.get("primary") == Some(&Value::Bool(true)))
                        .or_else(|| items.first());
                    for item in items {
                        match item {
                            Value::Object(el) => {
                                let ty = el.get("type").and_then(Value::as_str);
                                for (s, sv) in el {
                                    if matches!(s.as_str(), "type" | "primary") {
                                        continue;
                                    }
                                    let Some(text) = scalar(sv) else { continue };
                                    if let Some(ty) = ty {
                                        let ty = ty.replace('"', "");
                                        out.push((
                                            format!("{path}[type eq \"{ty}\"].{s}"),
                                            text.clone(),
                                        ));
                                    }
                                    if Some(item) == chosen {
                                        out.push((format!("{path}.{s}"), text));
                                    }
                                }
                            }
                            other => {
                                if Some(other) == chosen {
                                    if let Some(text) = scalar(other) {
                                        out.push((path.clone(), text));
                                    }
                                }
                            }
                        }
                    }
                }
                other => {
                    if let Some(text) = scalar(other) {
                        out.push((path, text));
                    }
                }
            }
        }
    }
    walk("", doc, out);
}

/// Documents read for [`seen_paths`]: the newest employees of the provider, enough to see what
/// it sends, few enough to answer at once at a million employees.
pub const SOURCES_SAMPLE: u64 = 2_000;

/// Tallies the paths of `docs`: each path with the number of documents carrying it and up to
/// three distinct examples, most common first.
pub fn tally_sources<'a>(
    docs: impl IntoIterator<Item = &'a Map<String, Value>>,
) -> Vec<SeenAttribute> {
    let mut tally: HashMap<String, (u64, Vec<String>)> = HashMap::new();
    let mut paths = Vec::new();
    for doc in docs {
        paths.clear();
        seen_paths(doc, &mut paths);
        let mut counted = std::collections::HashSet::new();
        for (path, value) in paths.drain(..) {
            let entry = tally.entry(path.clone()).or_default();
            if counted.insert(path) {
                entry.0 += 1;
            }
            if entry.1.len() < 3 && !entry.1.contains(&value) {
                entry.1.push(value.chars().take(80).collect());
            }
        }
    }
    let mut out: Vec<SeenAttribute> = tally
        .into_iter()
        .map(|(path, (employees, examples))| SeenAttribute {
            path,
            examples,
            employees,
        })
        .collect();
    out.sort_by(|a, b| b.employees.cmp(&a.employees).then(a.path.cmp(&b.path)));
    out
}

/// The extension URNs (other than the enterprise one) that custom fields read from, with their
/// attributes (name, kind), for `/Schemas`.
pub fn custom_extensions(
    mappings: &[StoredMapping],
    columns: &[CustomFieldColumn],
) -> BTreeMap<String, Vec<(String, FieldKind)>> {
    let mut out: BTreeMap<String, Vec<(String, FieldKind)>> = BTreeMap::new();
    for m in mappings {
        for col in columns {
            let Some(Some(path)) = m.paths.get(&col.key) else {
                continue;
            };
            let Ok(p) = SourcePath::parse(path) else {
                continue;
            };
            let Some(urn) = p.extension() else { continue };
            if urn.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
                continue;
            }
            let urn = out
                .keys()
                .find(|k| k.eq_ignore_ascii_case(urn))
                .cloned()
                .unwrap_or_else(|| urn.to_owned());
            let attrs = out.entry(urn).or_default();
            let name = p.attribute().0.to_owned();
            if !attrs.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                attrs.push((name, col.kind));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::mapping::normalize_user;
    use serde_json::json;

    const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";

    fn doc() -> Map<String, Value> {
        normalize_user(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_SCHEMA, ACME],
            "userName": "jane@corp.example",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "title": "Engineer",
            "emails": [{"value": "home@mail.example", "type": "home"},
                       {"value": "jane@corp.example", "type": "work", "primary": true}],
            "addresses": [{"type": "home", "locality": "Lyon"}, {"type": "work", "locality": "Paris"}],
            "phoneNumbers": [{"value": "+33 1", "type": "mobile"}],
            ENTERPRISE_USER_SCHEMA: {"department": "R&D", "manager": {"value": "boss@corp.example"}},
            ACME: {"jobCode": "ENG-2", "costCenter": 4711, "startDate": "2024-03-01",
                   "hiredAt": "2024-03-01T09:00:00+02:00", "remote": "True", "level": "senior"}
        }))
        .unwrap()
    }

    fn eval(path: &str) -> Option<Value> {
        SourcePath::parse(path).unwrap().eval(&doc()).cloned()
    }

    #[test]
    fn paths_reach_core_sub_filtered_and_extension_attributes() {
        assert_eq!(eval("title"), Some(json!("Engineer")));
        assert_eq!(eval("TITLE"), Some(json!("Engineer")), "names ignore case");
        assert_eq!(eval("name.givenName"), Some(json!("Jane")));
        assert_eq!(
            eval("emails[type eq \"home\"].value"),
            Some(json!("home@mail.example"))
        );
        assert_eq!(
            eval("emails.value"),
            Some(json!("jane@corp.example")),
            "the primary"
        );
        assert_eq!(
            eval("addresses.locality"),
            Some(json!("Lyon")),
            "else the first"
        );
        assert_eq!(eval("phoneNumbers[type eq \"work\"].value"), None);
        assert_eq!(
            eval(&format!("{ENTERPRISE_USER_SCHEMA}:manager.value")),
            Some(json!("boss@corp.example"))
        );
        assert_eq!(eval(&format!("{ACME}:jobCode")), Some(json!("ENG-2")));
        assert_eq!(eval(&format!("{ACME}:nothing")), None);
        assert_eq!(eval("urn:other:ext:User:jobCode"), None);
    }

    #[test]
    fn bad_paths_are_refused_with_a_reason() {
        for (path, needle) in [
            ("", "empty"),
            ("title.a.b", "at most one '.'"),
            ("emails[type eq \"work\"", "never closed"),
            ("emails[type eq].value", "inside the brackets"),
            ("job title", "not allowed"),
            ("urn:", "URN"),
        ] {
            let why = SourcePath::parse(path).unwrap_err();
            assert!(why.contains(needle), "{path}: {why}");
            assert!(!why.contains("PATCH"), "{why}");
        }
    }

    #[test]
    fn values_are_typed_by_kind_and_a_misfit_is_empty() {
        use FieldKind::*;
        for (kind, value, want) in [
            (Text, json!(" ENG "), Some("ENG")),
            (Text, json!(42), Some("42")),
            (Text, json!({"value": "boss"}), Some("boss")),
            (Number, json!(4711), Some("4711")),
            (Number, json!("12.5"), Some("12.5")),
            (Number, json!("twelve"), None),
            (Boolean, json!("True"), Some("true")),
            (Boolean, json!(false), Some("false")),
            (Boolean, json!("yes"), None),
            (Date, json!("2024-03-01"), Some("2024-03-01")),
            (
                Date,
                json!("2024-03-01T09:00:00+02:00"),
                Some("2024-03-01T07:00:00.000Z"),
            ),
            (Date, json!("2024-13-01"), None),
            (Date, json!("soon"), None),
            (Date, json!(3), None),
        ] {
            assert_eq!(typed(kind, &value).as_deref(), want, "{kind:?} {value}");
        }
    }

    fn input(fields: &[(&str, &str, FieldKind, bool, Option<&str>)]) -> MappingInput {
        MappingInput {
            fields: fields
                .iter()
                .map(|(key, label, kind, custom, path)| MappedFieldInput {
                    key: (*key).into(),
                    label: (*label).into(),
                    kind: *kind,
                    custom: *custom,
                    path: path.map(str::to_owned),
                })
                .collect(),
            allow_shared_paths: false,
        }
    }

    #[test]
    fn the_default_mapping_derives_todays_fields() {
        let m = CompiledMapping::new(&StoredMapping::default(), &[]);
        assert!(m.is_default());
        for n in 0..20 {
            let d = normalize_user(crate::directory::bulk::synthetic_user(n)).unwrap();
            assert_eq!(m.derive(&d), employee_fields(&d));
        }
        assert_eq!(m.derive(&doc()), employee_fields(&doc()));
        // Every default path, written out, also reads what the default rules read here.
        let view = view(Provider::Okta, &StoredMapping::default(), &[], None);
        assert!(view.is_default);
        let explicit = validate(&input_of(&view)).unwrap();
        assert_eq!(explicit.stored, StoredMapping::default());
    }

    #[test]
    fn a_changed_mapping_derives_from_its_paths() {
        let valid = validate(&input(&[
            (
                "job_title",
                "",
                FieldKind::Text,
                false,
                Some(&format!("{ACME}:jobCode")),
            ),
            ("location", "", FieldKind::Text, false, None),
            (
                "cost_center",
                "Cost center",
                FieldKind::Number,
                true,
                Some(&format!("{ACME}:costCenter")),
            ),
            (
                "start",
                "Start date",
                FieldKind::Date,
                true,
                Some(&format!("{ACME}:hiredAt")),
            ),
            (
                "remote",
                "Remote",
                FieldKind::Boolean,
                true,
                Some(&format!("{ACME}:remote")),
            ),
            (
                "level",
                "Level",
                FieldKind::Number,
                true,
                Some(&format!("{ACME}:level")),
            ),
            ("unused", "Unused", FieldKind::Text, true, None),
        ]))
        .unwrap();
        assert_eq!(valid.columns.len(), 5);
        let m = CompiledMapping::new(&valid.stored, &valid.columns);
        let f = m.derive(&doc());
        assert_eq!(f.job_title.as_deref(), Some("ENG-2"));
        assert_eq!(f.location, None);
        assert_eq!(f.department.as_deref(), Some("R&D"), "unchanged");
        assert_eq!(
            f.custom.get("cost_center").map(String::as_str),
            Some("4711")
        );
        assert_eq!(
            f.custom.get("start").map(String::as_str),
            Some("2024-03-01T07:00:00.000Z")
        );
        assert_eq!(f.custom.get("remote").map(String::as_str), Some("true"));
        assert_eq!(f.custom.get("level"), None, "not a number: empty");
        assert_eq!(f.custom.get("unused"), None);
    }

    #[test]
    fn bad_mappings_are_refused_on_the_field_at_fault() {
        use FieldKind::Text;
        for (fields, field, needle) in [
            (
                vec![("job_title", "", Text, false, Some("title["))],
                "fields.job_title.path",
                "SCIM path",
            ),
            (
                vec![("department", "", Text, false, Some("title"))],
                "fields.department.path",
                "same SCIM attribute",
            ),
            (
                vec![("email", "", Text, false, None)],
                "fields.email.path",
                "must stay mapped",
            ),
            (
                vec![("cost", "", Text, true, Some("x"))],
                "fields.cost.label",
                "name",
            ),
            (
                vec![("cost", "Job Title", Text, true, Some("x"))],
                "fields.cost.label",
                "already named",
            ),
            (
                vec![("Cost", "Cost", Text, true, Some("x"))],
                "fields.Cost",
                "lowercase",
            ),
            (
                vec![("job_title", "Mine", Text, true, Some("x"))],
                "fields.job_title",
                "built-in",
            ),
            (
                vec![("user_name", "Mine", Text, true, Some("x"))],
                "fields.user_name",
                "built-in",
            ),
            (
                vec![("shoe_size", "", Text, false, Some("x"))],
                "fields.shoe_size",
                "not a field",
            ),
        ] {
            let err = validate(&input(&fields)).unwrap_err();
            assert_eq!(err.field, field, "{fields:?}: {err:?}");
            assert!(err.message.contains(needle), "{fields:?}: {}", err.message);
        }
        // Shared on purpose.
        let mut shared = input(&[("department", "", Text, false, Some("title"))]);
        shared.allow_shared_paths = true;
        assert!(validate(&shared).is_ok());
    }

    #[test]
    fn keys_come_from_labels() {
        assert_eq!(key_from_label("Cost center"), "cost_center");
        assert_eq!(key_from_label("  Start date (UTC) "), "start_date_utc");
        assert_eq!(key_from_label("2nd manager"), "f_2nd_manager");
        assert!(valid_custom_key(&key_from_label(&"Long ".repeat(30))));
    }

    #[test]
    fn sources_tally_the_paths_seen_with_examples() {
        let docs = [doc(), doc()];
        let seen = tally_sources(docs.iter());
        let find = |p: &str| seen.iter().find(|s| s.path == p).cloned();
        let job = find(&format!("{ACME}:jobCode")).unwrap();
        assert_eq!((job.employees, job.examples), (2, vec!["ENG-2".to_owned()]));
        assert!(find("emails[type eq \"work\"].value").is_some());
        assert!(find("emails.value").is_some());
        assert!(find("name.givenName").is_some());
        assert!(find(&format!("{ENTERPRISE_USER_SCHEMA}:manager.value")).is_some());
        assert!(find("schemas").is_none());
    }

    #[test]
    fn custom_extensions_are_grouped_by_urn() {
        let valid = validate(&input(&[
            (
                "cost_center",
                "Cost center",
                FieldKind::Number,
                true,
                Some(&format!("{ACME}:costCenter")),
            ),
            (
                "grade",
                "Grade",
                FieldKind::Text,
                true,
                Some(&format!("{ENTERPRISE_USER_SCHEMA}:grade")),
            ),
            ("nick", "Nick", FieldKind::Text, true, Some("nickName")),
        ]))
        .unwrap();
        let ext = custom_extensions(&[valid.stored], &valid.columns);
        assert_eq!(ext.len(), 1);
        assert_eq!(
            ext[ACME],
            vec![("costCenter".to_owned(), FieldKind::Number)]
        );
    }
}
