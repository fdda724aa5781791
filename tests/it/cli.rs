//! The CLI contract other tools script against: flags, exit codes, config.

use scimdesk_tests::*;

#[test]
fn config_set_and_show() {
    let desk = Desk::new();
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(
        shown["listen"], "127.0.0.1:8742",
        "the default listen address: {shown}"
    );
    assert_eq!(shown["public_url"], Value::Null, "{shown}");

    desk.cli_ok(&["config", "set", "listen", "127.0.0.1:9911"]);
    desk.cli_ok(&["config", "set", "public-url", "https://desk.example.org"]);
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(shown["listen"], "127.0.0.1:9911", "{shown}");
    assert_eq!(shown["public_url"], "https://desk.example.org", "{shown}");

    // The public URL is what base URLs are built from.
    let conn = desk.add_connection("Okta");
    assert_eq!(
        conn.base_url,
        format!("https://desk.example.org/scim/v2/{}", conn.id)
    );
}

/// SCIM Desk serves plain HTTP: an address other machines reach is refused, by `config set
/// listen` and by `serve --listen`, unless `--allow-remote` says the admin means it; the choice is
/// kept with the address and shown by `config show`.
#[test]
fn a_listen_address_other_machines_reach_needs_allow_remote() {
    let desk = Desk::new();
    let port = free_port();
    for remote in [
        format!("0.0.0.0:{port}"),
        format!("[::]:{port}"),
        format!("192.168.1.20:{port}"),
    ] {
        let refused = desk.cli(&["config", "set", "listen", &remote]);
        refused.assert_code(1);
        assert!(
            refused.stderr.starts_with("error: ") && refused.stderr.contains("--allow-remote"),
            "{refused}"
        );
    }
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(
        shown["listen"], "127.0.0.1:8742",
        "nothing changed: {shown}"
    );
    assert_eq!(shown["allow_remote"], false, "{shown}");
    let refused = desk.cli(&["serve", "--listen", &format!("0.0.0.0:{port}")]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("--allow-remote"), "{refused}");
    // The flag belongs to `listen`.
    desk.cli(&["config", "set", "rate-limit", "5", "--allow-remote"])
        .assert_code(1);

    let remote = format!("0.0.0.0:{port}");
    desk.cli_ok(&["config", "set", "listen", &remote, "--allow-remote"]);
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(shown["listen"], remote.as_str(), "{shown}");
    assert_eq!(shown["allow_remote"], true, "{shown}");
    let text = desk.cli_ok(&["config", "show"]);
    assert!(
        text.contains(&format!(
            "listen       {remote} (reachable from the network: allowed with --allow-remote)"
        )),
        "{text}"
    );
    // A loopback address drops the permission with the old address.
    desk.cli_ok(&["config", "set", "listen", &format!("127.0.0.1:{port}")]);
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(shown["allow_remote"], false, "{shown}");
    let text = desk.cli_ok(&["config", "show"]);
    assert!(!text.contains("reachable from the network"), "{text}");

    // `serve --listen` with the flag serves there (Okta's requests arrive through loopback too).
    let server = desk.serve_with(&["--listen", &remote, "--allow-remote"]);
    server.wait_for_stdout("reachable from the network");
    let conn = desk.add_connection("Okta");
    let local = format!("http://127.0.0.1:{port}/scim/v2/{}", conn.id);
    Okta::new(&local, &conn.token).get("/Users").expect(200);
}

#[test]
fn global_flags_go_before_or_after_the_subcommand_and_env_sets_the_data_dir() {
    let desk = Desk::new();
    desk.add_connection("Okta");
    let dir = desk.data_dir();
    let dir = dir.to_str().unwrap();

    let after = desk.run_raw(&["connection", "list", "--data-dir", dir, "--json"], &[]);
    after.assert_code(0);
    let before = desk.run_raw(&["--json", "--data-dir", dir, "connection", "list"], &[]);
    before.assert_code(0);
    let via_env = desk.run_raw(
        &["connection", "list", "--json"],
        &[("SCIMDESK_DATA_DIR", dir)],
    );
    via_env.assert_code(0);
    for out in [&after, &before, &via_env] {
        let v: Value = serde_json::from_str(out.stdout.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e})\n{out}"));
        assert_eq!(v.as_array().map(Vec::len), Some(1), "{out}");
        assert_eq!(v[0]["name"], "Okta", "{out}");
    }
}

#[test]
fn usage_errors_exit_2_and_runtime_errors_exit_1() {
    let desk = Desk::new();
    desk.cli(&["frobnicate"]).assert_code(2);
    desk.cli(&["connection", "add"]).assert_code(2);
    // An unknown setting is refused, as a usage or a runtime error.
    let unknown = desk.cli(&["config", "set", "no-such-key", "x"]);
    assert!(matches!(unknown.code(), Some(1 | 2)), "{unknown}");
    assert!(unknown.stderr.starts_with("error: "), "{unknown}");
    let out = desk.cli(&["connection", "delete", "nobody"]);
    out.assert_code(1);
    assert!(out.stderr.starts_with("error: "), "{out}");
}

#[test]
fn serve_announces_where_it_listens() {
    let desk = Desk::new();
    let server = desk.serve();
    let expected = format!("SCIM endpoint listening on http://{}", server.listen());
    server.wait_for_line(&format!("the line {expected:?}"), |l| l.trim() == expected);
}

#[test]
fn serve_json_and_public_url_shape_every_absolute_url() {
    let desk = Desk::new();
    let server = desk.serve_with(&["--json", "--public-url", "https://desk.example.org"]);
    let line = server.wait_for_line("its first line", |_| true);
    let event: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("`serve --json` ready line is not JSON ({e}): {line:?}"));
    assert_eq!(event["event"], "listening", "{event}");
    assert_eq!(event["listen"], server.listen(), "{event}");
    assert_eq!(event["public_url"], "https://desk.example.org", "{event}");

    // Okta reaches the server through the tunnel; the server is reached here
    // on loopback, and a forged Host header must not leak into Locations.
    let conn = desk.add_connection("Okta");
    let local = format!("{}/scim/v2/{}", server.origin(), conn.id);
    let okta = Okta::new(&local, &conn.token);
    let body = okta_user("tunnel@corp.example", "Tun", "Nel");
    let created = okta.raw(
        "POST",
        "/Users",
        &[("Host", "attacker.example")],
        Some(serde_json::to_vec(&body).unwrap()),
    );
    let user = created.expect(201);
    let expected = format!(
        "https://desk.example.org/scim/v2/{}/Users/{}",
        conn.id,
        id_of(user)
    );
    assert_eq!(
        created.header("location").as_deref(),
        Some(expected.as_str()),
        "{created}"
    );
    assert_eq!(user["meta"]["location"], expected.as_str(), "{created}");
}

/// `users list` writes employees as it reads them: listing 20,000 more takes little more memory
/// (SQLite's bounded page cache) than listing 500, and every employee is listed once.
#[cfg(target_os = "linux")]
#[test]
fn users_list_streams_a_large_directory_in_bounded_memory() {
    /// Runs `scimdesk --data-dir DIR users list ARGS…`; its stdout, and its peak resident memory
    /// in MiB as the kernel tracks it for the process (VmHWM), read until the process ends.
    fn list(desk: &Desk, args: &[&str]) -> (String, u64) {
        use std::io::Read;
        let mut child = std::process::Command::new(binary())
            .args([
                "--data-dir",
                &desk.data_dir().to_string_lossy(),
                "users",
                "list",
            ])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let watcher = std::thread::spawn(move || {
            let mut peak_kib = 0_u64;
            // Until the process has exited (a zombie's status has no memory lines).
            while let Some(kib) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    let line = s.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
                    line.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
            {
                peak_kib = peak_kib.max(kib);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            peak_kib
        });
        let mut text = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}");
        let peak_kib = watcher.join().unwrap();
        assert!(peak_kib > 0, "the process's memory was never read");
        (text, peak_kib / 1024)
    }
    let desk = Desk::new();
    desk.add_connection("Okta");
    desk.cli_ok(&["dev", "seed", "500", "--connection", "Okta"]);
    let (_, small) = list(&desk, &["--json"]);
    desk.cli_ok(&[
        "dev",
        "seed",
        "20000",
        "--start",
        "500",
        "--connection",
        "Okta",
    ]);
    let (json, large) = list(&desk, &["--json"]);
    let listed: Vec<Value> = serde_json::from_str(&json).expect("one JSON array");
    assert_eq!(listed.len(), 20_500);
    let ids: std::collections::HashSet<&str> =
        listed.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), 20_500, "every employee once");
    assert!(
        large < small + 24,
        "listing 20,500 employees took {large} MiB, 500 took {small} MiB"
    );
    let (text, large_text) = list(&desk, &[]);
    assert_eq!(text.lines().count(), 20_500);
    assert!(large_text < small + 24, "{large_text} MiB vs {small} MiB");
    let (text, _) = list(&desk, &["--search", "nobody-like-this"]);
    assert_eq!(text.trim(), "No employees match.");
}

/// `users list | head`: the reader closes the pipe early, and the list just ends (no error).
#[test]
fn users_list_into_a_closed_pipe_ends_quietly() {
    let desk = Desk::new();
    desk.add_connection("Okta");
    desk.cli_ok(&["dev", "seed", "3000", "--connection", "Okta"]);
    for args in [&["users", "list"][..], &["users", "list", "--json"][..]] {
        let mut child = std::process::Command::new(binary())
            .args(["--data-dir", &desk.data_dir().to_string_lossy()])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, as `head -1` would, then close the pipe.
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
        assert!(!first.is_empty(), "{args:?}: nothing listed");
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {}\n{stderr}", out.status);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// `users org`: an employee's managers above, their reports below, by email or id, in text and
/// JSON; the top of the organisation without one; an unknown employee refused readably.
#[test]
fn users_org_shows_the_chain_and_the_reports() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let with_manager = |email: &str, given: &str, manager: Option<&str>| {
        let mut user = okta_user(email, given, "Q");
        user["title"] = json!("Engineer");
        if let Some(m) = manager {
            user["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
            user[ENTERPRISE] = json!({"manager": {"value": m}});
        }
        okta.post("/Users", &user).expect(201);
    };
    with_manager("ceo@corp.example", "Ceo", None);
    with_manager("vp@corp.example", "Vp", Some("ceo@corp.example"));
    with_manager("lead@corp.example", "Lead", Some("vp@corp.example"));
    with_manager("ana@corp.example", "Ana", Some("lead@corp.example"));
    with_manager("bo@corp.example", "Bo", Some("lead@corp.example"));

    let chart = desk.cli_json(&["users", "org", "LEAD@corp.example"]);
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&chart["chain"]), ["Ceo Q", "Vp Q"], "{chart}");
    assert_eq!(chart["person"]["name"], "Lead Q");
    assert_eq!(names(&chart["reports"]), ["Ana Q", "Bo Q"]);
    assert_eq!(chart["person"]["headcount"], 2);

    // By id, in text: the chain indented above, the person marked, the reports below.
    let id = chart["person"]["id"].as_str().unwrap().to_owned();
    let text = desk.cli_ok(&["users", "org", &id]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "Ceo Q (Engineer) <ceo@corp.example> · 1 direct",
        "{text}"
    );
    assert!(lines[1].starts_with("  Vp Q"), "{text}");
    assert!(
        lines[2].starts_with("    > Lead Q (Engineer) <lead@corp.example> · 2 direct, 2 in total"),
        "{text}"
    );
    assert!(lines[3].starts_with("      Ana Q"), "{text}");

    // No one chosen: the top of the organisation.
    let top = desk.cli_ok(&["users", "org"]);
    assert!(
        top.starts_with("Top of the organisation (1 with no manager):"),
        "{top}"
    );
    assert!(top.contains("Ceo Q"), "{top}");

    let out = desk.cli(&["users", "org", "nobody@corp.example"]);
    assert_ne!(out.code(), Some(0));
    assert!(
        out.stderr
            .contains("no employee has the id, email or userName 'nobody@corp.example'"),
        "{out}"
    );
}
