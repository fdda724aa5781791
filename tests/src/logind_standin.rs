//! A STAND-IN for systemd-logind, for machines that have none (containers, CI): not logind, but
//! the two methods of its `org.freedesktop.login1.Manager` interface that SCIM Desk's sleep
//! inhibitor touches, served on a private D-Bus bus of the test's own (`dbus-daemon --session`
//! on a socket in a temporary directory), under logind's well-known name and object path.
//!
//! - `Inhibit(what, who, why, mode)` answers one end of a fresh socket pair and keeps the other:
//!   the lock lasts while the caller holds its end, exactly as with logind. When every copy of
//!   the caller's end is closed (it let go, quit, or was killed) the kept end reads end-of-file,
//!   and the inhibitor is gone from the list.
//! - `ListInhibitors()` answers `a(ssssuu)` (what, who, why, mode, uid, pid), as logind does
//!   (`systemd-inhibit --list` prints it).
//!
//! [`Logind::find`] uses the real logind on the system bus when it answers, and this stand-in
//! otherwise; [`Logind::which`] says which, for the test to print.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use zbus::zvariant::OwnedFd;

/// One inhibitor as `ListInhibitors` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inhibitor {
    pub what: String,
    pub who: String,
    pub why: String,
    pub mode: String,
    pub uid: u32,
    pub pid: u32,
}

type Row = (String, String, String, String, u32, u32);

/// Where the inhibitors are asked for: the real logind, or the stand-in.
pub struct Logind {
    rt: tokio::runtime::Runtime,
    client: zbus::Connection,
    standin: Option<Standin>,
}

struct Standin {
    daemon: Child,
    address: String,
    _server: zbus::Connection,
    _dir: tempfile::TempDir,
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

struct Manager {
    held: Arc<Mutex<Vec<(u64, Inhibitor)>>>,
    next: u64,
}

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Manager {
    async fn inhibit(
        &mut self,
        what: String,
        who: String,
        why: String,
        mode: String,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(connection)] connection: &zbus::Connection,
    ) -> zbus::fdo::Result<OwnedFd> {
        let (kept, given) =
            UnixStream::pair().map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        let (uid, pid) = match header.sender() {
            Some(sender) => {
                let bus = zbus::fdo::DBusProxy::new(connection).await?;
                let name = zbus::names::BusName::from(sender.to_owned());
                (
                    bus.get_connection_unix_user(name.clone())
                        .await
                        .unwrap_or(0),
                    bus.get_connection_unix_process_id(name).await.unwrap_or(0),
                )
            }
            None => (0, 0),
        };
        self.next += 1;
        let id = self.next;
        self.held.lock().unwrap().push((
            id,
            Inhibitor {
                what,
                who,
                why,
                mode,
                uid,
                pid,
            },
        ));
        // The lock ends when the caller's end is closed everywhere: `kept` then reads EOF.
        let held = self.held.clone();
        kept.set_nonblocking(true)
            .map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        let kept = tokio::net::UnixStream::from_std(kept)
            .map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut kept = kept;
            let mut buf = [0u8; 16];
            while let Ok(n) = kept.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
            held.lock().unwrap().retain(|(i, _)| *i != id);
        });
        Ok(OwnedFd::from(std::os::fd::OwnedFd::from(given)))
    }

    async fn list_inhibitors(&self) -> Vec<Row> {
        self.held
            .lock()
            .unwrap()
            .iter()
            .map(|(_, i)| {
                (
                    i.what.clone(),
                    i.who.clone(),
                    i.why.clone(),
                    i.mode.clone(),
                    i.uid,
                    i.pid,
                )
            })
            .collect()
    }
}

impl Logind {
    /// The real logind when the system bus has one; else a stand-in on a private bus.
    pub fn find() -> Logind {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for D-Bus");
        let real = rt.block_on(async {
            let system = zbus::Connection::system().await.ok()?;
            let bus = zbus::fdo::DBusProxy::new(&system).await.ok()?;
            let name = zbus::names::BusName::try_from("org.freedesktop.login1").ok()?;
            bus.name_has_owner(name).await.ok()?.then_some(system)
        });
        match real {
            Some(client) => Logind {
                rt,
                client,
                standin: None,
            },
            None => Logind::standin_on(rt),
        }
    }

    /// A stand-in on a private bus, even where a real logind runs.
    pub fn standin() -> Logind {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for D-Bus");
        Logind::standin_on(rt)
    }

    fn standin_on(rt: tokio::runtime::Runtime) -> Logind {
        let dir = tempfile::tempdir().expect("a directory for the private bus");
        let listen = format!("unix:path={}", dir.path().join("bus").display());
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address={listen}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is needed for the stand-in logind (Debian package dbus)");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().expect("piped stdout"))
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        let address = address.trim().to_owned();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        let manager = Manager {
            held: Arc::default(),
            next: 0,
        };
        let (server, client) = rt.block_on(async {
            let server = zbus::connection::Builder::address(address.as_str())
                .expect("the private bus's address")
                .name("org.freedesktop.login1")
                .expect("logind's name")
                .serve_at("/org/freedesktop/login1", manager)
                .expect("logind's object")
                .build()
                .await
                .expect("the stand-in logind on the private bus");
            let client = zbus::connection::Builder::address(address.as_str())
                .expect("the private bus's address")
                .build()
                .await
                .expect("a client of the private bus");
            (server, client)
        });
        Logind {
            rt,
            client,
            standin: Some(Standin {
                daemon,
                address,
                _server: server,
                _dir: dir,
            }),
        }
    }

    /// Which logind this is, for the test's output.
    pub fn which(&self) -> &'static str {
        match self.standin {
            Some(_) => {
                "the STAND-IN logind on a private D-Bus bus (this machine has no systemd-logind)"
            }
            None => "the real systemd-logind on the system bus",
        }
    }

    /// The environment that points SCIM Desk at this logind: the stand-in's bus address (the
    /// real one is on the system bus, where SCIM Desk looks by default).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        match &self.standin {
            Some(s) => vec![("SCIMDESK_LOGIND_BUS_ADDRESS", s.address.clone())],
            None => vec![],
        }
    }

    /// `ListInhibitors()` over D-Bus, as `systemd-inhibit --list` asks it.
    pub fn inhibitors(&self) -> Vec<Inhibitor> {
        self.rt.block_on(async {
            let reply = self
                .client
                .call_method(
                    Some("org.freedesktop.login1"),
                    "/org/freedesktop/login1",
                    Some("org.freedesktop.login1.Manager"),
                    "ListInhibitors",
                    &(),
                )
                .await
                .expect("ListInhibitors answers");
            let rows: Vec<Row> = reply.body().deserialize().expect("a(ssssuu)");
            rows.into_iter()
                .map(|(what, who, why, mode, uid, pid)| Inhibitor {
                    what,
                    who,
                    why,
                    mode,
                    uid,
                    pid,
                })
                .collect()
        })
    }

    /// The inhibitors SCIM Desk holds (by the name it gives).
    pub fn scim_desk_inhibitors(&self) -> Vec<Inhibitor> {
        self.inhibitors()
            .into_iter()
            .filter(|i| i.who == "SCIM Desk")
            .collect()
    }
}
