//! `/Groups`: list, search, read, create, replace, patch and delete groups.
//!
//! A group is answered as text written while its members are read, however many there are,
//! and a PATCH is answered 204 with the new `ETag` unless a projection asks for the group.

use axum::http::StatusCode;
use axum::response::Response;

use super::auth::Connection;
use super::extract::{Projection, Target, WriteBody};
use super::response;
use super::search::Resource;
use crate::scim::list::ListQuery;
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;

const GROUP: ResourceKind = ResourceKind::Group;

/// The `/Groups` endpoint's lists.
pub struct Groups;

impl Resource for Groups {
    async fn answer(conn: Connection, q: ListQuery) -> Result<Response, ScimError> {
        let text = conn
            .directory()
            .list_groups_text(conn.base_url(), &q)
            .await?;
        Ok(response::text(StatusCode::OK, text))
    }

    async fn delete(conn: &Connection, id: &str, if_match: Option<&str>) -> Result<(), ScimError> {
        conn.directory()
            .delete_group(&conn.ctx, id, if_match)
            .await?;
        Ok(())
    }
}

pub async fn get(t: Target) -> Result<Response, ScimError> {
    answer_read(&t.conn, &t.id, &t.projection).await
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

pub async fn replace(t: Target, WriteBody(body): WriteBody) -> Result<Response, ScimError> {
    let dir = t.conn.directory();
    let group = dir
        .replace_group(&t.conn.ctx, &t.id, body, t.if_match.as_deref())
        .await?;
    let group = t.projection.apply(group, GROUP);
    Ok(response::resource(StatusCode::OK, &group))
}

pub async fn patch(t: Target, WriteBody(body): WriteBody) -> Result<Response, ScimError> {
    let dir = t.conn.directory();
    let version = dir
        .patch_group(&t.conn.ctx, &t.id, &body, t.if_match.as_deref())
        .await?;
    if t.projection.is_empty() {
        // RFC 7644 §3.5.2 lets a PATCH answer 204, and Okta and Entra expect nothing more of a
        // group: answering a large group whole after each batch of member changes would cost
        // more than the change.
        return Ok(response::no_content(version));
    }
    answer_read(&t.conn, &t.id, &t.projection).await
}
