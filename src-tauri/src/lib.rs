//! SCIM Desk's desktop shell: the window, the tray, and the IPC commands — all thin.
//!
//! At start it opens the data directory through the core ([`scimdesk::Desk`]) and starts the
//! embedded SCIM endpoint ([`scimdesk::endpoint::Endpoint`]). Core change events are forwarded to
//! the webview as `scimdesk://change`, so open pages follow Okta's pushes live. Closing the window
//! hides it: the app, and the endpoint Okta depends on, keep running in the tray until *Quit*.
//! A second launch shows the running one instead of starting another. Started by the system's
//! login entry (`--tray`, written when the admin turns on *Start SCIM Desk when I log in*), the
//! app starts in the tray without showing its window.

pub mod commands;
pub mod ipc;
#[cfg(test)]
mod ipc_tests;
mod notifications;
mod tray;

use std::path::PathBuf;
use std::sync::Arc;

use scimdesk::awake::{KeepAwake, SystemInhibitor};
use scimdesk::connections::keychain::OsKeychain;
use scimdesk::desk::{default_data_dir, ChangeEvent, DATA_DIR_ENV};
use scimdesk::endpoint::Endpoint;
use scimdesk::Desk;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WindowEvent};
use tokio::sync::broadcast::error::RecvError;

use commands::{AppState, SaveDialog, StartAtLogin, TEST_SAVE_PATH_ENV};

/// The event the UI listens to (part of the IPC contract).
pub use scimdesk::ipc::CHANGE_EVENT;
pub const MAIN_WINDOW: &str = "main";
/// The flag of the system's login entry: start in the tray, the window hidden.
pub const TRAY_FLAG: &str = "--tray";

/// Whether the app was started in the tray (`--tray`, by the login entry).
pub fn starts_in_tray(args: &[String]) -> bool {
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        if arg == "--data-dir" {
            it.next();
        } else if arg == TRAY_FLAG {
            return true;
        }
    }
    false
}

/// The arguments of the login entry: `--tray`, and the data directory when the app was given
/// one (so that the app started at login opens the directory the admin chose). A directory
/// whose path the entry cannot carry as one plain word is left out (the default is opened).
pub fn login_entry_args(args: &[String], env: Option<String>) -> Vec<String> {
    let mut out = vec![TRAY_FLAG.to_owned()];
    let explicit = data_dir_from(args, env).filter(|d| Some(d) != default_data_dir().as_ref());
    if let Some(dir) = explicit.and_then(|d| d.to_str().map(str::to_owned)) {
        let plain = !dir.is_empty()
            && !dir
                .chars()
                .any(|c| c.is_whitespace() || "\"'`$\\%;&|<>()".contains(c));
        if plain {
            out.push(format!("--data-dir={dir}"));
        } else {
            tracing::warn!("the data directory's path cannot be written into the login entry");
        }
    }
    out
}

/// The login entry through Tauri's autostart plugin.
struct Autostart(AppHandle);

impl StartAtLogin for Autostart {
    fn is_enabled(&self) -> Result<bool, String> {
        use tauri_plugin_autostart::ManagerExt;
        self.0.autolaunch().is_enabled().map_err(|e| e.to_string())
    }

    fn set(&self, enabled: bool) -> Result<(), String> {
        use tauri_plugin_autostart::ManagerExt;
        let manager = self.0.autolaunch();
        if enabled {
            manager.enable()
        } else {
            manager.disable()
        }
        .map_err(|e| e.to_string())
    }
}

/// `--data-dir DIR` (or `--data-dir=DIR`) on the command line, else `SCIMDESK_DATA_DIR`, else the
/// platform's data directory — the same contract as the CLI's.
pub fn data_dir_from(args: &[String], env: Option<String>) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        if arg == "--data-dir" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = arg.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(v));
        }
    }
    env.filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(default_data_dir)
}

/// What the app answers on the command line without opening a window: `--version` (the
/// package's version, as `scimdesk --version` gives it) and `--help`. `None`: start the app.
pub fn command_line_answer(args: &[String]) -> Option<String> {
    let version = format!("scimdesk-app {}", env!("CARGO_PKG_VERSION"));
    let mut it = args.iter().skip(1);
    // The value of `--data-dir` is a path, whatever it reads like.
    let mut flags = std::iter::from_fn(move || {
        let arg = it.next()?;
        if arg == "--data-dir" {
            it.next();
        }
        Some(arg)
    });
    flags.find_map(|arg| match arg.as_str() {
        "--version" | "-V" => Some(version.clone()),
        "--help" | "-h" => Some(format!(
            "{version}\nSCIM Desk: the desktop app Okta provisions employees into.\n\n\
             Usage: scimdesk-app [--data-dir DIR] [--tray]\n\n\
             Options:\n  \
             --data-dir DIR  the data directory (default: the platform's data directory / \
             io.scimdesk.desktop; or {DATA_DIR_ENV})\n  \
             --tray          start in the tray, the window hidden (as at login)\n  \
             -h, --help      print this help\n  \
             -V, --version   print the version\n\n\
             Without a window, run the endpoint with `scimdesk serve`."
        )),
        _ => None,
    })
}

/// Shows, unminimises and focuses the main window (tray *Open*, a second launch).
pub fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Forwards the core's change events to the webview until the app ends. When the UI falls
/// behind (a large import), it is told to reload everything once rather than event by event.
async fn forward_changes(app: AppHandle, desk: Desk) {
    let mut events = desk.subscribe();
    loop {
        let event = match events.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(_)) => ChangeEvent::Reload,
            Err(RecvError::Closed) => return,
        };
        if let Err(e) = app.emit(CHANGE_EVENT, &event) {
            tracing::warn!(error = %e, "could not forward a change to the window");
        }
    }
}

/// Opens the data directory, starts the endpoint, and puts both in the app's state.
fn start(app: &tauri::App, data_dir: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let desk = tauri::async_runtime::block_on(Desk::open(&data_dir, Arc::new(OsKeychain::new())))?;
    let endpoint = Arc::new(Endpoint::new(desk.clone()));
    let awake = KeepAwake::new();
    // Before anything that may raise a notice (the first beat finds the time the app was not
    // running): notices are only raised while the shell listens.
    notifications::show(app.handle(), desk.notices().subscribe());
    app.manage(AppState {
        desk: desk.clone(),
        endpoint: endpoint.clone(),
        export_grant: Default::default(),
        save_dialog: save_dialog(app.handle().clone()),
        start_at_login: Box::new(Autostart(app.handle().clone())),
        awake: awake.clone(),
    });
    // The sleep inhibitor, while the admin asks for it and Okta can provision.
    let (keeper, serving) = (desk.clone(), endpoint.watch());
    tauri::async_runtime::spawn(async move { awake.run(keeper, serving, SystemInhibitor).await });
    tauri::async_runtime::spawn(forward_changes(app.handle().clone(), desk.clone()));
    // The activity log is kept to its retention while the app runs, as `scimdesk serve` does.
    let pruner = desk.clone();
    tauri::async_runtime::spawn(async move { pruner.keep_activity_pruned().await });
    // A re-derive of employees after a mapping change that a restart interrupted goes on.
    let resumer = desk.clone();
    tauri::async_runtime::spawn(async move { resumer.resume_rederives() });
    // The heartbeat, as in `scimdesk serve`: the time the app was not running becomes known.
    let beater = desk.clone();
    tauri::async_runtime::spawn(async move { beater.keep_beating().await });
    // Reconciles with Okta on the schedule and after a reachability window, as `serve` does.
    let reconciler = desk.clone();
    tauri::async_runtime::spawn(async move { reconciler.keep_reconciling().await });
    // A `scimdesk` command run beside the app changes the same database: the window follows.
    tauri::async_runtime::spawn(async move {
        desk.follow_other_processes(std::time::Duration::from_secs(1))
            .await
    });
    tauri::async_runtime::spawn(async move {
        let status = endpoint.start().await;
        tracing::info!(?status, "endpoint");
    });
    // Logout (SIGTERM) or Ctrl-C in a terminal ends the app as *Quit* does (RunEvent::Exit).
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        scimdesk::endpoint::shutdown_signal().await;
        tracing::info!("asked to stop");
        handle.exit(0);
    });
    Ok(())
}

/// The system's save dialog, for the CSV export; under test (`SCIMDESK_TEST_SAVE_PATH` set at
/// start) it answers that path without opening, since WebDriver cannot drive a native dialog.
fn save_dialog(app: AppHandle) -> SaveDialog {
    use tauri_plugin_dialog::DialogExt;
    if let Some(path) = std::env::var_os(TEST_SAVE_PATH_ENV) {
        let path = PathBuf::from(path);
        return Box::new(move |_| {
            let path = path.clone();
            Box::pin(async move { Ok(Some(path)) })
        });
    }
    Box::new(move |name| {
        let (answer, answered) = tokio::sync::oneshot::channel();
        app.dialog()
            .file()
            .set_title("Export employees")
            .set_file_name(name)
            .add_filter("CSV", &["csv"])
            .save_file(move |path| {
                let _ = answer.send(path);
            });
        Box::pin(async move {
            match answered.await.ok().flatten() {
                Some(path) => path.into_path().map(Some).map_err(|e| {
                    scimdesk::views::AppError::new(format!(
                        "The chosen file cannot be written to: {e}"
                    ))
                }),
                None => Ok(None),
            }
        })
    })
}

pub fn run() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(answer) = command_line_answer(&args) {
        println!("{answer}");
        return;
    }
    // A line per SCIM request: gathered in memory and written by a thread of its own (see
    // `scimdesk::logwriter`), so serving Okta never waits on stderr. What is left is written at
    // exit.
    let (writer, log) = match scimdesk::logwriter::batched(std::io::stderr()) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("error: SCIM Desk could not start its log: {e}");
            std::process::exit(1);
        }
    };
    let log = std::sync::Mutex::new(Some(log));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SCIMDESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(writer)
        // Colours for a terminal only: a log redirected to a file stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let in_tray = starts_in_tray(&args);
    let entry_args = login_entry_args(&args, std::env::var(DATA_DIR_ENV).ok());
    let Some(data_dir) = data_dir_from(&args, std::env::var(DATA_DIR_ENV).ok()) else {
        eprintln!("error: no data directory could be found for this user; pass --data-dir DIR");
        std::process::exit(1);
    };

    let app = tauri::Builder::default()
        // First, so that a second launch is stopped before it opens anything.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            show_main_window(app)
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        // Called from Rust only (`set_start_at_login`); the webview is granted none of its
        // commands. The entry starts the app in the tray.
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args(entry_args)
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(ipc::handler())
        .setup(move |app| {
            if let Err(e) = start(app, data_dir.clone()) {
                use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
                let message = format!("SCIM Desk could not start.\n\n{e}");
                eprintln!("error: {e}");
                app.dialog()
                    .message(message)
                    .title("SCIM Desk")
                    .kind(MessageDialogKind::Error)
                    .blocking_show();
                return Err(e);
            }
            tray::create(app.handle())?;
            // The window is created hidden (tauri.conf.json): shown now, unless started at login.
            if !in_tray {
                show_main_window(app.handle());
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps the endpoint Okta depends on running in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == MAIN_WINDOW {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: SCIM Desk could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(move |app, event| {
        if let RunEvent::Exit = event {
            // Stop serving and stop the tunnel (cloudflared is a child) before the process ends,
            // then let the database's writer finish and write its log back into the database.
            if let Some(state) = app.try_state::<AppState>() {
                let (endpoint, desk) = (state.endpoint.clone(), state.desk.clone());
                let awake = state.awake.clone();
                tauri::async_runtime::block_on(async move {
                    // The computer may sleep again as soon as the admin quits.
                    awake.stop().await;
                    endpoint.stop().await;
                    desk.stop_beating().await;
                    desk.close().await;
                });
            }
            // Tauri ends the process after this: the log's last lines are written now.
            drop(log.lock().unwrap_or_else(|p| p.into_inner()).take());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_dir_comes_from_the_flag_then_the_environment() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            data_dir_from(&args(&["app", "--data-dir", "/d"]), Some("/e".into())),
            Some(PathBuf::from("/d"))
        );
        assert_eq!(
            data_dir_from(&args(&["app", "--data-dir=/d2"]), None),
            Some(PathBuf::from("/d2"))
        );
        assert_eq!(
            data_dir_from(&args(&["app"]), Some("/e".into())),
            Some(PathBuf::from("/e"))
        );
        assert_eq!(data_dir_from(&args(&["app"]), None), default_data_dir());
    }

    #[test]
    fn version_and_help_are_answered_without_a_window() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let version = format!("scimdesk-app {}", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            command_line_answer(&args(&["app", "--version"])),
            Some(version.clone())
        );
        assert_eq!(
            command_line_answer(&args(&["app", "--data-dir", "/d", "-V"])),
            Some(version)
        );
        let help = command_line_answer(&args(&["app", "--help"])).unwrap();
        assert!(help.contains("--data-dir DIR"), "{help}");
        // A data directory that happens to be called --version is a path, not a flag.
        assert_eq!(
            command_line_answer(&args(&["app", "--data-dir", "--version"])),
            None
        );
        assert_eq!(command_line_answer(&args(&["app"])), None);
        assert_eq!(command_line_answer(&args(&["app", "--tray"])), None);
    }

    #[test]
    fn the_login_entry_starts_the_app_in_the_tray_on_the_same_data_directory() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(starts_in_tray(&args(&["app", "--tray"])));
        assert!(starts_in_tray(&args(&[
            "app",
            "--data-dir",
            "/d",
            "--tray"
        ])));
        assert!(!starts_in_tray(&args(&["app"])));
        // A data directory called --tray is a path, not the flag.
        assert!(!starts_in_tray(&args(&["app", "--data-dir", "--tray"])));

        assert_eq!(
            login_entry_args(&args(&["app", "--data-dir", "/srv/scimdesk"]), None),
            vec!["--tray", "--data-dir=/srv/scimdesk"]
        );
        assert_eq!(
            login_entry_args(&args(&["app"]), Some("/e".into())),
            vec!["--tray", "--data-dir=/e"]
        );
        assert_eq!(login_entry_args(&args(&["app"]), None), vec!["--tray"]);
        // A path the entry's command line cannot carry as one word: the default directory.
        assert_eq!(
            login_entry_args(&args(&["app", "--data-dir", "/home/a b/x"]), None),
            vec!["--tray"]
        );
    }
}
