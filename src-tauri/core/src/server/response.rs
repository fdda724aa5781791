//! The shapes of a successful SCIM answer: a body already written as text (what the directory
//! writes straight from stored documents), a JSON value, and a single resource with its `ETag`
//! (and `Location` when it was created).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::Connection;
use super::error::SCIM_CONTENT_TYPE;
use crate::directory::etag;
use crate::directory::users::WrittenUser;
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;

/// A SCIM JSON body already written as text.
pub fn text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SCIM_CONTENT_TYPE),
    );
    response
}

pub fn json(status: StatusCode, body: &Value) -> Response {
    text(status, body.to_string())
}

/// A single resource already written as text, with its `ETag` (and `Location` when created).
pub fn tagged(
    status: StatusCode,
    body: String,
    version: i64,
    location: Option<String>,
) -> Response {
    let mut response = text(status, body);
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    if let Some(Ok(location)) = location.map(|l| HeaderValue::from_str(&l)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// No body, with the resource's new `ETag` (a group PATCH).
pub fn no_content(version: i64) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// A single resource, with its `ETag` from `meta.version` (and `Location` from `meta.location`
/// when created).
pub fn resource(status: StatusCode, resource: &Value) -> Response {
    let mut response = json(status, resource);
    let meta = resource.get("meta");
    if let Some(Ok(v)) = meta
        .and_then(|m| m.get("version"))
        .and_then(Value::as_str)
        .map(HeaderValue::from_str)
    {
        response.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED {
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

/// A user just written, as text, with its `ETag` (and `Location` when created).
pub fn written_user(
    conn: &Connection,
    status: StatusCode,
    user: &WrittenUser,
) -> Result<Response, ScimError> {
    let base = conn.base_url();
    let location = (status == StatusCode::CREATED).then(|| format!("{base}/Users/{}", user.id()));
    Ok(tagged(
        status,
        user.render_text(base)?,
        user.version(),
        location,
    ))
}

/// Projects each resource of a list response by its own type (a root search lists both).
pub fn project_list(mut list: Value, attributes: &[String], excluded: &[String]) -> Value {
    if let Some(Value::Array(resources)) = list.get_mut("Resources") {
        for r in resources.iter_mut() {
            let kind = match r
                .get("meta")
                .and_then(|m| m.get("resourceType"))
                .and_then(Value::as_str)
            {
                Some("Group") => ResourceKind::Group,
                _ => ResourceKind::User,
            };
            *r = crate::scim::schema::project_owned(std::mem::take(r), attributes, excluded, kind);
        }
    }
    list
}
