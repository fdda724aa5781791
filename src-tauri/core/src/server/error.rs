//! The SCIM error as an HTTP response: every failure under the listener ends here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::scim::ScimError;

pub const SCIM_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";
/// `Retry-After` of a 503, in seconds.
pub const RETRY_UNAVAILABLE_SECS: u32 = 30;

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
        response
    }
}
