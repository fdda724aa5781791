// The export asks Rust for the file (its own save dialog) and exports to exactly the path that
// came back; a cancelled dialog exports nothing.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { EmployeeListQuery } from "../api";
import { exportEmployeesCsv } from "./exportCsv";

afterEach(() => clearMocks());

const query: EmployeeListQuery = { search: "ada", status: "active", limit: 50, after: "12", before: null, last: false };

describe("exportEmployeesCsv", () => {
  it("exports to the path the save dialog returned, every page", async () => {
    const calls: [string, Record<string, unknown>][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, (args ?? {}) as Record<string, unknown>]);
      if (cmd === "choose_export_file") return "/home/admin/Downloads/employees.csv";
      if (cmd === "export_employees") return 42;
      return null;
    });
    expect(await exportEmployeesCsv(query)).toEqual({ count: 42, path: "/home/admin/Downloads/employees.csv" });
    expect(calls.map(([c]) => c)).toEqual(["choose_export_file", "export_employees"]);
    expect(calls[0][1].suggestedName).toMatch(/^employees-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(calls[1][1]).toEqual({
      query: { ...query, after: null },
      path: "/home/admin/Downloads/employees.csv",
    });
  });

  it("exports nothing when the admin cancels", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return null;
    });
    expect(await exportEmployeesCsv(query)).toBeNull();
    expect(calls).toEqual(["choose_export_file"]);
  });
});
