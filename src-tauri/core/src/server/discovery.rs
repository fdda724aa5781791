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
    let mut docs = schema::schema_documents(conn.base_url());
    docs.extend(
        custom_extensions(&conn)
            .iter()
            .map(|e| schema::custom_schema_json(conn.base_url(), e)),
    );
    listed(docs)
}

pub async fn schema(conn: Connection, ResourceId(id): ResourceId) -> Result<Response, ScimError> {
    let custom = || {
        custom_extensions(&conn)
            .iter()
            .find(|e| e.urn.eq_ignore_ascii_case(&id))
            .map(|e| schema::custom_schema_json(conn.base_url(), e))
    };
    found(schema::schema_document(conn.base_url(), &id).or_else(custom))
}

pub async fn resource_types(conn: Connection) -> Response {
    let custom = custom_extensions(&conn);
    let mut docs = schema::resource_types(conn.base_url());
    for d in &mut docs {
        schema::add_schema_extensions(d, &custom);
    }
    listed(docs)
}

pub async fn resource_type(
    conn: Connection,
    ResourceId(name): ResourceId,
) -> Result<Response, ScimError> {
    let mut doc = schema::resource_type(conn.base_url(), &name);
    if let Some(d) = &mut doc {
        schema::add_schema_extensions(d, &custom_extensions(&conn));
    }
    found(doc)
}

/// The extensions the custom fields of the connection's provider read from (the attribute
/// mapping), so that the identity provider's schema import finds them. None when they cannot be
/// read: the standard documents are still answered.
fn custom_extensions(conn: &Connection) -> Vec<schema::CustomExtension> {
    match conn.directory().custom_extensions(conn.ctx.provider) {
        Ok(found) => found
            .into_iter()
            .map(|(urn, attributes)| schema::CustomExtension {
                urn,
                attributes: attributes
                    .into_iter()
                    .map(|(name, kind)| (name, kind.scim_type()))
                    .collect(),
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the custom fields for /Schemas");
            Vec::new()
        }
    }
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
