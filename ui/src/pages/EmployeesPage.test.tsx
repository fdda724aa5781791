import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { EmployeeListQuery, EmployeePage } from "../api";
import { forgetEmployeeFilters } from "./EmployeesPage";
import { employee, renderEmployeesPage, shellAnswer } from "./employeesTesting";

afterEach(() => {
  cleanup();
  clearMocks();
  forgetEmployeeFilters();
});

const TOTAL = 100_000;

/** A backend of 100,000 employees whose cursors are positions, recording every query. */
function backend() {
  const queries: EmployeeListQuery[] = [];
  mockIPC((cmd, args) => {
    switch (cmd) {
      case "list_employees": {
        const q = (args as { query: EmployeeListQuery }).query;
        queries.push(q);
        const total = q.search ? 3 : TOTAL;
        let start = 0;
        if (q.last) start = total - q.limit;
        else if (q.after != null) start = Number(q.after) + 1;
        else if (q.before != null) start = Math.max(0, Number(q.before) - q.limit);
        start = Math.max(0, start);
        const end = Math.min(total, start + q.limit);
        const page: EmployeePage = {
          total,
          offset: start,
          items: Array.from({ length: end - start }, (_, k) => employee(start + k)),
          custom_fields: [],
          next: end < total ? String(end - 1) : null,
          prev: start > 0 ? String(start) : null,
        };
        return page;
      }
    }
    return shellAnswer(cmd, TOTAL) ?? null;
  });
  renderEmployeesPage();
  return queries;
}

const info = () => screen.getByTestId("page-info").textContent;

describe("Employees page", () => {
  it("shows one page of a large directory and walks it by cursor", async () => {
    const queries = backend();
    await waitFor(() => expect(info()).toBe("1–50 of 100,000"));
    expect(screen.getAllByTestId("employee-row")).toHaveLength(50);
    expect(queries.at(-1)).toMatchObject({ limit: 50, after: null, before: null, last: false, status: "all" });
    expect((screen.getByTestId("page-prev") as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByTestId("page-next"));
    await waitFor(() => expect(info()).toBe("51–100 of 100,000"));
    expect(queries.at(-1)).toMatchObject({ after: "49", before: null });

    fireEvent.click(screen.getByTestId("page-last"));
    await waitFor(() => expect(info()).toBe("99,951–100,000 of 100,000"));
    expect(queries.at(-1)).toMatchObject({ last: true, after: null });
    expect((screen.getByTestId("page-next") as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByTestId("page-prev"));
    await waitFor(() => expect(info()).toBe("99,901–99,950 of 100,000"));
    expect(queries.at(-1)).toMatchObject({ before: "99950" });
    expect(screen.getAllByTestId("employee-row")).toHaveLength(50);

    fireEvent.click(screen.getByTestId("page-first"));
    await waitFor(() => expect(info()).toBe("1–50 of 100,000"));
  });

  it("searches once the typing pauses, from the first page", async () => {
    const queries = backend();
    await waitFor(() => expect(info()).toBe("1–50 of 100,000"));
    fireEvent.click(screen.getByTestId("page-next"));
    await waitFor(() => expect(info()).toBe("51–100 of 100,000"));
    const before = queries.length;
    const box = screen.getByTestId("employee-search");
    for (const v of ["j", "ja", "jan", "jane"]) fireEvent.change(box, { target: { value: v } });
    await waitFor(() => expect(info()).toBe("1–3 of 3"));
    const searches = queries.slice(before).filter((q) => q.search !== null);
    expect(searches).toHaveLength(1);
    expect(searches[0]).toMatchObject({ search: "jane", after: null, before: null });
  });

  it("shows the export's progress, with its count, while it runs", async () => {
    const exports: ((count: number) => void)[] = [];
    mockIPC(
      (cmd) => {
        switch (cmd) {
          case "list_employees":
            return { total: 1_000_000, offset: 0, items: [employee(0)], next: null, prev: null, custom_fields: [] } satisfies EmployeePage;
          case "choose_export_file":
            return "/home/admin/employees.csv";
          case "export_employees":
            return new Promise<number>((resolve) => exports.push(resolve));
        }
        return shellAnswer(cmd, 1_000_000) ?? null;
      },
      { shouldMockEvents: true },
    );
    renderEmployeesPage();
    await waitFor(() => expect(screen.getAllByTestId("employee-row")).toHaveLength(1));
    expect(screen.queryByTestId("export-progress")).toBeNull();

    fireEvent.click(screen.getByTestId("export-csv"));
    await waitFor(() => expect(exports).toHaveLength(1));
    const { emit } = await import("@tauri-apps/api/event");
    const progress = (written: number) => emit("scimdesk://change", { kind: "export", written, total: 1_000_000, done: false });
    // Sent until the page has subscribed (subscribing is asynchronous), as the core sends them.
    await waitFor(async () => {
      await progress(250_000);
      expect(screen.getByTestId("export-progress").textContent).toContain("Exporting 250,000 of 1,000,000 employees…");
    });
    expect(screen.getByRole("progressbar", { name: "CSV export" }).getAttribute("aria-valuenow")).toBe("25");
    expect(screen.getByTestId("export-csv").textContent).toBe("Exporting…");

    await progress(990_000);
    await waitFor(() => expect(screen.getByRole("progressbar", { name: "CSV export" }).getAttribute("aria-valuenow")).toBe("99"));

    exports[0](1_000_000);
    await screen.findByText("Exported 1,000,000 employees to /home/admin/employees.csv");
    expect(screen.queryByTestId("export-progress")).toBeNull();
    expect(screen.getByTestId("export-csv").textContent).toBe("Export CSV");
  });
});
