//! Secrets on a server, where there is no desktop keychain: read from environment variables or
//! from files the operator provides, never written by SCIM Desk.
//!
//! In server mode (see `Desk::server_mode`) the tunnel's secrets (`tunnel:cloudflared`,
//! `tunnel:ngrok`) and each connection's Okta API token (`okta-api:<connection id>`) are looked
//! up, in this order, in:
//! 1. the environment variable `SCIMDESK_SECRET_<ACCOUNT>`: the account upper-cased, every
//!    character other than a letter or digit written `_` (`SCIMDESK_SECRET_TUNNEL_NGROK`);
//! 2. the file `<secrets dir>/<account>`, the account with every character other than a letter,
//!    digit, `.`, `-` or `_` written `_` (`tunnel_ngrok`, `okta-api_<connection id>`), names a
//!    Kubernetes secret's keys and systemd's `LoadCredential=` both accept. The secrets
//!    directory is `SCIMDESK_SECRETS_DIR`, else the `secrets-dir` setting, else the
//!    `$CREDENTIALS_DIRECTORY` systemd gives a unit with `LoadCredential=`.
//!
//! Surrounding white space (a file's last line break) is not part of a secret; an empty value
//! counts as none. A file is read at every use, so a rotated secret counts from the next use.
//! Writing a secret is refused with the variable and the file to set instead. A secret's value
//! never reaches a log or an error message.
//!
//! Connection tokens are not secrets of this kind: in server mode they are shown once and only
//! their digest is kept (see `Connections`).

use std::collections::HashMap;
use std::path::PathBuf;

use super::keychain::{Keychain, KeychainError};

/// Turns server mode on (`1`, `on`, `true`, `yes`) or off (`0`, `off`, …), whatever the `mode`
/// setting says.
pub const SERVER_MODE_ENV: &str = "SCIMDESK_SERVER_MODE";
/// The directory secret files are read from, before the `secrets-dir` setting.
pub const SECRETS_DIR_ENV: &str = "SCIMDESK_SECRETS_DIR";
/// What systemd sets for a unit with `LoadCredential=`: the last place secret files are looked
/// for.
pub const CREDENTIALS_DIRECTORY_ENV: &str = "CREDENTIALS_DIRECTORY";
/// The prefix of a secret's environment variable.
pub const SECRET_ENV_PREFIX: &str = "SCIMDESK_SECRET_";

/// The environment variable that holds `account`'s secret: `SCIMDESK_SECRET_TUNNEL_NGROK`.
pub fn env_name(account: &str) -> String {
    let suffix: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{SECRET_ENV_PREFIX}{suffix}")
}

/// The file name that holds `account`'s secret in the secrets directory: `tunnel_ngrok`.
pub fn file_name(account: &str) -> String {
    account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where server mode looks for secrets, for the errors that say what to set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretsPlace {
    /// The secrets directory, if one is named (see [`secrets_dir`]).
    pub dir: Option<PathBuf>,
}

impl SecretsPlace {
    /// Where `account`'s secret is read from, in words: "set the environment variable … or
    /// write it to the file …".
    pub fn where_to_put(&self, account: &str) -> String {
        let file = file_name(account);
        match &self.dir {
            Some(dir) => format!(
                "set the environment variable {} or write it to the file {}",
                env_name(account),
                dir.join(&file).display()
            ),
            None => format!(
                "set the environment variable {} or write it to a file named {file} in the \
                 directory named by {SECRETS_DIR_ENV} (or the secrets-dir setting, or systemd's \
                 LoadCredential=)",
                env_name(account)
            ),
        }
    }
}

/// The read-only secrets of a server: environment variables first, then files.
pub struct ServerSecrets {
    /// The `SCIMDESK_SECRET_*` variables, read when the desk opened.
    vars: HashMap<String, String>,
    place: SecretsPlace,
}

impl ServerSecrets {
    /// The secrets of this process's environment; files in `dir` (see [`secrets_dir`]).
    pub fn from_env(dir: Option<PathBuf>) -> ServerSecrets {
        ServerSecrets::from_vars(std::env::vars(), dir)
    }

    /// The secrets among `vars` (the `SCIMDESK_SECRET_*` ones); files in `dir`.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
        dir: Option<PathBuf>,
    ) -> ServerSecrets {
        ServerSecrets {
            vars: vars
                .into_iter()
                .filter(|(k, _)| k.starts_with(SECRET_ENV_PREFIX))
                .collect(),
            place: SecretsPlace { dir },
        }
    }

    /// Where the secrets are looked for.
    pub fn place(&self) -> &SecretsPlace {
        &self.place
    }
}

/// The secrets directory: `SCIMDESK_SECRETS_DIR` when set, else the `secrets-dir` setting
/// (`setting`), else `$CREDENTIALS_DIRECTORY`.
pub fn secrets_dir(env: impl Fn(&str) -> Option<String>, setting: Option<&str>) -> Option<PathBuf> {
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty()).map(PathBuf::from);
    given(env(SECRETS_DIR_ENV))
        .or_else(|| given(setting.map(str::to_owned)))
        .or_else(|| given(env(CREDENTIALS_DIRECTORY_ENV)))
}

fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

impl Keychain for ServerSecrets {
    /// Refused: on a server, the operator provides secrets and SCIM Desk only reads them.
    fn set(&self, account: &str, _secret: &str) -> Result<(), KeychainError> {
        Err(KeychainError::ServerMode(format!(
            "SCIM Desk runs in server mode and does not store secrets: {}, then restart SCIM Desk",
            self.place.where_to_put(account)
        )))
    }

    fn get(&self, account: &str) -> Result<Option<String>, KeychainError> {
        if let Some(value) = self.vars.get(&env_name(account)).and_then(|v| non_empty(v)) {
            return Ok(Some(value));
        }
        let Some(dir) = &self.place.dir else {
            return Ok(None);
        };
        let path = dir.join(file_name(account));
        match std::fs::read_to_string(&path) {
            Ok(value) => Ok(non_empty(&value)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(KeychainError::Failed(format!(
                "the secret file {} could not be read: {e}",
                path.display()
            ))),
        }
    }

    /// Nothing to do: SCIM Desk stored nothing, and the operator's variable or file is theirs to
    /// remove (deleting a connection or its Okta API setup does not fail for it).
    fn delete(&self, _account: &str) -> Result<(), KeychainError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_variables_and_files() {
        assert_eq!(
            env_name("tunnel:cloudflared"),
            "SCIMDESK_SECRET_TUNNEL_CLOUDFLARED"
        );
        assert_eq!(
            env_name("okta-api:5f0c-AB"),
            "SCIMDESK_SECRET_OKTA_API_5F0C_AB"
        );
        assert_eq!(file_name("tunnel:ngrok"), "tunnel_ngrok");
        assert_eq!(file_name("okta-api:5f0c-ab"), "okta-api_5f0c-ab");
        assert_eq!(file_name("../x/y"), ".._x_y");
    }

    #[test]
    fn variables_come_before_files_and_white_space_is_not_part_of_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tunnel_ngrok"), "from-file\n").unwrap();
        std::fs::write(dir.path().join("tunnel_cloudflared"), "cf-file\n").unwrap();
        std::fs::write(dir.path().join("okta-api_c1"), "  \n").unwrap();
        let secrets = ServerSecrets::from_vars(
            [
                (
                    "SCIMDESK_SECRET_TUNNEL_NGROK".to_owned(),
                    " from-env ".to_owned(),
                ),
                ("PATH".to_owned(), "/bin".to_owned()),
            ],
            Some(dir.path().to_owned()),
        );
        assert_eq!(
            secrets.get("tunnel:ngrok").unwrap().as_deref(),
            Some("from-env")
        );
        assert_eq!(
            secrets.get("tunnel:cloudflared").unwrap().as_deref(),
            Some("cf-file")
        );
        // An empty file is no secret; a missing one neither.
        assert_eq!(secrets.get("okta-api:c1").unwrap(), None);
        assert_eq!(secrets.get("okta-api:c2").unwrap(), None);
        // A rotated file counts from the next read.
        std::fs::write(dir.path().join("tunnel_cloudflared"), "rotated").unwrap();
        assert_eq!(
            secrets.get("tunnel:cloudflared").unwrap().as_deref(),
            Some("rotated")
        );
        // Only SCIMDESK_SECRET_* variables are kept.
        assert_eq!(secrets.vars.len(), 1);
        // Without a directory, only variables.
        let bare = ServerSecrets::from_vars([], None);
        assert_eq!(bare.get("tunnel:cloudflared").unwrap(), None);
    }

    #[test]
    fn an_unreadable_secret_file_is_an_error_naming_the_file_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be cannot be read as one.
        std::fs::create_dir(dir.path().join("tunnel_ngrok")).unwrap();
        let secrets = ServerSecrets::from_vars([], Some(dir.path().to_owned()));
        let e = secrets.get("tunnel:ngrok").unwrap_err().to_string();
        assert!(e.contains("tunnel_ngrok"), "{e}");
    }

    #[test]
    fn writing_is_refused_with_what_to_set_and_deleting_touches_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tunnel_ngrok"), "kept").unwrap();
        let secrets = ServerSecrets::from_vars([], Some(dir.path().to_owned()));
        let e = secrets
            .set("tunnel:ngrok", "the-secret-value")
            .unwrap_err()
            .to_string();
        assert!(e.contains("server mode"), "{e}");
        assert!(e.contains("SCIMDESK_SECRET_TUNNEL_NGROK"), "{e}");
        assert!(
            e.contains(&dir.path().join("tunnel_ngrok").display().to_string()),
            "{e}"
        );
        assert!(!e.contains("the-secret-value"), "{e}");
        secrets.delete("tunnel:ngrok").unwrap();
        assert_eq!(
            secrets.get("tunnel:ngrok").unwrap().as_deref(),
            Some("kept")
        );

        let e = ServerSecrets::from_vars([], None)
            .set("okta-api:c1", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("SCIMDESK_SECRET_OKTA_API_C1"), "{e}");
        assert!(
            e.contains("okta-api_c1") && e.contains(SECRETS_DIR_ENV),
            "{e}"
        );
    }

    #[test]
    fn the_secrets_directory_is_the_variable_then_the_setting_then_systemds() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let all = env(&[
            (SECRETS_DIR_ENV, "/a"),
            (
                CREDENTIALS_DIRECTORY_ENV,
                "/run/credentials/scimdesk.service",
            ),
        ]);
        assert_eq!(secrets_dir(all, Some("/b")), Some(PathBuf::from("/a")));
        let systemd = env(&[(CREDENTIALS_DIRECTORY_ENV, "/run/c")]);
        assert_eq!(secrets_dir(systemd, Some("/b")), Some(PathBuf::from("/b")));
        assert_eq!(secrets_dir(systemd, None), Some(PathBuf::from("/run/c")));
        assert_eq!(secrets_dir(env(&[]), Some(" ")), None);
    }
}
