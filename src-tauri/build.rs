/// The app's own IPC commands. Declared here so that `capabilities/default.json` grants each one
/// by name (`allow-<command>`): the webview can call nothing it is not granted. Keep in step with
/// `generate_handler!` in `src/lib.rs` (a test there checks it).
const COMMANDS: &[&str] = &[
    "overview",
    "set_okta_enabled",
    "endpoint_status",
    "change_port",
    "list_connections",
    "add_connection",
    "connection_token",
    "delete_connection",
    "rehearse_connection",
    "list_employees",
    "employee_detail",
    "choose_export_file",
    "export_employees",
    "list_activity",
    "activity_settings",
    "set_activity_retention",
    "tunnel_status",
    "set_tunnel",
    "acknowledge_url_change",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run the Tauri build script");
}
