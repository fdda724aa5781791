//! `/Users`: list, search, read, create, replace, patch and delete employees' SCIM resources.
//!
//! Without `attributes`/`excludedAttributes` a user is answered as the directory writes it
//! (text straight from the stored document); with them it is read as JSON and projected.

use axum::http::StatusCode;
use axum::response::Response;

use super::auth::Connection;
use super::extract::{Projection, Target, WriteBody};
use super::response;
use super::search::Resource;
use crate::directory::users::WrittenUser;
use crate::scim::list::ListQuery;
use crate::scim::schema::ResourceKind;
use crate::scim::ScimError;

const USER: ResourceKind = ResourceKind::User;

/// The `/Users` endpoint's lists.
pub struct Users;

impl Resource for Users {
    async fn answer(conn: Connection, q: ListQuery) -> Result<Response, ScimError> {
        let (dir, base) = (conn.directory(), conn.base_url());
        if q.attributes.is_empty() && q.excluded_attributes.is_empty() {
            let text = dir.list_users_text(base, &q).await?;
            return Ok(response::text(StatusCode::OK, text));
        }
        let users = dir.list_users(base, &q).await?;
        let projected = response::project_list(users, &q.attributes, &q.excluded_attributes);
        Ok(response::json(StatusCode::OK, &projected))
    }

    async fn delete(conn: &Connection, id: &str, if_match: Option<&str>) -> Result<(), ScimError> {
        conn.directory()
            .delete_user(&conn.ctx, id, if_match)
            .await?;
        Ok(())
    }
}

pub async fn get(target: Target) -> Result<Response, ScimError> {
    let Target {
        conn,
        id,
        projection,
        ..
    } = target;
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
    let user = conn.directory().create_user(&conn.ctx, body).await?;
    answer_written(&conn, StatusCode::CREATED, &projection, &user)
}

pub async fn replace(t: Target, WriteBody(body): WriteBody) -> Result<Response, ScimError> {
    let dir = t.conn.directory();
    let user = dir
        .replace_user(&t.conn.ctx, &t.id, body, t.if_match.as_deref())
        .await?;
    answer_written(&t.conn, StatusCode::OK, &t.projection, &user)
}

pub async fn patch(t: Target, WriteBody(body): WriteBody) -> Result<Response, ScimError> {
    let dir = t.conn.directory();
    let user = dir
        .patch_user(&t.conn.ctx, &t.id, &body, t.if_match.as_deref())
        .await?;
    answer_written(&t.conn, StatusCode::OK, &t.projection, &user)
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
