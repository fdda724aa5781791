//! The IPC commands through Tauri's real IPC and ACL (`tauri::test`, no window): what the UI
//! sends, what it gets back, and that the capability file grants exactly what the UI uses.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use scimdesk::connections::keychain::{Keychain, MemoryKeychain};
use scimdesk::endpoint::Endpoint;
use scimdesk::Desk;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use crate::commands::{AppState, StartAtLogin};

/// The login entry kept in memory: the real one (Tauri's autostart plugin, writing
/// `~/.config/autostart`) is tested through the real app in `tests/it/desktop_app.rs`, with a
/// home directory of its own; here `HOME` is the test process's, shared by every test.
#[derive(Default, Clone)]
struct LoginEntryInMemory(Arc<Mutex<bool>>);

impl StartAtLogin for LoginEntryInMemory {
    fn is_enabled(&self) -> Result<bool, String> {
        Ok(*self.0.lock().unwrap())
    }
    fn set(&self, enabled: bool) -> Result<(), String> {
        *self.0.lock().unwrap() = enabled;
        Ok(())
    }
}

struct Ipc {
    window: WebviewWindow<MockRuntime>,
    /// What the save dialog answers next (it cancels when `None`).
    save_as: Arc<Mutex<Option<PathBuf>>>,
    _app: tauri::App<MockRuntime>,
    _dir: tempfile::TempDir,
}

async fn ipc() -> Ipc {
    let dir = tempfile::tempdir().unwrap();
    let keychain: Arc<dyn Keychain> = Arc::new(MemoryKeychain::default());
    let desk = Desk::open(dir.path(), keychain).await.unwrap();
    let endpoint = Arc::new(Endpoint::new(desk.clone()));
    let save_as = Arc::new(Mutex::new(None));
    let answer = save_as.clone();
    let app = mock_builder()
        .invoke_handler(crate::ipc::handler())
        .manage(AppState {
            desk,
            endpoint,
            export_grant: Default::default(),
            save_dialog: Box::new(move |_name| {
                let chosen = answer.lock().unwrap().clone();
                Box::pin(async move { Ok(chosen) })
            }),
            start_at_login: Box::new(LoginEntryInMemory::default()),
            awake: scimdesk::awake::KeepAwake::new(),
        })
        .build(tauri::generate_context!(test = true))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, crate::MAIN_WINDOW, WebviewUrl::default())
        .build()
        .unwrap();
    Ipc {
        window,
        save_as,
        _app: app,
        _dir: dir,
    }
}

impl Ipc {
    fn call_from(&self, origin: &str, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: origin.parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    /// As the app's own UI calls it (on Linux its origin is `tauri://localhost`).
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.call_from("tauri://localhost", cmd, args)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_through_ipc_add_list_reveal_and_delete() {
    let ipc = ipc().await;
    let added = ipc
        .call(
            "add_connection",
            json!({"name": " Okta production ", "provider": "okta"}),
        )
        .unwrap();
    assert_eq!(added["name"], "Okta production");
    let id = added["id"].as_str().unwrap().to_owned();
    assert!(added["base_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/scim/v2/{id}")));
    assert!(
        added.get("token").is_none(),
        "the token is never in a listing"
    );

    let refused = ipc
        .call(
            "add_connection",
            json!({"name": "okta PRODUCTION", "provider": "okta"}),
        )
        .unwrap_err();
    assert_eq!(refused["field"], "name");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{refused}"
    );

    // Names are unique across providers.
    let refused = ipc
        .call(
            "add_connection",
            json!({"name": "Okta production", "provider": "entra"}),
        )
        .unwrap_err();
    assert_eq!(refused["field"], "name", "{refused}");
    let entra = ipc
        .call(
            "add_connection",
            json!({"name": "Entra", "provider": "entra"}),
        )
        .unwrap();
    assert_eq!(
        (&added["provider"], &entra["provider"]),
        (&json!("okta"), &json!("entra"))
    );
    let overview = ipc.call("overview", json!({})).unwrap();
    assert_eq!(
        [
            &overview["connection_count"],
            &overview["okta_connections"],
            &overview["entra_connections"]
        ],
        [&json!(2), &json!(1), &json!(1)]
    );
    assert!(ipc
        .call(
            "add_connection",
            json!({"name": "Other", "provider": "azure"})
        )
        .is_err());
    ipc.call("delete_connection", json!({"id": entra["id"]}))
        .unwrap();

    let token = ipc.call("connection_token", json!({"id": id})).unwrap();
    assert!(token.as_str().unwrap().len() >= 43);
    let listed = ipc.call("list_connections", json!({})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["provider"], "okta");

    ipc.call("delete_connection", json!({"id": id})).unwrap();
    assert_eq!(ipc.call("list_connections", json!({})).unwrap(), json!([]));
    let gone = ipc.call("connection_token", json!({"id": id})).unwrap_err();
    assert!(
        gone["message"]
            .as_str()
            .unwrap()
            .starts_with("There is no connection"),
        "{gone}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_overview_switch_and_queries_take_the_ui_shapes() {
    let ipc = ipc().await;
    let o = ipc.call("overview", json!({})).unwrap();
    assert_eq!(o["okta_enabled"], true);
    assert_eq!(o["endpoint"]["state"], "starting");
    let o = ipc
        .call(
            "set_provider_enabled",
            json!({"provider": "okta", "enabled": false}),
        )
        .unwrap();
    assert_eq!(o["okta_enabled"], false);
    assert_eq!(o["entra_enabled"], true, "Okta's switch is Okta's alone");
    let o = ipc
        .call(
            "set_provider_enabled",
            json!({"provider": "entra", "enabled": false}),
        )
        .unwrap();
    assert_eq!(
        (&o["okta_enabled"], &o["entra_enabled"]),
        (&json!(false), &json!(false))
    );

    let page = ipc
        .call(
            "list_employees",
            json!({"query": {"search": null, "status": "active", "limit": 50, "after": null, "before": null, "last": false}}),
        )
        .unwrap();
    assert_eq!(
        page,
        json!({"total": 0, "items": [], "offset": 0, "next": null, "prev": null, "custom_fields": []})
    );
    let bad = ipc
        .call("list_employees", json!({"query": {"status": "everyone"}}))
        .unwrap_err();
    assert!(
        bad.as_str().unwrap_or_default().contains("everyone"),
        "{bad}"
    );

    let activity = ipc
        .call(
            "list_activity",
            json!({"filter": {"failures_only": true, "limit": 10}}),
        )
        .unwrap();
    assert_eq!(activity, json!([]));

    // A path the save dialog did not return is refused, whatever it is.
    for path in ["/tmp/employees.txt", "/tmp/employees.csv"] {
        let csv = ipc
            .call("export_employees", json!({"query": {}, "path": path}))
            .unwrap_err();
        assert!(
            csv["message"].as_str().unwrap().contains("save dialog"),
            "{csv}"
        );
    }

    let tunnel = ipc
        .call(
            "set_tunnel",
            json!({"input": {"mode": "own", "url": "http://plain.example"}}),
        )
        .unwrap_err();
    assert_eq!(tunnel["field"], "url");
    let status = ipc.call("tunnel_status", json!({})).unwrap();
    assert_eq!(status["mode"], "none");
    let port = ipc.call("change_port", json!({"port": 80})).unwrap_err();
    assert_eq!(port["field"], "port");
}

/// The activity log's retention, as the Settings page reads and changes it: a bad number is an
/// error on its field and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_activity_retention_is_read_and_changed_through_ipc() {
    let ipc = ipc().await;
    let shown = ipc.call("activity_settings", json!({})).unwrap();
    assert_eq!(shown["retention"], json!({"days": 180, "lines": 1_000_000}));
    assert_eq!(shown["defaults"], shown["retention"]);
    assert_eq!(shown["size"], json!({"lines": 0, "oldest_at": null}));
    let refused = ipc
        .call(
            "set_activity_retention",
            json!({"retention": {"days": 30, "lines": 5}}),
        )
        .unwrap_err();
    assert_eq!(refused["field"], "lines", "{refused}");
    let refused = ipc
        .call(
            "set_activity_retention",
            json!({"retention": {"days": 0, "lines": 5000}}),
        )
        .unwrap_err();
    assert_eq!(refused["field"], "days", "{refused}");
    let unchanged = ipc.call("activity_settings", json!({})).unwrap();
    assert_eq!(unchanged["retention"]["days"], 180);
    let set = ipc
        .call(
            "set_activity_retention",
            json!({"retention": {"days": 30, "lines": 5000}}),
        )
        .unwrap();
    assert_eq!(set["retention"], json!({"days": 30, "lines": 5000}));
}

/// The export writes the file the save dialog returned, once, and no other.
#[tokio::test(flavor = "multi_thread")]
async fn the_export_writes_only_the_file_chosen_in_the_save_dialog() {
    let ipc = ipc().await;
    let out = tempfile::tempdir().unwrap();
    let chosen = out.path().join("employees");
    *ipc.save_as.lock().unwrap() = Some(chosen.clone());
    let granted = ipc
        .call(
            "choose_export_file",
            json!({"suggestedName": "employees-2026-12-07.csv"}),
        )
        .unwrap();
    let granted = granted.as_str().unwrap().to_owned();
    assert_eq!(
        granted,
        format!("{}.csv", chosen.display()),
        "with .csv added"
    );
    // Another path, even in the same folder, is refused and spends the choice.
    let other = out.path().join("other.csv");
    let refused = ipc
        .call("export_employees", json!({"query": {}, "path": other}))
        .unwrap_err();
    assert!(refused["message"].as_str().unwrap().contains("save dialog"));
    assert!(!other.exists());
    ipc.call("export_employees", json!({"query": {}, "path": granted}))
        .unwrap_err();

    let granted = ipc
        .call("choose_export_file", json!({"suggestedName": "x.csv"}))
        .unwrap();
    let written = ipc
        .call("export_employees", json!({"query": {}, "path": granted}))
        .unwrap();
    assert_eq!(written, json!(0));
    assert!(std::path::Path::new(granted.as_str().unwrap()).is_file());
    let again = ipc
        .call("export_employees", json!({"query": {}, "path": granted}))
        .unwrap_err();
    assert!(
        again["message"].as_str().unwrap().contains("once"),
        "{again}"
    );
}

/// Every command the UI uses is granted to the main window, and only to the app's own origin.
#[tokio::test(flavor = "multi_thread")]
async fn the_capability_grants_every_command_to_the_app_and_nothing_to_others() {
    let ipc = ipc().await;
    let commands = scimdesk::ipc::COMMANDS;
    assert_eq!(commands.len(), 48, "{commands:?}");
    for cmd in commands {
        // Arguments are left out on purpose: a granted command answers with an argument error,
        // a refused one with the ACL's "not allowed".
        let answer = ipc.call(cmd, json!({}));
        let text = format!("{answer:?}");
        assert!(!text.contains("not allowed"), "{cmd}: {text}");
        let remote = ipc.call_from("https://evil.example", cmd, json!({}));
        assert!(
            format!("{remote:?}").contains("not allowed"),
            "{cmd} from a remote origin: {remote:?}"
        );
    }
    // Nothing outside the list: reading the clipboard, say, or the dialog plugin's own save
    // dialog (the app's opens from Rust, and grants what it returns).
    let read = ipc.call("plugin:clipboard-manager|read_text", json!({}));
    assert!(read.is_err(), "{read:?}");
    let save = ipc.call("plugin:dialog|save", json!({"options": {}}));
    assert!(format!("{save:?}").contains("not allowed"), "{save:?}");
}

/// The Okta switch off and on from the app is a window the Okta page lists; the banner about it
/// is dismissed by its id.
#[tokio::test(flavor = "multi_thread")]
async fn reachability_windows_are_listed_and_dismissed_through_ipc() {
    let ipc = ipc().await;
    assert_eq!(
        ipc.call("reachability_windows", json!({})).unwrap(),
        json!([])
    );
    ipc.call(
        "add_connection",
        json!({"name": "Okta", "provider": "okta"}),
    )
    .unwrap();
    ipc.call(
        "set_provider_enabled",
        json!({"provider": "okta", "enabled": false}),
    )
    .unwrap();
    ipc.call(
        "set_provider_enabled",
        json!({"provider": "okta", "enabled": true}),
    )
    .unwrap();

    let windows = ipc.call("reachability_windows", json!({})).unwrap();
    let w = &windows[0];
    assert_eq!(w["cause"], "okta_off", "{windows}");
    assert!(w["ended_at"].is_string(), "{w}");
    assert_eq!(w["connections"][0]["name"], "Okta", "{w}");
    assert_eq!(w["dismissed"], false, "{w}");

    let after = ipc
        .call("dismiss_reachability_window", json!({"id": w["id"]}))
        .unwrap();
    assert_eq!(after[0]["dismissed"], true, "{after}");
    let gone = ipc
        .call("dismiss_reachability_window", json!({"id": 12345}))
        .unwrap_err();
    assert!(gone["message"].as_str().is_some(), "{gone}");
}

#[tokio::test(flavor = "multi_thread")]
async fn general_settings_start_at_login_is_asked_once_and_keep_awake_is_a_setting() {
    let ipc = ipc().await;
    let g = ipc.call("general_settings", json!({})).unwrap();
    assert_eq!(
        g,
        json!({
            "start_at_login": false,
            "start_at_login_error": null,
            "start_at_login_offered": false,
            "keep_awake": false,
            "awake": {"state": "not_held", "reason": "option_off"},
        })
    );
    // "Not now": not asked again, nothing turned on.
    let g = ipc.call("start_at_login_offered", json!({})).unwrap();
    assert_eq!(g["start_at_login_offered"], true);
    assert_eq!(g["start_at_login"], false);

    let g = ipc
        .call("set_start_at_login", json!({"enabled": true}))
        .unwrap();
    assert_eq!(g["start_at_login"], true);
    let g = ipc
        .call("set_start_at_login", json!({"enabled": false}))
        .unwrap();
    assert_eq!(g["start_at_login"], false);

    let g = ipc
        .call("set_keep_awake", json!({"enabled": true}))
        .unwrap();
    assert_eq!(g["keep_awake"], true);
    let bad = ipc.call("set_keep_awake", json!({"enabled": "yes"}));
    assert!(bad.is_err(), "{bad:?}");
    let g = ipc.call("general_settings", json!({})).unwrap();
    assert_eq!(g["keep_awake"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn choosing_start_at_login_in_settings_means_it_is_not_asked_after_the_first_connection() {
    let ipc = ipc().await;
    let g = ipc
        .call("set_start_at_login", json!({"enabled": true}))
        .unwrap();
    assert_eq!(g["start_at_login"], true);
    assert_eq!(g["start_at_login_offered"], true);
    ipc.call(
        "add_connection",
        json!({"name": "Okta", "provider": "okta"}),
    )
    .unwrap();
    let g = ipc.call("general_settings", json!({})).unwrap();
    assert_eq!(g["start_at_login_offered"], true, "{g}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reconcile_area_through_ipc_refuses_bad_setups_on_their_field_and_keeps_nothing() {
    let ipc = ipc().await;
    let added = ipc
        .call(
            "add_connection",
            json!({"name": "Okta", "provider": "okta"}),
        )
        .unwrap();
    let id = added["id"].as_str().unwrap().to_owned();
    let state = ipc
        .call("reconcile_state", json!({"connectionId": id}))
        .unwrap();
    assert_eq!(state["setup"], Value::Null, "{state}");
    assert_eq!(state["running"], Value::Null, "{state}");
    assert_eq!(state["last_run"], Value::Null, "{state}");

    let setup = |org: &str, app: &str, token: &str| {
        ipc.call(
            "set_okta_api",
            json!({"connectionId": id, "input": {"org_url": org, "app_id": app, "token": token}}),
        )
        .unwrap_err()
    };
    let e = setup("http://acme.okta.com", "0oa1", "t");
    assert_eq!(e["field"], "org_url", "{e}");
    assert!(e["message"].as_str().unwrap().contains("https"), "{e}");
    let e = setup(
        "https://acme.okta.com",
        "https://acme-admin.okta.com/admin/apps",
        "t",
    );
    assert_eq!(e["field"], "app_id", "{e}");
    let e = setup("https://acme.okta.com", "0oa1", "  ");
    assert_eq!(e["field"], "token", "{e}");
    // Nothing answers there: a sentence on the org URL, not the token.
    let e = setup("https://127.0.0.1:9", "0oa1", "secret-token-value");
    assert_eq!(e["field"], "org_url", "{e}");
    assert!(!e.to_string().contains("secret-token-value"), "{e}");
    let state = ipc
        .call("reconcile_state", json!({"connectionId": id}))
        .unwrap();
    assert_eq!(state["setup"], Value::Null, "nothing kept: {state}");

    let e = ipc
        .call("start_reconcile", json!({"connectionId": id}))
        .unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("not set up"), "{e}");
    let rows = ipc
        .call(
            "reconcile_rows",
            json!({"connectionId": id, "query": {"kind": "missing_here", "offset": 0, "limit": 50}}),
        )
        .unwrap();
    assert_eq!(rows["total"], 0, "{rows}");
    let e = ipc
        .call(
            "export_reconcile",
            json!({"connectionId": id, "path": "not-chosen.csv"}),
        )
        .unwrap_err();
    assert!(
        e["message"].as_str().unwrap().contains("save dialog"),
        "{e}"
    );
    ipc.call("clear_okta_api", json!({"connectionId": id}))
        .unwrap();

    // The schedule: daily by default, changed for every connection.
    assert_eq!(ipc.call("reconcile_schedule", json!({})).unwrap(), "daily");
    assert_eq!(
        ipc.call("set_reconcile_schedule", json!({"schedule": "weekly"}))
            .unwrap(),
        "weekly"
    );
    assert_eq!(ipc.call("reconcile_schedule", json!({})).unwrap(), "weekly");
    let e = ipc
        .call("set_reconcile_schedule", json!({"schedule": "hourly"}))
        .unwrap_err();
    assert!(!e.to_string().is_empty());
}

/// *Settings › Notifications* through IPC: on by default with nothing notified yet, turned off
/// and on again.
#[tokio::test(flavor = "multi_thread")]
async fn notifications_are_read_and_switched_through_ipc() {
    let ipc = ipc().await;
    let settings = ipc.call("notification_settings", json!({})).unwrap();
    assert_eq!(settings["enabled"], true, "{settings}");
    let kinds: Vec<_> = settings["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kind"].as_str().unwrap(), k["last_at"].is_null()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("push_failed", true),
            ("window_ended", true),
            ("drift_found", true)
        ]
    );
    let off = ipc
        .call("set_notifications_enabled", json!({"enabled": false}))
        .unwrap();
    assert_eq!(off["enabled"], false, "{off}");
    assert_eq!(
        ipc.call("notification_settings", json!({})).unwrap()["enabled"],
        false
    );
    let on = ipc
        .call("set_notifications_enabled", json!({"enabled": true}))
        .unwrap();
    assert_eq!(on["enabled"], true, "{on}");
}

/// The attribute mapping through IPC: the default for each provider, a bad path refused on its
/// field with nothing changed, a custom field saved, exported, imported back and reset.
#[tokio::test(flavor = "multi_thread")]
async fn the_attribute_mapping_is_read_saved_refused_exported_and_reset_through_ipc() {
    let ipc = ipc().await;
    let m = ipc
        .call("attribute_mapping", json!({"provider": "okta"}))
        .unwrap();
    assert_eq!(m["is_default"], true);
    assert_eq!(m["rederive"], Value::Null);
    let job = m["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "job_title")
        .unwrap()
        .clone();
    assert_eq!(
        job,
        json!({"key": "job_title", "label": "Job title", "kind": "text", "custom": false,
               "path": "title", "default_path": "title", "required": false})
    );

    let field = |key: &str, label: &str, kind: &str, custom: bool, path: &str| json!({"key": key, "label": label, "kind": kind, "custom": custom, "path": path});
    let bad = ipc
        .call(
            "save_attribute_mapping",
            json!({"provider": "okta", "input": {"fields": [field("job_title", "Job title", "text", false, "title[")], "allow_shared_paths": false}}),
        )
        .unwrap_err();
    assert_eq!(bad["field"], "fields.job_title.path", "{bad}");
    assert!(
        bad["message"].as_str().unwrap().contains("SCIM path"),
        "{bad}"
    );
    let unchanged = ipc
        .call("attribute_mapping", json!({"provider": "okta"}))
        .unwrap();
    assert_eq!(unchanged, m, "nothing changed");

    let acme = "urn:example:params:scim:schemas:extension:acme:2.0:User:costCenter";
    let saved = ipc
        .call(
            "save_attribute_mapping",
            json!({"provider": "okta", "input": {"fields": [field("cost_center", "Cost center", "number", true, acme)], "allow_shared_paths": false}}),
        )
        .unwrap();
    assert_eq!(saved["is_default"], false);
    let cost = saved["fields"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        cost,
        json!({"key": "cost_center", "label": "Cost center", "kind": "number", "custom": true,
               "path": acme, "default_path": null, "required": false})
    );
    let entra = ipc
        .call("attribute_mapping", json!({"provider": "entra"}))
        .unwrap();
    assert_eq!(
        entra["fields"].as_array().unwrap().last().unwrap()["path"],
        Value::Null,
        "Entra has the field, unmapped"
    );
    let exported = ipc
        .call("export_attribute_mapping", json!({"provider": "okta"}))
        .unwrap();
    let exported = exported.as_str().unwrap().to_owned();
    assert!(exported.contains(acme), "{exported}");
    let refused = ipc
        .call(
            "import_attribute_mapping",
            json!({"provider": "entra", "json": "{not json"}),
        )
        .unwrap_err();
    assert_eq!(refused["field"], "json", "{refused}");
    let imported = ipc
        .call(
            "import_attribute_mapping",
            json!({"provider": "entra", "json": exported}),
        )
        .unwrap();
    assert_eq!(imported["fields"], saved["fields"]);

    let reset = ipc
        .call("reset_attribute_mapping", json!({"provider": "okta"}))
        .unwrap();
    assert_eq!(reset["is_default"], true);
    let sources = ipc
        .call("mapping_sources", json!({"provider": "okta"}))
        .unwrap();
    assert_eq!(sources, json!([]), "no employees, nothing seen");
}
