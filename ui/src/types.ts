// Types shared with Rust. The shapes mirror the Rust types the IPC commands return; the
// generated ones live in ./bindings and are re-exported from here once generated.

export type AppError = { message: string; field: string | null };

export type EndpointStatus =
  | { state: "starting"; listen: string }
  | { state: "serving"; listen: string }
  | { state: "port_in_use"; listen: string; message: string }
  | { state: "failed"; listen: string; message: string };

export type Overview = {
  okta_enabled: boolean;
  connection_count: number;
  employees_active: number;
  employees_deactivated: number;
  endpoint: EndpointStatus;
  data_dir: string;
};

export type LastContact = {
  at: string; // RFC 3339 UTC
  status: number; // HTTP status answered
  ok: boolean;
  detail: string | null; // e.g. "token refused", or the SCIM error detail
};

export type ConnectionView = {
  id: string;
  name: string;
  base_url: string;
  created_at: string; // RFC 3339 UTC
  last_contact: LastContact | null;
};

export type Employee = {
  id: string;
  user_name: string;
  email: string | null;
  display_name: string | null;
  first_name: string | null;
  last_name: string | null;
  job_title: string | null;
  department: string | null;
  business_unit: string | null;
  manager_email: string | null;
  manager_id: string | null;
  location: string | null;
  employee_id: string | null;
  status: "active" | "deactivated" | "removed";
  external_id: string | null;
  connection_id: string | null;
  created_at: string;
  updated_at: string;
};

export type StatusChoice = "active" | "deactivated" | "all";

/** Keyset paging: give `after` (the `next` cursor of a page) or `before` (its `prev`), or neither
 * for the first page; `last: true` asks for the last page. */
export type EmployeeListQuery = {
  search: string | null;
  status: StatusChoice;
  limit: number; // 1..=500
  after: string | null;
  before: string | null;
  last: boolean;
};

export type EmployeePage = {
  total: number; // employees matching search + status
  items: Employee[];
  /** 0-based position of items[0] among the matches, for "51–100 of 1,234". */
  offset: number;
  next: string | null; // cursor for the following page, null on the last page
  prev: string | null; // cursor for the preceding page, null on the first page
};

export type GroupRef = { id: string; display_name: string };

export type EmployeeDetail = {
  employee: Employee;
  manager_name: string | null; // the manager's display name once resolved
  connection_name: string | null;
  /** Every attribute Okta sent, flattened for display: ["name.givenName", "Jane"], … */
  attributes: [string, string][];
  groups: GroupRef[];
  activity: ActivityEntry[];
};

export type ActivityEntry = {
  seq: number;
  at: string;
  connection_id: string | null;
  connection_name: string | null;
  method: string;
  operation: string; // create, update, deactivate, reactivate, delete, create_group, …
  resource_type: string | null;
  resource_id: string | null;
  employee_id: string | null;
  summary: string; // "Created Jane Doe (jane@corp.example)"
  outcome: "success" | "failure";
  status: number;
  detail: string | null;
};

export type ActivityFilter = {
  connection_id: string | null;
  failures_only: boolean;
  search: string | null; // matched against the summary and detail
  before_seq: number | null; // older than this (paging back); null = newest
  limit: number; // 1..=500
};

export type ChangeEvent =
  | { kind: "employee"; id: string }
  | { kind: "group"; id: string }
  | { kind: "activity"; connection_id: string | null }
  | { kind: "connections" }
  | { kind: "tunnel" }
  | { kind: "endpoint" }
  | { kind: "settings" };

export type TunnelSetting =
  | { mode: "none" }
  | { mode: "own"; url: string }
  | { mode: "cloudflared"; hostname: string | null } // null hostname = quick tunnel
  | { mode: "ngrok"; domain: string | null };

export type TunnelState =
  | { state: "off" }
  | { state: "starting" }
  | { state: "online"; url: string }
  | { state: "failed"; reason: string; retry_at?: string };

export type UrlChange = { from: string; to: string; message: string };

export type TunnelStatus = {
  mode: "none" | "own" | "cloudflared" | "ngrok";
  setting: TunnelSetting;
  state: TunnelState;
  public_url: string;
  reachable_by_okta: boolean;
  stable: boolean;
  last_error: string | null;
  url_changed: UrlChange | null;
  message: string;
  advice: string | null;
};

/** What the tunnel dialog sends. Secrets (cloudflared token, ngrok authtoken) go to the keychain;
 * leave them null to keep the stored one. */
export type TunnelInput = {
  mode: "none" | "own" | "cloudflared" | "ngrok";
  url: string | null; // own
  hostname: string | null; // cloudflared named tunnel; null = quick tunnel
  token: string | null; // cloudflared named-tunnel token
  domain: string | null; // ngrok reserved domain
  authtoken: string | null; // ngrok
};

export type Step = {
  step: string;
  request: string;
  outcome: "ok" | "failed" | "skipped";
  message: string;
};

export type Rehearsal = { base_url: string; ok: boolean; steps: Step[]; note: string | null };
