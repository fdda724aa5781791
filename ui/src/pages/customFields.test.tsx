// The admin's custom fields: a column each in Employees, after the built-in ones and in the
// order defined, and a line each on the employee's page, under their labels.
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { CustomFieldColumn, EmployeeDetail, EmployeePage } from "../api";
import { ToastProvider } from "../components/Toasts";
import { DataProvider } from "../lib/queries";
import { EmployeeDetailPage } from "./EmployeeDetailPage";
import { forgetEmployeeFilters } from "./EmployeesPage";
import { employee, renderEmployeesPage, shellAnswer } from "./employeesTesting";

afterEach(() => {
  cleanup();
  clearMocks();
  forgetEmployeeFilters();
});

const COLUMNS: CustomFieldColumn[] = [
  { key: "cost_center", label: "Cost center", kind: "text" },
  { key: "start_date", label: "Start date", kind: "date" },
  { key: "remote", label: "Remote", kind: "boolean" },
];

const ada = employee(1, { id: "ada", display_name: "Ada Okafor", job_title: "Engineer", custom: { cost_center: "CC-4100", remote: "true" } });

describe("custom fields", () => {
  it("are columns of the Employees table after the built-in ones, empty where an employee has no value", async () => {
    mockIPC((cmd) => {
      if (cmd === "list_employees")
        return { total: 2, offset: 0, items: [ada, employee(2)], next: null, prev: null, custom_fields: COLUMNS } satisfies EmployeePage;
      return shellAnswer(cmd, 2) ?? null;
    });
    renderEmployeesPage();
    await waitFor(() => expect(screen.getAllByTestId("employee-row")).toHaveLength(2));
    const headers = screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual([
      "Name", "Email", "Job title", "Department", "Business unit", "Manager", "Location", "Employee ID",
      "Cost center", "Start date", "Remote", "Status", "Last update",
    ]);
    const cells = (i: number) => within(screen.getAllByTestId("employee-row")[i]).getAllByRole("cell").map((c) => c.textContent);
    expect(cells(0).slice(8, 11)).toEqual(["CC-4100", "—", "Yes"]);
    expect(cells(1).slice(8, 11)).toEqual(["—", "—", "—"]);
  });

  it("are lines of the employee's profile, under their labels", async () => {
    const detail: EmployeeDetail = {
      employee: ada, manager_name: null, connection_name: "Okta production", provider: "okta",
      attributes: [], groups: [], activity: [], custom_fields: COLUMNS,
    };
    mockIPC((cmd) => (cmd === "employee_detail" ? detail : (shellAnswer(cmd, 1) ?? null)));
    render(
      <ToastProvider>
        <DataProvider>
          <EmployeeDetailPage id="ada" />
        </DataProvider>
      </ToastProvider>,
    );
    const profile = await screen.findByRole("region", { name: "Profile" });
    const row = (label: string) => within(profile).getByText(label).closest(".fields-row")?.querySelector("dd")?.textContent;
    expect(row("Cost center")).toBe("CC-4100");
    expect(row("Start date")).toBe("—");
    expect(row("Remote")).toBe("Yes");
  });
});
