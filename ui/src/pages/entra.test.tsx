// Microsoft Entra ID beside Okta, against the browser mock (which implements the IPC contract
// with two Okta connections and one Entra connection, "HR Entra"): its card and switch, its page
// with only its connections worded as Entra words them, its setup guide, its rehearsal, and the
// provider named wherever a change is shown.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeAll, afterEach, describe, expect, it } from "vitest";
import { call, type ActivityEntry, type Rehearsal } from "../api";
import { ActivityList } from "../components/ActivityList";
import { ActivityPage } from "./ActivityPage";
import { ToastProvider } from "../components/Toasts";
import { DataProvider } from "../lib/queries";
import { installMock } from "../mock";
import { RehearsalPanel } from "./ConnectionCard";
import { EmployeeDetailPage } from "./EmployeeDetailPage";
import { ENTRA_MAPPING } from "./EntraSetupGuide";
import { IntegrationsPage } from "./IntegrationsPage";
import { ProviderPage } from "./ProviderPage";

beforeAll(() => installMock());
afterEach(cleanup);

function show(node: React.ReactNode) {
  render(
    <ToastProvider>
      <DataProvider>{node}</DataProvider>
    </ToastProvider>,
  );
}

describe("the Microsoft Entra ID card", () => {
  it("sits beside Okta's, and its switch turns off Entra only, after asking", async () => {
    show(<IntegrationsPage />);
    const card = await screen.findByTestId("entra-card");
    expect(within(card).getByRole("link").textContent).toBe("Microsoft Entra ID");
    await waitFor(() => expect(screen.getByTestId("entra-status").textContent).toBe("On · 1 connection"));
    expect(screen.getByTestId("okta-status").textContent).toBe("On · 2 connections");

    fireEvent.click(screen.getByTestId("entra-toggle"));
    const dialog = await screen.findByTestId("entra-off-dialog");
    expect(dialog.textContent).toContain("Turn off the Microsoft Entra ID integration?");
    expect(dialog.textContent).toContain("Okta's connections keep working");
    fireEvent.click(screen.getByTestId("confirm-entra-off"));

    await waitFor(() => expect(screen.getByTestId("entra-status").textContent).toBe("Off"));
    expect(screen.getByTestId("okta-status").textContent).toBe("On · 2 connections");
    const o = await call("overview");
    expect([o.okta_enabled, o.entra_enabled]).toEqual([true, false]);

    // On again: no question asked.
    fireEvent.click(screen.getByTestId("entra-toggle"));
    await waitFor(() => expect(screen.getByTestId("entra-status").textContent).toBe("On · 1 connection"));
    expect(screen.queryByTestId("entra-off-dialog")).toBeNull();
  });
});

describe("the Microsoft Entra ID page", () => {
  it("lists only Entra's connections, with a Tenant URL and a Secret Token, and no Okta reconcile", async () => {
    show(<ProviderPage provider="entra" />);
    const row = await screen.findByTestId("connection-row");
    expect(screen.getAllByTestId("connection-row")).toHaveLength(1);
    expect(row.getAttribute("data-connection-name")).toBe("HR Entra");
    const labels = within(row).getAllByRole("term").map((t) => t.textContent);
    expect(labels).toContain("Tenant URL");
    expect(labels).toContain("Secret Token");
    expect(labels).toContain("Last contact from Microsoft Entra ID");
    expect(labels).not.toContain("Base URL");
    expect(within(row).getByTestId("copy-base-url").getAttribute("aria-label")).toBe("Copy the Tenant URL of HR Entra");
    expect(within(row).getByTestId("copy-token").getAttribute("aria-label")).toBe("Copy the Secret Token of HR Entra");
    expect(within(row).queryByTestId("reconcile-area")).toBeNull();
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Microsoft Entra ID");
  });

  it("adds a connection that belongs to Entra", async () => {
    show(<ProviderPage provider="entra" />);
    await screen.findByTestId("connection-row");
    fireEvent.click(screen.getByTestId("add-connection"));
    const dialog = await screen.findByTestId("connection-dialog");
    expect(dialog.textContent).toContain("Add a Microsoft Entra ID connection");
    expect(dialog.textContent).toContain("Tenant URL and a Secret Token");
    fireEvent.change(screen.getByTestId("connection-name"), { target: { value: "Entra staging" } });
    fireEvent.submit(screen.getByTestId("connection-name").closest("form")!);

    await waitFor(() => expect(screen.getAllByTestId("connection-row")).toHaveLength(2));
    const added = screen.getAllByTestId("connection-row").find((r) => r.getAttribute("data-connection-name") === "Entra staging")!;
    expect(added.getAttribute("data-provider")).toBe("entra");
    expect(added.textContent).toContain("Copy the Tenant URL and Secret Token into the Entra application's provisioning settings.");
    const listed = (await call("list_connections")).find((c) => c.name === "Entra staging");
    expect(listed?.provider).toBe("entra");
    expect((await call("overview")).entra_connections).toBe(2);
  });

  it("keeps Okta's page to Okta's connections", async () => {
    show(<ProviderPage provider="okta" />);
    await screen.findAllByTestId("connection-row");
    const names = screen.getAllByTestId("connection-row").map((r) => r.getAttribute("data-connection-name"));
    expect(names).toEqual(["Okta production", "Okta sandbox"]);
    expect(screen.getAllByRole("term").map((t) => t.textContent)).toContain("Base URL");
  });

  it("guides the setup in Entra's words, with our values to copy and the default mappings", async () => {
    show(<ProviderPage provider="entra" />);
    const guide = await screen.findByTestId("entra-setup");
    const row = (await screen.findAllByTestId("connection-row"))[0];
    const text = guide.textContent ?? "";
    for (const words of [
      "Enterprise applications › New application › Create your own application",
      "Integrate any other application you don't find in the gallery (Non-gallery)",
      "Provisioning Mode › Automatic",
      "Admin Credentials",
      "Test Connection",
      "Mappings",
      "Settings › Scope",
      "Sync only assigned users and groups",
      "Provisioning Status › On",
      "Start provisioning",
      "about every 40 minutes",
      "Provision on demand",
    ]) {
      expect(text).toContain(words);
    }
    expect(screen.getByTestId("entra-setup-tenant-url").textContent).toBe(within(row).getByTestId("base-url").textContent);
    expect(within(guide).getByLabelText("Copy the Secret Token")).toBeTruthy();
    const mapping = within(guide).getByTestId("entra-mapping");
    for (const m of ENTRA_MAPPING) expect(mapping.textContent).toContain(m.entra);
    expect(mapping.textContent).toContain('Switch([IsSoftDeleted], , "False", "True", "True", "False")');
  });
});

describe("the rehearsal of an Entra connection", () => {
  const result = (ok: boolean): Rehearsal => ({
    provider: "entra",
    base_url: "https://desk.example/scim/v2/c2",
    ok,
    steps: [
      { step: "reach", request: "GET https://desk.example/scim/v2/c2", outcome: "ok", message: "" },
      {
        step: "lookup",
        request: 'GET …/Users?filter=userName eq "x@scimdesk-test.invalid"',
        outcome: ok ? "ok" : "failed",
        message: ok ? "" : "404: Entra, unlike Okta, does not accept 404 here.",
      },
      { step: "external_id_lookup", request: 'GET …/Users?filter=externalId eq "x"', outcome: "ok", message: "" },
      { step: "bad_token", request: "GET …/Users", outcome: "ok", message: "" },
    ],
    note: null,
    reachable_by_provider: true,
  });

  it("names each step as Entra's Test Connection does, and its verdict for Entra", () => {
    render(<RehearsalPanel provider="entra" state={{ running: false, result: result(true) }} onClose={() => {}} />);
    expect(screen.getByRole("heading").textContent).toBe("Microsoft Entra ID will be able to connect");
    const steps = screen.getAllByTestId("rehearsal-step").map((s) => s.querySelector(".check-step")?.firstChild?.textContent);
    expect(steps).toEqual([
      "The Tenant URL answers",
      "Test Connection: a user who does not exist, looked up by userName",
      "Matching by externalId: a user who does not exist",
      "A wrong Secret Token is refused",
    ]);
  });

  it("says Entra would not connect when its lookup fails", () => {
    render(<RehearsalPanel provider="entra" state={{ running: false, result: result(false) }} onClose={() => {}} />);
    expect(screen.getByRole("heading").textContent).toBe("Microsoft Entra ID would not be able to connect");
    expect(screen.getByText(/does not accept 404/)).toBeTruthy();
  });

  it("runs from the Test button of an Entra connection", async () => {
    show(<ProviderPage provider="entra" />);
    const row = (await screen.findAllByTestId("connection-row")).find((r) => r.getAttribute("data-connection-name") === "HR Entra")!;
    fireEvent.click(within(row).getByTestId("test-connection"));
    const panel = await screen.findByTestId("rehearsal-result");
    expect(panel.textContent).toContain("the way Entra's Test Connection does");
    await waitFor(() => expect(screen.getAllByTestId("rehearsal-step").map((s) => s.getAttribute("data-step"))).toEqual(["reach", "lookup", "external_id_lookup", "bad_token"]), { timeout: 3000 });
    expect(panel.textContent).toContain("Microsoft Entra ID will be able to connect");
  });
});

describe("who made a change", () => {
  const entry = (over: Partial<ActivityEntry>): ActivityEntry => ({
    seq: 1,
    at: "2026-12-07T10:00:00Z",
    connection_id: "c2",
    connection_name: "HR Entra",
    provider: "entra",
    method: "POST",
    operation: "create",
    resource_type: "User",
    resource_id: "u1",
    employee_id: "u1",
    summary: "Created Jane Doe (jane@corp.example)",
    outcome: "success",
    status: 201,
    detail: null,
    ...over,
  });

  it("is on each line of activity: the identity provider and the connection", () => {
    render(
      <ActivityList
        entries={[
          entry({ seq: 3 }),
          entry({ seq: 2, provider: "okta", connection_name: "Okta production", connection_id: "c1" }),
          entry({ seq: 1, provider: null, connection_name: null, connection_id: null }),
        ]}
      />,
    );
    expect(screen.getAllByTestId("activity-made-by").map((e) => e.textContent)).toEqual([
      "Microsoft Entra ID · HR Entra",
      "Okta · Okta production",
      "Unknown connection",
    ]);
  });

  it("is on the employee's page, for an employee Entra provisioned", async () => {
    const entraConn = (await call("list_connections")).find((c) => c.name === "HR Entra")!;
    // Find someone HR Entra provisioned, through its activity.
    const lines = await call("list_activity", { filter: { connection_id: entraConn.id, failures_only: false, search: null, before_seq: null, limit: 100 } });
    const id = lines.find((a) => a.employee_id)?.employee_id;
    expect(id).toBeTruthy();
    expect(lines.every((a) => a.provider === "entra")).toBe(true);
    show(<EmployeeDetailPage id={id!} />);
    expect((await screen.findByTestId("detail-made-by")).textContent).toBe("Microsoft Entra ID · HR Entra");
    expect(screen.getByText("Microsoft Entra ID attributes")).toBeTruthy();
  });
});

describe("the Activity page", () => {
  it("groups its connection filter by identity provider, and filters to Entra's connection", async () => {
    show(<ActivityPage />);
    const select = (await screen.findByTestId("activity-connection")) as HTMLSelectElement;
    await waitFor(() => expect(select.querySelectorAll("optgroup")).toHaveLength(2));
    const groups = [...select.querySelectorAll("optgroup")].map((g) => [g.label, [...g.querySelectorAll("option")].map((o) => o.textContent)]);
    expect(groups[0]).toEqual(["Okta", ["Okta production", "Okta sandbox"]]);
    expect(groups[1][0]).toBe("Microsoft Entra ID");
    expect(groups[1][1]).toContain("HR Entra");

    const entra = [...select.querySelectorAll("option")].find((o) => o.textContent === "HR Entra")!;
    fireEvent.change(select, { target: { value: entra.value } });
    await waitFor(() => {
      const rows = screen.getAllByTestId("activity-row");
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.getAttribute("data-provider") === "entra")).toBe(true);
    });
    expect(screen.getAllByTestId("activity-made-by").every((m) => m.textContent === "Microsoft Entra ID · HR Entra")).toBe(true);
  });
});
