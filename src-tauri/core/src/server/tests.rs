//! The edge in process: requests handed to [`app`] as a service (no socket), against a desk on a
//! temporary data directory with an in-memory keychain.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

use super::*;
use crate::connections::keychain::MemoryKeychain;

const PUBLIC_URL: &str = "https://desk.example.com";

struct Edge {
    app: Endpoint,
    desk: Desk,
    base: String,
    token: String,
    _dir: tempfile::TempDir,
}

async fn edge() -> Edge {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path(), Arc::new(MemoryKeychain::default()))
        .await
        .unwrap();
    let new = desk
        .connections()
        .add("Okta", crate::connections::Provider::Okta)
        .await
        .unwrap();
    let overrides = Overrides {
        public_url: Some(PUBLIC_URL.into()),
        listen: None,
    };
    Edge {
        app: app(desk.clone(), overrides),
        desk,
        base: format!("/scim/v2/{}", new.connection.id),
        token: new.token,
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

impl Edge {
    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let request = self.request(method, path);
        let request = match body {
            Some(b) => request
                .header(header::CONTENT_TYPE, "application/scim+json")
                .body(Body::from(b.to_string())),
            None => request.body(Body::empty()),
        };
        self.send(request.unwrap()).await
    }
}

impl Answer {
    #[track_caller]
    fn assert_scim_error(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert!(
            self.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/scim+json"),
            "{:?}",
            self.headers
        );
        assert_eq!(
            self.body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(self.body["status"], status.to_string());
        assert!(self.body["detail"].as_str().is_some_and(|d| d.len() > 10));
        self
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

fn user(email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "active": true
    })
}

#[tokio::test]
async fn every_refusal_is_a_scim_error() {
    let e = edge().await;
    let b = &e.base;
    for (method, path, status) in [
        ("GET", "/".to_owned(), 404),
        ("GET", "/admin".to_owned(), 404),
        ("GET", "/scim".to_owned(), 404),
        ("GET", "/scim/v2/".to_owned(), 404),
        ("GET", b.clone(), 404),
        ("GET", format!("{b}/Nope"), 404),
        ("GET", format!("{b}/Users/x/extra"), 404),
        ("POST", format!("{b}/Bulk"), 501),
        ("GET", format!("{b}/Me"), 501),
        ("POST", format!("{b}/Schemas"), 405),
        ("DELETE", format!("{b}/ServiceProviderConfig"), 405),
        ("GET", format!("{b}/Users/.search"), 405),
        ("GET", format!("{b}/Schemas/urn:example:nope"), 404),
    ] {
        e.call(method, &path, None).await.assert_scim_error(status);
    }
    // A 405 says what the endpoint accepts, in the detail and in `Allow`.
    let put = e.call("PUT", &format!("{b}/Users"), None).await;
    put.assert_scim_error(405);
    assert!(put.body["detail"]
        .as_str()
        .unwrap()
        .contains("GET and POST"));
    assert_eq!(put.header(header::ALLOW), "GET,HEAD,POST");

    let text = e
        .request("POST", &format!("{b}/Users"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("hello"))
        .unwrap();
    e.send(text).await.assert_scim_error(415);
    let large = e
        .request("POST", &format!("{b}/Users"))
        .header(header::CONTENT_LENGTH, (2 * MAX_BODY_BYTES).to_string())
        .header(header::EXPECT, "100-continue")
        .body(Body::empty())
        .unwrap();
    let refused = e.send(large).await;
    refused.assert_scim_error(413);
    assert_eq!(refused.header(header::CONNECTION), "close");
    let long = format!("{b}/Users?filter={}", "a".repeat(MAX_URI_BYTES));
    e.call("GET", &long, None).await.assert_scim_error(414);
    let padded = e
        .request("GET", &format!("{b}/Users"))
        .header("x-padding", "p".repeat(MAX_HEADER_BYTES))
        .body(Body::empty())
        .unwrap();
    e.send(padded).await.assert_scim_error(431);
    let broken = e.call("POST", &format!("{b}/Users"), None).await;
    broken.assert_scim_error(400);
}

/// A wrong token is refused before the path is looked at, with the same answer whether the
/// connection exists or not; the right token at another connection's URL is a wrong token.
#[tokio::test]
async fn wrong_tokens_are_refused_alike_wherever_they_go() {
    let e = edge().await;
    let anonymous = |path: &str| {
        Request::builder()
            .uri(path)
            .header(header::AUTHORIZATION, "Bearer not-the-token")
            .body(Body::empty())
            .unwrap()
    };
    let known = e.send(anonymous(&format!("{}/Users", e.base))).await;
    known.assert_scim_error(401);
    assert_eq!(
        known.header(header::WWW_AUTHENTICATE),
        "Bearer realm=\"SCIM Desk\""
    );
    let unknown = e.send(anonymous("/scim/v2/no-such-connection/Users")).await;
    assert_eq!(unknown.body, known.body);
    // Even where there is nothing to serve, or a method that is not taken.
    e.send(anonymous(&format!("{}/Nope", e.base)))
        .await
        .assert_scim_error(401);
    let elsewhere = e
        .call("GET", "/scim/v2/no-such-connection/Users", None)
        .await;
    assert_eq!(elsewhere.status, 401);
    assert_eq!(elsewhere.body, known.body);
}

#[tokio::test]
async fn endpoint_names_ignore_case_and_doubled_slashes() {
    let e = edge().await;
    for path in ["//Users", "/users/", "/USERS?startIndex=1&count=2"] {
        let r = e.call("GET", &format!("{}{path}", e.base), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.body["totalResults"], 0);
    }
    let r = e
        .call("GET", &format!("{}/resourcetypes/User", e.base), None)
        .await;
    assert_eq!(r.body["endpoint"], "/Users", "{}", r.body);
}

/// Absolute URLs come from the public URL, whatever `Host` the request names.
#[tokio::test]
async fn a_created_user_is_located_at_the_public_url_never_the_host() {
    let e = edge().await;
    let request = e
        .request("POST", &format!("{}//Users", e.base))
        .header(header::HOST, "attacker.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(user("jane@corp.example").to_string()))
        .unwrap();
    let created = e.send(request).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    let location = format!("{PUBLIC_URL}{}/Users/{id}", e.base);
    assert_eq!(created.header(header::LOCATION), location);
    assert_eq!(created.body["meta"]["location"], location.as_str());
    assert!(created.header(header::ETAG).starts_with("W/\""));
    // A projection applies to a single resource too.
    let got = e
        .call(
            "GET",
            &format!("{}/Users/{id}?attributes=userName", e.base),
            None,
        )
        .await;
    assert_eq!(got.status, 200);
    assert!(got.body.get("name").is_none(), "{}", got.body);
    assert_eq!(got.body["userName"], "jane@corp.example");
}

#[tokio::test]
async fn a_group_patch_is_answered_204_with_its_etag_unless_a_projection_asks() {
    let e = edge().await;
    let group = e
        .call(
            "POST",
            &format!("{}/Groups", e.base),
            Some(json!({"displayName": "Eng"})),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let path = format!("{}/Groups/{}", e.base, group.body["id"].as_str().unwrap());
    let rename = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"displayName": "Engineering"}}]
    });
    let patched = e.call("PATCH", &path, Some(rename.clone())).await;
    assert_eq!(patched.status, 204);
    assert!(patched.header(header::ETAG).starts_with("W/\""));
    let shown = e
        .call(
            "PATCH",
            &format!("{path}?attributes=displayName"),
            Some(rename),
        )
        .await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body["displayName"], "Engineering");
}

#[tokio::test]
async fn with_okta_turned_off_a_right_token_is_refused_403_and_a_wrong_one_401() {
    let e = edge().await;
    e.desk.set_config("okta", "off").await.unwrap();
    e.call("GET", &format!("{}/Users", e.base), None)
        .await
        .assert_scim_error(403);
    let wrong = Request::builder()
        .uri(format!("{}/Users", e.base))
        .header(header::AUTHORIZATION, "Bearer nope")
        .body(Body::empty())
        .unwrap();
    e.send(wrong).await.assert_scim_error(401);
}

/// Each provider's switch pauses its own connections only, and the 403 names the provider whose
/// switch is off.
#[tokio::test]
async fn each_provider_switch_pauses_only_its_own_connections() {
    use crate::connections::Provider;
    let okta = edge().await;
    let entra_new = okta
        .desk
        .connections()
        .add("Entra", Provider::Entra)
        .await
        .unwrap();
    let entra = Edge {
        app: okta.app.clone(),
        desk: okta.desk.clone(),
        base: format!("/scim/v2/{}", entra_new.connection.id),
        token: entra_new.token,
        _dir: tempfile::tempdir().unwrap(),
    };
    let users = |e: &Edge| format!("{}/Users", e.base);

    okta.desk.set_config("entra", "off").await.unwrap();
    let refused = entra.call("GET", &users(&entra), None).await;
    refused.assert_scim_error(403);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("The Microsoft Entra ID integration is turned off"),
        "{detail}"
    );
    assert_eq!(okta.call("GET", &users(&okta), None).await.status, 200);
    let created = okta
        .call("POST", &users(&okta), Some(user("jane@corp.example")))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);

    okta.desk.set_config("entra", "on").await.unwrap();
    okta.desk.set_config("okta", "off").await.unwrap();
    let refused = okta.call("GET", &users(&okta), None).await;
    refused.assert_scim_error(403);
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("The Okta integration is turned off"),
        "{detail}"
    );
    let created = entra
        .call("POST", &users(&entra), Some(user("john@corp.example")))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);

    // Each activity line names the provider of the connection that wrote it.
    let log = okta
        .desk
        .directory()
        .activity(&Default::default())
        .await
        .unwrap();
    let providers: Vec<_> = log.iter().map(|a| a.provider).collect();
    assert_eq!(
        providers,
        [Some(Provider::Entra), Some(Provider::Okta)],
        "{log:?}"
    );
}

#[tokio::test]
async fn a_refused_write_is_an_activity_line_and_a_refused_search_is_not() {
    let e = edge().await;
    let bad = e
        .request("POST", &format!("{}/Users", e.base))
        .body(Body::from("{\"userName\": "))
        .unwrap();
    e.send(bad).await.assert_scim_error(400);
    let bad_search = e
        .request("POST", &format!("{}/Users/.search", e.base))
        .body(Body::from("{"))
        .unwrap();
    e.send(bad_search).await.assert_scim_error(400);
    let log = e
        .desk
        .directory()
        .activity(&Default::default())
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].summary, "Could not create a user");
}

/// A duplicate pushed by Okta is a notice for the app, decided before the 409 goes back; a
/// second within the hour is none.
#[tokio::test]
async fn a_duplicate_push_is_one_notice_for_the_app_before_it_is_answered() {
    let edge = edge().await;
    let mut shown = edge.desk.notices().subscribe();
    let users = format!("{}/Users", edge.base);
    let created = edge
        .call("POST", &users, Some(user("jane@corp.example")))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(shown.try_recv().is_err(), "a success is no notice");
    let again = edge
        .call("POST", &users, Some(user("jane@corp.example")))
        .await;
    again.assert_scim_error(409);
    let notice = shown
        .try_recv()
        .expect("a notice, raised before the answer");
    assert_eq!(notice.kind, crate::notices::NoticeKind::PushFailed);
    assert_eq!(notice.route, "#/activity");
    assert!(notice.body.contains("jane@corp.example"), "{}", notice.body);
    edge.call("POST", &users, Some(user("jane@corp.example")))
        .await
        .assert_scim_error(409);
    assert!(shown.try_recv().is_err(), "one an hour");
}

/// A window that ends, however it ends, reaches the notices: here the Okta switch, off for
/// a while (its start moved back) and on again.
#[tokio::test]
async fn a_window_that_ends_is_a_notice_for_the_app() {
    let edge = edge().await;
    let mut shown = edge.desk.notices().subscribe();
    edge.desk.set_config("okta", "off").await.unwrap();
    edge.desk
        .db()
        .write(|c| {
            c.execute(
                "UPDATE reachability_windows SET started_at = '2026-01-01T00:00:00.000Z'",
                (),
            )
            .map_err(crate::db::direct_error)
        })
        .await
        .unwrap();
    assert!(shown.try_recv().is_err(), "an open window is no notice yet");
    edge.desk.set_config("okta", "on").await.unwrap();
    let notice = shown.try_recv().expect("a notice once the window ended");
    assert_eq!(notice.kind, crate::notices::NoticeKind::WindowEnded);
    assert!(
        notice.body.contains("the Okta switch was off"),
        "{}",
        notice.body
    );
    assert_eq!(notice.route, "#/settings/integrations/okta");
}

/// A load balancer's checks: no token, plain text, nothing about the directory; `/ready` is 503
/// once the database was migrated by a newer SCIM Desk than this one.
#[tokio::test]
async fn health_and_readiness_answer_without_a_token_and_say_nothing_else() {
    let e = edge().await;
    for (path, word) in [("/health", "ok"), ("/ready", "ready")] {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = e.app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(response.into_body(), 64)
            .await
            .unwrap();
        assert_eq!(&body[..], word.as_bytes(), "{path}");
    }
    e.call("POST", "/health", None).await.assert_scim_error(405);

    e.desk
        .db()
        .write(|c| {
            c.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                 execution_time) VALUES (9999, 'from a newer SCIM Desk', 1, x'00', 0)",
                (),
            )
            .map_err(crate::db::direct_error)
        })
        .await
        .unwrap();
    let request = Request::get("/ready").body(Body::empty()).unwrap();
    let response = e.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = axum::body::to_bytes(response.into_body(), 64)
        .await
        .unwrap();
    assert_eq!(&body[..], b"not ready");
    let request = Request::get("/health").body(Body::empty()).unwrap();
    let response = e.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "alive all the same");
}
