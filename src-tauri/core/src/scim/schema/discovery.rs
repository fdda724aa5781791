//! The discovery documents (`/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes`), written
//! from the schema tables.

use serde_json::{json, Value};

use super::*;

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

/// The attributes a schema document lists: its own, and for a core schema (User, Group) also
/// `externalId` first.
///
/// Why `externalId` is listed: RFC 7643 §3.1 makes it a common attribute, defined outside the
/// resource schemas, so a strict reading leaves it out of `/Schemas`. Microsoft Entra's
/// onboarding checks (and its SCIM validator's "discover schema" mode) read `/Schemas`, flatten
/// every attribute and look each mapped attribute up there — and Entra's default mapping writes
/// `externalId` — so an endpoint that follows the strict reading fails them. Listing it in the
/// core schemas, with the same facts the common definition has (caseExact, readWrite), satisfies
/// Entra and misleads no RFC client: it describes the attribute truthfully, and a client that
/// knows the common attributes finds nothing contradicting them. `id` and `meta` stay out: they
/// are read-only, no client maps to them, and RFC 7643 §7 leaves them out of the examples.
fn listed_attributes(schema: &Schema) -> Vec<&'static AttrDef> {
    let common = COMMON_ATTRIBUTES
        .iter()
        .filter(|d| !schema.extension && d.name == "externalId");
    common.chain(schema.attributes.iter()).collect()
}

fn schema_json(base: &str, schema: &Schema) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.urn,
        "name": schema.name,
        "description": schema.description,
        "attributes": listed_attributes(schema).into_iter().map(attr_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": location(base, &format!("Schemas/{}", schema.urn))
        }
    })
}

/// `GET /Schemas`: the core User, core Group and enterprise User schemas (RFC 7643 §7), generated
/// from the static definitions. Of the common attributes only `externalId` is listed, in the core
/// schemas (see [`listed_attributes`] for why).
pub fn schema_documents(base: &str) -> Vec<Value> {
    SCHEMAS.iter().map(|s| schema_json(base, s)).collect()
}

/// `GET /Schemas/{id}`; `id` is matched case-insensitively.
pub fn schema_document(base: &str, id: &str) -> Option<Value> {
    SCHEMAS
        .iter()
        .find(|s| s.urn.eq_ignore_ascii_case(id))
        .map(|s| schema_json(base, s))
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

/// An extension schema that the admin's custom fields read from (see the directory's attribute
/// mapping), advertised so that an identity provider's schema import finds its attributes:
/// each attribute's name and SCIM type (`string`, `dateTime`, `decimal`, `boolean`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomExtension {
    pub urn: String,
    pub attributes: Vec<(String, &'static str)>,
}

/// The schema document of a [`CustomExtension`]: simple, single-valued, read-write attributes.
pub fn custom_schema_json(base: &str, ext: &CustomExtension) -> Value {
    let attributes: Vec<Value> = ext
        .attributes
        .iter()
        .map(|(name, type_)| {
            json!({
                "name": name,
                "type": type_,
                "multiValued": false,
                "description": "A custom directory field of SCIM Desk.",
                "required": false,
                "caseExact": false,
                "mutability": "readWrite",
                "returned": "default",
                "uniqueness": "none",
                "canonicalValues": [],
            })
        })
        .collect();
    let name = ext.urn.rsplit(':').nth(2).unwrap_or("Custom");
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": ext.urn,
        "name": format!("{name} extension"),
        "description": "Custom attributes that SCIM Desk's attribute mapping reads.",
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": location(base, &format!("Schemas/{}", ext.urn))
        }
    })
}

/// Lists `exts` among a User resource type's schema extensions.
pub fn add_schema_extensions(resource_type: &mut Value, exts: &[CustomExtension]) {
    if exts.is_empty() || resource_type["id"] != "User" {
        return;
    }
    if let Some(list) = resource_type
        .as_object_mut()
        .map(|o| o.entry("schemaExtensions").or_insert_with(|| json!([])))
        .and_then(Value::as_array_mut)
    {
        for e in exts {
            list.push(json!({ "schema": e.urn, "required": false }));
        }
    }
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
        assert_eq!(names.len(), USER_ATTRIBUTES.len() + 1);
        assert_eq!(names[0], "externalId");
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

    /// Every attribute of `/Schemas`, flattened the way Entra's onboarding checks flatten them:
    /// `urn:…:attr` for extension attributes, `attr.sub` for sub-attributes, and
    /// `attr[type eq "x"].sub` for each canonical `type` of a multi-valued attribute.
    fn flattened(docs: &[Value]) -> Vec<String> {
        let mut out = Vec::new();
        for d in docs {
            let prefix = match d["id"].as_str().unwrap() {
                USER_SCHEMA | GROUP_SCHEMA => String::new(),
                urn => format!("{urn}:"),
            };
            for a in d["attributes"].as_array().unwrap() {
                let name = format!("{prefix}{}", a["name"].as_str().unwrap());
                out.push(name.clone());
                let subs = a["subAttributes"].as_array().cloned().unwrap_or_default();
                let types: Vec<String> = subs
                    .iter()
                    .find(|s| s["name"] == "type")
                    .map(|t| {
                        t["canonicalValues"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|v| v.as_str().unwrap().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                for sub in &subs {
                    let sub = sub["name"].as_str().unwrap();
                    out.push(format!("{name}.{sub}"));
                    for t in &types {
                        out.push(format!("{name}[type eq \"{t}\"].{sub}"));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_attribute_entra_maps_is_discoverable() {
        let found = flattened(&schema_documents(BASE));
        let ent = ENTERPRISE_USER_SCHEMA;
        let wanted = [
            "userName".to_string(),
            "externalId".into(),
            "active".into(),
            "displayName".into(),
            "title".into(),
            "preferredLanguage".into(),
            "name.givenName".into(),
            "name.familyName".into(),
            "name.formatted".into(),
            "name.middleName".into(),
            "name.honorificPrefix".into(),
            r#"emails[type eq "work"].value"#.into(),
            r#"addresses[type eq "work"].locality"#.into(),
            r#"addresses[type eq "work"].streetAddress"#.into(),
            r#"addresses[type eq "work"].postalCode"#.into(),
            r#"addresses[type eq "work"].region"#.into(),
            r#"addresses[type eq "work"].country"#.into(),
            r#"phoneNumbers[type eq "work"].value"#.into(),
            r#"phoneNumbers[type eq "mobile"].value"#.into(),
            r#"phoneNumbers[type eq "fax"].value"#.into(),
            "roles.value".into(),
            "roles.primary".into(),
            format!("{ent}:employeeNumber"),
            format!("{ent}:department"),
            format!("{ent}:costCenter"),
            format!("{ent}:organization"),
            format!("{ent}:division"),
            format!("{ent}:manager"),
            "members".into(),
        ];
        for w in wanted {
            assert!(found.contains(&w), "{w} is not in /Schemas");
        }
        // externalId is listed in both core schemas, with the common attribute's facts.
        for d in &schema_documents(BASE)[..2] {
            let ext = &d["attributes"][0];
            assert_eq!(ext["name"], "externalId");
            assert_eq!(
                (ext["caseExact"].as_bool(), ext["mutability"].as_str()),
                (Some(true), Some("readWrite"))
            );
        }
        let enterprise = schema_document(BASE, ENTERPRISE_USER_SCHEMA).unwrap();
        assert!(!flattened(&[enterprise])
            .iter()
            .any(|a| a.ends_with(":externalId")));
        // Every `primary` is a boolean.
        for d in &schema_documents(BASE) {
            for a in d["attributes"].as_array().unwrap() {
                for sub in a["subAttributes"].as_array().into_iter().flatten() {
                    if sub["name"] == "primary" {
                        assert_eq!(sub["type"], "boolean", "{}", a["name"]);
                    }
                }
            }
        }
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
    fn custom_extensions_are_documented_like_the_others() {
        let ext = CustomExtension {
            urn: "urn:example:params:scim:schemas:extension:acme:2.0:User".into(),
            attributes: vec![
                ("costCenter".into(), "decimal"),
                ("start".into(), "dateTime"),
            ],
        };
        let doc = custom_schema_json(BASE, &ext);
        assert_eq!(doc["id"], ext.urn.as_str());
        assert_eq!(doc["name"], "acme extension");
        for a in doc["attributes"].as_array().unwrap() {
            check_attr(a);
        }
        assert_eq!(doc["attributes"][0]["type"], "decimal");
        let mut user = resource_types(BASE).remove(0);
        add_schema_extensions(&mut user, std::slice::from_ref(&ext));
        assert_eq!(
            user["schemaExtensions"][1],
            json!({"schema": ext.urn, "required": false})
        );
        let mut group = resource_types(BASE).remove(1);
        add_schema_extensions(&mut group, &[ext]);
        assert!(group.get("schemaExtensions").is_none());
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
