//! Runs the admin's installed `cloudflared` as a child process and learns its public URL.
//!
//! A quick tunnel (`cloudflared tunnel --url …`, no account, a new `*.trycloudflare.com` URL at
//! every start) reports its hostname on its metrics endpoint (`GET /quicktunnel`), which is read
//! rather than the log. A named tunnel (`cloudflared tunnel run`, token in `TUNNEL_TOKEN` so it
//! never shows in `ps`) has the hostname the admin configured; it is online once the metrics
//! endpoint's `/ready` says so. The child dies with the tunnel: killed on stop, on drop, and (on
//! Linux) when SCIM Desk itself dies. Not for: restarting (that is the manager's job).

use std::collections::VecDeque;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::runner::{Runner, Running};
use super::{redact, TunnelError};

/// Overrides where `cloudflared` is found (the tests point it at a stand-in).
pub const CLOUDFLARED_ENV: &str = "SCIMDESK_CLOUDFLARED";
/// How long cloudflared may take to report its URL (a quick tunnel asks Cloudflare for one).
pub const START_TIMEOUT: Duration = Duration::from_secs(45);
/// Lines of cloudflared's output kept to explain a failure.
const KEPT_LINES: usize = 20;

/// The cloudflared executable: `$SCIMDESK_CLOUDFLARED`, else `cloudflared` on PATH.
pub fn locate() -> Result<PathBuf, TunnelError> {
    if let Some(path) = std::env::var_os(CLOUDFLARED_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(TunnelError::CloudflaredBadPath(path.display().to_string()))
        };
    }
    let name = format!("cloudflared{}", std::env::consts::EXE_SUFFIX);
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(&name))
        .find(|p| is_executable(p))
        .ok_or(TunnelError::CloudflaredMissing)
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The cloudflared tunnel to run.
pub struct Cloudflared {
    kind: Kind,
}

enum Kind {
    Quick { target: String },
    Named { hostname: String, token: String },
}

impl Cloudflared {
    /// A quick tunnel to `target` (`http://127.0.0.1:PORT`).
    pub fn quick(target: String) -> Cloudflared {
        Cloudflared {
            kind: Kind::Quick { target },
        }
    }

    /// A named tunnel: its route (set up in Cloudflare's dashboard) decides where it forwards.
    pub fn named(hostname: String, token: String) -> Cloudflared {
        Cloudflared {
            kind: Kind::Named { hostname, token },
        }
    }

    fn secret(&self) -> Option<&str> {
        match &self.kind {
            Kind::Named { token, .. } => Some(token),
            Kind::Quick { .. } => None,
        }
    }

    /// The arguments, without secrets: they are visible to every user of the machine.
    fn args(&self, metrics: &str) -> Vec<String> {
        let mut args: Vec<String> = ["tunnel", "--no-autoupdate", "--metrics", metrics]
            .iter()
            .map(|s| s.to_string())
            .collect();
        match &self.kind {
            Kind::Quick { target } => args.extend(["--url".to_owned(), target.clone()]),
            Kind::Named { .. } => args.push("run".to_owned()),
        }
        args
    }
}

/// A running cloudflared child.
pub struct CloudflaredRunning {
    child: Child,
    url: String,
    output: Arc<Mutex<VecDeque<String>>>,
    token: Option<String>,
}

impl Runner for Cloudflared {
    type Running = CloudflaredRunning;

    async fn start(&self) -> Result<CloudflaredRunning, TunnelError> {
        let program = locate()?;
        let metrics = format!("127.0.0.1:{}", free_port()?);
        let mut command = Command::new(&program);
        command
            .args(self.args(&metrics))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Kind::Named { token, .. } = &self.kind {
            command.env("TUNNEL_TOKEN", token);
        }
        die_with_parent(&mut command);
        let mut child = command.spawn().map_err(|e| {
            TunnelError::Failed(format!(
                "cloudflared ({}) could not be started: {e}",
                program.display()
            ))
        })?;
        let output = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stdout.take() {
            keep_lines(out, output.clone());
        }
        if let Some(err) = child.stderr.take() {
            keep_lines(err, output.clone());
        }
        let token = self.secret().map(str::to_owned);
        let url = match &self.kind {
            Kind::Quick { .. } => {
                let hostname = wait_for_metrics(
                    &mut child,
                    &format!("{metrics}/quicktunnel"),
                    &output,
                    token.as_deref(),
                    quick_host,
                )
                .await?;
                format!("https://{hostname}")
            }
            Kind::Named { hostname, .. } => {
                wait_for_metrics(
                    &mut child,
                    &format!("{metrics}/ready"),
                    &output,
                    token.as_deref(),
                    ready,
                )
                .await?;
                format!("https://{hostname}")
            }
        };
        Ok(CloudflaredRunning {
            child,
            url,
            output,
            token,
        })
    }
}

impl Running for CloudflaredRunning {
    fn url(&self) -> String {
        self.url.clone()
    }

    async fn died(&mut self) -> String {
        let status = self.child.wait().await;
        // Let the readers catch the last lines the process wrote before it exited.
        tokio::time::sleep(Duration::from_millis(100)).await;
        explain_exit(status.ok(), &self.output, self.token.as_deref())
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// On Linux the kernel sends the child SIGTERM when SCIM Desk dies, even by `kill -9`, so a
/// crash leaves no cloudflared behind. (The signal follows the thread that spawned the child;
/// tokio's worker threads live as long as the runtime.)
fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
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

fn free_port() -> Result<u16, TunnelError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| {
            TunnelError::Failed(format!(
                "no loopback port is free for cloudflared's metrics: {e}"
            ))
        })
}

fn keep_lines(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    output: Arc<Mutex<VecDeque<String>>>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut kept = output.lock().unwrap_or_else(|p| p.into_inner());
            if kept.len() == KEPT_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    });
}

/// `/quicktunnel`'s hostname, once cloudflared has one.
fn quick_host(status: u16, body: &str) -> Option<String> {
    if status != 200 {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let host = value.get("hostname")?.as_str()?.trim();
    // The hostname goes into every base URL: accept only what parses as a bare host.
    super::parse_hostname(host).ok()
}

/// `/ready` answers 200 once a named tunnel has a connection to Cloudflare.
fn ready(status: u16, _body: &str) -> Option<String> {
    (status == 200).then(String::new)
}

/// Polls `metrics` (`ADDR/path`) until `found` accepts an answer, cloudflared exits, or time is up.
async fn wait_for_metrics(
    child: &mut Child,
    metrics: &str,
    output: &Arc<Mutex<VecDeque<String>>>,
    token: Option<&str>,
    found: fn(u16, &str) -> Option<String>,
) -> Result<String, TunnelError> {
    let url = format!("http://{metrics}");
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| TunnelError::Failed(format!("no HTTP client: {e}")))?;
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Err(TunnelError::Failed(explain_exit(
                Some(status),
                output,
                token,
            )));
        }
        if let Ok(response) = client.get(&url).send().await {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            if let Some(value) = found(status, &body) {
                return Ok(value);
            }
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(TunnelError::Failed(format!(
                "cloudflared did not report a tunnel within {} s{}",
                START_TIMEOUT.as_secs(),
                last_line(output, token)
                    .map(|l| format!(" (it last said: {l})"))
                    .unwrap_or_default()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn last_line(output: &Arc<Mutex<VecDeque<String>>>, token: Option<&str>) -> Option<String> {
    let kept = output.lock().unwrap_or_else(|p| p.into_inner());
    kept.iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| redact(l.trim(), token))
}

/// Why cloudflared exited, in the admin's words, from its exit status and last lines.
fn explain_exit(
    status: Option<std::process::ExitStatus>,
    output: &Arc<Mutex<VecDeque<String>>>,
    token: Option<&str>,
) -> String {
    let all: String = {
        let kept = output.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter().cloned().collect::<Vec<_>>().join("\n")
    };
    let last = last_line(output, token);
    let said = last
        .as_deref()
        .map(|l| format!(" (cloudflared said: {l})"))
        .unwrap_or_default();
    let lower = all.to_ascii_lowercase();
    if lower.contains("token") && (lower.contains("not valid") || lower.contains("invalid")) {
        return format!(
            "cloudflared refused the tunnel token: copy it again from the Cloudflare dashboard \
             (Zero Trust > Networks > Tunnels) and set it again as the named tunnel's token{said}"
        );
    }
    if lower.contains("no such host")
        || lower.contains("network is unreachable")
        || lower.contains("failed to request quick tunnel")
        || lower.contains("dial tcp")
    {
        return format!(
            "cloudflared could not reach Cloudflare: check this machine's internet connection{said}"
        );
    }
    let how = match status {
        Some(s) => match s.code() {
            Some(code) => format!("with status {code}"),
            None => "on a signal".to_owned(),
        },
        None => "unexpectedly".to_owned(),
    };
    format!("cloudflared exited {how}{said}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Arc<Mutex<VecDeque<String>>> {
        Arc::new(Mutex::new(text.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn arguments_never_carry_the_token() {
        let named = Cloudflared::named("scim.example.com".into(), "s3cr3t-token".into());
        let args = named.args("127.0.0.1:9999");
        assert_eq!(
            args,
            [
                "tunnel",
                "--no-autoupdate",
                "--metrics",
                "127.0.0.1:9999",
                "run"
            ]
        );
        let quick = Cloudflared::quick("http://127.0.0.1:8742".into());
        assert_eq!(
            quick.args("127.0.0.1:9999"),
            [
                "tunnel",
                "--no-autoupdate",
                "--metrics",
                "127.0.0.1:9999",
                "--url",
                "http://127.0.0.1:8742"
            ]
        );
    }

    #[test]
    fn quicktunnel_answers_are_checked() {
        assert_eq!(
            quick_host(200, r#"{"hostname":"a-b-c.trycloudflare.com"}"#).as_deref(),
            Some("a-b-c.trycloudflare.com")
        );
        assert_eq!(quick_host(200, r#"{"hostname":""}"#), None);
        assert_eq!(quick_host(200, r#"{"hostname":"evil.example/x"}"#), None);
        assert_eq!(quick_host(404, r#"{"hostname":"a.example"}"#), None);
        assert_eq!(quick_host(200, "not json"), None);
    }

    #[test]
    fn exits_are_explained_without_the_token() {
        let bad = explain_exit(
            None,
            &lines(&["ERR Provided Tunnel token is not valid. token=abcd-secret"]),
            Some("abcd-secret"),
        );
        assert!(bad.contains("refused the tunnel token"), "{bad}");
        assert!(!bad.contains("abcd-secret"), "{bad}");
        let offline = explain_exit(
            None,
            &lines(&[
                "ERR failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com: no such host",
            ]),
            None,
        );
        assert!(offline.contains("could not reach Cloudflare"), "{offline}");
        let other = explain_exit(None, &lines(&["INF bye"]), None);
        assert_eq!(
            other,
            "cloudflared exited unexpectedly (cloudflared said: INF bye)"
        );
    }

    #[test]
    fn a_missing_explicit_path_is_named() {
        // SCIMDESK_CLOUDFLARED is read by `locate`; an unusable path is reported as such.
        assert!(!is_executable(Path::new("/nonexistent/cloudflared")));
    }
}
