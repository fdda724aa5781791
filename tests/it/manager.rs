//! Okta's "Manager ID" is the manager's email here: it resolves to the
//! manager's employee record whenever that employee exists, even later.

use scimdesk_tests::*;

fn report_of(email: &str, manager_email: &str) -> Value {
    let mut body = okta_user(email, "Rita", "Report");
    body["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
    body[ENTERPRISE] = json!({ "manager": { "value": manager_email } });
    body
}

#[test]
fn manager_is_resolved_when_provisioned_after_the_report() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));

    let rita = okta.create_user(&report_of("rita@corp.example", "max.boss@corp.example"));
    let employee = desk.employee("rita@corp.example");
    assert_eq!(employee["manager_email"], "max.boss@corp.example");
    assert_eq!(
        employee["manager_id"],
        Value::Null,
        "manager not provisioned yet"
    );

    let max = okta.create_user(&okta_user("max.boss@corp.example", "Max", "Boss"));
    let max_id = id_of(&max);
    let employee = desk.employee("rita@corp.example");
    assert_eq!(
        employee["manager_id"],
        max_id.as_str(),
        "the report's manager resolves once the manager arrives: {employee}"
    );
    assert_eq!(employee["id"], rita["id"]);
    assert_eq!(
        desk.employee("max.boss@corp.example")["manager_id"],
        Value::Null
    );

    // A report provisioned after the manager resolves at once.
    okta.create_user(&report_of("rob@corp.example", "max.boss@corp.example"));
    assert_eq!(
        desk.employee("rob@corp.example")["manager_id"],
        max_id.as_str()
    );
}

#[test]
fn manager_change_by_put_moves_the_report() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let a = id_of(&okta.create_user(&okta_user("a.lead@corp.example", "A", "Lead")));
    let b = id_of(&okta.create_user(&okta_user("b.lead@corp.example", "B", "Lead")));
    let rita = okta.create_user(&report_of("rita@corp.example", "a.lead@corp.example"));
    assert_eq!(desk.employee("rita@corp.example")["manager_id"], a.as_str());

    let mut changed = okta.user(&id_of(&rita));
    changed[ENTERPRISE]["manager"] = json!({ "value": "b.lead@corp.example" });
    okta.put(&format!("/Users/{}", id_of(&rita)), &changed)
        .expect(200);
    let employee = desk.employee("rita@corp.example");
    assert_eq!(employee["manager_email"], "b.lead@corp.example");
    assert_eq!(employee["manager_id"], b.as_str());
}
