//! The layers every request passes through, outermost first (see `server::app`):
//!
//! 1. [`log_request`] — the request log's line: method, path (never the query string, which
//!    carries people's emails, nor a header, which carries the token), status, milliseconds.
//! 2. [`close_after_unread_body`] — a 413 answered before a body the client had not sent yet
//!    (`Expect: 100-continue`) closes the connection.
//! 3. [`refuse_oversized_head`] — 414 and 431, before any work.
//! 4. [`deadline`] — the request's deadline: told to the database work it starts
//!    ([`crate::deadline`]), a GET read in one snapshot, and a 503 once it passes.
//! 5. [`normalize_path`] — before routing: `…//Users` (a base URL pasted with a trailing slash)
//!    is `…/Users`, and the endpoint names after a base URL are case-insensitive.
//!
//! They are small layers of our own rather than `tower_http`'s because each answer must be a
//! SCIM error: `TimeoutLayer` answers with an empty body and cannot tell the database work its
//! deadline, and `TraceLayer` reports through a span per request, which would change the shape
//! of the log line that `serve`'s readers rely on.
//!
//! Not for: authentication (`auth`) or the body (`extract`).

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppState, MAX_HEADER_BYTES, MAX_URI_BYTES};
use crate::scim::ScimError;

/// The request log's line, for every request under the listener.
pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // The path only: query strings carry people's emails, and headers carry the token.
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    // A load balancer's checks every few seconds would bury Okta's requests in the log.
    if super::health::PATHS.contains(&path.as_str()) && response.status().is_success() {
        tracing::debug!(target: "scimdesk::request", %method, path, status, ms);
    } else {
        tracing::info!(target: "scimdesk::request", %method, path, status, ms);
    }
    response
}

/// Whether the client waits for `100 Continue` before it sends the body.
pub fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// A 413 to a client that waits for `100 Continue`: the body was never asked for, so the
/// connection cannot carry another request.
pub async fn close_after_unread_body(request: Request, next: Next) -> Response {
    let expects = expects_continue(request.headers());
    let mut response = next.run(request).await;
    if expects && response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request whose headers or target are too large to be Okta's: refused before any work.
pub async fn refuse_oversized_head(request: Request, next: Next) -> Response {
    match oversized_head(&request) {
        Some(refused) => refused.into_response(),
        None => next.run(request).await,
    }
}

fn oversized_head(request: &Request) -> Option<ScimError> {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return Some(ScimError::uri_too_long(MAX_URI_BYTES));
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    (headers > MAX_HEADER_BYTES).then(|| ScimError::headers_too_large(MAX_HEADER_BYTES))
}

/// Serves the request within its deadline ([`AppState::request_timeout`] from now). The
/// deadline is the request's for the database work it starts (which SQLite interrupts once it
/// passes), a GET is read in one read transaction (from the change probe to the last row), and
/// once the deadline has passed the answer is a 503 that Okta retries.
pub async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let deadline = Instant::now() + state.request_timeout;
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let served = async {
        if read {
            state.desk.db().snapshot(next.run(request)).await
        } else {
            next.run(request).await
        }
    };
    let served = crate::deadline::scope(deadline, served);
    match tokio::time::timeout_at(deadline.into(), served).await {
        // A failure once the deadline passed is the interrupt of work that ran too long.
        Ok(response)
            if response.status() == StatusCode::INTERNAL_SERVER_ERROR
                && Instant::now() >= deadline =>
        {
            ScimError::took_too_long().into_response()
        }
        Ok(response) => response,
        Err(_) => ScimError::took_too_long().into_response(),
    }
}

/// The endpoints under a base URL, by the lowercase name a client may send them in.
const ENDPOINTS: [&str; 8] = [
    "Users",
    "Groups",
    "ServiceProviderConfig",
    "Schemas",
    "ResourceTypes",
    "Bulk",
    "Me",
    ".search",
];

/// The path as the routes know it: empty segments dropped (`…//Users`, a trailing `/`), and
/// under `/scim/v2/{connection}/` the endpoint's name (and a `.search` after `Users` or
/// `Groups`) in its canonical case. Ids keep their case.
pub fn normalize_path(mut request: Request) -> Request {
    if let Some(uri) = normalized(request.uri()) {
        *request.uri_mut() = uri;
    }
    request
}

fn normalized(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let ["scim", "v2", _, endpoint, rest @ ..] = segments.as_mut_slice() {
        if let Some(name) = ENDPOINTS.iter().find(|e| e.eq_ignore_ascii_case(endpoint)) {
            *endpoint = name;
            if let [search, ..] = rest {
                if matches!(*name, "Users" | "Groups") && search.eq_ignore_ascii_case(".search") {
                    *search = ".search";
                }
            }
        }
    }
    let mut canonical = String::with_capacity(path.len() + 1);
    for segment in &segments {
        canonical.push('/');
        canonical.push_str(segment);
    }
    if canonical.is_empty() {
        canonical.push('/');
    }
    if canonical == path {
        return None;
    }
    if let Some(query) = uri.query() {
        canonical.push('?');
        canonical.push_str(query);
    }
    canonical.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_for_routing_and_ids_keep_their_case() {
        let cases = [
            (
                "/scim/v2/abc//Users?count=1",
                Some("/scim/v2/abc/Users?count=1"),
            ),
            ("/scim/v2/abc/users/", Some("/scim/v2/abc/Users")),
            (
                "/scim/v2/abc/USERS/.SEARCH",
                Some("/scim/v2/abc/Users/.search"),
            ),
            ("/scim/v2/abc/groups/AbC", Some("/scim/v2/abc/Groups/AbC")),
            (
                "/scim/v2/abc/serviceproviderconfig",
                Some("/scim/v2/abc/ServiceProviderConfig"),
            ),
            (
                "/scim/v2/abc/resourcetypes/User",
                Some("/scim/v2/abc/ResourceTypes/User"),
            ),
            ("/scim/v2/abc/Nope", None),
            ("/scim/v2/abc/Users", None),
            ("//", Some("/")),
            ("/", None),
            // Only what follows a connection's base URL is case-insensitive.
            ("/SCIM/v2/abc/users", None),
        ];
        for (path, expected) in cases {
            let uri: Uri = path.parse().unwrap();
            let got = normalized(&uri).map(|u| u.to_string());
            assert_eq!(got.as_deref(), expected, "{path}");
        }
    }
}
