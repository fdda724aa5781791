//! The server deployment the package ships: the systemd unit (`packaging/scimdesk.service`), its
//! environment file (`packaging/scimdesk.env`) and the system user (`packaging/scimdesk.sysusers`),
//! installed by the deb and rpm bundles and enabled by none. Checked as systemd and the binary
//! read them: the unit verifies (`systemd-analyze verify`, when installed), and every variable the
//! environment file names is one `scimdesk serve` reads, and the other way round.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Command;

use scimdesk_tests::*;

fn packaging(file: &str) -> PathBuf {
    workspace_root().join("packaging").join(file)
}

fn read(file: &str) -> String {
    std::fs::read_to_string(packaging(file)).unwrap_or_else(|e| panic!("packaging/{file}: {e}"))
}

/// The unit's `[Service]` (or other section) keys, each with its values in order.
fn unit_section(unit: &str, section: &str) -> HashMap<String, Vec<String>> {
    let mut keys: HashMap<String, Vec<String>> = HashMap::new();
    let mut current = String::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_owned();
        } else if current == section {
            let (key, value) = line.split_once('=').expect("a Key=value line");
            keys.entry(key.to_owned())
                .or_default()
                .push(value.to_owned());
        }
    }
    keys
}

/// The environment file's assignments, and every variable it names (in comments too).
fn env_file() -> (Vec<(String, String)>, BTreeSet<String>) {
    let text = read("scimdesk.env");
    let mut active = Vec::new();
    let mut named = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        let commented = line.starts_with('#');
        let assignment = line.trim_start_matches('#');
        let Some((name, value)) = assignment.split_once('=') else {
            continue;
        };
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_<>".contains(c));
        if !is_name {
            continue;
        }
        named.insert(name.to_owned());
        if !commented {
            active.push((name.to_owned(), value.to_owned()));
        }
    }
    (active, named)
}

/// The variables `scimdesk serve --help` names.
fn serve_help_variables() -> (String, BTreeSet<String>) {
    let out = Command::new(binary())
        .args(["serve", "--help"])
        .output()
        .expect("scimdesk serve --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let variables = help
        .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || "_<>".contains(c)))
        .filter(|w| w.starts_with("SCIMDESK_") || *w == "CREDENTIALS_DIRECTORY")
        .map(str::to_owned)
        .collect();
    (help, variables)
}

#[test]
fn the_unit_runs_serve_as_its_own_user_with_the_environment_file_hardened_and_restarted() {
    let unit = read("scimdesk.service");
    let service = unit_section(&unit, "Service");
    let one = |key: &str| -> &str {
        match service.get(key).map(Vec::as_slice) {
            Some([value]) => value,
            other => panic!("[Service] {key}= once, not {other:?}"),
        }
    };
    assert_eq!(one("ExecStart"), "/usr/bin/scimdesk serve");
    assert_eq!(one("EnvironmentFile"), "/etc/scimdesk/scimdesk.env");
    assert_eq!(one("User"), "scimdesk");
    assert_eq!(one("Restart"), "on-failure");
    assert_eq!(one("StateDirectory"), "scimdesk");
    for hardening in [
        "NoNewPrivileges",
        "ProtectSystem",
        "ProtectHome",
        "PrivateTmp",
        "CapabilityBoundingSet",
    ] {
        assert!(service.contains_key(hardening), "{hardening}= missing");
    }
    // The user the unit runs as is the one the package declares to systemd-sysusers, with the
    // state directory as its home.
    let sysusers = read("scimdesk.sysusers");
    assert!(
        sysusers
            .lines()
            .any(|l| l.starts_with("u scimdesk ") && l.ends_with(" /var/lib/scimdesk")),
        "{sysusers}"
    );
    // The data directory the environment file names is the unit's StateDirectory.
    let (active, _) = env_file();
    assert!(
        active
            .iter()
            .any(|(k, v)| k == "SCIMDESK_DATA_DIR" && v == "/var/lib/scimdesk"),
        "{active:?}"
    );
}

#[test]
fn the_packages_install_the_unit_the_user_and_the_environment_file_and_enable_nothing() {
    let conf: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("src-tauri/tauri.conf.json"))
            .expect("tauri.conf.json"),
    )
    .expect("JSON");
    for kind in ["deb", "rpm"] {
        let files = &conf["bundle"]["linux"][kind]["files"];
        for (installed, source) in [
            (
                "/usr/lib/systemd/system/scimdesk.service",
                "scimdesk.service",
            ),
            ("/usr/lib/sysusers.d/scimdesk.conf", "scimdesk.sysusers"),
            ("/etc/scimdesk/scimdesk.env", "scimdesk.env"),
        ] {
            assert_eq!(
                files[installed],
                format!("../packaging/{source}").as_str(),
                "{kind}: {files}"
            );
        }
        // No maintainer script enables or starts the service.
        let scripts = conf["bundle"]["linux"][kind].to_string();
        assert!(!scripts.contains("systemctl"), "{kind}: {scripts}");
    }
}

#[test]
fn every_variable_of_the_environment_file_is_one_serve_reads_and_the_other_way_round() {
    let (_, named) = env_file();
    let (help, read_by_serve) = serve_help_variables();
    assert!(
        named.is_subset(&read_by_serve),
        "named in scimdesk.env but not read by serve: {:?}\n{help}",
        named.difference(&read_by_serve).collect::<Vec<_>>()
    );
    // Everything serve documents for a server is in the file, except systemd's own variable and
    // the pattern the file spells out per secret.
    let documented: BTreeSet<_> = read_by_serve
        .iter()
        .filter(|v| *v != "CREDENTIALS_DIRECTORY" && *v != "SCIMDESK_SECRET_<ACCOUNT>")
        .cloned()
        .collect();
    assert!(
        documented.is_subset(&named),
        "read by serve but missing from scimdesk.env: {:?}",
        documented.difference(&named).collect::<Vec<_>>()
    );
}

#[test]
fn the_environment_file_as_given_puts_scimdesk_in_server_mode_on_its_data_directory() {
    let (active, _) = env_file();
    let desk = Desk::new();
    let data_dir = desk.data_dir().to_string_lossy().into_owned();
    // The file's values, but this test's data directory instead of /var/lib/scimdesk.
    let envs: Vec<(&str, &str)> = active
        .iter()
        .map(|(k, v)| match k.as_str() {
            "SCIMDESK_DATA_DIR" => (k.as_str(), data_dir.as_str()),
            _ => (k.as_str(), v.as_str()),
        })
        .collect();
    let out = desk.run_raw(&["config", "show", "--json"], &envs);
    out.assert_code(0);
    let shown: Value = serde_json::from_str(out.stdout.trim()).expect("JSON");
    assert_eq!(shown["mode"], "server", "{shown}");
    assert_eq!(shown["mode_from_env"], true, "{shown}");
    assert_eq!(shown["data_dir"], data_dir.as_str(), "{shown}");
}

#[test]
fn systemd_verifies_the_unit() {
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: systemd-analyze is not installed (Debian's systemd package has it)"
        );
        return;
    };
    assert!(version.status.success());
    // The unit as installed, but running the binary under test (verify checks it exists).
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = read("scimdesk.service").replace(
        "ExecStart=/usr/bin/scimdesk ",
        &format!("ExecStart={} ", binary().display()),
    );
    let path = dir.path().join("scimdesk.service");
    std::fs::write(&path, unit).expect("write the unit");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze verify");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "{stderr}");
}
