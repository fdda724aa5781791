//! The filter grammar (RFC 7644 §3.4.2.2) beyond Okta's lookups: what Entra
//! and admins' scripts send, evaluated over a small known directory.

use std::collections::BTreeSet;

use scimdesk_tests::*;

struct Directory {
    okta: Okta,
    ann: String,
    ben: String,
    cat: String,
    _server: Server,
    _desk: Desk,
}

fn person(email: &str, given: &str, family: &str, title: Option<&str>, dept: &str) -> Value {
    let mut body = okta_user(email, given, family);
    body["schemas"] = json!([USER_SCHEMA, ENTERPRISE]);
    if let Some(title) = title {
        body["title"] = json!(title);
    }
    body[ENTERPRISE] = json!({ "department": dept });
    body
}

/// Ann (Engineer, Eng), Ben (Senior Engineer, Sales, deactivated), Cat (no
/// title, Eng, another domain).
fn directory() -> Directory {
    let desk = Desk::new();
    let server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let ann = id_of(&okta.create_user(&person(
        "ann@corp.example",
        "Ann",
        "Archer",
        Some("Engineer"),
        "Eng",
    )));
    let ben = id_of(&okta.create_user(&person(
        "ben@corp.example",
        "Ben",
        "Baker",
        Some("Senior Engineer"),
        "Sales",
    )));
    let cat = id_of(&okta.create_user(&person("cat@other.example", "Cat", "Carter", None, "Eng")));
    okta.patch_ops(
        &format!("/Users/{ben}"),
        json!([{ "op": "replace", "value": { "active": false } }]),
    )
    .expect(200);
    Directory {
        okta,
        ann,
        ben,
        cat,
        _server: server,
        _desk: desk,
    }
}

fn matching(okta: &Okta, filter: &str) -> BTreeSet<String> {
    let r = okta.get(&format!(
        "/Users?filter={}&count=100",
        encode_filter(filter)
    ));
    let body = r.expect(200);
    let found: BTreeSet<String> = ids(body).into_iter().collect();
    assert_eq!(
        counter(body, "totalResults") as usize,
        found.len(),
        "totalResults counts the matches for {filter}\n{r}"
    );
    found
}

#[test]
fn filter_grammar_over_a_known_directory() {
    let d = directory();
    let set = |ids: &[&String]| -> BTreeSet<String> { ids.iter().map(|s| s.to_string()).collect() };
    let (ann, ben, cat) = (&d.ann, &d.ben, &d.cat);
    let ext_ann = okta_id("ann@corp.example");
    let id_filter = format!(r#"id eq "{ann}""#);
    let ext_filter = format!(r#"externalId eq "{ext_ann}""#);

    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        (r#"userName eq "ANN@corp.example""#, set(&[ann])),
        (r#"USERNAME EQ "ann@corp.example""#, set(&[ann])),
        (r#"userName ne "ann@corp.example""#, set(&[ben, cat])),
        (r#"userName sw "b""#, set(&[ben])),
        (r#"userName ew "other.example""#, set(&[cat])),
        (r#"userName co "corp""#, set(&[ann, ben])),
        (r#"title pr"#, set(&[ann, ben])),
        (r#"not (title pr)"#, set(&[cat])),
        (r#"active eq false"#, set(&[ben])),
        (r#"active eq true and title pr"#, set(&[ann])),
        (
            r#"name.familyName eq "Carter" or name.givenName eq "Ann""#,
            set(&[ann, cat]),
        ),
        // `and` binds tighter than `or` ...
        (
            r#"userName eq "ann@corp.example" or userName eq "ben@corp.example" and active eq false"#,
            set(&[ann, ben]),
        ),
        // ... unless parentheses say otherwise.
        (
            r#"(userName eq "ann@corp.example" or userName eq "ben@corp.example") and active eq false"#,
            set(&[ben]),
        ),
        (
            r#"emails[type eq "work" and value co "other"]"#,
            set(&[cat]),
        ),
        (id_filter.as_str(), set(&[ann])),
        (ext_filter.as_str(), set(&[ann])),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Eng""#,
            set(&[ann, cat]),
        ),
        (
            r#"meta.lastModified gt "2000-01-01T00:00:00Z""#,
            set(&[ann, ben, cat]),
        ),
        // title is not caseExact: string operators ignore case.
        (r#"title sw "senior""#, set(&[ben])),
        (r#"userName eq "nobody@corp.example""#, set(&[])),
    ];

    let mut failures = Vec::new();
    for (filter, expected) in &cases {
        let got = matching(&d.okta, filter);
        if &got != expected {
            failures.push(format!(
                "{filter}\n    expected {expected:?}\n    got      {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "filters that matched the wrong users (ann={ann}, ben={ben}, cat={cat}):\n{}",
        failures.join("\n")
    );
}
