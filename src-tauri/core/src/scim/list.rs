//! List and search requests: turns the query string of `GET /Users`/`GET /Groups` (RFC 7644
//! §3.4.2) or the body of `POST /.search` (§3.4.3) into a [`ListQuery`], and builds the
//! `ListResponse` envelope.
//!
//! It is not for evaluating filters, sorting or paging resources, or projecting attributes: the
//! filter and `sortBy` are carried as raw strings for the filter module and the store, and
//! projection is [`crate::scim::schema::project`].
//!
//! Choices where the RFC is silent or lenient, all deliberate:
//! * Pairs arrive already percent-decoded (`+` already a space); keys are case-insensitive,
//!   unknown keys are ignored, and for a repeated key the last one wins.
//! * An empty value (`filter=`, `count=`) counts as absent.
//! * `startIndex` below 1 becomes 1, above [`MAX_START_INDEX`] becomes it; `count` below 0 becomes 0, above [`MAX_COUNT`] becomes
//!   [`MAX_COUNT`], missing is [`DEFAULT_COUNT`]. Integers too large for 64 bits are clamped the
//!   same way. Anything that is not an integer (`abc`, `1.5`) is a 400 `invalidValue`.
//! * `sortOrder` is `ascending` or `descending` in any case; anything else is a 400
//!   `invalidValue`. Missing means ascending.
//! * When both `attributes` and `excludedAttributes` are given, `attributes` wins and
//!   `excluded_attributes` is left empty.
//! * In a search body, `schemas` is not checked; `null` members count as absent; a member of the
//!   wrong JSON type is a 400 `invalidSyntax`; numbers may be JSON numbers (integral floats such as
//!   `10.0` accepted) or numeric strings.

use serde_json::{json, Map, Value};

use crate::scim::error::ScimError;
use crate::scim::urn::LIST_RESPONSE_SCHEMA;
use crate::text::quoted;

/// Page size when the client gives no `count`.
pub const DEFAULT_COUNT: u64 = 100;
/// Largest page this server returns; larger `count`s are clamped to it.
pub const MAX_COUNT: u64 = 1000;

/// A parsed list or search request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<String>,
    /// 1-based, at least 1.
    pub start_index: u64,
    /// 0..=MAX_COUNT.
    pub count: u64,
    pub sort_by: Option<String>,
    pub sort_descending: bool,
    pub attributes: Vec<String>,
    pub excluded_attributes: Vec<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            filter: None,
            start_index: 1,
            count: DEFAULT_COUNT,
            sort_by: None,
            sort_descending: false,
            attributes: Vec::new(),
            excluded_attributes: Vec::new(),
        }
    }
}

/// An integer as the client sent it, before clamping: its sign and magnitude (saturated).
enum Int {
    NonPositive,
    Positive(u64),
}

/// Parses a decimal integer with optional sign; out-of-range magnitudes saturate.
fn parse_int(name: &str, raw: &str) -> Result<Int, ScimError> {
    let s = raw.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScimError::invalid_value(format!(
            "'{name}' must be a whole number, but the request gave '{}'.",
            quoted(s)
        )));
    }
    let magnitude = digits.parse::<u64>().unwrap_or(u64::MAX);
    Ok(if negative || magnitude == 0 {
        Int::NonPositive
    } else {
        Int::Positive(magnitude)
    })
}

/// The first index a list may start at. Beyond the largest the database can page to, every
/// list is empty anyway: such a `startIndex` is clamped to it (and answered with no resources
/// and the true total) rather than passed on.
pub const MAX_START_INDEX: u64 = i64::MAX as u64;

fn clamp_start(v: Int) -> u64 {
    match v {
        Int::NonPositive => 1,
        Int::Positive(n) => n.min(MAX_START_INDEX),
    }
}

fn clamp_count(v: Int) -> u64 {
    match v {
        Int::NonPositive => 0,
        Int::Positive(n) => n.min(MAX_COUNT),
    }
}

fn parse_sort_order(raw: &str) -> Result<bool, ScimError> {
    let s = raw.trim();
    if s.eq_ignore_ascii_case("ascending") {
        Ok(false)
    } else if s.eq_ignore_ascii_case("descending") {
        Ok(true)
    } else {
        Err(ScimError::invalid_value(format!(
            "'sortOrder' must be 'ascending' or 'descending', but the request gave '{}'.",
            quoted(s)
        )))
    }
}

/// Splits a comma-separated attribute list, trimming spaces and dropping empty entries.
fn split_attrs(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn non_empty(raw: &str) -> Option<String> {
    let s = raw.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Applies "attributes wins" when both lists are given.
fn finish(mut q: ListQuery) -> ListQuery {
    if !q.attributes.is_empty() {
        q.excluded_attributes.clear();
    }
    q
}

/// Builds a [`ListQuery`] from decoded query-string pairs (see the module docs for the rules).
pub fn from_query_pairs(pairs: &[(String, String)]) -> Result<ListQuery, ScimError> {
    let mut q = ListQuery::default();
    for (key, value) in pairs {
        let key = key.trim();
        let blank = value.trim().is_empty();
        if key.eq_ignore_ascii_case("filter") {
            q.filter = non_empty(value);
        } else if key.eq_ignore_ascii_case("startIndex") {
            q.start_index = if blank {
                1
            } else {
                clamp_start(parse_int("startIndex", value)?)
            };
        } else if key.eq_ignore_ascii_case("count") {
            q.count = if blank {
                DEFAULT_COUNT
            } else {
                clamp_count(parse_int("count", value)?)
            };
        } else if key.eq_ignore_ascii_case("sortBy") {
            q.sort_by = non_empty(value);
        } else if key.eq_ignore_ascii_case("sortOrder") {
            q.sort_descending = if blank {
                false
            } else {
                parse_sort_order(value)?
            };
        } else if key.eq_ignore_ascii_case("attributes") {
            q.attributes = split_attrs(value);
        } else if key.eq_ignore_ascii_case("excludedAttributes") {
            q.excluded_attributes = split_attrs(value);
        }
    }
    Ok(finish(q))
}

fn wrong_type(name: &str, expected: &str) -> ScimError {
    ScimError::invalid_syntax(format!(
        "In the search request, '{name}' must be {expected}."
    ))
}

/// A string member of a search body; `null` is absent.
fn body_string(name: &str, v: &Value) -> Result<Option<String>, ScimError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(non_empty(s)),
        _ => Err(wrong_type(name, "a string")),
    }
}

/// An integer member of a search body (number or numeric string); `None` when absent.
fn body_int(name: &str, v: &Value) -> Result<Option<Int>, ScimError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_int(name, s).map(Some),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(Some(if u == 0 {
                    Int::NonPositive
                } else {
                    Int::Positive(u)
                }))
            } else if n.as_i64().is_some() {
                // as_u64 failed, so it is negative.
                Ok(Some(Int::NonPositive))
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.fract() == 0.0 => Ok(Some(if f <= 0.0 {
                        Int::NonPositive
                    } else if f >= u64::MAX as f64 {
                        Int::Positive(u64::MAX)
                    } else {
                        Int::Positive(f as u64)
                    })),
                    _ => Err(ScimError::invalid_value(format!(
                        "'{name}' must be a whole number, but the request gave {n}."
                    ))),
                }
            }
        }
        _ => Err(wrong_type(name, "a number")),
    }
}

/// An attribute list member: array of strings, or a comma-separated string.
fn body_attrs(name: &str, v: &Value) -> Result<Vec<String>, ScimError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(split_attrs(s)),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => out.extend(split_attrs(s)),
                    _ => return Err(wrong_type(name, "an array of attribute names")),
                }
            }
            Ok(out)
        }
        _ => Err(wrong_type(name, "an array of attribute names")),
    }
}

/// Builds a [`ListQuery`] from a `POST /.search` body (RFC 7644 §3.4.3). Member names are
/// case-insensitive; see the module docs for the rules.
pub fn from_search_body(body: &Value) -> Result<ListQuery, ScimError> {
    let Value::Object(obj) = body else {
        return Err(ScimError::invalid_syntax(
            "The search request body must be a JSON object.",
        ));
    };
    let mut q = ListQuery::default();
    for (key, value) in obj {
        let key = key.as_str();
        if key.eq_ignore_ascii_case("filter") {
            q.filter = body_string("filter", value)?;
        } else if key.eq_ignore_ascii_case("startIndex") {
            q.start_index = body_int("startIndex", value)?.map_or(1, clamp_start);
        } else if key.eq_ignore_ascii_case("count") {
            q.count = body_int("count", value)?.map_or(DEFAULT_COUNT, clamp_count);
        } else if key.eq_ignore_ascii_case("sortBy") {
            q.sort_by = body_string("sortBy", value)?;
        } else if key.eq_ignore_ascii_case("sortOrder") {
            q.sort_descending = match body_string("sortOrder", value)? {
                None => false,
                Some(s) => parse_sort_order(&s)?,
            };
        } else if key.eq_ignore_ascii_case("attributes") {
            q.attributes = body_attrs("attributes", value)?;
        } else if key.eq_ignore_ascii_case("excludedAttributes") {
            q.excluded_attributes = body_attrs("excludedAttributes", value)?;
        }
    }
    Ok(finish(q))
}

/// The RFC 7644 §3.4.2 `ListResponse` envelope. Counters are JSON integers; `Resources` is always
/// present; `itemsPerPage` is the number of resources given.
pub fn list_response(resources: Vec<Value>, total_results: u64, start_index: u64) -> Value {
    let mut m = Map::new();
    m.insert("schemas".into(), json!([LIST_RESPONSE_SCHEMA]));
    m.insert("totalResults".into(), json!(total_results));
    m.insert("startIndex".into(), json!(start_index));
    m.insert("itemsPerPage".into(), json!(resources.len() as u64));
    m.insert("Resources".into(), Value::Array(resources));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn q(v: &[(&str, &str)]) -> Result<ListQuery, ScimError> {
        from_query_pairs(&pairs(v))
    }

    #[test]
    fn defaults() {
        assert_eq!(q(&[]).unwrap(), ListQuery::default());
        let d = ListQuery::default();
        assert_eq!((d.start_index, d.count), (1, DEFAULT_COUNT));
        assert!(!d.sort_descending && d.filter.is_none());
    }

    #[test]
    fn okta_requests() {
        let r = q(&[
            ("filter", "userName eq \"jane@corp.example\""),
            ("startIndex", "1"),
            ("count", "100"),
        ])
        .unwrap();
        assert_eq!(
            r.filter.as_deref(),
            Some("userName eq \"jane@corp.example\"")
        );
        assert_eq!((r.start_index, r.count), (1, 100));
        let r = q(&[("startIndex", "101"), ("count", "2")]).unwrap();
        assert_eq!((r.start_index, r.count), (101, 2));
    }

    #[test]
    fn keys_case_insensitive_and_unknown_ignored() {
        let r = q(&[
            ("FILTER", "x"),
            ("StartIndex", "5"),
            ("COUNT", "7"),
            ("sortby", "userName"),
            ("SORTORDER", "DESCENDING"),
            ("Attributes", " userName , name.givenName,,"),
            ("whatever", "1"),
        ])
        .unwrap();
        assert_eq!(r.filter.as_deref(), Some("x"));
        assert_eq!((r.start_index, r.count), (5, 7));
        assert_eq!(r.sort_by.as_deref(), Some("userName"));
        assert!(r.sort_descending);
        assert_eq!(r.attributes, ["userName", "name.givenName"]);
        assert!(!q(&[("sortOrder", "Ascending")]).unwrap().sort_descending);
    }

    #[test]
    fn clamping() {
        let cases: &[(&str, &str, u64, u64)] = &[
            ("0", "0", 1, 0),
            ("-5", "-3", 1, 0),
            ("+3", "+4", 3, 4),
            (" 2 ", " 1001 ", 2, MAX_COUNT),
            ("1", "1000", 1, 1000),
            (
                "99999999999999999999999",
                "99999999999999999999999",
                MAX_START_INDEX,
                MAX_COUNT,
            ),
            ("9223372036854775808", "5", MAX_START_INDEX, 5),
            ("9223372036854775807", "5", i64::MAX as u64, 5),
            ("-99999999999999999999999", "-99999999999999999999999", 1, 0),
            ("", "", 1, DEFAULT_COUNT),
        ];
        for (s, c, es, ec) in cases {
            let r = q(&[("startIndex", s), ("count", c)]).unwrap();
            assert_eq!((r.start_index, r.count), (*es, *ec), "{s} {c}");
        }
    }

    #[test]
    fn bad_inputs() {
        for (k, v) in [
            ("startIndex", "abc"),
            ("startIndex", "1.5"),
            ("count", "ten"),
            ("count", "-"),
            ("count", "1e3"),
            ("count", "0x10"),
            ("sortOrder", "up"),
            ("sortOrder", "asc"),
        ] {
            let e = q(&[(k, v)]).unwrap_err();
            assert_eq!(e.status, 400, "{k}={v}");
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{k}={v}");
            assert!(e.detail.contains(k), "{}", e.detail);
        }
        let long = "x".repeat(10_000);
        let e = q(&[("count", &long)]).unwrap_err();
        assert!(e.detail.len() < 200);
    }

    #[test]
    fn attributes_win_over_excluded() {
        let r = q(&[("excludedAttributes", "emails"), ("attributes", "userName")]).unwrap();
        assert_eq!(r.attributes, ["userName"]);
        assert!(r.excluded_attributes.is_empty());
        let r = q(&[("excludedAttributes", "emails, meta")]).unwrap();
        assert_eq!(r.excluded_attributes, ["emails", "meta"]);
    }

    #[test]
    fn empty_values_are_absent_and_last_key_wins() {
        let r = q(&[("filter", ""), ("sortBy", " "), ("sortOrder", "")]).unwrap();
        assert_eq!(r, ListQuery::default());
        let r = q(&[("count", "5"), ("count", "6")]).unwrap();
        assert_eq!(r.count, 6);
    }

    #[test]
    fn search_body() {
        let r = from_search_body(&json!({
            "schemas": [crate::scim::schema::SEARCH_REQUEST_SCHEMA],
            "attributes": ["displayName", "userName"],
            "excludedAttributes": ["emails"],
            "filter": "displayName sw \"smith\"",
            "startIndex": 1,
            "count": 10,
            "sortBy": "userName",
            "sortOrder": "descending"
        }))
        .unwrap();
        assert_eq!(r.attributes, ["displayName", "userName"]);
        assert!(r.excluded_attributes.is_empty());
        assert_eq!(r.filter.as_deref(), Some("displayName sw \"smith\""));
        assert_eq!((r.start_index, r.count), (1, 10));
        assert_eq!(r.sort_by.as_deref(), Some("userName"));
        assert!(r.sort_descending);

        // No schemas, numeric strings, comma strings, case-insensitive keys.
        let r = from_search_body(&json!({
            "StartIndex": "3",
            "COUNT": "5000",
            "excludedattributes": "emails, meta"
        }))
        .unwrap();
        assert_eq!((r.start_index, r.count), (3, MAX_COUNT));
        assert_eq!(r.excluded_attributes, ["emails", "meta"]);

        // Clamping and float forms.
        let r = from_search_body(&json!({"startIndex": -4, "count": -1})).unwrap();
        assert_eq!((r.start_index, r.count), (1, 0));
        let r = from_search_body(&json!({"startIndex": 2.0, "count": 1e30})).unwrap();
        assert_eq!((r.start_index, r.count), (2, MAX_COUNT));
        let r = from_search_body(&json!({"startIndex": 0, "count": u64::MAX})).unwrap();
        assert_eq!((r.start_index, r.count), (1, MAX_COUNT));

        // Nulls are absent.
        let r =
            from_search_body(&json!({"filter": null, "count": null, "attributes": null})).unwrap();
        assert_eq!(r, ListQuery::default());
        assert_eq!(from_search_body(&json!({})).unwrap(), ListQuery::default());
    }

    #[test]
    fn search_body_errors() {
        let cases = [
            (json!([]), ScimType::InvalidSyntax),
            (json!("x"), ScimType::InvalidSyntax),
            (json!({"count": true}), ScimType::InvalidSyntax),
            (json!({"count": "many"}), ScimType::InvalidValue),
            (json!({"count": 1.5}), ScimType::InvalidValue),
            (json!({"startIndex": [1]}), ScimType::InvalidSyntax),
            (json!({"filter": 3}), ScimType::InvalidSyntax),
            (json!({"attributes": [1]}), ScimType::InvalidSyntax),
            (json!({"attributes": {"a": 1}}), ScimType::InvalidSyntax),
            (json!({"sortOrder": "sideways"}), ScimType::InvalidValue),
            (json!({"sortOrder": false}), ScimType::InvalidSyntax),
        ];
        for (body, t) in cases {
            let e = from_search_body(&body).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some(t)), "{body}");
        }
    }

    #[test]
    fn list_response_shape() {
        let r = list_response(vec![json!({"id": "a"}), json!({"id": "b"})], 7, 3);
        assert_eq!(
            r,
            json!({
                "schemas": [LIST_RESPONSE_SCHEMA],
                "totalResults": 7,
                "startIndex": 3,
                "itemsPerPage": 2,
                "Resources": [{"id": "a"}, {"id": "b"}]
            })
        );
        assert!(r["totalResults"].is_u64() && r["itemsPerPage"].is_u64());
        let empty = list_response(Vec::new(), 0, 1);
        assert_eq!(empty["Resources"], json!([]));
        assert_eq!(empty["itemsPerPage"], 0);
        assert_eq!(empty["startIndex"], 1);
    }
}
