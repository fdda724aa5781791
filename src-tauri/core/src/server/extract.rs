//! What a SCIM request carries, as extractors whose refusals are SCIM errors: the JSON body
//! ([`ScimBody`], and [`WriteBody`] for a write, whose refusal is also an activity line), the
//! list parameters ([`ListParams`]), `attributes`/`excludedAttributes` ([`Projection`]),
//! `If-Match` ([`IfMatch`]) and the resource id in the path ([`ResourceId`]).
//!
//! The body limit lives here rather than in `tower_http::limit::RequestBodyLimitLayer`: that
//! layer answers an over-long `Content-Length` with a plain-text 413 before any handler runs,
//! so the refused write would leave no activity line, and a client still sending its body would
//! see its connection reset instead of the answer (here the body is read and thrown away first,
//! unless the client waits for `100 Continue`). For the same reason the time a body may take to
//! arrive is counted here (a 408 with a SCIM body), not by `tower_http::timeout`.
//!
//! Not for: authentication (`auth`), or bounds on the request head (`layers`).

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::RequestPartsExt;
use serde_json::Value;

use super::auth::{Connection, CONNECTION_PARAM};
use super::{AppState, MAX_BODY_BYTES};
use crate::directory::activity::Attempt;
use crate::scim::list::{self, ListQuery};
use crate::scim::schema::{self, ResourceKind};
use crate::scim::ScimError;

/// Bodies larger than this are parsed on a blocking thread (see [`read_json`]).
const PARSE_IN_PLACE_BYTES: usize = 64 * 1024;
/// How much of a refused body is read and thrown away before answering.
const DRAIN_BYTES: usize = 8 * MAX_BODY_BYTES;

/// The query string's pairs, decoded as a form (`+` and `%20` are both a space).
fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// `filter`, `startIndex`, `count`, `sortBy`, … of a list (RFC 7644 §3.4.2).
pub struct ListParams(pub ListQuery);

impl<S: Sync> FromRequestParts<S> for ListParams {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimError> {
        list::from_query_pairs(&query_pairs(parts)).map(ListParams)
    }
}

/// `attributes` and `excludedAttributes` of a single resource's answer.
#[derive(Debug, Default)]
pub struct Projection {
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

impl Projection {
    /// Neither was asked for: the resource goes out as the directory writes it.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    pub fn apply(&self, resource: Value, kind: ResourceKind) -> Value {
        schema::project_owned(resource, &self.attributes, &self.excluded, kind)
    }
}

impl<S: Sync> FromRequestParts<S> for Projection {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ScimError> {
        // Parsed as a list's parameters, so that a bad one is refused as it is on a list.
        let ListParams(q) = ListParams::from_request_parts(parts, state).await?;
        Ok(Projection {
            attributes: q.attributes,
            excluded: q.excluded_attributes,
        })
    }
}

/// The `If-Match` header, when there is one.
pub struct IfMatch(pub Option<String>);

impl IfMatch {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<S: Sync> FromRequestParts<S> for IfMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IfMatch(
            parts
                .headers
                .get(header::IF_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

/// The id of the resource (or schema, or resource type) the path names after its endpoint.
pub struct ResourceId(pub String);

impl<S: Sync> FromRequestParts<S> for ResourceId {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimError> {
        let params = parts
            .extract::<RawPathParams>()
            .await
            .map_err(|_| ScimError::not_found("There is no resource with this id."))?;
        params
            .iter()
            .find(|(name, _)| *name != CONNECTION_PARAM)
            .map(|(_, value)| ResourceId(value.to_owned()))
            .ok_or_else(|| ScimError::not_found("There is no resource with this id."))
    }
}

/// A JSON body (a search request's): `application/scim+json` or `application/json`, at most
/// [`MAX_BODY_BYTES`], arrived within the client timeout, within `scim::limits`.
/// What a request about one resource carries besides its body, extracted in this order: the
/// authenticated caller (so a wrong token is a 401 whatever else is wrong), the resource's id,
/// `attributes`/`excludedAttributes`, and `If-Match`.
pub struct Target {
    pub conn: Connection,
    pub id: String,
    pub projection: Projection,
    pub if_match: Option<String>,
}

impl FromRequestParts<AppState> for Target {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let conn = Connection::from_request_parts(parts, state).await?;
        let ResourceId(id) = ResourceId::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let projection = Projection::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Ok(IfMatch(if_match)) = IfMatch::from_request_parts(parts, state).await;
        Ok(Target {
            conn,
            id,
            projection,
            if_match,
        })
    }
}

pub struct ScimBody(pub Value);

impl FromRequest<AppState> for ScimBody {
    type Rejection = ScimError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ScimError> {
        let (parts, body) = request.into_parts();
        read_json(&parts.headers, body, state).await.map(ScimBody)
    }
}

/// The body of a write to a user or a group (POST, PUT, PATCH). When it cannot be read (too
/// large, not JSON, the wrong type) the failed write still goes to the activity log, since it
/// reached the endpoint.
pub struct WriteBody(pub Value);

impl FromRequest<AppState> for WriteBody {
    type Rejection = ScimError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ScimError> {
        let (mut parts, body) = request.into_parts();
        match read_json(&parts.headers, body, state).await {
            Ok(body) => Ok(WriteBody(body)),
            Err(e) => {
                record_refused_write(&mut parts, state, &e).await;
                Err(e)
            }
        }
    }
}

/// The activity line of a write whose body was refused. The write is named by the route it
/// came to: `/Users` or `/Groups` (a create), `…/{id}` (an update).
async fn record_refused_write(parts: &mut Parts, state: &AppState, err: &ScimError) {
    let Ok(connection) = Connection::from_request_parts(parts, state).await else {
        return;
    };
    let kind = if parts.uri.path().starts_with("/Groups") {
        ResourceKind::Group
    } else {
        ResourceKind::User
    };
    let id = ResourceId::from_request_parts(parts, state)
        .await
        .ok()
        .map(|ResourceId(id)| id);
    let id = id.as_deref();
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
    connection
        .directory()
        .record_failure(
            &connection.ctx,
            Attempt {
                method: parts.method.as_str(),
                operation,
                resource_type,
                resource_id: id,
                subject: &subject,
            },
            &err.clone().into(),
        )
        .await;
}

/// Reads and parses a JSON body (see [`ScimBody`]).
async fn read_json(headers: &HeaderMap, body: Body, state: &AppState) -> Result<Value, ScimError> {
    if let Some(ct) = headers
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
            return Err(ScimError::unsupported_media_type(&mime));
        }
    }
    let bytes = read_bytes(headers, body, state).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax(
            "The request has no body; it needs a JSON object.",
        ));
    }
    let size = bytes.len();
    let parse = move || -> Result<Value, ScimError> {
        let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ScimError::invalid_syntax(format!("The request body is not valid JSON ({e})."))
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

/// The body's bytes: at most [`MAX_BODY_BYTES`], within the client timeout.
async fn read_bytes(headers: &HeaderMap, body: Body, state: &AppState) -> Result<Bytes, ScimError> {
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > MAX_BODY_BYTES as u64 {
            // A client that waits for `100 Continue` before sending is answered at once and
            // sends nothing (RFC 9110 §10.1.1); hyper sends `100 Continue` only when the body is
            // read. Any other client is already sending: its body is read and thrown away, so
            // that it reads the 413 rather than a reset connection.
            if !super::layers::expects_continue(headers) {
                drain(body, state.client_timeout).await;
            }
            return Err(ScimError::payload_too_large(MAX_BODY_BYTES));
        }
    }
    let timeout = state.client_timeout;
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if is_length_limit(&e) => Err(ScimError::payload_too_large(MAX_BODY_BYTES)),
        Ok(Err(e)) => Err(ScimError::invalid_syntax(format!(
            "The request body could not be read: {}. Send it again, as a JSON object.",
            crate::text::quoted(&e.to_string())
        ))),
        Err(_) => Err(ScimError::body_too_slow(timeout)),
    }
}

/// Reads and discards a refused body (up to [`DRAIN_BYTES`], within the client timeout), so that
/// a client still sending it reads the 413 instead of a connection reset in mid-upload.
async fn drain(mut body: Body, timeout: std::time::Duration) {
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
