// The disk-full banner: shown while the core says writes fail for want of space, with the free
// space and the data directory's path, and gone once a `disk` change says writes succeed again.
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionView, Overview, TunnelStatus } from "../api";
import { DataProvider } from "../lib/queries";
import { TUNNEL } from "../mockRecorded";
import { DiskFullBanner, UrlChangedBanner } from "./Banners";
import { ToastProvider } from "./Toasts";

afterEach(() => {
  cleanup();
  clearMocks();
});

const DIR = "/home/admin/.local/share/io.scimdesk.desktop";

function overview(full: boolean): Overview {
  return {
    okta_enabled: true,
    entra_enabled: true,
    connection_count: 1,
    okta_connections: 1,
    entra_connections: 0,
    employees_active: 3,
    employees_deactivated: 0,
    endpoint: { state: "serving", listen: "127.0.0.1:8742" },
    data_dir: DIR,
    disk_full: full ? { since: "2026-12-07T06:00:00.000Z", free_bytes: 4096, data_dir: DIR } : null,
  };
}

describe("Disk full banner", () => {
  it("shows the free space and the data directory until writes succeed again", async () => {
    let full = true;
    mockIPC(
      (cmd) => {
        if (cmd === "overview") return overview(full);
        if (cmd === "list_connections") return [];
        return null;
      },
      { shouldMockEvents: true },
    );
    render(
      <ToastProvider>
        <DataProvider>
          <DiskFullBanner />
        </DataProvider>
      </ToastProvider>,
    );
    const banner = await screen.findByTestId("disk-full-banner");
    expect(banner.textContent).toMatch(/The disk is full/);
    expect(screen.getByTestId("disk-free").textContent).toBe("4.1 kB");
    expect(screen.getByTestId("disk-data-dir").textContent).toBe(DIR);

    full = false;
    const { emit } = await import("@tauri-apps/api/event");
    await act(async () => {
      await emit("scimdesk://change", { kind: "disk" });
    });
    await waitFor(() => expect(screen.queryByTestId("disk-full-banner")).toBeNull());
  });
});

describe("URL change banner", () => {
  const conn = (id: string, name: string, provider: ConnectionView["provider"]): ConnectionView => ({
    id,
    name,
    provider,
    base_url: `https://new.example/scim/v2/${id}`,
    created_at: "2026-12-01T10:00:00Z",
    last_contact: null,
    refused: null,
    token_kept: true,
  });

  function show(connections: ConnectionView[]) {
    const tunnel = {
      ...TUNNEL.url_changed,
      url_changed: {
        from: "https://old.example",
        to: "https://new.example",
        base_urls: connections.map((c) => ({ connection_id: c.id, name: c.name, base_url: c.base_url })),
      },
    } as TunnelStatus;
    mockIPC((cmd) => (cmd === "tunnel_status" ? tunnel : cmd === "list_connections" ? connections : null));
    render(
      <ToastProvider>
        <DataProvider>
          <UrlChangedBanner />
        </DataProvider>
      </ToastProvider>,
    );
  }

  it("asks for the Tenant URL in Entra when an Entra connection's URL changed", async () => {
    show([conn("c1", "Okta production", "okta"), conn("c2", "HR Entra", "entra")]);
    await waitFor(() =>
      expect(screen.getByRole("heading").textContent).toBe(
        "Your public URL changed — update the base URL in Okta and the Tenant URL in Microsoft Entra ID",
      ),
    );
    expect(screen.getByLabelText("Copy the new Tenant URL of HR Entra")).toBeTruthy();
    expect(screen.getByLabelText("Copy the new base URL of Okta production")).toBeTruthy();
    expect(screen.getByTestId("ack-url-change").textContent).toBe("I've updated Okta and Microsoft Entra ID");
  });

  it("speaks of Okta alone when every connection is Okta's", async () => {
    show([conn("c1", "Okta production", "okta")]);
    const banner = await screen.findByTestId("url-changed-banner");
    expect(screen.getByRole("heading").textContent).toBe("Your public URL changed — update the base URL in Okta");
    expect(banner.textContent).not.toContain("Entra");
  });
});
