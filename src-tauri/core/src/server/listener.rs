//! The accept loop: each TCP connection served by hyper's HTTP/1 with the limits `axum::serve`
//! does not set, so slow or half-open clients cannot hold the endpoint.
//!
//! - A client must send a request's head within the client timeout, counted from the moment
//!   the server waits for it: on a new connection (one that sends nothing), mid-head (half a
//!   request line), and between requests on a kept-alive connection (the idle timeout). Then the
//!   connection is closed.
//! - A client must take what the server writes: a write that makes no progress for the client
//!   timeout (a client that stopped reading its answers, or vanished) closes the connection.
//! - A request head over [`MAX_HEAD_BYTES`] (or a request line over hyper's 64 KiB, or one that
//!   is not HTTP) is refused by hyper before it is buffered further; smaller heads that are still
//!   too large get a SCIM 431 or 414 from the router. hyper's own refusals have no body: they
//!   are given the same SCIM error body on their way out ([`ScimRefusals`]).
//! - At most [`MAX_CONNECTIONS`] connections are served at once; further ones wait in the
//!   kernel's backlog, so file descriptors are never exhausted.
//! - On shutdown, idle connections close at once and requests in flight get [`SHUTDOWN_GRACE`].
//!
//! Not for: what a request may contain (the endpoint's layers and extractors check bodies and
//! headers) or rate limits.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tower::{Service, ServiceExt};

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
pub async fn run<S>(
    listener: TcpListener,
    app: S,
    client_timeout: Duration,
    max_connections: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
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
            TokioIo::new(ScimRefusals::new(Box::pin(stream))),
            TowerToHyperService::new(
                app.clone()
                    .map_request(|r: Request<hyper::body::Incoming>| r.map(Body::new)),
            ),
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

/// A connection's stream, on which the answers hyper writes by itself (a request it could not
/// parse: 400, 414, 431 — a head with no body, after which it closes the connection) go out
/// with a SCIM error body, like every refusal of the router. The router's own answers always
/// have a body (or are a 2xx), so a 4xx head with `content-length: 0` is always hyper's.
struct ScimRefusals<S> {
    inner: S,
    /// A replacement answer still being written.
    pending: Vec<u8>,
}

impl<S> ScimRefusals<S> {
    fn new(inner: S) -> Self {
        ScimRefusals {
            inner,
            pending: Vec::new(),
        }
    }
}

/// The SCIM answer for a head hyper wrote without a body, if `head` is one.
fn scim_refusal(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let (start, rest) = text.split_once("\r\n")?;
    if !rest.ends_with("\r\n\r\n") {
        return None;
    }
    let status: u16 = start.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let empty = rest
        .lines()
        .any(|l| l.eq_ignore_ascii_case("content-length: 0"));
    if !(400..500).contains(&status) || !empty {
        return None;
    }
    let detail = match status {
        414 => "The request URL is longer than SCIM Desk accepts; shorten the filter.",
        431 => "The request headers are larger than SCIM Desk accepts.",
        _ => "The request is not valid HTTP: SCIM Desk could not read its request line or headers.",
    };
    let body = crate::scim::ScimError::new(status, None, detail)
        .to_body()
        .to_string();
    Some(
        format!(
            "{start}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            super::SCIM_CONTENT_TYPE,
            body.len()
        )
        .into_bytes(),
    )
}

impl<S: tokio::io::AsyncWrite + Unpin> ScimRefusals<S> {
    /// Writes what is pending; ready once nothing is.
    fn poll_pending(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        while !self.pending.is_empty() {
            match std::pin::Pin::new(&mut self.inner).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()))
                }
                Poll::Ready(Ok(n)) => {
                    self.pending.drain(..n);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for ScimRefusals<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for ScimRefusals<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        if let Some(answer) = scim_refusal(buf) {
            self.pending = answer;
            // Taken whole: what is pending is written before anything else, and on flush.
            let _ = self.poll_pending(cx)?;
            return std::task::Poll::Ready(Ok(buf.len()));
        }
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::ready!(self.poll_pending(cx))?;
        // A head hyper wrote alone is one slice; anything else is written as it is.
        let filled: Vec<&std::io::IoSlice<'_>> = bufs.iter().filter(|b| !b.is_empty()).collect();
        if let [only] = filled.as_slice() {
            if let Some(answer) = scim_refusal(only) {
                self.pending = answer;
                let _ = self.poll_pending(cx)?;
                return std::task::Poll::Ready(Ok(only.len()));
            }
        }
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// hyper's bodiless refusals get a SCIM body; the router's answers, and anything that is
    /// not such a head, are left as they are.
    #[test]
    fn hypers_bare_refusals_become_scim_errors() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(scim_refusal(bare).expect("rewritten")).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(
            head.contains("content-type: application/scim+json"),
            "{head}"
        );
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["status"], "414");
        for kept in [
            &b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 98\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"{\"userName\": \"HTTP/1.1 400 \"}",
        ] {
            assert!(
                scim_refusal(kept).is_none(),
                "{}",
                String::from_utf8_lossy(kept)
            );
        }
    }

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
