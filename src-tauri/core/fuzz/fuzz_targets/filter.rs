//! The `filter` query parameter (and `.search` bodies): any text either parses or is a 400
//! `invalidFilter`; a parsed filter can be evaluated against a user and translated to SQL
//! without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scimdesk::db::sql::Dialect;
use scimdesk::directory::sql_filter::{group_filter_sql, user_filter_sql};
use scimdesk::scim::filter::parse_filter;
use scimdesk::scim::ScimType;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse_filter(input) {
        Ok(filter) => {
            let user = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "jane@corp.example",
                "name": { "givenName": "Jane", "familyName": "Doe" },
                "emails": [{ "primary": true, "value": "jane@corp.example", "type": "work" }],
                "active": true,
                "meta": { "lastModified": "2026-11-29T11:09:08.123Z" },
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                    "department": "Sales", "manager": { "value": "boss@corp.example" }
                }
            });
            let _ = filter.matches(&user);
            let _ = filter.to_string();
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                for sql in [
                    user_filter_sql(&filter, dialect),
                    group_filter_sql(&filter, dialect),
                ] {
                    if let Err(e) = sql {
                        assert_eq!(e.status, 400, "{e:?}");
                    }
                }
            }
        }
        Err(e) => {
            assert_eq!(e.status, 400, "{e:?}");
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{e:?}");
        }
    }
});
