// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// The embedded SCIM endpoint allocates per request; mimalloc costs less than the system
// allocator there, as in the `scimdesk` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    scimdesk_app::run();
}
