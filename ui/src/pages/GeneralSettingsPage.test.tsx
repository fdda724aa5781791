// Settings › General: the login entry's switch shows what the system says, the sleep inhibitor's
// state is worded for the admin, and the question after the first connection turns nothing on
// without a Yes.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { AwakeStatus, GeneralSettings } from "../api";
import { ToastProvider } from "../components/Toasts";
import { DataProvider } from "../lib/queries";
import { GeneralSettingsPage, shouldOfferStartAtLogin, StartAtLoginOffer } from "./GeneralSettingsPage";

afterEach(() => {
  cleanup();
  clearMocks();
});

function backend(initial: Partial<GeneralSettings> = {}) {
  const g: GeneralSettings = {
    start_at_login: false,
    start_at_login_error: null,
    start_at_login_offered: false,
    keep_awake: false,
    awake: { state: "not_held", reason: "option_off" },
    ...initial,
  };
  const calls: [string, unknown][] = [];
  mockIPC((cmd, args) => {
    calls.push([cmd, args]);
    if (cmd === "general_settings") return { ...g };
    if (cmd === "set_start_at_login") {
      g.start_at_login = (args as { enabled: boolean }).enabled;
      g.start_at_login_offered = true;
      return { ...g };
    }
    if (cmd === "start_at_login_offered") {
      g.start_at_login_offered = true;
      return { ...g };
    }
    if (cmd === "set_keep_awake") {
      g.keep_awake = (args as { enabled: boolean }).enabled;
      return { ...g };
    }
    return null;
  });
  return { g, calls };
}

function show(node: React.ReactNode) {
  render(
    <ToastProvider>
      <DataProvider>{node}</DataProvider>
    </ToastProvider>,
  );
}

describe("Settings › General", () => {
  it("shows the login entry as the system reports it and writes it through IPC", async () => {
    const { calls } = backend({ start_at_login: true, start_at_login_offered: true });
    show(<GeneralSettingsPage />);
    const login = (await screen.findByTestId("start-at-login")) as HTMLInputElement;
    expect(login.checked).toBe(true);
    fireEvent.click(login);
    await waitFor(() => expect(login.checked).toBe(false));
    expect(calls).toContainEqual(["set_start_at_login", { enabled: false }]);
  });

  it("words each state of the sleep inhibitor", async () => {
    const cases: [AwakeStatus, boolean, RegExp][] = [
      [{ state: "held", since: "2026-12-07T10:00:00.000Z" }, true, /Keeping this computer awake since/],
      [{ state: "not_held", reason: "option_off" }, false, /^Off/],
      [{ state: "not_held", reason: "no_connection" }, true, /no connection yet/],
      [{ state: "not_held", reason: "endpoint_stopped" }, true, /endpoint isn't running/],
      [{ state: "not_held", reason: "okta_off" }, true, /Okta integration is off/],
      [{ state: "not_held", reason: "entra_off" }, true, /Microsoft Entra ID integration is off/],
      [{ state: "not_held", reason: "providers_off" }, true, /integrations are both off/],
      [{ state: "failed", problem: "no_login_manager", detail: "no bus" }, true, /no login manager \(systemd-logind\)/],
    ];
    for (const [awake, keep_awake, text] of cases) {
      backend({ awake, keep_awake });
      show(<GeneralSettingsPage />);
      expect((await screen.findByTestId("awake-state")).textContent).toMatch(text);
      cleanup();
      clearMocks();
    }
  });

  it("turns keeping awake on through IPC", async () => {
    const { calls } = backend();
    show(<GeneralSettingsPage />);
    fireEvent.click(await screen.findByTestId("keep-awake"));
    await waitFor(() => expect((screen.getByTestId("keep-awake") as HTMLInputElement).checked).toBe(true));
    expect(calls).toContainEqual(["set_keep_awake", { enabled: true }]);
  });
});

describe("the question after the first connection", () => {
  it("is asked only when never asked and not already on", () => {
    const g: GeneralSettings = {
      start_at_login: false,
      start_at_login_error: null,
      start_at_login_offered: false,
      keep_awake: false,
      awake: { state: "not_held", reason: "option_off" },
    };
    expect(shouldOfferStartAtLogin(g)).toBe(true);
    expect(shouldOfferStartAtLogin({ ...g, start_at_login_offered: true })).toBe(false);
    expect(shouldOfferStartAtLogin({ ...g, start_at_login: true })).toBe(false);
    expect(shouldOfferStartAtLogin(undefined)).toBe(false);
  });

  it("Not now turns nothing on and remembers it was asked", async () => {
    const { g, calls } = backend();
    let done = false;
    show(<StartAtLoginOffer onDone={() => (done = true)} />);
    fireEvent.click(await screen.findByTestId("start-at-login-not-now"));
    await waitFor(() => expect(done).toBe(true));
    expect(calls.map(([c]) => c).filter((c) => !c.startsWith("plugin:"))).toEqual(["start_at_login_offered"]);
    expect(g.start_at_login).toBe(false);
    expect(g.start_at_login_offered).toBe(true);
  });

  it("Yes writes the login entry", async () => {
    const { g } = backend();
    let done = false;
    show(<StartAtLoginOffer onDone={() => (done = true)} />);
    fireEvent.click(await screen.findByTestId("start-at-login-yes"));
    await waitFor(() => expect(done).toBe(true));
    expect(g.start_at_login).toBe(true);
  });
});
