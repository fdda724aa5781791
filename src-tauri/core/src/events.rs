//! What changed: the vocabulary in which the directory, the connections, the tunnel and the
//! endpoint tell the app (and the app its pages) to read again. A leaf module: everything that
//! changes something names it, and it names nothing of theirs.

/// What changed in the directory; the shell forwards these to the webview.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeEvent {
    Employee {
        id: String,
    },
    Group {
        id: String,
    },
    Activity {
        connection_id: Option<String>,
    },
    Connections,
    /// The tunnel's state or the public URL changed.
    Tunnel,
    /// The embedded endpoint started, stopped, or could not listen.
    Endpoint,
    /// A setting changed (the Okta integration turned on or off, the listen address).
    Settings,
    /// The disk holding the data directory filled up (writes fail), or has room again.
    Disk,
    /// A reachability window was recorded, opened, closed or dismissed.
    Reachability,
    /// The sleep inhibitor was taken, let go, or could not be taken (`awake`).
    Awake,
    /// A reconcile with Okta started, made progress, or ended, for this connection.
    Reconcile {
        connection_id: String,
    },
    /// A reconcile dry run found drift (sent once at its end, beside `Reconcile`): the hook for
    /// a notification. `trigger` is `manual`, `schedule` or `after_window`.
    ReconcileDrift {
        connection_id: String,
        trigger: String,
        missing_here: u64,
        stale_here: u64,
        should_be_deactivated: u64,
        unknown_to_okta: u64,
    },
    /// A desktop notification was shown, or notifications were turned on or off.
    Notifications,
    /// A CSV export of employees is under way: `written` of `total` rows so far (sent when it
    /// starts, every 10,000 rows, and with `done` once the file is in place). Nothing to reload:
    /// the Employees page shows it as a progress bar.
    Export {
        written: u64,
        total: u64,
        done: bool,
    },
    /// Employees' fields are being derived again from their stored documents after `provider`'s
    /// attribute mapping changed: `done` of `total` so far (sent when it starts, after every
    /// batch, and with `finished` at the end). Employee pages read again.
    Rederive {
        provider: crate::connections::Provider,
        done: u64,
        total: u64,
        finished: bool,
    },
    /// Anything may have changed: the database moved without an event saying what (another
    /// process, such as a `scimdesk` command run beside the app), or events were missed. Pages
    /// reload what they show.
    Reload,
}
