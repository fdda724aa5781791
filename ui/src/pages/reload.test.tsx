// A `reload` change (the database changed in another process, or events were missed) makes the
// open pages fetch what they show again.
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { Employee, EmployeePage } from "../api";
import { ToastProvider } from "../components/Toasts";
import { AppDataProvider } from "../lib/appData";
import { EmployeesPage } from "./EmployeesPage";

afterEach(() => {
  cleanup();
  clearMocks();
});

const emp = (i: number): Employee => ({
  id: `e${i}`, user_name: `u${i}@x.example`, email: `u${i}@x.example`, display_name: `Person ${i}`,
  first_name: null, last_name: null, job_title: null, department: null, business_unit: null,
  manager_email: null, manager_id: null, location: null, employee_id: null,
  status: "active", external_id: null, connection_id: null, created_at: "2026-11-01T00:00:00Z", updated_at: "2026-11-01T00:00:00Z",
});

describe("a reload event", () => {
  it("refreshes the employee table and the overview with what another process added", async () => {
    let employees = 1;
    const calls: string[] = [];
    mockIPC(
      (cmd) => {
        calls.push(cmd);
        switch (cmd) {
          case "overview":
            return { okta_enabled: true, connection_count: 1, employees_active: employees, employees_deactivated: 0, endpoint: { state: "serving", listen: "127.0.0.1:8742" }, data_dir: "" };
          case "list_connections":
            return [];
          case "tunnel_status":
            return null;
          case "list_employees": {
            const page: EmployeePage = { total: employees, offset: 0, items: Array.from({ length: employees }, (_, i) => emp(i)), next: null, prev: null };
            return page;
          }
        }
        return null;
      },
      { shouldMockEvents: true },
    );
    render(
      <ToastProvider>
        <AppDataProvider>
          <EmployeesPage />
        </AppDataProvider>
      </ToastProvider>,
    );
    await waitFor(() => expect(screen.getAllByTestId("employee-row")).toHaveLength(1));
    const { emit } = await import("@tauri-apps/api/event");
    employees = 3; // added by a `scimdesk` command, which the app's own events don't announce
    const before = calls.filter((c) => c === "overview").length;
    await act(async () => {
      await emit("scimdesk://change", { kind: "reload" });
    });
    await waitFor(() => expect(screen.getAllByTestId("employee-row")).toHaveLength(3));
    expect(calls.filter((c) => c === "overview").length).toBeGreaterThan(before);
  });
});
