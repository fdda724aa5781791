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
    // The log (for `serve`, a line per request) is written by a thread of its own: a request
    // only queues its line, and lines queued together reach stderr in one write. Nothing is
    // dropped when the queue is full (a request waits instead), and `_log` flushes at exit.
    let (writer, _log) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::new(std::io::stderr()));
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
