//! PATCH request bodies: read as the server reads them, applied to an Okta user and an Okta
//! group, and the result mapped to an employee, as `PATCH /Users/{id}` and `/Groups/{id}` do.
//! Every refusal is a SCIM 4xx error; nothing panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scimdesk::directory::mapping::{employee_fields, normalize_group, normalize_user};
use scimdesk::scim::limits::check_resource;
use scimdesk::scim::patch::{apply_patch, parse_patch_request, PatchContext};
use serde_json::{json, Value};

fn user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "userName": "jane@corp.example",
        "name": { "givenName": "Jane", "familyName": "Doe" },
        "emails": [{ "primary": true, "value": "jane@corp.example", "type": "work" }],
        "addresses": [{ "type": "work", "locality": "Lyon" }],
        "title": "Engineer",
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Sales",
            "manager": { "value": "boss@corp.example" }
        }
    })
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Sales",
        "members": [{ "value": "6f1c1e0e-0000-4000-8000-000000000001", "display": "Jane" }]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let ops = match parse_patch_request(&body) {
        Ok(ops) => ops,
        Err(e) => {
            assert!((400..500).contains(&e.status), "{e:?}");
            return;
        }
    };
    let mut u = user();
    match apply_patch(&mut u, &ops, &PatchContext::user()) {
        Ok(()) => {
            if let Ok(doc) = normalize_user(u) {
                let _ = employee_fields(&doc);
                if let Err(e) = check_resource(&doc, None) {
                    assert_eq!(e.status, 400, "{e:?}");
                }
            }
        }
        Err(e) => assert!((400..500).contains(&e.status), "{e:?}"),
    }
    let mut g = group();
    match apply_patch(&mut g, &ops, &PatchContext::group()) {
        Ok(()) => {
            let _ = normalize_group(g);
        }
        Err(e) => assert!((400..500).contains(&e.status), "{e:?}"),
    }
});
