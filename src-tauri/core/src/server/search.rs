//! The handlers every resource type shares, over its [`Resource`]: its list from a GET's
//! parameters or a `POST …/.search` body alike ([`list`], [`search`]), and [`delete`]. And
//! `POST /.search` at a base URL: one list of users, then groups (RFC 7644 §3.4.3).

use std::future::Future;

use axum::http::StatusCode;
use axum::response::Response;

use super::auth::Connection;
use super::extract::{IfMatch, ListParams, ResourceId, ScimBody};
use super::response;
use crate::scim::list::{self, ListQuery};
use crate::scim::ScimError;

/// A resource type's endpoint, for the handlers that are the same for every type.
pub trait Resource {
    /// A page of the type's list.
    fn answer(
        conn: Connection,
        q: ListQuery,
    ) -> impl Future<Output = Result<Response, ScimError>> + Send;

    /// Deletes the resource `id` (at the version `If-Match` names, when it names one).
    fn delete(
        conn: &Connection,
        id: &str,
        if_match: Option<&str>,
    ) -> impl Future<Output = Result<(), ScimError>> + Send;
}

/// `GET /Users`, `GET /Groups`.
pub async fn list<R: Resource>(
    conn: Connection,
    ListParams(q): ListParams,
) -> Result<Response, ScimError> {
    R::answer(conn, q).await
}

/// `POST /Users/.search`, `POST /Groups/.search`.
pub async fn search<R: Resource>(
    conn: Connection,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    R::answer(conn, list::from_search_body(&body)?).await
}

/// `DELETE /Users/{id}`, `DELETE /Groups/{id}`: 204, or the SCIM error.
pub async fn delete<R: Resource>(
    conn: Connection,
    ResourceId(id): ResourceId,
    if_match: IfMatch,
) -> Result<StatusCode, ScimError> {
    R::delete(&conn, &id, if_match.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn everything(conn: Connection, ScimBody(body): ScimBody) -> Result<Response, ScimError> {
    let q = list::from_search_body(&body)?;
    let (dir, base) = (conn.directory(), conn.base_url());
    let users = dir.list_users(base, &q).await?;
    let user_total = users["totalResults"].as_u64().unwrap_or(0);
    let shown = users["Resources"].as_array().map_or(0, Vec::len) as u64;
    // The groups' page starts where the users end.
    let mut gq = q.clone();
    gq.start_index = if q.start_index <= user_total {
        1
    } else {
        q.start_index - user_total
    };
    gq.count = q.count.saturating_sub(shown);
    let groups = dir.list_groups(base, &gq).await?;
    let group_total = groups["totalResults"].as_u64().unwrap_or(0);
    let mut resources = users["Resources"].as_array().cloned().unwrap_or_default();
    resources.extend(groups["Resources"].as_array().cloned().unwrap_or_default());
    let all = list::list_response(resources, user_total + group_total, q.start_index);
    let projected = response::project_list(all, &q.attributes, &q.excluded_attributes);
    Ok(response::json(StatusCode::OK, &projected))
}
