//! The accept loop: each TCP connection served by hyper's HTTP/1 with the limits `axum::serve`
//! does not set, so slow or half-open clients cannot hold the endpoint.
//!
//! - A client must send a request's head within the client timeout, counted from the moment
//!   the server waits for it: on a new connection (one that sends nothing), mid-head (half a
//!   request line), and between requests on a kept-alive connection (the idle timeout). Then the
//!   connection is closed.
//! - A client must take what the server writes: a write that makes no progress for the client
//!   timeout (a client that stopped reading its answers, or vanished) closes the connection.
//! - A request head over [`MAX_HEAD_BYTES`] is refused by hyper (a bare 431) before it is
//!   buffered further; smaller heads that are still too large get a SCIM 431 from the router.
//! - At most [`MAX_CONNECTIONS`] connections are served at once; further ones wait in the
//!   kernel's backlog, so file descriptors are never exhausted.
//! - On shutdown, idle connections close at once and requests in flight get [`SHUTDOWN_GRACE`].
//!
//! Not for: what a request may contain (the router checks bodies and headers) or rate limits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;

/// How long a client may take to send a request head, or stay idle between requests.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);
/// Overrides [`CLIENT_TIMEOUT`], in milliseconds; for tests, which cannot wait 20 s.
pub const CLIENT_TIMEOUT_ENV: &str = "SCIMDESK_CLIENT_TIMEOUT_MS";
/// Connections served at once. Okta and a tunnel use a handful; the bound keeps well below the
/// usual limit of 1024 open files.
pub const MAX_CONNECTIONS: usize = 512;
/// hyper's own bound on a request head (request line and headers).
pub const MAX_HEAD_BYTES: usize = 256 * 1024;
/// How long requests in flight may take to finish once the endpoint is stopping.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The client timeout in effect: [`CLIENT_TIMEOUT`] unless the environment overrides it.
pub fn client_timeout() -> Duration {
    std::env::var(CLIENT_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .unwrap_or(CLIENT_TIMEOUT)
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains. At most `max_connections`
/// are served at once (production: [`MAX_CONNECTIONS`]).
pub async fn run(
    listener: TcpListener,
    app: Router,
    client_timeout: Duration,
    max_connections: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(client_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: the next accept may succeed.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(client_timeout));
        let connection = builder.serve_connection(
            TokioIo::new(Box::pin(stream)),
            TowerToHyperService::new(app.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and resets end up here: routine, not the admin's concern.
                tracing::debug!(error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running at shutdown were abandoned");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn get(addr: std::net::SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer).await;
        answer
    }

    #[tokio::test]
    async fn connections_beyond_the_cap_wait_until_a_stalled_one_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(|| async { "served" });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(listener, app, Duration::from_secs(1), 2, async move {
            let _ = stopped.await;
        }));
        // Two silent clients take both slots.
        let _silent: Vec<TcpStream> = vec![
            TcpStream::connect(addr).await.unwrap(),
            TcpStream::connect(addr).await.unwrap(),
        ];
        let third = tokio::spawn(get(addr));
        // While they hold the slots the third waits in the backlog...
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!third.is_finished(), "served beyond the cap");
        // ...and is served once the client timeout has closed them.
        let answer = tokio::time::timeout(Duration::from_secs(10), third)
            .await
            .expect("never served after the stalled clients timed out")
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("served"), "{answer}");
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("stops on shutdown")
            .unwrap();
    }

    /// A client that asks for a large answer and never reads it holds its connection only for
    /// the client timeout: then the server gives up the write, and the slot serves someone else.
    #[tokio::test]
    async fn a_client_that_stops_reading_is_dropped_after_the_client_timeout() {
        const BODY: usize = 64 << 20;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/big", axum::routing::get(|| async { vec![b'x'; BODY] }))
            .fallback(|| async { "served" });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(listener, app, Duration::from_secs(1), 1, async move {
            let _ = stopped.await;
        }));
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        stalled
            .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        // The only slot is the stalled client's until its write times out.
        let answer = tokio::time::timeout(Duration::from_secs(10), get(addr))
            .await
            .expect("never served: the stalled client kept the only slot");
        assert!(answer.ends_with("served"), "{answer}");
        // What the stalled client can still read ends before the answer does.
        let mut got = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut got))
            .await
            .expect("the connection was closed")
            .ok();
        assert!(got.len() < BODY, "the whole answer was written");
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("stops on shutdown")
            .unwrap();
    }
}
