//! What the UI and the shell take from Rust, generated from the IPC contract and its types:
//!
//! - `ui/src/bindings/*.ts`: the TypeScript types of every argument, result and event (ts-rs);
//! - `ui/src/commands.ts`: the command table — each command's arguments and result — and the
//!   change event's name, which `ui/src/api.ts` and the browser mock call through;
//! - `src-tauri/capabilities/default.json`: the main window's grant of exactly those commands.
//!
//! `cargo test -p scimdesk bindings` fails when a committed file differs from what Rust says;
//! `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings` rewrites them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ts_rs::{Config, TypeVisitor, TS};

use crate::config::ReconcileSchedule;
use crate::config::Retention;
use crate::connections::Provider;
use crate::directory::activity::ActivityEntry;
use crate::directory::attribute_map::{
    AttributeMapping, CustomFieldColumn, FieldKind, MappedField, MappedFieldInput, MappingInput,
    RederiveProgress, SeenAttribute,
};
use crate::directory::employees::{EmployeeListPage, EmployeeListQuery};
use crate::directory::history::{EmployeeAsOf, EmployeeHistoryPage};
use crate::directory::orgchart::{OrgChartView, UnresolvedManager};
use crate::endpoint::EndpointStatus;
use crate::events::ChangeEvent;
use crate::okta::OktaApiSetup;
use crate::reconcile_views::{OktaApiInput, ReconcileState, RowsPage, RowsQuery};
use crate::tunnel::rehearsal::Rehearsal;
use crate::tunnel::TunnelStatus;
use crate::views::{
    ActivityFilter, ActivitySettings, AppError, ConnectionView, EmployeeDetail, GeneralSettings,
    NotificationSettings, Overview, ReachabilityWindow, TunnelInput,
};

const WRITE_ENV: &str = "SCIMDESK_WRITE_BINDINGS";

fn ts_config() -> Config {
    Config::new().with_large_int("number")
}

/// The permissions the main window has besides the app's own commands.
const OTHER_PERMISSIONS: &[&str] = &[
    "core:event:allow-listen",
    "core:event:allow-unlisten",
    "clipboard-manager:allow-write-text",
];

/// A TypeScript type as a command's argument or result names it, and the generated types it
/// needs imported.
struct TsType {
    name: String,
    imports: BTreeSet<String>,
}

fn ts<T: TS + 'static + ?Sized>() -> TsType {
    /// The named (exported) types a type is made of: itself, or its type parameters'.
    struct Named(BTreeSet<String>);
    impl TypeVisitor for Named {
        fn visit<T: TS + 'static + ?Sized>(&mut self) {
            match T::output_path() {
                Some(_) => {
                    self.0.insert(T::ident(&ts_config()));
                }
                None => T::visit_generics(self),
            }
        }
    }
    let mut named = Named(BTreeSet::new());
    named.visit::<T>();
    TsType {
        name: T::name(&ts_config()),
        imports: named.0,
    }
}

struct Command {
    name: &'static str,
    doc: Vec<&'static str>,
    args: Vec<(&'static str, TsType)>,
    result: TsType,
}

fn contract() -> Vec<Command> {
    macro_rules! commands {
        ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
            vec![$(Command {
                name: stringify!($name),
                doc: vec![$($doc),*],
                args: vec![$((stringify!($arg), ts::<$ty>())),*],
                result: ts::<$ret>(),
            }),*]
        };
    }
    crate::ipc_commands!(commands)
}

/// Tauri hands a command's arguments over by their camelCase names.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn commands_ts(commands: &[Command]) -> String {
    let mut imports = BTreeSet::new();
    imports.insert("ChangeEvent".to_owned());
    for c in commands {
        imports.extend(c.result.imports.iter().cloned());
        for (_, t) in &c.args {
            imports.extend(t.imports.iter().cloned());
        }
    }
    let mut out = String::from(
        "// Generated from the IPC contract (src-tauri/core/src/ipc_commands.rs) by\n\
         // `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings`, which fails when this file is\n\
         // stale. Do not edit: change the contract and regenerate.\n",
    );
    for name in &imports {
        out.push_str(&format!(
            "import type {{ {name} }} from \"./bindings/{name}\";\n"
        ));
    }
    out.push_str(
        "\n/** Every IPC command: the arguments the webview sends and what it gets back. A command \
         that fails rejects with an `AppError`. */\nexport type Commands = {\n",
    );
    for c in commands {
        if !c.doc.is_empty() {
            out.push_str("  /**\n");
            for line in &c.doc {
                out.push_str(&format!("   *{}\n", line.trim_end()));
            }
            out.push_str("   */\n");
        }
        let args = if c.args.is_empty() {
            "Record<never, never>".to_owned()
        } else {
            let fields: Vec<String> = c
                .args
                .iter()
                .map(|(name, t)| format!("{}: {}", camel(name), t.name))
                .collect();
            format!("{{ {} }}", fields.join("; "))
        };
        out.push_str(&format!(
            "  {}: {{ args: {args}; result: {} }};\n",
            c.name, c.result.name
        ));
    }
    out.push_str("};\n\nexport type CommandName = keyof Commands;\n\n");
    out.push_str("/** The commands, in the contract's order. */\nexport const COMMAND_NAMES = [\n");
    for c in commands {
        out.push_str(&format!("  \"{}\",\n", c.name));
    }
    out.push_str("] as const satisfies readonly CommandName[];\n\n");
    out.push_str(&format!(
        "/** The event that carries a core change to the webview. */\n\
         export const CHANGE_EVENT = \"{}\";\n\n\
         /** What it carries. */\nexport type ChangePayload = ChangeEvent;\n",
        crate::ipc::CHANGE_EVENT
    ));
    out
}

fn capability(commands: &[Command]) -> String {
    let permissions: Vec<String> = OTHER_PERMISSIONS
        .iter()
        .map(|p| p.to_string())
        .chain(
            commands
                .iter()
                .map(|c| format!("allow-{}", c.name.replace('_', "-"))),
        )
        .collect();
    let capability = serde_json::json!({
        "$schema": "../gen/schemas/desktop-schema.json",
        "identifier": "default",
        "description": "Generated from the IPC contract (src-tauri/core/src/ipc_commands.rs) by \
            `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings`. The main window: the \
            app's own commands (the CSV export's save dialog is one of them, opened from Rust), \
            change events and writing (never reading) the clipboard. Nothing else.",
        "windows": ["main"],
        "permissions": permissions,
    });
    let mut text = serde_json::to_string_pretty(&capability).expect("JSON");
    text.push('\n');
    text
}

fn export_types(dir: &Path) {
    let cfg = ts_config().with_out_dir(dir);
    let results = [
        Overview::export_all(&cfg),
        ConnectionView::export_all(&cfg),
        Provider::export_all(&cfg),
        EmployeeListQuery::export_all(&cfg),
        EmployeeListPage::export_all(&cfg),
        EmployeeDetail::export_all(&cfg),
        OrgChartView::export_all(&cfg),
        UnresolvedManager::export_all(&cfg),
        AttributeMapping::export_all(&cfg),
        MappedField::export_all(&cfg),
        FieldKind::export_all(&cfg),
        MappingInput::export_all(&cfg),
        MappedFieldInput::export_all(&cfg),
        SeenAttribute::export_all(&cfg),
        RederiveProgress::export_all(&cfg),
        CustomFieldColumn::export_all(&cfg),
        EmployeeHistoryPage::export_all(&cfg),
        EmployeeAsOf::export_all(&cfg),
        ActivityFilter::export_all(&cfg),
        ActivityEntry::export_all(&cfg),
        AppError::export_all(&cfg),
        ChangeEvent::export_all(&cfg),
        EndpointStatus::export_all(&cfg),
        TunnelStatus::export_all(&cfg),
        TunnelInput::export_all(&cfg),
        Rehearsal::export_all(&cfg),
        ActivitySettings::export_all(&cfg),
        Retention::export_all(&cfg),
        ReachabilityWindow::export_all(&cfg),
        GeneralSettings::export_all(&cfg),
        ReconcileState::export_all(&cfg),
        OktaApiInput::export_all(&cfg),
        OktaApiSetup::export_all(&cfg),
        RowsQuery::export_all(&cfg),
        RowsPage::export_all(&cfg),
        ReconcileSchedule::export_all(&cfg),
        NotificationSettings::export_all(&cfg),
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

pub(crate) fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

pub(crate) const STALE: &str =
    "is out of date: run `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings`";

#[test]
fn bindings_match_the_rust_types() {
    let fresh = tempfile::tempdir().expect("temp dir");
    export_types(fresh.path());
    let generated = read_dir(fresh.path());
    assert!(
        generated.contains_key("Overview.ts"),
        "{:?}",
        generated.keys()
    );
    let committed = repo("ui/src/bindings");
    if std::env::var_os(WRITE_ENV).is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).expect("bindings dir");
        for (name, text) in &generated {
            std::fs::write(committed.join(name), text).expect("write binding");
        }
        return;
    }
    assert_eq!(read_dir(&committed), generated, "ui/src/bindings {STALE}");
}

/// The generated files that are one file each: written, or compared with what is committed.
pub(crate) fn check_or_write(path: &str, generated: &str) {
    let file = repo(path);
    if std::env::var_os(WRITE_ENV).is_some() {
        std::fs::write(&file, generated).expect("write a generated file");
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(committed == generated, "{path} {STALE}");
}

#[test]
fn bindings_of_the_command_table_match_the_contract() {
    let commands = contract();
    assert_eq!(
        commands.iter().map(|c| c.name).collect::<Vec<_>>(),
        crate::ipc::COMMANDS
    );
    check_or_write("ui/src/commands.ts", &commands_ts(&commands));
}

#[test]
fn bindings_of_the_capability_grant_every_command_of_the_contract() {
    check_or_write(
        "src-tauri/capabilities/default.json",
        &capability(&contract()),
    );
}

#[test]
fn bindings_name_arguments_as_tauri_sends_them() {
    assert_eq!(camel("suggested_name"), "suggestedName");
    assert_eq!(camel("id"), "id");
    let t = ts::<Option<std::path::PathBuf>>();
    assert_eq!(t.name, "string | null");
    assert!(t.imports.is_empty());
    let t = ts::<Vec<ConnectionView>>();
    assert_eq!(t.name, "Array<ConnectionView>");
    assert_eq!(
        t.imports.into_iter().collect::<Vec<_>>(),
        ["ConnectionView"]
    );
}
