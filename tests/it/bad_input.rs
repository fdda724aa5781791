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
