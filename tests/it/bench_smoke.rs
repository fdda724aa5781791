//! The benchmarks still run: `bench --quick` on a tiny directory with the debug binaries, a few
//! seconds (with its PostgreSQL column, two servers on one database, when the test PostgreSQL
//! is there), and `bench-reconcile` at 2,000 assigned users. They check that every request kind
//! was answered as expected, that the reconcile reported exactly the planted drift, and that
//! the reports are written — never how fast anything was or how much memory it took.

use std::process::Command;

use scimdesk_tests::*;

#[test]
fn the_benchmark_runs_and_writes_its_reports() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let status = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--quick", "--clients", "4", "--seconds", "0.2", "--out"])
        .arg(out.path())
        .arg("--scimdesk")
        .arg(binary())
        .arg("--baseline")
        .arg(env!("CARGO_BIN_EXE_bench-baseline"))
        .status()
        .expect("run the benchmark");
    assert!(status.success(), "bench --quick failed: {status}");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("report.json")).expect("report.json"),
    )
    .expect("report.json is JSON");
    let size = &report["sizes"][0];
    assert_eq!(size["employees"], 300);
    assert_eq!(size["servers"], 1);
    every_operation_answered(size);
    assert!(report["fsync_commits_per_second"].as_f64() > Some(0.0));
    let md = std::fs::read_to_string(out.path().join("report.md")).expect("report.md");
    assert!(
        md.contains("## Targets") && md.contains("300 employees"),
        "{md}"
    );

    // The PostgreSQL column: the same phases, two servers on one fresh database, the clients
    // split across both; or, without a test PostgreSQL, the reason it was skipped, in both
    // reports.
    let pg = &size["postgres"];
    if std::env::var(postgres::URL_VAR).is_ok_and(|u| !u.trim().is_empty()) {
        assert_eq!(pg["employees"], 300, "{report}");
        assert_eq!(pg["servers"], 2, "{pg}");
        every_operation_answered(pg);
        assert!(pg["database_bytes"].as_u64() > Some(0), "{pg}");
        assert_eq!(pg["group_push"]["members"], 300, "{pg}");
        // Both columns are divided by the one baseline measured for the size.
        assert_eq!(pg["baseline"], size["baseline"]);
        assert_eq!(report["postgres"]["skipped"], Value::Null);
        assert_eq!(
            report["postgres"]["bounds"].as_array().map(Vec::len),
            Some(3),
            "{report}"
        );
        assert!(
            md.contains("### SQLite | PostgreSQL, 2 servers (300 employees)")
                && md.contains("One write lock across servers"),
            "{md}"
        );
    } else {
        eprintln!("skipped: the PostgreSQL column (PostgreSQL is not available)");
        assert_eq!(pg, &Value::Null, "{report}");
        let why = s(&report["postgres"], "skipped");
        assert!(
            md.contains(&format!("Not measured in this run: {why}.")),
            "{md}"
        );
    }
}

/// Every request kind of one column was sent and answered as expected.
fn every_operation_answered(column: &Value) {
    let operations = column["operations"].as_object().expect("operations");
    assert_eq!(operations.len(), 8, "{column}");
    for (name, op) in operations {
        assert_eq!(op["errors"], 0, "{name}: {op}");
        assert!(op["requests"].as_u64() > Some(0), "{name}: {op}");
    }
    for (name, batch) in column["group_push"]["batches"]
        .as_object()
        .expect("group push batches")
    {
        assert_eq!(batch["errors"], 0, "{name}: {batch}");
    }
}

/// The reconcile benchmark still runs and still measures a right answer: `bench-reconcile` at
/// 2,000 assigned users with the debug binary, a few seconds. Its org plants one row of each
/// kind of drift in every 1,000 users; the reconcile must report exactly those rows. Timings
/// and memory are only checked to be there.
#[test]
fn the_reconcile_benchmark_reports_exactly_the_planted_drift() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let run = Command::new(env!("CARGO_BIN_EXE_bench-reconcile"))
        .args(["--sizes", "2000", "--out"])
        .arg(out.path())
        .arg("--scimdesk")
        .arg(binary())
        .output()
        .expect("run the reconcile benchmark");
    assert!(
        run.status.success(),
        "bench-reconcile failed: {}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("report.json")).expect("report.json"),
    )
    .expect("report.json is JSON");
    let size = &report["sizes"][0];
    assert_eq!(size["employees"], 2000);
    assert_eq!(size["okta_users"], 2000);
    assert_eq!(size["pages"], 4, "pages of 500, as Okta allows");
    assert_eq!(
        size["counts"],
        json!({"missing_here": 2, "stale_here": 2, "should_be_deactivated": 2, "unknown_to_okta": 2}),
        "{size}"
    );
    assert_eq!(size["exact"], true, "{size}");
    assert!(size["rate_limit_waits"].as_u64() >= Some(1), "{size}");
    assert!(size["peak_kib"].as_u64() > Some(0), "{size}");
    assert!(size["wall_seconds"].as_f64() > Some(0.0), "{size}");

    // The rows themselves, as the CLI printed them: seed-<k> with k % 1000 = 1 stale (Okta's
    // title Director), 2 deprovisioned in Okta, 3 not in Okta, replaced by missing-<k>.
    let cli: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("reconcile-2000.json"))
            .expect("reconcile-2000.json"),
    )
    .expect("the CLI's report is JSON");
    let names = |kind: &str| -> Vec<String> {
        let mut v: Vec<String> = cli[kind]
            .as_array()
            .unwrap_or_else(|| panic!("no {kind} in {cli}"))
            .iter()
            .map(|r| s(r, "user_name").to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("missing_here"),
        ["missing-1003@seed.example", "missing-3@seed.example"]
    );
    assert_eq!(
        names("should_be_deactivated"),
        ["seed-1002@seed.example", "seed-2@seed.example"]
    );
    assert_eq!(
        names("unknown_to_okta"),
        ["seed-1003@seed.example", "seed-3@seed.example"]
    );
    let mut stale: Vec<Value> = cli["stale_here"]
        .as_array()
        .expect("stale_here")
        .iter()
        .map(|r| json!([r["user_name"], r["field"], r["ours"], r["okta"]]))
        .collect();
    stale.sort_by_key(|v| v.to_string());
    assert_eq!(
        stale,
        vec![
            json!(["seed-1001@seed.example", "job_title", "Analyst", "Director"]),
            json!(["seed-1@seed.example", "job_title", "Analyst", "Director"]),
        ]
    );
    assert_eq!(cli["dry_run"], true);
}

/// The search benchmark still runs and still finds the right rows: `bench-search --quick` on
/// 300 employees with the debug binary. The exact email is found and listed first, the common
/// substring finds Family42 (11 of the 300), every search is timed, and the export wrote
/// every employee. Timings and memory are only checked to be there.
#[test]
fn the_search_benchmark_finds_the_right_rows_and_exports_everyone() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let run = Command::new(env!("CARGO_BIN_EXE_bench-search"))
        .args(["--quick", "--out"])
        .arg(out.path())
        .arg("--scimdesk")
        .arg(binary())
        .output()
        .expect("run the search benchmark");
    assert!(
        run.status.success(),
        "bench-search failed: {}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("report.json")).expect("report.json"),
    )
    .expect("report.json is JSON");
    let size = &report["sizes"][0];
    assert_eq!(size["employees"], 300);
    let searches = &size["searches"];
    assert_eq!(searches["baseline"]["total"], 300, "{size}");
    // k = 300 * 3 / 7 = 128: seed-128@seed.example, alone, first.
    assert_eq!(searches["exact_email"]["total"], 1, "{size}");
    assert_eq!(searches["exact_email"]["first"], "seed-128@seed.example");
    assert_eq!(searches["prefix"]["first"], "seed-128@seed.example");
    assert_eq!(searches["substring"]["total"], 1, "Given128 only: {size}");
    assert_eq!(
        searches["substring_common"]["total"], 1,
        "Family42 only below 420: {size}"
    );
    for (kind, t) in searches.as_object().expect("searches") {
        assert!(t["p99_ms"].as_f64() > Some(0.0), "{kind}: {t}");
    }
    assert_eq!(size["export"]["rows"], 300, "{size}");
    let md = std::fs::read_to_string(out.path().join("report.md")).expect("report.md");
    assert!(md.contains("## 300 employees"), "{md}");
}
