//! The attribute mapping editor in the real window: Okta has provisioned people whose documents
//! carry a custom extension (`urn:example:…:acme:2.0:User` with `businessTitle` and
//! `costCenter`), beside a few thousand others. The admin opens *Settings › Integrations › Okta ›
//! Attribute mapping*, picks `businessTitle` (offered with its values) as the source of Job
//! title, saves, watches the re-derive's progress and its result, and finds the new titles in
//! Employees without Okta sending anything again; then adds a custom field, Cost center, and
//! finds its column. Screenshots go to `target/e2e-screenshots/attribute_mapping/`.
use scimdesk_tests::app::App;
use scimdesk_tests::*;

const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";

/// Enough employees for the re-derive to take a good many batches, so its progress shows (and
/// can be seen in a screenshot), with the 20 Okta pushes.
const SEEDED: &str = "12000";
const TOTAL: &str = "12,020";

fn acme_user(n: usize) -> Value {
    let email = format!("acme.{n}@corp.example");
    let mut user = okta_user(&email, &format!("Ada{n}"), "Abbott");
    user["schemas"] = json!([USER_SCHEMA, ENTERPRISE, ACME]);
    user["title"] = json!("Engineer");
    user[ENTERPRISE] = json!({"department": "Engineering"});
    user[ACME] = json!({"businessTitle": format!("Principal Engineer {n}"), "costCenter": format!("CC-41{n:02}")});
    user
}

/// The text of the cell under the column headed `header` in the Employees row of `email`.
fn cell(app: &App, email: &str, header: &str) -> String {
    app.eval(
        "const [email, header] = arguments;
         const heads = [...document.querySelectorAll('.employees-table thead th')].map(h => h.textContent);
         const row = document.querySelector(`[data-testid=employee-row][data-email=\"${email}\"]`);
         const i = heads.indexOf(header);
         return row && i >= 0 ? row.children[i].textContent : null;",
        vec![json!(email), json!(header)],
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// What an input or text area holds now (its value, not its attribute).
fn value_of(app: &App, id: &str) -> String {
    app.wait_for(id);
    app.eval(
        "const e = document.querySelector(`[data-testid=\"${arguments[0]}\"]`); return e ? e.value : '';",
        vec![json!(id)],
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Starts recording what the page says of the re-derive, each change once: its count while it
/// runs ("1,234 of 12,020"), then "done" once its result shows, whatever comes and goes between
/// two looks of the test. A result shown before any count is the previous run's.
fn record_progress(app: &App) {
    app.eval(
        "const seen = window.__rederiveSeen = [];
         const note = () => {
           const count = document.querySelector('[data-testid=rederive-count]');
           const now = count ? count.textContent : document.querySelector('[data-testid=rederive-result]') ? 'done' : null;
           // The last run's result may still be showing until this one starts.
           if (now === 'done' && seen.length === 0) return;
           if (now && seen.at(-1) !== now) seen.push(now);
         };
         window.__rederiveObserver?.disconnect();
         window.__rederiveObserver = new MutationObserver(note);
         window.__rederiveObserver.observe(document.body, {subtree: true, childList: true, characterData: true});
         return true;",
        vec![],
    );
}

fn progress_seen(app: &App) -> Vec<String> {
    app.eval("return window.__rederiveSeen || [];", vec![])
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Saves, and sees the re-derive's progress (a count short of the total) and then its result.
fn save_and_watch(app: &App, step: &str) -> String {
    record_progress(app);
    app.click("mapping-save");
    // Shot while it runs when it still does; the recording is what the test relies on.
    app.wait_until("the re-derive shows", |app| !progress_seen(app).is_empty());
    if app.exists("rederive-progress") {
        app.screenshot(&format!("{step}-progress"));
    }
    app.wait_until("the re-derive's result", |app| {
        progress_seen(app).last().map(String::as_str) == Some("done")
    });
    let seen = progress_seen(app);
    assert!(
        seen.iter()
            .any(|s| s.ends_with(&format!(" of {TOTAL}")) && !s.starts_with(TOTAL)),
        "a count short of the total was shown before the result: {seen:?}"
    );
    let result = app.text("rederive-result");
    app.screenshot(&format!("{step}-result"));
    result
}

#[test]
fn an_admin_maps_job_title_to_a_custom_attribute_and_adds_a_custom_field() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    desk.cli_ok(&["dev", "seed", SEEDED, "--connection", "Okta"]);
    let app = App::launch(&desk, "attribute_mapping");
    let listed = desk.cli_json(&["connection", "list"]);
    let okta = Okta::new(
        listed[0]["base_url"].as_str().expect("a base URL"),
        &conn.token,
    );
    for n in 0..20 {
        okta.create_user(&acme_user(n));
    }
    assert_eq!(
        s(&desk.employee("acme.7@corp.example"), "job_title"),
        "Engineer"
    );

    // Settings › Integrations › Okta: the way to the mapping.
    app.go("#/settings/integrations/okta");
    app.wait_for("mapping-link-section");
    app.screenshot("okta-page");
    app.click("open-mapping");
    app.wait_for("okta-mapping-page");
    app.wait_until("the default mapping", |app| {
        value_of(app, "mapping-path-job_title") == "title"
    });
    assert!(app.exists("mapping-is-default"));
    app.screenshot("default-mapping");

    // Job title from businessTitle, picked from what Okta sent (with its values).
    app.type_into("mapping-path-job_title", "businessTitle");
    let option = app.wait_for_css(&format!(
        "[data-testid=\"path-option\"][data-path=\"{ACME}:businessTitle\"]"
    ));
    let offered = app.text_of(&option);
    assert!(offered.contains("e.g. Principal Engineer"), "{offered}");
    app.screenshot("attribute-offered");
    app.click_element(&option);
    app.wait_until("the attribute picked", |app| {
        value_of(app, "mapping-path-job_title") == format!("{ACME}:businessTitle")
    });
    assert!(app.text("mapping-form").contains("Default: title"));
    app.screenshot("job-title-changed");

    let result = save_and_watch(&app, "job-title");
    assert!(
        result.contains(&format!("{TOTAL} employees re-derived")),
        "{result}"
    );

    // Employees: the new titles, though Okta sent nothing since.
    app.click("nav-employees");
    app.type_into("employee-search", "acme.7@");
    app.wait_until("the new title in Employees", |app| {
        cell(app, "acme.7@corp.example", "Job title") == "Principal Engineer 7"
    });
    app.screenshot("employees-new-titles");
    assert_eq!(
        s(&desk.employee("acme.7@corp.example"), "job_title"),
        "Principal Engineer 7"
    );

    // A custom field: Cost center, from costCenter.
    app.go("#/settings/integrations/okta/mapping");
    app.click("mapping-add");
    app.wait_for("mapping-add-dialog");
    app.type_into("mapping-new-label", "Cost center");
    app.type_into("mapping-new-path", "costCenter");
    let option = app.wait_for_css(&format!(
        "[data-testid=\"mapping-add-dialog\"] [data-testid=\"path-option\"][data-path=\"{ACME}:costCenter\"]"
    ));
    assert!(app.text_of(&option).contains("e.g. CC-41"));
    app.click_element(&option);
    app.wait_until("the attribute picked", |app| {
        value_of(app, "mapping-new-path") == format!("{ACME}:costCenter")
    });
    assert!(app
        .text("mapping-add-dialog")
        .contains("Stored as cost_center"));
    app.screenshot("add-custom-field");
    app.click("mapping-add-confirm");
    app.wait_for_css("[data-testid=\"mapping-row\"][data-key=\"cost_center\"]");
    app.screenshot("custom-field-added");
    save_and_watch(&app, "custom-field");

    app.click("nav-employees");
    app.type_into("employee-search", "acme.7@");
    app.wait_until("the Cost center column", |app| {
        cell(app, "acme.7@corp.example", "Cost center") == "CC-4107"
    });
    // The custom column comes after the built-in ones: scrolled to, as the admin would.
    app.eval(
        "document.querySelector('.employees-table').closest('.table-wrap').scrollLeft = 1e6; return true;",
        vec![],
    );
    app.screenshot("employees-cost-center");

    // And on the employee's page.
    let id = id_of(&desk.employee("acme.7@corp.example"));
    app.go(&format!("#/employees/{id}"));
    app.wait_until("Cost center on the employee's page", |app| {
        app.exists("employee-detail") && app.text("employee-detail").contains("CC-4107")
    });
    app.screenshot("employee-cost-center");

    // Export: the mapping as JSON, copied for the admin to keep.
    app.go("#/settings/integrations/okta/mapping");
    app.click("mapping-export");
    app.wait_until("the mapping as JSON", |app| {
        value_of(app, "mapping-export-json").contains("businessTitle")
    });
    app.screenshot("export-json");
    app.click("mapping-export-copy");
    let mut copied = String::new();
    app.wait_until("the JSON on the clipboard", |_| {
        copied = clipboard();
        copied.contains("costCenter")
    });
    serde_json::from_str::<Value>(&copied).expect("the copied mapping is JSON");
    app.keys("mapping-export-json", ESCAPE);
    app.wait_until("the dialog closes", |app| {
        !app.exists("mapping-export-dialog")
    });

    // Reset to the default: Job title from `title` again, for everyone.
    app.click("mapping-reset");
    app.wait_for("mapping-reset-dialog");
    app.screenshot("reset-confirm");
    record_progress(&app);
    app.click("mapping-reset-confirm");
    app.wait_until("the default mapping again", |app| {
        value_of(app, "mapping-path-job_title") == "title"
            && progress_seen(app).last().map(String::as_str) == Some("done")
    });
    assert_eq!(
        s(&desk.employee("acme.7@corp.example"), "job_title"),
        "Engineer"
    );
    app.screenshot("reset-done");
}

const ESCAPE: &str = "\u{E00C}";

fn clipboard() -> String {
    // The app owns the X clipboard of the test display; xclip asks it for the text.
    let out = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .env("DISPLAY", scimdesk_tests::app::display_name())
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
