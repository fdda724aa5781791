//! Server mode: no keychain is ever called. A connection's token is shown once and only its
//! digest is kept; regenerating and deleting work; the tunnel's and Okta API's secrets are read
//! from files (or variables) and never written.
//!
//! Server mode is turned on by the `mode` setting here (not `SCIMDESK_SERVER_MODE`, which would
//! reach every test of this binary), with a keychain that fails every call and counts them.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use scimdesk::connections::keychain::{Keychain, KeychainError};
use scimdesk::connections::{ConnectionError, Provider};
use scimdesk::tunnel::{TunnelSetting, ACCOUNT_CLOUDFLARED, ACCOUNT_NGROK};
use scimdesk::Desk;

/// A keychain that must not be used: every call is counted and fails.
#[derive(Default)]
struct NoKeychain {
    calls: AtomicUsize,
}

impl NoKeychain {
    fn refuse(&self) -> KeychainError {
        self.calls.fetch_add(1, Ordering::SeqCst);
        KeychainError::Unavailable("test: server mode must not call the keychain".into())
    }
}

impl Keychain for NoKeychain {
    fn set(&self, _: &str, _: &str) -> Result<(), KeychainError> {
        Err(self.refuse())
    }
    fn get(&self, _: &str) -> Result<Option<String>, KeychainError> {
        Err(self.refuse())
    }
    fn delete(&self, _: &str) -> Result<(), KeychainError> {
        Err(self.refuse())
    }
}

/// A desk in server mode on `dir` (set by the setting, then opened again).
async fn server_desk(dir: &Path, keychain: Arc<NoKeychain>) -> Desk {
    let desk = Desk::open(dir, keychain.clone()).await.unwrap();
    assert!(!desk.server_mode(), "off by default");
    desk.set_config("mode", "server").await.unwrap();
    desk.close().await;
    let desk = Desk::open(dir, keychain).await.unwrap();
    assert!(desk.server_mode());
    desk
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn tokens_are_shown_once_and_regenerated_and_deleted_without_a_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(NoKeychain::default());
    let desk = server_desk(dir.path(), keychain.clone()).await;
    let connections = desk.connections();
    assert!(!connections.keeps_tokens());

    let new = connections.add("Okta prod", Provider::Okta).await.unwrap();
    let id = new.connection.id.clone();
    let who = connections
        .authenticate(&id, Some(&bearer(&new.token)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who.id, id);

    // Shown once: asking again says to regenerate, and names no token.
    let again = connections.token("okta prod").await.unwrap_err();
    assert!(matches!(again, ConnectionError::TokenNotKept(_)), "{again}");
    let text = again.to_string();
    assert!(
        text.contains("regenerate") && text.contains("server mode"),
        "{text}"
    );
    assert!(!text.contains(&new.token), "{text}");

    // The app's view says so, and its add answer carries the token this once.
    let listed = desk.connection_views().await.unwrap();
    assert!(!listed[0].token_kept && listed[0].new_token.is_none());
    let added = desk
        .add_connection_view("Entra", Provider::Entra)
        .await
        .unwrap();
    assert!(!added.token_kept);
    let shown = added.new_token.clone().expect("the token, shown once");
    assert!(connections
        .authenticate(&added.id, Some(&bearer(&shown)))
        .await
        .unwrap()
        .is_ok());
    let test = desk.rehearse(&added.id).await.unwrap_err().to_string();
    assert!(test.contains("Test Connection"), "{test}");
    let refused = desk.connection_token(&added.id).await.unwrap_err();
    assert!(refused.message.contains("Regenerate token"), "{refused:?}");

    // Regenerated: the new token is answered, the old one refused at once, the activity says so.
    let regenerated = desk.regenerate_token(&id).await.unwrap();
    assert_ne!(regenerated.token, new.token);
    let old = connections
        .authenticate(&id, Some(&bearer(&new.token)))
        .await
        .unwrap();
    assert!(old.is_err(), "the old token is refused");
    assert!(connections
        .authenticate(&id, Some(&bearer(&regenerated.token)))
        .await
        .unwrap()
        .is_ok());
    let activity = desk
        .directory()
        .activity(&Default::default())
        .await
        .unwrap();
    assert!(
        activity
            .iter()
            .any(|a| a.operation == "regenerate_token" && a.summary.contains("Okta prod")),
        "{activity:?}"
    );

    // Deleted: its token is refused.
    connections.delete(&id).await.unwrap();
    let gone = connections
        .authenticate(&id, Some(&bearer(&regenerated.token)))
        .await
        .unwrap();
    assert!(gone.is_err());

    assert_eq!(keychain.calls.load(Ordering::SeqCst), 0, "no keychain call");
    desk.close().await;
}

#[tokio::test]
async fn the_desktop_still_keeps_tokens_in_the_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(NoKeychain::default());
    let desk = Desk::open(dir.path(), keychain.clone()).await.unwrap();
    assert!(desk.connections().keeps_tokens());
    // The keychain is asked, and its failure is the admin's error: no silent fallback.
    let e = desk
        .connections()
        .add("Okta prod", Provider::Okta)
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectionError::Keychain(_)), "{e}");
    assert!(keychain.calls.load(Ordering::SeqCst) > 0);
    assert!(desk.connections().list().await.unwrap().is_empty());
    desk.close().await;
}

#[tokio::test]
async fn tunnel_secrets_are_read_from_the_secrets_directory_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = tempfile::tempdir().unwrap();
    let keychain = Arc::new(NoKeychain::default());
    let desk = Desk::open(dir.path(), keychain.clone()).await.unwrap();
    desk.set_config("secrets-dir", secrets.path().to_str().unwrap())
        .await
        .unwrap();
    desk.close().await;
    let desk = server_desk(dir.path(), keychain.clone()).await;
    assert_eq!(desk.secrets_dir(), Some(secrets.path()));

    // No secret yet: a named cloudflared tunnel is refused, and so is storing its token, with
    // the variable and the file to set instead.
    let named = || TunnelSetting::Cloudflared {
        hostname: Some("scim.example.com".into()),
    };
    let e = desk
        .set_tunnel(named(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("server mode"), "{e}");
    assert!(
        e.contains(
            &secrets
                .path()
                .join("tunnel_cloudflared")
                .display()
                .to_string()
        ),
        "{e}"
    );
    let e = desk
        .set_tunnel(named(), Some("a-token-value".into()))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("SCIMDESK_SECRET_TUNNEL_CLOUDFLARED"), "{e}");
    assert!(e.contains("tunnel_cloudflared"), "{e}");
    assert!(!e.contains("a-token-value"), "{e}");

    // The operator puts the secret in the file (as systemd's LoadCredential= or a Kubernetes
    // secret does): the tunnel is set, and reads it.
    std::fs::write(secrets.path().join("tunnel_cloudflared"), "cf-token\n").unwrap();
    desk.set_tunnel(named(), None).await.unwrap();
    assert_eq!(
        desk.tunnel()
            .secret(ACCOUNT_CLOUDFLARED)
            .await
            .unwrap()
            .as_deref(),
        Some("cf-token")
    );
    assert_eq!(desk.tunnel().secret(ACCOUNT_NGROK).await.unwrap(), None);
    assert_eq!(keychain.calls.load(Ordering::SeqCst), 0, "no keychain call");
    desk.close().await;
}

#[tokio::test]
async fn okta_api_tokens_are_read_from_the_servers_secrets_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(NoKeychain::default());
    let desk = server_desk(dir.path(), keychain.clone()).await;
    let okta = desk
        .connections()
        .add("Okta prod", Provider::Okta)
        .await
        .unwrap();
    let variable = format!(
        "SCIMDESK_SECRET_OKTA_API_{}",
        okta.connection.id.to_uppercase().replace('-', "_")
    );
    // None set: the error names the variable (and no secrets directory is named here).
    let e = desk
        .okta_api()
        .set("Okta prod", "https://127.0.0.1:9", "0oa1", "")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains(&variable), "{e}");
    // A token given to store is refused before anything is sent to Okta, naming where to put it.
    let e = desk
        .okta_api()
        .set(
            "Okta prod",
            "https://127.0.0.1:9",
            "0oa1",
            "given-token-value",
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains(&variable) && e.contains("never stores"), "{e}");
    assert!(!e.contains("given-token-value"), "{e}");
    assert_eq!(keychain.calls.load(Ordering::SeqCst), 0, "no keychain call");
    desk.close().await;
}
