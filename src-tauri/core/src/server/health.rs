//! What a load balancer or a service manager asks, outside `/scim/v2` and without a token:
//! `GET /health` (the process answers: liveness) and `GET /ready` (it can serve: the database
//! answers and its schema is the one this binary was built for). Both answer a word of plain
//! text and say nothing about the directory, its connections or the version.
//!
//! Not for: Okta (it only ever calls a connection's base URL).

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::db::SchemaState;

/// The paths answered here; `log_request` logs them quietly (a load balancer asks every few
/// seconds).
pub const PATHS: [&str; 2] = ["/health", "/ready"];

/// Liveness: the process is up and serving HTTP.
pub async fn health(method: Method) -> Response {
    plain(&method, StatusCode::OK, "ok")
}

/// Readiness: 200 once the database answers and carries exactly the migrations this binary
/// knows; 503 otherwise (unreachable, a failed migration, or a newer SCIM Desk migrated it).
pub async fn ready(State(state): State<AppState>, method: Method) -> Response {
    let db = state.desk.db().clone();
    let schema = tokio::task::spawn_blocking(move || db.schema_state()).await;
    match schema {
        Ok(Ok(SchemaState::Current)) => plain(&method, StatusCode::OK, "ready"),
        Ok(Ok(state)) => {
            tracing::warn!(
                ?state,
                "not ready: the database's migrations are not this binary's"
            );
            plain(&method, StatusCode::SERVICE_UNAVAILABLE, "not ready")
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            plain(&method, StatusCode::SERVICE_UNAVAILABLE, "not ready")
        }
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the check did not finish");
            plain(&method, StatusCode::SERVICE_UNAVAILABLE, "not ready")
        }
    }
}

fn plain(method: &Method, status: StatusCode, word: &'static str) -> Response {
    let body = if method == Method::HEAD { "" } else { word };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
