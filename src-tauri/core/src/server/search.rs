//! `POST /.search` at a base URL: one list of users, then groups (RFC 7644 §3.4.3).

use axum::http::StatusCode;
use axum::response::Response;

use super::auth::Connection;
use super::extract::ScimBody;
use super::response;
use crate::scim::list;
use crate::scim::ScimError;

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
