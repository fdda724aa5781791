// Asks where to save the export, then lets Rust write it (the table never holds all rows). The
// save dialog is Rust's: the webview never names the file, it only passes back the one chosen.
import { call, type EmployeeListQuery } from "../api";
import { csvFileName } from "./format";

/** The number of rows written and where, or null when the admin cancelled. */
export async function exportEmployeesCsv(query: EmployeeListQuery): Promise<{ count: number; path: string } | null> {
  const path = await call("choose_export_file", { suggestedName: csvFileName() });
  if (!path) return null;
  const count = await call("export_employees", { query: { ...query, after: null, before: null, last: false }, path });
  return { count, path };
}
