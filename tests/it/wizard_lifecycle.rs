//! An App Integration Wizard app, as the product's setup guide configures it:
//! test the connector, create (lookup by `email`, then POST), update with
//! GET + full PUT, deactivate with PUT `active: false`, re-assign; and the
//! lookups and PUT bodies Okta may send.

use scimdesk_tests::*;

const JANE: &str = "jane.doe@corp.example";

/// The conversation is `tests/fixtures/okta/wizard_lifecycle.json`; between its steps, what the
/// admin sees in the directory.
#[test]
fn wizard_app_create_update_deactivate_reassign() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta Production"));
    let mut wizard = okta.conversation("okta/wizard_lifecycle.json");

    // Test Connector Configuration, Save, the lookup by email, and the create.
    okta.replay(&mut wizard, Some("create"));
    let id = wizard.var("jane");
    let employee = desk.employee(JANE);
    assert_eq!(employee["id"], id.as_str());
    assert_eq!(employee["email"], JANE);
    assert_eq!(employee["first_name"], "Jane");
    assert_eq!(employee["last_name"], "Doe");
    assert_eq!(employee["job_title"], "Staff Engineer");
    assert_eq!(employee["department"], "Platform");
    assert_eq!(employee["business_unit"], "Engineering");
    assert_eq!(employee["employee_id"], "E-1042");
    assert_eq!(employee["manager_email"], "boss@corp.example");
    assert_eq!(
        employee["manager_id"],
        Value::Null,
        "the manager is not provisioned yet"
    );
    assert_eq!(employee["location"], "Lisbon");
    assert_eq!(employee["status"], "active");
    assert!(employee["updated_at"].is_string(), "{employee}");

    // Update in Okta: GET, then PUT the GET response with the changes.
    okta.replay(&mut wizard, Some("update"));
    let employee = desk.employee(JANE);
    assert_eq!(employee["job_title"], "Principal Engineer");
    assert_eq!(employee["last_name"], "Doe-Smith");
    assert_eq!(employee["department"], "Infrastructure");
    assert_eq!(employee["status"], "active");

    // Unassign / deactivate: GET, PUT active false.
    okta.replay(&mut wizard, Some("deactivate"));
    assert_eq!(desk.employee(JANE)["status"], "deactivated");

    // Re-assign: the lookups still find her, then GET and PUT active true.
    okta.replay(&mut wizard, None);
    let employees = desk.employees();
    assert_eq!(
        employees.len(),
        1,
        "re-assigning must not create a second employee"
    );
    assert_eq!(employees[0]["status"], "active");
    assert_eq!(employees[0]["id"], id.as_str());
}

#[test]
fn lookup_filters_okta_may_send_all_match_the_email() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let jane = okta.create_user(&okta_user("Jane.Roe@Corp.example", "Jane", "Roe"));
    okta.create_user(&okta_user("someone.else@corp.example", "Some", "One"));
    let id = id_of(&jane);

    for filter in [
        r#"userName eq "jane.roe@corp.example""#,
        r#"email eq "JANE.ROE@CORP.EXAMPLE""#,
        r#"emails eq "jane.roe@corp.example""#,
        r#"emails.value eq "jane.roe@corp.example""#,
        r#"emails[type eq "work"].value eq "jane.roe@corp.example""#,
    ] {
        let found = okta.find_users(filter);
        assert_eq!(
            ids(found.expect(200)),
            vec![id.clone()],
            "filter {filter}\n{found}"
        );
    }

    // Spaces as `+` instead of `%20`.
    let plus = okta.get(&format!(
        "/Users?filter={}&startIndex=1&count=100",
        encode_filter_plus(r#"userName eq "jane.roe@corp.example""#)
    ));
    assert_eq!(ids(plus.expect(200)), vec![id.clone()], "{plus}");
}

#[test]
fn put_ignores_read_only_fields_and_never_leaks_passwords() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let user = okta.create_user(&okta_user("josé.núñez@corp.example", "José", "Núñez"));
    let id = id_of(&user);

    // Okta echoes back whatever it got, read-only fields included, sometimes
    // stale: the id in the path wins, meta is the server's.
    let mut body = user.clone();
    body["id"] = json!("not-the-real-id");
    body["meta"] = json!({ "resourceType": "User", "created": "1999-01-01T00:00:00Z", "version": "W/\"bogus\"" });
    body["name"]["familyName"] = json!("Núñez García");
    body["password"] = json!("Another!Secret#42");
    let put = okta.put(&format!("/Users/{id}"), &body);
    let updated = put.expect(200);
    assert_eq!(updated["id"], id.as_str(), "{put}");
    assert_ne!(updated["meta"]["created"], "1999-01-01T00:00:00Z", "{put}");
    assert_eq!(updated["name"]["familyName"], "Núñez García", "{put}");
    okta.get("/Users/not-the-real-id")
        .assert_scim_error(404, None);

    // Non-ASCII round-trips to the directory.
    let employee = desk.employee("josé.núñez@corp.example");
    assert_eq!(employee["first_name"], "José");
    assert_eq!(employee["last_name"], "Núñez García");

    // No answer ever carries the password: not GET, not a list, not a search.
    let answers = [
        okta.get(&format!("/Users/{id}")),
        okta.get("/Users?startIndex=1&count=100"),
        okta.find_users(r#"userName eq "josé.núñez@corp.example""#),
        okta.post(
            "/Users/.search",
            &json!({ "schemas": [SEARCH_REQUEST], "attributes": ["password", "userName"] }),
        ),
        okta.get("/Users?attributes=password"),
    ];
    for r in &answers {
        assert_eq!(r.status, 200, "{r}");
        assert!(
            !r.text.contains("password"),
            "a response leaks the password\n{r}"
        );
        assert!(
            !r.text.contains("Another!Secret"),
            "a response leaks the password\n{r}"
        );
    }

    // Updating someone who is not there is a 404, not a create.
    let mut ghost = okta_user("ghost@corp.example", "Gho", "St");
    ghost["id"] = json!(unknown_id());
    okta.put(&format!("/Users/{}", unknown_id()), &ghost)
        .assert_scim_error(404, None);
    okta.patch_ops(
        &format!("/Users/{}", unknown_id()),
        json!([{ "op": "replace", "value": { "active": false } }]),
    )
    .assert_scim_error(404, None);
    assert_eq!(desk.employees().len(), 1);
}
