//! PATCH paths: any text either parses or is a 400 `invalidPath`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scimdesk::scim::patch_path::parse_patch_path;
use scimdesk::scim::ScimType;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = parse_patch_path(input) {
        assert_eq!(e.status, 400, "{e:?}");
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{e:?}");
    }
});
