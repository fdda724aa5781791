//! Each connection belongs to one identity provider, Okta or Microsoft Entra ID: the CLI adds
//! one for either (Okta by default), lists say which, each provider's switch pauses its own
//! connections only, the activity log names the provider of each change, and reconcile (which
//! reads Okta's API) refuses an Entra connection.

use scimdesk_tests::*;

#[test]
fn a_connection_is_added_for_a_provider_and_lists_name_it() {
    let desk = Desk::new();
    let okta = desk.add_connection("Okta");
    assert_eq!(okta.raw["provider"], "okta", "the default: {}", okta.raw);
    let entra = desk.add_connection_for("Entra", "entra");
    assert_eq!(entra.raw["provider"], "entra", "{}", entra.raw);
    // Any case is accepted.
    let other = desk.add_connection_for("Entra EU", "ENTRA");
    assert_eq!(other.raw["provider"], "entra", "{}", other.raw);

    let listed = desk.cli_json(&["connection", "list"]);
    let providers: Vec<(&str, &str)> = listed
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["provider"].as_str().unwrap()))
        .collect();
    assert_eq!(
        providers,
        [("Okta", "okta"), ("Entra", "entra"), ("Entra EU", "entra")]
    );
    let text = desk.cli_ok(&["connection", "list"]);
    let line = text
        .lines()
        .find(|l| l.starts_with("Entra "))
        .unwrap_or_else(|| panic!("no line for Entra: {text}"));
    assert!(line.contains(" entra "), "{line}");

    // The text of `connection add` speaks Entra's words for an Entra connection.
    let added = desk.cli_ok(&["connection", "add", "Entra 2", "--provider", "entra"]);
    assert!(
        added.contains("Microsoft Entra ID connection 'Entra 2' added.")
            && added.contains("Tenant URL")
            && added.contains("Secret Token"),
        "{added}"
    );
    // Names are unique across providers.
    let taken = desk.cli(&["connection", "add", "okta", "--provider", "entra"]);
    assert_ne!(taken.code(), Some(0), "{taken}");
    assert!(taken.stderr.contains("already exists"), "{taken}");
}

#[test]
fn an_unknown_provider_is_a_readable_error_and_creates_nothing() {
    let desk = Desk::new();
    let refused = desk.cli(&[
        "connection",
        "add",
        "Azure",
        "--provider",
        "azure",
        "--json",
    ]);
    assert_ne!(refused.code(), Some(0), "{refused}");
    assert!(
        refused.stderr.contains("'azure'") && refused.stderr.contains("okta or entra"),
        "{refused}"
    );
    assert_eq!(
        desk.cli_json(&["connection", "list"]),
        serde_json::json!([])
    );
}

#[test]
fn each_switch_pauses_only_its_own_providers_connections() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let entra = Okta::for_connection(&desk.add_connection_for("Entra", "entra"));
    let config = desk.cli_json(&["config", "show"]);
    assert_eq!(
        (&config["okta"], &config["entra"]),
        (&"on".into(), &"on".into())
    );

    desk.cli_ok(&["config", "set", "entra", "off"]);
    assert_eq!(desk.cli_json(&["config", "show"])["entra"], "off");
    let refused = entra.get("/Users");
    refused.assert_scim_error(403, None);
    let detail = refused.expect(403)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        detail.starts_with("The Microsoft Entra ID integration is turned off in SCIM Desk"),
        "{detail}"
    );
    okta.post("/Users", &okta_user("jane@corp.example", "Jane", "Doe"))
        .expect(201);

    desk.cli_ok(&["config", "set", "entra", "on"]);
    desk.cli_ok(&["config", "set", "okta", "off"]);
    let refused = okta.get("/Users");
    refused.assert_scim_error(403, None);
    let detail = refused.expect(403)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        detail.starts_with("The Okta integration is turned off"),
        "{detail}"
    );
    entra
        .post("/Users", &okta_user("john@corp.example", "John", "Roe"))
        .expect(201);
    let status = desk.cli_json(&["status"]);
    assert_eq!(
        (&status["okta"], &status["entra"]),
        (&"off".into(), &"on".into())
    );
}

#[test]
fn the_activity_log_names_the_provider_of_each_change_even_after_the_connection_is_gone() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let entra_connection = desk.add_connection_for("Entra", "entra");
    let entra = Okta::for_connection(&entra_connection);
    okta.post("/Users", &okta_user("jane@corp.example", "Jane", "Doe"))
        .expect(201);
    entra
        .post("/Users", &okta_user("john@corp.example", "John", "Roe"))
        .expect(201);
    desk.cli_ok(&["connection", "delete", "Entra"]);

    let activity = desk.cli_json(&["activity", "list"]);
    let lines: Vec<(&str, &str)> = activity
        .as_array()
        .expect("an array")
        .iter()
        .map(|a| {
            (
                a["connection_name"].as_str().unwrap_or("-"),
                a["provider"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(lines, [("Entra", "entra"), ("Okta", "okta")], "{activity}");
    let text = desk.cli_ok(&["activity", "list"]);
    assert!(
        text.lines()
            .any(|l| l.contains("entra") && l.contains("Entra")),
        "{text}"
    );
}

#[test]
fn reconcile_refuses_an_entra_connection_with_a_sentence() {
    let desk = Desk::new();
    desk.add_connection_for("Entra", "entra");
    let refused = desk.cli(&["connection", "reconcile", "Entra"]);
    assert_ne!(refused.code(), Some(0), "{refused}");
    assert!(
        refused.stderr.contains("for Okta connections only"),
        "{refused}"
    );
    let refused = desk.cli_with(
        &[
            "connection",
            "okta-api",
            "Entra",
            "--org-url",
            "https://acme.okta.com",
            "--app-id",
            "0oa1",
            "--token-stdin",
        ],
        &[],
        Some("token"),
    );
    assert_ne!(refused.code(), Some(0), "{refused}");
    assert!(
        refused.stderr.contains("for Okta connections only"),
        "{refused}"
    );
}
