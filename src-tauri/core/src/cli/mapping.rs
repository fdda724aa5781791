//! `scimdesk mapping show|set|reset`: the attribute mapping from the command line. A change
//! re-derives the provider's employees here, in the foreground, with a progress line on standard
//! error (a running app or `serve` sharing the data directory works on the same re-derive with
//! it, batch by batch, and derives its next writes with the new mapping).

use std::path::PathBuf;

use clap::Subcommand;

use super::{print_json, v};
use crate::config::thousands;
use crate::connections::Provider;
use crate::directory::attribute_map::{
    input_of, AttributeMapping, FieldKind, MappedFieldInput, RederiveProgress,
};
use crate::directory::rederive::SaveMappingError;
use crate::Desk;

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Each directory field with the SCIM attribute it comes from, custom fields included.
    Show {
        /// The identity provider whose mapping to show: okta or entra.
        #[arg(long, value_name = "okta|entra", default_value = "okta")]
        provider: Provider,
    },
    /// Map FIELD (`job_title`, a custom field's key) to the SCIM attribute PATH (`title`,
    /// `emails[type eq "work"].value`, `urn:…:User:costCenter`; empty to leave it unmapped).
    /// An unknown FIELD with --type adds a custom field; --remove removes one; --file imports a
    /// mapping that `mapping show --json` or the app exported. Then re-derives every employee
    /// of the provider from their stored SCIM documents.
    Set {
        #[arg(long, value_name = "okta|entra", default_value = "okta")]
        provider: Provider,
        #[arg(required_unless_present = "file")]
        field: Option<String>,
        #[arg(required_unless_present_any = ["file", "remove", "label", "kind"])]
        path: Option<String>,
        /// A custom field's type: text, date, number or boolean.
        #[arg(long = "type", value_name = "text|date|number|boolean")]
        kind: Option<String>,
        /// A custom field's name, as the app shows it (default: from its key).
        #[arg(long, value_name = "NAME")]
        label: Option<String>,
        /// Remove the custom field FIELD from this provider's mapping.
        #[arg(long, conflicts_with_all = ["path", "file"])]
        remove: bool,
        /// Import the mapping in this JSON file.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["field", "path"])]
        file: Option<PathBuf>,
        /// Let two fields come from the same SCIM attribute.
        #[arg(long)]
        allow_shared_paths: bool,
        /// Show progress on standard error even when it is not a terminal.
        #[arg(long)]
        progress: bool,
    },
    /// Restore the default mapping (custom fields unmapped), and re-derive.
    Reset {
        #[arg(long, value_name = "okta|entra", default_value = "okta")]
        provider: Provider,
        /// Show progress on standard error even when it is not a terminal.
        #[arg(long)]
        progress: bool,
    },
}

fn refused(e: SaveMappingError) -> anyhow::Error {
    match e {
        SaveMappingError::Refused(m) => {
            let what = m.field.strip_prefix("fields.").unwrap_or(&m.field);
            anyhow::anyhow!("{} ({what})", m.message)
        }
        SaveMappingError::Directory(d) => anyhow::anyhow!("{d}"),
    }
}

/// `job_code` → `Job code`.
fn label_of(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) async fn run(desk: &Desk, json: bool, cmd: MappingCommand) -> anyhow::Result<()> {
    let directory = desk.directory();
    let (provider, progress, saved) = match cmd {
        MappingCommand::Show { provider } => {
            let mapping = directory.attribute_mapping(provider)?;
            return show(json, &mapping);
        }
        MappingCommand::Reset { provider, progress } => (
            provider,
            progress,
            directory.reset_mapping(provider).await.map_err(refused)?,
        ),
        MappingCommand::Set {
            provider,
            file: Some(file),
            progress,
            ..
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{} could not be read: {e}", file.display()))?;
            (
                provider,
                progress,
                directory
                    .import_mapping(provider, &text)
                    .await
                    .map_err(refused)?,
            )
        }
        MappingCommand::Set {
            provider,
            field,
            path,
            kind,
            label,
            remove,
            allow_shared_paths,
            progress,
            file: None,
        } => {
            let key = field.unwrap_or_default();
            let mut input = input_of(&directory.attribute_mapping(provider)?);
            input.allow_shared_paths |= allow_shared_paths;
            let kind = match kind.as_deref().map(|k| (k, FieldKind::parse(k))) {
                None => None,
                Some((_, Some(kind))) => Some(kind),
                Some((k, None)) => anyhow::bail!(
                    "'{}' is not a type of field: use text, date, number or boolean",
                    v(k)
                ),
            };
            match input.fields.iter().position(|f| f.key == key) {
                Some(i) if remove => {
                    if !input.fields[i].custom {
                        anyhow::bail!(
                            "{} is a built-in field and cannot be removed; to leave it empty, \
                             map it to nothing: scimdesk mapping set {key} ''",
                            input.fields[i].label
                        );
                    }
                    input.fields.remove(i);
                }
                None if remove => anyhow::bail!("there is no custom field '{}'", v(&key)),
                Some(i) => {
                    let f = &mut input.fields[i];
                    if let Some(p) = &path {
                        f.path = Some(p.clone()).filter(|p| !p.trim().is_empty());
                    }
                    if f.custom {
                        if let Some(l) = &label {
                            f.label.clone_from(l);
                        }
                        if let Some(k) = kind {
                            f.kind = k;
                        }
                    } else if label.is_some() || kind.is_some() {
                        anyhow::bail!(
                            "{} is a built-in field: its name and type are the directory's",
                            f.label
                        );
                    }
                }
                None if kind.is_some() || label.is_some() => {
                    input.fields.push(MappedFieldInput {
                        label: label.unwrap_or_else(|| label_of(&key)),
                        key,
                        kind: kind.unwrap_or_default(),
                        custom: true,
                        path,
                    });
                }
                None => {
                    let known: Vec<_> = input.fields.iter().map(|f| f.key.as_str()).collect();
                    anyhow::bail!(
                        "'{}' is not a field of the directory ({}); to add a custom field, give \
                         its --type (text, date, number or boolean)",
                        v(&key),
                        known.join(", ")
                    );
                }
            }
            (
                provider,
                progress,
                directory
                    .save_mapping(provider, &input)
                    .await
                    .map_err(refused)?,
            )
        }
    };
    let done = rederive(desk, provider, progress, json).await?;
    let mapping = directory.attribute_mapping(provider)?;
    if json {
        return print_json(&mapping);
    }
    show(false, &mapping)?;
    let total = done.map_or(saved.rederive.map_or(0, |r| r.total), |d| d.total);
    println!(
        "Re-derived {} employee{} of {} from their stored SCIM documents.",
        thousands(total),
        if total == 1 { "" } else { "s" },
        provider.display_name()
    );
    Ok(())
}

/// Re-derives `provider`'s employees in the foreground, showing progress on standard error on
/// a terminal (one line rewritten) or with `--progress` (a line a batch).
async fn rederive(
    desk: &Desk,
    provider: Provider,
    progress: bool,
    json: bool,
) -> anyhow::Result<Option<RederiveProgress>> {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let shown = progress || (terminal && !json);
    let line = |p: &RederiveProgress| {
        format!(
            "Re-deriving employees of {}: {} of {}",
            p.provider.display_name(),
            thousands(p.done),
            thousands(p.total)
        )
    };
    let done = desk
        .directory()
        .rederive(provider, |p, _| {
            if shown {
                if terminal {
                    eprint!("\r\x1b[K{}", line(&p));
                } else {
                    eprintln!("{}", line(&p));
                }
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("the employees could not be re-derived: {e}"))?;
    if shown && terminal {
        eprint!("\r\x1b[K");
    }
    Ok(done)
}

fn show(json: bool, m: &AttributeMapping) -> anyhow::Result<()> {
    if json {
        return print_json(m);
    }
    println!(
        "Attribute mapping for {}{}",
        m.provider.display_name(),
        if m.is_default { " (the default)" } else { "" }
    );
    let width = m
        .fields
        .iter()
        .map(|f| f.label.chars().count())
        .max()
        .unwrap_or(0);
    for f in &m.fields {
        let path = f.path.as_deref().unwrap_or("(not mapped)");
        let note = match (&f.default_path, f.custom) {
            (_, true) => format!("   custom {}, key {}", f.kind.as_str(), f.key),
            (Some(d), false) if f.path.as_deref() != Some(d.as_str()) => {
                format!("   default: {d}")
            }
            _ => String::new(),
        };
        println!("  {:<width$}  {}{}", v(&f.label), v(path), v(&note));
    }
    if let Some(r) = &m.rederive {
        println!(
            "Re-deriving employees: {} of {} so far.",
            thousands(r.done),
            thousands(r.total)
        );
    }
    Ok(())
}
