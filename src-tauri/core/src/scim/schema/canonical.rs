//! Canonical form of an incoming document: attribute keys in the schema's case at every level,
//! `schemas` as a list of distinct canonical URNs, and read-only attributes dropped from bodies.

use serde_json::{Map, Value};

use super::*;
use crate::scim::ScimError;

/// Renames the keys of known attributes to their canonical case, at every level.
///
/// Covered: top-level attributes (common and core), `schemas`, sub-attributes of complex
/// attributes, the elements of multi-valued complex attributes, the enterprise extension's URN key
/// (users only, matched case-insensitively) and the attributes inside it. The known URNs inside
/// `schemas` are rewritten to their canonical spelling and duplicates removed (first kept).
/// Unknown keys (custom attributes, other extension URNs, flat `urn:…:attr` keys) are kept as
/// they are, with their values untouched.
///
/// When two keys of one object fold to the same canonical key, the one that comes later in the
/// object's iteration order wins (document order with serde_json's `preserve_order` feature,
/// otherwise sorted key order) and the other is dropped.
///
/// Afterwards `schemas` is an array that starts with the core URN of `kind` (added when missing;
/// a lone string is wrapped into an array, any other value replaced) and contains the enterprise
/// URN whenever the enterprise extension object is present and non-empty. A document that is not a
/// JSON object is left alone.
pub fn canonicalize(doc: &mut Value, kind: ResourceKind) {
    let Value::Object(obj) = doc else {
        return;
    };
    let old = std::mem::take(obj);
    for (key, mut value) in old {
        let canonical: Option<&'static str> = if key.eq_ignore_ascii_case("schemas") {
            Some("schemas")
        } else if let Some(def) =
            find(COMMON_ATTRIBUTES, &key).or_else(|| find(kind.core_attributes(), &key))
        {
            canonicalize_value(&mut value, def);
            Some(def.name)
        } else if let Some(ext) = extension(kind, &key) {
            if let Value::Object(obj) = &mut value {
                canonicalize_object(obj, ext.attributes);
            }
            Some(ext.urn)
        } else {
            None
        };
        match canonical {
            Some(c) => {
                obj.insert(c.to_string(), value);
            }
            None => {
                obj.insert(key, value);
            }
        }
    }

    // `schemas`: an array of canonical, distinct URNs with the core URN first.
    let mut urns: Vec<Value> = match obj.remove("schemas") {
        Some(Value::Array(a)) => a,
        Some(Value::String(s)) => vec![Value::String(s)],
        _ => Vec::new(),
    };
    for u in urns.iter_mut() {
        if let Some(c) = u.as_str().and_then(canonical_urn) {
            *u = Value::String(c.to_string());
        }
    }
    // Duplicates found through a set: a list compared pair by pair grows with its square.
    let mut listed: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut seen: Vec<Value> = Vec::with_capacity(urns.len() + 2);
    for u in urns {
        if listed.insert(u.to_string()) {
            seen.push(u);
        }
    }
    let core = Value::String(kind.schema().to_string());
    if !listed.contains(&core.to_string()) {
        seen.insert(0, core);
    }
    for ext in kind.extensions() {
        let present = matches!(obj.get(*ext), Some(Value::Object(m)) if !m.is_empty());
        let urn = Value::String((*ext).to_string());
        if present && listed.insert(urn.to_string()) {
            seen.push(urn);
        }
    }
    obj.insert("schemas".to_string(), Value::Array(seen));
}

/// Canonicalises the inside of an attribute's value according to its definition.
fn canonicalize_value(value: &mut Value, def: &'static AttrDef) {
    if def.sub_attributes.is_empty() {
        return;
    }
    match value {
        Value::Object(m) => canonicalize_object(m, def.sub_attributes),
        Value::Array(items) => {
            for item in items {
                if let Value::Object(m) = item {
                    canonicalize_object(m, def.sub_attributes);
                }
            }
        }
        _ => {}
    }
}

fn canonicalize_object(obj: &mut Map<String, Value>, defs: &'static [AttrDef]) {
    let old = std::mem::take(obj);
    for (key, mut value) in old {
        match find(defs, &key) {
            Some(def) => {
                canonicalize_value(&mut value, def);
                obj.insert(def.name.to_string(), value);
            }
            None => {
                obj.insert(key, value);
            }
        }
    }
}

/// Turns the strings `"True"` and `"False"` (any case) into JSON booleans wherever the schema says
/// an attribute or a sub-attribute is boolean: `active`, and `primary` in every element of a
/// multi-valued complex attribute (emails, phoneNumbers, addresses, roles, ims, photos,
/// entitlements, x509Certificates), and in the extension objects. Microsoft Entra sends its
/// booleans as strings; they are stored and returned as booleans.
///
/// Runs on a canonical document (see [`canonicalize`]): on every POST and PUT body and on the
/// result of every PATCH, so PATCH values of any shape (path-ful, path-less, objects or lists
/// whose sub-attributes are boolean) end up coerced by the same walk. Any other value for a
/// boolean (another string, a number, an object) is a 400 `invalidValue` naming the attribute;
/// `null` is left for the caller (an unassigned attribute).
pub fn coerce_booleans(doc: &mut Value, kind: ResourceKind) -> Result<(), ScimError> {
    let Value::Object(obj) = doc else {
        return Ok(());
    };
    for (key, value) in obj.iter_mut() {
        if let Some(def) =
            find(COMMON_ATTRIBUTES, key).or_else(|| find(kind.core_attributes(), key))
        {
            coerce_value(value, def, def.name)?;
        } else if let Some(ext) = extension(kind, key) {
            if let Value::Object(inner) = value {
                coerce_members(inner, ext.attributes, "")?;
            }
        }
    }
    Ok(())
}

/// Coerces one attribute's value by its definition; `what` names it in an error.
fn coerce_value(value: &mut Value, def: &'static AttrDef, what: &str) -> Result<(), ScimError> {
    match (def.type_, value) {
        (AttrType::Boolean, Value::Array(items)) if def.multi_valued => {
            for item in items {
                coerce_boolean(item, what)?;
            }
            Ok(())
        }
        (AttrType::Boolean, v) => coerce_boolean(v, what),
        (AttrType::Complex, Value::Object(m)) => coerce_members(m, def.sub_attributes, what),
        (AttrType::Complex, Value::Array(items)) => {
            for item in items {
                if let Value::Object(m) = item {
                    coerce_members(m, def.sub_attributes, what)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn coerce_members(
    obj: &mut Map<String, Value>,
    defs: &'static [AttrDef],
    parent: &str,
) -> Result<(), ScimError> {
    for (key, value) in obj.iter_mut() {
        if let Some(def) = find(defs, key) {
            let what = if parent.is_empty() {
                def.name.to_string()
            } else {
                format!("{parent}.{}", def.name)
            };
            coerce_value(value, def, &what)?;
        }
    }
    Ok(())
}

/// One boolean value: a boolean or null as it is, `"true"`/`"false"` in any case as a boolean.
fn coerce_boolean(value: &mut Value, what: &str) -> Result<(), ScimError> {
    match value {
        Value::Bool(_) | Value::Null => Ok(()),
        Value::String(s) if s.eq_ignore_ascii_case("true") => {
            *value = Value::Bool(true);
            Ok(())
        }
        Value::String(s) if s.eq_ignore_ascii_case("false") => {
            *value = Value::Bool(false);
            Ok(())
        }
        other => Err(ScimError::invalid_value(format!(
            "The attribute '{what}' must be true or false, not {}.",
            crate::text::quoted(&other.to_string())
        ))),
    }
}

/// Removes from a POST/PUT body what the client may not set, so that Okta's echo of a previous
/// GET is ignored rather than rejected: `id`, `meta`, and for users `groups` (readOnly) and
/// `password` (writeOnly: this server never stores nor returns it, so it is discarded here).
/// Keys are matched case-insensitively. The enterprise extension has nothing to remove
/// (`manager.displayName` is readOnly but harmless and left to the caller). Non-objects are left
/// alone.
pub fn strip_read_only(doc: &mut Value, kind: ResourceKind) {
    let Value::Object(obj) = doc else {
        return;
    };
    let drop: &[&str] = match kind {
        ResourceKind::User => &["id", "meta", "groups", "password"],
        ResourceKind::Group => &["id", "meta"],
    };
    obj.retain(|k, _| !drop.iter().any(|d| d.eq_ignore_ascii_case(k)));
}

#[cfg(test)]
mod tests {
    use super::super::projection::tests::user;
    use super::*;
    use serde_json::json;

    #[test]
    fn canonicalize_fixes_key_case_at_every_level() {
        let mut doc = json!({
            "SCHEMAS": ["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],
            "USERNAME": "jane@corp.example",
            "Name": {"GIVENNAME": "Jane", "familyname": "Doe", "nickname?": 1},
            "Emails": [{"VALUE": "jane@corp.example", "Primary": true, "TYPE": "work"}, "odd"],
            "ADDRESSES": [{"Locality": "Oslo", "postalcode": "0150"}],
            "Active": true,
            "EXTERNALID": "00u1",
            "Meta": {"RESOURCETYPE": "User"},
            "customAttr": {"Keep": "As Is"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"
        });
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(
            doc,
            json!({
                "schemas": [USER_SCHEMA],
                "userName": "jane@corp.example",
                "name": {"givenName": "Jane", "familyName": "Doe", "nickname?": 1},
                "emails": [{"value": "jane@corp.example", "primary": true, "type": "work"}, "odd"],
                "addresses": [{"locality": "Oslo", "postalCode": "0150"}],
                "active": true,
                "externalId": "00u1",
                "meta": {"resourceType": "User"},
                "customAttr": {"Keep": "As Is"},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"
            })
        );
    }

    /// Every attribute the schema says is boolean, at every level, from Entra's strings; other
    /// attributes keep their strings.
    #[test]
    fn string_booleans_become_booleans_where_the_schema_says_boolean() {
        let mut doc = json!({
            "userName": "True",
            "active": "TRUE",
            "title": "False",
            "emails": [{"value": "a@b", "primary": "True"}, {"value": "c@d", "primary": false}],
            "phoneNumbers": [{"value": "1", "type": "fax", "primary": "false"}],
            "addresses": [{"locality": "X", "primary": "True"}],
            "roles": [{"value": "r", "primary": "True", "type": "t"}],
            "entitlements": [{"value": "e", "primary": "False"}],
            "ims": [{"value": "i", "primary": "True"}],
            "photos": [{"value": "https://p.example/1", "primary": "True"}],
            "x509Certificates": [{"value": "MII=", "primary": "False"}],
            "name": {"givenName": "True"},
            "custom": {"primary": "True"},
            ENTERPRISE_USER_SCHEMA: {"department": "True", "manager": {"value": "True"}}
        });
        let before = doc.clone();
        coerce_booleans(&mut doc, ResourceKind::User).unwrap();
        assert_eq!(doc["active"], true);
        for (attr, want) in [
            ("emails", true),
            ("phoneNumbers", false),
            ("addresses", true),
            ("roles", true),
            ("entitlements", false),
            ("ims", true),
            ("photos", true),
            ("x509Certificates", false),
        ] {
            assert_eq!(doc[attr][0]["primary"], want, "{attr}");
        }
        assert_eq!(doc["emails"][1]["primary"], false);
        // Strings that are not booleans in the schema are left alone.
        for key in [
            "userName",
            "title",
            "name",
            "custom",
            ENTERPRISE_USER_SCHEMA,
        ] {
            assert_eq!(doc[key], before[key], "{key}");
        }
    }

    #[test]
    fn a_boolean_that_is_no_boolean_is_an_invalid_value_naming_it() {
        for (doc, named) in [
            (json!({"active": "yes"}), "'active'"),
            (json!({"active": 1}), "'active'"),
            (
                json!({"roles": [{"value": "r", "primary": "Y"}]}),
                "'roles.primary'",
            ),
            (
                json!({"addresses": [{"primary": {"a": 1}}]}),
                "'addresses.primary'",
            ),
        ] {
            let mut doc = doc;
            let e = coerce_booleans(&mut doc, ResourceKind::User).unwrap_err();
            assert_eq!(e.scim_type, Some(crate::scim::ScimType::InvalidValue));
            assert!(e.detail.contains(named), "{}", e.detail);
        }
        // null is an unassigned attribute, for the caller to drop.
        let mut doc = json!({"active": null, "emails": [{"primary": null}]});
        coerce_booleans(&mut doc, ResourceKind::User).unwrap();
        // Groups have no boolean attribute; their members are left alone.
        let mut g = json!({"displayName": "True", "members": [{"value": "u", "primary": "x"}]});
        coerce_booleans(&mut g, ResourceKind::Group).unwrap();
    }

    #[test]
    fn canonicalize_enterprise_extension_in_odd_case() {
        let mut doc = json!({
            "schemas": [USER_SCHEMA],
            "userName": "a",
            "URN:IETF:params:scim:schemas:extension:Enterprise:2.0:user": {
                "DEPARTMENT": "R&D",
                "Manager": {"VALUE": "boss@corp.example", "DisplayName": "Boss"},
                "okta_custom": "x"
            }
        });
        canonicalize(&mut doc, ResourceKind::User);
        let ext = &doc[ENTERPRISE_USER_SCHEMA];
        assert_eq!(ext["department"], "R&D");
        assert_eq!(ext["manager"]["value"], "boss@corp.example");
        assert_eq!(ext["manager"]["displayName"], "Boss");
        assert_eq!(ext["okta_custom"], "x");
        assert_eq!(doc["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
        assert_eq!(doc.as_object().unwrap().len(), 3);
    }

    #[test]
    fn canonicalize_fixes_schemas() {
        // Missing `schemas`: the core URN is added.
        let mut doc = json!({"displayName": "Eng"});
        canonicalize(&mut doc, ResourceKind::Group);
        assert_eq!(doc["schemas"], json!([GROUP_SCHEMA]));

        // Odd-case URNs are canonicalised and deduplicated; unknown URNs kept; core put first.
        let mut doc = json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
                "urn:example:custom",
                ENTERPRISE_USER_SCHEMA
            ],
            "userName": "a"
        });
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(
            doc["schemas"],
            json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA, "urn:example:custom"])
        );

        // A lone string is wrapped; a non-string, non-array value replaced.
        let mut doc = json!({"schemas": USER_SCHEMA});
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["schemas"], json!([USER_SCHEMA]));
        let mut doc = json!({"schemas": 5});
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["schemas"], json!([USER_SCHEMA]));

        // An empty extension object does not add the extension URN.
        let mut doc = json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {}});
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["schemas"], json!([USER_SCHEMA]));

        // For groups the enterprise key is just an unknown key.
        let mut doc =
            json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:USER": {"a": 1}});
        canonicalize(&mut doc, ResourceKind::Group);
        assert_eq!(doc["schemas"], json!([GROUP_SCHEMA]));
        assert!(doc
            .get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:USER")
            .is_some());
    }

    #[test]
    fn canonicalize_collision_later_key_wins() {
        // "USERNAME" precedes "userName" both in document order and in sorted order, so the
        // result is the same with or without serde_json's preserve_order feature.
        let mut doc: Value =
            serde_json::from_str(r#"{"USERNAME": "first", "userName": "second"}"#).unwrap();
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["userName"], "second");
        assert!(doc.get("USERNAME").is_none());
    }

    #[test]
    fn canonicalize_ignores_non_objects_and_odd_values() {
        for mut v in [json!(null), json!([1, 2]), json!("x"), json!(3)] {
            let before = v.clone();
            canonicalize(&mut v, ResourceKind::User);
            assert_eq!(v, before);
        }
        let mut doc = json!({"name": "not an object", "emails": 7, "groups": [1, null]});
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["name"], "not an object");
        assert_eq!(doc["emails"], 7);
    }

    // ---- project

    #[test]
    fn strip_read_only_removes_server_owned_fields() {
        let mut doc = user();
        doc["ID"] = json!("x");
        strip_read_only(&mut doc, ResourceKind::User);
        for k in ["id", "ID", "meta", "groups", "password"] {
            assert!(doc.get(k).is_none(), "{k}");
        }
        assert_eq!(doc[ENTERPRISE_USER_SCHEMA], user()[ENTERPRISE_USER_SCHEMA]);
        assert_eq!(doc["userName"], "jane@corp.example");

        let mut g = json!({"id": "g", "meta": {}, "displayName": "Eng", "members": []});
        strip_read_only(&mut g, ResourceKind::Group);
        assert_eq!(g, json!({"displayName": "Eng", "members": []}));

        let mut odd = json!("x");
        strip_read_only(&mut odd, ResourceKind::User);
        assert_eq!(odd, json!("x"));
    }

    // ---- discovery
}
