//! Connections from the admin's side: the CLI adds and deletes them while the
//! server runs, and each token opens exactly its own base URL.

use scimdesk_tests::*;

#[test]
fn connection_add_reports_a_base_url_and_token() {
    let desk = Desk::new();
    let server = desk.serve();
    let conn = desk.add_connection("Okta Production");

    assert_eq!(conn.name, "Okta Production");
    let expected = format!("{}/scim/v2/{}", server.origin(), conn.id);
    assert_eq!(conn.base_url, expected, "{}", conn.raw);
    assert!(!conn.base_url.ends_with('/'), "no trailing slash");
    assert!(
        !conn.base_url.contains('_'),
        "Okta refuses `_` in a base URL"
    );
    assert!(conn.token.len() >= 32, "a long random token: {}", conn.raw);
    assert!(conn.raw["created_at"].is_string(), "{}", conn.raw);

    // The list shows it, without the token.
    let listed = desk.cli_json(&["connection", "list"]);
    let listed = listed.as_array().expect("connection list is an array");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], conn.id.as_str());
    assert_eq!(listed[0]["name"], "Okta Production");
    assert_eq!(listed[0]["base_url"], conn.base_url.as_str());
    assert!(
        !serde_json::to_string(&listed)
            .unwrap()
            .contains(&conn.token),
        "`connection list` must not print tokens"
    );
}

#[test]
fn deleting_a_connection_while_serving_revokes_it_and_keeps_employees() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    okta.create_user(&okta_user("kept@corp.example", "Kept", "Employee"));
    okta.get("/Users").expect(200);

    desk.cli(&["connection", "delete", &conn.name])
        .assert_code(0);

    okta.get("/Users").assert_scim_error(401, None);
    okta.post("/Users", &okta_user("late@corp.example", "Late", "Comer"))
        .assert_scim_error(401, None);
    let employee = desk.employee("kept@corp.example");
    assert_eq!(employee["status"], "active");
    assert_eq!(desk.employees().len(), 1);
    let listed = desk.cli_json(&["connection", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");

    // Deleting by id works too, and an unknown one is an error.
    let other = desk.add_connection("Second");
    desk.cli(&["connection", "delete", &other.id])
        .assert_code(0);
    Okta::for_connection(&other)
        .get("/Users")
        .assert_scim_error(401, None);
    let missing = desk.cli(&["connection", "delete", "no-such-connection"]);
    missing.assert_code(1);
    assert!(missing.stderr.starts_with("error: "), "{missing}");
}

/// A leaked token is replaced while the endpoint serves: the old one is refused on the very next
/// request, the new one (printed once) works, the employees stay, and the activity log records it
/// without either token.
#[test]
fn regenerating_a_token_while_serving_refuses_the_old_one_at_once() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    okta.create_user(&okta_user("kept@corp.example", "Kept", "Employee"));

    let again = desk.cli_json(&["connection", "regenerate-token", "okta"]);
    let token = again["token"].as_str().expect("the new token").to_owned();
    assert_ne!(token, conn.token);
    assert_eq!(again["base_url"], conn.base_url.as_str());
    okta.get("/Users").assert_scim_error(401, None);
    let renewed = Okta::new(&conn.base_url, &token);
    renewed.get("/Users").expect(200);
    assert_eq!(desk.employees().len(), 1);
    assert_eq!(
        desk.cli_ok(&["connection", "token", &conn.id]).trim(),
        token
    );

    let log = desk.cli_json(&["activity", "list"]);
    let text = log.to_string();
    assert!(text.contains("regenerate_token"), "{log}");
    assert!(
        !text.contains(&token) && !text.contains(&conn.token),
        "{log}"
    );

    // In words, for a person at a terminal.
    let said = desk.cli_ok(&["connection", "regenerate-token", &conn.id]);
    assert!(said.contains("the old one is refused"), "{said}");
    renewed.get("/Users").assert_scim_error(401, None);
    let missing = desk.cli(&["connection", "regenerate-token", "no-such-connection"]);
    missing.assert_code(1);
    assert!(missing.stderr.starts_with("error: "), "{missing}");
}

#[test]
fn a_connection_added_while_serving_works_at_once() {
    let desk = Desk::new();
    let _server = desk.serve();
    let first = desk.add_connection("First");
    Okta::for_connection(&first).get("/Users").expect(200);

    let second = desk.add_connection("Second");
    assert_ne!(first.id, second.id);
    let okta = Okta::for_connection(&second);
    let list = okta.get("/Users?startIndex=1&count=2");
    counter(list.expect(200), "totalResults");
    okta.create_user(&okta_user("via.second@corp.example", "Via", "Second"));
    assert_eq!(desk.employee("via.second@corp.example")["status"], "active");
}

#[test]
fn each_token_opens_only_its_own_base_url() {
    let desk = Desk::new();
    let _server = desk.serve();
    let a = desk.add_connection("Tenant A");
    let b = desk.add_connection("Tenant B");
    let okta_a = Okta::for_connection(&a);

    // B's token on A's base URL.
    Okta::new(&a.base_url, &b.token)
        .get("/Users")
        .assert_scim_error(401, None);
    // No header, a wrong token, an empty bearer.
    okta_a
        .with_authorization(None)
        .get("/Users")
        .assert_scim_error(401, None);
    okta_a
        .with_authorization(Some("Bearer not-the-token"))
        .get("/Users")
        .assert_scim_error(401, None);
    okta_a
        .with_authorization(Some("Bearer "))
        .get("/Users")
        .assert_scim_error(401, None);
    // An unknown connection id with a valid token.
    let unknown_base = a.base_url.replace(&a.id, "0000000000000000");
    let r = Okta::new(&unknown_base, &a.token).get("/Users");
    assert!(matches!(r.status, 401 | 404), "{r}");
    r.assert_scim_error(r.status, None);

    // The right token works, with or without `Bearer `.
    okta_a.get("/Users").expect(200);
    let bare = okta_a.with_authorization(Some(&a.token)).get("/Users");
    bare.expect(200);
}

/// The whole HTTP answer to `GET <path>` with `token`, as bytes off the socket, without its
/// `Date` line (the one part that may differ between two answers a second apart).
fn raw_answer(server: &Server, path: &str, token: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(server.listen()).expect("connect");
    socket.set_read_timeout(Some(HTTP_TIMEOUT)).unwrap();
    write!(
        socket,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         User-Agent: {OKTA_USER_AGENT}\r\nAccept: application/scim+json\r\n\
         Connection: close\r\n\r\n",
        server.listen()
    )
    .unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).expect("the whole answer");
    let text = String::from_utf8(answer).expect("a text answer");
    text.split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("date:"))
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes()
}

/// Another connection's token at this base URL is answered exactly as a token nobody has: the
/// answer must not confirm to whoever holds it that the token is valid somewhere.
#[test]
fn another_connections_token_is_answered_as_an_unknown_token_byte_for_byte() {
    let desk = Desk::new();
    let server = desk.serve();
    let a = desk.add_connection("Tenant A");
    let b = desk.add_connection("Tenant B");
    let path = format!("/scim/v2/{}/Users?startIndex=1&count=2", a.id);

    let others_token = raw_answer(&server, &path, &b.token);
    let nobodys_token = raw_answer(
        &server,
        &path,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    let shown = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    assert!(
        shown(&others_token).starts_with("HTTP/1.1 401"),
        "{}",
        shown(&others_token)
    );
    assert_eq!(
        shown(&others_token),
        shown(&nobodys_token),
        "B's token at A's URL must be answered as an unknown token"
    );
    assert!(
        !shown(&others_token).contains("different connection"),
        "{}",
        shown(&others_token)
    );
    // B's token still opens B's own URL.
    Okta::for_connection(&b).get("/Users").expect(200);
}

#[test]
fn a_base_url_pasted_with_a_trailing_slash_still_works() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::new(&format!("{}/", conn.base_url), &conn.token);
    let r = okta.get("//Users?startIndex=1&count=2");
    counter(r.expect(200), "totalResults");
    let created = okta.post("//Users", &okta_user("slash@corp.example", "Sl", "Ash"));
    created.expect(201);
    // Locations are built from the configured base URL, never doubled.
    let id = id_of(&created.json);
    assert_eq!(
        created.header("location").as_deref(),
        Some(format!("{}/Users/{id}", conn.base_url).as_str()),
        "{created}"
    );
}

#[test]
fn connection_names_are_validated() {
    let desk = Desk::new();
    desk.add_connection("Okta Prod");

    let long = "x".repeat(65);
    for (name, why) in [
        ("", "empty"),
        ("   ", "blank"),
        (long.as_str(), "65 characters"),
        ("okta prod", "duplicate ignoring case"),
        ("  OKTA PROD ", "duplicate after trimming"),
    ] {
        let out = desk.cli(&["connection", "add", name, "--json"]);
        out.assert_code(1);
        assert!(
            out.stderr.starts_with("error: ") && out.stderr.trim().len() > "error: ".len(),
            "a {why} name needs a readable error\n{out}"
        );
    }

    // 64 characters is fine; surrounding spaces are trimmed.
    let max = "y".repeat(64);
    assert_eq!(desk.add_connection(&max).name, max);
    assert_eq!(desk.add_connection("  Okta Staging  ").name, "Okta Staging");
    let listed = desk.cli_json(&["connection", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");
}

#[test]
fn turning_the_okta_integration_off_refuses_every_connection_and_deletes_nothing() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    let user = okta.create_user(&okta_user("stays@corp.example", "Stays", "Put"));

    desk.cli(&["config", "set", "okta", "off"]).assert_code(0);
    assert_eq!(desk.cli_json(&["config", "show"])["okta"], "off");

    let refused = okta.get("/Users");
    refused.assert_scim_error(403, None);
    let detail = refused.expect(403)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("turned off"), "{detail}");
    okta.post("/Users", &okta_user("new@corp.example", "New", "Hire"))
        .assert_scim_error(403, None);
    okta.patch_ops(
        &format!("/Users/{}", id_of(&user)),
        serde_json::json!([{"op": "replace", "value": {"active": false}}]),
    )
    .assert_scim_error(403, None);
    // A wrong token is still a wrong token.
    okta.with_authorization(Some("Bearer nope"))
        .get("/Users")
        .assert_scim_error(401, None);

    // Nothing was deleted or changed, and the connection still exists.
    assert_eq!(desk.employees().len(), 1);
    assert_eq!(desk.employee("stays@corp.example")["status"], "active");
    let listed = desk.cli_json(&["connection", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    desk.cli(&["config", "set", "okta", "on"]).assert_code(0);
    okta.get("/Users").expect(200);
    desk.cli(&["config", "set", "okta", "maybe"]).assert_code(1);
}
