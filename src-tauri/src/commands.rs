//! The IPC commands: each takes the app's state and its arguments, calls one core function,
//! and returns its result or an [`AppError`] the UI shows as is. No logic lives here.

use std::path::PathBuf;
use std::sync::Arc;

use scimdesk::directory::activity::ActivityEntry;
use scimdesk::directory::employees::{EmployeeListPage, EmployeeListQuery};
use scimdesk::endpoint::{Endpoint, EndpointStatus};
use scimdesk::tunnel::rehearsal::Rehearsal;
use scimdesk::tunnel::TunnelStatus;
use scimdesk::config::Retention;
use scimdesk::views::{
    ActivityFilter, ActivitySettings, AppError, ConnectionView, EmployeeDetail, Overview,
    TunnelInput,
};
use scimdesk::Desk;
use tauri::State;

/// What every command works on: the open data directory and the endpoint Okta calls.
pub struct AppState {
    pub desk: Desk,
    pub endpoint: Arc<Endpoint>,
}

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

/// Writes a CSV where the admin chose in the save dialog. Only `.csv` files: the webview cannot
/// use this to overwrite anything else.
#[tauri::command]
#[tracing::instrument(skip(state), err(Debug))]
pub async fn export_employees(
    state: State<'_, AppState>,
    query: EmployeeListQuery,
    path: PathBuf,
) -> Result<u64> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv || !path.is_absolute() {
        return Err(AppError::new(
            "Choose a file name ending in .csv to export the employees to.",
        ));
    }
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
