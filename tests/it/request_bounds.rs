//! Requests a holder of a valid token (or a buggy identity provider) can send to stall the
//! endpoint or damage a record: each is refused or finished within bounds that do not grow
//! faster than the body, and the endpoint keeps serving everyone else meanwhile.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use scimdesk_tests::*;

/// Runs `heavy` on a thread of its own while Okta keeps asking for a user on another
/// connection, and returns what `heavy` returned once at least one lookup was answered during
/// it: the endpoint must keep serving while one request is busy.
fn while_served<T: Send + 'static>(
    okta: &Okta,
    user: &str,
    heavy: impl FnOnce() -> T + Send + 'static,
) -> T {
    let done = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let worker = {
        let done = done.clone();
        thread::spawn(move || {
            let out = heavy();
            done.store(true, Ordering::SeqCst);
            out
        })
    };
    let path = format!("/Users/{user}");
    loop {
        okta.get(&path).expect(200);
        answered.fetch_add(1, Ordering::SeqCst);
        if done.load(Ordering::SeqCst) {
            break;
        }
    }
    let out = worker.join().expect("the heavy request's thread");
    assert!(answered.load(Ordering::SeqCst) >= 1);
    out
}

/// RFC 7644 lets a server bound what a body may hold: a `schemas` list longer than the schemas a
/// user can have is refused at once instead of being deduplicated pair by pair, and two such
/// creates side by side leave everyone else served.
#[test]
fn a_create_with_thousands_of_schemas_is_refused_and_others_are_served() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let jane = id_of(&okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe")));
    let mut body = okta_user("many@corp.example", "Many", "Schemas");
    body["schemas"] = json!((0..30_000)
        .map(|i| format!("urn:example:{}", i % 7))
        .collect::<Vec<_>>());
    let bodies = [body.clone(), body];
    let answers = while_served(&okta, &jane, {
        let okta = okta.clone();
        move || {
            let handles: Vec<_> = bodies
                .into_iter()
                .map(|b| {
                    let okta = okta.clone();
                    thread::spawn(move || okta.post("/Users", &b))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        }
    });
    for r in answers {
        r.assert_scim_error(400, Some("invalidValue"));
        assert!(r.json["detail"].as_str().unwrap().contains("30000"), "{r}");
    }
    // A body that lists each schema once is fine.
    let mut fine = okta_user("fine@corp.example", "Fi", "Ne");
    fine["schemas"] = json!([USER_SCHEMA, ENTERPRISE, USER_SCHEMA]);
    fine[ENTERPRISE] = json!({"department": "R&D"});
    okta.post("/Users", &fine).expect(201);
}

/// A PATCH adding a hundred thousand values to a multi-valued attribute (0.9 MB, under the body
/// limit) is merged in one pass: it finishes well inside the request's time, where merging
/// value by value against every value already there took minutes, all inside the one writer.
#[test]
fn a_patch_adding_a_hundred_thousand_values_finishes_and_others_are_served() {
    let desk = Desk::new();
    let _server = desk.serve_with_env(&[], &[("SCIMDESK_REQUEST_TIMEOUT_MS", "25000")]);
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let jane = id_of(&okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe")));
    let heavy = id_of(&okta.create_user(&okta_user("heavy@corp.example", "He", "Avy")));
    let roles: Vec<String> = (0..100_000).map(|i| format!("r{i}")).collect();
    let path = format!("/Users/{heavy}");
    let r = while_served(&okta, &jane, {
        let okta = okta.clone();
        let path = path.clone();
        move || {
            okta.patch_ops(
                &path,
                json!([{"op": "add", "path": "roles", "value": roles}]),
            )
        }
    });
    let user = r.expect(200);
    assert_eq!(user["roles"].as_array().map(Vec::len), Some(100_000));
    // Adding them again merges every one into itself: still a hundred thousand.
    let again: Vec<String> = (0..100_000).map(|i| format!("r{i}")).collect();
    let r = okta.patch_ops(
        &path,
        json!([{"op": "add", "path": "roles", "value": again}]),
    );
    assert_eq!(
        r.expect(200)["roles"].as_array().map(Vec::len),
        Some(100_000)
    );
}

/// A PATCH with more operations than the endpoint takes, or an object wider than it takes, is a
/// 400 that says how to stay within the bound.
#[test]
fn patches_beyond_the_bounds_are_refused_with_a_reason() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let id = id_of(&okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe")));
    let path = format!("/Users/{id}");
    let ops: Vec<Value> = (0..10_001)
        .map(|i| json!({"op": "replace", "path": "title", "value": format!("t{i}")}))
        .collect();
    let r = okta.patch_ops(&path, Value::Array(ops));
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.text.contains("10001 operations"), "{r}");
    let wide: serde_json::Map<String, Value> = (0..1001)
        .map(|i| (format!("custom{i}"), json!(i)))
        .collect();
    let r = okta.patch_ops(&path, json!([{"op": "add", "value": wide}]));
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.text.contains("1000"), "{r}");
    // Attribute by attribute, the user still cannot be widened past the bound.
    let ops: Vec<Value> = (0..1001)
        .map(|i| json!({"op": "add", "path": format!("custom{i}"), "value": i}))
        .collect();
    okta.patch_ops(&path, Value::Array(ops))
        .assert_scim_error(400, Some("invalidValue"));
    // Nothing of the refused requests stuck.
    let user = okta.user(&id);
    assert_eq!(user["title"], Value::Null, "{user}");
    assert!(user.get("custom0").is_none(), "{user}");
}

fn nested(levels: usize) -> Value {
    let mut v = json!("x");
    for _ in 0..levels {
        v = json!([v]);
    }
    v
}

/// A PATCH that would store a document deeper than the server can read back is refused, so no
/// record becomes impossible to read, update or deactivate.
#[test]
fn a_value_nested_too_deep_is_refused_and_the_record_stays_usable() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let id = id_of(&okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe")));
    let path = format!("/Users/{id}");
    let r = okta.patch_ops(
        &path,
        json!([{
            "op": "add",
            "path": format!("{ENTERPRISE}:addresses[type eq \"x\"].deep"),
            "value": nested(124),
        }]),
    );
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.text.contains("levels deep"), "{r}");
    // The record answers every request Okta may send about it.
    okta.get(&format!("{path}?attributes=userName")).expect(200);
    let page = okta.get("/Users?startIndex=1&count=10");
    assert_eq!(counter(page.expect(200), "totalResults"), 1);
    let off = okta.patch_ops(
        &path,
        json!([{"op": "replace", "value": {"active": false}}]),
    );
    assert_eq!(off.expect(200)["active"], false);
    let mut put = okta.user(&id);
    put["active"] = json!(true);
    okta.put(&path, &put).expect(200);
    // A body nested too deep for the bound but not for the JSON parser is refused as well.
    let mut deep_body = okta_user("deep@corp.example", "De", "Ep");
    deep_body["x"] = nested(80);
    okta.post("/Users", &deep_body)
        .assert_scim_error(400, Some("invalidValue"));
}

/// A record stored by an earlier version beyond today's depth bound (as the same PATCH could
/// leave one) is still read, listed, deactivated and deleted.
#[test]
fn a_record_stored_too_deep_by_an_earlier_version_can_still_be_deactivated() {
    let desk = Desk::new();
    let mut server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let id = id_of(&okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe")));
    server.terminate(Duration::from_secs(30));
    {
        let db = rusqlite::Connection::open(desk.data_dir().join("scimdesk.db")).unwrap();
        let mut doc: Value = serde_json::from_str(
            &db.query_row("SELECT doc FROM employees WHERE id = ?", [&id], |r| {
                r.get::<_, String>(0)
            })
            .unwrap(),
        )
        .unwrap();
        doc[ENTERPRISE] = json!({"addresses": [{"type": "x", "deep": nested(127)}]});
        db.execute(
            "UPDATE employees SET doc = ? WHERE id = ?",
            rusqlite::params![doc.to_string(), id],
        )
        .unwrap();
    }
    server.restart();
    let path = format!("/Users/{id}");
    okta.get(&path).expect(200);
    okta.get(&format!("{path}?attributes=userName")).expect(200);
    okta.get("/Users?startIndex=1&count=10").expect(200);
    let off = okta.patch_ops(
        &path,
        json!([{"op": "replace", "value": {"active": false}}]),
    );
    // (The answer is the whole record, deeper than this client's JSON parser reads.)
    assert_eq!(off.status, 200, "{off}");
    let now = okta.get(&format!("{path}?attributes=active"));
    assert_eq!(now.expect(200)["active"], false, "{now}");
    assert_eq!(desk.employee("jane@corp.example")["status"], "deactivated");
    // And still updated, and deleted.
    okta.patch_ops(
        &path,
        json!([{"op": "replace", "path": "title", "value": "Engineer"}]),
    )
    .expect(200);
    let title = okta.get(&format!("{path}?attributes=title"));
    assert_eq!(title.expect(200)["title"], "Engineer");
    assert_eq!(okta.delete(&path).status, 204);
}

/// `startIndex` beyond what the database pages to (2^63 and up) is clamped: an empty page with
/// the true total, through every list Okta and Entra can ask for.
#[test]
fn paging_beyond_two_to_the_sixty_third_is_an_empty_page_with_the_true_total() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let jane = id_of(&okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe")));
    okta.create_user(&okta_user("john@corp.example", "John", "Roe"));
    okta.post(
        "/Groups",
        &json!({"displayName": "Eng", "members": [{"value": jane}]}),
    )
    .expect(201);
    let huge = [
        "9223372036854775808",
        "18446744073709551616",
        "100000000000000000000000000000",
    ];
    for start in huge {
        for (list, total) in [("/Users", 2), ("/Groups", 1)] {
            for extra in ["", "&sortBy=userName", "&filter=userName%20pr"] {
                let extra = if list == "/Groups" {
                    extra.replace("userName", "displayName")
                } else {
                    extra.to_owned()
                };
                let r = okta.get(&format!("{list}?startIndex={start}&count=10{extra}"));
                let page = r.expect(200);
                assert_eq!(counter(page, "totalResults"), total, "{r}");
                assert!(resources(page).is_empty(), "{r}");
            }
        }
    }
    for body_start in [json!(1e30), json!(18446744073709551615u64), json!("1e30")] {
        for (path, total) in [
            ("/Users/.search", 2),
            ("/Groups/.search", 1),
            ("/.search", 3),
        ] {
            let r = okta.post(
                path,
                &json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "startIndex": body_start,
                    "count": 10,
                }),
            );
            if r.status == 400 {
                // A string that is not an integer is refused as such, not with a 500.
                r.assert_scim_error(400, None);
                continue;
            }
            let page = r.expect(200);
            assert_eq!(counter(page, "totalResults"), total, "{path}: {r}");
            assert!(resources(page).is_empty(), "{path}: {r}");
        }
    }
}

/// A group member must be a user or group of this directory: anything else is a 400 naming the
/// value, and `$ref` is built from the stored id only.
#[test]
fn group_members_must_name_users_or_groups_of_this_directory() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let jane = id_of(&okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe")));
    let r = okta.post(
        "/Groups",
        &json!({"displayName": "Eng", "members": [{"value": "../../etc/passwd"}]}),
    );
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.text.contains("../../etc/passwd"), "{r}");
    let eng = okta.post(
        "/Groups",
        &json!({"displayName": "Eng", "members": [{"value": jane, "display": "jane@corp.example"}]}),
    );
    let eng = eng.expect(201).clone();
    let gid = id_of(&eng);
    let gpath = format!("/Groups/{gid}");
    let r = okta.patch_ops(
        &gpath,
        json!([{"op": "add", "path": "members", "value": [{"value": "nobody-like-this"}]}]),
    );
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(r.text.contains("nobody-like-this"), "{r}");
    // A group can be a member of another; its `$ref` points at Groups.
    let all = okta.post(
        "/Groups",
        &json!({"displayName": "All", "members": [{"value": gid}, {"value": jane}]}),
    );
    let all = all.expect(201).clone();
    let refs: Vec<(String, String, String)> = all["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                s(m, "value").to_owned(),
                s(m, "type").to_owned(),
                s(m, "$ref").to_owned(),
            )
        })
        .collect();
    let base = okta.base_url();
    let mut expected = vec![
        (
            gid.clone(),
            "Group".to_owned(),
            format!("{base}/Groups/{gid}"),
        ),
        (
            jane.clone(),
            "User".to_owned(),
            format!("{base}/Users/{jane}"),
        ),
    ];
    expected.sort();
    let mut refs = refs;
    refs.sort();
    assert_eq!(refs, expected);
    // The refused member never arrived.
    assert_eq!(member_ids(okta.get(&gpath).expect(200)), vec![jane.clone()]);
}

/// Sends `head` (and then `body`, unless the server answered first) on a socket of its own, and
/// returns everything the server wrote until it closed the connection or the answer was whole.
fn exchange(okta: &Okta, head: &str, body: Option<&[u8]>) -> String {
    let url = reqwest::Url::parse(okta.base_url()).unwrap();
    let mut stream =
        TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    if let Some(body) = body {
        let _ = stream.write_all(body);
    }
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if !head.starts_with("HTTP/1.1 100") && rest.len() >= length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&raw).into_owned()
}

fn scim_error_of(answer: &str) -> (u16, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole answer");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let lower = head.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/scim+json"),
        "not a SCIM answer: {answer}"
    );
    let body: Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{answer}"
    );
    (status, body)
}

/// A broken chunked body is a malformed request (400), not one too large (413); a client that
/// waits for `100 Continue` with a body over the limit is answered 413 at once and never asked
/// for the body; and a request line longer than any URL the endpoint takes gets a SCIM error body
/// like every other refusal.
#[test]
fn http_edge_refusals_are_precise_and_answered_as_scim() {
    let desk = Desk::new();
    let mut server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    let path = reqwest::Url::parse(okta.base_url())
        .unwrap()
        .path()
        .to_owned();
    let auth = format!("Authorization: Bearer {}\r\n", conn.token);

    let broken = exchange(
        &okta,
        &format!(
            "POST {path}/Users HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/scim+json\r\n\
             Transfer-Encoding: chunked\r\n\r\n5\r\n{{\"use\r\nzz-not-hex\r\n"
        ),
        None,
    );
    let (status, body) = scim_error_of(&broken);
    assert_eq!(status, 400, "{broken}");
    assert_eq!(body["scimType"], "invalidSyntax", "{broken}");

    let waiting = exchange(
        &okta,
        &format!(
            "POST {path}/Users HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/scim+json\r\n\
             Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n"
        ),
        None,
    );
    assert!(
        waiting.starts_with("HTTP/1.1 413"),
        "answered before the body, without 100 Continue: {waiting}"
    );
    assert!(!waiting.contains("100 Continue"), "{waiting}");
    let (status, _) = scim_error_of(&waiting);
    assert_eq!(status, 413);

    for length in [20 * 1024, 70 * 1024, 300 * 1024] {
        let long = exchange(
            &okta,
            &format!(
                "GET {path}/Users?filter={} HTTP/1.1\r\nHost: x\r\n{auth}\r\n",
                "a".repeat(length)
            ),
            None,
        );
        let (status, body) = scim_error_of(&long);
        assert!(matches!(status, 414 | 431), "{length}: {long}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{long}"
        );
    }
    assert!(server.is_running());
    okta.get("/Users").expect(200);
}

/// A lookup whose SQL runs past the request's time is interrupted there: answered 503 at its
/// deadline (not when the scan would have finished), and the endpoint serves the next request.
#[test]
fn a_query_running_past_its_deadline_is_interrupted() {
    let desk = Desk::new();
    let _server = desk.serve_with_env(&[], &[("SCIMDESK_REQUEST_TIMEOUT_MS", "300")]);
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    desk.cli_ok(&["dev", "seed", "30000", "--connection", "Okta"]);
    // Every clause compares an attribute of the stored documents, which no one has: a scan of
    // the whole directory, reading every document nearly two hundred times, far longer than
    // 300 ms on any machine.
    let clauses: Vec<String> = (0..180).map(|i| format!("nickName co \"z{i}\"")).collect();
    let filter = clauses.join(" or ");
    assert!(filter.len() <= 4096, "{}", filter.len());
    let r = okta.get(&format!(
        "/Users?filter={}&startIndex=1&count=10",
        encode_filter(&filter)
    ));
    r.assert_scim_error(503, None);
    assert!(r.text.contains("took too long"), "{r}");
    okta.get("/Users?startIndex=1&count=1").expect(200);
}

/// Distinct long filters do not grow the server's memory without bound: the list cache keeps a
/// digest of each list, and a long statement is not kept compiled. (Before, 400 such filters
/// took the server from about 30 to 300 MiB, and it stayed there.)
#[test]
fn distinct_long_filters_leave_memory_bounded() {
    let desk = Desk::new();
    let server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe"));
    let rss = || -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid().unwrap()))
            .expect("the server's status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .expect("VmRSS")
            / 1024
    };
    okta.get("/Users?startIndex=1&count=100").expect(200);
    let before = rss();
    for n in 0..300 {
        // Value filters on stored attributes: each clause is a scan of a JSON array in SQL.
        let mut filter = String::new();
        for i in 0.. {
            let clause = format!("addresses[type eq \"w{n}\" and locality sw \"x{i}\"]");
            if filter.len() + clause.len() + 4 > 4000 {
                break;
            }
            if !filter.is_empty() {
                filter.push_str(" or ");
            }
            filter.push_str(&clause);
        }
        let r = okta.get(&format!(
            "/Users?filter={}&startIndex=1&count=10",
            encode_filter(&filter)
        ));
        assert_eq!(counter(r.expect(200), "totalResults"), 0);
    }
    let after = rss();
    assert!(
        after < before + 128,
        "300 distinct long filters took the server from {before} to {after} MiB"
    );
}
