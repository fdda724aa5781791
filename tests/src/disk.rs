//! A real full disk for the tests: a small tmpfs mounted on a data directory, and a file that
//! fills it. Mounting needs root (or CAP_SYS_ADMIN), as CI has; without it [`Tmpfs::mount`]
//! fails the test and says why rather than skipping it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small tmpfs mounted on a directory, unmounted when dropped.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`12m`) on `dir`; panics, saying why, when it cannot.
    pub fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).expect("create the mount point");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test fills a real filesystem: it mounts a {size} tmpfs on the data directory, \
             which needs root (or CAP_SYS_ADMIN), as CI runs it. `mount` said: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs {
            dir: dir.to_owned(),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily, so that a process still holding a file (a failed test's server) cannot keep it.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Writes `path` until the filesystem has no room left; returns how many bytes it took.
pub fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("create the filler");
    let mut written = 0;
    for chunk in [1 << 20, 4096, 1] {
        let block = vec![0x5a_u8; chunk];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(e) => panic!("filling the disk failed otherwise: {e}"),
            }
        }
    }
    let _ = file.sync_all();
    written
}
