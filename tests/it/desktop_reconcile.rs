//! Reconcile with Okta in the desktop app, end to end: the real app in its webview, the real
//! keychain, and the stand-in Okta API (HTTPS on loopback, trusted through
//! `SCIMDESK_EXTRA_CA_FILE`). The admin sets up the API access in the dialog (a wrong token
//! first: a sentence on the token's field, nothing kept), runs a dry run, reads the counts and
//! rows, applies the rows chosen, sees what was done, exports the report, applies the rest, and a
//! last run finds the directory in step. Screenshots in `target/e2e-screenshots/reconcile/`.
use scimdesk_tests::app::App;
use scimdesk_tests::okta_api_standin::{app_user, OktaApiStandin, OrgState};
use scimdesk_tests::proxy::TestCa;
use scimdesk_tests::*;

const TOKEN: &str = "00standin-desktop-okta-api-token";
const APP: &str = "0oa1desktopapp7";

fn okta_of(desk: &Desk, conn: &Connection) -> Okta {
    let listed = desk.cli_json(&["connection", "list"]);
    let base_url = listed[0]["base_url"].as_str().expect("a base URL");
    Okta::new(base_url, &conn.token)
}

fn count(app: &App, kind: &str) -> String {
    app.text(&format!("reconcile-count-{kind}"))
}

/// Waits for the report whose counts are these (missing, stale, deactivate, unknown).
fn wait_for_counts(app: &App, want: [u32; 4]) {
    let kinds = [
        "missing_here",
        "stale_here",
        "should_be_deactivated",
        "unknown_to_okta",
    ];
    app.wait_until(&format!("a report counting {want:?}"), |app| {
        app.exists("reconcile-counts")
            && !app.exists("reconcile-progress")
            && kinds
                .iter()
                .zip(want)
                .all(|(k, n)| count(app, k).ends_with(&n.to_string()))
    });
}

fn select_row(app: &App, key: &str) {
    let css = format!("[data-testid=\"reconcile-row\"][data-key=\"{key}\"] input[type=checkbox]");
    let checkbox = app.wait_for_css(&css);
    app.click_element(&checkbox);
}

#[test]
fn an_admin_sets_up_the_okta_api_reconciles_applies_some_rows_then_all() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    let export = desk.root().join("reconcile.csv");
    let ca = TestCa::new();
    // Every run here is the admin's: none by itself on the schedule meanwhile.
    desk.cli_ok(&["config", "set", "reconcile-schedule", "off"]);
    let app = App::launch_with_env(
        &desk,
        "reconcile",
        &[
            ("SCIMDESK_EXTRA_CA_FILE", ca.file()),
            ("SCIMDESK_TEST_SAVE_PATH", export.as_path()),
        ],
    );

    // The directory, as Okta's pushes made it: ann (in step), ben (whose title Okta has since
    // changed), and cat (since unassigned in Okta, a push that never came).
    let okta = okta_of(&desk, &conn);
    let mut ids = std::collections::HashMap::new();
    for (name, given) in [("ann", "Ann"), ("ben", "Ben"), ("cat", "Cat")] {
        let created = okta.create_user(&okta_user(
            &format!("{name}@corp.example"),
            given,
            "Example",
        ));
        ids.insert(name, s(&created, "id").to_owned());
    }
    // Okta's assignments: ann and ben linked, ben now a Director; dan and eve never arrived.
    let user = |okta_id: &str, linked: Option<&str>, name: &str, given: &str, title: &str| {
        app_user(
            okta_id,
            linked,
            &format!("{name}@corp.example"),
            given,
            "Example",
            title,
            "PROVISIONED",
        )
    };
    let app_users = vec![
        user("00uann0000000001", Some(&ids["ann"]), "ann", "Ann", ""),
        user(
            "00uben0000000002",
            Some(&ids["ben"]),
            "ben",
            "Ben",
            "Director",
        ),
        user("00udan0000000003", None, "dan", "Dan", ""),
        user("00ueve0000000004", None, "eve", "Eve", ""),
    ];
    let standin = OktaApiStandin::start(
        &ca,
        OrgState {
            token: TOKEN.to_owned(),
            app_id: APP.to_owned(),
            app_users,
            page_size: 2,
            throttle_every: 0,
            always_throttled: false,
            forbidden: false,
        },
    );

    app.go("#/settings/integrations/okta");
    app.wait_for("reconcile-area");
    app.click("setup-okta-api");
    app.wait_for("okta-api-dialog");
    app.type_into("okta-org-url", &standin.org_url());
    app.type_into("okta-app-id", APP);
    app.type_into("okta-token", "not-the-token");
    app.click("okta-api-save");
    let error = app.wait_for("okta-token-error");
    let sentence = app.text_of(&error);
    assert!(
        sentence.contains("Okta refused the API token (401)"),
        "{sentence}"
    );
    assert!(!sentence.contains("not-the-token"), "{sentence}");
    app.screenshot("wrong-token");
    assert!(!app.exists("okta-api-setup"), "nothing kept");
    let kept = desk.cli(&["connection", "reconcile", "Okta"]);
    assert!(kept.stderr.contains("not set up"), "{kept}");

    app.type_into("okta-token", TOKEN);
    app.click("okta-api-save");
    app.wait_until("the dialog closes", |app| !app.exists("okta-api-dialog"));
    let setup = app.text("okta-api-setup");
    app.wait_for("reconcile-schedule");
    app.wait_until("the schedule shows off", |app| {
        app.eval(
            "return document.querySelector('[data-testid=reconcile-schedule]').value;",
            vec![],
        ) == "off"
    });
    assert!(
        setup.contains(&standin.org_url()) && setup.contains(APP),
        "{setup}"
    );

    // The dry run: two missing here, one stale, one unknown to Okta.
    app.click("run-reconcile");
    wait_for_counts(&app, [2, 1, 0, 1]);
    assert_eq!(app.all("reconcile-row").len(), 4);
    let stale = app.text("reconcile-rows-stale_here");
    assert!(
        stale.contains("ben@corp.example") && stale.contains("Director"),
        "{stale}"
    );
    let unknown = app.text("reconcile-rows-unknown_to_okta");
    assert!(unknown.contains("cat@corp.example"), "{unknown}");
    let last = app.text("last-reconciled");
    assert!(last.contains("4 differences found"), "{last}");
    assert_eq!(
        desk.employee("cat@corp.example")["status"],
        "active",
        "a dry run changes nothing"
    );
    app.check_accessibility("reconcile report");
    app.eval(
        "document.querySelector('[data-testid=\"reconcile-area\"]').scrollIntoView(); return true;",
        vec![],
    );
    app.screenshot("report");

    // The CSV export: a header and one line a row.
    app.click("export-reconcile");
    app.wait_until("the report is exported", |_| {
        std::fs::read_to_string(&export).is_ok_and(|t| t.lines().count() == 5)
    });
    let csv = std::fs::read_to_string(&export).unwrap();
    assert!(csv.starts_with("kind,key,user_name"), "{csv}");
    assert!(
        csv.contains("missing_here,00udan0000000003,dan@corp.example"),
        "{csv}"
    );

    // Apply dan (missing) and ben (stale) only.
    select_row(&app, "00udan0000000003");
    select_row(&app, &ids["ben"]);
    app.click("apply-selected");
    let plan = app.text("apply-plan");
    assert!(
        plan.contains("create 1 employee, update 1 employee"),
        "{plan}"
    );
    assert!(plan.contains("Nobody is deleted"), "{plan}");
    app.screenshot("confirm-apply");
    app.click("confirm-apply");
    app.wait_until("the result of the Apply", |app| {
        app.exists("reconcile-result") && !app.exists("reconcile-progress")
    });
    let result = app.text("reconcile-result");
    assert!(
        result.contains("Applied: 1 created, 1 updated, 0 deactivated"),
        "{result}"
    );
    app.screenshot("applied");
    assert_eq!(desk.employee("dan@corp.example")["status"], "active");
    assert_eq!(desk.employee("ben@corp.example")["job_title"], "Director");
    assert_eq!(
        desk.employee("cat@corp.example")["status"],
        "active",
        "not selected"
    );

    // Again: eve still missing, cat still unknown; then Apply all, and in step.
    app.click("run-reconcile");
    wait_for_counts(&app, [1, 0, 0, 1]);
    app.click("apply-all");
    let plan = app.text("apply-plan");
    assert!(
        plan.contains("create 1 employee, deactivate 1 employee"),
        "{plan}"
    );
    app.click("confirm-apply");
    app.wait_until("the result of Apply all", |app| {
        app.exists("reconcile-result")
            && app
                .text("reconcile-result")
                .contains("1 created, 0 updated, 1 deactivated")
    });
    assert_eq!(desk.employee("cat@corp.example")["status"], "deactivated");
    app.click("run-reconcile");
    app.wait_for("reconcile-in-step");
    wait_for_counts(&app, [0, 0, 0, 0]);
    assert!(app.text("last-reconciled").contains("In step with Okta"));
    app.screenshot("in-step");
    let activity = desk
        .cli_json(&["activity", "list", "--limit", "100"])
        .to_string();
    assert!(activity.contains("Reconciled from Okta"), "{activity}");
}
