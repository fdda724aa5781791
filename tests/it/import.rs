//! Import: Okta pages through `GET /Users?startIndex=…&count=100` until it has
//! `totalResults` users.

use std::collections::HashSet;
use std::thread;

use scimdesk_tests::*;

/// Creates `n` users (8 at a time) and returns their ids in creation order.
fn provision(okta: &Okta, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(8) {
        // Each chunk is created concurrently but the chunks in order, so the
        // creation order across chunks is known.
        let created: Vec<(usize, String)> = thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|&i| {
                    scope.spawn(move || {
                        let email = format!("user{i:03}@corp.example");
                        let user =
                            okta.create_user(&okta_user(&email, "User", &format!("N{i:03}")));
                        (i, id_of(&user))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        ids.extend(created.into_iter().map(|(_, id)| id));
    }
    ids
}

fn page_through(okta: &Okta, total: u64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut start = 1;
    while start <= total {
        let page = okta.get(&format!("/Users?startIndex={start}&count=100"));
        let body = page.expect(200);
        assert_eq!(counter(body, "totalResults"), total, "{page}");
        assert_eq!(counter(body, "startIndex"), start, "{page}");
        let page_ids = ids(body);
        assert_eq!(
            counter(body, "itemsPerPage"),
            page_ids.len() as u64,
            "itemsPerPage counts this page\n{page}"
        );
        assert_eq!(
            page_ids.len() as u64,
            (total - start + 1).min(100),
            "{page}"
        );
        seen.extend(page_ids);
        start += 100;
    }
    seen
}

#[test]
fn import_pages_through_250_users_stably() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let created = provision(&okta, 250);

    let first = page_through(&okta, 250);
    let unique: HashSet<&String> = first.iter().collect();
    assert_eq!(unique.len(), 250, "no user appears on two pages");
    let expected: HashSet<&String> = created.iter().collect();
    assert_eq!(unique, expected, "every provisioned user is imported");

    let second = page_through(&okta, 250);
    assert_eq!(first, second, "the same order on a second import");
    assert_eq!(desk.employees().len(), 250);
}

#[test]
fn import_order_is_creation_order() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    // One at a time so creation order is unambiguous.
    let created: Vec<String> = (0..30)
        .map(|i| {
            let email = format!("z{:02}-{}@corp.example", 29 - i, i);
            id_of(&okta.create_user(&okta_user(&email, "Z", "Z")))
        })
        .collect();
    let mut seen = Vec::new();
    for start in [1, 11, 21] {
        seen.extend(ids(okta
            .get(&format!("/Users?startIndex={start}&count=10"))
            .expect(200)));
    }
    assert_eq!(seen, created, "pages list users in creation order");
}

#[test]
fn list_parameters_at_their_edges() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    let created: Vec<String> = (0..5)
        .map(|i| id_of(&okta.create_user(&okta_user(&format!("e{i}@corp.example"), "E", "E"))))
        .collect();

    // count=0: the totals only.
    let totals = okta.get("/Users?count=0");
    let body = totals.expect(200);
    assert_eq!(counter(body, "totalResults"), 5, "{totals}");
    assert_eq!(counter(body, "itemsPerPage"), 0, "{totals}");
    assert!(resources(body).is_empty(), "{totals}");

    // startIndex below 1 counts as 1.
    let zero = okta.get("/Users?startIndex=0&count=2");
    let body = zero.expect(200);
    assert_eq!(counter(body, "startIndex"), 1, "{zero}");
    assert_eq!(ids(body), created[..2].to_vec(), "{zero}");
    let negative = okta.get("/Users?startIndex=-5&count=2");
    assert_eq!(
        ids(negative.expect(200)),
        created[..2].to_vec(),
        "{negative}"
    );

    // A huge count is clamped, not an error.
    let huge = okta.get("/Users?startIndex=1&count=5000");
    let body = huge.expect(200);
    assert_eq!(ids(body).len(), 5, "{huge}");
    assert!(counter(body, "itemsPerPage") <= 1000, "{huge}");

    // Past the end: an empty page, still with the total.
    let past = okta.get("/Users?startIndex=100&count=10");
    let body = past.expect(200);
    assert_eq!(counter(body, "totalResults"), 5, "{past}");
    assert!(resources(body).is_empty(), "{past}");
}

#[test]
fn a_count_above_1000_is_clamped_to_1000() {
    let desk = Desk::new();
    let _server = desk.serve();
    let okta = Okta::for_connection(&desk.add_connection("Okta"));
    // 1001 users, 16 creators at a time.
    thread::scope(|scope| {
        for t in 0..16 {
            let okta = &okta;
            scope.spawn(move || {
                for i in (t..1001).step_by(16) {
                    let email = format!("bulk{i:04}@corp.example");
                    okta.create_user(&okta_user(&email, "Bulk", "User"));
                }
            });
        }
    });
    let r = okta.get("/Users?startIndex=1&count=5000");
    let body = r.expect(200);
    assert_eq!(counter(body, "totalResults"), 1001);
    assert_eq!(
        counter(body, "itemsPerPage"),
        1000,
        "count is clamped to 1000"
    );
    assert_eq!(resources(body).len(), 1000);
    let rest = okta.get("/Users?startIndex=1001&count=5000");
    assert_eq!(ids(rest.expect(200)).len(), 1);
}
