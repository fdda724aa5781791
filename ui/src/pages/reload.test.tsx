// A `reload` change (the database changed in another process, or events were missed) makes the
// open pages fetch what they show again.
import { act, cleanup, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { EmployeePage } from "../api";
import { employee, renderEmployeesPage, shellAnswer } from "./employeesTesting";

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("a reload event", () => {
  it("refreshes the employee table and the overview with what another process added", async () => {
    let employees = 1;
    const calls: string[] = [];
    mockIPC(
      (cmd) => {
        calls.push(cmd);
        if (cmd === "list_employees") {
          const page: EmployeePage = { total: employees, offset: 0, items: Array.from({ length: employees }, (_, i) => employee(i)), next: null, prev: null, custom_fields: [] };
          return page;
        }
        return shellAnswer(cmd, employees) ?? null;
      },
      { shouldMockEvents: true },
    );
    renderEmployeesPage();
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
