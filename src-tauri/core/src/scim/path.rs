//! Attribute paths, the one parser of them: an attribute reference `[urn:]name[.sub]`
//! ([`AttrPath`]), which filters, projection (`attributes=`), PATCH paths and the SQL
//! translation all use.
//!
//! This module only parses; what a path means for a resource is the schema's to say
//! (`scim::schema`). PATCH paths, which may hold a filter, are `scim::patch_path`'s (the filter
//! grammar itself reads attribute paths, so this module stays below it). A bad path is an error
//! whose detail quotes it for the Okta or Entra admin.

use std::fmt;

use crate::scim::error::ScimError;
use crate::text::quoted;

/// An attribute reference: `[urn:]name[.sub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    pub fn new(name: &str) -> Self {
        AttrPath {
            urn: None,
            name: name.to_string(),
            sub: None,
        }
    }

    /// Parses `name`, `name.sub`, or `urn:…:name[.sub]` (a path starting with `urn:` splits at
    /// its last `:`).
    pub fn parse(input: &str) -> Result<AttrPath, ScimError> {
        parse_attr_path(input).map_err(|why| {
            ScimError::invalid_filter(format!(
                "'{}' is not a valid attribute name: {why}.",
                quoted(input)
            ))
        })
    }

    /// True when the urn names a core schema, whose attributes live at the top level of a
    /// resource rather than under an extension key.
    pub fn is_core_urn(&self) -> bool {
        self.urn.as_deref().is_some_and(is_core_urn)
    }
}

pub fn is_core_urn(urn: &str) -> bool {
    urn.to_ascii_lowercase()
        .starts_with("urn:ietf:params:scim:schemas:core:")
}

pub(crate) fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

fn valid_urn(s: &str) -> bool {
    s.len() > 4
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '-' | '_'))
}

pub fn parse_attr_path(input: &str) -> Result<AttrPath, String> {
    let (urn, rest) = if input
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    {
        match input.rfind(':') {
            Some(i) if i >= 4 => (Some(&input[..i]), &input[i + 1..]),
            _ => return Err("a schema URN must be followed by ':' and an attribute".into()),
        }
    } else {
        (None, input)
    };
    if let Some(u) = urn {
        if !valid_urn(u) {
            return Err(format!("'{u}' is not a valid schema URN"));
        }
    }
    let mut parts = rest.split('.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() {
        return Err("attribute paths have at most one '.' (attribute.subAttribute)".into());
    }
    if !valid_name(name) {
        return Err(if name.is_empty() {
            "the attribute name is missing".into()
        } else {
            format!("'{name}' contains characters not allowed in an attribute name")
        });
    }
    if let Some(s) = sub {
        if !valid_name(s) {
            return Err(format!("'{s}' is not a valid sub-attribute name"));
        }
    }
    Ok(AttrPath {
        urn: urn.map(str::to_string),
        name: name.to_string(),
        sub: sub.map(str::to_string),
    })
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = &self.urn {
            write!(f, "{u}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}
