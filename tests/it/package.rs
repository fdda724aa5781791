//! The installable packages that `scripts/package.sh` builds, checked as an installer sees them:
//! the `.deb`'s control fields (version, the libraries it needs), the files it installs (both
//! binaries on PATH, the menu entry, an icon in every size), and its binaries run from the
//! unpacked package — `--version`, the headless endpoint answering Okta, the app's window.
//!
//! Building the packages takes a release build (many minutes), so the test command does not:
//! these tests check the packages the package command left in `target/release/bundle/`, and say
//! so and pass when there are none. The install with `apt-get` on a clean machine is the
//! by-hand check the README describes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use scimdesk_tests::app::App;
use scimdesk_tests::*;

/// The version every part of SCIM Desk carries: the workspace's, which this crate shares.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The sizes of the app's icon, as the icon themes want them.
const ICON_SIZES: [u32; 8] = [16, 24, 32, 48, 64, 128, 256, 512];

fn bundle_dir() -> PathBuf {
    target_dir().join("release").join("bundle")
}

/// The newest package with this extension in `bundle/<kind>/`, or `None` (and the reason, printed)
/// when the package command has not been run.
fn package(kind: &str) -> Option<PathBuf> {
    let dir = bundle_dir().join(kind);
    let found = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == kind))
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    if found.is_none() {
        skip(&format!(
            "no .{kind} package in {}; `scripts/package.sh` builds one",
            dir.display()
        ));
    }
    found
}

/// Says why a test did nothing. Written to stderr itself, not through `eprintln!`, which the
/// test harness holds back for tests that pass: a skip must show in every run's output.
fn skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A package unpacked into a temporary directory, as `dpkg` would lay it out under `/`.
struct Unpacked {
    root: tempfile::TempDir,
}

impl Unpacked {
    fn deb(deb: &Path) -> Unpacked {
        let root = tempfile::tempdir().expect("a directory to unpack into");
        run(
            "dpkg-deb",
            &["-x", &deb.to_string_lossy(), &root.path().to_string_lossy()],
        );
        Unpacked { root }
    }

    fn path(&self, installed: &str) -> PathBuf {
        self.root.path().join(installed.trim_start_matches('/'))
    }
}

fn control_field(deb: &Path, field: &str) -> String {
    run("dpkg-deb", &["--field", &deb.to_string_lossy(), field])
        .trim()
        .to_owned()
}

/// `Key=Value` lines of the `[Desktop Entry]` group.
fn desktop_entry(text: &str) -> HashMap<String, String> {
    text.lines()
        .skip_while(|l| l.trim() != "[Desktop Entry]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// Width and height from a PNG's header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() > 24 && &bytes[1..4] == b"PNG",
        "{} is not a PNG",
        path.display()
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 == 0o111)
}

#[test]
fn the_deb_declares_its_version_and_the_libraries_the_app_needs() {
    let Some(deb) = package("deb") else { return };
    assert_eq!(control_field(&deb, "Version"), VERSION);
    assert_eq!(control_field(&deb, "Architecture"), "amd64");
    let depends = control_field(&deb, "Depends");
    // The window (WebKitGTK, GTK), the tray, and the keychain's client (Secret Service over
    // D-Bus): what `apt-get install ./…deb` must pull in on a machine without build tools.
    for library in [
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libayatana-appindicator3-1",
        "libdbus-1-3",
    ] {
        assert!(
            depends.contains(library),
            "Depends lacks {library}: {depends}"
        );
    }
    // A keychain to talk to is recommended, not forced (KWallet serves the Secret Service too).
    assert!(
        control_field(&deb, "Recommends").contains("gnome-keyring"),
        "{deb:?}"
    );
}

#[test]
fn the_deb_installs_both_commands_a_menu_entry_and_an_icon_in_every_size() {
    let Some(deb) = package("deb") else { return };
    let unpacked = Unpacked::deb(&deb);
    for bin in ["/usr/bin/scimdesk-app", "/usr/bin/scimdesk"] {
        assert!(
            is_executable(&unpacked.path(bin)),
            "{bin} is not an executable in the package"
        );
    }
    // The server deployment: installed, enabled by nothing (see `deployment`).
    for file in [
        "/usr/lib/systemd/system/scimdesk.service",
        "/usr/lib/sysusers.d/scimdesk.conf",
        "/etc/scimdesk/scimdesk.env",
    ] {
        assert!(unpacked.path(file).is_file(), "{file} missing from the deb");
    }

    let applications = unpacked.path("/usr/share/applications");
    let entries: Vec<PathBuf> = std::fs::read_dir(&applications)
        .expect("the package has /usr/share/applications")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "desktop"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = desktop_entry(&std::fs::read_to_string(&entries[0]).unwrap());
    assert_eq!(entry["Type"], "Application", "{entry:?}");
    assert_eq!(entry["Name"], "SCIM Desk", "{entry:?}");
    assert_eq!(entry["Exec"], "scimdesk-app", "{entry:?}");
    // The app's window has the X class `scimdesk-app`: docks match the window to this entry.
    assert_eq!(entry["StartupWMClass"], "scimdesk-app", "{entry:?}");
    assert_eq!(entry["Terminal"], "false", "{entry:?}");
    assert!(entry["Categories"].contains("Office"), "{entry:?}");
    assert!(!entry["Comment"].is_empty(), "{entry:?}");
    let icon = &entry["Icon"];

    for size in ICON_SIZES {
        let png = unpacked.path(&format!(
            "/usr/share/icons/hicolor/{size}x{size}/apps/{icon}.png"
        ));
        assert_eq!(png_size(&png), (size, size), "{}", png.display());
    }
    assert!(unpacked
        .path(&format!(
            "/usr/share/icons/hicolor/scalable/apps/{icon}.svg"
        ))
        .is_file());
    // Every PNG is as big as its folder says, or the theme shows it blurred or not at all: a
    // `256x256@2` folder holds 512-pixel images (the bundler files an `@2x` source file by its
    // own pixel size there, so the icons have none).
    let hicolor = unpacked.path("/usr/share/icons/hicolor");
    for folder in std::fs::read_dir(&hicolor).unwrap().filter_map(Result::ok) {
        let name = folder.file_name().to_string_lossy().into_owned();
        if name == "scalable" {
            continue;
        }
        let (size, scale) = name.split_once('@').unwrap_or((&name, "1"));
        let pixels = |n: &str| {
            n.parse::<u32>()
                .unwrap_or_else(|_| panic!("icon folder {name}"))
        };
        let (w, h) = size
            .split_once('x')
            .unwrap_or_else(|| panic!("icon folder {name}"));
        let want = (pixels(w) * pixels(scale), pixels(h) * pixels(scale));
        let png = folder.path().join("apps").join(format!("{icon}.png"));
        assert_eq!(png_size(&png), want, "{}", png.display());
    }
}

#[test]
fn both_packaged_commands_answer_version_with_the_package_version() {
    let Some(deb) = package("deb") else { return };
    let unpacked = Unpacked::deb(&deb);
    let cli = run(
        &unpacked.path("/usr/bin/scimdesk").to_string_lossy(),
        &["--version"],
    );
    assert_eq!(cli.trim(), format!("scimdesk {VERSION}"));
    let app = run(
        &unpacked.path("/usr/bin/scimdesk-app").to_string_lossy(),
        &["--version"],
    );
    assert_eq!(app.trim(), format!("scimdesk-app {VERSION}"));
}

/// The packaged `scimdesk serve` is the endpoint a server admin runs: Okta's first requests
/// are answered.
#[test]
fn the_packaged_command_serves_okta() {
    let Some(deb) = package("deb") else { return };
    let unpacked = Unpacked::deb(&deb);
    let bin = unpacked.path("/usr/bin/scimdesk");
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_string_lossy().into_owned();
    let scimdesk = |args: &[&str]| {
        let mut all = vec!["--data-dir", &data_dir];
        all.extend_from_slice(args);
        run(&bin.to_string_lossy(), &all)
    };
    let listen = format!("127.0.0.1:{}", free_port());
    scimdesk(&["config", "set", "listen", &listen]);
    let added: Value =
        serde_json::from_str(&scimdesk(&["connection", "add", "Okta", "--json"])).unwrap();
    let log = data.path().join("serve.stdout");
    let mut serve = Command::new(&bin)
        .args(["--data-dir", &data_dir, "serve"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("the packaged scimdesk serve starts");
    until("the packaged `scimdesk serve` listens", || {
        std::fs::read_to_string(&log).is_ok_and(|s| s.contains("listening"))
    });
    let okta = Okta::new(
        added["base_url"].as_str().unwrap(),
        added["token"].as_str().unwrap(),
    );
    okta.get("/Users?startIndex=1&count=2").expect(200);
    okta.create_user(&okta_user("packaged@corp.example", "Pack", "Aged"));
    let _ = serve.kill();
    let _ = serve.wait();
}

/// The packaged app opens its window on the Integrations page, with its endpoint answering.
#[test]
fn the_packaged_app_opens_and_serves() {
    let Some(deb) = package("deb") else { return };
    let unpacked = Unpacked::deb(&deb);
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    desk.cli_ok(&[
        "config",
        "set",
        "listen",
        &format!("127.0.0.1:{}", free_port()),
    ]);
    let app = App::launch_binary(
        &desk,
        "packaged_app",
        &unpacked.path("/usr/bin/scimdesk-app"),
    );
    app.go("#/settings/integrations/okta");
    app.wait_for_css("[data-testid=\"connection-row\"][data-connection-name=\"Okta\"]");
    app.screenshot("integrations-okta");
    let listed = desk.cli_json(&["connection", "list"]);
    let okta = Okta::new(listed[0]["base_url"].as_str().unwrap(), &conn.token);
    okta.get("/Users?count=1").expect(200);
}

/// The .rpm holds the same: both commands, the menu entry and icons, at the package version,
/// requiring the same libraries.
#[test]
fn the_rpm_holds_both_commands_at_the_package_version() {
    let Some(rpm) = package("rpm") else { return };
    if Command::new("rpm").arg("--version").output().is_err() {
        skip(&format!(
            "the `rpm` tool is not installed to read {}",
            rpm.display()
        ));
        return;
    }
    let rpm = rpm.to_string_lossy();
    assert_eq!(
        run("rpm", &["-qp", "--queryformat", "%{VERSION}", &rpm]),
        VERSION
    );
    let files = run("rpm", &["-qpl", &rpm]);
    for file in [
        "/usr/bin/scimdesk-app",
        "/usr/bin/scimdesk",
        "/usr/share/applications/SCIM Desk.desktop",
        "/usr/share/icons/hicolor/256x256/apps/scimdesk-app.png",
        "/usr/lib/systemd/system/scimdesk.service",
        "/usr/lib/sysusers.d/scimdesk.conf",
        "/etc/scimdesk/scimdesk.env",
    ] {
        assert!(files.lines().any(|l| l == file), "{file} missing: {files}");
    }
    // Required by library (soname), not by package name: Fedora and openSUSE name the
    // packages differently, and both resolve these.
    let requires = run("rpm", &["-qpR", &rpm]);
    for library in [
        "libwebkit2gtk-4.1.so.0()(64bit)",
        "libgtk-3.so.0()(64bit)",
        "libayatana-appindicator3.so.1()(64bit)",
        "libdbus-1.so.3()(64bit)",
    ] {
        assert!(
            requires.lines().any(|l| l.trim() == library),
            "Requires lacks {library}: {requires}"
        );
    }
}
