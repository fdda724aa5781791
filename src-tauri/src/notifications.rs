//! The core's notices (`scimdesk::notices`) as desktop notifications, through Tauri's
//! notification plugin; a click on one opens the page that explains it.
//!
//! On Linux the plugin shows them over D-Bus (`org.freedesktop.Notifications`, through
//! `notify-rust`'s connection) and, once an action handler is registered, offers the `default`
//! action and reports the server's `ActionInvoked` for it as the action `tap`: that is the click
//! on the notification itself. The route travels in the notification's `extra` payload.

use scimdesk::notices::Notice;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::{show_main_window, MAIN_WINDOW};

/// The key of the route in a notification's `extra` payload.
const ROUTE: &str = "route";

/// Shows every notice `notices` receives, and opens its page when it is clicked.
pub fn show(app: &AppHandle, mut notices: broadcast::Receiver<Notice>) {
    let opener = app.clone();
    // Registered before the first notification, so that each offers the click.
    let registered = app.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        let route = performed
            .notification()
            .and_then(|n| n.extra().get(ROUTE))
            .and_then(|r| r.as_str())
            .map(str::to_owned);
        if let Some(route) = route {
            open(&opener, &route);
        }
    });
    if let Err(e) = registered {
        tracing::warn!(error = %e, "notifications will not open their page when clicked");
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let notice = match notices.recv().await {
                Ok(n) => n,
                // Notices are rare (one a kind an hour): none is lost in practice.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            };
            let shown = app
                .notification()
                .builder()
                .title(&notice.title)
                .body(&notice.body)
                .extra(ROUTE, &notice.route)
                .show();
            if let Err(e) = shown {
                tracing::warn!(error = %e, "could not show a desktop notification");
            }
        }
    });
}

/// Shows the window on `route`, a page of the app (`#/…`); anything else is ignored.
fn open(app: &AppHandle, route: &str) {
    if !is_route(route) {
        return;
    }
    show_main_window(app);
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        // A JSON string is a JavaScript string literal: the route cannot break out of it.
        let script = format!("window.location.hash = {};", serde_json::Value::from(route));
        if let Err(e) = window.eval(&script) {
            tracing::warn!(error = %e, "could not open the notification's page");
        }
    }
}

/// A hash route of the app: `#/` then letters, digits, `-` and `/`.
fn is_route(route: &str) -> bool {
    route.strip_prefix("#/").is_some_and(|rest| {
        rest.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_app_s_own_routes_are_opened() {
        assert!(is_route("#/activity"));
        assert!(is_route("#/settings/integrations/okta"));
        assert!(!is_route("https://example.com"));
        assert!(!is_route("#/x';alert(1)//"));
        assert!(!is_route("activity"));
    }
}
