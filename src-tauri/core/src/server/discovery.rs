//! The discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/Schemas`,
//! `/ResourceTypes`, read-only, with absolute URLs from the connection's base URL; and the
//! endpoints of RFC 7644 that SCIM Desk says it does not serve (`/Bulk`, `/Me`).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::auth::Connection;
use super::extract::ResourceId;
use super::response;
use crate::scim::list;
use crate::scim::schema;
use crate::scim::ScimError;

pub async fn service_provider_config(conn: Connection) -> Response {
    response::json(
        StatusCode::OK,
        &schema::service_provider_config(conn.base_url()),
    )
}

pub async fn schemas(conn: Connection) -> Response {
    listed(schema::schema_documents(conn.base_url()))
}

pub async fn schema(conn: Connection, ResourceId(id): ResourceId) -> Result<Response, ScimError> {
    found(schema::schema_document(conn.base_url(), &id))
}

pub async fn resource_types(conn: Connection) -> Response {
    listed(schema::resource_types(conn.base_url()))
}

pub async fn resource_type(
    conn: Connection,
    ResourceId(name): ResourceId,
) -> Result<Response, ScimError> {
    found(schema::resource_type(conn.base_url(), &name))
}

/// Any method but GET on a discovery endpoint.
pub async fn read_only(_: Connection) -> ScimError {
    ScimError::method_not_allowed(
        "GET",
        "A discovery endpoint (ServiceProviderConfig, Schemas, ResourceTypes)",
    )
}

pub async fn bulk(_: Connection) -> ScimError {
    ScimError::not_implemented(
        "Bulk operations are not supported by SCIM Desk (ServiceProviderConfig says \
         bulk.supported is false).",
    )
}

pub async fn me(_: Connection) -> ScimError {
    ScimError::not_implemented(
        "/Me is not supported: SCIM Desk's tokens belong to connections, not to users.",
    )
}

fn listed(docs: Vec<Value>) -> Response {
    let n = docs.len() as u64;
    response::json(StatusCode::OK, &list::list_response(docs, n, 1))
}

fn found(doc: Option<Value>) -> Result<Response, ScimError> {
    doc.map(|v| response::json(StatusCode::OK, &v))
        .ok_or_else(|| {
            ScimError::not_found(
                "There is no such schema or resource type; see /Schemas and /ResourceTypes.",
            )
        })
}
