//! SCIM PATCH (RFC 7644 §3.5.2): reading a PatchOp request body and applying its operations to
//! a resource's JSON, in the dialects Okta and Microsoft Entra actually send.
//!
//! This module works on JSON only: it is not for storage, versioning (ETags) or mapping the
//! patched document to employee columns, which the caller does with the result. It never panics
//! on input; every refusal is a `ScimError` whose detail an Okta or Entra admin can act on.
//!
//! Choices beyond the RFC, because real clients need them:
//! - A path-less `add`/`replace` applies each key of `value` as if it were a path, so Entra's
//!   dotted (`name.givenName`), URN-qualified and filtered (`emails[type eq "work"].value`) keys
//!   work; a key that is no valid path is stored as a plain attribute. Read-only keys and
//!   `schemas` are skipped, since Okta echoes `id` when it renames a group.
//! - A value filter that matches nothing on `add`/`replace` appends a new element when the
//!   filter is a plain conjunction of `eq` tests that does not test `value` (for example
//!   `emails[type eq "work"].value` or `addresses[type eq "work"].locality`): the new element is
//!   built from those `eq` tests plus the given value. Any other unmatched filter (for example
//!   `members[value eq "x"]`) is `noTarget`. RFC 7644 §3.5.2.3 makes every unmatched `replace`
//!   filter `noTarget`; we depart from it on purpose for these filters, because Microsoft Entra
//!   sends `Replace` (or `Add`, inconsistently: Microsoft's own answers tell SCIM servers to
//!   accept both) on `emails[type eq "work"].value`, `phoneNumbers[type eq "mobile"].value` or
//!   `addresses[type eq "work"].locality` for a user who has no such element yet, and expects
//!   the value to be there afterwards; a 400 there fails the object and, repeated, sends the
//!   provisioning job to quarantine. Such a filter names the element fully, so creating it is
//!   what the client meant. A filter on `value` names an identity that is not there, which stays
//!   `noTarget` as the RFC says.
//! - Replacing a multi-valued attribute with `[]`, removing its last element, or setting a single
//!   attribute to `null` or `""` removes the attribute; an extension object left empty is removed
//!   and its URN dropped from `schemas`.
//! - An added element whose `value` equals an existing element's is merged into it rather than
//!   duplicated.
//! - An explicit path to a read-only attribute (`id`, `meta`, …) is a `mutability` error.

use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::filter::{get_ci, CompareOp, Filter};
use crate::scim::limits::{MAX_OBJECT_MEMBERS, MAX_PATCH_OPERATIONS};
use crate::scim::patch_path::{parse_patch_path, PatchPath};
use crate::scim::path::AttrPath;
use crate::scim::schema::{self, ResourceKind, PATCH_OP_SCHEMA};
use crate::text::quoted;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOpKind {
    Add,
    Replace,
    Remove,
}

impl PatchOpKind {
    fn as_str(self) -> &'static str {
        match self {
            PatchOpKind::Add => "add",
            PatchOpKind::Replace => "replace",
            PatchOpKind::Remove => "remove",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: PatchOpKind,
    pub path: Option<PatchPath>,
    /// `Some(Value::Null)` when the request carried `"value": null`.
    pub value: Option<Value>,
}

/// What the applier needs to know about a resource type: which type it is. Every fact about an
/// attribute (multi-valued, read-only, boolean) is the schema's.
#[derive(Debug, Clone, Copy)]
pub struct PatchContext {
    pub kind: ResourceKind,
}

impl PatchContext {
    pub fn user() -> Self {
        PatchContext {
            kind: ResourceKind::User,
        }
    }

    pub fn group() -> Self {
        PatchContext {
            kind: ResourceKind::Group,
        }
    }

    fn extension_schemas(&self) -> &'static [&'static str] {
        self.kind.extensions()
    }

    fn is_read_only(&self, name: &str) -> bool {
        schema::is_read_only(self.kind, name)
    }

    fn is_multi_valued(&self, name: &str) -> bool {
        schema::is_multi_valued(self.kind, name)
    }

    fn is_boolean(&self, name: &str) -> bool {
        schema::is_boolean_attribute(self.kind, name)
    }

    fn is_boolean_sub(&self, sub: &str) -> bool {
        schema::is_boolean_sub_attribute(sub)
    }
}

// ---------------------------------------------------------------------------------------------
// Request parsing

fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Reads a PatchOp body into operations, checking each before any is applied.
pub fn parse_patch_request(body: &Value) -> Result<Vec<PatchOp>, ScimError> {
    let Some(obj) = body.as_object() else {
        return Err(ScimError::invalid_syntax(
            "The PATCH body must be a JSON object with an 'Operations' list.",
        ));
    };
    if let Some(schemas) = field(obj, "schemas") {
        let ok = match schemas {
            Value::Array(a) => a.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
            }),
            Value::String(s) => s.eq_ignore_ascii_case(PATCH_OP_SCHEMA),
            _ => false,
        };
        if !ok {
            return Err(ScimError::invalid_syntax(format!(
                "The PATCH body's 'schemas' must contain '{PATCH_OP_SCHEMA}'."
            )));
        }
    }
    let ops = match field(obj, "Operations") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) => {
            return Err(ScimError::invalid_syntax(
                "The PATCH body's 'Operations' list is empty; it needs at least one operation.",
            ))
        }
        Some(_) => {
            return Err(ScimError::invalid_syntax(
                "The PATCH body's 'Operations' must be a list of operations.",
            ))
        }
        None => {
            return Err(ScimError::invalid_syntax(
                "The PATCH body has no 'Operations' list.",
            ))
        }
    };
    if ops.len() > MAX_PATCH_OPERATIONS {
        return Err(ScimError::invalid_value(format!(
            "The PATCH body has {} operations; SCIM Desk accepts at most {MAX_PATCH_OPERATIONS} \
             in one request. Send them in several requests.",
            ops.len()
        )));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| parse_op(i + 1, op))
        .collect()
}

fn parse_op(n: usize, op: &Value) -> Result<PatchOp, ScimError> {
    let Some(obj) = op.as_object() else {
        return Err(ScimError::invalid_syntax(format!(
            "PATCH operation {n} must be a JSON object with 'op', 'path' and 'value'."
        )));
    };
    let kind = match field(obj, "op").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("add") => PatchOpKind::Add,
        Some(s) if s.eq_ignore_ascii_case("replace") => PatchOpKind::Replace,
        Some(s) if s.eq_ignore_ascii_case("remove") => PatchOpKind::Remove,
        Some(s) => {
            return Err(ScimError::invalid_syntax(format!(
                "PATCH operation {n} has op '{}'; it must be add, replace or remove.",
                quoted(s)
            )))
        }
        None => {
            return Err(ScimError::invalid_syntax(format!(
                "PATCH operation {n} has no 'op' (add, replace or remove)."
            )))
        }
    };
    let path = match field(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(parse_patch_path(s)?),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "PATCH operation {n} has a 'path' that is not a string."
            )))
        }
    };
    let value = field(obj, "value").cloned();
    match kind {
        PatchOpKind::Remove if path.is_none() => {
            return Err(ScimError::no_target(format!(
                "PATCH operation {n} is a remove without a 'path'; say which attribute to remove."
            )))
        }
        PatchOpKind::Add | PatchOpKind::Replace if value.is_none() => {
            return Err(ScimError::invalid_value(format!(
                "PATCH operation {n} ({}) has no 'value'.",
                kind.as_str()
            )))
        }
        _ => {}
    }
    Ok(PatchOp {
        op: kind,
        path,
        value,
    })
}

// ---------------------------------------------------------------------------------------------
// Applying

/// Applies `ops` in order. On error the resource may be partly patched: the caller must discard
/// it, as RFC 7644 requires a failed PATCH to change nothing.
pub fn apply_patch(
    resource: &mut Value,
    ops: &[PatchOp],
    ctx: &PatchContext,
) -> Result<(), ScimError> {
    if !resource.is_object() {
        return Err(ScimError::internal(
            "The resource to patch is not a JSON object.",
        ));
    }
    for op in ops {
        // A PATCH that cannot finish within its request's time is abandoned (and rolled back).
        if crate::deadline::passed() {
            return Err(ScimError::new(
                503,
                None,
                "The PATCH took too long and was abandoned; Okta can retry it.",
            ));
        }
        apply_op(resource, op, ctx)?;
    }
    Ok(())
}

fn apply_op(resource: &mut Value, op: &PatchOp, ctx: &PatchContext) -> Result<(), ScimError> {
    let Some(path) = &op.path else {
        if op.op == PatchOpKind::Remove {
            return Err(ScimError::no_target(
                "A PATCH remove needs a 'path' saying which attribute to remove.",
            ));
        }
        let Some(Value::Object(values)) = &op.value else {
            return Err(ScimError::invalid_value(format!(
                "A PATCH {} without a 'path' needs a 'value' that is an object of attributes.",
                op.op.as_str()
            )));
        };
        for (key, v) in values {
            apply_pathless_key(resource, ctx, op.op, key, v)?;
        }
        return Ok(());
    };
    let target = Target {
        attr: path.attr.clone(),
        filter: path.value_filter.as_ref(),
        fsub: path.sub.as_deref(),
    };
    if path.value_filter.is_none() {
        if let Some(ext) = whole_extension(ctx, resource, &path.attr) {
            return apply_whole_extension(resource, ctx, op.op, &ext, op.value.as_ref());
        }
    }
    if (path.attr.urn.is_none() || path.attr.is_core_urn()) && ctx.is_read_only(&path.attr.name) {
        return Err(ScimError::mutability(format!(
            "'{}' is read-only and cannot be changed by PATCH.",
            path.attr.name
        )));
    }
    apply_target(resource, ctx, op.op, &target, op.value.as_ref())
}

struct Target<'a> {
    attr: AttrPath,
    filter: Option<&'a Filter>,
    fsub: Option<&'a str>,
}

impl Target<'_> {
    fn describe(&self) -> String {
        let mut s = self.attr.to_string();
        if let Some(f) = self.filter {
            s.push_str(&format!("[{f}]"));
        }
        if let Some(sub) = self.fsub {
            s.push('.');
            s.push_str(sub);
        }
        quoted(&s)
    }
}

fn apply_pathless_key(
    resource: &mut Value,
    ctx: &PatchContext,
    kind: PatchOpKind,
    key: &str,
    v: &Value,
) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    if let Some(ext) = whole_extension_key(ctx, resource, key) {
        return apply_whole_extension(resource, ctx, kind, &ext, Some(v));
    }
    // Entra also writes filtered paths as keys: {"emails[type eq \"work\"].value": "…"}.
    if key.contains('[') {
        if let Ok(p) = parse_patch_path(key) {
            let target = Target {
                attr: p.attr.clone(),
                filter: p.value_filter.as_ref(),
                fsub: p.sub.as_deref(),
            };
            return apply_target(resource, ctx, kind, &target, Some(v));
        }
    }
    // A key that is not a valid path is still an attribute the client wants kept.
    let attr = crate::scim::path::parse_attr_path(key).unwrap_or_else(|_| AttrPath::new(key));
    if (attr.urn.is_none() || attr.is_core_urn()) && ctx.is_read_only(&attr.name) {
        return Ok(());
    }
    let target = Target {
        attr,
        filter: None,
        fsub: None,
    };
    apply_target(resource, ctx, kind, &target, Some(v))
}

/// The canonical key of a whole extension object named by `key`, if it names one.
fn whole_extension_key(ctx: &PatchContext, resource: &Value, key: &str) -> Option<String> {
    if !key.to_ascii_lowercase().starts_with("urn:") || crate::scim::path::is_core_urn(key) {
        return None;
    }
    if let Some(map) = resource.as_object() {
        if let Some(k) = map.keys().find(|k| k.eq_ignore_ascii_case(key)) {
            return Some(k.clone());
        }
    }
    if let Some(s) = ctx
        .extension_schemas()
        .iter()
        .find(|s| s.eq_ignore_ascii_case(key))
    {
        return Some(s.to_string());
    }
    let in_schemas = get_ci(resource, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(key)))
        });
    in_schemas.then(|| key.to_string())
}

fn whole_extension(ctx: &PatchContext, resource: &Value, attr: &AttrPath) -> Option<String> {
    let urn = attr.urn.as_deref()?;
    if attr.sub.is_some() {
        return None;
    }
    whole_extension_key(ctx, resource, &format!("{urn}:{}", attr.name))
}

fn apply_whole_extension(
    resource: &mut Value,
    ctx: &PatchContext,
    kind: PatchOpKind,
    ext: &str,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match (kind, value) {
        (PatchOpKind::Remove, _) | (_, Some(Value::Null)) => {
            if let Some(map) = resource.as_object_mut() {
                map.remove(ext);
            }
            drop_schema(resource, ext);
            Ok(())
        }
        (_, Some(Value::Object(m))) => {
            for (k, v) in m {
                let mut attr =
                    crate::scim::path::parse_attr_path(k).unwrap_or_else(|_| AttrPath::new(k));
                if attr.urn.is_none() {
                    attr.urn = Some(ext.to_string());
                }
                let target = Target {
                    attr,
                    filter: None,
                    fsub: None,
                };
                apply_target(resource, ctx, kind, &target, Some(v))?;
            }
            Ok(())
        }
        _ => Err(ScimError::invalid_value(format!(
            "The value for '{}' must be an object of its attributes.",
            quoted(ext)
        ))),
    }
}

fn drop_schema(resource: &mut Value, urn: &str) {
    if let Some(Value::Array(a)) = resource.get_mut("schemas") {
        a.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)));
    }
}

fn add_schema(resource: &mut Value, urn: &str) {
    if let Some(Value::Array(a)) = resource.get_mut("schemas") {
        if !a
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
        {
            a.push(Value::String(urn.to_string()));
        }
    }
}

fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_string());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

fn is_blank(v: &Value) -> bool {
    v.is_null() || v.as_str().is_some_and(str::is_empty)
}

fn coerce_bool(v: &Value, what: &str) -> Result<Value, ScimError> {
    match v {
        Value::Bool(_) | Value::Null => Ok(v.clone()),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        other => Err(ScimError::invalid_value(format!(
            "'{what}' must be true or false, not {}.",
            quoted(&other.to_string())
        ))),
    }
}

/// Turns Entra's string booleans into booleans inside one complex value.
fn coerce_complex(ctx: &PatchContext, v: &Value, what: &str) -> Result<Value, ScimError> {
    let Value::Object(m) = v else {
        return Ok(v.clone());
    };
    let mut out = Map::new();
    for (k, sv) in m {
        let sv = if ctx.is_boolean_sub(k) {
            coerce_bool(sv, &format!("{what}.{k}"))?
        } else {
            sv.clone()
        };
        out.insert(k.clone(), sv);
    }
    Ok(Value::Object(out))
}

/// Where an attribute lives: at the top level, or inside the extension object named here.
fn scope_key(ctx: &PatchContext, resource: &Value, attr: &AttrPath) -> Option<String> {
    let urn = attr.urn.as_deref()?;
    if attr.is_core_urn() {
        return None;
    }
    if let Some(k) = resource
        .as_object()
        .and_then(|m| m.keys().find(|k| k.eq_ignore_ascii_case(urn)))
    {
        return Some(k.clone());
    }
    Some(
        ctx.extension_schemas()
            .iter()
            .find(|s| s.eq_ignore_ascii_case(urn))
            .map_or_else(|| urn.to_string(), |s| s.to_string()),
    )
}

fn identity(v: &Value) -> Option<&Value> {
    get_ci(v, "value")
}

/// What decides whether two elements of a multi-valued attribute are the same one: their
/// `value` when both have one, else the whole element. As text, with object members sorted, so
/// that elements equal as JSON have equal keys and a list is matched through a map in one pass
/// rather than compared pair by pair (which grows with the square of the list).
fn identity_key(v: &Value) -> String {
    let mut key = String::new();
    match identity(v) {
        Some(id) => {
            key.push('v');
            write_sorted(id, &mut key);
        }
        None => {
            key.push('w');
            write_sorted(v, &mut key);
        }
    }
    key
}

/// JSON text of `v` with the members of every object in sorted order.
fn write_sorted(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut members: Vec<(&String, &Value)> = m.iter().collect();
            members.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push(':');
                write_sorted(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn is_primary(v: &Value) -> bool {
    get_ci(v, "primary") == Some(&Value::Bool(true))
}

/// Keeps one primary: the element at `keep` wins over any other marked primary.
fn demote_others(items: &mut [Value], keep: usize) {
    for (i, item) in items.iter_mut().enumerate() {
        if i == keep {
            continue;
        }
        if let Some(m) = item.as_object_mut() {
            if let Some(k) = find_key(m, "primary") {
                if m.get(&k) == Some(&Value::Bool(true)) {
                    m.insert(k, Value::Bool(false));
                }
            }
        }
    }
}

fn enforce_primary(items: &mut [Value], touched: &[usize]) {
    if let Some(&keep) = touched
        .iter()
        .rev()
        .find(|&&i| items.get(i).is_some_and(is_primary))
    {
        demote_others(items, keep);
    }
}

/// The element a filter like `type eq "work"` describes, so an unmatched filter can append it;
/// `None` when the filter is not a conjunction of such tests or tests `value` (an identity).
fn seed_from_filter(f: &Filter, out: &mut Map<String, Value>) -> bool {
    match f {
        Filter::And(a, b) => seed_from_filter(a, out) && seed_from_filter(b, out),
        Filter::Compare(p, CompareOp::Eq, v)
            if p.urn.is_none()
                && p.sub.is_none()
                && !p.name.eq_ignore_ascii_case("value")
                && !v.is_null() =>
        {
            out.insert(p.name.clone(), v.clone());
            true
        }
        _ => false,
    }
}

/// Sets `name` (matched without case) in `map`; a new attribute only while the object is within
/// [`MAX_OBJECT_MEMBERS`], which keeps every later lookup in it short.
fn set_ci(map: &mut Map<String, Value>, name: &str, v: Value) -> Result<(), ScimError> {
    match find_key(map, name) {
        Some(k) => {
            map.insert(k, v);
        }
        None if map.len() >= MAX_OBJECT_MEMBERS => {
            return Err(ScimError::invalid_value(format!(
                "This PATCH would give an object more than {MAX_OBJECT_MEMBERS} attributes, the \
                 most SCIM Desk accepts in one object."
            )))
        }
        None => {
            map.insert(name.to_string(), v);
        }
    }
    Ok(())
}

fn remove_ci(map: &mut Map<String, Value>, name: &str) {
    if let Some(k) = find_key(map, name) {
        map.remove(&k);
    }
}

/// One operation as it is applied: what it does, to which attribute, with which value, on
/// which resource type.
#[derive(Clone, Copy)]
struct Step<'a> {
    ctx: &'a PatchContext,
    kind: PatchOpKind,
    target: &'a Target<'a>,
    value: Option<&'a Value>,
}

impl<'a> Step<'a> {
    fn parts(
        self,
    ) -> (
        &'a PatchContext,
        PatchOpKind,
        &'a Target<'a>,
        Option<&'a Value>,
    ) {
        (self.ctx, self.kind, self.target, self.value)
    }
}

fn apply_target(
    resource: &mut Value,
    ctx: &PatchContext,
    kind: PatchOpKind,
    target: &Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let step = Step {
        ctx,
        kind,
        target,
        value,
    };
    let scope = scope_key(ctx, resource, &target.attr);
    if kind != PatchOpKind::Remove && value.is_none() {
        return Err(ScimError::invalid_value(format!(
            "The PATCH {} of '{}' has no 'value'.",
            kind.as_str(),
            target.describe()
        )));
    }
    let result = {
        let Some(container) = container_mut(resource, scope.as_deref(), kind) else {
            // Removing from an extension the resource does not have: nothing to do.
            return Ok(());
        };
        // An operation may not widen an object past the bound (nor one already past it,
        // further): attribute names are looked up without case by scanning an object's members.
        let allowed = MAX_OBJECT_MEMBERS.max(container.len());
        let result = apply_in_container(container, step, scope.is_some());
        if container.len() > allowed {
            return Err(ScimError::invalid_value(format!(
                "This PATCH would give an object more than {allowed} attributes, the most SCIM \
                 Desk accepts in one object."
            )));
        }
        result
    };
    if let Some(ext) = &scope {
        let empty = resource
            .get(ext)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty);
        if empty {
            if let Some(m) = resource.as_object_mut() {
                m.remove(ext);
            }
            drop_schema(resource, ext);
        } else if resource.get(ext).is_some() {
            add_schema(resource, ext);
        }
    }
    result
}

fn container_mut<'a>(
    resource: &'a mut Value,
    scope: Option<&str>,
    kind: PatchOpKind,
) -> Option<&'a mut Map<String, Value>> {
    let root = resource.as_object_mut()?;
    let Some(ext) = scope else {
        return Some(root);
    };
    if kind == PatchOpKind::Remove && !root.get(ext).is_some_and(Value::is_object) {
        return None;
    }
    let slot = root
        .entry(ext.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

fn apply_in_container(
    container: &mut Map<String, Value>,
    step: Step<'_>,
    in_extension: bool,
) -> Result<(), ScimError> {
    let (ctx, kind, target, value) = step.parts();
    let name = target.attr.name.as_str();
    let key = find_key(container, name).unwrap_or_else(|| name.to_string());
    let existing_is_array = container.get(&key).is_some_and(Value::is_array);
    let multi = (!in_extension && ctx.is_multi_valued(name))
        || existing_is_array
        || (!container.contains_key(&key)
            && target.attr.sub.is_none()
            && target.filter.is_none()
            && value.is_some_and(Value::is_array));

    if let Some(filter) = target.filter {
        return apply_filtered(container, step, filter, &key);
    }
    if let Some(sub) = target.attr.sub.as_deref() {
        return apply_sub(container, step, &key, sub, multi);
    }

    let Some(value) = value else {
        container.remove(&key);
        return Ok(());
    };
    if kind == PatchOpKind::Remove {
        if multi && !value.is_null() {
            // Entra removes members by listing them in `value`.
            let victims: Vec<Value> = match value {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let victims: std::collections::HashSet<String> =
                victims.iter().map(identity_key).collect();
            if let Some(Value::Array(items)) = container.get_mut(&key) {
                items.retain(|it| !victims.contains(&identity_key(it)));
                if items.is_empty() {
                    container.remove(&key);
                }
            }
        } else {
            container.remove(&key);
        }
        return Ok(());
    }

    if multi {
        if value.is_null() {
            container.remove(&key);
            return Ok(());
        }
        let given: Vec<Value> = match value {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        let given = given
            .iter()
            .map(|v| coerce_complex(ctx, v, name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut items = match (kind, container.remove(&key)) {
            (PatchOpKind::Add, Some(Value::Array(a))) => a,
            (PatchOpKind::Add, Some(other)) if !other.is_null() => vec![other],
            _ => Vec::new(),
        };
        let mut touched = Vec::new();
        // Where each element already there is, by identity (the first of equal ones).
        let mut at: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(items.len() + given.len());
        for (i, it) in items.iter().enumerate() {
            at.entry(identity_key(it)).or_insert(i);
        }
        for g in given {
            let key = identity_key(&g);
            if let Some(&i) = at.get(&key) {
                if let (Some(dst), Value::Object(src)) = (items[i].as_object_mut(), &g) {
                    for (k, v) in src {
                        set_ci(dst, k, v.clone())?;
                    }
                }
                touched.push(i);
            } else {
                items.push(g);
                at.insert(key, items.len() - 1);
                touched.push(items.len() - 1);
            }
        }
        enforce_primary(&mut items, &touched);
        if !items.is_empty() {
            container.insert(key, Value::Array(items));
        }
        return Ok(());
    }

    let value = coerce_single(ctx, name, in_extension, value)?;
    if is_blank(&value) {
        container.remove(&key);
        return Ok(());
    }
    match (container.get_mut(&key), &value) {
        (Some(Value::Object(dst)), Value::Object(src)) => {
            // RFC 7644 §3.5.2.1/3: sub-attributes not given stay as they are.
            for (k, v) in src {
                if is_blank(v) {
                    remove_ci(dst, k);
                } else {
                    set_ci(dst, k, v.clone())?;
                }
            }
            if dst.is_empty() {
                container.remove(&key);
            }
        }
        (_, Value::Object(src)) => {
            let kept: Map<String, Value> = src
                .iter()
                .filter(|(_, v)| !is_blank(v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if kept.is_empty() {
                container.remove(&key);
            } else {
                container.insert(key, Value::Object(kept));
            }
        }
        _ => {
            container.insert(key, value);
        }
    }
    Ok(())
}

fn coerce_single(
    ctx: &PatchContext,
    name: &str,
    in_extension: bool,
    value: &Value,
) -> Result<Value, ScimError> {
    if !in_extension && ctx.is_boolean(name) {
        return coerce_bool(value, name);
    }
    if in_extension && name.eq_ignore_ascii_case("manager") {
        // Entra sends the manager as a bare id string.
        if let Value::String(s) = value {
            if s.is_empty() {
                return Ok(Value::Null);
            }
            return Ok(serde_json::json!({ "value": s }));
        }
    }
    coerce_complex(ctx, value, name)
}

fn apply_sub(
    container: &mut Map<String, Value>,
    step: Step<'_>,
    key: &str,
    sub: &str,
    multi: bool,
) -> Result<(), ScimError> {
    let (ctx, kind, target, value) = step.parts();
    let what = target.describe();
    let value = match value {
        Some(v) if ctx.is_boolean_sub(sub) => Some(coerce_bool(v, &what)?),
        Some(v) => Some(v.clone()),
        None => None,
    };
    let setting = match (&value, kind) {
        (_, PatchOpKind::Remove) | (None, _) => None,
        (Some(v), _) if is_blank(v) => None,
        (Some(v), _) => Some(v.clone()),
    };
    match container.get_mut(key) {
        Some(Value::Array(items)) => {
            // No filter: the sub-attribute of every element.
            for it in items.iter_mut() {
                if let Some(m) = it.as_object_mut() {
                    match &setting {
                        Some(v) => set_ci(m, sub, v.clone())?,
                        None => remove_ci(m, sub),
                    }
                }
            }
            if items.is_empty() {
                if let Some(v) = setting {
                    let mut m = Map::new();
                    m.insert(sub.to_string(), v);
                    items.push(Value::Object(m));
                } else {
                    container.remove(key);
                }
            }
        }
        Some(Value::Object(m)) => {
            match setting {
                Some(v) => set_ci(m, sub, v)?,
                None => remove_ci(m, sub),
            }
            if m.is_empty() {
                container.remove(key);
            }
        }
        _ => {
            if let Some(v) = setting {
                let mut m = Map::new();
                m.insert(sub.to_string(), v);
                let v = Value::Object(m);
                container.insert(
                    key.to_string(),
                    if multi { Value::Array(vec![v]) } else { v },
                );
            } else if kind == PatchOpKind::Remove || value.is_some() {
                container.remove(key);
            }
        }
    }
    Ok(())
}

/// Removes the elements at `hits` (ascending indexes), in one pass.
fn drop_hits(items: &mut Vec<Value>, hits: &[usize]) {
    let mut hit = hits.iter().peekable();
    let mut i = 0;
    items.retain(|_| {
        let drop = hit.next_if(|&&h| h == i).is_some();
        i += 1;
        !drop
    });
}

fn apply_filtered(
    container: &mut Map<String, Value>,
    step: Step<'_>,
    filter: &Filter,
    key: &str,
) -> Result<(), ScimError> {
    let (ctx, kind, target, value) = step.parts();
    let what = target.describe();
    // A single complex attribute (`name[givenName eq "x"]`) is filtered as a list of one and
    // keeps its shape.
    let mut was_single = false;
    let mut items = match container.remove(key) {
        Some(Value::Array(a)) => a,
        Some(Value::Null) | None => Vec::new(),
        Some(other) => {
            was_single = true;
            vec![other]
        }
    };
    let hits: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, it)| {
            if it.is_object() {
                filter.matches(it)
            } else {
                filter.matches(&serde_json::json!({ "value": it }))
            }
        })
        .map(|(i, _)| i)
        .collect();

    let outcome = (|| -> Result<(), ScimError> {
        if kind == PatchOpKind::Remove {
            if let Some(sub) = target.fsub {
                for &i in &hits {
                    if let Some(m) = items[i].as_object_mut() {
                        remove_ci(m, sub);
                    }
                }
            } else {
                drop_hits(&mut items, &hits);
            }
            return Ok(());
        }
        let Some(value) = value else {
            return Err(ScimError::invalid_value(format!(
                "The PATCH {} of '{what}' has no 'value'.",
                kind.as_str()
            )));
        };
        let value = match target.fsub {
            Some(sub) if ctx.is_boolean_sub(sub) => coerce_bool(value, &what)?,
            Some(_) => value.clone(),
            None => coerce_complex(ctx, value, &target.attr.name)?,
        };
        if hits.is_empty() {
            let mut seed = Map::new();
            if !seed_from_filter(filter, &mut seed) {
                return Err(ScimError::no_target(format!(
                    "The PATCH path '{what}' matches no value of '{}', so there is nothing to {}.",
                    target.attr.name,
                    kind.as_str()
                )));
            }
            if is_blank(&value) {
                return Ok(());
            }
            match (target.fsub, &value) {
                (Some(sub), v) => {
                    seed.insert(sub.to_string(), v.clone());
                }
                (None, Value::Object(m)) => {
                    for (k, v) in m {
                        set_ci(&mut seed, k, v.clone())?;
                    }
                }
                (None, _) => {
                    return Err(ScimError::invalid_value(format!(
                        "The value for '{what}' must be an object of sub-attributes."
                    )))
                }
            }
            items.push(Value::Object(seed));
            let last = items.len() - 1;
            enforce_primary(&mut items, &[last]);
            return Ok(());
        }
        match target.fsub {
            Some(sub) => {
                for &i in &hits {
                    if let Some(m) = items[i].as_object_mut() {
                        if is_blank(&value) {
                            remove_ci(m, sub);
                        } else {
                            set_ci(m, sub, value.clone())?;
                        }
                    }
                }
            }
            None if value.is_null() => {
                drop_hits(&mut items, &hits);
                return Ok(());
            }
            None => {
                for &i in &hits {
                    items[i] = value.clone();
                }
            }
        }
        enforce_primary(&mut items, &hits);
        Ok(())
    })();
    if was_single && items.len() == 1 {
        if let Some(only) = items.pop() {
            container.insert(key.to_string(), only);
        }
    } else if !items.is_empty() {
        container.insert(key.to_string(), Value::Array(items));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::Dialect;
    use crate::scim::error::ScimType;
    use crate::scim::schema::{
        ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA as CORE_GROUP_SCHEMA, USER_SCHEMA as CORE_USER_SCHEMA,
    };
    use serde_json::json;

    const ENT: &str = ENTERPRISE_USER_SCHEMA;

    fn user() -> Value {
        json!({
            "schemas": [CORE_USER_SCHEMA],
            "id": "u1",
            "userName": "jane@corp.example",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"value": "jane@corp.example", "type": "work", "primary": true}],
            "active": true,
            "meta": {"resourceType": "User"}
        })
    }

    fn group() -> Value {
        json!({
            "schemas": [CORE_GROUP_SCHEMA],
            "id": "g1",
            "displayName": "Sales",
            "members": [{"value": "u1", "display": "Jane"}, {"value": "u2", "display": "Bob"}]
        })
    }

    fn patch(resource: &mut Value, body: Value, ctx: &PatchContext) -> Result<(), ScimError> {
        let ops = parse_patch_request(&body)?;
        apply_patch(resource, &ops, ctx)
    }

    fn ok_user(ops: Value) -> Value {
        let mut u = user();
        if let Err(e) = patch(&mut u, json!({ "Operations": ops }), &PatchContext::user()) {
            panic!("{}", e.detail);
        }
        u
    }

    fn ok_group(ops: Value) -> Value {
        let mut g = group();
        if let Err(e) = patch(&mut g, json!({ "Operations": ops }), &PatchContext::group()) {
            panic!("{}", e.detail);
        }
        g
    }

    fn err_user(ops: Value) -> ScimError {
        let mut u = user();
        patch(&mut u, json!({ "Operations": ops }), &PatchContext::user()).unwrap_err()
    }

    #[test]
    fn request_validation() {
        let bad = |b: Value| parse_patch_request(&b).unwrap_err();
        assert_eq!(bad(json!([])).scim_type, Some(ScimType::InvalidSyntax));
        assert_eq!(bad(json!({})).scim_type, Some(ScimType::InvalidSyntax));
        assert_eq!(
            bad(json!({"Operations": []})).scim_type,
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            bad(json!({"Operations": {}})).scim_type,
            Some(ScimType::InvalidSyntax)
        );
        let e = bad(json!({"schemas": ["urn:x"], "Operations": [{"op": "add", "value": {}}]}));
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
        let e = bad(json!({"Operations": [{"op": "move", "path": "x"}]}));
        assert!(e.detail.contains("'move'"), "{}", e.detail);
        assert_eq!(
            bad(json!({"Operations": [{"path": "x"}]})).scim_type,
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            bad(json!({"Operations": [{"op": "remove"}]})).scim_type,
            Some(ScimType::NoTarget)
        );
        assert_eq!(
            bad(json!({"Operations": [{"op": "add", "path": "title"}]})).scim_type,
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            bad(json!({"Operations": [{"op": "add", "path": "emails[type eq", "value": "x"}]}))
                .scim_type,
            Some(ScimType::InvalidPath)
        );
        let ops = parse_patch_request(&json!({
            "schemas": [PATCH_OP_SCHEMA],
            "operations": [{"OP": "Replace", "Path": "title", "Value": "CEO"}, {"op": "ADD", "value": {}}]
        }))
        .unwrap();
        assert_eq!(ops[0].op, PatchOpKind::Replace);
        assert_eq!(ops[1].op, PatchOpKind::Add);
        assert_eq!(ops[0].value, Some(json!("CEO")));
    }

    // --- Okta ---

    #[test]
    fn okta_deactivate_and_reactivate() {
        let u = ok_user(json!([{"op": "replace", "value": {"active": false}}]));
        assert_eq!(u["active"], json!(false));
        let u = ok_user(json!([{"op": "replace", "value": {"active": true}}]));
        assert_eq!(u["active"], json!(true));
    }

    #[test]
    fn okta_group_rename_with_id() {
        let g = ok_group(
            json!([{"op": "replace", "value": {"id": "other", "displayName": "Sales EMEA"}}]),
        );
        assert_eq!(g["id"], "g1");
        assert_eq!(g["displayName"], "Sales EMEA");
    }

    #[test]
    fn okta_group_members() {
        let g = ok_group(json!([{"op": "add", "path": "members", "value": [
            {"value": "u3", "display": "Cy"}, {"value": "u1", "display": "Jane"}]}]));
        assert_eq!(g["members"].as_array().unwrap().len(), 3);
        let g = ok_group(json!([{"op": "remove", "path": "members[value eq \"u2\"]"}]));
        assert_eq!(g["members"], json!([{"value": "u1", "display": "Jane"}]));
        let g = ok_group(json!([{"op": "remove", "path": "members[value eq \"nobody\"]"}]));
        assert_eq!(g["members"].as_array().unwrap().len(), 2);
        let g = ok_group(json!([{"op": "replace", "path": "members", "value": []}]));
        assert!(g.get("members").is_none());
        let g = ok_group(json!([
            {"op": "remove", "path": "members[value eq \"u1\"]"},
            {"op": "remove", "path": "members[value eq \"u2\"]"}
        ]));
        assert!(g.get("members").is_none());
        let g = ok_group(json!([{"op": "replace", "path": "members", "value": [{"value": "u9"}]}]));
        assert_eq!(g["members"], json!([{"value": "u9"}]));
    }

    // --- Entra ---

    #[test]
    fn entra_string_booleans_and_capitalised_ops() {
        let u = ok_user(json!([{"op": "Replace", "path": "active", "value": "False"}]));
        assert_eq!(u["active"], json!(false));
        let u = ok_user(json!([{"op": "Replace", "value": {"active": "True"}}]));
        assert_eq!(u["active"], json!(true));
        let e = err_user(json!([{"op": "Replace", "path": "active", "value": "maybe"}]));
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        let u = ok_user(
            json!([{"op": "Add", "path": "emails[type eq \"work\"].primary", "value": "true"}]),
        );
        assert_eq!(u["emails"][0]["primary"], json!(true));
    }

    #[test]
    fn entra_pathless_dotted_and_urn_keys() {
        let u = ok_user(json!([{"op": "Replace", "value": {
            "name.givenName": "Janet",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
            "displayName": "Janet Doe"
        }}]));
        assert_eq!(
            u["name"],
            json!({"givenName": "Janet", "familyName": "Doe"})
        );
        assert_eq!(u[ENT]["employeeNumber"], "42");
        assert_eq!(u["displayName"], "Janet Doe");
        assert!(u["schemas"].as_array().unwrap().contains(&json!(ENT)));
        let u = ok_user(json!([{"op": "Add", "value": {
            "emails[type eq \"work\"].value": "w@corp.example",
            "addresses[type eq \"work\"].locality": "Oslo"
        }}]));
        assert_eq!(u["emails"][0]["value"], "w@corp.example");
        assert_eq!(
            u["addresses"],
            json!([{"type": "work", "locality": "Oslo"}])
        );
        let u = ok_user(json!([{"op": "Add", "value": {ENT: {"department": "X"}}}]));
        assert_eq!(u[ENT], json!({"department": "X"}));
    }

    #[test]
    fn entra_manager_as_string() {
        let u =
            ok_user(json!([{"op": "Replace", "path": format!("{ENT}:manager"), "value": "abc"}]));
        assert_eq!(u[ENT]["manager"], json!({"value": "abc"}));
        let mut u2 = u.clone();
        patch(&mut u2, json!({"Operations": [{"op": "Replace", "path": format!("{ENT}:manager"), "value": ""}]}), &PatchContext::user()).unwrap();
        assert!(u2.get(ENT).is_none());
        assert!(!u2["schemas"].as_array().unwrap().contains(&json!(ENT)));
        let u = ok_user(
            json!([{"op": "Add", "path": format!("{ENT}:manager.value"), "value": "m@corp"}]),
        );
        assert_eq!(u[ENT]["manager"], json!({"value": "m@corp"}));
    }

    #[test]
    fn entra_work_email_and_address_append() {
        let u = ok_user(
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@corp.example"}]),
        );
        assert_eq!(u["emails"][0]["value"], "new@corp.example");
        assert_eq!(u["emails"].as_array().unwrap().len(), 1);
        let u = ok_user(
            json!([{"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Paris"}]),
        );
        assert_eq!(
            u["addresses"],
            json!([{"type": "work", "locality": "Paris"}])
        );
        let u = ok_user(
            json!([{"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+331"}]),
        );
        assert_eq!(
            u["phoneNumbers"],
            json!([{"type": "mobile", "value": "+331"}])
        );
        let u = ok_user(json!([
            {"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Paris"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].country", "value": "FR"}
        ]));
        assert_eq!(
            u["addresses"],
            json!([{"type": "work", "locality": "Paris", "country": "FR"}])
        );
    }

    /// Entra's roles: `primary` as the string "True", and value paths filtering on it with a
    /// string or a real boolean. Each changes the one stored role in place.
    #[test]
    fn entra_roles_change_in_place() {
        let mut u = user();
        u["roles"] =
            json!([{"primary": true, "value": "admin", "type": "AppRole", "display": "Admin"}]);
        let ctx = PatchContext::user();
        for (op, path, value) in [
            ("Replace", r#"roles[primary eq "True"].value"#, "reader"),
            ("replace", "roles[primary eq true].display", "Reader"),
            (
                "Add",
                r#"roles[primary eq "true"].type"#,
                "WindowsAzureActiveDirectoryRole",
            ),
        ] {
            patch(
                &mut u,
                json!({"Operations": [{"op": op, "path": path, "value": value}]}),
                &ctx,
            )
            .unwrap();
        }
        assert_eq!(
            u["roles"],
            json!([{"primary": true, "value": "reader", "type": "WindowsAzureActiveDirectoryRole", "display": "Reader"}])
        );
        // A stored string "True" (written before booleans were coerced) matches too.
        u["roles"][0]["primary"] = json!("True");
        patch(
            &mut u,
            json!({"Operations": [{"op": "Replace", "path": "roles[primary eq true].value", "value": "x"}]}),
            &ctx,
        )
        .unwrap();
        assert_eq!(u["roles"].as_array().unwrap().len(), 1);
        assert_eq!(u["roles"][0]["value"], "x");
        // A boolean sub-attribute set through a value path is coerced; anything else refused.
        patch(
            &mut u,
            json!({"Operations": [{"op": "Replace", "path": "roles[value eq \"x\"].primary", "value": "False"}]}),
            &ctx,
        )
        .unwrap();
        assert_eq!(u["roles"][0]["primary"], false);
        let e = patch(
            &mut u,
            json!({"Operations": [{"op": "Replace", "path": "roles[value eq \"x\"].primary", "value": "no"}]}),
            &ctx,
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert!(e.detail.contains("primary"), "{}", e.detail);
    }

    /// A replace on a value path whose filter matches nothing: created from the filter's
    /// equalities when they describe the element (Entra's work email for a user who has none),
    /// `noTarget` otherwise; the rule of the module comment.
    #[test]
    fn entra_replace_of_a_missing_typed_element_creates_it() {
        let u = ok_user(json!([
            {"op": "Replace", "path": "phoneNumbers[type eq \"fax\"].value", "value": "+1 555"},
            {"op": "Replace", "path": "roles[primary eq \"True\" and type eq \"AppRole\"].value", "value": "r"}
        ]));
        assert_eq!(
            u["phoneNumbers"],
            json!([{"type": "fax", "value": "+1 555"}])
        );
        // The seed keeps the filter's text; the directory's boolean walk makes it a boolean.
        assert_eq!(u["roles"].as_array().unwrap().len(), 1);
        assert_eq!(u["roles"][0]["value"], "r");
        let e = err_user(
            json!([{"op": "Replace", "path": "roles[value eq \"nope\"].display", "value": "x"}]),
        );
        assert_eq!(e.scim_type, Some(ScimType::NoTarget));
    }

    #[test]
    fn entra_remove_members_by_value() {
        let g = ok_group(json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}]}]));
        assert_eq!(g["members"], json!([{"value": "u2", "display": "Bob"}]));
        let g = ok_group(
            json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}]),
        );
        assert!(g.get("members").is_none());
        let g = ok_group(json!([{"op": "Remove", "path": "members"}]));
        assert!(g.get("members").is_none());
    }

    // --- RFC semantics ---

    #[test]
    fn add_semantics() {
        let u = ok_user(json!([{"op": "add", "path": "title", "value": "CEO"}]));
        assert_eq!(u["title"], "CEO");
        let u = ok_user(json!([{"op": "add", "path": "name", "value": {"middleName": "Q"}}]));
        assert_eq!(
            u["name"],
            json!({"givenName": "Jane", "familyName": "Doe", "middleName": "Q"})
        );
        let u = ok_user(json!([{"op": "add", "path": "emails", "value": [
            {"value": "jane@corp.example", "type": "work"},
            {"value": "j@home", "type": "home", "primary": true}]}]));
        let emails = u["emails"].as_array().unwrap();
        assert_eq!(emails.len(), 2);
        assert_eq!(emails[0]["primary"], json!(false));
        assert_eq!(emails[1]["primary"], json!(true));
        let u = ok_user(
            json!([{"op": "add", "value": {"nickName": "JJ", "emails": [{"value": "x@y"}]}}]),
        );
        assert_eq!(u["nickName"], "JJ");
        assert_eq!(u["emails"].as_array().unwrap().len(), 2);
        let u = ok_user(json!([{"op": "add", "path": "customTags", "value": ["a"]},
                               {"op": "add", "path": "customTags", "value": ["a", "b"]}]));
        assert_eq!(u["customTags"], json!(["a", "b"]));
    }

    #[test]
    fn replace_semantics() {
        let u =
            ok_user(json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x"}]}]));
        assert_eq!(u["emails"], json!([{"value": "only@x"}]));
        let u = ok_user(json!([{"op": "replace", "path": "name", "value": {"familyName": "Roe"}}]));
        assert_eq!(u["name"], json!({"givenName": "Jane", "familyName": "Roe"}));
        let u = ok_user(json!([{"op": "replace", "path": "NAME.FAMILYNAME", "value": "Roe"}]));
        assert_eq!(u["name"]["familyName"], "Roe");
        assert!(u["name"].get("FAMILYNAME").is_none());
        let u = ok_user(json!([{"op": "replace", "path": "emails[type eq \"work\"]",
                                "value": {"value": "w@x", "type": "work"}}]));
        assert_eq!(u["emails"], json!([{"value": "w@x", "type": "work"}]));
        let u = ok_user(
            json!([{"op": "replace", "path": "name[givenName eq \"jane\"].familyName", "value": "Roe"}]),
        );
        assert_eq!(u["name"], json!({"givenName": "Jane", "familyName": "Roe"}));
        let u = ok_user(json!([{"op": "replace", "path": "USERNAME", "value": "j2@x"}]));
        assert_eq!(u["userName"], "j2@x");
        let u = ok_user(
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName", "value": "j3@x"}]),
        );
        assert_eq!(u["userName"], "j3@x");
        let u = ok_user(json!([{"op": "replace", "path": "title", "value": null}]));
        assert!(u.get("title").is_none());
        let u = ok_user(json!([{"op": "replace", "path": "userName", "value": ""}]));
        assert!(u.get("userName").is_none());
        let u = ok_user(
            json!([{"op": "replace", "path": "emails[value eq \"jane@corp.example\"].primary", "value": false}]),
        );
        assert_eq!(u["emails"][0]["primary"], json!(false));
    }

    #[test]
    fn replace_unmatched_filter_is_no_target() {
        let mut g = group();
        let e = patch(&mut g, json!({"Operations": [{"op": "replace", "path": "members[value eq \"zz\"]", "value": {"display": "x"}}]}), &PatchContext::group()).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::NoTarget));
        assert!(e.detail.contains("matches no value"), "{}", e.detail);
        let e = err_user(
            json!([{"op": "replace", "path": "emails[type eq \"other\" or type eq \"home\"].value", "value": "x"}]),
        );
        assert_eq!(e.scim_type, Some(ScimType::NoTarget));
    }

    #[test]
    fn remove_semantics() {
        let u = ok_user(json!([{"op": "remove", "path": "name.givenName"}]));
        assert_eq!(u["name"], json!({"familyName": "Doe"}));
        let u = ok_user(json!([{"op": "remove", "path": "name"}]));
        assert!(u.get("name").is_none());
        let u = ok_user(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]));
        assert!(u.get("emails").is_none());
        let u = ok_user(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]));
        assert_eq!(u["emails"].as_array().unwrap().len(), 1);
        let u = ok_user(json!([{"op": "remove", "path": "nickName"}]));
        assert_eq!(u["userName"], "jane@corp.example");
        let u = ok_user(json!([{"op": "remove", "path": format!("{ENT}:department")}]));
        assert!(u.get(ENT).is_none());
        let u = ok_user(
            json!([{"op": "add", "path": ENT, "value": {"department": "D", "division": "V"}},
                               {"op": "remove", "path": format!("{ENT}:division")}]),
        );
        assert_eq!(u[ENT], json!({"department": "D"}));
        let u = ok_user(json!([{"op": "remove", "path": ENT}]));
        assert!(u.get(ENT).is_none());
    }

    #[test]
    fn read_only() {
        let u = ok_user(
            json!([{"op": "replace", "value": {"id": "x", "meta": {}, "groups": [], "schemas": ["y"], "title": "T"}}]),
        );
        assert_eq!(u["id"], "u1");
        assert_eq!(u["schemas"], json!([CORE_USER_SCHEMA]));
        assert_eq!(u["title"], "T");
        let e = err_user(json!([{"op": "replace", "path": "id", "value": "x"}]));
        assert_eq!(e.scim_type, Some(ScimType::Mutability));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            json!([{"op": "add", "path": "emails", "value": "x"}]),
            json!([{"op": "add", "path": "name", "value": 3}]),
            json!([{"op": "replace", "path": "name.givenName", "value": {"a": 1}}]),
            json!([{"op": "add", "path": "userName.sub", "value": "x"}]),
            json!([{"op": "add", "path": "emails[type eq \"work\"]", "value": "x"}]),
            json!([{"op": "replace", "value": {"urn:x:y": 1, "a b": 2, ENT: "x"}}]),
            json!([{"op": "add", "path": format!("{ENT}:manager"), "value": ["a"]}]),
            json!([{"op": "remove", "path": "emails", "value": 5}]),
            json!([{"op": "remove", "path": format!("{ENT}:manager.value")}]),
        ];
        for ops in odd {
            let mut u = user();
            let _ = patch(&mut u, json!({ "Operations": ops }), &PatchContext::user());
            let mut g = group();
            let _ = patch(&mut g, json!({ "Operations": ops }), &PatchContext::group());
        }
        let mut not_obj = json!([1]);
        assert!(apply_patch(&mut not_obj, &[], &PatchContext::user()).is_err());
    }

    /// Random recombinations of the grammar's pieces, multi-byte text included: nothing may
    /// panic, whatever the parsers or the applier make of it.
    #[test]
    fn random_input_never_panics() {
        const PIECES: &[&str] = &[
            "emails",
            "members",
            "[",
            "]",
            "(",
            ")",
            " ",
            "\"",
            "\\",
            "\\u00e9",
            "é",
            "ü",
            "urn:",
            ":",
            ".",
            "value",
            "type",
            " eq ",
            " pr",
            " and ",
            " or ",
            "not ",
            "\"work\"",
            "1",
            "-2.5e3",
            "true",
            "null",
            "$ref",
            "name.givenName",
            ENT,
            "\t",
            "'",
            "%",
            "_",
            "\u{1F600}",
            "]]",
            "[[",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..3000 {
            let len = 1 + next(12);
            let text: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            if let Ok(f) = crate::scim::filter::parse_filter(&text) {
                let _ = f.matches(&user());
                let _ = f.to_string();
                for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                    let _ = crate::directory::sql_filter::user_filter_sql(&f, dialect);
                    let _ = crate::directory::sql_filter::group_filter_sql(&f, dialect);
                }
            }
            let _ = crate::scim::path::AttrPath::parse(&text);
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                let _ = crate::directory::sql_filter::user_sort_sql(&text, dialect);
            }
            if let Ok(p) = parse_patch_path(&text) {
                for op in ["add", "replace", "remove"] {
                    for value in [
                        json!("x"),
                        json!({"value": "v", "primary": "true"}),
                        json!([{"value": "u1"}]),
                        Value::Null,
                    ] {
                        let mut u = user();
                        let _ = patch(
                            &mut u,
                            json!({"Operations": [{"op": op, "path": text, "value": value}]}),
                            &PatchContext::user(),
                        );
                        let mut g = group();
                        let _ = patch(
                            &mut g,
                            json!({"Operations": [{"op": op, "path": text, "value": value}]}),
                            &PatchContext::group(),
                        );
                    }
                }
                let _ = p;
            }
            let mut u = user();
            let _ = patch(
                &mut u,
                json!({"Operations": [{"op": "replace", "value": {text.clone(): "x"}}]}),
                &PatchContext::user(),
            );
        }
    }
}
