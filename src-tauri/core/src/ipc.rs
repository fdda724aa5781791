//! The IPC contract between the app's webview and Rust, declared once: the commands (the table in
//! `ipc_commands.rs`, handed out by [`ipc_commands!`](crate::ipc_commands)) and the one event
//! Rust sends. The Tauri shell implements it; the UI's TypeScript side (`ui/src/commands.ts`)
//! and the capability file are generated from it by the bindings test.
//!
//! Nothing here knows about Tauri: the contract is names and types.

/// The event that carries a core change ([`ChangeEvent`](crate::events::ChangeEvent)) to the
/// webview, so that open screens follow what Okta (or a `scimdesk` command) changed.
pub const CHANGE_EVENT: &str = "scimdesk://change";

/// The name of every command of the contract, in its order.
pub const COMMANDS: &[&str] = {
    macro_rules! names {
        ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
            &[$(stringify!($name)),*]
        };
    }
    crate::ipc_commands!(names)
};
