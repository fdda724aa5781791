//! Microsoft Entra ID end to end in the real window: the admin opens the Entra card, adds a
//! connection from its page, copies its Tenant URL and Secret Token, Entra provisions someone
//! over loopback with what the admin copied, and the employee shows in Employees and in Activity
//! with the provider and the connection named; then the connection's rehearsal (Entra's Test
//! Connection) passes step by step. Screenshots of every screen go to
//! `target/e2e-screenshots/entra_lifecycle/`.
use scimdesk_tests::app::App;
use scimdesk_tests::*;

fn clipboard() -> String {
    // The app owns the X clipboard of the test display; xclip asks it for the text.
    let out = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .env("DISPLAY", scimdesk_tests::app::display_name())
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What Entra POSTs for a new user of a non-gallery application with the default mappings:
/// the enterprise extension, a work address and `roles` with Entra's string boolean.
fn entra_user(upn: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": "jdoe",
        "userName": upn,
        "active": true,
        "displayName": format!("{given} {family}"),
        "title": "Payroll Specialist",
        "emails": [{ "primary": true, "type": "work", "value": upn }],
        "name": { "givenName": given, "familyName": family, "formatted": format!("{given} {family}") },
        "addresses": [{ "type": "work", "locality": "Lisbon", "primary": false }],
        "roles": [{ "primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "Employee" }],
        ENTERPRISE: { "employeeNumber": "E-4711", "department": "Finance" }
    })
}

fn texts(app: &App, id: &str) -> Vec<String> {
    app.all(id).iter().map(|e| app.text_of(e)).collect()
}

#[test]
fn an_admin_connects_entra_sees_a_provision_with_its_provider_and_rehearses() {
    let desk = Desk::new();
    let port = free_port();
    desk.cli_ok(&["config", "set", "listen", &format!("127.0.0.1:{port}")]);
    // The app's own address as the public URL: the rehearsal goes through it as Entra would
    // (plain HTTP on this computer, which the verdict must not call reachable).
    desk.cli_ok(&[
        "config",
        "set",
        "public-url",
        &format!("http://127.0.0.1:{port}"),
    ]);
    let app = App::launch_as_is(&desk, "entra_lifecycle");

    // Settings > Integrations: Entra's card beside Okta's, each with its own count.
    app.click("nav-settings");
    app.wait_for("entra-card");
    assert_eq!(app.text("entra-status").trim(), "On · 0 connections");
    assert_eq!(app.text("okta-status").trim(), "On · 0 connections");
    assert!(app.text("entra-card").contains("Microsoft Entra ID"));
    app.screenshot("integrations");

    app.click("entra-card");
    app.wait_for("entra-page");
    app.wait_for("connections-empty");
    assert!(app
        .text("entra-setup")
        .contains("Create your own application"));
    app.screenshot("entra-empty");

    // + Add Connection on Entra's page.
    app.click("add-connection");
    app.wait_for("connection-dialog");
    assert!(app
        .text("connection-dialog")
        .contains("Add a Microsoft Entra ID connection"));
    app.type_into("connection-name", "HR Entra");
    app.screenshot("add-dialog");
    app.click("save-connection");
    let row =
        app.wait_for_css("[data-testid=\"connection-row\"][data-connection-name=\"HR Entra\"]");
    // The first connection comes with the question about starting at login: "Not now".
    if app.exists("start-at-login-offer") {
        app.click("start-at-login-not-now");
        app.wait_until("the question closes", |app| {
            !app.exists("start-at-login-offer")
        });
    }
    assert_eq!(app.attr(&row, "data-provider").as_deref(), Some("entra"));
    let card = app.text_of(&row);
    assert!(
        card.contains("Tenant URL") && card.contains("Secret Token"),
        "{card}"
    );
    assert!(
        !card.contains("Reconcile"),
        "no Okta reconcile on an Entra connection: {card}"
    );
    app.screenshot("connection-added");

    let listed = desk.cli_json(&["connection", "list"]);
    assert_eq!(listed[0]["name"], "HR Entra");
    assert_eq!(listed[0]["provider"], "entra", "{listed}");

    // Copy the Tenant URL and the Secret Token, as the admin does for Entra's Admin Credentials.
    app.click_element(&app.find_in(&row, "copy-base-url"));
    let mut tenant_url = String::new();
    app.wait_until("the Tenant URL is on the clipboard", |_| {
        tenant_url = clipboard();
        tenant_url.contains("/scim/v2/")
    });
    assert_eq!(
        tenant_url,
        app.text_of(&app.find_in(&row, "base-url")).trim()
    );
    assert_eq!(
        tenant_url,
        listed[0]["base_url"].as_str().unwrap_or_default()
    );
    app.click_element(&app.find_in(&row, "copy-token"));
    let mut secret = String::new();
    app.wait_until("the Secret Token is on the clipboard", |_| {
        secret = clipboard();
        !secret.is_empty() && secret != tenant_url
    });
    assert_eq!(
        desk.cli_ok(&["connection", "token", "HR Entra"]).trim(),
        secret
    );
    app.click_element(&app.find_in(&row, "reveal-token"));
    app.wait_until("the Secret Token is revealed", |app| {
        app.text_of(&app.find_in(&row, "token")).trim() == secret
    });
    app.screenshot("secret-token-revealed");

    // Entra provisions someone with what was copied, while the admin watches Employees.
    app.click("nav-employees");
    app.wait_for("employees-empty");
    let entra = Okta::new(&tenant_url, &secret);
    let created = entra
        .raw(
            "POST",
            "/Users",
            &[("content-type", "application/scim+json")],
            Some(serde_json::to_vec(&entra_user("jane.doe@corp.example", "Jane", "Doe")).unwrap()),
        )
        .expect(201)
        .clone();
    assert_eq!(created["userName"], "jane.doe@corp.example", "{created}");
    // Entra's string boolean comes back as a JSON boolean, as its validator demands.
    assert_eq!(created["roles"][0]["primary"], true, "{created}");
    let employee =
        app.wait_for_css("[data-testid=\"employee-row\"][data-email=\"jane.doe@corp.example\"]");
    assert!(app
        .text_of(&app.find_in(&employee, "employee-name"))
        .contains("Jane Doe"));
    app.wait_until("the page says Entra keeps the directory", |app| {
        app.all_css(".page-lede").first().is_some_and(|l| {
            app.text_of(l)
                .contains("kept up to date by Microsoft Entra ID")
        })
    });
    app.screenshot("employee-arrived");

    // The employee's page says who wrote them.
    app.click_element(&app.find_in(&employee, "employee-name"));
    app.wait_for("employee-detail");
    assert_eq!(
        app.text("detail-made-by").trim(),
        "Microsoft Entra ID · HR Entra"
    );
    app.screenshot("employee-detail");

    // Activity names the provider and the connection on the line of the create.
    app.click("nav-activity");
    app.wait_until("the create is listed with its provider", |app| {
        app.all("activity-row").iter().any(|row| {
            app.text_of(row).contains("Created Jane Doe")
                && app.text_of(&app.find_in(row, "activity-made-by")).trim()
                    == "Microsoft Entra ID · HR Entra"
        })
    });
    assert!(
        texts(&app, "activity-made-by")
            .iter()
            .all(|t| t.trim() == "Microsoft Entra ID · HR Entra"),
        "{:?}",
        texts(&app, "activity-made-by")
    );
    app.screenshot("activity");

    // Test: Entra's Test Connection, step by step, every step passing.
    app.go("#/settings/integrations/entra");
    let row = app.wait_for("connection-row");
    app.click_element(&app.find_in(&row, "test-connection"));
    app.wait_until("the rehearsal's four steps are shown", |app| {
        app.all("rehearsal-step").len() == 4
    });
    let steps: Vec<(String, String)> = app
        .all("rehearsal-step")
        .iter()
        .map(|s| {
            (
                app.attr(s, "data-step").unwrap_or_default(),
                app.attr(s, "data-outcome").unwrap_or_default(),
            )
        })
        .collect();
    let result = app.text("rehearsal-result");
    assert_eq!(
        steps,
        [
            ("reach".to_owned(), "ok".to_owned()),
            ("lookup".to_owned(), "ok".to_owned()),
            ("external_id_lookup".to_owned(), "ok".to_owned()),
            ("bad_token".to_owned(), "ok".to_owned()),
        ],
        "{result}"
    );
    assert!(result.contains("Test Connection"), "{result}");
    // Plain HTTP on this computer: the verdict does not promise Entra can connect.
    assert!(
        result.contains("can't reach this URL") && !result.contains("will be able to connect"),
        "{result}"
    );
    app.eval(
        "document.querySelector('[data-testid=rehearsal-result]').scrollIntoView({block: 'start'}); return true;",
        vec![],
    );
    app.screenshot("rehearsal");
    assert_eq!(
        desk.employees().len(),
        1,
        "the rehearsal creates no employee"
    );

    // Back on Integrations: Entra counts its connection; Okta's card is untouched.
    app.go("#/settings/integrations");
    app.wait_until("the Entra card counts the connection", |app| {
        app.text("entra-status").trim() == "On · 1 connection"
    });
    assert_eq!(app.text("okta-status").trim(), "On · 0 connections");
    app.screenshot("integrations-after");
}

/// Entra's switch on its card pauses Entra's connections and no others: while it is off, Entra's
/// requests are refused and Okta's still served, the Entra page says so, and nothing is lost.
#[test]
fn the_entra_switch_pauses_only_entras_connections() {
    let desk = Desk::new();
    let okta_conn = desk.add_connection("Okta production");
    let entra_conn = desk.add_connection_for("HR Entra", "entra");
    let app = App::launch(&desk, "entra_switch");
    // The app listens on a port chosen at launch: the base URLs as it gives them now.
    let listed = desk.cli_json(&["connection", "list"]);
    let base_url = |id: &str| -> String {
        listed
            .as_array()
            .and_then(|all| all.iter().find(|c| c["id"] == id))
            .and_then(|c| c["base_url"].as_str())
            .unwrap_or_else(|| panic!("connection {id} in {listed}"))
            .to_owned()
    };
    let okta = Okta::new(&base_url(&okta_conn.id), &okta_conn.token);
    let entra = Okta::new(&base_url(&entra_conn.id), &entra_conn.token);
    entra.create_user(&entra_user("kept@corp.example", "Kept", "Person"));

    app.go("#/settings/integrations");
    app.wait_until("each card counts its own connection", |app| {
        app.text("entra-status").trim() == "On · 1 connection"
            && app.text("okta-status").trim() == "On · 1 connection"
    });
    app.click("entra-toggle");
    app.wait_for("entra-off-dialog");
    app.screenshot("entra-off-confirm");
    app.click("confirm-entra-off");
    app.wait_until("the Entra card says Off", |app| {
        app.text("entra-status").trim() == "Off"
    });
    assert_eq!(app.text("okta-status").trim(), "On · 1 connection");
    app.screenshot("entra-off");
    entra.get("/Users").assert_scim_error(403, None);
    okta.get("/Users").expect(200);

    app.click("entra-card");
    app.wait_for("entra-off-banner");
    assert!(app
        .text("entra-off-banner")
        .contains("The Microsoft Entra ID integration is off"));
    app.screenshot("entra-page-off");

    app.go("#/settings/integrations");
    app.click("entra-toggle");
    app.wait_until("the Entra card says On", |app| {
        app.text("entra-status").starts_with("On")
    });
    entra.get("/Users").expect(200);
    assert_eq!(desk.employee("kept@corp.example")["status"], "active");
}
