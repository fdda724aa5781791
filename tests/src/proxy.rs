//! A TLS-terminating reverse proxy on loopback, written for the tests: what an admin's own
//! tunnel or reverse proxy is to SCIM Desk.
//!
//! A test CA is generated at test time ([`TestCa`]); the proxy serves `https://localhost:PORT`
//! with a certificate from it and forwards every request to an upstream `http://` address,
//! passing the client's `Host` on (as nginx's `proxy_set_header Host $host` does) or replacing
//! it with a forged one. When the upstream cannot be reached it answers `502` with an HTML page,
//! as real proxies do. Not for: anything but tests.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A certificate authority made for one test, with its certificate in a PEM file to pass as
/// `SCIMDESK_EXTRA_CA_FILE`.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    file: PathBuf,
    _dir: TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let key = KeyPair::generate().expect("generate the CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "SCIM Desk test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("self-sign the CA");
        let cert_pem = cert.pem();
        let dir = tempfile::tempdir().expect("temp dir for the CA");
        let file = dir.path().join("test-ca.pem");
        std::fs::write(&file, &cert_pem).expect("write the CA certificate");
        TestCa {
            issuer: Issuer::new(params, key),
            cert_pem,
            file,
            _dir: dir,
        }
    }

    /// The PEM file of the CA's certificate.
    pub fn file(&self) -> &Path {
        &self.file
    }

    pub fn pem(&self) -> &str {
        &self.cert_pem
    }

    /// A server certificate for `localhost` and `127.0.0.1`, signed by this CA.
    pub(crate) fn server_cert(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().expect("generate the server key");
        let mut params =
            CertificateParams::new(vec!["localhost".to_string()]).expect("server params");
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign the server certificate");
        (
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// A server running on its own thread and runtime, stopped (and joined) when dropped.
pub(crate) struct Background {
    pub(crate) stop: Option<oneshot::Sender<()>>,
    pub(crate) thread: Option<thread::JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A running proxy; stopped when dropped.
pub struct TlsProxy {
    port: u16,
    background: Option<Background>,
}

impl TlsProxy {
    /// Serves `https://localhost:PORT` (a free port), forwarding to `upstream`. With
    /// `forged_host`, every forwarded request carries that `Host` instead of the client's.
    pub fn start(ca: &TestCa, upstream: SocketAddr, forged_host: Option<&str>) -> TlsProxy {
        let (certs, key) = ca.server_cert();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("proxy address").port();
        let forged = forged_host.map(|h| HeaderValue::from_str(h).expect("forged Host value"));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let client: Client<HttpConnector, Incoming> =
                    Client::builder(TokioExecutor::new()).build_http();
                tokio::select! {
                    _ = stopped => {}
                    _ = accept_loop(listener, acceptor, upstream, forged, client) => {}
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        });
        TlsProxy {
            port,
            background: Some(Background {
                stop: Some(stop),
                thread: Some(thread),
            }),
        }
    }

    /// `https://localhost:PORT`: the public URL to configure.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// Stops listening: connections to the port are refused afterwards.
    pub fn stop(&mut self) {
        self.background = None;
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    upstream: SocketAddr,
    forged: Option<HeaderValue>,
    client: Client<HttpConnector, Incoming>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let forged = forged.clone();
        let client = client.clone();
        tokio::spawn(async move {
            // A client that gives up on TLS (a rehearsal of a bad certificate) is not an error.
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper::service::service_fn(move |request| {
                forward(request, upstream, forged.clone(), client.clone())
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;

async fn forward(
    request: Request<Incoming>,
    upstream: SocketAddr,
    forged: Option<HeaderValue>,
    client: Client<HttpConnector, Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let target = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let (mut parts, body) = request.into_parts();
    parts.uri = match format!("http://{upstream}{target}").parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => return Ok(page(StatusCode::BAD_REQUEST, "400 Bad Request")),
    };
    if let Some(host) = forged {
        parts.headers.insert(HOST, host);
    }
    match client.request(Request::from_parts(parts, body)).await {
        Ok(response) => Ok(response.map(|b| b.boxed())),
        Err(_) => Ok(page(StatusCode::BAD_GATEWAY, "502 Bad Gateway")),
    }
}

/// The proxy's own HTML page, like nginx's error pages.
fn page(status: StatusCode, title: &str) -> Response<ProxyBody> {
    let html = format!(
        "<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center><hr><center>test-proxy</center></body></html>"
    );
    let mut response = Response::new(
        Full::new(Bytes::from(html))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// A plain HTTP server that is not SCIM Desk (a web server the tunnel was pointed at by
/// mistake): it answers every request with a welcome page. Stopped when dropped.
pub struct OtherWebServer {
    addr: SocketAddr,
    _background: Background,
}

impl OtherWebServer {
    pub fn start() -> OtherWebServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let serve = async {
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            continue;
                        };
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(|_req| async {
                                Ok::<_, Infallible>(page(StatusCode::OK, "Welcome to nginx!"))
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(tcp), service)
                                .await;
                        });
                    }
                };
                tokio::select! {
                    _ = stopped => {}
                    _ = serve => {}
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        });
        OtherWebServer {
            addr,
            _background: Background {
                stop: Some(stop),
                thread: Some(thread),
            },
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
