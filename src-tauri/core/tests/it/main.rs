//! The core's integration tests, in one test binary: a `Desk` on a temporary data directory,
//! its endpoint served in-process and called over real HTTP on loopback, its views as the app
//! reads them, and the tunnel settings and rehearsal.

mod app_views;
mod common;
mod http;
mod module_graph;
mod server_mode;
mod tunnel;
