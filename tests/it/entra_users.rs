//! Microsoft Entra ID provisioning users, as Entra sends it (the conversations:
//! `tests/fixtures/entra/user_lifecycle.json` and `tests/fixtures/entra/paging.json`), and what
//! the admin sees of each step in the directory (`scimdesk users list --json`).

use scimdesk_tests::*;

/// Between the steps of the conversation, the employee row agrees with the SCIM resource:
/// department, employee ID, location, manager (Entra names the manager by its SCIM id, resolved to
/// the manager's employee), status.
#[test]
fn user_lifecycle_as_entra_sends_it() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let mut conversation = entra.conversation("entra/user_lifecycle.json");

    entra.replay(
        &mut conversation,
        Some("read back by a filter on externalId"),
    );
    let maria = conversation.var("maria");
    let jane = desk.employee("jane.doe@contoso.example");
    assert_eq!(jane["id"], conversation.var("jane").as_str());
    assert_eq!(jane["first_name"], "Jane");
    assert_eq!(jane["last_name"], "Doe");
    assert_eq!(jane["job_title"], "Engineer");
    assert_eq!(jane["department"], "Engineering");
    assert_eq!(jane["business_unit"], "Cloud");
    assert_eq!(jane["employee_id"], "E-1042");
    assert_eq!(jane["location"], "Redmond");
    assert_eq!(jane["manager_id"], maria.as_str());
    assert_eq!(jane["status"], "active");

    entra.replay(&mut conversation, Some("changed in place, no new elements"));
    let jane = desk.employee("jane.q.doe@contoso.example");
    assert_eq!(jane["first_name"], "Janet");
    assert_eq!(jane["job_title"], "Senior Engineer");
    assert_eq!(jane["department"], "Platform");
    assert_eq!(jane["location"], "Bellevue");
    assert_eq!(desk.employees().len(), 2);

    entra.replay(&mut conversation, Some("manager removed"));
    let jane = desk.employee("jane.q.doe@contoso.example");
    assert_eq!(jane["last_name"], "Doe-Smith");
    assert_eq!(jane["employee_id"], "E-2042");
    assert_eq!(jane["manager_id"], Value::Null);
    entra.replay(&mut conversation, Some("manager added as a plain id"));
    assert_eq!(
        desk.employee("jane.q.doe@contoso.example")["manager_id"],
        maria.as_str()
    );
    entra.replay(
        &mut conversation,
        Some("manager cleared by a replace with an empty string"),
    );
    assert_eq!(
        desk.employee("jane.q.doe@contoso.example")["manager_id"],
        Value::Null
    );
    entra.replay(&mut conversation, Some("manager read back"));
    assert_eq!(
        desk.employee("jane.q.doe@contoso.example")["manager_id"],
        maria.as_str()
    );

    entra.replay(
        &mut conversation,
        Some("null and empty strings clear optional attributes"),
    );
    let jane = desk.employee("jane.q.doe@contoso.example");
    assert_eq!(jane["job_title"], Value::Null);
    assert_eq!(jane["department"], Value::Null);
    assert_eq!(jane["employee_id"], "E-2042");

    entra.replay(
        &mut conversation,
        Some("a disabled user is still found by the filter"),
    );
    assert_eq!(
        desk.employee("jane.q.doe@contoso.example")["status"],
        "deactivated"
    );
    entra.replay(
        &mut conversation,
        Some("enable with a path-less string boolean"),
    );
    assert_eq!(
        desk.employee("jane.q.doe@contoso.example")["status"],
        "active"
    );

    // Removing `active` (after a disable in the same PATCH): the attribute is gone, and the
    // employee is what a create without `active` makes — active.
    entra.replay(&mut conversation, Some("active stays absent"));
    assert_eq!(
        desk.employee("jane.q.doe@contoso.example")["status"],
        "active"
    );

    entra.replay(&mut conversation, None);
    assert_eq!(
        desk.employee("jane.q.doe@contoso.example")["status"],
        "removed"
    );
    // The manager is untouched by all of it.
    assert_eq!(
        desk.employee("maria.boss@contoso.example")["status"],
        "active"
    );
}

/// A create without `active` and a PATCH that removes `active` leave the employee in the same
/// state, and the next PATCH keeps it so.
#[test]
fn removing_active_leaves_the_employee_as_a_create_without_active_does() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let created = entra
        .post(
            "/Users",
            &json!({"schemas": [USER_SCHEMA], "userName": "nia@contoso.example"}),
        )
        .expect(201)
        .clone();
    assert_eq!(desk.employee("nia@contoso.example")["status"], "active");
    let path = format!("/Users/{}", id_of(&created));

    let r = entra.patch_ops(
        &path,
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    );
    assert_eq!(r.expect(200)["active"], false);
    assert_eq!(
        desk.employee("nia@contoso.example")["status"],
        "deactivated"
    );

    let r = entra.patch_ops(&path, json!([{"op": "Remove", "path": "active"}]));
    assert!(r.expect(200).get("active").is_none(), "{r}");
    assert_eq!(desk.employee("nia@contoso.example")["status"], "active");

    // An unrelated change afterwards neither brings `active` back nor changes the status.
    let r = entra.patch_ops(
        &path,
        json!([{"op": "Add", "path": "title", "value": "Analyst"}]),
    );
    let user = r.expect(200);
    assert!(user.get("active").is_none(), "{r}");
    assert_eq!(user["title"], "Analyst");
    assert_eq!(desk.employee("nia@contoso.example")["status"], "active");
    // Disabling it again states it again.
    let r = entra.patch_ops(
        &path,
        json!([{"op": "Replace", "value": {"active": "false"}}]),
    );
    assert_eq!(r.expect(200)["active"], false);
    assert_eq!(entra.user(&id_of(&created))["active"], false);
    assert_eq!(
        desk.employee("nia@contoso.example")["status"],
        "deactivated"
    );
}

/// A boolean that is neither true nor false, in a body or in a PATCH, is a readable 400 naming
/// the attribute, and nothing is stored.
#[test]
fn a_string_that_is_no_boolean_is_refused_and_nothing_is_stored() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let body = json!({
        "schemas": [USER_SCHEMA],
        "userName": "oli@contoso.example",
        "emails": [{"value": "oli@contoso.example", "type": "work", "primary": "yes"}]
    });
    let r = entra.post("/Users", &body);
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.text.contains("emails.primary"), "{r}");
    assert!(desk.employees().is_empty());

    let created = entra
        .post(
            "/Users",
            &json!({"schemas": [USER_SCHEMA], "userName": "oli@contoso.example", "active": "TRUE"}),
        )
        .expect(201)
        .clone();
    assert_eq!(created["active"], true);
    let path = format!("/Users/{}", id_of(&created));
    let r = entra.patch_ops(
        &path,
        json!([{"op": "Add", "value": {"roles": [{"value": "r", "primary": "maybe"}]}}]),
    );
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.text.contains("primary"), "{r}");
    assert!(entra.user(&id_of(&created)).get("roles").is_none());
}

/// Pages of five: startIndex echoed, totalResults true, itemsPerPage what came back.
#[test]
fn paging_as_entra_pages() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let mut conversation = entra.conversation("entra/paging.json");
    entra.replay(&mut conversation, None);
    assert_eq!(desk.employees().len(), 12);
}

/// Entra names a manager by the SCIM id this server gave it: the report is linked to that
/// employee, and stays linked when the manager's email changes (Okta's managers, named by
/// email, are unlinked then).
#[test]
fn a_manager_named_by_id_stays_linked_through_an_email_change() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let boss = entra
        .post(
            "/Users",
            &json!({"schemas": [USER_SCHEMA], "userName": "boss@contoso.example", "active": "True"}),
        )
        .expect(201)
        .clone();
    let boss_id = id_of(&boss);
    entra
        .post(
            "/Users",
            &json!({
                "schemas": [USER_SCHEMA, ENTERPRISE],
                "userName": "report@contoso.example",
                ENTERPRISE: {"manager": boss_id}
            }),
        )
        .expect(201);
    let report = desk.employee("report@contoso.example");
    assert_eq!(report["manager_id"], boss_id.as_str());
    // The list names the manager by email, though Entra named them by id.
    assert_eq!(report["manager_email"], "boss@contoso.example");
    let r = entra.patch_ops(
        &format!("/Users/{boss_id}"),
        json!([{"op": "Replace", "path": "userName", "value": "chief@contoso.example"}]),
    );
    r.expect(200);
    desk.employee("chief@contoso.example");
    let report = desk.employee("report@contoso.example");
    assert_eq!(report["manager_id"], boss_id.as_str());
    assert_eq!(report["manager_email"], "chief@contoso.example");
}

/// `replace active null` unassigns `active` as `remove` does: the same state afterwards.
#[test]
fn replacing_active_with_null_is_removing_it() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let created = entra
        .post(
            "/Users",
            &json!({"schemas": [USER_SCHEMA], "userName": "pia@contoso.example", "active": "False"}),
        )
        .expect(201)
        .clone();
    assert_eq!(
        desk.employee("pia@contoso.example")["status"],
        "deactivated"
    );
    let r = entra.patch_ops(
        &format!("/Users/{}", id_of(&created)),
        json!([{"op": "Replace", "path": "active", "value": null}]),
    );
    assert!(r.expect(200).get("active").is_none(), "{r}");
    assert_eq!(desk.employee("pia@contoso.example")["status"], "active");
}
