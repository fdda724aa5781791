//! The app as the console of servers that share one PostgreSQL database: opened on that
//! database, it shows the directory the servers provisioned, and updates live (LISTEN/NOTIFY)
//! when a server provisions someone else. Screenshots go to
//! `target/e2e-screenshots/app_on_postgres/`.
use scimdesk_tests::app::App;
use scimdesk_tests::*;

fn row(email: &str) -> String {
    format!("[data-testid=\"employee-row\"][data-email=\"{email}\"]")
}

#[test]
fn the_app_on_postgresql_shows_the_servers_directory_and_updates_live() {
    let Some(console) = Desk::on_fresh_postgres() else {
        return;
    };
    // The server: another machine's data directory on the same database.
    let server_desk = console.sharing().expect("the same database");
    let connection = console.add_connection("Okta prod");
    let server = server_desk.serve();
    let okta = Okta::new(
        &format!("{}/scim/v2/{}", server.origin(), connection.id),
        &connection.token,
    );
    okta.create_user(&okta_user("ada@corp.example", "Ada", "Lovelace"));
    okta.create_user(&okta_user("alan@corp.example", "Alan", "Turing"));

    let app = App::launch(&console, "app_on_postgres");
    app.go("#/employees");
    app.wait_for_css(&row("ada@corp.example"));
    app.wait_for_css(&row("alan@corp.example"));
    assert_eq!(app.all("employee-row").len(), 2);
    app.screenshot("01-directory-from-postgres");

    // A server provisions someone: the open page shows her without a reload by the admin.
    okta.create_user(&okta_user("grace@corp.example", "Grace", "Hopper"));
    app.wait_for_css(&row("grace@corp.example"));
    app.wait_until("three employees", |app| app.all("employee-row").len() == 3);
    // And a deactivation made through the server shows as such.
    let ada = okta.find_users(r#"userName eq "ada@corp.example""#);
    let id = ada.expect(200)["Resources"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    okta.patch_ops(
        &format!("/Users/{id}"),
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .expect(200);
    app.wait_until("Ada shows as deactivated", |app| {
        app.all_css(&row("ada@corp.example"))
            .first()
            .is_some_and(|e| app.text_of(e).to_lowercase().contains("deactivated"))
    });
    app.screenshot("02-updated-live");
}
