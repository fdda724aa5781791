//! The black-box tests of SCIM Desk, in one test binary (one link for the whole suite): the
//! `scimdesk` binary driven the way Okta and the admin drive it, and the desktop app in its real
//! webview. Each module is one part of the product; a test's full name (`groups::…`,
//! `tunnel_proxy::…`) says what behaviour it holds.
//!
//! The harness they share is the crate's library (`tests/src`).

mod activity;
mod awake;
mod bad_input;
mod bench_smoke;
mod cli;
mod concurrency;
mod connections;
mod conversations;
mod deployment;
mod desktop_app;
mod desktop_entra;
mod desktop_history;
mod desktop_mapping;
mod desktop_notifications;
mod desktop_orgchart;
mod desktop_postgres;
mod desktop_reconcile;
mod disk_full;
mod durability;
mod entra_groups;
mod entra_users;
mod filters;
mod groups;
mod history;
mod import;
mod manager;
mod mapping;
mod okta_spec;
mod package;
mod patch_lifecycle;
mod postgres_schema;
mod protocol;
mod providers;
mod rate_limit;
mod reachability;
mod reconcile;
mod request_bounds;
mod restart;
mod server_mode;
mod servers;
mod slow_clients;
mod tunnel_cloudflared;
mod tunnel_proxy;
mod wizard_lifecycle;
