//! What the UI's browser mock (`ui/src/mock.ts`, for `npm run dev` without Tauri) serves, recorded
//! from the real core: the tunnel's status in each state the mock can show, the format of a base
//! URL, the activity log's settings, and the refusals the mock gives (an empty or taken name, a bad
//! public URL, a missing tunnel secret, a bad retention or port), word for word.
//!
//! Written to `ui/src/mockRecorded.ts`, whose types are the generated bindings, so the mock can
//! drift neither from the core's shapes (tsc) nor from its values and words (this test fails when
//! the file is stale; `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings` rewrites it,
//! with the other generated files). Connection ids are random, so they are recorded as `{id}`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::bindings::check_or_write;
use crate::config::Retention;
use crate::connections::keychain::{Keychain, MemoryKeychain};
use crate::endpoint::Endpoint;
use crate::tunnel::TunnelState;
use crate::views::{AppError, TunnelInput};
use crate::Desk;

const QUICK_URL: &str = "https://glad-otter-river-lamp.trycloudflare.com";
const EARLIER_QUICK_URL: &str = "https://quiet-maple-stone-harbor.trycloudflare.com";
const OWN_URL: &str = "https://scim.northwind.example";

fn value<T: Serialize>(v: T) -> Value {
    serde_json::to_value(v).expect("a view serializes")
}

fn refused<T: std::fmt::Debug>(r: Result<T, AppError>) -> Value {
    value(r.expect_err("refused"))
}

fn input(mode: &str) -> TunnelInput {
    TunnelInput {
        mode: mode.to_owned(),
        ..TunnelInput::default()
    }
}

/// Windows of each kind the app words, recorded through the heartbeat and the Okta switch as
/// the endpoint records them, at fixed times.
async fn record_windows(desk: &Desk) -> Value {
    let at = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .expect("a time")
    };
    let r = desk.reachability();
    let half_hour = Duration::from_secs(30 * 60);
    // Started at noon; the computer slept from 12:30 to 13:45.
    r.start(at("2026-12-07T12:00:00Z"), half_hour)
        .await
        .unwrap();
    r.beat(at("2026-12-07T12:30:00Z"), half_hour).await.unwrap();
    let mut beat = at("2026-12-07T13:45:00Z");
    // The Okta switch off from 15:00 to 15:20; beating all afternoon until killed at 22:10.
    while beat <= at("2026-12-07T22:10:00Z") {
        r.beat(beat, half_hour).await.unwrap();
        if beat == at("2026-12-07T14:45:00Z") {
            r.okta_switched(false, at("2026-12-07T15:00:00Z"))
                .await
                .unwrap();
            r.okta_switched(true, at("2026-12-07T15:20:00Z"))
                .await
                .unwrap();
        }
        beat = if beat == at("2026-12-07T21:45:00Z") {
            at("2026-12-07T22:10:00Z")
        } else {
            beat + half_hour
        };
    }
    // Started again the next morning; quit at 08:00 and started again at 08:03.
    r.start(at("2026-12-08T07:45:00Z"), half_hour)
        .await
        .unwrap();
    r.stop(at("2026-12-08T08:00:00Z"), half_hour).await.unwrap();
    // (A run beating every minute: three minutes down is a window.)
    let minute = Duration::from_secs(60);
    r.start(at("2026-12-08T08:03:00Z"), minute).await.unwrap();
    value(desk.reachability_windows().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn bindings_for_the_browser_mock_are_recorded_from_the_core() {
    let dir = tempfile::tempdir().expect("temp dir");
    let keychain: Arc<dyn Keychain> = Arc::new(MemoryKeychain::default());
    let desk = Desk::open(dir.path(), keychain).await.expect("desk");
    let mut tunnel = serde_json::Map::new();
    let mut errors = serde_json::Map::new();

    tunnel.insert("none".into(), value(desk.tunnel_status().await.unwrap()));
    let activity_settings = value(desk.activity_settings().await.unwrap());

    let prod = desk
        .add_connection_view("Okta production", crate::connections::Provider::Okta)
        .await
        .unwrap();
    let sandbox = desk
        .add_connection_view("Okta sandbox", crate::connections::Provider::Okta)
        .await
        .unwrap();
    errors.insert(
        "name_empty".into(),
        refused(
            desk.add_connection_view("  ", crate::connections::Provider::Okta)
                .await,
        ),
    );
    errors.insert(
        "name_taken".into(),
        refused(
            desk.add_connection_view("okta production", crate::connections::Provider::Okta)
                .await,
        ),
    );
    errors.insert(
        "name_too_long".into(),
        refused(
            desk.add_connection_view(&"n".repeat(65), crate::connections::Provider::Okta)
                .await,
        ),
    );

    let reachability = record_windows(&desk).await;

    // Server mode: a token is shown once, and asking for it again is refused.
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let keychain: Arc<dyn Keychain> = Arc::new(MemoryKeychain::default());
        let server = Desk::open(dir.path(), keychain.clone())
            .await
            .expect("desk");
        server
            .set_config("mode", "server")
            .await
            .expect("server mode");
        server.close().await;
        let server = Desk::open(dir.path(), keychain).await.expect("desk");
        let added = server
            .add_connection_view("Okta production", crate::connections::Provider::Okta)
            .await
            .expect("added");
        errors.insert(
            "token_not_kept".into(),
            refused(server.connection_token(&added.id).await),
        );
        server.close().await;
    }

    // A quick tunnel, coming online, then at a new URL, then failing.
    desk.set_tunnel_input(input("cloudflared")).await.unwrap();
    tunnel.insert("starting".into(), {
        desk.tunnel()
            .record_state(&TunnelState::Starting)
            .await
            .unwrap();
        value(desk.tunnel_status().await.unwrap())
    });
    let online = |url: &str| TunnelState::Online {
        url: url.to_owned(),
    };
    desk.tunnel()
        .record_state(&online(EARLIER_QUICK_URL))
        .await
        .unwrap();
    desk.tunnel()
        .record_state(&online(QUICK_URL))
        .await
        .unwrap();
    tunnel.insert(
        "url_changed".into(),
        value(desk.tunnel_status().await.unwrap()),
    );
    desk.acknowledge_url_change().await.unwrap();
    tunnel.insert("online".into(), value(desk.tunnel_status().await.unwrap()));
    desk.tunnel()
        .record_state(&TunnelState::Failed {
            reason: "cloudflared exited: failed to reach the Cloudflare edge (timeout)".into(),
            retry_at: Some("2026-01-01T12:00:00Z".into()),
        })
        .await
        .unwrap();
    tunnel.insert("failed".into(), value(desk.tunnel_status().await.unwrap()));

    // The admin's own URL.
    let own = TunnelInput {
        url: Some(OWN_URL.into()),
        ..input("own")
    };
    desk.set_tunnel_input(own).await.unwrap();
    tunnel.insert(
        "own".into(),
        value(desk.acknowledge_url_change_view().await.unwrap()),
    );
    let base_url = desk
        .connection_views()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == prod.id)
        .expect("the connection")
        .base_url
        .replace(OWN_URL, "{public_url}");

    errors.insert(
        "public_url_http".into(),
        refused(
            desk.set_tunnel_input(TunnelInput {
                url: Some("http://scim.northwind.example".into()),
                ..input("own")
            })
            .await,
        ),
    );
    errors.insert(
        "cloudflared_no_token".into(),
        refused(
            desk.set_tunnel_input(TunnelInput {
                hostname: Some("scim.northwind.example".into()),
                ..input("cloudflared")
            })
            .await,
        ),
    );
    errors.insert(
        "ngrok_no_authtoken".into(),
        refused(desk.set_tunnel_input(input("ngrok")).await),
    );
    let retention = |days, lines| Retention { days, lines };
    errors.insert(
        "retention_days".into(),
        refused(desk.set_activity_retention(retention(0, 1_000_000)).await),
    );
    errors.insert(
        "retention_lines".into(),
        refused(desk.set_activity_retention(retention(180, 5)).await),
    );
    let endpoint = Endpoint::new(desk.clone());
    errors.insert(
        "port_low".into(),
        refused(
            endpoint
                .change_port(80)
                .await
                .map_err(crate::views::AppError::from),
        ),
    );

    // Another program holds the port asked for.
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let taken = squatter.local_addr().expect("its address").port();
    let mut port_taken = refused(
        endpoint
            .change_port(u32::from(taken))
            .await
            .map_err(crate::views::AppError::from),
    );
    if let Some(Value::String(m)) = port_taken.get_mut("message") {
        *m = m.replace(&taken.to_string(), "{port}");
    }
    errors.insert("port_taken".into(), port_taken);

    let text = |v: &Value| {
        serde_json::to_string_pretty(v)
            .expect("JSON")
            .replace(&prod.id, "{id}")
            .replace(&sandbox.id, "{id}")
    };
    let (tunnel, errors) = (text(&Value::Object(tunnel)), text(&Value::Object(errors)));
    let reachability = text(&reachability);
    // What the app shows names no CLI command or flag: each front end words its own way.
    for shown in [&tunnel, &errors, &reachability] {
        for cli in ["scimdesk ", "`", "--"] {
            assert!(
                !shown.contains(cli),
                "{cli:?} in what the app shows: {shown}"
            );
        }
    }
    let generated = format!(
        "// Recorded from the real core by `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk \
         bindings`\n\
         // (src-tauri/core/src/mock_recording.rs), which fails when this file is stale. For the \
         browser\n\
         // mock only. Connection ids are `{{id}}`.\n\
         import type {{ ActivitySettings, AppError, ReachabilityWindow, TunnelStatus }} from \
         \"./types\";\n\n\
         /** The tunnel's status in each state the mock shows (connections: \"Okta production\", \
         \"Okta sandbox\"). */\n\
         export const TUNNEL = {} satisfies Record<string, TunnelStatus>;\n\n\
         /** A connection's base URL: `{{public_url}}` and `{{id}}` filled in. */\n\
         export const BASE_URL = {};\n\n\
         export const ACTIVITY_SETTINGS = {} satisfies ActivitySettings;\n\n\
         /** The core's refusals, word for word (\"name_taken\" for the name \"okta production\", \
         `{{port}}` for the port taken). */\n\
         export const ERRORS = {} satisfies Record<string, AppError>;\n\n\
         /** Reachability windows, newest first (times in December 2026; the mock moves them to \
         now): a restart of 3 minutes, a night not running, the Okta switch off, the computer \
         asleep. */\n\
         export const REACHABILITY = {} satisfies ReachabilityWindow[];\n",
        tunnel,
        text(&json!(base_url)),
        text(&activity_settings),
        errors,
        reachability,
    );
    desk.close().await;
    check_or_write("ui/src/mockRecorded.ts", &generated);
}
