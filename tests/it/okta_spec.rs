//! Okta's published SCIM "SPEC test", replayed request by request against a
//! server that already holds one user (`tests/fixtures/okta/spec_test.json`).

use scimdesk_tests::*;

#[test]
fn okta_spec_test_sequence() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta SPEC"));
    let mut spec = okta.conversation("okta/spec_test.json");
    okta.replay(&mut spec, None);
    assert_ne!(spec.var("spec"), spec.var("seeded"));

    // What the admin sees: both users, active.
    let employees = desk.employees();
    assert_eq!(employees.len(), 2, "{}", Value::Array(employees.clone()));
    assert_eq!(
        desk.employee("spec.tester@corp.example")["status"],
        "active"
    );
}
