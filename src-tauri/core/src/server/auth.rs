//! Who is calling: the [`Connection`] extractor, which every handler under a base URL takes
//! first, and the connection's "last contact" that its answers leave.
//!
//! Extracting a `Connection` checks, in order: the token against the connection in the path
//! (a wrong one is counted as a refusal, never as contact, and answered the same whether the
//! connection exists or not), the Okta switch (403), and the connection's rate limit (429). What
//! it yields is the connection and the [`WriteContext`] its writes carry, with absolute URLs
//! built from the configured public URL, never from the request's `Host`.
//!
//! Not for: what a request may contain (`extract`), or limits on the request as a whole
//! (`layers`).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::RequestPartsExt;

use super::error::{retry_after, ErrorDetail};
use super::{throttle, AppState, CONTACT_WRITE_INTERVAL};
use crate::connections::{authenticate_with, Authenticated};
use crate::directory::{Directory, WriteContext};
use crate::scim::ScimError;
use crate::timefmt;

/// The path parameter that names the connection (see `server::routes`).
pub const CONNECTION_PARAM: &str = "connection";

/// An authenticated request's connection. Every extractor of the request that needs it reads
/// the one the first extracted, so it is shared rather than copied.
#[derive(Clone)]
pub struct Connection(Arc<Caller>);

/// What [`Connection`] holds.
pub struct Caller {
    /// Who writes, and where the resources' absolute URLs start.
    pub ctx: WriteContext,
    directory: Directory,
}

impl std::ops::Deref for Connection {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl Caller {
    /// The connection's base URL, from the configured public URL.
    pub fn base_url(&self) -> &str {
        &self.ctx.base_url
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }
}

impl FromRequestParts<AppState> for Connection {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        // A handler's body extractor asks again: one authentication (and one draw from the
        // rate limit) per request.
        if let Some(known) = parts.extensions.get::<Connection>() {
            return Ok(known.clone());
        }
        let connection = authenticate(parts, state).await?;
        parts.extensions.insert(connection.clone());
        Ok(connection)
    }
}

async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Connection, Response> {
    let params = parts
        .extract::<RawPathParams>()
        .await
        .map_err(|_| ScimError::not_found("There is no connection at this URL.").into_response())?;
    let connection_id = params
        .iter()
        .find_map(|(name, value)| (name == CONNECTION_PARAM).then_some(value))
        .unwrap_or_default();

    let serving = state.desk.serving().await.map_err(|e| {
        tracing::error!(error = %e, "could not read settings");
        ScimError::internal("SCIM Desk could not read its settings; retry the task.")
            .into_response()
    })?;
    let config = &serving.config;
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
                let seconds = throttle::retry_after_secs(wait);
                return Err(retry_after(ScimError::refused_too_often(seconds), seconds));
            }
            // A wrong token at a connection that exists: the connection counts it as a refused
            // request, never as Okta's last contact (anyone who knows the URL can send one).
            if known && !rehearsal {
                super::refused::note(&state.refused, &state.desk, connection_id);
            }
            return Err(ScimError::unauthorized(auth.to_string()).into_response());
        }
    };
    // From here on the answer, whatever it is, is this connection's last contact.
    if !rehearsal {
        if let Some(slot) = parts.extensions.get::<ContactSlot>() {
            let _ = slot.0.set(connection.id.clone());
        }
    }

    // Each provider's switch pauses its own connections only.
    if !config.provider_enabled(connection.provider) {
        return Err(ScimError::provider_turned_off(connection.provider).into_response());
    }
    if let Err(throttled) = state.throttle.check(&connection.id) {
        return Err(
            too_many_requests(state, &connection, &parts.method, throttled, rehearsal).await,
        );
    }
    let overrides = &state.overrides;
    Ok(Connection(Arc::new(Caller {
        ctx: WriteContext {
            base_url: config.base_url_with(
                overrides.public_url.as_deref(),
                overrides.listen,
                &connection.id,
            ),
            connection_id: connection.id,
            connection_name: connection.name,
            provider: connection.provider,
        },
        directory: state.desk.directory().clone(),
    })))
}

/// 429 with `Retry-After`. The first refusal of a burst goes to the activity log, so the admin
/// sees why Okta slowed down without a line per refused request.
async fn too_many_requests(
    state: &AppState,
    connection: &Authenticated,
    method: &Method,
    throttled: throttle::Throttled,
    rehearsal: bool,
) -> Response {
    let seconds = throttled.retry_after_secs();
    let err = ScimError::rate_limited(throttled.limit, seconds);
    if throttled.first_of_burst && !rehearsal {
        tracing::warn!(connection = %connection.id, limit = %throttled.limit, "requests throttled");
        let ctx = WriteContext {
            base_url: String::new(),
            connection_id: connection.id.clone(),
            connection_name: connection.name.clone(),
            provider: connection.provider,
        };
        state
            .desk
            .directory()
            .record_throttled(&ctx, method.as_str(), &err)
            .await;
    }
    retry_after(err, seconds)
}

/// Where [`Connection`] leaves the id of a connection whose token it accepted, for
/// [`note_contact`] to read once the answer is known.
#[derive(Clone, Default)]
struct ContactSlot(Arc<OnceLock<String>>);

/// Layer of the routes under a base URL: an answer to a request whose token was accepted (any
/// answer, a 403 or 429 included) is the connection's last contact, with the error's detail.
pub async fn note_contact(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let slot = ContactSlot::default();
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    if let Some(id) = slot.0.get() {
        let detail = response
            .extensions()
            .get::<ErrorDetail>()
            .map(|d| d.0.clone());
        contact(&state, id, response.status().as_u16(), detail);
    }
    response
}

/// Writes the connection's last contact, at most every few seconds unless the outcome changed,
/// off the request's path.
fn contact(state: &AppState, connection_id: &str, status: u16, detail: Option<String>) {
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
        desk.notify(crate::events::ChangeEvent::Connections);
    });
}
