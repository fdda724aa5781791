//! The desktop app end to end: the real `scimdesk-app` in its real webview (tauri-driver +
//! WebKitWebDriver under Xvfb), the real keychain, and Okta's requests over loopback HTTP to the
//! base URL and token read from the page. Screenshots of every screen go to
//! `target/e2e-screenshots/<test>/`.
use scimdesk_tests::app::App;
use scimdesk_tests::*;

const ENTER: &str = "\u{E007}";

/// Adds a connection through the dialog, as the admin does, and returns its row.
fn add_connection(app: &App, name: &str) -> fantoccini::elements::Element {
    app.click("add-connection");
    app.wait_for("connection-dialog");
    app.type_into("connection-name", name);
    app.click("save-connection");
    let css = format!("[data-testid=\"connection-row\"][data-connection-name=\"{name}\"]");
    let row = app.wait_for_css(&css);
    // The first connection comes with the question about starting at login (asked once; the
    // row and the question appear together): "Not now" here, see `start_at_login_…`.
    if app.exists("start-at-login-offer") {
        app.click("start-at-login-not-now");
        app.wait_until("the question closes", |app| {
            !app.exists("start-at-login-offer")
        });
    }
    row
}

/// Reveals and reads a connection's token from the page.
fn token_of(app: &App, row: &fantoccini::elements::Element) -> String {
    let reveal = app.find_in(row, "reveal-token");
    app.click_element(&reveal);
    let mut token = String::new();
    app.wait_until("the token is revealed", |app| {
        token = app.text_of(&app.find_in(row, "token")).trim().to_owned();
        !token.is_empty() && !token.contains('•')
    });
    token
}

fn clipboard() -> String {
    // The app owns the X clipboard of the test display; xclip asks it for the text.
    let display = scimdesk_tests::app::display_name();
    let out = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .env("DISPLAY", display)
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Okta, calling the connection at the base URL the running app gives it now (the app was
/// launched on a port chosen after the connection was added).
fn okta_of(desk: &Desk, conn: &Connection) -> Okta {
    let listed = desk.cli_json(&["connection", "list"]);
    let base_url = listed[0]["base_url"].as_str().expect("a base URL");
    Okta::new(base_url, &conn.token)
}

/// Waits for `child` to end by itself and returns how it ended (killed, and a panic naming
/// `what`, if it is still running after the harness's ceiling).
fn exit_of(mut child: std::process::Child, what: &str) -> std::process::ExitStatus {
    wait_for_exit(&mut child, WAIT_CEILING).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("{what} kept running for {WAIT_CEILING:?}");
    })
}

fn employee_row_css(email: &str) -> String {
    format!("[data-testid=\"employee-row\"][data-email=\"{email}\"]")
}

#[test]
fn an_admin_connects_okta_sees_employees_arrive_and_deletes_the_connection() {
    let desk = Desk::new();
    let app = App::launch(&desk, "okta_lifecycle");
    app.screenshot("first-start");

    // Settings > Integrations > Okta.
    app.click("nav-settings");
    app.wait_for("okta-card");
    assert_eq!(app.text("okta-status").trim(), "On · 0 connections");
    app.screenshot("integrations");
    app.click("okta-card");
    app.wait_for("connections-empty");
    app.screenshot("okta-empty");

    // + Add Connection: a bad name is refused inline, the dialog stays open.
    app.click("add-connection");
    app.wait_for("connection-dialog");
    app.screenshot("add-dialog");
    app.type_into("connection-name", "   ");
    app.click("save-connection");
    let error = app.text("connection-name-error");
    assert!(!error.trim().is_empty(), "an empty name must be refused");
    app.screenshot("add-dialog-empty-name");
    app.type_into("connection-name", &"x".repeat(65));
    app.click("save-connection");
    app.wait_until("a too-long name is refused", |app| {
        app.text("connection-name-error").contains("64")
    });
    app.click("cancel-connection");
    app.wait_until("the dialog closes", |app| !app.exists("connection-dialog"));
    assert_eq!(
        desk.cli_json(&["connection", "list"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    let row = add_connection(&app, "Okta production");
    app.screenshot("connection-added");
    let base_url = app
        .text_of(&app.find_in(&row, "base-url"))
        .trim()
        .to_owned();
    let token = token_of(&app, &row);
    app.screenshot("token-revealed");
    let listed = desk.cli_json(&["connection", "list"]);
    assert_eq!(listed[0]["name"], "Okta production");
    assert_eq!(listed[0]["base_url"], base_url.as_str());
    assert_eq!(
        desk.cli_ok(&["connection", "token", "Okta production"])
            .trim(),
        token
    );

    // The copy buttons put the exact values on the clipboard.
    app.click_element(&app.find_in(&row, "copy-base-url"));
    app.wait_until("the base URL is on the clipboard", |_| {
        clipboard() == base_url
    });
    app.click_element(&app.find_in(&row, "copy-token"));
    app.wait_until("the token is on the clipboard", |_| clipboard() == token);

    // A duplicate name (ignoring case) is refused with the server's message.
    app.click("add-connection");
    app.type_into("connection-name", "OKTA PRODUCTION");
    app.keys("connection-name", ENTER);
    app.wait_until("a duplicate name is refused", |app| {
        app.text("connection-name-error").contains("already exists")
    });
    app.screenshot("duplicate-name");
    app.click("cancel-connection");

    // Okta pushes an employee while the admin watches the Employees page.
    app.click("nav-employees");
    app.wait_for("employees-empty");
    app.screenshot("employees-empty");
    let okta = Okta::new(&base_url, &token);
    let jane = okta.create_user(&okta_user("jane.doe@corp.example", "Jane", "Doe"));
    let row = app.wait_for_css(&employee_row_css("jane.doe@corp.example"));
    assert_eq!(
        app.text_of(&app.find_in(&row, "employee-status")).trim(),
        "Active"
    );
    assert!(app
        .text_of(&app.find_in(&row, "employee-name"))
        .contains("Jane Doe"));
    app.screenshot("employee-arrived");

    // Deactivated in Okta: the status changes in place.
    okta.patch_ops(
        &format!("/Users/{}", id_of(&jane)),
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .expect(200);
    app.wait_until("the status turns Deactivated", |app| {
        app.all_css(&employee_row_css("jane.doe@corp.example"))
            .first()
            .map(|row| app.text_of(&app.find_in(row, "employee-status")))
            .is_some_and(|s| s.trim() == "Deactivated")
    });
    app.screenshot("employee-deactivated");

    // The detail view: every field, groups and this employee's activity.
    let row = app.wait_for_css(&employee_row_css("jane.doe@corp.example"));
    app.click_element(&app.find_in(&row, "employee-name"));
    app.wait_for("employee-detail");
    assert_eq!(app.text("detail-status").trim(), "Deactivated");
    assert!(app.text("detail-activity").contains("Deactivated"));
    app.screenshot("employee-detail");

    // Activity: each request as a readable line, live.
    app.click("nav-activity");
    app.wait_until("the create and the deactivation are listed", |app| {
        let lines: Vec<String> = app
            .all("activity-summary")
            .iter()
            .map(|e| app.text_of(e))
            .collect();
        lines.iter().any(|l| l.starts_with("Created Jane Doe"))
            && lines.iter().any(|l| l.starts_with("Deactivated Jane Doe"))
    });
    okta.post("/Users", &json!({"schemas": [USER_SCHEMA]}))
        .assert_scim_error(400, None);
    app.wait_until("the failed request is marked", |app| {
        !app.all_css("[data-testid=\"activity-row\"][data-outcome=\"failure\"]")
            .is_empty()
    });
    app.screenshot("activity");

    // ⋮ → Delete → confirm: syncing stops, the employee stays.
    app.click("nav-settings");
    app.click("okta-card");
    let row = app.wait_for("connection-row");
    app.wait_until("Okta's last contact is shown", |app| {
        app.text_of(&app.find_in(&row, "last-contact"))
            .contains("400")
            || !app
                .text_of(&app.find_in(&row, "last-contact"))
                .contains("Never")
    });
    app.click_element(&app.find_in(&row, "connection-menu"));
    app.click("delete-connection");
    app.wait_for("delete-dialog");
    let warning = app.text("delete-dialog");
    assert!(warning.contains("stay"), "{warning}");
    app.screenshot("delete-confirm");
    app.click("confirm-delete");
    app.wait_for("connections-empty");
    app.screenshot("deleted");
    okta.get("/Users").assert_scim_error(401, None);
    assert_eq!(
        desk.employee("jane.doe@corp.example")["status"],
        "deactivated"
    );
    app.click("nav-employees");
    app.wait_for_css(&employee_row_css("jane.doe@corp.example"));
}

#[test]
fn the_okta_switch_refuses_requests_while_off_and_nothing_is_lost() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    let app = App::launch(&desk, "okta_switch");
    let okta_here = okta_of(&desk, &conn);
    okta_here.create_user(&okta_user("kept@corp.example", "Kept", "Person"));

    app.go("#/settings/integrations");
    app.wait_for("okta-toggle");
    app.click("okta-toggle");
    app.click("confirm-okta-off");
    app.wait_until("the card says Off", |app| {
        app.text("okta-status").trim() == "Off"
    });
    app.screenshot("okta-off");
    okta_here.get("/Users").assert_scim_error(403, None);
    app.click("okta-card");
    app.wait_for("okta-off-banner");
    app.screenshot("okta-page-off");

    app.go("#/settings/integrations");
    app.click("okta-toggle");
    app.wait_until("the card says On", |app| {
        app.text("okta-status").starts_with("On")
    });
    okta_here.get("/Users").expect(200);
    assert_eq!(desk.employee("kept@corp.example")["status"], "active");
}

#[test]
fn a_taken_port_is_reported_and_another_one_chosen() {
    let desk = Desk::new();
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap();
    desk.cli_ok(&["config", "set", "listen", &taken.to_string()]);
    let conn = desk.add_connection("Okta");

    let app = App::launch_as_is(&desk, "port_taken");
    app.wait_for("endpoint-banner");
    assert!(app
        .text("endpoint-banner")
        .contains(&taken.port().to_string()));
    app.screenshot("port-in-use");

    // A port that is not one is refused inline.
    app.type_into("port-input", "80");
    app.click("port-apply");
    app.wait_until("port 80 is refused", |app| {
        app.text("port-error").contains("1024")
    });
    let port = free_port();
    app.type_into("port-input", &port.to_string());
    app.click("port-apply");
    app.wait_until("the banner goes away", |app| !app.exists("endpoint-banner"));
    app.screenshot("port-changed");

    let base_url = format!("http://127.0.0.1:{port}/scim/v2/{}", conn.id);
    Okta::new(&base_url, &conn.token).get("/Users").expect(200);
    assert_eq!(
        desk.cli_json(&["config", "show"])["listen"],
        format!("127.0.0.1:{port}")
    );
    drop(squatter);
}

#[test]
fn the_public_url_is_chosen_in_the_app_and_a_change_is_announced() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    let app = App::launch(&desk, "public_url");
    app.go("#/settings/integrations/okta");
    app.wait_for("tunnel-card");
    app.screenshot("no-tunnel");

    // Your own URL: validated inline, then base URLs follow it.
    app.click("tunnel-change");
    app.wait_for("tunnel-dialog");
    app.click("tunnel-mode-own");
    app.type_into("tunnel-url", "http://desk.example.com");
    app.click("save-tunnel");
    app.wait_until("plain http is refused", |app| {
        app.text("tunnel-error").contains("HTTPS")
    });
    app.screenshot("tunnel-dialog-error");
    app.type_into("tunnel-url", "https://desk-one.example.com");
    app.click("save-tunnel");
    app.wait_until("the dialog closes", |app| !app.exists("tunnel-dialog"));
    app.wait_until("the base URL follows", |app| {
        app.text("base-url").trim() == format!("https://desk-one.example.com/scim/v2/{}", conn.id)
    });

    // Moving to another URL: the app says Okta must be updated, with the new value to copy.
    app.click("tunnel-change");
    app.click("tunnel-mode-own");
    app.type_into("tunnel-url", "https://desk-two.example.com");
    app.click("save-tunnel");
    app.wait_for("url-changed-banner");
    let banner = app.text("url-changed-banner");
    assert!(
        banner.contains(&format!("https://desk-two.example.com/scim/v2/{}", conn.id)),
        "{banner}"
    );
    app.screenshot("url-changed");
    app.click("copy-new-base-url");
    app.wait_until("the new base URL is on the clipboard", |_| {
        clipboard() == format!("https://desk-two.example.com/scim/v2/{}", conn.id)
    });
    app.click("ack-url-change");
    app.wait_until("the banner goes away", |app| {
        !app.exists("url-changed-banner")
    });
    assert!(desk.cli_json(&["tunnel", "status"])["url_changed"].is_null());
}

#[test]
fn the_rehearsal_runs_from_the_app() {
    let desk = Desk::new();
    let port = free_port();
    desk.cli_ok(&["config", "set", "listen", &format!("127.0.0.1:{port}")]);
    // The app's own address as the public URL: the rehearsal goes through it like Okta would.
    desk.cli_ok(&[
        "config",
        "set",
        "public-url",
        &format!("http://127.0.0.1:{port}"),
    ]);
    desk.add_connection("Okta");
    let app = App::launch_as_is(&desk, "rehearsal");
    app.go("#/settings/integrations/okta");
    let row = app.wait_for("connection-row");
    app.click_element(&app.find_in(&row, "test-connection"));
    app.wait_until("every step passed", |app| {
        app.all("rehearsal-result")
            .first()
            .is_some_and(|r| app.text_of(r).contains("token"))
    });
    app.screenshot("rehearsal");
    // Every step passed from here, but through plain HTTP on this computer: the verdict must not
    // promise that Okta will connect, and the note says why.
    let result = app.text("rehearsal-result");
    assert!(
        result.contains("can't reach this URL") && !result.contains("will be able to connect"),
        "{result}"
    );
    assert!(app.text("rehearsal-note").contains("HTTPS"), "{result}");
    app.eval(
        "document.querySelector('[data-testid=rehearsal-note]').scrollIntoView({block: 'center'}); return true;",
        vec![],
    );
    app.screenshot("rehearsal-note");
    assert_eq!(
        desk.employees().len(),
        0,
        "the rehearsal creates no employee"
    );
}

#[test]
fn employees_page_filter_export_and_a_second_launch() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    // The native save dialog can't be driven: its test seam answers with this path, which then
    // goes through the same grant as a chosen one.
    let chosen = desk.root().join("export.csv");
    let app = App::launch_with_env(
        &desk,
        "employees",
        &[("SCIMDESK_TEST_SAVE_PATH", chosen.as_path())],
    );
    let okta = okta_of(&desk, &conn);
    for i in 0..120 {
        let mut user = okta_user(
            &format!("person{i:03}@corp.example"),
            &format!("Person{i:03}"),
            "Example",
        );
        if i % 4 == 0 {
            user["active"] = json!(false);
        }
        okta.post("/Users", &user).expect(201);
    }
    app.go("#/employees");
    app.wait_until("a page of 50 of 120", |app| {
        app.all("employee-row").len() == 50 && app.text("page-info").contains("120")
    });
    app.screenshot("employees-page-1");
    // An empty value is one dash in one font across the row, the monospaced columns included.
    let dashes = app.eval(
        "return [...document.querySelectorAll('[data-testid=employee-row] td > span[aria-label=none]')]
           .map(s => getComputedStyle(s).fontFamily + ' ' + getComputedStyle(s).fontSize);",
        vec![],
    );
    let dashes: Vec<&str> = dashes
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(dashes.len() > 50, "empty cells on the page: {dashes:?}");
    assert!(
        dashes.iter().all(|d| *d == dashes[0]),
        "empty values are drawn in different fonts: {:?}",
        dashes.iter().collect::<std::collections::BTreeSet<_>>()
    );
    app.click("page-last");
    // The last page holds the last 50: "71–120 of 120".
    app.wait_until("the last page", |app| {
        let info = app.text("page-info");
        info.contains("71") && info.contains("of 120")
    });
    assert_eq!(app.all("employee-row").len(), 50);
    assert!(!app
        .all_css(&employee_row_css("person119@corp.example"))
        .is_empty());
    app.click("page-first");
    app.wait_until("the first page again", |app| {
        app.all("employee-row").len() == 50
    });

    // Status filter and search.
    let select = app.wait_for("status-filter");
    app.eval(
        "arguments[0].value = 'deactivated'; arguments[0].dispatchEvent(new Event('change', {bubbles: true})); return true;",
        vec![serde_json::to_value(&select).unwrap()],
    );
    app.wait_until("30 deactivated", |app| {
        app.text("page-info").contains("30") && app.all("employee-row").len() == 30
    });
    app.screenshot("employees-deactivated");
    app.type_into("employee-search", "person008");
    app.wait_until("one match", |app| app.all("employee-row").len() == 1);
    app.type_into("employee-search", "nobody-like-this");
    app.wait_for("employees-no-match");
    app.screenshot("employees-no-match");

    // Export CSV, as the admin clicks it: the filtered list (3 deactivated person00x) goes to the
    // file the save dialog returned.
    app.type_into("employee-search", "person00");
    app.wait_until("three matches", |app| app.all("employee-row").len() == 3);
    app.click("export-csv");
    app.wait_until("the export's toast", |app| {
        app.all("toast")
            .iter()
            .any(|t| app.text_of(t).contains("Exported 3 employees to"))
    });
    app.screenshot("employees-exported");
    let csv = std::fs::read_to_string(&chosen).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");

    // The page can export only to what the dialog returns, once: not to a path it makes up,
    // nor twice to a chosen one.
    let all = json!({"search": null, "status": "all", "limit": 50, "after": null, "before": null, "last": false});
    let made_up = desk.root().join("made-up.csv");
    let refused = app
        .invoke("export_employees", json!({"query": all, "path": made_up}))
        .expect_err("a path the dialog did not return");
    assert!(refused.to_string().contains("save dialog"), "{refused}");
    assert!(!made_up.exists());
    let granted = app
        .invoke(
            "choose_export_file",
            json!({"suggestedName": "employees.csv"}),
        )
        .expect("the dialog's answer");
    assert_eq!(granted, json!(chosen));
    let n = app
        .invoke("export_employees", json!({"query": all, "path": granted}))
        .expect("export");
    assert_eq!(n, json!(120));
    let csv = std::fs::read_to_string(&chosen).unwrap();
    assert_eq!(csv.lines().count(), 121);
    let again = app.invoke("export_employees", json!({"query": all, "path": granted}));
    assert!(again.is_err(), "{again:?}");

    // A second launch shows the running app and exits instead of starting another endpoint.
    let second = std::process::Command::new(scimdesk_tests::app::app_binary())
        .args(["--data-dir", &desk.data_dir().to_string_lossy()])
        .env("DISPLAY", scimdesk_tests::app::display_name())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = exit_of(second, "the second launch");
    assert!(status.success(), "{status}");
    // The first one still serves.
    okta.get("/Users").expect(200);
    app.wait_for("nav-employees");
}

/// Run only by `the_test_display_ends_with_the_test_process`, in a test process of its own.
#[test]
#[ignore = "a helper: the_test_display_ends_with_the_test_process runs it in a child process"]
fn start_the_test_display_and_tell_its_pid() {
    println!("xvfb-pid={}", scimdesk_tests::app::display_pid());
}

#[cfg(target_os = "linux")]
#[test]
fn the_test_display_ends_with_the_test_process() {
    let out = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            "desktop_app::start_the_test_display_and_tell_its_pid",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the helper failed: {stdout}");
    let pid: u32 = stdout
        .lines()
        .find_map(|l| l.split_once("xvfb-pid=").map(|(_, pid)| pid))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the helper printed no Xvfb pid: {stdout}"));
    // Gone, or a zombie waiting for a parent that does not reap (a container's first process).
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|s| !s.trim_start().starts_with('Z'))
        })
    };
    until(
        &format!("Xvfb (pid {pid}) ended with the test process that started it"),
        || !alive(),
    );
}

/// Logout sends SIGTERM: the app stops as *Quit* does — it stops serving, writes the database's
/// log back into the database (an empty `-wal` file), writes its last log lines, and exits 0.
#[cfg(unix)]
#[test]
fn sigterm_ends_the_app_as_quit_does() {
    let _turn = scimdesk_tests::app::one_at_a_time();
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    let listen = format!("127.0.0.1:{}", free_port());
    desk.cli_ok(&["config", "set", "listen", &listen]);
    let log = desk.root().join("app.log");
    let mut app = std::process::Command::new(scimdesk_tests::app::app_binary())
        .args(["--data-dir", &desk.data_dir().to_string_lossy()])
        .env("DISPLAY", scimdesk_tests::app::display_name())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let okta = okta_of(&desk, &conn);
    eventually("the app's endpoint accepted a connection", || {
        assert!(app.try_wait().unwrap().is_none(), "the app ended early");
        std::net::TcpStream::connect(&listen)
            .map_err(|e| format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default()))
    });
    okta.get("/Users?count=1").expect(200);
    okta.post("/Users", &okta_user("last.one@corp.example", "Last", "One"))
        .expect(201);
    let wal = desk.data_dir().join("scimdesk.db-wal");
    assert!(
        std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0),
        "the create is in the database's log before the app stops"
    );

    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    unsafe { libc::kill(app.id() as libc::pid_t, libc::SIGTERM) };
    let status = exit_of(app, "the app after SIGTERM");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "SIGTERM: {status}\n{text}");
    assert!(text.contains("asked to stop"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("method=POST") && l.contains("status=201")),
        "the last request is in the log: {text}"
    );
    assert_eq!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()),
        0,
        "the database's log was written back at exit"
    );
    assert_eq!(desk.employee("last.one@corp.example")["status"], "active");
}

/// A `scimdesk` command run beside the open app changes the same data directory: the window
/// shows the change without the admin reloading anything.
#[test]
fn changes_made_with_the_cli_show_in_the_open_app() {
    let desk = Desk::new();
    desk.add_connection("Okta");
    let app = App::launch(&desk, "cli_beside_the_app");
    app.go("#/settings/integrations/okta");
    app.wait_for_css("[data-testid=\"connection-row\"][data-connection-name=\"Okta\"]");

    desk.cli_ok(&["connection", "add", "Added from a terminal"]);
    app.wait_for_css(
        "[data-testid=\"connection-row\"][data-connection-name=\"Added from a terminal\"]",
    );
    app.screenshot("connection-added-by-the-cli");

    app.go("#/employees");
    app.wait_for("employees-empty");
    desk.cli_ok(&["dev", "seed", "3", "--connection", "Okta"]);
    app.wait_until("the three employees the CLI imported", |app| {
        app.all("employee-row").len() == 3
    });
    app.screenshot("employees-imported-by-the-cli");
}

/// A stranger's wrong token shows on the connection as refused requests, not as Okta's contact;
/// Settings > Activity log shows the log's size and changes what it keeps, as `config set` does.
#[test]
fn refused_tokens_and_the_activity_log_settings_in_the_app() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    let app = App::launch(&desk, "refused_and_retention");
    let okta = okta_of(&desk, &conn);
    okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe"));
    okta.with_authorization(Some("Bearer guessed"))
        .get("/Users")
        .assert_scim_error(401, None);

    app.go("#/settings/integrations/okta");
    let refused = app.wait_for("refused-requests");
    app.wait_until("one refused request on the card", |app| {
        app.text_of(&refused)
            .contains("1 request with a wrong or missing token")
    });
    assert!(
        app.text("last-contact").contains("Succeeded"),
        "the stranger is not Okta's last contact"
    );
    app.screenshot("connection-with-refused-requests");

    app.click("nav-settings");
    app.click("nav-activity-log");
    app.wait_until("the log's size", |app| {
        app.text("activity-log-size").contains("Now 1 line")
    });
    app.type_into("retention-lines", "50");
    app.click("retention-save");
    app.wait_for("retention-lines-error");
    app.screenshot("activity-log-settings-refused");
    app.type_into("retention-days", "30");
    app.type_into("retention-lines", "250,000");
    app.click("retention-save");
    app.wait_until("the saved retention", |app| {
        app.all("toast")
            .iter()
            .any(|t| app.text_of(t).contains("30 days or 250,000 lines"))
    });
    app.screenshot("activity-log-settings");
    let shown = desk.cli_json(&["config", "show"]);
    assert_eq!(
        shown["activity_retention"],
        json!({"days": 30, "lines": 250_000}),
        "{shown}"
    );
}

/// When the disk holding the data directory fills up (a real one: a small tmpfs), the app says
/// so at the top of every page, with the free space and the data directory's path, until Okta's
/// writes go through again.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_banner_until_writes_go_through_again() {
    let desk = Desk::new();
    let _disk = scimdesk_tests::disk::Tmpfs::mount(&desk.data_dir(), "12m");
    let conn = desk.add_connection("Okta");
    let app = App::launch(&desk, "disk_full");
    let okta = okta_of(&desk, &conn);
    okta.create_user(&okta_user("before@corp.example", "Be", "Fore"));
    assert!(!app.exists("disk-full-banner"));

    let filler = desk.data_dir().join("filler");
    scimdesk_tests::disk::fill(&filler);
    let refused = (0..500)
        .map(|i| {
            okta.post(
                "/Users",
                &okta_user(&format!("full{i}@corp.example"), "Fu", "Ll"),
            )
        })
        .find(|r| r.status != 201)
        .expect("a write was refused once the disk was full");
    refused.assert_scim_error(503, None);
    let banner = app.wait_for("disk-full-banner");
    let data_dir = desk.data_dir().display().to_string();
    app.wait_until("the banner names the data directory", |app| {
        app.text_of(&banner).contains(&data_dir)
    });
    assert!(app.text("disk-free").ends_with("bytes") || app.text("disk-free").ends_with("kB"));
    app.screenshot("disk-full-banner");

    std::fs::remove_file(&filler).expect("free the space");
    eventually("Okta's retry goes through", || {
        let r = okta.post("/Users", &okta_user("after@corp.example", "Af", "Ter"));
        match r.status {
            201 => Ok(()),
            _ => Err(r.to_string()),
        }
    });
    app.wait_until("the banner is gone", |app| !app.exists("disk-full-banner"));
    app.screenshot("disk-has-room-again");
}

/// `status --json` once the endpoint's state (told from its heartbeat) is `state`.
#[track_caller]
fn wait_for_endpoint_state(desk: &Desk, state: &str) {
    eventually(
        &format!("`scimdesk status` says the endpoint is {state}"),
        || {
            let status = desk.cli_json(&["status"]);
            if status["endpoint"]["state"] == state {
                Ok(())
            } else {
                Err(status)
            }
        },
    )
}

#[test]
fn after_a_night_okta_could_not_reach_the_desk_the_app_says_so_and_what_to_do_in_okta() {
    let desk = Desk::new();
    desk.add_connection("Okta production");
    // `serve` runs and beats, then is killed: no clean stop.
    let mut server = desk.serve_with_env(&[], &[("SCIMDESK_HEARTBEAT_MS", "200")]);
    wait_for_endpoint_state(&desk, "running");
    server.kill9();
    wait_for_endpoint_state(&desk, "not_running");
    drop(server);
    // The kill happened at 22:10 yesterday (UTC): its last beat is moved back to then, so the
    // app's start finds the night-long gap, as after a real night, without the test waiting it.
    let db = rusqlite::Connection::open(desk.data_dir().join("scimdesk.db")).unwrap();
    let moved = db
        .execute(
            "UPDATE heartbeat SET beat_at = strftime('%Y-%m-%dT22:10:00.000Z', 'now', '-1 day') \
             WHERE clean_stop = 0",
            [],
        )
        .unwrap();
    assert_eq!(moved, 1, "the killed server's last beat");
    drop(db);

    // The app starts the next day; times show in UTC, as stored.
    let utc = std::path::Path::new("UTC");
    let app = App::launch_with_env(&desk, "reachability", &[("TZ", utc)]);
    let banner = app.wait_for("reachability-banner");
    let text = app.text("reachability-banner-text");
    // It spans two days, so the dates are named: "from Sun, Dec 6, 22:10 to Mon, Dec 7, 16:05".
    assert!(
        text.starts_with("Okta couldn't reach SCIM Desk from ") && text.contains(", 22:10 to "),
        "{text}"
    );
    assert!(
        text.ends_with("(SCIM Desk not running). Pushes in that time may have failed."),
        "{text}"
    );
    let advice = app.text_of(&banner);
    assert!(advice.contains("Dashboard › Tasks"), "{advice}");
    assert!(advice.contains("Push Now"), "{advice}");
    app.screenshot("banner");

    // The Okta page lists the window: when, how long, why, which connections.
    app.go("#/settings/integrations/okta");
    let row = app.wait_for("reachability-row");
    let line = app.text_of(&row);
    assert!(line.contains("SCIM Desk was not running"), "{line}");
    assert!(line.contains("Okta production"), "{line}");
    // From 22:10 yesterday to now: hours long, or a day once now is past 22:10 (the test's
    // clock decides, so both are right; this line failed every evening before).
    assert!(
        line.contains(" h ") || line.contains("1 day"),
        "hours long, or a day: {line}"
    );
    assert_eq!(app.all("reachability-row").len(), 1);
    app.eval(
        "document.querySelector('[data-testid=\"reachability\"]').scrollIntoView(); return true;",
        vec![],
    );
    app.screenshot("okta-page-reachability");

    // Dismissed from the keyboard; gone, and the list keeps it.
    app.keys("dismiss-reachability", ENTER);
    app.wait_until("the banner is dismissed", |app| {
        !app.exists("reachability-banner")
    });
    // The keyboard continues from the page's content, not from nowhere.
    let focused = app.eval("return document.activeElement.id;", vec![]);
    assert_eq!(focused, "main");
    assert_eq!(app.all("reachability-row").len(), 1);
    app.screenshot("dismissed");
    drop(app);

    // It stays dismissed after a restart of the app.
    let app = App::launch_with_env(&desk, "reachability-restarted", &[("TZ", utc)]);
    app.go("#/settings/integrations/okta");
    app.wait_for("reachability-row");
    assert!(!app.exists("reachability-banner"));
}

/// Start at login and keeping the computer awake, through the real app: the question after the
/// first connection ("Yes" writes the XDG autostart entry, which starts the app in the tray on
/// the same data directory), *Settings › General* reading the entry back and removing it, and
/// the sleep inhibitor held while Okta can provision and let go on quit.
///
/// The autostart entry is written by Tauri's autostart plugin (the `auto-launch` crate) to
/// `$HOME/.config/autostart/` — it does not read `XDG_CONFIG_HOME` — so the app runs with a
/// `HOME` of the test's own. The sleep inhibitor is asked of the real systemd-logind when the
/// system bus has one, else of the STAND-IN logind (`logind_standin`) on a private bus; the test
/// prints which.
#[test]
fn start_at_login_is_offered_once_written_read_back_removed_and_the_computer_kept_awake() {
    use scimdesk_tests::logind_standin::Logind;
    let logind = Logind::find();
    println!("sleep inhibitor tested against {}", logind.which());
    let home = tempfile::tempdir().unwrap();
    let env = logind.env();
    let mut envs: Vec<(&str, &std::path::Path)> = vec![("HOME", home.path())];
    envs.extend(
        env.iter()
            .map(|(k, v)| (*k, std::path::Path::new(v.as_str()))),
    );
    let entry = home.path().join(".config/autostart/SCIM Desk.desktop");

    let desk = Desk::new();
    let app = App::launch_with_env(&desk, "start_at_login", &envs);
    // The plugin is Rust's: the page cannot call it past the app's own commands.
    let refused = app.invoke("plugin:autostart|enable", serde_json::json!({}));
    assert!(
        format!("{refused:?}").contains("not allowed"),
        "{refused:?}"
    );
    assert!(!entry.exists());
    app.go("#/settings/integrations/okta");
    app.click("add-connection-empty");
    app.wait_for("connection-dialog");
    app.type_into("connection-name", "Okta production");
    app.click("save-connection");
    // Asked, with the new connection; nothing written until the admin says Yes.
    app.wait_for("start-at-login-offer");
    app.screenshot("start-at-login-offer");
    assert!(!entry.exists(), "nothing is turned on without a Yes");
    app.click("start-at-login-yes");
    app.wait_until("the question closes", |app| {
        !app.exists("start-at-login-offer")
    });
    let written = scimdesk_tests::wait::eventually("the autostart entry is written", || {
        std::fs::read_to_string(&entry).map_err(|e| format!("{}: {e}", entry.display()))
    });
    let exec = written
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .unwrap_or_else(|| panic!("no Exec line in\n{written}"));
    let data_dir = desk.data_dir();
    assert!(
        exec.ends_with(&format!(" --tray --data-dir={}", data_dir.display())),
        "the entry starts the app in the tray on its data directory: {exec}"
    );
    let program = exec.split(' ').next().unwrap();
    assert!(
        program.ends_with("scimdesk-app"),
        "the entry starts this app: {exec}"
    );

    // Settings › General reads the entry back from the system.
    app.go("#/settings/general");
    let switch = app.wait_for("start-at-login");
    app.wait_until("the switch shows the entry", |app| {
        app.attr(&switch, "aria-checked").as_deref() == Some("true")
    });
    app.screenshot("general-start-at-login-on");

    // Keeping the computer awake: held while Okta can provision.
    app.click("keep-awake");
    app.wait_until("the inhibitor is held", |app| {
        app.text("awake-state")
            .contains("Keeping this computer awake since")
    });
    let held = logind.scim_desk_inhibitors();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].what, "sleep:idle");
    app.screenshot("general-kept-awake");
    // The Okta switch off: let go, and the page says why.
    desk.cli_ok(&["config", "set", "okta", "off"]);
    app.wait_until("the page says why the computer may sleep", |app| {
        app.text("awake-state").contains("Okta integration is off")
    });
    assert!(logind.scim_desk_inhibitors().is_empty());
    app.screenshot("general-okta-off");
    desk.cli_ok(&["config", "set", "okta", "on"]);
    app.wait_until("held again", |app| {
        app.text("awake-state")
            .contains("Keeping this computer awake since")
    });

    // Off: the entry is removed, and the switch says so.
    app.click("start-at-login");
    scimdesk_tests::wait::eventually("the autostart entry is removed", || {
        if entry.exists() {
            Err("still there")
        } else {
            Ok(())
        }
    });
    app.wait_until("the switch shows no entry", |app| {
        app.attr(&app.wait_for("start-at-login"), "aria-checked")
            .as_deref()
            == Some("false")
    });

    // Quit: the computer may sleep again.
    assert!(!logind.scim_desk_inhibitors().is_empty());
    drop(app);
    scimdesk_tests::wait::eventually("the inhibitor is let go after quit", || {
        let held = logind.scim_desk_inhibitors();
        if held.is_empty() {
            Ok(())
        } else {
            Err(format!("{held:?}"))
        }
    });
}

/// The windows of the test display named `name`, and whether each is viewable (mapped), as
/// `xwininfo` reports them.
fn windows_named(name: &str) -> Vec<(String, bool)> {
    let display = scimdesk_tests::app::display_name();
    let tree = std::process::Command::new("xwininfo")
        .args(["-root", "-tree"])
        .env("DISPLAY", display)
        .output()
        .expect("xwininfo (Debian package x11-utils)");
    let quoted = format!("\"{name}\"");
    String::from_utf8_lossy(&tree.stdout)
        .lines()
        .filter(|l| l.contains(&quoted))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .map(|id| {
            let info = std::process::Command::new("xwininfo")
                .args(["-id", &id])
                .env("DISPLAY", display)
                .output()
                .expect("xwininfo");
            let viewable = String::from_utf8_lossy(&info.stdout).contains("IsViewable");
            (id, viewable)
        })
        .collect()
}

/// Started by the login entry (`--tray`), the app serves Okta from the tray without showing its
/// window; opening SCIM Desk again (a second launch) shows it.
#[test]
fn started_at_login_the_app_runs_in_the_tray_without_its_window() {
    let _turn = scimdesk_tests::app::one_at_a_time();
    let desk = Desk::new();
    let listen = format!("127.0.0.1:{}", free_port());
    desk.cli_ok(&["config", "set", "listen", &listen]);
    let launch = |args: &[&str]| {
        std::process::Command::new(scimdesk_tests::app::app_binary())
            .args(["--data-dir", &desk.data_dir().to_string_lossy()])
            .args(args)
            .env("DISPLAY", scimdesk_tests::app::display_name())
            .stdout(std::process::Stdio::null())
            .stderr(
                std::fs::File::create(desk.root().join(format!("app{}.log", args.len()))).unwrap(),
            )
            .spawn()
            .unwrap()
    };
    let mut app = launch(&["--tray"]);
    eventually("the app's endpoint accepted a connection", || {
        assert!(app.try_wait().unwrap().is_none(), "the app ended early");
        std::net::TcpStream::connect(&listen).map(|_| ())
    });
    // Up, with its tray icon (made just before the window would be shown), and no window shown:
    // GTK does not even realise the hidden window.
    eventually("the app's tray icon exists", || {
        let icons = windows_named("scimdesk-app");
        if icons.is_empty() {
            Err("no tray icon window".to_owned())
        } else {
            Ok(())
        }
    });
    let shown = windows_named("SCIM Desk");
    assert!(
        shown.iter().all(|(_, viewable)| !viewable),
        "started in the tray, no window is shown: {shown:?}"
    );

    // Opening SCIM Desk again shows the running one's window (and starts no second app).
    let second = launch(&[]);
    let status = exit_of(second, "the second launch");
    assert!(status.success(), "{status}");
    eventually("the window is shown", || {
        let w = windows_named("SCIM Desk");
        if w.iter().any(|(_, viewable)| *viewable) {
            Ok(())
        } else {
            Err(format!("{w:?}"))
        }
    });
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    unsafe { libc::kill(app.id() as libc::pid_t, libc::SIGTERM) };
    exit_of(app, "the app after SIGTERM");
}

/// Server mode in the app: the Add Connection dialog shows the token once, with its copy button
/// and a note saying so; the card has no token to show, and offers Regenerate instead.
#[test]
fn in_server_mode_the_token_is_shown_once_in_the_add_dialog_and_regenerated_from_the_card() {
    let desk = Desk::new();
    desk.cli_ok(&["config", "set", "mode", "server"]);
    let app = App::launch(&desk, "server_mode");
    app.go("#/settings/integrations/okta");
    app.wait_for("connections-empty");
    app.click("add-connection");
    app.wait_for("connection-dialog");
    app.type_into("connection-name", "Okta production");
    app.click("save-connection");

    // Shown once: the token, the base URL, the note and the copy buttons.
    app.wait_for("connection-token-once");
    let token = app.text("new-token").trim().to_owned();
    let base_url = app.text("new-base-url").trim().to_owned();
    assert_eq!(token.len(), 43, "{token}");
    let note = app.text("token-once-note");
    assert!(
        note.contains("shown only once") && note.contains("Regenerate"),
        "{note}"
    );
    app.screenshot("add-dialog-token-shown-once");
    app.click("copy-new-token");
    app.wait_until("the token is on the clipboard", |_| clipboard() == token);
    let okta = Okta::new(&base_url, &token);
    okta.get("/Users").expect(200);
    // Not kept: the CLI cannot show it again either.
    let again = desk.cli(&["connection", "token", "Okta production"]);
    again.assert_code(1);
    assert!(again.stderr.contains("shown once"), "{again}");

    app.click("done-connection");
    let row = app
        .wait_for_css("[data-testid=\"connection-row\"][data-connection-name=\"Okta production\"]");
    if app.exists("start-at-login-offer") {
        app.click("start-at-login-not-now");
        app.wait_until("the question closes", |app| {
            !app.exists("start-at-login-offer")
        });
    }
    assert!(!app.exists("connection-token-once"));
    let not_kept = app.text_of(&app.find_in(&row, "token-not-kept"));
    assert!(not_kept.contains("server mode"), "{not_kept}");
    assert!(!app.exists("reveal-token"), "no token to reveal");
    app.screenshot("card-token-not-kept");

    // Regenerate from the card: a new token, shown there, the old one refused at once.
    app.click_element(&app.find_in(&row, "regenerate-token-inline"));
    app.click("confirm-regenerate");
    let mut new_token = String::new();
    let shown = "[data-connection-name=\"Okta production\"] [data-testid=\"token\"]";
    app.wait_until("the new token is shown", |app| {
        new_token = app
            .all_css(shown)
            .first()
            .map(|e| app.text_of(e).trim().to_owned())
            .unwrap_or_default();
        new_token.len() == 43
    });
    assert_ne!(new_token, token);
    assert!(app
        .text("regenerated-hint")
        .contains("shown only this once"));
    app.screenshot("card-regenerated");
    okta.get("/Users").assert_scim_error(401, None);
    Okta::new(&base_url, &new_token).get("/Users").expect(200);
}
