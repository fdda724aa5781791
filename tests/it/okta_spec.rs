//! Okta's published SCIM "SPEC test", replayed request by request against a
//! server that already holds one user.

use scimdesk_tests::*;

#[test]
fn okta_spec_test_sequence() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta SPEC");
    let okta = Okta::for_connection(&conn);

    // The suite expects at least one user to exist already.
    let seeded = okta.create_user(&okta_user("seed.user@corp.example", "Seed", "User"));
    let seeded_id = id_of(&seeded);

    // 1. List with count=1: counters are numbers, the first user is complete.
    let list = okta.get("/Users?count=1&startIndex=1");
    list.assert_scim_json();
    let body = list.expect(200);
    assert!(
        body["schemas"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x == LIST_RESPONSE)),
        "list should be a ListResponse: {body}"
    );
    assert!(counter(body, "totalResults") >= 1);
    assert_eq!(counter(body, "itemsPerPage"), 1);
    assert_eq!(counter(body, "startIndex"), 1);
    let first = &resources(body)[0];
    assert!(first["id"].is_string(), "first user has an id: {first}");
    assert!(first["name"]["familyName"].is_string(), "{first}");
    assert!(first["name"]["givenName"].is_string(), "{first}");
    assert!(first["userName"].is_string(), "{first}");
    assert!(first["active"].is_boolean(), "{first}");
    assert!(first["emails"][0]["value"].is_string(), "{first}");

    // 2. GET that user by id.
    let got = okta.get(&format!("/Users/{}", s(first, "id")));
    got.assert_scim_json();
    assert_eq!(got.expect(200)["id"], first["id"]);

    // 3. Filter on a userName nobody has: 200 with zero results.
    let none = okta.find_users(r#"userName eq "nobody-4c1e@corp.example""#);
    let none_body = none.expect(200);
    assert_eq!(counter(none_body, "totalResults"), 0, "{none}");
    assert!(resources(none_body).is_empty(), "{none}");

    // 4. An unknown id: 404 SCIM error.
    okta.get(&format!("/Users/{}", unknown_id()))
        .assert_scim_error(404, None);

    // 5. Create a user the way the suite does: plain application/json.
    let spec_user = json!({
        "schemas": [USER_SCHEMA],
        "userName": "Spec.Tester@corp.example",
        "name": { "givenName": "Spec", "familyName": "Tester" },
        "emails": [{ "primary": true, "value": "Spec.Tester@corp.example", "type": "work" }],
        "displayName": "Spec Tester",
        "active": true
    });
    let created = okta.raw(
        "POST",
        "/Users",
        &[("Content-Type", "application/json")],
        Some(serde_json::to_vec(&spec_user).unwrap()),
    );
    created.assert_scim_json();
    let created_body = created.expect(201).clone();
    assert_eq!(created_body["active"], true, "{created}");
    assert_eq!(created_body["name"]["givenName"], "Spec", "{created}");
    assert_eq!(created_body["name"]["familyName"], "Tester", "{created}");
    assert_eq!(
        created_body["userName"], "Spec.Tester@corp.example",
        "{created}"
    );
    assert!(
        created_body["schemas"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x == USER_SCHEMA)),
        "{created}"
    );
    let spec_id = id_of(&created_body);
    assert_ne!(spec_id, seeded_id);

    // 6. GET it.
    let fetched = okta.user(&spec_id);
    assert_eq!(fetched["userName"], "Spec.Tester@corp.example");

    // 7. POST it again: 409 uniqueness.
    okta.raw(
        "POST",
        "/Users",
        &[("Content-Type", "application/json")],
        Some(serde_json::to_vec(&spec_user).unwrap()),
    )
    .assert_scim_error(409, Some("uniqueness"));

    // 8. Filter with the upper-cased userName: found, case kept as sent.
    let upper = okta.find_users(r#"userName eq "SPEC.TESTER@CORP.EXAMPLE""#);
    let upper_body = upper.expect(200);
    assert_eq!(counter(upper_body, "totalResults"), 1, "{upper}");
    assert_eq!(ids(upper_body), vec![spec_id.clone()], "{upper}");
    assert_eq!(
        resources(upper_body)[0]["userName"],
        "Spec.Tester@corp.example"
    );

    // 9. Groups list answers 200.
    let groups = okta.get("/Groups");
    groups.assert_scim_json();
    counter(groups.expect(200), "totalResults");

    // 10. A non-token Authorization header: 401 SCIM error, status "401".
    okta.with_authorization(Some("non-token"))
        .get("/Users")
        .assert_scim_error(401, None);

    // 11. Unknown id again: 404.
    okta.get("/Users/010101010101010101")
        .assert_scim_error(404, None);

    // What the admin sees: both users, active.
    let employees = desk.employees();
    assert_eq!(employees.len(), 2, "{}", Value::Array(employees.clone()));
    assert_eq!(
        desk.employee("spec.tester@corp.example")["status"],
        "active"
    );
}
