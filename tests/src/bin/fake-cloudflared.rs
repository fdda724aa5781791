//! `fake-cloudflared`: a STAND-IN for Cloudflare's `cloudflared`, used only by the tunnel tests
//! (through `SCIMDESK_CLOUDFLARED`) because the real one is not installed here and could not
//! reach Cloudflare anyway. It is not a tunnel: it forwards nothing.
//!
//! It behaves as SCIM Desk relies on `cloudflared` behaving:
//! - `tunnel --no-autoupdate --metrics ADDR --url URL` (quick tunnel): prints cloudflared's
//!   banner with a `https://<random>.trycloudflare.com` URL on stderr and serves
//!   `GET /quicktunnel` → `{"hostname": "<random>.trycloudflare.com"}` on ADDR, a new hostname
//!   at every start (empty for the first moments, as while cloudflared registers);
//! - `tunnel --no-autoupdate --metrics ADDR run` with `TUNNEL_TOKEN` (named tunnel): serves
//!   `GET /ready` → 200; a token of `bad-token` is refused the way cloudflared refuses one;
//! - `FAKE_CLOUDFLARED_OFFLINE=1`: fails as cloudflared does without a network.
//!
//! With `FAKE_CLOUDFLARED_DIR=DIR` it writes `DIR/pid-<pid>` while it runs (removed on a clean
//! exit) and appends each start's arguments and hostname to `DIR/starts`; it dies (exit 1,
//! as on a lost connection) when `DIR/die` appears, removing that file.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let stamp = || "2026-11-29T12:00:00Z";
    if args.first().map(String::as_str) == Some("--version") {
        println!("cloudflared version 2026.11.0 (stand-in for tests)");
        return;
    }
    let Some(metrics) = value_of("--metrics") else {
        eprintln!("{} ERR fake-cloudflared needs --metrics ADDR", stamp());
        std::process::exit(2);
    };
    let named = args.iter().any(|a| a == "run");
    let dir = std::env::var_os("FAKE_CLOUDFLARED_DIR").map(PathBuf::from);

    if std::env::var("FAKE_CLOUDFLARED_OFFLINE").as_deref() == Ok("1") {
        eprintln!(
            "{} INF Requesting new quick Tunnel on trycloudflare.com...",
            stamp()
        );
        eprintln!(
            "{} ERR failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com: no such host",
            stamp()
        );
        std::process::exit(1);
    }
    if named {
        let token = std::env::var("TUNNEL_TOKEN").unwrap_or_default();
        if token.is_empty() || token == "bad-token" {
            eprintln!(
                "{} ERR Provided Tunnel token is not valid. See https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/",
                stamp()
            );
            std::process::exit(1);
        }
    }

    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let words = [
        "amber", "basil", "cedar", "delta", "ember", "fjord", "grove", "harbor",
    ];
    let n = nanos ^ u128::from(std::process::id()) << 20;
    let hostname = format!(
        "{}-{}-{:x}.trycloudflare.com",
        words[(n % 8) as usize],
        words[((n >> 3) % 8) as usize],
        (n >> 6) & 0xffffff
    );
    let pid = std::process::id();
    if let Some(dir) = &dir {
        let _ = std::fs::write(dir.join(format!("pid-{pid}")), args.join(" "));
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("starts"))
        {
            let _ = writeln!(f, "{pid} {hostname} {}", args.join(" "));
        }
    }

    if named {
        eprintln!(
            "{} INF Starting tunnel tunnelID=00000000-0000-4000-8000-000000000000",
            stamp()
        );
        eprintln!(
            "{} INF Registered tunnel connection connIndex=0 location=test",
            stamp()
        );
    } else {
        eprintln!("{} INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee.", stamp());
        eprintln!(
            "{} INF Requesting new quick Tunnel on trycloudflare.com...",
            stamp()
        );
        eprintln!("{} INF +--------------------------------------------------------------------------------------------+", stamp());
        eprintln!("{} INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |", stamp());
        eprintln!("{} INF |  https://{hostname:<82}|", stamp());
        eprintln!("{} INF +--------------------------------------------------------------------------------------------+", stamp());
    }
    eprintln!(
        "{} INF Starting metrics server on {metrics}/metrics",
        stamp()
    );

    let listener = match TcpListener::bind(&metrics) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{} ERR cannot listen on {metrics}: {e}", stamp());
            std::process::exit(1);
        }
    };
    let _ = listener.set_nonblocking(true);
    let started = Instant::now();
    loop {
        if let Some(dir) = &dir {
            let die = dir.join("die");
            if die.exists() {
                let _ = std::fs::remove_file(&die);
                let _ = std::fs::remove_file(dir.join(format!("pid-{pid}")));
                eprintln!(
                    "{} ERR Connection terminated error=\"told to die by the test\"",
                    stamp()
                );
                std::process::exit(1);
            }
        }
        match listener.accept() {
            Ok((stream, _)) => {
                // Like cloudflared while it registers, the hostname is empty at first.
                let registered = started.elapsed() > Duration::from_millis(300);
                answer(stream, if registered { &hostname } else { "" });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn answer(stream: TcpStream, hostname: &str) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/quicktunnel" => ("200 OK", format!("{{\"hostname\":\"{hostname}\"}}")),
        "/ready" => (
            "200 OK",
            "{\"status\":200,\"readyConnections\":1,\"connectorId\":\"stand-in\"}".to_string(),
        ),
        _ => ("404 Not Found", "404 page not found".to_string()),
    };
    let mut stream = &stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
