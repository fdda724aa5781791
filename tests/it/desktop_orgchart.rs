//! The org chart in the real window: a few hundred employees in reporting lines (a bulk seed,
//! `seed-<n>` reporting to `seed-<n/10>`, `seed-0` their own manager at the top), and Okta
//! provisioning over SCIM someone whose manager is not in the directory yet and a deactivated
//! report. The admin opens the chart from the sidebar, clicks down the lines, moves with the
//! arrow keys and opens with Enter, searches and jumps, toggles deactivated people, and reaches
//! the chart from an employee's page. Screenshots go to `target/e2e-screenshots/org_chart/`.
use scimdesk_tests::app::App;
use scimdesk_tests::*;

const ARROW_DOWN: &str = "\u{E015}";
const ARROW_UP: &str = "\u{E013}";
const ENTER: &str = "\u{E007}";

fn card(id: &str) -> String {
    format!("[data-testid=\"org-card\"][data-person=\"{id}\"]")
}

/// The person whose chart is shown.
fn shown(app: &App) -> String {
    let e = app.wait_for_css("[data-testid=\"org-person\"] [data-testid=\"org-card\"]");
    app.attr(&e, "data-person").unwrap_or_default()
}

fn focused(app: &App) -> String {
    app.eval(
        "return document.activeElement && document.activeElement.dataset.person || '';",
        vec![],
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

fn chain(app: &App) -> Vec<String> {
    app.all_css("[data-testid=\"org-chain\"] [data-testid=\"org-card\"]")
        .iter()
        .filter_map(|e| app.attr(e, "data-person"))
        .collect()
}

fn okta_employee(email: &str, given: &str, manager: &str, active: bool) -> Value {
    let mut user = okta_user(email, given, "Newcomer");
    user["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
    user["title"] = json!("Account Executive");
    user["active"] = json!(active);
    user[ENTERPRISE] = json!({"department": "Sales", "manager": {"value": manager}});
    user
}

#[test]
fn an_admin_walks_the_org_chart_by_click_keyboard_and_search() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    desk.cli_ok(&["dev", "seed", "300", "--connection", "Okta"]);
    let id = |n: u64| id_of(&desk.employee(&format!("seed-{n}@seed.example")));
    let app = App::launch(&desk, "org_chart");
    let listed = desk.cli_json(&["connection", "list"]);
    let okta = Okta::new(
        listed[0]["base_url"].as_str().expect("a base URL"),
        &conn.token,
    );
    // Okta provisions someone whose manager it has not sent yet, and a deactivated report.
    okta.create_user(&okta_employee(
        "nina.new@corp.example",
        "Nina",
        "boss@corp.example",
        true,
    ));
    let gone = okta.create_user(&okta_employee(
        "olly.old@corp.example",
        "Olly",
        "seed-12@seed.example",
        false,
    ));

    // The top of the organisation, and the manager not in the directory yet.
    app.click("nav-org");
    app.wait_for("org-roots");
    app.wait_for_css(&card(&id(0)));
    let waiting = app.wait_for("org-unresolved-row");
    let row = app.text_of(&waiting);
    assert!(
        row.contains("boss@corp.example") && row.contains("Nina Newcomer"),
        "{row}"
    );
    app.screenshot("top-of-organisation");

    // Click down: the top, then one of their reports.
    app.click_element(&app.wait_for_css(&card(&id(0))));
    app.wait_until("the top's chart", |app| shown(app) == id(0));
    app.wait_for_css(&card(&id(1)));
    assert!(chain(&app).is_empty(), "their own manager: the top");
    app.screenshot("the-top");
    app.click_element(&app.wait_for_css(&card(&id(1))));
    app.wait_until("seed-1's chart", |app| shown(app) == id(1));
    assert_eq!(chain(&app), [id(0)]);
    let count = app.text_of(&app.wait_for_css(&format!(
        "{} [data-testid=\"org-card-count\"]",
        card(&id(1))
    )));
    // seed-1 manages seed-10..19, who manage seed-100..199.
    assert_eq!(count, "10 direct · 110 in total");
    // seed-0 is named as their own manager: the top of the chain, not a loop.
    assert!(!app.exists("org-chain-note"));
    app.screenshot("clicked-to-seed-1");

    // The keyboard: down to the first report (by name, seed-10), Enter opens their chart.
    app.keys_css(&card(&id(1)), ARROW_DOWN);
    app.wait_until("focus on the first report", |app| focused(app) == id(10));
    app.keys_css(&card(&id(10)), ENTER);
    app.wait_until("seed-10's chart", |app| shown(app) == id(10));
    assert_eq!(chain(&app), [id(0), id(1)], "a three-level chain above");
    app.wait_for_css(&card(&id(100)));
    app.keys_css(&card(&id(10)), ARROW_UP);
    app.wait_until("focus on the direct manager", |app| focused(app) == id(1));
    app.screenshot("keyboard-to-seed-10");

    // Search and jump.
    app.type_into("org-search", "seed-123@");
    // The results follow the typing: those of a shorter query ("seed-12") may show first.
    app.wait_until("the search shows seed-123", |app| {
        let results = app.all("org-search-result");
        results.len() == 1 && app.text_of(&results[0]).contains("Given123")
    });
    let result = app.wait_for("org-search-result");
    assert!(app.text_of(&result).contains("Given123"));
    app.screenshot("search");
    app.click_element(&result);
    app.wait_until("seed-123's chart", |app| shown(app) == id(123));
    assert_eq!(chain(&app), [id(0), id(1), id(12)]);
    app.screenshot("jumped-to-seed-123");

    // From an employee's page to their chart: the deactivated report only with the toggle.
    app.go(&format!("#/employees/{}", id(12)));
    app.click("detail-org-chart");
    app.wait_until("seed-12's chart", |app| shown(app) == id(12));
    app.wait_for_css(&card(&id(120)));
    assert!(app.all_css(&card(&id_of(&gone))).is_empty());
    app.click("org-show-deactivated");
    app.wait_for_css(&card(&id_of(&gone)));
    app.screenshot("deactivated-shown");
    app.click("org-show-deactivated");

    // Someone waiting for their manager says so.
    app.go(&format!(
        "#/org/{}",
        id_of(&desk.employee("nina.new@corp.example"))
    ));
    let pending = app.wait_for("org-manager-pending");
    assert!(app.text_of(&pending).contains("boss@corp.example"));
    app.screenshot("manager-pending");
}
