// Settings > Notifications: the switch, saved through IPC, and a line per kind saying when it
// last notified.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { NotificationSettings } from "../api";
import { ToastProvider } from "../components/Toasts";
import { DataProvider } from "../lib/queries";
import { NotificationsPage } from "./NotificationsPage";

afterEach(() => {
  cleanup();
  clearMocks();
});

function setup() {
  let settings: NotificationSettings = {
    enabled: true,
    kinds: [
      { kind: "push_failed", last_at: "2026-12-07T10:00:00.000Z" },
      { kind: "window_ended", last_at: null },
      { kind: "drift_found", last_at: null },
    ],
  };
  const switched: boolean[] = [];
  mockIPC((cmd, args) => {
    if (cmd === "notification_settings") return settings;
    if (cmd === "set_notifications_enabled") {
      const enabled = (args as { enabled: boolean }).enabled;
      switched.push(enabled);
      settings = { ...settings, enabled };
      return settings;
    }
    return null;
  });
  render(
    <ToastProvider>
      <DataProvider>
        <NotificationsPage />
      </DataProvider>
    </ToastProvider>,
  );
  return { switched };
}

describe("Notifications settings", () => {
  it("shows a line per kind with when it last notified and the page it opens", async () => {
    setup();
    const kinds = await screen.findAllByTestId("notice-kind");
    expect(kinds.map((k) => k.dataset.kind)).toEqual(["push_failed", "window_ended", "drift_found"]);
    expect(within(kinds[0]).getByTestId("notice-last").textContent).toMatch(/^Last notified /);
    expect(within(kinds[0]).getByRole("link").getAttribute("href")).toBe("#/activity");
    expect(within(kinds[1]).getByTestId("notice-last").textContent).toBe("Not notified yet");
    expect(within(kinds[1]).getByRole("link").getAttribute("href")).toBe("#/settings/integrations/okta");
  });

  it("turns them off with the switch", async () => {
    const { switched } = setup();
    const toggle = (await screen.findByTestId("notifications-switch")) as HTMLInputElement;
    expect(toggle.checked).toBe(true);
    fireEvent.click(toggle);
    await waitFor(() => expect(switched).toEqual([false]));
    await waitFor(() => expect(((screen.getByTestId("notifications-switch")) as HTMLInputElement).checked).toBe(false));
    expect(await screen.findByText("Desktop notifications turned off.")).toBeTruthy();
  });
});
