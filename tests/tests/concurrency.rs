//! Okta retries and runs provisioning tasks in parallel: the directory must
//! hold one employee per userName whatever the interleaving.

use std::sync::Barrier;
use std::thread;

use scimdesk_tests::*;

#[test]
fn thirty_two_simultaneous_creates_of_one_user_make_one_employee() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let body = okta_user("race@corp.example", "Race", "Condition");
    let barrier = Barrier::new(32);

    let answers: Vec<Resp> = thread::scope(|scope| {
        let handles: Vec<_> = (0..32)
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
    assert_eq!(conflicts, 31);
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
