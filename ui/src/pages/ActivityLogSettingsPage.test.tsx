// Settings > Activity log: the retention is read, checked here first, and saved through IPC;
// the backend's refusal lands under its field.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { ActivitySettings, Retention } from "../api";
import { ToastProvider } from "../components/Toasts";
import { DataProvider } from "../lib/queries";
import { ActivityLogSettingsPage } from "./ActivityLogSettingsPage";

afterEach(() => {
  cleanup();
  clearMocks();
});

const DEFAULTS: Retention = { days: 180, lines: 1_000_000 };

function setup(refuse?: { field: string; message: string }) {
  let retention: Retention = { ...DEFAULTS };
  const saved: Retention[] = [];
  mockIPC((cmd, args) => {
    const settings = (): ActivitySettings => ({
      retention,
      defaults: DEFAULTS,
      size: { lines: 123456, oldest_at: "2026-06-01T10:00:00.000Z" },
    });
    if (cmd === "activity_settings") return settings();
    if (cmd === "set_activity_retention") {
      const r = (args as { retention: Retention }).retention;
      saved.push(r);
      if (refuse) throw refuse;
      retention = r;
      return settings();
    }
    return null;
  });
  render(
    <ToastProvider>
      <DataProvider>
        <ActivityLogSettingsPage />
      </DataProvider>
    </ToastProvider>,
  );
  return { saved };
}

describe("Activity log settings", () => {
  it("shows what the log keeps and how large it is", async () => {
    setup();
    expect(((await screen.findByTestId("retention-days")) as HTMLInputElement).value).toBe("180");
    expect((screen.getByTestId("retention-lines") as HTMLInputElement).value).toBe("1000000");
    expect(screen.getByTestId("activity-log-size").textContent).toMatch(/Now 123,456 lines, the oldest from/);
  });

  it("refuses numbers out of range without asking the backend", async () => {
    const { saved } = setup();
    fireEvent.change(await screen.findByTestId("retention-lines"), { target: { value: "50" } });
    fireEvent.change(screen.getByTestId("retention-days"), { target: { value: "a week" } });
    fireEvent.click(screen.getByTestId("retention-save"));
    expect((await screen.findByTestId("retention-lines-error")).textContent).toMatch(/100 to 1,000,000,000/);
    expect(screen.getByTestId("retention-days-error").textContent).toMatch(/1 to 36,500/);
    expect(saved).toEqual([]);
  });

  it("saves the numbers typed, separators and all", async () => {
    const { saved } = setup();
    fireEvent.change(await screen.findByTestId("retention-days"), { target: { value: " 30 " } });
    fireEvent.change(screen.getByTestId("retention-lines"), { target: { value: "250,000" } });
    fireEvent.click(screen.getByTestId("retention-save"));
    await waitFor(() => expect(saved).toEqual([{ days: 30, lines: 250_000 }]));
    await waitFor(() => expect((screen.getByTestId("retention-lines") as HTMLInputElement).value).toBe("250000"));
  });

  it("shows the backend's refusal under its field", async () => {
    setup({ field: "days", message: "'40000' is not a number of days to keep activity for." });
    fireEvent.change(await screen.findByTestId("retention-days"), { target: { value: "36000" } });
    fireEvent.click(screen.getByTestId("retention-save"));
    expect((await screen.findByTestId("retention-days-error")).textContent).toMatch(/not a number of days/);
  });
});
