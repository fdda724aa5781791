//! A "SCIM 2.0 Test App" style app: activation changes and attribute changes
//! arrive as PATCH (the conversation: `tests/fixtures/okta/patch_lifecycle.json`).

use scimdesk_tests::*;

/// The conversation is `tests/fixtures/okta/patch_lifecycle.json`; between its steps, what the
/// admin sees in the directory.
#[test]
fn test_app_patch_lifecycle() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta Test App"));
    let mut app = okta.conversation("okta/patch_lifecycle.json");

    okta.replay(&mut app, Some("still found by the lookup"));
    assert_eq!(
        desk.employee("tom.nguyen@corp.example")["status"],
        "deactivated"
    );
    okta.replay(&mut app, Some("reactivated"));
    assert_eq!(desk.employee("tom.nguyen@corp.example")["status"], "active");
    okta.replay(&mut app, Some("last name read back, siblings untouched"));
    assert_eq!(
        desk.employee("tom.nguyen@corp.example")["last_name"],
        "Nguyen"
    );
    okta.replay(&mut app, Some("email read back, replaced not added"));
    let employee = desk.employee("tom.n@corp.example");
    assert_eq!(employee["id"], app.var("tom").as_str());
    assert_eq!(desk.employees().len(), 1);
    okta.replay(&mut app, Some("department read back"));
    assert_eq!(desk.employee("tom.n@corp.example")["department"], "Finance");
    okta.replay(&mut app, None);
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
