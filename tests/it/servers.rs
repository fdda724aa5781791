//! Several `scimdesk serve` on one PostgreSQL database, as behind a load balancer: what one
//! server does, the other sees on its next request; duplicates split across them still make one
//! employee; a server killed under load loses no create it acknowledged, and the other serves on.
//!
//! Each test runs on a fresh database of the test PostgreSQL (`scripts/with-postgres.sh`), and
//! skips with the reason printed where there is none.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;

use scimdesk_tests::*;

/// Two servers (two data directories, one database) and a connection both serve.
struct Pair {
    a: Desk,
    b: Desk,
    server_a: Server,
    server_b: Server,
    connection: Connection,
}

impl Pair {
    fn start() -> Option<Pair> {
        let a = Desk::on_fresh_postgres()?;
        let b = a.sharing().expect("a shares its PostgreSQL database");
        let connection = a.add_connection("Okta");
        let server_a = a.serve();
        let server_b = b.serve();
        Some(Pair {
            a,
            b,
            server_a,
            server_b,
            connection,
        })
    }

    /// Okta, talking to `server`.
    fn okta(&self, server: &Server) -> Okta {
        Okta::new(
            &format!("{}/scim/v2/{}", server.origin(), self.connection.id),
            &self.connection.token,
        )
    }
}

#[test]
fn sixty_four_duplicate_creates_split_across_two_servers_make_one_employee() {
    let Some(pair) = Pair::start() else {
        return;
    };
    let (okta_a, okta_b) = (pair.okta(&pair.server_a), pair.okta(&pair.server_b));
    let body = okta_user("race@corp.example", "Race", "Condition");
    let barrier = Barrier::new(64);
    let answers: Vec<Resp> = thread::scope(|scope| {
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let okta = if i % 2 == 0 { &okta_a } else { &okta_b };
                let (barrier, body) = (&barrier, &body);
                scope.spawn(move || {
                    barrier.wait();
                    okta.post("/Users", body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created: Vec<&Resp> = answers.iter().filter(|r| r.status == 201).collect();
    let others: Vec<&Resp> = answers
        .iter()
        .filter(|r| r.status != 201 && r.status != 409)
        .collect();
    assert!(others.is_empty(), "only 201 or 409: {others:?}");
    assert_eq!(
        created.len(),
        1,
        "exactly one create wins across both servers"
    );
    for r in answers.iter().filter(|r| r.status == 409) {
        r.assert_scim_error(409, Some("uniqueness"));
    }
    // Both servers, and the admin on either data directory, see the one employee.
    for okta in [&okta_a, &okta_b] {
        let list = okta.find_users(r#"userName eq "race@corp.example""#);
        assert_eq!(counter(list.expect(200), "totalResults"), 1, "{list}");
    }
    assert_eq!(pair.a.employees().len(), 1);
    assert_eq!(pair.b.employees()[0]["id"], created[0].json["id"]);
}

#[test]
fn a_connection_deleted_through_one_server_is_refused_by_the_other_at_once() {
    let Some(pair) = Pair::start() else {
        return;
    };
    let okta_b = pair.okta(&pair.server_b);
    let made = okta_b.post(
        "/Users",
        &okta_user("kept@corp.example", "Kept", "Employee"),
    );
    made.expect(201);
    // Another server's admin deletes the connection: the next request to this one is refused.
    pair.b
        .cli_ok(&["connection", "delete", &pair.connection.id]);
    okta_b.get("/Users?count=1").assert_scim_error(401, None);
    pair.okta(&pair.server_a)
        .get("/Users?count=1")
        .assert_scim_error(401, None);
    // The employees it synced stay.
    let kept = pair.a.employee("kept@corp.example");
    assert_eq!(kept["status"], "active");
}

#[test]
fn a_change_through_one_server_is_what_the_other_answers_next() {
    let Some(pair) = Pair::start() else {
        return;
    };
    let (okta_a, okta_b) = (pair.okta(&pair.server_a), pair.okta(&pair.server_b));
    let user = okta_a.create_user(&okta_user("moved@corp.example", "Moved", "Person"));
    let id = user["id"].as_str().unwrap();
    // B has answered (and cached) the list once; A deactivates the user; B answers the change.
    okta_b.get("/Users?count=10").expect(200);
    okta_a
        .patch_ops(
            &format!("/Users/{id}"),
            serde_json::json!([{"op": "replace", "value": {"active": false}}]),
        )
        .expect(200);
    assert_eq!(okta_b.user(id)["active"], false);
    let listed = okta_b.find_users(r#"userName eq "moved@corp.example""#);
    assert_eq!(
        listed.expect(200)["Resources"][0]["active"],
        false,
        "{listed}"
    );
}

#[test]
fn a_server_killed_under_load_loses_no_acknowledged_create_and_the_other_serves_on() {
    let Some(mut pair) = Pair::start() else {
        return;
    };
    let (okta_a, okta_b) = (pair.okta(&pair.server_a), pair.okta(&pair.server_b));
    let acknowledged: Mutex<BTreeSet<String>> = Mutex::default();
    let stop = AtomicBool::new(false);
    // Creates answered by B after A died: the survivor keeps serving.
    let after_kill = std::sync::atomic::AtomicUsize::new(0);
    let killed = AtomicBool::new(false);
    thread::scope(|scope| {
        for client in 0..16 {
            let okta = if client % 2 == 0 { &okta_a } else { &okta_b };
            let (acknowledged, stop, after_kill, killed) =
                (&acknowledged, &stop, &after_kill, &killed);
            scope.spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let email = format!("load-{client}-{n}@corp.example");
                    n += 1;
                    let answer = okta.try_post("/Users", &okta_user(&email, "Load", "Test"));
                    if answer.is_some_and(|r| r.status == 201) {
                        acknowledged.lock().unwrap().insert(email);
                        if killed.load(Ordering::SeqCst) && client % 2 == 1 {
                            after_kill.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
        // Kill A once the load has made some employees through both servers.
        wait::until("both servers have acknowledged creates", || {
            let made = acknowledged.lock().unwrap();
            let through = |parity: usize| {
                made.iter().any(|e| {
                    e.split('-')
                        .nth(1)
                        .and_then(|c| c.parse::<usize>().ok())
                        .is_some_and(|c| c % 2 == parity)
                })
            };
            made.len() >= 40 && through(0) && through(1)
        });
        pair.server_a.kill9();
        killed.store(true, Ordering::SeqCst);
        wait::until("the other server keeps acknowledging creates", || {
            after_kill.load(Ordering::SeqCst) >= 20
        });
        stop.store(true, Ordering::SeqCst);
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    let stored: BTreeSet<String> = pair
        .b
        .employees()
        .iter()
        .map(|e| e["email"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged creates lost: {lost:?}");
    // A started again serves the same directory.
    pair.server_a.restart();
    let some = acknowledged.iter().next().unwrap();
    let found = okta_a.find_users(&format!(r#"userName eq "{some}""#));
    assert_eq!(counter(found.expect(200), "totalResults"), 1, "{found}");
}
