//! The harness for the black-box tests of the `scimdesk` binary.
//!
//! A test plays two people: the admin, who runs `scimdesk` commands against a
//! data directory of their own ([`Desk`]), and Okta, which calls the SCIM
//! endpoint with Okta's headers and bodies ([`Okta`]). Nothing here knows how
//! the binary is built inside; it only relies on the CLI and HTTP contracts in
//! `docs/architecture.md` and `docs/okta-scim-client.md`.
//!
//! Not for: unit-testing the core (that lives in the core crate).
//!
//! [`proxy`] adds what the tunnel tests need: a test CA and a TLS-terminating
//! reverse proxy standing in for the admin's tunnel; [`postgres`] a database of the test's own
//! on the throwaway PostgreSQL that `scripts/with-postgres.sh` runs.

pub mod app;
pub mod bench;
pub mod conversation;
pub mod disk;
pub mod logind_standin;
pub mod notifications_standin;
pub mod okta_api_standin;
pub mod postgres;
pub mod proxy;
pub mod wait;

pub use conversation::Conversation;
pub use wait::{eventually, eventually_within, until, within, WAIT_CEILING};

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
pub use serde_json::{json, Value};
use tempfile::TempDir;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Content type Okta puts on the bodies it sends.
pub const OKTA_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";
pub const OKTA_USER_AGENT: &str = "Okta SCIM Client 1.0.0";

// These bounds only tell a hung process from a slow one, so a hung server fails a test instead
// of hanging the suite; they never decide how fast a passing test runs. They are set for two
// cores shared with a compiler and the rest of the suite.

/// Every HTTP call gives up after this long.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// A CLI command that takes longer than this is treated as hung.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `serve` may take to start listening.
pub const SERVE_TIMEOUT: Duration = WAIT_CEILING;

// ---------------------------------------------------------------------------
// Finding the binary
// ---------------------------------------------------------------------------

/// The workspace root: this crate lives in `<workspace>/tests`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate has a parent directory")
        .to_path_buf()
}

pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// The `scimdesk` executable under test: `$SCIMDESK_BIN` when set, else the
/// workspace's debug build, built once per test process.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = BINARY.get_or_init(|| {
        if let Some(bin) = std::env::var_os("SCIMDESK_BIN") {
            let bin = PathBuf::from(bin);
            return if bin.is_file() {
                Ok(bin)
            } else {
                Err(format!("SCIMDESK_BIN={} is not a file", bin.display()))
            };
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        // Cargo gives this test process its package's variables (CARGO_PKG_NAME, …). Build
        // scripts such as ring's rerun when those change, so passing them on would rebuild
        // the TLS stack in every test process and again in the next `cargo build`.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("CARGO_PKG_")
                || key.starts_with("CARGO_BIN_EXE_")
                || matches!(
                    key.as_ref(),
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_MANIFEST_LINKS"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "OUT_DIR"
                )
            {
                command.env_remove(key.as_ref());
            }
        }
        let output = command
            .args(["build", "-p", "scimdesk", "--bin", "scimdesk"])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("could not run cargo to build scimdesk: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "`cargo build -p scimdesk --bin scimdesk` failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let bin = target_dir()
            .join("debug")
            .join(format!("scimdesk{}", std::env::consts::EXE_SUFFIX));
        if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!(
                "cargo built scimdesk but {} does not exist",
                bin.display()
            ))
        }
    });
    match found {
        Ok(path) => path,
        Err(message) => panic!("cannot test without the scimdesk binary: {message}"),
    }
}

// ---------------------------------------------------------------------------
// Running commands
// ---------------------------------------------------------------------------

/// What a finished CLI command left behind.
#[derive(Debug, Clone)]
pub struct Output {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics, showing the command and its output, unless it exited with `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "`scimdesk {}` should exit {code}\n{self}",
            self.args.join(" ")
        );
        self
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ scimdesk {}\nexit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.status,
            self.stdout,
            self.stderr
        )
    }
}

/// Waits until `child` exits, for at most `ceiling`; `None` if it still runs then.
pub fn wait_for_exit(child: &mut Child, ceiling: Duration) -> Option<ExitStatus> {
    within(ceiling, || {
        match child.try_wait().expect("wait for a child process") {
            Some(status) => Ok(status),
            None => Err(()),
        }
    })
    .ok()
}

/// Runs `command` to completion, killing it after `timeout`.
fn run_bounded(command: Command, args: Vec<String>, timeout: Duration) -> Output {
    run_bounded_with_stdin(command, args, timeout, None)
}

/// Runs `command` to completion with `stdin` as its standard input (none: /dev/null).
fn run_bounded_with_stdin(
    mut command: Command,
    args: Vec<String>,
    timeout: Duration,
    stdin: Option<&[u8]>,
) -> Output {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `scimdesk {}`: {e}", args.join(" ")));
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(data);
        // Dropping the pipe closes it: the command sees the end of its input.
    }
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = match wait_for_exit(&mut child, timeout) {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`scimdesk {}` did not finish within {timeout:?}",
                args.join(" ")
            );
        }
    };
    Output {
        args,
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------
// The admin's side: a data directory and the CLI
// ---------------------------------------------------------------------------

/// One installation of SCIM Desk: a temporary data directory the admin runs
/// `scimdesk` commands against. Removed when dropped.
///
/// With [`ENGINE_VAR`]`=postgres`, its database is a fresh PostgreSQL database of the test
/// cluster (named in the data directory's `database-url` file, as `scimdesk config set
/// database` writes it): every suite then runs, unchanged, against PostgreSQL.
pub struct Desk {
    dir: TempDir,
    database: Option<String>,
}

/// Which engine [`Desk::new`] sets up: `postgres`, or SQLite (unset or anything else).
pub const ENGINE_VAR: &str = "SCIMDESK_TEST_ENGINE";

/// Whether the suites run against PostgreSQL this time (see [`Desk`]).
pub fn on_postgres() -> bool {
    std::env::var(ENGINE_VAR).is_ok_and(|e| e.eq_ignore_ascii_case("postgres"))
}

/// A connection as `scimdesk connection add NAME --json` reports it.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub base_url: String,
    pub token: String,
    pub raw: Value,
}

impl Default for Desk {
    fn default() -> Self {
        Self::new()
    }
}

impl Desk {
    pub fn new() -> Desk {
        let dir = tempfile::Builder::new()
            .prefix("scimdesk-test-")
            .tempdir()
            .expect("create a temporary data dir");
        // Build (or find) the binary before the test starts its clock.
        binary();
        let database = match on_postgres() {
            true => Some(postgres::fresh_database().unwrap_or_else(|| {
                panic!("{ENGINE_VAR}=postgres, but there is no test PostgreSQL (see above)")
            })),
            false => None,
        };
        let desk = Desk { dir, database };
        if let Some(url) = &desk.database {
            desk.use_database(url);
        }
        desk
    }

    /// A second installation on this one's database (another server of the same directory);
    /// `None` when this one has its own SQLite file.
    pub fn sharing(&self) -> Option<Desk> {
        let url = self.database.clone()?;
        let dir = tempfile::Builder::new()
            .prefix("scimdesk-test-")
            .tempdir()
            .expect("create a temporary data dir");
        let desk = Desk {
            dir,
            database: Some(url.clone()),
        };
        desk.use_database(&url);
        Some(desk)
    }

    /// An installation on a fresh PostgreSQL database of the test cluster, whatever
    /// [`ENGINE_VAR`] says; `None` (after saying why) without a test PostgreSQL.
    pub fn on_fresh_postgres() -> Option<Desk> {
        let url = postgres::fresh_database()?;
        let dir = tempfile::Builder::new()
            .prefix("scimdesk-test-")
            .tempdir()
            .expect("create a temporary data dir");
        binary();
        let desk = Desk {
            dir,
            database: Some(url.clone()),
        };
        desk.use_database(&url);
        Some(desk)
    }

    /// The PostgreSQL database this installation uses, if any.
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    fn use_database(&self, url: &str) {
        std::fs::create_dir_all(self.data_dir()).expect("create the data dir");
        self.cli_ok(&["config", "set", "database", url]);
    }

    /// The temporary directory; the data dir proper is `data_dir()`.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `scimdesk --data-dir DIR ARGS…` with no other flag added.
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut all = vec!["--data-dir".to_string(), self.data_dir_str()];
        all.extend(args.iter().map(|a| a.to_string()));
        self.run(all)
    }

    /// `scimdesk ARGS…` exactly as given: no `--data-dir` (for tests of the
    /// flag's placement and of `SCIMDESK_DATA_DIR`).
    pub fn run_raw(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut command = Command::new(binary());
        command.args(args);
        for (k, v) in envs {
            command.env(k, v);
        }
        run_bounded(
            command,
            args.iter().map(|a| a.to_string()).collect(),
            CLI_TIMEOUT,
        )
    }

    /// `scimdesk --data-dir DIR ARGS…` with extra environment variables and,
    /// optionally, `stdin` piped in (for secrets, which never go on argv).
    pub fn cli_with(&self, args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
        let mut all = vec!["--data-dir".to_string(), self.data_dir_str()];
        all.extend(args.iter().map(|a| a.to_string()));
        let mut command = Command::new(binary());
        command.args(&all).env_remove("SCIMDESK_DATA_DIR");
        for (k, v) in envs {
            command.env(k, v);
        }
        run_bounded_with_stdin(command, all, CLI_TIMEOUT, stdin.map(str::as_bytes))
    }

    fn run(&self, args: Vec<String>) -> Output {
        let mut command = Command::new(binary());
        command.args(&args).env_remove("SCIMDESK_DATA_DIR");
        run_bounded(command, args, CLI_TIMEOUT)
    }

    fn data_dir_str(&self) -> String {
        self.data_dir().to_string_lossy().into_owned()
    }

    /// Runs a command that must succeed and returns its stdout.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        output.assert_code(0);
        output.stdout
    }

    /// `scimdesk --data-dir DIR ARGS… --json`, which must exit 0 and print JSON.
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let mut with_json: Vec<&str> = args.to_vec();
        with_json.push("--json");
        let output = self.cli(&with_json);
        output.assert_code(0);
        serde_json::from_str(output.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{output}"))
    }

    /// Starts `scimdesk serve` on a free loopback port and waits until it
    /// listens.
    pub fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    /// `scimdesk --data-dir DIR serve EXTRA…` on a free loopback port set
    /// with `config set listen`.
    pub fn serve_with(&self, extra: &[&str]) -> Server {
        self.serve_with_env(extra, &[])
    }

    /// `serve_with`, with extra environment variables for the server process
    /// (and so for the tunnel it runs).
    pub fn serve_with_env(&self, extra: &[&str], envs: &[(&str, &str)]) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        self.cli_ok(&["config", "set", "listen", &listen]);
        let mut server = Server {
            data_dir: self.data_dir(),
            logs: self.root().to_path_buf(),
            listen,
            extra: extra.iter().map(|a| a.to_string()).collect(),
            envs: envs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
            starts: 0,
        };
        server.start();
        server
    }

    /// `scimdesk connection add NAME --json` (an Okta connection, the default).
    pub fn add_connection(&self, name: &str) -> Connection {
        self.connection_from(self.cli_json(&["connection", "add", name]))
    }

    /// `scimdesk connection add NAME --provider PROVIDER --json` (`okta` or `entra`).
    pub fn add_connection_for(&self, name: &str, provider: &str) -> Connection {
        self.connection_from(self.cli_json(&["connection", "add", name, "--provider", provider]))
    }

    fn connection_from(&self, raw: Value) -> Connection {
        let field = |key: &str| -> String {
            raw.get(key)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("`connection add` output has no string {key:?}: {raw}"))
                .to_string()
        };
        Connection {
            id: field("id"),
            name: field("name"),
            base_url: field("base_url"),
            token: field("token"),
            raw: raw.clone(),
        }
    }

    /// What the admin sees: `scimdesk users list --json`.
    pub fn employees(&self) -> Vec<Value> {
        match self.cli_json(&["users", "list"]) {
            Value::Array(items) => items,
            other => panic!("`users list --json` should print an array, got {other}"),
        }
    }

    /// The one employee whose email is `email` (ignoring case).
    pub fn employee(&self, email: &str) -> Value {
        let all = self.employees();
        let found: Vec<&Value> = all
            .iter()
            .filter(|e| {
                e["email"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(email))
            })
            .collect();
        assert_eq!(
            found.len(),
            1,
            "`users list` should show exactly one employee with email {email}: {}",
            Value::Array(all.clone())
        );
        found[0].clone()
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// A running `scimdesk serve`; killed when dropped.
pub struct Server {
    data_dir: PathBuf,
    logs: PathBuf,
    listen: String,
    extra: Vec<String>,
    envs: Vec<(String, String)>,
    child: Option<Child>,
    starts: u32,
}

impl Server {
    /// `127.0.0.1:PORT`.
    pub fn listen(&self) -> &str {
        &self.listen
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.listen)
    }

    fn stdout_path(&self) -> PathBuf {
        self.logs.join(format!("serve-{}.stdout", self.starts))
    }

    fn stderr_path(&self) -> PathBuf {
        self.logs.join(format!("serve-{}.stderr", self.starts))
    }

    /// What the current `serve` process printed so far.
    pub fn stdout(&self) -> String {
        fs::read_to_string(self.stdout_path()).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        fs::read_to_string(self.stderr_path()).unwrap_or_default()
    }

    fn start(&mut self) {
        self.starts += 1;
        let stdout = fs::File::create(self.stdout_path()).expect("create stdout log");
        let stderr = fs::File::create(self.stderr_path()).expect("create stderr log");
        // Its own address, also on a restart: servers sharing one PostgreSQL database share
        // the `listen` setting too, which the last of them to start set.
        let own_listen = match self.extra.iter().any(|a| a.starts_with("--listen")) {
            true => vec![],
            false => vec!["--listen".to_owned(), self.listen.clone()],
        };
        let child = Command::new(binary())
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("serve")
            .args(&own_listen)
            .args(&self.extra)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .env_remove("SCIMDESK_DATA_DIR")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("start scimdesk serve");
        self.child = Some(child);
        self.wait_ready();
    }

    /// Waits until the new process has announced that it listens: its "listening" line (text
    /// or JSON) is what a client of `serve` waits for, and it comes after the port is open.
    fn wait_ready(&mut self) {
        let listen = self.listen.clone();
        eventually_within(
            SERVE_TIMEOUT,
            &format!("`scimdesk serve` said it listens on {listen}"),
            || {
                let child = self.child.as_mut().expect("server process");
                if let Some(status) = child.try_wait().expect("poll scimdesk serve") {
                    panic!(
                        "`scimdesk serve` exited ({status}) before listening\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        self.stdout(),
                        self.stderr()
                    );
                }
                if self.stdout().contains("listening") {
                    Ok(())
                } else {
                    Err(format!(
                        "\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        self.stdout(),
                        self.stderr()
                    ))
                }
            },
        );
    }

    /// Waits until the current `serve` process has printed `needle` on its standard output,
    /// and returns all it printed so far. Output comes in its own time after the listening
    /// line (the tunnel's state, for one): a test reads it once it is there, not once.
    #[track_caller]
    pub fn wait_for_stdout(&self, needle: &str) -> String {
        self.wait_for_output("printed", needle, Server::stdout)
    }

    /// Waits until the current `serve` process has logged `needle` (its log goes to standard
    /// error, written by a thread of its own in batches), and returns its whole log so far.
    #[track_caller]
    pub fn wait_for_stderr(&self, needle: &str) -> String {
        self.wait_for_output("logged", needle, Server::stderr)
    }

    #[track_caller]
    fn wait_for_output(&self, verb: &str, needle: &str, read: fn(&Server) -> String) -> String {
        eventually(&format!("`scimdesk serve` {verb} {needle:?}"), || {
            let out = read(self);
            if out.contains(needle) {
                Ok(out)
            } else {
                Err(format!(
                    "\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    self.stdout(),
                    self.stderr()
                ))
            }
        })
    }

    /// [`Server::wait_for_stdout`] for a whole line of output that `matches`; returns that line.
    #[track_caller]
    pub fn wait_for_line(&self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        eventually(&format!("`scimdesk serve` printed {what}"), || {
            let out = self.stdout();
            // Only whole lines: the last one may still be being written.
            let complete = out.rsplit_once('\n').map_or("", |(done, _)| done);
            match complete.lines().find(|l| matches(l)) {
                Some(line) => Ok(line.to_string()),
                None => Err(format!(
                    "\n--- stdout ---\n{out}\n--- stderr ---\n{}",
                    self.stderr()
                )),
            }
        })
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The process id of the running `serve`.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops `serve` as the system does at logout or Ctrl-C (SIGTERM) and waits
    /// up to `timeout` for it to exit; returns whether it did.
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        #[cfg(unix)]
        {
            // SAFETY: kill(2) on the pid of a child this harness started and has not reaped.
            let _ = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        }
        #[cfg(not(unix))]
        let _ = child.kill();
        if wait_for_exit(&mut child, timeout).is_some() {
            return true;
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// `kill -9`: the process gets no chance to flush or shut down.
    pub fn kill9(&mut self) {
        self.stop();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => child.try_wait().ok().flatten().is_none(),
            None => false,
        }
    }

    /// Starts `serve` again on the same data dir and address (killing the
    /// current process first if it still runs).
    pub fn restart(&mut self) {
        self.stop();
        self.start();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------
// Okta's side: the SCIM client
// ---------------------------------------------------------------------------

/// An HTTP client that talks like Okta's provisioning agent.
#[derive(Clone)]
pub struct Okta {
    base_url: String,
    authorization: Option<String>,
    client: Client,
}

/// One HTTP answer, kept whole so a failing assertion can show it.
#[derive(Clone)]
pub struct Resp {
    pub request: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body parsed as JSON, or `Null` when it is empty or not JSON.
    pub json: Value,
}

impl fmt::Debug for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body: String = self.text.chars().take(4000).collect();
        write!(
            f,
            "{} -> {} (content-type {:?})\n{}",
            self.request,
            self.status,
            self.header("content-type").unwrap_or_default(),
            body
        )
    }
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status\n{self}");
        &self.json
    }

    /// Asserts the response is `application/scim+json`.
    #[track_caller]
    pub fn assert_scim_json(&self) -> &Self {
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.to_ascii_lowercase().starts_with("application/scim+json"),
            "response should be application/scim+json\n{self}"
        );
        self
    }

    /// Asserts this is a SCIM error with HTTP status `status` (also given as a
    /// *string* in the body) and, when given, `scimType`.
    #[track_caller]
    pub fn assert_scim_error(&self, status: u16, scim_type: Option<&str>) -> &Self {
        assert_eq!(self.status, status, "unexpected status\n{self}");
        self.assert_scim_json();
        let body = &self.json;
        assert!(
            body["schemas"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x == ERROR_SCHEMA)),
            "error body should carry the SCIM Error schema\n{self}"
        );
        assert_eq!(
            body["status"],
            Value::String(status.to_string()),
            "SCIM error `status` should be the string {status:?}\n{self}"
        );
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| !d.trim().is_empty()),
            "SCIM error should have a `detail` for the Okta admin\n{self}"
        );
        if let Some(scim_type) = scim_type {
            assert_eq!(body["scimType"], scim_type, "unexpected scimType\n{self}");
        }
        self
    }
}

impl Okta {
    /// A client for `base_url` (the connection's base URL, no trailing slash)
    /// that authenticates with `Authorization: Bearer <token>`.
    /// An Okta that also trusts `ca_pem` (the test CA of a TLS proxy).
    pub fn with_ca(base_url: &str, token: &str, ca_pem: &str) -> Okta {
        let cert = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA certificate");
        let client = Client::builder()
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(HTTP_TIMEOUT)
            .no_proxy()
            .pool_max_idle_per_host(0)
            .add_root_certificate(cert)
            .build()
            .expect("build the HTTP client");
        Okta {
            base_url: base_url.to_string(),
            authorization: Some(format!("Bearer {token}")),
            client,
        }
    }

    pub fn new(base_url: &str, token: &str) -> Okta {
        let client = Client::builder()
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(HTTP_TIMEOUT)
            .no_proxy()
            // A fresh connection per request: a server restarted under a
            // pooled connection must not turn into a spurious transport error.
            .pool_max_idle_per_host(0)
            .build()
            .expect("build the HTTP client");
        Okta {
            base_url: base_url.to_string(),
            authorization: Some(format!("Bearer {token}")),
            client,
        }
    }

    pub fn for_connection(connection: &Connection) -> Okta {
        Okta::new(&connection.base_url, &connection.token)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The same client with another `Authorization` header value (`None`:
    /// send none).
    pub fn with_authorization(&self, value: Option<&str>) -> Okta {
        Okta {
            authorization: value.map(str::to_string),
            ..self.clone()
        }
    }

    /// A POST of `body` as Okta sends it, or `None` when no answer came (the server died, or
    /// the connection was cut): for load against a server that may be killed.
    pub fn try_post(&self, path: &str, body: &Value) -> Option<Resp> {
        let url = format!("{}{}", self.base_url, path);
        let mut request = self
            .client
            .post(&url)
            .header("accept", "application/scim+json")
            .header("content-type", OKTA_CONTENT_TYPE)
            .header("user-agent", OKTA_USER_AGENT)
            .body(body.to_string());
        if let Some(auth) = &self.authorization {
            request = request.header("authorization", auth);
        }
        let response = request.send().ok()?;
        Some(into_resp(format!("POST {url}"), response))
    }

    pub fn get(&self, path: &str) -> Resp {
        self.raw("GET", path, &[], None)
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.raw("POST", path, &[], Some(json_bytes(body)))
    }

    pub fn put(&self, path: &str, body: &Value) -> Resp {
        self.raw("PUT", path, &[], Some(json_bytes(body)))
    }

    pub fn patch(&self, path: &str, body: &Value) -> Resp {
        self.raw("PATCH", path, &[], Some(json_bytes(body)))
    }

    /// PATCH with a PatchOp body made of `operations`.
    pub fn patch_ops(&self, path: &str, operations: Value) -> Resp {
        self.patch(
            path,
            &json!({ "schemas": [PATCH_OP], "Operations": operations }),
        )
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.raw("DELETE", path, &[], None)
    }

    /// Any request. `path` is appended to the base URL as is (it must already
    /// be URL-encoded). Okta's headers are sent unless `headers` names the
    /// same header; a body gets Okta's content type unless overridden.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let url = format!("{}{}", self.base_url, path);
        let method_v = Method::from_bytes(method.as_bytes()).expect("HTTP method");
        let mut map = HeaderMap::new();
        let mut set = |name: &str, value: &str| {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        };
        set("accept", "application/scim+json");
        set("accept-charset", "utf-8");
        set("user-agent", OKTA_USER_AGENT);
        if body.is_some() {
            set("content-type", OKTA_CONTENT_TYPE);
        }
        if let Some(auth) = &self.authorization {
            set("authorization", auth);
        }
        for (name, value) in headers {
            set(name, value);
        }
        let mut request = self.client.request(method_v, &url).headers(map);
        let size = body.as_ref().map(Vec::len).unwrap_or(0);
        if let Some(body) = body {
            request = request.body(body);
        }
        let described = if size > 0 {
            format!("{method} {url} ({size} bytes)")
        } else {
            format!("{method} {url}")
        };
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("{described} failed: {e:?}"));
        into_resp(described, response)
    }

    /// A request whose body is sent with `Transfer-Encoding: chunked` and no
    /// `Content-Length`, over a plain socket: the body is written on another
    /// thread while the answer is read, so a server that answers before
    /// reading everything (413) is heard rather than seen as a broken pipe.
    pub fn raw_chunked(&self, method: &str, path: &str, body: Vec<u8>) -> Resp {
        let url = reqwest::Url::parse(&format!("{}{}", self.base_url, path)).expect("URL");
        let host = url.host_str().expect("host").to_string();
        let port = url.port_or_known_default().expect("port");
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let described = format!("{method} {url} (chunked body, {} bytes)", body.len());
        let mut stream = TcpStream::connect((host.as_str(), port))
            .unwrap_or_else(|e| panic!("{described}: connect failed: {e}"));
        stream
            .set_read_timeout(Some(HTTP_TIMEOUT))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(HTTP_TIMEOUT))
            .expect("write timeout");
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/scim+json\r\nUser-Agent: {OKTA_USER_AGENT}\r\nContent-Type: {OKTA_CONTENT_TYPE}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
        );
        if let Some(auth) = &self.authorization {
            head.push_str(&format!("Authorization: {auth}\r\n"));
        }
        head.push_str("\r\n");
        let mut writer = stream.try_clone().expect("clone socket");
        let sender = thread::spawn(move || {
            // Errors are expected once the server has answered and closed.
            let _ = writer.write_all(head.as_bytes());
            for chunk in body.chunks(64 * 1024) {
                if writer
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .and_then(|_| writer.write_all(chunk))
                    .and_then(|_| writer.write_all(b"\r\n"))
                    .is_err()
                {
                    return;
                }
            }
            let _ = writer.write_all(b"0\r\n\r\n");
        });
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if raw.is_empty() => panic!("{described}: no answer: {e}"),
                Err(_) => break,
            }
            if response_complete(&raw) {
                break;
            }
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
        let _ = sender.join();
        parse_response(described, &raw)
    }

    // --- the conversations Okta has --------------------------------------

    /// A conversation of `tests/fixtures/` (`okta/spec_test.json`), to replay at this base URL.
    pub fn conversation(&self, fixture: &str) -> Conversation {
        let path = workspace_root().join("tests/fixtures").join(fixture);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the fixture {}: {e}", path.display()));
        Conversation::parse(fixture, &text, &self.base_url)
    }

    /// Replays `conversation` through its exchange named `through` (`None`: to its end),
    /// checking every answer.
    #[track_caller]
    pub fn replay(&self, conversation: &mut Conversation, through: Option<&str>) {
        while let Some(request) = conversation.next_request(through) {
            let mut client = self.clone();
            let mut headers: Vec<(&str, &str)> = Vec::new();
            for (name, value) in &request.headers {
                match value {
                    _ if name.eq_ignore_ascii_case("authorization") => {
                        client = self.with_authorization(value.as_deref());
                    }
                    Some(value) => headers.push((name, value)),
                    None => {}
                }
            }
            let r = client.raw(
                &request.method,
                &request.path,
                &headers,
                request.body.clone(),
            );
            let answer = conversation::Answer {
                status: r.status,
                headers: r
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                    .collect(),
                text: r.text,
            };
            if let Err(failure) = conversation.check(&request, &answer) {
                panic!("{failure}");
            }
        }
    }

    // --- the conversations Okta has, as one-liners -------------------------

    /// `GET /Users?filter=…&startIndex=1&count=100`, the lookup Okta does
    /// before creating a user (spaces encoded as `%20`).
    pub fn find_users(&self, filter: &str) -> Resp {
        self.get(&format!(
            "/Users?filter={}&startIndex=1&count=100",
            encode_filter(filter)
        ))
    }

    /// `POST /Users`, asserting 201, returning the created resource.
    #[track_caller]
    pub fn create_user(&self, body: &Value) -> Value {
        self.post("/Users", body).expect(201).clone()
    }

    /// `GET /Users/{id}`, asserting 200.
    #[track_caller]
    pub fn user(&self, id: &str) -> Value {
        self.get(&format!("/Users/{id}")).expect(200).clone()
    }
}

/// Whether `raw` holds a whole HTTP/1.1 response with a `Content-Length`.
fn response_complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|len| raw.len() >= end + 4 + len)
}

/// With `SCIMDESK_TEST_TRACE` set, every request is printed with its status
/// and the time since the test process started (run with `--nocapture`).
fn trace(described: &str, status: u16) {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    if std::env::var_os("SCIMDESK_TEST_TRACE").is_some() {
        eprintln!(
            "[{:>8.3}s] {described} -> {status}",
            start.elapsed().as_secs_f64()
        );
    }
}

/// Parses a response read off a socket (no chunked responses expected).
fn parse_response(described: String, raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "{described}: incomplete response {:?}",
                String::from_utf8_lossy(raw)
            )
        });
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{described}: bad status line {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            ) {
                headers.append(n, v);
            }
        }
    }
    trace(&described, status);
    let text = String::from_utf8_lossy(&raw[end + 4..]).to_string();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        request: described,
        status,
        headers,
        text,
        json,
    }
}

fn into_resp(described: String, response: reqwest::blocking::Response) -> Resp {
    trace(&described, response.status().as_u16());
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response
        .text()
        .unwrap_or_else(|e| panic!("{described}: reading the body failed: {e:?}"));
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        request: described,
        status,
        headers,
        text,
        json,
    }
}

fn json_bytes(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).expect("serialize JSON")
}

// ---------------------------------------------------------------------------
// SCIM helpers
// ---------------------------------------------------------------------------

/// Everything but unreserved characters is percent-encoded: a space becomes
/// `%20`, a quote `%22`, `@` `%40` — what Okta sends.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A filter encoded for the query string the way Okta does (`%20`).
pub fn encode_filter(filter: &str) -> String {
    utf8_percent_encode(filter, QUERY_VALUE).to_string()
}

/// A filter encoded with spaces as `+` (form encoding), which Okta also sends.
pub fn encode_filter_plus(filter: &str) -> String {
    encode_filter(filter).replace("%20", "+")
}

/// The body Okta POSTs for a new user of an App Integration Wizard app, core
/// schema only: tests add enterprise attributes where they map them.
pub fn okta_user(email: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": { "givenName": given, "familyName": family },
        "emails": [{ "primary": true, "value": email, "type": "work" }],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": okta_id(email),
        "groups": [],
        "password": "tR7#kq9!Wz2pLm4x",
        "active": true
    })
}

/// An Okta-looking user id (`00u…`, 20 characters), stable per email.
pub fn okta_id(seed: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut id = String::from("00u");
    for _ in 0..17 {
        id.push(alphabet[(h % alphabet.len() as u64) as usize] as char);
        h = h.rotate_left(7).wrapping_mul(0x9e3779b97f4a7c15) ^ 0x5bd1e995;
    }
    id
}

/// The `Resources` of a list response (a missing array counts as empty).
pub fn resources(list: &Value) -> Vec<Value> {
    match &list["Resources"] {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => panic!("`Resources` should be an array, got {other}"),
    }
}

/// A list response's counter, which must be a JSON integer.
#[track_caller]
pub fn counter(list: &Value, name: &str) -> u64 {
    list[name]
        .as_u64()
        .unwrap_or_else(|| panic!("`{name}` should be a JSON integer in {list}"))
}

/// The ids of a list's resources, in order.
pub fn ids(list: &Value) -> Vec<String> {
    resources(list)
        .iter()
        .map(|r| {
            r["id"]
                .as_str()
                .unwrap_or_else(|| panic!("resource without a string id: {r}"))
                .to_string()
        })
        .collect()
}

/// The `value`s of a group's `members` (a missing array counts as empty),
/// sorted.
pub fn member_ids(group: &Value) -> Vec<String> {
    let mut out: Vec<String> = match &group["members"] {
        Value::Array(items) => items
            .iter()
            .map(|m| m["value"].as_str().unwrap_or_default().to_string())
            .collect(),
        Value::Null => Vec::new(),
        other => panic!("`members` should be an array, got {other}"),
    };
    out.sort();
    out
}

/// A string field of a JSON object, for short assertions.
#[track_caller]
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("expected a string {key:?} in {v}"))
}

/// `id` of a resource.
#[track_caller]
pub fn id_of(v: &Value) -> String {
    s(v, "id").to_string()
}

/// A SCIM id Okta would never have seen (for 404s).
pub fn unknown_id() -> &'static str {
    "6f1c1e0e-0000-4000-8000-00000000dead"
}
