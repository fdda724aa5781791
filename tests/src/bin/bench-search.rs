//! The search benchmark (not a timed test): how long the app's Employees table takes to show
//! the first page of a search, beside the unfiltered first page measured in the same run, and
//! how long a CSV export of the whole directory takes and how much memory it needs.
//!
//! For each directory size N it seeds N synthetic employees (`scimdesk dev seed`), then times
//! the first page of 100 (`scimdesk dev time-search`, in-process, the app's own query) for: no
//! search (the baseline), a rare substring, a common substring (about 1% of the directory), a
//! prefix of emails and an exact email; then exports every employee to CSV
//! (`scimdesk users export`) under `/usr/bin/time -v` for its wall time and peak resident
//! memory. Results go to `report.md` and `report.json` in `--out`. Run it through
//! `scripts/bench.sh search`, which builds the release binaries and gives it a private keychain.
//!
//! Not for: asserting timings (the smoke test only checks it runs and finds the right rows).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::Parser as _;
use scimdesk_tests::bench::CommonOptions;
use serde_json::{json, Value};

struct Options {
    sizes: Vec<u64>,
    out: PathBuf,
    runs: u32,
    scimdesk: PathBuf,
}

/// The search benchmark (see the module's documentation).
#[derive(clap::Parser)]
#[command(name = "bench-search")]
struct Args {
    #[command(flatten)]
    common: CommonOptions,
    /// A smoke run: 300 employees and 3 runs, unless sizes or runs are given.
    #[arg(long)]
    quick: bool,
    /// How many times each search is timed (default 100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    runs: Option<u32>,
}

fn parse_options() -> Options {
    let args = Args::parse();
    let quick = args.quick;
    Options {
        sizes: args.common.sizes_or(if quick {
            &[300]
        } else {
            &[10_000, 100_000, 1_000_000]
        }),
        out: args.common.out_or("target/bench-search"),
        runs: args.runs.unwrap_or(if quick { 3 } else { 100 }),
        scimdesk: args.common.scimdesk(),
    }
}

/// Runs `scimdesk --data-dir DIR ARGS…` to its end and returns its standard output.
fn scimdesk(o: &Options, data_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(&o.scimdesk)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", o.scimdesk.display()));
    assert!(
        out.status.success(),
        "`scimdesk {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The searches timed at size `n`, as (kind, search). The synthetic employee k is
/// `seed-k@seed.example`, "Given{k} Family{k % 997}", employee ID k.
fn searches(n: u64) -> Vec<(&'static str, String)> {
    let k = n * 3 / 7;
    vec![
        ("baseline", String::new()),
        // "Given{k}", "Given{k}0"…: a handful of employees, matched inside a name.
        ("substring", format!("ven{k}")),
        // Family420…Family429 and Family42: 11 of every 997 employees.
        ("substring_common", "amily42".to_owned()),
        // The start of emails: seed-{k}@, seed-{k}0@… (ranked as prefixes).
        ("prefix", format!("seed-{k}")),
        ("exact_email", format!("seed-{k}@seed.example")),
    ]
}

/// Peak resident memory (KiB) and wall seconds of a `/usr/bin/time -v` report.
fn time_v(stderr: &str) -> (Option<u64>, Option<f64>) {
    let peak = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok());
    let wall = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Elapsed (wall clock) time (h:mm:ss or m:ss): ")
        })
        .and_then(|v| {
            v.trim().split(':').try_fold(0.0, |acc, part| {
                Some(acc * 60.0 + part.parse::<f64>().ok()?)
            })
        });
    (peak, wall)
}

fn measure(o: &Options, n: u64) -> Value {
    let dir = tempfile::tempdir_in(&o.out).expect("a data directory beside the report");
    let data = dir.path();
    scimdesk(o, data, &["connection", "add", "bench", "--json"]);
    eprintln!("[{n}] seeding");
    let seeded: Value = serde_json::from_str(&scimdesk(
        o,
        data,
        &[
            "--json",
            "dev",
            "seed",
            &n.to_string(),
            "--connection",
            "bench",
        ],
    ))
    .expect("seed's JSON");
    eprintln!("[{n}] searching");
    let list = searches(n);
    let runs = o.runs.to_string();
    let mut args = vec!["--json", "dev", "time-search", "--runs", &runs, "--"];
    args.extend(list.iter().map(|(_, s)| s.as_str()));
    let timed: Vec<Value> =
        serde_json::from_str(&scimdesk(o, data, &args)).expect("time-search's JSON");
    let base = &timed[0];
    let ratio = |v: &Value, key: &str| {
        let b = base[key].as_f64().unwrap_or(0.0);
        v[key].as_f64().map(|x| if b > 0.0 { x / b } else { 0.0 })
    };
    let mut searches = serde_json::Map::new();
    for ((kind, _), t) in list.iter().zip(&timed) {
        let mut t = t.clone();
        t["p50_ratio"] = json!(ratio(&t, "p50_ms"));
        t["p99_ratio"] = json!(ratio(&t, "p99_ms"));
        searches.insert((*kind).to_owned(), t);
    }

    eprintln!("[{n}] exporting");
    let csv = data.join("export.csv");
    let time = Path::new("/usr/bin/time");
    let mut export = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg(&o.scimdesk);
        c
    } else {
        Command::new(&o.scimdesk)
    };
    let started = std::time::Instant::now();
    let out = export
        .arg("--data-dir")
        .arg(data)
        .args(["users", "export"])
        .arg(&csv)
        .stdin(Stdio::null())
        .output()
        .expect("run the export");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "the export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (peak_kib, timed_wall) = time_v(&String::from_utf8_lossy(&out.stderr));
    let rows = std::fs::read_to_string(&csv)
        .expect("the exported file")
        .lines()
        .count()
        .saturating_sub(1);
    json!({
        "employees": n,
        "seed_seconds": seeded["seconds"],
        "searches": searches,
        "export": {
            "rows": rows,
            "seconds": timed_wall.unwrap_or(wall),
            "peak_kib": peak_kib,
        },
    })
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn markdown(results: &[Value]) -> String {
    let mut md = String::from(
        "# Search benchmark\n\nThe first page of 100 of the app's Employees table, timed in \
         process (`scimdesk dev time-search`); ratios are to the unfiltered first page of the \
         same run. Target: p99 under 50 ms at 1,000,000 employees for the substring, prefix \
         and exact email searches.\n",
    );
    for r in results {
        let n = r["employees"].as_u64().unwrap_or(0);
        let _ = writeln!(
            md,
            "\n## {} employees\n\n| search | text | matches | p50 ms | p99 ms | p50 ratio | p99 ratio |\n|---|---|---:|---:|---:|---:|---:|",
            thousands(n)
        );
        if let Some(searches) = r["searches"].as_object() {
            for (kind, t) in searches {
                let _ = writeln!(
                    md,
                    "| {kind} | `{}` | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                    t["search"].as_str().unwrap_or(""),
                    thousands(t["total"].as_u64().unwrap_or(0)),
                    t["p50_ms"].as_f64().unwrap_or(0.0),
                    t["p99_ms"].as_f64().unwrap_or(0.0),
                    t["p50_ratio"].as_f64().unwrap_or(0.0),
                    t["p99_ratio"].as_f64().unwrap_or(0.0),
                );
            }
        }
        let e = &r["export"];
        let _ = writeln!(
            md,
            "\nCSV export of every employee: {} rows in {:.1} s, peak resident memory {}.",
            thousands(e["rows"].as_u64().unwrap_or(0)),
            e["seconds"].as_f64().unwrap_or(0.0),
            e["peak_kib"]
                .as_u64()
                .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
                .unwrap_or_else(|| "not measured (no /usr/bin/time)".to_owned()),
        );
    }
    md
}

fn main() {
    let o = parse_options();
    std::fs::create_dir_all(&o.out).expect("the output directory");
    let results: Vec<Value> = o.sizes.iter().map(|&n| measure(&o, n)).collect();
    let md = markdown(&results);
    std::fs::write(o.out.join("report.md"), &md).expect("report.md");
    std::fs::write(
        o.out.join("report.json"),
        serde_json::to_string_pretty(&json!({ "sizes": results })).expect("JSON"),
    )
    .expect("report.json");
    print!("{md}");
}
