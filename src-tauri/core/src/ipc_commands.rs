// The app's IPC contract, declared once: every command the webview may call, the arguments it
// sends (Tauri names them in camelCase in JavaScript: `suggested_name` is `suggestedName`) and
// what it gets back. Each command answers `Result<result, views::AppError>`.
//
// `ipc_commands!(then)` hands this table to the macro `then`:
// - the shell (`src-tauri/src/ipc.rs`) makes each line a Tauri command calling the function of
//   the same name in `src-tauri/src/commands.rs`, and registers them all;
// - the shell's build script (`src-tauri/build.rs`, which includes this file) names them to
//   Tauri's ACL, as `allow-<command>` permissions;
// - the bindings test (`bindings.rs`) writes `ui/src/commands.ts` (the TypeScript table the UI
//   and its mock call through) and `src-tauri/capabilities/default.json` (the grant of each).
//
// Adding a command: a line here, its function in commands.rs (usually one call into `views`),
// then `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings`.
//
// This file holds only the macro, so that build.rs can `include!` it too (a build script cannot
// use the crate it builds). In the core it is the module `ipc_commands`.

/// The IPC contract: `ipc_commands!(then)` calls `then! { name(arg: Type, …) -> Result; … }`.
#[macro_export]
macro_rules! ipc_commands {
    ($then:ident) => {
        $then! {
            /// The app's state at a glance: each provider's switch, counts, the endpoint, a full
            /// disk.
            overview() -> Overview;
            /// Turns one identity provider's integration on or off (its connections only);
            /// answers the new overview.
            set_provider_enabled(provider: Provider, enabled: bool) -> Overview;
            endpoint_status() -> EndpointStatus;
            /// Moves the endpoint to another loopback port (1024–65535) and restarts it there.
            change_port(port: u32) -> EndpointStatus;

            list_connections() -> Vec<ConnectionView>;
            /// A connection for `provider`. Refused on the field `name` when the name is empty,
            /// too long or taken (names are unique across providers).
            add_connection(name: String, provider: Provider) -> ConnectionView;
            /// The token, for the admin to reveal or copy; never part of a listing.
            connection_token(id: String) -> String;
            /// A new token for the connection, answered once: the old one is refused at once.
            /// The activity log records it (never the token).
            regenerate_token(id: String) -> String;
            delete_connection(id: String) -> ();
            /// The connection's provider's read-only requests (Okta's, or Entra's Test
            /// Connection), sent through the public URL step by step.
            rehearse_connection(id: String) -> Rehearsal;

            list_employees(query: EmployeeListQuery) -> EmployeeListPage;
            employee_detail(id: String) -> EmployeeDetail;
            /// Opens the system's save dialog (from Rust) for the CSV export, suggesting
            /// `suggested_name`; the path chosen, or null when the admin cancelled. That path,
            /// and no other, may be exported to next.
            choose_export_file(suggested_name: String) -> Option<PathBuf>;
            /// Writes the employees matching `query` (paging ignored) as CSV to the path
            /// `choose_export_file` returned; answers the number of rows.
            export_employees(query: EmployeeListQuery, path: PathBuf) -> u64;
            /// The org chart around `employee_id`: their manager chain, them, their direct
            /// reports with headcounts; the top-level employees when null. Deactivated
            /// employees are listed and counted only with `include_deactivated`.
            org_chart(employee_id: Option<String>, include_deactivated: bool) -> OrgChartView;
            /// Managers named by the identity provider that are not in the directory (yet), with
            /// who waits for each.
            org_unresolved() -> Vec<UnresolvedManager>;
            /// One employee's change history, newest first: a page of events (one per activity
            /// line: time, connection, source, each field's before and after) older than the
            /// line `before`, or the newest when null.
            employee_history(id: String, before: Option<i64>) -> EmployeeHistoryPage;
            /// One employee's directory fields as they were at `at` (RFC 3339, or a date meaning
            /// the end of that day, UTC), read-only. Refused on the field `at` when it is not a
            /// time.
            employee_as_of(id: String, at: String) -> EmployeeAsOf;

            /// The attribute mapping of `provider`: each directory field with its SCIM source
            /// path, custom fields included, and the re-derive under way.
            attribute_mapping(provider: Provider) -> AttributeMapping;
            /// SCIM attribute paths seen in the stored documents of `provider`'s employees, with
            /// example values, most common first.
            mapping_sources(provider: Provider) -> Vec<SeenAttribute>;
            /// Validates and saves the mapping, then re-derives every employee of that provider
            /// in the background. Refused with AppError on the field at fault (`fields.<key>`
            /// e.g. `fields.job_title`, or `fields.<key>.label`, `fields.<key>.path`); nothing
            /// changes then.
            save_attribute_mapping(provider: Provider, input: MappingInput) -> AttributeMapping;
            /// Restores the default mapping of `provider` (its custom fields are unmapped; a
            /// custom field no provider maps any more is removed); re-derives.
            reset_attribute_mapping(provider: Provider) -> AttributeMapping;
            /// The mapping as pretty JSON, for the admin to save.
            export_attribute_mapping(provider: Provider) -> String;
            /// Validates and saves a mapping from its JSON (as export wrote it); refused with a
            /// readable error (field `json` for unreadable JSON).
            import_attribute_mapping(provider: Provider, json: String) -> AttributeMapping;

            list_activity(filter: ActivityFilter) -> Vec<ActivityEntry>;
            /// What the activity log keeps (days, lines) and how large it is now.
            activity_settings() -> ActivitySettings;
            /// Refused on the field `days` or `lines` when a number is out of range; nothing
            /// changes then.
            set_activity_retention(retention: Retention) -> ActivitySettings;

            tunnel_status() -> TunnelStatus;
            /// Refused on the field at fault (`url`, `hostname`, `token`, `domain`, `authtoken`).
            set_tunnel(input: TunnelInput) -> TunnelStatus;
            /// The admin pasted the new base URLs into Okta: the URL change is no longer shown.
            acknowledge_url_change() -> TunnelStatus;

            /// The last windows in which Okta could not reach SCIM Desk, newest first.
            reachability_windows() -> Vec<ReachabilityWindow>;
            /// The admin dismissed the banner about window `id`; answers the windows.
            dismiss_reachability_window(id: i64) -> Vec<ReachabilityWindow>;

            /// *Settings › General*: starting at login (read from the system's login entry) and
            /// keeping the computer awake.
            general_settings() -> GeneralSettings;
            /// Writes (on) or removes (off) the system's login entry, which starts SCIM Desk in
            /// the tray; the question after the first connection is not asked again.
            set_start_at_login(enabled: bool) -> GeneralSettings;
            /// The admin answered "Not now" to starting at login: it is not asked again.
            start_at_login_offered() -> GeneralSettings;
            /// Keeps the computer from sleeping while Okta can provision (on), or not (off).
            set_keep_awake(enabled: bool) -> GeneralSettings;
            /// The connection's reconcile with Okta: its API setup, a run going on (with its
            /// progress), the last run and the head of the last report.
            reconcile_state(connection_id: String) -> ReconcileState;
            /// Checks the org URL, app id (or the app's admin URL) and API token by reading the
            /// app from Okta, then keeps them (the token in the keychain only). Refused on the
            /// field at fault (`org_url`, `app_id`, `token`); nothing is kept then.
            set_okta_api(connection_id: String, input: OktaApiInput) -> OktaApiSetup;
            /// Removes the connection's Okta API setup and its token.
            clear_okta_api(connection_id: String) -> ();
            /// Starts a dry run (it changes nothing); refused while another reconcile runs.
            start_reconcile(connection_id: String) -> ReconcileState;
            /// Stops the connection's run; refused once an Apply is writing.
            cancel_reconcile(connection_id: String) -> ReconcileState;
            /// Re-reads Okta and makes the directory match it for the rows with these keys, or
            /// every row when null. A selected row in step by then counts as already in step.
            apply_reconcile(connection_id: String, keys: Option<Vec<String>>) -> ReconcileState;
            /// A page of one kind of rows of the connection's last report.
            reconcile_rows(connection_id: String, query: RowsQuery) -> RowsPage;
            /// Writes the connection's last report as CSV to the path `choose_export_file`
            /// returned; answers the number of rows.
            export_reconcile(connection_id: String, path: PathBuf) -> u64;
            /// How often SCIM Desk reconciles by itself (a dry run of every connection with Okta
            /// API access): off, every 6 hours, daily (the default) or weekly.
            reconcile_schedule() -> ReconcileSchedule;
            set_reconcile_schedule(schedule: ReconcileSchedule) -> ReconcileSchedule;
            /// *Settings › Notifications*: whether desktop notifications are on, and when each
            /// kind last notified.
            notification_settings() -> NotificationSettings;
            /// Turns the desktop notifications on or off; answers the settings.
            set_notifications_enabled(enabled: bool) -> NotificationSettings;
        }
    };
}
