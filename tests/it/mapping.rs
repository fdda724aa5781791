//! The attribute mapping: the admin moves a directory field to another SCIM attribute, or adds a
//! custom field, with `scimdesk mapping set`, and every employee's fields follow from the SCIM
//! documents Okta already sent — no new push. Custom fields show in `users list`, its search and
//! the CSV export, and `/Schemas` advertises their extension so Okta's *Import User Schema*
//! finds it. A bad path is refused and nothing changes; `reset` gives the defaults back.

use scimdesk_tests::*;
use serde_json::{json, Value};

const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";

/// An Okta user whose profile carries the company's own extension: a job code and a cost center.
fn user(n: u32) -> Value {
    let email = format!("emp{n}@corp.example");
    let mut u = okta_user(&email, &format!("Given{n}"), "Staff");
    u["schemas"] = json!([USER_SCHEMA, ACME]);
    u["title"] = json!("Engineer");
    u[ACME] = json!({"jobCode": format!("JC-{n}"), "costCenter": 4700 + n});
    u
}

fn by_email(desk: &Desk) -> Vec<(String, Value)> {
    let mut all: Vec<(String, Value)> = desk
        .employees()
        .into_iter()
        .map(|e| (e["email"].as_str().unwrap_or_default().to_owned(), e))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

#[test]
fn fields_follow_a_changed_mapping_without_a_new_push_and_custom_fields_show_everywhere() {
    let desk = Desk::new();
    let server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    for n in 1..=3 {
        okta.create_user(&user(n));
    }
    assert!(by_email(&desk)
        .iter()
        .all(|(_, e)| e["job_title"] == "Engineer"));

    // Job title from the job code Okta already sent.
    let set = desk.cli(&[
        "mapping",
        "set",
        "job_title",
        &format!("{ACME}:jobCode"),
        "--progress",
    ]);
    set.assert_code(0);
    assert!(
        set.stderr.contains("Re-deriving employees of Okta: 3 of 3"),
        "{set}"
    );
    for (email, e) in by_email(&desk) {
        let n = &email["emp".len()..email.find('@').unwrap()];
        assert_eq!(e["job_title"], format!("JC-{n}"), "{e}");
    }
    // The mapping change is in each employee's history, as a change of the mapping.
    // `{"events": [{"method", "changes": [{"field", "before", "after"}]}]}`, newest first.
    let history = desk.cli_json(&["users", "history", "emp1@corp.example"]);
    let newest = &history["events"][0];
    assert_eq!(newest["method"], "MAPPING", "{history}");
    assert!(
        newest["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "job_title"
                && c["before"] == "Engineer"
                && c["after"] == "JC-1"),
        "the mapping change is in the history: {history}"
    );

    // A custom field: in the list, its search, the export, and /Schemas.
    desk.cli(&[
        "mapping",
        "set",
        "cost_center",
        &format!("{ACME}:costCenter"),
        "--type",
        "number",
        "--label",
        "Cost center",
    ])
    .assert_code(0);
    let e2 = desk.employee("emp2@corp.example");
    assert_eq!(e2["custom"], json!({"cost_center": "4702"}), "{e2}");
    // The new field's first value is a change in the history, under the name the admin gave it.
    let history = desk.cli_json(&["users", "history", "emp2@corp.example"]);
    let newest = &history["events"][0]["changes"];
    assert!(
        newest
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "custom.cost_center"
                && c["label"] == "Cost center"
                && c["before"].is_null()
                && c["after"] == "4702"),
        "{history}"
    );
    let found = desk.cli_json(&["users", "list", "--search", "4703"]);
    let found: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["email"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["emp3@corp.example"]);
    let csv_path = desk.root().join("employees.csv");
    desk.cli(&["users", "export", csv_path.to_str().unwrap()])
        .assert_code(0);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines.next().unwrap().ends_with(",Cost center"),
        "a column per custom field: {csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.contains("emp1@corp.example") && l.ends_with(",4701")),
        "{csv}"
    );
    let schemas = okta.get("/Schemas");
    let ext = schemas.expect(200)["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == ACME)
        .unwrap_or_else(|| panic!("/Schemas advertises the extension\n{schemas}"))
        .clone();
    assert_eq!(ext["attributes"][0]["name"], "costCenter");
    assert_eq!(ext["attributes"][0]["type"], "decimal");
    okta.get(&format!("/Schemas/{ACME}")).expect(200);
    let types = okta.get("/ResourceTypes/User");
    assert!(
        types.expect(200)["schemaExtensions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["schema"] == ACME),
        "{types}"
    );

    // A bad path is refused, readably, and nothing changes.
    let before_mapping = desk.cli_json(&["mapping", "show"]);
    let before = by_email(&desk);
    let bad = desk.cli(&["mapping", "set", "department", "urn:x:User:dept[type eq"]);
    bad.assert_code(1);
    assert!(
        bad.stderr.starts_with("error: The SCIM path") && bad.stderr.contains("department"),
        "{bad}"
    );
    let shared = desk.cli(&["mapping", "set", "department", "emails.value"]);
    shared.assert_code(1);
    assert!(shared.stderr.contains("same SCIM attribute"), "{shared}");
    let email = desk.cli(&["mapping", "set", "email", ""]);
    email.assert_code(1);
    assert!(email.stderr.contains("must stay mapped"), "{email}");
    assert_eq!(desk.cli_json(&["mapping", "show"]), before_mapping);
    assert_eq!(by_email(&desk), before);

    // Reset: the defaults, and no custom field any more.
    let reset = desk.cli_json(&["mapping", "reset"]);
    assert_eq!(reset["is_default"], true, "{reset}");
    for (_, e) in by_email(&desk) {
        assert_eq!(e["job_title"], "Engineer", "{e}");
        assert_eq!(e["custom"], json!({}), "{e}");
    }
    let schemas = okta.get("/Schemas");
    assert!(
        !schemas.expect(200)["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == ACME),
        "{schemas}"
    );
    drop(server);
}

/// `serve` keeps running while the CLI changes the mapping: its next write derives with the new
/// mapping (it notices the change through the database, not a restart).
#[test]
fn a_running_serve_derives_the_next_write_with_a_mapping_the_cli_set() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    okta.create_user(&user(1));
    assert_eq!(desk.employee("emp1@corp.example")["job_title"], "Engineer");
    desk.cli(&["mapping", "set", "job_title", &format!("{ACME}:jobCode")])
        .assert_code(0);
    okta.create_user(&user(2));
    assert_eq!(desk.employee("emp2@corp.example")["job_title"], "JC-2");
    // A PATCH of the job code alone moves the job title.
    let id = id_of(
        &okta
            .get("/Users?filter=userName eq \"emp1@corp.example\"")
            .expect(200)["Resources"][0],
    );
    okta.patch_ops(
        &format!("/Users/{id}"),
        json!([{"op": "replace", "path": format!("{ACME}:jobCode"), "value": "JC-99"}]),
    )
    .expect(200);
    assert_eq!(desk.employee("emp1@corp.example")["job_title"], "JC-99");
}

/// The mapping goes out as JSON and comes back in (`--file`), and unreadable JSON is refused.
#[test]
fn a_mapping_exported_as_json_imports_back() {
    let desk = Desk::new();
    desk.cli(&[
        "mapping",
        "set",
        "badge",
        &format!("{ACME}:badge"),
        "--type",
        "text",
    ])
    .assert_code(0);
    let exported = desk.cli_json(&["mapping", "show"]);
    let fields = exported["fields"].clone();
    assert_eq!(fields.as_array().unwrap().last().unwrap()["label"], "Badge");
    let file = desk.root().join("mapping.json");
    std::fs::write(
        &file,
        json!({"allow_shared_paths": false, "fields": fields}).to_string(),
    )
    .unwrap();
    let imported = desk.cli_json(&[
        "mapping",
        "set",
        "--provider",
        "entra",
        "--file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(imported["provider"], "entra");
    assert_eq!(imported["fields"], fields);
    std::fs::write(&file, "{ not json").unwrap();
    let bad = desk.cli(&["mapping", "set", "--file", file.to_str().unwrap()]);
    bad.assert_code(1);
    assert!(
        bad.stderr.contains("not a mapping SCIM Desk exported"),
        "{bad}"
    );
    let unknown = desk.cli(&["mapping", "set", "shoe_size", "title"]);
    unknown.assert_code(1);
    assert!(unknown.stderr.contains("--type"), "{unknown}");
}
