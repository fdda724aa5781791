//! The SCIM schemas this server speaks: static attribute definitions for the core User and Group
//! resources and the enterprise User extension (RFC 7643 §4 and §8.7.1), and everything derived from
//! them: key canonicalisation of incoming documents, `attributes`/`excludedAttributes` projection of
//! outgoing ones (RFC 7644 §3.4.2.5, §3.9), removal of read-only fields from POST/PUT bodies, and
//! the discovery documents (`/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes`).
//!
//! It is not for storage, filtering, PATCH, or value validation (types, required, uniqueness):
//! those live elsewhere and only look attributes up here through [`attr_def`].

use serde_json::{json, Map, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

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

    /// The schema extension URNs the resource type accepts.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            ResourceKind::User => &[ENTERPRISE_USER_SCHEMA],
            ResourceKind::Group => &[],
        }
    }
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
    } else if kind == ResourceKind::User && urn.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
        Some(ENTERPRISE_USER_ATTRIBUTES)
    } else {
        None
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

/// The canonical spelling of a known schema URN (core User/Group, enterprise), if `urn` is one.
fn canonical_urn(urn: &str) -> Option<&'static str> {
    [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA]
        .into_iter()
        .find(|u| u.eq_ignore_ascii_case(urn))
}

// ---------------------------------------------------------------------------------------------
// Canonicalisation

/// Renames the keys of known attributes to their canonical case, at every level.
///
/// Covered: top-level attributes (common and core), `schemas`, sub-attributes of complex
/// attributes, the elements of multi-valued complex attributes, the enterprise extension's URN key
/// (users only, matched case-insensitively) and the attributes inside it. The known URNs inside
/// `schemas` are rewritten to their canonical spelling and duplicates removed (first kept).
/// Unknown keys (custom attributes, other extension URNs, flat `urn:…:attr` keys) are kept as
/// they are, with their values untouched.
///
/// When two keys of one object fold to the same canonical key, the one that comes later in the
/// object's iteration order wins (document order with serde_json's `preserve_order` feature,
/// otherwise sorted key order) and the other is dropped.
///
/// Afterwards `schemas` is an array that starts with the core URN of `kind` (added when missing;
/// a lone string is wrapped into an array, any other value replaced) and contains the enterprise
/// URN whenever the enterprise extension object is present and non-empty. A document that is not a
/// JSON object is left alone.
pub fn canonicalize(doc: &mut Value, kind: ResourceKind) {
    let Value::Object(obj) = doc else {
        return;
    };
    let old = std::mem::take(obj);
    for (key, mut value) in old {
        let canonical: Option<&'static str> = if key.eq_ignore_ascii_case("schemas") {
            Some("schemas")
        } else if let Some(def) =
            find(COMMON_ATTRIBUTES, &key).or_else(|| find(kind.core_attributes(), &key))
        {
            canonicalize_value(&mut value, def);
            Some(def.name)
        } else if kind == ResourceKind::User && key.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
            if let Value::Object(ext) = &mut value {
                canonicalize_object(ext, ENTERPRISE_USER_ATTRIBUTES);
            }
            Some(ENTERPRISE_USER_SCHEMA)
        } else {
            None
        };
        match canonical {
            Some(c) => {
                obj.insert(c.to_string(), value);
            }
            None => {
                obj.insert(key, value);
            }
        }
    }

    // `schemas`: an array of canonical, distinct URNs with the core URN first.
    let mut urns: Vec<Value> = match obj.remove("schemas") {
        Some(Value::Array(a)) => a,
        Some(Value::String(s)) => vec![Value::String(s)],
        _ => Vec::new(),
    };
    for u in urns.iter_mut() {
        if let Some(c) = u.as_str().and_then(canonical_urn) {
            *u = Value::String(c.to_string());
        }
    }
    // Duplicates found through a set: a list compared pair by pair grows with its square.
    let mut listed: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut seen: Vec<Value> = Vec::with_capacity(urns.len() + 2);
    for u in urns {
        if listed.insert(u.to_string()) {
            seen.push(u);
        }
    }
    let core = Value::String(kind.schema().to_string());
    if !listed.contains(&core.to_string()) {
        seen.insert(0, core);
    }
    for ext in kind.extensions() {
        let present = matches!(obj.get(*ext), Some(Value::Object(m)) if !m.is_empty());
        let urn = Value::String((*ext).to_string());
        if present && listed.insert(urn.to_string()) {
            seen.push(urn);
        }
    }
    obj.insert("schemas".to_string(), Value::Array(seen));
}

/// Canonicalises the inside of an attribute's value according to its definition.
fn canonicalize_value(value: &mut Value, def: &'static AttrDef) {
    if def.sub_attributes.is_empty() {
        return;
    }
    match value {
        Value::Object(m) => canonicalize_object(m, def.sub_attributes),
        Value::Array(items) => {
            for item in items {
                if let Value::Object(m) = item {
                    canonicalize_object(m, def.sub_attributes);
                }
            }
        }
        _ => {}
    }
}

fn canonicalize_object(obj: &mut Map<String, Value>, defs: &'static [AttrDef]) {
    let old = std::mem::take(obj);
    for (key, mut value) in old {
        match find(defs, &key) {
            Some(def) => {
                canonicalize_value(&mut value, def);
                obj.insert(def.name.to_string(), value);
            }
            None => {
                obj.insert(key, value);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Projection

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

/// Splits an attribute name from `attributes`/`excludedAttributes` into lower-cased path segments
/// relative to the resource: `name.givenName` → `[name, givenname]`;
/// `urn:…:core:2.0:User:userName` → `[username]`;
/// `urn:…:enterprise:2.0:User:manager.value` → `[urn:…:enterprise:2.0:user, manager, value]`;
/// the bare extension URN → `[urn…]` (the whole extension). A URN that is neither the core schema
/// of `kind` nor a key of the resource gives `None` (it selects nothing).
fn parse_attr_path(
    raw: &str,
    kind: ResourceKind,
    resource: &Map<String, Value>,
) -> Option<Vec<String>> {
    let lower = raw.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return None;
    }
    let split = |s: &str| -> Vec<String> { s.split('.').map(str::to_string).collect() };
    if !lower.starts_with("urn:") {
        return Some(split(&lower));
    }
    // Longest known URN that prefixes the name, followed by nothing or ':'.
    let mut candidates: Vec<(String, bool)> = vec![(kind.schema().to_ascii_lowercase(), true)];
    for ext in kind.extensions() {
        candidates.push((ext.to_ascii_lowercase(), false));
    }
    for k in resource.keys() {
        let lk = k.to_ascii_lowercase();
        if lk.starts_with("urn:") {
            candidates.push((lk, false));
        }
    }
    let (urn, is_core) = candidates
        .into_iter()
        .filter(|(c, _)| {
            lower.starts_with(c.as_str())
                && matches!(lower.as_bytes().get(c.len()), None | Some(b':'))
        })
        .max_by_key(|(c, _)| c.len())?;
    let rest = lower.get(urn.len()..).unwrap_or("");
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    if is_core {
        if rest.is_empty() {
            return None;
        }
        return Some(split(rest));
    }
    let mut segs = vec![urn];
    if !rest.is_empty() {
        segs.extend(split(rest));
    }
    Some(segs)
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
    if !attributes.is_empty() {
        let paths: Vec<Vec<String>> = attributes
            .iter()
            .filter_map(|a| parse_attr_path(a, kind, obj))
            .collect();
        let mut out = Map::new();
        for (key, value) in obj {
            let returned = top_returned(kind, key);
            if returned == Returned::Never {
                continue;
            }
            if returned == Returned::Always {
                out.insert(key.clone(), value.clone());
                continue;
            }
            let lk = key.to_ascii_lowercase();
            let rest: Vec<&[String]> = paths
                .iter()
                .filter(|p| p.first() == Some(&lk))
                .map(|p| p.get(1..).unwrap_or(&[]))
                .collect();
            if rest.is_empty() {
                continue;
            }
            if let Some(v) = select(value, &rest, defs_under(kind, key)) {
                out.insert(key.clone(), v);
            }
        }
        return Value::Object(out);
    }

    let paths: Vec<Vec<String>> = excluded
        .iter()
        .filter_map(|a| parse_attr_path(a, kind, obj))
        .collect();
    let mut out = Map::new();
    for (key, value) in obj {
        let returned = top_returned(kind, key);
        match returned {
            Returned::Never | Returned::Request => continue,
            Returned::Always => {
                out.insert(key.clone(), value.clone());
                continue;
            }
            Returned::Default => {}
        }
        let lk = key.to_ascii_lowercase();
        let rest: Vec<&[String]> = paths
            .iter()
            .filter(|p| p.first() == Some(&lk))
            .map(|p| p.get(1..).unwrap_or(&[]))
            .collect();
        if rest.iter().any(|r| r.is_empty()) {
            continue;
        }
        let v = exclude(value, &rest, defs_under(kind, key));
        out.insert(key.clone(), v);
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
                let lk = k.to_ascii_lowercase();
                let sub: Vec<&[String]> = rest
                    .iter()
                    .filter(|p| p.first() == Some(&lk))
                    .map(|p| p.get(1..).unwrap_or(&[]))
                    .collect();
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
                let lk = k.to_ascii_lowercase();
                let sub: Vec<&[String]> = rest
                    .iter()
                    .filter(|p| p.first() == Some(&lk))
                    .map(|p| p.get(1..).unwrap_or(&[]))
                    .collect();
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

// ---------------------------------------------------------------------------------------------
// Read-only fields on input

/// Removes from a POST/PUT body what the client may not set, so that Okta's echo of a previous
/// GET is ignored rather than rejected: `id`, `meta`, and for users `groups` (readOnly) and
/// `password` (writeOnly: this server never stores nor returns it, so it is discarded here).
/// Keys are matched case-insensitively. The enterprise extension has nothing to remove
/// (`manager.displayName` is readOnly but harmless and left to the caller). Non-objects are left
/// alone.
pub fn strip_read_only(doc: &mut Value, kind: ResourceKind) {
    let Value::Object(obj) = doc else {
        return;
    };
    let drop: &[&str] = match kind {
        ResourceKind::User => &["id", "meta", "groups", "password"],
        ResourceKind::Group => &["id", "meta"],
    };
    obj.retain(|k, _| !drop.iter().any(|d| d.eq_ignore_ascii_case(k)));
}

// ---------------------------------------------------------------------------------------------
// Discovery documents

fn location(base: &str, tail: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), tail)
}

/// `GET /ServiceProviderConfig` (RFC 7643 §5), truthful for this server. `base` is the
/// connection's base URL; a trailing slash is tolerated.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": crate::scim::list::MAX_COUNT },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the connection's token in the Authorization header (Bearer, or the bare token).",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": location(base, "ServiceProviderConfig")
        }
    })
}

/// RFC 7643 §7 representation of one attribute definition. `canonicalValues` is always present
/// (empty when none); `referenceTypes` only on reference attributes; `subAttributes` only on
/// complex ones.
fn attr_json(d: &AttrDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(d.name));
    m.insert("type".into(), json!(d.type_.as_str()));
    m.insert("multiValued".into(), json!(d.multi_valued));
    m.insert("description".into(), json!(d.description));
    m.insert("required".into(), json!(d.required));
    m.insert("caseExact".into(), json!(d.case_exact));
    m.insert("mutability".into(), json!(d.mutability.as_str()));
    m.insert("returned".into(), json!(d.returned.as_str()));
    m.insert("uniqueness".into(), json!(d.uniqueness.as_str()));
    m.insert("canonicalValues".into(), json!(d.canonical_values));
    if d.type_ == AttrType::Reference {
        m.insert("referenceTypes".into(), json!(d.reference_types));
    }
    if d.type_ == AttrType::Complex {
        let subs: Vec<Value> = d.sub_attributes.iter().map(attr_json).collect();
        m.insert("subAttributes".into(), Value::Array(subs));
    }
    Value::Object(m)
}

const SCHEMAS: &[(&str, &str, &str, &[AttrDef])] = &[
    (USER_SCHEMA, "User", "User Account", USER_ATTRIBUTES),
    (GROUP_SCHEMA, "Group", "Group", GROUP_ATTRIBUTES),
    (
        ENTERPRISE_USER_SCHEMA,
        "EnterpriseUser",
        "Enterprise User",
        ENTERPRISE_USER_ATTRIBUTES,
    ),
];

fn schema_json(base: &str, id: &str, name: &str, description: &str, attrs: &[AttrDef]) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attrs.iter().map(attr_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": location(base, &format!("Schemas/{id}"))
        }
    })
}

/// `GET /Schemas`: the core User, core Group and enterprise User schemas (RFC 7643 §7), generated
/// from the static definitions. The common attributes (`id`, `externalId`, `meta`) are not listed,
/// as RFC 7643 §3.1 allows.
pub fn schema_documents(base: &str) -> Vec<Value> {
    SCHEMAS
        .iter()
        .map(|(id, name, desc, attrs)| schema_json(base, id, name, desc, attrs))
        .collect()
}

/// `GET /Schemas/{id}`; `id` is matched case-insensitively.
pub fn schema_document(base: &str, id: &str) -> Option<Value> {
    SCHEMAS
        .iter()
        .find(|(urn, ..)| urn.eq_ignore_ascii_case(id))
        .map(|(urn, name, desc, attrs)| schema_json(base, urn, name, desc, attrs))
}

fn resource_type_json(base: &str, kind: ResourceKind) -> Value {
    let (name, endpoint, description) = match kind {
        ResourceKind::User => ("User", "/Users", "User Account"),
        ResourceKind::Group => ("Group", "/Groups", "Group"),
    };
    let mut doc = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": description,
        "schema": kind.schema(),
        "meta": {
            "resourceType": "ResourceType",
            "location": location(base, &format!("ResourceTypes/{name}"))
        }
    });
    if !kind.extensions().is_empty() {
        let exts: Vec<Value> = kind
            .extensions()
            .iter()
            .map(|e| json!({ "schema": e, "required": false }))
            .collect();
        doc["schemaExtensions"] = Value::Array(exts);
    }
    doc
}

/// `GET /ResourceTypes`: User then Group.
pub fn resource_types(base: &str) -> Vec<Value> {
    [ResourceKind::User, ResourceKind::Group]
        .into_iter()
        .map(|k| resource_type_json(base, k))
        .collect()
}

/// `GET /ResourceTypes/{name}`; `name` (`User`, `Group`) is matched case-insensitively.
pub fn resource_type(base: &str, name: &str) -> Option<Value> {
    if name.eq_ignore_ascii_case("User") {
        Some(resource_type_json(base, ResourceKind::User))
    } else if name.eq_ignore_ascii_case("Group") {
        Some(resource_type_json(base, ResourceKind::Group))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

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

    #[test]
    fn canonicalize_fixes_key_case_at_every_level() {
        let mut doc = json!({
            "SCHEMAS": ["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],
            "USERNAME": "jane@corp.example",
            "Name": {"GIVENNAME": "Jane", "familyname": "Doe", "nickname?": 1},
            "Emails": [{"VALUE": "jane@corp.example", "Primary": true, "TYPE": "work"}, "odd"],
            "ADDRESSES": [{"Locality": "Oslo", "postalcode": "0150"}],
            "Active": true,
            "EXTERNALID": "00u1",
            "Meta": {"RESOURCETYPE": "User"},
            "customAttr": {"Keep": "As Is"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"
        });
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(
            doc,
            json!({
                "schemas": [USER_SCHEMA],
                "userName": "jane@corp.example",
                "name": {"givenName": "Jane", "familyName": "Doe", "nickname?": 1},
                "emails": [{"value": "jane@corp.example", "primary": true, "type": "work"}, "odd"],
                "addresses": [{"locality": "Oslo", "postalCode": "0150"}],
                "active": true,
                "externalId": "00u1",
                "meta": {"resourceType": "User"},
                "customAttr": {"Keep": "As Is"},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"
            })
        );
    }

    #[test]
    fn canonicalize_enterprise_extension_in_odd_case() {
        let mut doc = json!({
            "schemas": [USER_SCHEMA],
            "userName": "a",
            "URN:IETF:params:scim:schemas:extension:Enterprise:2.0:user": {
                "DEPARTMENT": "R&D",
                "Manager": {"VALUE": "boss@corp.example", "DisplayName": "Boss"},
                "okta_custom": "x"
            }
        });
        canonicalize(&mut doc, ResourceKind::User);
        let ext = &doc[ENTERPRISE_USER_SCHEMA];
        assert_eq!(ext["department"], "R&D");
        assert_eq!(ext["manager"]["value"], "boss@corp.example");
        assert_eq!(ext["manager"]["displayName"], "Boss");
        assert_eq!(ext["okta_custom"], "x");
        assert_eq!(doc["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
        assert_eq!(doc.as_object().unwrap().len(), 3);
    }

    #[test]
    fn canonicalize_fixes_schemas() {
        // Missing `schemas`: the core URN is added.
        let mut doc = json!({"displayName": "Eng"});
        canonicalize(&mut doc, ResourceKind::Group);
        assert_eq!(doc["schemas"], json!([GROUP_SCHEMA]));

        // Odd-case URNs are canonicalised and deduplicated; unknown URNs kept; core put first.
        let mut doc = json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
                "urn:example:custom",
                ENTERPRISE_USER_SCHEMA
            ],
            "userName": "a"
        });
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(
            doc["schemas"],
            json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA, "urn:example:custom"])
        );

        // A lone string is wrapped; a non-string, non-array value replaced.
        let mut doc = json!({"schemas": USER_SCHEMA});
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["schemas"], json!([USER_SCHEMA]));
        let mut doc = json!({"schemas": 5});
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["schemas"], json!([USER_SCHEMA]));

        // An empty extension object does not add the extension URN.
        let mut doc = json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {}});
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["schemas"], json!([USER_SCHEMA]));

        // For groups the enterprise key is just an unknown key.
        let mut doc =
            json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:USER": {"a": 1}});
        canonicalize(&mut doc, ResourceKind::Group);
        assert_eq!(doc["schemas"], json!([GROUP_SCHEMA]));
        assert!(doc
            .get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:USER")
            .is_some());
    }

    #[test]
    fn canonicalize_collision_later_key_wins() {
        // "USERNAME" precedes "userName" both in document order and in sorted order, so the
        // result is the same with or without serde_json's preserve_order feature.
        let mut doc: Value =
            serde_json::from_str(r#"{"USERNAME": "first", "userName": "second"}"#).unwrap();
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["userName"], "second");
        assert!(doc.get("USERNAME").is_none());
    }

    #[test]
    fn canonicalize_ignores_non_objects_and_odd_values() {
        for mut v in [json!(null), json!([1, 2]), json!("x"), json!(3)] {
            let before = v.clone();
            canonicalize(&mut v, ResourceKind::User);
            assert_eq!(v, before);
        }
        let mut doc = json!({"name": "not an object", "emails": 7, "groups": [1, null]});
        canonicalize(&mut doc, ResourceKind::User);
        assert_eq!(doc["name"], "not an object");
        assert_eq!(doc["emails"], 7);
    }

    // ---- project

    fn user() -> Value {
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

    #[test]
    fn strip_read_only_removes_server_owned_fields() {
        let mut doc = user();
        doc["ID"] = json!("x");
        strip_read_only(&mut doc, ResourceKind::User);
        for k in ["id", "ID", "meta", "groups", "password"] {
            assert!(doc.get(k).is_none(), "{k}");
        }
        assert_eq!(doc[ENTERPRISE_USER_SCHEMA], user()[ENTERPRISE_USER_SCHEMA]);
        assert_eq!(doc["userName"], "jane@corp.example");

        let mut g = json!({"id": "g", "meta": {}, "displayName": "Eng", "members": []});
        strip_read_only(&mut g, ResourceKind::Group);
        assert_eq!(g, json!({"displayName": "Eng", "members": []}));

        let mut odd = json!("x");
        strip_read_only(&mut odd, ResourceKind::User);
        assert_eq!(odd, json!("x"));
    }

    // ---- discovery

    const BASE: &str = "https://x.example/scim/v2/abc";

    #[test]
    fn service_provider_config_is_truthful() {
        let c = service_provider_config(BASE);
        assert_eq!(c["schemas"], json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
        assert_eq!(c["patch"]["supported"], true);
        assert_eq!(
            c["bulk"],
            json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0})
        );
        assert_eq!(c["filter"], json!({"supported": true, "maxResults": 1000}));
        assert_eq!(c["changePassword"]["supported"], false);
        assert_eq!(c["sort"]["supported"], true);
        assert_eq!(c["etag"]["supported"], true);
        let auth = c["authenticationSchemes"].as_array().unwrap();
        assert_eq!(auth.len(), 1);
        assert_eq!(auth[0]["type"], "oauthbearertoken");
        assert_eq!(auth[0]["primary"], true);
        assert_eq!(c["meta"]["resourceType"], "ServiceProviderConfig");
        assert_eq!(
            c["meta"]["location"],
            "https://x.example/scim/v2/abc/ServiceProviderConfig"
        );
        // A trailing slash on the base does not double the slash.
        assert_eq!(
            service_provider_config("https://x.example/scim/v2/abc/")["meta"]["location"],
            c["meta"]["location"]
        );
    }

    fn check_attr(a: &Value) {
        const TYPES: &[&str] = &[
            "string",
            "boolean",
            "decimal",
            "integer",
            "dateTime",
            "reference",
            "complex",
            "binary",
        ];
        assert!(a["name"].is_string(), "{a}");
        assert!(TYPES.contains(&a["type"].as_str().unwrap()), "{a}");
        for k in ["multiValued", "required", "caseExact"] {
            assert!(a[k].is_boolean(), "{k} in {a}");
        }
        assert!(a["description"].is_string(), "{a}");
        assert!(["readOnly", "readWrite", "immutable", "writeOnly"]
            .contains(&a["mutability"].as_str().unwrap()));
        assert!(
            ["always", "never", "default", "request"].contains(&a["returned"].as_str().unwrap())
        );
        assert!(["none", "server", "global"].contains(&a["uniqueness"].as_str().unwrap()));
        assert!(a["canonicalValues"].is_array(), "{a}");
        if a["type"] == "reference" {
            assert!(!a["referenceTypes"].as_array().unwrap().is_empty(), "{a}");
        }
        if a["type"] == "complex" {
            let subs = a["subAttributes"].as_array().unwrap();
            assert!(!subs.is_empty());
            subs.iter().for_each(check_attr);
        } else {
            assert!(a.get("subAttributes").is_none());
        }
    }

    #[test]
    fn schema_documents_are_complete() {
        let docs = schema_documents(BASE);
        let ids: Vec<_> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA]);
        for d in &docs {
            assert!(d["name"].is_string() && d["description"].is_string());
            assert_eq!(d["meta"]["resourceType"], "Schema");
            assert_eq!(
                d["meta"]["location"],
                format!("{BASE}/Schemas/{}", d["id"].as_str().unwrap())
            );
            let attrs = d["attributes"].as_array().unwrap();
            assert!(!attrs.is_empty());
            attrs.iter().for_each(check_attr);
        }
        let user = &docs[0];
        let names: Vec<_> = user["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), USER_ATTRIBUTES.len());
        assert!(names.contains(&"x509Certificates") && !names.contains(&"id"));
        let pw = user["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "password")
            .unwrap();
        assert_eq!(pw["mutability"], "writeOnly");
        assert_eq!(pw["returned"], "never");
        // The whole thing serialises.
        assert!(serde_json::to_string(&docs).is_ok());
    }

    #[test]
    fn schema_document_by_id() {
        let d = schema_document(
            BASE,
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER",
        )
        .unwrap();
        assert_eq!(d["id"], ENTERPRISE_USER_SCHEMA);
        assert_eq!(d["name"], "EnterpriseUser");
        assert!(schema_document(BASE, "urn:nope").is_none());
        assert!(schema_document(BASE, "").is_none());
    }

    #[test]
    fn resource_type_documents() {
        let rts = resource_types(BASE);
        assert_eq!(rts.len(), 2);
        let u = &rts[0];
        assert_eq!(u["schemas"], json!([RESOURCE_TYPE_SCHEMA]));
        assert_eq!(
            (u["id"].as_str(), u["name"].as_str()),
            (Some("User"), Some("User"))
        );
        assert_eq!(u["endpoint"], "/Users");
        assert_eq!(u["schema"], USER_SCHEMA);
        assert_eq!(
            u["schemaExtensions"],
            json!([{"schema": ENTERPRISE_USER_SCHEMA, "required": false}])
        );
        assert_eq!(u["meta"]["resourceType"], "ResourceType");
        assert_eq!(u["meta"]["location"], format!("{BASE}/ResourceTypes/User"));
        let g = &rts[1];
        assert_eq!(g["endpoint"], "/Groups");
        assert_eq!(g["schema"], GROUP_SCHEMA);
        assert!(g.get("schemaExtensions").is_none());
        assert_eq!(g["meta"]["location"], format!("{BASE}/ResourceTypes/Group"));
        assert_eq!(resource_type(BASE, "group").unwrap(), rts[1]);
        assert_eq!(resource_type(BASE, "USER").unwrap(), rts[0]);
        assert!(resource_type(BASE, "Device").is_none());
    }
}
