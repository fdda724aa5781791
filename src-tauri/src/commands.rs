//! What each IPC command does: a function per line of the contract
//! (`src-tauri/core/src/ipc_commands.rs`), with the same name, arguments and result, taking the
//! app's state. Each calls one core function; no logic lives here. `ipc.rs` makes them Tauri
//! commands.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use scimdesk::config::Retention;
use scimdesk::directory::activity::ActivityEntry;
use scimdesk::directory::employees::{EmployeeListPage, EmployeeListQuery};
use scimdesk::endpoint::{Endpoint, EndpointStatus};
use scimdesk::tunnel::rehearsal::Rehearsal;
use scimdesk::tunnel::TunnelStatus;
use scimdesk::views::{
    ActivityFilter, ActivitySettings, AppError, ConnectionView, EmployeeDetail, ExportGrant,
    NotificationSettings, Overview, ReachabilityWindow, TunnelInput,
};
use scimdesk::Desk;

/// What every command works on: the open data directory and the endpoint Okta calls.
pub struct AppState {
    pub desk: Desk,
    pub endpoint: Arc<Endpoint>,
    /// The file the save dialog last returned: the only one `export_employees` writes.
    pub export_grant: ExportGrant,
    /// Asks the admin where to save the CSV export (the system's save dialog).
    pub save_dialog: SaveDialog,
}

/// Asks where to save a file, suggesting a file name; `None` when the admin cancelled.
pub type SaveDialog = Box<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<Option<PathBuf>>> + Send>> + Send + Sync,
>;

/// FOR TESTS ONLY: when set at start, the save dialog answers this path instead of opening,
/// since WebDriver cannot drive a native dialog (`tests/it/desktop_app.rs`). The path still goes
/// through the export's grant like a chosen one. Read where the dialog is made, and only there.
pub const TEST_SAVE_PATH_ENV: &str = "SCIMDESK_TEST_SAVE_PATH";

pub type Result<T> = std::result::Result<T, AppError>;

pub async fn overview(state: &AppState) -> Result<Overview> {
    state.desk.overview(state.endpoint.status()).await
}

pub async fn set_okta_enabled(state: &AppState, enabled: bool) -> Result<Overview> {
    state.desk.set_okta_enabled(enabled).await?;
    state.desk.overview(state.endpoint.status()).await
}

pub async fn endpoint_status(state: &AppState) -> Result<EndpointStatus> {
    Ok(state.endpoint.status())
}

pub async fn change_port(state: &AppState, port: u32) -> Result<EndpointStatus> {
    Ok(state.endpoint.change_port(port).await?)
}

pub async fn list_connections(state: &AppState) -> Result<Vec<ConnectionView>> {
    state.desk.connection_views().await
}

pub async fn add_connection(state: &AppState, name: String) -> Result<ConnectionView> {
    state.desk.add_connection_view(&name).await
}

pub async fn connection_token(state: &AppState, id: String) -> Result<String> {
    state.desk.connection_token(&id).await
}

pub async fn delete_connection(state: &AppState, id: String) -> Result<()> {
    state.desk.delete_connection_view(&id).await
}

pub async fn rehearse_connection(state: &AppState, id: String) -> Result<Rehearsal> {
    state.desk.rehearse_connection(&id).await
}

pub async fn list_employees(
    state: &AppState,
    query: EmployeeListQuery,
) -> Result<EmployeeListPage> {
    state.desk.employee_list(&query).await
}

pub async fn employee_detail(state: &AppState, id: String) -> Result<EmployeeDetail> {
    state.desk.employee_detail(&id).await
}

/// Asks the admin where to save the CSV export, in the system's save dialog, and grants that
/// one path to the next `export_employees`; `None` when the admin cancelled.
pub async fn choose_export_file(
    state: &AppState,
    suggested_name: String,
) -> Result<Option<PathBuf>> {
    // Only a file name is suggested: where it goes is the admin's choice.
    let name = std::path::Path::new(&suggested_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "employees.csv".to_owned());
    let chosen = (state.save_dialog)(name).await?;
    Ok(chosen.map(|path| state.export_grant.grant(path)))
}

/// Writes a CSV to the file the admin just chose in the save dialog (`choose_export_file`), and
/// to no other: the webview cannot use this to overwrite anything.
pub async fn export_employees(
    state: &AppState,
    query: EmployeeListQuery,
    path: PathBuf,
) -> Result<u64> {
    let path = state.export_grant.take(&path)?;
    state.desk.export_employees(&query, &path).await
}

pub async fn list_activity(state: &AppState, filter: ActivityFilter) -> Result<Vec<ActivityEntry>> {
    state.desk.activity_list(&filter).await
}

pub async fn activity_settings(state: &AppState) -> Result<ActivitySettings> {
    state.desk.activity_settings().await
}

pub async fn set_activity_retention(
    state: &AppState,
    retention: Retention,
) -> Result<ActivitySettings> {
    state.desk.set_activity_retention(retention).await
}

pub async fn tunnel_status(state: &AppState) -> Result<TunnelStatus> {
    Ok(state.desk.tunnel_status().await?)
}

pub async fn set_tunnel(state: &AppState, input: TunnelInput) -> Result<TunnelStatus> {
    state.desk.set_tunnel_input(input).await
}

pub async fn acknowledge_url_change(state: &AppState) -> Result<TunnelStatus> {
    state.desk.acknowledge_url_change_view().await
}

pub async fn reachability_windows(state: &AppState) -> Result<Vec<ReachabilityWindow>> {
    state.desk.reachability_windows().await
}

pub async fn dismiss_reachability_window(
    state: &AppState,
    id: i64,
) -> Result<Vec<ReachabilityWindow>> {
    state.desk.dismiss_reachability_window(id).await
}

pub async fn notification_settings(state: &AppState) -> Result<NotificationSettings> {
    state.desk.notification_settings().await
}

pub async fn set_notifications_enabled(
    state: &AppState,
    enabled: bool,
) -> Result<NotificationSettings> {
    state.desk.set_notifications_enabled(enabled).await
}
