//! The in-process endpoint the core's integration tests talk to over real HTTP on loopback.

use std::sync::Arc;

use scimdesk::connections::keychain::Keychain;
use scimdesk::server::{self, Overrides};
use scimdesk::Desk;

/// A desk on a temporary data directory, serving on a free loopback port until dropped.
pub struct Running {
    pub desk: Desk,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    pub dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start(keychain: Arc<dyn Keychain>) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path(), keychain).await.unwrap();
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    desk.set_config("listen", &addr.to_string()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(
        desk.clone(),
        Overrides::default(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    Running {
        desk,
        origin: format!("http://{addr}"),
        dir,
        _stop: stop,
    }
}
