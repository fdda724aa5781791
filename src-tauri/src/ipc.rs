//! The Tauri side of the IPC contract (`scimdesk::ipc_commands!`, in
//! `src-tauri/core/src/ipc_commands.rs`): each line of the table becomes a Tauri command of that
//! name, with those arguments, that calls the function of the same name in [`crate::commands`],
//! and [`handler`] registers them all. The compiler holds the two to the contract: a command
//! whose function is missing, or takes or returns other types, does not build.
//!
//! Every command is traced (`#[instrument]`, arguments by `Debug`, errors too); a secret never
//! is: the token is a result (results are not traced) and `TunnelInput`'s `Debug` hides its own.

use scimdesk::config::ReconcileSchedule;
use scimdesk::config::Retention;
use scimdesk::connections::Provider;
use scimdesk::directory::activity::ActivityEntry;
use scimdesk::directory::attribute_map::{AttributeMapping, MappingInput, SeenAttribute};
use scimdesk::directory::employees::{EmployeeListPage, EmployeeListQuery};
use scimdesk::directory::history::{EmployeeAsOf, EmployeeHistoryPage};
use scimdesk::directory::orgchart::{OrgChartView, UnresolvedManager};
use scimdesk::endpoint::EndpointStatus;
use scimdesk::okta::OktaApiSetup;
use scimdesk::reconcile_views::{OktaApiInput, ReconcileState, RowsPage, RowsQuery};
use scimdesk::tunnel::rehearsal::Rehearsal;
use scimdesk::tunnel::TunnelStatus;
use scimdesk::views::{
    ActivityFilter, ActivitySettings, ConnectionView, EmployeeDetail, GeneralSettings,
    NotificationSettings, Overview, ReachabilityWindow, TunnelInput,
};
use std::path::PathBuf;

use crate::commands::{AppState, Result};

macro_rules! tauri_commands {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            #[tracing::instrument(skip(state), err(Debug))]
            pub async fn $name(state: tauri::State<'_, AppState>, $($arg: $ty),*) -> Result<$ret> {
                crate::commands::$name(&state, $($arg),*).await
            }
        )*

        /// The handler of every command of the contract.
        pub fn handler<R: tauri::Runtime>(
        ) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

scimdesk::ipc_commands!(tauri_commands);
