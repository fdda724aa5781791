//! The disk holding the data directory fills up: Okta's writes are answered 503 with
//! `Retry-After` and a detail that says the disk is full, nothing already written is lost, reads
//! go on, and writes go through again as soon as space is freed.
//!
//! On a real full filesystem: a 12 MiB tmpfs mounted on the data directory and filled with a
//! file. Mounting needs root (CAP_SYS_ADMIN), which CI has; without it the test fails and says
//! why, rather than skipping.

use scimdesk_tests::disk::{fill, Tmpfs};
use scimdesk_tests::*;

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_503_with_retry_after_and_writes_resume_when_space_returns() {
    let desk = Desk::new();
    let _disk = Tmpfs::mount(&desk.data_dir(), "12m");
    let server = desk.serve();
    let conn = desk.add_connection("Okta");
    let okta = Okta::for_connection(&conn);
    let kept = okta.create_user(&okta_user("before@corp.example", "Be", "Fore"));

    let filler = desk.data_dir().join("filler");
    let taken = fill(&filler);
    assert!(taken > 1 << 20, "the disk had room to fill: {taken} bytes");
    // SQLite may still find room in pages it already has; the first write that needs a new one
    // is refused. (A bound on the attempts, not a time.)
    let mut refused = None;
    for i in 0..500 {
        let r = okta.post(
            "/Users",
            &okta_user(&format!("full{i}@corp.example"), "Full", "Disk"),
        );
        match r.status {
            201 => continue,
            _ => {
                refused = Some((i, r));
                break;
            }
        }
    }
    let (i, r) = refused.expect("a write was refused once the disk was full");
    r.assert_scim_error(503, None);
    let detail = s(&r.json, "detail");
    assert!(
        detail.contains("disk") && detail.contains("full"),
        "the detail says the disk is full: {r}"
    );
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a Retry-After in seconds: {r}"));
    assert!(retry > 0, "{r}");

    // Reads go on, and what was written stays.
    assert_eq!(okta.user(&id_of(&kept))["userName"], "before@corp.example");
    okta.find_users("userName eq \"before@corp.example\"")
        .expect(200);

    // Space returns: Okta's retry goes through, and nothing was half-written.
    std::fs::remove_file(&filler).expect("free the space");
    let retried = okta_user(&format!("full{i}@corp.example"), "Full", "Disk");
    let created = eventually("the retried write goes through", || {
        let r = okta.post("/Users", &retried);
        match r.status {
            201 => Ok(r.json.clone()),
            _ => Err(r.to_string()),
        }
    });
    assert_eq!(created["userName"], format!("full{i}@corp.example"));
    okta.post("/Users", &okta_user("after@corp.example", "Af", "Ter"))
        .expect(201);
    let emails: Vec<String> = desk
        .employees()
        .iter()
        .map(|e| s(e, "email").to_owned())
        .collect();
    assert!(
        emails.contains(&"before@corp.example".to_owned()),
        "{emails:?}"
    );
    assert!(
        emails.contains(&"after@corp.example".to_owned()),
        "{emails:?}"
    );
    assert_eq!(emails.len(), i + 3, "{emails:?}");
    drop(server);
}
