//! The outgoing HTTPS client SCIM Desk uses: rustls with the OS's roots and webpki's, plus the
//! PEM file named by `SCIMDESK_EXTRA_CA_FILE` (a private CA, or a test's).
//!
//! Shared by the Okta rehearsal (calls to our own public URL) and the Okta API client (calls to
//! the admin's Okta org). Each caller sets its own user agent and timeout. Not for: anything
//! about what is called; this is only how.

use std::time::Duration;

/// A PEM file of extra CA certificates to trust (for a private CA, or a test's).
pub const EXTRA_CA_ENV: &str = "SCIMDESK_EXTRA_CA_FILE";

#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    #[error("{EXTRA_CA_ENV}={path} could not be used: {reason}")]
    ExtraCa { path: String, reason: String },
    #[error("the HTTP client could not be set up: {0}")]
    Client(String),
}

/// An HTTPS client: no redirects followed, no outgoing proxy (both callers talk to one known
/// host directly), every request given up after `timeout`.
pub fn client(user_agent: &str, timeout: Duration) -> Result<reqwest::Client, HttpsError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(timeout)
        .user_agent(user_agent)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none());
    if let Some(path) = std::env::var_os(EXTRA_CA_ENV).filter(|p| !p.is_empty()) {
        let shown = path.to_string_lossy().into_owned();
        let pem = std::fs::read(&path).map_err(|e| HttpsError::ExtraCa {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| HttpsError::ExtraCa {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(HttpsError::ExtraCa {
                path: shown,
                reason: "it holds no PEM certificate".to_owned(),
            });
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| HttpsError::Client(e.to_string()))
}

/// What went wrong below HTTP, as a code a front end can word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportFailure {
    Timeout,
    Dns,
    Refused,
    Tls,
    Other,
}

/// Sorts a reqwest error by what the admin can do about it, and gives its innermost cause.
pub fn classify(e: &reqwest::Error) -> (TransportFailure, String) {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        chain.push(err.to_string());
        source = err.source();
    }
    let lower = chain.join(": ").to_ascii_lowercase();
    let innermost = chain.last().cloned().unwrap_or_default();
    let kind = if e.is_timeout() {
        TransportFailure::Timeout
    } else if lower.contains("dns error") || lower.contains("failed to lookup") {
        TransportFailure::Dns
    } else if lower.contains("connection refused") {
        TransportFailure::Refused
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("invalid peer")
        || lower.contains("received corrupt message")
    {
        TransportFailure::Tls
    } else {
        TransportFailure::Other
    };
    (kind, innermost)
}

/// `host:port` of `url` (the port the scheme implies when none is written), to name where a
/// call could not go; the URL itself when it does not parse.
pub fn host_port(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(443)))
        })
        .unwrap_or_else(|| url.to_owned())
}
