// How the UI reads from Rust: one query cache (TanStack Query) for every screen, keyed by
// command and arguments, and kept fresh by the core's change events through one table.
//
// A screen asks `useQuery(command("list_employees", { query }))`; the answer is cached under
// `["list_employees", { query }]`. When Okta (or a `scimdesk` command, or the app itself)
// changes something, Rust sends a change event, and INVALIDATES says which commands' answers
// are stale: every open screen that shows one fetches it again, quietly, keeping what it shows
// until the new answer arrives.
import { QueryClient, QueryClientProvider, queryOptions, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { call, onChange, type CallArgs, type ChangeEvent, type CommandName } from "../api";
import { batcher } from "./debounce";
import { RederiveProvider } from "./rederive";

/** The commands that read. The others change something, and are called, not cached. */
export type ReadCommand =
  | "overview"
  | "endpoint_status"
  | "list_connections"
  | "list_employees"
  | "employee_detail"
  | "employee_history"
  | "employee_as_of"
  | "org_chart"
  | "org_unresolved"
  | "attribute_mapping"
  | "mapping_sources"
  | "list_activity"
  | "activity_settings"
  | "tunnel_status"
  | "reachability_windows"
  | "general_settings"
  | "reconcile_state"
  | "reconcile_rows"
  | "reconcile_schedule"
  | "notification_settings";

export type ChangeKind = ChangeEvent["kind"];

/**
 * What each change event makes stale: the one place the UI decides what to fetch again. Every
 * kind is listed (the type checker holds the table to the contract's ChangeEvent).
 */
export const INVALIDATES: { readonly [K in ChangeKind]: readonly ReadCommand[] | "everything" } = {
  // Okta created, updated or deactivated someone: the counts, the table, their page, the org
  // chart (a manager or a report may have arrived, moved or left), their history (a change, or
  // a report's manager link made or undone).
  employee: [
    "overview",
    "list_employees",
    "employee_detail",
    "employee_history",
    "employee_as_of",
    "org_chart",
    "org_unresolved",
  ],
  // A group's members are in its members' histories.
  group: ["list_employees", "employee_detail", "employee_history", "employee_as_of"],
  // Every request Okta makes is a line of activity, and is the connection's last contact; a
  // pruned log takes the history of its lines with it.
  activity: ["list_activity", "employee_detail", "employee_history", "employee_as_of", "list_connections", "activity_settings"],
  // A connection added or deleted; the URL-change banner lists every connection's new base URL,
  // and a reachability window names the connections it affected (a deleted one loses its name).
  // Keeping the computer awake needs a connection.
  connections: ["overview", "list_connections", "tunnel_status", "reachability_windows", "general_settings", "reconcile_state"],
  // Base URLs are built from the public URL; a tunnel down, or a URL Okta does not have yet,
  // opens a reachability window (and coming back closes it).
  tunnel: ["tunnel_status", "list_connections", "reachability_windows"],
  // Without a tunnel, base URLs are built from the listen address; a taken port is a window.
  endpoint: [
    "overview",
    "endpoint_status",
    "list_connections",
    "tunnel_status",
    "reachability_windows",
    "general_settings",
  ],
  settings: ["overview", "list_connections", "tunnel_status", "activity_settings", "general_settings", "reconcile_schedule"],
  disk: ["overview"],
  // A window in which Okta couldn't reach SCIM Desk was recorded, opened, closed or dismissed.
  reachability: ["reachability_windows"],
  // The sleep inhibitor was taken, let go, or refused.
  awake: ["general_settings"],
  // A reconcile with Okta started, moved on or ended, or its API access was set up or removed.
  reconcile: ["reconcile_state", "reconcile_rows"],
  // A reconcile dry run found drift: the hook for a notification; the state came with `reconcile`.
  reconcile_drift: [],
  // A CSV export moved on: the Employees page shows its progress; nothing to read again.
  export: [],
  // A desktop notification was shown (its kind's "last notified"), or they were turned on or off.
  notifications: ["notification_settings"],
  // A mapping change is re-deriving employees' fields: the mapping shows the progress, and the
  // employees' fields (and so the table, their page, the org chart) move with each batch.
  rederive: ["attribute_mapping", "list_employees", "employee_detail", "employee_history", "employee_as_of", "org_chart", "org_unresolved"],
  // The database changed under the app (another process), or events were missed.
  reload: "everything",
};

/** The query of a read command: its cache key, and how to fetch it. */
export function command<C extends ReadCommand>(name: C, ...args: CallArgs<C>) {
  return queryOptions({
    queryKey: commandKey(name, ...args),
    queryFn: () => call(name, ...args),
  });
}

/** The cache key of a command's answer: `[name]`, or `[name, args]`. */
export function commandKey<C extends CommandName>(name: C, ...args: CallArgs<C>): readonly unknown[] {
  return [name, ...args];
}

export function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Answers stay true until a change event says otherwise.
        staleTime: Infinity,
        // A failed command is an AppError with a sentence to show, not a network blip.
        retry: false,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
      },
    },
  });
}

/** Marks stale what a batch of change events touched (see INVALIDATES). */
export function invalidate(client: QueryClient, events: readonly ChangeEvent[]): Promise<void> {
  const stale = new Set<ReadCommand>();
  for (const e of events) {
    const what = INVALIDATES[e.kind];
    if (what === "everything") return client.invalidateQueries();
    what.forEach((c) => stale.add(c));
  }
  return Promise.all([...stale].map((c) => client.invalidateQueries({ queryKey: [c] }))).then(() => {});
}

/** Follows the core's change events for as long as it is mounted, in batches (150 ms of quiet, at
 *  most a second apart) so that a bulk import doesn't refetch once per employee. */
function useFollowChanges() {
  const client = useQueryClient();
  useEffect(() => {
    const b = batcher<ChangeEvent>((events) => void invalidate(client, events), 150);
    let stop: (() => void) | null = null;
    let gone = false;
    onChange((e) => b.push(e)).then(
      (unlisten) => (gone ? unlisten() : (stop = unlisten)),
      // No event channel (a plain browser without the mock): screens still load, just not live.
      () => {},
    );
    return () => {
      gone = true;
      stop?.();
      b.cancel();
    };
  }, [client]);
}

function FollowChanges() {
  useFollowChanges();
  return null;
}

/** The query cache, following the core's changes: the app, and each test, renders inside one. */
export function DataProvider({ children, client }: { children: ReactNode; client?: QueryClient }) {
  const [own] = useState(() => client ?? newQueryClient());
  return (
    <QueryClientProvider client={own}>
      <FollowChanges />
      <RederiveProvider>{children}</RederiveProvider>
    </QueryClientProvider>
  );
}
