//! The SCIM 2.0 endpoint Okta calls: `/scim/v2/{connection id}/…` on a loopback listener.
//!
//! One catch-all route parses the path itself, so that every answer — unknown paths, wrong
//! methods, oversize bodies, bad tokens — is a SCIM error body, and a base URL pasted with a
//! trailing slash (`…//Users`) still works. Each request is authenticated against the connection
//! in its path, from settings and connections cached while the database says they are unchanged
//! (`Desk::serving`). Absolute URLs in responses come from the
//! configured public URL, never from the request's `Host`. There is no admin API here.
//! Connections are accepted by `listener` (timeouts for slow clients), and each connection's
//! requests are rate-limited by `throttle`.

mod error;
pub mod listener;
pub mod refused;
pub mod throttle;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;

use crate::config::{Config, RateLimit};
use crate::connections::authenticate_with;
use crate::directory::activity::Attempt;
use crate::directory::users::WrittenUser;
use crate::directory::{etag, WriteContext};
use crate::scim::list::{self, ListQuery};
use crate::scim::schema::{self, ResourceKind};
use crate::scim::{ScimError, ScimType};
use crate::timefmt;
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

#[derive(Clone)]
struct AppState {
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

/// The router with the default rate limit and client timeout; [`serve`] uses the settings.
pub fn router(desk: Desk, overrides: Overrides) -> Router {
    app(
        desk,
        overrides,
        Arc::new(throttle::Throttle::new(RateLimit::default())),
        listener::CLIENT_TIMEOUT,
    )
}

fn app(
    desk: Desk,
    overrides: Overrides,
    throttle: Arc<throttle::Throttle>,
    client_timeout: Duration,
) -> Router {
    let state = AppState {
        desk,
        overrides,
        contacts: Arc::default(),
        throttle,
        refusals: Arc::default(),
        refused: Arc::default(),
        client_timeout,
        request_timeout: request_timeout(),
    };
    Router::new().fallback(handle).with_state(state)
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
    let app = app(desk, overrides, throttle, client_timeout);
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

fn took_too_long() -> ScimError {
    ScimError::new(
        503,
        None,
        "The request took too long and was abandoned; Okta can retry it.",
    )
}

async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let deadline = started + state.request_timeout;
    let method = request.method().clone();
    // The path only: query strings carry people's emails, and headers carry the token.
    let path = request.uri().path().to_owned();
    let expects = expects_continue(request.headers());
    let mut response = if let Some(refused) = oversized_head(&request) {
        refused.into_response()
    } else {
        // A read is served in one read transaction, from the change probe to the last row.
        let routed = async {
            match method {
                Method::GET => state.desk.db().snapshot(route(&state, request)).await,
                _ => route(&state, request).await,
            }
        };
        let routed = crate::deadline::scope(deadline, routed);
        match tokio::time::timeout_at(deadline.into(), routed).await {
            // A failure once the deadline passed is the interrupt of work that ran too long.
            Ok(response)
                if response.status() == StatusCode::INTERNAL_SERVER_ERROR
                    && Instant::now() >= deadline =>
            {
                took_too_long().into_response()
            }
            Ok(response) => response,
            Err(_) => took_too_long().into_response(),
        }
    };
    if expects && response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        // The body was never asked for: the connection cannot carry another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    tracing::info!(
        target: "scimdesk::request",
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
    );
    response
}

/// A request whose headers or target are too large to be Okta's: refused before any work.
fn oversized_head(request: &Request) -> Option<ScimError> {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return Some(ScimError::new(
            414,
            None,
            format!(
                "The request URL is longer than {} KiB, the most SCIM Desk accepts; shorten the filter.",
                MAX_URI_BYTES / 1024
            ),
        ));
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    (headers > MAX_HEADER_BYTES).then(|| {
        ScimError::new(
            431,
            None,
            format!(
                "The request headers are larger than {} KiB in all, the most SCIM Desk accepts.",
                MAX_HEADER_BYTES / 1024
            ),
        )
    })
}

/// A request after authentication.
struct Scim<'a> {
    state: &'a AppState,
    ctx: WriteContext,
    method: Method,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    body: Body,
}

async fn route(state: &AppState, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (connection_id, rest) =
        match segments.as_slice() {
            ["scim", "v2", id, rest @ ..] => (*id, rest.to_vec()),
            ["scim", "v2"] | ["scim"] => return ScimError::not_found(
                "This is SCIM Desk's SCIM endpoint. Use a connection's base URL, which ends in \
                 /scim/v2/<connection id>, as shown in SCIM Desk.",
            )
            .into_response(),
            _ => {
                return ScimError::not_found(format!(
                "Nothing is served at '{path}'. SCIM Desk only serves /scim/v2/<connection id>/…"
            ))
                .into_response()
            }
        };

    let serving = match state.desk.serving().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "could not read settings");
            return ScimError::internal("SCIM Desk could not read its settings; retry the task.")
                .into_response();
        }
    };
    let config = effective_config(state, &serving.config);
    // The rehearsal is the admin testing the path, not Okta: it must not change what the app
    // shows as Okta's last contact (its bad-token step would otherwise look like a failure).
    let rehearsal = parts
        .headers
        .get(header::USER_AGENT)
        .is_some_and(|v| v.as_bytes() == crate::tunnel::rehearsal::USER_AGENT.as_bytes());
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let connection = match authenticate_with(&serving.connections, connection_id, authorization) {
        Ok(c) => c,
        Err(auth) => {
            let known = serving.connections.iter().any(|k| k.id == connection_id);
            if let Err(wait) = state.refusals.check(known.then_some(connection_id)) {
                return refused_too_often(wait);
            }
            // A wrong token at a connection that exists: the connection counts it as a refused
            // request, never as Okta's last contact (anyone who knows the URL can send one).
            if known && !rehearsal {
                refused::note(&state.refused, &state.desk, connection_id);
            }
            return ScimError::new(401, None, auth.to_string()).into_response();
        }
    };

    if !config.okta_enabled {
        let err = ScimError::new(
            403,
            None,
            "The Okta integration is turned off in SCIM Desk (Settings > Integrations). Turn it \
             on to resume provisioning; nothing was changed.",
        );
        if !rehearsal {
            note_contact(state, &connection.id, 403, Some(err.detail.clone()));
        }
        return err.into_response();
    }
    if let Err(throttled) = state.throttle.check(&connection.id) {
        return too_many_requests(state, &connection, &parts.method, throttled, rehearsal).await;
    }

    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let scim = Scim {
        state,
        ctx: WriteContext {
            base_url: config.base_url(&connection.id),
            connection_id: connection.id.clone(),
            connection_name: connection.name.clone(),
        },
        method: parts.method.clone(),
        headers: parts.headers,
        query,
        body,
    };
    match dispatch(scim, &rest).await {
        Ok(response) => {
            if !rehearsal {
                note_contact(state, &connection.id, response.status().as_u16(), None);
            }
            response
        }
        Err(e) => {
            if !rehearsal {
                note_contact(state, &connection.id, e.status, Some(e.detail.clone()));
            }
            e.into_response()
        }
    }
}

/// 429 with `Retry-After` for a request with a wrong or missing token beyond the allowance of
/// refusals ([`throttle::Refusals`]): answered before anything is looked up or recorded.
fn refused_too_often(wait: Duration) -> Response {
    let seconds = throttle::retry_after_secs(wait);
    let mut response = ScimError::new(
        429,
        None,
        format!(
            "Too many requests with a wrong or missing token. Check the token Okta sends (the \
             connection's token in SCIM Desk), and retry after {seconds} s."
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// 429 with `Retry-After`. The first refusal of a burst goes to the activity log, so the admin
/// sees why Okta slowed down without a line per refused request.
async fn too_many_requests(
    state: &AppState,
    connection: &crate::connections::Authenticated,
    method: &Method,
    throttled: throttle::Throttled,
    rehearsal: bool,
) -> Response {
    let seconds = throttled.retry_after_secs();
    let err = ScimError::new(
        429,
        None,
        format!(
            "Too many requests on this connection: SCIM Desk accepts {} (its rate-limit \
             setting). Retry after {seconds} s.",
            throttled.limit
        ),
    );
    if throttled.first_of_burst && !rehearsal {
        tracing::warn!(connection = %connection.id, limit = %throttled.limit, "requests throttled");
        let ctx = WriteContext {
            base_url: String::new(),
            connection_id: connection.id.clone(),
            connection_name: connection.name.clone(),
        };
        state
            .desk
            .directory()
            .record_throttled(&ctx, method.as_str(), &err)
            .await;
    }
    if !rehearsal {
        note_contact(state, &connection.id, 429, Some(err.detail.clone()));
    }
    let mut response = err.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn effective_config(state: &AppState, config: &Config) -> Config {
    let mut config = config.clone();
    if let Some(url) = &state.overrides.public_url {
        config.public_url = Some(url.clone());
    }
    if let Some(listen) = state.overrides.listen {
        config.listen = listen;
    }
    config
}

/// Writes the connection's last contact, at most every few seconds unless the outcome changed,
/// off the request's path.
fn note_contact(state: &AppState, connection_id: &str, status: u16, detail: Option<String>) {
    let ok = status < 400;
    let due = {
        let mut contacts = state.contacts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match contacts.get(connection_id) {
            Some((at, was_ok))
                if *was_ok == ok && now.duration_since(*at) < CONTACT_WRITE_INTERVAL =>
            {
                false
            }
            _ => {
                contacts.insert(connection_id.to_owned(), (now, ok));
                true
            }
        }
    };
    if !due {
        return;
    }
    let desk = state.desk.clone();
    let id = connection_id.to_owned();
    tokio::spawn(async move {
        if let Err(e) = desk
            .connections()
            .record_contact(&id, &timefmt::now(), status, detail.as_deref())
            .await
        {
            tracing::warn!(error = %e, "could not record the last contact");
        }
        desk.notify(crate::desk::ChangeEvent::Connections);
    });
}

fn method_not_allowed(allow: &'static str, what: &str) -> ScimError {
    ScimError::new(
        405,
        None,
        format!("{what} does not accept this method; it accepts {allow}."),
    )
}

async fn dispatch(scim: Scim<'_>, rest: &[&str]) -> Result<Response, ScimError> {
    let lower: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let mut scim = scim;
    let m = scim.method.clone();
    match lower.as_slice() {
        ["users"] => match m {
            Method::GET => scim.list(Some(ResourceKind::User), None).await,
            Method::POST => scim.create(ResourceKind::User).await,
            _ => Err(method_not_allowed("GET and POST", "/Users")),
        },
        ["groups"] => match m {
            Method::GET => scim.list(Some(ResourceKind::Group), None).await,
            Method::POST => scim.create(ResourceKind::Group).await,
            _ => Err(method_not_allowed("GET and POST", "/Groups")),
        },
        ["users", ".search"] | ["groups", ".search"] | [".search"] => {
            if m != Method::POST {
                return Err(method_not_allowed("POST", "A .search endpoint"));
            }
            let kind = match lower[0] {
                "users" => Some(ResourceKind::User),
                "groups" => Some(ResourceKind::Group),
                _ => None,
            };
            let body = scim.json_body().await?;
            let q = list::from_search_body(&body)?;
            scim.list(kind, Some(q)).await
        }
        ["users", _] | ["groups", _] => {
            let kind = if lower[0] == "users" {
                ResourceKind::User
            } else {
                ResourceKind::Group
            };
            let id = rest[1];
            match m {
                Method::GET => scim.get(kind, id).await,
                Method::PUT => scim.replace(kind, id).await,
                Method::PATCH => scim.patch(kind, id).await,
                Method::DELETE => scim.delete(kind, id).await,
                _ => Err(method_not_allowed("GET, PUT, PATCH and DELETE", "A resource")),
            }
        }
        ["serviceproviderconfig"] => scim.discovery(|base| Some(schema::service_provider_config(base))),
        ["schemas"] => scim.discovery_list(schema::schema_documents),
        ["schemas", _] => {
            let id = rest[1].to_owned();
            scim.discovery(move |base| schema::schema_document(base, &id))
        }
        ["resourcetypes"] => scim.discovery_list(schema::resource_types),
        ["resourcetypes", _] => {
            let name = rest[1].to_owned();
            scim.discovery(move |base| schema::resource_type(base, &name))
        }
        ["bulk"] => Err(ScimError::new(
            501,
            None,
            "Bulk operations are not supported by SCIM Desk (ServiceProviderConfig says bulk.supported is false).",
        )),
        ["me"] => Err(ScimError::new(
            501,
            None,
            "/Me is not supported: SCIM Desk's tokens belong to connections, not to users.",
        )),
        [] => Err(ScimError::not_found(
            "This is the connection's base URL; SCIM resources are under /Users and /Groups.",
        )),
        _ => Err(ScimError::not_found(format!(
            "There is no SCIM endpoint at '/{}' under this base URL. The endpoints are /Users, \
             /Groups, /ServiceProviderConfig, /Schemas and /ResourceTypes.",
            rest.join("/")
        ))),
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    text_response(status, body.to_string())
}

/// A single resource already written as text, with its `ETag` (and `Location` when created).
fn tagged_response(
    status: StatusCode,
    body: String,
    version: i64,
    location: Option<String>,
) -> Response {
    let mut response = text_response(status, body);
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    if let Some(Ok(location)) = location.map(|l| HeaderValue::from_str(&l)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A SCIM JSON body already written as text.
fn text_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SCIM_CONTENT_TYPE),
    );
    response
}

/// A single resource, with its `ETag` (and `Location` when created).
fn resource_response(status: StatusCode, resource: &Value, created: bool) -> Response {
    let mut response = json_response(status, resource);
    let meta = resource.get("meta");
    if let Some(Ok(v)) = meta
        .and_then(|m| m.get("version"))
        .and_then(Value::as_str)
        .map(HeaderValue::from_str)
    {
        response.headers_mut().insert(header::ETAG, v);
    }
    if created {
        if let Some(Ok(v)) = meta
            .and_then(|m| m.get("location"))
            .and_then(Value::as_str)
            .map(HeaderValue::from_str)
        {
            response.headers_mut().insert(header::LOCATION, v);
        }
    }
    response
}

impl Scim<'_> {
    fn desk(&self) -> &Desk {
        &self.state.desk
    }

    fn if_match(&self) -> Option<String> {
        self.headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    fn list_query(&self) -> Result<ListQuery, ScimError> {
        list::from_query_pairs(&self.query)
    }

    /// `attributes` / `excludedAttributes` from the query string, for single-resource answers.
    fn projection(&self) -> Result<(Vec<String>, Vec<String>), ScimError> {
        let q = self.list_query()?;
        Ok((q.attributes, q.excluded_attributes))
    }

    /// A user just written, as text, with its `ETag` (and `Location` when created).
    fn user_response(
        &self,
        status: StatusCode,
        user: &WrittenUser,
        created: bool,
    ) -> Result<Response, ScimError> {
        let base = &self.ctx.base_url;
        let location = created.then(|| format!("{base}/Users/{}", user.id()));
        Ok(tagged_response(
            status,
            user.render_text(base)?,
            user.version(),
            location,
        ))
    }

    /// No `attributes` nor `excludedAttributes`: the resource goes out as the directory writes it.
    fn unprojected(&self) -> Result<bool, ScimError> {
        let (attributes, excluded) = self.projection()?;
        Ok(attributes.is_empty() && excluded.is_empty())
    }

    fn project(&self, resource: Value, kind: ResourceKind) -> Result<Value, ScimError> {
        let (attributes, excluded) = self.projection()?;
        Ok(schema::project_owned(
            resource,
            &attributes,
            &excluded,
            kind,
        ))
    }

    async fn body_bytes(&mut self) -> Result<Bytes, ScimError> {
        if let Some(len) = self
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            if len > MAX_BODY_BYTES as u64 {
                // A client that waits for `100 Continue` before sending is answered at once and
                // sends nothing (RFC 9110 §10.1.1); hyper sends `100 Continue` only when the
                // body is read. Any other client is already sending: its body is read and thrown
                // away, so that it reads the 413 rather than a reset connection.
                let body = std::mem::replace(&mut self.body, Body::empty());
                if !expects_continue(&self.headers) {
                    drain(body, self.state.client_timeout).await;
                }
                return Err(too_large());
            }
        }
        let body = std::mem::replace(&mut self.body, Body::empty());
        let timeout = self.state.client_timeout;
        match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(e)) if is_length_limit(&e) => Err(too_large()),
            Ok(Err(e)) => Err(ScimError::invalid_syntax(format!(
                "The request body could not be read: {}. Send it again, as a JSON object.",
                crate::scim::filter::shorten(&e.to_string())
            ))),
            Err(_) => Err(ScimError::new(
                408,
                None,
                format!(
                    "The request body did not arrive within {} s; Okta can retry the task.",
                    timeout.as_secs_f64()
                ),
            )),
        }
    }

    async fn json_body(&mut self) -> Result<Value, ScimError> {
        if let Some(ct) = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        {
            let mime = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if !(mime.is_empty() || mime == "application/scim+json" || mime == "application/json") {
                return Err(ScimError::new(
                    415,
                    None,
                    format!(
                        "The body is sent as '{mime}'; send it as application/scim+json or application/json."
                    ),
                ));
            }
        }
        let bytes = self.body_bytes().await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ScimError::invalid_syntax(
                "The request has no body; it needs a JSON object.",
            ));
        }
        let size = bytes.len();
        let parse = move || -> Result<Value, ScimError> {
            let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
                ScimError::new(
                    400,
                    Some(ScimType::InvalidSyntax),
                    format!("The request body is not valid JSON ({e})."),
                )
            })?;
            crate::scim::limits::check_body(&body)?;
            Ok(body)
        };
        // A large body takes milliseconds to parse: not on a thread that serves other requests'
        // I/O meanwhile.
        if size > PARSE_IN_PLACE_BYTES {
            tokio::task::spawn_blocking(parse)
                .await
                .unwrap_or_else(|_| Err(ScimError::internal("The request body could not be read.")))
        } else {
            parse()
        }
    }

    /// The body of a write; when it cannot be read (too large, not JSON, wrong type) the failed
    /// write still goes to the activity log, since it reached the endpoint.
    async fn write_body(
        &mut self,
        kind: ResourceKind,
        id: Option<&str>,
    ) -> Result<Value, ScimError> {
        match self.json_body().await {
            Ok(body) => Ok(body),
            Err(e) => {
                let (resource_type, what) = match kind {
                    ResourceKind::User => ("User", "a user"),
                    ResourceKind::Group => ("Group", "a group"),
                };
                let subject = id.map_or_else(|| what.to_owned(), |id| format!("{what} ({id})"));
                let operation = match (kind, id) {
                    (ResourceKind::User, None) => "create",
                    (ResourceKind::User, Some(_)) => "update",
                    (ResourceKind::Group, None) => "create_group",
                    (ResourceKind::Group, Some(_)) => "update_group",
                };
                self.desk()
                    .directory()
                    .record_failure(
                        &self.ctx,
                        Attempt {
                            method: self.method.as_str(),
                            operation,
                            resource_type,
                            resource_id: id,
                            subject: &subject,
                        },
                        &e,
                    )
                    .await;
                Err(e)
            }
        }
    }

    async fn list(
        mut self,
        kind: Option<ResourceKind>,
        search: Option<ListQuery>,
    ) -> Result<Response, ScimError> {
        let q = match search {
            Some(q) => q,
            None => self.list_query()?,
        };
        let base = self.ctx.base_url.clone();
        let dir = self.desk().directory();
        if kind == Some(ResourceKind::User)
            && q.attributes.is_empty()
            && q.excluded_attributes.is_empty()
        {
            let text = dir.list_users_text(&base, &q).await?;
            self.body = Body::empty();
            return Ok(text_response(StatusCode::OK, text));
        }
        if kind == Some(ResourceKind::Group) {
            let text = dir.list_groups_text(&base, &q).await?;
            self.body = Body::empty();
            return Ok(text_response(StatusCode::OK, text));
        }
        let mut response = match kind {
            Some(ResourceKind::User) => dir.list_users(&base, &q).await?,
            Some(ResourceKind::Group) => dir.list_groups(&base, &q).await?,
            None => {
                // A search at the root covers users, then groups, as one list.
                let users = dir.list_users(&base, &q).await?;
                let user_total = users["totalResults"].as_u64().unwrap_or(0);
                let shown = users["Resources"].as_array().map_or(0, Vec::len) as u64;
                let mut gq = q.clone();
                gq.start_index = if q.start_index <= user_total {
                    1
                } else {
                    q.start_index - user_total
                };
                gq.count = q.count.saturating_sub(shown);
                let groups = dir.list_groups(&base, &gq).await?;
                let group_total = groups["totalResults"].as_u64().unwrap_or(0);
                let mut resources = users["Resources"].as_array().cloned().unwrap_or_default();
                resources.extend(groups["Resources"].as_array().cloned().unwrap_or_default());
                list::list_response(resources, user_total + group_total, q.start_index)
            }
        };
        if let Some(Value::Array(resources)) = response.get_mut("Resources") {
            for r in resources.iter_mut() {
                let kind = match r
                    .get("meta")
                    .and_then(|m| m.get("resourceType"))
                    .and_then(Value::as_str)
                {
                    Some("Group") => ResourceKind::Group,
                    _ => ResourceKind::User,
                };
                *r = schema::project_owned(
                    std::mem::take(r),
                    &q.attributes,
                    &q.excluded_attributes,
                    kind,
                );
            }
        }
        self.body = Body::empty();
        Ok(json_response(StatusCode::OK, &response))
    }

    async fn get(self, kind: ResourceKind, id: &str) -> Result<Response, ScimError> {
        let base = &self.ctx.base_url;
        if kind == ResourceKind::User && self.unprojected()? {
            let (text, version) = self.desk().directory().get_user_text(base, id).await?;
            return Ok(tagged_response(StatusCode::OK, text, version, None));
        }
        if kind == ResourceKind::Group {
            // Written as text while its members are read, however many there are.
            let (attributes, excluded) = self.projection()?;
            let (text, version) = self
                .desk()
                .directory()
                .get_group_text(base, id, &attributes, &excluded)
                .await?;
            return Ok(tagged_response(StatusCode::OK, text, version, None));
        }
        let resource = self.desk().directory().get_user(base, id).await?;
        let projected = self.project(resource, kind)?;
        Ok(resource_response(StatusCode::OK, &projected, false))
    }

    async fn create(mut self, kind: ResourceKind) -> Result<Response, ScimError> {
        let body = self.write_body(kind, None).await?;
        let dir = self.desk().directory();
        if kind == ResourceKind::User && self.unprojected()? {
            let user = dir.create_user_written(&self.ctx, body).await?;
            return self.user_response(StatusCode::CREATED, &user, true);
        }
        let resource = match kind {
            ResourceKind::User => dir.create_user(&self.ctx, body).await?,
            ResourceKind::Group => dir.create_group(&self.ctx, body).await?,
        };
        let projected = self.project(resource, kind)?;
        Ok(resource_response(StatusCode::CREATED, &projected, true))
    }

    async fn replace(mut self, kind: ResourceKind, id: &str) -> Result<Response, ScimError> {
        let body = self.write_body(kind, Some(id)).await?;
        let if_match = self.if_match();
        let dir = self.desk().directory();
        if kind == ResourceKind::User && self.unprojected()? {
            let user = dir
                .replace_user_written(&self.ctx, id, body, if_match.as_deref())
                .await?;
            return self.user_response(StatusCode::OK, &user, false);
        }
        let resource = match kind {
            ResourceKind::User => {
                dir.replace_user(&self.ctx, id, body, if_match.as_deref())
                    .await?
            }
            ResourceKind::Group => {
                dir.replace_group(&self.ctx, id, body, if_match.as_deref())
                    .await?
            }
        };
        let projected = self.project(resource, kind)?;
        Ok(resource_response(StatusCode::OK, &projected, false))
    }

    async fn patch(mut self, kind: ResourceKind, id: &str) -> Result<Response, ScimError> {
        let body = self.write_body(kind, Some(id)).await?;
        let if_match = self.if_match();
        let dir = self.desk().directory();
        if kind == ResourceKind::User && self.unprojected()? {
            let user = dir
                .patch_user_written(&self.ctx, id, &body, if_match.as_deref())
                .await?;
            return self.user_response(StatusCode::OK, &user, false);
        }
        if kind == ResourceKind::Group {
            let version = dir
                .patch_group(&self.ctx, id, &body, if_match.as_deref())
                .await?;
            let (attributes, excluded) = self.projection()?;
            if attributes.is_empty() && excluded.is_empty() {
                // RFC 7644 §3.5.2 lets a PATCH answer 204, and Okta and Entra expect nothing
                // more of a group: answering a large group whole after each batch of member
                // changes would cost more than the change.
                let mut response = StatusCode::NO_CONTENT.into_response();
                if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
                    response.headers_mut().insert(header::ETAG, tag);
                }
                return Ok(response);
            }
            let (text, version) = dir
                .get_group_text(&self.ctx.base_url, id, &attributes, &excluded)
                .await?;
            return Ok(tagged_response(StatusCode::OK, text, version, None));
        }
        let resource = dir
            .patch_user(&self.ctx, id, &body, if_match.as_deref())
            .await?;
        let projected = self.project(resource, kind)?;
        Ok(resource_response(StatusCode::OK, &projected, false))
    }

    async fn delete(self, kind: ResourceKind, id: &str) -> Result<Response, ScimError> {
        let if_match = self.if_match();
        let dir = self.desk().directory();
        match kind {
            ResourceKind::User => dir.delete_user(&self.ctx, id, if_match.as_deref()).await?,
            ResourceKind::Group => dir.delete_group(&self.ctx, id, if_match.as_deref()).await?,
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    fn discovery(&self, doc: impl FnOnce(&str) -> Option<Value>) -> Result<Response, ScimError> {
        if self.method != Method::GET {
            return Err(method_not_allowed(
                "GET",
                "A discovery endpoint (ServiceProviderConfig, Schemas, ResourceTypes)",
            ));
        }
        match doc(&self.ctx.base_url) {
            Some(v) => Ok(json_response(StatusCode::OK, &v)),
            None => Err(ScimError::not_found(
                "There is no such schema or resource type; see /Schemas and /ResourceTypes.",
            )),
        }
    }

    fn discovery_list(&self, docs: impl FnOnce(&str) -> Vec<Value>) -> Result<Response, ScimError> {
        self.discovery(|base| {
            let all = docs(base);
            let n = all.len() as u64;
            Some(list::list_response(all, n, 1))
        })
    }
}

/// How much of a refused body is read and thrown away before answering.
const DRAIN_BYTES: usize = 8 * MAX_BODY_BYTES;

/// Reads and discards a refused body (up to [`DRAIN_BYTES`], within the client timeout), so that
/// a client still sending it reads the 413 instead of a connection reset in mid-upload.
async fn drain(mut body: Body, timeout: Duration) {
    use http_body_util::BodyExt;
    let mut seen = 0;
    let _ = tokio::time::timeout(timeout, async {
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

/// Bodies larger than this are parsed on a blocking thread (see [`Scim::json_body`]).
const PARSE_IN_PLACE_BYTES: usize = 64 * 1024;

/// Whether the client waits for `100 Continue` before it sends the body.
fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// Whether reading a body failed because it was longer than the limit (rather than malformed,
/// say a broken chunked encoding).
fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

fn too_large() -> ScimError {
    ScimError::new(
        413,
        None,
        format!(
            "The request body is larger than {} KiB, the most SCIM Desk accepts.",
            MAX_BODY_BYTES / 1024
        ),
    )
}
