// Generated from the IPC contract (src-tauri/core/src/ipc_commands.rs) by
// `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings`, which fails when this file is
// stale. Do not edit: change the contract and regenerate.
import type { ActivityEntry } from "./bindings/ActivityEntry";
import type { ActivityFilter } from "./bindings/ActivityFilter";
import type { ActivitySettings } from "./bindings/ActivitySettings";
import type { AttributeMapping } from "./bindings/AttributeMapping";
import type { ChangeEvent } from "./bindings/ChangeEvent";
import type { ConnectionView } from "./bindings/ConnectionView";
import type { EmployeeAsOf } from "./bindings/EmployeeAsOf";
import type { EmployeeDetail } from "./bindings/EmployeeDetail";
import type { EmployeeHistoryPage } from "./bindings/EmployeeHistoryPage";
import type { EmployeeListQuery } from "./bindings/EmployeeListQuery";
import type { EmployeePage } from "./bindings/EmployeePage";
import type { EndpointStatus } from "./bindings/EndpointStatus";
import type { GeneralSettings } from "./bindings/GeneralSettings";
import type { MappingInput } from "./bindings/MappingInput";
import type { NotificationSettings } from "./bindings/NotificationSettings";
import type { OktaApiInput } from "./bindings/OktaApiInput";
import type { OktaApiSetup } from "./bindings/OktaApiSetup";
import type { OrgChartView } from "./bindings/OrgChartView";
import type { Overview } from "./bindings/Overview";
import type { Provider } from "./bindings/Provider";
import type { ReachabilityWindow } from "./bindings/ReachabilityWindow";
import type { ReconcileRowsPage } from "./bindings/ReconcileRowsPage";
import type { ReconcileRowsQuery } from "./bindings/ReconcileRowsQuery";
import type { ReconcileSchedule } from "./bindings/ReconcileSchedule";
import type { ReconcileState } from "./bindings/ReconcileState";
import type { Rehearsal } from "./bindings/Rehearsal";
import type { Retention } from "./bindings/Retention";
import type { SeenAttribute } from "./bindings/SeenAttribute";
import type { TunnelInput } from "./bindings/TunnelInput";
import type { TunnelStatus } from "./bindings/TunnelStatus";
import type { UnresolvedManager } from "./bindings/UnresolvedManager";

/** Every IPC command: the arguments the webview sends and what it gets back. A command that fails rejects with an `AppError`. */
export type Commands = {
  /**
   * The app's state at a glance: each provider's switch, counts, the endpoint, a full
   * disk.
   */
  overview: { args: Record<never, never>; result: Overview };
  /**
   * Turns one identity provider's integration on or off (its connections only);
   * answers the new overview.
   */
  set_provider_enabled: { args: { provider: Provider; enabled: boolean }; result: Overview };
  endpoint_status: { args: Record<never, never>; result: EndpointStatus };
  /**
   * Moves the endpoint to another loopback port (1024–65535) and restarts it there.
   */
  change_port: { args: { port: number }; result: EndpointStatus };
  list_connections: { args: Record<never, never>; result: Array<ConnectionView> };
  /**
   * A connection for `provider`. Refused on the field `name` when the name is empty,
   * too long or taken (names are unique across providers).
   */
  add_connection: { args: { name: string; provider: Provider }; result: ConnectionView };
  /**
   * The token, for the admin to reveal or copy; never part of a listing.
   */
  connection_token: { args: { id: string }; result: string };
  /**
   * A new token for the connection, answered once: the old one is refused at once.
   * The activity log records it (never the token).
   */
  regenerate_token: { args: { id: string }; result: string };
  delete_connection: { args: { id: string }; result: null };
  /**
   * The connection's provider's read-only requests (Okta's, or Entra's Test
   * Connection), sent through the public URL step by step.
   */
  rehearse_connection: { args: { id: string }; result: Rehearsal };
  list_employees: { args: { query: EmployeeListQuery }; result: EmployeePage };
  employee_detail: { args: { id: string }; result: EmployeeDetail };
  /**
   * Opens the system's save dialog (from Rust) for the CSV export, suggesting
   * `suggested_name`; the path chosen, or null when the admin cancelled. That path,
   * and no other, may be exported to next.
   */
  choose_export_file: { args: { suggestedName: string }; result: string | null };
  /**
   * Writes the employees matching `query` (paging ignored) as CSV to the path
   * `choose_export_file` returned; answers the number of rows.
   */
  export_employees: { args: { query: EmployeeListQuery; path: string }; result: number };
  /**
   * The org chart around `employee_id`: their manager chain, them, their direct
   * reports with headcounts; the top-level employees when null. Deactivated
   * employees are listed and counted only with `include_deactivated`.
   */
  org_chart: { args: { employeeId: string | null; includeDeactivated: boolean }; result: OrgChartView };
  /**
   * Managers named by the identity provider that are not in the directory (yet), with
   * who waits for each.
   */
  org_unresolved: { args: Record<never, never>; result: Array<UnresolvedManager> };
  /**
   * One employee's change history, newest first: a page of events (one per activity
   * line: time, connection, source, each field's before and after) older than the
   * line `before`, or the newest when null.
   */
  employee_history: { args: { id: string; before: number | null }; result: EmployeeHistoryPage };
  /**
   * One employee's directory fields as they were at `at` (RFC 3339, or a date meaning
   * the end of that day, UTC), read-only. Refused on the field `at` when it is not a
   * time.
   */
  employee_as_of: { args: { id: string; at: string }; result: EmployeeAsOf };
  /**
   * The attribute mapping of `provider`: each directory field with its SCIM source
   * path, custom fields included, and the re-derive under way.
   */
  attribute_mapping: { args: { provider: Provider }; result: AttributeMapping };
  /**
   * SCIM attribute paths seen in the stored documents of `provider`'s employees, with
   * example values, most common first.
   */
  mapping_sources: { args: { provider: Provider }; result: Array<SeenAttribute> };
  /**
   * Validates and saves the mapping, then re-derives every employee of that provider
   * in the background. Refused with AppError on the field at fault (`fields.<key>`
   * e.g. `fields.job_title`, or `fields.<key>.label`, `fields.<key>.path`); nothing
   * changes then.
   */
  save_attribute_mapping: { args: { provider: Provider; input: MappingInput }; result: AttributeMapping };
  /**
   * Restores the default mapping of `provider` (its custom fields are unmapped; a
   * custom field no provider maps any more is removed); re-derives.
   */
  reset_attribute_mapping: { args: { provider: Provider }; result: AttributeMapping };
  /**
   * The mapping as pretty JSON, for the admin to save.
   */
  export_attribute_mapping: { args: { provider: Provider }; result: string };
  /**
   * Validates and saves a mapping from its JSON (as export wrote it); refused with a
   * readable error (field `json` for unreadable JSON).
   */
  import_attribute_mapping: { args: { provider: Provider; json: string }; result: AttributeMapping };
  list_activity: { args: { filter: ActivityFilter }; result: Array<ActivityEntry> };
  /**
   * What the activity log keeps (days, lines) and how large it is now.
   */
  activity_settings: { args: Record<never, never>; result: ActivitySettings };
  /**
   * Refused on the field `days` or `lines` when a number is out of range; nothing
   * changes then.
   */
  set_activity_retention: { args: { retention: Retention }; result: ActivitySettings };
  tunnel_status: { args: Record<never, never>; result: TunnelStatus };
  /**
   * Refused on the field at fault (`url`, `hostname`, `token`, `domain`, `authtoken`).
   */
  set_tunnel: { args: { input: TunnelInput }; result: TunnelStatus };
  /**
   * The admin pasted the new base URLs into Okta: the URL change is no longer shown.
   */
  acknowledge_url_change: { args: Record<never, never>; result: TunnelStatus };
  /**
   * The last windows in which Okta could not reach SCIM Desk, newest first.
   */
  reachability_windows: { args: Record<never, never>; result: Array<ReachabilityWindow> };
  /**
   * The admin dismissed the banner about window `id`; answers the windows.
   */
  dismiss_reachability_window: { args: { id: number }; result: Array<ReachabilityWindow> };
  /**
   * *Settings › General*: starting at login (read from the system's login entry) and
   * keeping the computer awake.
   */
  general_settings: { args: Record<never, never>; result: GeneralSettings };
  /**
   * Writes (on) or removes (off) the system's login entry, which starts SCIM Desk in
   * the tray; the question after the first connection is not asked again.
   */
  set_start_at_login: { args: { enabled: boolean }; result: GeneralSettings };
  /**
   * The admin answered "Not now" to starting at login: it is not asked again.
   */
  start_at_login_offered: { args: Record<never, never>; result: GeneralSettings };
  /**
   * Keeps the computer from sleeping while Okta can provision (on), or not (off).
   */
  set_keep_awake: { args: { enabled: boolean }; result: GeneralSettings };
  /**
   * The connection's reconcile with Okta: its API setup, a run going on (with its
   * progress), the last run and the head of the last report.
   */
  reconcile_state: { args: { connectionId: string }; result: ReconcileState };
  /**
   * Checks the org URL, app id (or the app's admin URL) and API token by reading the
   * app from Okta, then keeps them (the token in the keychain only). Refused on the
   * field at fault (`org_url`, `app_id`, `token`); nothing is kept then.
   */
  set_okta_api: { args: { connectionId: string; input: OktaApiInput }; result: OktaApiSetup };
  /**
   * Removes the connection's Okta API setup and its token.
   */
  clear_okta_api: { args: { connectionId: string }; result: null };
  /**
   * Starts a dry run (it changes nothing); refused while another reconcile runs.
   */
  start_reconcile: { args: { connectionId: string }; result: ReconcileState };
  /**
   * Stops the connection's run; refused once an Apply is writing.
   */
  cancel_reconcile: { args: { connectionId: string }; result: ReconcileState };
  /**
   * Re-reads Okta and makes the directory match it for the rows with these keys, or
   * every row when null. A selected row in step by then counts as already in step.
   */
  apply_reconcile: { args: { connectionId: string; keys: Array<string> | null }; result: ReconcileState };
  /**
   * A page of one kind of rows of the connection's last report.
   */
  reconcile_rows: { args: { connectionId: string; query: ReconcileRowsQuery }; result: ReconcileRowsPage };
  /**
   * Writes the connection's last report as CSV to the path `choose_export_file`
   * returned; answers the number of rows.
   */
  export_reconcile: { args: { connectionId: string; path: string }; result: number };
  /**
   * How often SCIM Desk reconciles by itself (a dry run of every connection with Okta
   * API access): off, every 6 hours, daily (the default) or weekly.
   */
  reconcile_schedule: { args: Record<never, never>; result: ReconcileSchedule };
  set_reconcile_schedule: { args: { schedule: ReconcileSchedule }; result: ReconcileSchedule };
  /**
   * *Settings › Notifications*: whether desktop notifications are on, and when each
   * kind last notified.
   */
  notification_settings: { args: Record<never, never>; result: NotificationSettings };
  /**
   * Turns the desktop notifications on or off; answers the settings.
   */
  set_notifications_enabled: { args: { enabled: boolean }; result: NotificationSettings };
};

export type CommandName = keyof Commands;

/** The commands, in the contract's order. */
export const COMMAND_NAMES = [
  "overview",
  "set_provider_enabled",
  "endpoint_status",
  "change_port",
  "list_connections",
  "add_connection",
  "connection_token",
  "regenerate_token",
  "delete_connection",
  "rehearse_connection",
  "list_employees",
  "employee_detail",
  "choose_export_file",
  "export_employees",
  "org_chart",
  "org_unresolved",
  "employee_history",
  "employee_as_of",
  "attribute_mapping",
  "mapping_sources",
  "save_attribute_mapping",
  "reset_attribute_mapping",
  "export_attribute_mapping",
  "import_attribute_mapping",
  "list_activity",
  "activity_settings",
  "set_activity_retention",
  "tunnel_status",
  "set_tunnel",
  "acknowledge_url_change",
  "reachability_windows",
  "dismiss_reachability_window",
  "general_settings",
  "set_start_at_login",
  "start_at_login_offered",
  "set_keep_awake",
  "reconcile_state",
  "set_okta_api",
  "clear_okta_api",
  "start_reconcile",
  "cancel_reconcile",
  "apply_reconcile",
  "reconcile_rows",
  "export_reconcile",
  "reconcile_schedule",
  "set_reconcile_schedule",
  "notification_settings",
  "set_notifications_enabled",
] as const satisfies readonly CommandName[];

/** The event that carries a core change to the webview. */
export const CHANGE_EVENT = "scimdesk://change";

/** What it carries. */
export type ChangePayload = ChangeEvent;
