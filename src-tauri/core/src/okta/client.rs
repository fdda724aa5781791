//! The HTTPS client of Okta's management API: `GET /api/v1/apps/{appId}` and the app's users,
//! page by page, following `Link: <…>; rel="next"` and Okta's rate limits.
//!
//! Every request carries `Authorization: SSWS <token>`; the token is only ever in that header.
//! A next-page link is followed only within the org, so the token never goes elsewhere. Over
//! the rate limit (a 429, or `X-Rate-Limit-Remaining: 0`) it waits until `X-Rate-Limit-Reset`,
//! bounded, and goes on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, AUTHORIZATION, LINK};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::OktaApiError;

/// Every request gives up after this long.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const USER_AGENT: &str = concat!("SCIM Desk/", env!("CARGO_PKG_VERSION"));
/// Okta's largest page of app users.
pub const PAGE_LIMIT: u32 = 500;
/// The longest single wait for a rate limit to reset (Okta's windows are a minute).
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(65);
/// How many 429s in a row before giving up.
pub const MAX_RATE_LIMIT_RETRIES: u32 = 5;

/// The app, as `GET /api/v1/apps/{appId}` describes it (what is used of it).
#[derive(Debug, Clone, Deserialize)]
pub struct App {
    pub id: String,
    pub label: Option<String>,
    pub status: Option<String>,
}

/// One app user, as `GET /api/v1/apps/{appId}/users` returns it (what is used of it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUser {
    /// The Okta user id (`00u…`).
    pub id: String,
    /// The id in the app: the SCIM id SCIM Desk returned when Okta created the user.
    pub external_id: Option<String>,
    pub status: Option<String>,
    pub sync_state: Option<String>,
    pub scope: Option<String>,
    #[serde(default)]
    pub credentials: Option<AppUserCredentials>,
    /// The app's SCIM-mapped attributes, named by the app's profile.
    #[serde(default)]
    pub profile: Map<String, Value>,
    pub last_updated: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUserCredentials {
    pub user_name: Option<String>,
}

/// Told when a wait for Okta's rate limit starts (with the time it ends) and when it is over
/// (`None`), so a progress display can say so.
pub type WaitHook = std::sync::Arc<dyn Fn(Option<SystemTime>) + Send + Sync>;

/// A client for one org with one token.
pub struct OktaClient {
    http: reqwest::Client,
    org_url: String,
    token: String,
    /// How many times a rate limit was waited for.
    pub rate_limit_waits: u32,
    /// Told of each rate-limit wait; none by default.
    pub on_wait: Option<WaitHook>,
}

impl std::fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaClient")
            .field("org_url", &self.org_url)
            .finish_non_exhaustive()
    }
}

/// The app users' pages: [`AppUsers::next_page`] until it gives `None`.
pub struct AppUsers<'a> {
    client: &'a mut OktaClient,
    app_id: String,
    next: Option<String>,
}

impl AppUsers<'_> {
    /// The next page of app users, or `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<AppUser>>, OktaApiError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let (headers, body) = self
            .client
            .get(&url)
            .await
            .map_err(|e| not_found_is_app(e, &self.app_id))?;
        let users: Vec<AppUser> =
            serde_json::from_slice(&body).map_err(|e| OktaApiError::NotOkta {
                url: url.clone(),
                detail: e.to_string(),
            })?;
        if let Some(next) = next_link(&headers) {
            if !same_origin(&next, &self.client.org_url) {
                return Err(OktaApiError::ForeignLink(next));
            }
            self.next = Some(next);
        }
        Ok(Some(users))
    }
}

impl OktaClient {
    pub fn new(org_url: &str, token: &str) -> Result<OktaClient, OktaApiError> {
        Ok(OktaClient {
            http: crate::https::client(USER_AGENT, REQUEST_TIMEOUT)?,
            org_url: org_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            rate_limit_waits: 0,
            on_wait: None,
        })
    }

    /// `GET /api/v1/apps/{appId}`: proves the org URL, the token and the app id together.
    pub async fn app(&mut self, app_id: &str) -> Result<App, OktaApiError> {
        let url = format!("{}/api/v1/apps/{app_id}", self.org_url);
        let (_, body) = self
            .get(&url)
            .await
            .map_err(|e| not_found_is_app(e, app_id))?;
        serde_json::from_slice(&body).map_err(|e| OktaApiError::NotOkta {
            url,
            detail: e.to_string(),
        })
    }

    /// The app's assigned users, a page at a time.
    pub fn app_users(&mut self, app_id: &str) -> AppUsers<'_> {
        let first = format!(
            "{}/api/v1/apps/{app_id}/users?limit={PAGE_LIMIT}",
            self.org_url
        );
        AppUsers {
            client: self,
            app_id: app_id.to_owned(),
            next: Some(first),
        }
    }

    /// One GET, waiting out rate limits: the headers and body of a 2xx, else the error.
    async fn get(&mut self, url: &str) -> Result<(HeaderMap, Vec<u8>), OktaApiError> {
        let mut retries = 0;
        loop {
            let response = self
                .http
                .get(url)
                .header(AUTHORIZATION, format!("SSWS {}", self.token))
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| unreachable(&e, url))?;
            let status = response.status();
            let headers = response.headers().clone();
            if status == StatusCode::TOO_MANY_REQUESTS {
                if retries >= MAX_RATE_LIMIT_RETRIES {
                    return Err(OktaApiError::RateLimited {
                        waits: self.rate_limit_waits,
                    });
                }
                retries += 1;
                self.wait_for_reset(&headers).await;
                continue;
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| unreachable(&e, url))?
                .to_vec();
            if !status.is_success() {
                return Err(status_error(status, &body, url));
            }
            if header_u64(&headers, "x-rate-limit-remaining") == Some(0) {
                self.wait_for_reset(&headers).await;
            }
            return Ok((headers, body));
        }
    }

    async fn wait_for_reset(&mut self, headers: &HeaderMap) {
        self.rate_limit_waits += 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let wait = match header_u64(headers, "x-rate-limit-reset") {
            Some(reset) => Duration::from_secs(reset.saturating_sub(now)),
            // No reset time: a second, as a client without a clock to go by.
            None => Duration::from_secs(1),
        };
        let wait = wait.min(MAX_RATE_LIMIT_WAIT);
        if let Some(hook) = &self.on_wait {
            hook(Some(SystemTime::now() + wait));
        }
        tokio::time::sleep(wait).await;
        if let Some(hook) = &self.on_wait {
            hook(None);
        }
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn unreachable(e: &reqwest::Error, url: &str) -> OktaApiError {
    let (failure, detail) = crate::https::classify(e);
    let host = crate::https::host_port(url);
    OktaApiError::Unreachable {
        host,
        failure,
        detail,
    }
}

/// Okta's error body says `errorSummary` (and `errorCode`); anything else is summarised by status.
fn status_error(status: StatusCode, body: &[u8], url: &str) -> OktaApiError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let summary = parsed
        .as_ref()
        .map(|v| {
            let code = v["errorCode"].as_str().unwrap_or("");
            let text = v["errorSummary"].as_str().unwrap_or("");
            format!("{code} {text}").trim().to_owned()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_owned());
    match status {
        StatusCode::UNAUTHORIZED => OktaApiError::BadToken { summary },
        StatusCode::FORBIDDEN => OktaApiError::Forbidden { summary },
        StatusCode::NOT_FOUND if parsed.is_none() => OktaApiError::NotOkta {
            url: url.to_owned(),
            detail: "HTTP 404 without Okta's error body".to_owned(),
        },
        _ => OktaApiError::Unexpected {
            status: status.as_u16(),
            summary,
        },
    }
}

/// A 404 from Okta with its error body is an unknown app id.
fn not_found_is_app(e: OktaApiError, app_id: &str) -> OktaApiError {
    match e {
        OktaApiError::Unexpected {
            status: 404,
            summary,
        } => OktaApiError::AppNotFound {
            app_id: app_id.to_owned(),
            summary,
        },
        other => other,
    }
}

/// The URL of `rel="next"` among a response's `Link` headers (RFC 8288): Okta sends one header
/// per link (`self`, `next`), and other servers join them with commas.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(next_in)
}

/// The `rel="next"` target in one `Link` header value.
pub fn next_in(value: &str) -> Option<String> {
    let mut rest = value;
    loop {
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let after = &rest[end + 1..];
        // The link's parameters run to the next `<` (a comma then the next link).
        let params_end = after.find('<').unwrap_or(after.len());
        let params = &after[..params_end];
        let is_next = params.split(';').any(|p| {
            let Some((key, value)) = p.split_once('=') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &after[params_end..];
    }
}

fn same_origin(link: &str, org_url: &str) -> bool {
    match (url::Url::parse(link), url::Url::parse(org_url)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_from_okta_headers() {
        let mut headers = HeaderMap::new();
        headers.append(
            LINK,
            "<https://acme.okta.com/api/v1/apps/0oa1/users?limit=500>; rel=\"self\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&headers), None, "only self: the last page");
        headers.append(
            LINK,
            "<https://acme.okta.com/api/v1/apps/0oa1/users?after=00u9&limit=500>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://acme.okta.com/api/v1/apps/0oa1/users?after=00u9&limit=500")
        );
    }

    #[test]
    fn next_link_in_one_comma_joined_header() {
        assert_eq!(
            next_in("<https://a.example/p?x=1,2>; rel=\"self\", <https://a.example/p?after=b>; rel=next").as_deref(),
            Some("https://a.example/p?after=b")
        );
        assert_eq!(
            next_in("<https://a.example/n>; type=\"text\"; REL=\"prev next\"").as_deref(),
            Some("https://a.example/n")
        );
        assert_eq!(next_in("<https://a.example/p>; rel=\"prev\""), None);
        assert_eq!(next_in("garbage"), None);
        assert_eq!(next_in("<unterminated; rel=next"), None);
    }

    #[test]
    fn links_are_followed_only_within_the_org() {
        assert!(same_origin(
            "https://acme.okta.com/api/v1/x?after=1",
            "https://acme.okta.com"
        ));
        assert!(!same_origin(
            "https://evil.example/api/v1/x",
            "https://acme.okta.com"
        ));
        assert!(!same_origin(
            "http://acme.okta.com/api/v1/x",
            "https://acme.okta.com"
        ));
    }
}
