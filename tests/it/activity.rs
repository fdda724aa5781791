//! The activity log and each connection's last contact: what the admin reads to know that Okta's
//! pushes worked, and why one failed — never with a token in it.

use scimdesk_tests::*;

fn activity(desk: &Desk) -> Vec<Value> {
    desk.cli_json(&["activity", "list", "--limit", "100"])
        .as_array()
        .cloned()
        .expect("activity list --json is an array")
}

fn summaries(desk: &Desk) -> Vec<String> {
    activity(desk)
        .iter()
        .map(|a| format!("{} {} {}", s(a, "outcome"), a["status"], s(a, "summary")))
        .collect()
}

#[test]
fn every_write_is_a_readable_line_with_its_outcome() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta production");
    let okta = Okta::for_connection(&conn);

    let jane = okta.create_user(&okta_user("jane.doe@corp.example", "Jane", "Doe"));
    let id = id_of(&jane);
    let mut put = okta.user(&id);
    put["active"] = json!(false);
    okta.put(&format!("/Users/{id}"), &put).expect(200);
    okta.post("/Users", &okta_user("jane.doe@corp.example", "Jane", "Doe"))
        .assert_scim_error(409, Some("uniqueness"));
    okta.raw(
        "POST",
        "/Users",
        &[("Content-Type", OKTA_CONTENT_TYPE)],
        Some(b"{\"userName\": ".to_vec()),
    )
    .assert_scim_error(400, Some("invalidSyntax"));

    let lines = summaries(&desk);
    // Newest first.
    assert!(
        lines[0].starts_with("failure 400 Could not create a user"),
        "{lines:#?}"
    );
    assert!(
        lines[1].starts_with("failure 409 Could not create jane.doe@corp.example"),
        "{lines:#?}"
    );
    assert_eq!(
        lines[2],
        "success 200 Deactivated Jane Doe (jane.doe@corp.example)"
    );
    assert_eq!(
        lines[3],
        "success 201 Created Jane Doe (jane.doe@corp.example)"
    );

    let entries = activity(&desk);
    assert!(
        s(&entries[0], "detail").contains("not valid JSON"),
        "{:#}",
        entries[0]
    );
    assert!(
        s(&entries[1], "detail").contains("already exists"),
        "{:#}",
        entries[1]
    );
    for e in &entries {
        assert_eq!(s(e, "connection_name"), "Okta production");
        assert_eq!(s(e, "connection_id"), conn.id.as_str());
    }
    assert_eq!(s(&entries[2], "employee_id"), id.as_str());

    let failures = desk.cli_json(&["activity", "list", "--failures"]);
    assert_eq!(failures.as_array().unwrap().len(), 2);
}

#[test]
fn the_token_never_reaches_the_activity_log_or_the_server_log() {
    let desk = Desk::new();
    let server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    okta.create_user(&okta_user("a@corp.example", "A", "A"));
    okta.post("/Users", &json!({"name": {"givenName": "No user name"}}))
        .assert_scim_error(400, Some("invalidValue"));
    okta.with_authorization(Some(&format!("Bearer {}x", conn.token)))
        .get("/Users")
        .assert_scim_error(401, None);

    let log = activity(&desk);
    assert!(!log.is_empty());
    // The server logs its requests, the refused one last; its log is written in batches.
    let server_log = server.wait_for_stderr("status=401");
    assert!(server_log.contains("/Users"), "{server_log}");
    let everything = format!(
        "{}{}{}{}",
        serde_json::to_string(&log).unwrap(),
        desk.cli_ok(&["connection", "list", "--json"]),
        server.stdout(),
        server_log
    );
    assert!(
        !everything.contains(&conn.token),
        "the token leaked into a log"
    );
}

/// The connection's last contact, polled: it is written off the request's path.
fn last_contact(desk: &Desk, id: &str, status: u64) -> Value {
    eventually(&format!("the last contact became {status}"), || {
        let list = desk.cli_json(&["connection", "list"]);
        let c = list
            .as_array()
            .unwrap()
            .iter()
            .find(|c| s(c, "id") == id)
            .cloned()
            .expect("the connection is listed");
        if c["last_contact_status"] == json!(status) {
            Ok(c)
        } else {
            Err(format!("{c:#}"))
        }
    })
}

/// The connection as `connection list --json` shows it once `ready` holds.
fn connection_when(desk: &Desk, id: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    eventually(what, || {
        let list = desk.cli_json(&["connection", "list"]);
        let c = list
            .as_array()
            .unwrap()
            .iter()
            .find(|c| s(c, "id") == id)
            .cloned()
            .expect("the connection is listed");
        if ready(&c) {
            Ok(c)
        } else {
            Err(format!("{c:#}"))
        }
    })
}

/// Okta's last contact is set by Okta's requests only. A request with a wrong token (a stale one
/// in Okta, or a stranger who knows the base URL) is counted on the connection as a refused
/// request, with the time of the last one; it never makes the admin believe Okta is calling.
#[test]
fn a_connection_shows_when_okta_last_reached_it_and_refused_tokens_apart() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta");
    let other = desk.add_connection("Other");
    let before = desk.cli_json(&["connection", "list"]);
    assert_eq!(before[0]["last_contact_at"], Value::Null);
    assert_eq!(before[0]["refused_count"], 0, "{before}");

    // A stranger tries a token before Okta ever called.
    let okta = Okta::for_connection(&conn);
    let stranger = okta.with_authorization(Some("Bearer guessed-token"));
    stranger
        .get("/Users?startIndex=1&count=2")
        .assert_scim_error(401, None);
    let refused = connection_when(&desk, &conn.id, "one refused request counted", |c| {
        c["refused_count"] == json!(1)
    });
    assert!(refused["last_refused_at"].is_string(), "{refused:#}");
    assert_eq!(
        refused["last_contact_at"],
        Value::Null,
        "Okta never called: {refused:#}"
    );

    okta.get("/Users?startIndex=1&count=2").expect(200);
    let ok = last_contact(&desk, &conn.id, 200);
    assert!(ok["last_contact_at"].is_string());
    assert_eq!(ok["last_contact_detail"], Value::Null);

    // More guesses (and another connection's token at this URL) are summed into the count, and
    // Okta's last contact stays what Okta's own request left.
    for _ in 0..9 {
        stranger.get("/Users").assert_scim_error(401, None);
    }
    okta.with_authorization(Some(&format!("Bearer {}", other.token)))
        .get("/Users")
        .assert_scim_error(401, None);
    let refused = connection_when(&desk, &conn.id, "eleven refused requests counted", |c| {
        c["refused_count"] == json!(11)
    });
    assert_eq!(refused["last_contact_status"], 200, "{refused:#}");
    assert_eq!(
        refused["last_contact_at"], ok["last_contact_at"],
        "{refused:#}"
    );
    assert!(
        refused["last_refused_at"].as_str() > ok["last_contact_at"].as_str(),
        "{refused:#}"
    );
    let text = desk.cli_ok(&["connection", "list"]);
    assert!(
        text.contains("11 requests refused for a wrong or missing token, the last at"),
        "{text}"
    );
    // The other connection was not touched by its token being tried elsewhere.
    let untouched = connection_when(&desk, &other.id, "the other connection listed", |_| true);
    assert_eq!(untouched["refused_count"], 0, "{untouched:#}");
}

/// A userName of a hundred thousand characters makes a short 409 for Okta and short lines in
/// the activity log: values quoted in an error are cut to 100 characters, and a line stores at
/// most 500 characters of summary and of detail.
#[test]
fn a_huge_user_name_makes_a_short_error_and_a_short_activity_line() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let huge = format!("{}@corp.example", "a".repeat(100_000));
    let mut user = okta_user("huge@corp.example", "Huge", "Name");
    user["userName"] = json!(huge);
    okta.post("/Users", &user).expect(201);
    let conflict = okta.post("/Users", &user);
    conflict.assert_scim_error(409, Some("uniqueness"));
    let detail = s(&conflict.json, "detail");
    assert!(
        detail.chars().count() < 400,
        "a {}-character detail",
        detail.len()
    );
    assert!(detail.contains("aaaa…"), "{detail}");

    let lines = activity(&desk);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for line in &lines {
        for field in ["summary", "detail"] {
            let text = line[field].as_str().unwrap_or_default();
            assert!(
                text.chars().count() <= 500,
                "a {}-character {field}",
                text.chars().count()
            );
        }
    }
    assert!(s(&lines[0], "summary").starts_with("Could not create aaaa"));
    assert!(s(&lines[0], "summary").ends_with('…'));
    assert!(s(&lines[1], "summary").starts_with("Created Huge Name (aaaa"));
}

/// How large the activity log is, from `config show --json`.
fn log_lines(desk: &Desk) -> u64 {
    desk.cli_json(&["config", "show"])["activity_log"]["lines"]
        .as_u64()
        .expect("config show reports the activity log's size")
}

/// The log keeps what the retention says: lines older than `activity-retention-days` (180 by
/// default) and beyond the newest `activity-retention-lines` are pruned by the running
/// endpoint, also after a setting changed in another process.
#[test]
fn activity_beyond_the_retention_is_pruned_in_the_background() {
    let desk = Desk::new();
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(
        shown["activity_retention"],
        json!({"days": 180, "lines": 1_000_000}),
        "{shown}"
    );
    // Half a year and more of history.
    desk.cli_ok(&["dev", "seed-activity", "3000", "--days-ago", "200"]);
    desk.cli_ok(&["dev", "seed-activity", "2", "--days-ago", "170"]);
    assert_eq!(log_lines(&desk), 3002);
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    okta.create_user(&okta_user("kept@corp.example", "Kept", "Line"));
    eventually(
        "the lines older than 180 days are pruned",
        || match log_lines(&desk) {
            3 => Ok(()),
            n => Err(format!("{n} lines")),
        },
    );
    let kept = activity(&desk);
    assert_eq!(
        s(&kept[0], "summary"),
        "Created Kept Line (kept@corp.example)"
    );

    // The admin keeps fewer lines; the running endpoint follows.
    desk.cli_ok(&["config", "set", "activity-retention-lines", "100"]);
    desk.cli_ok(&["dev", "seed-activity", "500"]);
    eventually(
        "all but the newest 100 lines are pruned",
        || match log_lines(&desk) {
            100 => Ok(()),
            n => Err(format!("{n} lines")),
        },
    );
    let text = desk.cli_ok(&["config", "show"]);
    assert!(
        text.contains("kept 180 days or 100 lines, whichever is fewer")
            && text.contains("now 100 lines"),
        "{text}"
    );
    desk.cli(&["config", "set", "activity-retention-lines", "10"])
        .assert_code(1);
    desk.cli(&["config", "set", "activity-retention-days", "0"])
        .assert_code(1);
}

/// Pruning a large log runs in small batches: Okta's write is answered while the prune is still
/// under way, not after it.
#[test]
fn a_write_is_served_while_a_large_prune_is_under_way() {
    let desk = Desk::new();
    let seeded: u64 = 300_000;
    desk.cli_ok(&[
        "dev",
        "seed-activity",
        &seeded.to_string(),
        "--days-ago",
        "400",
    ]);
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    eventually("the prune has begun", || match log_lines(&desk) {
        n if n < seeded => Ok(()),
        n => Err(format!("{n} lines")),
    });
    okta.create_user(&okta_user("during@corp.example", "Dur", "Ing"));
    let left = log_lines(&desk);
    assert!(
        left > 1,
        "the write was answered only after the whole prune ({left} lines left)"
    );
    eventually("the prune ends", || match log_lines(&desk) {
        1 => Ok(()),
        n => Err(format!("{n} lines")),
    });
    assert_eq!(
        s(&activity(&desk)[0], "summary"),
        "Created Dur Ing (during@corp.example)"
    );
}
