//! The per-connection rate limit: a connection that sends more than `rate-limit` requests a
//! second (beyond its burst) gets SCIM 429s with `Retry-After`, which Okta honours; another
//! connection is not slowed down; the admin sees one activity line per throttled burst; a flood
//! of wrong tokens is refused early without slowing Okta down; and a running endpoint follows
//! `scimdesk config set rate-limit` without a restart.

use std::thread;
use std::time::{Duration, Instant};

use scimdesk_tests::*;

fn throttle_lines(desk: &Desk) -> Vec<Value> {
    match desk.cli_json(&["activity", "list", "--failures"]) {
        Value::Array(items) => items
            .into_iter()
            .filter(|a| a["operation"] == "throttle")
            .collect(),
        other => panic!("activity list --json is an array: {other}"),
    }
}

#[test]
fn the_default_limit_is_generous_and_shown() {
    let desk = Desk::new();
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(shown["rate_limit"]["per_second"], 600, "{shown}");
    assert_eq!(shown["rate_limit"]["burst"], 600, "{shown}");
    let text = desk.cli_ok(&["config", "show"]);
    assert!(
        text.contains("rate-limit   600 requests/s per connection"),
        "{text}"
    );
    let bad = desk.cli(&["config", "set", "rate-limit", "fast"]);
    bad.assert_code(1);
    assert!(bad.stderr.contains("not a rate limit"), "{bad}");
    desk.cli(&["config", "set", "rate-limit-burst", "0"])
        .assert_code(1);
    desk.cli_ok(&["config", "set", "rate-limit", "off"]);
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(shown["rate_limit"]["per_second"], 0, "{shown}");
    assert!(desk
        .cli_ok(&["config", "show"])
        .contains("rate-limit   off"));
}

#[test]
fn a_burst_beyond_the_limit_gets_429_with_retry_after_and_other_connections_are_unaffected() {
    let desk = Desk::new();
    desk.cli_ok(&["config", "set", "rate-limit", "1"]);
    desk.cli_ok(&["config", "set", "rate-limit-burst", "5"]);
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let sandbox = Okta::for_connection(&desk.add_connection("Okta sandbox"));

    let started = Instant::now();
    let answers: Vec<Resp> = (0..40).map(|_| okta.get("/Users")).collect();
    let elapsed = started.elapsed();
    let ok = answers.iter().filter(|r| r.status == 200).count();
    let throttled: Vec<&Resp> = answers.iter().filter(|r| r.status == 429).collect();
    assert_eq!(
        ok + throttled.len(),
        40,
        "only 200 or 429 expected: {answers:?}"
    );
    // The burst of 5, plus one a second while the 40 were sent.
    assert!(
        ok >= 5 && ok as u64 <= 5 + elapsed.as_secs() + 1,
        "{ok} answered in {elapsed:?}"
    );
    assert!(
        !throttled.is_empty(),
        "40 requests in {elapsed:?}: none refused"
    );
    for r in &throttled {
        r.assert_scim_error(429, None);
        let retry: u64 = r
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("429 without a Retry-After in seconds\n{r}"));
        assert!((1..=2).contains(&retry), "Retry-After {retry}\n{r}");
        assert!(
            r.json["detail"].as_str().unwrap().contains("rate-limit"),
            "{r}"
        );
    }

    // The other connection has its own allowance: its burst goes through untouched.
    for _ in 0..5 {
        sandbox.get("/Users").expect(200);
    }
    // Writes are limited like reads, and a refused write changes nothing.
    let writes: Vec<Resp> = (0..10)
        .map(|i| {
            okta.post(
                "/Users",
                &okta_user(&format!("w{i}@corp.example"), "W", "Rite"),
            )
        })
        .collect();
    let created = writes.iter().filter(|r| r.status == 201).count();
    let refused = writes.iter().filter(|r| r.status == 429).count();
    assert_eq!(created + refused, 10, "{writes:?}");
    assert!(
        refused > 0,
        "10 creates in a row on an empty bucket: none refused"
    );
    assert_eq!(desk.employees().len(), created);

    // After Retry-After, Okta's retry goes through. Waiting that long is what Okta does, and
    // the window is the subject here.
    let retry = throttled[0].header("retry-after").unwrap();
    thread::sleep(Duration::from_secs(retry.parse::<u64>().unwrap() + 1));
    okta.post("/Users", &okta_user("patient@corp.example", "Pa", "Tient"))
        .expect(201);

    // One activity line for the burst, not one per refused request.
    let lines = throttle_lines(&desk);
    assert_eq!(lines.len(), 1, "{}", Value::Array(lines.clone()));
    assert_eq!(lines[0]["status"], 429);
    assert_eq!(lines[0]["connection_name"], "Okta");
}

#[test]
fn a_running_endpoint_follows_a_changed_rate_limit() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    // The generous default: a quick burst of requests is never refused.
    for _ in 0..50 {
        okta.get("/Users").expect(200);
    }

    desk.cli_ok(&["config", "set", "rate-limit", "1"]);
    desk.cli_ok(&["config", "set", "rate-limit-burst", "2"]);
    let refused = eventually("the new limit of 1/s refused a request", || {
        let r = okta.get("/Users");
        match r.status {
            429 => Ok(r),
            _ => {
                r.expect(200);
                Err(r.text)
            }
        }
    });
    refused.assert_scim_error(429, None);

    desk.cli_ok(&["config", "set", "rate-limit", "off"]);
    eventually(
        "`rate-limit off` let 20 requests in a row through",
        || match (0..20)
            .map(|_| okta.get("/Users"))
            .find(|r| r.status != 200)
        {
            None => Ok(()),
            Some(r) => Err(format!("{r:?}")),
        },
    );
}

/// Requests with a wrong token have an allowance of their own, per connection in the path:
/// beyond it they get a SCIM 429 at once (no lookup, no record); Okta, with the right token, is
/// served all along, and paths naming no connection share one allowance.
#[test]
fn a_flood_of_wrong_tokens_is_refused_early_and_okta_is_unaffected() {
    let desk = Desk::new();
    let _server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    let guesser = okta.with_authorization(Some("Bearer not-the-token"));

    let started = Instant::now();
    let answers: Vec<Resp> = (0..60).map(|_| guesser.get("/Users")).collect();
    let elapsed = started.elapsed();
    let refused = answers.iter().filter(|r| r.status == 401).count();
    let throttled: Vec<&Resp> = answers.iter().filter(|r| r.status == 429).collect();
    assert_eq!(refused + throttled.len(), 60, "{answers:?}");
    // A burst of 20, then 5 a second.
    assert!(
        refused >= 20 && refused as u64 <= 20 + 5 * (elapsed.as_secs() + 1),
        "{refused} refusals answered in {elapsed:?}"
    );
    assert!(
        !throttled.is_empty(),
        "60 guesses in {elapsed:?}: none throttled"
    );
    for r in &throttled {
        r.assert_scim_error(429, None);
        assert!(r.text.contains("wrong or missing token"), "{r}");
        assert_eq!(r.header("retry-after").as_deref(), Some("1"), "{r}");
    }
    // Okta is not slowed down by the guesses on its connection.
    for _ in 0..10 {
        assert_eq!(okta.get("/Users").status, 200);
    }
    // No line per guess in the activity log: a refused token is never a write.
    assert!(throttle_lines(&desk).is_empty());

    // Ids that are no connection share one allowance, so that one is spent too.
    let base = conn.base_url.trim_end_matches(&conn.id);
    let strangers: Vec<u16> = (0..40)
        .map(|i| {
            Okta::new(&format!("{base}no-such-{i}"), "x")
                .get("/Users")
                .status
        })
        .collect();
    assert!(strangers.contains(&429), "{strangers:?}");
    assert!(
        strangers.iter().all(|s| [401, 429].contains(s)),
        "{strangers:?}"
    );
}
