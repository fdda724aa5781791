//! The reconcile benchmark (not a timed test): how long `scimdesk connection reconcile --json`
//! takes against an Okta org of N assigned users, and how much memory the CLI process needs at
//! its peak, for N = 10,000 and 100,000 by default. Bounded memory means the peak at 100,000 is
//! about the peak at 10,000: the ratio of the two is the figure to watch.
//!
//! For each N it seeds N employees of one connection through the store (`scimdesk dev seed`, as
//! the main benchmark does), reads them back with `users list --json`, and starts the stand-in
//! Okta API (`okta_api_standin`, HTTPS with a test CA) holding N app users in pages of 500 — the
//! most Okta gives — whose `externalId`s are those employees' ids, with a 429 now and then and a
//! known small drift, one of each kind in every 1,000 users (see [`Plan`]). It sets up the
//! connection's Okta API through the CLI, runs the reconcile, and checks that the report lists
//! exactly the planted drift: a measurement of a wrong answer is no measurement.
//!
//! The CLI's peak memory is its `VmHWM` (the high-water mark of its own address space), read
//! from `/proc/<pid>/status` until it exits; `wait4` gives its CPU time. (`wait4`'s `ru_maxrss`
//! is not used: Linux carries the high-water mark of the address space a child leaves at
//! `exec` into it, here this benchmark's own, which holds the stand-in's org.)
//!
//! Results go to `report.md` and `report.json` in `--out`, each CLI report to
//! `reconcile-<N>.json`. Run it through `scripts/bench.sh reconcile`, which builds the release
//! binaries and gives it a private keychain. Exits 1 when a report is not the planted drift.

use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser as _;
use scimdesk_tests::bench::CommonOptions;
use scimdesk_tests::okta_api_standin::{app_user_with_profile, OktaApiStandin, OrgState};
use scimdesk_tests::proxy::TestCa;
use serde::Deserialize;
use serde_json::{json, Value};

const TOKEN: &str = "00bench-okta-api-token-not-a-secret";
const APP: &str = "0oa1benchreconcile";
/// Okta's largest page of app users, which the client asks for.
const PAGE: usize = 500;
/// One user of each kind of drift in this many.
const DRIFT_EVERY: u64 = 1000;

struct Options {
    sizes: Vec<u64>,
    out: PathBuf,
    scimdesk: PathBuf,
}

/// The reconcile benchmark (see the module's documentation).
#[derive(clap::Parser)]
#[command(name = "bench-reconcile")]
struct Args {
    #[command(flatten)]
    common: CommonOptions,
}

fn parse_options() -> Options {
    let args = Args::parse();
    Options {
        sizes: args.common.sizes_or(&[10_000, 100_000]),
        out: args.common.out_or("target/bench-reconcile"),
        scimdesk: args.common.scimdesk(),
    }
}

/// `scimdesk --data-dir DIR ARGS…`, its standard output; panics with its error if it fails.
fn scimdesk(o: &Options, data_dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> String {
    scimdesk_stdin(o, data_dir, args, envs, None)
}

fn scimdesk_stdin(
    o: &Options,
    data_dir: &Path,
    args: &[&str],
    envs: &[(&str, &Path)],
    stdin: Option<&str>,
) -> String {
    let mut command = Command::new(&o.scimdesk);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("SCIMDESK_DATA_DIR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        command.env(k, v);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", o.scimdesk.display()));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for scimdesk");
    assert!(
        out.status.success(),
        "`scimdesk {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------
// The measured process
// ---------------------------------------------------------------------------

/// What one run of a command cost.
struct Measured {
    stdout: String,
    stderr: String,
    success: bool,
    wall: Duration,
    cpu: Duration,
    /// The peak resident memory of the process's own address space (VmHWM), in KiB.
    peak_kib: u64,
}

/// The `VmHWM` of a live process, in KiB (0 once it has exited).
fn vm_hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Runs `command` to its end: its output, wall time, CPU time (`wait4`) and peak memory
/// (`VmHWM`, which only grows, read every few milliseconds until the process exits).
// The child is reaped by `wait4` (which also gives its CPU time), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn measure(mut command: Command) -> Measured {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the measured command");
    let pid = child.id();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let mut peak_kib = 0;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter for wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        peak_kib = peak_kib.max(vm_hwm_kib(pid));
        // SAFETY: waits for our own child, whose pid `child` holds; std never reaps it for us
        // (the `Child` is not waited on after this).
        let reaped =
            unsafe { libc::wait4(pid as libc::pid_t, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid as libc::pid_t {
            break;
        }
        assert!(reaped == 0, "wait4: {}", std::io::Error::last_os_error());
        // The sampling period: short against a run of seconds, long enough to cost nothing.
        std::thread::sleep(Duration::from_millis(3));
    }
    let wall = started.elapsed();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Measured {
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        peak_kib,
    }
}

// ---------------------------------------------------------------------------
// The org and its drift
// ---------------------------------------------------------------------------

/// One employee as `users list --json` prints it (what the org is made from).
#[derive(Debug, Deserialize)]
struct Listed {
    id: String,
    user_name: String,
    email: Option<String>,
    display_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    business_unit: Option<String>,
    location: Option<String>,
    employee_id: Option<String>,
}

/// The drift planted in the org, by the seed number `k` of employee `seed-<k>@seed.example`:
/// - `k % 1000 == 1`: *stale here* — Okta's title is `Director`;
/// - `k % 1000 == 2`: *should be deactivated* — the app user is `DEPROVISIONED`;
/// - `k % 1000 == 3`: *unknown to Okta* — not among the app users; in its place an app user
///   `missing-<k>@seed.example` that the directory has never seen: *missing here*.
///
/// So the org has exactly N app users, and each kind of drift has one row per 1,000.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Plan {
    missing_here: Vec<String>,
    /// userName and our title.
    stale_here: Vec<(String, String)>,
    should_be_deactivated: Vec<String>,
    unknown_to_okta: Vec<String>,
}

/// The seed number of `seed-<k>@seed.example`.
fn seed_number(user_name: &str) -> u64 {
    user_name
        .strip_prefix("seed-")
        .and_then(|r| r.strip_suffix("@seed.example"))
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| panic!("not a seeded employee: {user_name}"))
}

/// Okta's app users for the directory's employees, with the planted drift.
fn org_users(employees: &[Listed]) -> (Vec<Value>, Plan) {
    let mut plan = Plan::default();
    let mut users = Vec::with_capacity(employees.len());
    for e in employees {
        let k = seed_number(&e.user_name);
        let okta_id = format!("00u{k:017}");
        let mut profile = json!({
            "email": e.email,
            "givenName": e.first_name,
            "familyName": e.last_name,
            "displayName": e.display_name,
            "title": e.job_title,
            "department": e.department,
            "division": e.business_unit,
            "employeeNumber": e.employee_id,
            "city": e.location,
        });
        let mut status = "PROVISIONED";
        match k % DRIFT_EVERY {
            1 => {
                profile["title"] = json!("Director");
                plan.stale_here
                    .push((e.user_name.clone(), e.job_title.clone().unwrap_or_default()));
            }
            2 => {
                status = "DEPROVISIONED";
                plan.should_be_deactivated.push(e.user_name.clone());
            }
            3 => {
                plan.unknown_to_okta.push(e.user_name.clone());
                let email = format!("missing-{k}@seed.example");
                plan.missing_here.push(email.clone());
                let profile = json!({
                    "email": email,
                    "givenName": format!("Missing{k}"),
                    "familyName": "Here",
                    "title": "Engineer",
                });
                users.push(app_user_with_profile(
                    &okta_id,
                    None,
                    profile,
                    "PROVISIONED",
                ));
                continue;
            }
            _ => {}
        }
        users.push(app_user_with_profile(
            &okta_id,
            Some(&e.id),
            profile,
            status,
        ));
    }
    (users, plan)
}

/// What the reconcile reported, in the plan's terms.
fn reported(report: &Value) -> Plan {
    let names = |kind: &str| -> Vec<String> {
        let mut v: Vec<String> = report[kind]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| r["user_name"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let mut stale: Vec<(String, String)> = report["stale_here"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| r["field"] == "job_title" && r["okta"] == "Director")
                .map(|r| {
                    (
                        r["user_name"].as_str().unwrap_or("").to_owned(),
                        r["ours"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    stale.sort();
    // A stale row of another field or value is drift that was not planted: keep it visible.
    let other_stale = report["stale_here"]
        .as_array()
        .map_or(0, |rows| rows.len())
        .saturating_sub(stale.len());
    for _ in 0..other_stale {
        stale.push(("(a stale row that was not planted)".into(), String::new()));
    }
    Plan {
        missing_here: names("missing_here"),
        stale_here: stale,
        should_be_deactivated: names("should_be_deactivated"),
        unknown_to_okta: names("unknown_to_okta"),
    }
}

impl Plan {
    fn sorted(mut self) -> Plan {
        self.missing_here.sort();
        self.stale_here.sort();
        self.should_be_deactivated.sort();
        self.unknown_to_okta.sort();
        self
    }

    fn counts(&self) -> Value {
        json!({
            "missing_here": self.missing_here.len(),
            "stale_here": self.stale_here.len(),
            "should_be_deactivated": self.should_be_deactivated.len(),
            "unknown_to_okta": self.unknown_to_okta.len(),
        })
    }
}

// ---------------------------------------------------------------------------
// One size
// ---------------------------------------------------------------------------

struct SizeResult {
    n: u64,
    seed_seconds: f64,
    db_bytes: u64,
    okta_users: u64,
    pages: u64,
    throttled: u64,
    rate_limit_waits: u64,
    run: Measured,
    planted: Plan,
    counts: Value,
    /// The report is exactly the planted drift.
    exact: bool,
    mismatch: Option<String>,
}

fn measure_size(o: &Options, n: u64, work: &Path) -> SizeResult {
    let data_dir = work.join(format!("data-{n}"));
    let _ = std::fs::remove_dir_all(&data_dir);
    scimdesk(o, &data_dir, &["connection", "add", "Okta", "--json"], &[]);

    eprintln!("[{n}] seeding");
    let started = Instant::now();
    scimdesk(
        o,
        &data_dir,
        &["dev", "seed", &n.to_string(), "--connection", "Okta"],
        &[],
    );
    let seed_seconds = started.elapsed().as_secs_f64();
    let db_bytes = std::fs::metadata(data_dir.join("scimdesk.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    let employees: Vec<Listed> =
        serde_json::from_str(&scimdesk(o, &data_dir, &["users", "list", "--json"], &[]))
            .expect("`users list --json` prints the employees");
    assert_eq!(employees.len() as u64, n, "every seeded employee is listed");

    let (app_users, plan) = org_users(&employees);
    drop(employees);
    let okta_users = app_users.len() as u64;
    let pages = okta_users.div_ceil(PAGE as u64).max(1);
    let ca = TestCa::new();
    let standin = OktaApiStandin::start(
        &ca,
        OrgState {
            token: TOKEN.to_owned(),
            app_id: APP.to_owned(),
            app_users,
            page_size: PAGE,
            throttle_every: 0,
            always_throttled: false,
            forbidden: false,
        },
    );
    let ca_file = ca.file().to_path_buf();
    let envs = [("SCIMDESK_EXTRA_CA_FILE", ca_file.as_path())];
    scimdesk_stdin(
        o,
        &data_dir,
        &[
            "connection",
            "okta-api",
            "Okta",
            "--org-url",
            &standin.org_url(),
            "--app-id",
            APP,
            "--token-stdin",
            "--json",
        ],
        &envs,
        Some(TOKEN),
    );
    // A 429 now and then: about three in the run whatever its size, so that the time waited
    // for Okta's rate limit is about the same at every size.
    standin.state().throttle_every = (pages / 3).max(2);
    let throttled_before = standin.throttled();

    eprintln!("[{n}] reconcile");
    let mut command = Command::new(&o.scimdesk);
    command
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["connection", "reconcile", "Okta", "--json"])
        .env_remove("SCIMDESK_DATA_DIR")
        .env("SCIMDESK_EXTRA_CA_FILE", &ca_file);
    let run = measure(command);
    let throttled = standin.throttled() - throttled_before;
    drop(standin);
    let _ = std::fs::remove_dir_all(&data_dir);

    let planted = plan.sorted();
    let mut result = SizeResult {
        n,
        seed_seconds,
        db_bytes,
        okta_users,
        pages,
        throttled,
        rate_limit_waits: 0,
        counts: Value::Null,
        exact: false,
        mismatch: None,
        planted,
        run,
    };
    if !result.run.success {
        result.mismatch = Some(format!(
            "the reconcile failed: {}",
            result.run.stderr.trim()
        ));
        return result;
    }
    let report: Value = match serde_json::from_str(result.run.stdout.trim()) {
        Ok(v) => v,
        Err(e) => {
            result.mismatch = Some(format!("the reconcile's output is not JSON: {e}"));
            return result;
        }
    };
    result.counts = report["counts"].clone();
    result.rate_limit_waits = report["rate_limit_waits"].as_u64().unwrap_or(0);
    let got = reported(&report);
    let mut wrong = Vec::new();
    if report["okta_users"].as_u64() != Some(okta_users) {
        wrong.push(format!(
            "okta_users {} (planted {okta_users})",
            report["okta_users"]
        ));
    }
    if report["pages"].as_u64() != Some(pages) {
        wrong.push(format!("pages {} (expected {pages})", report["pages"]));
    }
    if result.counts != result.planted.counts() {
        wrong.push(format!(
            "counts {} (planted {})",
            result.counts,
            result.planted.counts()
        ));
    }
    if got != result.planted {
        wrong.push("the rows are not the planted ones".to_owned());
    }
    if throttled == 0 || result.rate_limit_waits < throttled {
        wrong.push(format!(
            "{throttled} 429s answered, {} waits reported",
            result.rate_limit_waits
        ));
    }
    result.exact = wrong.is_empty();
    if !wrong.is_empty() {
        result.mismatch = Some(wrong.join("; "));
    }
    result
}

// ---------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
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

/// A figure of the largest size over the smallest's: (sizes ratio, figure ratio).
fn ratio(results: &[SizeResult], figure: impl Fn(&SizeResult) -> f64) -> Option<(f64, f64)> {
    let small = results.iter().min_by_key(|r| r.n)?;
    let large = results.iter().max_by_key(|r| r.n)?;
    (large.n > small.n && figure(small) > 0.0).then(|| {
        (
            large.n as f64 / small.n as f64,
            figure(large) / figure(small),
        )
    })
}

fn memory_ratio(results: &[SizeResult]) -> Option<(f64, f64)> {
    ratio(results, |r| r.run.peak_kib as f64)
}

fn cpu_ratio(results: &[SizeResult]) -> Option<(f64, f64)> {
    ratio(results, |r| r.run.cpu.as_secs_f64())
}

fn markdown(results: &[SizeResult], floor_kib: u64) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# SCIM Desk reconcile benchmark\n");
    let _ = writeln!(
        md,
        "`scimdesk connection reconcile --json` against the stand-in Okta API on loopback \
         (HTTPS), pages of {PAGE}, about three 429s a run; one row of each kind of drift in \
         every {} users. Peak memory is the CLI process's VmHWM. For reference, \
         `scimdesk connection list --json` peaks at {:.1} MiB.\n",
        thousands(DRIFT_EVERY),
        mib(floor_kib)
    );
    let _ = write!(md, "| |");
    for r in results {
        let _ = write!(md, " {} |", thousands(r.n));
    }
    let _ = write!(md, "\n|---|");
    for _ in results {
        let _ = write!(md, "---:|");
    }
    let _ = writeln!(md);
    let mut row = |what: &str, cell: &dyn Fn(&SizeResult) -> String| {
        let _ = write!(md, "| {what} |");
        for r in results {
            let _ = write!(md, " {} |", cell(r));
        }
        let _ = writeln!(md);
    };
    row("Okta app users, pages", &|r| {
        format!("{}, {}", thousands(r.okta_users), r.pages)
    });
    row("reconcile, wall time", &|r| {
        format!("{:.1} s", r.run.wall.as_secs_f64())
    });
    row("reconcile, CPU time", &|r| {
        format!("{:.1} s", r.run.cpu.as_secs_f64())
    });
    row("429s waited out", &|r| r.rate_limit_waits.to_string());
    row("peak resident memory", &|r| {
        format!("{:.1} MiB", mib(r.run.peak_kib))
    });
    row("drift reported (planted)", &|r| {
        let c = &r.counts;
        format!(
            "{}/{}/{}/{} ({})",
            c["missing_here"],
            c["stale_here"],
            c["should_be_deactivated"],
            c["unknown_to_okta"],
            if r.exact { "exact" } else { "**wrong**" }
        )
    });
    row("seeding (database)", &|r| {
        format!(
            "{:.1} s ({:.0} MiB)",
            r.seed_seconds,
            r.db_bytes as f64 / 1048576.0
        )
    });
    if let Some((sizes, ratio)) = memory_ratio(results) {
        let _ = writeln!(
            md,
            "\nPeak memory, largest size over smallest ({sizes:.0}× the users): **{ratio:.2}×** \
             (bounded memory keeps this near 1; the drift rows are a few hundred at most)."
        );
    }
    if let Some((sizes, ratio)) = cpu_ratio(results) {
        let _ = writeln!(
            md,
            "\nCPU time of the reconcile, largest size over smallest ({sizes:.0}× the users): \
             **{ratio:.1}×** (linear work keeps this near {sizes:.0})."
        );
    }
    for r in results {
        if let Some(m) = &r.mismatch {
            let _ = writeln!(md, "\n**{}: {m}**", thousands(r.n));
        }
    }
    md
}

fn report_json(results: &[SizeResult], floor_kib: u64) -> Value {
    json!({
        "page_size": PAGE,
        "drift_every": DRIFT_EVERY,
        "floor_peak_kib": floor_kib,
        "peak_memory_ratio": memory_ratio(results).map(|(_, r)| round(r, 3)),
        "cpu_time_ratio": cpu_ratio(results).map(|(_, r)| round(r, 3)),
        "sizes": results.iter().map(|r| json!({
            "employees": r.n,
            "okta_users": r.okta_users,
            "pages": r.pages,
            "seed_seconds": round(r.seed_seconds, 2),
            "db_bytes": r.db_bytes,
            "wall_seconds": round(r.run.wall.as_secs_f64(), 3),
            "cpu_seconds": round(r.run.cpu.as_secs_f64(), 3),
            "peak_kib": r.run.peak_kib,
            "throttled": r.throttled,
            "rate_limit_waits": r.rate_limit_waits,
            "counts": r.counts,
            "planted": r.planted.counts(),
            "exact": r.exact,
            "mismatch": r.mismatch,
        })).collect::<Vec<_>>(),
    })
}

fn main() {
    let o = parse_options();
    if !o.scimdesk.is_file() {
        eprintln!(
            "error: {} is missing; build the release binary first (scripts/bench.sh reconcile \
             does)",
            o.scimdesk.display()
        );
        std::process::exit(1);
    }
    std::fs::create_dir_all(&o.out).expect("create the output directory");
    let work = o.out.join("work");
    std::fs::create_dir_all(&work).expect("create the work directory");

    // The fixed cost of the CLI: a command that opens the data directory and reads one table.
    let floor_dir = work.join("floor");
    scimdesk(&o, &floor_dir, &["connection", "add", "Okta"], &[]);
    let mut floor = Command::new(&o.scimdesk);
    floor
        .arg("--data-dir")
        .arg(&floor_dir)
        .args(["connection", "list", "--json"]);
    let floor_kib = measure(floor).peak_kib;
    let _ = std::fs::remove_dir_all(&floor_dir);

    let mut results = Vec::new();
    for &n in &o.sizes {
        let r = measure_size(&o, n, &work);
        std::fs::write(o.out.join(format!("reconcile-{n}.json")), &r.run.stdout)
            .expect("write the reconcile's report");
        results.push(r);
    }
    let _ = std::fs::remove_dir_all(&work);
    let md = markdown(&results, floor_kib);
    std::fs::write(o.out.join("report.md"), &md).expect("write report.md");
    std::fs::write(
        o.out.join("report.json"),
        serde_json::to_string_pretty(&report_json(&results, floor_kib)).expect("JSON") + "\n",
    )
    .expect("write report.json");
    print!("{md}");
    if results.iter().any(|r| !r.exact) {
        std::process::exit(1);
    }
}
