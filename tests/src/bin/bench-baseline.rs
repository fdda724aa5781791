//! The benchmark's baseline: a bare axum server that answers every request with one fixed SCIM
//! user, so the benchmark can say what share of a do-nothing server's speed SCIM Desk reaches on
//! the same machine in the same run. Writes (POST, PUT, PATCH) read their body first, as a real
//! server must.
//!
//! `bench-baseline --listen 127.0.0.1:PORT`; prints `listening on ADDR` once it accepts.

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Router;

const USER: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"6f1c2d1e-3b7a-4f0e-9a43-1c2b3d4e5f60","userName":"jane.doe@corp.example","name":{"givenName":"Jane","familyName":"Doe"},"displayName":"Jane Doe","emails":[{"value":"jane.doe@corp.example","type":"work","primary":true}],"title":"Engineer","active":true,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","division":"Cloud","employeeNumber":"1001","manager":{"value":"boss@corp.example"}},"meta":{"resourceType":"User","created":"2026-11-29T12:00:00.000Z","lastModified":"2026-11-29T12:00:00.000Z","location":"http://127.0.0.1/scim/v2/c/Users/6f1c2d1e-3b7a-4f0e-9a43-1c2b3d4e5f60","version":"W/\"1\""}}"#;

async fn answer(body: Bytes) -> impl IntoResponse {
    let status = if body.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/scim+json")],
        USER,
    )
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut listen = "127.0.0.1:0".to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().expect("--listen needs an address"),
            other => {
                eprintln!("usage: bench-baseline [--listen ADDR] (unknown: {other})");
                std::process::exit(2);
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .expect("bind the baseline's address");
    println!(
        "listening on {}",
        listener.local_addr().expect("local address")
    );
    axum::serve(listener, Router::new().fallback(answer))
        .await
        .expect("serve");
}
