//! "Never loses an employee": a `kill -9` in the middle of Okta's parallel creates loses no write
//! that was answered 201, duplicates nothing, and leaves a sound database.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use scimdesk_tests::*;

const CLIENTS: usize = 8;
/// Kill once this many creates were answered: the load is still running then.
const KILL_AFTER: usize = 150;

#[test]
fn kill_9_during_parallel_creates_loses_no_answered_write() {
    let desk = Desk::new();
    let mut server = desk.serve();
    let conn = desk.add_connection("Okta");

    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (conn, acknowledged, answered) =
                (conn.clone(), acknowledged.clone(), answered.clone());
            thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .no_proxy()
                    .build()
                    .expect("client");
                for i in 0..5_000 {
                    let email = format!("load-{t}-{i}@corp.example");
                    let sent = http
                        .post(format!("{}/Users", conn.base_url))
                        .bearer_auth(&conn.token)
                        .header("Content-Type", OKTA_CONTENT_TYPE)
                        .body(okta_user(&email, "Load", &format!("{t}-{i}")).to_string())
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

    let started = Instant::now();
    while answered.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the load never reached {KILL_AFTER} creates"
        );
        thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    for c in clients {
        c.join().expect("a client thread panicked");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= KILL_AFTER);

    server.restart();
    let employees = desk.employees();
    let mut seen = HashSet::new();
    for e in &employees {
        assert!(
            seen.insert(s(e, "email").to_ascii_lowercase()),
            "employee {} is in the directory twice",
            s(e, "email")
        );
    }
    let okta = Okta::for_connection(&conn);
    for (email, id) in &acknowledged {
        let e = employees
            .iter()
            .find(|e| s(e, "id") == id)
            .unwrap_or_else(|| {
                panic!("{email} was answered 201 as {id} but is gone after kill -9")
            });
        assert_eq!(s(e, "email"), email.as_str());
        assert_eq!(okta.user(id)["userName"], email.as_str());
    }

    let db = rusqlite::Connection::open_with_flags(
        desk.data_dir().join("scimdesk.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the database read-only");
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok");

    // And the endpoint takes writes again.
    okta.create_user(&okta_user("after-crash@corp.example", "After", "Crash"));
}
