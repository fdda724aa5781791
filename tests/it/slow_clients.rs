//! Clients that are slow, stall half-way or send too much cannot exhaust the endpoint: stalled
//! connections are closed after the client timeout while Okta is still answered, and oversized
//! heads are refused with SCIM errors. The timeout is shortened for the test through
//! `SCIMDESK_CLIENT_TIMEOUT_MS` (20 s in production).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use scimdesk_tests::*;

const CLIENT_TIMEOUT_MS: u64 = 2_000;
/// The stalled clients' test checks that Okta was answered while they all still hung, so their
/// timeout must outlast Okta's two requests on a loaded machine by far.
const STALLED_TIMEOUT_MS: u64 = 10_000;
const STALLED: usize = 200;

fn serve_with_short_timeout(desk: &Desk) -> Server {
    serve_with_timeout(desk, CLIENT_TIMEOUT_MS)
}

fn serve_with_timeout(desk: &Desk, ms: u64) -> Server {
    desk.serve_with_env(&[], &[("SCIMDESK_CLIENT_TIMEOUT_MS", &ms.to_string())])
}

/// Whether the server still holds `stream` open (nothing to read, and not closed).
fn still_open(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).expect("non-blocking");
    let open = matches!(stream.peek(&mut [0u8; 1]), Err(e) if e.kind() == ErrorKind::WouldBlock);
    stream.set_nonblocking(false).expect("blocking again");
    open
}

/// Whether `raw` holds a whole response with a `Content-Length`.
fn answered(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|len| raw.len() >= end + 4 + len)
}

/// What one read of `stream` says: more bytes (appended to `got`), nothing yet, or closed.
enum Reading {
    More,
    Nothing,
    Closed,
}

fn read_once(stream: &mut TcpStream, got: &mut Vec<u8>) -> Reading {
    let mut buf = [0u8; 4096];
    match stream.read(&mut buf) {
        Ok(0) => Reading::Closed,
        Ok(n) => {
            got.extend_from_slice(&buf[..n]);
            Reading::More
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Reading::Nothing
        }
        Err(_) => Reading::Closed,
    }
}

/// Reads until a whole response arrived, the connection closed or `limit` passed; returns
/// what arrived.
fn read_answer(stream: &mut TcpStream, limit: Duration) -> String {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    let mut got = Vec::new();
    let _ = within(limit, || match read_once(stream, &mut got) {
        Reading::Closed => Ok(()),
        _ if answered(&got) => Ok(()),
        _ => Err(()),
    });
    String::from_utf8_lossy(&got).to_string()
}

/// Reads until the server closes the connection (or `limit` passes); returns what it sent and
/// when it closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<Instant>) {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    let mut got = Vec::new();
    let closed = within(limit, || match read_once(stream, &mut got) {
        Reading::Closed => Ok(Instant::now()),
        Reading::More | Reading::Nothing => Err(()),
    });
    (got, closed.ok())
}

#[test]
fn stalled_and_silent_clients_are_closed_after_the_timeout_while_okta_is_served() {
    let desk = Desk::new();
    let server = serve_with_timeout(&desk, STALLED_TIMEOUT_MS);
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    let path = reqwest::Url::parse(&conn.base_url)
        .unwrap()
        .path()
        .to_string();

    // Three in four send half a request and stall; the rest connect and send nothing.
    let opened = Instant::now();
    let mut stalled: Vec<TcpStream> = (0..STALLED)
        .map(|i| {
            let mut s = TcpStream::connect(server.listen()).expect("connect");
            match i % 4 {
                0 => {}
                1 => s.write_all(b"GET /scim/v2/").unwrap(),
                2 => s
                    .write_all(format!("POST {path}/Users HTTP/1.1\r\nHost: x\r\n").as_bytes())
                    .unwrap(),
                _ => s
                    .write_all(format!("GET {path}/Users HTTP/1.1\r\nAuthoriz").as_bytes())
                    .unwrap(),
            }
            s
        })
        .collect();

    // Okta is answered while they hang: not one of them was given up on by then.
    okta.create_user(&okta_user("served@corp.example", "Ser", "Ved"));
    okta.find_users(r#"userName eq "served@corp.example""#)
        .expect(200);
    let given_up: Vec<usize> = (0..STALLED).filter(|&i| !still_open(&stalled[i])).collect();
    assert!(
        given_up.is_empty(),
        "Okta was answered only after stalled connections {given_up:?} were closed \
         ({:?} after they stalled): it waited behind them",
        opened.elapsed()
    );

    // Each stalled connection is closed by the server, after the timeout and not long after.
    let limit = Duration::from_millis(STALLED_TIMEOUT_MS) + Duration::from_secs(30);
    for (i, s) in stalled.iter_mut().enumerate() {
        let (_, closed) = read_until_closed(s, limit.saturating_sub(opened.elapsed()));
        let closed = closed.unwrap_or_else(|| {
            panic!(
                "stalled connection {i} was still open {:?} after it stalled",
                opened.elapsed()
            )
        });
        assert!(
            closed.duration_since(opened) >= Duration::from_millis(STALLED_TIMEOUT_MS / 2),
            "connection {i} was closed before the timeout"
        );
    }
    // Still serving.
    assert_eq!(desk.employees().len(), 1);
    okta.get("/Users").expect(200);
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_timeout() {
    let desk = Desk::new();
    let server = serve_with_short_timeout(&desk);
    let conn = desk.add_connection("Okta");
    let path = reqwest::Url::parse(&conn.base_url)
        .unwrap()
        .path()
        .to_string();
    let mut s = TcpStream::connect(server.listen()).expect("connect");
    s.write_all(
        format!(
            "GET {path}/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
            conn.token
        )
        .as_bytes(),
    )
    .unwrap();
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(20));
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        closed.is_some(),
        "an idle kept-alive connection stayed open"
    );
}

#[test]
fn a_body_that_never_arrives_gets_408_after_the_timeout() {
    let desk = Desk::new();
    let server = serve_with_short_timeout(&desk);
    let conn = desk.add_connection("Okta");
    let path = reqwest::Url::parse(&conn.base_url)
        .unwrap()
        .path()
        .to_string();
    let mut s = TcpStream::connect(server.listen()).expect("connect");
    s.write_all(
        format!(
            "POST {path}/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/scim+json\r\nContent-Length: 500\r\n\r\n{{\"userName\":",
            conn.token
        )
        .as_bytes(),
    )
    .unwrap();
    let started = Instant::now();
    let answer = read_answer(&mut s, Duration::from_secs(20));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(ERROR_SCHEMA), "not a SCIM error: {answer}");
    assert!(started.elapsed() >= Duration::from_millis(CLIENT_TIMEOUT_MS / 2));
    assert!(desk.employees().is_empty());
}

#[test]
fn oversized_headers_and_urls_are_refused_with_scim_errors() {
    let desk = Desk::new();
    let mut server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));

    // A 100 KB header: a SCIM 431, token or not.
    let big = "a".repeat(100 * 1024);
    okta.raw("GET", "/Users", &[("x-padding", &big)], None)
        .assert_scim_error(431, None);
    okta.with_authorization(None)
        .raw(
            "POST",
            "/Users",
            &[("x-padding", &big)],
            Some(b"{}".to_vec()),
        )
        .assert_scim_error(431, None);
    // Many headers that add up.
    let many: Vec<(String, String)> = (0..40)
        .map(|i| (format!("x-h{i}"), "b".repeat(1024)))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    okta.raw("GET", "/Users", &many, None)
        .assert_scim_error(431, None);

    // A 20 KB URL: 414.
    let filter = encode_filter(&format!(r#"userName eq "{}""#, "x".repeat(20 * 1024)));
    okta.get(&format!("/Users?filter={filter}"))
        .assert_scim_error(414, None);

    // A 1 MiB head is cut off by the HTTP layer before it is buffered whole: refused (431) or
    // the connection closed, never served, and the endpoint lives on.
    let url = reqwest::Url::parse(okta.base_url()).unwrap();
    let mut s = TcpStream::connect(server.listen()).expect("connect");
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "GET {}/Users HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
        url.path(),
        "c".repeat(1024 * 1024)
    );
    let writer = {
        let mut w = s.try_clone().unwrap();
        thread::spawn(move || {
            let _ = w.write_all(head.as_bytes());
        })
    };
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(20));
    let _ = writer.join();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    assert!(closed.is_some(), "the connection was kept open");

    assert!(server.is_running(), "the server died:\n{}", server.stderr());
    okta.get("/Users").expect(200);
}
