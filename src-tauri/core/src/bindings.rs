//! The TypeScript types of the app's IPC (`ui/src/bindings/`), generated from the Rust types.
//!
//! `cargo test -p scimdesk bindings` fails when the committed files differ from what the Rust
//! types say; `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

use crate::directory::employees::{EmployeeListPage, EmployeeListQuery};
use crate::endpoint::EndpointStatus;
use crate::events::ChangeEvent;
use crate::tunnel::rehearsal::Rehearsal;
use crate::tunnel::TunnelStatus;
use crate::views::{
    ActivityFilter, ActivitySettings, AppError, ConnectionView, EmployeeDetail, Overview,
    TunnelInput,
};

fn export_all(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    let results = [
        Overview::export_all(&cfg),
        ConnectionView::export_all(&cfg),
        EmployeeListQuery::export_all(&cfg),
        EmployeeListPage::export_all(&cfg),
        EmployeeDetail::export_all(&cfg),
        ActivityFilter::export_all(&cfg),
        AppError::export_all(&cfg),
        ChangeEvent::export_all(&cfg),
        EndpointStatus::export_all(&cfg),
        TunnelStatus::export_all(&cfg),
        TunnelInput::export_all(&cfg),
        Rehearsal::export_all(&cfg),
        ActivitySettings::export_all(&cfg),
    ];
    for r in results {
        r.expect("the TypeScript bindings could not be exported");
    }
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") {
                files.insert(
                    name,
                    std::fs::read_to_string(entry.path()).unwrap_or_default(),
                );
            }
        }
    }
    files
}

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings")
}

#[test]
fn bindings_match_the_rust_types() {
    let fresh = tempfile::tempdir().expect("temp dir");
    export_all(fresh.path());
    let generated = read_dir(fresh.path());
    assert!(
        generated.contains_key("Overview.ts"),
        "{:?}",
        generated.keys()
    );
    if std::env::var_os("SCIMDESK_WRITE_BINDINGS").is_some() {
        let dir = committed_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bindings dir");
        for (name, text) in &generated {
            std::fs::write(dir.join(name), text).expect("write binding");
        }
        return;
    }
    assert_eq!(
        read_dir(&committed_dir()),
        generated,
        "ui/src/bindings is out of date: run `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings`"
    );
}
