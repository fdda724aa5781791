// The app's own IPC commands come from the IPC contract (core/src/ipc_commands.rs, included
// here: a build script cannot use the crate it builds), so that Tauri's ACL knows each one as
// `allow-<command>` and `capabilities/default.json` (generated from the same table) can grant it.
// The webview can call nothing it is not granted.
include!("core/src/ipc_commands.rs");

macro_rules! command_names {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        &[$(stringify!($name)),*]
    };
}

const COMMANDS: &[&str] = ipc_commands!(command_names);

fn main() {
    println!("cargo:rerun-if-changed=core/src/ipc_commands.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run the Tauri build script");
}
