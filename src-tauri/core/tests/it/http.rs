//! The core over real HTTP on loopback, with a temporary data directory and the real OS
//! keychain (the test command runs inside a private Secret Service session).

use std::sync::Arc;

use scimdesk::connections::keychain::{Keychain, MemoryKeychain, OsKeychain};
use scimdesk::directory::{EmployeeQuery, StatusFilter};
use scimdesk::Desk;
use serde_json::{json, Value};

use crate::common::start;

/// The identity providers' conversations (`tests/fixtures/`), in the format and with the checks
/// the black-box suite uses: the one file, included by path, since that crate never depends on
/// this one.
#[path = "../../../../tests/src/conversation.rs"]
#[allow(dead_code)]
mod conversation;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_token_lives_in_the_keychain_and_deleting_it_stops_sync_but_keeps_employees() {
    let keychain: Arc<dyn Keychain> = Arc::new(OsKeychain::new());
    let running = start(keychain.clone()).await;
    let new = running
        .desk
        .connections()
        .add("Okta production", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();
    let config = running.desk.config().await.unwrap();
    let base_url = config.base_url(&new.connection.id);
    assert!(base_url.starts_with(&running.origin));
    assert_eq!(
        keychain.get(&new.connection.id).unwrap().as_deref(),
        Some(new.token.as_str()),
        "the plaintext token is in the OS keychain"
    );

    let http = client();
    let created = http
        .post(format!("{base_url}/Users"))
        .bearer_auth(&new.token)
        .header("Content-Type", "application/scim+json; charset=utf-8")
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "jane@corp.example",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "active": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = created.json().await.unwrap();
    assert_eq!(
        location,
        format!("{base_url}/Users/{}", body["id"].as_str().unwrap())
    );

    running
        .desk
        .connections()
        .delete(&new.connection.id)
        .await
        .unwrap();
    assert_eq!(keychain.get(&new.connection.id).unwrap(), None);
    let refused = http
        .get(format!("{base_url}/Users"))
        .bearer_auth(&new.token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let err: Value = refused.json().await.unwrap();
    assert_eq!(err["status"], "401");

    let employees = running
        .desk
        .directory()
        .employees(&EmployeeQuery {
            status: StatusFilter::All,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(employees.total, 1);
    assert_eq!(
        employees.items[0].email.as_deref(),
        Some("jane@corp.example")
    );
    assert_eq!(employees.items[0].status, "active");
}

#[tokio::test]
async fn without_a_keychain_adding_a_connection_fails_and_leaves_nothing_behind() {
    let keychain = Arc::new(MemoryKeychain::default());
    keychain
        .unavailable
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path(), keychain).await.unwrap();
    let err = desk
        .connections()
        .add("Okta", scimdesk::connections::Provider::Okta)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("keychain could not be reached"), "{err}");
    assert!(err.contains("gnome-keyring-daemon"), "{err}");
    assert!(desk.connections().list().await.unwrap().is_empty());
}

#[tokio::test]
async fn connection_names_are_unique_ignoring_case_and_found_by_name_or_id() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path(), Arc::new(MemoryKeychain::default()))
        .await
        .unwrap();
    let a = desk
        .connections()
        .add("  Okta Prod ", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();
    assert_eq!(a.connection.name, "Okta Prod");
    let dup = desk
        .connections()
        .add("okta prod", scimdesk::connections::Provider::Okta)
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("already exists"), "{dup}");
    assert_eq!(
        desk.connections().find("OKTA PROD").await.unwrap().id,
        a.connection.id
    );
    assert_eq!(
        desk.connections().token(&a.connection.id).await.unwrap(),
        a.token
    );
    assert!(desk.connections().find("nope").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_under_the_listener_is_a_scim_error_body() {
    let running = start(Arc::new(MemoryKeychain::default())).await;
    let new = running
        .desk
        .connections()
        .add("Okta", scimdesk::connections::Provider::Okta)
        .await
        .unwrap();
    let base_url = running
        .desk
        .config()
        .await
        .unwrap()
        .base_url(&new.connection.id);
    let http = client();
    for (method, url, auth, status) in [
        ("GET", format!("{}/", running.origin), true, 404),
        ("GET", format!("{}/admin", running.origin), true, 404),
        ("GET", format!("{base_url}/Users"), false, 401),
        ("GET", format!("{base_url}/Nope"), true, 404),
        ("PUT", format!("{base_url}/Users"), true, 405),
        ("POST", format!("{base_url}/Bulk"), true, 501),
        ("POST", format!("{base_url}/Schemas"), true, 405),
    ] {
        let mut req = http.request(method.parse().unwrap(), &url);
        if auth {
            req = req.bearer_auth(&new.token);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{method} {url}");
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json"));
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(body["status"], status.to_string());
        assert!(body["detail"].as_str().unwrap().len() > 10);
    }
}

/// Every conversation of `tests/fixtures/<provider>/*.json`, replayed in process (the endpoint on
/// loopback), each against a directory of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_identity_provider_conversation_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let fixtures = conversation::fixtures(&dir);
    assert!(fixtures.len() >= 5, "{:?}", fixtures.iter().map(|f| &f.0));
    for (name, text) in fixtures {
        let running = start(Arc::new(MemoryKeychain::default())).await;
        let new = running
            .desk
            .connections()
            .add(&name, scimdesk::connections::Provider::Okta)
            .await
            .unwrap();
        let base_url = running
            .desk
            .config()
            .await
            .unwrap()
            .base_url(&new.connection.id);
        let mut conversation = conversation::Conversation::parse(&name, &text, &base_url);
        replay(&base_url, &new.token, &mut conversation).await;
    }
}

/// Sends each request of `conversation` as Okta would, and checks each answer.
async fn replay(base_url: &str, token: &str, conversation: &mut conversation::Conversation) {
    let http = client();
    while let Some(request) = conversation.next_request(None) {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        let mut set = |name: &str, value: Option<&str>| {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap();
            match value {
                Some(v) => {
                    headers.insert(name, v.parse().unwrap());
                }
                None => {
                    headers.remove(name);
                }
            }
        };
        set("accept", Some("application/scim+json"));
        set("user-agent", Some("Okta SCIM Client 1.0.0"));
        set("authorization", Some(&format!("Bearer {token}")));
        if request.body.is_some() {
            set("content-type", Some("application/scim+json; charset=utf-8"));
        }
        for (name, value) in &request.headers {
            set(name, value.as_deref());
        }
        let mut builder = http
            .request(method, format!("{base_url}{}", request.path))
            .headers(headers);
        if let Some(body) = request.body.clone() {
            builder = builder.body(body);
        }
        let response = builder.send().await.unwrap();
        let answer = conversation::Answer {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            text: response.text().await.unwrap(),
        };
        if let Err(failure) = conversation.check(&request, &answer) {
            panic!("{failure}");
        }
    }
}
