//! What a kind of tunnel is to the manager: a [`Runner`] brings it online once, and what it
//! brought up is [`Running`] until it dies or is stopped. The tools implement these
//! ([`super::cloudflared`], [`super::ngrok`]); the manager drives them. Neither side names the
//! other.

use std::future::Future;

use super::TunnelError;

/// One kind of tunnel: how to bring it online once.
pub trait Runner: Send + Sync + 'static {
    type Running: Running;
    /// Starts the tunnel and resolves once it is online, or with why it could not be.
    /// Dropping the future must stop whatever it started.
    fn start(&self) -> impl Future<Output = Result<Self::Running, TunnelError>> + Send;
}

/// A tunnel that is online.
pub trait Running: Send + 'static {
    fn url(&self) -> String;
    /// Resolves when the tunnel dies, with the reason in plain words.
    fn died(&mut self) -> impl Future<Output = String> + Send;
    /// Stops it; whatever it started (a child process) is gone when this returns.
    fn stop(self) -> impl Future<Output = ()> + Send;
}
