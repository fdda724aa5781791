//! Group push: what Okta sends when an admin pushes a group and changes its
//! members, in both the PATCH (Test App) and PUT (wizard app) styles
//! (`tests/fixtures/okta/group_push.json`), and what it sends at scale.

use scimdesk_tests::*;

/// The conversation is `tests/fixtures/okta/group_push.json`; the admin still sees the three
/// members once the group is gone.
#[test]
fn group_push_lifecycle() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let mut push = okta.conversation("okta/group_push.json");
    okta.replay(&mut push, None);
    assert_eq!(desk.employees().len(), 3);
}

#[test]
fn unknown_group_is_a_scim_404() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let path = format!("/Groups/{}", unknown_id());
    okta.get(&path).assert_scim_error(404, None);
    okta.patch_ops(
        &path,
        json!([{ "op": "replace", "path": "members", "value": [] }]),
    )
    .assert_scim_error(404, None);
    okta.raw(
        "DELETE",
        &path,
        &[("Content-Type", OKTA_CONTENT_TYPE)],
        None,
    )
    .assert_scim_error(404, None);
}

/// Okta pushes "All employees" in batches: a PATCH adding thousands of members at once, then
/// batches that remove a thousand with `members[value eq "…"]` and add them back. Each batch
/// changes exactly its members, the count follows, and the group answers whole (or without its
/// members when asked) after every batch, while other requests are served meanwhile.
#[test]
fn a_large_group_is_pushed_and_changed_in_batches() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    desk.cli_ok(&["dev", "seed", "12000", "--connection", "Okta"]);
    let mut everyone: Vec<String> = desk
        .employees()
        .iter()
        .map(|e| s(e, "id").to_owned())
        .collect();
    everyone.sort();
    assert_eq!(everyone.len(), 12_000);
    let group = okta.post(
        "/Groups",
        &json!({"schemas": [GROUP_SCHEMA], "displayName": "All employees", "members": []}),
    );
    let gid = id_of(group.expect(201));
    let gpath = format!("/Groups/{gid}");

    // Everyone in one batch (about 0.8 MB), answered 204 with the new version.
    let all: Vec<Value> = everyone
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"value": id, "display": format!("e{i}")}))
        .collect();
    let r = okta.patch_ops(
        &gpath,
        json!([{"op": "add", "path": "members", "value": all}]),
    );
    assert_eq!(r.status, 204, "{r}");
    assert!(r.header("etag").is_some(), "{r}");
    let whole = okta.get(&gpath);
    assert_eq!(member_ids(whole.expect(200)), everyone);

    // A batch of a thousand removals, one operation each, as Okta sends them; and back.
    let batch = &everyone[5000..6000];
    let removes: Vec<Value> = batch
        .iter()
        .map(|id| json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")}))
        .collect();
    let r = okta.patch_ops(&gpath, Value::Array(removes));
    assert_eq!(r.status, 204, "{r}");
    let left = member_ids(okta.get(&gpath).expect(200));
    assert_eq!(left.len(), 11_000);
    assert!(batch.iter().all(|id| left.binary_search(id).is_err()));
    let r = okta.patch_ops(
        &gpath,
        json!([{"op": "add", "path": "members", "value": batch.iter().map(|id| json!({"value": id})).collect::<Vec<_>>()}]),
    );
    assert_eq!(r.status, 204, "{r}");
    assert_eq!(member_ids(okta.get(&gpath).expect(200)), everyone);
    // A member added again without a display keeps the one it has; one removed and added
    // back has only what it was added back with.
    let r = okta.patch_ops(
        &gpath,
        json!([{"op": "add", "path": "members", "value": [{"value": everyone[4000]}]}]),
    );
    assert_eq!(r.status, 204, "{r}");
    let members = okta.get(&gpath).expect(200)["members"].clone();
    assert_eq!(members[4000]["display"], "e4000");
    assert_eq!(members[5000].get("display"), None, "{}", members[5000]);

    // Without its members, the group is a few hundred bytes.
    let light = okta.get(&format!("{gpath}?excludedAttributes=members"));
    let light_group = light.expect(200);
    assert!(light_group.get("members").is_none(), "{light}");
    assert!(light.text.len() < 1000, "{}", light.text.len());
    let listed = okta.get(&format!(
        "/Groups?filter={}&excludedAttributes=members",
        encode_filter("displayName eq \"all employees\"")
    ));
    assert_eq!(ids(listed.expect(200)), vec![gid.clone()]);

    // The activity log counts what each batch changed.
    let activity = desk.cli_ok(&["activity", "list", "--limit", "3"]);
    assert!(
        activity.contains("0 added, 1000 removed, 11000 members")
            && activity.contains("1000 added, 0 removed, 12000 members"),
        "{activity}"
    );
    // Entra's older shape removes exactly the members listed.
    let r = okta.patch_ops(
        &gpath,
        json!([{"op": "Remove", "path": "members", "value": [{"value": everyone[0]}, {"value": everyone[1]}]}]),
    );
    assert_eq!(r.status, 204, "{r}");
    assert_eq!(
        member_ids(okta.get(&gpath).expect(200)),
        everyone[2..].to_vec()
    );
}
