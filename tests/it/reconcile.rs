//! Reconciling with Okta's management API: the directory is seeded through the real SCIM endpoint
//! as Okta would, the stand-in Okta API (`okta_api_standin`, HTTPS with a test CA) holds the
//! app's assignments, and `scimdesk connection reconcile --json` reports exactly the drift
//! between them; `--apply [--only KEY…]` makes the directory match Okta, row by row, through the
//! activity log and without deleting anyone. Each failure of the Okta API is a sentence for the
//! admin.

use scimdesk_tests::okta_api_standin::{app_user, OktaApiStandin, OrgState};
use scimdesk_tests::proxy::TestCa;
use scimdesk_tests::*;

const TOKEN: &str = "00standin-okta-api-token-DO-NOT-PRINT";
const APP: &str = "0oa1standinapp42";

fn org(users: Vec<Value>) -> OrgState {
    OrgState {
        token: TOKEN.to_owned(),
        app_id: APP.to_owned(),
        app_users: users,
        page_size: 100,
        throttle_every: 0,
        always_throttled: false,
        forbidden: false,
    }
}

fn ca_env(ca: &TestCa) -> String {
    ca.file().to_string_lossy().into_owned()
}

/// `scimdesk connection okta-api NAME --org-url … --app-id … --token-stdin`.
fn set_up(desk: &Desk, ca: &TestCa, org_url: &str, app_id: &str, token: &str) -> Output {
    desk.cli_with(
        &[
            "connection",
            "okta-api",
            "Okta",
            "--org-url",
            org_url,
            "--app-id",
            app_id,
            "--token-stdin",
            "--json",
        ],
        &[("SCIMDESK_EXTRA_CA_FILE", &ca_env(ca))],
        Some(token),
    )
}

fn reconcile(desk: &Desk, ca: &TestCa) -> Output {
    desk.cli_with(
        &["connection", "reconcile", "Okta", "--json"],
        &[("SCIMDESK_EXTRA_CA_FILE", &ca_env(ca))],
        None,
    )
}

#[test]
fn reconcile_reports_exactly_the_drift_among_a_thousand_assigned_users() {
    let desk = Desk::new();
    desk.cli_ok(&["config", "set", "rate-limit", "off"]);
    let server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);

    let email = |i: usize| format!("user{i:04}@corp.example");
    let missing = |i: usize| i % 200 == 7; // 5 assigned in Okta, never provisioned here
    let stale = |i: usize| i % 100 == 42; // 10 whose title changed in Okta
    let gone = |i: usize| i % 250 == 3; // 4 deprovisioned in Okta, active here
    let mut app_users = Vec::new();
    for i in 0..1000 {
        let okta_user_id = format!("00u{i:017}");
        let external_id = if missing(i) {
            None
        } else {
            let created = okta.create_user(&okta_user(&email(i), "Given", &format!("Family{i}")));
            Some(s(&created, "id").to_owned())
        };
        let title = if stale(i) { "Director" } else { "" };
        let status = if gone(i) {
            "DEPROVISIONED"
        } else {
            "PROVISIONED"
        };
        app_users.push(app_user(
            &okta_user_id,
            external_id.as_deref(),
            &email(i),
            "Given",
            &format!("Family{i}"),
            title,
            status,
        ));
    }
    // 3 active employees Okta no longer lists at all (unassigned), and one deactivated one.
    let mut unknown = Vec::new();
    for k in 0..3 {
        let created = okta.create_user(&okta_user(
            &format!("left{k}@corp.example"),
            "Left",
            "Behind",
        ));
        unknown.push(s(&created, "id").to_owned());
    }
    let off = okta.create_user(&okta_user("off@corp.example", "Off", "Already"));
    okta.patch_ops(
        &format!("/Users/{}", s(&off, "id")),
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .expect(200);
    drop(server);

    let ca = TestCa::new();
    let standin = OktaApiStandin::start(&ca, org(app_users));
    standin.state().throttle_every = 4; // a 429 now and then
    let out = set_up(&desk, &ca, &standin.org_url(), APP, TOKEN);
    assert_eq!(out.code(), Some(0), "{out}");
    let setup: Value = serde_json::from_str(out.stdout.trim()).expect("setup JSON");
    assert_eq!(setup["org_url"], standin.org_url().as_str());
    assert_eq!(setup["app_id"], APP);
    assert_eq!(setup["app_label"], "SCIM Desk");
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
    let db = std::fs::read(desk.data_dir().join("scimdesk.db")).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&db).contains(TOKEN),
        "the token is never in the data directory"
    );

    let out = reconcile(&desk, &ca);
    assert_eq!(out.code(), Some(0), "{out}");
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
    let report: Value = serde_json::from_str(out.stdout.trim()).expect("report JSON");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["okta_users"], 1000);
    assert_eq!(report["pages"], 10, "100 a page, followed by Link rel=next");
    assert!(
        standin.throttled() >= 1,
        "the stand-in answered 429 at least once"
    );
    assert!(
        report["rate_limit_waits"].as_u64().unwrap() >= 1,
        "{report}"
    );

    let strings = |kind: &str, key: &str| -> Vec<String> {
        let mut v: Vec<String> = report[kind]
            .as_array()
            .unwrap_or_else(|| panic!("no {kind} in {report}"))
            .iter()
            .map(|r| r[key].as_str().unwrap_or("").to_owned())
            .collect();
        v.sort();
        v
    };
    let expect = |f: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..1000).filter(|i| f(*i)).map(email).collect()
    };
    assert_eq!(strings("missing_here", "user_name"), expect(&missing));
    assert_eq!(strings("should_be_deactivated", "user_name"), expect(&gone));
    let mut stale_rows: Vec<(String, String, Value, Value)> = report["stale_here"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                s(r, "user_name").to_owned(),
                s(r, "field").to_owned(),
                r["ours"].clone(),
                r["okta"].clone(),
            )
        })
        .collect();
    stale_rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected_stale: Vec<(String, String, Value, Value)> = (0..1000)
        .filter(|i| stale(*i))
        .map(|i| {
            (
                email(i),
                "job_title".to_owned(),
                Value::Null,
                json!("Director"),
            )
        })
        .collect();
    expected_stale.sort_by(|a, b| a.0.cmp(&b.0));
    // off@ (deactivated here) is not in Okta's list: neither stale nor unknown to Okta.
    assert_eq!(stale_rows, expected_stale);
    let mut unknown_names = strings("unknown_to_okta", "user_name");
    unknown_names.sort();
    assert_eq!(
        unknown_names,
        vec![
            "left0@corp.example",
            "left1@corp.example",
            "left2@corp.example"
        ]
    );
    assert_eq!(
        report["counts"],
        json!({"missing_here": 5, "stale_here": 10, "should_be_deactivated": 4, "unknown_to_okta": 3})
    );

    // A dry run changes nothing.
    assert_eq!(desk.employee("user0003@corp.example")["status"], "active");

    // The text report says the same, and that nothing changed.
    let text = desk.cli_with(
        &["connection", "reconcile", "Okta"],
        &[("SCIMDESK_EXTRA_CA_FILE", &ca_env(&ca))],
        None,
    );
    assert_eq!(text.code(), Some(0), "{text}");
    assert!(text.stdout.contains("Nothing was changed"), "{text}");
    assert!(
        text.stdout
            .contains("missing here 5, stale here 10, should be deactivated 4, unknown to Okta 3"),
        "{text}"
    );
}

fn apply(desk: &Desk, ca: &TestCa, only: &[&str]) -> Output {
    let mut args = vec!["connection", "reconcile", "Okta", "--apply", "--json"];
    for key in only {
        args.extend(["--only", key]);
    }
    desk.cli_with(&args, &[("SCIMDESK_EXTRA_CA_FILE", &ca_env(ca))], None)
}

fn report_of(out: &Output) -> Value {
    assert_eq!(out.code(), Some(0), "{out}");
    serde_json::from_str(out.stdout.trim()).expect("report JSON")
}

/// The user names of the rows of each kind, sorted: what is still out of step.
fn drift(report: &Value) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = [
        "missing_here",
        "stale_here",
        "should_be_deactivated",
        "unknown_to_okta",
    ]
    .iter()
    .flat_map(|kind| {
        report[*kind]
            .as_array()
            .unwrap_or_else(|| panic!("no {kind} in {report}"))
            .iter()
            .map(|r| (kind.to_string(), s(r, "user_name").to_owned()))
    })
    .collect();
    rows.sort();
    rows
}

#[test]
fn reconcile_apply_fixes_the_rows_chosen_then_the_rest_and_deletes_nobody() {
    let desk = Desk::new();
    desk.cli_ok(&["config", "set", "rate-limit", "off"]);
    let server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);

    // Two of each kind of drift, one in step, and one employee removed long ago.
    let mut app_users = Vec::new();
    let mut ids = std::collections::HashMap::new();
    let assigned = |who: &str,
                    title: &str,
                    status: &str,
                    app_users: &mut Vec<Value>,
                    ids: &mut std::collections::HashMap<String, String>| {
        let email = format!("{who}@corp.example");
        let created = okta.create_user(&okta_user(&email, "Given", who));
        ids.insert(who.to_owned(), s(&created, "id").to_owned());
        app_users.push(app_user(
            &okta_id(&email),
            Some(s(&created, "id")),
            &email,
            "Given",
            who,
            title,
            status,
        ));
    };
    assigned("same", "", "PROVISIONED", &mut app_users, &mut ids);
    assigned(
        "stale1",
        "Director",
        "PROVISIONED",
        &mut app_users,
        &mut ids,
    );
    assigned(
        "stale2",
        "Director",
        "PROVISIONED",
        &mut app_users,
        &mut ids,
    );
    assigned("gone1", "", "DEPROVISIONED", &mut app_users, &mut ids);
    assigned("gone2", "", "DEPROVISIONED", &mut app_users, &mut ids);
    for who in ["new1", "new2"] {
        let email = format!("{who}@corp.example");
        app_users.push(app_user(
            &okta_id(&email),
            None,
            &email,
            "New",
            who,
            "Engineer",
            "PROVISIONED",
        ));
    }
    for who in ["left1", "left2", "removed"] {
        let email = format!("{who}@corp.example");
        let created = okta.create_user(&okta_user(&email, "Left", who));
        ids.insert(who.to_owned(), s(&created, "id").to_owned());
    }
    okta.delete(&format!("/Users/{}", ids["removed"]))
        .expect(204);
    drop(server);
    let employees_before = desk.employees().len();
    let removed_before = |desk: &Desk| {
        desk.employees()
            .iter()
            .filter(|e| e["status"] == "removed")
            .count()
    };
    assert_eq!(removed_before(&desk), 1);

    let ca = TestCa::new();
    let standin = OktaApiStandin::start(&ca, org(app_users));
    assert_eq!(
        set_up(&desk, &ca, &standin.org_url(), APP, TOKEN).code(),
        Some(0)
    );
    let kinds = |names: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = names
            .iter()
            .map(|(k, who)| (k.to_string(), format!("{who}@corp.example")))
            .collect();
        v.sort();
        v
    };
    let before = report_of(&reconcile(&desk, &ca));
    assert_eq!(
        drift(&before),
        kinds(&[
            ("missing_here", "new1"),
            ("missing_here", "new2"),
            ("stale_here", "stale1"),
            ("stale_here", "stale2"),
            ("should_be_deactivated", "gone1"),
            ("should_be_deactivated", "gone2"),
            ("unknown_to_okta", "left1"),
            ("unknown_to_okta", "left2"),
        ])
    );

    // A key no row has: refused, nothing written.
    let out = apply(&desk, &ca, &["00uNoSuchRow"]);
    assert_eq!(out.code(), Some(1), "{out}");
    assert!(
        out.stderr
            .contains("No row of the reconcile report has the key 00uNoSuchRow"),
        "{out}"
    );
    assert_eq!(drift(&report_of(&reconcile(&desk, &ca))), drift(&before));

    // One row of each kind, by the keys the report prints: Okta's user id for the missing one
    // and the deprovisioned one, the employee id for the stale one and the unknown one.
    let new1 = okta_id("new1@corp.example");
    let gone1 = okta_id("gone1@corp.example");
    let chosen = [
        new1.as_str(),
        ids["stale1"].as_str(),
        gone1.as_str(),
        ids["left1"].as_str(),
    ];
    let applied = report_of(&apply(&desk, &ca, &chosen));
    assert_eq!(applied["dry_run"], false);
    assert_eq!(
        applied["applied"],
        json!({"created": 1, "updated": 1, "deactivated": 2, "failed": []})
    );
    assert_eq!(
        drift(&report_of(&reconcile(&desk, &ca))),
        kinds(&[
            ("missing_here", "new2"),
            ("stale_here", "stale2"),
            ("should_be_deactivated", "gone2"),
            ("unknown_to_okta", "left2"),
        ]),
        "exactly the rows chosen were fixed"
    );
    let created = desk.employee("new1@corp.example");
    assert_eq!(
        (
            &created["status"],
            &created["job_title"],
            &created["first_name"],
            &created["external_id"]
        ),
        (
            &json!("active"),
            &json!("Engineer"),
            &json!("New"),
            &json!(new1)
        )
    );
    assert_eq!(
        desk.employee("stale1@corp.example")["job_title"],
        "Director"
    );
    assert_eq!(
        desk.employee("stale2@corp.example")["job_title"],
        Value::Null
    );
    assert_eq!(desk.employee("gone1@corp.example")["status"], "deactivated");
    assert_eq!(desk.employee("gone2@corp.example")["status"], "active");
    assert_eq!(desk.employee("left1@corp.example")["status"], "deactivated");

    // All the rest.
    let applied = report_of(&apply(&desk, &ca, &[]));
    assert_eq!(
        applied["applied"],
        json!({"created": 1, "updated": 1, "deactivated": 2, "failed": []})
    );
    let after = report_of(&reconcile(&desk, &ca));
    assert_eq!(drift(&after), vec![], "{after}");
    assert_eq!(
        after["counts"],
        json!({"missing_here": 0, "stale_here": 0, "should_be_deactivated": 0, "unknown_to_okta": 0})
    );
    let text = desk.cli_with(
        &["connection", "reconcile", "Okta"],
        &[("SCIMDESK_EXTRA_CA_FILE", &ca_env(&ca))],
        None,
    );
    assert!(text.stdout.contains("in step with Okta"), "{text}");

    // Nobody deleted: every employee is still there, the two new ones added, and the only
    // removed record is the one removed before.
    assert_eq!(desk.employees().len(), employees_before + 2);
    assert_eq!(removed_before(&desk), 1);
    for who in ["gone2", "left2"] {
        assert_eq!(
            desk.employee(&format!("{who}@corp.example"))["status"],
            "deactivated"
        );
    }

    // One activity line per change, each saying it came from Okta's API.
    let activity = desk.cli_json(&["activity", "list", "--limit", "100"]);
    let mut reconciled: Vec<(String, String)> = activity
        .as_array()
        .expect("activity array")
        .iter()
        .filter(|a| s(a, "summary").starts_with("Reconciled from Okta: "))
        .map(|a| (s(a, "operation").to_owned(), s(a, "summary").to_owned()))
        .collect();
    reconciled.sort();
    let summaries: Vec<&str> = reconciled.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(reconciled.len(), 8, "{summaries:#?}");
    let count = |op: &str| reconciled.iter().filter(|(o, _)| o == op).count();
    assert_eq!(
        (count("create"), count("update"), count("deactivate")),
        (2, 2, 4),
        "{summaries:#?}"
    );
    assert!(
        activity
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["method"] != "RECONCILE"
                || s(a, "summary").starts_with("Reconciled from Okta: ")),
        "{activity}"
    );
    assert_eq!(
        activity
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["operation"] == "delete")
            .count(),
        1,
        "only the removal made before through SCIM"
    );
}

#[test]
fn the_app_id_can_be_pasted_as_the_admin_url_and_cleared() {
    let desk = Desk::new();
    desk.add_connection("Okta");
    let ca = TestCa::new();
    let standin = OktaApiStandin::start(&ca, org(vec![]));
    let admin_url =
        format!("https://acme-admin.okta.com/admin/app/scim2testapp/instance/{APP}/#tab-general");
    let out = set_up(&desk, &ca, &standin.org_url(), &admin_url, TOKEN);
    assert_eq!(out.code(), Some(0), "{out}");
    let out = reconcile(&desk, &ca);
    assert_eq!(out.code(), Some(0), "{out}");
    let report: Value = serde_json::from_str(out.stdout.trim()).expect("report JSON");
    assert_eq!(report["okta_users"], 0);
    desk.cli_ok(&["connection", "okta-api", "Okta", "--clear"]);
    let out = reconcile(&desk, &ca);
    assert_eq!(out.code(), Some(1), "{out}");
    assert!(
        out.stderr.contains("The Okta API is not set up for 'Okta'"),
        "{out}"
    );
}

#[test]
fn each_failure_is_a_sentence_for_the_admin() {
    let desk = Desk::new();
    desk.add_connection("Okta");
    let ca = TestCa::new();
    let standin = OktaApiStandin::start(
        &ca,
        org(vec![app_user(
            "00u1",
            None,
            "a@corp.example",
            "A",
            "B",
            "",
            "PROVISIONED",
        )]),
    );

    let failed = |out: &Output, sentence: &str| {
        assert_eq!(out.code(), Some(1), "{out}");
        assert!(
            out.stderr.contains(sentence),
            "expected {sentence:?}\n{out}"
        );
        assert!(
            !out.stderr.contains(TOKEN) && !out.stdout.contains(TOKEN),
            "{out}"
        );
    };
    failed(
        &set_up(&desk, &ca, &standin.org_url(), APP, "wrong-token"),
        "Okta refused the API token (401)",
    );
    failed(
        &set_up(&desk, &ca, &standin.org_url(), "0oaNoSuchApp", TOKEN),
        "Okta has no app with the id 0oaNoSuchApp (404)",
    );
    standin.state().forbidden = true;
    failed(
        &set_up(&desk, &ca, &standin.org_url(), APP, TOKEN),
        "may not read this app or its users (403)",
    );
    standin.state().forbidden = false;
    failed(
        &set_up(&desk, &ca, "http://localhost:1", APP, TOKEN),
        "Okta's API is only reached over https",
    );
    failed(
        &set_up(&desk, &ca, "https://no-such-org.invalid", APP, TOKEN),
        "Could not find no-such-org.invalid:443 in DNS",
    );
    let closed = free_port();
    failed(
        &set_up(
            &desk,
            &ca,
            &format!("https://localhost:{closed}"),
            APP,
            TOKEN,
        ),
        "refused the connection",
    );
    // A certificate nobody trusts: the binary is not given the test CA.
    let untrusted = desk.cli_with(
        &[
            "connection",
            "okta-api",
            "Okta",
            "--org-url",
            &standin.org_url(),
            "--app-id",
            APP,
            "--token-stdin",
        ],
        &[],
        Some(TOKEN),
    );
    failed(&untrusted, "The secure connection to localhost");

    // Set up, then Okta keeps answering 429: the reconcile gives up with a sentence.
    assert_eq!(
        set_up(&desk, &ca, &standin.org_url(), APP, TOKEN).code(),
        Some(0)
    );
    standin.state().always_throttled = true;
    failed(
        &reconcile(&desk, &ca),
        "Okta kept answering that its rate limit was reached (429)",
    );
    standin.state().always_throttled = false;
    // The token revoked in Okta after the setup.
    standin.state().token = "another".into();
    failed(&reconcile(&desk, &ca), "Okta refused the API token (401)");
}

#[test]
fn progress_goes_to_stderr_when_asked_and_json_stays_clean() {
    let desk = Desk::new();
    desk.add_connection("Okta");
    let ca = TestCa::new();
    let users = (0..450)
        .map(|i| {
            app_user(
                &format!("00u{i:017}"),
                None,
                &format!("p{i:03}@corp.example"),
                "P",
                "Q",
                "",
                "PROVISIONED",
            )
        })
        .collect();
    let standin = OktaApiStandin::start(&ca, org(users));
    let out = set_up(&desk, &ca, &standin.org_url(), APP, TOKEN);
    assert_eq!(out.code(), Some(0), "{out}");

    let out = desk.cli_with(
        &["connection", "reconcile", "Okta", "--json", "--progress"],
        &[("SCIMDESK_EXTRA_CA_FILE", &ca_env(&ca))],
        None,
    );
    let report = report_of(&out);
    assert_eq!(report["counts"]["missing_here"], 450);
    assert!(
        out.stderr.contains("Reconciling with Okta:") && out.stderr.contains("app users read"),
        "{out}"
    );
    assert!(!out.stderr.contains(TOKEN), "{out}");

    // Not a terminal, no --progress: --json says nothing on stderr.
    let out = reconcile(&desk, &ca);
    assert_eq!(report_of(&out)["counts"]["missing_here"], 450);
    assert_eq!(out.stderr.trim(), "", "{out}");
}

/// The reconcile runs of a connection recorded in the data directory: (trigger, outcome, applied).
fn runs_recorded(desk: &Desk) -> Vec<(String, String, bool)> {
    let db = rusqlite::Connection::open(desk.data_dir().join("scimdesk.db")).unwrap();
    let mut q = db
        .prepare("SELECT trigger, outcome, applied FROM reconcile_runs ORDER BY id")
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn serve_reconciles_on_the_schedule_and_after_a_window_and_records_each_run() {
    let desk = Desk::new();
    desk.add_connection("Okta");
    let ca = TestCa::new();
    let users = vec![app_user(
        "00u00000000000000001",
        None,
        "never.pushed@corp.example",
        "Never",
        "Pushed",
        "",
        "PROVISIONED",
    )];
    let standin = OktaApiStandin::start(&ca, org(users));
    let out = set_up(&desk, &ca, &standin.org_url(), APP, TOKEN);
    assert_eq!(out.code(), Some(0), "{out}");

    // The schedule is a setting, daily by default.
    assert_eq!(
        desk.cli_json(&["config", "show"])["reconcile_schedule"],
        "daily"
    );
    let bad = desk.cli(&["config", "set", "reconcile-schedule", "hourly"]);
    assert_eq!(bad.code(), Some(1), "{bad}");
    assert!(
        bad.stderr
            .contains("give off, 6h, daily (the default) or weekly"),
        "{bad}"
    );
    desk.cli_ok(&["config", "set", "reconcile-schedule", "6h"]);
    assert_eq!(
        desk.cli_json(&["config", "show"])["reconcile_schedule"],
        "6h"
    );

    // A period of a second and a half instead of six hours: serve runs it again and again, dry.
    let ca_file = ca_env(&ca);
    let env = [
        ("SCIMDESK_EXTRA_CA_FILE", ca_file.as_str()),
        ("SCIMDESK_RECONCILE_CHECK_MS", "100"),
        ("SCIMDESK_RECONCILE_EVERY_MS", "1500"),
        ("SCIMDESK_HEARTBEAT_MS", "200"),
    ];
    let mut server = desk.serve_with_env(&[], &env);
    eventually("two scheduled runs are recorded", || {
        let runs = runs_recorded(&desk);
        if runs.iter().filter(|r| r.0 == "schedule").count() >= 2 {
            Ok(())
        } else {
            Err(format!("{runs:?}"))
        }
    });
    for (_, outcome, applied) in runs_recorded(&desk) {
        assert_eq!((outcome.as_str(), applied), ("drift", false));
    }
    let users = desk.cli_json(&["users", "list"]);
    assert_eq!(users, json!([]), "a scheduled run changes nothing");

    // Off: no scheduled run; killed, then started again after a gap of an hour (its last beat
    // moved back): the window it recorded is followed by a run after the window.
    desk.cli_ok(&["config", "set", "reconcile-schedule", "off"]);
    server.kill9();
    drop(server);
    let scheduled = runs_recorded(&desk).len();
    let db = rusqlite::Connection::open(desk.data_dir().join("scimdesk.db")).unwrap();
    let moved = db
        .execute(
            "UPDATE heartbeat SET beat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour')",
            [],
        )
        .unwrap();
    assert_eq!(moved, 1);
    drop(db);
    let _server = desk.serve_with_env(&[], &env);
    eventually("a run after the window", || {
        let runs = runs_recorded(&desk);
        if runs.iter().any(|r| r.0 == "after_window") {
            Ok(())
        } else {
            Err(format!("{runs:?}"))
        }
    });
    let runs = runs_recorded(&desk);
    assert!(
        runs[scheduled..].iter().all(|r| r.0 == "after_window"),
        "after the window, none on the schedule: {runs:?}"
    );
}

/// Server mode: the Okta API token comes from the operator's variable (never stdin, never
/// stored); setup and reconcile read it, with no keychain reachable.
#[test]
fn in_server_mode_the_api_token_comes_from_the_environment() {
    let desk = Desk::new();
    let no_bus = (
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/scimdesk-test-no-bus",
    );
    desk.cli_ok(&["config", "set", "mode", "server"]);
    let added = desk.cli_with(&["connection", "add", "Okta", "--json"], &[no_bus], None);
    added.assert_code(0);
    let added: Value = serde_json::from_str(added.stdout.trim()).expect("JSON");
    let variable = format!(
        "SCIMDESK_SECRET_OKTA_API_{}",
        s(&added, "id").to_uppercase().replace('-', "_")
    );
    let ca = TestCa::new();
    let standin = OktaApiStandin::start(&ca, org(vec![]));
    let ca_file = ca_env(&ca);
    let args = [
        "connection",
        "okta-api",
        "Okta",
        "--org-url",
        &standin.org_url(),
        "--app-id",
        APP,
    ];
    // Not set yet: the error names the variable to set.
    let out = desk.cli_with(&args, &[no_bus, ("SCIMDESK_EXTRA_CA_FILE", &ca_file)], None);
    out.assert_code(1);
    assert!(out.stderr.contains(&variable), "{out}");
    // Piped in: refused, server mode stores no secret.
    let mut piped = args.to_vec();
    piped.push("--token-stdin");
    let out = desk.cli_with(
        &piped,
        &[no_bus, ("SCIMDESK_EXTRA_CA_FILE", &ca_file)],
        Some(TOKEN),
    );
    out.assert_code(1);
    assert!(
        out.stderr.contains(&variable) && !out.stderr.contains(TOKEN),
        "{out}"
    );

    let env = [
        no_bus,
        ("SCIMDESK_EXTRA_CA_FILE", ca_file.as_str()),
        (variable.as_str(), TOKEN),
    ];
    let out = desk.cli_with(&args, &env, None);
    assert_eq!(out.code(), Some(0), "{out}");
    assert!(out.stdout.contains("never stored"), "{out}");
    let out = desk.cli_with(&["connection", "reconcile", "Okta", "--json"], &env, None);
    assert_eq!(out.code(), Some(0), "{out}");
    let report: Value = serde_json::from_str(out.stdout.trim()).expect("report JSON");
    assert_eq!(report["okta_users"], 0);
    assert!(!out.stdout.contains(TOKEN));
}
