//! Request bodies as `POST`/`PUT /Users`, `/Groups` and `.search` read them: JSON to the user or
//! group document the directory stores, the employee fields mapped from it, the search query,
//! and the projection of an answer. Every refusal is a SCIM 400; nothing panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scimdesk::directory::mapping::{employee_fields, normalize_group, normalize_user};
use scimdesk::scim::limits::check_body;
use scimdesk::scim::list::from_search_body;
use scimdesk::scim::schema::{self, ResourceKind};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Err(e) = check_body(&body) {
        assert_eq!(e.status, 400, "{e:?}");
    }
    let (attributes, excluded) = match from_search_body(&body) {
        Ok(q) => (q.attributes, q.excluded_attributes),
        Err(e) => {
            assert_eq!(e.status, 400, "{e:?}");
            (Vec::new(), Vec::new())
        }
    };
    match normalize_user(body.clone()) {
        Ok(doc) => {
            let _ = employee_fields(&doc);
            let _ = schema::project(
                &Value::Object(doc),
                &attributes,
                &excluded,
                ResourceKind::User,
            );
        }
        Err(e) => assert_eq!(e.status, 400, "{e:?}"),
    }
    match normalize_group(body) {
        Ok(doc) => {
            let _ = schema::project(
                &Value::Object(doc),
                &attributes,
                &excluded,
                ResourceKind::Group,
            );
        }
        Err(e) => assert_eq!(e.status, 400, "{e:?}"),
    }
});
