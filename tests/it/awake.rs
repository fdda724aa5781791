//! Keeping the computer awake while Okta can provision (`config set keep-awake on`), through
//! `scimdesk serve` and logind's D-Bus API: the sleep inhibitor is listed by logind's
//! `ListInhibitors` (what `systemd-inhibit --list` shows) while at least one connection exists,
//! the endpoint runs and the Okta switch is on; it is gone when the switch goes off, back when
//! it goes on, and gone after `serve` stops — and after it is killed with -9.
//!
//! Which logind: the real systemd-logind when the system bus has one, else the STAND-IN of
//! `scimdesk_tests::logind_standin` on a private bus (SCIM Desk is pointed at it with
//! `SCIMDESK_LOGIND_BUS_ADDRESS`). The test prints which one it used.

use std::time::Duration;

use scimdesk_tests::logind_standin::{Inhibitor, Logind};
use scimdesk_tests::wait::eventually;
use scimdesk_tests::{Desk, Okta};

fn held_by(logind: &Logind, pid: u32) -> Result<Inhibitor, String> {
    let all = logind.scim_desk_inhibitors();
    match all.iter().find(|i| i.pid == pid) {
        Some(i) if all.len() == 1 => Ok(i.clone()),
        _ => Err(format!("SCIM Desk's inhibitors: {all:?}")),
    }
}

fn none(logind: &Logind) -> Result<(), String> {
    let all = logind.scim_desk_inhibitors();
    if all.is_empty() {
        Ok(())
    } else {
        Err(format!("still held: {all:?}"))
    }
}

fn status_json(desk: &Desk, envs: &[(&str, &str)]) -> serde_json::Value {
    let out = desk.cli_with(&["status", "--json"], envs, None);
    out.assert_code(0);
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}\n{out}"))
}

#[test]
fn serve_keeps_the_computer_awake_while_okta_can_provision_and_lets_go_when_it_cannot() {
    let logind = Logind::find();
    println!("sleep inhibitor tested against {}", logind.which());
    let env = logind.env();
    let envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let desk = Desk::new();
    desk.add_connection("Okta production");
    // Off by default: nothing is held until the admin asks.
    let mut server = desk.serve_with_env(&["--json"], &envs);
    let pid = server.pid().expect("serve runs");
    none(&logind).expect("nothing held before the option is on");

    desk.cli_ok(&["config", "set", "keep-awake", "on"]);
    let lock = eventually("serve holds the sleep inhibitor", || held_by(&logind, pid));
    assert_eq!(lock.what, "sleep:idle");
    assert_eq!(lock.mode, "block");
    assert!(lock.why.contains("identity provider"), "{lock:?}");
    server.wait_for_line("the awake event, held", |l| {
        l.contains(r#""event":"awake""#) && l.contains(r#""state":"held""#)
    });
    // `scimdesk status` asks the system who holds it.
    let status = status_json(&desk, &envs);
    assert_eq!(status["keep_awake"]["option"], "on", "{status}");
    assert_eq!(status["keep_awake"]["should_hold"], true, "{status}");
    assert_eq!(
        status["keep_awake"]["held_by"],
        serde_json::json!([pid]),
        "{status}"
    );

    // The Okta switch off: Okta is refused anyway, the computer may sleep.
    desk.cli_ok(&["config", "set", "okta", "off"]);
    eventually("the inhibitor is let go with the switch off", || {
        none(&logind)
    });
    server.wait_for_line("the awake event, okta_off", |l| l.contains("okta_off"));
    let status = status_json(&desk, &envs);
    assert_eq!(status["keep_awake"]["should_hold"], false, "{status}");
    assert_eq!(status["keep_awake"]["reason"], "okta_off", "{status}");
    assert_eq!(
        status["keep_awake"]["held_by"],
        serde_json::json!([]),
        "{status}"
    );
    desk.cli_ok(&["config", "set", "okta", "on"]);
    eventually("held again with the switch on", || held_by(&logind, pid));

    // No connection left: nothing for Okta to provision through.
    let connections = desk.cli_json(&["connection", "list"]);
    let id = connections[0]["id"]
        .as_str()
        .expect("a connection id")
        .to_owned();
    desk.cli_ok(&["connection", "delete", &id]);
    eventually("let go without a connection", || none(&logind));
    desk.add_connection("Okta again");
    eventually("held with a connection again", || held_by(&logind, pid));

    // Stopped as the system stops it at logout: let go.
    assert!(
        server.terminate(Duration::from_secs(30)),
        "serve stops on SIGTERM"
    );
    eventually("let go after serve stopped", || none(&logind));

    // Killed with -9: the kernel closes the lock's descriptor, and logind drops it.
    server.restart();
    let pid = server.pid().expect("serve runs again");
    eventually("held by the new serve", || held_by(&logind, pid));
    server.kill9();
    eventually("let go after serve was killed", || none(&logind));
}

#[test]
fn without_a_login_manager_serve_says_so_and_serves_on() {
    let desk = Desk::new();
    desk.cli_ok(&["config", "set", "keep-awake", "on"]);
    let dir = tempfile::tempdir().unwrap();
    let nowhere = format!("unix:path={}", dir.path().join("no-bus").display());
    let server = desk.serve_with_env(&[], &[("SCIMDESK_LOGIND_BUS_ADDRESS", &nowhere)]);
    server.wait_for_line("that there is no connection yet", |l| {
        l.contains("there is no connection")
    });
    // Added beside `serve` (another process): it follows.
    let connection = desk.add_connection("Okta production");
    let line = server.wait_for_line("why the computer cannot be kept awake", |l| {
        l.contains("cannot be kept awake")
    });
    assert!(line.contains("no login manager (systemd-logind)"), "{line}");
    let status = status_json(&desk, &[("SCIMDESK_LOGIND_BUS_ADDRESS", &nowhere)]);
    assert_eq!(
        status["keep_awake"]["problem"]["code"], "no_login_manager",
        "{status}"
    );
    let text = desk.cli_with(
        &["status"],
        &[("SCIMDESK_LOGIND_BUS_ADDRESS", &nowhere)],
        None,
    );
    assert!(
        text.stdout
            .contains("keep-awake   on, but this system has no login manager"),
        "{text}"
    );
    // Okta is still served.
    Okta::for_connection(&connection)
        .get("/ServiceProviderConfig")
        .expect(200);
}
