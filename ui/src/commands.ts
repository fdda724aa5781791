// Generated from the IPC contract (src-tauri/core/src/ipc_commands.rs) by
// `SCIMDESK_WRITE_BINDINGS=1 cargo test -p scimdesk bindings`, which fails when this file is
// stale. Do not edit: change the contract and regenerate.
import type { ActivityEntry } from "./bindings/ActivityEntry";
import type { ActivityFilter } from "./bindings/ActivityFilter";
import type { ActivitySettings } from "./bindings/ActivitySettings";
import type { ChangeEvent } from "./bindings/ChangeEvent";
import type { ConnectionView } from "./bindings/ConnectionView";
import type { EmployeeDetail } from "./bindings/EmployeeDetail";
import type { EmployeeListQuery } from "./bindings/EmployeeListQuery";
import type { EmployeePage } from "./bindings/EmployeePage";
import type { EndpointStatus } from "./bindings/EndpointStatus";
import type { NotificationSettings } from "./bindings/NotificationSettings";
import type { Overview } from "./bindings/Overview";
import type { ReachabilityWindow } from "./bindings/ReachabilityWindow";
import type { Rehearsal } from "./bindings/Rehearsal";
import type { Retention } from "./bindings/Retention";
import type { TunnelInput } from "./bindings/TunnelInput";
import type { TunnelStatus } from "./bindings/TunnelStatus";

/** Every IPC command: the arguments the webview sends and what it gets back. A command that fails rejects with an `AppError`. */
export type Commands = {
  /**
   * The app's state at a glance: the Okta switch, counts, the endpoint, a full disk.
   */
  overview: { args: Record<never, never>; result: Overview };
  /**
   * Turns the Okta integration on or off; answers the new overview.
   */
  set_okta_enabled: { args: { enabled: boolean }; result: Overview };
  endpoint_status: { args: Record<never, never>; result: EndpointStatus };
  /**
   * Moves the endpoint to another loopback port (1024–65535) and restarts it there.
   */
  change_port: { args: { port: number }; result: EndpointStatus };
  list_connections: { args: Record<never, never>; result: Array<ConnectionView> };
  /**
   * Refused on the field `name` when the name is empty, too long or taken.
   */
  add_connection: { args: { name: string }; result: ConnectionView };
  /**
   * The token, for the admin to reveal or copy; never part of a listing.
   */
  connection_token: { args: { id: string }; result: string };
  delete_connection: { args: { id: string }; result: null };
  /**
   * Okta's read-only requests, sent through the public URL step by step.
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
  "set_okta_enabled",
  "endpoint_status",
  "change_port",
  "list_connections",
  "add_connection",
  "connection_token",
  "delete_connection",
  "rehearse_connection",
  "list_employees",
  "employee_detail",
  "choose_export_file",
  "export_employees",
  "list_activity",
  "activity_settings",
  "set_activity_retention",
  "tunnel_status",
  "set_tunnel",
  "acknowledge_url_change",
  "reachability_windows",
  "dismiss_reachability_window",
  "notification_settings",
  "set_notifications_enabled",
] as const satisfies readonly CommandName[];

/** The event that carries a core change to the webview. */
export const CHANGE_EVENT = "scimdesk://change";

/** What it carries. */
export type ChangePayload = ChangeEvent;
