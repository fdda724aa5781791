//! A stand-in for Okta's management API, written for the tests: Okta's API cannot be reached
//! from these machines.
//!
//! It serves `https://localhost:PORT` with a certificate from a [`TestCa`] (trusted by the
//! binary through `SCIMDESK_EXTRA_CA_FILE`) and answers what the reconcile reads, in Okta's
//! documented shapes: `GET /api/v1/apps/{appId}` and `GET /api/v1/apps/{appId}/users?limit=N`
//! with `Link: <…>; rel="self"` and `rel="next"` (an `after` cursor), `X-Rate-Limit-*` headers on
//! every answer, a 429 now and then, and Okta's error bodies for a wrong token (401), a token
//! without permission (403) and an unknown app (404). Not for: anything but tests.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::proxy::{Background, TestCa};

/// What the stand-in's org holds and how it behaves.
pub struct OrgState {
    pub token: String,
    pub app_id: String,
    /// The app's users, as Okta's AppUser objects.
    pub app_users: Vec<Value>,
    /// The most users a page holds, whatever `limit` asks (Okta may return fewer).
    pub page_size: usize,
    /// Every Nth request of app users is answered 429 once (0: never).
    pub throttle_every: u64,
    /// Every request is answered 429, with a reset time already passed.
    pub always_throttled: bool,
    /// Every request with the right token is answered 403.
    pub forbidden: bool,
}

pub struct OktaApiStandin {
    port: u16,
    state: Arc<Mutex<OrgState>>,
    requests: Arc<AtomicU64>,
    throttled: Arc<AtomicU64>,
    _background: Background,
}

/// An AppUser as `GET /api/v1/apps/{appId}/users` returns it.
pub fn app_user(
    okta_id: &str,
    external_id: Option<&str>,
    email: &str,
    given: &str,
    family: &str,
    title: &str,
    status: &str,
) -> Value {
    let profile = json!({
        "email": email,
        "givenName": given,
        "familyName": family,
        "title": title,
        "department": null,
    });
    app_user_with_profile(okta_id, external_id, profile, status)
}

/// An AppUser with the profile the app's attribute mappings give it (its `email` is also its
/// `credentials.userName`).
pub fn app_user_with_profile(
    okta_id: &str,
    external_id: Option<&str>,
    profile: Value,
    status: &str,
) -> Value {
    json!({
        "id": okta_id,
        "externalId": external_id,
        "created": "2026-11-01T09:00:00.000Z",
        "lastUpdated": "2026-12-01T09:00:00.000Z",
        "scope": "USER",
        "status": status,
        "statusChanged": "2026-11-01T09:00:01.000Z",
        "passwordChanged": null,
        "syncState": "SYNCHRONIZED",
        "lastSync": "2026-12-01T09:00:02.000Z",
        "credentials": { "userName": profile["email"].clone() },
        "profile": profile,
        "_links": {
            "user": { "href": format!("https://example.okta.com/api/v1/users/{okta_id}") }
        }
    })
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

impl OktaApiStandin {
    pub fn start(ca: &TestCa, state: OrgState) -> OktaApiStandin {
        let (certs, key) = ca.server_cert();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the stand-in");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(Mutex::new(state));
        let requests = Arc::new(AtomicU64::new(0));
        let throttled = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = oneshot::channel::<()>();
        let (st, rq, th) = (state.clone(), requests.clone(), throttled.clone());
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("stand-in runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let serve = async {
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            continue;
                        };
                        let acceptor = acceptor.clone();
                        let (st, rq, th) = (st.clone(), rq.clone(), th.clone());
                        tokio::spawn(async move {
                            let Ok(tls) = acceptor.accept(tcp).await else {
                                return;
                            };
                            let service = hyper::service::service_fn(move |req| {
                                let answer = answer(&req, port, &st, &rq, &th);
                                async move { Ok::<_, Infallible>(answer) }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(tls), service)
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
        OktaApiStandin {
            port,
            state,
            requests,
            throttled,
            _background: Background {
                stop: Some(stop),
                thread: Some(thread),
            },
        }
    }

    /// `https://localhost:PORT`: the org URL to set.
    pub fn org_url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, OrgState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// 429s answered so far.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::SeqCst)
    }
}

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

fn respond(
    status: StatusCode,
    body: &Value,
    remaining: u64,
    reset: u64,
    links: &[String],
) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert("content-type", "application/json".parse().unwrap());
    h.insert("x-rate-limit-limit", "600".parse().unwrap());
    h.insert(
        "x-rate-limit-remaining",
        remaining.to_string().parse().unwrap(),
    );
    h.insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
    for link in links {
        h.append("link", link.parse().unwrap());
    }
    response
}

fn error(status: StatusCode, code: &str, summary: &str) -> Response<Body> {
    respond(
        status,
        &json!({
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": "oae-standin",
            "errorCauses": []
        }),
        599,
        now_secs() + 60,
        &[],
    )
}

fn answer(
    req: &Request<Incoming>,
    port: u16,
    state: &Mutex<OrgState>,
    requests: &AtomicU64,
    throttled: &AtomicU64,
) -> Response<Body> {
    let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
    let state = state.lock().unwrap_or_else(|p| p.into_inner());
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("SSWS {}", state.token) {
        return error(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        );
    }
    if state.forbidden {
        return error(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        );
    }
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
    };
    let Some(rest) = path.strip_prefix("/api/v1/apps/") else {
        return error(
            StatusCode::NOT_FOUND,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        );
    };
    let (app, users) = match rest.split_once('/') {
        Some((app, "users")) => (app, true),
        Some(_) => {
            return error(
                StatusCode::NOT_FOUND,
                "E0000022",
                "The endpoint does not support the provided HTTP method",
            )
        }
        None => (rest, false),
    };
    if app != state.app_id {
        return error(
            StatusCode::NOT_FOUND,
            "E0000007",
            &format!("Not found: Resource not found: {app} (AppInstance)"),
        );
    }
    let reset = now_secs() + 1;
    if !users {
        return respond(
            StatusCode::OK,
            &json!({
                "id": state.app_id,
                "name": "scim2testapp",
                "label": "SCIM Desk",
                "status": "ACTIVE",
                "signOnMode": "SAML_2_0",
            }),
            599,
            reset,
            &[],
        );
    }
    if state.always_throttled
        || (state.throttle_every > 0 && n.is_multiple_of(state.throttle_every))
    {
        throttled.fetch_add(1, Ordering::SeqCst);
        let reset = if state.always_throttled {
            now_secs()
        } else {
            reset
        };
        return respond(
            StatusCode::TOO_MANY_REQUESTS,
            &json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests.", "errorId": "oae-standin", "errorCauses": []}),
            0,
            reset,
            &[],
        );
    }
    let limit: usize = param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50)
        .min(500);
    let size = limit.min(state.page_size.max(1));
    let start: usize = param("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let end = (start + size).min(state.app_users.len());
    let page: Vec<Value> = state.app_users.get(start..end).unwrap_or(&[]).to_vec();
    let base = format!("https://localhost:{port}/api/v1/apps/{app}/users");
    let mut links = vec![format!("<{base}?limit={limit}>; rel=\"self\"")];
    if end < state.app_users.len() {
        links.push(format!("<{base}?after={end}&limit={limit}>; rel=\"next\""));
    }
    respond(StatusCode::OK, &Value::Array(page), 500, reset, &links)
}
