//! Each employee's change history, read as the admin reads it (`scimdesk users history --json`):
//! Okta's pushes — create, PUT, PATCH, deactivate, a manager arriving later, group membership —
//! give exactly their rows, in order, with before and after; a failed request gives none; what
//! was answered 2xx keeps its history across a `kill -9`; the activity retention prunes it; and
//! `--as-of` gives the earlier values.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use scimdesk_tests::*;

/// (method, [(field, before, after)]) of each event, oldest first.
type Timeline = Vec<(String, Vec<(String, Value, Value)>)>;

fn timeline(desk: &Desk, who: &str) -> Timeline {
    let page = desk.cli_json(&["users", "history", who]);
    let mut events: Vec<Value> = page["events"].as_array().expect("events").clone();
    events.reverse();
    events
        .iter()
        .map(|e| {
            let changes = e["changes"]
                .as_array()
                .expect("changes")
                .iter()
                .map(|c| {
                    (
                        s(c, "field").to_owned(),
                        c["before"].clone(),
                        c["after"].clone(),
                    )
                })
                .collect();
            (s(e, "method").to_owned(), changes)
        })
        .collect()
}

fn ch(field: &str, before: Option<&str>, after: Option<&str>) -> (String, Value, Value) {
    let v = |x: Option<&str>| x.map(Value::from).unwrap_or(Value::Null);
    (field.to_owned(), v(before), v(after))
}

fn maria(title: &str) -> Value {
    let mut body = okta_user("maria@corp.example", "Maria", "Lopez");
    body["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
    body["title"] = json!(title);
    body[ENTERPRISE] = json!({ "manager": { "value": "boss@corp.example" } });
    body
}

#[test]
fn an_okta_push_sequence_gives_exactly_its_history() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta prod"));

    let id = id_of(&okta.create_user(&maria("Engineer")));
    let user = format!("/Users/{id}");
    okta.put(&user, &maria("Senior Engineer")).expect(200);
    okta.patch_ops(
        &user,
        json!([{"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Sales"}]),
    )
    .expect(200);
    let before_failures = timeline(&desk, "maria@corp.example");
    // Failed requests: a PATCH with a bad path, a duplicate create. Nothing recorded.
    okta.patch_ops(
        &user,
        json!([{"op": "replace", "path": "name[", "value": "x"}]),
    )
    .assert_scim_error(400, Some("invalidPath"));
    okta.post("/Users", &maria("Duplicate"))
        .assert_scim_error(409, Some("uniqueness"));
    assert_eq!(timeline(&desk, "maria@corp.example"), before_failures);

    okta.patch_ops(
        &user,
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .expect(200);
    // The manager arrives later: Maria's "Reports to" is made by the manager's create.
    okta.create_user(&okta_user("boss@corp.example", "Bo", "Ss"));
    let group = okta
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales EMEA", "members": []}),
        )
        .expect(201)
        .clone();
    let group = format!("/Groups/{}", id_of(&group));
    okta.patch_ops(
        &group,
        json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
    )
    .expect(204);
    okta.patch_ops(
        &group,
        json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]),
    )
    .expect(204);

    let (y, n) = (Some, None);
    assert_eq!(
        timeline(&desk, "maria@corp.example"),
        vec![
            (
                "POST".to_owned(),
                vec![
                    ch("user_name", n, y("maria@corp.example")),
                    ch("email", n, y("maria@corp.example")),
                    ch("first_name", n, y("Maria")),
                    ch("last_name", n, y("Lopez")),
                    ch("display_name", n, y("Maria Lopez")),
                    ch("job_title", n, y("Engineer")),
                    ch("manager", n, y("boss@corp.example")),
                    ch("external_id", n, y(&okta_id("maria@corp.example"))),
                    ch("status", n, y("active")),
                ]
            ),
            (
                "PUT".to_owned(),
                vec![ch("job_title", y("Engineer"), y("Senior Engineer"))]
            ),
            ("PATCH".to_owned(), vec![ch("department", n, y("Sales"))]),
            (
                "PATCH".to_owned(),
                vec![ch("status", y("active"), y("deactivated"))]
            ),
            (
                "POST".to_owned(),
                vec![ch("manager_link", n, y("Bo Ss <boss@corp.example>"))]
            ),
            ("PATCH".to_owned(), vec![ch("groups", n, y("Sales EMEA"))]),
            ("PATCH".to_owned(), vec![ch("groups", y("Sales EMEA"), n)]),
        ]
    );
    // Each event says when, which connection and provider, what kind of change, in the admin's
    // words.
    let page = desk.cli_json(&["users", "history", &id]);
    let newest = &page["events"][0];
    assert_eq!(s(newest, "connection_name"), "Okta prod");
    assert_eq!(s(newest, "provider"), "okta");
    assert_eq!(s(newest, "source"), "push");
    assert_eq!(s(&newest["changes"][0], "label"), "Groups");
    let text = desk.cli_ok(&["users", "history", "maria@corp.example"]);
    for line in [
        "Job title: Engineer → Senior Engineer",
        "Department: — → Sales",
        "Status: active → deactivated",
        "Reports to: — → Bo Ss <boss@corp.example>",
        "Groups: added to Sales EMEA",
        "Groups: removed from Sales EMEA",
        "Okta push (PATCH, Okta prod)",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }

    // As of the PUT: the senior title, no department yet, active, no manager link yet.
    let put_at = s(&page["events"][5], "at").to_owned();
    assert_eq!(s(&page["events"][5], "method"), "PUT");
    let then = desk.cli_json(&["users", "history", "maria@corp.example", "--as-of", &put_at]);
    assert_eq!(s(&then, "state"), "known", "{then}");
    let value = |then: &Value, key: &str| {
        then["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == key)
            .unwrap_or_else(|| panic!("{key} in {then}"))["value"]
            .clone()
    };
    assert_eq!(value(&then, "job_title"), "Senior Engineer");
    assert_eq!(value(&then, "department"), Value::Null);
    assert_eq!(value(&then, "status"), "active");
    assert_eq!(value(&then, "manager_link"), Value::Null);
    assert_eq!(then["groups"], json!([]));
    let now = desk.cli_json(&["users", "history", &id, "--as-of", "2999-01-01"]);
    assert_eq!(value(&now, "department"), "Sales");
    assert_eq!(value(&now, "status"), "deactivated");
    assert_eq!(value(&now, "manager_link"), "Bo Ss <boss@corp.example>");
    let text = desk.cli_ok(&["users", "history", &id, "--as-of", &put_at]);
    assert!(text.contains("Job title: Senior Engineer"), "{text}");
    let before = desk.cli_json(&["users", "history", &id, "--as-of", "2020-01-01"]);
    assert_eq!(s(&before, "state"), "not_yet", "{before}");

    // A time that is not one is refused in a sentence.
    let bad = desk.cli(&["users", "history", &id, "--as-of", "last tuesday"]);
    bad.assert_code(1);
    assert!(
        bad.stderr.contains("'last tuesday' is not a time") && bad.stderr.contains("2026-12-01"),
        "{bad}"
    );
    let nobody = desk.cli(&["users", "history", "nobody@corp.example"]);
    nobody.assert_code(1);
    assert!(nobody.stderr.contains("no employee"), "{nobody}");
}

/// What Okta was answered 2xx has its history after a `kill -9`: every create its create rows,
/// every title change its row.
#[test]
fn a_kill_9_keeps_the_history_of_every_answered_write() {
    const CLIENTS: usize = 8;
    let desk = Desk::new();
    let mut server = desk.serve();
    let conn = desk.add_connection("Okta");
    // (id, title) of each write answered 2xx; the title is the one the write set.
    let answered = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (conn, answered, count) = (conn.clone(), answered.clone(), count.clone());
            thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(HTTP_TIMEOUT)
                    .no_proxy()
                    .build()
                    .expect("client");
                for i in 0..5_000 {
                    let email = format!("kill-{t}-{i}@corp.example");
                    let mut body = okta_user(&email, "Kill", &format!("{t}-{i}"));
                    body["title"] = json!("First");
                    let Ok(resp) = http
                        .post(format!("{}/Users", conn.base_url))
                        .bearer_auth(&conn.token)
                        .header("Content-Type", OKTA_CONTENT_TYPE)
                        .body(body.to_string())
                        .send()
                    else {
                        return;
                    };
                    let status = resp.status().as_u16();
                    let Ok(created) = resp.json::<Value>() else {
                        return;
                    };
                    assert_eq!(status, 201, "{created}");
                    let id = id_of(&created);
                    answered.lock().unwrap().push((id.clone(), "First".into()));
                    let patch = json!({
                        "schemas": [PATCH_OP],
                        "Operations": [{"op": "replace", "path": "title", "value": "Second"}]
                    });
                    let Ok(resp) = http
                        .patch(format!("{}/Users/{id}", conn.base_url))
                        .bearer_auth(&conn.token)
                        .header("Content-Type", OKTA_CONTENT_TYPE)
                        .body(patch.to_string())
                        .send()
                    else {
                        return;
                    };
                    let status = resp.status().as_u16();
                    if resp.bytes().is_err() {
                        return;
                    }
                    assert_eq!(status, 200);
                    answered.lock().unwrap().push((id, "Second".into()));
                    count.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    eventually_within(
        Duration::from_secs(120),
        "60 creates and patches were answered",
        || match count.load(Ordering::SeqCst) {
            n if n >= 60 => Ok(()),
            n => Err(format!("{n} answered")),
        },
    );
    server.kill9();
    for c in clients {
        c.join().expect("a client thread panicked");
    }
    server.restart();
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 120);
    // Straight from the database, every answered write at once (a CLI run each would be slow);
    // a sample through the CLI below.
    let db = rusqlite::Connection::open_with_flags(
        desk.data_dir().join("scimdesk.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the database read-only");
    let mut has = db
        .prepare(
            "SELECT COUNT(*) FROM employee_history h JOIN employees e ON e.seq = h.employee_seq \
             JOIN activity a ON a.seq = h.activity_seq \
             WHERE e.id = ?1 AND h.field = 'job_title' AND h.after = ?2 AND a.outcome = 'success'",
        )
        .unwrap();
    for (id, title) in &answered {
        let n: i64 = has
            .query_row(rusqlite::params![id, title], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "{id}: the write of title {title} was answered 2xx");
    }
    let (id, _) = &answered[0];
    let events = timeline(&desk, id);
    assert_eq!(events[0].0, "POST");
    assert!(events[0].1.contains(&ch("status", None, Some("active"))));
    assert_eq!(
        events[1],
        (
            "PATCH".to_owned(),
            vec![ch("job_title", Some("First"), Some("Second"))]
        )
    );
}

/// The activity retention prunes the history with the lines it belongs to; an "as of" before
/// what is kept says so.
#[test]
fn the_activity_retention_prunes_the_history() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let id = id_of(&okta.create_user(&okta_user("old@corp.example", "Old", "Timer")));
    desk.cli_ok(&["dev", "seed-activity", "150"]);
    okta.put(
        &format!("/Users/{id}"),
        &json!({"schemas": [USER_SCHEMA], "userName": "old@corp.example", "title": "Kept"}),
    )
    .expect(200);
    assert_eq!(timeline(&desk, &id).len(), 2);
    // 152 lines; the log keeps the newest 100: the create's line and its history go, with 51
    // of the seeded lines.
    desk.cli_ok(&["config", "set", "activity-retention-lines", "100"]);
    eventually("the create's history is pruned", || {
        match timeline(&desk, &id) {
            t if t.len() == 1 => Ok(t),
            t => Err(format!("{} events", t.len())),
        }
    });
    assert_eq!(
        timeline(&desk, &id),
        vec![(
            "PUT".to_owned(),
            vec![
                ch("first_name", Some("Old"), None),
                ch("last_name", Some("Timer"), None),
                ch("display_name", Some("Old Timer"), None),
                ch("job_title", None, Some("Kept")),
                ch("external_id", Some(&okta_id("old@corp.example")), None),
            ]
        )]
    );
    // Kept since the newest line pruned (a seeded one, after the employee arrived): an "as of"
    // between the two cannot be told, and says so.
    let page = desk.cli_json(&["users", "history", &id]);
    let created_at = s(&desk.employee("old@corp.example"), "created_at").to_owned();
    assert!(s(&page, "kept_since") > created_at.as_str(), "{page}");
    let then = desk.cli_json(&["users", "history", &id, "--as-of", &created_at]);
    assert_eq!(s(&then, "state"), "before_history", "{then}");
    assert_eq!(then["fields"], json!([]));
    let text = desk.cli_ok(&["users", "history", &id, "--as-of", &created_at]);
    assert!(text.contains("changes are kept since"), "{text}");

    // 100 newer lines: the PUT's goes too.
    desk.cli_ok(&["dev", "seed-activity", "100"]);
    eventually("the PUT's history is pruned", || {
        match timeline(&desk, &id) {
            t if t.is_empty() => Ok(()),
            t => Err(format!("{} events", t.len())),
        }
    });
}
