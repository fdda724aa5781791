//! The desktop app driven the way the admin drives it: the real `scimdesk-app` binary in its real
//! webview (WebKitGTK), through `tauri-driver` and `WebKitWebDriver`, on a private Xvfb display,
//! with the real keychain of the test session.
//!
//! Every screen a test passes through can be saved as a screenshot under
//! `target/e2e-screenshots/<test>/`, to be looked at as the admin would; each is also checked
//! with axe-core in the real webview, and a serious or critical accessibility violation fails
//! the test.
//!
//! Only one app runs at a time (one automated window, and the app is single-instance): [`App`]
//! holds a process-wide lock for its lifetime.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::{free_port, target_dir, within, workspace_root, Desk};

/// How long the UI may take to show what a test waits for: the harness's ceiling, since a page
/// on a loaded machine (a cold webview, a list of thousands) can take many seconds.
pub const UI_TIMEOUT: Duration = crate::WAIT_CEILING;

/// The app executable: `$SCIMDESK_APP_BIN`, else the workspace's debug build (which the test
/// command builds, after the UI, before the tests).
pub fn app_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("SCIMDESK_APP_BIN") {
        return PathBuf::from(bin);
    }
    let bin = target_dir()
        .join("debug")
        .join(format!("scimdesk-app{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} does not exist: build the UI and the app first (`npm --prefix ui run build && cargo \
         build -p scimdesk-app`), or run scripts/test.sh",
        bin.display()
    );
    assert!(
        workspace_root().join("ui/dist/index.html").is_file(),
        "ui/dist is missing: `npm --prefix ui run build` first"
    );
    bin
}

/// A private X display for the whole test process (`Xvfb -displayfd`).
struct Display {
    name: String,
    pid: u32,
}

/// The test display (`:N`), for other X clients of the tests (xclip).
pub fn display_name() -> &'static str {
    &display().name
}

/// The process id of the test display's Xvfb.
pub fn display_pid() -> u32 {
    display().pid
}

/// Starts Xvfb once per test process, on a thread of its own that waits for it. On Linux the
/// kernel ends Xvfb when that thread ends, and it ends only with the process: a test run (even
/// one killed, or panicking) leaves no X server behind. The death signal follows the thread
/// that spawned the child, so it cannot be a test's own thread, which ends with the test.
fn display() -> &'static Display {
    static DISPLAY: OnceLock<Display> = OnceLock::new();
    DISPLAY.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("xvfb".into())
            .spawn(move || {
                let mut command = Command::new("Xvfb");
                command
                    .args([
                        "-displayfd",
                        "1",
                        "-screen",
                        "0",
                        "1280x820x24",
                        "-nolisten",
                        "tcp",
                    ])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null());
                die_with_this_thread(&mut command);
                let mut xvfb = command
                    .spawn()
                    .expect("Xvfb is needed for the app's tests (Debian package xvfb)");
                let mut line = String::new();
                BufReader::new(xvfb.stdout.take().expect("piped stdout"))
                    .read_line(&mut line)
                    .expect("Xvfb tells its display number");
                let display = Display {
                    name: format!(":{}", line.trim()),
                    pid: xvfb.id(),
                };
                // Nobody to tell only if the starting test died meanwhile; Xvfb is still ours.
                let _ = tx.send(display);
                let _ = xvfb.wait();
            })
            .expect("a thread for Xvfb");
        rx.recv().expect("Xvfb started")
    })
}

fn die_with_this_thread(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches only the child being set up.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = command;
    }
}

/// The turn to run the app: held by [`App`], and by a test that starts the app without WebDriver.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running app and a WebDriver session on its window. Quits the app when dropped.
pub struct App {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    shots: PathBuf,
    shot: std::cell::Cell<u32>,
    /// `None` only once [`App::quit_keeping_turn`] took it.
    turn: Option<MutexGuard<'static, ()>>,
}

impl App {
    /// Starts the app on `desk`'s data directory, listening on a free port, and waits until its
    /// first screen is shown. `test` names the screenshot folder.
    pub fn launch(desk: &Desk, test: &str) -> App {
        let port = free_port();
        desk.cli_ok(&["config", "set", "listen", &format!("127.0.0.1:{port}")]);
        App::launch_as_is(desk, test)
    }

    /// [`App::launch`] with extra environment variables for the app (its test seams).
    pub fn launch_with_env(desk: &Desk, test: &str, envs: &[(&str, &Path)]) -> App {
        let port = free_port();
        desk.cli_ok(&["config", "set", "listen", &format!("127.0.0.1:{port}")]);
        App::start(desk, test, &app_binary(), envs, None)
    }

    /// [`App::launch_with_env`] in the turn the test already took ([`one_at_a_time`]), having
    /// started first what must be there before the app is (the notifications stand-in, which
    /// no other test's app may reach meanwhile).
    pub fn launch_in_turn(
        turn: MutexGuard<'static, ()>,
        desk: &Desk,
        test: &str,
        envs: &[(&str, &Path)],
    ) -> App {
        let port = free_port();
        desk.cli_ok(&["config", "set", "listen", &format!("127.0.0.1:{port}")]);
        App::start(desk, test, &app_binary(), envs, Some(turn))
    }

    /// Starts the app without touching the data directory's settings first.
    pub fn launch_as_is(desk: &Desk, test: &str) -> App {
        App::launch_binary(desk, test, &app_binary())
    }

    /// Starts the app executable `bin` (an installed package's, say) on `desk`'s data
    /// directory as it is, and waits until its first screen is shown.
    pub fn launch_binary(desk: &Desk, test: &str, bin: &Path) -> App {
        App::start(desk, test, bin, &[], None)
    }

    fn start(
        desk: &Desk,
        test: &str,
        bin: &Path,
        envs: &[(&str, &Path)],
        turn: Option<MutexGuard<'static, ()>>,
    ) -> App {
        let turn = turn.unwrap_or_else(one_at_a_time);
        let display = display_name();
        let port = free_port();
        let native_port = free_port();
        let driver = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", display)
            .env_remove("SCIMDESK_DATA_DIR")
            // No GPU on these machines; WebKit's compositing needs none for screenshots.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            // The driver starts the app: it inherits these.
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver is needed for the app's tests (`cargo install tauri-driver`)");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let status = format!("http://127.0.0.1:{port}/status");
        // The native driver starts after tauri-driver listens: wait for both.
        crate::until("tauri-driver and WebKitWebDriver are ready", || {
            reqwest::blocking::get(&status)
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true))
        });
        let mut caps = serde_json::Map::new();
        // A single-page app: clicks change the hash route and load nothing, so WebDriver must
        // not wait for a page load after them (WebKit's would never come).
        caps.insert("pageLoadStrategy".into(), json!("none"));
        caps.insert(
            "tauri:options".into(),
            json!({
                "application": bin,
                "args": ["--data-dir", desk.data_dir()],
            }),
        );
        let client = rt
            .block_on(
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps)
                    .connect(&format!("http://127.0.0.1:{port}")),
            )
            .expect("a WebDriver session on the app");
        let shots = target_dir().join("e2e-screenshots").join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("screenshot folder");
        let app = App {
            rt,
            client: Some(client),
            driver,
            shots,
            shot: std::cell::Cell::new(0),
            turn: Some(turn),
        };
        app.wait_for("app-ready");
        app
    }

    /// Quits the app and keeps the turn, to start it again ([`App::launch_in_turn`]) with no
    /// other test's app in between.
    pub fn quit_keeping_turn(mut self) -> MutexGuard<'static, ()> {
        let turn = self.turn.take().expect("the app's turn");
        drop(self);
        turn
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }

    /// `[data-testid="id"]`.
    pub fn css(id: &str) -> String {
        format!("[data-testid=\"{id}\"]")
    }

    /// Waits until an element with this test id is in the page, and returns it.
    pub fn wait_for(&self, id: &str) -> Element {
        self.wait_for_css(&App::css(id))
    }

    pub fn wait_for_css(&self, css: &str) -> Element {
        let found = within(UI_TIMEOUT, || {
            self.rt
                .block_on(self.client().find(Locator::Css(css)))
                .map_err(|e| e.to_string())
        });
        found.unwrap_or_else(|last| {
            self.screenshot(&format!("missing-{}", sanitize(css)));
            panic!("`{css}` did not appear within {UI_TIMEOUT:?}\nlast seen: {last}");
        })
    }

    /// Waits until `check` holds, re-evaluating it (it reads the page).
    pub fn wait_until(&self, what: &str, mut check: impl FnMut(&App) -> bool) {
        let seen = within(UI_TIMEOUT, || if check(self) { Ok(()) } else { Err(()) });
        if seen.is_err() {
            self.screenshot(&format!("timeout-{}", sanitize(what)));
            panic!("{what}: not seen within {UI_TIMEOUT:?}");
        }
    }

    pub fn all(&self, id: &str) -> Vec<Element> {
        self.all_css(&App::css(id))
    }

    pub fn all_css(&self, css: &str) -> Vec<Element> {
        self.rt
            .block_on(self.client().find_all(Locator::Css(css)))
            .unwrap_or_default()
    }

    pub fn exists(&self, id: &str) -> bool {
        !self.all(id).is_empty()
    }

    pub fn click(&self, id: &str) {
        let e = self.wait_for(id);
        self.click_element(&e);
    }

    /// Clicks `e` once nothing covers it: a dialog still closing or a toast over it takes the
    /// click (WebDriver's "element click intercepted"), so the click waits for them to go, as a
    /// person would. Any other failure fails the test at once.
    pub fn click_element(&self, e: &Element) {
        crate::eventually("the element to be uncovered and clicked", || {
            match self.rt.block_on(e.click()) {
                Ok(()) => Ok(()),
                Err(err) if format!("{err:?}").contains("ElementClickIntercepted") => {
                    Err(format!("{err:?}"))
                }
                Err(err) => panic!("click: {err:?}"),
            }
        })
    }

    /// Replaces the text of an input, as typing does (React sees each key). WebDriver's
    /// `clear` alone does not reach a controlled input's state, so the old text is selected and
    /// deleted with the keyboard first; if the field still does not read exactly `text`, its
    /// value is set the way the browser's own input would and an `input` event is sent.
    pub fn type_into(&self, id: &str, text: &str) {
        let e = self.wait_for(id);
        // Ctrl+A, release, Backspace.
        self.rt
            .block_on(e.send_keys("\u{E009}a\u{E000}\u{E003}"))
            .expect("select and delete");
        self.rt.block_on(e.send_keys(text)).expect("type");
        let value = self.rt.block_on(e.prop("value")).ok().flatten();
        if value.as_deref() != Some(text) {
            self.eval(
                "const [el, text] = arguments;
                 const setter = Object.getOwnPropertyDescriptor(
                   Object.getPrototypeOf(el), 'value').set;
                 setter.call(el, text);
                 el.dispatchEvent(new Event('input', {bubbles: true}));
                 return true;",
                vec![serde_json::to_value(&e).expect("element"), json!(text)],
            );
        }
    }

    /// Presses keys in an element (`"\u{E007}"` is Enter, `"\u{E00C}"` Escape).
    pub fn keys(&self, id: &str, keys: &str) {
        let e = self.wait_for(id);
        self.rt.block_on(e.send_keys(keys)).expect("keys");
    }

    /// Sends keys (WebDriver key codes for special keys) to the element matching `css`.
    pub fn keys_css(&self, css: &str, keys: &str) {
        let e = self.wait_for_css(css);
        self.rt.block_on(e.send_keys(keys)).expect("keys");
    }

    pub fn text(&self, id: &str) -> String {
        let e = self.wait_for(id);
        self.text_of(&e)
    }

    pub fn text_of(&self, e: &Element) -> String {
        self.rt.block_on(e.text()).unwrap_or_default()
    }

    pub fn attr(&self, e: &Element, name: &str) -> Option<String> {
        self.rt.block_on(e.attr(name)).ok().flatten()
    }

    pub fn find_in(&self, parent: &Element, id: &str) -> Element {
        self.rt
            .block_on(parent.find(Locator::Css(&App::css(id))))
            .unwrap_or_else(|e| panic!("no `{id}` inside the element: {e}"))
    }

    /// Runs JavaScript in the page and returns its result.
    pub fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.rt
            .block_on(self.client().execute(script, args))
            .expect("script")
    }

    /// Calls an IPC command as the UI does (for what WebDriver cannot click, such as a native
    /// save dialog), and returns its result or its error.
    pub fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let out = self
            .rt
            .block_on(self.client().execute_async(
                "const [cmd, args, done] = arguments;
                 window.__TAURI_INTERNALS__.invoke(cmd, args)
                   .then(v => done({ok: v === undefined ? null : v}), e => done({err: e}));",
                vec![json!(command), args],
            ))
            .expect("invoke");
        match out.get("err") {
            Some(e) => Err(e.clone()),
            None => Ok(out["ok"].clone()),
        }
    }

    /// Navigates inside the app (hash routes).
    pub fn go(&self, route: &str) {
        self.eval(
            "window.location.hash = arguments[0]; return true;",
            vec![json!(route)],
        );
    }

    /// Saves a screenshot of the display (the app's window fills it) as `NN-name.png`, and checks
    /// the screen's accessibility ([`App::check_accessibility`]).
    ///
    /// Taken from the X server (ImageMagick's `import`), not through WebDriver: WebKit's
    /// WebDriver screenshot waits for a repaint that a still page under Xvfb may never do.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let path = self.capture(name);
        self.check_accessibility(name);
        path
    }

    /// Runs axe-core (the UI's npm package, injected into the page) on the screen as it is now,
    /// and fails with what it found when a violation is serious or critical (WCAG A and AA, and
    /// axe's best practices of that weight).
    pub fn check_accessibility(&self, screen: &str) {
        // Colours are judged as they settle: a toast still fading in is half transparent, and
        // its contrast then is not the one the admin reads. (Endless animations, a spinner's,
        // are not waited for.)
        self.wait_until("the screen's transitions have ended", |app| {
            app.eval(
                "return document.getAnimations().filter((a) => a.playState === 'running' \
                   && a.effect && a.effect.getTiming().iterations !== Infinity).length === 0;",
                vec![],
            ) == json!(true)
        });
        self.eval(
            &format!("if (!window.axe) {{\n{}\n}}\nreturn true;", axe_source()),
            vec![],
        );
        let found = self
            .rt
            .block_on(self.client().execute_async(
                "const done = arguments[arguments.length - 1];
                 window.axe.run(document, { resultTypes: ['violations'] }).then(
                   (r) => done(r.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => ({ rule: v.id, impact: v.impact, help: v.help,
                                    nodes: v.nodes.slice(0, 5).map((n) => ({
                                      target: n.target.join(' '), summary: n.failureSummary })) }))),
                   (e) => done({ error: String(e) }));",
                vec![],
            ))
            .expect("axe-core ran");
        if found.get("error").is_some() {
            panic!("axe-core failed on the screen {screen:?}: {found}");
        }
        let violations = found.as_array().cloned().unwrap_or_default();
        if !violations.is_empty() {
            let report = self.shots.join(format!(
                "{:02}-{}.axe.json",
                self.shot.get(),
                sanitize(screen)
            ));
            let text = serde_json::to_string_pretty(&violations).unwrap_or_default();
            let _ = std::fs::write(&report, &text);
            panic!(
                "accessibility: serious or critical violations on the screen {screen:?} \
                 (also in {}):\n{text}",
                report.display()
            );
        }
    }

    fn capture(&self, name: &str) -> PathBuf {
        let shot = self.shot_number();
        let path = self.shots.join(format!("{shot:02}-{}.png", sanitize(name)));
        // Let the last click's repaint land first.
        std::thread::sleep(Duration::from_millis(250));
        let status = Command::new("import")
            .args(["-display", display_name(), "-window", "root"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !status.as_ref().is_ok_and(|s| s.success()) {
            eprintln!("screenshot {name} failed: {status:?}");
        }
        path
    }

    fn shot_number(&self) -> u32 {
        self.shot.set(self.shot.get() + 1);
        self.shot.get()
    }

    pub fn screenshots(&self) -> &Path {
        &self.shots
    }
}

/// axe-core's source, from the UI's npm packages (installed by `scripts/build-ui.sh`).
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = workspace_root().join("ui/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/build-ui.sh, which installs the UI's packages",
                path.display()
            )
        })
    })
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.rt.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_owned()
}
