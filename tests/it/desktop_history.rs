//! An employee's history in the real window: Okta creates Maria (her manager not in the
//! directory yet), retitles her, moves her to Sales, provisions her manager and puts her in a
//! group; the admin opens her page, reads the timeline (newest first, field by field), and looks
//! at her fields as they were between the retitle and the move. Screenshots (each checked with
//! axe) go to `target/e2e-screenshots/employee_history/`.
use scimdesk_tests::app::App;
use scimdesk_tests::*;

fn maria(title: &str) -> Value {
    let mut user = okta_user("maria@corp.example", "Maria", "Lopez");
    user["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
    user["title"] = json!(title);
    user[ENTERPRISE] = json!({"manager": {"value": "boss@corp.example"}});
    user
}

/// The time of the newest history event of `id`, as the core recorded it.
fn newest_at(desk: &Desk, id: &str) -> String {
    let page = desk.cli_json(&["users", "history", id]);
    page["events"][0]["at"]
        .as_str()
        .expect("an event")
        .to_owned()
}

#[test]
fn an_admin_reads_an_employees_history_and_looks_back_in_time() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta prod");
    let app = App::launch(&desk, "employee_history");
    let listed = desk.cli_json(&["connection", "list"]);
    let okta = Okta::new(
        listed[0]["base_url"].as_str().expect("a base URL"),
        &conn.token,
    );

    let id = id_of(&okta.create_user(&maria("Engineer")));
    let user = format!("/Users/{id}");
    okta.put(&user, &maria("Senior Engineer")).expect(200);
    // The "as of" input has a resolution of a second: the next changes come in a later second
    // than the retitle, so a time between them can be picked.
    // Whole seconds since the epoch, rounded up (the page's clock reads the stored time).
    let retitled = app
        .eval(
            "return Math.ceil(Date.parse(arguments[0]) / 1000);",
            vec![json!(newest_at(&desk, &id))],
        )
        .as_i64()
        .expect("seconds");
    eventually("the clock passes the retitle's second", || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after the epoch")
            .as_secs() as i64;
        match now > retitled {
            true => Ok(()),
            false => Err("same second"),
        }
    });
    okta.patch_ops(
        &user,
        json!([{"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Sales"}]),
    )
    .expect(200);
    okta.create_user(&okta_user("boss@corp.example", "Bo", "Ss"));
    okta.post(
        "/Groups",
        &json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales EMEA", "members": [{"value": id}]}),
    )
    .expect(201);

    app.go(&format!("#/employees/{id}"));
    app.wait_for("detail-history");
    app.wait_until("five events in the timeline", |app| {
        app.all("history-event").len() == 5
    });
    let events: Vec<String> = app
        .all("history-event")
        .iter()
        .map(|e| app.text_of(e))
        .collect();
    assert!(
        events[0].contains("Added to group Sales EMEA"),
        "{events:?}"
    );
    assert!(
        events[1].contains("Reports to: — → Bo Ss <boss@corp.example>"),
        "{events:?}"
    );
    assert!(events[2].contains("Department: — → Sales"), "{events:?}");
    assert!(
        events[3].contains("Job title: Engineer → Senior Engineer"),
        "{events:?}"
    );
    assert!(events[4].contains("Status: — → Active"), "{events:?}");
    assert!(events[4].contains("Okta push · Okta prod"), "{events:?}");
    app.eval(
        "document.querySelector('[data-testid=\"detail-history\"]').scrollIntoView();",
        vec![],
    );
    app.screenshot("timeline");

    // As of the second after the retitle: senior, not yet in Sales, no manager, no group. The
    // input takes local time; the page's clock says which.
    app.eval(
        "const d = new Date(arguments[0] * 1000);\n\
         const p = (n) => String(n).padStart(2, '0');\n\
         const v = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;\n\
         const el = document.querySelector('[data-testid=\"asof-input\"]');\n\
         Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, v);\n\
         el.dispatchEvent(new Event('input', { bubbles: true }));\n\
         return v;",
        vec![json!(retitled)],
    );
    app.click("asof-show");
    let view = app.wait_for("asof-view");
    assert!(app.text_of(&view).contains("Past view: as of"));
    let fields = app.wait_for("asof-fields");
    let text = app.text_of(&fields);
    assert!(text.contains("Senior Engineer"), "{text}");
    assert!(!text.contains("Sales"), "not in Sales yet: {text}");
    assert!(!text.contains("Bo Ss"), "no manager link yet: {text}");
    app.eval(
        "document.querySelector('[data-testid=\"asof-view\"]').scrollIntoView();",
        vec![],
    );
    app.screenshot("as-of");

    app.click("asof-back");
    app.wait_until("the past view is closed", |app| !app.exists("asof-view"));
    assert_eq!(app.all("history-event").len(), 5);
}
