//! PATCH paths (RFC 7644 §3.5.2): `attr`, `attr.sub`, `urn:…:attr[.sub]`, `attr[filter]` and
//! `attr[filter].sub` ([`PatchPath`]). The attribute is an [`AttrPath`], read by the one path
//! parser; the filter between brackets by the filter grammar. A bad path is an `invalidPath`
//! error whose detail quotes it.

use crate::scim::error::ScimError;
use crate::scim::filter::{parse_filter_raw, Filter, MAX_FILTER_LEN};
use crate::scim::path::{parse_attr_path, AttrPath};
use crate::text::quoted;

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
    if trimmed.len() > MAX_FILTER_LEN {
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
