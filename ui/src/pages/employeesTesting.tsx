// Shared by the Employees page's tests: an employee, the app-wide answers every page asks for,
// and the page rendered inside its providers.
import { render } from "@testing-library/react";
import type { Employee } from "../api";
import { ToastProvider } from "../components/Toasts";
import { DataProvider } from "../lib/queries";
import { EmployeesPage } from "./EmployeesPage";

export const employee = (i: number, fields: Partial<Employee> = {}): Employee => ({
  id: `e${i}`, user_name: `u${i}@x.example`, email: `u${i}@x.example`, display_name: null,
  first_name: `First${i}`, last_name: `Last${i}`, job_title: null, department: null, business_unit: null,
  manager_email: null, manager_id: null, location: null, employee_id: null,
  status: "active", external_id: null, connection_id: null, created_at: "2026-11-01T00:00:00Z", updated_at: "2026-11-01T00:00:00Z",
  custom: {},
  ...fields,
});

/** The answer to an IPC command every page shell asks for, with `active` employees; undefined
 *  for the page's own commands. */
export function shellAnswer(cmd: string, active: number): unknown {
  switch (cmd) {
    case "overview":
      return { okta_enabled: true, entra_enabled: true, connection_count: 1, okta_connections: 1, entra_connections: 0, employees_active: active, employees_deactivated: 0, endpoint: { state: "serving", listen: "127.0.0.1:8742" }, data_dir: "", disk_full: null };
    case "list_connections":
      return [];
    case "tunnel_status":
      return null;
  }
  return undefined;
}

export function renderEmployeesPage() {
  return render(
    <ToastProvider>
      <DataProvider>
        <EmployeesPage />
      </DataProvider>
    </ToastProvider>,
  );
}
