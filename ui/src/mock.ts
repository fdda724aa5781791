// An in-memory stand-in for the Rust side, for `npm run dev` in a plain browser. main.tsx loads
// it only when import.meta.env.DEV is true and there is no Tauri, so it never ships.
//
// It answers every command of the IPC contract (HANDLERS is typed by the generated command
// table), and what the core says about the tunnel, base URLs, the activity log's settings and
// its refusals comes from answers recorded from the real core (./mockRecorded.ts, rewritten and
// checked by a core test), so the mock cannot drift from it. The employees and activity are
// made up.
//
// Two Okta connections and one Microsoft Entra ID connection ("HR Entra") share the directory.
//
// Scenarios, from the page's query string (comma-separated): ?mock=empty (no connections, no
// employees), off (Okta's integration off), entraoff (Entra's off), portinuse, urlchanged, tunnelfailed, none (no tunnel), diskfull,
// big (100,000 employees), live (Okta provisions someone every few seconds), slow (300 ms calls),
// reachable (no reachability windows: Okta could always reach SCIM Desk).
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { CHANGE_EVENT, type CommandName, type Commands } from "./commands";
import { ACTIVITY_SETTINGS, BASE_URL, ERRORS, REACHABILITY, TUNNEL } from "./mockRecorded";
import type {
  AttributeMapping,
  CustomFieldColumn,
  FieldKind,
  MappingInput,
  MappedField,
  RederiveProgress,
  SeenAttribute,
  ActivityEntry,
  ActivityFilter,
  ActivitySettings,
  AppError,
  ChangeEvent,
  ConnectionView,
  Employee,
  EmployeeAsOf,
  EmployeeDetail,
  EmployeeHistoryPage,
  EmployeeListQuery,
  HistoryChange,
  HistoryEvent,
  EmployeePage,
  EndpointStatus,
  GeneralSettings,
  GroupRef,
  NotificationSettings,
  OrgChartView,
  OrgPerson,
  Overview,
  Provider,
  ReachabilityWindow,
  ReconcileRow,
  ReconcileRowKind,
  ReconcileSchedule,
  ReconcileState,
  Rehearsal,
  RehearsalNote,
  Retention,
  TunnelInput,
  UnresolvedManager,
  TunnelStatus,
} from "./api";

const FIRST = ["Ada", "Ben", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam", "Maya", "Nikhil", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Carmen", "Diego"];
const LAST = ["Okafor", "Schmidt", "Nakamura", "García", "Kowalski", "Haddad", "Lindqvist", "Moreau", "Patel", "O'Brien", "Rossi", "Novak", "Tanaka", "Silva", "Jensen", "Ivanova", "Mensah", "Dubois", "Cohen", "Fischer", "Andersen", "Kim", "Costa", "Walsh", "Yilmaz"];
const DEPTS: [string, string, string[]][] = [
  ["Engineering", "Product & Technology", ["Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "QA Engineer"]],
  ["Design", "Product & Technology", ["Product Designer", "UX Researcher", "Design Lead"]],
  ["Sales", "Go-to-Market", ["Account Executive", "Sales Development Rep", "Sales Manager"]],
  ["Marketing", "Go-to-Market", ["Content Marketer", "Growth Marketer", "Marketing Lead"]],
  ["People", "Operations", ["HR Business Partner", "Recruiter", "People Ops Specialist"]],
  ["Finance", "Operations", ["Accountant", "Financial Analyst", "Controller"]],
  ["Support", "Customer", ["Support Specialist", "Support Lead", "Customer Success Manager"]],
];
const CITIES = ["Berlin", "Lisbon", "Toronto", "Austin", "London", "Singapore", "Nairobi", "Melbourne"];
const GROUPS: GroupRef[] = [
  { id: "g-all", display_name: "All staff" },
  { id: "g-eng", display_name: "Engineering" },
  { id: "g-gtm", display_name: "Go-to-Market" },
  { id: "g-mgr", display_name: "People managers" },
  { id: "g-remote", display_name: "Remote" },
];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const rand = rng(42);
const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, "Z");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const scenario = new Set((new URLSearchParams(window.location.search).get("mock") ?? "").split(",").filter(Boolean));

type Conn = { id: string; name: string; provider: Provider; created_at: string; token: string; last_contact: ConnectionView["last_contact"]; refused?: ConnectionView["refused"] };
type Emp = Employee & { groups: string[] };

const state = {
  startAtLogin: false,
  startAtLoginOffered: false,
  keepAwake: false,
  keepAwakeSince: "",
  oktaEnabled: !scenario.has("off"),
  entraEnabled: !scenario.has("entraoff"),
  listen: "127.0.0.1:8742",
  endpoint: (scenario.has("portinuse")
    ? { state: "port_in_use", listen: "127.0.0.1:8742" }
    : { state: "serving", listen: "127.0.0.1:8742" }) as EndpointStatus,
  connections: [] as Conn[],
  employees: [] as Emp[],
  byId: new Map<string, Emp>(),
  activity: [] as ActivityEntry[],
  /** Each employee's history: the changes of each activity line, oldest first. */
  history: new Map<string, { seq: number; changes: Change[] }[]>(),
  seq: 0,
  /** The tunnel as the core reports it, from a recorded status; a URL change's base URLs are
   *  filled in from the mock's connections when asked. */
  tunnel: initialTunnel(),
  storedSecrets: { cloudflared: false, ngrok: false },
  retention: ACTIVITY_SETTINGS.retention as Retention,
  reachability: [] as ReachabilityWindow[],
  notifications: {
    enabled: !scenario.has("quiet"),
    kinds: [
      { kind: "push_failed", last_at: null },
      { kind: "window_ended", last_at: null },
      { kind: "drift_found", last_at: null },
    ],
  } as NotificationSettings,
};

function initialTunnel(): TunnelStatus {
  // Copies: the mock changes its own.
  if (scenario.has("none")) return { ...TUNNEL.none };
  if (scenario.has("tunnelfailed")) return { ...TUNNEL.failed };
  if (scenario.has("urlchanged")) return { ...TUNNEL.url_changed };
  return { ...TUNNEL.online };
}

function token(): string {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return Array.from({ length: 43 }, () => abc[Math.floor(rand() * abc.length)]).join("");
}

/** The public URL; without an https one, the listen address (which change_port moves). */
function publicUrl(): string {
  const url = state.tunnel.public_url;
  return url.startsWith("https://") ? url : `http://${state.listen}`;
}
/** A base URL, in the core's format (recorded). */
const baseUrlAt = (publicUrl: string, c: Conn) => BASE_URL.replace("{public_url}", publicUrl).replace("{id}", c.id);
const baseUrl = (c: Conn) => baseUrlAt(publicUrl(), c);

function seed() {
  if (scenario.has("empty")) return;
  const prod: Conn = { id: uuid(), name: "Okta production", provider: "okta", created_at: iso(12 * DAY + 3 * HOUR), token: token(), last_contact: null };
  const sandbox: Conn = { id: uuid(), name: "Okta sandbox", provider: "okta", created_at: iso(2 * DAY + 5 * HOUR), token: token(), last_contact: null };
  const entra: Conn = { id: uuid(), name: "HR Entra", provider: "entra", created_at: iso(6 * DAY + 2 * HOUR), token: token(), last_contact: null };
  state.connections = [prod, sandbox, entra];

  const n = scenario.has("big") ? 100_000 : 250;
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    let local = `${first}.${last}`.toLowerCase().normalize("NFD").replace(/[^a-z.]/g, "");
    while (used.has(local)) local += Math.floor(rand() * 10);
    used.add(local);
    const [dept, bu, titles] = pick(DEPTS);
    const email = `${local}@northwind.example`;
    const age = Math.floor(rand() * 30 * DAY);
    const e: Emp = {
      id: uuid(),
      user_name: email,
      email,
      display_name: null,
      first_name: first,
      last_name: last,
      job_title: pick(titles),
      department: dept,
      business_unit: bu,
      manager_email: null,
      manager_id: null,
      location: pick(CITIES),
      employee_id: `E${String(10000 + i)}`,
      status: rand() < 0.08 ? "deactivated" : "active",
      external_id: `00u${hex(17)}`,
      connection_id: ((r) => (r < 0.7 ? prod.id : r < 0.9 ? entra.id : sandbox.id))(rand()),
      created_at: iso(age + 30 * DAY),
      updated_at: iso(Math.floor(rand() * age)),
      custom: {},
      groups: ["g-all", ...(bu === "Product & Technology" ? ["g-eng"] : bu === "Go-to-Market" ? ["g-gtm"] : []), ...(rand() < 0.3 ? ["g-remote"] : [])],
    };
    // Entra's externalId is the person's mailNickname by default.
    if (e.connection_id === entra.id) e.external_id = local;
    if (i > 0 && i % 97 === 0) e.status = "removed";
    if (i > 0 && i % 53 === 0) e.groups = [];
    state.employees.push(e);
  }
  // Managers: the first few employees of each department manage the rest.
  const managers = state.employees.slice(0, Math.min(12, state.employees.length));
  for (const m of managers) m.groups.push("g-mgr");
  for (const e of state.employees.slice(12)) {
    const m = pick(managers);
    e.manager_email = m.email;
    e.manager_id = rand() < 0.95 ? m.id : null;
    if (!e.manager_id) e.manager_email = `new.manager${Math.floor(rand() * 9)}@northwind.example`;
  }
  for (const e of state.employees) state.byId.set(e.id, e);

  // Activity, oldest first.
  const sample = state.employees.slice(0, Math.min(160, state.employees.length));
  let t = 6 * DAY;
  for (const e of sample) {
    t -= Math.floor(rand() * 50 * MIN);
    const conn = [sandbox, entra].find((c) => c.id === e.connection_id) ?? prod;
    log(conn, "POST", "create", e, `Created ${name(e)} (${e.email})`, "success", 201, null, iso(Math.max(t, 0)), created(e));
  }
  for (let i = 0; i < 30; i++) {
    const e = pick(sample);
    t = Math.max(t - 7 * MIN, HOUR);
    // The title and department it had before are made up; the create's rows say them too.
    const before = { title: pick(DEPTS[0][2]), dept: "Engineering" };
    const changes: Change[] = [
      { field: "job_title", before: before.title, after: e.job_title },
      { field: "department", before: before.dept, after: e.department },
    ].filter((c) => c.before !== c.after);
    log(prod, "PATCH", "update", e, `Updated ${name(e)}: title, department`, "success", 200, null, iso(t), changes);
  }
  log(sandbox, "GET", "list", null, "Listed users (filter userName eq \"test.user@northwind.example\")", "failure", 401, "Token refused: this is not the token of any connection. Paste the token shown in SCIM Desk into Okta's Authorization field.", iso(5 * HOUR));
  log(prod, "POST", "create", null, "Create user ada.lovelace@northwind.example refused", "failure", 409, "uniqueness: an employee with the email ada.lovelace@northwind.example already exists", iso(3 * HOUR));
  const dea = sample.filter((e) => e.status === "deactivated").slice(0, 3);
  for (const e of dea) {
    const changes = [{ field: "status", before: "active", after: "deactivated" }];
    log(prod, "PATCH", "deactivate", e, `Deactivated ${name(e)} (${e.email})`, "success", 200, null, iso(2 * HOUR), changes);
  }
  log(prod, "PUT", "update", null, "Update user 00u9xkq refused", "failure", 400, "invalidValue: emails[0].value 'not-an-email' is not an email address", iso(40 * MIN));
  // Entra's last cycle, 25 minutes ago: two updates and the lookup of its Test Connection.
  const fromEntra = sample.filter((e) => e.connection_id === entra.id).slice(-2);
  for (const e of fromEntra) {
    const changes = [{ field: "job_title", before: "Associate", after: e.job_title }];
    log(entra, "PATCH", "update", e, `Updated ${name(e)}: title`, "success", 200, null, iso(25 * MIN), changes);
  }
  log(entra, "GET", "list", null, 'Listed users (filter userName eq "a8c2e1f0-5b1d-4c55-9f7e-0d2b1e6a9c31")', "success", 200, null, iso(20 * MIN));
  const last = sample[1];
  if (last) {
    const moved = CITIES.find((c) => c !== last.location) ?? null;
    const changes = [
      { field: "location", before: moved, after: last.location },
      { field: "groups", before: null, after: "Remote" },
    ];
    if (!last.groups.includes("g-remote")) last.groups.push("g-remote");
    log(prod, "PATCH", "update", last, `Updated ${name(last)}: location`, "success", 200, null, iso(4 * MIN), changes);
  }

  prod.last_contact = { at: iso(4 * MIN), status: 200, ok: true, detail: null };
  sandbox.last_contact = { at: iso(5 * HOUR), status: 200, ok: true, detail: null };
  sandbox.refused = { count: 14, last_at: iso(5 * HOUR) };
  entra.last_contact = { at: iso(20 * MIN), status: 200, ok: true, detail: null };
}

/** The recorded windows, moved so that the newest ended 20 minutes ago, naming the mock's
 *  connections (recorded as "Okta production" and "Okta sandbox"). */
function seedReachability(): ReachabilityWindow[] {
  const newest = REACHABILITY[0]?.ended_at;
  if (!newest || scenario.has("reachable") || scenario.has("empty")) return [];
  const shift = Date.now() - 20 * MIN - new Date(newest).getTime();
  const moved = (at: string) => new Date(new Date(at).getTime() + shift).toISOString();
  return REACHABILITY.map((w) => ({
    ...w,
    started_at: moved(w.started_at),
    ended_at: w.ended_at === null ? null : moved(w.ended_at),
    connections: w.connections.map((c) => {
      const own = state.connections.find((x) => x.name === c.name);
      return own ? { id: own.id, name: own.name } : c;
    }),
  }));
}

function name(e: Employee): string {
  return e.display_name ?? [e.first_name, e.last_name].filter(Boolean).join(" ");
}

function log(
  conn: Conn | null,
  method: string,
  operation: string,
  e: Employee | null,
  summary: string,
  outcome: "success" | "failure",
  status: number,
  detail: string | null,
  at = iso(0),
  changes: Change[] = [],
) {
  if (e && changes.length > 0) {
    const list = state.history.get(e.id) ?? [];
    list.push({ seq: state.seq + 1, changes });
    state.history.set(e.id, list);
  }
  state.activity.push({
    seq: ++state.seq,
    at,
    connection_id: conn?.id ?? null,
    connection_name: conn?.name ?? null,
    provider: conn?.provider ?? null,
    method,
    operation,
    resource_type: "User",
    resource_id: e?.id ?? null,
    employee_id: e?.id ?? null,
    summary,
    outcome,
    status,
    detail,
  });
}

function fail(message: string, field: string | null = null): never {
  throw { message, field } satisfies AppError;
}

/** A refusal recorded from the core; the value it was recorded with, if given, becomes this one. */
function refuse(e: AppError, recorded?: string, given?: string): never {
  throw { ...e, message: recorded !== undefined && given !== undefined ? e.message.replace(recorded, given) : e.message } satisfies AppError;
}

function changed(e: ChangeEvent) {
  void emit(CHANGE_EVENT, e);
}

function overview(): Overview {
  let active = 0;
  let deactivated = 0;
  for (const e of state.employees) {
    if (e.status === "active") active++;
    else if (e.status === "deactivated") deactivated++;
  }
  return {
    okta_enabled: state.oktaEnabled,
    entra_enabled: state.entraEnabled,
    connection_count: state.connections.length,
    okta_connections: state.connections.filter((c) => c.provider === "okta").length,
    entra_connections: state.connections.filter((c) => c.provider === "entra").length,
    employees_active: active,
    employees_deactivated: deactivated,
    endpoint: state.endpoint,
    data_dir: "~/.local/share/io.scimdesk.desktop",
    disk_full: scenario.has("diskfull")
      ? { since: iso(12 * MIN), free_bytes: 0, data_dir: "~/.local/share/io.scimdesk.desktop" }
      : null,
  };
}

/** `?mock=server`: SCIM Desk in server mode, where a token is shown once and never kept. */
const serverMode = scenario.has("server");

function connectionView(c: Conn): ConnectionView {
  return {
    id: c.id,
    name: c.name,
    provider: c.provider,
    base_url: baseUrl(c),
    created_at: c.created_at,
    last_contact: c.last_contact,
    refused: c.refused ?? null,
    token_kept: !serverMode,
  };
}

function tunnelStatus(): TunnelStatus {
  const t = state.tunnel;
  const change = t.url_changed;
  return {
    ...t,
    public_url: publicUrl(),
    url_changed: change && {
      ...change,
      base_urls: state.connections.map((c) => ({ connection_id: c.id, name: c.name, base_url: baseUrlAt(change.to, c) })),
    },
  };
}

function activitySettings(): ActivitySettings {
  const oldest = state.activity.reduce<string | null>((o, a) => (o === null || a.at < o ? a.at : o), null);
  return { ...ACTIVITY_SETTINGS, retention: state.retention, size: { lines: state.activity.length, oldest_at: oldest } };
}

function key(e: Employee): string {
  return `${(e.last_name ?? "").toLowerCase()}\u0001${(e.first_name ?? "").toLowerCase()}\u0001${e.id}`;
}

// The org chart, as the core answers it (src-tauri/core/src/directory/orgchart.rs), over the
// mock's employees; small enough to walk whole.
function orgShown(e: Emp, withDeactivated: boolean): boolean {
  return e.status === "active" || (withDeactivated && e.status === "deactivated");
}

function orgReports(id: string, withDeactivated: boolean): Emp[] {
  return state.employees.filter((e) => e.manager_id === id && e.id !== id && orgShown(e, withDeactivated));
}

function orgUnder(id: string, top: string, withDeactivated: boolean): number {
  let n = 0;
  for (const e of state.employees) {
    if (e.manager_id !== id || e.id === id || e.id === top || e.status === "removed") continue;
    if (orgShown(e, withDeactivated)) n += 1;
    n += orgUnder(e.id, top, withDeactivated);
  }
  return n;
}

function orgPerson(e: Emp, withDeactivated: boolean, headcount: number | null): OrgPerson {
  return {
    id: e.id, name: name(e) || (e.email ?? e.user_name), email: e.email, job_title: e.job_title, department: e.department,
    status: e.status, direct_reports: orgReports(e.id, withDeactivated).length, headcount,
  };
}

function orgPending(e: Emp): boolean {
  return !e.manager_id && !!e.manager_email && e.status !== "removed";
}

function orgChart(employeeId: string | null, withDeactivated: boolean): OrgChartView {
  const byName = (a: OrgPerson, b: OrgPerson) => a.name.localeCompare(b.name);
  const unresolved = new Set(state.employees.filter(orgPending).map((e) => e.manager_email!.toLowerCase())).size;
  const view: OrgChartView = {
    person: null, chain: [], chain_capped: false, chain_loops: false, manager_pending: null,
    reports: [], reports_total: 0, roots: [], roots_total: 0, unresolved_managers: unresolved,
  };
  if (employeeId == null) {
    const roots = state.employees.filter((e) => ((!e.manager_id && !e.manager_email) || e.manager_id === e.id) && orgShown(e, withDeactivated));
    view.roots = roots.map((e) => orgPerson(e, withDeactivated, null)).sort(byName).slice(0, 500);
    view.roots_total = roots.length;
    return view;
  }
  const chosen = state.byId.get(employeeId);
  if (!chosen || chosen.status === "removed") fail("This employee is not in the directory.");
  const seen = new Set([chosen.id]);
  let next = chosen.manager_id;
  while (next) {
    if (seen.has(next)) { view.chain_loops = true; break; }
    if (view.chain.length === 50) { view.chain_capped = true; break; }
    seen.add(next);
    const m = state.byId.get(next);
    if (!m) break;
    view.chain.unshift(orgPerson(m, withDeactivated, null));
    next = m.manager_id;
  }
  if (orgPending(chosen)) view.manager_pending = chosen.manager_email;
  const reports = orgReports(chosen.id, withDeactivated);
  view.reports = reports
    .map((e) => orgPerson(e, withDeactivated, orgUnder(e.id, chosen.id, withDeactivated)))
    .sort(byName)
    .slice(0, 500);
  view.reports_total = reports.length;
  view.person = orgPerson(chosen, withDeactivated, orgUnder(chosen.id, chosen.id, withDeactivated));
  return view;
}

function orgUnresolved(): UnresolvedManager[] {
  const waiting = new Map<string, Emp[]>();
  for (const e of state.employees.filter(orgPending)) {
    const key = e.manager_email!.toLowerCase();
    waiting.set(key, [...(waiting.get(key) ?? []), e]);
  }
  return [...waiting.values()]
    .map((es) => ({
      manager: es[0].manager_email!,
      waiting: es.length,
      employees: es.map((e) => orgPerson(e, true, null)).sort((a, b) => a.name.localeCompare(b.name)).slice(0, 5),
    }))
    .sort((a, b) => b.waiting - a.waiting || a.manager.localeCompare(b.manager))
    .slice(0, 200);
}

function listEmployees(q: EmployeeListQuery): EmployeePage {
  deriveAtStart();
  const s = q.search?.trim().toLowerCase() ?? "";
  const matches = state.employees
    .filter((e) => q.status === "all" || e.status === q.status)
    .filter((e) => !s || [name(e), e.email, e.job_title, e.department, e.employee_id, ...Object.values(e.custom)].some((v) => v?.toLowerCase().includes(s)))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const limit = Math.max(1, Math.min(500, q.limit));
  let start: number;
  if (q.last) start = Math.max(0, matches.length - limit);
  else if (q.after) {
    const i = matches.findIndex((e) => key(e) > q.after!);
    start = i < 0 ? matches.length : i;
  } else if (q.before) {
    let i = matches.findIndex((e) => key(e) >= q.before!);
    if (i < 0) i = matches.length;
    start = Math.max(0, i - limit);
  } else start = 0;
  const items = matches.slice(start, start + limit);
  return {
    total: matches.length,
    items: items.map(({ groups: _g, ...e }) => e),
    offset: start,
    next: start + items.length < matches.length && items.length ? key(items[items.length - 1]) : null,
    prev: start > 0 && items.length ? key(items[0]) : null,
    custom_fields: mapping.columns,
  };
}

function detail(id: string): EmployeeDetail {
  deriveAtStart();
  const e = state.byId.get(id);
  if (!e) fail("This employee is not in the directory.");
  const manager = e.manager_id ? state.byId.get(e.manager_id) : undefined;
  const conn = state.connections.find((c) => c.id === e.connection_id);
  const { groups, ...employee } = e;
  const attributes: [string, string][] = [
    ["userName", e.user_name],
    ["externalId", e.external_id ?? ""],
    ["active", String(e.status === "active")],
    ["name.givenName", e.first_name ?? ""],
    ["name.familyName", e.last_name ?? ""],
    ["emails[primary].value", e.email ?? ""],
    ["title", e.job_title ?? ""],
    ["addresses[work].locality", e.location ?? ""],
    ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department", e.department ?? ""],
    ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.division", e.business_unit ?? ""],
    ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber", e.employee_id ?? ""],
    ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value", e.manager_email ?? ""],
  ];
  return {
    employee,
    manager_name: manager ? name(manager) : null,
    connection_name: conn?.name ?? null,
    provider: conn?.provider ?? null,
    attributes,
    groups: GROUPS.filter((g) => groups.includes(g.id)),
    activity: state.activity.filter((a) => a.employee_id === id).sort((a, b) => b.seq - a.seq).slice(0, 50),
    custom_fields: mapping.columns,
  };
}

// The attribute mapping: each provider's paths (built-in fields at their default are absent),
// the custom fields, and what each employee's identity provider sent (its stored document, as
// path → value), which a saved mapping re-derives the fields from.
const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ACME = "urn:example:params:scim:schemas:extension:acme:2.0:User";
const BUILT_INS: [key: string, label: string, path: string][] = [
  ["email", "Email", "emails.value"],
  ["first_name", "First name", "name.givenName"],
  ["last_name", "Last name", "name.familyName"],
  ["display_name", "Display name", "displayName"],
  ["job_title", "Job title", "title"],
  ["department", "Department", `${ENT}:department`],
  ["business_unit", "Business unit", `${ENT}:division`],
  ["employee_id", "Employee ID", `${ENT}:employeeNumber`],
  ["manager", "Manager", `${ENT}:manager.value`],
  ["location", "Location", 'addresses[type eq "work"].locality'],
];
type ProviderMapping = { paths: Record<string, string | null>; allow_shared_paths: boolean };
const mapping = {
  columns: [{ key: "cost_center", label: "Cost center", kind: "text" }] as CustomFieldColumn[],
  byProvider: {
    okta: { paths: { cost_center: `${ACME}:costCenter` }, allow_shared_paths: false },
    entra: { paths: {}, allow_shared_paths: false },
  } as Record<Provider, ProviderMapping>,
  rederive: { okta: null, entra: null } as Record<Provider, RederiveProgress | null>,
  sources: new Map<string, Record<string, string>>(),
  derivedAtStart: false,
};

/** What the employee's identity provider sent, as path → value (made up once, then kept). */
function sent(e: Emp): Record<string, string> {
  let doc = mapping.sources.get(e.id);
  if (doc) return doc;
  const n = [...e.id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  doc = { userName: e.user_name };
  const put = (k: string, v: string | null) => {
    if (v) doc![k] = v;
  };
  put("emails.value", e.email);
  put('emails[type eq "work"].value', e.email);
  put("name.givenName", e.first_name);
  put("name.familyName", e.last_name);
  put("displayName", e.display_name);
  put("title", e.job_title);
  put(`${ENT}:department`, e.department);
  put(`${ENT}:division`, e.business_unit);
  put(`${ENT}:employeeNumber`, e.employee_id);
  put(`${ENT}:manager.value`, e.manager_email);
  put('addresses[type eq "work"].locality', e.location);
  put("addresses.locality", e.location);
  if (providerOf(e) === "okta") {
    put(`${ACME}:costCenter`, `CC-${1000 + (n % 40) * 10}`);
    put(`${ACME}:jobCode`, `${(e.department ?? "GEN").slice(0, 3).toUpperCase()}-${1 + (n % 4)}`);
    put(`${ACME}:startDate`, e.created_at.slice(0, 10));
    put(`${ACME}:remote`, String(n % 3 === 0));
  } else {
    put(`${ENT}:costCenter`, `${4000 + (n % 25)}`);
  }
  mapping.sources.set(e.id, doc);
  return doc;
}

function providerOf(e: Employee): Provider {
  return state.connections.find((c) => c.id === e.connection_id)?.provider ?? "okta";
}

function typedValue(kind: FieldKind, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (kind === "number") return Number.isFinite(Number(v)) && v.trim() !== "" ? v : undefined;
  if (kind === "boolean") return /^(true|false)$/i.test(v) ? v.toLowerCase() : undefined;
  if (kind === "date") return /^\d{4}-\d{2}-\d{2}/.test(v) ? v : undefined;
  return v;
}

function attributeMapping(provider: Provider): AttributeMapping {
  const m = mapping.byProvider[provider];
  const fields: MappedField[] = [
    ...BUILT_INS.map(([key, label, path]) => ({
      key, label, kind: "text" as FieldKind, custom: false, path: key in m.paths ? m.paths[key] : path, default_path: path, required: key === "email",
    })),
    ...mapping.columns.map((c) => ({ ...c, custom: true, path: m.paths[c.key] ?? null, default_path: null, required: false })),
  ];
  const is_default = fields.every((f) => (f.custom ? f.path === null : f.path === f.default_path));
  return { provider, fields, is_default, allow_shared_paths: m.allow_shared_paths, rederive: mapping.rederive[provider] };
}

function saveMapping(provider: Provider, input: MappingInput, what: string): AttributeMapping {
  const paths: Record<string, string | null> = {};
  const columns: CustomFieldColumn[] = [];
  const labels = new Map<string, string>();
  const used = new Map<string, string>();
  for (const f of input.fields) {
    const builtIn = BUILT_INS.find(([k]) => k === f.key);
    let label: string;
    if (f.custom) {
      if (!/^[a-z][a-z0-9_]{0,39}$/.test(f.key)) fail(`'${f.key}' cannot be a custom field's key: a key is 1 to 40 lowercase letters, digits and '_', starting with a letter.`, `fields.${f.key}`);
      if (builtIn) fail(`'${f.key}' is a built-in field of the directory: give the custom field another name.`, `fields.${f.key}`);
      label = f.label.trim();
      if (!label) fail("Give the custom field a name.", `fields.${f.key}.label`);
      columns.push({ key: f.key, label, kind: f.kind });
    } else {
      if (!builtIn) fail(`'${f.key}' is not a field of the directory. To add one, mark it as a custom field with a name and a type.`, `fields.${f.key}`);
      label = builtIn[1];
    }
    const other = labels.get(label.toLowerCase());
    if (other) fail(`Another field ('${other}') is already named '${label}'.`, `fields.${f.key}.label`);
    labels.set(label.toLowerCase(), f.key);
    const path = f.path?.trim() || null;
    if (path && !/^(urn:[A-Za-z0-9:._-]+:)?[A-Za-z0-9_$-]+(\[[^\]]+\])?(\.[A-Za-z0-9_$-]+)?$/.test(path)) fail(`The SCIM path '${path}' is not valid.`, `fields.${f.key}.path`);
    if (f.key === "email" && !path) fail("The email must stay mapped: it is how SCIM Desk and Okta know each employee.", "fields.email.path");
    if (path) {
      const shared = used.get(path.toLowerCase());
      if (shared && !input.allow_shared_paths) fail(`${label} and ${shared} would both come from the same SCIM attribute. Choose another attribute for one of them, or allow fields to share one.`, `fields.${f.key}.path`);
      used.set(path.toLowerCase(), label);
    }
    if (builtIn ? path !== builtIn[2] : path) paths[f.key] = path;
  }
  mapping.byProvider[provider] = { paths, allow_shared_paths: input.allow_shared_paths };
  const mappedElsewhere = (k: string) => Object.values(mapping.byProvider).some((m) => m.paths[k]);
  mapping.columns = [
    ...mapping.columns.map((c) => columns.find((n) => n.key === c.key) ?? c).filter((c) => columns.some((n) => n.key === c.key) || mappedElsewhere(c.key)),
    ...columns.filter((n) => !mapping.columns.some((c) => c.key === n.key)),
  ];
  rederive(provider, what);
  return attributeMapping(provider);
}

/** Re-derives the provider's employees a batch at a time, with progress, as the core does. */
function rederive(provider: Provider, what: string) {
  const es = state.employees.filter((e) => providerOf(e) === provider);
  const m = mapping.byProvider[provider];
  const total = es.length;
  log(null, "MAPPING", "mapping", null, `Mapping for ${provider === "okta" ? "Okta" : "Microsoft Entra ID"} ${what}: re-deriving ${total.toLocaleString("en-US")} employees`, "success", 200, null);
  mapping.rederive[provider] = total ? { provider, done: 0, total } : null;
  changed({ kind: "rederive", provider, done: 0, total, finished: total === 0 });
  const batch = Math.max(50, Math.ceil(total / 8));
  const step = (done: number) => {
    for (const e of es.slice(done, done + batch)) derive(e, m);
    const now = Math.min(total, done + batch);
    const finished = now >= total;
    mapping.rederive[provider] = finished ? null : { provider, done: now, total };
    changed({ kind: "rederive", provider, done: now, total, finished });
    if (!finished) setTimeout(() => step(now), 400);
  };
  if (total) setTimeout(() => step(0), 400);
}

function derive(e: Emp, m: ProviderMapping) {
  const doc = sent(e);
  for (const [key, , path] of BUILT_INS) {
    const from = key in m.paths ? m.paths[key] : path;
    const v = from ? (doc[from] ?? null) : null;
    const field = key === "manager" ? "manager_email" : key;
    (e as unknown as Record<string, string | null>)[field] = v;
  }
  e.custom = {};
  for (const c of mapping.columns) {
    const from = m.paths[c.key];
    const v = from ? typedValue(c.kind, doc[from]) : undefined;
    if (v !== undefined) e.custom[c.key] = v;
  }
}

/** The custom values of the starting mapping, once the employees are made up. */
function deriveAtStart() {
  if (mapping.derivedAtStart) return;
  mapping.derivedAtStart = true;
  for (const e of state.employees) derive(e, mapping.byProvider[providerOf(e)]);
}

function mappingSources(provider: Provider): SeenAttribute[] {
  const seen = new Map<string, SeenAttribute>();
  for (const e of state.employees.slice(-2000)) {
    if (providerOf(e) !== provider) continue;
    for (const [path, value] of Object.entries(sent(e))) {
      const s = seen.get(path) ?? { path, examples: [], employees: 0 };
      s.employees += 1;
      if (s.examples.length < 3 && !s.examples.includes(value)) s.examples.push(value);
      seen.set(path, s);
    }
  }
  return [...seen.values()].sort((a, b) => b.employees - a.employees || a.path.localeCompare(b.path));
}

type Change = Omit<HistoryChange, "label">;

/** The fields in the order the core records them, with the admin's names (history.rs). */
const HISTORY_FIELDS: [keyof Employee | "manager", string][] = [
  ["user_name", "Username"],
  ["email", "Email"],
  ["first_name", "First name"],
  ["last_name", "Last name"],
  ["display_name", "Display name"],
  ["job_title", "Job title"],
  ["department", "Department"],
  ["business_unit", "Business unit"],
  ["employee_id", "Employee ID"],
  ["manager", "Manager"],
  ["location", "Location"],
  ["external_id", "External ID"],
];
const HISTORY_LABELS: Record<string, string> = {
  ...Object.fromEntries(HISTORY_FIELDS),
  manager_link: "Reports to",
  status: "Status",
  groups: "Groups",
};

function fieldValue(e: Employee, key: string): string | null {
  const v = key === "manager" ? e.manager_email : (e as unknown as Record<string, string | null>)[key];
  return v ?? null;
}

/** What a create records: each field with a value, then the status (and the manager link). */
function created(e: Emp): Change[] {
  const out: Change[] = HISTORY_FIELDS.map(([k]) => ({ field: k, before: null, after: fieldValue(e, k) })).filter((c) => c.after !== null);
  out.push({ field: "status", before: null, after: "active" });
  const m = e.manager_id ? state.byId.get(e.manager_id) : undefined;
  if (m) out.push({ field: "manager_link", before: null, after: `${name(m)} <${m.email}>` });
  return out;
}

function employeeHistory(id: string, before: number | null): EmployeeHistoryPage {
  if (!state.byId.has(id)) fail("This employee is not in the directory.");
  const lines = (state.history.get(id) ?? []).filter((h) => before === null || h.seq < before).reverse();
  const page = lines.slice(0, 50);
  const events: HistoryEvent[] = page.map((h) => {
    const a = state.activity.find((x) => x.seq === h.seq)!;
    const source = ["POST", "PUT", "PATCH", "DELETE"].includes(a.method) ? "push" : a.method === "RECONCILE" ? "reconcile" : a.method === "MAPPING" ? "mapping" : "other";
    return {
      seq: a.seq, at: a.at, connection_name: a.connection_name, provider: a.provider, method: a.method, source, summary: a.summary,
      changes: h.changes.map((c) => ({ ...c, label: HISTORY_LABELS[c.field] ?? c.field.replace(/^custom\./, "") })),
    };
  });
  return { employee_id: id, events, next_before: lines.length > 50 ? page[page.length - 1].seq : null, kept_since: keptSince() };
}

function keptSince(): string {
  return state.activity[0]?.at ?? iso(30 * DAY);
}

function employeeAsOf(id: string, at: string): EmployeeAsOf {
  const e = state.byId.get(id);
  if (!e) fail("This employee is not in the directory.");
  const t = new Date(/^\d{4}-\d{2}-\d{2}$/.test(at.trim()) ? `${at.trim()}T23:59:59.999Z` : at.trim());
  if (Number.isNaN(t.getTime())) {
    fail(`'${at}' is not a time: give a date (2026-12-01, meaning the end of that day, UTC) or a date and time with its offset (2026-12-01T09:30:00Z, 2026-12-01T10:30:00+01:00)`, "at");
  }
  const when = t.toISOString();
  const out: EmployeeAsOf = { employee_id: id, at: when, state: "known", created_at: e.created_at, kept_since: keptSince(), fields: [], groups: [] };
  if (when < e.created_at) return { ...out, state: "not_yet" };
  if (when < out.kept_since) return { ...out, state: "before_history" };
  const values = new Map<string, string | null>(HISTORY_FIELDS.map(([k]) => [k, fieldValue(e, k)]));
  const m = e.manager_id ? state.byId.get(e.manager_id) : undefined;
  values.set("status", e.status);
  values.set("manager_link", m ? `${name(m)} <${m.email}>` : null);
  const groups = new Set(GROUPS.filter((g) => e.groups.includes(g.id)).map((g) => g.display_name));
  for (const h of [...(state.history.get(id) ?? [])].reverse()) {
    const a = state.activity.find((x) => x.seq === h.seq)!;
    if (a.at <= when) break;
    for (const c of [...h.changes].reverse()) {
      if (c.field === "groups") {
        if (c.after) groups.delete(c.after);
        if (c.before) groups.add(c.before);
      } else values.set(c.field, c.before);
    }
  }
  out.fields = [...HISTORY_FIELDS.map(([k]) => k), "status", "manager_link"].map((k) => ({ field: k, label: HISTORY_LABELS[k], value: values.get(k) ?? null }));
  out.groups = [...groups].sort();
  return out;
}

function listActivity(f: ActivityFilter): ActivityEntry[] {
  const s = f.search?.trim().toLowerCase() ?? "";
  const out: ActivityEntry[] = [];
  for (let i = state.activity.length - 1; i >= 0 && out.length < f.limit; i--) {
    const a = state.activity[i];
    if (f.before_seq != null && a.seq >= f.before_seq) continue;
    if (f.connection_id && a.connection_id !== f.connection_id) continue;
    if (f.failures_only && a.outcome !== "failure") continue;
    if (s && !`${a.summary} ${a.detail ?? ""}`.toLowerCase().includes(s)) continue;
    out.push(a);
  }
  return out;
}

/** The rehearsal, step by step, with the core's short step names: Okta's connector test, or
 *  Entra's Test Connection. */
async function rehearse(id: string): Promise<Rehearsal> {
  const c = state.connections.find((x) => x.id === id);
  if (!c) fail("This connection no longer exists.");
  await sleep(900);
  const url = baseUrl(c);
  const t = tunnelStatus();
  const provider = c.provider;
  const enabled = provider === "okta" ? state.oktaEnabled : state.entraEnabled;
  const probe = provider === "okta" ? "scimdesk-rehearsal@example.invalid" : "3f6b2c1e-8d4a-4e0b-9c7f-2a5d1e9b6c40@scimdesk-test.invalid";
  const plan: [string, string, string][] =
    provider === "okta"
      ? [
          ["reach", `GET ${url}/ServiceProviderConfig`, "Answered in 184 ms through the tunnel."],
          ["list", `GET ${url}/Users?startIndex=1&count=1`, "The token was accepted (HTTP 200)."],
          ["lookup", `GET ${url}/Users?filter=userName eq "${probe}"`, "An empty ListResponse, as Okta expects."],
          ["unknown_id", `GET ${url}/Users/00000000-0000-0000-0000-000000000000`, "404, as Okta expects for a user that does not exist."],
          ["bad_token", `GET ${url}/Users (with a wrong token)`, "Refused with 401, as it should be."],
        ]
      : [
          ["reach", `GET ${url}`, "The Tenant URL answered in 184 ms through the tunnel."],
          ["lookup", `GET ${url}/Users?filter=userName eq "${probe}"`, "200 with an empty ListResponse, as Entra's Test Connection expects."],
          ["external_id_lookup", `GET ${url}/Users?filter=externalId eq "9c1d7e2a-4b3f-4f6e-8a0d-5e2c7b1f3a94"`, "200 with an empty ListResponse."],
          ["bad_token", `GET ${url}/Users (with a wrong Secret Token)`, "Refused with 401, as Entra expects."],
        ];
  if (!t.reachable_by_okta) {
    const steps: Rehearsal["steps"] = plan.map(([step, request], i) =>
      i === 0
        ? { step, request, outcome: "failed", message: `${publicUrl()} did not answer.` }
        : { step, request, outcome: "skipped", message: "Not run: the URL can't be reached." },
    );
    const note: RehearsalNote =
      t.mode === "none" ? { kind: "no_public_url" } : { kind: "tunnel_offline", mode: t.mode, last_url: t.url_changed?.to ?? null };
    return { provider, base_url: url, ok: false, steps, note, reachable_by_provider: false };
  }
  const steps: Rehearsal["steps"] = plan.map(([step, request, message], i) =>
    i > 0 && i < plan.length - 1 && !enabled
      ? { step, request, outcome: "failed", message: `Refused with 403: the ${provider === "okta" ? "Okta" : "Microsoft Entra ID"} integration is turned off.` }
      : { step, request, outcome: "ok", message },
  );
  return { provider, base_url: url, ok: enabled, steps, note: null, reachable_by_provider: true };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setTunnel(input: TunnelInput): TunnelStatus {
  const before = publicUrl();
  const text = (v: string | null) => v?.trim() || null;
  switch (input.mode) {
    case "none":
      state.tunnel = { ...TUNNEL.none };
      break;
    case "own": {
      const u = (input.url ?? "").trim().replace(/\/+$/, "");
      if (!u.startsWith("https://")) refuse(ERRORS.public_url_http, "http://scim.northwind.example", u);
      state.tunnel = { ...TUNNEL.own, setting: { mode: "own", url: u }, public_url: u };
      break;
    }
    case "cloudflared": {
      const hostname = text(input.hostname);
      if (hostname) {
        if (!input.token && !state.storedSecrets.cloudflared) refuse(ERRORS.cloudflared_no_token);
        if (input.token) state.storedSecrets.cloudflared = true;
      }
      state.tunnel = { ...TUNNEL.starting, setting: { mode: "cloudflared", hostname }, stable: !!hostname };
      startTunnel(hostname ? `https://${hostname}` : `https://${pick(["brave", "mellow", "sunny", "amber"])}-${pick(["fox", "heron", "pine", "delta"])}-${hex(4)}.trycloudflare.com`);
      break;
    }
    case "ngrok": {
      if (!input.authtoken && !state.storedSecrets.ngrok) refuse(ERRORS.ngrok_no_authtoken);
      if (input.authtoken) state.storedSecrets.ngrok = true;
      const domain = text(input.domain);
      state.tunnel = { ...TUNNEL.starting, mode: "ngrok", setting: { mode: "ngrok", domain }, stable: !!domain };
      startTunnel(domain ? `https://${domain}` : `https://${hex(4)}-${hex(4)}.ngrok-free.app`);
      break;
    }
  }
  noteUrl(before);
  changed({ kind: "tunnel" });
  return tunnelStatus();
}

/** As the core does: a new https public URL, after another one, is a change Okta must be told of. */
function noteUrl(before: string) {
  const after = publicUrl();
  if (before !== after && before.startsWith("https://") && after.startsWith("https://"))
    state.tunnel.url_changed = { from: before, to: after, base_urls: [] };
}

function startTunnel(url: string) {
  setTimeout(() => {
    const before = publicUrl();
    state.tunnel = { ...state.tunnel, state: { state: "online", url }, public_url: url, reachable_by_okta: true, last_error: null };
    noteUrl(before);
    changed({ kind: "tunnel" });
  }, 1500);
}

function liveTick() {
  // Whichever provider is on provisions: Okta and Entra take turns.
  const live = state.connections.filter((c) => (c.provider === "okta" ? state.oktaEnabled : state.entraEnabled));
  if (live.length === 0) return;
  const conn = pick(live);
  const r = rand();
  if (r < 0.5) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first}.${last}.${hex(3)}@northwind.example`.toLowerCase().normalize("NFD").replace(/[^a-z0-9.@]/g, "");
    const [dept, bu, titles] = pick(DEPTS);
    const e: Emp = {
      id: uuid(), user_name: email, email, display_name: null, first_name: first, last_name: last,
      job_title: pick(titles), department: dept, business_unit: bu, manager_email: null, manager_id: null,
      location: pick(CITIES), employee_id: `E${20000 + state.seq}`, status: "active", external_id: `00u${hex(17)}`,
      connection_id: conn.id, created_at: iso(0), updated_at: iso(0), custom: {}, groups: ["g-all"],
    };
    state.employees.push(e);
    state.byId.set(e.id, e);
    log(conn, "POST", "create", e, `Created ${name(e)} (${email})`, "success", 201, null, iso(0), created(e));
    conn.last_contact = { at: iso(0), status: 201, ok: true, detail: null };
    changed({ kind: "employee", id: e.id });
  } else if (r < 0.85) {
    const e = pick(state.employees);
    const was = e.location;
    e.location = pick(CITIES);
    e.updated_at = iso(0);
    const changes = was === e.location ? [] : [{ field: "location", before: was, after: e.location }];
    log(conn, "PATCH", "update", e, `Updated ${name(e)}: location`, "success", 200, null, iso(0), changes);
    conn.last_contact = { at: iso(0), status: 200, ok: true, detail: null };
    changed({ kind: "employee", id: e.id });
  } else {
    log(conn, "PATCH", "update", null, "Update user 00u7ab2 refused", "failure", 404, "noTarget: no employee with this id");
    conn.last_contact = { at: iso(0), status: 404, ok: false, detail: "noTarget: no employee with this id" };
  }
  changed({ kind: "activity", connection_id: conn.id });
}

/** Whether some connection's provider is switched on (the core holds the computer awake then). */
function serving(): boolean {
  return state.connections.some((c) => (c.provider === "okta" ? state.oktaEnabled : state.entraEnabled));
}

/** Why nobody can provision although connections exist: which switches are off. */
function offReason(): "okta_off" | "entra_off" | "providers_off" {
  const has = (p: Provider) => state.connections.some((c) => c.provider === p);
  if (!has("entra")) return "okta_off";
  if (!has("okta")) return "entra_off";
  return "providers_off";
}

/** Settings › General, as the core words its state: held while Okta or Entra can provision. */
function generalSettings(): GeneralSettings {
  const awake: GeneralSettings["awake"] = !state.keepAwake
    ? { state: "not_held", reason: "option_off" }
    : state.connections.length === 0
      ? { state: "not_held", reason: "no_connection" }
      : state.endpoint.state !== "serving"
        ? { state: "not_held", reason: "endpoint_stopped" }
        : !serving()
          ? { state: "not_held", reason: offReason() }
          : { state: "held", since: state.keepAwakeSince };
  return {
    start_at_login: state.startAtLogin,
    start_at_login_error: null,
    start_at_login_offered: state.startAtLoginOffered,
    keep_awake: state.keepAwake,
    awake,
  };
}

/** The reconcile with Okta of each connection: a made-up Okta whose report has a few rows of
 *  each kind, read in about a second. */
type Reconcile = { state: ReconcileState; rows: ReconcileRow[] };
const reconciles = new Map<string, Reconcile>();
let reconcileSchedule: ReconcileSchedule = "daily";

function reconcileOf(id: string): Reconcile {
  const c = state.connections.find((x) => x.id === id);
  if (!c) fail("This connection no longer exists.");
  if (c.provider !== "okta") fail(`Reconciling reads Okta's API, so it is for Okta connections only; "${c.name}" is a Microsoft Entra ID connection.`);
  let r = reconciles.get(id);
  if (!r) {
    r = { state: { connection_id: id, setup: null, running: null, busy_with: null, last_run: null, report: null }, rows: [] };
    reconciles.set(id, r);
  }
  return r;
}

function mockRows(): ReconcileRow[] {
  const row = (kind: ReconcileRowKind, i: number, extra: Partial<ReconcileRow> = {}): ReconcileRow => ({
    kind,
    key: kind === "missing_here" ? `00u${kind}${i}` : `emp-${kind}-${i}`,
    user_name: `${FIRST[i % FIRST.length].toLowerCase()}.${kind.slice(0, 4)}${i}@example.com`,
    email: null,
    okta_user_id: kind === "unknown_to_okta" ? null : `00u${kind}${i}`,
    employee_id: kind === "missing_here" ? null : `emp-${kind}-${i}`,
    field: null,
    ours: null,
    okta: null,
    okta_status: kind === "should_be_deactivated" ? "DEPROVISIONED" : kind === "missing_here" ? "PROVISIONED" : null,
    ...extra,
  });
  return [
    ...Array.from({ length: 3 }, (_, i) => row("missing_here", i)),
    ...Array.from({ length: 2 }, (_, i) => row("stale_here", i, { field: "job_title", ours: "Engineer", okta: "Senior Engineer" })),
    row("should_be_deactivated", 0),
    row("unknown_to_okta", 0),
  ];
}

function finishReconcile(r: Reconcile, apply: string[] | null | "dry") {
  const rows = apply === "dry" ? mockRows() : [];
  const count = (k: ReconcileRowKind) => rows.filter((x) => x.kind === k).length;
  const counts = { missing_here: count("missing_here"), stale_here: count("stale_here"), should_be_deactivated: count("should_be_deactivated"), unknown_to_okta: count("unknown_to_okta") };
  const prev = r.rows;
  const chosen = apply === "dry" ? [] : prev.filter((x) => apply === null || apply.includes(x.key));
  const n = (k: ReconcileRowKind) => new Set(chosen.filter((x) => x.kind === k).map((x) => x.key)).size;
  const applied = apply === "dry" ? null : { created: n("missing_here"), updated: n("stale_here"), deactivated: n("should_be_deactivated") + n("unknown_to_okta"), already_in_step: 0, failed: [] };
  r.rows = apply === "dry" ? rows : [];
  const total = rows.length;
  r.state = {
    ...r.state,
    running: null,
    last_run: {
      id: Date.now(),
      connection_id: r.state.connection_id,
      started_at: iso(1000),
      finished_at: iso(0),
      trigger: "manual",
      apply: apply !== "dry",
      outcome: apply === "dry" && total > 0 ? "drift" : "in_step",
      pages: 1,
      okta_users: 40,
      counts,
      applied: applied && { ...applied, failed: 0 },
      failure: null,
    },
    report: { okta_users: 40, pages: 1, counts, dry_run: apply === "dry", applied },
  };
  changed({ kind: "reconcile", connection_id: r.state.connection_id });
}

function startReconcile(id: string, apply: string[] | null | "dry"): ReconcileState {
  const r = reconcileOf(id);
  if (!r.state.setup) fail(`Reconciling with Okta is not set up for this connection: set up its API access.`);
  if (r.state.running) fail("A reconcile with Okta is already running: wait for it or cancel it.");
  r.state = {
    ...r.state,
    running: { connection_id: id, connection_name: "", trigger: "manual", apply: apply !== "dry", started_at: iso(0), progress: { pages: 0, okta_users: 0, about_total: 40, waiting_until: null, applying: false } },
  };
  setTimeout(() => {
    if (r.state.running) finishReconcile(r, apply);
  }, 1200);
  return r.state;
}

type Handlers = {
  [C in CommandName]: (args: Commands[C]["args"]) => Commands[C]["result"] | Promise<Commands[C]["result"]>;
};

/** Every command of the contract (the type checker says when one is missing or answers otherwise). */
const HANDLERS: Handlers = {
  overview: () => overview(),
  set_provider_enabled: ({ provider, enabled }) => {
    if (provider === "okta") state.oktaEnabled = enabled;
    else state.entraEnabled = enabled;
    changed({ kind: "settings" });
    return overview();
  },
  endpoint_status: () => state.endpoint,
  change_port: ({ port }) => {
    if (!Number.isInteger(port) || port < 1024 || port > 65535) refuse(ERRORS.port_low, "80", String(port));
    if (port === 8742) refuse(ERRORS.port_taken, "{port}", String(port));
    state.listen = `127.0.0.1:${port}`;
    state.endpoint = { state: "serving", listen: state.listen };
    changed({ kind: "endpoint" });
    return state.endpoint;
  },
  list_connections: () => state.connections.map(connectionView),
  add_connection: ({ name: raw, provider }) => {
    const n = raw.trim();
    if (!n) refuse(ERRORS.name_empty);
    const length = [...n].length;
    if (length > 64) refuse(ERRORS.name_too_long, "65", String(length));
    if (state.connections.some((c) => c.name.toLowerCase() === n.toLowerCase())) refuse(ERRORS.name_taken, "okta production", n);
    const c: Conn = { id: uuid(), name: n, provider, created_at: iso(0), token: token(), last_contact: null };
    state.connections.push(c);
    changed({ kind: "connections" });
    return serverMode ? { ...connectionView(c), new_token: c.token } : connectionView(c);
  },
  connection_token: ({ id }) => {
    const c = state.connections.find((x) => x.id === id);
    if (!c) fail("This connection no longer exists.");
    if (serverMode) refuse(ERRORS.token_not_kept, "Okta production", c.name);
    return c.token;
  },
  regenerate_token: ({ id }) => {
    const c = state.connections.find((x) => x.id === id);
    if (!c) fail("This connection no longer exists.");
    c.token = token();
    changed({ kind: "connections" });
    return c.token;
  },
  delete_connection: ({ id }) => {
    state.connections = state.connections.filter((c) => c.id !== id);
    changed({ kind: "connections" });
    return null;
  },
  rehearse_connection: ({ id }) => rehearse(id),
  list_employees: ({ query }) => listEmployees(query),
  employee_detail: ({ id }) => detail(id),
  org_chart: ({ employeeId, includeDeactivated }) => orgChart(employeeId, includeDeactivated),
  org_unresolved: () => orgUnresolved(),
  attribute_mapping: ({ provider }) => attributeMapping(provider),
  mapping_sources: ({ provider }) => mappingSources(provider),
  save_attribute_mapping: ({ provider, input }) => saveMapping(provider, input, "changed"),
  reset_attribute_mapping: ({ provider }) =>
    saveMapping(provider, { fields: attributeMapping(provider).fields.filter((f) => !f.custom).map((f) => ({ ...f, path: f.default_path })), allow_shared_paths: false }, "reset to the default"),
  export_attribute_mapping: ({ provider }) => {
    const a = attributeMapping(provider);
    return JSON.stringify({ provider, allow_shared_paths: a.allow_shared_paths, fields: a.fields.map(({ key, label, kind, custom, path }) => ({ key, label, kind, custom, path })) }, null, 2);
  },
  import_attribute_mapping: ({ provider, json }) => {
    let parsed: MappingInput;
    try {
      parsed = JSON.parse(json) as MappingInput;
      if (!Array.isArray(parsed.fields)) throw new Error("no fields");
    } catch (e) {
      fail(`This is not a mapping SCIM Desk exported (${String(e)}). Export a mapping to see the expected form.`, "json");
    }
    return saveMapping(provider, { fields: parsed.fields, allow_shared_paths: !!parsed.allow_shared_paths }, "imported");
  },
  employee_history: ({ id, before }) => employeeHistory(id, before),
  employee_as_of: ({ id, at }) => employeeAsOf(id, at),
  choose_export_file: ({ suggestedName }) => `~/Downloads/${suggestedName || "export.csv"}`,
  export_employees: ({ query }) => listEmployees({ ...query, limit: 500, after: null, before: null, last: false }).total,
  list_activity: ({ filter }) => listActivity(filter),
  activity_settings: () => activitySettings(),
  set_activity_retention: ({ retention: r }) => {
    if (!Number.isInteger(r.days) || r.days < 1 || r.days > 36_500) refuse(ERRORS.retention_days, "'0'", `'${r.days}'`);
    if (!Number.isInteger(r.lines) || r.lines < 100 || r.lines > 1_000_000_000) refuse(ERRORS.retention_lines, "'5'", `'${r.lines}'`);
    state.retention = { days: r.days, lines: r.lines };
    changed({ kind: "settings" });
    return activitySettings();
  },
  tunnel_status: () => tunnelStatus(),
  set_tunnel: ({ input }) => setTunnel(input),
  acknowledge_url_change: () => {
    state.tunnel.url_changed = null;
    changed({ kind: "tunnel" });
    return tunnelStatus();
  },
  reachability_windows: () => state.reachability,
  dismiss_reachability_window: ({ id }) => {
    state.reachability = state.reachability.map((w) => (w.id === id ? { ...w, dismissed: true } : w));
    changed({ kind: "reachability" });
    return state.reachability;
  },
  general_settings: () => generalSettings(),
  set_start_at_login: ({ enabled }) => {
    state.startAtLogin = enabled;
    state.startAtLoginOffered = true;
    changed({ kind: "settings" });
    return generalSettings();
  },
  start_at_login_offered: () => {
    state.startAtLoginOffered = true;
    changed({ kind: "settings" });
    return generalSettings();
  },
  set_keep_awake: ({ enabled }) => {
    state.keepAwake = enabled;
    if (enabled) state.keepAwakeSince = iso(0);
    changed({ kind: "settings" });
    return generalSettings();
  },
  reconcile_state: ({ connectionId }) => reconcileOf(connectionId).state,
  set_okta_api: ({ connectionId, input }) => {
    const r = reconcileOf(connectionId);
    if (!/^https:\/\/[^/\s]+/.test(input.org_url.trim())) fail(`The org URL "${input.org_url}" cannot be used: Okta's API is only reached over https. Give the address of your Okta org, like https://acme.okta.com.`, "org_url");
    const app = /\/instance\/([A-Za-z0-9]+)/.exec(input.app_id)?.[1] ?? input.app_id.trim();
    if (!/^[A-Za-z0-9]{1,64}$/.test(app)) fail(`"${input.app_id}" is not an Okta app id.`, "app_id");
    if (!input.token.trim()) fail("Paste the Okta API token.", "token");
    if (input.token.trim() === "wrong") fail("Okta refused the API token (401): it is wrong, revoked or expired, or made in another org.", "token");
    const setup = { connection_id: connectionId, connection_name: "", org_url: input.org_url.trim().replace(/\/+$/, ""), app_id: app, app_label: "SCIM Desk", validated_at: iso(0) };
    r.state = { ...r.state, setup };
    changed({ kind: "reconcile", connection_id: connectionId });
    return setup;
  },
  clear_okta_api: ({ connectionId }) => {
    const r = reconcileOf(connectionId);
    r.state = { ...r.state, setup: null };
    changed({ kind: "reconcile", connection_id: connectionId });
    return null;
  },
  start_reconcile: ({ connectionId }) => startReconcile(connectionId, "dry"),
  apply_reconcile: ({ connectionId, keys }) => startReconcile(connectionId, keys),
  cancel_reconcile: ({ connectionId }) => {
    const r = reconcileOf(connectionId);
    r.state = { ...r.state, running: null };
    changed({ kind: "reconcile", connection_id: connectionId });
    return r.state;
  },
  reconcile_rows: ({ connectionId, query }) => {
    const rows = reconcileOf(connectionId).rows.filter((x) => x.kind === query.kind);
    return { rows: rows.slice(query.offset, query.offset + (query.limit || 100)), total: rows.length, offset: query.offset };
  },
  export_reconcile: ({ connectionId }) => reconcileOf(connectionId).rows.length,
  reconcile_schedule: () => reconcileSchedule,
  set_reconcile_schedule: ({ schedule }) => {
    reconcileSchedule = schedule;
    changed({ kind: "settings" });
    return schedule;
  },
  notification_settings: () => state.notifications,
  set_notifications_enabled: ({ enabled }) => {
    state.notifications = { ...state.notifications, enabled };
    changed({ kind: "notifications" });
    return state.notifications;
  },
};

async function handle(cmd: string, args: Record<string, unknown>): Promise<unknown> {
  if (scenario.has("slow")) await sleep(300);
  if (cmd === "plugin:clipboard-manager|write_text") {
    (window as unknown as { __mockClipboard: string }).__mockClipboard = String(args.text);
    await navigator.clipboard?.writeText(String(args.text)).catch(() => {});
    return null;
  }
  if (!(cmd in HANDLERS)) fail(`The mock backend has no command "${cmd}".`);
  const handler = HANDLERS[cmd as CommandName] as (args: unknown) => unknown;
  return handler(args);
}

export function installMock() {
  seed();
  state.reachability = seedReachability();
  mockIPC((cmd, payload) => handle(cmd, (payload ?? {}) as Record<string, unknown>), { shouldMockEvents: true });
  if (scenario.has("live")) setInterval(liveTick, 4000);
  console.info("[scimdesk] mock backend installed");
}
