//! Every identity-provider conversation of `tests/fixtures/`, replayed against `scimdesk serve`
//! over loopback, each on a directory of its own: a new fixture file runs here (and in the
//! core's in-process tests) with no code. The tests named for a conversation (`groups::`,
//! `okta_spec::`, `patch_lifecycle::`, `wizard_lifecycle::`, `protocol::`, `entra_users::`,
//! `entra_groups::`) replay the same
//! fixtures step by step and check between the steps what the admin sees.

use scimdesk_tests::*;

#[test]
fn every_identity_provider_conversation_replays_against_the_binary() {
    let fixtures = conversation::fixtures(&workspace_root().join("tests/fixtures"));
    assert!(
        fixtures.len() >= 5,
        "{:?}",
        fixtures.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (name, _) in fixtures {
        let desk = Desk::new();
        let _server = desk.serve();
        let idp = Okta::for_connection(&desk.add_connection(&name));
        let mut conversation = idp.conversation(&name);
        idp.replay(&mut conversation, None);
    }
}
