//! Tunnel settings and the Okta rehearsal, over real HTTP on loopback with a temporary data
//! directory. The TLS proxy and the cloudflared stand-in are exercised in `tests/` (black box).

use std::sync::Arc;

use scimdesk::cli::wording;
use scimdesk::connections::keychain::{Keychain, MemoryKeychain};
use scimdesk::reachability::Cause;
use scimdesk::tunnel::rehearsal::{Outcome, RehearsalNote};
use scimdesk::tunnel::{TunnelSetting, TunnelState, ACCOUNT_CLOUDFLARED, ACCOUNT_NGROK};

use crate::common;

/// The endpoint with an in-memory keychain the test can look into.
async fn start() -> (common::Running, Arc<MemoryKeychain>) {
    let keychain = Arc::new(MemoryKeychain::default());
    (common::start(keychain.clone()).await, keychain)
}

/// Adds the connection "Okta" and makes the endpoint's own address the public URL, so the
/// rehearsal goes straight to it.
async fn okta_at_own_origin(running: &common::Running) -> scimdesk::connections::NewConnection {
    at_own_origin(running, "Okta", scimdesk::connections::Provider::Okta).await
}

/// Adds the connection `name` of `provider` and makes the endpoint's own address the public URL.
async fn at_own_origin(
    running: &common::Running,
    name: &str,
    provider: scimdesk::connections::Provider,
) -> scimdesk::connections::NewConnection {
    let new = running
        .desk
        .connections()
        .add(name, provider)
        .await
        .unwrap();
    running
        .desk
        .set_config("public-url", &running.origin)
        .await
        .unwrap();
    new
}

/// A loopback port nobody listens on.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A web server that is not SCIM Desk: what a tunnel pointed at the wrong service answers.
async fn not_scim_desk() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async {
        axum::response::Html("<html><body><h1>Welcome to nginx!</h1></body></html>")
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn step<'a>(
    r: &'a scimdesk::tunnel::rehearsal::Rehearsal,
    name: &str,
) -> &'a scimdesk::tunnel::rehearsal::Step {
    r.steps
        .iter()
        .find(|s| s.step == name)
        .unwrap_or_else(|| panic!("no step {name} in {r:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rehearsal_passes_every_step_and_creates_nothing() {
    let (running, _) = start().await;
    let new = okta_at_own_origin(&running).await;

    let r = running.desk.rehearse("Okta").await.unwrap();
    assert!(r.ok, "{r:#?}");
    let names: Vec<&str> = r.steps.iter().map(|s| s.step).collect();
    assert_eq!(
        names,
        ["reach", "list", "lookup", "unknown_id", "bad_token"]
    );
    assert!(r.steps.iter().all(|s| s.outcome == Outcome::Ok));
    assert!(step(&r, "list")
        .message
        .contains("Test Connector Configuration would pass"));
    assert_eq!(
        r.note,
        Some(RehearsalNote::PlainHttp),
        "a plain-HTTP public URL is pointed out: {r:#?}"
    );

    // Nothing was created, and the rehearsal is not taken for Okta's last contact (its
    // bad-token step would otherwise show as a refused request).
    let employees = running
        .desk
        .directory()
        .employees(&Default::default())
        .await
        .unwrap();
    assert!(employees.items.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let connection = running
        .desk
        .connections()
        .find(&new.connection.id)
        .await
        .unwrap();
    assert_eq!(connection.last_contact_status, None, "{connection:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rehearsal_names_a_refused_token() {
    let (running, keychain) = start().await;
    let new = okta_at_own_origin(&running).await;
    // The keychain holds a token the endpoint does not know.
    keychain
        .set(&new.connection.id, "not-the-connections-token")
        .unwrap();

    let r = running.desk.rehearse(&new.connection.id).await.unwrap();
    assert!(!r.ok);
    assert_eq!(step(&r, "reach").outcome, Outcome::Ok);
    let list = step(&r, "list");
    assert_eq!(list.outcome, Outcome::Failed);
    assert!(
        list.message.starts_with("Token refused"),
        "{}",
        list.message
    );
    assert_eq!(step(&r, "lookup").outcome, Outcome::Skipped);
    assert_eq!(step(&r, "bad_token").outcome, Outcome::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rehearsal_names_a_server_that_is_not_scim_desk() {
    let (running, _) = start().await;
    running
        .desk
        .connections()
        .add("Okta", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();
    let other = not_scim_desk().await;
    running.desk.set_config("public-url", &other).await.unwrap();

    let r = running.desk.rehearse("Okta").await.unwrap();
    assert!(!r.ok);
    let list = step(&r, "list");
    assert!(
        list.message
            .starts_with("The tunnel answered (HTTP 200) but the request never reached this app"),
        "{}",
        list.message
    );
    assert!(list
        .message
        .contains(&running.origin.replace("http://", "")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rehearsal_names_transport_failures() {
    let (running, _) = start().await;
    running
        .desk
        .connections()
        .add("Okta", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();

    // Nothing listens.
    let refused = format!("http://127.0.0.1:{}", free_port());
    running
        .desk
        .set_config("public-url", &refused)
        .await
        .unwrap();
    let r = running.desk.rehearse("Okta").await.unwrap();
    let reach = step(&r, "reach");
    assert_eq!(reach.outcome, Outcome::Failed);
    assert!(
        reach.message.starts_with("Connection refused"),
        "{}",
        reach.message
    );
    assert!(r.steps[1..].iter().all(|s| s.outcome == Outcome::Skipped));

    // HTTPS to something that does not speak TLS.
    let tls = running.origin.replace("http://", "https://");
    running.desk.set_config("public-url", &tls).await.unwrap();
    let r = running.desk.rehearse("Okta").await.unwrap();
    let reach = step(&r, "reach");
    assert!(reach.message.starts_with("TLS failed"), "{}", reach.message);

    // A name that does not resolve.
    running
        .desk
        .set_config("public-url", "https://scimdesk-rehearsal.invalid")
        .await
        .unwrap();
    let r = running.desk.rehearse("Okta").await.unwrap();
    let reach = step(&r, "reach");
    assert!(
        reach.message.starts_with("Could not resolve"),
        "{}",
        reach.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_urls_ignore_a_forged_host() {
    let (running, _) = start().await;
    let new = running
        .desk
        .connections()
        .add("Okta", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();
    running
        .desk
        .set_config("public-url", "https://desk.example.com")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let created = http
        .post(format!(
            "{}/scim/v2/{}/Users",
            running.origin, new.connection.id
        ))
        .bearer_auth(&new.token)
        .header("Host", "attacker.example")
        .header("X-Forwarded-Host", "attacker.example")
        .header("Content-Type", "application/scim+json")
        .body(
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "jane@corp.example",
                "name": {"givenName": "Jane", "familyName": "Doe"},
                "active": true
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let body: serde_json::Value = created.json().await.unwrap();
    let prefix = format!(
        "https://desk.example.com/scim/v2/{}/Users/",
        new.connection.id
    );
    assert!(location.starts_with(&prefix), "{location}");
    assert_eq!(body["meta"]["location"], location.as_str());
}

#[tokio::test]
async fn public_url_setting_means_own_and_secrets_stay_out_of_sqlite() {
    let (running, keychain) = start().await;
    let desk = &running.desk;
    assert_eq!(desk.tunnel_setting().await.unwrap(), TunnelSetting::None);

    // `config set public-url` is the "own" tunnel, as before.
    desk.set_config("public-url", "https://desk.example.com/")
        .await
        .unwrap();
    assert_eq!(
        desk.tunnel_setting().await.unwrap(),
        TunnelSetting::Own {
            url: "https://desk.example.com".into()
        }
    );
    assert!(desk
        .set_tunnel(
            TunnelSetting::Own {
                url: "https://my_desk.example.com".into()
            },
            None
        )
        .await
        .is_err());

    // A named cloudflared tunnel needs a token and a hostname.
    let err = desk
        .set_tunnel(
            TunnelSetting::Cloudflared {
                hostname: Some("scim.example.com".into()),
            },
            None,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs its token"), "{err}");
    let err = desk
        .set_tunnel(
            TunnelSetting::Cloudflared { hostname: None },
            Some("tok".into()),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("needs the public hostname"),
        "{err}"
    );
    // The CLI adds its flag; the core's words name none (the app shows them too).
    assert!(!err.to_string().contains("--hostname"), "{err}");
    let cli = wording::tunnel_error(err).to_string();
    assert!(cli.contains("--hostname HOST"), "{cli}");
    let token = "cf-token-7d1b5a9e4c3f";
    desk.set_tunnel(
        TunnelSetting::Cloudflared {
            hostname: Some("scim.example.com".into()),
        },
        Some(token.into()),
    )
    .await
    .unwrap();
    assert_eq!(
        keychain.get(ACCOUNT_CLOUDFLARED).unwrap().as_deref(),
        Some(token)
    );
    let config = desk.config().await.unwrap();
    assert_eq!(config.base_url("c"), "https://scim.example.com/scim/v2/c");
    // Going from the own URL to the named tunnel's is a change Okta must hear about.
    let status = desk.tunnel_status().await.unwrap();
    let change = status.url_changed.expect("change recorded");
    assert_eq!(change.from, "https://desk.example.com");
    assert_eq!(change.to, "https://scim.example.com");

    // ngrok needs an authtoken.
    let err = desk
        .set_tunnel(TunnelSetting::Ngrok { domain: None }, None)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("ngrok needs an authtoken"),
        "{err}"
    );
    let authtoken = "ngrok-authtoken-93af7c";
    desk.set_tunnel(
        TunnelSetting::Ngrok { domain: None },
        Some(authtoken.into()),
    )
    .await
    .unwrap();
    assert_eq!(
        keychain.get(ACCOUNT_NGROK).unwrap().as_deref(),
        Some(authtoken)
    );
    let status = desk.tunnel_status().await.unwrap();
    assert!(!status.stable);
    assert!(wording::tunnel_advice(&status).is_some());

    // Neither secret is anywhere in the data directory.
    desk.close().await;
    for entry in std::fs::read_dir(running.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        for secret in [token, authtoken] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a tunnel secret reached the data directory"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rehearsal_says_when_a_managed_tunnel_is_not_online() {
    let (running, _) = start().await;
    running
        .desk
        .connections()
        .add("Okta", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();
    running
        .desk
        .set_tunnel(TunnelSetting::Cloudflared { hostname: None }, None)
        .await
        .unwrap();
    let r = running.desk.rehearse("Okta").await.unwrap();
    let note = r.note.expect("a note");
    assert_eq!(
        note,
        RehearsalNote::TunnelOffline {
            mode: "cloudflared".into(),
            last_url: None
        }
    );
    let words = wording::rehearsal_note(&note, scimdesk::connections::Provider::Okta);
    assert!(
        words.starts_with("The cloudflared tunnel is not online"),
        "{words}"
    );
}

#[tokio::test]
async fn no_tunnel_says_okta_cannot_reach_it() {
    let (running, _) = start().await;
    let status = running.desk.tunnel_status().await.unwrap();
    assert_eq!(status.mode, "none");
    assert!(!status.reachable_by_okta);
    let message = wording::tunnel_message(&status, "127.0.0.1:8742");
    assert!(message.contains("Okta cannot reach"), "{message}");
    assert!(message.contains("scimdesk tunnel set cloudflared"));
}

/// A failing tunnel keeps Okta out until it is online again, and a public URL Okta does not
/// have yet keeps it out until the admin says Okta was updated: each is one reachability
/// window (however often its condition is reported) with the connections it affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_down_and_a_url_okta_does_not_have_are_reachability_windows() {
    let (running, _) = start().await;
    let desk = &running.desk;
    desk.connections()
        .add("Okta", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();
    let windows = || async {
        desk.reachability()
            .recent(10, time::OffsetDateTime::now_utc())
            .await
            .unwrap()
    };
    let failed = TunnelState::Failed {
        reason: "cloudflared exited".into(),
        retry_at: None,
    };
    desk.tunnel().record_state(&failed).await.unwrap();
    desk.tunnel()
        .record_state(&TunnelState::Starting)
        .await
        .unwrap();
    desk.tunnel().record_state(&failed).await.unwrap();
    let now = windows().await;
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(now[0].cause, Cause::TunnelDown);
    assert_eq!(now[0].ended_at, None, "open while the tunnel is down");
    let names: Vec<_> = now[0].connections.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, [Some("Okta".to_owned())]);
    desk.tunnel()
        .record_state(&TunnelState::Online {
            url: "https://quick.trycloudflare.example".into(),
        })
        .await
        .unwrap();
    let now = windows().await;
    assert_eq!(now.len(), 1, "{now:?}");
    assert!(now[0].ended_at.is_some(), "closed once online: {now:?}");

    // Okta has the first URL; a second one opens a window until the change is acknowledged.
    desk.set_config("public-url", "https://one.example.com")
        .await
        .unwrap();
    assert_eq!(windows().await.len(), 1, "the first URL is no change");
    desk.set_config("public-url", "https://two.example.com")
        .await
        .unwrap();
    let now = windows().await;
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(now[0].cause, Cause::UrlChanged);
    assert_eq!(now[0].ended_at, None);
    desk.acknowledge_url_change().await.unwrap();
    let now = windows().await;
    assert!(
        now[0].ended_at.is_some(),
        "closed once Okta has it: {now:?}"
    );
    assert!(desk.tunnel_status().await.unwrap().url_changed.is_none());
}

/// Adds the Microsoft Entra ID connection "Entra" and makes the endpoint's own address the
/// public URL.
async fn entra_at_own_origin(running: &common::Running) -> scimdesk::connections::NewConnection {
    at_own_origin(running, "Entra", scimdesk::connections::Provider::Entra).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entra_connection_rehearses_what_entras_test_connection_sends() {
    let (running, _) = start().await;
    entra_at_own_origin(&running).await;

    let r = running.desk.rehearse("Entra").await.unwrap();
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.provider, scimdesk::connections::Provider::Entra);
    let names: Vec<&str> = r.steps.iter().map(|s| s.step).collect();
    assert_eq!(
        names,
        ["reach", "lookup", "external_id_lookup", "bad_token"]
    );
    let lookup = step(&r, "lookup");
    assert!(
        lookup.request.contains("%40scimdesk-test.invalid"),
        "{}",
        lookup.request
    );
    assert!(
        lookup.message.contains("Test Connection"),
        "{}",
        lookup.message
    );
    assert!(step(&r, "external_id_lookup")
        .request
        .contains("filter=externalId%20eq%20"));
    assert!(!r.reachable_by_provider, "a plain-HTTP URL: {r:#?}");
    let note = wording::rehearsal_note(r.note.as_ref().unwrap(), r.provider);
    assert!(
        note.contains("Microsoft Entra ID only calls HTTPS URLs"),
        "{note}"
    );
    // Okta's connections keep their own steps.
    running
        .desk
        .connections()
        .add("Okta", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();
    let okta = running.desk.rehearse("Okta").await.unwrap();
    assert_eq!(okta.steps.len(), 5, "{okta:#?}");
    assert_eq!(okta.provider, scimdesk::connections::Provider::Okta);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entra_rehearsal_names_a_refused_token_and_the_bad_token_step_still_passes() {
    let (running, keychain) = start().await;
    let new = entra_at_own_origin(&running).await;
    keychain
        .set(&new.connection.id, "not-the-connections-token")
        .unwrap();

    let r = running.desk.rehearse("Entra").await.unwrap();
    assert!(!r.ok);
    assert_eq!(step(&r, "reach").outcome, Outcome::Ok);
    for name in ["lookup", "external_id_lookup"] {
        let s = step(&r, name);
        assert_eq!(s.outcome, Outcome::Failed, "{s:?}");
        assert!(s.message.starts_with("Token refused"), "{}", s.message);
    }
    assert_eq!(step(&r, "bad_token").outcome, Outcome::Ok);
}

/// A stand-in for a SCIM server that answers a filter matching nobody with 404 (which Okta
/// accepts and Entra does not), and a wrong token with 401.
async fn answers_404_to_lookups() -> String {
    use axum::http::{header, HeaderMap, StatusCode};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|headers: HeaderMap| async move {
        let good = headers
            .get(header::AUTHORIZATION)
            .is_some_and(|v| v == "Bearer stand-in-token");
        let (status, detail) = if good {
            (StatusCode::NOT_FOUND, "No such user")
        } else {
            (StatusCode::UNAUTHORIZED, "Bad token")
        };
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.as_u16().to_string(),
            "detail": detail,
        });
        (
            status,
            [(header::CONTENT_TYPE, "application/scim+json")],
            body.to_string(),
        )
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/scim/v2/stand-in")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entra_rehearsal_fails_a_404_to_the_lookup_and_says_entra_expects_an_empty_list() {
    use scimdesk::connections::Provider;
    use scimdesk::tunnel::rehearsal;
    let base_url = answers_404_to_lookups().await;
    let client = rehearsal::client().unwrap();
    let r = rehearsal::rehearse(
        &client,
        Provider::Entra,
        &base_url,
        "stand-in-token",
        "127.0.0.1:8742",
    )
    .await;
    assert!(!r.ok);
    let lookup = step(&r, "lookup");
    assert_eq!(lookup.outcome, Outcome::Failed);
    assert!(
        lookup.message.contains("404") && lookup.message.contains("unlike Okta"),
        "{}",
        lookup.message
    );
    assert_eq!(step(&r, "external_id_lookup").outcome, Outcome::Failed);
    assert_eq!(step(&r, "bad_token").outcome, Outcome::Ok);
}
