// The query cache and its one invalidation table: what a change event makes stale, and that a
// burst of events (an import) is one refetch, not one per event.
import { useQuery } from "@tanstack/react-query";
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeEvent } from "../api";
import { command, commandKey, DataProvider, INVALIDATES, invalidate, newQueryClient, type ReadCommand } from "./queries";

afterEach(() => {
  cleanup();
  clearMocks();
});

const READS: ReadCommand[] = [
  "overview",
  "endpoint_status",
  "list_connections",
  "list_employees",
  "employee_detail",
  "list_activity",
  "activity_settings",
  "tunnel_status",
  "reachability_windows",
  "general_settings",
];

/** A cache holding an answer of every read command; which of them an event leaves stale. */
async function staleAfter(event: ChangeEvent): Promise<ReadCommand[]> {
  const client = newQueryClient();
  for (const c of READS) client.setQueryData([c, { some: "args" }], {});
  await invalidate(client, [event]);
  return READS.filter((c) => client.getQueryState([c, { some: "args" }])?.isInvalidated);
}

describe("the invalidation table", () => {
  it("marks stale what each kind of change touches, whatever the arguments", async () => {
    expect(await staleAfter({ kind: "employee", id: "e1" })).toEqual(["overview", "list_employees", "employee_detail"]);
    expect(await staleAfter({ kind: "activity", connection_id: null })).toEqual([
      "list_connections",
      "employee_detail",
      "list_activity",
      "activity_settings",
    ]);
    expect(await staleAfter({ kind: "disk" })).toEqual(["overview"]);
    // A mapping change rewrites employees' fields batch by batch.
    expect(await staleAfter({ kind: "rederive", provider: "okta", done: 40, total: 80, finished: false })).toEqual([
      "list_employees",
      "employee_detail",
    ]);
    expect(await staleAfter({ kind: "tunnel" })).toEqual([
      "list_connections",
      "tunnel_status",
      "reachability_windows",
    ]);
    expect(await staleAfter({ kind: "reachability" })).toEqual(["reachability_windows"]);
    expect(await staleAfter({ kind: "connections" })).toEqual([
      "overview",
      "list_connections",
      "tunnel_status",
      "reachability_windows",
      "general_settings",
    ]);
    // The sleep inhibitor's state is shown on Settings › General only.
    expect(await staleAfter({ kind: "awake" })).toEqual(["general_settings"]);
  });

  it("makes everything stale on a reload", async () => {
    expect(await staleAfter({ kind: "reload" })).toEqual(READS);
    expect(INVALIDATES.reload).toBe("everything");
  });
});

function Overview() {
  const { data } = useQuery(command("overview"));
  return <p data-testid="active">{data ? data.employees_active : "…"}</p>;
}

describe("change events", () => {
  it("refetch once for a burst of 200", async () => {
    let active = 1;
    let calls = 0;
    mockIPC(
      (cmd) => {
        if (cmd !== "overview") return null;
        calls++;
        return { okta_enabled: true, entra_enabled: true, connection_count: 1, okta_connections: 1, entra_connections: 0, employees_active: active, employees_deactivated: 0, endpoint: { state: "serving", listen: "127.0.0.1:8742" }, data_dir: "", disk_full: null };
      },
      { shouldMockEvents: true },
    );
    render(
      <DataProvider>
        <Overview />
      </DataProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("active").textContent).toBe("1"));
    const { emit } = await import("@tauri-apps/api/event");
    active = 201;
    await act(async () => {
      await new Promise((r) => setTimeout(r, 20)); // let the listener register
      for (let i = 0; i < 200; i++) await emit("scimdesk://change", { kind: "employee", id: `e${i}` });
      await new Promise((r) => setTimeout(r, 300));
    });
    await waitFor(() => expect(screen.getByTestId("active").textContent).toBe("201"));
    expect(calls).toBe(2);
  });
});

describe("cache keys", () => {
  it("are the command and its arguments", () => {
    expect(commandKey("overview")).toEqual(["overview"]);
    expect(commandKey("employee_detail", { id: "e1" })).toEqual(["employee_detail", { id: "e1" }]);
    expect(command("employee_detail", { id: "e1" }).queryKey).toEqual(["employee_detail", { id: "e1" }]);
  });
});
