//! The IPC commands: each takes the app's state and its arguments, calls one core function,
//! and returns its result or an [`AppError`] the UI shows as is. No logic lives here.

use std::path::PathBuf;
use std::sync::Arc;

use scimdesk::config::Retention;
use scimdesk::directory::activity::ActivityEntry;
use scimdesk::directory::employees::{EmployeeListPage, EmployeeListQuery};
use scimdesk::endpoint::{Endpoint, EndpointStatus};
use scimdesk::tunnel::rehearsal::Rehearsal;
use scimdesk::tunnel::TunnelStatus;
use scimdesk::views::{
    ActivityFilter, ActivitySettings, AppError, ConnectionView, EmployeeDetail, ExportGrant,
    Overview, TunnelInput,
};
use scimdesk::Desk;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

/// What every command works on: the open data directory and the endpoint Okta calls.
pub struct AppState {
    pub desk: Desk,
    pub endpoint: Arc<Endpoint>,
    /// The file the save dialog last returned: the only one `export_employees` writes.
    pub export_grant: ExportGrant,
}

/// FOR TESTS ONLY: when set, `choose_export_file` returns this path instead of opening the
/// native save dialog, which WebDriver cannot drive (`tests/it/desktop_app.rs`). The path still
/// goes through the grant like a chosen one. Read by that command alone, and only there.
pub const TEST_SAVE_PATH_ENV: &str = "SCIMDESK_TEST_SAVE_PATH";

type Result<T> = std::result::Result<T, AppError>;

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn overview(state: State<'_, AppState>) -> Result<Overview> {
    state.desk.overview(state.endpoint.status()).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn set_okta_enabled(state: State<'_, AppState>, enabled: bool) -> Result<Overview> {
    state.desk.set_okta_enabled(enabled).await?;
    state.desk.overview(state.endpoint.status()).await
}

#[tauri::command]
pub async fn endpoint_status(state: State<'_, AppState>) -> Result<EndpointStatus> {
    Ok(state.endpoint.status())
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn change_port(state: State<'_, AppState>, port: u32) -> Result<EndpointStatus> {
    Ok(state.endpoint.change_port(port).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn list_connections(state: State<'_, AppState>) -> Result<Vec<ConnectionView>> {
    state.desk.connection_views().await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn add_connection(state: State<'_, AppState>, name: String) -> Result<ConnectionView> {
    state.desk.add_connection_view(&name).await
}

/// The token, for the admin to reveal or copy. Never traced: only its errors are.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn connection_token(state: State<'_, AppState>, id: String) -> Result<String> {
    state.desk.connection_token(&id).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn delete_connection(state: State<'_, AppState>, id: String) -> Result<()> {
    state.desk.delete_connection_view(&id).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn rehearse_connection(state: State<'_, AppState>, id: String) -> Result<Rehearsal> {
    state.desk.rehearse_connection(&id).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn list_employees(
    state: State<'_, AppState>,
    query: EmployeeListQuery,
) -> Result<EmployeeListPage> {
    state.desk.employee_list(&query).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn employee_detail(state: State<'_, AppState>, id: String) -> Result<EmployeeDetail> {
    state.desk.employee_detail(&id).await
}

/// Asks the admin where to save the CSV export, in the system's save dialog, and grants that
/// one path to the next `export_employees`; `None` when the admin cancelled.
#[tauri::command]
#[tracing::instrument(skip(app, state), err(Debug))]
pub async fn choose_export_file<R: tauri::Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    suggested_name: String,
) -> Result<Option<PathBuf>> {
    let chosen = match std::env::var_os(TEST_SAVE_PATH_ENV) {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            let (answer, answered) = tokio::sync::oneshot::channel();
            // Only a file name is suggested: where it goes is the admin's choice.
            let name = std::path::Path::new(&suggested_name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "employees.csv".to_owned());
            app.dialog()
                .file()
                .set_title("Export employees")
                .set_file_name(name)
                .add_filter("CSV", &["csv"])
                .save_file(move |path| {
                    let _ = answer.send(path);
                });
            match answered.await.ok().flatten() {
                Some(path) => Some(path.into_path().map_err(|e| {
                    AppError::new(format!("The chosen file cannot be written to: {e}"))
                })?),
                None => None,
            }
        }
    };
    Ok(chosen.map(|path| state.export_grant.grant(path)))
}

/// Writes a CSV to the file the admin just chose in the save dialog (`choose_export_file`), and
/// to no other: the webview cannot use this to overwrite anything.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn export_employees(
    state: State<'_, AppState>,
    query: EmployeeListQuery,
    path: PathBuf,
) -> Result<u64> {
    let path = state.export_grant.take(&path)?;
    state.desk.export_employees(&query, &path).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn list_activity(
    state: State<'_, AppState>,
    filter: ActivityFilter,
) -> Result<Vec<ActivityEntry>> {
    state.desk.activity_list(&filter).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn activity_settings(state: State<'_, AppState>) -> Result<ActivitySettings> {
    state.desk.activity_settings().await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn set_activity_retention(
    state: State<'_, AppState>,
    retention: Retention,
) -> Result<ActivitySettings> {
    state.desk.set_activity_retention(retention).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn tunnel_status(state: State<'_, AppState>) -> Result<TunnelStatus> {
    Ok(state.desk.tunnel_status().await?)
}

/// The input carries the tunnel's secret: it is not traced.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn set_tunnel(state: State<'_, AppState>, input: TunnelInput) -> Result<TunnelStatus> {
    state.desk.set_tunnel_input(input).await
}

#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn acknowledge_url_change(state: State<'_, AppState>) -> Result<TunnelStatus> {
    state.desk.acknowledge_url_change_view().await
}
