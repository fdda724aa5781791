//! `scimdesk`: the headless CLI and SCIM server. See `scimdesk --help`.

use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = scimdesk::cli::Cli::parse();
    let default_level = if matches!(cli.command, scimdesk::cli::Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    // The log (for `serve`, a line per request) is written by a thread of its own, which takes
    // the lines gathered meanwhile in one write (see `logwriter`); `_log` writes the rest at exit.
    let (writer, _log) = match scimdesk::logwriter::batched(std::io::stderr()) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("error: could not start the log: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("SCIMDESK_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(scimdesk::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
