//! What the desktop app's screens show, shaped from the core's data in one call each.
//!
//! The Tauri shell's IPC commands are one-line calls into these, so everything the UI relies on
//! is tested here without a window. The types are exported to TypeScript (`ui/src/bindings`)
//! with ts-rs, so the UI and Rust never disagree about a field.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::awake::AwakeStatus;
use crate::config::Retention;
use crate::connections::{Connection, ConnectionError, Provider};
use crate::db::StoreError;
use crate::desk::{Desk, DeskError};
use crate::directory::activity::{ActivityEntry, ActivityLogSize, ActivityQuery};
use crate::directory::attribute_map::{
    AttributeMapping, CustomFieldColumn, MappingInput, SeenAttribute,
};
use crate::directory::employees::{Employee, EmployeeListPage, EmployeeListQuery, ExportError};
use crate::directory::history::{EmployeeAsOf, EmployeeHistoryPage};
use crate::directory::orgchart::{OrgChartView, UnresolvedManager};
use crate::directory::rederive::SaveMappingError;
use crate::directory::DirectoryError;
use crate::endpoint::EndpointStatus;
use crate::events::ChangeEvent;
pub use crate::notices::NotificationSettings;
pub use crate::reachability::Window as ReachabilityWindow;
use crate::scim::ScimError;
use crate::tunnel::rehearsal::Rehearsal;
use crate::tunnel::{TunnelSetting, TunnelStatus};

pub use crate::reachability::RECENT_WINDOWS;

/// *Settings > Integrations*: the identity providers' cards and the app's state at a glance.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Overview {
    pub okta_enabled: bool,
    pub entra_enabled: bool,
    /// Every connection, whatever its provider.
    pub connection_count: u32,
    pub okta_connections: u32,
    pub entra_connections: u32,
    pub employees_active: u64,
    pub employees_deactivated: u64,
    pub endpoint: EndpointStatus,
    pub data_dir: String,
    /// Set while writes fail because the disk holding the data directory is full.
    pub disk_full: Option<DiskFullView>,
}

/// Writes fail because the disk holding the data directory is full: nothing is lost (Okta is
/// answered 503 and retries), and writes resume by themselves once there is space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DiskFullView {
    /// When the first write failed.
    pub since: String,
    /// Bytes free on that disk now; none where it cannot be told.
    pub free_bytes: Option<u64>,
    pub data_dir: String,
}

/// *Settings › General*: starting at login and keeping the computer awake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GeneralSettings {
    /// Whether the system starts SCIM Desk (in the tray) when the admin logs in: read from the
    /// system's login entry each time, never from a copy.
    pub start_at_login: bool,
    /// The login entry could not be read: the system's error (then `start_at_login` is false).
    pub start_at_login_error: Option<String>,
    /// The app has asked, once, whether to start at login (after the first connection).
    pub start_at_login_offered: bool,
    /// The admin asked to keep the computer awake while Okta can provision.
    pub keep_awake: bool,
    /// Whether it is kept awake now, and if not, why.
    pub awake: AwakeStatus,
}

/// When Okta last reached a connection, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct LastContact {
    pub at: String,
    /// The HTTP status SCIM Desk answered.
    pub status: u16,
    pub ok: bool,
    /// Why it failed ("token refused", a SCIM error's detail); none on success.
    pub detail: Option<String>,
}

/// Requests refused at a connection's base URL for a wrong or missing token: a stale token in
/// Okta, or someone trying one. Not Okta's last contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RefusedRequests {
    pub count: u64,
    /// When the last one came.
    pub last_at: String,
}

/// A connection on the Okta page. The token is fetched separately, only when the admin reveals
/// or copies it; in server mode it is not kept, and is shown once instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ConnectionView {
    pub id: String,
    pub name: String,
    pub provider: Provider,
    pub base_url: String,
    pub created_at: String,
    pub last_contact: Option<LastContact>,
    /// None until a request with a wrong token came.
    pub refused: Option<RefusedRequests>,
    /// Whether the token can be shown again (`connection_token`): false in server mode, where
    /// only its digest is kept and the way to a token is Regenerate token.
    pub token_kept: bool,
    /// Only in `add_connection`'s answer when the token is not kept (server mode): the token,
    /// to show this once. Never in a listing.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub new_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GroupRef {
    pub id: String,
    pub display_name: String,
}

/// Everything the employee detail view shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EmployeeDetail {
    pub employee: Employee,
    /// The manager's name once the manager is in the directory.
    pub manager_name: Option<String>,
    pub connection_name: Option<String>,
    /// The identity provider of the connection that last wrote the employee (from its newest
    /// activity line once the connection is deleted).
    pub provider: Option<Provider>,
    /// Every attribute Okta sent, flattened: `["name.givenName", "Jane"]`.
    pub attributes: Vec<(String, String)>,
    pub groups: Vec<GroupRef>,
    pub activity: Vec<ActivityEntry>,
    /// The custom fields, in the order the admin defined them (values in `employee.custom`).
    pub custom_fields: Vec<CustomFieldColumn>,
}

/// The Activity page's filter.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct ActivityFilter {
    pub connection_id: Option<String>,
    pub failures_only: bool,
    pub search: Option<String>,
    pub before_seq: Option<i64>,
    /// 1..=500; 0 means 100.
    pub limit: u32,
}

/// *Settings > Activity log*: what the log keeps, and how large it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ActivitySettings {
    pub retention: Retention,
    pub defaults: Retention,
    pub size: ActivityLogSize,
}

/// What the tunnel dialog sends. Secrets go to the keychain; none keeps the stored one. Its
/// `Debug` (what a trace of the command shows) leaves the secrets out.
#[derive(Clone, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct TunnelInput {
    /// `none`, `own`, `cloudflared` or `ngrok`.
    pub mode: String,
    pub url: Option<String>,
    pub hostname: Option<String>,
    pub token: Option<String>,
    pub domain: Option<String>,
    pub authtoken: Option<String>,
}

impl std::fmt::Debug for TunnelInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |s: &Option<String>| s.as_ref().map(|_| "[secret]");
        f.debug_struct("TunnelInput")
            .field("mode", &self.mode)
            .field("url", &self.url)
            .field("hostname", &self.hostname)
            .field("token", &secret(&self.token))
            .field("domain", &self.domain)
            .field("authtoken", &secret(&self.authtoken))
            .finish()
    }
}

/// The file the admin chose in the save dialog, the only one the next CSV export may write.
///
/// The webview never names a file itself: the app's own dialog (in Rust) grants the path it
/// returned, and the export takes the grant, once. Any other path — one a compromised page made
/// up to overwrite a file of the admin's — is refused, and takes the grant with it.
#[derive(Debug, Default)]
pub struct ExportGrant(Mutex<Option<PathBuf>>);

impl ExportGrant {
    /// The path the save dialog returned, with `.csv` added when the admin typed none.
    pub fn grant(&self, chosen: PathBuf) -> PathBuf {
        let is_csv = chosen
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let path = match is_csv {
            true => chosen,
            false => {
                let mut named = chosen.into_os_string();
                named.push(".csv");
                PathBuf::from(named)
            }
        };
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(path.clone());
        path
    }

    /// Takes the grant for `path`: `Ok` only when it is the file the dialog last returned.
    pub fn take(&self, path: &Path) -> Result<PathBuf, AppError> {
        let granted = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        match granted {
            Some(granted) if granted == path => Ok(granted),
            _ => Err(AppError::new(
                "SCIM Desk exports only to the file chosen in its save dialog, once: click \
                 Export CSV and choose where to save the file.",
            )),
        }
    }
}

/// An error for the admin, and the input it is about (for inline messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AppError {
    pub message: String,
    pub field: Option<String>,
}

impl AppError {
    pub fn new(message: impl Into<String>) -> AppError {
        AppError {
            message: message.into(),
            field: None,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError {
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Sentences start with a capital in the app (the CLI's errors follow `error: `).
fn sentence(message: String) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => message,
    }
}

impl From<DeskError> for AppError {
    fn from(e: DeskError) -> AppError {
        match e {
            DeskError::Connection(c) => c.into(),
            DeskError::Tunnel(t) => t.into(),
            DeskError::Config(
                c @ (crate::config::ConfigError::BadListen(_)
                | crate::config::ConfigError::RemoteListen(_)),
            ) => AppError::field("port", sentence(c.to_string())),
            DeskError::Config(c @ crate::config::ConfigError::BadPublicUrl { .. }) => {
                AppError::field("url", sentence(c.to_string()))
            }
            DeskError::Config(c @ crate::config::ConfigError::BadRetentionDays(_)) => {
                AppError::field("days", sentence(c.to_string()))
            }
            DeskError::Config(c @ crate::config::ConfigError::BadRetentionLines(_)) => {
                AppError::field("lines", sentence(c.to_string()))
            }
            other => AppError::new(sentence(other.to_string())),
        }
    }
}

impl From<ConnectionError> for AppError {
    fn from(e: ConnectionError) -> AppError {
        match e {
            ConnectionError::InvalidName(_) | ConnectionError::DuplicateName(_) => {
                AppError::field("name", sentence(e.to_string()))
            }
            ConnectionError::TokenNotKept(name) => AppError::new(format!(
                "The token of {name} was shown once, when the connection was added: SCIM Desk \
                 runs in server mode and keeps only a digest of it, so it cannot be shown again. \
                 If it is lost, choose Regenerate token in the connection's menu and paste the \
                 new one into the identity provider."
            )),
            other => AppError::new(sentence(other.to_string())),
        }
    }
}

impl From<ScimError> for AppError {
    fn from(e: ScimError) -> AppError {
        AppError::new(e.detail)
    }
}

impl From<DirectoryError> for AppError {
    fn from(e: DirectoryError) -> AppError {
        match e {
            DirectoryError::Refused(e) => AppError::new(e.detail),
            DirectoryError::Store(e) => e.into(),
        }
    }
}

impl From<SaveMappingError> for AppError {
    fn from(e: SaveMappingError) -> AppError {
        match e {
            SaveMappingError::Refused(m) => AppError::field(&m.field, m.message),
            SaveMappingError::Directory(d) => d.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::new(match e {
            StoreError::DiskFull => "The disk that holds SCIM Desk's data is full. Nothing was \
                                     changed; free some space and try again."
                .to_owned(),
            StoreError::Busy(_) => "SCIM Desk's database is busy with another program's change. \
                                    Try again in a moment."
                .to_owned(),
            other => sentence(format!(
                "SCIM Desk could not read or write its data: {other}"
            )),
        })
    }
}

impl From<ExportError> for AppError {
    fn from(e: ExportError) -> AppError {
        AppError::new(sentence(e.to_string()))
    }
}

impl From<crate::endpoint::EndpointError> for AppError {
    fn from(e: crate::endpoint::EndpointError) -> AppError {
        use crate::endpoint::EndpointError;
        use crate::server::ServeError;
        match e {
            // The server's own message names the CLI's command and flag; the app has a field.
            EndpointError::Listen(ServeError::AddressInUse(addr)) => AppError::field(
                "port",
                format!("Another program is already using {addr}: choose another port."),
            ),
            other => AppError::field("port", sentence(other.to_string())),
        }
    }
}

impl From<crate::tunnel::TunnelError> for AppError {
    fn from(e: crate::tunnel::TunnelError) -> AppError {
        tunnel_error(e, "url")
    }
}

/// A tunnel setting refused, in the app's words and on the field at fault. (The core's own
/// messages tell a CLI user which command to run; the app points at its own fields instead.)
/// `value_field` is the field a refused URL or host name was typed into.
fn tunnel_error(e: crate::tunnel::TunnelError, value_field: &str) -> AppError {
    use crate::tunnel::TunnelError;
    match e {
        TunnelError::Config(c) => AppError::field(value_field, sentence(c.to_string())),
        TunnelError::NotLoopback(listen) => AppError::field(
            "tunnel",
            format!(
                "SCIM Desk listens on {listen}, an address other machines can reach; a tunnel \
                 only ever forwards to this computer. Listen on 127.0.0.1 to use one."
            ),
        ),
        TunnelError::CloudflaredNoToken => AppError::field(
            "token",
            "A named tunnel needs its token, and none is saved yet: copy it from the Cloudflare \
             dashboard (Zero Trust › Networks › Tunnels) and paste it here.",
        ),
        TunnelError::CloudflaredNoHostname => AppError::field(
            "hostname",
            "A named tunnel needs the public hostname its route points at: enter it here.",
        ),
        TunnelError::NgrokNoAuthtoken => AppError::field(
            "authtoken",
            "ngrok needs an authtoken, and none is saved yet: copy yours from \
             https://dashboard.ngrok.com/get-started/your-authtoken and paste it here.",
        ),
        other => AppError::field("tunnel", sentence(other.to_string())),
    }
}

impl Desk {
    pub async fn overview(&self, endpoint: EndpointStatus) -> Result<Overview, AppError> {
        let config = self.config().await?;
        let connections = self.connections().list().await?;
        let of = |provider| {
            connections
                .iter()
                .filter(|c| c.provider == provider)
                .count() as u32
        };
        let (active, deactivated) = self.directory().status_counts().await?;
        Ok(Overview {
            okta_enabled: config.okta_enabled,
            entra_enabled: config.entra_enabled,
            connection_count: connections.len() as u32,
            okta_connections: of(Provider::Okta),
            entra_connections: of(Provider::Entra),
            employees_active: active,
            employees_deactivated: deactivated,
            endpoint,
            data_dir: self.data_dir().display().to_string(),
            disk_full: self.db().disk_full().map(|full| DiskFullView {
                since: full.since,
                free_bytes: crate::desk::available_space(self.data_dir()),
                data_dir: self.data_dir().display().to_string(),
            }),
        })
    }

    /// Turns `provider`'s integration on or off: its connections only.
    pub async fn set_provider_enabled(
        &self,
        provider: Provider,
        enabled: bool,
    ) -> Result<(), AppError> {
        self.set_config(provider.as_str(), if enabled { "on" } else { "off" })
            .await?;
        Ok(())
    }

    /// *Settings › General*, with what only the shell knows: the login entry (`start_at_login`,
    /// or the system's error reading it) and the sleep inhibitor's status.
    pub async fn general_settings(
        &self,
        start_at_login: Result<bool, String>,
        awake: AwakeStatus,
    ) -> Result<GeneralSettings, AppError> {
        let config = self.config().await?;
        let offered = self
            .setting(crate::config::KEY_START_AT_LOGIN_OFFERED)
            .await?
            .map(|v| crate::config::parse_switch(&v).unwrap_or(true))
            .unwrap_or(false);
        let (start_at_login, start_at_login_error) = match start_at_login {
            Ok(on) => (on, None),
            Err(e) => (false, Some(e)),
        };
        Ok(GeneralSettings {
            start_at_login,
            start_at_login_error,
            start_at_login_offered: offered,
            keep_awake: config.keep_awake,
            awake,
        })
    }

    /// The admin answered the question about starting at login, or chose in *Settings ›
    /// General*: it is not asked again.
    pub async fn start_at_login_offered(&self) -> Result<(), AppError> {
        self.put_setting(crate::config::KEY_START_AT_LOGIN_OFFERED, Some("on"))
            .await?;
        self.notify(ChangeEvent::Settings);
        Ok(())
    }

    pub async fn set_keep_awake(&self, enabled: bool) -> Result<(), AppError> {
        self.set_config("keep-awake", if enabled { "on" } else { "off" })
            .await?;
        Ok(())
    }

    pub async fn connection_views(&self) -> Result<Vec<ConnectionView>, AppError> {
        let config = self.config().await?;
        Ok(self
            .connections()
            .list()
            .await?
            .into_iter()
            .map(|c| view(&config, c, self.connections().keeps_tokens()))
            .collect())
    }

    /// Adds a connection from the app's dialog. The token stays in the keychain until the admin
    /// reveals or copies it; in server mode it is in the answer, to be shown this once.
    pub async fn add_connection_view(
        &self,
        name: &str,
        provider: Provider,
    ) -> Result<ConnectionView, AppError> {
        let new = self.connections().add(name, provider).await?;
        self.notify(ChangeEvent::Connections);
        let kept = self.connections().keeps_tokens();
        let mut added = view(&self.config().await?, new.connection, kept);
        if !kept {
            added.new_token = Some(new.token);
        }
        Ok(added)
    }

    pub async fn delete_connection_view(&self, id: &str) -> Result<(), AppError> {
        self.connections().delete(id).await?;
        self.notify(ChangeEvent::Connections);
        Ok(())
    }

    /// A new token for the connection; the app shows it at once for the admin to copy.
    pub async fn regenerate_token_view(&self, id: &str) -> Result<String, AppError> {
        let new = self.regenerate_token(id).await?;
        self.notify(ChangeEvent::Connections);
        self.notify(ChangeEvent::Activity {
            connection_id: Some(new.connection.id),
        });
        Ok(new.token)
    }

    pub async fn connection_token(&self, id: &str) -> Result<String, AppError> {
        Ok(self.connections().token(id).await?)
    }

    pub async fn rehearse_connection(&self, id: &str) -> Result<Rehearsal, AppError> {
        Ok(self.rehearse(id).await?)
    }

    pub async fn employee_detail(&self, id: &str) -> Result<EmployeeDetail, AppError> {
        let directory = self.directory();
        let employee = directory
            .employee(id)
            .await?
            .ok_or_else(|| AppError::new("This employee is not in the directory."))?;
        let manager_name = match &employee.manager_id {
            Some(m) => directory.employee(m).await?.map(|m| display_name(&m)),
            None => None,
        };
        let connection = match &employee.connection_id {
            Some(c) => self.connections().find(c).await.ok(),
            None => None,
        };
        let connection_name = connection.as_ref().map(|c| c.name.clone());
        let doc: Value = serde_json::from_str(&employee.doc).unwrap_or(Value::Null);
        let mut attributes = Vec::new();
        flatten("", &doc, &mut attributes);
        let mut groups: Vec<GroupRef> = directory
            .groups_of(&[employee.id.as_str()])
            .await?
            .remove(&employee.id)
            .unwrap_or_default()
            .into_iter()
            .map(|(id, display_name)| GroupRef { id, display_name })
            .collect();
        groups.sort_by_key(|g| g.display_name.to_lowercase());
        let activity = directory
            .activity(&ActivityQuery {
                employee_id: Some(employee.id.clone()),
                limit: 50,
                ..Default::default()
            })
            .await?;
        // A deleted connection's provider is still on the lines it wrote.
        let provider = connection.map(|c| c.provider).or_else(|| {
            activity
                .iter()
                .find(|a| a.connection_id.is_some() && a.connection_id == employee.connection_id)
                .and_then(|a| a.provider)
        });
        Ok(EmployeeDetail {
            employee,
            manager_name,
            connection_name,
            provider,
            attributes,
            groups,
            activity,
            custom_fields: directory.custom_fields()?,
        })
    }

    pub async fn org_chart(
        &self,
        employee_id: Option<&str>,
        include_deactivated: bool,
    ) -> Result<OrgChartView, AppError> {
        self.directory()
            .org_chart(employee_id, include_deactivated)
            .await?
            .ok_or_else(|| AppError::new("This employee is not in the directory."))
    }

    /// A page of the employee's history (see `Directory::employee_history`): 50 events.
    pub async fn employee_history(
        &self,
        id: &str,
        before: Option<i64>,
    ) -> Result<EmployeeHistoryPage, AppError> {
        self.directory()
            .employee_history(id, before, 50)
            .await?
            .ok_or_else(|| AppError::new("This employee is not in the directory."))
    }

    /// The employee's fields at `at`; a time that does not read is refused on the field `at`.
    pub async fn employee_as_of(&self, id: &str, at: &str) -> Result<EmployeeAsOf, AppError> {
        let at = crate::directory::history::parse_time(at).map_err(|e| AppError::field("at", e))?;
        self.directory()
            .employee_as_of(id, at)
            .await?
            .ok_or_else(|| AppError::new("This employee is not in the directory."))
    }

    pub async fn org_unresolved(&self) -> Result<Vec<UnresolvedManager>, AppError> {
        Ok(self.directory().org_unresolved().await?)
    }

    /// *Settings › Integrations › Okta › Attribute mapping*.
    pub async fn attribute_mapping(
        &self,
        provider: Provider,
    ) -> Result<AttributeMapping, AppError> {
        Ok(self.directory().attribute_mapping(provider)?)
    }

    pub async fn mapping_sources(
        &self,
        provider: Provider,
    ) -> Result<Vec<SeenAttribute>, AppError> {
        Ok(self.directory().mapping_sources(provider).await?)
    }

    /// Saves the mapping and re-derives the provider's employees in the background.
    pub async fn save_attribute_mapping(
        &self,
        provider: Provider,
        input: &MappingInput,
    ) -> Result<AttributeMapping, AppError> {
        let saved = self.directory().save_mapping(provider, input).await?;
        self.directory().rederive_in_background(provider);
        Ok(saved)
    }

    pub async fn reset_attribute_mapping(
        &self,
        provider: Provider,
    ) -> Result<AttributeMapping, AppError> {
        let saved = self.directory().reset_mapping(provider).await?;
        self.directory().rederive_in_background(provider);
        Ok(saved)
    }

    pub async fn export_attribute_mapping(&self, provider: Provider) -> Result<String, AppError> {
        Ok(self.directory().export_mapping(provider)?)
    }

    pub async fn import_attribute_mapping(
        &self,
        provider: Provider,
        json: &str,
    ) -> Result<AttributeMapping, AppError> {
        let saved = self.directory().import_mapping(provider, json).await?;
        self.directory().rederive_in_background(provider);
        Ok(saved)
    }

    /// Resumes the re-derives a restart interrupted, in the background (the app and `serve`).
    pub fn resume_rederives(&self) {
        match self.directory().pending_rederives() {
            Ok(pending) => {
                for p in pending {
                    self.directory().rederive_in_background(p);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read the re-derives to resume"),
        }
    }

    pub async fn employee_list(&self, q: &EmployeeListQuery) -> Result<EmployeeListPage, AppError> {
        Ok(self.directory().employee_page(q).await?)
    }

    pub async fn export_employees(
        &self,
        q: &EmployeeListQuery,
        path: &Path,
    ) -> Result<u64, AppError> {
        let progress = |p: crate::directory::employees::ExportProgress| {
            self.notify(ChangeEvent::Export {
                written: p.written,
                total: p.total,
                done: p.done,
            })
        };
        Ok(self
            .directory()
            .export_csv_with_progress(q, path, progress)
            .await?)
    }

    pub async fn activity_list(&self, f: &ActivityFilter) -> Result<Vec<ActivityEntry>, AppError> {
        Ok(self
            .directory()
            .activity(&ActivityQuery {
                connection_id: f.connection_id.clone(),
                employee_id: None,
                failures_only: f.failures_only,
                search: f.search.clone(),
                before_seq: f.before_seq,
                limit: f.limit.min(500),
            })
            .await?)
    }

    pub async fn activity_settings(&self) -> Result<ActivitySettings, AppError> {
        Ok(ActivitySettings {
            retention: self.config().await?.activity_retention,
            defaults: Retention::default(),
            size: self.directory().activity_size().await?,
        })
    }

    /// Changes what the activity log keeps; the running endpoint prunes to it in the background.
    pub async fn set_activity_retention(
        &self,
        retention: Retention,
    ) -> Result<ActivitySettings, AppError> {
        // Both checked before either is saved: a bad number changes nothing.
        crate::config::parse_retention_days(&retention.days.to_string())
            .map_err(DeskError::from)?;
        crate::config::parse_retention_lines(&retention.lines.to_string())
            .map_err(DeskError::from)?;
        self.set_config("activity-retention-days", &retention.days.to_string())
            .await?;
        self.set_config("activity-retention-lines", &retention.lines.to_string())
            .await?;
        self.activity_settings().await
    }

    pub async fn set_tunnel_input(&self, input: TunnelInput) -> Result<TunnelStatus, AppError> {
        let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let (setting, secret) = match input.mode.as_str() {
            "none" => (TunnelSetting::None, None),
            "own" => {
                let url = text(input.url)
                    .ok_or_else(|| AppError::field("url", "Enter the https URL of your tunnel."))?;
                (TunnelSetting::Own { url }, None)
            }
            "cloudflared" => (
                TunnelSetting::Cloudflared {
                    hostname: text(input.hostname),
                },
                text(input.token),
            ),
            "ngrok" => (
                TunnelSetting::Ngrok {
                    domain: text(input.domain),
                },
                text(input.authtoken),
            ),
            other => {
                return Err(AppError::field(
                    "mode",
                    format!("'{other}' is not a way to reach SCIM Desk."),
                ))
            }
        };
        // A refused host name is the named tunnel's hostname, or ngrok's reserved domain.
        let value_field = match input.mode.as_str() {
            "cloudflared" => "hostname",
            "ngrok" => "domain",
            _ => "url",
        };
        self.set_tunnel(setting, secret)
            .await
            .map_err(|e| tunnel_error(e, value_field))?;
        Ok(self.tunnel_status().await?)
    }

    pub async fn acknowledge_url_change_view(&self) -> Result<TunnelStatus, AppError> {
        self.acknowledge_url_change().await?;
        Ok(self.tunnel_status().await?)
    }

    /// The last [`RECENT_WINDOWS`] reachability windows, newest first, for the Okta page's
    /// Reachability section and the banner after a long one.
    pub async fn reachability_windows(&self) -> Result<Vec<ReachabilityWindow>, AppError> {
        Ok(self
            .reachability()
            .recent(RECENT_WINDOWS, time::OffsetDateTime::now_utc())
            .await?)
    }

    /// *Settings › Notifications*: the switch and when each kind last notified.
    pub async fn notification_settings(&self) -> Result<NotificationSettings, AppError> {
        Ok(self.notices().settings().await?)
    }

    /// Turns the desktop notifications on or off (`config set notifications on|off`).
    pub async fn set_notifications_enabled(
        &self,
        enabled: bool,
    ) -> Result<NotificationSettings, AppError> {
        self.set_config("notifications", if enabled { "on" } else { "off" })
            .await?;
        self.notification_settings().await
    }

    /// The admin dismissed the banner about window `id`; it stays dismissed across restarts.
    pub async fn dismiss_reachability_window(
        &self,
        id: i64,
    ) -> Result<Vec<ReachabilityWindow>, AppError> {
        let found = self
            .reachability()
            .dismiss(id, time::OffsetDateTime::now_utc())
            .await?;
        if !found {
            return Err(AppError::new(
                "This stretch of time is no longer in SCIM Desk's records.",
            ));
        }
        self.notify(ChangeEvent::Reachability);
        self.reachability_windows().await
    }
}

fn view(config: &crate::config::Config, c: Connection, token_kept: bool) -> ConnectionView {
    let last_contact = match (c.last_contact_at, c.last_contact_status) {
        (Some(at), Some(status)) => Some(LastContact {
            at,
            status: u16::try_from(status).unwrap_or(500),
            ok: status < 400,
            detail: c.last_contact_detail,
        }),
        _ => None,
    };
    let refused = match (c.refused_count, c.last_refused_at) {
        (count, Some(last_at)) if count > 0 => Some(RefusedRequests {
            count: count as u64,
            last_at,
        }),
        _ => None,
    };
    ConnectionView {
        base_url: config.base_url(&c.id),
        id: c.id,
        name: c.name,
        provider: c.provider,
        created_at: c.created_at,
        last_contact,
        refused,
        token_kept,
        new_token: None,
    }
}

fn display_name(e: &Employee) -> String {
    if let Some(d) = e.display_name.as_deref().filter(|d| !d.is_empty()) {
        return d.to_owned();
    }
    let name = [e.first_name.as_deref(), e.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        e.email.clone().unwrap_or_else(|| e.user_name.clone())
    } else {
        name
    }
}

use crate::scim::schema::ENTERPRISE_USER_SCHEMA as ENTERPRISE;

/// Flattens a SCIM document into labelled values; the enterprise extension reads `enterprise.…`.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let join = |key: &str| -> String {
        let key = if key == ENTERPRISE { "enterprise" } else { key };
        match prefix {
            "" => key.to_owned(),
            p => format!("{p}.{key}"),
        }
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if prefix.is_empty() && matches!(k.as_str(), "schemas" | "meta" | "id" | "password")
                {
                    continue;
                }
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_flatten_into_readable_labels() {
        let doc = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "x",
            "userName": "jane@corp.example",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"value": "jane@corp.example", "primary": true}],
            "active": true,
            ENTERPRISE: {"department": "Sales"},
            "nickName": null,
            "meta": {"version": "W/\"1\""}
        });
        let mut out = Vec::new();
        flatten("", &doc, &mut out);
        let pairs: Vec<(&str, &str)> = out.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            vec![
                ("userName", "jane@corp.example"),
                ("name.givenName", "Jane"),
                ("name.familyName", "Doe"),
                ("emails[0].value", "jane@corp.example"),
                ("emails[0].primary", "true"),
                ("active", "true"),
                ("enterprise.department", "Sales"),
            ]
        );
    }

    #[test]
    fn an_export_writes_only_the_file_the_dialog_returned_and_once() {
        let grant = ExportGrant::default();
        let nothing = grant.take(Path::new("/home/admin/employees.csv"));
        assert!(nothing.unwrap_err().message.contains("save dialog"));

        let chosen = grant.grant(PathBuf::from("/home/admin/employees.csv"));
        assert_eq!(grant.take(&chosen).unwrap(), chosen);
        assert!(grant.take(&chosen).is_err(), "one export per choice");

        // A path the page made up is refused, and the choice is spent.
        let chosen = grant.grant(PathBuf::from("/home/admin/out.csv"));
        assert!(grant.take(Path::new("/home/admin/.bashrc")).is_err());
        assert!(grant.take(&chosen).is_err());

        // A name typed without the extension gets it.
        let chosen = grant.grant(PathBuf::from("/home/admin/list"));
        assert_eq!(chosen, PathBuf::from("/home/admin/list.csv"));
        assert_eq!(
            grant.take(Path::new("/home/admin/list.csv")).unwrap(),
            chosen
        );
    }

    #[test]
    fn name_errors_point_at_the_name_field() {
        let e: AppError = ConnectionError::DuplicateName("Okta".into()).into();
        assert_eq!(e.field.as_deref(), Some("name"));
        assert!(e.message.starts_with("A connection named 'Okta'"), "{e}");
        let e: AppError = ConnectionError::NotFound("x".into()).into();
        assert_eq!(e.field, None);
    }
}
