//! An App Integration Wizard app, as the product's setup guide configures it:
//! test the connector, create (lookup by `email`, then POST), update with
//! GET + full PUT, deactivate with PUT `active: false`, re-assign.

use scimdesk_tests::*;

const JANE: &str = "jane.doe@corp.example";
const CUSTOM: &str = "urn:okta:scimdesk:1.0:user:custom";

/// The body Okta POSTs with the product's default mapping plus one custom
/// attribute the admin added in Okta.
fn jane_as_okta_sends_her() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE, CUSTOM],
        "userName": JANE,
        "name": { "givenName": "Jane", "familyName": "Doe" },
        "emails": [{ "primary": true, "value": JANE, "type": "work" }],
        "displayName": "Jane Doe",
        "locale": "en-US",
        "externalId": "00u1ab2cd3EF4gh5i6j7",
        "groups": [],
        "password": "Zq8#mR2v!pL0wX5k",
        "active": true,
        "title": "Staff Engineer",
        "addresses": [{ "type": "work", "locality": "Lisbon", "country": "PT", "primary": true }],
        ENTERPRISE: {
            "department": "Platform",
            "division": "Engineering",
            "employeeNumber": "E-1042",
            "manager": { "value": "boss@corp.example" }
        },
        CUSTOM: { "shirtSize": "M" }
    })
}

#[test]
fn wizard_app_create_update_deactivate_reassign() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta Production");
    let okta = Okta::for_connection(&conn);

    // Test Connector Configuration, then Save of the "To App" settings.
    let users = okta.get("/Users?startIndex=1&count=2");
    let users_body = users.expect(200);
    assert_eq!(counter(users_body, "totalResults"), 0, "{users}");
    counter(users_body, "startIndex");
    counter(users_body, "itemsPerPage");
    let groups = okta.get("/Groups?startIndex=1&count=100");
    assert_eq!(counter(groups.expect(200), "totalResults"), 0, "{groups}");

    // Assign Jane: lookup on the unique identifier (email), nothing found ...
    let lookup = okta.find_users(&format!(r#"email eq "{JANE}""#));
    assert_eq!(counter(lookup.expect(200), "totalResults"), 0, "{lookup}");

    // ... so Okta creates her.
    let created = okta.post("/Users", &jane_as_okta_sends_her());
    created.assert_scim_json();
    let jane = created.expect(201).clone();
    let id = id_of(&jane);
    let location = format!("{}/Users/{id}", conn.base_url);
    assert_eq!(
        created.header("location").as_deref(),
        Some(location.as_str()),
        "{created}"
    );
    assert_eq!(jane["meta"]["location"], location.as_str(), "{created}");
    assert_eq!(jane["meta"]["resourceType"], "User", "{created}");
    assert!(
        jane.get("password").is_none(),
        "never return the password: {jane}"
    );
    assert_eq!(jane["userName"], JANE);
    assert_eq!(jane["title"], "Staff Engineer");
    assert_eq!(jane[ENTERPRISE]["department"], "Platform", "{jane}");
    assert_eq!(jane[ENTERPRISE]["employeeNumber"], "E-1042", "{jane}");
    assert_eq!(
        jane[CUSTOM]["shirtSize"], "M",
        "unknown attributes are kept: {jane}"
    );
    assert_eq!(jane["externalId"], "00u1ab2cd3EF4gh5i6j7");

    // What the admin sees in the directory.
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

    // A GET keeps the custom attribute.
    let fetched = okta.user(&id);
    assert_eq!(fetched[CUSTOM]["shirtSize"], "M", "{fetched}");
    assert!(fetched.get("password").is_none(), "{fetched}");

    // Update in Okta: GET, then PUT the GET response with the changes, the
    // read-only id/meta included, plus a password.
    let mut changed = okta.user(&id);
    changed["title"] = json!("Principal Engineer");
    changed["name"]["familyName"] = json!("Doe-Smith");
    changed[ENTERPRISE]["department"] = json!("Infrastructure");
    changed["password"] = json!("N3w!Passw0rd#9xQ");
    let put = okta.put(&format!("/Users/{id}"), &changed);
    put.assert_scim_json();
    let updated = put.expect(200);
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["title"], "Principal Engineer", "{put}");
    assert_eq!(updated["name"]["familyName"], "Doe-Smith", "{put}");
    assert!(
        updated.get("password").is_none(),
        "never return the password: {put}"
    );
    assert_eq!(updated[CUSTOM]["shirtSize"], "M", "{put}");
    let employee = desk.employee(JANE);
    assert_eq!(employee["job_title"], "Principal Engineer");
    assert_eq!(employee["last_name"], "Doe-Smith");
    assert_eq!(employee["department"], "Infrastructure");
    assert_eq!(employee["status"], "active");

    // Unassign / deactivate: GET, PUT active false.
    let mut deactivate = okta.user(&id);
    deactivate["active"] = json!(false);
    let put = okta.put(&format!("/Users/{id}"), &deactivate);
    assert_eq!(put.expect(200)["active"], false, "{put}");
    assert_eq!(desk.employee(JANE)["status"], "deactivated");
    assert_eq!(
        okta.user(&id)["active"],
        false,
        "a deactivated user stays readable"
    );

    // Re-assign: the lookup must still find her, inactive, by either attribute.
    for filter in [
        format!(r#"userName eq "{JANE}""#),
        format!(r#"email eq "{JANE}""#),
    ] {
        let found = okta.find_users(&filter);
        let body = found.expect(200);
        assert_eq!(counter(body, "totalResults"), 1, "{found}");
        assert_eq!(ids(body), vec![id.clone()], "{found}");
        assert_eq!(resources(body)[0]["active"], false, "{found}");
    }
    let mut reactivate = okta.user(&id);
    reactivate["active"] = json!(true);
    let put = okta.put(&format!("/Users/{id}"), &reactivate);
    assert_eq!(put.expect(200)["active"], true, "{put}");
    assert_eq!(okta.user(&id)["active"], true);

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
