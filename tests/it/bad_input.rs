//! Requests Okta (or a misconfigured client) can send that must be refused
//! with a SCIM error the Okta admin can read, while the server keeps serving.

use scimdesk_tests::*;

#[test]
fn bad_requests_get_scim_errors_and_the_server_keeps_serving() {
    let desk = Desk::new();
    let mut server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));

    // Malformed JSON.
    okta.raw(
        "POST",
        "/Users",
        &[],
        Some(br#"{"userName": "broken@corp.example","#.to_vec()),
    )
    .assert_scim_error(400, Some("invalidSyntax"));
    // JSON, but not an object.
    let r = okta.raw("POST", "/Users", &[], Some(b"[1,2,3]".to_vec()));
    assert_eq!(r.status, 400, "{r}");
    r.assert_scim_error(400, None);

    // No userName.
    let mut no_user_name = okta_user("x@corp.example", "No", "Name");
    no_user_name.as_object_mut().unwrap().remove("userName");
    okta.post("/Users", &no_user_name)
        .assert_scim_error(400, Some("invalidValue"));

    // Filters that do not parse.
    for filter in [
        r#"userName eq"#,
        r#"userName zz "a@corp.example""#,
        r#"userName eq "unterminated"#,
        r#"(userName eq "a@corp.example""#,
    ] {
        okta.get(&format!("/Users?filter={}", encode_filter(filter)))
            .assert_scim_error(400, Some("invalidFilter"));
    }

    // 2 MiB body, with a Content-Length ...
    let mut huge = okta_user("huge@corp.example", "Huge", "Body");
    huge["nickName"] = json!("x".repeat(2 * 1024 * 1024));
    okta.post("/Users", &huge).assert_scim_error(413, None);
    // ... and streamed with no length (chunked).
    let body = serde_json::to_vec(&huge).unwrap();
    let r = okta.raw_chunked("POST", "/Users", body);
    r.assert_scim_error(413, None);

    // Unknown paths.
    okta.get("/Nope").assert_scim_error(404, None);
    okta.get(&format!("/Users/{}/extra", unknown_id()))
        .assert_scim_error(404, None);

    // Still serving, and none of the refused users exist.
    assert!(server.is_running(), "the server died:\n{}", server.stderr());
    let ok = okta.post("/Users", &okta_user("fine@corp.example", "Fi", "Ne"));
    ok.expect(201);
    let list = okta.get("/Users");
    assert_eq!(counter(list.expect(200), "totalResults"), 1, "{list}");
    assert_eq!(desk.employees().len(), 1);
}

#[test]
fn user_name_is_unique_ignoring_case_and_keeps_its_case() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let first = okta.create_user(&okta_user("Mixed.Case@Corp.example", "Mi", "Xed"));
    assert_eq!(first["userName"], "Mixed.Case@Corp.example");
    okta.post("/Users", &okta_user("mixed.case@corp.example", "Mi", "Xed"))
        .assert_scim_error(409, Some("uniqueness"));

    // A PUT that renames onto another user's userName is refused too.
    let other = okta.create_user(&okta_user("other@corp.example", "Ot", "Her"));
    let mut clash = other.clone();
    clash["userName"] = json!("MIXED.CASE@corp.example");
    clash["emails"] =
        json!([{ "primary": true, "value": "MIXED.CASE@corp.example", "type": "work" }]);
    okta.put(&format!("/Users/{}", id_of(&other)), &clash)
        .assert_scim_error(409, Some("uniqueness"));
    assert_eq!(desk.employees().len(), 2);
}

#[test]
fn discovery_endpoints_refuse_writes_and_unsupported_endpoints_say_so() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    for path in ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"] {
        okta.post(path, &json!({})).assert_scim_error(405, None);
        okta.put(path, &json!({})).assert_scim_error(405, None);
        okta.delete(path).assert_scim_error(405, None);
    }
    okta.post(
        "/Bulk",
        &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": []
        }),
    )
    .assert_scim_error(501, None);
    okta.get("/Me").assert_scim_error(501, None);
}

#[test]
fn malformed_patches_are_refused_without_changing_the_user() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let id = id_of(&okta.create_user(&okta_user("pat@corp.example", "Pat", "Ch")));
    let path = format!("/Users/{id}");

    for (body, why) in [
        (json!({ "schemas": [PATCH_OP] }), "no Operations"),
        (
            json!({ "schemas": [PATCH_OP], "Operations": {} }),
            "Operations not an array",
        ),
        (
            json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "frobnicate", "path": "title", "value": "x" }] }),
            "unknown op",
        ),
        (
            json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "emails[type eq", "value": "x" }] }),
            "unparseable path",
        ),
    ] {
        let r = okta.patch(&path, &body);
        assert_eq!(r.status, 400, "{why}: {r}");
        r.assert_scim_error(400, None);
    }
    // A PATCH is all or nothing: a bad second operation undoes the first.
    let r = okta.patch_ops(
        &path,
        json!([
            { "op": "replace", "path": "title", "value": "Half Applied" },
            { "op": "frobnicate", "path": "title", "value": "x" }
        ]),
    );
    r.assert_scim_error(400, None);
    let user = okta.user(&id);
    assert!(
        user.get("title").is_none(),
        "a refused PATCH changed the user: {user}"
    );
    assert_eq!(desk.employee("pat@corp.example")["job_title"], Value::Null);
}

/// Control characters in identifiers are terminal escape sequences waiting for an admin to list
/// them: ESC, CR/LF, NUL or backspace in a userName or an email is refused on create, PUT and
/// PATCH with a 400 that names the attribute, and nothing changes.
#[test]
fn control_characters_in_user_names_and_emails_are_refused_on_every_write() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let refused = |r: &Resp, attribute: &str| {
        r.assert_scim_error(400, Some("invalidValue"));
        let detail = s(&r.json, "detail");
        assert!(
            detail.contains(attribute) && detail.contains("control character"),
            "the detail should name {attribute}: {r}"
        );
        assert!(!detail.chars().any(char::is_control), "{r}");
    };

    // A title-setting sequence, a forged second line, NUL and backspace.
    for bad in [
        "evil\u{1b}]0;pwned\u{7}@corp.example",
        "evil@corp.example\r\nAdmin: yes",
        "evil\u{0}@corp.example",
        "evil\u{8}\u{8}\u{8}@corp.example",
        "evil\u{9b}2J@corp.example",
    ] {
        let mut user = okta_user("evil@corp.example", "E", "Vil");
        user["userName"] = json!(bad);
        refused(&okta.post("/Users", &user), "userName");
    }
    let mut bad_email = okta_user("evil@corp.example", "E", "Vil");
    bad_email["emails"][0]["value"] = json!("evil@corp.example\u{1b}[2J");
    refused(&okta.post("/Users", &bad_email), "emails[0].value");

    let jane = okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe"));
    let id = id_of(&jane);
    let mut put = okta.user(&id);
    put["userName"] = json!("jane\u{1b}[1A@corp.example");
    refused(&okta.put(&format!("/Users/{id}"), &put), "userName");
    let patch = okta.patch_ops(
        &format!("/Users/{id}"),
        json!([{"op": "replace", "path": "userName", "value": "jane\r@corp.example"}]),
    );
    refused(&patch, "userName");
    let patch = okta.patch_ops(
        &format!("/Users/{id}"),
        json!([{"op": "replace", "value": {"emails": [{"value": "j\u{7f}@corp.example", "primary": true}]}}]),
    );
    refused(&patch, "emails[0].value");

    // Nothing was created or changed, and a tab (which some directories pad with) is no reason
    // to refuse anyone.
    assert_eq!(okta.user(&id)["userName"], "jane@corp.example");
    assert_eq!(desk.employees().len(), 1);
    let mut tabbed = okta_user("tabbed@corp.example", "Tab", "Bed");
    tabbed["userName"] = json!("tabbed\t@corp.example");
    okta.post("/Users", &tabbed).expect(201);
}

/// What Okta sends in other attributes is kept as sent, but every line the CLI prints shows
/// control characters as escapes (`\x1b`, `\n`), and the activity log stores them so; `--json`
/// stays exact JSON.
#[test]
fn the_cli_prints_control_characters_visibly_and_json_exactly() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let mut user = okta_user("mallory@corp.example", "Mal", "Lory");
    let shown_name = "Mal\u{1b}]0;owned\u{7}\u{1b}[2K\rLory\nAdmin";
    user["displayName"] = json!(shown_name);
    let created = okta.create_user(&user);
    assert_eq!(created["displayName"], shown_name, "kept as sent");
    // A refused write is logged with the userName it carried.
    let mut evil = okta_user("x@corp.example", "X", "Y");
    evil["userName"] = json!("x\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}@corp.example");
    okta.post("/Users", &evil)
        .assert_scim_error(400, Some("invalidValue"));

    let raw = |out: &str| out.chars().any(|c| c.is_control() && c != '\n');
    let users = desk.cli_ok(&["users", "list"]);
    assert!(
        !raw(&users),
        "raw control characters in `users list`: {users:?}"
    );
    assert!(
        users.contains("Mal\\x1b]0;owned\\x07\\x1b[2K\\rLory\\nAdmin"),
        "{users}"
    );
    assert_eq!(users.lines().count(), 1, "one line per employee: {users}");
    let activity = desk.cli_ok(&["activity", "list"]);
    assert!(
        !raw(&activity),
        "raw control characters in `activity list`: {activity:?}"
    );
    assert!(
        activity.contains("Could not create x\\x1b]52;c;ZWNobyBwd25lZA==\\x07@corp.example"),
        "{activity}"
    );
    assert!(activity.contains("Created Mal\\x1b]0;owned"), "{activity}");

    // JSON is JSON: the employee's name as Okta sent it.
    let listed = desk.employee("mallory@corp.example");
    assert_eq!(listed["display_name"], shown_name, "{listed}");
}
