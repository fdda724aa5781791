// The employee page's History: the timeline as the core sends it (newest first, each event's
// time, provider and connection, source, "Field: before → after"), "Load older", and the
// read-only "As of…" view with its way back to now.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { EmployeeAsOf, EmployeeHistoryPage, HistoryEvent } from "../api";
import { DataProvider } from "../lib/queries";
import { changeText, HistorySection, localInputToIso, sourceText } from "./EmployeeHistory";

afterEach(() => {
  cleanup();
  clearMocks();
});

const event = (seq: number, fields: Partial<HistoryEvent>): HistoryEvent => ({
  seq, at: `2026-12-0${seq}T10:00:00.000Z`, connection_name: "Okta prod", provider: "okta", method: "PATCH", source: "push",
  summary: `Updated Maria Lopez (${seq})`, changes: [], ...fields,
});

const NEWEST: HistoryEvent[] = [
  event(5, {
    changes: [
      { field: "groups", label: "Groups", before: null, after: "Sales EMEA" },
      { field: "groups", label: "Groups", before: "Marketing", after: null },
    ],
  }),
  event(4, { method: "RECONCILE", source: "reconcile", changes: [{ field: "job_title", label: "Job title", before: "Engineer", after: "Senior Engineer" }] }),
  event(3, { provider: "entra", connection_name: "HR Entra", changes: [{ field: "department", label: "Department", before: null, after: "Sales" }] }),
];
const OLDER: HistoryEvent[] = [
  event(1, {
    method: "POST",
    summary: "Created Maria Lopez (maria@corp.example)",
    changes: [
      { field: "job_title", label: "Job title", before: null, after: "Engineer" },
      { field: "status", label: "Status", before: null, after: "active" },
    ],
  }),
];

function backend() {
  const asked: { history: (number | null)[]; asOf: string[] } = { history: [], asOf: [] };
  mockIPC((cmd, args) => {
    const a = args as Record<string, unknown>;
    if (cmd === "employee_history") {
      const before = a.before as number | null;
      asked.history.push(before);
      const page: EmployeeHistoryPage =
        before === null
          ? { employee_id: "e1", events: NEWEST, next_before: 3, kept_since: "2026-11-01T00:00:00.000Z" }
          : { employee_id: "e1", events: OLDER, next_before: null, kept_since: "2026-11-01T00:00:00.000Z" };
      return page;
    }
    if (cmd === "employee_as_of") {
      const at = a.at as string;
      asked.asOf.push(at);
      const then: EmployeeAsOf = {
        employee_id: "e1", at, state: at < "2026-11-15" ? "not_yet" : "known", created_at: "2026-11-20T00:00:00.000Z", kept_since: "2026-11-01T00:00:00.000Z",
        fields: [
          { field: "job_title", label: "Job title", value: "Engineer" },
          { field: "department", label: "Department", value: null },
        ],
        groups: ["Marketing"],
      };
      return then;
    }
    throw new Error(`unexpected ${cmd}`);
  });
  return asked;
}

const text = (el: Element | null) => el?.textContent ?? "";

function renderSection() {
  return render(
    <DataProvider>
      <HistorySection id="e1" />
    </DataProvider>,
  );
}

describe("the history timeline", () => {
  it("lists the changes newest first with their source, connection and before → after", async () => {
    const asked = backend();
    renderSection();
    const items = await screen.findAllByTestId("history-event");
    expect(items).toHaveLength(3);
    expect(text(items[0])).toContain("Okta push · Okta prod");
    expect(text(items[0])).toContain("Added to group Sales EMEA");
    expect(text(items[0])).toContain("Removed from group Marketing");
    expect(text(items[1])).toContain("Reconcile with Okta");
    expect(text(items[1])).toContain("Job title: Engineer → Senior Engineer");
    expect(text(items[2])).toContain("Microsoft Entra ID push · HR Entra");
    expect(text(items[2])).toContain("Department: — → Sales");
    // The exact time on hover.
    const time = within(items[0]).getByText((_, el) => el?.tagName === "TIME");
    expect(time.getAttribute("datetime")).toBe("2026-12-05T10:00:00.000Z");
    expect(time.getAttribute("title")).toBeTruthy();

    fireEvent.click(screen.getByTestId("history-older"));
    await waitFor(() => expect(screen.getAllByTestId("history-event")).toHaveLength(4));
    expect(asked.history).toEqual([null, 3]);
    expect(text(screen.getAllByTestId("history-event")[3])).toContain("Job title: — → Engineer");
    expect(screen.queryByTestId("history-older")).toBeNull();
    expect(text(screen.getByTestId("history-kept-since"))).toContain("Changes are kept since");
  });

  it("says so when nothing is recorded", async () => {
    mockIPC(() => ({ employee_id: "e1", events: [], next_before: null, kept_since: "2026-11-01T00:00:00.000Z" }));
    renderSection();
    expect(await screen.findByText("No changes recorded yet.")).toBeTruthy();
  });
});

describe("as of a past time", () => {
  it("shows the fields then, read-only and marked as a past view, and goes back to now", async () => {
    const asked = backend();
    renderSection();
    await screen.findAllByTestId("history-event");
    fireEvent.change(screen.getByLabelText("As of…"), { target: { value: "2026-11-25T09:30" } });
    fireEvent.click(screen.getByTestId("asof-show"));
    const view = await screen.findByTestId("asof-view");
    expect(text(view)).toContain("Past view: as of");
    const fields = await within(view).findByTestId("asof-fields");
    expect(text(fields)).toContain("Job title");
    expect(text(fields)).toContain("Engineer");
    expect(text(fields)).toContain("Marketing");
    expect(within(fields).queryByRole("textbox")).toBeNull();
    // The local time the admin chose, sent as an instant.
    expect(asked.asOf).toEqual([new Date("2026-11-25T09:30").toISOString()]);

    fireEvent.click(within(view).getByTestId("asof-back"));
    expect(screen.queryByTestId("asof-view")).toBeNull();
  });

  it("says the employee was not there yet, and refuses an empty time", async () => {
    backend();
    renderSection();
    await screen.findAllByTestId("history-event");
    fireEvent.click(screen.getByTestId("asof-show"));
    expect(text(await screen.findByRole("alert"))).toContain("Choose a date and time.");
    expect(screen.queryByTestId("asof-view")).toBeNull();
    fireEvent.change(screen.getByLabelText("As of…"), { target: { value: "2026-11-02T08:00" } });
    fireEvent.click(screen.getByTestId("asof-show"));
    expect(text(await screen.findByTestId("asof-note"))).toContain("Not in the directory yet");
  });
});

describe("wording", () => {
  it("words sources and changes as the admin reads them", () => {
    expect(sourceText({ source: "push", provider: "okta", method: "PUT" })).toBe("Okta push");
    expect(sourceText({ source: "mapping", provider: "okta", method: "MAPPING" })).toBe("Mapping change");
    expect(changeText({ field: "manager_link", label: "Reports to", before: null, after: "Bo Ss <boss@corp.example>" })).toBe(
      "Reports to: — → Bo Ss <boss@corp.example>",
    );
    expect(changeText({ field: "status", label: "Status", before: "active", after: "deactivated" })).toBe("Status: Active → Deactivated");
    expect(localInputToIso("not a time")).toBeNull();
  });
});
