//! The managed tunnels, driven through `scimdesk serve` and `scimdesk tunnel status`.
//!
//! cloudflared is played by `fake-cloudflared`, a STAND-IN built with these tests (see
//! `src/bin/fake-cloudflared.rs`): it prints cloudflared's banner, serves `/quicktunnel` on its
//! metrics port with a new hostname at every start, and dies when a file appears. It forwards
//! nothing. When the real `cloudflared` is installed, `real_cloudflared_when_installed` runs it.
//! ngrok is the real embedded agent; its service cannot be reached from here.

use std::path::{Path, PathBuf};

use scimdesk_tests::*;

const STAND_IN: &str = env!("CARGO_BIN_EXE_fake-cloudflared");

/// The stand-in's control directory and the environment that makes `serve` use it.
struct StandIn {
    dir: tempfile::TempDir,
}

impl StandIn {
    fn new() -> StandIn {
        StandIn {
            dir: tempfile::tempdir().expect("stand-in dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SCIMDESK_CLOUDFLARED", STAND_IN.to_string()),
            ("FAKE_CLOUDFLARED_DIR", self.path().to_string_lossy().into()),
        ]
    }

    /// Tells the running stand-in to die, as cloudflared does when its connection drops.
    fn kill(&self) {
        std::fs::write(self.path().join("die"), b"").expect("write die file");
    }

    /// Each start: (pid, hostname, arguments).
    fn starts(&self) -> Vec<(u32, String, String)> {
        std::fs::read_to_string(self.path().join("starts"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ' ');
                let pid = parts.next()?.parse().ok()?;
                let host = parts.next()?.to_string();
                Some((pid, host, parts.next().unwrap_or_default().to_string()))
            })
            .collect()
    }
}

fn serve_env<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Polls `tunnel status --json` until `done` holds.
#[track_caller]
fn wait_status(desk: &Desk, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    eventually(&format!("tunnel status showed {what}"), || {
        let status = desk.cli_json(&["tunnel", "status"]);
        if done(&status) {
            Ok(status)
        } else {
            Err(status)
        }
    })
}

fn state(status: &Value) -> &str {
    status["state"]["state"].as_str().unwrap_or_default()
}

#[cfg(target_os = "linux")]
fn alive(pid: u32) -> bool {
    // A zombie still has /proc/PID; its state (the field after the name) is Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().next() != Some("Z"))
        })
        .unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
fn alive(_pid: u32) -> bool {
    false
}

#[track_caller]
fn wait_gone(pid: u32) {
    until(&format!("cloudflared (pid {pid}) ended"), || !alive(pid));
}

#[test]
fn quick_tunnel_starts_comes_online_restarts_with_a_new_url_and_stops() {
    let desk = Desk::new();
    let stand_in = StandIn::new();
    let env = stand_in.env();
    desk.cli_ok(&["tunnel", "set", "cloudflared"]);
    let conn = desk.add_connection("Okta");
    let before = desk.cli_ok(&["connection", "add", "Okta sandbox"]);
    assert!(
        before.contains("the tunnel's URL is not known yet"),
        "{before}"
    );
    let mut server = desk.serve_with_env(&[], &serve_env(&env));

    // Start → online at the hostname /quicktunnel reported.
    let online = wait_status(&desk, "online", |s| state(s) == "online");
    let starts = stand_in.starts();
    assert_eq!(starts.len(), 1, "{starts:?}");
    let (first_pid, first_host, args) = &starts[0];
    let first_url = format!("https://{first_host}");
    assert_eq!(online["state"]["url"], first_url.as_str());
    assert_eq!(online["public_url"], first_url.as_str());
    assert_eq!(online["stable"], false);
    assert!(online["advice"]
        .as_str()
        .is_some_and(|a| a.contains("named cloudflared tunnel")));
    assert!(online["url_changed"].is_null(), "{online}");
    assert!(
        args.starts_with("tunnel --no-autoupdate --metrics 127.0.0.1:")
            && args.ends_with(&format!("--url http://{}", server.listen())),
        "cloudflared forwards to the loopback listener: {args}"
    );
    // Base URLs follow the tunnel.
    let listed = desk.cli_json(&["connection", "list"]);
    assert_eq!(
        listed[0]["base_url"],
        format!("{first_url}/scim/v2/{}", conn.id).as_str()
    );
    // The endpoint builds absolute URLs from it too.
    let okta = Okta::new(
        &format!("{}/scim/v2/{}", server.origin(), conn.id),
        &conn.token,
    );
    let created = okta.post("/Users", &okta_user("ann@corp.example", "Ann", "Lee"));
    let location = created.header("location").expect("Location");
    assert!(location.starts_with(&first_url), "{location}");

    // `serve` reports the state as it changes, in its own time after the status has it.
    let said = server.wait_for_stdout(&format!(
        "Tunnel online: Okta reaches this endpoint at {first_url}"
    ));
    assert!(!said.contains("No tunnel is set"), "{said}");

    // Crash → failed with the reason → restarted after the backoff at a new URL.
    stand_in.kill();
    let failed = wait_status(&desk, "failed", |s| {
        state(s) == "failed" || stand_in.starts().len() > 1
    });
    if state(&failed) == "failed" {
        assert!(failed["state"]["retry_at"].is_string(), "{failed}");
    }
    let again = wait_status(&desk, "online again", |s| {
        state(s) == "online" && s["state"]["url"] != first_url.as_str()
    });
    wait_gone(*first_pid);
    let starts = stand_in.starts();
    assert_eq!(starts.len(), 2, "{starts:?}");
    let (second_pid, second_host, _) = &starts[1];
    let second_url = format!("https://{second_host}");
    assert_eq!(again["state"]["url"], second_url.as_str());
    let last_error = again["last_error"].as_str().unwrap_or_default();
    assert!(
        last_error.starts_with("cloudflared exited with status 1")
            && last_error.contains("told to die"),
        "{again}"
    );
    // The URL change is reported, with the new value and a stable option.
    assert_eq!(again["url_changed"]["from"], first_url.as_str());
    assert_eq!(again["url_changed"]["to"], second_url.as_str());
    let text = desk.cli_ok(&["tunnel", "status"]);
    assert!(
        text.contains(&format!(
            "The public URL changed from {first_url} to {second_url}: update the SCIM connector base URL in Okta"
        )),
        "{text}"
    );
    assert!(text.contains("named cloudflared tunnel"), "{text}");
    let listed = desk.cli_json(&["connection", "list"]);
    assert!(listed[0]["base_url"]
        .as_str()
        .is_some_and(|b| b.starts_with(&second_url)));
    // `serve` said so too, prominently.
    server.wait_for_stdout(&format!(
        "!! The public URL changed from {first_url} to {second_url}"
    ));

    // Stop → the child is gone and the state is off.
    assert!(server.terminate(WAIT_CEILING), "serve stops on SIGTERM");
    wait_gone(*second_pid);
    let stopped = desk.cli_json(&["tunnel", "status"]);
    assert_eq!(state(&stopped), "off", "{stopped}");
}

#[cfg(target_os = "linux")]
#[test]
fn cloudflared_dies_with_a_killed_scimdesk() {
    let desk = Desk::new();
    let stand_in = StandIn::new();
    let env = stand_in.env();
    desk.cli_ok(&["tunnel", "set", "cloudflared"]);
    let mut server = desk.serve_with_env(&[], &serve_env(&env));
    wait_status(&desk, "online", |s| state(s) == "online");
    let (pid, _, _) = stand_in.starts()[0].clone();
    assert!(alive(pid));
    server.kill9();
    wait_gone(pid);
    // A state left by a dead process is not shown as live.
    assert_eq!(state(&desk.cli_json(&["tunnel", "status"])), "off");
}

#[test]
fn named_tunnel_uses_its_hostname_and_keeps_the_token_off_the_command_line() {
    let desk = Desk::new();
    let stand_in = StandIn::new();
    let env = stand_in.env();
    let token = "eyJhIjoiZmFrZS1uYW1lZC10dW5uZWwtdG9rZW4ifQ";
    // A token without a hostname is refused: cloudflared would not say where it leads.
    let out = desk.cli_with(
        &["tunnel", "set", "cloudflared", "--token-stdin"],
        &[],
        Some(token),
    );
    out.assert_code(1);
    assert!(out.stderr.contains("--hostname"), "{out}");
    desk.cli_with(
        &[
            "tunnel",
            "set",
            "cloudflared",
            "--hostname",
            "scim.corp.example",
            "--token-stdin",
        ],
        &[],
        Some(token),
    )
    .assert_code(0);
    let conn = desk.add_connection("Okta");
    assert_eq!(
        conn.base_url,
        format!("https://scim.corp.example/scim/v2/{}", conn.id)
    );
    let server = desk.serve_with_env(&["--json"], &serve_env(&env));
    let online = wait_status(&desk, "online", |s| state(s) == "online");
    assert_eq!(online["state"]["url"], "https://scim.corp.example");
    // `serve --json` reports each state as an event line.
    let online_event: Value = serde_json::from_str(&server.wait_for_line("an online event", |l| {
        serde_json::from_str::<Value>(l)
            .is_ok_and(|e| e["event"] == "tunnel" && e["state"]["state"] == "online")
    }))
    .expect("a JSON event");
    assert_eq!(online_event["state"]["url"], "https://scim.corp.example");
    assert_eq!(online["stable"], true);
    let (_, _, args) = stand_in.starts()[0].clone();
    assert_eq!(
        args,
        format!(
            "tunnel --no-autoupdate --metrics {} run",
            args.split(' ').nth(3).unwrap_or_default()
        )
    );
    assert!(!args.contains(token), "the token is not in argv: {args}");
    assert!(!desk.cli_ok(&["tunnel", "status"]).contains(token));
    assert!(!desk.cli_ok(&["config", "show"]).contains(token));
}

#[test]
fn a_refused_token_and_no_network_are_readable() {
    // cloudflared refuses the token.
    let desk = Desk::new();
    let stand_in = StandIn::new();
    let env = stand_in.env();
    desk.cli_with(
        &[
            "tunnel",
            "set",
            "cloudflared",
            "--hostname",
            "scim.corp.example",
            "--token-stdin",
        ],
        &[],
        Some("bad-token"),
    )
    .assert_code(0);
    let _server = desk.serve_with_env(&[], &serve_env(&env));
    let failed = wait_status(&desk, "failed", |s| state(s) == "failed");
    let reason = failed["state"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("cloudflared refused the tunnel token"),
        "{failed}"
    );
    // The reason is the app's too, so it names no command; the CLI's message does.
    assert!(!reason.contains("scimdesk"), "{failed}");
    assert!(
        failed["message"]
            .as_str()
            .is_some_and(|m| m.contains("--token-stdin")),
        "{failed}"
    );
    let text = desk.cli_ok(&["tunnel", "status"]);
    assert!(
        text.contains("failed: cloudflared refused the tunnel token"),
        "{text}"
    );

    // cloudflared cannot reach Cloudflare.
    let offline = Desk::new();
    let stand_in = StandIn::new();
    let mut env = stand_in.env();
    env.push(("FAKE_CLOUDFLARED_OFFLINE", "1".into()));
    offline.cli_ok(&["tunnel", "set", "cloudflared"]);
    let _server = offline.serve_with_env(&[], &serve_env(&env));
    let failed = wait_status(&offline, "failed", |s| state(s) == "failed");
    assert!(
        failed["state"]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("cloudflared could not reach Cloudflare")),
        "{failed}"
    );
}

#[test]
fn missing_cloudflared_says_how_to_install_it() {
    let desk = Desk::new();
    // A PATH with no cloudflared on it.
    let empty = tempfile::tempdir().expect("dir");
    let path = empty.path().to_string_lossy().to_string();
    let set = desk.cli_with(&["tunnel", "set", "cloudflared"], &[("PATH", &path)], None);
    set.assert_code(0);
    assert!(set.stdout.contains("cloudflared is not installed"), "{set}");
    let _server = desk.serve_with_env(&[], &[("PATH", &path)]);
    let failed = wait_status(&desk, "failed", |s| state(s) == "failed");
    let reason = failed["state"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("cloudflared is not installed"),
        "{failed}"
    );
    assert!(reason.contains("https://pkg.cloudflare.com"), "{failed}");
    assert!(
        reason.contains("github.com/cloudflare/cloudflared/releases"),
        "{failed}"
    );

    // An explicit path that is not an executable.
    let bad = desk.cli_with(
        &["tunnel", "set", "cloudflared"],
        &[("SCIMDESK_CLOUDFLARED", "/nonexistent/cloudflared")],
        None,
    );
    assert!(bad.stdout.contains("not an executable file"), "{bad}");
}

#[test]
fn a_tunnel_is_refused_for_a_non_loopback_listener() {
    let desk = Desk::new();
    let stand_in = StandIn::new();
    let env = stand_in.env();
    desk.cli_ok(&["tunnel", "set", "cloudflared"]);
    // Even allowed to be reachable from the network, the listener is no place for a tunnel.
    let listen = format!("0.0.0.0:{}", free_port());
    desk.cli_ok(&["config", "set", "listen", &listen, "--allow-remote"]);
    let out = desk.cli_with(&["serve"], &serve_env(&env), None);
    out.assert_code(1);
    assert!(out.stderr.contains("not a loopback address"), "{out}");
    assert!(
        stand_in.starts().is_empty(),
        "cloudflared was never started"
    );
}

#[test]
fn ngrok_errors_are_readable() {
    let desk = Desk::new();
    let out = desk.cli(&["tunnel", "set", "ngrok"]);
    out.assert_code(1);
    assert!(
        out.stderr.starts_with("error: ngrok needs an authtoken"),
        "{out}"
    );
    assert!(out.stderr.contains("--authtoken-stdin"), "{out}");
    let empty = desk.cli_with(
        &["tunnel", "set", "ngrok", "--authtoken-stdin"],
        &[],
        Some("  \n"),
    );
    empty.assert_code(1);
    assert!(
        empty
            .stderr
            .contains("no ngrok authtoken on standard input"),
        "{empty}"
    );

    let authtoken = "2fakeNgrokAuthtoken_0123456789abcdef";
    desk.cli_with(
        &[
            "tunnel",
            "set",
            "ngrok",
            "--authtoken-stdin",
            "--domain",
            "desk.ngrok.app",
        ],
        &[],
        Some(authtoken),
    )
    .assert_code(0);
    let server = desk.serve();
    // ngrok's service cannot be reached from this machine: that is what the admin is told.
    let failed = wait_status(&desk, "failed", |s| state(s) == "failed");
    let reason = failed["state"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("ngrok could not reach its service"),
        "{failed}"
    );
    assert_eq!(failed["public_url"], "https://desk.ngrok.app");
    let everything = format!(
        "{failed}{}{}{}",
        desk.cli_ok(&["tunnel", "status"]),
        server.stdout(),
        server.stderr()
    );
    assert!(!everything.contains(authtoken), "the authtoken leaked");
}

/// The real cloudflared, when it is installed: it starts, and its state is either online or a
/// readable failure (this machine may have no internet).
#[test]
fn real_cloudflared_when_installed() {
    let on_path = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join("cloudflared"))
        .find(|p: &PathBuf| p.is_file());
    let Some(real) = on_path else {
        eprintln!("cloudflared is not installed: the real-binary test is skipped (see README)");
        return;
    };
    let desk = Desk::new();
    desk.cli_ok(&["tunnel", "set", "cloudflared"]);
    let _server = desk.serve();
    // Without internet a quick tunnel may keep trying for a while: "starting" is fine then, so
    // this waits a bounded time for a final state and accepts "starting" after it.
    let status = within(WAIT_CEILING, || {
        let status = desk.cli_json(&["tunnel", "status"]);
        if matches!(state(&status), "online" | "failed") {
            Ok(status)
        } else {
            Err(status)
        }
    })
    .unwrap_or_else(|starting| starting);
    match state(&status) {
        "online" => assert!(status["state"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))),
        "failed" => {
            let reason = status["state"]["reason"].as_str().unwrap_or_default();
            assert!(
                reason.starts_with("cloudflared"),
                "{} said: {status}",
                real.display()
            );
        }
        other => assert_eq!(other, "starting", "{status}"),
    }
}

/// What `tunnel status` tells the admin reads as sentences in every mode: no stray runs of
/// spaces from wrapped source lines.
#[test]
fn tunnel_status_messages_are_clean_sentences() {
    let desk = Desk::new();
    let mut seen = Vec::new();
    for set in [
        &["tunnel", "set", "none"][..],
        &["tunnel", "set", "own", "https://desk.example.com"][..],
        &["tunnel", "set", "cloudflared"][..],
    ] {
        desk.cli_ok(set);
        let status = desk.cli_json(&["tunnel", "status"]);
        for field in ["message", "advice"] {
            if let Some(text) = status[field].as_str() {
                assert!(!text.contains("  "), "{set:?} {field}: {text:?}");
                seen.push(text.to_owned());
            }
        }
    }
    assert!(seen.len() >= 3, "{seen:#?}");
}

/// The admin chooses a tunnel while the endpoint serves (as they will in the app, or with the CLI
/// from another terminal): the endpoint follows without a restart, and Okta's requests keep
/// being answered throughout.
#[test]
fn a_running_endpoint_follows_a_changed_tunnel_setting() {
    let desk = Desk::new();
    let stand_in = StandIn::new();
    let env = stand_in.env();
    let conn = desk.add_connection("Okta");
    let server = desk.serve_with_env(&[], &serve_env(&env));
    let okta = Okta::new(
        &format!("{}/scim/v2/{}", server.origin(), conn.id),
        &conn.token,
    );
    assert_eq!(state(&desk.cli_json(&["tunnel", "status"])), "off");
    assert!(stand_in.starts().is_empty());

    // none → cloudflared: started and online, base URLs follow.
    desk.cli_ok(&["tunnel", "set", "cloudflared"]);
    let online = wait_status(&desk, "online", |s| state(s) == "online");
    let starts = stand_in.starts();
    assert_eq!(starts.len(), 1, "{starts:?}");
    let (pid, host, _) = starts[0].clone();
    let url = format!("https://{host}");
    assert_eq!(online["public_url"], url.as_str());
    let created = okta.post("/Users", &okta_user("mid@corp.example", "Mid", "Switch"));
    assert!(created
        .header("location")
        .is_some_and(|l| l.starts_with(&url)));
    server.wait_for_stdout(&format!(
        "Tunnel online: Okta reaches this endpoint at {url}"
    ));

    // cloudflared → your own URL: the child is stopped, the own URL is used at once.
    desk.cli_ok(&["tunnel", "set", "own", "https://scim.example.com"]);
    wait_gone(pid);
    let own = wait_status(&desk, "off with the own URL", |s| {
        state(s) == "off" && s["public_url"] == "https://scim.example.com"
    });
    assert_eq!(own["mode"], "own", "{own}");
    okta.get("/Users?startIndex=1&count=2").expect(200);

    // A choice that cannot start while serving (no authtoken stored is refused at `set`, so use
    // a listener the tunnel may not forward to) is reported, and the endpoint keeps serving.
    assert_eq!(stand_in.starts().len(), 1, "nothing else was started");
    desk.cli_ok(&["tunnel", "set", "none"]);
    let none = wait_status(&desk, "none", |s| s["mode"] == "none");
    assert_eq!(state(&none), "off");
    okta.get("/Users?startIndex=1&count=2").expect(200);
}
