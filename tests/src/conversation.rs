//! Identity-provider conversations kept as data: `tests/fixtures/<provider>/*.json`, each a list
//! of exchanges (the request Okta or Entra sends, the answer it expects), replayed in order by
//! the black-box suite against `scimdesk serve` (`Okta::replay`) and by the core's in-process
//! tests. A new quirk of an identity provider is a new fixture file.
//!
//! This file is the format and its checks, with no transport and no dependency but
//! `serde_json`: the core's tests include it by path (`src-tauri/core/tests/it/http.rs`), since
//! the black-box crate never depends on the core and the core's tests should not build the
//! black-box harness.
//!
//! A fixture:
//! ```json
//! {"about": "what conversation this is",
//!  "exchanges": [
//!    {"step": "create",
//!     "request": {"method": "POST", "path": "/Users", "query": {"count": "1"},
//!                 "headers": {"Content-Type": "application/json", "Authorization": null},
//!                 "body": {...} | "raw_body": "text"},
//!     "expect": {"status": 201, "error": "uniqueness" | true,
//!                "headers": {"location": "{{base_url}}/Users/{{jane}}"},
//!                "body": {...}, "text_lacks": ["password"],
//!                "capture": {"jane": "/id", "jane_doc": ""}}}]}
//! ```
//! - `path` is appended to the connection's base URL; `query` is encoded as Okta encodes it
//!   (`%20` for a space). A header set to `null` is not sent (`Authorization: null`: no token).
//! - `{{name}}` in a string is a value captured from an earlier answer (`capture`: a JSON
//!   pointer into the body, `""` for all of it) or `{{base_url}}`; a string that is only
//!   `"{{name}}"` is the captured JSON value itself. A request body
//!   `{"$merge": "{{doc}}", "with": {...}}` is that document with a JSON merge patch (RFC 7396)
//!   applied: Okta's GET-then-PUT.
//! - `body` is a subset of the answer: objects may have more keys, arrays have the same length
//!   and match element by element (`{"$unordered": [...]}`: in any order). A string may instead
//!   be a check: `"$absent"` (no such key), `"$empty"` (absent, or an empty list), `"$present"`,
//!   `"$string"`, `"$integer"`, `"$boolean"`, `"$prefix:…"`, `"$contains:…"`. Headers are
//!   checked the same way.
//! - `error`: the answer is a SCIM error body with `status` as a string and a `detail`; a string
//!   is its `scimType`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

/// Every fixture under `dir` (`tests/fixtures`), as its name (`okta/group_push.json`) and its
/// text, in order: what both layers replay, so that a new file is replayed by both.
pub fn fixtures(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let providers = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list the fixtures in {}: {e}", dir.display()));
    for provider in providers {
        let provider = provider.expect("a fixtures directory entry").path();
        if !provider.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&provider).expect("a provider's fixtures") {
            let file = file.expect("a fixture").path();
            if file.extension().is_some_and(|x| x == "json") {
                let name = file
                    .strip_prefix(dir)
                    .expect("under the fixtures directory")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("cannot read the fixture {name}: {e}"));
                found.push((name, text));
            }
        }
    }
    found.sort();
    found
}

/// One fixture, and how far it has been replayed.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub name: String,
    exchanges: Vec<Value>,
    next: usize,
    vars: Map<String, Value>,
}

/// A request ready to send: the method, the path and query after the base URL, the headers
/// (`None`: do not send this one) and the body.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, Option<String>)>,
    pub body: Option<Vec<u8>>,
    /// The fixture and step, to say which exchange failed.
    pub described: String,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Names in lowercase.
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Conversation {
    /// Parses a fixture; `name` says which in failures. `base_url` is `{{base_url}}`.
    pub fn parse(name: &str, text: &str, base_url: &str) -> Conversation {
        let fixture: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"));
        let exchanges = fixture["exchanges"]
            .as_array()
            .unwrap_or_else(|| panic!("fixture {name} has no `exchanges` list"))
            .clone();
        let mut vars = Map::new();
        vars.insert("base_url".into(), Value::String(base_url.to_owned()));
        Conversation {
            name: name.to_owned(),
            exchanges,
            next: 0,
            vars,
        }
    }

    /// A value captured so far, as a string (ids, versions).
    #[track_caller]
    pub fn var(&self, name: &str) -> String {
        match self.vars.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => panic!("{}: nothing was captured as {name:?}", self.name),
        }
    }

    /// The next request to send, unless the exchange named `through` was the last one answered
    /// (`None`: through the end).
    pub fn next_request(&mut self, through: Option<&str>) -> Option<Prepared> {
        if let Some(step) = through {
            let done = self.next > 0 && self.exchanges[self.next - 1]["step"] == step;
            if done {
                return None;
            }
            let ahead = self.exchanges[self.next..]
                .iter()
                .any(|e| e["step"] == step);
            assert!(ahead, "{}: no step {step:?} left to replay", self.name);
        }
        let exchange = self.exchanges.get(self.next)?;
        let request = &exchange["request"];
        let described = format!(
            "{} exchange {} ({})",
            self.name,
            self.next + 1,
            exchange["step"].as_str().unwrap_or("unnamed")
        );
        let method = request["method"].as_str().unwrap_or("GET").to_owned();
        let mut path = self.fill_str(request["path"].as_str().unwrap_or(""));
        if let Some(Value::Object(query)) = request.get("query") {
            for (i, (key, value)) in query.iter().enumerate() {
                let value = match value {
                    Value::String(s) => self.fill_str(s),
                    other => other.to_string(),
                };
                let sep = if i == 0 && !path.contains('?') {
                    '?'
                } else {
                    '&'
                };
                let _ = write!(path, "{sep}{}={}", encode(key), encode(&value));
            }
        }
        let headers = match request.get("headers") {
            Some(Value::Object(h)) => h
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(|s| self.fill_str(s))))
                .collect(),
            _ => Vec::new(),
        };
        let body = if let Some(raw) = request["raw_body"].as_str() {
            Some(raw.as_bytes().to_vec())
        } else {
            request
                .get("body")
                .map(|b| serde_json::to_vec(&self.body(b)).expect("a JSON body"))
        };
        Some(Prepared {
            method,
            path,
            headers,
            body,
            described,
        })
    }

    /// Checks the answer to the request [`Conversation::next_request`] gave last, and keeps
    /// what it captures.
    pub fn check(&mut self, request: &Prepared, answer: &Answer) -> Result<(), String> {
        let expect = self.exchanges[self.next]["expect"].clone();
        self.next += 1;
        let body: Value = serde_json::from_str(&answer.text).unwrap_or(Value::Null);
        let fail = |why: String| {
            Err(format!(
                "{}: {why}\n{} {} -> {}\n{}",
                request.described,
                request.method,
                request.path,
                answer.status,
                answer.text.chars().take(3000).collect::<String>()
            ))
        };
        if let Some(status) = expect["status"].as_u64() {
            if u64::from(answer.status) != status {
                return fail(format!("status {} instead of {status}", answer.status));
            }
        }
        if let Some(Value::Object(captures)) = expect.get("capture") {
            for (name, pointer) in captures {
                let pointer = pointer.as_str().unwrap_or("");
                match body.pointer(pointer) {
                    Some(v) => {
                        self.vars.insert(name.clone(), v.clone());
                    }
                    None => return fail(format!("nothing at {pointer:?} to capture as {name}")),
                }
            }
        }
        if let Some(error) = expect.get("error") {
            let content_type = header(answer, "content-type").unwrap_or_default();
            if !content_type.starts_with("application/scim+json") {
                return fail(format!("an error as {content_type:?}, not SCIM JSON"));
            }
            let mut wanted = serde_json::json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": answer.status.to_string(),
                "detail": "$string",
            });
            if let Value::String(scim_type) = error {
                wanted["scimType"] = Value::String(scim_type.clone());
            }
            if let Err(why) = matches(&wanted, &body, "") {
                return fail(why);
            }
        }
        if let Some(Value::Object(headers)) = expect.get("headers") {
            for (name, wanted) in headers {
                let wanted = self.fill(wanted);
                let got = header(answer, &name.to_ascii_lowercase()).map(Value::String);
                if let Err(why) = matches_optional(&wanted, got.as_ref(), &format!("header {name}"))
                {
                    return fail(why);
                }
            }
        }
        if let Some(wanted) = expect.get("body") {
            if let Err(why) = matches(&self.fill(wanted), &body, "") {
                return fail(why);
            }
        }
        if let Some(Value::Array(lacks)) = expect.get("text_lacks") {
            for l in lacks.iter().filter_map(Value::as_str) {
                if answer.text.contains(l) {
                    return fail(format!("the answer contains {l:?}"));
                }
            }
        }
        Ok(())
    }

    fn fill_str(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            out.push_str(&rest[..start]);
            let name = &rest[start + 2..start + len];
            match self.vars.get(name) {
                Some(Value::String(v)) => out.push_str(v),
                Some(v) => out.push_str(&v.to_string()),
                None => panic!("{}: {{{{{name}}}}} was never captured", self.name),
            }
            rest = &rest[start + len + 2..];
        }
        out.push_str(rest);
        out
    }

    /// `value` with its placeholders filled.
    fn fill(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => {
                let whole = s
                    .strip_prefix("{{")
                    .and_then(|r| r.strip_suffix("}}"))
                    .filter(|name| !name.contains("{{"));
                match whole.and_then(|name| self.vars.get(name)) {
                    Some(v) => v.clone(),
                    None => Value::String(self.fill_str(s)),
                }
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.fill(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.fill_str(k), self.fill(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A request body: filled, and `$merge` applied.
    fn body(&self, body: &Value) -> Value {
        let body = self.fill(body);
        match (body.get("$merge"), body.get("with")) {
            (Some(base), Some(patch)) => {
                let mut merged = base.clone();
                merge_patch(&mut merged, patch);
                merged
            }
            _ => body,
        }
    }
}

fn header(answer: &Answer, name: &str) -> Option<String> {
    answer
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Percent-encodes a query value as Okta does: everything but unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn matches_optional(wanted: &Value, got: Option<&Value>, at: &str) -> Result<(), String> {
    match (wanted.as_str(), got) {
        (Some("$absent" | "$empty"), None) => Ok(()),
        // Absent means no key at all: a `null` is still an answer with the attribute in it.
        (Some("$absent"), Some(v)) => Err(format!("{at}: {v} where nothing was expected")),
        (_, None) => Err(format!("{at}: missing, expected {wanted}")),
        (_, Some(v)) => matches(wanted, v, at),
    }
}

/// Whether `got` holds `wanted` (see the module's doc for the checks a string can stand for).
fn matches(wanted: &Value, got: &Value, at: &str) -> Result<(), String> {
    let mismatch = || Err(format!("{at}: expected {wanted}, got {got}"));
    match wanted {
        Value::String(s) if s.starts_with('$') => {
            let ok = match s.as_str() {
                "$present" => !got.is_null(),
                "$string" => got.as_str().is_some_and(|g| !g.is_empty()),
                "$integer" => got.is_u64() || got.is_i64(),
                "$boolean" => got.is_boolean(),
                "$absent" => got.is_null(),
                "$empty" => {
                    got.is_null()
                        || got.as_array().is_some_and(Vec::is_empty)
                        || got.as_str().is_some_and(str::is_empty)
                }
                other => match (other.split_once(':'), got.as_str()) {
                    (Some(("$prefix", p)), Some(g)) => g.starts_with(p),
                    (Some(("$contains", p)), Some(g)) => g.contains(p),
                    _ => panic!("{at}: unknown check {other:?}"),
                },
            };
            if ok {
                Ok(())
            } else {
                mismatch()
            }
        }
        Value::Object(w) if w.contains_key("$unordered") => {
            let (Some(items), Some(got)) = (w["$unordered"].as_array(), got.as_array()) else {
                return mismatch();
            };
            if items.len() != got.len() {
                return mismatch();
            }
            let mut left: Vec<&Value> = got.iter().collect();
            for item in items {
                match left.iter().position(|g| matches(item, g, at).is_ok()) {
                    Some(i) => {
                        left.remove(i);
                    }
                    None => return Err(format!("{at}: nothing matches {item} in {got:?}")),
                }
            }
            Ok(())
        }
        Value::Object(w) => {
            let Value::Object(g) = got else {
                return mismatch();
            };
            for (key, value) in w {
                matches_optional(value, g.get(key), &format!("{at}/{key}"))?;
            }
            Ok(())
        }
        Value::Array(w) => {
            let Value::Array(g) = got else {
                return mismatch();
            };
            if w.len() != g.len() {
                return mismatch();
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                matches(wv, gv, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        _ if wanted == got => Ok(()),
        _ => mismatch(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subsets_checks_and_placeholders() {
        let got = json!({"id": "a1", "active": true, "emails": [{"value": "x", "type": "work"}],
                         "members": [{"value": "b"}, {"value": "a"}]});
        matches(
            &json!({"active": true, "emails": [{"value": "x"}]}),
            &got,
            "",
        )
        .unwrap();
        matches(&json!({"password": "$absent", "id": "$string"}), &got, "").unwrap();
        matches(
            &json!({"members": {"$unordered": [{"value": "a"}, {"value": "b"}]}}),
            &got,
            "",
        )
        .unwrap();
        assert!(matches(&json!({"emails": []}), &got, "").is_err());
        assert!(matches(&json!({"id": "$absent"}), &got, "").is_err());

        let mut c = Conversation::parse(
            "t",
            r#"{"exchanges": [{"request": {"method": "PUT", "path": "/Users/{{id}}",
                 "query": {"filter": "userName eq \"a@b\""},
                 "body": {"$merge": "{{doc}}", "with": {"title": "T", "meta": null}}},
                 "expect": {"status": 200}}]}"#,
            "https://x",
        );
        c.vars.insert("id".into(), json!("a1"));
        c.vars
            .insert("doc".into(), json!({"id": "a1", "meta": {}, "title": "S"}));
        let r = c.next_request(None).unwrap();
        assert_eq!(r.path, "/Users/a1?filter=userName%20eq%20%22a%40b%22");
        let body: Value = serde_json::from_slice(&r.body.unwrap()).unwrap();
        assert_eq!(body, json!({"id": "a1", "title": "T"}));
    }
}
