import { describe, expect, it } from "vitest";
import { oktaStatusText } from "./oktaSwitch";
import { appMessage, tunnelSourceText } from "./TunnelCard";
import { checkTunnelForm, initialTunnelForm, tunnelInput, type TunnelForm } from "./TunnelDialog";
import { ATTRIBUTE_MAPPING } from "./SetupGuide";

describe("oktaStatusText", () => {
  it("says Off, or On with the number of connections", () => {
    expect(oktaStatusText(false, 3)).toBe("Off");
    expect(oktaStatusText(true, 0)).toBe("On · 0 connections");
    expect(oktaStatusText(true, 1)).toBe("On · 1 connection");
    expect(oktaStatusText(true, 2)).toBe("On · 2 connections");
  });
});

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
    expect(tunnelSourceText({ mode: "cloudflared", setting: { mode: "cloudflared" } as never })).toBe("cloudflared quick tunnel");
  });
});

describe("tunnel dialog", () => {
  const base: TunnelForm = { mode: "none", url: "", hostname: "", token: "", authtoken: "", domain: "" };

  it("starts from the current setting, never from a stored secret", () => {
    const f = initialTunnelForm({ mode: "cloudflared", setting: { mode: "cloudflared", hostname: "scim.example.com" }, public_url: "" });
    expect(f).toMatchObject({ mode: "cloudflared", hostname: "scim.example.com", token: "" });
    expect(initialTunnelForm({ mode: "own", setting: { mode: "own", url: "https://a.example" }, public_url: "" }).url).toBe("https://a.example");
  });

  it("checks the fields the chosen mode needs", () => {
    expect(checkTunnelForm({ ...base, mode: "own" })?.[0]).toBe("url");
    expect(checkTunnelForm({ ...base, mode: "own", url: "scim.example.com" })?.[0]).toBe("url");
    expect(checkTunnelForm({ ...base, mode: "own", url: "https://scim.example.com" })).toBeNull();
    expect(checkTunnelForm({ ...base, mode: "cloudflared", hostname: "https://scim.example.com/" })?.[0]).toBe("hostname");
    expect(checkTunnelForm({ ...base, mode: "cloudflared", hostname: "scim.example.com" })).toBeNull();
    expect(checkTunnelForm({ ...base, mode: "cloudflared" })).toBeNull();
    expect(checkTunnelForm({ ...base, mode: "ngrok" })).toBeNull();
  });

  it("sends only the chosen mode's fields, and null for a secret left empty", () => {
    const f = { ...base, url: "https://left.over", hostname: "h.example", token: "t", authtoken: "", domain: " d.ngrok.app " };
    expect(tunnelInput({ ...f, mode: "ngrok" })).toEqual({ mode: "ngrok", url: null, hostname: null, token: null, domain: "d.ngrok.app", authtoken: null });
    // No hostname: a quick tunnel, and a token typed before is not sent.
    expect(tunnelInput({ ...f, mode: "cloudflared", hostname: " " })).toMatchObject({ hostname: null, token: null });
    expect(tunnelInput({ ...f, mode: "cloudflared" })).toMatchObject({ hostname: "h.example", token: "t" });
    expect(tunnelInput({ ...f, mode: "own" })).toMatchObject({ url: "https://left.over", domain: null });
  });
});

describe("attribute mapping", () => {
  it("lists the nine default mappings", () => {
    expect(ATTRIBUTE_MAPPING).toHaveLength(9);
    expect(ATTRIBUTE_MAPPING).toContainEqual(["Business Unit", "Division"]);
    expect(ATTRIBUTE_MAPPING).toContainEqual(["Manager", "Manager ID (email)"]);
    expect(ATTRIBUTE_MAPPING).toContainEqual(["Employee ID", "Employee Number"]);
  });
});

describe("tunnel messages in the app", () => {
  const base = {
    setting: { mode: "none" as const },
    state: { state: "off" as const },
    public_url: "http://127.0.0.1:8742",
    reachable_by_okta: false,
    stable: true,
    last_error: null,
    url_changed: null,
    advice: null,
  };
  it("point at the app's own controls, not at CLI commands", () => {
    const none = appMessage({
      ...base,
      mode: "none",
      message: "No tunnel: … `scimdesk tunnel set cloudflared` …",
    });
    expect(none).toContain("http://127.0.0.1:8742");
    expect(none).toContain("Change…");
    expect(none).not.toContain("scimdesk");
    const off = appMessage({
      ...base,
      mode: "cloudflared",
      setting: { mode: "cloudflared" },
      message: "The cloudflared tunnel is not running: it starts with the SCIM endpoint (`scimdesk serve` or the app).",
    });
    expect(off).not.toContain("scimdesk");
  });
});
