import { describe, expect, it } from "vitest";
import { providerStatusText } from "./providerSwitch";
import { checkTunnelForm, initialTunnelForm, tunnelInput, type TunnelForm } from "./TunnelDialog";
import { ATTRIBUTE_MAPPING } from "./SetupGuide";

describe("providerStatusText", () => {
  it("says Off, or On with the number of connections", () => {
    expect(providerStatusText(false, 3)).toBe("Off");
    expect(providerStatusText(true, 0)).toBe("On · 0 connections");
    expect(providerStatusText(true, 1)).toBe("On · 1 connection");
    expect(providerStatusText(true, 2)).toBe("On · 2 connections");
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
