//! The SCIM 2.0 endpoint Okta calls: `/scim/v2/{connection id}/…` on a loopback listener.
//!
//! In axum's idiom: routes under the connection's base URL ([`routes`]), handlers by resource
//! (`users`, `groups`, `search`, `discovery`) that each take what they need as extractors —
//! the authenticated [`auth::Connection`] first, then the body, the list parameters or the
//! projection (`extract`) — and return `Result<_, ScimError>`; the SCIM error *is* the error
//! response (`error`). Fallbacks answer SCIM errors too: an unknown path is a 404, a method an
//! endpoint does not take a 405 with `Allow`, after the token was checked as for any request.
//! Layers around the router (`layers`) log each request, bound its head, give it a deadline, and
//! normalize its path before routing (`…//Users`, `/users`). Absolute URLs in responses come
//! from the configured public URL, never from the request's `Host`. There is no admin API here.
//!
//! Connections are accepted by `listener` (timeouts for slow clients, SCIM bodies for hyper's
//! own refusals), and each connection's requests are rate-limited by `throttle`.

mod auth;
mod discovery;
mod error;
mod extract;
mod groups;
mod health;
mod layers;
pub mod listener;
pub mod refused;
mod response;
mod search;
pub mod throttle;
mod users;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{any, get, post, MethodRouter};
use axum::Router;
use tokio::net::TcpListener;
use tower::util::BoxCloneSyncService;
use tower::ServiceBuilder;

use crate::config::RateLimit;
use crate::scim::ScimError;
use crate::Desk;

pub use error::SCIM_CONTENT_TYPE;

/// Bodies larger than this get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Request headers (names and values) larger than this in all get 431. Okta's are well under
/// 1 KiB; a tunnel adds a few hundred bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Request targets longer than this get 414 (the longest filter, percent-encoded, fits).
pub const MAX_URI_BYTES: usize = 16 * 1024;
/// A request that takes longer than this (a slow client included) is answered 503, and the
/// database work it started is interrupted (see [`crate::deadline`]).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Overrides [`REQUEST_TIMEOUT`], in milliseconds; for tests, which cannot wait 30 s.
pub const REQUEST_TIMEOUT_ENV: &str = "SCIMDESK_REQUEST_TIMEOUT_MS";
/// How often a connection's "last contact" is written when nothing else changed.
const CONTACT_WRITE_INTERVAL: Duration = Duration::from_secs(5);

/// What every layer and handler shares, behind one `Arc`: axum clones the state for every
/// request (each `from_fn_with_state` layer and each handler), so a clone is one count.
#[derive(Clone)]
struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

struct Shared {
    desk: Desk,
    overrides: Overrides,
    contacts: Arc<Mutex<HashMap<String, (Instant, bool)>>>,
    throttle: Arc<throttle::Throttle>,
    refusals: Arc<throttle::Refusals>,
    refused: Arc<refused::RefusedTokens>,
    /// How long a request body may take to arrive.
    client_timeout: Duration,
    /// How long a request may take in all ([`REQUEST_TIMEOUT`] unless overridden).
    request_timeout: Duration,
}

/// Settings given on the command line for this run only.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub public_url: Option<String>,
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the address {0} is already in use (is SCIM Desk already running?); choose another port with `scimdesk config set listen 127.0.0.1:PORT` or --listen")]
    AddressInUse(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// Binds the listener, with an error that tells the admin what to do when the port is taken.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            ServeError::AddressInUse(addr)
        } else {
            ServeError::Bind { addr, source }
        }
    })
}

/// The endpoint as one service: the layers of [`layers`] around the [`routes`].
pub type Endpoint = BoxCloneSyncService<Request, Response, Infallible>;

/// The endpoint with the default rate limit and client timeout; [`serve`] uses the settings.
pub fn app(desk: Desk, overrides: Overrides) -> Endpoint {
    endpoint(
        desk,
        overrides,
        Arc::new(throttle::Throttle::new(RateLimit::default())),
        listener::CLIENT_TIMEOUT,
    )
}

fn endpoint(
    desk: Desk,
    overrides: Overrides,
    throttle: Arc<throttle::Throttle>,
    client_timeout: Duration,
) -> Endpoint {
    let state = AppState(Arc::new(Shared {
        desk,
        overrides,
        contacts: Arc::default(),
        throttle,
        refusals: Arc::default(),
        refused: Arc::default(),
        client_timeout,
        request_timeout: request_timeout(),
    }));
    let service = ServiceBuilder::new()
        .layer(from_fn(layers::log_request))
        .layer(from_fn(layers::close_after_unread_body))
        .layer(from_fn(layers::refuse_oversized_head))
        .layer(from_fn_with_state(state.clone(), layers::deadline))
        // Before routing: the routes see the path normalized.
        .map_request(layers::normalize_path)
        .service(routes(state));
    BoxCloneSyncService::new(service)
}

/// Where each endpoint is served. Every handler under a base URL, the fallbacks included, takes
/// the connection first: a request with a wrong token is a 401 whatever it asks for.
fn routes(state: AppState) -> Router {
    const RESOURCE: &str = "GET, PUT, PATCH and DELETE";
    const SEARCH: &str = "A .search endpoint";
    let base_url = Router::new()
        .route("/", any(connection_root))
        .route(
            "/Users",
            accepts(
                get(search::list::<users::Users>).post(users::create),
                "GET and POST",
                "/Users",
            ),
        )
        .route(
            "/Users/.search",
            accepts(post(search::search::<users::Users>), "POST", SEARCH),
        )
        .route(
            "/Users/{id}",
            accepts(
                get(users::get)
                    .put(users::replace)
                    .patch(users::patch)
                    .delete(search::delete::<users::Users>),
                RESOURCE,
                "A resource",
            ),
        )
        .route(
            "/Groups",
            accepts(
                get(search::list::<groups::Groups>).post(groups::create),
                "GET and POST",
                "/Groups",
            ),
        )
        .route(
            "/Groups/.search",
            accepts(post(search::search::<groups::Groups>), "POST", SEARCH),
        )
        .route(
            "/Groups/{id}",
            accepts(
                get(groups::get)
                    .put(groups::replace)
                    .patch(groups::patch)
                    .delete(search::delete::<groups::Groups>),
                RESOURCE,
                "A resource",
            ),
        )
        .route(
            "/.search",
            accepts(post(search::everything), "POST", SEARCH),
        )
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config).fallback(discovery::read_only),
        )
        .route(
            "/Schemas",
            get(discovery::schemas).fallback(discovery::read_only),
        )
        .route(
            "/Schemas/{id}",
            get(discovery::schema).fallback(discovery::read_only),
        )
        .route(
            "/ResourceTypes",
            get(discovery::resource_types).fallback(discovery::read_only),
        )
        .route(
            "/ResourceTypes/{id}",
            get(discovery::resource_type).fallback(discovery::read_only),
        )
        .route("/Bulk", any(discovery::bulk))
        .route("/Me", any(discovery::me))
        .fallback(no_such_endpoint)
        .layer(from_fn_with_state(state.clone(), auth::note_contact));
    Router::new()
        .nest(
            &format!("/scim/v2/{{{}}}", auth::CONNECTION_PARAM),
            base_url,
        )
        .route("/health", get(health::health).fallback(health_methods))
        .route("/ready", get(health::ready).fallback(health_methods))
        .route("/scim", any(not_a_base_url))
        .route("/scim/v2", any(not_a_base_url))
        .fallback(nothing_here)
        .with_state(state)
}

/// `route`, answering the methods it does not take with a 405 that says which it does
/// (axum adds `Allow`).
fn accepts(
    route: MethodRouter<AppState>,
    allow: &'static str,
    what: &'static str,
) -> MethodRouter<AppState> {
    route.fallback(
        move |_: auth::Connection| async move { ScimError::method_not_allowed(allow, what) },
    )
}

async fn connection_root(_: auth::Connection) -> ScimError {
    ScimError::not_found(
        "This is the connection's base URL; SCIM resources are under /Users and /Groups.",
    )
}

/// Under a base URL, a path that is no endpoint (the path here is the one after the base URL).
async fn no_such_endpoint(_: auth::Connection, uri: Uri) -> ScimError {
    ScimError::not_found(format!(
        "There is no SCIM endpoint at '{}' under this base URL. The endpoints are /Users, \
         /Groups, /ServiceProviderConfig, /Schemas and /ResourceTypes.",
        uri.path()
    ))
}

async fn health_methods() -> ScimError {
    ScimError::method_not_allowed("GET", "A health check")
}

async fn not_a_base_url() -> ScimError {
    ScimError::not_found(
        "This is SCIM Desk's SCIM endpoint. Use a connection's base URL, which ends in \
         /scim/v2/<connection id>, as shown in SCIM Desk.",
    )
}

async fn nothing_here(uri: Uri) -> ScimError {
    ScimError::not_found(format!(
        "Nothing is served at '{}'. SCIM Desk only serves /scim/v2/<connection id>/…",
        uri.path()
    ))
}

/// Serves until `shutdown` resolves, following the rate limit setting as it changes.
pub async fn serve(
    desk: Desk,
    overrides: Overrides,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let rate_limit = desk
        .config()
        .await
        .map(|c| c.rate_limit)
        .unwrap_or_default();
    let throttle = Arc::new(throttle::Throttle::new(rate_limit));
    let client_timeout = listener::client_timeout();
    let follower = tokio::spawn(throttle::follow_settings(desk.clone(), throttle.clone()));
    let app = endpoint(desk, overrides, throttle, client_timeout);
    listener::run(
        listener,
        app,
        client_timeout,
        listener::MAX_CONNECTIONS,
        shutdown,
    )
    .await;
    follower.abort();
    Ok(())
}

/// The request timeout in effect: [`REQUEST_TIMEOUT`] unless the environment overrides it.
fn request_timeout() -> Duration {
    std::env::var(REQUEST_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .unwrap_or(REQUEST_TIMEOUT)
}
