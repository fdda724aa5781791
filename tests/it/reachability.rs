//! Knowing when Okta could not reach the desk: `scimdesk serve` beats in the database, so a
//! restart after a kill or a stop records the time it was down as a `not_running` window, with
//! its length and the connections it affected; the Okta switch off and on again is an
//! `okta_off` window. `tunnel status` and `status` report them.

use std::time::{Duration, Instant};

use scimdesk_tests::*;

/// A beat every 200 ms: a gap counts from 2 × 200 ms + 2 s of slack.
const BEAT_MS: &str = "200";
/// How long the server stays down: past the gap threshold (2.4 s) with room to spare.
const DOWNTIME: Duration = Duration::from_secs(4);

fn serve_beating(desk: &Desk) -> Server {
    desk.serve_with_env(&[], &[("SCIMDESK_HEARTBEAT_MS", BEAT_MS)])
}

/// `status --json` once the endpoint's state is `state`.
#[track_caller]
fn wait_for_endpoint(desk: &Desk, state: &str) -> Value {
    eventually(
        &format!("`scimdesk status` says the endpoint is {state}"),
        || {
            let status = desk.cli_json(&["status"]);
            if status["endpoint"]["state"] == state {
                Ok(status)
            } else {
                Err(status)
            }
        },
    )
}

/// The windows of `cause` in `tunnel status --json`, once there is at least one.
#[track_caller]
fn wait_for_windows(desk: &Desk, cause: &str) -> Vec<Value> {
    eventually(
        &format!("`tunnel status --json` reports a {cause} window"),
        || {
            let status = desk.cli_json(&["tunnel", "status"]);
            let windows: Vec<Value> = status["reachability_windows"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|w| w["cause"] == cause)
                .cloned()
                .collect();
            if windows.is_empty() {
                Err(status)
            } else {
                Ok(windows)
            }
        },
    )
}

/// Waits on the clock itself: the test's subject is a length of time.
fn wait_until_passed(since: Instant, length: Duration) {
    until(&format!("{length:?} have passed"), || {
        since.elapsed() >= length
    });
}

/// What every down-time window must say: its cause, that it covers the time the server was
/// down, and the connection that could not be reached.
#[track_caller]
fn assert_covers(window: &Value, down_for: Duration, clean_stop: bool) {
    assert_eq!(window["cause"], "not_running", "{window}");
    let seconds = window["seconds"].as_f64().expect("seconds");
    assert!(
        seconds >= down_for.as_secs_f64(),
        "the window lasts {seconds} s, the server was down {down_for:?}: {window}"
    );
    assert!(
        window["started_at"].as_str() < window["ended_at"].as_str(),
        "{window}"
    );
    assert_eq!(window["clean_stop"], clean_stop, "{window}");
    assert_eq!(window["connections"][0]["name"], "Okta", "{window}");
    assert_eq!(
        window["connections"].as_array().map(Vec::len),
        Some(1),
        "{window}"
    );
}

#[test]
fn a_server_killed_with_9_and_restarted_records_the_time_it_was_down() {
    let desk = Desk::new();
    let mut server = serve_beating(&desk);
    desk.add_connection("Okta");
    wait_for_endpoint(&desk, "running");

    server.kill9();
    let killed = Instant::now();
    assert!(!server.is_running());
    // The last beat stays what it was: no clean stop, and soon no longer fresh.
    let down = wait_for_endpoint(&desk, "not_running");
    assert_eq!(down["endpoint"]["stopped_cleanly"], false, "{down}");
    wait_until_passed(killed, DOWNTIME);
    let down_for = killed.elapsed();
    server.restart();

    let windows = wait_for_windows(&desk, "not_running");
    assert_eq!(windows.len(), 1, "{windows:?}");
    assert_covers(&windows[0], down_for, false);
    wait_for_endpoint(&desk, "running");

    // The text says it too, with what to do in Okta.
    let text = desk.cli_ok(&["tunnel", "status"]);
    assert!(text.contains("Okta could not reach SCIM Desk"), "{text}");
    assert!(text.contains("it did not stop cleanly"), "{text}");
    assert!(text.contains("Dashboard > Tasks"), "{text}");
}

#[test]
fn a_server_stopped_cleanly_and_restarted_records_the_time_it_was_stopped() {
    let desk = Desk::new();
    let mut server = serve_beating(&desk);
    desk.add_connection("Okta");
    wait_for_endpoint(&desk, "running");

    assert!(
        server.terminate(Duration::from_secs(30)),
        "serve exits on SIGTERM"
    );
    let stopped = Instant::now();
    let status = desk.cli_json(&["status"]);
    assert_eq!(status["endpoint"]["state"], "stopped", "{status}");
    assert_eq!(status["endpoint"]["stopped_cleanly"], true, "{status}");
    wait_until_passed(stopped, DOWNTIME);
    let down_for = stopped.elapsed();
    server.restart();

    let windows = wait_for_windows(&desk, "not_running");
    assert_eq!(windows.len(), 1, "{windows:?}");
    assert_covers(&windows[0], down_for, true);
    let status = desk.cli_json(&["status"]);
    assert_eq!(
        status["reachability_windows"][0]["id"], windows[0]["id"],
        "`status` reports the same window: {status}"
    );
    let text = desk.cli_ok(&["status"]);
    assert!(
        text.contains("SCIM Desk was not running (it was stopped)"),
        "{text}"
    );
}

#[test]
fn the_okta_switch_off_and_on_is_an_okta_off_window() {
    let desk = Desk::new();
    // Nobody could push without a connection: no window.
    desk.cli_ok(&["config", "set", "okta", "off"]);
    desk.cli_ok(&["config", "set", "okta", "on"]);
    let status = desk.cli_json(&["tunnel", "status"]);
    assert_eq!(status["reachability_windows"], json!([]), "{status}");

    desk.add_connection("Okta");
    desk.cli_ok(&["config", "set", "okta", "off"]);
    let open = wait_for_windows(&desk, "okta_off");
    assert_eq!(open[0]["ended_at"], Value::Null, "open while off: {open:?}");
    desk.cli_ok(&["config", "set", "okta", "on"]);
    let windows = wait_for_windows(&desk, "okta_off");
    assert_eq!(windows.len(), 1, "{windows:?}");
    assert!(windows[0]["ended_at"].is_string(), "{windows:?}");
    assert_eq!(windows[0]["connections"][0]["name"], "Okta");
}

/// Entra's switch has windows of its own: they name Entra's connections only, and the status says
/// how to turn it on while it is off.
#[test]
fn the_entra_switch_off_and_on_is_an_entra_off_window_of_entra_connections() {
    let desk = Desk::new();
    desk.add_connection("Okta");
    desk.add_connection_for("HR Entra", "entra");
    desk.cli_ok(&["config", "set", "entra", "off"]);
    let open = wait_for_windows(&desk, "entra_off");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["ended_at"], Value::Null, "open while off: {open:?}");
    let names: Vec<&str> = open[0]["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["HR Entra"]);
    let said = desk.cli_ok(&["tunnel", "status"]);
    assert!(said.contains("`scimdesk config set entra on`"), "{said}");
    desk.cli_ok(&["config", "set", "entra", "on"]);
    let windows = wait_for_windows(&desk, "entra_off");
    assert!(windows[0]["ended_at"].is_string(), "{windows:?}");
}
