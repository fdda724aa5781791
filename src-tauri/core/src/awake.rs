//! Keeping the computer awake while an identity provider can provision: when the admin asks (the
//! `keep_awake` setting), SCIM Desk holds a sleep inhibitor for as long as Okta or Microsoft Entra
//! ID could reach it — at least one connection exists whose provider's switch is on, and the
//! endpoint serves — and lets go as soon as one
//! of these ends, and when it quits. A process that is killed lets go too: the lock is an open
//! file descriptor (on Linux) or an assertion (macOS, Windows) that the system drops with it.
//!
//! On Linux the lock is logind's `Inhibit("sleep:idle", …, "block")` over D-Bus (the system bus,
//! or `SCIMDESK_LOGIND_BUS_ADDRESS`, for tests); on macOS an IOPM assertion and on Windows
//! `SetThreadExecutionState`, both through the `keepawake` crate.
//!
//! Not for: deciding anything else about power, or wording: [`AwakeStatus`] carries states and
//! codes, and the front ends turn them into sentences.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{broadcast, watch, Mutex};

use crate::desk::Desk;
use crate::endpoint::EndpointStatus;
use crate::events::ChangeEvent;

/// The D-Bus address of the bus where logind is asked, instead of the system bus (for tests,
/// which serve a stand-in logind on a private bus).
pub const BUS_ADDRESS_ENV: &str = "SCIMDESK_LOGIND_BUS_ADDRESS";

/// What the lock is taken for, as the system shows it to the admin (`systemd-inhibit --list`).
pub const WHY: &str =
    "An identity provider can provision employees into SCIM Desk: sleeping would make its pushes fail";
/// Who takes the lock, as the system shows it.
pub const WHO: &str = "SCIM Desk";

/// Why the computer is not being kept awake now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NotHeldReason {
    /// The admin has not asked for it.
    OptionOff,
    /// No connection exists: no identity provider has anything to provision through.
    NoConnection,
    /// The endpoint is not serving (starting, its port taken, failed, or the app quitting).
    EndpointStopped,
    /// Every connection is Okta's and the Okta switch is off: every request is refused anyway.
    OktaOff,
    /// Every connection is Microsoft Entra ID's and its switch is off.
    EntraOff,
    /// There are connections of both providers, and both switches are off.
    ProvidersOff,
}

/// Why the system refused, or could not be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AwakeProblem {
    /// No login manager (systemd-logind) answers on this system: nothing to ask.
    NoLoginManager,
    /// The system answered, and refused (a policy, a permission).
    Refused,
    /// This platform has no way SCIM Desk knows of.
    Unsupported,
}

/// Whether SCIM Desk keeps the computer awake now, for the app's *Settings › General*.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AwakeStatus {
    /// The sleep inhibitor is held, since `since` (RFC 3339, UTC).
    Held {
        since: String,
    },
    NotHeld {
        reason: NotHeldReason,
    },
    /// The conditions hold but the lock could not be taken; `detail` is the system's own
    /// error, for the curious (the front ends word `problem`).
    Failed {
        problem: AwakeProblem,
        detail: String,
    },
}

/// What the decision is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditions {
    pub option_on: bool,
    /// Every connection, whatever its provider.
    pub connections: usize,
    pub endpoint_serving: bool,
    pub okta_enabled: bool,
    /// Of `connections`, those of Microsoft Entra ID (the others are Okta's).
    pub entra_connections: usize,
    pub entra_enabled: bool,
}

impl Conditions {
    /// `Ok` when the computer should be kept awake, else the first reason it should not (in the
    /// order the admin would fix them: the option, a connection, the endpoint, the switch).
    pub fn decide(&self) -> Result<(), NotHeldReason> {
        if !self.option_on {
            Err(NotHeldReason::OptionOff)
        } else if self.connections == 0 {
            Err(NotHeldReason::NoConnection)
        } else if !self.endpoint_serving {
            Err(NotHeldReason::EndpointStopped)
        } else {
            let okta_connections = self.connections.saturating_sub(self.entra_connections);
            let okta_can = okta_connections > 0 && self.okta_enabled;
            let entra_can = self.entra_connections > 0 && self.entra_enabled;
            match (
                okta_can || entra_can,
                okta_connections,
                self.entra_connections,
            ) {
                (true, _, _) => Ok(()),
                (false, _, 0) => Err(NotHeldReason::OktaOff),
                (false, 0, _) => Err(NotHeldReason::EntraOff),
                (false, _, _) => Err(NotHeldReason::ProvidersOff),
            }
        }
    }
}

/// A held lock: dropping it lets go.
pub struct Lock(#[allow(dead_code)] Box<dyn Send + Sync>);

impl Lock {
    pub fn new(held: impl Send + Sync + 'static) -> Lock {
        Lock(Box::new(held))
    }
}

/// The lock could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct InhibitError {
    pub problem: AwakeProblem,
    pub detail: String,
}

/// Where the lock comes from: the system's ([`SystemInhibitor`]), or a test's.
pub trait Inhibitor: Send + Sync + 'static {
    fn inhibit(&self) -> impl Future<Output = Result<Lock, InhibitError>> + Send;
}

/// The platform's sleep inhibitor: logind on Linux, `keepawake` on macOS and Windows.
#[derive(Debug, Clone, Default)]
pub struct SystemInhibitor;

impl Inhibitor for SystemInhibitor {
    async fn inhibit(&self) -> Result<Lock, InhibitError> {
        #[cfg(target_os = "linux")]
        {
            let address = std::env::var(BUS_ADDRESS_ENV)
                .ok()
                .filter(|a| !a.trim().is_empty());
            logind::inhibit(address.as_deref()).await
        }
        #[cfg(any(target_os = "macos", windows))]
        {
            // Windows ties SetThreadExecutionState to the thread that called it: the assertion
            // is made, held and dropped on a thread of its own, which lives as long as the lock.
            let (taken, answer) = tokio::sync::oneshot::channel();
            let (release, released) = std::sync::mpsc::channel::<()>();
            std::thread::Builder::new()
                .name("keep-awake".into())
                .spawn(move || {
                    let awake = keepawake::Builder::default()
                        .idle(true)
                        .sleep(true)
                        .reason(WHY)
                        .app_name(WHO)
                        .app_reverse_domain(crate::desk::APP_IDENTIFIER)
                        .create();
                    let held = awake.is_ok();
                    let _ = taken.send(awake.as_ref().map(|_| ()).map_err(|e| e.to_string()));
                    if held {
                        // Until the lock (the sender) is dropped.
                        let _ = released.recv();
                    }
                    drop(awake);
                })
                .map_err(|e| InhibitError {
                    problem: AwakeProblem::Refused,
                    detail: e.to_string(),
                })?;
            match answer.await {
                Ok(Ok(())) => Ok(Lock::new(std::sync::Mutex::new(release))),
                Ok(Err(detail)) => Err(InhibitError {
                    problem: AwakeProblem::Refused,
                    detail,
                }),
                Err(e) => Err(InhibitError {
                    problem: AwakeProblem::Refused,
                    detail: e.to_string(),
                }),
            }
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
        {
            Err(InhibitError {
                problem: AwakeProblem::Unsupported,
                detail: format!("no sleep inhibitor is known on {}", std::env::consts::OS),
            })
        }
    }
}

#[cfg(target_os = "linux")]
mod logind {
    use super::{AwakeProblem, InhibitError, Lock, WHO, WHY};

    const SERVICE: &str = "org.freedesktop.login1";
    const PATH: &str = "/org/freedesktop/login1";
    const MANAGER: &str = "org.freedesktop.login1.Manager";

    fn no_manager(e: zbus::Error) -> InhibitError {
        InhibitError {
            problem: AwakeProblem::NoLoginManager,
            detail: e.to_string(),
        }
    }

    async fn connect(address: Option<&str>) -> Result<zbus::Connection, InhibitError> {
        match address {
            Some(address) => {
                zbus::connection::Builder::address(address)
                    .map_err(no_manager)?
                    .build()
                    .await
            }
            None => zbus::Connection::system().await,
        }
        .map_err(no_manager)
    }

    /// The process ids of SCIM Desk's inhibitors, from `ListInhibitors`.
    pub async fn holders(address: Option<&str>) -> Result<Vec<u32>, InhibitError> {
        let connection = connect(address).await?;
        let reply = connection
            .call_method(Some(SERVICE), PATH, Some(MANAGER), "ListInhibitors", &())
            .await
            .map_err(refused_or_absent)?;
        let rows: Vec<(String, String, String, String, u32, u32)> =
            reply.body().deserialize().map_err(|e| InhibitError {
                problem: AwakeProblem::Refused,
                detail: format!("logind listed its inhibitors in an unknown shape: {e}"),
            })?;
        Ok(rows
            .into_iter()
            .filter(|(_, who, ..)| who == WHO)
            .map(|(.., pid)| pid)
            .collect())
    }

    fn refused_or_absent(e: zbus::Error) -> InhibitError {
        let problem = match &e {
            zbus::Error::MethodError(name, _, _)
                if matches!(
                    name.as_str(),
                    "org.freedesktop.DBus.Error.ServiceUnknown"
                        | "org.freedesktop.DBus.Error.NameHasNoOwner"
                        | "org.freedesktop.DBus.Error.UnknownObject"
                        | "org.freedesktop.DBus.Error.UnknownMethod"
                ) =>
            {
                AwakeProblem::NoLoginManager
            }
            _ => AwakeProblem::Refused,
        };
        InhibitError {
            problem,
            detail: e.to_string(),
        }
    }

    /// `Inhibit("sleep:idle", WHO, WHY, "block")` on the system bus (or `address`): the answer
    /// is a file descriptor, and the lock lasts while it is open.
    pub async fn inhibit(address: Option<&str>) -> Result<Lock, InhibitError> {
        let connection = connect(address).await?;
        let reply = connection
            .call_method(
                Some(SERVICE),
                PATH,
                Some(MANAGER),
                "Inhibit",
                &("sleep:idle", WHO, WHY, "block"),
            )
            .await
            .map_err(refused_or_absent)?;
        let fd: zbus::zvariant::OwnedFd = reply.body().deserialize().map_err(|e| InhibitError {
            problem: AwakeProblem::Refused,
            detail: format!("logind answered without a lock: {e}"),
        })?;
        // The descriptor is the lock; the connection is not needed to keep it.
        Ok(Lock::new(std::os::fd::OwnedFd::from(fd)))
    }
}

/// Who holds a sleep inhibitor named SCIM Desk's now, as the system lists them (logind's
/// `ListInhibitors` on Linux): the process ids, from whichever process asks (`scimdesk status`).
/// `Ok(None)` where the system offers no list (macOS, Windows).
pub async fn holders() -> Result<Option<Vec<u32>>, InhibitError> {
    #[cfg(target_os = "linux")]
    {
        let address = std::env::var(BUS_ADDRESS_ENV)
            .ok()
            .filter(|a| !a.trim().is_empty());
        logind::holders(address.as_deref()).await.map(Some)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(None)
    }
}

struct Holding {
    lock: Option<Lock>,
    /// Quitting: never taken again.
    stopped: bool,
}

/// Holds the sleep inhibitor while the conditions do, for as long as the app (or `serve`) runs.
#[derive(Clone)]
pub struct KeepAwake {
    status: Arc<watch::Sender<AwakeStatus>>,
    holding: Arc<Mutex<Holding>>,
}

impl Default for KeepAwake {
    fn default() -> Self {
        KeepAwake::new()
    }
}

impl KeepAwake {
    pub fn new() -> KeepAwake {
        let (status, _) = watch::channel(AwakeStatus::NotHeld {
            reason: NotHeldReason::OptionOff,
        });
        KeepAwake {
            status: Arc::new(status),
            holding: Arc::new(Mutex::new(Holding {
                lock: None,
                stopped: false,
            })),
        }
    }

    pub fn status(&self) -> AwakeStatus {
        self.status.borrow().clone()
    }

    pub fn watch(&self) -> watch::Receiver<AwakeStatus> {
        self.status.subscribe()
    }

    /// Takes or lets go of the lock as `conditions` say; a failed attempt is tried again at the
    /// next evaluation. Answers the status, which changes only when it differs.
    pub async fn apply(&self, conditions: Conditions, inhibitor: &impl Inhibitor) -> AwakeStatus {
        let mut holding = self.holding.lock().await;
        let decision = if holding.stopped {
            Err(NotHeldReason::EndpointStopped)
        } else {
            conditions.decide()
        };
        let status = match decision {
            Err(reason) => {
                if holding.lock.take().is_some() {
                    tracing::info!(?reason, "the computer may sleep again");
                }
                AwakeStatus::NotHeld { reason }
            }
            Ok(()) if holding.lock.is_some() => self.status(),
            Ok(()) => match inhibitor.inhibit().await {
                Ok(lock) => {
                    holding.lock = Some(lock);
                    tracing::info!(
                        "keeping the computer awake while an identity provider can provision"
                    );
                    AwakeStatus::Held {
                        since: crate::timefmt::now(),
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not keep the computer awake");
                    AwakeStatus::Failed {
                        problem: e.problem,
                        detail: e.detail,
                    }
                }
            },
        };
        self.status.send_if_modified(|now| {
            let changed = *now != status;
            if changed {
                *now = status.clone();
            }
            changed
        });
        status
    }

    /// Lets go for good (the app quits, `serve` stops).
    pub async fn stop(&self) {
        let mut holding = self.holding.lock().await;
        holding.stopped = true;
        if holding.lock.take().is_some() {
            tracing::info!("the computer may sleep again: SCIM Desk is quitting");
        }
        self.status.send_replace(AwakeStatus::NotHeld {
            reason: NotHeldReason::EndpointStopped,
        });
    }

    /// Evaluates the conditions now and again whenever a setting, the connections, the
    /// endpoint or the database (another process) change, until [`KeepAwake::stop`] or the
    /// event channel closes. Employee and activity events, which an import sends by the
    /// thousand, change nothing here and are skipped.
    pub async fn run(
        &self,
        desk: Desk,
        mut endpoint: watch::Receiver<EndpointStatus>,
        inhibitor: impl Inhibitor,
    ) {
        let mut events = desk.subscribe();
        loop {
            if self.holding.lock().await.stopped {
                return;
            }
            let serving = endpoint.borrow_and_update().is_serving();
            match conditions(&desk, serving).await {
                Ok(c) => {
                    let before = self.status();
                    if self.apply(c, &inhibitor).await != before {
                        desk.notify(ChangeEvent::Awake);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not read whether to keep awake"),
            }
            loop {
                tokio::select! {
                    changed = endpoint.changed() => {
                        if changed.is_err() {
                            // The endpoint is gone: nothing serves any more.
                            self.stop().await;
                            return;
                        }
                        break;
                    }
                    event = events.recv() => match event {
                        Ok(ChangeEvent::Settings | ChangeEvent::Connections
                            | ChangeEvent::Endpoint | ChangeEvent::Reload)
                        | Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        }
    }
}

/// The conditions as the data directory and the endpoint stand.
pub async fn conditions(
    desk: &Desk,
    endpoint_serving: bool,
) -> Result<Conditions, crate::DeskError> {
    let config = desk.config().await?;
    let connections = desk.connections().list().await?;
    Ok(Conditions {
        option_on: config.keep_awake,
        connections: connections.len(),
        endpoint_serving,
        okta_enabled: config.okta_enabled,
        entra_connections: connections
            .iter()
            .filter(|c| c.provider == crate::connections::Provider::Entra)
            .count(),
        entra_enabled: config.entra_enabled,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const ALL: Conditions = Conditions {
        option_on: true,
        connections: 1,
        endpoint_serving: true,
        okta_enabled: true,
        entra_connections: 0,
        entra_enabled: true,
    };

    #[test]
    fn held_only_when_every_condition_holds_and_the_first_missing_one_is_told() {
        assert_eq!(ALL.decide(), Ok(()));
        assert_eq!(
            Conditions {
                connections: 3,
                ..ALL
            }
            .decide(),
            Ok(())
        );
        let none = Conditions {
            option_on: false,
            connections: 0,
            endpoint_serving: false,
            okta_enabled: false,
            entra_connections: 0,
            entra_enabled: false,
        };
        assert_eq!(none.decide(), Err(NotHeldReason::OptionOff));
        assert_eq!(
            Conditions {
                option_on: true,
                ..none
            }
            .decide(),
            Err(NotHeldReason::NoConnection)
        );
        assert_eq!(
            Conditions {
                connections: 0,
                ..ALL
            }
            .decide(),
            Err(NotHeldReason::NoConnection)
        );
        assert_eq!(
            Conditions {
                endpoint_serving: false,
                ..ALL
            }
            .decide(),
            Err(NotHeldReason::EndpointStopped)
        );
        assert_eq!(
            Conditions {
                okta_enabled: false,
                ..ALL
            }
            .decide(),
            Err(NotHeldReason::OktaOff)
        );
    }

    /// Each switch counts for its own provider's connections, and the reason names the
    /// provider whose switch keeps the lock from being held.
    #[test]
    fn the_lock_follows_the_switches_of_the_providers_that_have_connections() {
        let entra_only = Conditions {
            connections: 2,
            entra_connections: 2,
            okta_enabled: false,
            ..ALL
        };
        // The Okta switch off does not matter when only Entra connections exist.
        assert_eq!(entra_only.decide(), Ok(()));
        let entra_off = Conditions {
            entra_enabled: false,
            okta_enabled: true,
            ..entra_only
        };
        assert_eq!(entra_off.decide(), Err(NotHeldReason::EntraOff));
        let both = Conditions {
            connections: 2,
            entra_connections: 1,
            ..ALL
        };
        assert_eq!(
            Conditions {
                okta_enabled: false,
                ..both
            }
            .decide(),
            Ok(())
        );
        assert_eq!(
            Conditions {
                entra_enabled: false,
                ..both
            }
            .decide(),
            Ok(())
        );
        assert_eq!(
            Conditions {
                okta_enabled: false,
                entra_enabled: false,
                ..both
            }
            .decide(),
            Err(NotHeldReason::ProvidersOff)
        );
    }

    /// Counts the locks it gives out and those still held.
    #[derive(Default, Clone)]
    struct Counting {
        taken: Arc<AtomicUsize>,
        held: Arc<AtomicUsize>,
        refuse: Arc<std::sync::atomic::AtomicBool>,
    }

    struct Release(Arc<AtomicUsize>);
    impl Drop for Release {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    impl Inhibitor for Counting {
        async fn inhibit(&self) -> Result<Lock, InhibitError> {
            if self.refuse.load(Ordering::SeqCst) {
                return Err(InhibitError {
                    problem: AwakeProblem::NoLoginManager,
                    detail: "no logind here".into(),
                });
            }
            self.taken.fetch_add(1, Ordering::SeqCst);
            self.held.fetch_add(1, Ordering::SeqCst);
            Ok(Lock::new(Release(self.held.clone())))
        }
    }

    #[tokio::test]
    async fn the_lock_is_taken_once_let_go_when_a_condition_ends_and_never_after_stop() {
        let keep = KeepAwake::new();
        let inhibitor = Counting::default();
        let held = |s: &AwakeStatus| matches!(s, AwakeStatus::Held { .. });

        assert!(held(&keep.apply(ALL, &inhibitor).await));
        let since = keep.status();
        // Evaluated again with nothing changed: the same lock, the same `since`.
        keep.apply(ALL, &inhibitor).await;
        assert_eq!(keep.status(), since);
        assert_eq!(inhibitor.taken.load(Ordering::SeqCst), 1);
        assert_eq!(inhibitor.held.load(Ordering::SeqCst), 1);

        let off = Conditions {
            okta_enabled: false,
            ..ALL
        };
        assert_eq!(
            keep.apply(off, &inhibitor).await,
            AwakeStatus::NotHeld {
                reason: NotHeldReason::OktaOff
            }
        );
        assert_eq!(inhibitor.held.load(Ordering::SeqCst), 0, "let go");

        assert!(held(&keep.apply(ALL, &inhibitor).await));
        assert_eq!(inhibitor.taken.load(Ordering::SeqCst), 2);

        keep.stop().await;
        assert_eq!(inhibitor.held.load(Ordering::SeqCst), 0, "let go on quit");
        assert!(
            !held(&keep.apply(ALL, &inhibitor).await),
            "never after stop"
        );
        assert_eq!(inhibitor.held.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_refusal_is_a_state_and_is_tried_again() {
        let keep = KeepAwake::new();
        let inhibitor = Counting::default();
        inhibitor.refuse.store(true, Ordering::SeqCst);
        assert_eq!(
            keep.apply(ALL, &inhibitor).await,
            AwakeStatus::Failed {
                problem: AwakeProblem::NoLoginManager,
                detail: "no logind here".into()
            }
        );
        inhibitor.refuse.store(false, Ordering::SeqCst);
        assert!(matches!(
            keep.apply(ALL, &inhibitor).await,
            AwakeStatus::Held { .. }
        ));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn no_bus_is_no_login_manager_in_words_the_app_can_use() {
        let dir = tempfile::tempdir().unwrap();
        let address = format!("unix:path={}", dir.path().join("no-bus").display());
        let e = match logind::inhibit(Some(&address)).await {
            Err(e) => e,
            Ok(_) => panic!("a bus that does not exist gave a lock"),
        };
        assert_eq!(e.problem, AwakeProblem::NoLoginManager, "{e}");
    }

    /// The keeper follows the data directory: the option, a connection, the Okta switch and
    /// the endpoint, each through the event its change sends.
    #[tokio::test]
    async fn the_keeper_follows_settings_connections_and_the_endpoint() {
        use crate::connections::keychain::{Keychain, MemoryKeychain};
        let dir = tempfile::tempdir().unwrap();
        let keychain: Arc<dyn Keychain> = Arc::new(MemoryKeychain::default());
        let desk = Desk::open(dir.path(), keychain).await.unwrap();
        let (endpoint, serving) = watch::channel(EndpointStatus::Serving {
            listen: "127.0.0.1:1".into(),
        });
        let keep = KeepAwake::new();
        let inhibitor = Counting::default();
        let task = tokio::spawn({
            let (keep, desk, inhibitor) = (keep.clone(), desk.clone(), inhibitor.clone());
            async move { keep.run(desk, serving, inhibitor).await }
        });
        let status = keep.watch();
        let until = |want: fn(&AwakeStatus) -> bool| {
            let mut status = status.clone();
            async move {
                tokio::time::timeout(std::time::Duration::from_secs(20), status.wait_for(want))
                    .await
                    .expect("the status changes")
                    .expect("the keeper runs")
                    .clone()
            }
        };
        until(|s| {
            *s == AwakeStatus::NotHeld {
                reason: NotHeldReason::OptionOff,
            }
        })
        .await;
        desk.set_config("keep-awake", "on").await.unwrap();
        until(|s| {
            *s == AwakeStatus::NotHeld {
                reason: NotHeldReason::NoConnection,
            }
        })
        .await;
        desk.add_connection_view("Okta", crate::connections::Provider::Okta)
            .await
            .unwrap();
        until(|s| matches!(s, AwakeStatus::Held { .. })).await;
        assert_eq!(inhibitor.held.load(Ordering::SeqCst), 1);
        desk.set_provider_enabled(crate::connections::Provider::Okta, false)
            .await
            .unwrap();
        until(|s| {
            *s == AwakeStatus::NotHeld {
                reason: NotHeldReason::OktaOff,
            }
        })
        .await;
        assert_eq!(inhibitor.held.load(Ordering::SeqCst), 0);
        desk.set_provider_enabled(crate::connections::Provider::Okta, true)
            .await
            .unwrap();
        until(|s| matches!(s, AwakeStatus::Held { .. })).await;
        endpoint.send_replace(EndpointStatus::PortInUse {
            listen: "127.0.0.1:1".into(),
        });
        until(|s| {
            *s == AwakeStatus::NotHeld {
                reason: NotHeldReason::EndpointStopped,
            }
        })
        .await;
        assert_eq!(inhibitor.held.load(Ordering::SeqCst), 0);
        endpoint.send_replace(EndpointStatus::Serving {
            listen: "127.0.0.1:1".into(),
        });
        until(|s| matches!(s, AwakeStatus::Held { .. })).await;
        keep.stop().await;
        assert_eq!(inhibitor.held.load(Ordering::SeqCst), 0);
        drop(endpoint);
        tokio::time::timeout(std::time::Duration::from_secs(20), task)
            .await
            .expect("the keeper ends after stop")
            .unwrap();
        desk.close().await;
    }
}
