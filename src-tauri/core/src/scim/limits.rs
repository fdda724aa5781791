//! Bounds on what a request body and a stored resource may contain, so that no body makes the
//! server's work grow faster than its size, and no write leaves a resource the server cannot
//! read back.
//!
//! RFC 7644 leaves these to the service provider. The bounds are far above anything Okta or
//! Entra sends (a user is a few levels deep with a few dozen attributes; a group's members are a
//! list, not an object), and each refusal is a 400 `invalidValue` that says which bound and how to
//! stay within it.

use serde_json::{Map, Value};

use super::ScimError;

/// How deeply arrays and objects may nest in a resource (the resource itself is level 1). The
/// JSON parser refuses 128 levels, so a stored resource must stay well below that to be
/// readable whatever a PATCH adds around a value.
pub const MAX_DEPTH: usize = 64;

/// How many members one object may have. Attribute names are matched without case, so an
/// object's members are looked up by scanning them: the bound keeps each lookup short.
pub const MAX_OBJECT_MEMBERS: usize = 1000;

/// Operations one PATCH may carry. Okta sends a group's membership changes in batches of up to
/// a thousand.
pub const MAX_PATCH_OPERATIONS: usize = 10_000;

/// The deepest nesting in `v`, and the widest object in it (members), walked without recursion.
pub fn shape(v: &Value) -> (usize, usize) {
    walk(vec![(v, 1)], (0, 0))
}

/// [`shape`] of an object given as its members.
fn shape_of_object(m: &Map<String, Value>) -> (usize, usize) {
    walk(m.values().map(|c| (c, 2)).collect(), (1, m.len()))
}

fn walk(mut stack: Vec<(&Value, usize)>, (mut depth, mut width): (usize, usize)) -> (usize, usize) {
    while let Some((v, level)) = stack.pop() {
        match v {
            Value::Object(m) => {
                depth = depth.max(level);
                width = width.max(m.len());
                stack.extend(m.values().map(|c| (c, level + 1)));
            }
            Value::Array(items) => {
                depth = depth.max(level);
                stack.extend(items.iter().map(|c| (c, level + 1)));
            }
            _ => {}
        }
    }
    (depth, width)
}

/// A request body within the bounds, or the 400 that says which one it crosses.
pub fn check_body(body: &Value) -> Result<(), ScimError> {
    check(
        shape(body),
        (MAX_DEPTH, MAX_OBJECT_MEMBERS),
        "The request body",
    )
}

/// A resource about to be stored within the bounds, or the 400 saying why not. A resource that
/// was already stored beyond them (by an earlier version) may keep its shape, but not grow it,
/// so that it can still be updated and deactivated.
pub fn check_resource(
    resource: &Map<String, Value>,
    before: Option<&Map<String, Value>>,
) -> Result<(), ScimError> {
    let found = shape_of_object(resource);
    if found.0 <= MAX_DEPTH && found.1 <= MAX_OBJECT_MEMBERS {
        return Ok(());
    }
    let was = before.map_or((0, 0), shape_of_object);
    let allowed = (MAX_DEPTH.max(was.0), MAX_OBJECT_MEMBERS.max(was.1));
    check(found, allowed, "The resource this request would store")
}

fn check(
    (depth, width): (usize, usize),
    (max_depth, max_width): (usize, usize),
    what: &str,
) -> Result<(), ScimError> {
    if depth > max_depth {
        return Err(ScimError::invalid_value(format!(
            "{what} nests values {depth} levels deep; SCIM Desk accepts at most {max_depth}. \
             Send the attribute's value with less nesting."
        )));
    }
    if width > max_width {
        return Err(ScimError::invalid_value(format!(
            "{what} has an object with {width} attributes; SCIM Desk accepts at most {max_width} \
             in one object."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        let mut v = json!("x");
        for _ in 0..levels {
            v = json!([v]);
        }
        v
    }

    #[test]
    fn shape_counts_levels_and_members() {
        assert_eq!(shape(&json!("x")), (0, 0));
        assert_eq!(shape(&json!({})), (1, 0));
        assert_eq!(shape(&json!({"a": [1, {"b": 2, "c": 3}]})), (3, 2));
        assert_eq!(shape(&nested(500)).0, 500);
    }

    #[test]
    fn bodies_within_the_bounds_pass_and_others_say_which_bound() {
        check_body(&json!({"userName": "a@b.c", "x": nested(MAX_DEPTH - 1)})).unwrap();
        let deep = check_body(&json!({"x": nested(MAX_DEPTH)})).unwrap_err();
        assert_eq!(deep.status, 400);
        assert!(deep.detail.contains("65 levels"), "{}", deep.detail);
        let wide: Map<String, Value> = (0..=MAX_OBJECT_MEMBERS)
            .map(|i| (format!("a{i}"), json!(i)))
            .collect();
        let e = check_body(&Value::Object(wide)).unwrap_err();
        assert!(e.detail.contains("1001 attributes"), "{}", e.detail);
    }

    #[test]
    fn a_resource_stored_beyond_the_bounds_may_keep_its_shape_but_not_grow() {
        let mut legacy = Map::new();
        legacy.insert("deep".into(), nested(100));
        let mut deactivated = legacy.clone();
        deactivated.insert("active".into(), json!(false));
        check_resource(&deactivated, Some(&legacy)).unwrap();
        let mut deeper = legacy.clone();
        deeper.insert("more".into(), nested(101));
        check_resource(&deeper, Some(&legacy)).unwrap_err();
        check_resource(&legacy, None).unwrap_err();
    }
}
