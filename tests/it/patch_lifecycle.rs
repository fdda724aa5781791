//! A "SCIM 2.0 Test App" style app: activation changes and attribute changes
//! arrive as PATCH.

use scimdesk_tests::*;

const DEPARTMENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

#[test]
fn test_app_patch_lifecycle() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta Test App"));

    let mut body = okta_user("tom.nguyen@corp.example", "Tom", "Tran");
    body["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
    body["addresses"] = json!([{ "type": "work", "locality": "Lyon", "primary": true }]);
    body[ENTERPRISE] = json!({ "department": "Sales" });
    let tom = okta.create_user(&body);
    let id = id_of(&tom);
    let path = format!("/Users/{id}");

    // Deactivate: path-less replace whose value is an object.
    let off = okta.patch_ops(
        &path,
        json!([{ "op": "replace", "value": { "active": false } }]),
    );
    off.assert_scim_json();
    assert_eq!(off.expect(200)["active"], false, "{off}");
    assert_eq!(okta.user(&id)["active"], false);
    assert_eq!(
        desk.employee("tom.nguyen@corp.example")["status"],
        "deactivated"
    );
    // Still found by the lookup Okta does on re-assignment.
    let found = okta.find_users(r#"userName eq "tom.nguyen@corp.example""#);
    assert_eq!(ids(found.expect(200)), vec![id.clone()], "{found}");

    // Reactivate.
    let on = okta.patch_ops(
        &path,
        json!([{ "op": "replace", "value": { "active": true } }]),
    );
    assert_eq!(on.expect(200)["active"], true, "{on}");
    assert_eq!(okta.user(&id)["active"], true);
    assert_eq!(desk.employee("tom.nguyen@corp.example")["status"], "active");

    // Last name.
    let r = okta.patch_ops(
        &path,
        json!([{ "op": "replace", "path": "name.familyName", "value": "Nguyen" }]),
    );
    assert_eq!(r.expect(200)["name"]["familyName"], "Nguyen", "{r}");
    assert_eq!(okta.user(&id)["name"]["familyName"], "Nguyen");
    assert_eq!(
        okta.user(&id)["name"]["givenName"],
        "Tom",
        "siblings untouched"
    );
    assert_eq!(
        desk.employee("tom.nguyen@corp.example")["last_name"],
        "Nguyen"
    );

    // Email change: Okta sends the userName and the work email together.
    let r = okta.patch_ops(
        &path,
        json!([
            { "op": "replace", "path": "userName", "value": "tom.n@corp.example" },
            { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "tom.n@corp.example" }
        ]),
    );
    let after = r.expect(200);
    assert_eq!(after["userName"], "tom.n@corp.example", "{r}");
    let emails = after["emails"].as_array().expect("emails array");
    assert_eq!(
        emails.len(),
        1,
        "the work email is replaced, not added: {r}"
    );
    assert_eq!(emails[0]["value"], "tom.n@corp.example", "{r}");
    assert_eq!(okta.user(&id)["emails"][0]["value"], "tom.n@corp.example");
    let employee = desk.employee("tom.n@corp.example");
    assert_eq!(employee["id"], id.as_str());
    assert_eq!(desk.employees().len(), 1);

    // Department, by its URN-qualified path.
    let r = okta.patch_ops(
        &path,
        json!([{ "op": "replace", "path": DEPARTMENT, "value": "Finance" }]),
    );
    assert_eq!(r.expect(200)[ENTERPRISE]["department"], "Finance", "{r}");
    assert_eq!(okta.user(&id)[ENTERPRISE]["department"], "Finance");
    assert_eq!(desk.employee("tom.n@corp.example")["department"], "Finance");

    // Work city.
    let r = okta.patch_ops(
        &path,
        json!([{ "op": "replace", "path": "addresses[type eq \"work\"].locality", "value": "Porto" }]),
    );
    let addresses = r.expect(200)["addresses"].clone();
    assert_eq!(addresses.as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(addresses[0]["locality"], "Porto", "{r}");
    assert_eq!(addresses[0]["type"], "work", "{r}");
    assert_eq!(okta.user(&id)["addresses"][0]["locality"], "Porto");
    assert_eq!(desk.employee("tom.n@corp.example")["location"], "Porto");

    // Everything else survived the PATCHes.
    let employee = desk.employee("tom.n@corp.example");
    assert_eq!(employee["first_name"], "Tom");
    assert_eq!(employee["status"], "active");
}

#[test]
fn patch_add_sets_a_missing_attribute_and_remove_clears_it() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta Test App"));
    let id = id_of(&okta.create_user(&okta_user("ana.lima@corp.example", "Ana", "Lima")));
    let path = format!("/Users/{id}");

    let r = okta.patch_ops(
        &path,
        json!([{ "op": "add", "path": "title", "value": "Designer" }]),
    );
    assert_eq!(r.expect(200)["title"], "Designer", "{r}");
    assert_eq!(
        desk.employee("ana.lima@corp.example")["job_title"],
        "Designer"
    );

    let r = okta.patch_ops(&path, json!([{ "op": "remove", "path": "title" }]));
    assert!(r.expect(200).get("title").is_none(), "{r}");
    assert_eq!(
        desk.employee("ana.lima@corp.example")["job_title"],
        Value::Null
    );
}
