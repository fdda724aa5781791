//! A stand-in for the desktop's notification server (`org.freedesktop.Notifications`, the
//! Desktop Notifications Specification), served with zbus on the test's private D-Bus session
//! bus — the one `scripts/with-keychain.sh` starts, which the app under test uses too. It records
//! every `Notify` call (the app name, summary, body and actions), and emits `ActionInvoked` as a
//! desktop does when the admin clicks a notification.
//!
//! One at a time holds the bus name: a test starts it while it holds the app's turn
//! ([`crate::app::one_at_a_time`]), before it launches the app, and drops it after.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::until;

/// The bus name, object path and interface of the specification.
pub const BUS_NAME: &str = "org.freedesktop.Notifications";
pub const PATH: &str = "/org/freedesktop/Notifications";
pub const INTERFACE: &str = "org.freedesktop.Notifications";

/// One `Notify` call, as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notified {
    /// The id the stand-in answered, which `ActionInvoked` names.
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    /// Action keys and labels, alternating, as the specification sends them.
    pub actions: Vec<String>,
}

impl Notified {
    /// Whether the notification offers the click on itself (the action `default`).
    pub fn offers_click(&self) -> bool {
        self.actions.chunks(2).any(|pair| pair[0] == "default")
    }
}

#[derive(Default)]
struct Server {
    calls: Arc<Mutex<Vec<Notified>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)] // the specification's signature
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let id = calls.len() as u32 + 1;
        calls.push(Notified {
            id,
            app_name,
            summary,
            body,
            actions,
        });
        id
    }

    fn close_notification(&self, _id: u32) {}

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "scimdesk-notifications-standin".into(),
            "scimdesk-tests".into(),
            "1.0".into(),
            "1.2".into(),
        )
    }
}

/// The stand-in, serving until dropped.
pub struct NotificationsStandin {
    connection: zbus::blocking::Connection,
    calls: Arc<Mutex<Vec<Notified>>>,
}

impl NotificationsStandin {
    /// Serves `org.freedesktop.Notifications` on the session bus (`DBUS_SESSION_BUS_ADDRESS`).
    pub fn start() -> NotificationsStandin {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no session bus: run the tests inside scripts/with-keychain.sh"
        );
        let server = Server::default();
        let calls = server.calls.clone();
        let connection = zbus::blocking::connection::Builder::session()
            .and_then(|b| b.serve_at(PATH, server))
            .and_then(|b| b.name(BUS_NAME))
            .and_then(|b| b.build())
            .unwrap_or_else(|e| {
                panic!("the notifications stand-in could not serve {BUS_NAME}: {e}")
            });
        NotificationsStandin { connection, calls }
    }

    /// Every `Notify` call so far, in order.
    pub fn calls(&self) -> Vec<Notified> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits until `n` notifications were received, and returns them all.
    #[track_caller]
    pub fn wait_for(&self, n: usize) -> Vec<Notified> {
        until(&format!("{n} notification(s) at the stand-in"), || {
            self.calls().len() >= n
        });
        self.calls()
    }

    /// The admin clicks notification `id` (`action` `default`) or one of its actions.
    pub fn invoke(&self, id: u32, action: &str) {
        self.connection
            .emit_signal(
                None::<&str>,
                PATH,
                INTERFACE,
                "ActionInvoked",
                &(id, action),
            )
            .expect("ActionInvoked sent");
    }
}
