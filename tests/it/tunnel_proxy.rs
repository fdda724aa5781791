//! Okta through a real HTTPS reverse proxy: a TLS-terminating proxy on loopback with a test CA
//! stands in for the admin's own tunnel, and its URL is set as the public URL.

use scimdesk_tests::proxy::{OtherWebServer, TestCa, TlsProxy};
use scimdesk_tests::*;

fn addr(server: &Server) -> std::net::SocketAddr {
    server.listen().parse().expect("listen address")
}

/// `scimdesk connection test NAME --json` trusting the test CA.
fn rehearse(desk: &Desk, ca: &TestCa, name: &str) -> (Output, Value) {
    let out = desk.cli_with(
        &["connection", "test", name, "--json"],
        &[("SCIMDESK_EXTRA_CA_FILE", &ca.file().to_string_lossy())],
        None,
    );
    let json = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("rehearsal output is not JSON ({e})\n{out}"));
    (out, json)
}

#[track_caller]
fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["step"] == name))
        .unwrap_or_else(|| panic!("no step {name} in {report}"))
}

#[test]
fn whole_okta_conversation_through_https_with_a_forged_host() {
    let desk = Desk::new();
    let server = desk.serve();
    let ca = TestCa::new();
    // The proxy replaces every Host with an attacker's: nothing may come back with it.
    let proxy = TlsProxy::start(&ca, addr(&server), Some("attacker.example"));
    desk.cli_ok(&["tunnel", "set", "own", &proxy.url()]);
    let conn = desk.add_connection("Okta");
    let base = format!("{}/scim/v2/{}", proxy.url(), conn.id);
    assert_eq!(conn.base_url, base, "the base URL follows the public URL");
    let listed = desk.cli_json(&["connection", "list"]);
    assert_eq!(listed[0]["base_url"], base.as_str());

    let okta = Okta::with_ca(&base, &conn.token, ca.pem());
    // Test Connector Configuration.
    assert_eq!(
        counter(
            okta.get("/Users?startIndex=1&count=2").expect(200),
            "totalResults"
        ),
        0
    );

    // Create: lookup, then POST.
    let lookup = okta.find_users(r#"userName eq "jane.doe@corp.example""#);
    assert_eq!(counter(lookup.expect(200), "totalResults"), 0);
    let created = okta.post("/Users", &okta_user("jane.doe@corp.example", "Jane", "Doe"));
    let body = created.expect(201).clone();
    let id = id_of(&body);
    let location = created.header("location").expect("Location header");
    assert_eq!(location, format!("{base}/Users/{id}"));
    assert_eq!(body["meta"]["location"], location.as_str());
    assert!(!created.text.contains("attacker.example"), "{created}");

    // Update (wizard style: GET then full PUT).
    let mut user = okta.user(&id);
    assert_eq!(user["meta"]["location"], location.as_str());
    user["title"] = json!("Staff Engineer");
    let updated = okta.put(&format!("/Users/{id}"), &user);
    assert_eq!(updated.expect(200)["title"], "Staff Engineer");
    assert_eq!(updated.expect(200)["meta"]["location"], location.as_str());

    // Deactivate: PUT active=false; still readable and still found by the lookup.
    let mut user = okta.user(&id);
    user["active"] = json!(false);
    okta.put(&format!("/Users/{id}"), &user).expect(200);
    assert_eq!(okta.user(&id)["active"], false);
    let found = okta.find_users(r#"userName eq "jane.doe@corp.example""#);
    assert_eq!(ids(found.expect(200)), vec![id.clone()]);
    let list = okta.get("/Users?startIndex=1&count=100");
    assert!(!list.text.contains("attacker.example"), "{list}");
    assert!(list.text.contains(&location), "{list}");

    // What the admin sees.
    let jane = desk.employee("jane.doe@corp.example");
    assert_eq!(jane["status"], "deactivated");
    assert_eq!(jane["job_title"], "Staff Engineer");

    // Only /scim/v2/… is served through the tunnel: anything else is a SCIM 404.
    let origin = Okta::with_ca(&proxy.url(), &conn.token, ca.pem());
    origin.get("/").assert_scim_error(404, None);
    origin.get("/admin").assert_scim_error(404, None);
}

#[test]
fn rehearsal_through_the_proxy_passes_and_names_each_failure() {
    let desk = Desk::new();
    let server = desk.serve();
    let ca = TestCa::new();
    let conn = desk.add_connection("Okta");

    // Through a working proxy: every step passes, exit 0, nothing created.
    let mut proxy = TlsProxy::start(&ca, addr(&server), None);
    desk.cli_ok(&["tunnel", "set", "own", &proxy.url()]);
    let (out, report) = rehearse(&desk, &ca, "Okta");
    out.assert_code(0);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["reachable_by_provider"], true, "{report}");
    for name in ["reach", "list", "lookup", "unknown_id", "bad_token"] {
        assert_eq!(step(&report, name)["outcome"], "ok", "{report}");
    }
    assert!(report["base_url"]
        .as_str()
        .is_some_and(|b| b.starts_with(&proxy.url())));
    let text = desk.cli_with(
        &["connection", "test", &conn.id],
        &[("SCIMDESK_EXTRA_CA_FILE", &ca.file().to_string_lossy())],
        None,
    );
    text.assert_code(0);
    assert!(
        text.stdout
            .contains("Every step passed: Okta can reach this connection."),
        "{text}"
    );
    assert!(desk.employees().is_empty(), "the rehearsal creates nothing");

    // Without the test CA the certificate is not trusted: TLS failed.
    let untrusted = desk.cli(&["connection", "test", "Okta", "--json"]);
    untrusted.assert_code(1);
    let report: Value = serde_json::from_str(untrusted.stdout.trim()).expect("JSON");
    let reach = step(&report, "reach");
    assert_eq!(reach["outcome"], "failed");
    assert!(
        reach["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("TLS failed")),
        "{report}"
    );

    // A proxy pointing at the wrong port: it answers, but SCIM Desk never sees the request.
    let wrong_port = TlsProxy::start(
        &ca,
        format!("127.0.0.1:{}", free_port()).parse().unwrap(),
        None,
    );
    desk.cli_ok(&["tunnel", "set", "own", &wrong_port.url()]);
    let (out, report) = rehearse(&desk, &ca, "Okta");
    out.assert_code(1);
    assert!(out.stderr.contains("failed at step 'list'"), "{out}");
    let list = step(&report, "list");
    assert_eq!(list["outcome"], "failed");
    assert!(
        list["message"].as_str().is_some_and(|m| m
            .starts_with("The tunnel answered (HTTP 502) but the request never reached this app")),
        "{report}"
    );
    assert!(list["message"].as_str().unwrap().contains(server.listen()));

    // A proxy in front of a web server that is not SCIM Desk.
    let web = OtherWebServer::start();
    let to_web = TlsProxy::start(&ca, web.addr(), None);
    desk.cli_ok(&["tunnel", "set", "own", &to_web.url()]);
    let (out, report) = rehearse(&desk, &ca, "Okta");
    out.assert_code(1);
    assert!(
        step(&report, "list")["message"].as_str().is_some_and(|m| m
            .starts_with("The tunnel answered (HTTP 200) but the request never reached this app")),
        "{report}"
    );

    // A proxy in front of another SCIM Desk, which does not know this token.
    let other = Desk::new();
    let other_server = other.serve();
    let to_other = TlsProxy::start(&ca, addr(&other_server), None);
    desk.cli_ok(&["tunnel", "set", "own", &to_other.url()]);
    let (out, report) = rehearse(&desk, &ca, "Okta");
    out.assert_code(1);
    let list = step(&report, "list");
    assert!(
        list["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Token refused")),
        "{report}"
    );

    // The proxy stopped: nothing listens at the public URL.
    desk.cli_ok(&["tunnel", "set", "own", &proxy.url()]);
    proxy.stop();
    let (out, report) = rehearse(&desk, &ca, "Okta");
    out.assert_code(1);
    let reach = step(&report, "reach");
    assert!(
        reach["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Connection refused")),
        "{report}"
    );
    assert_eq!(step(&report, "list")["outcome"], "skipped");
    assert!(out.stderr.contains("failed at step 'reach'"), "{out}");

    assert!(desk.employees().is_empty(), "no rehearsal created anyone");
}

#[test]
fn status_and_settings_of_an_own_tunnel() {
    let desk = Desk::new();
    let none = desk.cli_ok(&["tunnel", "status"]);
    assert!(none.contains("Okta cannot reach"), "{none}");
    assert!(none.contains("scimdesk tunnel set cloudflared"), "{none}");

    // Validated: https only, no `_`, no path under /scim/v2.
    for bad in [
        "http://desk.example.com",
        "https://my_desk.example.com",
        "https://desk.example.com/scim/v2/x",
    ] {
        let out = desk.cli(&["tunnel", "set", "own", bad]);
        out.assert_code(1);
        assert!(out.stderr.starts_with("error: "), "{out}");
    }

    // The old way still means "own", and a change of URL is reported until acknowledged.
    desk.cli_ok(&["config", "set", "public-url", "https://one.example.com"]);
    let status = desk.cli_json(&["tunnel", "status"]);
    assert_eq!(status["mode"], "own");
    assert_eq!(status["public_url"], "https://one.example.com");
    assert_eq!(status["reachable_by_okta"], true);
    assert!(status["url_changed"].is_null());
    desk.cli_ok(&["tunnel", "set", "own", "https://two.example.com"]);
    let status = desk.cli_json(&["tunnel", "status"]);
    assert_eq!(status["url_changed"]["from"], "https://one.example.com");
    assert_eq!(status["url_changed"]["to"], "https://two.example.com");
    let text = desk.cli_ok(&["tunnel", "status"]);
    assert!(
        text.contains(
            "The public URL changed from https://one.example.com to https://two.example.com"
        ),
        "{text}"
    );
    desk.cli_ok(&["tunnel", "ack"]);
    assert!(desk.cli_json(&["tunnel", "status"])["url_changed"].is_null());

    desk.cli_ok(&["tunnel", "set", "none"]);
    let server = desk.serve();
    // Printed after the listening line, once the setting is read: wait for it.
    server.wait_for_stdout("No tunnel is set");
    let shown = desk.cli_json(&["config", "show"]);
    assert!(shown["public_url"].is_null(), "{shown}");
    assert_eq!(shown["tunnel"]["mode"], "none");
}

/// Through plain HTTP on this machine every step can pass, but Okta (on the internet, HTTPS
/// only) cannot call it: the verdict says so instead of promising a connection.
#[test]
fn a_rehearsal_through_plain_http_here_does_not_promise_okta_a_connection() {
    let desk = Desk::new();
    let server = desk.serve();
    desk.add_connection("Okta");
    desk.cli_ok(&[
        "config",
        "set",
        "public-url",
        &format!("http://{}", addr(&server)),
    ]);
    let report = desk.cli_json(&["connection", "test", "Okta"]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["reachable_by_provider"], false, "{report}");
    assert!(
        report["note"].as_str().is_some_and(|n| n.contains("HTTPS")),
        "{report}"
    );
    let text = desk.cli_ok(&["connection", "test", "Okta"]);
    assert!(text.contains("Okta cannot reach this URL yet"), "{text}");
    assert!(!text.contains("Okta can reach this connection"), "{text}");
}
