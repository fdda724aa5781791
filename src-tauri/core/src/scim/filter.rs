//! SCIM filters (RFC 7644 §3.4.2.2): parsing the `filter` query parameter and PATCH value
//! filters into a [`Filter`] tree, and evaluating that tree against a SCIM JSON resource.
//!
//! This module is for the grammar and its in-memory meaning only. It is not for database
//! queries (see `directory::sql_filter`, which translates the same tree to SQL) and not for
//! PATCH paths (see `scim::path`, which reuses this parser for the part inside `[...]`).
//! Parse errors are written for the Okta admin who reads them in Okta's task list.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::scim::error::ScimError;
use crate::scim::path::{is_core_urn, parse_attr_path, valid_name, AttrPath};
use crate::scim::schema;
use crate::text::quoted;

/// Longer filters are refused: Okta's lookups are a few dozen characters, and the bound keeps a
/// hostile request from costing real work.
pub const MAX_FILTER_LEN: usize = 4096;
/// Nesting of parentheses, `not` and brackets allowed; deeper input is refused before it can
/// exhaust the stack.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn from_keyword(w: &str) -> Option<CompareOp> {
        Some(match w.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed filter.
///
/// `ValuePath.sub_compare` carries the non-RFC form Okta and Entra use as a unique identifier,
/// `emails[type eq "work"].value eq "x"`: true when one element matches the bracket filter and
/// its `value` compares true. The presence form `emails[type eq "work"].value pr` is accepted
/// too, and is parsed into the bracket filter as `emails[type eq "work" and value pr]` (the same
/// meaning), so `sub_compare` never has to represent `pr`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Present(AttrPath),
    Compare(AttrPath, CompareOp, Value),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
        sub_compare: Option<(String, CompareOp, Value)>,
    },
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Present(p) => write!(f, "{p} pr"),
            Filter::Compare(p, op, v) => write!(f, "{p} {op} {v}"),
            Filter::And(a, b) => write!(f, "({a} and {b})"),
            Filter::Or(a, b) => write!(f, "({a} or {b})"),
            Filter::Not(a) => write!(f, "not ({a})"),
            Filter::ValuePath {
                attr,
                filter,
                sub_compare,
            } => {
                write!(f, "{attr}[{filter}]")?;
                if let Some((s, op, v)) = sub_compare {
                    write!(f, ".{s} {op} {v}")?;
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// 1-based character position, for messages.
    pos: usize,
    text: String,
}

/// Why a filter failed, before it is worded for the filter or the PATCH path it came from.
#[derive(Debug)]
pub(crate) enum SyntaxError {
    Incomplete(String),
    Invalid(String),
}

impl SyntaxError {
    pub(crate) fn reason(&self) -> &str {
        match self {
            SyntaxError::Incomplete(s) | SyntaxError::Invalid(s) => s,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '.' | ':' | '+')
}

fn lex(input: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (byte, c) = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            _ => None,
        };
        if let Some(t) = single {
            out.push(Token {
                tok: t,
                pos,
                text: c.to_string(),
            });
            i += 1;
            continue;
        }
        if c == '"' {
            let mut j = i + 1;
            let mut closed = None;
            while j < chars.len() {
                match chars[j].1 {
                    '\\' => j += 2,
                    '"' => {
                        closed = Some(j);
                        break;
                    }
                    _ => j += 1,
                }
            }
            let Some(end) = closed else {
                return Err(SyntaxError::Incomplete(format!(
                    "the quoted value starting at character {pos} has no closing '\"'"
                )));
            };
            let end_byte = chars[end].0 + 1;
            let raw = &input[byte..end_byte];
            let s: String = serde_json::from_str(raw).map_err(|_| {
                SyntaxError::Invalid(format!(
                    "the quoted value {} at character {pos} has an invalid escape sequence \
                     (allowed: \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t, \\uXXXX)",
                    quoted(raw)
                ))
            })?;
            out.push(Token {
                tok: Tok::Str(s),
                pos,
                text: raw.to_string(),
            });
            i = end + 1;
            continue;
        }
        if is_word_char(c) {
            let mut j = i;
            while j < chars.len() && is_word_char(chars[j].1) {
                j += 1;
            }
            let end_byte = chars.get(j).map_or(input.len(), |x| x.0);
            let w = &input[byte..end_byte];
            out.push(Token {
                tok: Tok::Word(w.to_string()),
                pos,
                text: w.to_string(),
            });
            i = j;
            continue;
        }
        return Err(SyntaxError::Invalid(format!(
            "the character '{c}' at position {pos} is not expected here (values must be in double quotes)"
        )));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
}

type PResult<T> = Result<T, SyntaxError>;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    fn peek_word_lc(&self) -> Option<String> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w), ..
            }) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        if t.is_some() {
            self.i += 1;
        }
        t
    }

    fn enter(&mut self, pos: usize) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError::Invalid(format!(
                "it nests parentheses, brackets or 'not' more than {MAX_DEPTH} levels deep \
                 (at character {pos})"
            )));
        }
        Ok(())
    }

    fn or_expr(&mut self, in_brackets: bool) -> PResult<Filter> {
        let mut left = self.and_expr(in_brackets)?;
        while self.peek_word_lc().as_deref() == Some("or") {
            self.next();
            let right = self.and_expr(in_brackets)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self, in_brackets: bool) -> PResult<Filter> {
        let mut left = self.unary(in_brackets)?;
        while self.peek_word_lc().as_deref() == Some("and") {
            self.next();
            let right = self.unary(in_brackets)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn expect_close(&mut self, close: Tok, open_pos: usize) -> PResult<()> {
        let (want, name) = if close == Tok::RParen {
            (")", "parenthesis")
        } else {
            ("]", "bracket")
        };
        match self.next() {
            Some(t) if t.tok == close => Ok(()),
            Some(t) => Err(SyntaxError::Invalid(format!(
                "expected 'and', 'or' or '{want}' at character {} but found '{}'",
                t.pos,
                quoted(&t.text)
            ))),
            None => Err(SyntaxError::Incomplete(format!(
                "the {name} opened at character {open_pos} is never closed with '{want}'"
            ))),
        }
    }

    fn unary(&mut self, in_brackets: bool) -> PResult<Filter> {
        let Some(t) = self.next() else {
            let after = self
                .i
                .checked_sub(1)
                .and_then(|i| self.toks.get(i))
                .map_or_else(String::new, |t| format!(" after '{}'", quoted(&t.text)));
            return Err(SyntaxError::Incomplete(format!(
                "an attribute, '(' or 'not' is expected{after}"
            )));
        };
        match &t.tok {
            Tok::LParen => {
                self.enter(t.pos)?;
                let inner = self.or_expr(in_brackets)?;
                self.expect_close(Tok::RParen, t.pos)?;
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("not") && !self.next_is_operator() => {
                self.enter(t.pos)?;
                let inner = self.unary(in_brackets)?;
                self.depth -= 1;
                Ok(Filter::Not(Box::new(inner)))
            }
            Tok::Word(w) => {
                let attr = parse_attr_path(w).map_err(|why| {
                    SyntaxError::Invalid(format!(
                        "'{}' at character {} is not an attribute name ({why})",
                        quoted(w),
                        t.pos
                    ))
                })?;
                if matches!(
                    self.peek(),
                    Some(Token {
                        tok: Tok::LBracket,
                        ..
                    })
                ) {
                    self.value_path(attr, &t, in_brackets)
                } else {
                    self.attr_expr(attr, &t)
                }
            }
            _ => Err(SyntaxError::Invalid(format!(
                "an attribute name, '(' or 'not' is expected at character {} but found '{}'",
                t.pos,
                quoted(&t.text)
            ))),
        }
    }

    /// `not` followed by an operator is an attribute called "not", not the keyword.
    fn next_is_operator(&self) -> bool {
        self.peek_word_lc()
            .is_some_and(|w| w == "pr" || CompareOp::from_keyword(&w).is_some())
    }

    fn value_path(&mut self, attr: AttrPath, at: &Token, in_brackets: bool) -> PResult<Filter> {
        let open = self.next().map_or(at.pos, |t| t.pos);
        if in_brackets {
            return Err(SyntaxError::Invalid(format!(
                "brackets cannot be nested (character {open})"
            )));
        }
        if attr.sub.is_some() {
            return Err(SyntaxError::Invalid(format!(
                "'{}' has a sub-attribute before '[' (write attribute[filter].subAttribute)",
                attr
            )));
        }
        self.enter(open)?;
        let mut inner = self.or_expr(true)?;
        self.expect_close(Tok::RBracket, open)?;
        self.depth -= 1;
        let mut sub_compare = None;
        if let Some(Token {
            tok: Tok::Word(w),
            pos,
            ..
        }) = self.peek().cloned()
        {
            if let Some(sub) = w.strip_prefix('.') {
                self.next();
                if !valid_name(sub) {
                    return Err(SyntaxError::Invalid(format!(
                        "'{}' at character {pos} is not a valid sub-attribute",
                        quoted(&w)
                    )));
                }
                let sub_attr = AttrPath::new(sub);
                let opt = Token {
                    tok: Tok::Word(sub.to_string()),
                    pos,
                    text: w.clone(),
                };
                match self.attr_expr(sub_attr, &opt)? {
                    Filter::Compare(p, op, v) => sub_compare = Some((p.name, op, v)),
                    present => {
                        inner = Filter::And(Box::new(inner), Box::new(present));
                    }
                }
            }
        }
        Ok(Filter::ValuePath {
            attr,
            filter: Box::new(inner),
            sub_compare,
        })
    }

    fn attr_expr(&mut self, attr: AttrPath, at: &Token) -> PResult<Filter> {
        let Some(op_tok) = self.next() else {
            return Err(SyntaxError::Incomplete(format!(
                "an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) is expected after '{}'",
                quoted(&at.text)
            )));
        };
        let op_word = match &op_tok.tok {
            Tok::Word(w) => w.clone(),
            _ => {
                return Err(SyntaxError::Invalid(format!(
                    "an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) is expected after \
                     '{}' at character {} but found '{}'",
                    quoted(&at.text),
                    op_tok.pos,
                    quoted(&op_tok.text)
                )))
            }
        };
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(attr));
        }
        let Some(op) = CompareOp::from_keyword(&op_word) else {
            return Err(SyntaxError::Invalid(format!(
                "'{}' at character {} is not an operator (use eq, ne, co, sw, ew, gt, ge, lt, le or pr)",
                quoted(&op_word),
                op_tok.pos
            )));
        };
        let Some(vt) = self.next() else {
            return Err(SyntaxError::Incomplete(format!(
                "a value is expected after '{op_word}'"
            )));
        };
        let value = match &vt.tok {
            Tok::Str(s) => Value::String(s.clone()),
            Tok::Word(w) => parse_bare_value(w).ok_or_else(|| {
                SyntaxError::Invalid(format!(
                    "the value '{}' at character {} is not a quoted string, a number, true, \
                     false or null (put text in double quotes)",
                    quoted(w),
                    vt.pos
                ))
            })?,
            _ => {
                return Err(SyntaxError::Invalid(format!(
                    "a value is expected after '{op_word}' at character {} but found '{}'",
                    vt.pos, vt.text
                )))
            }
        };
        Ok(Filter::Compare(attr, op, value))
    }
}

fn parse_bare_value(w: &str) -> Option<Value> {
    match w.to_ascii_lowercase().as_str() {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "null" => return Some(Value::Null),
        _ => {}
    }
    let first = w.chars().next()?;
    if !(first.is_ascii_digit() || first == '-' || first == '+') {
        return None;
    }
    if let Ok(i) = w.parse::<i64>() {
        return Some(Value::from(i));
    }
    let f = w.parse::<f64>().ok().filter(|f| f.is_finite())?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// Parses the inside of a filter or of a bracket, leaving the wording of errors to the caller.
pub(crate) fn parse_filter_raw(input: &str, in_brackets: bool) -> Result<Filter, SyntaxError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(SyntaxError::Invalid(format!(
            "it is longer than {MAX_FILTER_LEN} characters"
        )));
    }
    let toks = lex(input)?;
    if toks.is_empty() {
        return Err(SyntaxError::Incomplete("it is empty".into()));
    }
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let f = p.or_expr(in_brackets)?;
    if let Some(t) = p.next() {
        let hint = match t.tok {
            Tok::RParen => "a ')' that closes nothing".to_string(),
            Tok::RBracket => "a ']' that closes nothing".to_string(),
            _ => format!("'{}'", quoted(&t.text)),
        };
        return Err(SyntaxError::Invalid(format!(
            "expected 'and' or 'or' at character {} but found {hint}",
            t.pos
        )));
    }
    Ok(f)
}

/// Parses a `filter` query parameter.
pub fn parse_filter(input: &str) -> Result<Filter, ScimError> {
    parse_filter_raw(input, false).map_err(|e| {
        let q = quoted(input);
        ScimError::invalid_filter(match e {
            SyntaxError::Incomplete(why) => format!("The filter '{q}' is incomplete: {why}."),
            SyntaxError::Invalid(why) => format!("The filter '{q}' is not valid: {why}."),
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Normalises an RFC 3339 datetime to the stored form `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC), so
/// datetimes order correctly as text.
pub fn normalize_datetime(s: &str) -> Option<String> {
    let dt = OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?;
    Some(crate::timefmt::format(dt))
}

pub(crate) fn get_ci<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    let map = obj.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn push_flat<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => out.extend(items.iter()),
        other => out.push(other),
    }
}

/// The values an attribute path reaches in `resource`, with multi-valued attributes flattened.
fn collect<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let base = match &path.urn {
        Some(u) if !is_core_urn(u) => match get_ci(resource, u) {
            Some(ext) => ext,
            None => return Vec::new(),
        },
        _ => resource,
    };
    let Some(v) = get_ci(base, &path.name) else {
        return Vec::new();
    };
    let mut top = Vec::new();
    push_flat(v, &mut top);
    let Some(sub) = &path.sub else {
        return top;
    };
    let mut out = Vec::new();
    for item in top {
        if let Some(s) = get_ci(item, sub) {
            push_flat(s, &mut out);
        }
    }
    out
}

fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

fn compare_one(
    actual: &Value,
    op: CompareOp,
    expected: &Value,
    exact: bool,
    boolish: bool,
) -> bool {
    // A complex value is compared through its `value` sub-attribute, as RFC 7644 does for
    // `emails eq "x"`.
    let actual = if actual.is_object() {
        match get_ci(actual, "value") {
            Some(v) => v,
            None => return false,
        }
    } else {
        actual
    };
    // Entra's string booleans, on either side: `roles[primary eq "True"]` matches a stored
    // `true` (and a "True" stored before booleans were coerced on the way in).
    let actual = match (boolish, actual) {
        (true, Value::String(s)) if s.eq_ignore_ascii_case("true") => &Value::Bool(true),
        (true, Value::String(s)) if s.eq_ignore_ascii_case("false") => &Value::Bool(false),
        _ => actual,
    };
    let expected = match (boolish, expected) {
        (true, Value::String(s)) if s.eq_ignore_ascii_case("true") => &Value::Bool(true),
        (true, Value::String(s)) if s.eq_ignore_ascii_case("false") => &Value::Bool(false),
        _ => expected,
    };
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
            // Two dates compare as instants; a substring is looked for in the text as it is.
            let dates = match substring {
                true => None,
                false => normalize_datetime(a).zip(normalize_datetime(e)),
            };
            let (a, e) = match dates {
                Some((a, e)) => (a, e),
                _ if exact => (a.clone(), e.clone()),
                _ => (a.to_lowercase(), e.to_lowercase()),
            };
            match op {
                CompareOp::Eq => a == e,
                CompareOp::Ne => a != e,
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                CompareOp::Gt => a > e,
                CompareOp::Ge => a >= e,
                CompareOp::Lt => a < e,
                CompareOp::Le => a <= e,
            }
        }
        (Value::Number(a), Value::Number(e)) => {
            let (Some(a), Some(e)) = (a.as_f64(), e.as_f64()) else {
                return false;
            };
            let Some(ord) = a.partial_cmp(&e) else {
                return false;
            };
            match op {
                CompareOp::Eq => ord == Ordering::Equal,
                CompareOp::Ne => ord != Ordering::Equal,
                CompareOp::Gt => ord == Ordering::Greater,
                CompareOp::Ge => ord != Ordering::Less,
                CompareOp::Lt => ord == Ordering::Less,
                CompareOp::Le => ord != Ordering::Greater,
                _ => false,
            }
        }
        (Value::Bool(a), Value::Bool(e)) => match op {
            CompareOp::Eq => a == e,
            CompareOp::Ne => a != e,
            _ => false,
        },
        _ => false,
    }
}

fn compare_values(values: &[&Value], path: &AttrPath, op: CompareOp, expected: &Value) -> bool {
    let exact = schema::is_case_exact(path);
    let boolish = schema::is_boolean(path);
    match (op, expected) {
        // `eq null` asks for absence; `ne` is the negation of `eq` so that an absent attribute
        // is "not equal" to anything, the same rule the SQL translation follows.
        (CompareOp::Eq, Value::Null) => values.iter().all(|v| v.is_null()),
        (CompareOp::Ne, _) => !compare_values(values, path, CompareOp::Eq, expected),
        (_, Value::Null) => false,
        _ => values
            .iter()
            .any(|v| compare_one(v, op, expected, exact, boolish)),
    }
}

/// Multi-valued elements that are plain values behave as `{"value": element}` inside brackets.
fn element_view(e: &Value) -> std::borrow::Cow<'_, Value> {
    if e.is_object() {
        std::borrow::Cow::Borrowed(e)
    } else {
        std::borrow::Cow::Owned(serde_json::json!({ "value": e }))
    }
}

impl Filter {
    /// Evaluates the filter against one SCIM resource (or one element of a multi-valued
    /// attribute, for the filter inside brackets).
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::Present(p) => collect(resource, p).into_iter().any(is_present),
            Filter::Compare(p, op, v) => compare_values(&collect(resource, p), p, *op, v),
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(a) => !a.matches(resource),
            Filter::ValuePath {
                attr,
                filter,
                sub_compare,
            } => {
                let elements = collect(resource, attr);
                let hit = |e: &&Value| {
                    let view = element_view(e);
                    filter.matches(&view)
                        && sub_compare.as_ref().is_none_or(|(s, op, v)| {
                            Filter::Compare(AttrPath::new(s), *op, v.clone()).matches(&view)
                        })
                };
                // `.value eq "x"`: a matching element whose value equals x. `.value eq null`:
                // no matching element has a value (none matching at all included), as
                // `attr eq null` asks for absence.
                let equal = |s: &str, v: &Value| {
                    let compare = Filter::Compare(AttrPath::new(s), CompareOp::Eq, v.clone());
                    match v {
                        Value::Null => elements.iter().all(|e| {
                            let view = element_view(e);
                            !filter.matches(&view) || compare.matches(&view)
                        }),
                        _ => elements.iter().any(|e| {
                            let view = element_view(e);
                            filter.matches(&view) && compare.matches(&view)
                        }),
                    }
                };
                match sub_compare {
                    // `ne` keeps the negation-of-eq rule: no matching element whose value
                    // equals x (and for null: some matching element has a value).
                    Some((s, CompareOp::Ne, v)) => !equal(s, v),
                    Some((s, CompareOp::Eq, v)) => equal(s, v),
                    _ => elements.iter().any(hit),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Filter {
        match parse_filter(s) {
            Ok(f) => f,
            Err(e) => panic!("{s}: {}", e.detail),
        }
    }

    fn err(s: &str) -> String {
        match parse_filter(s) {
            Ok(f) => panic!("{s} parsed as {f}"),
            Err(e) => {
                assert_eq!(
                    e.scim_type,
                    Some(crate::scim::error::ScimType::InvalidFilter)
                );
                assert_eq!(e.status, 400);
                e.detail
            }
        }
    }

    fn cmp(name: &str, op: CompareOp, v: Value) -> Filter {
        Filter::Compare(AttrPath::new(name), op, v)
    }

    #[test]
    fn attr_paths() {
        let a = AttrPath::parse("name.givenName").unwrap();
        assert_eq!(
            (a.urn, a.name.as_str(), a.sub.as_deref()),
            (None, "name", Some("givenName"))
        );
        let a = AttrPath::parse(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        )
        .unwrap();
        assert_eq!(
            a.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(
            (a.name.as_str(), a.sub.as_deref()),
            ("manager", Some("value"))
        );
        let a = AttrPath::parse("URN:ietf:params:scim:schemas:core:2.0:User:userName").unwrap();
        assert!(a.is_core_urn());
        assert_eq!(a.name, "userName");
        assert_eq!(
            a.to_string(),
            "URN:ietf:params:scim:schemas:core:2.0:User:userName"
        );
        for bad in ["", "a.b.c", "a b", "urn:", "na\"me", ".x", "x."] {
            assert!(AttrPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_operator_case_insensitive() {
        for (w, op) in [
            ("eq", CompareOp::Eq),
            ("NE", CompareOp::Ne),
            ("Co", CompareOp::Co),
            ("sW", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("GT", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("Le", CompareOp::Le),
        ] {
            assert_eq!(
                p(&format!("userName {w} \"x\"")),
                cmp("userName", op, json!("x"))
            );
        }
        assert_eq!(p("title PR"), Filter::Present(AttrPath::new("title")));
    }

    #[test]
    fn values_and_whitespace() {
        assert_eq!(p("a eq 12"), cmp("a", CompareOp::Eq, json!(12)));
        assert_eq!(p("a eq -1.5"), cmp("a", CompareOp::Eq, json!(-1.5)));
        assert_eq!(p("a eq TRUE"), cmp("a", CompareOp::Eq, json!(true)));
        assert_eq!(p("a eq False"), cmp("a", CompareOp::Eq, json!(false)));
        assert_eq!(p("a eq Null"), cmp("a", CompareOp::Eq, Value::Null));
        assert_eq!(
            p(r#"a eq "q\"b\\s\u00e9""#),
            cmp("a", CompareOp::Eq, json!("q\"b\\sé"))
        );
        assert_eq!(
            p("  a\t eq \t \"x\"  "),
            cmp("a", CompareOp::Eq, json!("x"))
        );
    }

    #[test]
    fn precedence_and_grouping() {
        let f = p(r#"a eq "1" or b eq "2" and c eq "3""#);
        assert_eq!(
            f,
            Filter::Or(
                Box::new(cmp("a", CompareOp::Eq, json!("1"))),
                Box::new(Filter::And(
                    Box::new(cmp("b", CompareOp::Eq, json!("2"))),
                    Box::new(cmp("c", CompareOp::Eq, json!("3")))
                ))
            )
        );
        let g = p(r#"(a eq "1" OR b eq "2") AND NOT (c pr)"#);
        assert_eq!(
            g,
            Filter::And(
                Box::new(Filter::Or(
                    Box::new(cmp("a", CompareOp::Eq, json!("1"))),
                    Box::new(cmp("b", CompareOp::Eq, json!("2")))
                )),
                Box::new(Filter::Not(Box::new(Filter::Present(AttrPath::new("c")))))
            )
        );
        assert_eq!(
            p("not(c pr)"),
            Filter::Not(Box::new(Filter::Present(AttrPath::new("c"))))
        );
        // An attribute that happens to be called "not".
        assert_eq!(p(r#"not eq "x""#), cmp("not", CompareOp::Eq, json!("x")));
    }

    #[test]
    fn value_paths() {
        let f = p(r#"emails[type eq "work" and value co "@corp"]"#);
        let Filter::ValuePath {
            attr,
            filter,
            sub_compare,
        } = f
        else {
            panic!()
        };
        assert_eq!(attr.name, "emails");
        assert!(matches!(*filter, Filter::And(..)));
        assert!(sub_compare.is_none());
        let f = p(r#"emails[type eq "work"].value eq "j@x.org""#);
        let Filter::ValuePath { sub_compare, .. } = f else {
            panic!()
        };
        assert_eq!(
            sub_compare,
            Some(("value".into(), CompareOp::Eq, json!("j@x.org")))
        );
        let f = p(r#"emails[type eq "work"].value pr"#);
        let Filter::ValuePath {
            filter,
            sub_compare,
            ..
        } = f
        else {
            panic!()
        };
        assert!(sub_compare.is_none());
        assert!(matches!(*filter, Filter::And(..)));
        p(r#"userType eq "Employee" and emails[type eq "work" or (primary eq true)]"#);
        p(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m@x""#);
    }

    #[test]
    fn readable_errors() {
        assert_eq!(
            err("userName eq"),
            "The filter 'userName eq' is incomplete: a value is expected after 'eq'."
        );
        assert!(err("userName").contains("an operator"));
        assert!(err("userName foo \"x\"").contains("'foo' at character 10 is not an operator"));
        assert!(err("userName eq jane").contains("not a quoted string"));
        assert!(err("userName eq \"x").contains("no closing"));
        assert!(err("(userName eq \"x\"").contains("never closed"));
        assert!(err("userName eq \"x\")").contains("closes nothing"));
        assert!(err("a eq \"x\" b eq \"y\"").contains("expected 'and' or 'or'"));
        assert!(err("a eq \"x\" and").contains("incomplete"));
        assert!(err("emails[type eq \"work\"").contains("never closed"));
        assert!(err("emails[a[b eq 1]]").contains("nested"));
        assert!(err("").contains("empty"));
        assert!(err("a eq \"\\q\"").contains("escape"));
        assert!(err("a eq 'x'").contains("double quotes"));
    }

    #[test]
    fn limits() {
        let deep = format!("{}a pr{}", "(".repeat(64), ")".repeat(64));
        assert!(err(&deep).contains("levels deep"));
        let nots = format!("{}a pr", "not ".repeat(100));
        assert!(err(&nots).contains("levels deep"));
        let ok = format!("{}a pr{}", "(".repeat(10), ")".repeat(10));
        p(&ok);
        let long = format!("a eq \"{}\"", "x".repeat(5000));
        assert!(err(&long).contains("longer than 4096"));
        assert!(err(&long).len() < 400);
        // Long chains of and/or are loops, not recursion.
        let chain = vec!["a pr"; 400].join(" and ");
        p(&chain);
    }

    fn user() -> Value {
        json!({
            "id": "AbC",
            "userName": "Jane@Corp.Example",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "active": true,
            "title": "",
            "emails": [
                {"value": "jane@corp.example", "type": "work", "primary": true},
                {"value": "j@home.example", "type": "home"}
            ],
            "tags": ["a", "b"],
            "age": 41,
            "meta": {"created": "2026-01-02T03:04:05Z", "version": "W/\"1\""},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "department": "Sales", "manager": {"value": "boss@corp.example"}
            }
        })
    }

    fn m(s: &str) -> bool {
        p(s).matches(&user())
    }

    /// Entra's string booleans match real booleans and stored strings alike, in value paths and
    /// at the top level, with or without case; other text for a boolean matches nothing.
    #[test]
    fn string_booleans_compare_as_booleans() {
        let doc = serde_json::json!({
            "active": "False",
            "roles": [{"value": "a", "primary": true}, {"value": "b", "primary": "False"}]
        });
        let hit = |f: &str| p(f).matches(&doc);
        assert!(hit(r#"roles[primary eq "True"]"#));
        assert!(hit(r#"roles[primary eq "TRUE" and value eq "a"]"#));
        assert!(!hit(r#"roles[primary eq "True" and value eq "b"]"#));
        assert!(hit(r#"roles[primary eq false and value eq "b"]"#));
        assert!(hit(r#"roles[primary eq "false" and value eq "b"]"#));
        assert!(hit("active eq false"));
        assert!(hit(r#"active eq "False""#));
        assert!(!hit(r#"active eq "yes""#));
        assert!(!hit(r#"roles[primary eq "yes"]"#));
    }

    #[test]
    fn matcher_basics() {
        assert!(m(r#"username eq "jane@corp.example""#));
        assert!(m(r#"userName sw "JANE""#));
        assert!(m(r#"userName ew ".example""#));
        assert!(m(r#"userName co "corp""#));
        assert!(!m(r#"id eq "abc""#));
        assert!(m(r#"id eq "AbC""#));
        assert!(m(r#"name.givenName eq "jane""#));
        assert!(m(r#"emails eq "J@HOME.example""#));
        assert!(m(r#"emails.type eq "home""#));
        assert!(m(r#"emails[type eq "work"].value eq "jane@corp.example""#));
        assert!(!m(r#"emails[type eq "home"].value eq "jane@corp.example""#));
        assert!(m(r#"emails[type eq "work" and primary eq true]"#));
        assert!(m(r#"emails[type eq "work" and primary eq "True"]"#));
        assert!(!m(r#"emails[type eq "work" and primary eq "False"]"#));
        assert!(m(r#"tags eq "b""#));
        assert!(m(r#"tags[value eq "a"]"#));
        assert!(m("active eq true"));
        assert!(m(r#"active eq "true""#));
        assert!(!m("active gt false"));
        assert!(m("age gt 40 and age le 41"));
        assert!(!m(r#"age eq "41""#));
        assert!(m(r#"meta.created eq "2026-01-02T04:04:05+01:00""#));
        assert!(m(r#"meta.created gt "2026-01-01T00:00:00.000Z""#));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales""#
        ));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "boss@corp.example""#
        ));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName pr"#
        ));
    }

    #[test]
    fn matcher_presence_ne_null() {
        assert!(!m("title pr"));
        assert!(!m("nickName pr"));
        assert!(m("emails pr"));
        assert!(m(r#"nickName ne "x""#));
        assert!(m("nickName eq null"));
        assert!(!m("userName eq null"));
        assert!(m("userName ne null"));
        assert!(!m(r#"emails ne "j@home.example""#));
        assert!(m(r#"not (userName eq "x") or title pr"#));
        assert!(m(r#"emails[type eq "work"].value ne "other@x""#));
        assert!(!m(r#"emails[type eq "work"].value ne "jane@corp.example""#));
        assert!(!p("x pr").matches(&json!({"x": []})));
        assert!(!p("x pr").matches(&json!({"x": null})));
        assert!(p("x pr").matches(&json!({"x": 0})));
    }

    #[test]
    fn datetimes_normalise() {
        assert_eq!(
            normalize_datetime("2026-11-29T12:09:08.1234+01:00").as_deref(),
            Some("2026-11-29T11:09:08.123Z")
        );
        assert_eq!(normalize_datetime("2026-11-29"), None);
    }
}
