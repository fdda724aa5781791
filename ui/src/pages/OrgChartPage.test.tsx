import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { EmployeeListQuery, EmployeePage, OrgChartView, OrgPerson, UnresolvedManager } from "../api";
import { ToastProvider } from "../components/Toasts";
import { DataProvider } from "../lib/queries";
import { employee, shellAnswer } from "./employeesTesting";
import { forgetOrgChartToggle, OrgChartPage } from "./OrgChartPage";

afterEach(() => {
  cleanup();
  clearMocks();
  forgetOrgChartToggle();
  window.location.hash = "";
});

const person = (id: string, name: string, fields: Partial<OrgPerson> = {}): OrgPerson => ({
  id, name, email: `${id}@corp.example`, job_title: "Engineer", department: "R&D", status: "active",
  direct_reports: 0, headcount: null, ...fields,
});

const view = (fields: Partial<OrgChartView>): OrgChartView => ({
  person: null, chain: [], chain_capped: false, chain_loops: false, manager_pending: null,
  reports: [], reports_total: 0, roots: [], roots_total: 0, unresolved_managers: 0, ...fields,
});

/** Ceo ← Vp ← Lead ← (Ana, Bob deactivated); eve waits for boss@corp.example. */
function backend() {
  const asked: { employeeId: string | null; includeDeactivated: boolean }[] = [];
  const searches: EmployeeListQuery[] = [];
  mockIPC((cmd, args) => {
    const a = args as Record<string, unknown>;
    switch (cmd) {
      case "org_chart": {
        const q = a as { employeeId: string | null; includeDeactivated: boolean };
        asked.push(q);
        if (q.employeeId === null) return view({ roots: [person("ceo", "Cleo Ceo", { direct_reports: 1 })], roots_total: 1, unresolved_managers: 1 });
        if (q.employeeId === "lead") {
          const reports = [person("ana", "Ana Alvarez", { headcount: 0 })];
          if (q.includeDeactivated) reports.push(person("bob", "Bob Brown", { status: "deactivated", headcount: 0 }));
          return view({
            person: person("lead", "Lee Lead", { direct_reports: reports.length, headcount: reports.length }),
            chain: [person("ceo", "Cleo Ceo", { direct_reports: 1 }), person("vp", "Val Vp", { direct_reports: 1 })],
            reports,
            reports_total: reports.length,
            unresolved_managers: 1,
          });
        }
        if (q.employeeId === "eve") return view({ person: person("eve", "Eve Early"), manager_pending: "boss@corp.example", unresolved_managers: 1 });
        throw { message: "This employee is not in the directory." };
      }
      case "org_unresolved": {
        const list: UnresolvedManager[] = [{ manager: "boss@corp.example", waiting: 7, employees: [person("eve", "Eve Early"), person("fay", "Fay Field")] }];
        return list;
      }
      case "list_employees": {
        const q = (a as { query: EmployeeListQuery }).query;
        searches.push(q);
        const items = q.search?.toLowerCase().startsWith("ev") ? [employee(1, { id: "eve", display_name: "Eve Early", job_title: "Analyst" })] : [];
        const page: EmployeePage = { total: items.length, offset: 0, items, next: null, prev: null, custom_fields: [] };
        return page;
      }
    }
    return shellAnswer(cmd, 5) ?? null;
  });
  return { asked, searches };
}

function renderPage(id: string | null) {
  return render(
    <ToastProvider>
      <DataProvider>
        <OrgChartPage id={id} />
      </DataProvider>
    </ToastProvider>,
  );
}

const card = (id: string) => document.querySelector<HTMLButtonElement>(`[data-testid="org-card"][data-person="${id}"]`)!;

describe("Org chart page", () => {
  it("shows the chain above, the person, and their reports with headcounts", async () => {
    backend();
    renderPage("lead");
    await screen.findByTestId("org-reports");
    const chain = screen.getByTestId("org-chain");
    expect(within(chain).getAllByTestId("org-card").map((c) => c.dataset.person)).toEqual(["ceo", "vp"]);
    expect(within(screen.getByTestId("org-person")).getByText("Lee Lead")).toBeTruthy();
    expect(card("lead").getAttribute("aria-current")).toBe("true");
    expect(within(card("lead")).getByTestId("org-card-count").textContent).toBe("1 direct report");
    expect(screen.queryByText("Bob Brown")).toBeNull();
  });

  it("moves between cards with the arrow keys and opens one with Enter or a click", async () => {
    backend();
    renderPage("lead");
    await screen.findByTestId("org-reports");
    // Only the person's card is in the tab order; arrows move a roving focus.
    expect(card("lead").tabIndex).toBe(0);
    expect(card("vp").tabIndex).toBe(-1);
    card("lead").focus();
    fireEvent.keyDown(card("lead"), { key: "ArrowUp" });
    expect(document.activeElement).toBe(card("vp"));
    expect(card("vp").tabIndex).toBe(0);
    fireEvent.keyDown(card("vp"), { key: "Home" });
    expect(document.activeElement).toBe(card("ceo"));
    fireEvent.keyDown(card("ceo"), { key: "End" });
    expect(document.activeElement).toBe(card("ana"));
    fireEvent.keyDown(card("ana"), { key: "ArrowDown" });
    expect(document.activeElement).toBe(card("ana")); // the last card stays
    fireEvent.keyDown(card("ana"), { key: "ArrowLeft" });
    expect(document.activeElement).toBe(card("lead"));
    // Enter on a button is a click, as the browser does it.
    fireEvent.click(card("vp"));
    expect(window.location.hash).toBe("#/org/vp");
  });

  it("jumps to anyone found by search, from the keyboard", async () => {
    const { searches } = backend();
    renderPage("lead");
    await screen.findByTestId("org-reports");
    const input = screen.getByTestId("org-search");
    fireEvent.change(input, { target: { value: "eve" } });
    const results = await screen.findByTestId("org-search-results");
    await waitFor(() => expect(within(results).getAllByTestId("org-search-result")).toHaveLength(1));
    expect(searches.at(-1)).toMatchObject({ search: "eve", limit: 8 });
    fireEvent.keyDown(input, { key: "ArrowDown" });
    const first = within(results).getByTestId("org-search-result");
    expect(document.activeElement).toBe(first);
    fireEvent.click(first);
    expect(window.location.hash).toBe("#/org/eve");
    expect((input as HTMLInputElement).value).toBe("");
    // Nobody found says so.
    fireEvent.change(input, { target: { value: "zz" } });
    expect(await screen.findByText("No one matches “zz”.")).toBeTruthy();
  });

  it("lists managers not in the directory yet, with who waits for them", async () => {
    backend();
    renderPage("eve");
    expect((await screen.findByTestId("org-manager-pending")).textContent).toContain("boss@corp.example");
    const row = await screen.findByTestId("org-unresolved-row");
    expect(row.textContent).toContain("boss@corp.example");
    expect(row.textContent).toContain("7 people wait for them");
    expect(within(row).getByText("Eve Early").getAttribute("href")).toBe("#/org/eve");
    expect(row.textContent).toContain("and 5 more");
  });

  it("offers the top of the organisation when no one is chosen", async () => {
    backend();
    renderPage(null);
    const roots = await screen.findByTestId("org-roots");
    expect(within(roots).getByText("Cleo Ceo")).toBeTruthy();
    expect(card("ceo").tabIndex).toBe(0);
  });

  it("shows deactivated reports only with the toggle on", async () => {
    const { asked } = backend();
    renderPage("lead");
    await screen.findByTestId("org-reports");
    fireEvent.click(screen.getByTestId("org-show-deactivated"));
    await waitFor(() => expect(card("bob")).toBeTruthy());
    expect(asked.at(-1)).toEqual({ employeeId: "lead", includeDeactivated: true });
    expect(within(card("bob")).getByText("Deactivated")).toBeTruthy();
  });

  it("says so when the employee is not in the directory", async () => {
    backend();
    renderPage("nobody");
    expect((await screen.findByRole("alert")).textContent).toContain("This employee is not in the directory.");
  });
});
