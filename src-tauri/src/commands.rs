//! What each IPC command does: a function per line of the contract
//! (`src-tauri/core/src/ipc_commands.rs`), with the same name, arguments and result, taking the
//! app's state. Each calls one core function; no logic lives here. `ipc.rs` makes them Tauri
//! commands.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use scimdesk::awake::KeepAwake;
use scimdesk::config::ReconcileSchedule;
use scimdesk::config::Retention;
use scimdesk::connections::Provider;
use scimdesk::directory::activity::ActivityEntry;
use scimdesk::directory::attribute_map::{AttributeMapping, MappingInput, SeenAttribute};
use scimdesk::directory::employees::{EmployeeListPage, EmployeeListQuery};
use scimdesk::directory::history::{EmployeeAsOf, EmployeeHistoryPage};
use scimdesk::directory::orgchart::{OrgChartView, UnresolvedManager};
use scimdesk::endpoint::{Endpoint, EndpointStatus};
use scimdesk::okta::OktaApiSetup;
use scimdesk::reconcile_views::{OktaApiInput, ReconcileState, RowsPage, RowsQuery};
use scimdesk::tunnel::rehearsal::Rehearsal;
use scimdesk::tunnel::TunnelStatus;
use scimdesk::views::{
    ActivityFilter, ActivitySettings, AppError, ConnectionView, EmployeeDetail, ExportGrant,
    GeneralSettings, NotificationSettings, Overview, ReachabilityWindow, TunnelInput,
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
    /// The system's login entry that starts SCIM Desk in the tray.
    pub start_at_login: Box<dyn StartAtLogin>,
    /// The sleep inhibitor held while Okta can provision.
    pub awake: KeepAwake,
}

/// The system's login entry for SCIM Desk (Tauri's autostart plugin: XDG autostart on Linux,
/// a login item on macOS, the registry on Windows). Errors are the system's own words.
pub trait StartAtLogin: Send + Sync {
    fn is_enabled(&self) -> std::result::Result<bool, String>;
    fn set(&self, enabled: bool) -> std::result::Result<(), String>;
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

pub async fn set_provider_enabled(
    state: &AppState,
    provider: Provider,
    enabled: bool,
) -> Result<Overview> {
    state.desk.set_provider_enabled(provider, enabled).await?;
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

pub async fn add_connection(
    state: &AppState,
    name: String,
    provider: Provider,
) -> Result<ConnectionView> {
    state.desk.add_connection_view(&name, provider).await
}

pub async fn connection_token(state: &AppState, id: String) -> Result<String> {
    state.desk.connection_token(&id).await
}

pub async fn regenerate_token(state: &AppState, id: String) -> Result<String> {
    state.desk.regenerate_token_view(&id).await
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

pub async fn org_chart(
    state: &AppState,
    employee_id: Option<String>,
    include_deactivated: bool,
) -> Result<OrgChartView> {
    state
        .desk
        .org_chart(employee_id.as_deref(), include_deactivated)
        .await
}

pub async fn org_unresolved(state: &AppState) -> Result<Vec<UnresolvedManager>> {
    state.desk.org_unresolved().await
}

pub async fn attribute_mapping(state: &AppState, provider: Provider) -> Result<AttributeMapping> {
    state.desk.attribute_mapping(provider).await
}

pub async fn mapping_sources(state: &AppState, provider: Provider) -> Result<Vec<SeenAttribute>> {
    state.desk.mapping_sources(provider).await
}

pub async fn save_attribute_mapping(
    state: &AppState,
    provider: Provider,
    input: MappingInput,
) -> Result<AttributeMapping> {
    state.desk.save_attribute_mapping(provider, &input).await
}

pub async fn reset_attribute_mapping(
    state: &AppState,
    provider: Provider,
) -> Result<AttributeMapping> {
    state.desk.reset_attribute_mapping(provider).await
}

pub async fn export_attribute_mapping(state: &AppState, provider: Provider) -> Result<String> {
    state.desk.export_attribute_mapping(provider).await
}

pub async fn import_attribute_mapping(
    state: &AppState,
    provider: Provider,
    json: String,
) -> Result<AttributeMapping> {
    state.desk.import_attribute_mapping(provider, &json).await
}

pub async fn employee_history(
    state: &AppState,
    id: String,
    before: Option<i64>,
) -> Result<EmployeeHistoryPage> {
    state.desk.employee_history(&id, before).await
}

pub async fn employee_as_of(state: &AppState, id: String, at: String) -> Result<EmployeeAsOf> {
    state.desk.employee_as_of(&id, &at).await
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

pub async fn general_settings(state: &AppState) -> Result<GeneralSettings> {
    state
        .desk
        .general_settings(state.start_at_login.is_enabled(), state.awake.status())
        .await
}

pub async fn set_start_at_login(state: &AppState, enabled: bool) -> Result<GeneralSettings> {
    state.start_at_login.set(enabled).map_err(|e| {
        AppError::new(if enabled {
            format!("SCIM Desk could not add itself to the programs started at login: {e}")
        } else {
            format!("SCIM Desk could not remove itself from the programs started at login: {e}")
        })
    })?;
    state.desk.start_at_login_offered().await?;
    general_settings(state).await
}

pub async fn start_at_login_offered(state: &AppState) -> Result<GeneralSettings> {
    state.desk.start_at_login_offered().await?;
    general_settings(state).await
}

pub async fn set_keep_awake(state: &AppState, enabled: bool) -> Result<GeneralSettings> {
    state.desk.set_keep_awake(enabled).await?;
    general_settings(state).await
}

pub async fn reconcile_state(state: &AppState, connection_id: String) -> Result<ReconcileState> {
    state.desk.reconcile_state(&connection_id).await
}

pub async fn set_okta_api(
    state: &AppState,
    connection_id: String,
    input: OktaApiInput,
) -> Result<OktaApiSetup> {
    state.desk.set_okta_api_view(&connection_id, input).await
}

pub async fn clear_okta_api(state: &AppState, connection_id: String) -> Result<()> {
    state.desk.clear_okta_api_view(&connection_id).await
}

pub async fn start_reconcile(state: &AppState, connection_id: String) -> Result<ReconcileState> {
    state.desk.start_reconcile_view(&connection_id).await
}

pub async fn cancel_reconcile(state: &AppState, connection_id: String) -> Result<ReconcileState> {
    state.desk.cancel_reconcile_view(&connection_id).await
}

pub async fn apply_reconcile(
    state: &AppState,
    connection_id: String,
    keys: Option<Vec<String>>,
) -> Result<ReconcileState> {
    state.desk.apply_reconcile_view(&connection_id, keys).await
}

pub async fn reconcile_rows(
    state: &AppState,
    connection_id: String,
    query: RowsQuery,
) -> Result<RowsPage> {
    state.desk.reconcile_rows(&connection_id, &query).await
}

/// Writes the reconcile report to the file the admin just chose in the save dialog, and to no
/// other (as `export_employees`).
pub async fn export_reconcile(
    state: &AppState,
    connection_id: String,
    path: PathBuf,
) -> Result<u64> {
    let path = state.export_grant.take(&path)?;
    state.desk.export_reconcile(&connection_id, &path).await
}

pub async fn reconcile_schedule(state: &AppState) -> Result<ReconcileSchedule> {
    state.desk.reconcile_schedule_view().await
}

pub async fn set_reconcile_schedule(
    state: &AppState,
    schedule: ReconcileSchedule,
) -> Result<ReconcileSchedule> {
    state.desk.set_reconcile_schedule_view(schedule).await
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
