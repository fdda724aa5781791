//! The headless `scimdesk` command: run the endpoint, manage connections and settings, list
//! employees. Every command takes `--data-dir` (or `SCIMDESK_DATA_DIR`) and `--json`.
//!
//! Exit codes: 0 success, 1 a runtime error (the message on stderr starts with `error: `),
//! 2 a usage error.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::connections::keychain::OsKeychain;
use crate::desk::{default_data_dir, DATA_DIR_ENV};
use crate::directory::{ActivityQuery, EmployeeQuery, StatusFilter};
use crate::server::{self, Overrides};
use crate::Desk;

#[derive(Debug, Parser)]
#[command(
    name = "scimdesk",
    version,
    about = "SCIM Desk: the SCIM 2.0 endpoint Okta provisions employees into, without the window."
)]
pub struct Cli {
    /// The data directory (default: the platform's data directory / io.scimdesk.desktop).
    #[arg(long, global = true, env = DATA_DIR_ENV, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the SCIM endpoint until stopped (Ctrl-C).
    Serve {
        /// Listen on this address for this run (default: the `listen` setting).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Build absolute URLs from this public URL for this run (default: the `public-url` setting).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Show or change settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Add, list or delete the connections Okta uses.
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// The employee directory.
    #[command(subcommand)]
    Users(UsersCommand),
    /// What Okta did, newest first.
    #[command(subcommand)]
    Activity(ActivityCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set `listen` (ADDR) or `public-url` (an https URL; empty to clear).
    Set { key: String, value: String },
    /// Show the settings.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Add a connection; prints its base URL and token to paste into Okta.
    Add { name: String },
    /// List connections (without tokens).
    List,
    /// Print a connection's token again, from the keychain.
    Token {
        #[arg(value_name = "ID|NAME")]
        connection: String,
    },
    /// Delete a connection: syncing stops, the employees it synced stay.
    Delete {
        #[arg(value_name = "ID|NAME")]
        connection: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Active,
    Deactivated,
    Removed,
    All,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List employees: every one, removed records included, unless --status says otherwise.
    List {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Search names, emails, titles, departments and employee IDs.
        #[arg(long)]
        search: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// List recent activity.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Only failed requests.
        #[arg(long)]
        failures: bool,
    },
}

/// Runs a parsed command; the error is what `main` prints after `error: `.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = match cli.data_dir.clone() {
        Some(d) => d,
        None => default_data_dir().ok_or(crate::DeskError::NoDefaultDir)?,
    };
    let desk = Desk::open(&data_dir, Arc::new(OsKeychain::new())).await?;
    let result = run_with(&desk, cli).await;
    desk.close().await;
    result
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

async fn run_with(desk: &Desk, cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Serve { listen, public_url } => serve(desk, listen, public_url, json).await,
        Command::Config(ConfigCommand::Set { key, value }) => {
            let config = desk.set_config(&key, &value).await?;
            if json {
                print_json(&config)
            } else {
                println!("{key} set.");
                Ok(())
            }
        }
        Command::Config(ConfigCommand::Show) => {
            let config = desk.config().await?;
            if json {
                print_json(&json!({
                    "listen": config.listen.to_string(),
                    "public_url": config.public_url,
                    "effective_public_url": config.effective_public_url(),
                    "data_dir": desk.data_dir(),
                }))
            } else {
                println!("listen       {}", config.listen);
                println!(
                    "public-url   {}",
                    config.public_url.as_deref().unwrap_or(
                        "(none: Okta cannot reach this machine until a tunnel's https URL is set)"
                    )
                );
                println!("data dir     {}", desk.data_dir().display());
                Ok(())
            }
        }
        Command::Connection(c) => connection(desk, c, json).await,
        Command::Users(UsersCommand::List { status, search }) => {
            let status = match status {
                None | Some(StatusArg::All) => StatusFilter::All,
                Some(StatusArg::Active) => StatusFilter::Active,
                Some(StatusArg::Deactivated) => StatusFilter::Deactivated,
                Some(StatusArg::Removed) => StatusFilter::Removed,
            };
            let page = desk
                .directory()
                .employees(&EmployeeQuery {
                    search,
                    status,
                    offset: 0,
                    limit: 0,
                })
                .await?;
            if json {
                return print_json(&page.items);
            }
            if page.items.is_empty() {
                println!("No employees yet. Assign users to the Okta app to provision them.");
            }
            for e in &page.items {
                println!(
                    "{:<38} {:<32} {:<24} {}",
                    e.id,
                    e.email.as_deref().unwrap_or(&e.user_name),
                    e.display_name.as_deref().unwrap_or(""),
                    e.status
                );
            }
            Ok(())
        }
        Command::Activity(ActivityCommand::List { limit, failures }) => {
            let entries = desk
                .directory()
                .activity(&ActivityQuery {
                    failures_only: failures,
                    limit,
                    ..Default::default()
                })
                .await?;
            if json {
                return print_json(&entries);
            }
            if entries.is_empty() {
                println!(
                    "{}",
                    if failures {
                        "No failed requests."
                    } else {
                        "No activity yet. Okta's creates, updates and deactivations appear here."
                    }
                );
            }
            for a in &entries {
                let mark = if a.outcome == "success" { " " } else { "!" };
                let name = a.connection_name.as_deref().unwrap_or("-");
                println!("{mark} {}  {name:<20} {}", a.at, a.summary);
                if let Some(d) = &a.detail {
                    println!("    {d}");
                }
            }
            Ok(())
        }
    }
}

async fn connection(desk: &Desk, command: ConnectionCommand, json: bool) -> anyhow::Result<()> {
    let config = desk.config().await?;
    match command {
        ConnectionCommand::Add { name } => {
            let new = desk.connections().add(&name).await?;
            let base_url = config.base_url(&new.connection.id);
            if json {
                return print_json(&json!({
                    "id": new.connection.id,
                    "name": new.connection.name,
                    "base_url": base_url,
                    "token": new.token,
                    "created_at": new.connection.created_at,
                }));
            }
            println!("Connection '{}' added.", new.connection.name);
            println!("Base URL  {base_url}");
            println!("Token     {}", new.token);
            println!("In Okta: Provisioning > Integration > Edit: paste both, Authentication Mode 'HTTP Header', unique identifier 'email'.");
            if config.public_url.is_none() {
                println!("Note: no public URL is set, so Okta cannot reach this base URL yet. Set a tunnel's https URL with `scimdesk config set public-url URL`.");
            }
            Ok(())
        }
        ConnectionCommand::List => {
            let list = desk.connections().list().await?;
            if json {
                let out: Vec<_> = list
                    .iter()
                    .map(|c| {
                        json!({
                            "id": c.id,
                            "name": c.name,
                            "base_url": config.base_url(&c.id),
                            "created_at": c.created_at,
                            "last_contact_at": c.last_contact_at,
                            "last_contact_status": c.last_contact_status,
                            "last_contact_detail": c.last_contact_detail,
                        })
                    })
                    .collect();
                return print_json(&out);
            }
            if list.is_empty() {
                println!("No connections. Add one with `scimdesk connection add NAME`.");
            }
            for c in &list {
                println!("{:<24} {}", c.name, config.base_url(&c.id));
            }
            Ok(())
        }
        ConnectionCommand::Token { connection } => {
            let token = desk.connections().token(&connection).await?;
            if json {
                print_json(&json!({ "token": token }))
            } else {
                println!("{token}");
                Ok(())
            }
        }
        ConnectionCommand::Delete { connection } => {
            let deleted = desk.connections().delete(&connection).await?;
            desk.notify(crate::desk::ChangeEvent::Connections);
            if json {
                print_json(&json!({ "id": deleted.id, "name": deleted.name, "deleted": true }))
            } else {
                println!(
                    "Connection '{}' deleted. Okta's requests with its token are refused from now on; the employees it synced stay.",
                    deleted.name
                );
                Ok(())
            }
        }
    }
}

async fn serve(
    desk: &Desk,
    listen: Option<String>,
    public_url: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let config = desk.config().await?;
    let overrides = Overrides {
        listen: listen
            .as_deref()
            .map(crate::config::parse_listen)
            .transpose()?,
        public_url: public_url
            .as_deref()
            .map(crate::config::parse_public_url)
            .transpose()?,
    };
    let addr = overrides.listen.unwrap_or(config.listen);
    let listener = server::bind(addr).await?;
    let local = listener.local_addr()?;
    let public = overrides
        .public_url
        .clone()
        .unwrap_or_else(|| config.effective_public_url());
    if json {
        println!(
            "{}",
            json!({"event": "listening", "listen": local.to_string(), "public_url": public})
        );
    } else {
        println!("SCIM endpoint listening on http://{local}");
        if config.public_url.is_none() && overrides.public_url.is_none() {
            println!("No public URL is set: Okta cannot reach this machine until a tunnel forwards to it.");
        }
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    server::serve(desk.clone(), overrides, listener, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
