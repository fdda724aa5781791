//! `/Users`: list, search, read, create, replace, patch and delete employees' SCIM resources.
//!
//! Without `attributes`/`excludedAttributes` a user is answered as the directory writes it
//! (text straight from the stored document); with them it is read as JSON and projected.

use axum::http::StatusCode;
use axum::response::Response;

use super::auth::Connection;
use super::extract::{IfMatch, ListParams, Projection, ResourceId, ScimBody, WriteBody};
use super::response;
use crate::directory::users::WrittenUser;
use crate::scim::list::{self, ListQuery};
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;

const USER: ResourceKind = ResourceKind::User;

pub async fn list(conn: Connection, ListParams(q): ListParams) -> Result<Response, ScimError> {
    answer_list(&conn, &q).await
}

pub async fn search(conn: Connection, ScimBody(body): ScimBody) -> Result<Response, ScimError> {
    answer_list(&conn, &list::from_search_body(&body)?).await
}

async fn answer_list(conn: &Connection, q: &ListQuery) -> Result<Response, ScimError> {
    let (dir, base) = (conn.directory(), conn.base_url());
    if q.attributes.is_empty() && q.excluded_attributes.is_empty() {
        let text = dir.list_users_text(base, q).await?;
        return Ok(response::text(StatusCode::OK, text));
    }
    let users = dir.list_users(base, q).await?;
    let projected = response::project_list(users, &q.attributes, &q.excluded_attributes);
    Ok(response::json(StatusCode::OK, &projected))
}

pub async fn get(
    conn: Connection,
    ResourceId(id): ResourceId,
    projection: Projection,
) -> Result<Response, ScimError> {
    let (dir, base) = (conn.directory(), conn.base_url());
    if projection.is_empty() {
        let (text, version) = dir.get_user_text(base, &id).await?;
        return Ok(response::tagged(StatusCode::OK, text, version, None));
    }
    let user = dir.get_user(base, &id).await?;
    Ok(response::resource(
        StatusCode::OK,
        &projection.apply(user, USER),
    ))
}

pub async fn create(
    conn: Connection,
    projection: Projection,
    WriteBody(body): WriteBody,
) -> Result<Response, ScimError> {
    let user = conn
        .directory()
        .create_user_written(&conn.ctx, body)
        .await?;
    answer_written(&conn, StatusCode::CREATED, &projection, &user)
}

pub async fn replace(
    conn: Connection,
    ResourceId(id): ResourceId,
    projection: Projection,
    if_match: IfMatch,
    WriteBody(body): WriteBody,
) -> Result<Response, ScimError> {
    let user = conn
        .directory()
        .replace_user_written(&conn.ctx, &id, body, if_match.as_deref())
        .await?;
    answer_written(&conn, StatusCode::OK, &projection, &user)
}

pub async fn patch(
    conn: Connection,
    ResourceId(id): ResourceId,
    projection: Projection,
    if_match: IfMatch,
    WriteBody(body): WriteBody,
) -> Result<Response, ScimError> {
    let user = conn
        .directory()
        .patch_user_written(&conn.ctx, &id, &body, if_match.as_deref())
        .await?;
    answer_written(&conn, StatusCode::OK, &projection, &user)
}

/// A written user as the write's answer: as the directory wrote it, or projected as asked.
fn answer_written(
    conn: &Connection,
    status: StatusCode,
    projection: &Projection,
    user: &WrittenUser,
) -> Result<Response, ScimError> {
    if projection.is_empty() {
        return response::written_user(conn, status, user);
    }
    let user = user.render(conn.base_url())?;
    Ok(response::resource(status, &projection.apply(user, USER)))
}

pub async fn delete(
    conn: Connection,
    ResourceId(id): ResourceId,
    if_match: IfMatch,
) -> Result<StatusCode, ScimError> {
    conn.directory()
        .delete_user(&conn.ctx, &id, if_match.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
