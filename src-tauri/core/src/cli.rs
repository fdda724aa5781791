//! The headless `scimdesk` command: run the endpoint, manage connections and settings, list
//! employees. Every command takes `--data-dir` (or `SCIMDESK_DATA_DIR`) and `--json`.
//!
//! Exit codes: 0 success, 1 a runtime error (the message on stderr starts with `error: `),
//! 2 a usage error.
//!
//! Text output shows what Okta, a tunnel or the database said through [`v`], with control
//! characters made visible (`\x1b`, `\n`): a name Okta pushed never sends escape sequences to
//! the admin's terminal. `--json` output is exact JSON.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::connections::keychain::OsKeychain;
use crate::connections::Provider;
use crate::desk::{default_data_dir, DATABASE_ENV, DATA_DIR_ENV};
use crate::directory::{ActivityQuery, ExportError, StatusFilter};
use crate::server::{self, Overrides};
use crate::tunnel::manager::{Backoff, TunnelSupervisor, SETTING_POLL};
use crate::tunnel::rehearsal::Outcome;
use crate::tunnel::{TunnelSetting, TunnelState};
use crate::Desk;
use tokio::sync::watch;

mod mapping;
pub mod wording;
use wording::{RehearsalJson, TunnelStatusJson, UrlChangeJson, WindowJson};

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
    /// The database: a PostgreSQL URL (postgres://user@host:5432/db) shared by several
    /// servers, or `sqlite` for the data directory's own file (default: the data directory's
    /// `database` setting, else its SQLite file).
    #[arg(long, global = true, env = DATABASE_ENV, value_name = "URL")]
    pub database: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the SCIM endpoint until stopped (Ctrl-C).
    #[command(after_long_help = SERVE_ENVIRONMENT)]
    Serve {
        /// Listen on this address for this run (default: the `listen` setting).
        #[arg(long, value_name = "ADDR", env = "SCIMDESK_LISTEN")]
        listen: Option<String>,
        /// Build absolute URLs from this public URL for this run (default: the `public-url` setting).
        #[arg(long, value_name = "URL", env = "SCIMDESK_PUBLIC_URL")]
        public_url: Option<String>,
        /// Allow a --listen address other machines can reach (plain HTTP to the network: only
        /// behind an HTTPS reverse proxy).
        #[arg(long, env = "SCIMDESK_ALLOW_REMOTE")]
        allow_remote: bool,
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
    /// The attribute mapping: which SCIM attribute each directory field comes from, and custom
    /// fields.
    #[command(subcommand)]
    Mapping(mapping::MappingCommand),
    /// Where the public URL comes from: none, your own, cloudflared or ngrok.
    #[command(subcommand)]
    Tunnel(TunnelCommand),
    /// Whether the endpoint runs, the Okta switch, the tunnel, and when Okta could not reach
    /// SCIM Desk.
    Status,
    /// Tools for contributors (the benchmark); not for admins.
    #[command(subcommand, hide = true)]
    Dev(DevCommand),
}

/// The environment `serve` reads, as `packaging/scimdesk.env` documents it for systemd (a test
/// checks that every variable named there is named here).
const SERVE_ENVIRONMENT: &str = "\
Environment (for a server; see packaging/scimdesk.env):
  SCIMDESK_DATA_DIR         the data directory (as --data-dir)
  SCIMDESK_LISTEN           as --listen
  SCIMDESK_PUBLIC_URL       as --public-url (the reverse proxy's https URL)
  SCIMDESK_ALLOW_REMOTE     as --allow-remote (true or false)
  SCIMDESK_SERVER_MODE      1: server mode (tokens shown once, secrets from the variables and
                            files below, no keychain); 0: desktop mode; unset: the mode setting
  SCIMDESK_SECRETS_DIR      the directory of secret files (else the secrets-dir setting, else
                            CREDENTIALS_DIRECTORY, which systemd's LoadCredential= sets)
  SCIMDESK_SECRET_<ACCOUNT> a secret in server mode: SCIMDESK_SECRET_TUNNEL_CLOUDFLARED (a named
                            tunnel's token), SCIMDESK_SECRET_TUNNEL_NGROK (ngrok's authtoken),
                            SCIMDESK_SECRET_OKTA_API_<CONNECTION_ID> (a connection's Okta API
                            token, the id upper-cased, '-' as '_'); or the files tunnel_cloudflared,
                            tunnel_ngrok, okta-api_<connection id> in the secrets directory
  SCIMDESK_CLOUDFLARED      the cloudflared executable (else cloudflared on PATH)
  SCIMDESK_EXTRA_CA_FILE    more CA certificates (PEM) to trust when calling Okta
  SCIMDESK_LOG              the log filter (such as info, or scimdesk=debug)";

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Imports COUNT synthetic employees `seed-<n>@seed.example`, n from --start, through the
    /// store in large transactions.
    Seed {
        count: u64,
        #[arg(long, default_value_t = 0)]
        start: u64,
        /// The connection they are attributed to (id or name).
        #[arg(long, value_name = "ID|NAME")]
        connection: String,
    },
    /// Times the app's first page of the Employees table for each search (an empty one is the
    /// unfiltered list): RUNS times each after a warm-up, as JSON with p50 and p99 in ms.
    TimeSearch {
        searches: Vec<String>,
        #[arg(long, default_value_t = 100)]
        runs: u32,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Appends COUNT activity lines dated DAYS days ago, in large transactions (history for
    /// the retention's tests).
    SeedActivity {
        count: u64,
        #[arg(long, default_value_t = 0)]
        days_ago: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum TunnelCommand {
    /// The tunnel's mode, state, public URL and last error, whether the URL changed, and when
    /// Okta could not reach SCIM Desk.
    Status,
    /// Choose where the public URL comes from. Secrets are read from standard input.
    #[command(subcommand)]
    Set(TunnelSetCommand),
    /// Say that Okta has the new base URL: `status` stops reporting the change.
    Ack,
}

#[derive(Debug, Subcommand)]
pub enum TunnelSetCommand {
    /// No tunnel: base URLs use the loopback address, which Okta cannot reach.
    None,
    /// Your own tunnel or reverse proxy, at this https URL.
    Own { url: String },
    /// Run your installed cloudflared: a quick tunnel (URL changes at every start), or with
    /// --hostname and --token-stdin a named tunnel (stable hostname).
    Cloudflared {
        /// Read the named tunnel's token from standard input (kept in the keychain).
        #[arg(long)]
        token_stdin: bool,
        /// The named tunnel's public hostname (its route in Cloudflare's dashboard).
        #[arg(long, value_name = "HOST")]
        hostname: Option<String>,
    },
    /// ngrok, embedded: needs your authtoken (kept in the keychain).
    Ngrok {
        /// Read the authtoken from standard input.
        #[arg(long)]
        authtoken_stdin: bool,
        /// A reserved ngrok domain, for a URL that does not change.
        #[arg(long, value_name = "DOMAIN")]
        domain: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set `listen` (ADDR), `public-url` (an https URL; empty to clear), `okta` (on/off: off
    /// refuses the requests of Okta connections without deleting anything), `entra` (the same
    /// for Microsoft Entra ID connections), `rate-limit` (requests a second per
    /// connection, or `off`), `rate-limit-burst` (requests; empty for the rate), or how long
    /// the activity log keeps lines: `activity-retention-days` (default 180) and
    /// `activity-retention-lines` (default 1,000,000), whichever is fewer; `keep-awake` (on/off:
    /// on keeps the computer from sleeping while Okta can provision); `reconcile-schedule`;
    /// `notifications` (`on` or `off`: the app's desktop notifications when the admin must act);
    /// `mode` (`server`: tokens shown once, secrets from SCIMDESK_SECRET_* variables or files;
    /// `desktop`, the default: the OS keychain; SCIMDESK_SERVER_MODE=1 overrides it);
    /// `secrets-dir` (the directory server mode reads secret files from).
    Set {
        key: String,
        value: String,
        /// With `listen`: allow an address other machines can reach (SCIM Desk serves plain
        /// HTTP; only for a server behind an HTTPS reverse proxy).
        #[arg(long)]
        allow_remote: bool,
    },
    /// Show the settings.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Add a connection; prints its base URL and token to paste into the identity provider.
    Add {
        name: String,
        /// The identity provider whose app will call it: okta or entra (Microsoft Entra ID).
        #[arg(long, value_name = "okta|entra", default_value = "okta")]
        provider: Provider,
    },
    /// List connections (without tokens).
    List,
    /// Print a connection's token again, from the keychain (not in server mode, where a token
    /// is shown once: regenerate it instead).
    Token {
        #[arg(value_name = "ID|NAME")]
        connection: String,
    },
    /// Give a connection a new token (printed once, like `add`): the old one is refused at once,
    /// so paste the new one into the identity provider right away.
    RegenerateToken {
        #[arg(value_name = "ID|NAME")]
        connection: String,
    },
    /// Delete a connection: syncing stops, the employees it synced stay.
    Delete {
        #[arg(value_name = "ID|NAME")]
        connection: String,
    },
    /// Rehearse Okta's read-only requests through the public URL; creates nothing.
    Test {
        #[arg(value_name = "ID|NAME")]
        connection: String,
    },
    /// Set up (or --clear) Okta's management API for reconciling: the org URL, the app id (or
    /// the app's Okta admin URL) and an API token (a read-only administrator's is enough), piped
    /// on standard input and kept in the keychain. Checked by reading the app from Okta.
    OktaApi {
        #[arg(value_name = "ID|NAME")]
        connection: String,
        /// `https://<org>.okta.com` (or .oktapreview.com, or the org's custom domain).
        #[arg(long, value_name = "URL", required_unless_present = "clear")]
        org_url: Option<String>,
        /// The app's id (`0oa…`), or its admin console URL (…/admin/app/NAME/instance/ID/…).
        #[arg(long, value_name = "ID|URL", required_unless_present = "clear")]
        app_id: Option<String>,
        /// Read the Okta API token from standard input (on the desktop, where it is kept in the
        /// keychain; in server mode the token is read from SCIMDESK_SECRET_OKTA_API_<ID> or the
        /// file okta-api_<id> in the secrets directory instead, and this is refused).
        #[arg(long)]
        token_stdin: bool,
        /// Remove the setup and its token.
        #[arg(long, conflicts_with_all = ["org_url", "app_id", "token_stdin"])]
        clear: bool,
    },
    /// Compare Okta's assignments for the app with the directory (needs `connection okta-api`).
    /// By default a dry run: it reports what is missing here, stale here, should be deactivated,
    /// or unknown to Okta, and changes nothing. With --apply it makes the directory match Okta
    /// (creates, updates, deactivates; never deletes), each change a line of the activity log.
    Reconcile {
        #[arg(value_name = "ID|NAME")]
        connection: String,
        /// Make the directory match Okta for the rows of the report.
        #[arg(long)]
        apply: bool,
        /// Apply only the rows with this key: the Okta user id (00u…) or the employee id the
        /// report prints. Repeat for several.
        #[arg(long, value_name = "ROW_KEY", requires = "apply")]
        only: Vec<String>,
        /// Show progress on standard error even when it is not a terminal (it is shown on a
        /// terminal unless --json).
        #[arg(long)]
        progress: bool,
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
        /// Search names, emails, titles, departments, business units and employee IDs.
        #[arg(long)]
        search: Option<String>,
    },
    /// Save employees (active and deactivated) as a CSV file, as the app's Export CSV does.
    Export {
        /// The file to write; it appears whole or not at all.
        path: PathBuf,
        /// Only employees matching this search.
        #[arg(long)]
        search: Option<String>,
        /// Only active or only deactivated employees.
        #[arg(long, value_enum)]
        status: Option<ExportStatusArg>,
    },
    /// An employee's place in the organisation: their managers above, their direct reports
    /// below, with headcounts; without EMAIL|ID, the people at the top.
    Org {
        /// The employee's email, userName or id.
        employee: Option<String>,
        /// Show deactivated employees too.
        #[arg(long)]
        deactivated: bool,
    },
    /// An employee's change history, newest first: each change with its time, connection and
    /// source, field by field (before → after); with --as-of, their fields at that time.
    History {
        /// The employee's email, userName or id (removed employees too).
        employee: String,
        /// Show the fields as they were at TIME instead: RFC 3339 (2026-12-01T09:30:00Z) or a
        /// date (2026-12-01, meaning the end of that day, UTC).
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportStatusArg {
    Active,
    Deactivated,
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
    if let Command::Config(ConfigCommand::Set { key, value, .. }) = &cli.command {
        if key == "database" {
            return set_database(&data_dir, value, cli.json);
        }
    }
    let desk = Desk::open_with(
        &data_dir,
        Arc::new(OsKeychain::new()),
        cli.database.as_deref(),
    )
    .await?;
    let result = run_with(&desk, cli).await;
    desk.close().await;
    result
}

/// `config set database URL|sqlite`: the data directory's choice of database, kept in a file
/// of its own (the choice is needed before the database opens). A URL with a password is
/// refused: the data directory holds no secret.
fn set_database(data_dir: &std::path::Path, value: &str, json: bool) -> anyhow::Result<()> {
    let url = crate::desk::parse_database_url(value)?;
    let file = data_dir.join(crate::desk::DATABASE_URL_FILE);
    match &url {
        Some(url) => {
            if url::Url::parse(url).is_ok_and(|u| u.password().is_some()) {
                anyhow::bail!(
                    "the data directory holds no secret: give the URL without its password here, \
                     or the whole URL in {DATABASE_ENV} (for one run, or in a service's \
                     environment file)"
                );
            }
            std::fs::create_dir_all(data_dir)?;
            std::fs::write(&file, format!("{url}\n"))?;
        }
        None => match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        },
    }
    let engine = if url.is_some() { "postgres" } else { "sqlite" };
    if json {
        print_json(&serde_json::json!({ "database": engine, "url": url }))
    } else {
        match url {
            Some(url) => println!("database set: PostgreSQL at {url}."),
            None => println!("database set: the data directory's own SQLite file."),
        }
        Ok(())
    }
}

/// What `config show` adds to an address other machines reach.
fn listen_note(config: &crate::config::Config) -> &'static str {
    match (
        crate::config::is_loopback(&config.listen),
        config.allow_remote,
    ) {
        (true, _) => "",
        (false, true) => " (reachable from the network: allowed with --allow-remote)",
        (false, false) => {
            " (reachable from the network, and not allowed: the endpoint will not start until \
             `config set listen ADDR --allow-remote` allows it or a loopback address replaces it)"
        }
    }
}

/// Text from outside (a name, a summary, a tunnel's error) as the terminal may show it.
fn v(s: &str) -> std::borrow::Cow<'_, str> {
    crate::text::visible(s)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `value` as JSON with `--json`, else the line `text` words.
fn print_either(
    json: bool,
    value: &impl serde::Serialize,
    text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if json {
        return print_json(value);
    }
    println!("{}", text());
    Ok(())
}

async fn run_with(desk: &Desk, cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Serve {
            listen,
            public_url,
            allow_remote,
        } => serve(desk, listen, public_url, allow_remote, json).await,
        Command::Config(ConfigCommand::Set {
            key,
            value,
            allow_remote,
        }) => {
            let config = match key.as_str() {
                "listen" => desk.set_listen(&value, allow_remote).await?,
                _ if allow_remote => {
                    anyhow::bail!("--allow-remote goes with `config set listen ADDR` only")
                }
                _ => desk.set_config(&key, &value).await?,
            };
            if json {
                print_json(&config)
            } else {
                println!("{key} set.");
                if matches!(key.as_str(), "mode" | "secrets-dir" | "secrets_dir") {
                    println!("It counts from the next start of SCIM Desk (a running `scimdesk serve` or app keeps its mode until restarted).");
                }
                Ok(())
            }
        }
        Command::Config(ConfigCommand::Show) => {
            let config = desk.config().await?;
            let notifications = desk.notices().settings().await?.enabled;
            if json {
                print_json(&json!({
                    "listen": config.listen.to_string(),
                    "allow_remote": config.allow_remote,
                    "public_url": config.public_url,
                    "tunnel": desk.tunnel_setting().await?,
                    "effective_public_url": config.effective_public_url(),
                    "okta": if config.okta_enabled { "on" } else { "off" },
                    "entra": if config.entra_enabled { "on" } else { "off" },
                    "rate_limit": config.rate_limit,
                    "activity_retention": config.activity_retention,
                    "activity_log": desk.directory().activity_size().await?,
                    "keep_awake": if config.keep_awake { "on" } else { "off" },
                    "reconcile_schedule": desk.reconcile_schedule().await?,
                    "notifications": if notifications { "on" } else { "off" },
                    "mode": desk.server_mode_source().code(),
                    "mode_from_env": desk.server_mode_source().from_env,
                    "mode_from_database": desk.server_mode_source().from_database,
                    "secrets_dir": desk.secrets_dir(),
                    "data_dir": desk.data_dir(),
                    "database": match desk.postgres() {
                        Some(url) => json!({"engine": "postgres", "url": url}),
                        None => json!({"engine": "sqlite", "path": desk.data_dir().join(crate::db::DATABASE_FILE)}),
                    },
                }))
            } else {
                match desk.postgres() {
                    Some(url) => println!("database     PostgreSQL at {url}"),
                    None => println!(
                        "database     SQLite, {}",
                        desk.data_dir().join(crate::db::DATABASE_FILE).display()
                    ),
                }
                println!("listen       {}{}", config.listen, listen_note(&config));
                println!(
                    "public-url   {}",
                    config.public_url.as_deref().unwrap_or(
                        "(none: Okta cannot reach this machine until a tunnel's https URL is set)"
                    )
                );
                println!("tunnel       {}", desk.tunnel_setting().await?.mode());
                println!("okta         {}", wording::okta_switch(config.okta_enabled));
                println!(
                    "entra        {}",
                    wording::entra_switch(config.entra_enabled)
                );
                println!("rate-limit   {}", config.rate_limit);
                let log = desk.directory().activity_size().await?;
                println!(
                    "activity     kept {} (activity-retention-days, activity-retention-lines); \
                     now {} lines{}",
                    config.activity_retention,
                    crate::config::thousands(log.lines),
                    log.oldest_at
                        .map(|at| format!(", the oldest from {at}"))
                        .unwrap_or_default()
                );
                println!(
                    "keep-awake   {}",
                    if config.keep_awake {
                        "on: the computer is kept from sleeping while Okta can provision"
                    } else {
                        "off"
                    }
                );
                println!(
                    "reconcile    {} (reconcile-schedule: off, 6h, daily or weekly; a dry run of \
                     every connection with Okta API access)",
                    desk.reconcile_schedule().await?.code()
                );
                println!(
                    "notifications {} (the app's desktop notifications when you must act)",
                    if notifications { "on" } else { "off" }
                );
                let mode = desk.server_mode_source();
                println!(
                    "mode         {}{}",
                    mode.code(),
                    match (mode.on, mode.from_env) {
                        _ if mode.from_database => " (the database is PostgreSQL, shared by servers): tokens are shown once; secrets come from SCIMDESK_SECRET_* variables or files",
                        (true, true) => " (from SCIMDESK_SERVER_MODE): tokens are shown once; secrets come from SCIMDESK_SECRET_* variables or files",
                        (true, false) => ": tokens are shown once; secrets come from SCIMDESK_SECRET_* variables or files",
                        (false, true) => " (from SCIMDESK_SERVER_MODE): tokens and secrets in the OS keychain",
                        (false, false) => ": tokens and secrets in the OS keychain",
                    }
                );
                if mode.on {
                    println!(
                        "secrets-dir  {}",
                        desk.secrets_dir()
                            .map(|d| d.display().to_string())
                            .unwrap_or_else(|| {
                                "(none: secrets only from SCIMDESK_SECRET_* variables)".to_owned()
                            })
                    );
                }
                println!("data dir     {}", desk.data_dir().display());
                Ok(())
            }
        }
        Command::Connection(c) => connection(desk, c, json).await,
        Command::Tunnel(c) => tunnel_command(desk, c, json).await,
        Command::Status => status(desk, json).await,
        Command::Dev(DevCommand::Seed {
            count,
            start,
            connection,
        }) => {
            let c = desk.connections().find(&connection).await?;
            let ctx = crate::directory::WriteContext {
                base_url: String::new(),
                connection_id: c.id,
                connection_name: c.name,
                provider: c.provider,
            };
            let started = std::time::Instant::now();
            let users =
                (start..start.saturating_add(count)).map(crate::directory::bulk::synthetic_user);
            let imported = desk
                .directory()
                .import_users(&ctx, users)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let seconds = started.elapsed().as_secs_f64();
            let out = json!({ "imported": imported, "seconds": seconds });
            print_either(json, &out, || {
                format!("Imported {imported} employees in {seconds:.1} s.")
            })
        }
        Command::Dev(DevCommand::TimeSearch {
            searches,
            runs,
            limit,
        }) => {
            let mut out = Vec::new();
            for search in searches {
                let q = crate::directory::employees::EmployeeListQuery {
                    search: Some(search.clone()).filter(|s| !s.is_empty()),
                    limit,
                    ..Default::default()
                };
                let directory = desk.directory();
                let first = directory.employee_page(&q).await?;
                directory.employee_page(&q).await?;
                let mut ms = Vec::with_capacity(runs as usize);
                for _ in 0..runs.max(1) {
                    let started = std::time::Instant::now();
                    directory.employee_page(&q).await?;
                    ms.push(started.elapsed().as_secs_f64() * 1000.0);
                }
                ms.sort_by(f64::total_cmp);
                let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
                out.push(json!({
                    "search": search,
                    "total": first.total,
                    "first": first.items.first().map(|e| e.user_name.clone()),
                    "runs": ms.len(),
                    "p50_ms": at(0.5),
                    "p99_ms": at(0.99),
                }));
            }
            print_json(&out)
        }
        Command::Dev(DevCommand::SeedActivity { count, days_ago }) => {
            let at = crate::timefmt::format(
                time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(days_ago)),
            );
            let seeded = desk
                .directory()
                .seed_activity(count, &at)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let out = json!({ "seeded": seeded, "at": at });
            print_either(json, &out, || {
                format!("Appended {seeded} activity lines dated {at}.")
            })
        }
        Command::Mapping(cmd) => mapping::run(desk, json, cmd).await,
        Command::Users(UsersCommand::List { status, search }) => {
            let status = match status {
                None | Some(StatusArg::All) => StatusFilter::All,
                Some(StatusArg::Active) => StatusFilter::Active,
                Some(StatusArg::Deactivated) => StatusFilter::Deactivated,
                Some(StatusArg::Removed) => StatusFilter::Removed,
            };
            // Written as they are read, a page at a time (`WALK_PAGE`): a million employees list
            // in the memory of one page.
            let filtered = search.is_some() || status != StatusFilter::All;
            let mut out = std::io::BufWriter::new(std::io::stdout());
            let listed = if json {
                let mut ser = serde_json::Serializer::pretty(&mut out);
                let mut seq = serde::Serializer::serialize_seq(&mut ser, None)?;
                let listed = desk
                    .directory()
                    .for_each_employee(search.as_deref(), status, |e| {
                        serde::ser::SerializeSeq::serialize_element(&mut seq, e)
                            .map_err(std::io::Error::from)
                    })
                    .await;
                let listed = match listed {
                    Ok(n) => serde::ser::SerializeSeq::end(seq)
                        .map(|()| n)
                        .map_err(|e| ExportError::Io(e.into())),
                    Err(e) => Err(e),
                };
                listed.and_then(|n| writeln!(out).map(|()| n).map_err(ExportError::Io))
            } else {
                desk.directory()
                    .for_each_employee(search.as_deref(), status, |e| {
                        writeln!(
                            out,
                            "{:<38} {:<32} {:<24} {}{}",
                            v(&e.id),
                            v(e.email.as_deref().unwrap_or(&e.user_name)),
                            v(e.display_name.as_deref().unwrap_or("")),
                            v(&e.status),
                            e.custom
                                .iter()
                                .map(|(k, val)| format!("  {k}={}", v(val)))
                                .collect::<String>()
                        )
                    })
                    .await
            };
            // A reader that has seen enough (`| head`) closes the pipe: the list ends there.
            let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
            let listed = match listed {
                Ok(n) => n,
                Err(ExportError::Io(e)) if gone(&e) => return Ok(()),
                Err(ExportError::Io(e)) => anyhow::bail!("the list could not be written: {e}"),
                Err(other) => return Err(other.into()),
            };
            if listed == 0 && !json {
                match filtered {
                    true => writeln!(out, "No employees match.")?,
                    false => writeln!(
                        out,
                        "No employees yet. Assign users to the Okta app to provision them."
                    )?,
                }
            }
            match out.flush() {
                Err(e) if !gone(&e) => anyhow::bail!("the list could not be written: {e}"),
                _ => Ok(()),
            }
        }
        Command::Users(UsersCommand::Export {
            path,
            search,
            status,
        }) => {
            let q = crate::directory::employees::EmployeeListQuery {
                search,
                status: match status {
                    None => crate::directory::employees::StatusChoice::All,
                    Some(ExportStatusArg::Active) => {
                        crate::directory::employees::StatusChoice::Active
                    }
                    Some(ExportStatusArg::Deactivated) => {
                        crate::directory::employees::StatusChoice::Deactivated
                    }
                },
                ..Default::default()
            };
            let started = std::time::Instant::now();
            let exported = desk.directory().export_csv(&q, &path).await?;
            let seconds = started.elapsed().as_secs_f64();
            let out = json!({ "exported": exported, "path": path, "seconds": seconds });
            print_either(json, &out, || {
                format!(
                    "Exported {exported} employees to {} in {seconds:.1} s.",
                    path.display()
                )
            })
        }
        Command::Users(UsersCommand::Org {
            employee,
            deactivated,
        }) => {
            let id = match employee {
                Some(key) => Some(find_employee(desk, &key).await?),
                None => None,
            };
            let chart = desk
                .directory()
                .org_chart(id.as_deref(), deactivated)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the employee is no longer in the directory"))?;
            if json {
                return print_json(&chart);
            }
            print!("{}", wording::org_chart(&chart));
            Ok(())
        }
        Command::Users(UsersCommand::History { employee, as_of }) => {
            // A bad time is refused before anything is looked up.
            let at = match as_of.as_deref() {
                Some(t) => {
                    Some(crate::directory::history::parse_time(t).map_err(anyhow::Error::msg)?)
                }
                None => None,
            };
            let id = find_employee_any(desk, &employee).await?;
            let gone = || anyhow::anyhow!("the employee is no longer in the directory");
            if let Some(at) = at {
                let then = desk
                    .directory()
                    .employee_as_of(&id, at)
                    .await?
                    .ok_or_else(gone)?;
                if json {
                    return print_json(&then);
                }
                print!("{}", wording::employee_as_of(&then));
                return Ok(());
            }
            // Every event, page after page (the CLI has no "Load older").
            let mut page = desk
                .directory()
                .employee_history(&id, None, crate::directory::history::HISTORY_PAGE_MAX)
                .await?
                .ok_or_else(gone)?;
            while let Some(before) = page.next_before {
                let older = desk
                    .directory()
                    .employee_history(
                        &id,
                        Some(before),
                        crate::directory::history::HISTORY_PAGE_MAX,
                    )
                    .await?
                    .ok_or_else(gone)?;
                page.events.extend(older.events);
                page.next_before = older.next_before;
            }
            if json {
                return print_json(&page);
            }
            let who = desk.directory().employee(&id).await?.ok_or_else(gone)?;
            print!("{}", wording::employee_history(&who, &page));
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
                let name = v(a.connection_name.as_deref().unwrap_or("-"));
                let provider = a.provider.map_or("-", |p| p.as_str());
                println!(
                    "{mark} {}  {provider:<5} {name:<20} {}",
                    v(&a.at),
                    v(&a.summary)
                );
                if let Some(d) = &a.detail {
                    println!("    {}", v(d));
                }
            }
            Ok(())
        }
    }
}

/// A connection with the token it was just given (`connection add`, `regenerate-token`), as JSON.
/// A new token's answer; `token_kept` false in server mode, where this is the only time the
/// token is shown.
fn new_token_json(
    new: &crate::connections::NewConnection,
    base_url: &str,
    token_kept: bool,
) -> serde_json::Value {
    json!({
        "id": new.connection.id,
        "name": new.connection.name,
        "provider": new.connection.provider,
        "base_url": base_url,
        "token": new.token,
        "token_kept": token_kept,
        "created_at": new.connection.created_at,
    })
}

/// What server mode adds under a new token: it is not kept.
const SHOWN_ONCE: &str = "This token is shown once: copy it now. SCIM Desk runs in server mode \
     and keeps only a digest of it; if it is lost, regenerate it \
     (`scimdesk connection regenerate-token`).";

async fn connection(desk: &Desk, command: ConnectionCommand, json: bool) -> anyhow::Result<()> {
    let config = desk.config().await?;
    let token_kept = desk.connections().keeps_tokens();
    match command {
        ConnectionCommand::Add { name, provider } => {
            let new = desk.connections().add(&name, provider).await?;
            let base_url = config.base_url(&new.connection.id);
            if json {
                return print_json(&new_token_json(&new, &base_url, token_kept));
            }
            println!(
                "{} connection '{}' added.",
                provider.display_name(),
                v(&new.connection.name)
            );
            match provider {
                Provider::Okta => {
                    println!("Base URL  {base_url}");
                    println!("Token     {}", new.token);
                    println!("In Okta: Provisioning > Integration > Edit: paste both, Authentication Mode 'HTTP Header', unique identifier 'email'.");
                }
                Provider::Entra => {
                    println!("Tenant URL    {base_url}");
                    println!("Secret Token  {}", new.token);
                    println!("In Microsoft Entra ID: Enterprise applications > your app > Provisioning > Admin Credentials: paste both, then Test Connection.");
                }
            }
            if !token_kept {
                println!("{SHOWN_ONCE}");
            }
            if config.public_url.is_none() {
                if desk.tunnel_setting().await?.is_managed() {
                    println!("Note: the tunnel's URL is not known yet; it appears when `scimdesk serve` has started the tunnel (see `scimdesk tunnel status`), and this base URL follows it.");
                } else {
                    println!("Note: no public URL is set, so {} cannot reach this base URL yet. Choose a tunnel with `scimdesk tunnel set` (see `scimdesk tunnel status`).", provider.display_name());
                }
            }
            Ok(())
        }
        ConnectionCommand::RegenerateToken { connection } => {
            let new = desk.regenerate_token(&connection).await?;
            let base_url = config.base_url(&new.connection.id);
            if json {
                return print_json(&new_token_json(&new, &base_url, token_kept));
            }
            let provider = new.connection.provider;
            println!(
                "{} connection '{}' has a new token; the old one is refused from now on.",
                provider.display_name(),
                v(&new.connection.name)
            );
            match provider {
                Provider::Okta => {
                    println!("Token     {}", new.token);
                    println!("In Okta: Provisioning > Integration > Edit: paste it as the API token, then Test API Credentials and Save.");
                }
                Provider::Entra => {
                    println!("Secret Token  {}", new.token);
                    println!("In Microsoft Entra ID: Enterprise applications > your app > Provisioning > Admin Credentials: paste it, then Test Connection and Save.");
                }
            }
            if !token_kept {
                println!("{SHOWN_ONCE}");
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
                            "provider": c.provider,
                            "base_url": config.base_url(&c.id),
                            "created_at": c.created_at,
                            "last_contact_at": c.last_contact_at,
                            "last_contact_status": c.last_contact_status,
                            "last_contact_detail": c.last_contact_detail,
                            "refused_count": c.refused_count,
                            "last_refused_at": c.last_refused_at,
                        })
                    })
                    .collect();
                return print_json(&out);
            }
            if list.is_empty() {
                println!("No connections. Add one with `scimdesk connection add NAME`.");
            }
            for c in &list {
                println!(
                    "{:<24} {:<6} {}",
                    v(&c.name),
                    c.provider.as_str(),
                    v(&config.base_url(&c.id))
                );
                if let (n @ 1.., Some(at)) = (c.refused_count, &c.last_refused_at) {
                    let requests = if n == 1 { "request" } else { "requests" };
                    println!(
                        "{:<31} {n} {requests} refused for a wrong or missing token, the last at {}",
                        "",
                        v(at)
                    );
                }
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
        ConnectionCommand::Test { connection } => {
            let rehearsal = desk.rehearse(&connection).await?;
            if json {
                print_json(&RehearsalJson::new(&rehearsal))?;
            } else {
                let who = rehearsal.provider.display_name();
                println!(
                    "Rehearsing {who}'s requests through {}",
                    v(&rehearsal.base_url)
                );
                for step in &rehearsal.steps {
                    let mark = match step.outcome {
                        Outcome::Ok => "ok     ",
                        Outcome::Failed => "FAILED ",
                        Outcome::Skipped => "skipped",
                    };
                    println!("  {mark} {:<18} {}", step.step, v(&step.message));
                }
                if let Some(note) = &rehearsal.note {
                    println!(
                        "Note: {}",
                        v(&wording::rehearsal_note(note, rehearsal.provider))
                    );
                }
                match (rehearsal.ok, rehearsal.reachable_by_provider) {
                    (true, true) => {
                        println!("Every step passed: {who} can reach this connection.")
                    }
                    (true, false) => println!(
                        "Every step passed here, so SCIM Desk answers as {who} expects; but \
                         {who} cannot reach this URL yet (see the note)."
                    ),
                    (false, _) => {}
                }
            }
            if rehearsal.ok {
                Ok(())
            } else {
                let first = rehearsal
                    .steps
                    .iter()
                    .find(|s| s.outcome == Outcome::Failed)
                    .map(|s| s.step)
                    .unwrap_or("?");
                anyhow::bail!("the rehearsal failed at step '{first}'")
            }
        }
        ConnectionCommand::OktaApi {
            connection,
            clear: true,
            ..
        } => {
            let c = desk
                .okta_api()
                .clear(&connection)
                .await
                .map_err(wording::okta_api_error)?;
            if json {
                print_json(&json!({ "connection_id": c.id, "okta_api": null }))
            } else {
                println!(
                    "The Okta API setup of '{}' is removed{}.",
                    v(&c.name),
                    if token_kept {
                        ", its token taken out of the keychain"
                    } else {
                        " (server mode: its token's variable or file is yours to remove)"
                    }
                );
                Ok(())
            }
        }
        ConnectionCommand::OktaApi {
            connection,
            org_url,
            app_id,
            token_stdin,
            ..
        } => {
            let token = match token_stdin {
                true => read_secret("Okta API token")?,
                false => String::new(),
            };
            let setup = desk
                .okta_api()
                .set(
                    &connection,
                    org_url.as_deref().unwrap_or_default(),
                    app_id.as_deref().unwrap_or_default(),
                    &token,
                )
                .await
                .map_err(wording::okta_api_error)?;
            if json {
                print_json(&setup)
            } else {
                println!(
                    "Okta API set up for '{}': {} app {}{}. {} \
                     `scimdesk connection reconcile {}` compares Okta with the directory.",
                    v(&setup.connection_name),
                    v(&setup.org_url),
                    v(&setup.app_id),
                    setup
                        .app_label
                        .as_deref()
                        .map(|l| format!(" ({})", v(l)))
                        .unwrap_or_default(),
                    if token_kept {
                        "Token kept in the keychain."
                    } else {
                        "Token read from the server's secrets (server mode), never stored."
                    },
                    v(&setup.connection_name),
                );
                Ok(())
            }
        }
        ConnectionCommand::Reconcile {
            connection,
            apply,
            only,
            progress,
        } => {
            use crate::okta::runs::{Mode, Trigger};
            use std::io::IsTerminal;
            let mode = match (apply, only.is_empty()) {
                (false, _) => Mode::DryRun,
                (true, true) => Mode::ApplyAll,
                (true, false) => Mode::ApplyOnly(only),
            };
            let terminal = std::io::stderr().is_terminal();
            let shown = progress || (terminal && !json);
            // The last line shown, shared with the printer: the run may end before the printer
            // is first scheduled (two busy cores), and the final tally is shown in any case.
            let last_shown = Arc::new(std::sync::Mutex::new(String::new()));
            let printer = shown.then(|| {
                // Subscribed before the run starts, so that no progress event is missed.
                let events = desk.subscribe();
                tokio::spawn(show_reconcile_progress(
                    desk.clone(),
                    events,
                    terminal,
                    last_shown.clone(),
                ))
            });
            let finished = desk
                .reconcile_runs()
                .run(&connection, Trigger::Manual, mode)
                .await;
            if let Some(printer) = printer {
                printer.abort();
                let _ = printer.await;
                if terminal {
                    eprint!("\r\x1b[K");
                } else if let Ok(finished) = &finished {
                    let line = wording::reconcile_progress(&crate::okta::runs::Progress {
                        pages: finished.record.pages,
                        okta_users: finished.record.okta_users,
                        ..Default::default()
                    });
                    let last = last_shown.lock().unwrap_or_else(|p| p.into_inner());
                    if *last != line {
                        eprintln!("{}", v(&line));
                    }
                }
            }
            let finished = finished.map_err(wording::okta_api_error)?;
            if let Some(e) = finished.error {
                return Err(wording::okta_api_error(e));
            }
            let Some(report) = finished.report else {
                anyhow::bail!("the reconcile was cancelled");
            };
            if json {
                print_json(&*report)
            } else {
                for line in wording::reconcile_lines(&report) {
                    println!("{}", v(&line));
                }
                Ok(())
            }
        }
        ConnectionCommand::Delete { connection } => {
            let deleted = desk.connections().delete(&connection).await?;
            desk.notify(crate::events::ChangeEvent::Connections);
            if json {
                print_json(&json!({ "id": deleted.id, "name": deleted.name, "deleted": true }))
            } else {
                println!(
                    "Connection '{}' deleted. Okta's requests with its token are refused from now on; the employees it synced stay.",
                    v(&deleted.name)
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
    allow_remote: bool,
    json: bool,
) -> anyhow::Result<()> {
    let config = desk.config().await?;
    let overrides = Overrides {
        listen: listen
            .as_deref()
            .map(|l| crate::config::check_listen(crate::config::parse_listen(l)?, allow_remote))
            .transpose()?,
        public_url: public_url
            .as_deref()
            .map(crate::config::parse_public_url)
            .transpose()?,
    };
    let addr = match overrides.listen {
        Some(addr) => addr,
        None => crate::config::check_listen(config.listen, config.allow_remote || allow_remote)?,
    };
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
        if !crate::config::is_loopback(&local) {
            println!("It is reachable from the network (allowed with --allow-remote), as plain HTTP: serve it to Okta only through an HTTPS reverse proxy.");
        }
        if overrides.public_url.is_none()
            && desk.tunnel_setting().await? == crate::tunnel::TunnelSetting::None
        {
            println!("No tunnel is set: Okta cannot reach this machine until one forwards to it. Choose one with `scimdesk tunnel set` (see `scimdesk tunnel status`).");
        }
    }
    // A public URL given for this run is the admin's own tunnel: nothing to start or follow.
    let manager = match overrides.public_url {
        Some(_) => None,
        None => Some(
            TunnelSupervisor::start(desk.tunnel(), local, Backoff::default(), SETTING_POLL)
                .await
                .map_err(wording::tunnel_error)?,
        ),
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if let Some(manager) = &manager {
        tokio::spawn(report_tunnel(desk.clone(), manager.state(), json));
    }
    let pruning = tokio::spawn({
        let desk = desk.clone();
        async move { desk.keep_activity_pruned().await }
    });
    // A re-derive after a mapping change that a restart interrupted goes on.
    desk.resume_rederives();
    let beating = tokio::spawn({
        let desk = desk.clone();
        async move { desk.keep_beating().await }
    });
    // `config set keep-awake on`: the computer is kept from sleeping while Okta can provision.
    // `serve` serves from here to its end, and follows settings and connections changed by
    // other processes (a `scimdesk` command beside it) through the database's generations.
    let awake = crate::awake::KeepAwake::new();
    let (serving, serving_rx) = watch::channel(crate::endpoint::EndpointStatus::Serving {
        listen: local.to_string(),
    });
    let following = tokio::spawn({
        let desk = desk.clone();
        async move {
            desk.follow_other_processes(std::time::Duration::from_secs(1))
                .await
        }
    });
    let keeping = tokio::spawn({
        let (awake, desk) = (awake.clone(), desk.clone());
        async move {
            awake
                .run(desk, serving_rx, crate::awake::SystemInhibitor)
                .await
        }
    });
    tokio::spawn(report_awake(awake.watch(), json));
    // Reconciles with Okta on the schedule and after a reachability window, as the app does.
    let reconciling = tokio::spawn({
        let desk = desk.clone();
        async move { desk.keep_reconciling().await }
    });
    let served = server::serve(
        desk.clone(),
        overrides,
        listener,
        crate::endpoint::shutdown_signal(),
    )
    .await;
    pruning.abort();
    awake.stop().await;
    drop(serving);
    keeping.abort();
    following.abort();
    // Stopped as asked: the next start knows the gap began with a clean stop.
    desk.stop_beating().await;
    beating.abort();
    reconciling.abort();
    if let Some(manager) = manager {
        manager.stop().await;
    }
    served?;
    Ok(())
}

/// Prints whether the computer is kept awake each time that changes (once the option is on).
async fn report_awake(mut state: watch::Receiver<crate::awake::AwakeStatus>, json: bool) {
    use crate::awake::{AwakeStatus, NotHeldReason};
    use std::io::Write;
    let mut first = true;
    loop {
        let current = state.borrow_and_update().clone();
        let quiet = std::mem::take(&mut first)
            && current
                == (AwakeStatus::NotHeld {
                    reason: NotHeldReason::OptionOff,
                });
        if !quiet {
            if json {
                println!("{}", json!({"event": "awake", "awake": current}));
            } else {
                println!("{}", wording::awake_message(&current));
            }
            let _ = std::io::stdout().flush();
        }
        if state.changed().await.is_err() {
            return;
        }
    }
}

/// Prints each tunnel state as it changes, and a URL change prominently.
async fn report_tunnel(desk: Desk, mut state: watch::Receiver<TunnelState>, json: bool) {
    use std::io::Write;
    let mut first = true;
    loop {
        let current = state.borrow_and_update().clone();
        // With no tunnel running there is nothing to say until the admin chooses one.
        if std::mem::take(&mut first) && current == TunnelState::Off {
            if state.changed().await.is_err() {
                return;
            }
            continue;
        }
        let change = match &current {
            TunnelState::Online { .. } => {
                desk.tunnel_status().await.ok().and_then(|s| s.url_changed)
            }
            _ => None,
        };
        if json {
            let change = change.as_ref().map(UrlChangeJson::new);
            println!(
                "{}",
                json!({"event": "tunnel", "state": current, "url_changed": change})
            );
        } else {
            match &current {
                TunnelState::Off => println!("Tunnel stopped."),
                TunnelState::Starting => println!("Tunnel starting…"),
                TunnelState::Online { url } => {
                    println!("Tunnel online: Okta reaches this endpoint at {}", v(url))
                }
                TunnelState::Failed { reason, retry_at } => println!(
                    "Tunnel failed: {}{}",
                    v(reason),
                    retry_at
                        .as_deref()
                        .map(|at| format!(" (next attempt at {at})"))
                        .unwrap_or_default()
                ),
            }
            if let Some(change) = &change {
                println!("!! {}", v(&wording::url_change_message(change)));
                println!("   {}", wording::STABLE_ADVICE);
            }
        }
        let _ = std::io::stdout().flush();
        if state.changed().await.is_err() {
            return;
        }
    }
}

/// A secret piped on standard input (never on the command line, where `ps` shows it).
/// Prints the running reconcile's progress on standard error as it is published: one line
/// rewritten on a terminal, a line per change otherwise (`--progress`).
async fn show_reconcile_progress(
    desk: Desk,
    mut events: tokio::sync::broadcast::Receiver<crate::events::ChangeEvent>,
    terminal: bool,
    last_shown: Arc<std::sync::Mutex<String>>,
) {
    let mut last = String::new();
    loop {
        match events.recv().await {
            Ok(crate::events::ChangeEvent::Reconcile { .. })
            | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Ok(_) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
        let Some(running) = desk.reconcile_runs().running() else {
            continue;
        };
        let line = wording::reconcile_progress(&running.progress);
        if line == last {
            continue;
        }
        if terminal {
            eprint!("\r\x1b[K{}", v(&line));
        } else {
            eprintln!("{}", v(&line));
        }
        last = line;
        last_shown
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone_from(&last);
    }
}

/// The id of the employee `key` names: an id, or an email or userName without case.
async fn find_employee(desk: &Desk, key: &str) -> anyhow::Result<String> {
    find_employee_in(desk, key, StatusFilter::Current).await
}

/// [`find_employee`], removed employees included (their history is kept).
async fn find_employee_any(desk: &Desk, key: &str) -> anyhow::Result<String> {
    find_employee_in(desk, key, StatusFilter::All).await
}

/// The id of the employee `key` names among those of `status` (any id at all is found).
async fn find_employee_in(desk: &Desk, key: &str, status: StatusFilter) -> anyhow::Result<String> {
    let key = key.trim();
    if let Some(e) = desk.directory().employee(key).await? {
        return Ok(e.id);
    }
    let page = desk
        .directory()
        .employees(&crate::directory::EmployeeQuery {
            search: Some(key.to_owned()),
            status,
            offset: 0,
            limit: 20,
        })
        .await?;
    page.items
        .into_iter()
        .find(|e| {
            e.user_name.eq_ignore_ascii_case(key)
                || e.email
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(key))
        })
        .map(|e| e.id)
        .ok_or_else(|| anyhow::anyhow!("no employee has the id, email or userName '{key}'"))
}

fn read_secret(what: &str) -> anyhow::Result<String> {
    use std::io::Read;
    let mut secret = String::new();
    std::io::stdin()
        .read_to_string(&mut secret)
        .map_err(|e| anyhow::anyhow!("could not read the {what} from standard input: {e}"))?;
    let secret = secret.trim().to_owned();
    if secret.is_empty() {
        anyhow::bail!("no {what} on standard input: pipe it in, e.g. `printf %s \"$TOKEN\" | scimdesk tunnel set …`");
    }
    Ok(secret)
}

async fn tunnel_command(desk: &Desk, command: TunnelCommand, json: bool) -> anyhow::Result<()> {
    match command {
        TunnelCommand::Set(set) => {
            // The secret, when the command asks for one on standard input: what to call it.
            let (setting, asks) = match set {
                TunnelSetCommand::None => (TunnelSetting::None, None),
                TunnelSetCommand::Own { url } => (TunnelSetting::Own { url }, None),
                TunnelSetCommand::Cloudflared {
                    token_stdin,
                    hostname,
                } => (
                    TunnelSetting::Cloudflared { hostname },
                    token_stdin.then_some("tunnel token"),
                ),
                TunnelSetCommand::Ngrok {
                    authtoken_stdin,
                    domain,
                } => (
                    TunnelSetting::Ngrok { domain },
                    authtoken_stdin.then_some("ngrok authtoken"),
                ),
            };
            let secret = asks.map(read_secret).transpose()?;
            let setting = desk
                .set_tunnel(setting, secret)
                .await
                .map_err(wording::tunnel_error)?;
            // Tell now, not at the next start, that cloudflared is missing.
            let missing = match &setting {
                TunnelSetting::Cloudflared { .. } => crate::tunnel::cloudflared::locate()
                    .err()
                    .map(|e| e.to_string()),
                _ => None,
            };
            let status = desk.tunnel_status().await?;
            if json {
                return print_json(&json!({
                    "setting": setting,
                    "public_url": status.public_url,
                    "warning": missing,
                    "advice": wording::tunnel_advice(&status),
                }));
            }
            println!("Tunnel set to {}.", setting.mode());
            if let Some(missing) = missing {
                println!("Warning: {missing}.");
            }
            if setting.is_managed() {
                println!("It starts with the SCIM endpoint (`scimdesk serve` or the app); a running endpoint switches to it within a few seconds.");
            }
            if let Some(advice) = wording::tunnel_advice(&status) {
                println!("{advice}");
            }
            Ok(())
        }
        TunnelCommand::Status => {
            let status = desk.tunnel_status().await?;
            let listen = desk.config().await?.listen.to_string();
            let windows = recent_windows(desk).await?;
            if json {
                let mut out = TunnelStatusJson::new(&status, &listen);
                out.reachability_windows = Some(windows.iter().map(WindowJson::new).collect());
                return print_json(&out);
            }
            let kind = match &status.setting {
                TunnelSetting::Cloudflared { hostname: None } => " (quick tunnel)",
                TunnelSetting::Cloudflared { hostname: Some(_) } => " (named tunnel)",
                TunnelSetting::Ngrok { domain: Some(_) } => " (reserved domain)",
                _ => "",
            };
            println!("mode         {}{kind}", status.mode);
            let state = match &status.state {
                TunnelState::Off => "off".to_owned(),
                TunnelState::Starting => "starting".to_owned(),
                TunnelState::Online { url } => format!("online at {url}"),
                TunnelState::Failed { reason, .. } => format!("failed: {reason}"),
            };
            if status.setting.is_managed() {
                println!("state        {}", v(&state));
            }
            println!("public URL   {}", v(&status.public_url));
            if let Some(e) = &status.last_error {
                println!("last error   {}", v(e));
            }
            println!();
            if let Some(change) = &status.url_changed {
                println!("!! {}", v(&wording::url_change_message(change)));
                println!("   Then run `scimdesk tunnel ack`.");
            }
            println!("{}", v(&wording::tunnel_message(&status, &listen)));
            if let Some(advice) = wording::tunnel_advice(&status) {
                println!("{advice}");
            }
            print_windows(&windows);
            Ok(())
        }
        TunnelCommand::Ack => {
            desk.acknowledge_url_change().await?;
            if json {
                print_json(&json!({"acknowledged": true}))
            } else {
                println!("Noted: Okta has the current base URL.");
                Ok(())
            }
        }
    }
}

async fn recent_windows(desk: &Desk) -> anyhow::Result<Vec<crate::reachability::Window>> {
    Ok(desk
        .reachability()
        .recent(
            crate::reachability::RECENT_WINDOWS,
            time::OffsetDateTime::now_utc(),
        )
        .await?)
}

/// The windows, after a blank line, newest first; nothing when there are none.
fn print_windows(windows: &[crate::reachability::Window]) {
    if windows.is_empty() {
        return;
    }
    println!();
    println!("Okta could not reach SCIM Desk (newest first, times in UTC):");
    for w in windows {
        println!("  {}", v(&wording::window_line(w)));
    }
    println!("{}", wording::WINDOW_ADVICE);
}

/// `scimdesk status`: whether an endpoint runs here, the Okta switch, the tunnel, and the
/// windows in which Okta could not reach it.
async fn status(desk: &Desk, json: bool) -> anyhow::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    let beat = desk.reachability().heartbeat().await?;
    let state = match &beat {
        None => "never_started",
        Some(b) if b.running(now) => "running",
        Some(b) if b.clean_stop => "stopped",
        Some(_) => "not_running",
    };
    let config = desk.config().await?;
    let connections = desk.connections().list().await?.len();
    let tunnel = desk.tunnel_status().await?;
    let listen = config.listen.to_string();
    let windows = recent_windows(desk).await?;
    // Keeping the computer awake: whether it should be held (the conditions as the data
    // directory and the heartbeat tell them), and who holds it, as the system lists it.
    let should = crate::awake::conditions(desk, state == "running")
        .await?
        .decide();
    let holders = if config.keep_awake {
        crate::awake::holders().await
    } else {
        Ok(None)
    };
    if json {
        let (held_by, problem) = match &holders {
            Ok(h) => (h.clone(), None),
            Err(e) => (None, Some(json!({"code": e.problem, "detail": e.detail}))),
        };
        return print_json(&json!({
            "keep_awake": {
                "option": if config.keep_awake { "on" } else { "off" },
                "should_hold": should.is_ok(),
                "reason": should.err(),
                "held_by": held_by,
                "problem": problem,
            },
            "endpoint": {
                "state": state,
                "last_beat_at": beat.as_ref().map(|b| &b.beat_at),
                "stopped_cleanly": beat.as_ref().map(|b| b.clean_stop),
            },
            "okta": if config.okta_enabled { "on" } else { "off" },
            "entra": if config.entra_enabled { "on" } else { "off" },
            "connections": connections,
            "tunnel": TunnelStatusJson::new(&tunnel, &listen),
            "reachability_windows": windows.iter().map(WindowJson::new).collect::<Vec<_>>(),
        }));
    }
    let endpoint = match (&beat, state) {
        (Some(b), "running") => format!("running (last beat {})", b.beat_at),
        (Some(b), "stopped") => format!("not running: stopped at {}", b.beat_at),
        (Some(b), _) => format!(
            "not running since {} (it did not stop cleanly: killed, crashed or the power was \
             lost)",
            b.beat_at
        ),
        (None, _) => "never started here: run `scimdesk serve` or open the app".to_owned(),
    };
    println!("endpoint     {endpoint}");
    println!("okta         {}", wording::okta_switch(config.okta_enabled));
    println!(
        "entra        {}",
        wording::entra_switch(config.entra_enabled)
    );
    println!("connections  {connections}");
    println!(
        "keep-awake   {}",
        wording::keep_awake_line(should, &holders)
    );
    println!(
        "tunnel       {}",
        v(&wording::tunnel_message(&tunnel, &listen))
    );
    print_windows(&windows);
    Ok(())
}
