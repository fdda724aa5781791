// The "Reconcile with Okta" area of a connection card: the API access dialog (errors on the field
// at fault, nothing kept), the progress with Cancel, the report (counts, rows by kind, a page at a
// time), Apply behind a confirmation that says what will change, and the result.
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionView, ReconcileRow, ReconcileRowKind, ReconcileState } from "../api";
import { ReachabilityBanner } from "../components/Banners";
import { ToastProvider } from "../components/Toasts";
import { DataProvider } from "../lib/queries";
import { appliedText, applyPlan, progressText } from "../lib/reconcileWords";
import { ReconcileArea, ROWS_PER_PAGE } from "./ReconcileArea";

afterEach(() => {
  cleanup();
  clearMocks();
});

const conn: ConnectionView = {
  id: "c1",
  name: "Okta production",
  provider: "okta",
  base_url: "https://desk.example/scim/v2/c1",
  created_at: "2026-11-01T10:00:00.000Z",
  last_contact: null,
  refused: null,
  token_kept: true,
};

const SETUP = { connection_id: "c1", connection_name: "Okta production", org_url: "https://acme.okta.com", app_id: "0oa1", app_label: "SCIM Desk", validated_at: "2026-12-01T10:00:00.000Z" };

function empty(): ReconcileState {
  return { connection_id: "c1", setup: null, running: null, busy_with: null, last_run: null, report: null };
}

function row(kind: ReconcileRowKind, i: number, extra: Partial<ReconcileRow> = {}): ReconcileRow {
  return {
    kind,
    key: kind === "missing_here" ? `00u${i}` : `e${kind}${i}`,
    user_name: `${kind}${i}@corp.example`,
    email: null,
    okta_user_id: `00u${i}`,
    employee_id: kind === "missing_here" ? null : `e${kind}${i}`,
    field: kind === "stale_here" ? "job_title" : null,
    ours: kind === "stale_here" ? "Engineer" : null,
    okta: kind === "stale_here" ? "Director" : null,
    okta_status: null,
    ...extra,
  };
}

type Calls = { cmd: string; args: Record<string, unknown> }[];

function backend(
  start: ReconcileState,
  rows: ReconcileRow[] = [],
  answers: Record<string, (args: Record<string, unknown>) => unknown> = {},
  connection: ConnectionView = conn,
) {
  const calls: Calls = [];
  let state = start;
  mockIPC(
    (cmd, raw) => {
      const args = (raw ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      if (answers[cmd]) return answers[cmd](args);
      if (cmd === "reconcile_state") return state;
      if (cmd === "reconcile_rows") {
        const q = args.query as { kind: ReconcileRowKind; offset: number; limit: number };
        const of = rows.filter((r) => r.kind === q.kind);
        return { rows: of.slice(q.offset, q.offset + q.limit), total: of.length, offset: q.offset };
      }
      return null;
    },
    { shouldMockEvents: true },
  );
  render(
    <ToastProvider>
      <DataProvider>
        <ReconcileArea connection={connection} />
      </DataProvider>
    </ToastProvider>,
  );
  return { calls, set: (s: ReconcileState) => (state = s) };
}

async function changed() {
  const { emit } = await import("@tauri-apps/api/event");
  await act(async () => {
    await emit("scimdesk://change", { kind: "reconcile", connection_id: "c1" });
  });
}

describe("Reconcile area", () => {
  it("sets up the API access in a dialog: a refused token is said on its field and nothing is kept", async () => {
    let attempts = 0;
    const b = backend(empty(), [], {
      set_okta_api: (args) => {
        attempts++;
        const input = args.input as { org_url: string; app_id: string; token: string };
        expect(args.connectionId).toBe("c1");
        if (input.token === "wrong") throw { message: "Okta refused the API token (401): it is wrong, revoked or expired.", field: "token" };
        return SETUP;
      },
    });
    fireEvent.click(await screen.findByTestId("setup-okta-api"));
    const dialog = await screen.findByTestId("okta-api-dialog");
    fireEvent.change(within(dialog).getByLabelText("Org URL"), { target: { value: "https://acme.okta.com" } });
    fireEvent.change(within(dialog).getByLabelText("App"), { target: { value: "https://acme-admin.okta.com/admin/app/x/instance/0oa1/" } });
    fireEvent.change(within(dialog).getByLabelText("API token"), { target: { value: "wrong" } });
    fireEvent.click(within(dialog).getByTestId("okta-api-save"));
    const error = await screen.findByTestId("okta-token-error");
    expect(error.textContent).toContain("401");
    expect(within(dialog).getByLabelText("API token").getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("okta-api-setup")).toBeNull();

    fireEvent.change(within(dialog).getByLabelText("API token"), { target: { value: "right" } });
    fireEvent.click(within(dialog).getByTestId("okta-api-save"));
    await waitFor(() => expect(screen.queryByTestId("okta-api-dialog")).toBeNull());
    expect(screen.getByTestId("okta-api-setup").textContent).toContain("https://acme.okta.com");
    expect(screen.getByTestId("run-reconcile")).toBeTruthy();
    expect(attempts).toBe(2);
    const sent = b.calls.filter((c) => c.cmd === "set_okta_api").map((c) => (c.args.input as { app_id: string }).app_id);
    expect(sent[1]).toBe("https://acme-admin.okta.com/admin/app/x/instance/0oa1/");
  });

  it("in server mode asks for no API token: the server's secrets hold it", async () => {
    const b = backend(empty(), [], { set_okta_api: () => SETUP }, { ...conn, token_kept: false });
    fireEvent.click(await screen.findByTestId("setup-okta-api"));
    const dialog = await screen.findByTestId("okta-api-dialog");
    expect(within(dialog).queryByLabelText("API token")).toBeNull();
    expect(within(dialog).getByTestId("okta-token-server-mode").textContent).toContain("server mode");
    fireEvent.change(within(dialog).getByLabelText("Org URL"), { target: { value: "https://acme.okta.com" } });
    fireEvent.change(within(dialog).getByLabelText("App"), { target: { value: "0oa1" } });
    fireEvent.click(within(dialog).getByTestId("okta-api-save"));
    await waitFor(() => expect(screen.queryByTestId("okta-api-dialog")).toBeNull());
    const sent = b.calls.find((c) => c.cmd === "set_okta_api")?.args.input as { token: string };
    expect(sent.token).toBe("");
  });

  it("runs a dry run with a progress bar and Cancel, saying when it waits for Okta's rate limit", async () => {
    const b = backend({ ...empty(), setup: SETUP }, [], {
      start_reconcile: () => ({
        ...empty(),
        setup: SETUP,
        running: {
          connection_id: "c1",
          connection_name: "Okta production",
          trigger: "manual",
          apply: false,
          started_at: "2026-12-07T10:00:00.000Z",
          progress: { pages: 2, okta_users: 1000, about_total: 4000, waiting_until: "2026-12-07T10:00:30.000Z", applying: false },
        },
      }),
      cancel_reconcile: () => ({ ...empty(), setup: SETUP }),
    });
    fireEvent.click(await screen.findByTestId("run-reconcile"));
    const progress = await screen.findByTestId("reconcile-progress");
    expect(progress.textContent).toContain("Read 1,000 app users from Okta (2 pages) of about 4,000; waiting for Okta's rate limit until");
    expect(within(progress).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("25");
    fireEvent.click(within(progress).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByTestId("reconcile-progress")).toBeNull());
    expect(b.calls.some((c) => c.cmd === "cancel_reconcile" && c.args.connectionId === "c1")).toBe(true);
  });

  it("shows the counts, then the rows by kind; applies the rows selected after saying what will change", async () => {
    const rows = [row("missing_here", 1), row("missing_here", 2), row("stale_here", 3), row("should_be_deactivated", 4)];
    const report = { okta_users: 40, pages: 1, counts: { missing_here: 2, stale_here: 1, should_be_deactivated: 1, unknown_to_okta: 0 }, dry_run: true, applied: null };
    const b = backend({ ...empty(), setup: SETUP, report }, rows, {
      apply_reconcile: () => ({ ...empty(), setup: SETUP }),
    });
    const counts = await screen.findByTestId("reconcile-counts");
    expect(within(counts).getByTestId("reconcile-count-missing_here").textContent).toBe("Missing here2");
    expect(within(counts).getByTestId("reconcile-count-unknown_to_okta").textContent).toBe("Unknown to Okta0");
    expect(screen.queryByTestId("reconcile-rows-unknown_to_okta")).toBeNull();
    const stale = await screen.findByTestId("reconcile-rows-stale_here");
    await waitFor(() => expect(within(stale).getAllByTestId("reconcile-row")).toHaveLength(1));
    expect(within(stale).getByTestId("reconcile-row").textContent).toContain("Job titleEngineerDirector");

    const missing = screen.getByTestId("reconcile-rows-missing_here");
    await waitFor(() => expect(within(missing).getAllByTestId("reconcile-row")).toHaveLength(2));
    fireEvent.click(within(missing).getByRole("checkbox", { name: "Select missing_here1@corp.example" }));
    fireEvent.click(within(stale).getByTestId("select-all-stale_here"));
    expect(screen.getByTestId("apply-selected").textContent).toBe("Apply selected (2)");
    fireEvent.click(screen.getByTestId("apply-selected"));
    const plan = await screen.findByTestId("apply-plan");
    expect(plan.textContent).toBe("SCIM Desk reads Okta again, then will create 1 employee, update 1 employee to match Okta. Nobody is deleted.");
    fireEvent.click(screen.getByTestId("confirm-apply"));
    await waitFor(() => expect(b.calls.some((c) => c.cmd === "apply_reconcile")).toBe(true));
    const applied = b.calls.find((c) => c.cmd === "apply_reconcile")!;
    expect(applied.args.keys).toEqual(["00u1", "estale_here3"]);

    // The run's end comes as a change event: the result, then a second run in step.
    b.set({
      ...empty(),
      setup: SETUP,
      report: { ...report, dry_run: false, applied: { created: 1, updated: 1, deactivated: 0, already_in_step: 0, failed: [{ key: "00u1", user_name: "missing_here1@corp.example", reason: "userName is taken" }] } },
    });
    await changed();
    const result = await screen.findByTestId("reconcile-result");
    expect(result.textContent).toContain("Applied: 1 created, 1 updated, 0 deactivated; 1 failed: missing_here1@corp.example: userName is taken. Nobody was deleted.");
  });

  it("applies all behind a confirmation that counts every row", async () => {
    const report = { okta_users: 9, pages: 1, counts: { missing_here: 3, stale_here: 2, should_be_deactivated: 1, unknown_to_okta: 1 }, dry_run: true, applied: null };
    const b = backend({ ...empty(), setup: SETUP, report }, [], { apply_reconcile: () => ({ ...empty(), setup: SETUP }) });
    fireEvent.click(await screen.findByTestId("apply-all"));
    expect((await screen.findByTestId("apply-plan")).textContent).toContain("create 3 employees, update 2 employees, deactivate 2 employees");
    fireEvent.click(screen.getByTestId("confirm-apply"));
    await waitFor(() => expect(b.calls.find((c) => c.cmd === "apply_reconcile")?.args.keys).toBeNull());
  });

  it("shows a big report a page at a time", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => row("missing_here", i));
    const report = { okta_users: 5000, pages: 10, counts: { missing_here: 5000, stale_here: 0, should_be_deactivated: 0, unknown_to_okta: 0 }, dry_run: true, applied: null };
    backend({ ...empty(), setup: SETUP, report }, rows);
    const missing = await screen.findByTestId("reconcile-rows-missing_here");
    await waitFor(() => expect(within(missing).getAllByTestId("reconcile-row")).toHaveLength(ROWS_PER_PAGE));
    expect(missing.textContent).toContain("1–50 of 5,000");
    fireEvent.click(within(missing).getByRole("button", { name: "Next missing here rows" }));
    await waitFor(() => expect(missing.textContent).toContain("51–100 of 5,000"));
    expect(within(missing).getAllByTestId("reconcile-row")[0].dataset.key).toBe("00u50");
  });

  it("says when it was last reconciled, and why a run failed", async () => {
    backend({
      ...empty(),
      setup: SETUP,
      last_run: {
        id: 1,
        connection_id: "c1",
        started_at: "2026-12-07T09:00:00.000Z",
        finished_at: "2026-12-07T09:00:05.000Z",
        trigger: "schedule",
        apply: false,
        outcome: "failed",
        pages: 0,
        okta_users: 0,
        counts: null,
        applied: null,
        failure: "Okta refused the API token (401).",
      },
    });
    const last = await screen.findByTestId("last-reconciled");
    expect(last.textContent).toMatch(/^Last reconciled .+ \(on schedule\): Failed: Okta refused the API token \(401\)\.$/);
  });
});

describe("Reconcile schedule", () => {
  it("is chosen near the reconcile area and sent to the core", async () => {
    const chosen: unknown[] = [];
    backend({ ...empty(), setup: SETUP }, [], {
      reconcile_schedule: () => "daily",
      set_reconcile_schedule: (args) => {
        chosen.push(args.schedule);
        return args.schedule;
      },
    });
    const select = (await screen.findByLabelText(/Reconcile by itself/)) as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe("daily"));
    expect([...select.options].map((o) => o.textContent)).toEqual(["Off", "Every 6 hours", "Daily", "Weekly"]);
    fireEvent.change(select, { target: { value: "weekly" } });
    await waitFor(() => expect(chosen).toEqual(["weekly"]));
    await waitFor(() => expect(select.value).toBe("weekly"));
  });

  it("is not offered before the API access is set up", async () => {
    backend(empty());
    await screen.findByTestId("setup-okta-api");
    expect(screen.queryByTestId("reconcile-schedule")).toBeNull();
  });
});

describe("Reconcile words", () => {
  it("word progress, plans and results", () => {
    expect(progressText({ pages: 0, okta_users: 0, about_total: null, waiting_until: null, applying: false })).toBe("Asking Okta for the app's users…");
    expect(progressText({ pages: 1, okta_users: 1, about_total: 0, waiting_until: null, applying: false })).toBe("Read 1 app user from Okta (1 page)");
    expect(applyPlan(0, 0, 0)).toBe("change nothing");
    expect(applyPlan(0, 2, 1)).toBe("update 2 employees, deactivate 1 employee");
    expect(appliedText({ created: 3, updated: 2, deactivated: 0, already_in_step: 1, failed: [] })).toBe(
      "Applied: 3 created, 2 updated, 0 deactivated; 1 already in step. Nobody was deleted.",
    );
  });
});

describe("Reachability banner's Reconcile now", () => {
  it("offers a dry run for each connection of the window whose API access is set up", async () => {
    const started: unknown[] = [];
    const window = {
      id: 4,
      cause: "asleep" as const,
      started_at: new Date(Date.now() - 3 * 3600_000).toISOString(),
      ended_at: new Date(Date.now() - 3600_000).toISOString(),
      seconds: 2 * 3600,
      clean_stop: null,
      connections: [
        { id: "c1", name: "Okta production" },
        { id: "c2", name: "Okta sandbox" },
      ],
      dismissed: false,
    };
    mockIPC(
      (cmd, raw) => {
        const args = (raw ?? {}) as { connectionId?: string };
        if (cmd === "reachability_windows") return [window];
        if (cmd === "reconcile_state") return { ...empty(), connection_id: args.connectionId, setup: args.connectionId === "c1" ? SETUP : null };
        if (cmd === "start_reconcile") {
          started.push(args.connectionId);
          return { ...empty(), setup: SETUP };
        }
        return null;
      },
      { shouldMockEvents: true },
    );
    render(
      <ToastProvider>
        <DataProvider>
          <ReachabilityBanner />
        </DataProvider>
      </ToastProvider>,
    );
    const button = await screen.findByTestId("reconcile-now");
    expect(screen.getAllByTestId("reconcile-now")).toHaveLength(1);
    expect(button.textContent).toBe("Reconcile now");
    fireEvent.click(button);
    await waitFor(() => expect(started).toEqual(["c1"]));
  });
});
