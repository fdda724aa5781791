//! `Desk`: one data directory, opened, with the services that work on it.
//!
//! The CLI and the Tauri shell both start here. A data directory holds the SQLite database (with
//! the settings); secrets are in the OS keychain, never in the directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::config::{self, Config, ConfigError};
use crate::connections::keychain::Keychain;
use crate::connections::Connections;
use crate::db::Db;
use crate::directory::Directory;

/// The Tauri identifier, and so the name of the default data directory.
pub const APP_IDENTIFIER: &str = "io.scimdesk.desktop";
pub const DATA_DIR_ENV: &str = "SCIMDESK_DATA_DIR";

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("the data directory {path} could not be created: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the database in {path} could not be opened: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("no data directory could be found for this user; pass --data-dir DIR")]
    NoDefaultDir,
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Config(#[from] ConfigError),
}

/// What changed in the directory; the shell forwards these to the webview.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeEvent {
    Employee { id: String },
    Group { id: String },
    Activity { connection_id: Option<String> },
    Connections,
}

#[derive(Clone)]
pub struct Desk {
    data_dir: PathBuf,
    db: Db,
    connections: Connections,
    directory: Directory,
    events: broadcast::Sender<ChangeEvent>,
}

/// `<platform data dir>/io.scimdesk.desktop`.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join(APP_IDENTIFIER))
}

impl Desk {
    pub async fn open(data_dir: &Path, keychain: Arc<dyn Keychain>) -> Result<Desk, DeskError> {
        create_private_dir(data_dir).map_err(|source| DeskError::CreateDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let db = Db::open(data_dir).await.map_err(|source| DeskError::Open {
            path: data_dir.to_owned(),
            source,
        })?;
        let (events, _) = broadcast::channel(1024);
        Ok(Desk {
            data_dir: data_dir.to_owned(),
            connections: Connections::new(db.clone(), keychain),
            directory: Directory::new(db.clone(), events.clone()),
            db,
            events,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn connections(&self) -> &Connections {
        &self.connections
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.events.subscribe()
    }

    pub fn notify(&self, event: ChangeEvent) {
        // No subscriber is normal (the CLI); the event is simply dropped.
        let _ = self.events.send(event);
    }

    pub async fn config(&self) -> Result<Config, DeskError> {
        let listen = self.setting(config::KEY_LISTEN).await?;
        let public_url = self.setting(config::KEY_PUBLIC_URL).await?;
        let listen = match listen {
            Some(v) => config::parse_listen(&v)?,
            None => config::parse_listen(config::DEFAULT_LISTEN)?,
        };
        Ok(Config { listen, public_url })
    }

    /// Sets `listen` or `public-url` (also accepted as `public_url`); an empty public URL clears it.
    pub async fn set_config(&self, key: &str, value: &str) -> Result<Config, DeskError> {
        match key {
            "listen" => {
                let addr = config::parse_listen(value)?;
                self.put_setting(config::KEY_LISTEN, Some(&addr.to_string()))
                    .await?;
            }
            "public-url" | "public_url" => {
                if value.trim().is_empty() {
                    self.put_setting(config::KEY_PUBLIC_URL, None).await?;
                } else {
                    let url = config::parse_public_url(value)?;
                    self.put_setting(config::KEY_PUBLIC_URL, Some(&url)).await?;
                }
            }
            other => return Err(ConfigError::UnknownKey(other.to_owned()).into()),
        }
        self.config().await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(self.db.reader())
            .await
    }

    async fn put_setting(&self, key: &str, value: Option<&str>) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        match value {
            Some(v) => {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES (?, ?) \
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(v)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE key = ?")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await
    }

    pub async fn close(&self) {
        self.db.close().await;
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}
