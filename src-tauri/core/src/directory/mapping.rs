//! The mapping between a SCIM User and an employee: the product's default attribute mapping.
//!
//! | Employee field | SCIM |
//! |---|---|
//! | first / last name | `name.givenName` / `name.familyName` |
//! | email | the primary email (else the work one, the first one, or a `userName` that is an address) |
//! | job title | `title` |
//! | department, business unit, employee ID | enterprise `department`, `division`, `employeeNumber` |
//! | manager | enterprise `manager.value`: in this product the manager's *email* |
//! | location | `locality` of the work (else primary, else first) address |
//!
//! Also where a body Okta or Entra sent becomes the document the directory stores: read-only
//! attributes dropped, names in canonical case, Entra's string booleans and string manager made
//! proper, and every mapped attribute checked for its type so a bad value is a 400, not a panic.

use serde_json::{Map, Value};

use crate::scim::schema::{self, ResourceKind, ENTERPRISE_USER_SCHEMA};
use crate::scim::ScimError;
use crate::text;

/// The employee columns derived from a user's SCIM document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmployeeFields {
    pub user_name: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub business_unit: Option<String>,
    pub manager_email: Option<String>,
    pub location: Option<String>,
    pub employee_id: Option<String>,
    /// `None` when the document does not say.
    pub active: Option<bool>,
    /// Custom field key → value as text (absent: no value); see `attribute_map`.
    pub custom: std::collections::BTreeMap<String, String>,
}

/// Turns a request body into the user document the directory stores, or a 400 saying why not.
pub fn normalize_user(body: Value) -> Result<Map<String, Value>, ScimError> {
    let mut doc = normalize_common(body, ResourceKind::User, "user")?;
    if let Some(active) = doc.get("active").cloned() {
        doc.insert("active".into(), Value::Bool(to_bool("active", &active)?));
    }
    if let Some(Value::Object(ext)) = doc.get_mut(ENTERPRISE_USER_SCHEMA) {
        // Entra sends the manager as a plain id string; Okta as {"value": …}.
        if let Some(Value::String(s)) = ext.get("manager").cloned() {
            if s.trim().is_empty() {
                ext.remove("manager");
            } else {
                ext.insert("manager".into(), serde_json::json!({ "value": s }));
            }
        }
    }
    match doc.get("userName") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(Value::String(_)) | None => {
            return Err(ScimError::invalid_value(
                "The user has no userName. In this directory userName is the employee's email: \
                 map Okta's username (an email address) to it.",
            ))
        }
        Some(_) => {
            return Err(ScimError::invalid_value(
                "userName must be a string (the employee's email address).",
            ))
        }
    }
    check_kind(&doc, "name", Kind::Object)?;
    check_identifiers(&doc)?;
    for attr in [
        "emails",
        "addresses",
        "phoneNumbers",
        "ims",
        "photos",
        "entitlements",
        "roles",
        "x509Certificates",
    ] {
        check_kind(&doc, attr, Kind::Array)?;
    }
    for attr in [
        "displayName",
        "title",
        "externalId",
        "nickName",
        "userType",
        "locale",
    ] {
        check_kind(&doc, attr, Kind::Scalar)?;
    }
    if let Some(ext) = doc.get(ENTERPRISE_USER_SCHEMA) {
        if !ext.is_object() {
            return Err(ScimError::invalid_value(format!(
                "The enterprise extension '{ENTERPRISE_USER_SCHEMA}' must be an object."
            )));
        }
    }
    Ok(doc)
}

/// userName and the email addresses identify an employee and are printed wherever the employee
/// is named (the CLI, the activity log, the export): a control character in them (ESC, CR, LF,
/// backspace, NUL…) is never a real address, only a way to send escape sequences to whoever
/// reads it. Tab is left alone (some directories pad with it).
fn check_identifiers(doc: &Map<String, Value>) -> Result<(), ScimError> {
    let refuse = |attr: &str, c: char| {
        ScimError::invalid_value(format!(
            "{attr} contains a control character ({}), which SCIM Desk does not accept: an \
             email address never holds one. Check the value Okta sends for it.",
            text::code_point(c)
        ))
    };
    if let Some(Value::String(user_name)) = doc.get("userName") {
        if let Some(c) = text::forbidden_control(user_name) {
            return Err(refuse("userName", c));
        }
    }
    if let Some(Value::Array(emails)) = doc.get("emails") {
        for (i, email) in emails.iter().enumerate() {
            if let Some(Value::String(value)) = email.get("value") {
                if let Some(c) = text::forbidden_control(value) {
                    return Err(refuse(&format!("emails[{i}].value"), c));
                }
            }
        }
    }
    Ok(())
}

/// Turns a request body into the group document the directory stores (members kept in it).
pub fn normalize_group(body: Value) -> Result<Map<String, Value>, ScimError> {
    let doc = normalize_common(body, ResourceKind::Group, "group")?;
    match doc.get("displayName") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        _ => {
            return Err(ScimError::invalid_value(
                "The group has no displayName; every group needs a name.",
            ))
        }
    }
    check_kind(&doc, "members", Kind::Array)?;
    if let Some(Value::Array(members)) = doc.get("members") {
        for m in members {
            match m.get("value") {
                Some(Value::String(s)) if !s.is_empty() => {}
                _ => {
                    return Err(ScimError::invalid_value(
                        "Every group member needs a 'value': the id of a user in this directory.",
                    ))
                }
            }
        }
    }
    Ok(doc)
}

fn normalize_common(
    body: Value,
    kind: ResourceKind,
    what: &str,
) -> Result<Map<String, Value>, ScimError> {
    let mut body = body;
    if !body.is_object() {
        return Err(ScimError::invalid_syntax(format!(
            "The request body must be a JSON object describing a {what}."
        )));
    }
    check_schemas(&body, kind, what)?;
    schema::strip_read_only(&mut body, kind);
    schema::canonicalize(&mut body, kind);
    schema::coerce_booleans(&mut body, kind)?;
    let Value::Object(mut doc) = body else {
        return Err(ScimError::invalid_syntax(
            "The request body must be a JSON object.",
        ));
    };
    // RFC 7643: null means unassigned; an unassigned attribute is simply absent.
    doc.retain(|_, v| !v.is_null());
    Ok(doc)
}

/// A `schemas` list no longer than the schemas a resource can have: its core schema, the
/// extensions this directory knows, and the extensions whose objects the body carries (a
/// top-level `urn:` key). Anything longer repeats itself, and is refused rather than read.
fn check_schemas(body: &Value, kind: ResourceKind, what: &str) -> Result<(), ScimError> {
    let listed = body.as_object().and_then(|m| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
            .map(|(_, v)| v)
    });
    let Some(Value::Array(listed)) = listed else {
        return Ok(());
    };
    let carried = body.as_object().map_or(0, |m| {
        m.keys()
            .filter(|k| k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")))
            .count()
    });
    let most = 1 + kind.extensions().len() + carried;
    if listed.len() > most {
        return Err(ScimError::invalid_value(format!(
            "The body's 'schemas' lists {} entries, but a {what} has at most {most} here (its core \
             schema and the extensions it carries). List each schema once.",
            listed.len()
        )));
    }
    Ok(())
}

enum Kind {
    Object,
    Array,
    Scalar,
}

fn check_kind(doc: &Map<String, Value>, attr: &str, kind: Kind) -> Result<(), ScimError> {
    let Some(v) = doc.get(attr) else {
        return Ok(());
    };
    let (ok, expected) = match kind {
        Kind::Object => (v.is_object(), "an object"),
        Kind::Array => (v.is_array(), "a list"),
        Kind::Scalar => (!v.is_object() && !v.is_array(), "a single value"),
    };
    if ok {
        Ok(())
    } else {
        Err(ScimError::invalid_value(format!(
            "The attribute '{attr}' must be {expected}."
        )))
    }
}

fn to_bool(attr: &str, v: &Value) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::invalid_value(format!(
            "The attribute '{attr}' must be true or false."
        ))),
    }
}

/// A value as text for an employee column: strings trimmed, numbers written out, others absent.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
        || matches!(v, Some(Value::String(s)) if s.eq_ignore_ascii_case("true"))
}

/// The element of a multi-valued attribute the employee field comes from: the one of `type`
/// `work`, else the primary one, else the first. (For email the primary one comes first.)
fn pick(list: Option<&Value>, primary_first: bool) -> Option<&Value> {
    let items = list?.as_array()?;
    pick_index(items, primary_first).map(|i| &items[i])
}

/// The position of the element [`pick`] chooses.
fn pick_index(items: &[Value], primary_first: bool) -> Option<usize> {
    let primary = items.iter().position(|e| is_true(e.get("primary")));
    let work = items.iter().position(|e| {
        e.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("work"))
    });
    let ordered = if primary_first {
        primary.or(work)
    } else {
        work.or(primary)
    };
    ordered.or_else(|| (!items.is_empty()).then_some(0))
}

/// Sets one employee field (a name of [`OKTA_PROFILE_FIELDS`], or `user_name`) in a user
/// document, where [`employee_fields`] reads it back: the inverse of the mapping, for the
/// reconcile with Okta. `None` removes the value. Answers false for a field it does not know.
pub fn set_employee_field(doc: &mut Map<String, Value>, field: &str, value: Option<&str>) -> bool {
    fn set(obj: &mut Map<String, Value>, key: &str, value: Option<&str>) {
        match value {
            Some(v) => obj.insert(key.to_owned(), Value::from(v)),
            None => obj.remove(key),
        };
    }
    fn object<'a>(doc: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
        let slot = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut().expect("an object was just put here")
    }
    fn list<'a>(doc: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
        let slot = doc.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        slot.as_array_mut().expect("an array was just put here")
    }
    let enterprise = |doc: &mut Map<String, Value>, key: &str, value: Option<&str>| {
        if let Some(Value::Array(schemas)) = doc.get_mut("schemas") {
            if value.is_some() && !schemas.iter().any(|s| s == ENTERPRISE_USER_SCHEMA) {
                schemas.push(Value::from(ENTERPRISE_USER_SCHEMA));
            }
        }
        set(object(doc, ENTERPRISE_USER_SCHEMA), key, value);
    };
    match field {
        "user_name" => {
            // userName is required: a blank one from Okta is not applied.
            if let Some(v) = value {
                doc.insert("userName".into(), Value::from(v));
            }
        }
        "email" => {
            let emails = list(doc, "emails");
            match (pick_index(emails, true), value) {
                (Some(i), Some(v)) => match emails[i].as_object_mut() {
                    Some(e) => set(e, "value", Some(v)),
                    None => {
                        emails[i] = serde_json::json!({"value": v, "type": "work", "primary": true})
                    }
                },
                (None, Some(v)) => {
                    emails.push(serde_json::json!({"value": v, "type": "work", "primary": true}))
                }
                (Some(i), None) => {
                    emails.remove(i);
                }
                (None, None) => {}
            }
        }
        "first_name" => set(object(doc, "name"), "givenName", value),
        "last_name" => set(object(doc, "name"), "familyName", value),
        "display_name" => set(doc, "displayName", value),
        "job_title" => set(doc, "title", value),
        "department" => enterprise(doc, "department", value),
        "business_unit" => enterprise(doc, "division", value),
        "employee_id" => enterprise(doc, "employeeNumber", value),
        "location" => {
            let addresses = list(doc, "addresses");
            match (pick_index(addresses, false), value) {
                (Some(i), _) if addresses[i].is_object() => {
                    if let Some(a) = addresses[i].as_object_mut() {
                        set(a, "locality", value);
                    }
                }
                (_, Some(v)) => addresses.push(serde_json::json!({"type": "work", "locality": v})),
                (_, None) => {}
            }
        }
        _ => return false,
    }
    true
}

pub fn employee_fields(doc: &Map<String, Value>) -> EmployeeFields {
    let user_name = text(doc.get("userName")).unwrap_or_default();
    let name = doc.get("name");
    let ext = doc.get(ENTERPRISE_USER_SCHEMA);
    let email = text(pick(doc.get("emails"), true).and_then(|e| e.get("value")))
        .or_else(|| user_name.contains('@').then(|| user_name.clone()));
    let first_name = text(name.and_then(|n| n.get("givenName")));
    let last_name = text(name.and_then(|n| n.get("familyName")));
    let display_name = text(doc.get("displayName")).or_else(|| {
        let full = [first_name.as_deref(), last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!full.is_empty()).then_some(full)
    });
    let manager = ext.and_then(|e| e.get("manager"));
    let manager_email = match manager {
        Some(Value::Object(m)) => text(m.get("value")),
        other => text(other),
    };
    EmployeeFields {
        external_id: text(doc.get("externalId")),
        email,
        display_name,
        first_name,
        last_name,
        job_title: text(doc.get("title")),
        department: text(ext.and_then(|e| e.get("department"))),
        business_unit: text(ext.and_then(|e| e.get("division"))),
        manager_email,
        location: text(pick(doc.get("addresses"), false).and_then(|a| a.get("locality"))),
        employee_id: text(ext.and_then(|e| e.get("employeeNumber"))),
        active: doc.get("active").and_then(Value::as_bool),
        user_name,
        custom: Default::default(),
    }
}

/// Where an Okta app user's `profile` keeps each employee field, for reconciling with Okta's
/// management API. The profile holds the app's SCIM-mapped attributes under the app profile's
/// variable names: those of Okta's SCIM 2.0 app template (`givenName`, `title`, `division`,
/// `employeeNumber`, `locality`, …), or the snake_case ones some custom profiles use. The
/// userName is not here: Okta keeps it in `credentials.userName`. The manager is left out: what
/// an app profile's `manager` holds (a name, an id or an email) depends on the org's mapping,
/// while this directory keeps the manager's email.
pub const OKTA_PROFILE_FIELDS: &[(&str, &[&str])] = &[
    ("email", &["email"]),
    ("first_name", &["givenName", "given_name", "firstName"]),
    ("last_name", &["familyName", "family_name", "lastName"]),
    ("display_name", &["displayName", "display_name"]),
    ("job_title", &["title"]),
    ("department", &["department"]),
    ("business_unit", &["division"]),
    ("employee_id", &["employeeNumber", "employee_number"]),
    ("location", &["locality", "city"]),
];

/// The value an Okta app user `profile` gives one of [`OKTA_PROFILE_FIELDS`]' attribute lists:
/// `None` when the profile has none of those attributes (the field is then not compared),
/// `Some(None)` when it has one and it is null or blank.
pub fn okta_profile_value(profile: &Map<String, Value>, names: &[&str]) -> Option<Option<String>> {
    names
        .iter()
        .find_map(|name| profile.get(*name))
        .map(|v| text(Some(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn okta_create_body() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "jane.doe@corp.example",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"primary": true, "value": "jane.doe@corp.example", "type": "work"}],
            "displayName": "Jane Doe",
            "title": "Engineer",
            "externalId": "00u1abcd",
            "groups": [],
            "password": "xY9!random",
            "active": true,
            "addresses": [{"type": "home", "locality": "Lyon"}, {"type": "work", "locality": "Paris"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "department": "R&D", "division": "Platform", "employeeNumber": 4711,
                "manager": {"value": "boss@corp.example"}
            },
            "favouriteColour": "teal"
        })
    }

    #[test]
    fn each_field_set_reads_back_and_none_removes_it() {
        let mut doc = normalize_user(okta_create_body()).unwrap();
        let fields = [
            "user_name",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "job_title",
            "department",
            "business_unit",
            "employee_id",
            "location",
        ];
        for field in fields {
            assert!(set_employee_field(
                &mut doc,
                field,
                Some("new@okta.example")
            ));
        }
        assert!(!set_employee_field(&mut doc, "manager_email", Some("x")));
        let f = employee_fields(&normalize_user(Value::Object(doc.clone())).unwrap());
        for v in [
            Some(f.user_name.clone()),
            f.email.clone(),
            f.first_name.clone(),
            f.last_name.clone(),
            f.display_name.clone(),
            f.job_title.clone(),
            f.department.clone(),
            f.business_unit.clone(),
            f.employee_id.clone(),
            f.location.clone(),
        ] {
            assert_eq!(v.as_deref(), Some("new@okta.example"), "{f:?}");
        }
        assert_eq!(f.manager_email.as_deref(), Some("boss@corp.example"));
        assert_eq!(
            doc["addresses"][0]["locality"], "Lyon",
            "the home address is untouched"
        );
        for field in ["job_title", "department", "location", "first_name"] {
            set_employee_field(&mut doc, field, None);
        }
        let f = employee_fields(&normalize_user(Value::Object(doc)).unwrap());
        assert_eq!(
            (f.job_title, f.department, f.location, f.first_name),
            (None, None, None, None)
        );

        // A document without the attributes gets them.
        let mut bare = normalize_user(serde_json::json!({"userName": "a@x.example"})).unwrap();
        for field in ["email", "first_name", "department", "location"] {
            set_employee_field(&mut bare, field, Some("v"));
        }
        let f = employee_fields(&normalize_user(Value::Object(bare)).unwrap());
        assert_eq!(
            (f.email, f.first_name, f.department, f.location),
            (
                Some("v".into()),
                Some("v".into()),
                Some("v".into()),
                Some("v".into())
            )
        );
    }

    #[test]
    fn okta_body_maps_to_every_employee_field() {
        let doc = normalize_user(okta_create_body()).unwrap();
        assert!(
            doc.get("password").is_none(),
            "password must never be stored"
        );
        assert!(doc.get("groups").is_none());
        assert_eq!(
            doc["favouriteColour"], "teal",
            "unknown attributes are kept"
        );
        let f = employee_fields(&doc);
        assert_eq!(
            f,
            EmployeeFields {
                user_name: "jane.doe@corp.example".into(),
                external_id: Some("00u1abcd".into()),
                email: Some("jane.doe@corp.example".into()),
                display_name: Some("Jane Doe".into()),
                first_name: Some("Jane".into()),
                last_name: Some("Doe".into()),
                job_title: Some("Engineer".into()),
                department: Some("R&D".into()),
                business_unit: Some("Platform".into()),
                manager_email: Some("boss@corp.example".into()),
                location: Some("Paris".into()),
                employee_id: Some("4711".into()),
                active: Some(true),
                custom: Default::default(),
            }
        );
    }

    #[test]
    fn entra_strings_become_booleans_and_manager_objects() {
        let doc = normalize_user(json!({
            "userName": "a@b.example",
            "active": "False",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "m-42"}
        }))
        .unwrap();
        assert_eq!(doc["active"], false);
        assert_eq!(doc[ENTERPRISE_USER_SCHEMA]["manager"]["value"], "m-42");
        assert_eq!(employee_fields(&doc).manager_email.as_deref(), Some("m-42"));
    }

    #[test]
    fn email_falls_back_to_user_name_and_primary_wins() {
        let doc = normalize_user(json!({"userName": "x@corp.example"})).unwrap();
        assert_eq!(
            employee_fields(&doc).email.as_deref(),
            Some("x@corp.example")
        );
        let doc = normalize_user(json!({
            "userName": "x@corp.example",
            "emails": [{"value": "home@mail.example", "type": "home"},
                       {"value": "p@corp.example", "primary": true}]
        }))
        .unwrap();
        assert_eq!(
            employee_fields(&doc).email.as_deref(),
            Some("p@corp.example")
        );
    }

    #[test]
    fn bad_bodies_are_400_with_a_reason() {
        for (body, needle) in [
            (json!([1, 2]), "JSON object"),
            (json!({"name": {"givenName": "J"}}), "userName"),
            (json!({"userName": "  "}), "userName"),
            (json!({"userName": 42}), "userName"),
            (json!({"userName": "a@b", "active": "maybe"}), "active"),
            (json!({"userName": "a@b", "emails": "a@b"}), "emails"),
            (json!({"userName": "a@b", "name": "Jane"}), "name"),
            (
                json!({"userName": "a\u{1b}]0;x\u{7}@b"}),
                "userName contains a control",
            ),
            (json!({"userName": "a@b\r\nX: y"}), "U+000D"),
            (json!({"userName": "a\u{0}@b"}), "U+0000"),
            (
                json!({"userName": "a@b", "emails": [{"value": "a@b"}, {"value": "c\u{8}@d"}]}),
                "emails[1].value",
            ),
            (
                json!({"userName": "a@b", "emails": [{"value": "\u{9b}2J@d"}]}),
                "U+009B",
            ),
        ] {
            let err = normalize_user(body.clone()).unwrap_err();
            assert_eq!(err.status, 400, "{body}");
            assert!(err.detail.contains(needle), "{body}: {}", err.detail);
        }
        // A tab is not refused, nor are control characters in attributes that name no one.
        assert!(normalize_user(json!({"userName": "a\t@b", "title": "x\u{1b}y"})).is_ok());
        let scim_type = normalize_user(json!({"userName": "\u{1b}@b"})).unwrap_err();
        assert_eq!(
            scim_type.scim_type,
            Some(crate::scim::ScimType::InvalidValue)
        );
        assert!(normalize_group(json!({"members": []})).is_err());
        assert!(
            normalize_group(json!({"displayName": "G", "members": [{"display": "x"}]})).is_err()
        );
    }
}
