//! The rehearsal: the connection's identity provider's read-only requests, sent through the
//! public URL, step by step.
//!
//! What *Test Connector Configuration* and the read-only steps of Okta's SPEC test send — reach
//! the URL, list users, look up a user nobody has, fetch an unknown id, present a bad token —
//! each reported in plain language, so the admin learns what is wrong ("the tunnel answered but
//! the request never reached this app", "TLS failed", "token refused") before Okta's tasks fail.
//! For a Microsoft Entra ID connection the steps are what Entra's *Test Connection* sends instead
//! ([`rehearse_entra`]): a lookup by a filter on a user nobody has, which must answer 200 with an
//! empty list (Entra, unlike Okta, does not accept 404 there), the same by `externalId`, and a
//! wrong token. It creates nothing. Calls go out over HTTPS trusting the OS's roots, webpki's, and the PEM
//! file named by `SCIMDESK_EXTRA_CA_FILE` (a private CA, or a test's).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::connections::Provider;
use crate::scim::schema::{ERROR_SCHEMA as ERROR, LIST_RESPONSE_SCHEMA as LIST_RESPONSE};

pub use crate::https::EXTRA_CA_ENV;
/// Every request of the rehearsal gives up after this long.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Sent as the User-Agent, so the endpoint does not count the rehearsal as Okta's contact.
pub const USER_AGENT: &str = "SCIM Desk rehearsal";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Failed,
    /// Not run, because an earlier step showed it could not tell anything.
    Skipped,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Step {
    /// A short name: `reach`, `list`, `lookup`, `unknown_id`, `bad_token` (Okta's);
    /// `reach`, `lookup`, `external_id_lookup`, `bad_token` (Entra's).
    pub step: &'static str,
    /// What Okta sends, as the admin would read it.
    pub request: String,
    pub outcome: Outcome,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Rehearsal {
    /// Whose requests were rehearsed: the connection's identity provider.
    pub provider: Provider,
    pub base_url: String,
    pub ok: bool,
    pub steps: Vec<Step>,
    /// Why the steps say less than they seem to (e.g. no public URL is set); none when they
    /// went where Okta's requests go.
    pub note: Option<RehearsalNote>,
    /// Whether the connection's identity provider, on the internet, can call this base URL at
    /// all: a public HTTPS URL, from a tunnel that is online. When it can't, passing steps only
    /// show that SCIM Desk answers correctly here, and `note` says why it can't.
    pub reachable_by_provider: bool,
}

/// Why a rehearsal did not go where Okta's requests go. Each front end words it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RehearsalNote {
    /// The managed tunnel (`mode`: cloudflared or ngrok) is not online, so the rehearsal used its
    /// last known URL, or this machine's own address when there is none.
    TunnelOffline {
        mode: String,
        last_url: Option<String>,
    },
    /// No public URL is set: the rehearsal went to this machine's own address.
    NoPublicUrl,
    /// The public URL is plain HTTP, which Okta never calls.
    PlainHttp,
}

#[derive(Debug, thiserror::Error)]
pub enum RehearsalError {
    #[error("{0}")]
    Https(#[from] crate::https::HttpsError),
}

/// The client Okta would be: HTTPS with public roots, plus the extra CA if one is configured.
/// Okta calls the public URL directly; an outgoing proxy on this machine would only test a path
/// Okta never takes, so none is used.
pub fn client() -> Result<reqwest::Client, RehearsalError> {
    Ok(crate::https::client(USER_AGENT, REQUEST_TIMEOUT)?)
}

/// Runs `provider`'s rehearsal against `base_url` (`<public URL>/scim/v2/<connection id>`) with
/// the connection's token. `listen` names where the tunnel should forward, for the messages.
pub async fn rehearse(
    client: &reqwest::Client,
    provider: Provider,
    base_url: &str,
    token: &str,
    listen: &str,
) -> Rehearsal {
    match provider {
        Provider::Okta => rehearse_okta(client, base_url, token, listen).await,
        Provider::Entra => rehearse_entra(client, base_url, token, listen).await,
    }
}

/// Step 1 of every rehearsal: reach the public URL at all (DNS, TCP and TLS, any HTTP answer).
async fn reach(
    client: &reqwest::Client,
    provider: Provider,
    base_url: &str,
    steps: &mut Vec<Step>,
) -> bool {
    let reach = client.get(base_url).send().await;
    match reach {
        Ok(response) => {
            steps.push(Step {
                step: "reach",
                request: format!("GET {base_url}"),
                outcome: Outcome::Ok,
                message: format!(
                    "The public URL answered (HTTP {}).",
                    response.status().as_u16()
                ),
            });
            true
        }
        Err(e) => {
            steps.push(Step {
                step: "reach",
                request: format!("GET {base_url}"),
                outcome: Outcome::Failed,
                message: transport_failure(&e, base_url, provider),
            });
            false
        }
    }
}

fn skipped(step: &'static str, request: String, why: &str) -> Step {
    Step {
        step,
        request,
        outcome: Outcome::Skipped,
        message: format!("Not run: {why}."),
    }
}

/// `GET {base_url}/Users?filter=…` with the filter encoded as a query value.
fn filter_url(base_url: &str, filter: &str, paging: &str) -> String {
    format!(
        "{base_url}/Users?filter={}{paging}",
        url::form_urlencoded::byte_serialize(filter.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    )
}

/// What Microsoft Entra ID's *Test Connection* sends: a lookup by `userName` of a user nobody
/// has, the same by `externalId`, both expecting 200 with an empty ListResponse, and a wrong
/// token expecting 401.
async fn rehearse_entra(
    client: &reqwest::Client,
    base_url: &str,
    token: &str,
    listen: &str,
) -> Rehearsal {
    let provider = Provider::Entra;
    let mut steps = Vec::new();
    let nonce = uuid::Uuid::new_v4();
    let reached = reach(client, provider, base_url, &mut steps).await;
    let lookup_url = filter_url(
        base_url,
        &format!("userName eq \"{nonce}@scimdesk-test.invalid\""),
        "",
    );
    let external_url = filter_url(base_url, &format!("externalId eq \"{nonce}\""), "");
    if !reached {
        let why = "the public URL could not be reached";
        steps.push(skipped("lookup", format!("GET {lookup_url}"), why));
        steps.push(skipped(
            "external_id_lookup",
            format!("GET {external_url}"),
            why,
        ));
        steps.push(skipped(
            "bad_token",
            format!("GET {lookup_url} with a wrong token"),
            why,
        ));
        return finish(provider, base_url, steps);
    }
    let empty_list = |status: u16, body: &Value| {
        status == 200 && is_list(body) && body["totalResults"].as_u64() == Some(0)
    };
    let lookup = call(client, provider, &lookup_url, Some(token)).await;
    let mut lookup_step = judge(
        provider,
        "lookup",
        format!("GET {lookup_url}"),
        &lookup,
        listen,
        |status, body| {
            empty_list(status, body).then(|| {
                "A lookup of a user nobody has answered 200 with an empty list, as Microsoft \
                 Entra ID's Test Connection expects."
                    .to_owned()
            })
        },
    );
    if matches!(lookup, Ok((404, _, _))) {
        lookup_step.message = "A lookup of a user nobody has answered 404. Microsoft Entra ID, \
            unlike Okta, does not accept 404 here: it expects 200 with an empty list, and its Test \
            Connection fails."
            .to_owned();
    }
    steps.push(lookup_step);
    let external = call(client, provider, &external_url, Some(token)).await;
    let mut external_step = judge(
        provider,
        "external_id_lookup",
        format!("GET {external_url}"),
        &external,
        listen,
        |status, body| {
            empty_list(status, body).then(|| {
                "A lookup by an externalId nobody has answered 200 with an empty list, as \
                 Microsoft Entra ID expects."
                    .to_owned()
            })
        },
    );
    if matches!(external, Ok((404, _, _))) {
        external_step.message = "A lookup by an externalId nobody has answered 404. Microsoft \
            Entra ID, unlike Okta, does not accept 404 here: it expects 200 with an empty list."
            .to_owned();
    }
    steps.push(external_step);
    let bad = call(client, provider, &lookup_url, Some("rehearsal-wrong-token")).await;
    steps.push(judge(
        provider,
        "bad_token",
        format!("GET {lookup_url} with a wrong token"),
        &bad,
        listen,
        |status, body| {
            (status == 401 && is_error(body)).then(|| {
                "A wrong token was refused with 401 and a SCIM error: only Microsoft Entra ID, \
                 with the connection's Secret Token, gets in."
                    .to_owned()
            })
        },
    ));
    finish(provider, base_url, steps)
}

/// Okta's read-only requests: Test Connector Configuration and the SPEC test's lookups.
async fn rehearse_okta(
    client: &reqwest::Client,
    base_url: &str,
    token: &str,
    listen: &str,
) -> Rehearsal {
    let provider = Provider::Okta;
    let mut steps = Vec::new();
    let nonce = uuid::Uuid::new_v4();
    let reached = reach(client, provider, base_url, &mut steps).await;

    let list_url = format!("{base_url}/Users?startIndex=1&count=2");
    let lookup_filter = format!("userName eq \"rehearsal-{nonce}@rehearsal.invalid\"");
    let lookup_url = filter_url(base_url, &lookup_filter, "&startIndex=1&count=100");
    let unknown_url = format!("{base_url}/Users/{nonce}");

    if !reached {
        let why = "the public URL could not be reached";
        steps.push(skipped("list", format!("GET {list_url}"), why));
        steps.push(skipped("lookup", format!("GET {lookup_url}"), why));
        steps.push(skipped("unknown_id", format!("GET {unknown_url}"), why));
        steps.push(skipped(
            "bad_token",
            format!("GET {list_url} with a wrong token"),
            why,
        ));
        return finish(provider, base_url, steps);
    }

    // 2. What Test Connector Configuration sends.
    let list = call(client, provider, &list_url, Some(token)).await;
    let list_step = judge(
        provider,
        "list",
        format!("GET {list_url}"),
        &list,
        listen,
        |status, body| {
            if status == 200 && is_list(body) {
                let total = body["totalResults"].as_u64().unwrap_or(0);
                Some(format!(
                    "Okta's Test Connector Configuration would pass: the list answered with \
                     {total} user(s) in total."
                ))
            } else {
                None
            }
        },
    );
    let list_ok = list_step.outcome == Outcome::Ok;
    steps.push(list_step);

    if list_ok {
        // 3. The lookup Okta makes before creating someone.
        let lookup = call(client, provider, &lookup_url, Some(token)).await;
        steps.push(judge(
            provider,
            "lookup",
            format!("GET {lookup_url}"),
            &lookup,
            listen,
            |status, body| {
                (status == 200 && is_list(body) && body["totalResults"].as_u64() == Some(0)).then(
                    || {
                        "A lookup of a user nobody has answered 200 with no results, as Okta \
                     expects before it creates a user."
                            .to_owned()
                    },
                )
            },
        ));
        // 4. An id nobody has.
        let unknown = call(client, provider, &unknown_url, Some(token)).await;
        steps.push(judge(
            provider,
            "unknown_id",
            format!("GET {unknown_url}"),
            &unknown,
            listen,
            |status, body| {
                (status == 404 && is_error(body)).then(|| {
                    "An unknown user id answered 404 with a SCIM error, as Okta expects.".to_owned()
                })
            },
        ));
    } else {
        let why = "listing users failed, so these would fail the same way";
        steps.push(skipped("lookup", format!("GET {lookup_url}"), why));
        steps.push(skipped("unknown_id", format!("GET {unknown_url}"), why));
    }

    // 5. A wrong token must be refused.
    let bad = call(client, provider, &list_url, Some("rehearsal-wrong-token")).await;
    steps.push(judge(
        provider,
        "bad_token",
        format!("GET {list_url} with a wrong token"),
        &bad,
        listen,
        |status, body| {
            (status == 401 && is_error(body)).then(|| {
                "A wrong token was refused with 401 and a SCIM error: only Okta, with the \
                 connection's token, gets in."
                    .to_owned()
            })
        },
    ));
    finish(provider, base_url, steps)
}

fn finish(provider: Provider, base_url: &str, steps: Vec<Step>) -> Rehearsal {
    Rehearsal {
        provider,
        base_url: base_url.to_owned(),
        ok: steps.iter().all(|s| s.outcome == Outcome::Ok),
        steps,
        note: None,
        reachable_by_provider: base_url.starts_with("https://"),
    }
}

/// An answer: status, content type and parsed body (Null when not JSON), or the transport error.
type Answer = Result<(u16, String, Value), String>;

async fn call(
    client: &reqwest::Client,
    provider: Provider,
    url: &str,
    token: Option<&str>,
) -> Answer {
    let mut request = client
        .get(url)
        .header("Accept", "application/scim+json")
        .header("Accept-Charset", "utf-8");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Err(e) => Err(transport_failure(&e, url, provider)),
        Ok(response) => {
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let text = response.text().await.unwrap_or_default();
            let body = serde_json::from_str(&text).unwrap_or(Value::Null);
            Ok((status, content_type, body))
        }
    }
}

/// Whether an answer comes from a SCIM server at all (rather than a tunnel's or proxy's own page).
fn is_scim(content_type: &str, body: &Value) -> bool {
    content_type.to_ascii_lowercase().contains("json") && (is_list(body) || is_error(body))
}

fn has_schema(body: &Value, schema: &str) -> bool {
    body["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|x| x == schema))
}

fn is_list(body: &Value) -> bool {
    has_schema(body, LIST_RESPONSE)
        && body["totalResults"].is_u64()
        && body["startIndex"].is_u64()
        && body["itemsPerPage"].is_u64()
}

fn is_error(body: &Value) -> bool {
    has_schema(body, ERROR)
}

/// Grades an answer: `good` says what success looks like; everything else gets the most useful
/// explanation available.
fn judge(
    provider: Provider,
    step: &'static str,
    request: String,
    answer: &Answer,
    listen: &str,
    good: impl Fn(u16, &Value) -> Option<String>,
) -> Step {
    let failed = |message: String| Step {
        step,
        request: request.clone(),
        outcome: Outcome::Failed,
        message,
    };
    let (status, content_type, body) = match answer {
        Err(message) => return failed(message.clone()),
        Ok(a) => a,
    };
    if let Some(message) = good(*status, body) {
        return Step {
            step,
            request,
            outcome: Outcome::Ok,
            message,
        };
    }
    if !is_scim(content_type, body) {
        return failed(format!(
            "The tunnel answered (HTTP {status}) but the request never reached this app: check \
             that the tunnel or proxy forwards /scim/v2/ to http://{listen} and that SCIM Desk \
             is serving there."
        ));
    }
    let detail = body["detail"].as_str().unwrap_or("").trim();
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" SCIM Desk said: {detail}")
    };
    if *status == 401 && step != "bad_token" {
        return failed(format!(
            "Token refused: the app answered 401 to the connection's own token. The tunnel may \
             lead to another SCIM Desk, or the connection was deleted.{detail}"
        ));
    }
    if step == "bad_token" && *status != 401 {
        return failed(format!(
            "A wrong token was not refused (HTTP {status}): anyone who knows the URL could get \
             in.{detail}"
        ));
    }
    failed(format!(
        "SCIM Desk answered HTTP {status}, which {} would treat as a failure.{detail}",
        provider.display_name()
    ))
}

/// A transport error as the admin can act on it: DNS, refused connection, TLS, timeout.
fn transport_failure(e: &reqwest::Error, url: &str, provider: Provider) -> String {
    let host = crate::https::host_port(url);
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        chain.push(err.to_string());
        source = err.source();
    }
    let all = chain.join(": ");
    let lower = all.to_ascii_lowercase();
    let innermost = chain.last().cloned().unwrap_or_default();
    if e.is_timeout() {
        return format!(
            "No answer from {host} within {} s: the tunnel may be down or stuck.",
            REQUEST_TIMEOUT.as_secs()
        );
    }
    if lower.contains("dns error") || lower.contains("failed to lookup") {
        return format!(
            "Could not resolve {host}: the name does not exist (yet) in DNS ({innermost})."
        );
    }
    if lower.contains("connection refused") {
        return format!(
            "Connection refused by {host}: nothing listens there; the tunnel or proxy is not running."
        );
    }
    if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("invalid peer")
        || lower.contains("received corrupt message")
    {
        return format!(
            "TLS failed with {host}: {innermost}. {} only accepts a valid, publicly trusted \
             certificate.",
            provider.display_name()
        );
    }
    format!("Could not reach {host}: {all}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scim_answers_are_told_from_a_proxys_own_pages() {
        let list = json!({"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []});
        assert!(is_scim("application/scim+json", &list));
        assert!(!is_scim("text/html", &list));
        assert!(!is_scim("application/json", &json!({"hello": "world"})));
        // Counters as strings are what makes Okta fail: not a valid list.
        let strings = json!({"schemas": [LIST_RESPONSE], "totalResults": "0", "startIndex": 1, "itemsPerPage": 0});
        assert!(!is_list(&strings));
    }

    #[test]
    fn a_401_to_the_real_token_is_token_refused() {
        let answer: Answer = Ok((
            401,
            "application/scim+json".into(),
            json!({"schemas": [ERROR], "status": "401", "detail": "The token is not valid."}),
        ));
        let step = judge(
            Provider::Okta,
            "list",
            "GET x".into(),
            &answer,
            "127.0.0.1:1",
            |_, _| None,
        );
        assert_eq!(step.outcome, Outcome::Failed);
        assert!(
            step.message.starts_with("Token refused"),
            "{}",
            step.message
        );
        assert!(step.message.contains("The token is not valid."));
    }

    #[test]
    fn a_proxy_error_page_never_reached_the_app() {
        let answer: Answer = Ok((502, "text/html".into(), Value::Null));
        let step = judge(
            Provider::Okta,
            "list",
            "GET x".into(),
            &answer,
            "127.0.0.1:8742",
            |_, _| None,
        );
        assert!(
            step.message.starts_with(
                "The tunnel answered (HTTP 502) but the request never reached this app"
            ),
            "{}",
            step.message
        );
        assert!(step.message.contains("http://127.0.0.1:8742"));
    }
}
