//! "Never loses an employee": a `kill -9` in the middle of Okta's parallel creates loses no write
//! that was answered 201, duplicates nothing, and leaves a sound database — at several points of
//! the load, each after a restart on the database the previous kill left behind.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use scimdesk_tests::*;

const CLIENTS: usize = 16;
/// Each round kills the server once this many of its creates were answered: the load is still
/// running then. Different points, so a kill lands at different moments of the write path.
const KILL_AFTER: [usize; 3] = [40, 150, 90];

/// Parallel creates until the server dies; returns (email, id) of every create answered 201.
fn load_until_killed(
    server: &mut Server,
    conn: &Connection,
    round: usize,
    kill_after: usize,
) -> Vec<(String, String)> {
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (conn, acknowledged, answered) =
                (conn.clone(), acknowledged.clone(), answered.clone());
            thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(HTTP_TIMEOUT)
                    .no_proxy()
                    .build()
                    .expect("client");
                for i in 0..5_000 {
                    let email = format!("load-{round}-{t}-{i}@corp.example");
                    let sent = http
                        .post(format!("{}/Users", conn.base_url))
                        .bearer_auth(&conn.token)
                        .header("Content-Type", OKTA_CONTENT_TYPE)
                        .body(okta_user(&email, "Load", &format!("{round}-{t}-{i}")).to_string())
                        .send();
                    // A reset connection or a half-read answer is a write Okta never saw
                    // succeed; Okta would retry it. Only a complete 201 counts.
                    let Ok(resp) = sent else { return };
                    let status = resp.status().as_u16();
                    let Ok(body) = resp.json::<Value>() else {
                        return;
                    };
                    assert_eq!(status, 201, "unexpected answer before the kill: {body}");
                    acknowledged.lock().unwrap().push((email, id_of(&body)));
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();

    eventually_within(
        Duration::from_secs(120),
        &format!("round {round}: the load reached {kill_after} creates"),
        || match answered.load(Ordering::SeqCst) {
            n if n >= kill_after => Ok(()),
            n => Err(format!("{n} creates")),
        },
    );
    server.kill9();
    for c in clients {
        c.join().expect("a client thread panicked");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= kill_after);
    acknowledged
}

fn integrity_check(desk: &Desk) -> String {
    let db = rusqlite::Connection::open_with_flags(
        desk.data_dir().join("scimdesk.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the database read-only");
    db.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

#[test]
fn kill_9_during_parallel_creates_loses_no_answered_write() {
    let desk = Desk::new();
    let mut server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    let mut acknowledged: Vec<(String, String)> = Vec::new();

    for (round, kill_after) in KILL_AFTER.into_iter().enumerate() {
        acknowledged.extend(load_until_killed(&mut server, &conn, round, kill_after));
        server.restart();

        let employees = desk.employees();
        let mut emails = HashSet::new();
        let mut ids = HashSet::new();
        for e in &employees {
            assert!(
                emails.insert(s(e, "email").to_ascii_lowercase()),
                "round {round}: employee {} is in the directory twice",
                s(e, "email")
            );
            assert!(ids.insert(s(e, "id").to_string()), "id twice: {e}");
        }
        for (email, id) in &acknowledged {
            let e = employees
                .iter()
                .find(|e| s(e, "id") == id)
                .unwrap_or_else(|| {
                    panic!(
                        "round {round}: {email} was answered 201 as {id} but is gone after kill -9"
                    )
                });
            assert_eq!(s(e, "email"), email.as_str());
        }
        // Okta sees them too, spot-checked (every one would take long).
        for (email, id) in acknowledged.iter().step_by(25) {
            assert_eq!(okta.user(id)["userName"], email.as_str());
        }
        assert_eq!(integrity_check(&desk), "ok", "round {round}");
    }

    // And the endpoint takes writes again.
    okta.create_user(&okta_user("after-crash@corp.example", "After", "Crash"));
}
