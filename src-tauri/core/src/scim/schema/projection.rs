//! Projection of an outgoing resource: `attributes` and `excludedAttributes` (RFC 7644
//! §3.4.2.5, §3.9) and the `returned` characteristic of every attribute, from the schema.

use serde_json::{Map, Value};

use super::*;
use crate::scim::path::AttrPath;

/// The `returned` characteristic of a top-level key of a `kind` resource (`schemas` is always
/// returned; extension URN keys and unknown keys count as `default`).
fn top_returned(kind: ResourceKind, key: &str) -> Returned {
    if key.eq_ignore_ascii_case("schemas") {
        return Returned::Always;
    }
    attr_def(kind, None, key, None).map_or(Returned::Default, |d| d.returned)
}

/// The attribute definitions under a top-level key, to look `returned` up one level down.
fn defs_under(kind: ResourceKind, key: &str) -> &'static [AttrDef] {
    if let Some(d) = attr_def(kind, None, key, None) {
        d.sub_attributes
    } else {
        schema_attrs(kind, key)
            .filter(|_| !key.eq_ignore_ascii_case(kind.schema()))
            .unwrap_or(&[])
    }
}

/// Resolves an attribute name from `attributes`/`excludedAttributes` to lower-cased path
/// segments relative to the resource: `name.givenName` → `[name, givenname]`;
/// `urn:…:core:2.0:User:userName` → `[username]`;
/// `urn:…:enterprise:2.0:User:manager.value` → `[urn:…:enterprise:2.0:user, manager, value]`;
/// the bare extension URN → `[urn…]` (the whole extension). The name is read by the one
/// attribute-path parser ([`AttrPath`]); a name it refuses, or a URN that is neither the core
/// schema of `kind` nor an extension the resource could carry, selects nothing (`None`).
fn parse_attr_path(
    raw: &str,
    kind: ResourceKind,
    resource: &Map<String, Value>,
) -> Option<Vec<String>> {
    let path = AttrPath::parse(raw.trim()).ok()?;
    let lower = |s: &str| s.to_ascii_lowercase();
    let mut segments: Vec<String> = Vec::with_capacity(3);
    let is_extension = |urn: &str| {
        kind.extensions()
            .iter()
            .any(|e| e.eq_ignore_ascii_case(urn))
            || resource.keys().any(|k| k.eq_ignore_ascii_case(urn))
    };
    match path.urn.as_deref() {
        None => {}
        Some(urn) if urn.eq_ignore_ascii_case(kind.schema()) => {}
        Some(urn) => {
            // `urn:…:enterprise:2.0:User` alone parses as the attribute `User` of the URN
            // before it: it names the whole extension.
            let whole = format!("{urn}:{}", path.name);
            if path.sub.is_none() && is_extension(&whole) {
                return Some(vec![lower(&whole)]);
            }
            if whole.eq_ignore_ascii_case(kind.schema()) || !is_extension(urn) {
                return None;
            }
            segments.push(lower(urn));
        }
    }
    segments.push(lower(&path.name));
    segments.extend(path.sub.as_deref().map(lower));
    Some(segments)
}

/// Applies `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) to a resource.
///
/// * `attributes` non-empty: only the named attributes, plus those `returned: always` (`schemas`,
///   `id`). `excluded` is then ignored (attributes wins, as in [`crate::scim::list`]).
/// * otherwise `excluded` names are removed, except `returned: always` ones.
/// * in every mode `returned: never` attributes (`password`) are dropped, and in the default and
///   excluded modes `returned: request` attributes are dropped unless named in `attributes`.
///
/// Names are case-insensitive, may be `attr.sub` (on a multi-valued attribute it applies to every
/// element) and may be URN-qualified (core or extension URN; the bare extension URN names the
/// whole extension). Names of attributes the resource lacks are ignored. The output keeps the
/// resource's keys and order; an attribute whose selection leaves nothing is left out. A resource
/// that is not an object is returned unchanged.
pub fn project(
    resource: &Value,
    attributes: &[String],
    excluded: &[String],
    kind: ResourceKind,
) -> Value {
    let Value::Object(obj) = resource else {
        return resource.clone();
    };
    // With both given, `attributes` decides and `excludedAttributes` is not read.
    let including = !attributes.is_empty();
    let paths: Vec<Vec<String>> = if including { attributes } else { excluded }
        .iter()
        .filter_map(|a| parse_attr_path(a, kind, obj))
        .collect();
    let mut out = Map::new();
    for (key, value) in obj {
        let kept = match top_returned(kind, key) {
            Returned::Never => None,
            Returned::Request if !including => None,
            Returned::Always => Some(value.clone()),
            Returned::Default | Returned::Request => {
                let rest = under(paths.iter(), key);
                let defs = defs_under(kind, key);
                if including {
                    (!rest.is_empty())
                        .then(|| select(value, &rest, defs))
                        .flatten()
                } else if rest.iter().any(|r| r.is_empty()) {
                    None
                } else {
                    Some(exclude(value, &rest, defs))
                }
            }
        };
        if let Some(v) = kept {
            out.insert(key.clone(), v);
        }
    }
    Value::Object(out)
}

/// [`project`], taking the resource: without `attributes` or `excludedAttributes`, and with
/// nothing in it that is never returned by default (the usual case), it is the resource itself,
/// not a copy.
pub fn project_owned(
    resource: Value,
    attributes: &[String],
    excluded: &[String],
    kind: ResourceKind,
) -> Value {
    let unchanged = attributes.is_empty()
        && excluded.is_empty()
        && resource.as_object().is_some_and(|obj| {
            !obj.iter().any(|(k, v)| {
                matches!(top_returned(kind, k), Returned::Never | Returned::Request)
                    || has_hidden(v, defs_under(kind, k))
            })
        });
    if unchanged {
        resource
    } else {
        project(&resource, attributes, excluded, kind)
    }
}

/// Whether the default projection may drop anything under the top-level attribute `key` of a
/// `kind` resource: the attribute itself, or one of its sub-attributes at any depth, is never
/// returned or returned only on request. Known from the schema, whatever the value.
pub fn may_hide(kind: ResourceKind, key: &str) -> bool {
    fn any_hidden(defs: &'static [AttrDef]) -> bool {
        defs.iter().any(|d| {
            matches!(d.returned, Returned::Never | Returned::Request)
                || any_hidden(d.sub_attributes)
        })
    }
    matches!(top_returned(kind, key), Returned::Never | Returned::Request)
        || any_hidden(defs_under(kind, key))
}

/// Whether `value` holds a member that [`exclude`] would drop by default.
fn has_hidden(value: &Value, defs: &'static [AttrDef]) -> bool {
    match value {
        Value::Object(m) => m.iter().any(|(k, v)| {
            find(defs, k).is_some_and(|d| {
                matches!(d.returned, Returned::Never | Returned::Request)
                    || has_hidden(v, d.sub_attributes)
            })
        }),
        Value::Array(items) => items.iter().any(|i| has_hidden(i, defs)),
        _ => false,
    }
}

/// The paths that go through the member `key` (named without regard to case), each from the
/// step after it.
fn under<'a, P: AsRef<[String]> + 'a>(
    paths: impl Iterator<Item = &'a P>,
    key: &str,
) -> Vec<&'a [String]> {
    let key = key.to_ascii_lowercase();
    paths
        .map(AsRef::as_ref)
        .filter(|p| p.first() == Some(&key))
        .map(|p| &p[1..])
        .collect()
}

/// Keeps, inside `value`, what the relative paths `rest` select (an empty path selects all).
/// Object members with `returned: never` in `defs` are dropped even when selected wholesale.
fn select(value: &Value, rest: &[&[String]], defs: &'static [AttrDef]) -> Option<Value> {
    if rest.iter().any(|r| r.is_empty()) {
        return Some(strip_never(value, defs));
    }
    match value {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let def = find(defs, k);
                if def.is_some_and(|d| d.returned == Returned::Never) {
                    continue;
                }
                let sub = under(rest.iter(), k);
                if sub.is_empty() {
                    continue;
                }
                let sub_defs = def.map_or(&[][..], |d| d.sub_attributes);
                if let Some(x) = select(v, &sub, sub_defs) {
                    out.insert(k.clone(), x);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::Array(items) => {
            let out: Vec<Value> = items
                .iter()
                .filter_map(|item| select(item, rest, defs))
                .collect();
            (!out.is_empty()).then_some(Value::Array(out))
        }
        // A sub-attribute path into a scalar selects nothing.
        _ => None,
    }
}

/// Removes, inside `value`, what the relative paths `rest` name (none is empty here).
fn exclude(value: &Value, rest: &[&[String]], defs: &'static [AttrDef]) -> Value {
    match value {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let def = find(defs, k);
                if def.is_some_and(|d| matches!(d.returned, Returned::Never | Returned::Request)) {
                    continue;
                }
                let sub = under(rest.iter(), k);
                if sub.iter().any(|r| r.is_empty()) {
                    continue;
                }
                let sub_defs = def.map_or(&[][..], |d| d.sub_attributes);
                out.insert(k.clone(), exclude(v, &sub, sub_defs));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| exclude(i, rest, defs)).collect()),
        other => other.clone(),
    }
}

/// A copy of `value` without members whose definition says `returned: never`.
fn strip_never(value: &Value, defs: &'static [AttrDef]) -> Value {
    if defs.is_empty() {
        return value.clone();
    }
    exclude(value, &[], defs)
}

#[cfg(test)]
pub(in crate::scim::schema) mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    pub(in crate::scim::schema) fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": "u1",
            "externalId": "00u1",
            "userName": "jane@corp.example",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [
                {"value": "jane@corp.example", "type": "work", "primary": true},
                {"value": "j@home.example", "type": "home"}
            ],
            "active": true,
            "password": "hunter2",
            "groups": [],
            ENTERPRISE_USER_SCHEMA: {
                "department": "R&D",
                "manager": {"value": "boss@corp.example", "displayName": "Boss"}
            },
            "meta": {"resourceType": "User", "location": "https://x.example/Users/u1"}
        })
    }

    #[test]
    fn project_default_mode_drops_only_password() {
        let out = project(&user(), &[], &[], ResourceKind::User);
        let mut expected = user();
        expected.as_object_mut().unwrap().remove("password");
        assert_eq!(out, expected);
        assert!(out.get("meta").is_some());
    }

    /// The owned projection answers exactly what the copying one does: the resource itself when
    /// nothing is hidden in it, the same copy otherwise (a top-level password, a nested one).
    #[test]
    fn project_owned_is_project() {
        let mut clean = user();
        clean.as_object_mut().unwrap().remove("password");
        let mut nested = clean.clone();
        nested["name"]["password"] = json!("not a name part, but harmless");
        for resource in [user(), clean.clone(), nested, json!("odd"), json!({})] {
            for (attrs, excl) in [
                (vec![], vec![]),
                (s(&["userName"]), vec![]),
                (vec![], s(&["emails"])),
            ] {
                assert_eq!(
                    project_owned(resource.clone(), &attrs, &excl, ResourceKind::User),
                    project(&resource, &attrs, &excl, ResourceKind::User),
                    "{resource} {attrs:?} {excl:?}"
                );
            }
        }
        assert_eq!(
            project_owned(clean.clone(), &[], &[], ResourceKind::User),
            clean
        );
        let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{"value": "u1"}]});
        assert_eq!(
            project_owned(group.clone(), &[], &[], ResourceKind::Group),
            project(&group, &[], &[], ResourceKind::Group)
        );
    }

    #[test]
    fn project_attributes_mode() {
        let out = project(
            &user(),
            &s(&["userName", "NAME.givenname", "emails.value"]),
            &[],
            ResourceKind::User,
        );
        assert_eq!(
            out,
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
                "id": "u1",
                "userName": "jane@corp.example",
                "name": {"givenName": "Jane"},
                "emails": [{"value": "jane@corp.example"}, {"value": "j@home.example"}]
            })
        );
    }

    #[test]
    fn project_always_returned_and_user_name_not_forced() {
        let out = project(&user(), &s(&["active"]), &[], ResourceKind::User);
        assert_eq!(
            out,
            json!({"schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], "id": "u1", "active": true})
        );
    }

    #[test]
    fn project_urn_qualified_names() {
        let out = project(
            &user(),
            &s(&[
                "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:Department",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            ]),
            &[],
            ResourceKind::User,
        );
        assert_eq!(out["userName"], "jane@corp.example");
        assert_eq!(
            out[ENTERPRISE_USER_SCHEMA],
            json!({"department": "R&D", "manager": {"value": "boss@corp.example"}})
        );
        assert!(out.get("name").is_none());

        // The bare extension URN selects the whole extension.
        let out = project(
            &user(),
            &s(&[ENTERPRISE_USER_SCHEMA]),
            &[],
            ResourceKind::User,
        );
        assert_eq!(out[ENTERPRISE_USER_SCHEMA], user()[ENTERPRISE_USER_SCHEMA]);

        // Excluding by URN-qualified name.
        let out = project(
            &user(),
            &[],
            &s(&["urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager"]),
            ResourceKind::User,
        );
        assert_eq!(out[ENTERPRISE_USER_SCHEMA], json!({"department": "R&D"}));
    }

    #[test]
    fn project_password_never_returned() {
        for (attrs, excl) in [
            (s(&["password"]), vec![]),
            (s(&["PASSWORD", "userName"]), vec![]),
            (vec![], s(&["userName"])),
            (vec![], vec![]),
            (
                s(&["urn:ietf:params:scim:schemas:core:2.0:User:password"]),
                vec![],
            ),
        ] {
            let out = project(&user(), &attrs, &excl, ResourceKind::User);
            assert!(out.get("password").is_none(), "{attrs:?} {excl:?}");
        }
    }

    #[test]
    fn project_excluded_mode() {
        let out = project(
            &user(),
            &[],
            &s(&[
                "ID",
                "schemas",
                "emails.type",
                "name.familyName",
                "meta",
                "groups",
            ]),
            ResourceKind::User,
        );
        assert_eq!(out["id"], "u1");
        assert_eq!(out["schemas"], user()["schemas"]);
        assert!(out.get("meta").is_none() && out.get("groups").is_none());
        assert_eq!(out["name"], json!({"givenName": "Jane"}));
        assert_eq!(
            out["emails"],
            json!([
                {"value": "jane@corp.example", "primary": true},
                {"value": "j@home.example"}
            ])
        );
        assert_eq!(out["userName"], "jane@corp.example");
    }

    #[test]
    fn project_attributes_win_over_excluded() {
        let out = project(
            &user(),
            &s(&["userName"]),
            &s(&["userName"]),
            ResourceKind::User,
        );
        assert_eq!(out["userName"], "jane@corp.example");
    }

    #[test]
    fn project_unknown_and_odd_names_select_nothing() {
        let out = project(
            &user(),
            &s(&[
                "nope",
                "",
                "urn:unknown:thing",
                "name.nope",
                "active.sub",
                ".",
                "urn:",
            ]),
            &[],
            ResourceKind::User,
        );
        assert_eq!(
            out,
            json!({"schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], "id": "u1"})
        );
        assert_eq!(
            project(&json!([1]), &s(&["a"]), &[], ResourceKind::User),
            json!([1])
        );
    }

    #[test]
    fn project_group_members() {
        let group = json!({
            "schemas": [GROUP_SCHEMA],
            "id": "g1",
            "displayName": "Eng",
            "members": [{"value": "u1", "display": "Jane"}]
        });
        let out = project(&group, &s(&["members.value"]), &[], ResourceKind::Group);
        assert_eq!(
            out,
            json!({"schemas": [GROUP_SCHEMA], "id": "g1", "members": [{"value": "u1"}]})
        );
        let out = project(&group, &[], &s(&["members"]), ResourceKind::Group);
        assert!(out.get("members").is_none());
        assert_eq!(out["displayName"], "Eng");
    }

    #[test]
    fn project_odd_shapes_do_not_panic() {
        let odd = json!({
            "schemas": "not an array",
            "emails": [[1], null, {"value": 1}, "x"],
            "name": [{"givenName": {"deep": [1]}}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "flat",
            "id": null
        });
        let lists = [
            s(&[
                "emails.value",
                "name.givenName.deep",
                "name.",
                "..",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:x",
            ]),
            s(&[
                "urn:ietf:params:scim:schemas:core:2.0:User:",
                "ÄÖ.ü",
                "urn:ietf:params:scim:schemas:core:2.0:Userx",
            ]),
        ];
        for l in &lists {
            let _ = project(&odd, l, &[], ResourceKind::User);
            let _ = project(&odd, &[], l, ResourceKind::User);
            let _ = project(&odd, l, &[], ResourceKind::Group);
        }
        let out = project(&odd, &s(&["emails.value"]), &[], ResourceKind::User);
        assert_eq!(out["emails"], json!([{"value": 1}]));
        assert_eq!(out["id"], json!(null));
    }

    // ---- strip_read_only
}
