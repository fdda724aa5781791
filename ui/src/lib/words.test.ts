import { keptByText } from "./providers";
import { describe, expect, it } from "vitest";
import type { RehearsalNote, TunnelSetting, TunnelState, TunnelStatus } from "../api";
import { rehearsalNoteText, STABLE_ADVICE, STABLE_ADVICE_AFTER_CHANGE, tunnelMessage, tunnelSourceText } from "./words";

const status = (setting: TunnelSetting, state: TunnelState = { state: "off" }): TunnelStatus => ({
  mode: setting.mode,
  setting,
  state,
  public_url: setting.mode === "own" ? setting.url : "http://127.0.0.1:8742",
  reachable_by_okta: setting.mode === "own",
  stable: true,
  last_error: null,
  url_changed: null,
});

const SETTINGS: TunnelSetting[] = [
  { mode: "none" },
  { mode: "own", url: "https://scim.example.com" },
  { mode: "cloudflared", hostname: null },
  { mode: "cloudflared", hostname: "scim.example.com" },
  { mode: "ngrok", domain: null },
  { mode: "ngrok", domain: "d.ngrok.app" },
];
const STATES: TunnelState[] = [
  { state: "off" },
  { state: "starting" },
  { state: "online", url: "https://a-b-c.trycloudflare.com" },
  { state: "failed", reason: "cloudflared exited", retry_at: "2026-12-07T10:00:00Z" },
];
const NOTES: RehearsalNote[] = [
  { kind: "tunnel_offline", mode: "cloudflared", last_url: "https://a-b-c.trycloudflare.com" },
  { kind: "tunnel_offline", mode: "ngrok", last_url: null },
  { kind: "no_public_url" },
  { kind: "plain_http" },
];

describe("tunnel source", () => {
  it("names where the public URL comes from", () => {
    expect(tunnelSourceText({ mode: "none", setting: { mode: "none" } })).toMatch(/^None/);
    expect(tunnelSourceText({ mode: "own", setting: { mode: "own", url: "https://x.example" } })).toBe("Your own URL");
    expect(tunnelSourceText({ mode: "cloudflared", setting: { mode: "cloudflared", hostname: null } })).toBe("cloudflared quick tunnel");
    expect(tunnelSourceText({ mode: "cloudflared", setting: { mode: "cloudflared", hostname: "scim.example.com" } })).toBe("cloudflared named tunnel (scim.example.com)");
    expect(tunnelSourceText({ mode: "ngrok", setting: { mode: "ngrok", domain: null } })).toBe("ngrok");
    expect(tunnelSourceText({ mode: "ngrok", setting: { mode: "ngrok", domain: "d.ngrok.app" } })).toBe("ngrok, reserved domain d.ngrok.app");
  });
  it("tolerates a missing hostname from generated types", () => {
    expect(tunnelSourceText({ mode: "cloudflared", setting: { mode: "cloudflared" } })).toBe("cloudflared quick tunnel");
  });
});

describe("the app's words", () => {
  it("say where Okta reaches SCIM Desk, with the URL", () => {
    const none = tunnelMessage(status({ mode: "none" }));
    expect(none).toContain("http://127.0.0.1:8742");
    expect(none).toContain("Change…");
    expect(tunnelMessage(status({ mode: "own", url: "https://scim.example.com" }))).toContain("https://scim.example.com");
    // On Entra's page, in Entra's words.
    expect(tunnelMessage(status({ mode: "none" }), "Microsoft Entra ID", "Tenant URLs")).toBe(
      "Tenant URLs point at http://127.0.0.1:8742, on this computer, which Microsoft Entra ID can't reach: choose a tunnel with Change…",
    );
    expect(tunnelMessage(status({ mode: "cloudflared" }, STATES[2]))).toBe(
      "The cloudflared tunnel is online at https://a-b-c.trycloudflare.com.",
    );
  });

  it("never name a CLI command, in any state", () => {
    const all = [
      ...SETTINGS.flatMap((s) => STATES.map((st) => tunnelMessage(status(s, st)))),
      ...SETTINGS.map((s) => tunnelSourceText(status(s))),
      ...NOTES.map((n) => rehearsalNoteText(n)),
      ...NOTES.map((n) => rehearsalNoteText(n, "Microsoft Entra ID")),
      STABLE_ADVICE,
      STABLE_ADVICE_AFTER_CHANGE,
    ];
    for (const text of all) {
      expect(text).not.toMatch(/scimdesk|--[a-z]|`/);
      expect(text.length).toBeGreaterThan(0);
    }
  });

  it("say why a rehearsal cannot promise Okta's connection", () => {
    expect(rehearsalNoteText({ kind: "plain_http" })).toContain("HTTPS");
    expect(rehearsalNoteText(NOTES[0])).toContain("https://a-b-c.trycloudflare.com");
    expect(rehearsalNoteText(NOTES[1])).toContain("this computer's own address");
  });
});

describe("who keeps the directory", () => {
  it("names the providers that have connections", () => {
    expect(keptByText({ okta_connections: 2, entra_connections: 0 })).toBe("Okta");
    expect(keptByText({ okta_connections: 0, entra_connections: 1 })).toBe("Microsoft Entra ID");
    expect(keptByText({ okta_connections: 1, entra_connections: 1 })).toBe("Okta and Microsoft Entra ID");
    expect(keptByText({ okta_connections: 0, entra_connections: 0 })).toBe("Okta");
  });
});
