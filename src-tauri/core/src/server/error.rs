//! The SCIM error as an HTTP response: every failure under the listener ends here.
//!
//! Also the edge's own refusals, named (`ScimError::payload_too_large()`, …): the statuses that
//! only the HTTP edge answers (401, 403, 405, 408, 413–415, 429, 431, 501, 503 on the deadline),
//! each with the `detail` the Okta admin reads. The protocol's errors (400s, 404, 409, 412) are
//! `scim::error`'s.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::RateLimit;
use crate::scim::ScimError;

pub const SCIM_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";
/// `Retry-After` of a 503, in seconds.
pub const RETRY_UNAVAILABLE_SECS: u32 = 30;

/// The `detail` of an error answer, kept on the response for whoever looks at it on its way out
/// (a connection's last contact shows it).
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.to_body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCIM_CONTENT_TYPE),
        );
        // Okta retries a 503 (the disk is full, a request took too long); this says when.
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_UNAVAILABLE_SECS),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"SCIM Desk\""),
            );
        }
        response.extensions_mut().insert(ErrorDetail(self.detail));
        response
    }
}

/// A 429 that says when to come back (`Retry-After`, whole seconds).
pub(super) fn retry_after(err: ScimError, seconds: u64) -> Response {
    let mut response = err.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

impl ScimError {
    /// 401: a wrong or missing token (`reason` says which, never the token).
    pub(crate) fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(401, None, reason)
    }

    /// 403: the switch of the connection's identity provider is off; the detail names it.
    pub(crate) fn provider_turned_off(provider: crate::connections::Provider) -> Self {
        Self::new(
            403,
            None,
            format!(
                "The {} integration is turned off in SCIM Desk (Settings > Integrations). Turn \
                 it on to resume provisioning; nothing was changed.",
                provider.display_name()
            ),
        )
    }

    /// 405: `what` accepts only `allow`.
    pub(crate) fn method_not_allowed(allow: &str, what: &str) -> Self {
        Self::new(
            405,
            None,
            format!("{what} does not accept this method; it accepts {allow}."),
        )
    }

    /// 408: the body did not arrive within `timeout`.
    pub(crate) fn body_too_slow(timeout: Duration) -> Self {
        Self::new(
            408,
            None,
            format!(
                "The request body did not arrive within {} s; Okta can retry the task.",
                timeout.as_secs_f64()
            ),
        )
    }

    /// 413: a body over `limit` bytes.
    pub(crate) fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            None,
            format!(
                "The request body is larger than {} KiB, the most SCIM Desk accepts.",
                limit / 1024
            ),
        )
    }

    /// 414: a request target over `limit` bytes.
    pub(crate) fn uri_too_long(limit: usize) -> Self {
        Self::new(
            414,
            None,
            format!(
                "The request URL is longer than {} KiB, the most SCIM Desk accepts; shorten the filter.",
                limit / 1024
            ),
        )
    }

    /// 415: a body of a type that is not JSON.
    pub(crate) fn unsupported_media_type(mime: &str) -> Self {
        Self::new(
            415,
            None,
            format!(
                "The body is sent as '{mime}'; send it as application/scim+json or application/json."
            ),
        )
    }

    /// 431: headers over `limit` bytes in all.
    pub(crate) fn headers_too_large(limit: usize) -> Self {
        Self::new(
            431,
            None,
            format!(
                "The request headers are larger than {} KiB in all, the most SCIM Desk accepts.",
                limit / 1024
            ),
        )
    }

    /// 429 for a connection over its rate limit.
    pub(crate) fn rate_limited(limit: RateLimit, seconds: u64) -> Self {
        Self::new(
            429,
            None,
            format!(
                "Too many requests on this connection: SCIM Desk accepts {limit} (its rate-limit \
                 setting). Retry after {seconds} s."
            ),
        )
    }

    /// 429 for requests with a wrong or missing token beyond their allowance.
    pub(crate) fn refused_too_often(seconds: u64) -> Self {
        Self::new(
            429,
            None,
            format!(
                "Too many requests with a wrong or missing token. Check the token Okta sends (the \
                 connection's token in SCIM Desk), and retry after {seconds} s."
            ),
        )
    }

    /// 501: an endpoint of RFC 7644 that SCIM Desk does not serve.
    pub(crate) fn not_implemented(detail: impl Into<String>) -> Self {
        Self::new(501, None, detail)
    }

    /// 503: the request ran past its deadline (and its work was abandoned).
    pub(crate) fn took_too_long() -> Self {
        Self::new(
            503,
            None,
            "The request took too long and was abandoned; Okta can retry it.",
        )
    }
}
