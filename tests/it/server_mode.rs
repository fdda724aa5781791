//! Server mode, from the operator's side: `scimdesk` on a machine with no keychain at all.
//! A connection's token is shown once and only its digest kept; asking for it again is refused
//! with the way out (regenerate); regenerating refuses the old token at once; the tunnel's token
//! comes from a file the operator provides (as systemd's `LoadCredential=` does).
//!
//! Every command here runs with a session bus address that leads nowhere, so that no Secret
//! Service can be reached, whatever the test command's own session offers.

use scimdesk_tests::*;

/// A D-Bus session address with nothing behind it: no keychain can be reached.
const NO_BUS: (&str, &str) = (
    "DBUS_SESSION_BUS_ADDRESS",
    "unix:path=/nonexistent/scimdesk-test-no-bus",
);
const SERVER: (&str, &str) = ("SCIMDESK_SERVER_MODE", "1");

#[test]
fn without_a_keychain_a_token_is_shown_once_refused_again_and_regenerated() {
    let desk = Desk::new();
    // The control: on the desktop, this machine has no keychain to keep a token in.
    let desktop = desk.cli_with(&["connection", "add", "Desktop"], &[NO_BUS], None);
    desktop.assert_code(1);
    assert!(
        desktop.stderr.contains("keychain could not be reached")
            && desktop.stderr.contains("server mode"),
        "{desktop}"
    );

    let server = desk.serve_with_env(&[], &[NO_BUS, SERVER]);
    let env = [NO_BUS, SERVER];
    let added = desk.cli_with(&["connection", "add", "Okta prod", "--json"], &env, None);
    added.assert_code(0);
    let added: Value = serde_json::from_str(added.stdout.trim()).expect("JSON");
    let (id, token) = (s(&added, "id").to_owned(), s(&added, "token").to_owned());
    assert_eq!(added["token_kept"], false, "{added}");
    assert_eq!(added["name"], "Okta prod");
    assert!(added["created_at"].is_string(), "{added}");
    let base_url = s(&added, "base_url").to_owned();
    assert_eq!(base_url, format!("{}/scim/v2/{id}", server.origin()));
    assert!(token.len() >= 43, "{added}");

    // The token authenticates Okta's requests.
    let okta = Okta::new(&base_url, &token);
    okta.get("/Users").expect(200);
    okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe"));

    // The human output says plainly that it is shown once.
    let text = desk.cli_with(&["connection", "add", "Okta sandbox"], &env, None);
    text.assert_code(0);
    assert!(
        text.stdout.contains("Token     ")
            && text.stdout.contains("shown once: copy it now")
            && text.stdout.contains("if it is lost, regenerate it"),
        "{text}"
    );

    // Showing it again is refused, readably, and names no token.
    let again = desk.cli_with(&["connection", "token", "Okta prod"], &env, None);
    again.assert_code(1);
    assert!(
        again.stderr.contains("was shown once")
            && again.stderr.contains("server mode")
            && again.stderr.contains("regenerate-token"),
        "{again}"
    );
    assert!(!again.stderr.contains(&token) && again.stdout.is_empty());

    // Regenerated: the new token works, the old one gets 401 at once.
    let regenerated = desk.cli_with(
        &["connection", "regenerate-token", "Okta prod", "--json"],
        &env,
        None,
    );
    regenerated.assert_code(0);
    let regenerated: Value = serde_json::from_str(regenerated.stdout.trim()).expect("JSON");
    assert_eq!(regenerated["token_kept"], false, "{regenerated}");
    let new_token = s(&regenerated, "token").to_owned();
    assert_ne!(new_token, token);
    okta.get("/Users").assert_scim_error(401, None);
    Okta::new(&base_url, &new_token).get("/Users").expect(200);
    let activity = desk.cli_with(&["activity", "list", "--json"], &env, None);
    assert!(
        activity
            .stdout
            .contains("Regenerated the token of connection 'Okta prod'")
            && !activity.stdout.contains(&new_token),
        "{activity}"
    );

    // Deleted without a keychain: its token is refused, its employee stays.
    desk.cli_with(&["connection", "delete", "Okta prod"], &env, None)
        .assert_code(0);
    Okta::new(&base_url, &new_token)
        .get("/Users")
        .assert_scim_error(401, None);
    assert_eq!(desk.employees().len(), 1);

    // `config show` says which mode runs and why.
    let shown = desk.cli_with(&["config", "show", "--json"], &env, None);
    let shown: Value = serde_json::from_str(shown.stdout.trim()).expect("JSON");
    assert_eq!(shown["mode"], "server", "{shown}");
    assert_eq!(shown["mode_from_env"], true, "{shown}");
    drop(server);
}

#[test]
fn the_tunnel_token_is_read_from_a_file_in_the_secrets_directory() {
    let desk = Desk::new();
    let secrets = tempfile::tempdir().expect("secrets dir");
    let secrets_dir = secrets.path().to_string_lossy().into_owned();
    desk.cli_ok(&["config", "set", "mode", "server"]);
    desk.cli_ok(&["config", "set", "secrets-dir", &secrets_dir]);
    let set_named = |stdin: Option<&str>| {
        let mut args = vec![
            "tunnel",
            "set",
            "cloudflared",
            "--hostname",
            "scim.corp.example",
        ];
        if stdin.is_some() {
            args.push("--token-stdin");
        }
        desk.cli_with(&args, &[NO_BUS], stdin)
    };

    // None yet: refused, naming the file to write (and the variable).
    let file = secrets.path().join("tunnel_cloudflared");
    let missing = set_named(None);
    missing.assert_code(1);
    assert!(
        missing.stderr.contains(&file.display().to_string())
            && missing
                .stderr
                .contains("SCIMDESK_SECRET_TUNNEL_CLOUDFLARED"),
        "{missing}"
    );
    // Storing one is refused too: server mode never writes a secret.
    let stored = set_named(Some("eyJzdG9yZWQifQ"));
    stored.assert_code(1);
    assert!(
        stored.stderr.contains("does not store secrets")
            && !stored.stderr.contains("eyJzdG9yZWQifQ"),
        "{stored}"
    );

    // The operator writes the file; the named tunnel is set and comes online with it.
    std::fs::write(&file, "eyJhIjoiZnJvbS1hLWZpbGUifQ\n").expect("write the secret");
    set_named(None).assert_code(0);
    let stand_in = tempfile::tempdir().expect("stand-in dir");
    let stand_in_dir = stand_in.path().to_string_lossy().into_owned();
    let _server = desk.serve_with_env(
        &[],
        &[
            NO_BUS,
            (
                "SCIMDESK_CLOUDFLARED",
                env!("CARGO_BIN_EXE_fake-cloudflared"),
            ),
            ("FAKE_CLOUDFLARED_DIR", &stand_in_dir),
        ],
    );
    let online = eventually("the named tunnel online", || {
        let status = desk.cli_json(&["tunnel", "status"]);
        if status["state"]["state"] == "online" {
            Ok(status)
        } else {
            Err(status)
        }
    });
    assert_eq!(online["state"]["url"], "https://scim.corp.example");

    // The stand-in refuses to start without a token (TUNNEL_TOKEN): it started once, online,
    // with the file's token in its environment, never in its arguments.
    let starts = std::fs::read_to_string(stand_in.path().join("starts")).unwrap_or_default();
    assert_eq!(starts.lines().count(), 1, "{starts}");
    assert!(
        !starts.contains("eyJhIjoiZnJvbS1hLWZpbGUifQ"),
        "not in argv: {starts}"
    );
}
