//! ngrok, embedded in-process with the `ngrok` crate: an HTTPS endpoint forwarding to loopback.
//!
//! The authtoken comes from the keychain; a reserved domain, when given, keeps the URL stable.
//! ngrok's errors (no network, a refused authtoken, a domain that is not the account's) become
//! sentences the admin can act on. Not for: retrying (the manager does it).

use std::time::Duration;

use ngrok::config::ForwarderBuilder;
use ngrok::tunnel::EndpointInfo;

use super::runner::{Runner, Running};
use super::{redact, TunnelError};

/// How long connecting to ngrok's service may take before it counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Ngrok {
    authtoken: String,
    domain: Option<String>,
    target: String,
}

impl Ngrok {
    /// `target` is the loopback address to forward to (`http://127.0.0.1:PORT`).
    pub fn new(authtoken: String, domain: Option<String>, target: String) -> Ngrok {
        Ngrok {
            authtoken,
            domain,
            target,
        }
    }
}

pub struct NgrokRunning {
    // Kept alive for as long as the endpoint: dropping the session closes it.
    _session: ngrok::Session,
    forwarder: ngrok::forwarder::Forwarder<ngrok::tunnel::HttpTunnel>,
    url: String,
}

impl Runner for Ngrok {
    type Running = NgrokRunning;

    async fn start(&self) -> Result<NgrokRunning, TunnelError> {
        let target = url::Url::parse(&self.target)
            .map_err(|e| TunnelError::Failed(format!("bad forwarding address: {e}")))?;
        // ngrok builds its TLS config from rustls' process-wide provider, which rustls can only
        // pick by itself when exactly one is compiled in; choose ring (ngrok's) explicitly so a
        // second provider elsewhere in the build cannot turn a tunnel start into a panic.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = ngrok::Session::builder();
        builder.authtoken(self.authtoken.clone());
        let connect = builder.connect();
        let session = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Err(_) => {
                return Err(TunnelError::Failed(format!(
                    "ngrok could not reach its service within {} s: check this machine's \
                     internet connection",
                    CONNECT_TIMEOUT.as_secs()
                )))
            }
            Ok(Err(e)) => return Err(TunnelError::Failed(self.explain_connect(&e))),
            Ok(Ok(session)) => session,
        };
        let mut endpoint = session.http_endpoint();
        if let Some(domain) = &self.domain {
            endpoint.domain(domain.clone());
        }
        let forwarder = endpoint.listen_and_forward(target).await.map_err(|e| {
            TunnelError::Failed(explain(
                ngrok::Error::error_code(&e),
                &ngrok::Error::msg(&e),
                Some(&self.authtoken),
            ))
        })?;
        let url = forwarder.url().to_owned();
        Ok(NgrokRunning {
            _session: session,
            forwarder,
            url,
        })
    }
}

impl Ngrok {
    fn explain_connect(&self, e: &ngrok::session::ConnectError) -> String {
        use ngrok::session::ConnectError;
        match e {
            ConnectError::Tcp(io) => format!(
                "ngrok could not reach its service ({}): check this machine's internet connection",
                redact(&io.to_string(), Some(&self.authtoken))
            ),
            ConnectError::Tls(io) => format!(
                "TLS with ngrok's service failed ({}): a proxy or firewall may be intercepting \
                 the connection",
                redact(&io.to_string(), Some(&self.authtoken))
            ),
            other => explain(
                ngrok::Error::error_code(other),
                &ngrok::Error::msg(other),
                Some(&self.authtoken),
            ),
        }
    }
}

impl Running for NgrokRunning {
    fn url(&self) -> String {
        self.url.clone()
    }

    async fn died(&mut self) -> String {
        match self.forwarder.join().await {
            Ok(Ok(())) => "the ngrok endpoint was closed by ngrok's service".to_owned(),
            Ok(Err(e)) => format!("the ngrok endpoint stopped: {e}"),
            Err(e) => format!("the ngrok endpoint stopped: {e}"),
        }
    }

    async fn stop(mut self) {
        use ngrok::tunnel::TunnelCloser;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.forwarder.close()).await;
        self.forwarder.join().abort();
    }
}

/// An ngrok error in the admin's words, by its documented error code (ngrok.com/docs/errors).
pub fn explain(code: Option<&str>, message: &str, authtoken: Option<&str>) -> String {
    let message = redact(message.trim(), authtoken);
    let code_note = code.map(|c| format!(" [{c}]")).unwrap_or_default();
    match code {
        // Authentication failures: a malformed, revoked or unknown authtoken.
        Some("ERR_NGROK_105" | "ERR_NGROK_106" | "ERR_NGROK_107" | "ERR_NGROK_4018") => format!(
            "ngrok refused the authtoken{code_note}: copy it again from \
             https://dashboard.ngrok.com/get-started/your-authtoken and set it again ({message})"
        ),
        // The domain is not reserved by this account, or is used elsewhere.
        Some("ERR_NGROK_319" | "ERR_NGROK_320" | "ERR_NGROK_334" | "ERR_NGROK_8012") => format!(
            "ngrok would not serve the domain{code_note}: reserve it in ngrok's dashboard \
             (Universal Gateway > Domains) for this account, or use none ({message})"
        ),
        // Only one agent session at a time on a free account.
        Some("ERR_NGROK_108") => format!(
            "ngrok allows only one session at a time on this account{code_note}: stop the other \
             ngrok agent ({message})"
        ),
        _ => format!("ngrok failed{code_note}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_authtokens_are_explained_without_the_token() {
        let text = explain(
            Some("ERR_NGROK_105"),
            "The authtoken you specified does not look like a proper ngrok tunnel authtoken. \
             Your authtoken: 2abcSECRET",
            Some("2abcSECRET"),
        );
        assert!(text.starts_with("ngrok refused the authtoken"), "{text}");
        assert!(text.contains("dashboard.ngrok.com"), "{text}");
        // The app shows it too: no CLI command in it (each front end says how to set it).
        assert!(!text.contains("scimdesk"), "{text}");
        assert!(!text.contains("2abcSECRET"), "{text}");
    }

    #[test]
    fn domain_and_other_errors_are_explained() {
        assert!(explain(Some("ERR_NGROK_320"), "not reserved", None)
            .starts_with("ngrok would not serve the domain"));
        assert_eq!(
            explain(None, "something odd", None),
            "ngrok failed: something odd"
        );
    }

    /// No network here reaches ngrok's service: starting must fail with a sentence that says
    /// so, quickly, and without the authtoken.
    #[tokio::test]
    async fn no_network_is_a_readable_error() {
        let ngrok = Ngrok::new(
            "2fakeAuthtokenForTests_abcdefghij".into(),
            None,
            "http://127.0.0.1:9".into(),
        );
        let started = std::time::Instant::now();
        let err = match ngrok.start().await {
            Ok(_) => panic!("ngrok's service is not reachable from the test machine"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains("ngrok could not reach its service"),
            "unexpected error: {err}"
        );
        assert!(!err.contains("2fakeAuthtoken"), "{err}");
        assert!(started.elapsed() < CONNECT_TIMEOUT + Duration::from_secs(2));
    }
}
