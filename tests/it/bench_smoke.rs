//! The benchmark still runs: `bench --quick` on a tiny directory with the debug binaries, a few
//! seconds. It checks that every request kind was answered as expected and that the reports
//! are written — never how fast anything was.

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
    let operations = size["operations"].as_object().expect("operations");
    assert_eq!(operations.len(), 8);
    for (name, op) in operations {
        assert_eq!(op["errors"], 0, "{name}: {op}");
        assert!(op["requests"].as_u64() > Some(0), "{name}: {op}");
    }
    assert!(report["fsync_commits_per_second"].as_f64() > Some(0.0));
    let md = std::fs::read_to_string(out.path().join("report.md")).expect("report.md");
    assert!(
        md.contains("## Targets") && md.contains("300 employees"),
        "{md}"
    );
}
