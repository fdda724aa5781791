//! SCIM Desk core: everything that is not UI.
//!
//! The SCIM 2.0 endpoint Okta provisions into (`server`), the protocol without I/O (`scim`), the
//! employee directory in SQLite (`directory`), connections and their keychain tokens
//! (`connections`), and [`Desk`], which opens a data directory and hands these out. The headless
//! `scimdesk` binary and the Tauri shell both start from [`Desk`]; nothing here knows about Tauri.

pub mod awake;
pub mod cli;
pub mod config;
pub mod connections;
pub mod db;
pub mod deadline;
pub mod desk;
pub mod directory;
pub mod endpoint;
pub mod events;
pub mod https;
pub mod ipc;
mod ipc_commands;
pub mod logwriter;
pub mod notices;
pub mod okta;
pub mod reachability;
pub mod reconcile_views;
pub mod scim;
pub mod server;
pub mod settings;
pub mod text;
pub mod timefmt;
pub mod tunnel;
pub mod views;

#[cfg(test)]
mod bindings;
#[cfg(test)]
mod mock_recording;

pub use desk::{Desk, DeskError};
