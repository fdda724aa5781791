//! Desktop notifications when the admin must act, end to end: the real app on the test's private
//! D-Bus session, whose notification server is a stand-in (`notifications_standin`) that records
//! what the app sends and clicks a notification as the admin would.
use scimdesk_tests::app::{one_at_a_time, App};
use scimdesk_tests::notifications_standin::{NotificationsStandin, Notified};
use scimdesk_tests::*;

/// Okta, calling the connection at the base URL the running app gives it.
fn okta_of(desk: &Desk, conn: &Connection) -> Okta {
    let listed = desk.cli_json(&["connection", "list"]);
    let base_url = listed[0]["base_url"].as_str().expect("a base URL");
    Okta::new(base_url, &conn.token)
}

/// Okta pushes a new hire (`given`) whose username, jane@corp.example, another employee already
/// has: 409, which only the admin can fix. The answer comes after the app decided on its notice.
fn push_duplicate(okta: &Okta, given: &str) {
    let mut user = okta_user("jane@corp.example", given, "Doe");
    user["externalId"] = json!(okta_id(given));
    okta.post("/Users", &user)
        .assert_scim_error(409, Some("uniqueness"));
}

/// The app was killed at 22:10 yesterday (UTC) and is started now: its first beat finds the
/// night-long gap, as after a real night.
fn killed_last_night(desk: &Desk) {
    let db = rusqlite::Connection::open(desk.data_dir().join("scimdesk.db")).unwrap();
    db.execute(
        "INSERT INTO heartbeat (id, beat_at, clean_stop, interval_ms) \
         VALUES (1, strftime('%Y-%m-%dT22:10:00.000Z', 'now', '-1 day'), 0, 30000) \
         ON CONFLICT(id) DO UPDATE SET beat_at = excluded.beat_at, clean_stop = 0",
        [],
    )
    .unwrap();
}

fn hash(app: &App) -> String {
    app.eval("return window.location.hash;", vec![])
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn assert_from_the_app(n: &Notified) {
    assert_eq!(n.app_name, "scimdesk-app", "{n:?}");
    assert!(n.offers_click(), "a click opens its page: {n:?}");
}

#[test]
fn a_failed_push_is_one_notification_an_hour_and_a_click_opens_the_activity_page() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    let turn = one_at_a_time();
    let standin = NotificationsStandin::start();
    let app = App::launch_in_turn(turn, &desk, "notify_failed_push", &[]);
    let okta = okta_of(&desk, &conn);
    okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe"));
    assert!(standin.calls().is_empty(), "a success is no notification");

    push_duplicate(&okta, "Janet");
    let shown = standin.wait_for(1);
    let n = &shown[0];
    assert_from_the_app(n);
    assert_eq!(n.summary, "An Okta push failed");
    assert!(
        n.body
            .starts_with("Okta: jane@corp.example could not be saved — another employee"),
        "{}",
        n.body
    );
    assert!(n.body.contains("Dashboard › Tasks"), "{}", n.body);

    // Another one within the hour: answered (so decided on), and no second notification.
    push_duplicate(&okta, "Jana");
    assert_eq!(standin.calls().len(), 1, "{:?}", standin.calls());

    // The admin is elsewhere in the app and clicks the notification.
    app.go("#/employees");
    app.wait_for("employee-row");
    standin.invoke(n.id, "default");
    app.wait_until("the Activity page opens", |app| hash(app) == "#/activity");
    app.wait_until("both failures listed", |app| {
        app.all("activity-summary")
            .iter()
            .filter(|s| app.text_of(s).starts_with("Could not"))
            .count()
            == 2
    });
    app.screenshot("activity-opened-from-the-notification");

    // Settings › Notifications says when it last notified.
    app.go("#/settings/notifications");
    let line = app.wait_for_css("[data-testid=\"notice-kind\"][data-kind=\"push_failed\"]");
    app.wait_until("the push's line says it notified", |app| {
        app.text_of(&line).contains("Last notified")
    });
    let window = app.wait_for_css("[data-testid=\"notice-kind\"][data-kind=\"window_ended\"]");
    assert!(app.text_of(&window).contains("Not notified yet"));
    app.screenshot("notifications-settings");

    // Quit and started again within the hour: the next failure is still not notified.
    let turn = app.quit_keeping_turn();
    let app = App::launch_in_turn(turn, &desk, "notify_failed_push_restarted", &[]);
    let okta = okta_of(&desk, &conn);
    push_duplicate(&okta, "Joan");
    assert_eq!(standin.calls().len(), 1, "{:?}", standin.calls());
    drop(app);
    drop(standin);
}

#[test]
fn a_window_that_ended_is_one_notification_and_a_click_opens_the_okta_page() {
    let desk = Desk::new();
    desk.add_connection("Okta production");
    killed_last_night(&desk);
    let turn = one_at_a_time();
    let standin = NotificationsStandin::start();
    let app = App::launch_in_turn(turn, &desk, "notify_window_ended", &[]);
    let shown = standin.wait_for(1);
    let n = &shown[0];
    assert_from_the_app(n);
    assert_eq!(n.summary, "Okta couldn't reach SCIM Desk");
    assert!(
        n.body.starts_with("For ")
            && n.body
                .contains(" SCIM Desk was not running, so Okta's pushes may have failed."),
        "{}",
        n.body
    );

    app.go("#/employees");
    app.wait_for("employees-empty");
    standin.invoke(n.id, "default");
    app.wait_until("the Okta page opens", |app| {
        hash(app) == "#/settings/integrations/okta"
    });
    app.wait_for("reachability-row");
    app.screenshot("okta-page-opened-from-the-notification");
    assert_eq!(standin.calls().len(), 1, "{:?}", standin.calls());
    drop(app);
    drop(standin);
}

#[test]
fn no_notification_while_the_switch_is_off_and_the_next_one_once_it_is_on() {
    let desk = Desk::new();
    let conn = desk.add_connection("Okta");
    desk.cli_ok(&["config", "set", "notifications", "off"]);
    killed_last_night(&desk);
    let turn = one_at_a_time();
    let standin = NotificationsStandin::start();
    let app = App::launch_in_turn(turn, &desk, "notify_off", &[]);
    // The night's window was recorded (the app's banner tells it), and two failed pushes were
    // answered: each decided on, none notified.
    app.wait_for("reachability-banner");
    let okta = okta_of(&desk, &conn);
    okta.create_user(&okta_user("jane@corp.example", "Jane", "Doe"));
    push_duplicate(&okta, "Janet");
    push_duplicate(&okta, "Jana");
    assert!(standin.calls().is_empty(), "{:?}", standin.calls());

    // Settings › Notifications: off, and nothing notified.
    app.go("#/settings/notifications");
    let switch = app.wait_for("notifications-switch");
    assert_eq!(app.attr(&switch, "aria-checked").as_deref(), Some("false"));
    assert_eq!(app.all("notice-kind").len(), 3);
    for line in app.all("notice-kind") {
        assert!(app.text_of(&line).contains("Not notified yet"));
    }
    app.screenshot("notifications-off");

    // Turned on in the app: the next failure is notified at once — and it is the only one,
    // so nothing was raised for the window while the switch was off.
    app.click("notifications-switch");
    app.wait_until("the switch is on", |app| {
        app.attr(&app.wait_for("notifications-switch"), "aria-checked")
            .as_deref()
            == Some("true")
    });
    push_duplicate(&okta, "Joan");
    let shown = standin.wait_for(1);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].summary, "An Okta push failed");
    assert!(
        shown[0].body.contains("jane@corp.example"),
        "{}",
        shown[0].body
    );
    assert_eq!(
        desk.cli_json(&["config", "show"])["notifications"],
        json!("on"),
        "the CLI sees the switch the app set"
    );
    drop(app);
    drop(standin);
}
