//! The rest of the SCIM surface Okta and Entra touch: Entra's PATCH dialect,
//! versions, search, discovery, DELETE, projection and sorting.

use std::collections::HashSet;

use scimdesk_tests::*;

/// The conversation is `tests/fixtures/entra/patch_dialect.json`; between its steps, what the
/// admin sees in the directory.
#[test]
fn entra_patch_dialect_is_understood() {
    let desk = Desk::new();
    let _server = desk.serve();
    let entra = Okta::for_connection(&desk.add_connection("Entra"));
    let mut dialect = entra.conversation("entra/patch_dialect.json");
    entra.replay(&mut dialect, Some("disable"));
    assert_eq!(desk.employee("eve@corp.example")["status"], "deactivated");
    entra.replay(&mut dialect, None);
    let employee = desk.employee("eve@corp.example");
    assert_eq!(employee["first_name"], "Evelyn");
    assert_eq!(employee["employee_id"], "E-77");
    assert_eq!(employee["department"], "Legal");
    assert_eq!(employee["manager_email"], "boss@corp.example");
    assert_eq!(employee["status"], "active");
}

#[test]
fn versions_are_weak_etags_and_a_stale_if_match_is_refused() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let created = okta.post("/Users", &okta_user("ver@corp.example", "Ver", "Sion"));
    let user = created.expect(201).clone();
    let id = id_of(&user);
    let path = format!("/Users/{id}");
    let v1 = user["meta"]["version"]
        .as_str()
        .expect("meta.version")
        .to_string();
    assert!(v1.starts_with("W/\""), "weak ETag: {v1}");
    assert_eq!(
        created.header("etag").as_deref(),
        Some(v1.as_str()),
        "{created}"
    );

    let got = okta.get(&path);
    assert_eq!(got.header("etag").as_deref(), Some(v1.as_str()), "{got}");

    // A PUT carrying the current version succeeds and makes a new one.
    let mut changed = user.clone();
    changed["title"] = json!("Auditor");
    let put = okta.raw(
        "PUT",
        &path,
        &[("If-Match", &v1)],
        Some(serde_json::to_vec(&changed).unwrap()),
    );
    let v2 = put.expect(200)["meta"]["version"]
        .as_str()
        .expect("meta.version")
        .to_string();
    assert_ne!(v1, v2, "an update changes the version");
    assert_eq!(put.header("etag").as_deref(), Some(v2.as_str()), "{put}");

    // The stale one is refused and changes nothing.
    changed["title"] = json!("Stale Write");
    okta.raw(
        "PUT",
        &path,
        &[("If-Match", &v1)],
        Some(serde_json::to_vec(&changed).unwrap()),
    )
    .assert_scim_error(412, None);
    let patch = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "title", "value": "Stale" }] });
    okta.raw(
        "PATCH",
        &path,
        &[("If-Match", &v1)],
        Some(serde_json::to_vec(&patch).unwrap()),
    )
    .assert_scim_error(412, None);
    assert_eq!(okta.user(&id)["title"], "Auditor");
    assert_eq!(desk.employee("ver@corp.example")["job_title"], "Auditor");
}

#[test]
fn search_by_post() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let id = id_of(&okta.create_user(&okta_user("find.me@corp.example", "Find", "Me")));
    okta.create_user(&okta_user("not.me@corp.example", "Not", "Me"));
    let gid = id_of(
        okta.post(
            "/Groups",
            &json!({ "schemas": [GROUP_SCHEMA], "displayName": "Ops", "members": [] }),
        )
        .expect(201),
    );

    let search = |filter: &str| json!({ "schemas": [SEARCH_REQUEST], "filter": filter, "startIndex": 1, "count": 10 });
    let r = okta.post(
        "/Users/.search",
        &search(r#"userName eq "FIND.ME@corp.example""#),
    );
    r.assert_scim_json();
    let body = r.expect(200);
    assert_eq!(counter(body, "totalResults"), 1, "{r}");
    assert_eq!(ids(body), vec![id.clone()], "{r}");

    let r = okta.post("/Groups/.search", &search(r#"displayName eq "Ops""#));
    assert_eq!(ids(r.expect(200)), vec![gid.clone()], "{r}");

    // Root search spans users and groups.
    let r = okta.post(
        "/.search",
        &json!({ "schemas": [SEARCH_REQUEST], "startIndex": 1, "count": 100 }),
    );
    let body = r.expect(200);
    assert_eq!(counter(body, "totalResults"), 3, "{r}");
    let all: HashSet<String> = ids(body).into_iter().collect();
    assert!(all.contains(&id) && all.contains(&gid), "{r}");

    okta.post("/Users/.search", &search("userName eq"))
        .assert_scim_error(400, Some("invalidFilter"));
}

#[test]
fn discovery_describes_what_the_server_does() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));

    let spc = okta.get("/ServiceProviderConfig");
    spc.assert_scim_json();
    let body = spc.expect(200);
    assert_eq!(body["patch"]["supported"], true, "{spc}");
    assert_eq!(body["bulk"]["supported"], false, "{spc}");
    assert_eq!(body["filter"]["supported"], true, "{spc}");
    assert!(body["filter"]["maxResults"].as_u64().is_some(), "{spc}");
    assert!(
        body["authenticationSchemes"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{spc}"
    );

    let schemas = okta.get("/Schemas");
    let body = schemas.expect(200);
    assert_eq!(counter(body, "totalResults"), 3, "{schemas}");
    let schema_ids: HashSet<String> = ids(body).into_iter().collect();
    for urn in [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE] {
        assert!(
            schema_ids.contains(urn),
            "{urn} missing from /Schemas\n{schemas}"
        );
        let one = okta.get(&format!("/Schemas/{urn}"));
        assert_eq!(one.expect(200)["id"], urn, "{one}");
    }
    okta.get("/Schemas/urn:example:nope")
        .assert_scim_error(404, None);

    let types = okta.get("/ResourceTypes");
    let body = types.expect(200);
    assert_eq!(counter(body, "totalResults"), 2, "{types}");
    let user_type = okta.get("/ResourceTypes/User");
    let ut = user_type.expect(200);
    assert_eq!(ut["endpoint"], "/Users", "{user_type}");
    assert_eq!(ut["schema"], USER_SCHEMA, "{user_type}");
    assert!(
        ut["schemaExtensions"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["schema"] == ENTERPRISE)),
        "{user_type}"
    );
    let group_type = okta.get("/ResourceTypes/Group");
    assert_eq!(
        group_type.expect(200)["endpoint"],
        "/Groups",
        "{group_type}"
    );

    okta.post("/Bulk", &json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [] }))
        .assert_scim_error(501, None);
}

#[test]
fn delete_user_hides_it_from_scim_but_the_admin_sees_it_removed() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let id = id_of(&okta.create_user(&okta_user("gone@corp.example", "Gone", "Soon")));
    let path = format!("/Users/{id}");

    let del = okta.delete(&path);
    assert_eq!(del.status, 204, "{del}");
    assert!(del.text.is_empty(), "204 has no body: {del}");
    okta.get(&path).assert_scim_error(404, None);
    okta.delete(&path).assert_scim_error(404, None);
    // The admin still sees who was removed: `users list --json` lists every
    // employee, with status `removed` for this one.
    let employees = desk.employees();
    let employee = employees
        .iter()
        .find(|e| e["email"] == "gone@corp.example")
        .unwrap_or_else(|| {
            panic!(
                "`users list --json` should still list the removed employee, got {}",
                Value::Array(employees.clone())
            )
        });
    assert_eq!(employee["status"], "removed");
    assert_eq!(employee["id"], id.as_str());
}

#[test]
fn attribute_projection_and_sorting() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    for email in [
        "bravo@corp.example",
        "alpha@corp.example",
        "charlie@corp.example",
    ] {
        okta.create_user(&okta_user(email, "N", "N"));
    }

    let r = okta.get("/Users?attributes=userName");
    let users = resources(r.expect(200));
    assert_eq!(users.len(), 3, "{r}");
    for u in &users {
        assert!(u["id"].is_string(), "id is always returned: {u}");
        assert!(u["userName"].is_string(), "{u}");
        assert!(u.get("name").is_none(), "only userName was asked for: {u}");
        assert!(
            u.get("emails").is_none(),
            "only userName was asked for: {u}"
        );
    }

    let r = okta.get("/Users?sortBy=userName&sortOrder=descending");
    let names: Vec<String> = resources(r.expect(200))
        .iter()
        .map(|u| s(u, "userName").to_string())
        .collect();
    assert_eq!(
        names,
        [
            "charlie@corp.example",
            "bravo@corp.example",
            "alpha@corp.example"
        ],
        "{r}"
    );
    let r = okta.get("/Users?sortBy=userName");
    let first = resources(r.expect(200))[0].clone();
    assert_eq!(first["userName"], "alpha@corp.example", "{r}");

    // The same projection on a single resource.
    let one = okta.get(&format!(
        "/Users/{}?attributes=userName",
        s(&users[0], "id")
    ));
    assert!(one.expect(200).get("name").is_none(), "{one}");
}

/// A load balancer's checks on a real listener: answered without a token, one word of plain
/// text, and not written to the request log (Okta's requests stay readable there).
#[test]
fn health_and_readiness_are_served_beside_the_scim_endpoint() {
    let desk = Desk::new();
    let server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let client = reqwest::blocking::Client::new();
    for (path, word) in [("/health", "ok"), ("/ready", "ready")] {
        let answer = client
            .get(format!("{}{path}", server.origin()))
            .send()
            .expect("an answer");
        assert_eq!(answer.status().as_u16(), 200, "{path}");
        assert!(answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        assert_eq!(answer.text().unwrap(), word, "{path}");
    }
    // The next request Okta makes is logged; the checks before it were not.
    okta.get("/Users?startIndex=1&count=1").expect(200);
    let logged = server.wait_for_stderr("/Users");
    assert!(
        !logged.contains("/health") && !logged.contains("/ready"),
        "{logged}"
    );
}
