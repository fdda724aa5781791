// When Okta couldn't reach SCIM Desk: the banner after a long window (with what to do in Okta,
// dismissed for good through the core), the Okta page's list of windows, and their words.
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { ReachabilityWindow } from "../api";
import { DataProvider } from "../lib/queries";
import { bannerWindow, windowLengthText, windowSpanText } from "../lib/words";
import { ReachabilitySection } from "../pages/ReachabilitySection";
import { ReachabilityBanner } from "./Banners";
import { ToastProvider } from "./Toasts";

afterEach(() => {
  cleanup();
  clearMocks();
});

/** A local time today (or `daysAgo` days before), as the core's ISO string. */
function local(hours: number, minutes: number, daysAgo = 0): string {
  const d = new Date();
  d.setDate(d.getDate() - daysAgo);
  d.setHours(hours, minutes, 0, 0);
  return d.toISOString();
}

function win(id: number, over: Partial<ReachabilityWindow>): ReachabilityWindow {
  return {
    id,
    cause: "asleep",
    started_at: local(0, 10),
    ended_at: local(0, 40),
    seconds: 30 * 60,
    clean_stop: null,
    connections: [{ id: "c1", name: "Okta production" }],
    dismissed: false,
    ...over,
  };
}

function renderWith(windows: () => ReachabilityWindow[], dismissed: number[] = []) {
  mockIPC(
    (cmd, args) => {
      if (cmd === "reachability_windows") return windows();
      if (cmd === "dismiss_reachability_window") {
        const id = (args as { id: number }).id;
        dismissed.push(id);
        return windows().map((w) => (w.id === id ? { ...w, dismissed: true } : w));
      }
      return null;
    },
    { shouldMockEvents: true },
  );
  render(
    <ToastProvider>
      <DataProvider>
        <ReachabilityBanner />
        <ReachabilitySection />
      </DataProvider>
    </ToastProvider>,
  );
}

describe("Reachability banner", () => {
  it("tells of the newest long window, with Okta's steps, and is dismissed through the core", async () => {
    const dismissed: number[] = [];
    let windows = [
      // A restart of two minutes: listed, no banner.
      win(3, { cause: "not_running", clean_stop: true, started_at: local(0, 50), ended_at: local(0, 52), seconds: 120 }),
      win(2, { cause: "asleep", started_at: local(0, 10), ended_at: local(0, 40), seconds: 30 * 60 }),
      win(1, { cause: "okta_off", started_at: local(0, 1), ended_at: local(0, 8), seconds: 7 * 60 }),
    ];
    renderWith(() => windows, dismissed);
    const banner = await screen.findByTestId("reachability-banner");
    expect(banner.dataset.windowId).toBe("2");
    expect(within(banner).getByRole("heading").textContent).toBe(
      "Okta couldn't reach SCIM Desk from 00:10 to 00:40 (computer asleep). Pushes in that time may have failed.",
    );
    expect(banner.textContent).toContain("Dashboard › Tasks: retry the failed provisioning tasks.");
    expect(banner.textContent).toContain("Push Groups tab: Push Now.");

    fireEvent.click(within(banner).getByRole("button", { name: "Dismiss" }));
    await waitFor(() => expect(screen.queryByTestId("reachability-banner")).toBeNull());
    expect(dismissed).toEqual([2]);
    // The older window does not take its place: the list has it.
    windows = windows.map((w) => (w.id === 2 ? { ...w, dismissed: true } : w));
    const { emit } = await import("@tauri-apps/api/event");
    await act(async () => {
      await emit("scimdesk://change", { kind: "reachability" });
    });
    expect(screen.queryByTestId("reachability-banner")).toBeNull();
    expect(screen.getAllByTestId("reachability-row")).toHaveLength(3);
  });

  it("appears when a change event brings a long window, naming the dates of one that spans days", async () => {
    let windows: ReachabilityWindow[] = [];
    renderWith(() => windows);
    expect(await screen.findByTestId("reachability-empty")).toBeTruthy();
    expect(screen.queryByTestId("reachability-banner")).toBeNull();

    windows = [win(7, { cause: "not_running", clean_stop: false, started_at: local(22, 10, 1), ended_at: local(7, 45), seconds: 9 * 3600 + 35 * 60 })];
    const { emit } = await import("@tauri-apps/api/event");
    await act(async () => {
      await emit("scimdesk://change", { kind: "reachability" });
    });
    const banner = await screen.findByTestId("reachability-banner");
    const text = within(banner).getByRole("heading").textContent ?? "";
    const start = new Date(local(22, 10, 1));
    const end = new Date(local(7, 45));
    const day = (d: Date) => new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" }).format(d);
    expect(text).toBe(
      `Okta couldn't reach SCIM Desk from ${day(start)}, 22:10 to ${day(end)}, 07:45 (SCIM Desk not running). Pushes in that time may have failed.`,
    );
    const row = screen.getByTestId("reachability-row");
    expect(row.textContent).toContain("9 h 35 min");
    expect(row.textContent).toContain("SCIM Desk was not running");
    expect(row.textContent).toContain("Okta production");
  });

  it("is not shown for a window already dismissed, one still open, or one under five minutes", () => {
    expect(bannerWindow([win(1, { dismissed: true })])).toBeNull();
    expect(bannerWindow([win(1, { ended_at: null, seconds: 3600 })])).toBeNull();
    expect(bannerWindow([win(1, { seconds: 299 })])).toBeNull();
    expect(bannerWindow([win(1, { seconds: 300 })])?.id).toBe(1);
    expect(bannerWindow(undefined)).toBeNull();
  });
});

describe("Reachability words", () => {
  it("say how long and when", () => {
    expect(windowLengthText(45)).toBe("45 s");
    expect(windowLengthText(12 * 60)).toBe("12 min");
    expect(windowLengthText(9 * 3600 + 35 * 60)).toBe("9 h 35 min");
    expect(windowLengthText(2 * 86400 + 3 * 3600)).toBe("2 days 3 h");
    expect(windowSpanText({ started_at: local(15, 0), ended_at: null })).toBe("since 15:00");
    expect(windowSpanText({ started_at: local(12, 30, 3), ended_at: local(13, 45, 3) })).toMatch(/^on .+, from 12:30 to 13:45$/);
  });

  it("list the affected connections, deleted ones too", async () => {
    renderWith(() => [
      win(1, {
        cause: "okta_off",
        connections: [
          { id: "c1", name: "Okta production" },
          { id: "c2", name: null },
        ],
      }),
    ]);
    const row = await screen.findByTestId("reachability-row");
    expect(row.textContent).toContain("Okta production and a deleted connection");
    expect(row.textContent).toContain("The Okta switch was off");
  });
});

describe("the banner, when Entra's connections were affected", () => {
  /** The banner over one window of the Entra connection "HR Entra". */
  function showEntraWindow(w: ReachabilityWindow) {
    mockIPC((cmd) => {
      if (cmd === "reachability_windows") return [{ ...w, connections: [{ id: "e1", name: "HR Entra" }] }];
      if (cmd === "list_connections")
        return [{ id: "e1", name: "HR Entra", provider: "entra", base_url: "", created_at: local(0, 1), last_contact: null, refused: null }];
      return null;
    });
    render(
      <ToastProvider>
        <DataProvider>
          <ReachabilityBanner />
        </DataProvider>
      </ToastProvider>,
    );
  }

  it("names Entra and says what Entra does about the pushes, without Okta's console", async () => {
    showEntraWindow(win(7, { started_at: local(0, 5), ended_at: local(0, 50), seconds: 45 * 60 }));
    await waitFor(() => expect(screen.getByTestId("reachability-banner-text").textContent).toMatch(/^Microsoft Entra ID couldn't reach SCIM Desk/));
    const banner = screen.getByTestId("reachability-banner");
    expect(within(banner).getByTestId("reachability-banner-entra").textContent).toContain("Provision on demand");
    expect(banner.textContent).not.toContain("Okta Admin Console");
    expect(within(banner).queryByTestId("reconcile-now")).toBeNull();
  });

  it("says Entra's own switch was off when that kept Entra out", async () => {
    showEntraWindow(win(8, { cause: "entra_off", started_at: local(0, 5), ended_at: local(0, 50), seconds: 45 * 60 }));
    await waitFor(() => expect(screen.getByTestId("reachability-banner-text").textContent).toContain("(Entra switch off)"));
    expect(screen.getByTestId("reachability-banner-text").textContent).toMatch(/^Microsoft Entra ID couldn't reach SCIM Desk/);
  });
});
