//! `/Groups`: list, search, read, create, replace, patch and delete groups.
//!
//! A group is answered as text written while its members are read, however many there are,
//! and a PATCH is answered 204 with the new `ETag` unless a projection asks for the group.

use axum::http::StatusCode;
use axum::response::Response;

use super::auth::Connection;
use super::extract::{IfMatch, ListParams, Projection, ResourceId, ScimBody, WriteBody};
use super::response;
use crate::scim::list::{self, ListQuery};
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;

const GROUP: ResourceKind = ResourceKind::Group;

pub async fn list(conn: Connection, ListParams(q): ListParams) -> Result<Response, ScimError> {
    answer_list(&conn, &q).await
}

pub async fn search(conn: Connection, ScimBody(body): ScimBody) -> Result<Response, ScimError> {
    answer_list(&conn, &list::from_search_body(&body)?).await
}

async fn answer_list(conn: &Connection, q: &ListQuery) -> Result<Response, ScimError> {
    let text = conn
        .directory()
        .list_groups_text(conn.base_url(), q)
        .await?;
    Ok(response::text(StatusCode::OK, text))
}

pub async fn get(
    conn: Connection,
    ResourceId(id): ResourceId,
    projection: Projection,
) -> Result<Response, ScimError> {
    answer_read(&conn, &id, &projection).await
}

/// The group `id` as stored now, projected as asked, with its ETag.
async fn answer_read(
    conn: &Connection,
    id: &str,
    projection: &Projection,
) -> Result<Response, ScimError> {
    let (text, version) = conn
        .directory()
        .get_group_text(
            conn.base_url(),
            id,
            &projection.attributes,
            &projection.excluded,
        )
        .await?;
    Ok(response::tagged(StatusCode::OK, text, version, None))
}

pub async fn create(
    conn: Connection,
    projection: Projection,
    WriteBody(body): WriteBody,
) -> Result<Response, ScimError> {
    let group = conn.directory().create_group(&conn.ctx, body).await?;
    Ok(response::resource(
        StatusCode::CREATED,
        &projection.apply(group, GROUP),
    ))
}

pub async fn replace(
    conn: Connection,
    ResourceId(id): ResourceId,
    projection: Projection,
    if_match: IfMatch,
    WriteBody(body): WriteBody,
) -> Result<Response, ScimError> {
    let group = conn
        .directory()
        .replace_group(&conn.ctx, &id, body, if_match.as_deref())
        .await?;
    Ok(response::resource(
        StatusCode::OK,
        &projection.apply(group, GROUP),
    ))
}

pub async fn patch(
    conn: Connection,
    ResourceId(id): ResourceId,
    projection: Projection,
    if_match: IfMatch,
    WriteBody(body): WriteBody,
) -> Result<Response, ScimError> {
    let dir = conn.directory();
    let version = dir
        .patch_group(&conn.ctx, &id, &body, if_match.as_deref())
        .await?;
    if projection.is_empty() {
        // RFC 7644 §3.5.2 lets a PATCH answer 204, and Okta and Entra expect nothing more of a
        // group: answering a large group whole after each batch of member changes would cost
        // more than the change.
        return Ok(response::no_content(version));
    }
    answer_read(&conn, &id, &projection).await
}

pub async fn delete(
    conn: Connection,
    ResourceId(id): ResourceId,
    if_match: IfMatch,
) -> Result<StatusCode, ScimError> {
    conn.directory()
        .delete_group(&conn.ctx, &id, if_match.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
