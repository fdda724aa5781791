//! What the benchmark binaries (`bench`, `bench-search`, `bench-reconcile`) share: the options
//! every one of them takes, and where the release binaries they drive are found.
//!
//! Not for: measuring anything (each binary measures its own part of the product).

use std::path::{Path, PathBuf};

/// The options every benchmark takes; each binary flattens these into its own.
#[derive(Debug, clap::Args)]
pub struct CommonOptions {
    /// The directory sizes to measure, comma-separated (underscores allowed: 1_000_000).
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    pub sizes: Vec<u64>,
    /// Where report.md and report.json are written.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The `scimdesk` binary to measure (default: the one beside this binary).
    #[arg(long)]
    pub scimdesk: Option<PathBuf>,
}

impl CommonOptions {
    /// The sizes given, or `default` when none were.
    pub fn sizes_or(&self, default: &[u64]) -> Vec<u64> {
        if self.sizes.is_empty() {
            default.to_vec()
        } else {
            self.sizes.clone()
        }
    }

    /// The output directory given, or `default`.
    pub fn out_or(&self, default: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| PathBuf::from(default))
    }

    /// The `scimdesk` binary given, or the one beside this binary.
    pub fn scimdesk(&self) -> PathBuf {
        self.scimdesk
            .clone()
            .unwrap_or_else(|| beside_this_binary("scimdesk"))
    }
}

/// A directory size: a whole number above zero, `_` allowed between digits.
pub fn parse_size(text: &str) -> Result<u64, String> {
    text.trim()
        .replace('_', "")
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("'{text}' is not a directory size (a whole number above 0)"))
}

/// The binary `name` in the folder of the running one (where cargo puts every binary of a
/// build).
pub fn beside_this_binary(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        common: CommonOptions,
    }

    #[test]
    fn sizes_are_a_comma_separated_list_with_underscores_allowed() {
        let a = Args::try_parse_from(["bench", "--sizes", "10_000, 300"]).unwrap();
        assert_eq!(a.common.sizes_or(&[1]), vec![10_000, 300]);
        let none = Args::try_parse_from(["bench"]).unwrap();
        assert_eq!(none.common.sizes_or(&[1, 2]), vec![1, 2]);
        assert_eq!(none.common.out_or("target/x"), PathBuf::from("target/x"));
        for bad in ["0", "ten", "10,", "-5"] {
            assert!(
                Args::try_parse_from(["bench", "--sizes", bad]).is_err(),
                "{bad} accepted"
            );
        }
        assert!(Args::try_parse_from(["bench", "--nope"]).is_err());
    }
}
