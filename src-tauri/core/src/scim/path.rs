//! Attribute paths, the one parser of them: an attribute reference `[urn:]name[.sub]`
//! ([`AttrPath`]), which filters, projection (`attributes=`), PATCH and the SQL translation all
//! use, and PATCH paths (RFC 7644 §3.5.2): `attr`, `attr.sub`, `urn:…:attr[.sub]`, `attr[filter]`
//! and `attr[filter].sub` ([`PatchPath`]).
//!
//! This module only parses; what a path means for a resource is the schema's to say
//! (`scim::schema`), applying operations is `scim::patch`'s job, and `filter` query parameters
//! are `scim::filter`'s. A bad path is an error whose detail quotes it for the Okta or Entra admin.

use std::fmt;

use crate::scim::error::ScimError;
use crate::scim::filter::{parse_filter_raw, Filter};
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

#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute; its own `sub` is set only for paths without a filter (`name.familyName`).
    pub attr: AttrPath,
    pub value_filter: Option<Filter>,
    /// The sub-attribute after a filter (`emails[type eq "work"].value`).
    pub sub: Option<String>,
}

fn bad(input: &str, why: impl std::fmt::Display) -> ScimError {
    ScimError::invalid_path(format!(
        "The PATCH path '{}' is not valid: {why}.",
        quoted(input)
    ))
}

/// Byte index of the `]` closing the `[` at `open`, skipping brackets inside quoted values.
fn closing_bracket(s: &str, open: usize) -> Option<usize> {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in s[open + 1..].char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
        } else if c == '"' {
            in_str = true;
        } else if c == ']' {
            return Some(open + 1 + i);
        }
    }
    None
}

pub fn parse_patch_path(input: &str) -> Result<PatchPath, ScimError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(bad(input, "it is empty"));
    }
    if trimmed.len() > crate::scim::filter::MAX_FILTER_LEN {
        return Err(bad(input, "it is too long"));
    }
    let Some(open) = trimmed.find('[') else {
        let attr = parse_attr_path(trimmed).map_err(|why| bad(input, why))?;
        return Ok(PatchPath {
            attr,
            value_filter: None,
            sub: None,
        });
    };
    let attr = parse_attr_path(trimmed[..open].trim_end()).map_err(|why| bad(input, why))?;
    if attr.sub.is_some() {
        return Err(bad(
            input,
            "a sub-attribute cannot come before '[' (write attribute[filter].subAttribute)",
        ));
    }
    let Some(close) = closing_bracket(trimmed, open) else {
        return Err(bad(input, "the '[' is never closed with ']'"));
    };
    let filter = parse_filter_raw(&trimmed[open + 1..close], true)
        .map_err(|e| bad(input, format!("inside the brackets, {}", e.reason())))?;
    let rest = &trimmed[close + 1..];
    let sub = if rest.is_empty() {
        None
    } else {
        let Some(s) = rest.strip_prefix('.') else {
            return Err(bad(
                input,
                format!(
                    "only '.subAttribute' may follow ']', not '{}'",
                    quoted(rest)
                ),
            ));
        };
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
        {
            return Err(bad(
                input,
                format!("'{}' is not a sub-attribute name", quoted(s)),
            ));
        }
        Some(s.to_string())
    };
    Ok(PatchPath {
        attr,
        value_filter: Some(filter),
        sub,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::filter::CompareOp;
    use serde_json::json;

    const ENT: &str = crate::scim::schema::ENTERPRISE_USER_SCHEMA;

    #[test]
    fn examples() {
        let p = parse_patch_path("members").unwrap();
        assert_eq!(p.attr, AttrPath::new("members"));
        assert!(p.value_filter.is_none() && p.sub.is_none());

        let p = parse_patch_path(r#"members[value eq "abc"]"#).unwrap();
        assert_eq!(
            p.value_filter,
            Some(Filter::Compare(
                AttrPath::new("value"),
                CompareOp::Eq,
                json!("abc")
            ))
        );

        let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attr.name, "emails");
        assert_eq!(p.sub.as_deref(), Some("value"));

        let p = parse_patch_path("name.familyName").unwrap();
        assert_eq!(p.attr.sub.as_deref(), Some("familyName"));

        let p = parse_patch_path(&format!("{ENT}:manager.value")).unwrap();
        assert_eq!(p.attr.urn.as_deref(), Some(ENT));
        assert_eq!(p.attr.name, "manager");
        assert_eq!(p.attr.sub.as_deref(), Some("value"));

        let p = parse_patch_path(&format!("{ENT}:department")).unwrap();
        assert_eq!(p.attr.name, "department");

        let p = parse_patch_path(r#"addresses[type eq "work"].locality"#).unwrap();
        assert_eq!(p.sub.as_deref(), Some("locality"));

        let p = parse_patch_path(r#"members[value eq "a]b"]"#).unwrap();
        assert!(p.value_filter.is_some());
    }

    #[test]
    fn errors() {
        for bad in [
            "",
            "emails[type eq",
            r#"emails[type eq "work"]value"#,
            r#"emails[type eq "work"]."#,
            "name.given.x",
            r#"name.givenName[type eq "x"]"#,
            "em ails",
            r#"emails[type zz "work"]"#,
        ] {
            let e = parse_patch_path(bad).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{bad}");
            assert!(e.detail.starts_with("The PATCH path '"), "{}", e.detail);
        }
        let e = parse_patch_path("emails[type eq").unwrap_err();
        assert_eq!(
            e.detail,
            "The PATCH path 'emails[type eq' is not valid: the '[' is never closed with ']'."
        );
        let e = parse_patch_path(r#"emails[type eq ]"#).unwrap_err();
        assert!(e.detail.contains("inside the brackets"), "{}", e.detail);
    }
}
