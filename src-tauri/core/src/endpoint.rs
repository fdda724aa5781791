//! The embedded endpoint as the desktop app runs it: started with the app, moved to another port
//! when the admin asks, stopped on quit — with a status the app can show.
//!
//! `scimdesk serve` runs the same server and tunnel supervisor in the foreground; this is the
//! long-lived, restartable form, where a taken port is a state to show rather than an exit.

use std::net::SocketAddr;

use serde::Serialize;
use tokio::sync::{oneshot, watch, Mutex};
use tokio::task::JoinHandle;

use crate::desk::{Desk, DeskError};
use crate::events::ChangeEvent;
use crate::reachability::Cause;
use crate::server::{self, Overrides, ServeError};
use crate::tunnel::manager::{Backoff, TunnelSupervisor, SETTING_POLL};
use crate::tunnel::TunnelState;

/// What the app shows about its endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EndpointStatus {
    Starting {
        listen: String,
    },
    Serving {
        listen: String,
    },
    /// Another program (or another SCIM Desk) holds the port: the admin picks another. (A state,
    /// not a sentence: the app words it.)
    PortInUse {
        listen: String,
    },
    Failed {
        listen: String,
        message: String,
    },
}

impl EndpointStatus {
    pub fn is_serving(&self) -> bool {
        matches!(self, EndpointStatus::Serving { .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("{0} is not a port SCIM Desk can use: choose a number from 1024 to 65535")]
    BadPort(u32),
    #[error("{0}")]
    Listen(#[from] ServeError),
    #[error("{0}")]
    Desk(#[from] DeskError),
}

struct Running {
    listen: SocketAddr,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<Result<(), ServeError>>,
    tunnel: Option<TunnelSupervisor>,
}

/// The endpoint Okta depends on, owned by the app for as long as it runs.
pub struct Endpoint {
    desk: Desk,
    running: Mutex<Option<Running>>,
    status: watch::Sender<EndpointStatus>,
}

impl Endpoint {
    pub fn new(desk: Desk) -> Endpoint {
        let (status, _) = watch::channel(EndpointStatus::Starting {
            listen: String::new(),
        });
        Endpoint {
            desk,
            running: Mutex::new(None),
            status,
        }
    }

    pub fn status(&self) -> EndpointStatus {
        self.status.borrow().clone()
    }

    pub fn watch(&self) -> watch::Receiver<EndpointStatus> {
        self.status.subscribe()
    }

    /// The address it listens on while serving.
    pub async fn local_addr(&self) -> Option<SocketAddr> {
        self.running.lock().await.as_ref().map(|r| r.listen)
    }

    /// Starts serving on the configured listen address. A taken port is not an error here: it
    /// becomes the `port_in_use` status, which the app turns into a question for the admin.
    pub async fn start(&self) -> EndpointStatus {
        let mut running = self.running.lock().await;
        if let Some(r) = running.take() {
            stop(r).await;
        }
        let listen = match self.desk.config().await {
            // An address other machines reach is served only with the admin's permission.
            Ok(c) => match crate::config::check_listen(c.listen, c.allow_remote) {
                Ok(listen) => listen,
                Err(e) => {
                    return self
                        .set(EndpointStatus::Failed {
                            listen: c.listen.to_string(),
                            message: e.to_string(),
                        })
                        .await
                }
            },
            Err(e) => {
                return self
                    .set(EndpointStatus::Failed {
                        listen: String::new(),
                        message: e.to_string(),
                    })
                    .await
            }
        };
        self.set(EndpointStatus::Starting {
            listen: listen.to_string(),
        })
        .await;
        match server::bind(listen).await {
            Ok(listener) => {
                let r = self.run(listener).await;
                let status = EndpointStatus::Serving {
                    listen: r.listen.to_string(),
                };
                *running = Some(r);
                self.set(status).await
            }
            Err(e) => self.set(failure(listen, e)).await,
        }
    }

    /// Moves the endpoint to `port` on the same address. The new port is bound before the old
    /// one is let go, so a failure leaves the endpoint serving where it was. The app's port
    /// picker takes a port only: an address other machines reach stays one only where the admin
    /// allowed it (`config set listen ADDR --allow-remote`), and is refused otherwise.
    pub async fn change_port(&self, port: u32) -> Result<EndpointStatus, EndpointError> {
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p >= 1024)
            .ok_or(EndpointError::BadPort(port))?;
        let mut running = self.running.lock().await;
        let config = self.desk.config().await?;
        let addr = SocketAddr::new(config.listen.ip(), port);
        crate::config::check_listen(addr, config.allow_remote).map_err(DeskError::from)?;
        let listener = server::bind(addr).await?;
        self.desk
            .set_listen(&addr.to_string(), config.allow_remote)
            .await?;
        if let Some(r) = running.take() {
            stop(r).await;
        }
        let r = self.run(listener).await;
        let status = EndpointStatus::Serving {
            listen: r.listen.to_string(),
        };
        *running = Some(r);
        Ok(self.set(status).await)
    }

    /// Stops the server and the tunnel, waiting until both are gone (on quit).
    pub async fn stop(&self) {
        if let Some(r) = self.running.lock().await.take() {
            stop(r).await;
        }
    }

    async fn run(&self, listener: tokio::net::TcpListener) -> Running {
        let listen = listener.local_addr().unwrap_or_else(|_| {
            // Only a socket the OS has already closed has no address; serve anyway.
            SocketAddr::from(([127, 0, 0, 1], 0))
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let desk = self.desk.clone();
        let server = tokio::spawn(async move {
            server::serve(desk, Overrides::default(), listener, async {
                let _ = stopped.await;
            })
            .await
        });
        let tunnel = match TunnelSupervisor::start(
            self.desk.tunnel(),
            listen,
            Backoff::default(),
            SETTING_POLL,
        )
        .await
        {
            Ok(t) => Some(t),
            Err(e) => {
                // The endpoint serves anyway: the tunnel panel shows why Okta can't reach it.
                let failed = TunnelState::Failed {
                    reason: e.to_string(),
                    retry_at: None,
                };
                if let Err(e) = self.desk.tunnel().record_state(&failed).await {
                    tracing::warn!(error = %e, "could not record the tunnel's failure");
                }
                None
            }
        };
        Running {
            listen,
            shutdown,
            server,
            tunnel,
        }
    }

    async fn set(&self, status: EndpointStatus) -> EndpointStatus {
        self.status.send_replace(status.clone());
        // A taken port keeps Okta out as surely as a stopped app: a reachability window,
        // written before the change is announced so that the app reads it with the status.
        let taken = match &status {
            EndpointStatus::PortInUse { .. } => Some(true),
            EndpointStatus::Serving { .. } => Some(false),
            EndpointStatus::Starting { .. } | EndpointStatus::Failed { .. } => None,
        };
        if let Some(taken) = taken {
            let now = time::OffsetDateTime::now_utc();
            let reachability = self.desk.reachability();
            if let Err(e) = reachability.condition(Cause::PortTaken, taken, now).await {
                tracing::warn!(error = %e, "could not record the port's reachability window");
            }
        }
        self.desk.notify(ChangeEvent::Endpoint);
        status
    }
}

async fn stop(r: Running) {
    if let Some(t) = r.tunnel {
        t.stop().await;
    }
    let _ = r.shutdown.send(());
    match r.server.await {
        Ok(Err(e)) => tracing::warn!(error = %e, "the endpoint stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "the endpoint's task failed"),
        Ok(Ok(())) => {}
    }
}

fn failure(listen: SocketAddr, e: ServeError) -> EndpointStatus {
    match e {
        ServeError::AddressInUse(_) => EndpointStatus::PortInUse {
            listen: listen.to_string(),
        },
        other => EndpointStatus::Failed {
            listen: listen.to_string(),
            message: other.to_string(),
        },
    }
}

/// Resolves when the process is asked to stop: SIGTERM (the session ending at logout, a service
/// manager) or Ctrl-C. `serve` and the desktop app then stop serving, write the database's log
/// back and write the request log's last lines, instead of dying in the middle.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
