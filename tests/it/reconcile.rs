//! Reconciling with Okta's management API (a dry run): the directory is seeded through the real
//! SCIM endpoint as Okta would, the stand-in Okta API (`okta_api_standin`, HTTPS with a test CA)
//! holds the app's assignments, and `scimdesk connection reconcile --json` reports exactly the
//! drift between them. Each failure of the Okta API is a sentence for the admin.

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
