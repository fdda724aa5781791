//! Microsoft Entra ID provisioning a group and its members, as Entra sends it (the
//! conversation: `tests/fixtures/entra/groups.json`), and its onboarding checks reading
//! `/Schemas`.

use scimdesk_tests::*;

/// Members come and go in every shape Entra uses; the employees stay when the group goes.
#[test]
fn groups_as_entra_sends_them() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let mut conversation = entra.conversation("entra/groups.json");
    entra.replay(&mut conversation, Some("only ben is gone"));
    // The older Remove shape removed ben only: amy is still a member, ben still an employee.
    let amy = conversation.var("amy");
    let ben = conversation.var("ben");
    let groups_of = |id: &str| entra.user(id).get("groups").cloned();
    assert_eq!(
        groups_of(&amy).map(|g| g.as_array().map(Vec::len)),
        Some(Some(1))
    );
    assert_eq!(groups_of(&ben), None);
    entra.replay(&mut conversation, None);
    assert_eq!(desk.employees().len(), 3);
    assert!(desk.employees().iter().all(|e| e["status"] == "active"));
}

/// Entra's onboarding checks flatten `/Schemas` into value paths and look up every attribute
/// its default mapping writes: each must be there, `externalId` included.
#[test]
fn every_attribute_entra_maps_is_in_schemas() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let schemas = entra.get("/Schemas").expect(200).clone();
    let mut found: Vec<String> = Vec::new();
    for schema in schemas["Resources"].as_array().expect("Resources") {
        let id = schema["id"].as_str().expect("an id");
        let prefix = if id == USER_SCHEMA || id == GROUP_SCHEMA {
            String::new()
        } else {
            format!("{id}:")
        };
        for attr in schema["attributes"].as_array().expect("attributes") {
            let name = format!("{prefix}{}", attr["name"].as_str().expect("a name"));
            found.push(name.clone());
            let subs = attr["subAttributes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let types: Vec<String> = subs
                .iter()
                .filter(|s| s["name"] == "type")
                .flat_map(|t| t["canonicalValues"].as_array().cloned().unwrap_or_default())
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            for sub in &subs {
                let sub = sub["name"].as_str().expect("a sub-attribute name");
                found.push(format!("{name}.{sub}"));
                for t in &types {
                    found.push(format!("{name}[type eq \"{t}\"].{sub}"));
                }
            }
        }
    }
    for wanted in [
        "userName",
        "externalId",
        "active",
        "displayName",
        "title",
        "name.givenName",
        "name.familyName",
        r#"emails[type eq "work"].value"#,
        r#"addresses[type eq "work"].locality"#,
        r#"phoneNumbers[type eq "work"].value"#,
        r#"phoneNumbers[type eq "mobile"].value"#,
        r#"phoneNumbers[type eq "fax"].value"#,
        "roles.primary",
        "members",
    ] {
        assert!(
            found.iter().any(|f| f == wanted),
            "{wanted} is not in /Schemas"
        );
    }
    for attr in ["department", "employeeNumber", "manager"] {
        let wanted = format!("{ENTERPRISE}:{attr}");
        assert!(found.contains(&wanted), "{wanted} is not in /Schemas");
    }
    let schema = entra
        .get(&format!("/Schemas/{USER_SCHEMA}"))
        .expect(200)
        .clone();
    let external_id = schema["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "externalId"))
        .cloned()
        .expect("externalId in the User schema");
    assert_eq!(external_id["type"], "string");
    assert_eq!(external_id["caseExact"], true);
}
