//! The tunnel's lifecycle while the endpoint serves: start, watch, restart with backoff, stop.
//!
//! One task per running endpoint drives a [`Runner`] (cloudflared or ngrok) through the states
//! `off → starting → online{url} | failed{reason, retry_at} → starting …` and publishes each on a
//! `tokio::sync::watch` channel (for the app) and in the settings (for `scimdesk tunnel status`
//! in another process). When the tunnel comes online its URL becomes the public URL that base
//! URLs and `meta.location` are built from. Not for: knowing how any one tool is run.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::runner::{Runner, Running};
use super::store::TunnelStore;
use super::{cloudflared, ngrok, TunnelError, TunnelSetting, TunnelState};
use crate::timefmt;

/// How long to wait before restarting a tunnel that died: doubling from `initial` up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay after `delay`.
    pub fn next(&self, delay: Duration) -> Duration {
        (delay * 2).min(self.max)
    }
}

/// A tunnel that stayed online this long is considered healthy again: its next failure starts
/// the backoff from the beginning instead of continuing to lengthen it.
const HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// The running manager. Dropping it without [`TunnelManager::stop`] still stops the tunnel, but
/// without waiting for it.
pub struct TunnelManager(Task);

/// A background task that publishes a tunnel state and stops when told (or when dropped).
struct Task {
    state: watch::Receiver<TunnelState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Task {
    fn spawn(
        initial: TunnelState,
        run: impl FnOnce(watch::Sender<TunnelState>, oneshot::Receiver<()>) -> JoinHandle<()>,
    ) -> Task {
        let (tx, rx) = watch::channel(initial);
        let (stop, stopped) = oneshot::channel();
        Task {
            state: rx,
            stop: Some(stop),
            task: Some(run(tx, stopped)),
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Keeps the running tunnel in step with the setting while the endpoint serves: the tunnel the
/// setting asks for is started with the endpoint, and when the admin chooses another one (in the
/// app, or with `scimdesk tunnel set` from another process) the old tunnel is stopped and the new
/// one started, without restarting the endpoint Okta depends on.
pub struct TunnelSupervisor(Task);

/// How often a serving endpoint looks for a changed tunnel setting.
pub const SETTING_POLL: Duration = Duration::from_secs(1);

impl TunnelSupervisor {
    /// Starts the configured tunnel; an error here (no token, a listen address that is not
    /// loopback) is for the admin to fix before serving. Later changes that fail are reported as
    /// the tunnel's failed state instead, and the endpoint keeps serving.
    pub async fn start(
        store: &TunnelStore,
        listen: SocketAddr,
        backoff: Backoff,
        poll: Duration,
    ) -> Result<TunnelSupervisor, TunnelError> {
        let revision = store.revision().await?;
        let manager = TunnelManager::start_configured(store, listen, backoff).await?;
        let initial = manager
            .as_ref()
            .map(|m| m.0.state.borrow().clone())
            .unwrap_or(TunnelState::Off);
        let store = store.clone();
        Ok(TunnelSupervisor(Task::spawn(
            initial,
            move |tx, stopped| {
                tokio::spawn(supervise(
                    store, listen, backoff, poll, revision, manager, tx, stopped,
                ))
            },
        )))
    }

    /// The state of whichever tunnel runs now: the app watches this.
    pub fn state(&self) -> watch::Receiver<TunnelState> {
        self.0.state.clone()
    }

    /// Stops the tunnel and waits until it is gone.
    pub async fn stop(self) {
        self.0.stop().await
    }
}

#[allow(clippy::too_many_arguments)]
async fn supervise(
    store: TunnelStore,
    listen: SocketAddr,
    backoff: Backoff,
    poll: Duration,
    mut revision: Option<String>,
    mut manager: Option<TunnelManager>,
    tx: watch::Sender<TunnelState>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut states = manager.as_ref().map(TunnelManager::state);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            changed = next_state(&mut states) => match changed {
                Some(state) => {
                    tx.send_replace(state);
                }
                // That manager's task ended; the next setting change starts another.
                None => states = None,
            },
            _ = tokio::time::sleep(poll) => {
                let now = match store.revision().await {
                    Ok(now) => now,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read the tunnel setting");
                        continue;
                    }
                };
                if now == revision {
                    continue;
                }
                revision = now;
                if let Some(old) = manager.take() {
                    old.stop().await;
                }
                states = None;
                match TunnelManager::start_configured(&store, listen, backoff).await {
                    Ok(started) => {
                        manager = started;
                        states = manager.as_ref().map(TunnelManager::state);
                        let state = states
                            .as_ref()
                            .map(|s| s.borrow().clone())
                            .unwrap_or(TunnelState::Off);
                        tx.send_replace(state);
                    }
                    Err(e) => {
                        let failed = TunnelState::Failed {
                            reason: e.to_string(),
                            retry_at: None,
                        };
                        if let Err(e) = store.record_state(&failed).await {
                            tracing::warn!(error = %e, "could not record the tunnel state");
                        }
                        tx.send_replace(failed);
                    }
                }
            }
        }
    }
    if let Some(manager) = manager {
        manager.stop().await;
    }
    tx.send_replace(TunnelState::Off);
}

/// The next state of the current manager, `None` once it is gone; pending without one.
async fn next_state(states: &mut Option<watch::Receiver<TunnelState>>) -> Option<TunnelState> {
    match states {
        Some(rx) => match rx.changed().await {
            Ok(()) => Some(rx.borrow_and_update().clone()),
            Err(_) => None,
        },
        None => std::future::pending().await,
    }
}

impl TunnelManager {
    /// Starts the tunnel the settings ask for, forwarding to `listen`; `None` when SCIM Desk
    /// runs no tunnel (none, or the admin's own).
    pub async fn start_configured(
        store: &TunnelStore,
        listen: SocketAddr,
        backoff: Backoff,
    ) -> Result<Option<TunnelManager>, TunnelError> {
        match store.setting().await? {
            TunnelSetting::None | TunnelSetting::Own { .. } => {
                store.record_state(&TunnelState::Off).await?;
                Ok(None)
            }
            TunnelSetting::Cloudflared { hostname } => {
                let target = super::forward_target(listen)?;
                let runner = match hostname {
                    None => cloudflared::Cloudflared::quick(target),
                    Some(hostname) => {
                        let token = store
                            .secret(super::ACCOUNT_CLOUDFLARED)
                            .await?
                            .ok_or_else(|| store.missing_secret(super::ACCOUNT_CLOUDFLARED))?;
                        cloudflared::Cloudflared::named(hostname, token)
                    }
                };
                Ok(Some(TunnelManager::spawn(store.clone(), runner, backoff)))
            }
            TunnelSetting::Ngrok { domain } => {
                let target = super::forward_target(listen)?;
                let authtoken = store
                    .secret(super::ACCOUNT_NGROK)
                    .await?
                    .ok_or_else(|| store.missing_secret(super::ACCOUNT_NGROK))?;
                let runner = ngrok::Ngrok::new(authtoken, domain, target);
                Ok(Some(TunnelManager::spawn(store.clone(), runner, backoff)))
            }
        }
    }

    /// Drives `runner` until stopped.
    pub fn spawn<R: Runner>(store: TunnelStore, runner: R, backoff: Backoff) -> TunnelManager {
        TunnelManager(Task::spawn(TunnelState::Off, move |tx, stopped| {
            tokio::spawn(drive(store, runner, backoff, tx, stopped))
        }))
    }

    /// The state, live: the app watches this.
    pub fn state(&self) -> watch::Receiver<TunnelState> {
        self.0.state.clone()
    }

    /// Stops the tunnel and waits until it is gone (its child process included).
    pub async fn stop(self) {
        self.0.stop().await
    }
}

async fn drive<R: Runner>(
    store: TunnelStore,
    runner: R,
    backoff: Backoff,
    tx: watch::Sender<TunnelState>,
    mut stopped: oneshot::Receiver<()>,
) {
    let publish = |state: TunnelState| {
        let store = store.clone();
        let tx = &tx;
        async move {
            match &state {
                TunnelState::Online { url } => tracing::info!(url, "tunnel online"),
                TunnelState::Failed { reason, .. } => tracing::warn!(reason, "tunnel failed"),
                TunnelState::Starting => tracing::info!("tunnel starting"),
                TunnelState::Off => tracing::info!("tunnel stopped"),
            }
            if let Err(e) = store.record_state(&state).await {
                tracing::warn!(error = %e, "could not record the tunnel's state");
            }
            tx.send_replace(state);
        }
    };
    let mut delay = backoff.initial;
    loop {
        publish(TunnelState::Starting).await;
        let reason = tokio::select! {
            _ = &mut stopped => break,
            started = runner.start() => match started {
                Err(e) => e.to_string(),
                Ok(mut running) => {
                    let since = Instant::now();
                    publish(TunnelState::Online { url: running.url() }).await;
                    tokio::select! {
                        _ = &mut stopped => {
                            running.stop().await;
                            break;
                        }
                        reason = running.died() => {
                            if since.elapsed() >= HEALTHY_AFTER {
                                delay = backoff.initial;
                            }
                            reason
                        }
                    }
                }
            },
        };
        let retry_at = time::OffsetDateTime::now_utc() + delay;
        publish(TunnelState::Failed {
            reason,
            retry_at: Some(timefmt::format(retry_at)),
        })
        .await;
        tokio::select! {
            _ = &mut stopped => break,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = backoff.next(delay);
    }
    publish(TunnelState::Off).await;
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::connections::keychain::MemoryKeychain;
    use crate::Desk;

    /// A tunnel in memory: the n-th start fails or comes online at `https://tN.example`, and
    /// each online tunnel dies when the test says so.
    struct Scripted {
        starts: Arc<AtomicU32>,
        fail_first: u32,
        kill: Arc<tokio::sync::Notify>,
        stopped: Arc<Mutex<Vec<String>>>,
    }

    struct ScriptedRunning {
        url: String,
        kill: Arc<tokio::sync::Notify>,
        stopped: Arc<Mutex<Vec<String>>>,
    }

    impl Runner for Scripted {
        type Running = ScriptedRunning;
        async fn start(&self) -> Result<ScriptedRunning, TunnelError> {
            let n = self.starts.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= self.fail_first {
                return Err(TunnelError::Failed(format!("start {n} failed")));
            }
            Ok(ScriptedRunning {
                url: format!("https://t{n}.example"),
                kill: self.kill.clone(),
                stopped: self.stopped.clone(),
            })
        }
    }

    impl Running for ScriptedRunning {
        fn url(&self) -> String {
            self.url.clone()
        }
        async fn died(&mut self) -> String {
            self.kill.notified().await;
            "killed".to_owned()
        }
        async fn stop(self) {
            self.stopped.lock().unwrap().push(self.url);
        }
    }

    async fn wait_for(
        rx: &mut watch::Receiver<TunnelState>,
        what: impl Fn(&TunnelState) -> bool,
    ) -> TunnelState {
        tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|s| what(s)))
            .await
            .expect("state reached in time")
            .expect("manager alive")
            .clone()
    }

    #[test]
    fn backoff_doubles_up_to_the_bound() {
        let b = Backoff::default();
        let mut d = b.initial;
        let mut seen = vec![d];
        for _ in 0..8 {
            d = b.next(d);
            seen.push(d);
        }
        let secs: Vec<u64> = seen.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    /// A desk on a temporary directory whose setting is a quick cloudflared tunnel.
    async fn quick_tunnel_desk() -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(dir.path(), Arc::new(MemoryKeychain::default()))
            .await
            .unwrap();
        desk.set_tunnel(TunnelSetting::Cloudflared { hostname: None }, None)
            .await
            .unwrap();
        (dir, desk)
    }

    #[tokio::test]
    async fn a_tunnel_still_running_after_a_switch_to_own_does_not_take_the_url_back() {
        let (_dir, desk) = quick_tunnel_desk().await;
        let kill = Arc::new(tokio::sync::Notify::new());
        let runner = Scripted {
            starts: Arc::default(),
            fail_first: 0,
            kill: kill.clone(),
            stopped: Arc::default(),
        };
        let backoff = Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(20),
        };
        let manager = TunnelManager::spawn(desk.tunnel().clone(), runner, backoff);
        let mut rx = manager.state();
        wait_for(&mut rx, |s| s.url() == Some("https://t1.example")).await;

        desk.set_tunnel(
            TunnelSetting::Own {
                url: "https://own.example".into(),
            },
            None,
        )
        .await
        .unwrap();
        kill.notify_one();
        wait_for(&mut rx, |s| s.url() == Some("https://t2.example")).await;
        let config = desk.config().await.unwrap();
        assert_eq!(config.public_url.as_deref(), Some("https://own.example"));
        let change = desk.tunnel_status().await.unwrap().url_changed.unwrap();
        assert_eq!(change.to, "https://own.example", "{change:?}");
        manager.stop().await;
    }

    /// `scimdesk tunnel status` reads the settings twice (the config, then the tunnel's state):
    /// a tunnel coming online between the two reads must not show "online" beside the old URL.
    #[tokio::test]
    async fn the_status_shows_the_url_of_the_state_it_shows() {
        let (_dir, desk) = quick_tunnel_desk().await;
        let before_online = desk.config().await.unwrap();
        assert_eq!(before_online.public_url, None);
        let runner = Scripted {
            starts: Arc::default(),
            fail_first: 0,
            kill: Arc::new(tokio::sync::Notify::new()),
            stopped: Arc::default(),
        };
        let backoff = Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(20),
        };
        let manager = TunnelManager::spawn(desk.tunnel().clone(), runner, backoff);
        let mut rx = manager.state();
        wait_for(&mut rx, |s| s.url() == Some("https://t1.example")).await;
        let status = desk.tunnel().status(&before_online, &[]).await.unwrap();
        assert_eq!(status.state.url(), Some("https://t1.example"));
        assert_eq!(status.public_url, "https://t1.example");
        manager.stop().await;
    }

    #[tokio::test]
    async fn fails_then_comes_online_then_restarts_with_a_new_url_then_stops() {
        let (_dir, desk) = quick_tunnel_desk().await;
        let kill = Arc::new(tokio::sync::Notify::new());
        let stopped = Arc::new(Mutex::new(Vec::new()));
        let starts = Arc::new(AtomicU32::new(0));
        let runner = Scripted {
            starts: starts.clone(),
            fail_first: 1,
            kill: kill.clone(),
            stopped: stopped.clone(),
        };
        let backoff = Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
        };
        let manager = TunnelManager::spawn(desk.tunnel().clone(), runner, backoff);
        let mut rx = manager.state();

        // The first start fails: the reason is shown with the time of the next attempt.
        let failed = wait_for(&mut rx, |s| matches!(s, TunnelState::Failed { .. })).await;
        let TunnelState::Failed { reason, retry_at } = failed else {
            unreachable!()
        };
        assert_eq!(reason, "start 1 failed");
        assert!(retry_at.is_some());

        // The second comes online, and the public URL follows it.
        wait_for(&mut rx, |s| s.url() == Some("https://t2.example")).await;
        assert_eq!(
            desk.config().await.unwrap().base_url("c1"),
            "https://t2.example/scim/v2/c1"
        );
        let status = desk.tunnel_status().await.unwrap();
        assert_eq!(status.state.url(), Some("https://t2.example"));
        assert_eq!(status.url_changed, None, "the first URL is not a change");

        // It dies: restarted after the backoff at a new URL, and the change is noticed.
        kill.notify_one();
        wait_for(&mut rx, |s| s.url() == Some("https://t3.example")).await;
        let status = desk.tunnel_status().await.unwrap();
        let change = status.url_changed.expect("the URL change is recorded");
        assert_eq!(change.from, "https://t2.example");
        assert_eq!(change.to, "https://t3.example");
        assert!(crate::cli::wording::url_change_message(&change)
            .contains("update the SCIM connector base URL in Okta"));
        assert!(!status.stable, "a stable option is worth recommending");
        assert_eq!(
            status.last_error.as_deref(),
            Some("killed"),
            "the last error stays visible"
        );
        desk.acknowledge_url_change().await.unwrap();
        assert!(desk.tunnel_status().await.unwrap().url_changed.is_none());

        // Stop: the running tunnel is stopped and the state is off.
        manager.stop().await;
        assert_eq!(*stopped.lock().unwrap(), vec!["https://t3.example"]);
        assert_eq!(*rx.borrow(), TunnelState::Off);
        assert_eq!(starts.load(Ordering::SeqCst), 3);
    }
}
