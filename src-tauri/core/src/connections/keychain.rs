//! The OS keychain behind a small trait: where connection tokens live in plaintext.
//!
//! Service `scimdesk`, one entry per connection, the connection id as the account. On Linux this
//! is the Secret Service (GNOME Keyring, KWallet); macOS Keychain and Windows Credential Manager
//! elsewhere. When no keychain can be reached the error says so and how to start one: there is
//! never a silent fallback to a file or to memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub const SERVICE: &str = "scimdesk";

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeychainError {
    #[error(
        "the system keychain could not be reached ({0}). SCIM Desk keeps connection tokens in \
         the OS keychain: on Linux start a Secret Service provider (GNOME Keyring or KWallet) in \
         your desktop session and unlock it; on a headless machine run the command inside \
         `dbus-run-session` with `gnome-keyring-daemon --unlock`. On a server with no desktop \
         session, run SCIM Desk in server mode instead (`scimdesk config set mode server`, or \
         SCIMDESK_SERVER_MODE=1): tokens are shown once, other secrets come from environment \
         variables or files"
    )]
    Unavailable(String),
    #[error("the system keychain refused the operation: {0}")]
    Failed(String),
    /// Server mode: SCIM Desk only reads the operator's secrets (see `server_secrets`); the
    /// text says which variable or file to set.
    #[error("{0}")]
    ServerMode(String),
}

/// What the connections need from a keychain. Implementations must be safe to call from
/// blocking threads; callers use `spawn_blocking`.
pub trait Keychain: Send + Sync + 'static {
    fn set(&self, account: &str, secret: &str) -> Result<(), KeychainError>;
    fn get(&self, account: &str) -> Result<Option<String>, KeychainError>;
    /// Deleting an entry that does not exist is not an error.
    fn delete(&self, account: &str) -> Result<(), KeychainError>;
}

/// The real OS keychain through the `keyring` crate.
///
/// Calls are serialised through one lock: rapid parallel D-Bus calls to the Secret Service were
/// seen to fail, and a transient failure is tried again a few times before it is reported.
#[derive(Default)]
pub struct OsKeychain {
    lock: Mutex<()>,
}

impl OsKeychain {
    pub fn new() -> Self {
        Self::default()
    }

    fn with_retry<T>(
        &self,
        mut op: impl FnMut() -> Result<T, keyring::Error>,
    ) -> Result<T, keyring::Error> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut attempt = 0;
        loop {
            match op() {
                Err(keyring::Error::PlatformFailure(_)) if attempt < 3 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(50 * attempt));
                }
                other => return other,
            }
        }
    }
}

fn map_err(err: keyring::Error) -> KeychainError {
    match err {
        keyring::Error::NoStorageAccess(e) => KeychainError::Unavailable(e.to_string()),
        keyring::Error::PlatformFailure(e) => KeychainError::Unavailable(e.to_string()),
        other => KeychainError::Failed(other.to_string()),
    }
}

impl Keychain for OsKeychain {
    fn set(&self, account: &str, secret: &str) -> Result<(), KeychainError> {
        self.with_retry(|| keyring::Entry::new(SERVICE, account)?.set_password(secret))
            .map_err(map_err)
    }

    fn get(&self, account: &str) -> Result<Option<String>, KeychainError> {
        match self.with_retry(|| keyring::Entry::new(SERVICE, account)?.get_password()) {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }

    fn delete(&self, account: &str) -> Result<(), KeychainError> {
        match self.with_retry(|| keyring::Entry::new(SERVICE, account)?.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
}

/// An in-memory keychain for unit tests of a single module. Never used by the app or the CLI.
#[derive(Default)]
pub struct MemoryKeychain {
    entries: Mutex<HashMap<String, String>>,
    /// When set, every call fails as an unreachable keychain does.
    pub unavailable: std::sync::atomic::AtomicBool,
}

impl MemoryKeychain {
    fn check(&self) -> Result<(), KeychainError> {
        if self.unavailable.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(KeychainError::Unavailable("test: no keychain".into()));
        }
        Ok(())
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Keychain for MemoryKeychain {
    fn set(&self, account: &str, secret: &str) -> Result<(), KeychainError> {
        self.check()?;
        self.entries().insert(account.to_owned(), secret.to_owned());
        Ok(())
    }

    fn get(&self, account: &str) -> Result<Option<String>, KeychainError> {
        self.check()?;
        Ok(self.entries().get(account).cloned())
    }

    fn delete(&self, account: &str) -> Result<(), KeychainError> {
        self.check()?;
        self.entries().remove(account);
        Ok(())
    }
}

/// Runs `op` on the keychain off the async threads: a keychain call may wait on the OS (the
/// Secret Service over D-Bus, an unlock prompt).
pub async fn blocking<T: Send + 'static>(
    keychain: std::sync::Arc<dyn Keychain>,
    op: impl FnOnce(&dyn Keychain) -> Result<T, KeychainError> + Send + 'static,
) -> Result<T, KeychainError> {
    tokio::task::spawn_blocking(move || op(keychain.as_ref()))
        .await
        .map_err(|e| KeychainError::Failed(e.to_string()))?
}
