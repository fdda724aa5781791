//! A 201 that Okta received must survive the process being killed, and a
//! connection must keep working across restarts.

use scimdesk_tests::*;

#[test]
fn created_users_and_tokens_survive_kill_9() {
    let desk = Desk::new();
    let mut server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    let id = id_of(&okta.create_user(&okta_user("durable@corp.example", "Dura", "Ble")));

    server.kill9();
    assert!(!server.is_running());
    server.restart();

    assert_eq!(okta.user(&id)["userName"], "durable@corp.example");
    assert_eq!(desk.employee("durable@corp.example")["id"], id.as_str());
    // Same token, same base URL after the restart.
    okta.create_user(&okta_user("after@corp.example", "Af", "Ter"));
    assert_eq!(desk.employees().len(), 2);
}
