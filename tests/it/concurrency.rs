//! Okta retries and runs provisioning tasks in parallel: the directory must
//! hold one employee per userName whatever the interleaving, and parallel
//! updates of one user must all be applied, none lost.

use std::collections::BTreeSet;
use std::sync::Barrier;
use std::thread;

use scimdesk_tests::*;

#[test]
fn sixty_four_simultaneous_creates_of_one_user_make_one_employee() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let body = okta_user("race@corp.example", "Race", "Condition");
    let barrier = Barrier::new(64);

    let answers: Vec<Resp> = thread::scope(|scope| {
        let handles: Vec<_> = (0..64)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    okta.post("/Users", &body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let created: Vec<&Resp> = answers.iter().filter(|r| r.status == 201).collect();
    let conflicts = answers.iter().filter(|r| r.status == 409).count();
    let others: Vec<&Resp> = answers
        .iter()
        .filter(|r| r.status != 201 && r.status != 409)
        .collect();
    assert!(
        others.is_empty(),
        "only 201 or 409 expected, got {others:?}"
    );
    assert_eq!(created.len(), 1, "exactly one create wins");
    assert_eq!(conflicts, 63);
    for r in answers.iter().filter(|r| r.status == 409) {
        r.assert_scim_error(409, Some("uniqueness"));
    }

    let employees = desk.employees();
    assert_eq!(employees.len(), 1, "{}", Value::Array(employees.clone()));
    assert_eq!(employees[0]["id"], created[0].json["id"]);
    let list = okta.find_users(r#"userName eq "race@corp.example""#);
    assert_eq!(counter(list.expect(200), "totalResults"), 1, "{list}");
}

#[test]
fn thirty_two_simultaneous_creates_of_different_users_all_succeed() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let barrier = Barrier::new(32);

    let answers: Vec<Resp> = thread::scope(|scope| {
        let handles: Vec<_> = (0..32)
            .map(|i| {
                let okta = &okta;
                let barrier = &barrier;
                scope.spawn(move || {
                    let body = okta_user(&format!("p{i}@corp.example"), "Par", "Allel");
                    barrier.wait();
                    okta.post("/Users", &body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failed: Vec<&Resp> = answers.iter().filter(|r| r.status != 201).collect();
    assert!(
        failed.is_empty(),
        "every distinct user is created: {failed:?}"
    );
    assert_eq!(desk.employees().len(), 32);
}

#[test]
fn simultaneous_creates_differing_only_in_case_make_one_employee() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let variants = [
        "case@corp.example",
        "CASE@corp.example",
        "Case@Corp.Example",
        "cAsE@CORP.EXAMPLE",
    ];
    let barrier = Barrier::new(16);
    let answers: Vec<Resp> = thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (okta, barrier) = (&okta, &barrier);
                let body = okta_user(variants[i % variants.len()], "Ca", "Se");
                scope.spawn(move || {
                    barrier.wait();
                    okta.post("/Users", &body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = answers.iter().filter(|r| r.status == 201).count();
    let conflicts = answers.iter().filter(|r| r.status == 409).count();
    assert_eq!((created, conflicts), (1, 15), "{answers:?}");
    assert_eq!(desk.employees().len(), 1);
}

fn phone_numbers(user: &Value) -> BTreeSet<String> {
    user["phoneNumbers"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["value"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn roles(user: &Value) -> BTreeSet<String> {
    user["roles"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["value"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Eight clients PATCH one user at once, each adding its own phone numbers, while eight others
/// read the user and PUT it back with one more role under `If-Match`, retrying on 412. A lost
/// update would drop a phone number or a role that was answered 200.
#[test]
fn parallel_patches_and_conditional_puts_of_one_user_lose_no_update() {
    const PATCHERS: usize = 8;
    const ADDS: usize = 4;
    const PUTTERS: usize = 8;
    const ROLES: usize = 2;
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let id = id_of(&okta.create_user(&okta_user("busy@corp.example", "Bu", "Sy")));
    let path = format!("/Users/{id}");
    let barrier = Barrier::new(PATCHERS + PUTTERS);

    let stale_puts: usize = thread::scope(|scope| {
        let mut handles = Vec::new();
        for p in 0..PATCHERS {
            let (okta, path, barrier) = (&okta, &path, &barrier);
            handles.push(scope.spawn(move || {
                barrier.wait();
                for k in 0..ADDS {
                    let phone = format!("+1 555 01{p}{k}");
                    okta.patch_ops(
                        path,
                        json!([{ "op": "add", "path": "phoneNumbers",
                                 "value": [{ "value": phone, "type": "work" }] }]),
                    )
                    .expect(200);
                }
                0
            }));
        }
        for w in 0..PUTTERS {
            let (okta, path, barrier) = (&okta, &path, &barrier);
            handles.push(scope.spawn(move || {
                barrier.wait();
                let mut stale = 0;
                for k in 0..ROLES {
                    let role = format!("role-{w}-{k}");
                    let mut attempts = 0;
                    loop {
                        attempts += 1;
                        assert!(attempts <= 200, "{role}: no PUT got through in 200 tries");
                        let current = okta.get(path);
                        let etag = current.header("etag").expect("GET answers an ETag");
                        let mut user = current.expect(200).clone();
                        let mut list = user["roles"].as_array().cloned().unwrap_or_default();
                        list.push(json!({ "value": role }));
                        user["roles"] = Value::Array(list);
                        let put = okta.raw(
                            "PUT",
                            path,
                            &[("if-match", &etag)],
                            Some(serde_json::to_vec(&user).unwrap()),
                        );
                        match put.status {
                            200 => break,
                            412 => {
                                put.assert_scim_error(412, None);
                                stale += 1;
                            }
                            _ => panic!("a conditional PUT got neither 200 nor 412\n{put}"),
                        }
                    }
                }
                stale
            }));
        }
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });

    let user = okta.user(&id);
    let expected_phones: BTreeSet<String> = (0..PATCHERS)
        .flat_map(|p| (0..ADDS).map(move |k| format!("+1 555 01{p}{k}")))
        .collect();
    assert_eq!(phone_numbers(&user), expected_phones, "{user}");
    let expected_roles: BTreeSet<String> = (0..PUTTERS)
        .flat_map(|w| (0..ROLES).map(move |k| format!("role-{w}-{k}")))
        .collect();
    assert_eq!(roles(&user), expected_roles, "{user}");
    // Every answered write made one version: the ETag counts them (create + patches + puts).
    let version = 1 + PATCHERS * ADDS + PUTTERS * ROLES;
    assert_eq!(
        user["meta"]["version"],
        format!("W/\"{version}\""),
        "{user}"
    );
    eprintln!("{stale_puts} PUTs were refused as stale (412) and retried");
}

#[test]
fn if_match_with_a_stale_etag_is_refused_and_changes_nothing() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let created = okta.post("/Users", &okta_user("etag@corp.example", "E", "Tag"));
    let id = id_of(created.expect(201));
    let path = format!("/Users/{id}");
    let first = created.header("etag").expect("201 answers an ETag");

    let r = okta.patch_ops(
        &path,
        json!([{ "op": "replace", "path": "title", "value": "Engineer" }]),
    );
    let second = r.header("etag").expect("200 answers an ETag");
    assert_ne!(first, second, "a write makes a new version");

    let title = |v: &str| json!([{ "op": "replace", "path": "title", "value": v }]);
    let patch = |etag: &str, v: &str| {
        okta.raw(
            "PATCH",
            &path,
            &[("if-match", etag)],
            Some(
                serde_json::to_vec(&json!({ "schemas": [PATCH_OP], "Operations": title(v) }))
                    .unwrap(),
            ),
        )
    };
    patch(&first, "Stale").assert_scim_error(412, None);
    let mut stale_put = okta.user(&id);
    stale_put["title"] = json!("Stale Put");
    okta.raw(
        "PUT",
        &path,
        &[("if-match", &first)],
        Some(serde_json::to_vec(&stale_put).unwrap()),
    )
    .assert_scim_error(412, None);
    assert_eq!(okta.user(&id)["title"], "Engineer");

    let fresh = patch(&second, "Manager");
    fresh.expect(200);
    assert_eq!(okta.user(&id)["title"], "Manager");
    assert_eq!(desk.employee("etag@corp.example")["job_title"], "Manager");
}

/// Simultaneous creates are committed together (group commit): one that repeats an existing
/// userName gets its 409 without costing the others theirs, and nothing of it is kept.
#[test]
fn a_duplicate_among_simultaneous_creates_fails_alone() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    okta.create_user(&okta_user("taken@corp.example", "Al", "Ready"));
    let barrier = Barrier::new(32);

    let answers: Vec<(usize, Resp)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..32)
            .map(|i| {
                let (okta, barrier) = (&okta, &barrier);
                scope.spawn(move || {
                    let email = match i {
                        13 => "TAKEN@corp.example".to_owned(),
                        _ => format!("batch{i}@corp.example"),
                    };
                    let body = okta_user(&email, "Batch", &i.to_string());
                    barrier.wait();
                    (i, okta.post("/Users", &body))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, r) in &answers {
        if *i == 13 {
            r.assert_scim_error(409, Some("uniqueness"));
        } else {
            assert_eq!(r.status, 201, "create {i}: {r:?}");
            assert_eq!(
                okta.user(&id_of(&r.json))["name"]["familyName"],
                i.to_string()
            );
        }
    }
    let employees = desk.employees();
    assert_eq!(employees.len(), 32, "31 new and the one already there");
    let taken: Vec<_> = employees
        .iter()
        .filter(|e| s(e, "email").eq_ignore_ascii_case("taken@corp.example"))
        .collect();
    assert_eq!(taken.len(), 1);
    assert_eq!(s(taken[0], "first_name"), "Al");
}
