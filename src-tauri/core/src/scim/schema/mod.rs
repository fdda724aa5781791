//! The SCIM schemas this server speaks, and the one place attribute facts live: static
//! definitions for the core User and Group resources and the enterprise User extension (RFC 7643
//! §4 and §8.7.1) — type, multi-valued, case-exact, mutability, returned, uniqueness, canonical
//! values, sub-attributes (the URNs themselves are `scim::urn`'s, re-exported here). Everything that needs a fact about an attribute asks
//! here: the filter's comparisons, PATCH, the SQL translation, canonical form ([`canonical`]),
//! projection ([`projection`]) and the discovery documents ([`discovery`]). Adding a standard
//! attribute, or an extension schema, is one entry in a table below.
//!
//! It is not for storage or value validation beyond types (required, uniqueness are enforced by
//! the directory).

mod canonical;
mod discovery;
mod projection;

pub use canonical::{canonicalize, coerce_booleans, strip_read_only};
pub use discovery::{
    add_schema_extensions, custom_schema_json, resource_type, resource_types, schema_document,
    schema_documents, service_provider_config, CustomExtension,
};
pub use projection::{may_hide, project, project_owned};

use serde_json::Map;

use crate::scim::path::AttrPath;

pub use crate::scim::urn::*;

/// The two resource types this server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    /// The core schema URN of the resource type.
    pub fn schema(self) -> &'static str {
        match self {
            ResourceKind::User => USER_SCHEMA,
            ResourceKind::Group => GROUP_SCHEMA,
        }
    }

    /// The attributes of the core schema (common attributes excluded).
    pub fn core_attributes(self) -> &'static [AttrDef] {
        match self {
            ResourceKind::User => USER_ATTRIBUTES,
            ResourceKind::Group => GROUP_ATTRIBUTES,
        }
    }

    /// The schema extension URNs the resource type accepts (from [`SCHEMAS`]).
    pub fn extensions(self) -> &'static [&'static str] {
        static USER: std::sync::LazyLock<Vec<&'static str>> =
            std::sync::LazyLock::new(|| extensions_of(ResourceKind::User).map(|s| s.urn).collect());
        static GROUP: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
            extensions_of(ResourceKind::Group).map(|s| s.urn).collect()
        });
        match self {
            ResourceKind::User => &USER,
            ResourceKind::Group => &GROUP,
        }
    }
}

/// A schema this server speaks: a resource type's core schema, or an extension of one.
#[derive(Debug)]
pub struct Schema {
    pub urn: &'static str,
    /// The `name` in `/Schemas`.
    pub name: &'static str,
    pub description: &'static str,
    pub resource: ResourceKind,
    /// An extension of `resource` (its attributes live under the URN as a key), or its core.
    pub extension: bool,
    pub attributes: &'static [AttrDef],
}

/// Every schema, core and extension: adding an extension schema is one entry here (and its
/// attribute table).
pub static SCHEMAS: &[Schema] = &[
    Schema {
        urn: USER_SCHEMA,
        name: "User",
        description: "User Account",
        resource: ResourceKind::User,
        extension: false,
        attributes: USER_ATTRIBUTES,
    },
    Schema {
        urn: GROUP_SCHEMA,
        name: "Group",
        description: "Group",
        resource: ResourceKind::Group,
        extension: false,
        attributes: GROUP_ATTRIBUTES,
    },
    Schema {
        urn: ENTERPRISE_USER_SCHEMA,
        name: "EnterpriseUser",
        description: "Enterprise User",
        resource: ResourceKind::User,
        extension: true,
        attributes: ENTERPRISE_USER_ATTRIBUTES,
    },
];

/// The extension schemas of `kind`.
pub fn extensions_of(kind: ResourceKind) -> impl Iterator<Item = &'static Schema> {
    SCHEMAS
        .iter()
        .filter(move |s| s.extension && s.resource == kind)
}

/// The extension schema of `kind` named `urn` (without case), if there is one.
pub fn extension(kind: ResourceKind, urn: &str) -> Option<&'static Schema> {
    extensions_of(kind).find(|s| s.urn.eq_ignore_ascii_case(urn))
}

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
    Binary,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
            AttrType::Binary => "binary",
        }
    }
}

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition with every RFC 7643 §7 characteristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrDef {
    pub name: &'static str,
    pub type_: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub sub_attributes: &'static [AttrDef],
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub description: &'static str,
}

impl AttrDef {
    /// A single-valued, optional, case-insensitive, readWrite, returned-by-default, non-unique
    /// attribute of type `type_`: the RFC 7643 §2.2 defaults. The builders below adjust it.
    const fn new(name: &'static str, type_: AttrType, description: &'static str) -> Self {
        Self {
            name,
            type_,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            sub_attributes: &[],
            canonical_values: &[],
            reference_types: &[],
            description,
        }
    }
    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    const fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    const fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    const fn subs(mut self, s: &'static [AttrDef]) -> Self {
        self.sub_attributes = s;
        self
    }
    const fn canonical(mut self, c: &'static [&'static str]) -> Self {
        self.canonical_values = c;
        self
    }
    const fn refs(mut self, r: &'static [&'static str]) -> Self {
        self.reference_types = r;
        self
    }

    /// The sub-attribute `name`, matched case-insensitively.
    pub fn sub(&self, name: &str) -> Option<&'static AttrDef> {
        find(self.sub_attributes, name)
    }
}

const fn string(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::String, description)
}
const fn boolean(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::Boolean, description)
}
const fn reference(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::Reference, description)
}
const fn complex(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::Complex, description)
}
const fn date_time(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::DateTime, description)
}

use Mutability::{Immutable, ReadOnly, WriteOnly};

// ---------------------------------------------------------------------------------------------
// Common attributes (RFC 7643 §3.1)

const META_SUBS: &[AttrDef] = &[
    string(
        "resourceType",
        "The name of the resource type of the resource.",
    )
    .exact()
    .mutability(ReadOnly),
    date_time(
        "created",
        "The date and time the resource was added to the service provider.",
    )
    .mutability(ReadOnly),
    date_time(
        "lastModified",
        "The most recent date and time the resource was modified.",
    )
    .mutability(ReadOnly),
    reference("location", "The URI of the resource being returned.")
        .exact()
        .mutability(ReadOnly)
        .refs(&["uri"]),
    string(
        "version",
        "The version (entity tag) of the resource being returned.",
    )
    .exact()
    .mutability(ReadOnly),
];

/// `id`, `externalId` and `meta`, shared by every resource type.
pub static COMMON_ATTRIBUTES: &[AttrDef] = &[
    string(
        "id",
        "Unique identifier for the SCIM resource as defined by the service provider.",
    )
    .exact()
    .mutability(ReadOnly)
    .returned(Returned::Always)
    .uniqueness(Uniqueness::Server),
    string(
        "externalId",
        "Identifier for the resource as defined by the provisioning client.",
    )
    .exact(),
    complex("meta", "Resource metadata.")
        .mutability(ReadOnly)
        .subs(META_SUBS),
];

// ---------------------------------------------------------------------------------------------
// Core User (RFC 7643 §4.1, §8.7.1)

const NAME_SUBS: &[AttrDef] = &[
    string(
        "formatted",
        "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display.",
    ),
    string(
        "familyName",
        "The family name of the User, or last name in most Western languages.",
    ),
    string(
        "givenName",
        "The given name of the User, or first name in most Western languages.",
    ),
    string("middleName", "The middle name(s) of the User."),
    string(
        "honorificPrefix",
        "The honorific prefix(es) of the User, or title in most Western languages.",
    ),
    string(
        "honorificSuffix",
        "The honorific suffix(es) of the User, or suffix in most Western languages.",
    ),
];

const EMAIL_SUBS: &[AttrDef] = &[
    string("value", "Email address for the User."),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string(
        "type",
        "A label indicating the attribute's function, e.g., 'work' or 'home'.",
    )
    .canonical(&["work", "home", "other"]),
    boolean(
        "primary",
        "Indicates the 'primary' or preferred email address.",
    ),
];

const PHONE_SUBS: &[AttrDef] = &[
    string("value", "Phone number of the User."),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string(
        "type",
        "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.",
    )
    .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    boolean(
        "primary",
        "Indicates the 'primary' or preferred phone number.",
    ),
];

const IM_SUBS: &[AttrDef] = &[
    string("value", "Instant messaging address for the User."),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string(
        "type",
        "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
    )
    .canonical(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    boolean(
        "primary",
        "Indicates the 'primary' or preferred instant messaging address.",
    ),
];

const PHOTO_SUBS: &[AttrDef] = &[
    reference("value", "URL of a photo of the User.").refs(&["external"]),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string(
        "type",
        "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
    )
    .canonical(&["photo", "thumbnail"]),
    boolean(
        "primary",
        "Indicates the 'primary' or preferred photo or thumbnail.",
    ),
];

const ADDRESS_SUBS: &[AttrDef] = &[
    string(
        "formatted",
        "The full mailing address, formatted for display or use with a mailing label.",
    ),
    string("streetAddress", "The full street address component."),
    string("locality", "The city or locality component."),
    string("region", "The state or region component."),
    string("postalCode", "The zip code or postal code component."),
    string("country", "The country name component."),
    string(
        "type",
        "A label indicating the attribute's function, e.g., 'work' or 'home'.",
    )
    .canonical(&["work", "home", "other"]),
    boolean(
        "primary",
        "Indicates the 'primary' or preferred mailing address.",
    ),
];

const USER_GROUP_SUBS: &[AttrDef] = &[
    string("value", "The identifier of the User's group.").mutability(ReadOnly),
    reference(
        "$ref",
        "The URI of the corresponding 'Group' resource to which the user belongs.",
    )
    .exact()
    .mutability(ReadOnly)
    .refs(&["User", "Group"]),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    )
    .mutability(ReadOnly),
    string(
        "type",
        "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
    )
    .mutability(ReadOnly)
    .canonical(&["direct", "indirect"]),
];

const ENTITLEMENT_SUBS: &[AttrDef] = &[
    string("value", "The value of an entitlement."),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string("type", "A label indicating the attribute's function."),
    boolean(
        "primary",
        "Indicates the 'primary' or preferred entitlement.",
    ),
];

const ROLE_SUBS: &[AttrDef] = &[
    string("value", "The value of a role."),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string("type", "A label indicating the attribute's function."),
    boolean("primary", "Indicates the 'primary' or preferred role."),
];

const CERT_SUBS: &[AttrDef] = &[
    AttrDef::new(
        "value",
        AttrType::Binary,
        "The value of an X.509 certificate.",
    ),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string("type", "A label indicating the attribute's function."),
    boolean(
        "primary",
        "Indicates the 'primary' or preferred certificate.",
    ),
];

/// The core User schema's attributes.
pub static USER_ATTRIBUTES: &[AttrDef] = &[
    string("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.")
        .required()
        .uniqueness(Uniqueness::Server),
    complex("name", "The components of the user's real name.").subs(NAME_SUBS),
    string("displayName", "The name of the User, suitable for display to end-users."),
    string("nickName", "The casual way to address the user in real life."),
    reference("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.")
        .refs(&["external"]),
    string("title", "The user's title, such as \"Vice President\"."),
    string("userType", "Used to identify the relationship between the organization and the user."),
    string("preferredLanguage", "Indicates the User's preferred written or spoken language."),
    string("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
    string("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
    boolean("active", "A Boolean value indicating the User's administrative status."),
    string("password", "The User's cleartext password. Accepted and discarded by this server; never stored or returned.")
        .mutability(WriteOnly)
        .returned(Returned::Never),
    complex("emails", "Email addresses for the user.").multi().subs(EMAIL_SUBS),
    complex("phoneNumbers", "Phone numbers for the User.").multi().subs(PHONE_SUBS),
    complex("ims", "Instant messaging addresses for the User.").multi().subs(IM_SUBS),
    complex("photos", "URLs of photos of the User.").multi().subs(PHOTO_SUBS),
    complex("addresses", "A physical mailing address for this User.").multi().subs(ADDRESS_SUBS),
    complex("groups", "A list of groups to which the user belongs.")
        .multi()
        .mutability(ReadOnly)
        .subs(USER_GROUP_SUBS),
    complex("entitlements", "A list of entitlements for the User.").multi().subs(ENTITLEMENT_SUBS),
    complex("roles", "A list of roles for the User.").multi().subs(ROLE_SUBS),
    complex("x509Certificates", "A list of certificates issued to the User.").multi().subs(CERT_SUBS),
];

// ---------------------------------------------------------------------------------------------
// Core Group (RFC 7643 §4.2, §8.7.1)

const MEMBER_SUBS: &[AttrDef] = &[
    string("value", "Identifier of the member of this Group.").mutability(Immutable),
    reference(
        "$ref",
        "The URI corresponding to a SCIM resource that is a member of this Group.",
    )
    .exact()
    .mutability(Immutable)
    .refs(&["User", "Group"]),
    string(
        "display",
        "A human-readable name of the member, primarily used for display purposes.",
    )
    .mutability(Immutable),
    string(
        "type",
        "A label indicating the type of resource, e.g., 'User' or 'Group'.",
    )
    .mutability(Immutable)
    .canonical(&["User", "Group"]),
];

/// The core Group schema's attributes.
pub static GROUP_ATTRIBUTES: &[AttrDef] = &[
    string("displayName", "A human-readable name for the Group.").required(),
    complex("members", "A list of members of the Group.")
        .multi()
        .subs(MEMBER_SUBS),
];

// ---------------------------------------------------------------------------------------------
// Enterprise User extension (RFC 7643 §4.3, §8.7.1)

const MANAGER_SUBS: &[AttrDef] = &[
    string(
        "value",
        "The id of the SCIM resource representing the User's manager (from Okta: the manager's email, resolved by the server).",
    ),
    reference(
        "$ref",
        "The URI of the SCIM resource representing the User's manager.",
    )
    .exact()
    .refs(&["User"]),
    string("displayName", "The displayName of the User's manager.").mutability(ReadOnly),
];

/// The enterprise User extension's attributes.
pub static ENTERPRISE_USER_ATTRIBUTES: &[AttrDef] = &[
    string(
        "employeeNumber",
        "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.",
    ),
    string("costCenter", "Identifies the name of a cost center."),
    string("organization", "Identifies the name of an organization."),
    string("division", "Identifies the name of a division."),
    string("department", "Identifies the name of a department."),
    complex("manager", "The User's manager.").subs(MANAGER_SUBS),
];

// ---------------------------------------------------------------------------------------------
// Lookup

fn find(defs: &'static [AttrDef], name: &str) -> Option<&'static AttrDef> {
    defs.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// The definitions of the schema `urn` (matched case-insensitively) for `kind`: the core schema
/// (with the common attributes prepended by the caller) or one of its extensions.
fn schema_attrs(kind: ResourceKind, urn: &str) -> Option<&'static [AttrDef]> {
    if urn.eq_ignore_ascii_case(kind.schema()) {
        Some(kind.core_attributes())
    } else {
        extension(kind, urn).map(|s| s.attributes)
    }
}

/// Finds an attribute definition, case-insensitively.
///
/// `path_urn` is the schema URN the name was qualified with: `None` or the core URN of `kind`
/// search the common attributes (`id`, `externalId`, `meta`) and then the core schema; the
/// enterprise URN (users only) searches the extension. Unqualified names never resolve into the
/// extension. `sub` selects a sub-attribute of a complex attribute.
pub fn attr_def(
    kind: ResourceKind,
    path_urn: Option<&str>,
    name: &str,
    sub: Option<&str>,
) -> Option<&'static AttrDef> {
    let top = match path_urn {
        None => find(COMMON_ATTRIBUTES, name).or_else(|| find(kind.core_attributes(), name)),
        Some(urn) if urn.eq_ignore_ascii_case(kind.schema()) => {
            find(COMMON_ATTRIBUTES, name).or_else(|| find(kind.core_attributes(), name))
        }
        Some(urn) => find(schema_attrs(kind, urn)?, name),
    }?;
    match sub {
        None => Some(top),
        Some(s) => top.sub(s),
    }
}

/// The sub-attributes RFC 7643 §2.4 gives every multi-valued attribute. A sub-attribute of an
/// attribute the schemas do not define (a custom one), or a name inside a value filter
/// (`roles[primary eq "True"]`, looked at element by element), is taken to be one of these.
static MULTI_VALUED_SUBS: &[AttrDef] = &[
    string("value", "The attribute's significant value."),
    string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    ),
    string("type", "A label indicating the attribute's function."),
    boolean(
        "primary",
        "Indicates the 'primary' or preferred attribute value.",
    ),
    reference("$ref", "The reference URI of a target resource.").exact(),
];

/// The definition `path` names, in whichever resource type defines it: a filter is evaluated
/// against a document without knowing whether it is a user or a group, and the two share no
/// attribute name with different facts. Falls back to [`MULTI_VALUED_SUBS`] for a sub-attribute
/// (or a bare name) no schema defines.
pub fn definition(path: &AttrPath) -> Option<&'static AttrDef> {
    let urn = path.urn.as_deref();
    let sub = path.sub.as_deref();
    [ResourceKind::User, ResourceKind::Group]
        .into_iter()
        .find_map(|kind| attr_def(kind, urn, &path.name, sub))
        .or_else(|| find(MULTI_VALUED_SUBS, sub.unwrap_or(&path.name)))
}

/// Whether values of `path` compare with their case (`caseExact`); unknown attributes compare
/// without, which is what an admin expects of names and emails.
pub fn is_case_exact(path: &AttrPath) -> bool {
    definition(path).is_some_and(|d| d.case_exact)
}

/// Whether `path` holds booleans (which Entra sends as the strings "True" and "False").
pub fn is_boolean(path: &AttrPath) -> bool {
    definition(path).is_some_and(|d| d.type_ == AttrType::Boolean)
}

/// The top-level attributes of `kind` with a characteristic, for the code that walks a document.
fn top_level(kind: ResourceKind) -> impl Iterator<Item = &'static AttrDef> {
    COMMON_ATTRIBUTES.iter().chain(kind.core_attributes())
}

/// Whether the core attribute `name` of `kind` is multi-valued.
pub fn is_multi_valued(kind: ResourceKind, name: &str) -> bool {
    top_level(kind).any(|d| d.multi_valued && d.name.eq_ignore_ascii_case(name))
}

/// Whether the core attribute `name` of `kind` is read-only (set by the server: `id`, `meta`,
/// a user's `groups`).
pub fn is_read_only(kind: ResourceKind, name: &str) -> bool {
    top_level(kind)
        .any(|d| d.mutability == Mutability::ReadOnly && d.name.eq_ignore_ascii_case(name))
}

/// Whether the core attribute `name` of `kind` is a boolean (`active`).
pub fn is_boolean_attribute(kind: ResourceKind, name: &str) -> bool {
    top_level(kind).any(|d| d.type_ == AttrType::Boolean && d.name.eq_ignore_ascii_case(name))
}

/// Whether a sub-attribute called `sub` of any complex attribute is a boolean (`primary`).
pub fn is_boolean_sub_attribute(sub: &str) -> bool {
    find(MULTI_VALUED_SUBS, sub).is_some_and(|d| d.type_ == AttrType::Boolean)
}

/// The schema's spelling of an attribute or sub-attribute name (of any resource type or the
/// enterprise extension), or `name` itself when no schema defines it.
pub fn canonical_name(name: &str) -> String {
    fn walk(defs: &'static [AttrDef], name: &str) -> Option<&'static str> {
        defs.iter().find_map(|d| {
            if d.name.eq_ignore_ascii_case(name) {
                Some(d.name)
            } else {
                walk(d.sub_attributes, name)
            }
        })
    }
    std::iter::once(COMMON_ATTRIBUTES)
        .chain(SCHEMAS.iter().map(|s| s.attributes))
        .chain(std::iter::once(MULTI_VALUED_SUBS))
        .find_map(|defs| walk(defs, name))
        .map_or_else(|| name.to_owned(), str::to_owned)
}

/// The canonical spelling of a known schema URN (core User/Group, enterprise), if `urn` is one.
fn canonical_urn(urn: &str) -> Option<&'static str> {
    SCHEMAS
        .iter()
        .map(|s| s.urn)
        .find(|u| u.eq_ignore_ascii_case(urn))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_defs() -> Vec<&'static AttrDef> {
        fn walk(defs: &'static [AttrDef], out: &mut Vec<&'static AttrDef>) {
            for d in defs {
                out.push(d);
                walk(d.sub_attributes, out);
            }
        }
        let mut out = Vec::new();
        for defs in [
            COMMON_ATTRIBUTES,
            USER_ATTRIBUTES,
            GROUP_ATTRIBUTES,
            ENTERPRISE_USER_ATTRIBUTES,
        ] {
            walk(defs, &mut out);
        }
        out
    }

    // ---- definitions and lookup

    #[test]
    fn definitions_follow_rfc_7643() {
        let user_name = attr_def(ResourceKind::User, None, "USERNAME", None).unwrap();
        assert_eq!(user_name.name, "userName");
        assert!(user_name.required && !user_name.case_exact);
        assert_eq!(user_name.uniqueness, Uniqueness::Server);
        assert_eq!(user_name.returned, Returned::Default);

        let password = attr_def(ResourceKind::User, None, "password", None).unwrap();
        assert_eq!(password.mutability, Mutability::WriteOnly);
        assert_eq!(password.returned, Returned::Never);

        let id = attr_def(ResourceKind::Group, None, "ID", None).unwrap();
        assert_eq!(
            (id.mutability, id.returned, id.case_exact),
            (Mutability::ReadOnly, Returned::Always, true)
        );
        assert!(
            attr_def(ResourceKind::User, None, "externalId", None)
                .unwrap()
                .case_exact
        );
        assert_eq!(
            attr_def(ResourceKind::User, None, "meta", None)
                .unwrap()
                .mutability,
            Mutability::ReadOnly
        );

        let groups = attr_def(ResourceKind::User, None, "groups", None).unwrap();
        assert!(groups.multi_valued);
        assert_eq!(groups.mutability, Mutability::ReadOnly);
        let names: Vec<_> = groups.sub_attributes.iter().map(|d| d.name).collect();
        assert_eq!(names, ["value", "$ref", "display", "type"]);

        let display = attr_def(ResourceKind::Group, None, "displayname", None).unwrap();
        assert!(display.required);
        let member_value = attr_def(ResourceKind::Group, None, "members", Some("VALUE")).unwrap();
        assert_eq!(member_value.mutability, Mutability::Immutable);

        let addr: Vec<_> = attr_def(ResourceKind::User, None, "addresses", None)
            .unwrap()
            .sub_attributes
            .iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(
            addr,
            [
                "formatted",
                "streetAddress",
                "locality",
                "region",
                "postalCode",
                "country",
                "type",
                "primary"
            ]
        );
        let name_subs = attr_def(ResourceKind::User, None, "name", None)
            .unwrap()
            .sub_attributes
            .len();
        assert_eq!(name_subs, 6);
    }

    #[test]
    fn lookup_with_urns_and_subs() {
        let dept = attr_def(
            ResourceKind::User,
            Some("URN:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User"),
            "Department",
            None,
        )
        .unwrap();
        assert_eq!(dept.name, "department");
        let mgr = attr_def(
            ResourceKind::User,
            Some(ENTERPRISE_USER_SCHEMA),
            "manager",
            Some("displayname"),
        )
        .unwrap();
        assert_eq!(mgr.name, "displayName");
        assert_eq!(
            attr_def(
                ResourceKind::User,
                Some(USER_SCHEMA),
                "name",
                Some("GIVENNAME")
            )
            .unwrap()
            .name,
            "givenName"
        );
        // Unqualified names do not reach into the extension.
        assert!(attr_def(ResourceKind::User, None, "department", None).is_none());
        // Groups have no enterprise extension, and the wrong core URN finds nothing.
        assert!(attr_def(
            ResourceKind::Group,
            Some(ENTERPRISE_USER_SCHEMA),
            "department",
            None
        )
        .is_none());
        assert!(attr_def(ResourceKind::Group, Some(USER_SCHEMA), "userName", None).is_none());
        assert!(attr_def(ResourceKind::User, None, "name", Some("nope")).is_none());
        assert!(attr_def(ResourceKind::User, None, "", None).is_none());
    }

    #[test]
    fn every_definition_is_well_formed() {
        for d in all_defs() {
            assert!(
                !d.name.is_empty() && !d.description.is_empty(),
                "{}",
                d.name
            );
            assert_eq!(
                d.type_ == AttrType::Complex,
                !d.sub_attributes.is_empty(),
                "{}",
                d.name
            );
            assert_eq!(
                d.type_ == AttrType::Reference,
                !d.reference_types.is_empty(),
                "{}",
                d.name
            );
        }
    }

    // ---- canonicalize
}
